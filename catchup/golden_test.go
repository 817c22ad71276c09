package catchup

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/trackfile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/")

// goldenCase is an archive, a clock and a window; its golden files are the
// DASH MPD, the HLS multivariant and media playlists and the window
// headers, in testdata/golden/{name}.*.
type goldenCase struct {
	name  string
	build func(s *synth)
	now   float64 // seconds after epoch0
	start float64
	end   float64 // 0: start-over
	align bool    // align=segment
}

var (
	av      = map[string]trackfile.TrackInfo{"video": videoInfo, "audio": audioInfo}
	avHash  = map[string]string{"video": "aaaaaaaaaaaa", "audio": "bbbbbbbbbbbb"}
	video10 = trackfile.TrackInfo{TrackID: 1, Handler: "vide", Ext: "cmfv", Timescale: 10_000_000, Codecs: "hvc1.1.6.L93.B0",
		Width: 640, Height: 360}
)

func goldenCases() []goldenCase {
	return []goldenCase{
		// Three finalized periods of video and AAC audio (whose segment
		// durations alternate); a window starting and ending mid-segment.
		{name: "mid-segment", now: 600, start: 61.3, end: 101.3, build: func(s *synth) {
			s.indexOnly(s.n(0), s.n(180), trackfile.EndComplete, av, avHash)
		}},
		// The same with align=segment: whole segments, no offset.
		{name: "mid-segment-aligned", now: 600, start: 61.3, end: 101.3, align: true, build: func(s *synth) {
			s.indexOnly(s.n(0), s.n(180), trackfile.EndComplete, av, avHash)
		}},
		// Both tracks miss [40 s, 50 s): two Periods, the gap left out.
		{name: "gap", now: 600, start: 30, end: 70, build: func(s *synth) {
			s.indexOnly(s.n(0), s.n(40), trackfile.EndGap, av, avHash)
			s.indexOnly(s.n(50), s.n(120), trackfile.EndComplete, av, avHash)
		}},
		// Audio misses [40 s, 50 s) ('miss' segments), video does not: a
		// video-only Period between two; HLS audio gets EXT-X-GAP there.
		{name: "audio-gap", now: 600, start: 30, end: 70, build: func(s *synth) {
			v := map[string]trackfile.TrackInfo{"video": videoInfo}
			a := map[string]trackfile.TrackInfo{"audio": audioInfo}
			s.indexOnly(s.n(0), s.n(120), trackfile.EndComplete, v, avHash)
			s.indexOnly(s.n(0), s.n(40), trackfile.EndMiss, a, avHash)
			s.indexOnly(s.n(50), s.n(120), trackfile.EndComplete, a, avHash)
		}},
		// The video header changes at 60 s: a new Period with a new init.
		{name: "header-change", now: 600, start: 50, end: 70, build: func(s *synth) {
			s.indexOnly(s.n(0), s.n(60), trackfile.EndHeader, av, avHash)
			s.indexOnly(s.n(60), s.n(120), trackfile.EndComplete, av, map[string]string{"video": "cccccccccccc", "audio": "bbbbbbbbbbbb"})
		}},
		// The window starts 30 s before the archive: clipped.
		{name: "clipped", now: 600, start: -30, end: 30, build: func(s *synth) {
			s.indexOnly(s.n(0), s.n(60), trackfile.EndComplete, av, avHash)
		}},
		// A 10 MHz track: manifest times in 2 MHz, below 2^53.
		{name: "timescale-10mhz", now: 600, start: 10, end: 20, build: func(s *synth) {
			s.indexOnly(s.n(0), s.n(60), trackfile.EndComplete, map[string]trackfile.TrackInfo{"video": video10}, avHash)
		}},
		// Start-over over real tracks: a finalized period and staged
		// segments of the open one.
		{name: "start-over", now: 95, start: 50, build: func(s *synth) {
			a, b := s.newRealTrack("a", audio48), s.newRealTrack("b", audio96)
			s.writeIndex(s.grid.Period(s.n(0)), "", s.trackFile(a, s.n(0), s.n(60), false, trackfile.EndComplete),
				s.trackFile(b, s.n(0), s.n(60), false, trackfile.EndComplete))
			s.stage(a, s.n(60), s.n(90))
			s.stage(b, s.n(60), s.n(90))
		}},
	}
}

func (c goldenCase) window() string {
	q := "start=" + epochSeconds(at(c.start))
	if c.end != 0 {
		q += "&end=" + epochSeconds(at(c.end))
	}
	if c.align {
		q += "&align=segment"
	}
	return q
}

// at returns the instant seconds after epoch0, to the ms.
func at(seconds float64) time.Time {
	return epoch0.Add(time.Duration(math.Round(seconds*1000)) * time.Millisecond)
}

func TestManifestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			s := newSynth(t, "mem://", grid2s)
			c.build(s)
			h := s.server(at(c.now)).Handler()
			dir := filepath.Join("testdata", "golden")
			mpd := mustGet(t, h, "/catchup/ch1/manifest.mpd?"+c.window())
			checkGoldenXML(t, filepath.Join(dir, c.name+".mpd"), []byte(body(t, mpd)))
			master := mustGet(t, h, "/catchup/ch1/master.m3u8?"+c.window())
			mb := body(t, master)
			checkGoldenText(t, filepath.Join(dir, c.name+".m3u8"), mb)
			for _, line := range strings.Split(mb, "\n") {
				uri := line
				if i := strings.Index(line, `URI="`); i >= 0 {
					uri = strings.TrimSuffix(line[i+5:], `"`)
				} else if strings.HasPrefix(line, "#") || line == "" {
					continue
				}
				track := strings.TrimSuffix(strings.TrimPrefix(uri[:strings.IndexByte(uri, '?')], "hls/"), ".m3u8")
				media := mustGet(t, h, "/catchup/ch1/"+uri)
				checkGoldenText(t, filepath.Join(dir, c.name+"-"+track+".m3u8"), body(t, media))
			}
			var hdr strings.Builder
			for _, k := range []string{"Reapd-Window", "Reapd-Window-Clipped", "Cache-Control", "Content-Type"} {
				fmt.Fprintf(&hdr, "%s: %s\n", k, mpd.Header.Get(k))
			}
			checkGoldenText(t, filepath.Join(dir, c.name+".headers"), hdr.String())
		})
	}
}

func mustGet(t testing.TB, h http.Handler, url string) *http.Response {
	t.Helper()
	resp := get(t, h, url)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body(t, resp))
	}
	return resp
}

func checkGoldenText(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		writeGolden(t, path, []byte(got))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, firstDiff(string(want), got))
	}
}

func checkGoldenXML(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		writeGolden(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	wt, err := xmlTree(want)
	if err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	gt, err := xmlTree(got)
	if err != nil {
		t.Fatalf("output: %v\n%s", err, got)
	}
	if d := wt.diff(gt, ""); d != "" {
		t.Errorf("%s differs (go test -update rewrites it): %s", path, d)
	}
}

func writeGolden(t *testing.T, path string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, x, y)
		}
	}
	return ""
}

// node is an XML element as MPD equality sees it: name, attributes in any
// order, children in order, trimmed text.
type node struct {
	name  string
	attrs []string
	text  string
	kids  []*node
}

func xmlTree(b []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name.Space + ":" + tk.Name.Local}
			for _, a := range tk.Attr {
				if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
					n.attrs = append(n.attrs, a.Name.Space+":"+a.Name.Local+"="+a.Value)
				}
			}
			slices.Sort(n.attrs)
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += strings.TrimSpace(string(tk))
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

func (a *node) diff(b *node, path string) string {
	path += "/" + a.name[strings.LastIndexByte(a.name, ':')+1:]
	switch {
	case a.name != b.name:
		return fmt.Sprintf("%s: element %s != %s", path, a.name, b.name)
	case !slices.Equal(a.attrs, b.attrs):
		return fmt.Sprintf("%s: attributes\n  want %q\n  got  %q", path, a.attrs, b.attrs)
	case a.text != b.text:
		return fmt.Sprintf("%s: text %q != %q", path, a.text, b.text)
	case len(a.kids) != len(b.kids):
		return fmt.Sprintf("%s: %d children != %d", path, len(a.kids), len(b.kids))
	}
	for i := range a.kids {
		if d := a.kids[i].diff(b.kids[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
			return d
		}
	}
	return ""
}
