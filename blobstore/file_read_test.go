package blobstore_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// TestFileRangeWriteTo: a file store's range reader hands its bytes to a
// writer that takes files (an HTTP response: sendfile) and to one that
// does not, the same bytes either way, cut at the object's end.
func TestFileRangeWriteTo(t *testing.T) {
	s := blobstoretest.Open(t, "file://"+t.TempDir(), nil)
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	if err := s.Create(ctx, "a/b.cmfv", data); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ off, n int64 }{{0, -1}, {12345, 500_000}, {999_990, 100}} {
		want := data[c.off:]
		if c.n >= 0 && c.off+c.n < int64(len(data)) {
			want = data[c.off : c.off+c.n]
		}
		rc, err := s.NewRangeReader(ctx, "a/b.cmfv", c.off, c.n)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := rc.(io.WriterTo).WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("range %+v to a buffer: %d bytes, %v; want %d", c, buf.Len(), err, len(want))
		}
		rc.Close()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			rc, err := s.NewRangeReader(ctx, "a/b.cmfv", c.off, c.n)
			if err != nil {
				t.Error(err)
				return
			}
			defer rc.Close()
			_, _ = io.Copy(w, rc) // the response's ReadFrom: sendfile
		}))
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if !bytes.Equal(got, want) {
			t.Fatalf("range %+v over HTTP: %d bytes, want %d", c, len(got), len(want))
		}
	}
}
