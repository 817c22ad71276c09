package main

import (
	"cmp"
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
// pushes each profile below in real time into its own reapd (file:// store,
// D learnt from the stream, mostly short storage periods so that the
// archive is complete soon after the push) through a recording proxy. After the push every
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
	// period is --storage-period: a few segments, so that the push ends in
	// its third period or so. The first period, which the push joins
	// midway, is finalized at its end plus --finalize-delay; the last at
	// the lmsg that ends the push. "": reapd's defaults.
	period string
	// players are the players that must play the archive; nil: dash.js
	// and shaka.
	players []string
	// startTolerance is how far the first frame shown may be from the
	// first frame sent; 0 means 0.1 s (three frames at 30 fps: a loaded
	// compositor may skip showing the first ones at a high rate).
	startTolerance float64
	// phase, when set, starts the push only when the wall clock is in it
	// (for content whose first segment depends on the start time).
	phase *clockPhase
}

// clockPhase is a window [from, to) of epoch seconds modulo cycle.
type clockPhase struct{ cycle, from, to float64 }

// wait blocks until the wall clock is in the window: a start at a chosen
// instant, not a wait for something to happen.
func (c *clockPhase) wait() {
	now := float64(time.Now().UnixNano()) / 1e9
	at := math.Mod(now, c.cycle)
	if at >= c.from && at < c.to {
		return
	}
	ahead := math.Mod(c.from-at+c.cycle, c.cycle)
	time.Sleep(time.Duration(ahead * float64(time.Second)))
}

var livesimProfiles = []livesimProfile{
	// 640x360 AVC + AAC, 2 s, $Number$ paths: the plain CMAF-ingest form.
	{name: "testpic_2s", url: "/livesim2/testpic_2s/Manifest.mpd", period: "10s"},
	// The same, every object of a track PUT to Streams(V300.cmfv).
	{name: "testpic_2s_streams", url: "/livesim2/testpic_2s/Manifest.mpd", streams: true, period: "10s"},
	// Low delay: six AVC ladders up to 1080p and two AAC tracks, each
	// segment one chunked PUT of 0.5 s CMAF chunks sent as they are made
	// (availabilityTimeOffset 1.5 s). Its LD_ tracks carry lmsg in every
	// fourth segment (the VoD asset's last one), not only in the last.
	{name: "testpic_2s_low_delay_chunked", url: "/livesim2/ato_1.5/chunkdur_0.5/testpic_2s_low_delay/Manifest.mpd", rate: 4, period: "10s"},
	// 8 s segments (a per-segment sidx, an edit list in the headers).
	{name: "testpic_8s", url: "/livesim2/testpic_8s/Manifest.mpd", period: "16s"},
	// 1080p AVC at 29.97 fps + AC-4, D = 2.002 s, nested track paths
	// (video/avc1/init.cmfv, audio/en/ac-4/1/…), segments without styp.
	// Chromium has no AC-4 decoder: shaka refuses a presentation whose
	// only audio it cannot decode (error 4032, content unsupported by the
	// browser), dash.js plays its video.
	{name: "dolby-ac4_2997fps", url: "/livesim2/dolby-ac4/2997fps/Living_Room_1080p_51_192k_2997fps.mpd", rate: 4, period: "10.01s",
		// 1080p at 29.97 fps on a busy machine: dash.js may show the first
		// frame or one up to four frames after it (0.134 s in a CI run);
		// a start a segment (2.002 s) off still fails.
		players: []string{playertest.DashJS}, startTolerance: 0.2},
	// Segments alternating 4 s and 8 s (SegmentTimeline, $Time$ paths):
	// the 4 s ones start at epoch seconds ≡ 0 (mod 12), the 8 s ones at 4.
	// A push sends first the segment in progress when it starts: once an
	// 8 s one that starts at ≡ 4 (mod 24) — a grid of D = 8 s from the
	// epoch, taken from it, puts the third segment in the slot of the
	// second — and once a 4 s one. 24 s is a whole multiple of whichever
	// of 4, 6 and 8 s D is taken for.
	{name: "alternating_8s_first", url: "/livesim2/segtimeline_1/testpic_alt_seg_dur_stl/Manifest.mpd", period: "24s",
		phase: &clockPhase{cycle: 24, from: 5, to: 10}},
	{name: "alternating_4s_first", url: "/livesim2/segtimeline_1/testpic_alt_seg_dur_stl/Manifest.mpd", period: "24s",
		phase: &clockPhase{cycle: 24, from: 12.5, to: 15}},
	// reapd's defaults (1 h storage periods): the period the push joined
	// midway is finalized at the lmsg that ends every track (design
	// section 4: "or at lmsg").
	{name: "testpic_2s_default_settings", url: "/livesim2/testpic_2s/Manifest.mpd"},
	// Two encoders pushing the same channel at once (REaP redundancy).
	{name: "redundant_testpic_2s", url: "/livesim2/testpic_2s/Manifest.mpd", sessions: 2, period: "10s"},
}

// TestLivesim2ToReapd starts every profile's reapd and push at once (the
// pushes take real time), then checks the profiles one after the other
// (the players run one at a time anyway). Parallel subtests would not do:
// go test runs only GOMAXPROCS of them at once.
func TestLivesim2ToReapd(t *testing.T) {
	ls := livesim.Start(t)
	runs := make([]*livesimRun, len(livesimProfiles))
	for i, prof := range livesimProfiles {
		runs[i] = startLivesimRun(t, ls, prof)
	}
	for _, r := range runs {
		t.Run(r.prof.name, r.check)
	}
}

// livesimRun is one profile's reapd, recording proxy and pushes.
type livesimRun struct {
	prof    livesimProfile
	dir     string
	p       *proc
	rec     *recordingProxy
	started chan struct{} // closed once the pushes are started (or failed to)
	pushes  []*livesim.Push
	err     error
}

// startLivesimRun starts reapd and the proxy, and the pushes in the
// background (a profile with a phase waits for it).
func startLivesimRun(t *testing.T, ls *livesim.Server, prof livesimProfile) *livesimRun {
	r := &livesimRun{prof: prof, dir: t.TempDir(), started: make(chan struct{})}
	var flags []string
	if prof.period != "" {
		flags = []string{"--storage-period", prof.period, "--finalize-delay", "2s"}
	}
	r.p = startReapd(t, "file://"+r.dir, flags...)
	r.rec = newRecordingProxy(t, r.p.addr)
	// Registered after the proxy, so run before its Close: a reapd that
	// hangs a request would otherwise keep Close waiting for ever.
	t.Cleanup(r.p.kill)
	go func() {
		defer close(r.started)
		if prof.phase != nil {
			prof.phase.wait()
		}
		for range max(prof.sessions, 1) {
			push, err := ls.StartPush(livesim.PushOptions{DestRoot: r.rec.srv.URL + "/ingest", DestName: "ch1",
				URL: prof.url, Duration: livesimPushSeconds, StreamsURLs: prof.streams})
			if err != nil {
				r.err = err
				return
			}
			r.pushes = append(r.pushes, push)
		}
	}()
	t.Cleanup(func() {
		<-r.started
		for _, push := range r.pushes {
			push.Cancel()
		}
	})
	return r
}

// livesimDeadline bounds a push and its finalizing, from the push's start.
const livesimDeadline = livesimPushSeconds*time.Second + 90*time.Second

func (r *livesimRun) check(t *testing.T) {
	<-r.started
	if r.err != nil {
		t.Fatalf("livesim2: %v", r.err)
	}
	prof, p, rec, dir := r.prof, r.p, r.rec, r.dir
	store := "file://" + dir
	sessions := len(r.pushes)
	pushes := r.pushes
	logged := 0
	for _, push := range pushes {
		res := waitPush(t, push, rec, p)
		logged += len(res.Segments)
		if probs := receiverProblems(res.Problems); len(probs) > 0 {
			t.Errorf("livesim2 push %s reported problems:\n%s\nreport: %s", push.ID, strings.Join(probs, "\n"), res.Report)
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

	// Finalized: nothing staged is left and the S-MPD is published. The
	// last period ends with the lmsg of every track; the earlier ones end
	// by the clock (their end plus --finalize-delay).
	st := openStore(t, store)
	finalized := func() bool {
		left, err := stagedLeft(st, "ch1")
		n, ok := indexedCount(t, st, "ch1")
		return err == nil && len(left) == 0 && ok && n > 0 && exists(filepath.Join(dir, "ch1", "archive.mpd"))
	}
	if !poll(max(time.Until(pushes[0].Started.Add(livesimDeadline)), time.Second), finalized) {
		n, _ := indexedCount(t, st, "ch1")
		left, _ := stagedLeft(st, "ch1")
		t.Fatalf("not finalized %v after the push's start: %d of %d segments in period indexes, staged: %q, archive.mpd there: %v\n%s",
			livesimDeadline, n, len(sent.distinct), left, exists(filepath.Join(dir, "ch1", "archive.mpd")), tailLogs(p))
	}
	arch := archivedWithTimes(t, st, "ch1")
	checkArchived(t, sent, arch)

	mpd, err := os.ReadFile(filepath.Join(dir, "ch1", "archive.mpd"))
	if err != nil {
		t.Fatal(err)
	}
	mpdschema.Validate(t, mpd)
	playArchive(t, staticsrv.Start(t, dir).URL+"/ch1/archive.mpd", sent, prof)
	p.stop(t)
}

// waitPush waits for a push to end; when it does not end well, it fails
// the test with what reapd answered, what it has not answered, and its
// logs.
func waitPush(t *testing.T, push *livesim.Push, rec *recordingProxy, p *proc) livesim.PushResult {
	t.Helper()
	res, err := push.Finish(livesimDeadline)
	if err != nil {
		t.Fatalf("livesim2: %v\nreapd's refusals: %q\nrequests reapd has not answered: %q\nreapd:\n%s",
			err, rec.notAcked(), rec.inFlight(), tailLogs(p))
	}
	return res
}

// playArchive plays the archive S-MPD in dash.js and shaka from the first
// frame the encoder sent to its last second, decoding video.
func playArchive(t *testing.T, url string, s sent, prof livesimProfile) {
	t.Helper()
	first, last, ok := videoSpan(s)
	if !ok {
		t.Errorf("no video track sent: nothing to play")
		return
	}
	span := last - first
	players := prof.players
	if players == nil {
		players = []string{playertest.DashJS, playertest.Shaka}
	}
	for _, player := range players {
		opts := playertest.Options{MinSeconds: span - 1, Timeout: 2 * time.Minute, ExpectStart: &first,
			StartTolerance: cmp.Or(prof.startTolerance, 0.1), Video: playertest.VideoRequired, Rate: prof.rate}
		res := playertest.PlayPatiently(t, player, url, opts)
		if !res.OK {
			t.Errorf("%s does not play %s (%.3f s of video from %.3f) from the static server: %v", player, url, span, first, res)
		}
	}
}

// videoSpan returns the first and last instant (epoch seconds) of the sent
// video track with the most segments: the earliest presentation time of
// its first segment (its first frame, after the composition offset of any
// B-frames) and the end of its last.
func videoSpan(s sent) (first, last float64, ok bool) {
	count := map[string]int{}
	for _, seg := range s.distinct {
		if seg.video {
			count[seg.rep]++
		}
	}
	best := ""
	for _, rep := range sortedKeys(count) {
		if count[rep] > count[best] {
			best = rep
		}
	}
	if best == "" {
		return 0, 0, false
	}
	first, last = math.Inf(1), math.Inf(-1)
	for _, seg := range s.distinct {
		if seg.rep == best {
			first = min(first, float64(seg.ept)/float64(seg.timescale))
			last = max(last, float64(seg.tfdt+seg.dur)/float64(seg.timescale))
		}
	}
	return first, last, true
}

// receiverProblems drops from livesim2's problems those about itself: on a
// busy machine it wakes up late for a segment ("Segment availability time
// in the past"), sends it at once and catches up.
func receiverProblems(probs []string) []string {
	var out []string
	for _, p := range probs {
		if !strings.Contains(p, "availability time in the past") {
			out = append(out, p)
		}
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// String makes a sent segment readable in failures.
func (s sentSeg) String() string {
	return fmt.Sprintf("%s #%d (tfdt %d, %d bytes)", s.rep, s.seq, s.tfdt, len(s.body))
}
