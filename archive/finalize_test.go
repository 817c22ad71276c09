package archive

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// clock is a settable wall clock for tests.
type clock struct{ ns atomic.Int64 }

func newClock(unix int64) *clock { c := &clock{}; c.ns.Store(unix * 1e9); return c }
func (c *clock) now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(unix int64)  { c.ns.Store(unix * 1e9) }

// A 10 s storage period of five 2 s segments; n0 starts a period.
const periodN = 5

var k0 = int64(n0 / periodN)

func finalizeRig(t *testing.T, clk *clock) *rig {
	t.Helper()
	return newRig(t, finalizeOpts(clk), nil)
}

// finalizeOpts are the options of finalizeRig.
func finalizeOpts(clk *clock) *Options {
	return &Options{Now: clk.now, Defaults: ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 10 * time.Second}}
}

// checkTrackFile reads a storage track file of tr and checks its sidx
// against the segments it should hold (normalized: sidx-free here).
func checkTrackFile(t *testing.T, r *rig, key string, segs [][]byte, firstN int64) {
	t.Helper()
	checkTrackFileOf(t, r, tr, key, segs, firstN)
}

// checkTrackFileOf is checkTrackFile for a track file of track tr.
func checkTrackFileOf(t *testing.T, r *rig, tr trackfiletest.Track, key string, segs [][]byte, firstN int64) {
	t.Helper()
	raw, err := r.store.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("track file %s: %v (store has %v)", key, err, r.keys())
	}
	f, err := mp4.DecodeFile(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: mp4ff cannot decode: %v", key, err)
	}
	if len(f.Segments) != len(segs) {
		t.Errorf("%s: %d segments, want %d", key, len(f.Segments), len(segs))
	}
	head, err := trackfile.ReadHead(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(head.Segments) != len(segs) {
		t.Fatalf("%s: sidx has %d references, want %d", key, len(head.Segments), len(segs))
	}
	var sum int64
	for i, ref := range head.Segments {
		sum += ref.Size
		if want := uint64(firstN+int64(i)) * tr.SegmentTicks(); ref.Time != want {
			t.Errorf("%s: reference %d time %d, want tfdt %d", key, i, ref.Time, want)
		}
	}
	if sum != int64(len(raw))-head.Layout.Index.End {
		t.Errorf("%s: sidx sizes sum to %d, file has %d bytes after the sidx", key, sum, int64(len(raw))-head.Layout.Index.End)
	}
	if media := raw[head.Layout.Index.End:]; !bytes.Equal(media, bytes.Join(segs, nil)) {
		t.Errorf("%s: media after the sidx is not the segments as ingested", key)
	}
	if !bytes.Equal(raw[:head.Layout.Init.End], tr.Header()) {
		t.Errorf("%s: does not start with the CMAF header as received", key)
	}
}

func TestFinalizeCompletePeriodAsSoonAsComplete(t *testing.T) {
	clk := newClock(testEpoch)
	r := finalizeRig(t, clk)
	sendHeader(r)
	var segs [][]byte
	for i := int64(0); i < periodN; i++ {
		b := segAt(n0 + i)
		segs = append(segs, b)
		r.mustSend("POST", fmt.Sprintf("/ingest/ch1/a/%d.cmfa", i), b)
		if i < periodN-1 {
			r.a.FinalizeDue(context.Background())
			if _, err := r.store.Stat(context.Background(), fmt.Sprintf("ch1/a/%d.cmfa", k0)); err == nil {
				t.Fatalf("finalized after %d of %d segments", i+1, periodN)
			}
		}
	}
	r.a.FinalizeDue(context.Background()) // complete: due before the period even ended
	checkTrackFile(t, r, fmt.Sprintf("ch1/a/%d.cmfa", k0), segs, n0)
	if left := r.staged("ch1", "a"); len(left) != 0 {
		t.Errorf("staged segments left after finalizing: %d", len(left))
	}
	idx := readIndex(t, r, trackfile.IndexKey("ch1", k0, ""))
	if len(idx.Runs) != 1 || idx.Runs[0].End != trackfile.EndComplete || idx.Runs[0].Count() != periodN {
		t.Errorf("index runs %+v", idx.Runs)
	}
	mpd, err := r.store.Get(context.Background(), "ch1/archive.mpd")
	if err != nil || !strings.Contains(string(mpd), fmt.Sprintf("a/%d.cmfa", k0)) {
		t.Errorf("archive S-MPD missing or without the track file: %v\n%s", err, mpd)
	}
	// A copy arriving after finalizing is a duplicate: nothing staged.
	r.mustSend("POST", "/ingest/ch1/a/0.cmfa", segs[0])
	if left := r.staged("ch1", "a"); len(left) != 0 {
		t.Errorf("a duplicate of a finalized segment was staged")
	}
}

func readIndex(t *testing.T, r *rig, key string) *trackfile.PeriodIndex {
	t.Helper()
	raw, err := r.store.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("index %s: %v (store has %v)", key, err, r.keys())
	}
	idx, err := trackfile.UnmarshalIndex(raw)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestFinalizeSplitsRunsAtGapMissHeaderChangeAndLateSegments(t *testing.T) {
	clk := newClock(testEpoch)
	r := finalizeRig(t, clk)
	sendHeader(r)
	s := map[int64][]byte{}
	for _, i := range []int64{0, 1, 3} {
		s[i] = segAt(n0 + i)
		r.mustSend("POST", "/ingest/ch1/a/1.cmfa", s[i])
	}
	r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segAt(n0+4, "msdh", "miss"))
	// Next period: a header change after its first segment.
	s[5] = segAt(n0 + 5)
	r.mustSend("POST", "/ingest/ch1/a/1.cmfa", s[5])
	other := trackfiletest.Default // another encoder configuration: another header
	other.Timescale, other.SampleDur = 96000, 1920
	r.mustSend("POST", "/ingest/ch1/a/init.cmfa", other.Header())
	s6 := other.Segment(uint64(n0+6)*other.SegmentTicks(), 7)
	r.mustSend("POST", "/ingest/ch1/a/1.cmfa", s6)

	clk.set(testEpoch + 30) // both periods are past end + 3·D
	r.a.FinalizeDue(context.Background())
	checkTrackFile(t, r, fmt.Sprintf("ch1/a/%d-%d.cmfa", k0, n0), [][]byte{s[0], s[1]}, n0)
	checkTrackFile(t, r, fmt.Sprintf("ch1/a/%d-%d.cmfa", k0, n0+3), [][]byte{s[3]}, n0+3)
	idx := readIndex(t, r, trackfile.IndexKey("ch1", k0, ""))
	ends := map[int64]string{}
	for _, run := range idx.Runs {
		ends[run.FirstN] = run.End
	}
	if ends[n0] != trackfile.EndGap || ends[n0+3] != trackfile.EndMiss {
		t.Errorf("run ends %v, want gap after n0 and miss after n0+3", ends)
	}
	idx1 := readIndex(t, r, trackfile.IndexKey("ch1", k0+1, ""))
	if len(idx1.Runs) != 2 || idx1.Runs[0].End != trackfile.EndHeader || idx1.Runs[0].HeaderKey == idx1.Runs[1].HeaderKey {
		t.Errorf("header change: runs %+v", idx1.Runs)
	}
	// A late segment of the finalized period becomes an extra part.
	sendHeader(r)
	s[2] = segAt(n0 + 2)
	r.mustSend("POST", "/ingest/ch1/a/1.cmfa", s[2])
	r.a.FinalizeDue(context.Background())
	checkTrackFile(t, r, fmt.Sprintf("ch1/a/%d-%d.cmfa", k0, n0+2), [][]byte{s[2]}, n0+2)
	objs, _ := r.store.List(context.Background(), fmt.Sprintf("ch1/index/%d", k0))
	if len(objs) != 2 {
		t.Errorf("want the first index and one addition for the late part, have %v", r.keys())
	}
	if left := r.staged("ch1", "a"); len(left) != 0 {
		t.Errorf("staged left: %v", r.keys())
	}
	mpd, _ := r.store.Get(context.Background(), "ch1/archive.mpd")
	if c := strings.Count(string(mpd), "<Period"); c < 4 {
		t.Errorf("archive S-MPD has %d Periods, want at least 4 (runs split by gap, miss, header change)", c)
	}
}

func TestFinalizerResumesFromTheStoreAlone(t *testing.T) {
	clk := newClock(testEpoch)
	r := finalizeRig(t, clk)
	sendHeader(r)
	var segs [][]byte
	for i := int64(0); i < 3; i++ {
		segs = append(segs, segAt(n0+i))
		r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segs[i])
	}
	// A new archiver on the same store, knowing nothing, finishes the job.
	clk.set(testEpoch + 60)
	b := New(r.store, &Options{Now: clk.now, Defaults: ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 10 * time.Second}})
	if err := b.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.FinalizeDue(context.Background())
	checkTrackFile(t, r, fmt.Sprintf("ch1/a/%d.cmfa", k0), segs, n0)
	if code, _ := r.send("POST", "/ingest/ch1/a/1.cmfa", segAt(n0+3)); code != http.StatusOK {
		t.Errorf("ingest after resume: %d", code)
	}
}

// TestMarkersOutlivingTheirSegmentsAreFinalized: a crash while finalizing
// deleted a period's staged copies but not its header-use markers, and
// another between staging a marker and its segment (the encoder never came
// back); an archiver that restarts from the store deletes both markers
// without indexing anything for them.
func TestMarkersOutlivingTheirSegmentsAreFinalized(t *testing.T) {
	ctx := context.Background()
	clk := newClock(testEpoch)
	r := finalizeRig(t, clk)
	sendHeader(r)
	var segs [][]byte
	for i := int64(0); i < periodN; i++ {
		segs = append(segs, segAt(n0+i))
		r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segs[i])
	}
	live := func() []string {
		objs, err := r.store.List(ctx, "ch1/a/live/")
		if err != nil {
			t.Fatal(err)
		}
		return keysOf(objs)
	}
	var marks []string
	for _, k := range live() {
		if strings.HasSuffix(k, ".hdr") {
			marks = append(marks, k)
		}
	}
	if len(marks) == 0 {
		t.Fatalf("no header-use marker staged: %v", live())
	}
	r.a.FinalizeDue(ctx)
	if left := live(); len(left) != 0 {
		t.Fatalf("staged after finalizing: %v", left)
	}
	_, hash, _ := trackfile.ParseHeaderUseKey(path.Base(marks[0]))
	orphan := trackfile.HeaderUseKey("ch1", "a", uint64(n0+periodN)*tr.SegmentTicks(), hash)
	for _, k := range append(marks, orphan) {
		if err := r.store.Create(ctx, k, nil); err != nil {
			t.Fatal(err)
		}
	}
	clk.set(testEpoch + 60)
	b := New(r.store, finalizeOpts(clk))
	if err := b.Rescan(ctx); err != nil {
		t.Fatal(err)
	}
	b.FinalizeDue(ctx)
	if left := live(); len(left) != 0 {
		t.Errorf("markers left staged after a restart: %v", left)
	}
	checkTrackFile(t, r, fmt.Sprintf("ch1/a/%d.cmfa", k0), segs, n0)
	if idx := readIndex(t, r, trackfile.IndexKey("ch1", k0, "")); len(idx.Runs) != 1 {
		t.Errorf("period %d has %d runs after the markers went, want 1", k0, len(idx.Runs))
	}
	if objs, _ := r.store.List(ctx, fmt.Sprintf("ch1/index/%d", k0+1)); len(objs) != 0 {
		t.Errorf("an index for a period that only had a marker: %v", keysOf(objs))
	}
}

func TestFinalizeClaimKeepsASecondArchiverOffUntilStale(t *testing.T) {
	clk := newClock(testEpoch + 60)
	r := finalizeRig(t, clk)
	sendHeader(r)
	for i := int64(0); i < 3; i++ {
		r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segAt(n0+i))
	}
	// Another archiver holds a fresh claim on the period.
	other := fmt.Sprintf(`{"by":"other","at":%q}`, clk.now().UTC().Format(time.RFC3339Nano))
	if err := r.store.Create(context.Background(), claimKey("ch1", k0), []byte(other)); err != nil {
		t.Fatal(err)
	}
	r.a.FinalizeDue(context.Background())
	if len(r.staged("ch1", "a")) != 3 {
		t.Fatalf("finalized despite a fresh claim of another archiver")
	}
	clk.set(testEpoch + 60 + 600) // the claim is stale: its holder died
	r.a.FinalizeDue(context.Background())
	if n := len(r.staged("ch1", "a")); n != 0 {
		t.Fatalf("stale claim not taken over: %d staged left", n)
	}
	if _, err := r.store.Get(context.Background(), claimKey("ch1", k0)); err == nil {
		t.Errorf("claim not released after finalizing")
	}
}

// An archiver killed before the segments taught it D: the next one learns
// D from what is staged (rescan), and the segments reach a track file.
func TestRestartBeforeDIsLearned(t *testing.T) {
	clk := newClock(testEpoch)
	opts := &Options{Now: clk.now, Defaults: ChannelConfig{StoragePeriod: 10 * time.Second}}
	r := newRig(t, opts, nil)
	sendHeader(r)
	var segs [][]byte
	for i := int64(0); i < 3; i++ { // not REaP-numbered; the first is never evidence: two are not enough
		segs = append(segs, tr.Segment(uint64(n0+i)*tr.SegmentTicks(), uint32(i+1)))
		r.mustSend("POST", "/ingest/ch1/a/1.cmfa", segs[i])
	}
	if _, err := r.store.Get(context.Background(), trackfile.StateKey("ch1", "grid")); err == nil {
		t.Fatal("D decided from two segments after the first")
	}
	clk.set(testEpoch + 30)
	b := New(r.store, &Options{Now: clk.now, Defaults: opts.Defaults})
	if err := b.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.FinalizeDue(context.Background())
	if _, err := r.store.Get(context.Background(), trackfile.TimingKey("ch1")); err == nil {
		t.Fatal("D decided before the fallback delay")
	}
	clk.set(testEpoch + 30 + int64(fallbackAfter/time.Second))
	b.FinalizeDue(context.Background())
	b.FinalizeDue(context.Background()) // the grid is settled first, the period then due
	checkTrackFile(t, r, fmt.Sprintf("ch1/a/%d.cmfa", k0), segs, n0)
}
