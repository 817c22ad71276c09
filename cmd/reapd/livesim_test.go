package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/test/livesim"
	"github.com/reapd/reapd/test/mpdschema"
	"github.com/reapd/reapd/test/player/playertest"
	"github.com/reapd/reapd/test/staticsrv"
)

// livesim2, DASH-IF's reference CMAF-ingest source, as a real encoder: it
// pushes each profile below in real time into its own reapd (default
// settings, file:// store) through a recording proxy. After the push every
// segment it sent — counted at the proxy, as received — must be in exactly
// one storage track file, byte for byte except for its per-segment sidx, at
// its own time (tfdt; livesim2 stamps epoch times, so STS is 0); the archive
// S-MPD must validate against the DASH schema and play in dash.js and shaka
// from a static server that answers like a bucket with the README's CORS
// rule (no reapd in the path), from its first second to its last, decoding
// video.

// livesimPushSeconds is each push's duration: floor(20/D)+1 segments per
// track. The profiles run at once: about 25 s of pushing in all.
const livesimPushSeconds = 20

// livesimProfile is one kind of livesim2 output.
type livesimProfile struct {
	name     string
	url      string  // livesim2 URL: asset and URL options
	streams  bool    // PUT everything of a track to Streams({rep}.cmf[va])
	sessions int     // identical pushes to the channel at once (redundant encoders); 0 means 1
	rate     float64 // player playback rate; 0 means 16 (1080p decodes slower)
}

var livesimProfiles = []livesimProfile{
	// 640x360 AVC + AAC, 2 s, $Number$ paths: the plain CMAF-ingest form.
	{name: "testpic_2s", url: "/livesim2/testpic_2s/Manifest.mpd"},
	// The same, every object of a track PUT to Streams(V300.cmfv).
	{name: "testpic_2s_streams", url: "/livesim2/testpic_2s/Manifest.mpd", streams: true},
	// Low delay: six AVC ladders up to 1080p and two AAC tracks, each
	// segment one chunked PUT of 0.5 s CMAF chunks sent as they are made
	// (availabilityTimeOffset 1.5 s). Its LD_ tracks carry lmsg in every
	// fourth segment (the VoD asset's last one), not only in the last.
	{name: "testpic_2s_low_delay_chunked", url: "/livesim2/ato_1.5/chunkdur_0.5/testpic_2s_low_delay/Manifest.mpd", rate: 4},
	// 8 s segments (a per-segment sidx, an edit list in the headers).
	{name: "testpic_8s", url: "/livesim2/testpic_8s/Manifest.mpd"},
	// 1080p AVC at 29.97 fps + AC-4, D = 2.002 s, nested track paths
	// (video/avc1/init.cmfv, audio/en/ac-4/1/…), segments without styp.
	{name: "dolby-ac4_2997fps", url: "/livesim2/dolby-ac4/2997fps/Living_Room_1080p_51_192k_2997fps.mpd", rate: 4},
	// Segments alternating 8 s and 4 s (SegmentTimeline, $Time$ paths).
	{name: "alternating_8s_4s", url: "/livesim2/segtimeline_1/testpic_alt_seg_dur_stl/Manifest.mpd"},
	// Two encoders pushing the same channel at once (REaP redundancy).
	{name: "redundant_testpic_2s", url: "/livesim2/testpic_2s/Manifest.mpd", sessions: 2},
}

func TestLivesim2ToReapd(t *testing.T) {
	ls := livesim.Start(t)
	for _, prof := range livesimProfiles {
		t.Run(prof.name, func(t *testing.T) {
			t.Parallel()
			runLivesim(t, ls, prof)
		})
	}
}

func runLivesim(t *testing.T, ls *livesim.Server, prof livesimProfile) {
	dir := t.TempDir()
	store := "file://" + dir
	p := startReapd(t, store)
	rec := newRecordingProxy(t, p.addr)
	// Registered after the proxy, so run before its Close: a reapd that
	// hangs a request would otherwise keep Close waiting for ever.
	t.Cleanup(p.kill)

	sessions := max(prof.sessions, 1)
	pushes := make([]*livesim.Push, sessions)
	for i := range pushes {
		pushes[i] = ls.Push(t, livesim.PushOptions{DestRoot: rec.srv.URL + "/ingest", DestName: "ch1",
			URL: prof.url, Duration: livesimPushSeconds, StreamsURLs: prof.streams})
	}
	logged := 0
	for _, push := range pushes {
		res := waitPush(t, push, rec, p)
		logged += len(res.Segments)
		if len(res.Problems) > 0 {
			t.Errorf("livesim2 push %s reported problems:\n%s\nreport: %s", push.ID, strings.Join(res.Problems, "\n"), res.Report)
		}
	}
	rec.settle()
	if refused := rec.notAcked(); len(refused) > 0 {
		t.Errorf("reapd did not acknowledge %d requests:\n%s\n%s", len(refused), strings.Join(refused, "\n"), tailLogs(p))
	}
	sent := sentSegments(t, rec.acked())
	if len(sent.all) != logged {
		t.Errorf("livesim2 logged %d media segments, reapd acknowledged %d", logged, len(sent.all))
	}
	if len(sent.distinct) == 0 {
		t.Fatalf("no media segment acknowledged\n%s", tailLogs(p))
	}
	t.Logf("%d sessions sent %d media segments (%d distinct) of %d tracks, %d bytes",
		sessions, len(sent.all), len(sent.distinct), len(sent.reps), sent.bytes)

	st := openStore(t, store)
	finalized := func() bool {
		n, ok := indexedCount(t, st, "ch1")
		return ok && n >= len(sent.distinct) && exists(filepath.Join(dir, "ch1", "archive.mpd"))
	}
	if !poll(90*time.Second, finalized) {
		n, _ := indexedCount(t, st, "ch1")
		t.Fatalf("not finalized within 90 s of the push's end: %d of %d segments in period indexes, archive.mpd there: %v\n%s",
			n, len(sent.distinct), exists(filepath.Join(dir, "ch1", "archive.mpd")), tailLogs(p))
	}
	arch := archivedWithTimes(t, st, "ch1")
	checkArchived(t, sent, arch)

	mpd, err := os.ReadFile(filepath.Join(dir, "ch1", "archive.mpd"))
	if err != nil {
		t.Fatal(err)
	}
	mpdschema.Validate(t, mpd)
	playArchive(t, staticsrv.Start(t, dir).URL+"/ch1/archive.mpd", arch, prof)
	p.stop(t)
}

// waitPush waits for a push to end; when it does not end well, it fails
// the test with what reapd answered, what it has not answered, and its
// logs.
func waitPush(t *testing.T, push *livesim.Push, rec *recordingProxy, p *proc) livesim.PushResult {
	t.Helper()
	res, err := push.Finish(livesimPushSeconds*time.Second + 90*time.Second)
	if err != nil {
		t.Fatalf("livesim2: %v\nreapd's refusals: %q\nrequests reapd has not answered: %q\nreapd:\n%s",
			err, rec.notAcked(), rec.inFlight(), tailLogs(p))
	}
	return res
}

// playArchive plays the archive S-MPD in dash.js and shaka from its first
// video second to its last, decoding video, starting at its first frame.
func playArchive(t *testing.T, url string, arch []archivedSeg, prof livesimProfile) {
	t.Helper()
	first, last, ok := videoSpan(arch)
	if !ok {
		t.Errorf("no video track archived: nothing to play")
		return
	}
	span := last - first
	for _, player := range []string{playertest.DashJS, playertest.Shaka} {
		opts := playertest.Options{MinSeconds: span - 1, Timeout: 2 * time.Minute, ExpectStart: &first,
			StartTolerance: 0.05, Video: playertest.VideoRequired, Rate: prof.rate}
		if res := playertest.Play(t, player, url, opts); !res.OK {
			t.Errorf("%s does not play %s (%.3f s of video from %.3f) from the static server: %v", player, url, span, first, res)
		}
	}
}

// videoSpan returns the first and last instant (epoch seconds) of the
// archived video track with the most segments.
func videoSpan(arch []archivedSeg) (first, last float64, ok bool) {
	count := map[string]int{}
	for _, a := range arch {
		if a.handler == "vide" {
			count[a.track]++
		}
	}
	best := ""
	for tr, n := range count {
		if n > count[best] || (n == count[best] && tr < best) {
			best = tr
		}
	}
	if best == "" {
		return 0, 0, false
	}
	first, last = math.Inf(1), math.Inf(-1)
	for _, a := range arch {
		if a.track == best {
			first = min(first, float64(a.time)/float64(a.timescale))
			last = max(last, float64(a.time+a.duration)/float64(a.timescale))
		}
	}
	return first, last, true
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// String makes a sent segment readable in failures.
func (s sentSeg) String() string {
	return fmt.Sprintf("%s #%d (tfdt %d, %d bytes)", s.rep, s.seq, s.tfdt, len(s.body))
}

