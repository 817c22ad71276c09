package recording

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// The test archive: D = 2 s, storage periods of 10 segments (20 s), on
// the REaP grid from t0.
const (
	testCh = "ch1"
	segD   = 2
	perN   = 10
)

var t0 = time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC) // a period boundary: 20 s divides a whole minute

func memStore(t testing.TB) *blobstore.Store {
	t.Helper()
	s, err := blobstore.Open(context.Background(), "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var (
	video = trackfile.TrackInfo{TrackID: 1, Handler: "vide", Ext: "cmfv", Timescale: 90000, Codecs: "avc1.64001f", Width: 640, Height: 360}
	audio = trackfile.TrackInfo{TrackID: 1, Handler: "soun", Ext: "cmfa", Timescale: 48000, Codecs: "mp4a.40.2", SampleRate: 48000, Channels: 2}
)

// run builds the run of track over segments [n0, n1) of the grid.
func run(track string, info trackfile.TrackInfo, n0, n1 int64) trackfile.Run {
	ts := uint64(info.Timescale)
	var segs []trackfile.SegmentInfo
	for n := n0; n < n1; n++ {
		t := uint64(n) * segD * ts
		segs = append(segs, trackfile.SegmentInfo{N: n, Time: t, EPT: t, Duration: segD * ts, Size: 10000 + n%7, StartsWithSAP: true, SAPType: 1})
	}
	r := trackfile.NewRun(track, info, segs, trackfile.HeadLayout{Init: trackfile.ByteRange{Start: 0, End: 700},
		Index: trackfile.ByteRange{Start: 700, End: 744 + 12*(n1-n0)}})
	k := n0 / perN
	part := int64(-1)
	if n0 != k*perN {
		part = n0
	}
	r.Key = trackfile.TrackFileKey(testCh, track, k, part, info.Ext)
	r.HeaderKey = trackfile.HeaderKey(testCh, track, "aaaaaaaaaaaa", info.Ext)
	r.End = trackfile.EndComplete
	return r
}

// slot returns the grid slot at t0 + s seconds.
func slot(s int) int64 { return (t0.Unix() + int64(s)) / segD }

// putPeriod indexes period k (the one holding t0 + sec) with full runs of
// video and audio, except the video slots in skip.
func putPeriod(t testing.TB, s *blobstore.Store, sec int, skipVideo ...int64) {
	t.Helper()
	k := slot(sec) / perN
	n0, n1 := k*perN, (k+1)*perN
	var runs []trackfile.Run
	start := n0
	for _, n := range append(skipVideo, n1) {
		if n > start {
			runs = append(runs, run("video", video, start, n))
		}
		start = n + 1
	}
	runs = append(runs, run("audio", audio, n0, n1))
	idx := &trackfile.PeriodIndex{Channel: testCh, Period: k, SegmentDuration: trackfile.Rational{Num: segD, Den: 1},
		PeriodSegments: perN, Runs: runs}
	raw, err := trackfile.MarshalIndex(idx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(context.Background(), trackfile.IndexKey(testCh, k, ""), raw); err != nil {
		t.Fatal(err)
	}
}

// putIngest stores an I-MPD received at t0.
func putIngest(t testing.TB, s *blobstore.Store) {
	t.Helper()
	mpd := fmt.Sprintf(`<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
  <Period id="0" start="PT0S">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4"><Label>Camera %d</Label>
      <SegmentTemplate timescale="90000" duration="180000" initialization="$RepresentationID$/init.m4s" media="$RepresentationID$/$Number$.m4s"/>
      <Representation id="video" codecs="avc1.64001f" bandwidth="800000" width="640" height="360"/>
    </AdaptationSet>
    <AdaptationSet id="2" contentType="audio" mimeType="audio/mp4" lang="en">
      <SegmentTemplate timescale="48000" duration="96000" initialization="$RepresentationID$/init.m4s" media="$RepresentationID$/$Number$.m4s"/>
      <Representation id="audio" codecs="mp4a.40.2" bandwidth="128000"/>
    </AdaptationSet>
  </Period>
</MPD>
`, 1)
	if err := s.Create(context.Background(), trackfile.IngestMPDKey(testCh, t0.UnixMilli()), []byte(mpd)); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
