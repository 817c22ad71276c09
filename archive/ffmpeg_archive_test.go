package archive

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/reapd/reapd/trackfile"
)

// checkFinalizedFFmpeg finalizes everything staged and checks the storage
// track files against what ffmpeg sent (issue 3, acceptance 1 and 2): each
// parses with mp4ff, its sidx references sum to the bytes after the sidx
// and carry each segment's tfdt, the media is the ingested segments minus
// their sidx boxes (with the STS applied), and ffprobe counts every video
// frame ffmpeg sent (at least minFrames: ffmpeg may exit before sending
// its very last segment).
func checkFinalizedFFmpeg(t *testing.T, r *rig, sent map[string]map[int64][]byte, videoTrack string, minFrames int) {
	t.Helper()
	ctx := context.Background()
	if err := r.a.FinalizeAll(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := r.a.channel(ctx, "ch1")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := r.store.List(ctx, trackfile.IndexPrefix("ch1"))
	if err != nil || len(objs) == 0 {
		t.Fatalf("no period index: %v %v", err, r.keys())
	}
	seen := map[string]int{}
	frames, sentFrames := 0, 0
	dir := t.TempDir()
	for _, o := range objs {
		raw, _ := r.store.Get(ctx, o.Key)
		idx, err := trackfile.UnmarshalIndex(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range idx.Runs {
			file, err := r.store.Get(ctx, run.Key)
			if err != nil {
				t.Fatal(err)
			}
			decodeBoxes(t, run.Key, file)
			head, err := trackfile.ReadHead(bytes.NewReader(file))
			if err != nil {
				t.Fatalf("%s: %v", run.Key, err)
			}
			var sum int64
			for _, ref := range head.Segments {
				sum += ref.Size
			}
			if sum != int64(len(file))-head.Layout.Index.End {
				t.Errorf("%s: sidx sizes %d, bytes after sidx %d", run.Key, sum, int64(len(file))-head.Layout.Index.End)
			}
			h, err := trackfile.ParseHeader(file[:head.Layout.Init.End])
			if err != nil {
				t.Fatal(err)
			}
			off := c.stsSeconds().TicksSigned(h.Info.Timescale)
			for _, ref := range run.Segments() {
				body, ok := sent[run.Track][int64(ref.Time)]
				if !ok {
					t.Errorf("%s: t=%d was never sent", run.Key, ref.Time)
					continue
				}
				seen[run.Track]++
				seg, err := trackfile.ParseSegment(body, h)
				if err != nil {
					t.Fatal(err)
				}
				if run.Track == videoTrack {
					sentFrames += seg.Samples
				}
				if want := uint64(int64(seg.BaseDecodeTime) + off); ref.Time != want {
					t.Errorf("%s t=%d: index time %d, segment tfdt+STS %d", run.Key, ref.Time, ref.Time, want)
				}
				want, err := trackfile.NormalizeWith(body, off, &trackfile.NormalizeOptions{Timescale: h.Info.Timescale})
				if err != nil {
					t.Fatal(err)
				}
				if got := file[ref.Offset : ref.Offset+ref.Size]; !bytes.Equal(got, want) {
					t.Errorf("%s t=%d: stored bytes are not the ingested segment minus sidx", run.Key, ref.Time)
				}
			}
			if run.Track == videoTrack {
				p := filepath.Join(dir, strings.ReplaceAll(run.Key, "/", "_"))
				if err := os.WriteFile(p, file, 0o644); err != nil {
					t.Fatal(err)
				}
				frames += ffprobeFrames(t, p)
			}
		}
	}
	for track, bodies := range sent {
		if seen[track] != len(bodies) {
			t.Errorf("track %s: %d segments in track files, %d sent", track, seen[track], len(bodies))
		}
	}
	if frames != sentFrames || frames < minFrames {
		t.Errorf("ffprobe counts %d video frames in the track files; ffmpeg sent %d (want at least %d)", frames, sentFrames, minFrames)
	}
}

// decodeBoxes decodes every top-level box of a file with mp4ff. (mp4ff's
// DecodeFile panics on segments that start with a prft and no styp, as
// ffmpeg's CMAF fragments do, when it groups boxes into segments; each box
// on its own decodes.)
func decodeBoxes(t *testing.T, name string, file []byte) {
	t.Helper()
	r := bytes.NewReader(file)
	var pos uint64
	for pos < uint64(len(file)) {
		box, err := mp4.DecodeBox(pos, r)
		if err != nil {
			t.Fatalf("%s: mp4ff cannot decode the box at %d: %v", name, pos, err)
		}
		pos += box.Size()
	}
}

func ffprobeFrames(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("ffprobe %s: %q", path, out)
	}
	return n
}
