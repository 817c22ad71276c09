package ingestload

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// TestS3SinkWritesEachBodyOnce: the S3 sink writes a body to a real S3
// server (versitygw) at the request path, refuses a second write of the
// same path with 409, and anything but PUT or POST with 405.
func TestS3SinkWritesEachBodyOnce(t *testing.T) {
	gw := blobstoretest.StartS3(t)
	client := s3.New(s3.Options{Region: blobstoretest.S3Region, BaseEndpoint: aws.String(gw.Endpoint()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(blobstoretest.S3AccessKey, blobstoretest.S3SecretKey, "")})
	sink := httptest.NewServer(&S3Sink{Client: client, Bucket: blobstoretest.Bucket})
	defer sink.Close()
	body := bytes.Repeat([]byte("mdat"), 100_000)
	post := func(method string) int {
		req, err := http.NewRequest(method, sink.URL+"/ch1/video/42.cmfv", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(http.MethodPost); code != http.StatusOK {
		t.Fatalf("first POST: %d", code)
	}
	got, err := blobstoretest.Open(t, gw.URL(), nil).Get(context.Background(), "ch1/video/42.cmfv")
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("object in the bucket: %d bytes, %v; want the %d bytes posted", len(got), err, len(body))
	}
	if code := post(http.MethodPut); code != http.StatusConflict {
		t.Errorf("second write of the same path: %d, want 409", code)
	}
	if code := post(http.MethodGet); code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", code)
	}
}
