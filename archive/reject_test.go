package archive

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

func TestBadInputIsRejectedAndNothingStaged(t *testing.T) {
	seg := segAt(n0)
	hdr := tr.Header()
	// A segment whose mdat is 3 MiB, over the 1 MiB limit set below.
	big := append([]byte(nil), seg[:trackfiletest.BoxOffset(seg, "mdat")]...)
	mdat := make([]byte, 3<<20)
	mdat[1], mdat[4], mdat[5], mdat[6], mdat[7] = 0x30, 'm', 'd', 'a', 't'
	big = append(big, mdat...)
	huge := append([]byte(nil), seg...)
	huge[0], huge[1] = 0x7f, 0xff // the first box claims ~2 GB: over the limit
	longer := append([]byte(nil), seg[:8]...)
	size := int(seg[0])<<24 | int(seg[1])<<16 | int(seg[2])<<8 | int(seg[3]) + 100
	longer[0], longer[1], longer[2], longer[3] = byte(size>>24), byte(size>>16), byte(size>>8), byte(size)
	longer = append(longer, seg[8:]...) // the first box claims 100 bytes more than the body has

	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
		want   int
		setup  func(r *rig)
	}{
		{"truncated box", "POST", "/ingest/ch1/a/1.cmfa", seg[:len(seg)-10], 400, sendHeader},
		{"box size larger than body", "POST", "/ingest/ch1/a/1.cmfa", longer, 400, sendHeader},
		{"box size over the limit", "POST", "/ingest/ch1/a/1.cmfa", huge, 413, sendHeader},
		{"box size below 8", "POST", "/ingest/ch1/a/1.cmfa", []byte{0, 0, 0, 4, 'm', 'o', 'o', 'f'}, 400, sendHeader},
		{"not MP4", "POST", "/ingest/ch1/a/1.cmfa", []byte("hello, this is plainly not an ISOBMFF segment"), 415, sendHeader},
		{"segment before header", "POST", "/ingest/ch1/a/1.cmfa", seg, 412, nil},
		{"dot-dot path", "POST", "/ingest/ch1/../etc/passwd", seg, 400, nil},
		{"encoded dot-dot", "POST", "/ingest/ch1/%2e%2e/%2e%2e/x.cmfa", seg, 400, nil},
		{"encoded slash", "POST", "/ingest/ch1/a%2F..%2F..%2Fx/1.cmfa", seg, 400, nil},
		{"absolute inner path", "POST", "/ingest/ch1//etc/passwd", seg, 400, nil},
		{"backslash", "POST", "/ingest/ch1/a\\..\\b/1.cmfa", seg, 400, nil},
		{"bad channel name", "POST", "/ingest/.hidden/a/1.cmfa", seg, 400, nil},
		{"channel named like the web page's route", "POST", "/ingest/ui/a/init.cmfa", hdr, 400, nil},
		{"unknown path form", "POST", "/ingest/ch1/whatever.bin", seg, 400, nil},
		{"oversized body", "POST", "/ingest/ch1/a/1.cmfa", big, 413, sendHeader},
		{"I-MPD not XML", "PUT", "/ingest/ch1/manifest.mpd", []byte("{\"not\": \"xml\"}"), 400, nil},
		{"I-MPD not an MPD", "PUT", "/ingest/ch1/manifest.mpd", []byte("<html><body>hi</body></html>"), 400, nil},
		{"moof without mdat", "POST", "/ingest/ch1/a/1.cmfa", seg[:trackfiletest.BoxOffset(seg, "mdat")], 400, sendHeader},
		{"header without moov", "POST", "/ingest/ch1/a/init.cmfa", hdr[:trackfiletest.BoxOffset(hdr, "moov")], 400, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, &Options{MaxSegmentBytes: 1 << 20}, nil)
			if c.setup != nil {
				c.setup(r)
			}
			before := len(r.keys())
			u := r.srv.URL + c.path
			req, err := http.NewRequest(c.method, u, strings.NewReader(string(c.body)))
			if err != nil {
				// Paths Go's client refuses to build are sent raw.
				req, _ = http.NewRequest(c.method, r.srv.URL, strings.NewReader(string(c.body)))
				req.URL.Opaque = c.path
			}
			if strings.Contains(c.path, "%") || strings.Contains(c.path, "..") || strings.Contains(c.path, "//") {
				req.URL = &url.URL{Scheme: "http", Host: strings.TrimPrefix(r.srv.URL, "http://"), Opaque: c.path}
			}
			resp, err := r.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
			if after := len(r.keys()); after != before {
				t.Errorf("store changed: %d → %d keys: %v", before, after, r.keys())
			}
			if c.want < 500 && resp.StatusCode >= 500 {
				t.Errorf("a client mistake answered %d", resp.StatusCode)
			}
		})
	}
}

func sendHeader(r *rig) { r.mustSend(http.MethodPost, "/ingest/ch1/a/init.cmfa", tr.Header()) }

func TestUnknownChannelIsForbiddenWithoutAutoCreate(t *testing.T) {
	r := newRig(t, &Options{NoAutoCreate: true, Channels: map[string]ChannelConfig{"known": {}}}, nil)
	if code, _ := r.send("POST", "/ingest/other/a/init.cmfa", tr.Header()); code != http.StatusForbidden {
		t.Errorf("unknown channel: %d, want 403", code)
	}
	if code, _ := r.send("POST", "/ingest/known/a/init.cmfa", tr.Header()); code != http.StatusOK {
		t.Errorf("configured channel: %d, want 200", code)
	}
	if len(r.keys()) != 1 {
		t.Errorf("want only the known channel's header stored: %v", r.keys())
	}
}

func TestIngestCredentials(t *testing.T) {
	creds := []Credential{{User: "enc", Password: "s3cret"}, {Token: "tok-123"}}
	r := newRig(t, &Options{Channels: map[string]ChannelConfig{"ch1": {Credentials: creds}}}, nil)
	p := "/ingest/ch1/a/init.cmfa"
	cases := []struct {
		name string
		hdr  []string
		want int
	}{
		{"none", nil, 401},
		{"wrong basic", []string{"Authorization", "Basic ZW5jOndyb25n"}, 403},
		{"wrong bearer", []string{"Authorization", "Bearer nope"}, 403},
		{"basic", []string{"Authorization", "Basic ZW5jOnMzY3JldA=="}, 200},
		{"bearer", []string{"Authorization", "Bearer tok-123"}, 200},
	}
	for _, c := range cases {
		if code, _ := r.send("POST", p, tr.Header(), c.hdr...); code != c.want {
			t.Errorf("%s: %d, want %d", c.name, code, c.want)
		}
	}
}

func TestStoreFailureAnswers503ThenRetryStagesOnce(t *testing.T) {
	var failing atomic.Bool
	r := newRig(t, nil, &blobstore.Options{Fault: func(op blobstore.Op, key string) error {
		if failing.Load() && op == blobstore.OpCreate {
			return errors.New("disk on fire")
		}
		return nil
	}})
	sendHeader(r)
	failing.Store(true)
	req, _ := http.NewRequest("POST", r.srv.URL+"/ingest/ch1/a/1.cmfa", strings.NewReader(string(segAt(n0))))
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("failing store: %d Retry-After=%q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := len(r.staged("ch1", "a")); got != 0 {
		t.Fatalf("staged %d while the store failed", got)
	}
	failing.Store(false)
	for i := 0; i < 2; i++ { // the encoder retries; a second retry is a duplicate
		r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segAt(n0))
	}
	if got := r.staged("ch1", "a"); len(got) != 1 || got[stagedAt(n0)] == nil {
		t.Fatalf("after recovery staged %v", got)
	}
	if c := r.count("ch1", "a", ResultStaged); c != 1 {
		t.Errorf("staged counter %v, want 1", c)
	}
}

// TestEncoderHangingUpMidBodyIsNotAClientError: a body cut by the encoder
// going away (ffmpeg at exit) is counted as 499, not as a malformed 400.
func TestEncoderHangingUpMidBodyIsNotAClientError(t *testing.T) {
	r := newRig(t, nil, nil)
	sendHeader(r)
	seg := segAt(n0)
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	half := seg[:len(seg)/2]
	fmt.Fprintf(conn, "POST /ingest/ch1/a/1.cmfa HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", len(half))
	conn.Write(append(half, "\r\n"...))
	time.Sleep(100 * time.Millisecond)
	conn.Close()
	rejects := func(code string) float64 {
		return testutil.ToFloat64(r.a.metrics.Rejects.WithLabelValues("ch1", code))
	}
	deadline := time.Now().Add(5 * time.Second)
	for rejects("499") == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if rejects("499") != 1 || rejects("400") != 0 {
		t.Errorf("rejects: 499=%v 400=%v, want the cut body counted as 499", rejects("499"), rejects("400"))
	}
	if len(r.staged("ch1", "a")) != 0 {
		t.Errorf("half a segment was staged")
	}
}
