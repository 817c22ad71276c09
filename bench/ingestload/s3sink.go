package ingestload

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3Sink is the raw-sink baseline of an S3 store: it reads every PUT or
// POST body whole and writes it to Bucket at the request path with one
// conditional PutObject (If-None-Match: *), as reapd's S3 store writes a
// staged segment, and answers 200 (409 when the key exists). It parses
// nothing and keeps no state: the floor of what an archiver on the same
// S3 server can do.
type S3Sink struct {
	Client *s3.Client
	Bucket string
	pool   sync.Pool
}

// ServeHTTP implements http.Handler.
func (s *S3Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, ok := sinkPath(w, r)
	if !ok {
		return
	}
	buf, _ := s.pool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() { buf.Reset(); s.pool.Put(buf) }()
	if _, err := io.Copy(buf, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, err := s.Client.PutObject(r.Context(), &s3.PutObjectInput{
		Bucket: aws.String(s.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(buf.Bytes()), ContentLength: aws.Int64(int64(buf.Len())), IfNoneMatch: aws.String("*"),
	})
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed":
		http.Error(w, err.Error(), http.StatusConflict)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		w.WriteHeader(http.StatusOK)
	}
}
