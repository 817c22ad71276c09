package catchup_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/catchup"
	"github.com/reapd/reapd/test/player/playertest"
	"github.com/reapd/reapd/test/statuswriter"
)

// requestLog records what a player asked a server and what it got.
type requestLog struct {
	mu   sync.Mutex
	reqs []loggedRequest
}

type loggedRequest struct {
	method, uri string
	status      int
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := statuswriter.New(w)
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		l.reqs = append(l.reqs, loggedRequest{r.Method, r.URL.RequestURI(), rec.Status})
		l.mu.Unlock()
	})
}

func (l *requestLog) snapshot() []loggedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]loggedRequest(nil), l.reqs...)
}

// TestPlayersPlaySignedURLs locks the read side (a read token and a URL
// signing key) and plays a signed catch-up URL of a real ffmpeg archive
// in dash.js (DASH: $Time$ templates) and hls.js (HLS: relative media
// playlist and segment URIs): every request the players make is let in by
// the signature the manifest carries on, none by a token (issue 9,
// acceptance 3). The same URL expired, or altered, is 403, and without a
// signature 401.
func TestPlayersPlaySignedURLs(t *testing.T) {
	a := newLiveArchive(t)
	signer, err := catchup.NewURLSigner([]byte("a signing key for the test"))
	if err != nil {
		t.Fatal(err)
	}
	// The live archive's clock: the archive was recorded before it.
	locked := catchup.New(a.Store, &catchup.Options{Now: a.now, Logger: testLogger(),
		ReadTokens: []string{"operator-token"}, URLSigner: signer})
	var log requestLog
	srv := httptest.NewServer(log.wrap(locked.Handler()))
	t.Cleanup(srv.Close)

	exp := a.now().Add(time.Hour)
	for _, c := range []struct{ player, path string }{
		{playertest.DashJS, "/catchup/ch1/manifest.mpd"},
		{playertest.HLSJS, "/catchup/ch1/master.m3u8"},
	} {
		t.Run(c.player, func(t *testing.T) {
			u, err := signer.SignURL(c.path+"?"+Window(5, 75), "", exp)
			if err != nil {
				t.Fatal(err)
			}
			first := len(log.snapshot())
			res := playertest.Play(t, c.player, srv.URL+u, playertest.Options{MinSeconds: 50})
			if !res.OK {
				t.Fatalf("did not play: %s (errors %v, played %.1f s)", res.Reason, res.Errors, res.Played)
			}
			var media int
			for _, r := range log.snapshot()[first:] {
				if r.method == http.MethodOptions {
					continue
				}
				if r.status != http.StatusOK && r.status != http.StatusPartialContent {
					t.Errorf("%s %s: %d", r.method, r.uri, r.status)
				}
				if !strings.Contains(r.uri, "sig=") {
					t.Errorf("%s %s: without a signature", r.method, r.uri)
				}
				if strings.Contains(r.uri, "/seg/") || strings.Contains(r.uri, "/init/") {
					media++
				}
			}
			if media < 25*2 { // 50 s of 2 s segments, audio and video
				t.Errorf("%d header and segment requests", media)
			}
		})
	}

	check := func(u string, status int, want string) {
		t.Helper()
		resp, err := http.Get(srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d %q, want %d %q", u, resp.StatusCode, b, status, want)
		}
	}
	path := "/catchup/ch1/manifest.mpd?" + Window(5, 75)
	expired, _ := signer.SignURL(path, "", a.now())
	check(expired, http.StatusForbidden, "expired")
	good, _ := signer.SignURL(path, "", exp)
	check(strings.Replace(good, "/catchup/ch1/manifest.mpd", "/catchup/ch1/master.m3u8", 1), http.StatusForbidden, "does not match")
	check(good[:len(good)-2], http.StatusForbidden, "does not match")
	check(path, http.StatusUnauthorized, "authorization required")
}
