package archive

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/test/statuswriter"
	"github.com/reapd/reapd/trackfile"
)

// These tests drive the archiver with real ffmpeg (Debian's, installed by
// scripts/install-test-deps.sh) in both forms of toolchain.md, record every
// request body ffmpeg sent, and check that each media segment is staged
// once, under the right n, byte for byte.

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is required: run `make test-deps` (apt-get install ffmpeg)")
	}
}

// recorder tees every ingest request body before the archiver sees it.
type recorder struct {
	mu     sync.Mutex
	bodies map[string][][]byte // path → bodies answered 200, in order
}

// wrap records the bodies that h answered 200: ffmpeg exits without
// waiting for its last answers, and a body it cut short (refused, as it
// must be) is not one it sent.
func (rec *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(r.Body, &buf), r.Body}
		sw := statuswriter.New(w)
		h.ServeHTTP(sw, r)
		if sw.Status != http.StatusOK {
			return
		}
		rec.mu.Lock()
		rec.bodies[r.URL.Path] = append(rec.bodies[r.URL.Path], buf.Bytes())
		rec.mu.Unlock()
	})
}

func runFFmpeg(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("ffmpeg: %v\n%s", err, out)
	}
}

// settle waits for the requests ffmpeg left in flight (it exits without
// waiting for its last answers) by closing the server.
func (r *rig) settle() { r.srv.Close() }

// newFFmpegRig serves a real-clock archiver behind a recorder.
func newFFmpegRig(t *testing.T, opts *Options) (*rig, *recorder) {
	if opts == nil {
		opts = &Options{}
	}
	opts.Now = time.Now
	rec := &recorder{bodies: map[string][][]byte{}}
	return newWrappedRig(t, opts, nil, rec.wrap), rec
}

// alignedNow returns the current second rounded down to the 2 s grid.
func alignedNow() int64 { return time.Now().Unix() / 2 * 2 }

func dashArgs(url string, epoch int64, discont bool) []string {
	flags := "movflags=+cmaf"
	if discont {
		flags += "+frag_discont"
	}
	args := []string{
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=8",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8",
	}
	if epoch > 0 {
		args = append(args, "-vf", fmt.Sprintf("setpts=PTS+%d/TB", epoch), "-af", fmt.Sprintf("asetpts=PTS+%d/TB", epoch))
	}
	return append(args, "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-c:a", "aac", "-f", "dash", "-method", "PUT", "-http_persistent", "1", "-seg_duration", "2",
		"-streaming", "1", "-ldash", "1", "-frag_type", "duration", "-frag_duration", "0.5",
		"-format_options", flags, "-write_prft", "1", url)
}

// checkDASHSegments checks every chunk-* body ffmpeg PUT against the store.
// The first segment's n must lie in [firstLo-1, firstHi+1] (the wall clock
// while ffmpeg ran, in segments) and the others within 5 segments after it.
func checkDASHSegments(t *testing.T, r *rig, rec *recorder, firstLo, firstHi int64) map[string]map[int64][]byte {
	t.Helper()
	byN := map[string]map[int64][]byte{}
	c, err := r.a.channel(context.Background(), "ch1")
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	minN, maxN := int64(1<<62), int64(0)
	for p, bodies := range rec.bodies {
		if !strings.Contains(p, "/chunk-stream") {
			continue
		}
		track := strings.TrimPrefix(p[strings.Index(p, "chunk-stream"):], "chunk-stream")
		track = track[:strings.Index(track, "-")]
		tk, err := c.track(track)
		if err != nil {
			t.Fatal(err)
		}
		staged := r.staged("ch1", track)
		for _, b := range bodies {
			sent++
			seg, err := trackfile.ParseSegment(b, tk.header)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			at, _, err := c.fragmentTiming(context.Background(), track, tk.header, seg)
			if err != nil {
				t.Fatal(err)
			}
			n := c.Grid().SegmentIndex(at, tk.header.Info.Timescale)
			minN, maxN = min(minN, n), max(maxN, n)
			if byN[track] == nil {
				byN[track] = map[int64][]byte{}
			}
			byN[track][int64(at)] = b
			got, ok := staged[trackfile.StagedName{T: at, D: seg.Duration, Ext: tk.header.Info.Ext}.String()]
			if !ok {
				t.Errorf("%s: segment n=%d not staged", p, n)
			} else if !bytes.Equal(got, b) {
				t.Errorf("%s: staged n=%d differs from the bytes ffmpeg sent", p, n)
			}
		}
	}
	if minN < firstLo-1 || minN > firstHi+1 || maxN > minN+5 {
		t.Errorf("segments span n=%d..%d; the first should be within [%d, %d] (wall clock, ±1)", minN, maxN, firstLo, firstHi)
	}
	total := len(r.staged("ch1", "0")) + len(r.staged("ch1", "1"))
	if sent < 6 || total != sent { // ffmpeg may exit before sending its very last segment
		t.Errorf("ffmpeg sent %d media segments, %d staged", sent, total)
	}
	return byN
}

func TestFFmpegDASHIngestWithEpochTimes(t *testing.T) {
	needFFmpeg(t)
	r, rec := newFFmpegRig(t, nil)
	epoch := alignedNow()
	runFFmpeg(t, dashArgs(r.srv.URL+"/ingest/ch1/manifest.mpd", epoch, true)...)
	r.settle()
	sent := checkDASHSegments(t, r, rec, epoch/2, epoch/2)
	if ks := r.keys(); !containsPrefix(ks, "ch1/ingest/") || !containsPrefix(ks, "ch1/0/init-") || !containsPrefix(ks, "ch1/1/init-") {
		t.Errorf("missing I-MPD or headers in store: %v", ks)
	}
	checkFinalizedFFmpeg(t, r, sent, "0", 150)
}

func TestFFmpegDASHIngestWithoutEpochTimesNeedsAutoSTS(t *testing.T) {
	needFFmpeg(t)
	r, rec := newFFmpegRig(t, &Options{Defaults: ChannelConfig{STS: STS{Auto: true}}})
	startN := time.Now().Unix() / 2
	runFFmpeg(t, dashArgs(r.srv.URL+"/ingest/ch1/manifest.mpd", 0, false)...)
	r.settle()
	sent := checkDASHSegments(t, r, rec, startN, time.Now().Unix()/2)
	if _, err := r.store.Get(context.Background(), trackfile.StateKey("ch1", "sts")); err != nil {
		t.Errorf("auto STS not stored: %v", err)
	}
	checkFinalizedFFmpeg(t, r, sent, "0", 150)
}

func TestFFmpegStreamsPostOneFFmpegPerTrack(t *testing.T) {
	needFFmpeg(t)
	r, rec := newFFmpegRig(t, &Options{Defaults: ChannelConfig{SegmentDuration: trackfile.Rational{Num: 2, Den: 1}}})
	epoch := alignedNow()
	mov := "empty_moov+separate_moof+default_base_moof+cmaf+frag_discont"
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		runFFmpeg(t, "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=8",
			"-vf", fmt.Sprintf("setpts=PTS+%d/TB", epoch), "-c:v", "libx264", "-preset", "ultrafast",
			"-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-movflags", mov, "-write_prft", "wallclock",
			"-f", "mp4", r.srv.URL+"/ingest/ch1/Streams(video.cmfv)")
	}()
	go func() {
		defer wg.Done()
		runFFmpeg(t, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8",
			"-af", fmt.Sprintf("asetpts=PTS+%d/TB", epoch), "-c:a", "aac", "-movflags", mov,
			"-frag_duration", "2000000", "-write_prft", "wallclock",
			"-f", "mp4", r.srv.URL+"/ingest/ch1/Streams(audio.cmfa)")
	}()
	wg.Wait()
	r.settle()
	sent := map[string]map[int64][]byte{}
	for _, track := range []string{"video", "audio"} {
		sent[track] = map[int64][]byte{}
		for base, b := range r.staged("ch1", track) {
			name, err := trackfile.ParseStagedKey(base)
			if err != nil {
				t.Fatal(err)
			}
			sent[track][int64(name.T)] = b
		}
	}
	defer checkFinalizedFFmpeg(t, r, sent, "video", 150)
	for _, track := range []string{"video", "audio"} {
		ext := map[string]string{"video": "cmfv", "audio": "cmfa"}[track]
		bodies := rec.bodies["/ingest/ch1/Streams("+track+"."+ext+")"]
		if len(bodies) != 1 {
			t.Fatalf("%s: %d POSTs recorded", track, len(bodies))
		}
		// Every fragment ffmpeg sent (prft+moof+mdat) is in exactly one
		// staged segment, in order, byte for byte.
		frags := fragments(t, bodies[0])
		staged := r.staged("ch1", track)
		var names []trackfile.StagedName
		for base := range staged {
			name, err := trackfile.ParseStagedKey(base)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
		slices.SortFunc(names, func(a, b trackfile.StagedName) int { return cmp.Compare(a.T, b.T) })
		var all []byte
		for i, name := range names {
			if i > 0 && names[i-1].T+names[i-1].D != name.T {
				t.Errorf("%s: staged segments are not contiguous at %d", track, name.T)
			}
			all = append(all, staged[name.String()]...)
		}
		if !bytes.Equal(all, bytes.Join(frags, nil)) {
			t.Errorf("%s: staged segments (%d bytes) are not the %d fragments sent (%d bytes)", track, len(all), len(frags), len(bytes.Join(frags, nil)))
		}
		if len(frags) < 4 {
			t.Errorf("%s: only %d fragments", track, len(frags))
		}
	}
}

// fragments splits an ffmpeg mp4 stream into its fragments (prft+moof+mdat),
// dropping the header and the trailing mfra.
func fragments(t *testing.T, body []byte) [][]byte {
	br := trackfile.NewBoxReader(bytes.NewReader(body), 1<<30)
	var out [][]byte
	var cur []byte
	for {
		b, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch b.Type {
		case "ftyp", "moov", "mfra":
		case "mdat":
			out = append(out, append(cur, b.Raw...))
			cur = nil
		default:
			cur = append(cur, b.Raw...)
		}
	}
	return out
}

func containsPrefix(ks []string, p string) bool {
	for _, k := range ks {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// TestRedundantEncodersReplayCapturedFFmpeg replays a captured ffmpeg DASH
// ingest session (testdata/ffmpeg/ldash) from two "encoders" at once, one
// of them in reverse order: one copy of each segment is staged, and the
// duplicate counter equals the copies the second encoder sent.
func TestRedundantEncodersReplayCapturedFFmpeg(t *testing.T) {
	dir := "../testdata/ffmpeg/ldash/"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "chunk-") {
			chunks = append(chunks, e.Name())
		}
	}
	r := newRig(t, nil, nil)
	var wg sync.WaitGroup
	for e := 0; e < 2; e++ {
		wg.Add(1)
		go func(e int) {
			defer wg.Done()
			for _, name := range []string{"manifest.mpd", "init-stream0.m4s", "init-stream1.m4s"} {
				b, _ := os.ReadFile(dir + name)
				r.mustSend(http.MethodPut, "/ingest/ch1/"+name, b)
			}
			for i := range chunks {
				name := chunks[i]
				if e == 1 {
					name = chunks[len(chunks)-1-i]
				}
				b, _ := os.ReadFile(dir + name)
				r.mustSend(http.MethodPut, "/ingest/ch1/"+name, b)
			}
		}(e)
	}
	wg.Wait()
	staged := len(r.staged("ch1", "0")) + len(r.staged("ch1", "1"))
	if staged != len(chunks) {
		t.Errorf("staged %d segments, the session has %d", staged, len(chunks))
	}
	dups := r.count("ch1", "0", ResultDuplicate) + r.count("ch1", "1", ResultDuplicate)
	if int(dups) != len(chunks) {
		t.Errorf("duplicates counted %v, the second encoder sent %d copies", dups, len(chunks))
	}
}
