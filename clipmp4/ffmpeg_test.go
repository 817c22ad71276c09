package clipmp4

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

// dirSource reads objects from files of a directory.
type dirSource string

func (d dirSource) NewRangeReader(_ context.Context, key string, off, n int64) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(string(d), key))
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, n), f}, nil
}

func runTool(t *testing.T, tool string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is required: run `make test-deps` (apt-get install ffmpeg)", tool)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, append([]string{"-hide_banner", "-loglevel", "error"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return string(out)
}

// TestFFmpegBFrames clips real CMAF output of ffmpeg with B-frames
// (composition offsets, ctts) and four chunks per segment: the clip
// decodes without an error, and accurate=1 presents exactly the window.
func TestFFmpegBFrames(t *testing.T) {
	dir := t.TempDir()
	runTool(t, "ffmpeg", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=12",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=12",
		"-vf", fmt.Sprintf("setpts=PTS+%d/TB", epoch), "-af", fmt.Sprintf("asetpts=PTS+%d/TB", epoch),
		"-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-c:a", "aac", "-f", "dash", "-seg_duration", "2", "-frag_type", "duration", "-frag_duration", "0.5",
		"-format_options", "movflags=+cmaf+frag_discont", filepath.Join(dir, "manifest.mpd"))
	track := func(stream int, from, to int) Track {
		h, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("init-stream%d.m4s", stream)))
		if err != nil {
			t.Fatal(err)
		}
		tr := Track{Headers: [][]byte{h}}
		for k := from; k <= to; k++ { // chunk k holds [2(k−1) s, 2k s)
			name := fmt.Sprintf("chunk-stream%d-%05d.m4s", stream, k)
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			tr.Segments = append(tr.Segments, Segment{Key: name, Size: fi.Size()})
		}
		return tr
	}
	// [3.3 s, 9.7 s): segments 2 to 5 of each track.
	tracks := []Track{track(0, 2, 5), track(1, 2, 5)}
	for _, accurate := range []bool{false, true} {
		t.Run(fmt.Sprint("accurate=", accurate), func(t *testing.T) {
			_, out := build(t, dirSource(dir), tracks, &Options{Start: at(3.3), End: at(9.7), Accurate: accurate})
			mf, err := mp4.DecodeFile(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if mf.Moov.Traks[0].Mdia.Minf.Stbl.Ctts == nil {
				t.Fatal("no ctts: the fixture should have B-frames")
			}
			f := filepath.Join(t.TempDir(), "clip.mp4")
			if err := os.WriteFile(f, out, 0o644); err != nil {
				t.Fatal(err)
			}
			if got := runTool(t, "ffmpeg", "-nostdin", "-v", "error", "-i", f, "-f", "null", "-"); strings.TrimSpace(got) != "" {
				t.Errorf("ffmpeg decoding the clip: %s", got)
			}
			var pts []float64
			for _, l := range strings.Fields(runTool(t, "ffprobe", "-select_streams", "v", "-show_entries", "frame=pts_time", "-of", "csv=p=0", f)) {
				if v, err := strconv.ParseFloat(strings.Trim(l, ","), 64); err == nil {
					pts = append(pts, v)
				}
			}
			if len(pts) == 0 {
				t.Fatal("no video frames")
			}
			first, end := slicesMin(pts), slicesMax(pts)+0.04
			if accurate { // exactly the window: 160 frames from 0 to 6.4 s
				if math.Abs(first) > 0.001 || math.Abs(end-6.4) > 0.001 || len(pts) != 160 {
					t.Errorf("%d frames presented from %.3f s to %.3f s, want 160 from 0 to 6.4 s", len(pts), first, end)
				}
				return
			}
			// From the key frame at 2 s (time zero is the earliest track,
			// audio a frame before it) to the last frame before 9.7 s and
			// those decoded before it (a P frame that B frames use).
			if first < 0 || first > 1024.0/48000 || end-first < 7.7 || end-first > 7.7+0.08 || len(pts) < 193 || len(pts) > 195 {
				t.Errorf("%d frames presented from %.3f s to %.3f s, want 193 or a few more over 7.7 s from within an AAC frame of 0",
					len(pts), first, end)
			}
		})
	}
}

func slicesMin(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func slicesMax(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
