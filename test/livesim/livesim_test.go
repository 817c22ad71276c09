package livesim

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

type put struct {
	method, path, ingest string
	chunked              bool
	body                 []byte
}

// receiver records every request and answers status (200 by default).
func receiver(t *testing.T, status func(path string) int) (*httptest.Server, func() []put) {
	var mu sync.Mutex
	var got []put
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, put{r.Method, r.URL.Path, r.Header.Get("DASH-IF-Ingest"), len(r.TransferEncoding) > 0, b})
		mu.Unlock()
		if status != nil {
			w.WriteHeader(status(r.URL.Path))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []put {
		mu.Lock()
		defer mu.Unlock()
		return append([]put(nil), got...)
	}
}

// A push of testpic_2s sends what the package doc says: PUTs of
// {rep}/init.cmf[va] and {rep}/{n}.cmf[va] with n = tfdt/D = mfhd, the last
// segment marked lmsg.
func TestPushTestpic2s(t *testing.T) {
	s := Start(t)
	srv, got := receiver(t, nil)
	p := s.Push(t, PushOptions{DestRoot: srv.URL + "/ingest", DestName: "ch1", URL: "/livesim2/testpic_2s/Manifest.mpd", Duration: 2})
	res := p.Wait(t, 30*time.Second)
	if len(res.Segments) != 4 || len(res.Problems) != 0 {
		t.Fatalf("livesim2 logged %d segments (want 2 per track), problems %q", len(res.Segments), res.Problems)
	}
	puts := got()
	if len(puts) != 6 {
		t.Fatalf("%d requests, want 2 headers and 4 segments: %v", len(puts), puts)
	}
	last := map[string]bool{}
	for _, pt := range puts {
		if pt.method != http.MethodPut || pt.ingest != "1.1" || pt.chunked {
			t.Errorf("%s %s: DASH-IF-Ingest %q chunked %v, want a plain PUT with DASH-IF-Ingest 1.1", pt.method, pt.path, pt.ingest, pt.chunked)
		}
		rel, ok := strings.CutPrefix(pt.path, "/ingest/ch1/")
		rep, name, _ := strings.Cut(rel, "/")
		if !ok || (rep != "V300" && rep != "A48") {
			t.Fatalf("unexpected path %s", pt.path)
		}
		if strings.HasPrefix(name, "init.") {
			continue
		}
		f, err := mp4.DecodeFile(bytes.NewReader(pt.body))
		if err != nil || len(f.Segments) != 1 {
			t.Fatalf("%s: %v", pt.path, err)
		}
		seg := f.Segments[0]
		frag := seg.Fragments[0]
		ts := map[string]uint64{"V300": 90000, "A48": 48000}[rep]
		n := frag.Moof.Traf.Tfdt.BaseMediaDecodeTime() / ts / 2
		if want := strings.TrimSuffix(strings.TrimSuffix(name, ".cmfv"), ".cmfa"); want != strconv.FormatUint(n, 10) || uint64(frag.Moof.Mfhd.SequenceNumber) != n {
			t.Errorf("%s: tfdt/D = %d, mfhd = %d: want both equal to the path's number", pt.path, n, frag.Moof.Mfhd.SequenceNumber)
		}
		if hasLmsg(seg) {
			last[rep] = true
		}
	}
	if !last["V300"] || !last["A48"] {
		t.Errorf("the last segments of the tracks carry lmsg: %v", last)
	}
}

// A receiver that refuses the headers ends the push: Wait's state says so.
func TestPushRefused(t *testing.T) {
	s := Start(t)
	srv, _ := receiver(t, func(string) int { return http.StatusBadRequest })
	p := s.Push(t, PushOptions{DestRoot: srv.URL + "/ingest", DestName: "ch1", URL: "/livesim2/testpic_2s/Manifest.mpd", Duration: 2})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, done, failed := p.state()
		if done {
			t.Fatal("a push whose headers were refused reported done")
		}
		if failed != "" {
			if len(res.Problems) == 0 {
				t.Errorf("no problems logged for refused headers")
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("a push whose headers were refused did not end:\n%s", s.Logs())
}

func hasLmsg(seg *mp4.MediaSegment) bool {
	if seg.Styp == nil {
		return false
	}
	for _, b := range seg.Styp.CompatibleBrands() {
		if b == "lmsg" {
			return true
		}
	}
	return false
}
