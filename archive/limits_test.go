package archive

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Caps refuse what is beyond them, and take what is at them.
func TestCapsAtTheirEdges(t *testing.T) {
	r := newRig(t, &Options{MaxChannels: 2, MaxTracks: 2, MaxMPDVersions: 2}, nil)
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusForbidden} { // limit−1, limit, limit+1
		if code, msg := r.send(http.MethodPut, fmt.Sprintf("/ingest/c%d/a/init.cmfa", i), tr.Header()); code != want {
			t.Errorf("channel %d of 2: %d %s, want %d", i+1, code, msg, want)
		}
	}
	for i, want := range []int{http.StatusOK, http.StatusForbidden} { // c0 has track a: b is the limit, c beyond it
		if code, msg := r.send(http.MethodPut, fmt.Sprintf("/ingest/c0/t%d/init.cmfa", i), tr.Header()); code != want {
			t.Errorf("track %d of 2: %d %s, want %d", i+2, code, msg, want)
		}
	}
	raw, err := os.ReadFile("../smpd/testdata/ingest/reap-number.mpd")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		// Each language makes a structurally new version.
		v := strings.Replace(string(raw), `lang="nl"`, fmt.Sprintf(`lang="l%d"`, i), 1)
		if code, msg := r.send(http.MethodPut, "/ingest/c1/manifest.mpd", []byte(v)); code != want {
			t.Errorf("I-MPD version %d of 2: %d %s, want %d", i+1, code, msg, want)
		}
	}
	// An unchanged version stores nothing, so it is never refused.
	v := strings.Replace(string(raw), `lang="nl"`, `lang="l1"`, 1)
	if code, msg := r.send(http.MethodPut, "/ingest/c1/manifest.mpd", []byte(v)); code != http.StatusOK {
		t.Errorf("unchanged I-MPD at the cap: %d %s", code, msg)
	}
}

// Segments with implausible times are refused with 400 and stage nothing;
// old media and media up to the margin ahead of the clock are taken.
func TestImplausibleTimesAreRefused(t *testing.T) {
	now := time.Unix(testEpoch, 0)
	r := newRig(t, &Options{MaxAhead: time.Minute, Now: func() time.Time { return now }}, nil)
	r.mustSend(http.MethodPut, "/ingest/ch1/a/init.cmfa", tr.Header())
	ts := uint64(tr.Timescale)
	for _, c := range []struct {
		name string
		tfdt uint64
		want int
	}{
		{"at the clock", testEpoch * ts, http.StatusOK},
		{"a year ago (importing old media)", (testEpoch - 365*86400) * ts, http.StatusOK},
		{"margin − 1 s ahead", (testEpoch + 59) * ts, http.StatusOK},
		{"at the margin", (testEpoch + 60) * ts, http.StatusOK},
		{"margin + 1 s ahead", (testEpoch + 61) * ts, http.StatusBadRequest},
		{"30 days ahead", (testEpoch + 30*86400) * ts, http.StatusBadRequest},
		{"year 2300", 10413792000 * ts, http.StatusBadRequest},
		{"after year 9999", 253402300800 * ts, http.StatusBadRequest},
		{"2^63", 1 << 63, http.StatusBadRequest},
		{"2^64 − 1", 1<<64 - 1, http.StatusBadRequest},
	} {
		if code, msg := r.send(http.MethodPut, "/ingest/ch1/a/1.cmfa", tr.Segment(c.tfdt, 1)); code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, code, msg, c.want)
		}
	}
	if got := len(r.staged("ch1", "a")); got != 4 {
		t.Errorf("staged %d segments, want the 4 plausible ones: %v", got, r.keys())
	}
	// With no margin (negative), the future is taken, but year 9999 is still the end.
	r2 := newRig(t, &Options{MaxAhead: -1, Now: func() time.Time { return now }}, nil)
	r2.mustSend(http.MethodPut, "/ingest/ch1/a/init.cmfa", tr.Header())
	if code, _ := r2.send(http.MethodPut, "/ingest/ch1/a/1.cmfa", tr.Segment((testEpoch+30*86400)*ts, 1)); code != http.StatusOK {
		t.Errorf("30 days ahead without a margin: %d", code)
	}
	if code, _ := r2.send(http.MethodPut, "/ingest/ch1/a/1.cmfa", tr.Segment(1<<63, 1)); code != http.StatusBadRequest {
		t.Errorf("2^63 without a margin: %d", code)
	}
}
