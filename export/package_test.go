package export_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/export"
	"github.com/reapd/reapd/test/mpdschema"
)

// TestPackageCMAF exports [5 s, 45 s) of the fixture, which has a gap at
// [30 s, 34 s), as a cmaf package to a file store, twice, and checks the
// package: byte-identical on the second write, a valid MPD with two
// Periods, HLS playlists with byte ranges into the same files and a
// discontinuity at the gap, and ffmpeg decoding every frame through both
// manifests.
func TestPackageCMAF(t *testing.T) {
	ctx := context.Background()
	src := fixture(t)
	p, err := export.MakePlan(ctx, src, "ch1", at(5), at(45), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Gaps) != 1 || p.Gaps[0].From.Sub(at(30)).Abs() > 100*time.Millisecond || p.Gaps[0].To.Sub(at(34)).Abs() > 100*time.Millisecond {
		t.Errorf("gaps = %+v, want one at [30 s, 34 s)", p.Gaps)
	}
	write := func(dir string) map[string][]byte {
		dst, err := export.OpenDestination(ctx, "file://"+dir)
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Store.Close()
		names, err := export.WritePackage(ctx, src, p, export.FormatCMAF, dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			out[n] = b
		}
		return out
	}
	dir := t.TempDir()
	if d := os.Getenv("EXPORT_KEEP"); d != "" {
		dir = d
	}
	first := write(dir)
	again := write(dir)         // a retry over a complete package
	other := write(t.TempDir()) // an independent run
	for n, b := range first {
		if !bytes.Equal(b, again[n]) || !bytes.Equal(b, other[n]) {
			t.Errorf("%s differs between runs", n)
		}
	}
	mpd := first[export.MPDName]
	mpdschema.Validate(t, mpd)
	if got := strings.Count(string(mpd), "<Period "); got != 2 {
		t.Errorf("MPD has %d Periods, want 2 (split at the gap):\n%s", got, mpd)
	}
	var media int
	for n, b := range first {
		if strings.HasSuffix(n, ".m3u8") && n != export.MasterName {
			media++
			s := string(b)
			for _, line := range strings.Split(s, "\n") {
				if line != "" && !strings.HasPrefix(line, "#") && !strings.Contains(string(mpd), "<BaseURL>"+line+"</BaseURL>") {
					t.Errorf("%s names %s, which the MPD does not: not one set of media", n, line)
				}
			}
			if !strings.Contains(s, "#EXT-X-BYTERANGE:") || !strings.Contains(s, "#EXT-X-DISCONTINUITY") ||
				!strings.Contains(s, "BYTERANGE=\"") || !strings.Contains(s, "#EXT-X-VERSION:7") {
				t.Errorf("%s lacks byte ranges, the map's range, a discontinuity or version 7:\n%s", n, s)
			}
		}
	}
	if media != 2 {
		t.Errorf("%d media playlists, want 2 (video, audio)", media)
	}
	for _, m := range []string{export.MPDName, export.MasterName} {
		out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-allowed_extensions", "ALL", "-i", filepath.Join(dir, m), "-f", "null", "-").CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("ffmpeg decoding %s: %v\n%s", m, err, out)
		}
	}
}
