package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// testEpoch is a grid-aligned second long past: every period of the test
// input is due for finalizing as soon as it is complete or late.
const testEpoch = 1767225600

var crashFlags = []string{"--segment-duration", "2s", "--storage-period", "10s", "--finalize-delay", "1s", "--claim-lease", "1s"}

// futureFlags let a test send segments an hour ahead of the clock (so that
// their period is finalized when complete, never at its deadline).
var futureFlags = []string{"--max-ahead", "2h"}

// input is the synthetic ingest of the process tests: two tracks, periods
// of 5 segments.
type input struct {
	tracks map[string]trackfiletest.Track
	segs   map[string][][]byte // track → segments, n = n0 + i
	n0     int64
}

func newInput(periods int) *input { return newInputAt(periods, testEpoch/2) }

// newInputAt makes input whose first segment has grid index n0.
func newInputAt(periods int, n0 int64) *input {
	in := &input{tracks: map[string]trackfiletest.Track{}, segs: map[string][][]byte{}, n0: n0}
	a := trackfiletest.Default
	b := trackfiletest.Default
	b.ID, b.SampleSize = 2, 40
	in.tracks["a"], in.tracks["b"] = a, b
	for name, tr := range in.tracks {
		for i := int64(0); i < int64(periods*5); i++ {
			in.segs[name] = append(in.segs[name], tr.Segment(uint64(in.n0+i)*tr.SegmentTicks(), uint32(in.n0+i+1)))
		}
	}
	return in
}

func (in *input) path(track string) string { return fmt.Sprintf("/ingest/ch1/%s/1.cmfa", track) }
func (in *input) header(track string) string {
	return fmt.Sprintf("/ingest/ch1/%s/init.cmfa", track)
}

// TestCrashAnywhereLosesNoAcknowledgedSegment kills reapd with SIGKILL at
// random instants during ingest and finalization, restarts it, and checks
// that every acknowledged segment ends up in exactly one storage track file,
// byte for byte, with nothing left staged for finalized periods.
func TestCrashAnywhereLosesNoAcknowledgedSegment(t *testing.T) {
	dir := t.TempDir()
	store := "file://" + dir
	in := newInput(12)
	rng := rand.New(rand.NewPCG(1, 2))
	acked := map[string]map[int64]bool{"a": {}, "b": {}}
	next := map[string]int{"a": 0, "b": 0}
	kills, duringIngest := 0, 0
	for kills < 24 {
		p := startReapd(t, store, crashFlags...)
		deadline := time.Now().Add(time.Duration(rng.IntN(150)) * time.Millisecond)
		// Encoders: (re)send the header, then segments in order; a
		// segment without an answer is sent again after the restart.
		for _, name := range []string{"a", "b"} {
			p.post(in.header(name), in.tracks[name].Header())
		}
		for time.Now().Before(deadline) {
			name := []string{"a", "b"}[rng.IntN(2)]
			i := next[name]
			if i >= len(in.segs[name]) {
				break
			}
			if code := p.post(in.path(name), in.segs[name][i]); code == http.StatusOK {
				acked[name][in.n0+int64(i)] = true
				next[name]++
			}
			time.Sleep(time.Duration(2+rng.IntN(8)) * time.Millisecond)
		}
		if next["a"] < len(in.segs["a"]) || next["b"] < len(in.segs["b"]) {
			duringIngest++
		}
		p.kill()
		kills++
	}
	// A last run: send what is left, let the finalizer finish, stop.
	p := startReapd(t, store, crashFlags...)
	for _, name := range []string{"a", "b"} {
		if code := p.post(in.header(name), in.tracks[name].Header()); code != http.StatusOK {
			t.Fatalf("header: %d\n%s", code, p.logs)
		}
		for i := next[name]; i < len(in.segs[name]); i++ {
			if code := p.post(in.path(name), in.segs[name][i]); code != http.StatusOK {
				t.Fatalf("segment %s/%d: %d\n%s", name, i, code, p.logs)
			}
			acked[name][in.n0+int64(i)] = true
		}
	}
	st := openStore(t, store)
	ctx := context.Background()
	var left []string
	ok := poll(60*time.Second, func() bool {
		objs, err := st.List(ctx, "ch1/")
		if err != nil {
			return false
		}
		left = left[:0]
		for _, o := range objs {
			if strings.Contains(o.Key, "/live/") {
				left = append(left, o.Key)
			}
		}
		return len(left) == 0
	})
	if !ok {
		logs := p.logs.String()
		t.Fatalf("staged segments never finalized: %v\nlast logs:\n%s", left, logs[max(0, len(logs)-6000):])
	}
	// What survived the crashes plays back: a catch-up manifest of it.
	resp, err := http.Get(fmt.Sprintf("http://%s/catchup/ch1/manifest.mpd?start=%d&duration=60", p.addr, testEpoch))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Count(string(body), "<S ") == 0 {
		t.Errorf("catch-up after the crashes: %d %s", resp.StatusCode, body)
	}
	p.stop(t)

	count, refs, files := indexedSegments(t, st, "ch1")
	for name, ns := range acked {
		if len(ns) != len(in.segs[name]) {
			t.Fatalf("%s: only %d of %d segments acknowledged", name, len(ns), len(in.segs[name]))
		}
		for n := range ns {
			if c := count[name][n]; c != 1 {
				t.Errorf("%s n=%d is in %d track files, want exactly 1", name, n, c)
				continue
			}
			ref := refs[name][n]
			r, err := st.NewRangeReader(ctx, files[name][n], ref.Offset, ref.Size)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			got.ReadFrom(r)
			r.Close()
			if !bytes.Equal(got.Bytes(), in.segs[name][n-in.n0]) {
				t.Errorf("%s n=%d: bytes in %s differ from the segment acknowledged", name, n, files[name][n])
			}
		}
	}
	if _, err := st.Get(ctx, trackfile.ArchiveMPDKey("ch1")); err != nil {
		t.Errorf("no archive S-MPD: %v", err)
	}
	t.Logf("%d kills (%d during ingest, the others during finalizing or idle); %d track files", kills, duringIngest, countKeys(t, st, ".cmfa"))
	if duringIngest < 10 {
		t.Errorf("only %d kills landed during ingest", duringIngest)
	}
}

func countKeys(t *testing.T, st *blobstore.Store, suffix string) int {
	t.Helper()
	objs, err := st.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range objs {
		if strings.HasSuffix(o.Key, suffix) {
			n++
		}
	}
	return n
}
