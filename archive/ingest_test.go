package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

var tr = trackfiletest.Default // 2 s segments at 48 kHz

// segAt returns a segment of the default track for grid index n.
func segAt(n int64, brands ...string) []byte {
	return tr.Segment(uint64(n)*tr.SegmentTicks(), uint32(n+1), brands...)
}

// stagedAt returns the staged key element of the default track's segment
// at grid index n (of the given variant).
func stagedAt(n int64, variant ...string) string {
	name := trackfile.StagedName{T: uint64(n) * tr.SegmentTicks(), D: tr.SegmentTicks(), Ext: "cmfa"}
	if len(variant) > 0 {
		name.Variant = variant[0]
	}
	return name.String()
}

const n0 = testEpoch / 2 // the grid index of testEpoch with D = 2 s

func TestStagesSegmentsUnderTheirGridIndex(t *testing.T) {
	for _, method := range []string{http.MethodPost, http.MethodPut} {
		t.Run(method, func(t *testing.T) {
			r := newRig(t, nil, nil)
			r.mustSend(method, "/ingest/ch1/audio/init.cmfa", tr.Header())
			want := map[string][]byte{}
			for i := int64(0); i < 5; i++ {
				b := segAt(n0 + i)
				// The URL number is deliberately wrong: identity is tfdt.
				r.mustSend(method, fmt.Sprintf("/ingest/ch1/audio/%d.cmfa", 100+i), b)
				want[stagedAt(n0+i)] = b
			}
			got := r.staged("ch1", "audio")
			if len(got) != len(want) {
				t.Fatalf("staged %d objects, want %d: %v", len(got), len(want), r.keys())
			}
			for k, b := range want {
				if !bytes.Equal(got[k], b) {
					t.Errorf("staged %s differs from the segment sent", k)
				}
			}
			if c := r.count("ch1", "audio", ResultStaged); c != 5 {
				t.Errorf("staged counter %v, want 5", c)
			}
		})
	}
}

func TestRedundantEncodersLeaveOneCopy(t *testing.T) {
	r := newRig(t, nil, nil)
	const segs, encoders = 20, 2
	var wg sync.WaitGroup
	for e := 0; e < encoders; e++ {
		wg.Add(1)
		go func(e int) {
			defer wg.Done()
			r.mustSend(http.MethodPost, "/ingest/ch1/audio/init.cmfa", tr.Header())
			for i := int64(0); i < segs; i++ {
				// The second encoder sends in another order.
				j := i
				if e == 1 {
					j = segs - 1 - i
				}
				r.mustSend(http.MethodPost, fmt.Sprintf("/ingest/ch1/audio/%d.cmfa", j), segAt(n0+j))
			}
		}(e)
	}
	wg.Wait()
	if got := len(r.staged("ch1", "audio")); got != segs {
		t.Fatalf("staged %d, want %d", got, segs)
	}
	if d := r.count("ch1", "audio", ResultDuplicate); d != segs*(encoders-1) {
		t.Errorf("duplicates counted %v, want %d", d, segs*(encoders-1))
	}
	if s := r.count("ch1", "audio", ResultStaged); s != segs {
		t.Errorf("staged counted %v, want %d", s, segs)
	}
}

func TestSlateMissAndLastSegment(t *testing.T) {
	r := newRig(t, nil, nil)
	r.mustSend(http.MethodPost, "/ingest/ch1/a/init.cmfa", tr.Header())
	// n0: slate first, then the real copy from the other encoder.
	r.mustSend(http.MethodPost, "/ingest/ch1/a/1.cmfa", segAt(n0, "msdh", "slat"))
	r.mustSend(http.MethodPost, "/ingest/ch1/a/1.cmfa", segAt(n0))
	// n0+1: real first; a later slate copy is a duplicate.
	r.mustSend(http.MethodPost, "/ingest/ch1/a/2.cmfa", segAt(n0+1))
	r.mustSend(http.MethodPost, "/ingest/ch1/a/2.cmfa", segAt(n0+1, "msdh", "slat"))
	// n0+2: a missing segment records a gap.
	r.mustSend(http.MethodPost, "/ingest/ch1/a/3.cmfa", segAt(n0+2, "msdh", "miss"))
	// n0+3: the last segment.
	r.mustSend(http.MethodPost, "/ingest/ch1/a/4.cmfa", segAt(n0+3, "msdh", "lmsg"))
	got := r.staged("ch1", "a")
	for _, k := range []string{
		stagedAt(n0, trackfile.VariantSlate), stagedAt(n0),
		stagedAt(n0 + 1), stagedAt(n0+2, trackfile.VariantMiss), stagedAt(n0 + 3),
	} {
		if _, ok := got[k]; !ok {
			t.Errorf("%s not staged; have %v", k, r.keys())
		}
	}
	if len(got) != 5 {
		t.Errorf("staged %d objects, want 5: %v", len(got), r.keys())
	}
	if c := r.count("ch1", "a", ResultReplaced); c != 1 {
		t.Errorf("replaced %v, want 1", c)
	}
	if c := r.count("ch1", "a", ResultDuplicate); c != 1 {
		t.Errorf("duplicates %v, want 1", c)
	}
	if c := r.count("ch1", "a", ResultMiss); c != 1 {
		t.Errorf("miss %v, want 1", c)
	}
}

func TestStreamsPostSplitsFragmentsOnTheGrid(t *testing.T) {
	// On the epoch grid, and 0.7 s off it (an encoder started at an odd
	// instant, its phase not learned yet): each 2 s segment is found.
	for _, off := range []uint64{0, 33600} {
		t.Run(fmt.Sprintf("offset %d ticks", off), func(t *testing.T) {
			r := newRig(t, &Options{Defaults: ChannelConfig{SegmentDuration: trackfile.Rational{Num: 2, Den: 1}}}, nil)
			// One long-running POST: header, then 6 segments each sent as two
			// fragments of 1 s, without styp.
			half := tr
			half.SamplesPerSegment = tr.SamplesPerSegment / 2
			body := append([]byte(nil), tr.Header()...)
			want := map[string][]byte{}
			for i := int64(0); i < 6; i++ {
				t0 := uint64(n0+i)*tr.SegmentTicks() + off
				a := half.Segment(t0, uint32(2*i+1))
				b := half.Segment(t0+half.SegmentTicks(), uint32(2*i+2))
				body = append(append(body, a...), b...)
				want[trackfile.StagedName{T: t0, D: tr.SegmentTicks(), Ext: "cmfa"}.String()] = append(append([]byte(nil), a...), b...)
			}
			pr, pw := ioPipeChunks(body, 1000)
			go pw()
			if code, msg := r.sendReader(http.MethodPost, "/ingest/ch1/Streams(audio.cmfa)", pr); code != http.StatusOK {
				t.Fatalf("Streams POST: %d %s", code, msg)
			}
			got := r.staged("ch1", "audio")
			if len(got) != len(want) {
				t.Fatalf("staged %d, want %d: %v", len(got), len(want), r.keys())
			}
			for k, b := range want {
				if !bytes.Equal(got[k], b) {
					t.Errorf("%s: staged bytes differ from the two fragments sent", k)
				}
			}
		})
	}
}

func TestConformanceReportAggregatesFindings(t *testing.T) {
	r := newRig(t, nil, nil)
	sendHeader(r)
	for i := int64(0); i < 3; i++ {
		r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segAt(n0+i)) // synthetic segments carry no prft
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/channels/{channel}/conformance", r.a.ConformanceHandler())
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/channels/ch1/conformance", nil))
	var rep ConformanceReport
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Clause == "6.2 k" && f.Scope == "a" {
			found = true
			if f.Count != 3 {
				t.Errorf("6.2 k counted %d times, want 3 (one per segment)", f.Count)
			}
		}
	}
	if !found || rep.Errors == 0 {
		t.Errorf("no 6.2 k (prft) error in the report: %+v", rep)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/channels/nope/conformance", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown channel: %d", rec.Code)
	}
}

// A header with findings used to deadlock its track: setHeader held the
// track's lock while reporting findings, which take it too (livesim2's
// headers have no CMAF brand). Every kind of header finding at once must
// be answered, and the track must keep taking segments.
func TestHeaderWithFindingsIsAnswered(t *testing.T) {
	r := newRig(t, nil, nil)
	bad := tr
	bad.NoCMAFBrand, bad.EditList = true, true
	h, err := trackfile.ParseHeader(bad.Header())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(trackfile.CheckHeader(h)); got != 2 {
		t.Fatalf("the header has %d findings, want both kinds (no CMAF brand, edit list)", got)
	}
	done := make(chan int, 1)
	go func() {
		code, _ := r.send(http.MethodPut, "/ingest/ch1/audio/init.cmfa", bad.Header())
		if code == http.StatusOK {
			code, _ = r.send(http.MethodPut, "/ingest/ch1/audio/1.cmfa", segAt(n0))
		}
		done <- code
	}()
	select {
	case code := <-done:
		if code != http.StatusOK {
			t.Fatalf("header then segment: %d", code)
		}
	case <-time.After(10 * time.Second):
		// Not t.Fatal (nor a panic): the server's cleanup would wait for
		// the stuck handler forever. End the test binary with a dump.
		buf := make([]byte, 1<<20)
		fmt.Fprintf(os.Stderr, "--- FAIL: %s: a header with conformance findings is never answered (deadlock?)\n%s\n",
			t.Name(), buf[:runtime.Stack(buf, true)])
		os.Exit(1)
	}
	if got := len(r.staged("ch1", "audio")); got != 1 {
		t.Errorf("staged %d segments after the header, want 1", got)
	}
}

// livesim2 names some tracks by nested paths: each is a track of its own,
// under a reversible storage name.
func TestNestedTrackPaths(t *testing.T) {
	r := newRig(t, nil, nil)
	for _, p := range []string{"audio/en/ac-4/1", "video/avc1"} {
		r.mustSend(http.MethodPut, "/ingest/ch1/"+p+"/init.cmfa", tr.Header())
		r.mustSend(http.MethodPut, "/ingest/ch1/"+p+"/1.cmfa", segAt(n0))
		name, err := trackfile.TrackNameFromPath(p)
		if err != nil {
			t.Fatal(err)
		}
		if trackfile.TrackPath(name) != p {
			t.Errorf("TrackPath(%q) = %q, want %q", name, trackfile.TrackPath(name), p)
		}
		if got := len(r.staged("ch1", name)); got != 1 {
			t.Errorf("%s: staged %d under %q, want 1: %v", p, got, name, r.keys())
		}
	}
	for _, bad := range []string{"a//b", "a/../b", "a~b/c", "a/.x"} {
		if code, _ := r.send(http.MethodPut, "/ingest/ch1/"+bad+"/init.cmfa", tr.Header()); code != http.StatusBadRequest {
			t.Errorf("track path %q: %d, want 400", bad, code)
		}
	}
}
