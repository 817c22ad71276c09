package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// completeFlags make storage periods finalize only when they are complete
// (their deadline is hours away) while their media time lies in the past,
// where catch-up serves it (see pastN0): runs that see the same segments
// then write the same files, whatever their timing.
var completeFlags = append(append([]string{}, crashFlags...), "--finalize-delay", "3h")

// pastN0 returns the first segment index of a storage period (5 segments
// of 2 s) about an hour ago.
func pastN0() int64 { return (time.Now().Unix() - 3600) / 2 / 5 * 5 }

// catchupMPD is what checkCatchup reads of a catch-up MPD.
type catchupMPD struct {
	Periods []struct {
		Sets []struct {
			Template *segTemplate `xml:"SegmentTemplate"`
			Reps     []struct {
				ID       string       `xml:"id,attr"`
				Template *segTemplate `xml:"SegmentTemplate"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

type segTemplate struct {
	Media string `xml:"media,attr"`
	Init  string `xml:"initialization,attr"`
	S     []struct {
		T string `xml:"t,attr"`
		D int64  `xml:"d,attr"`
		R int64  `xml:"r,attr"`
	} `xml:"SegmentTimeline>S"`
}

// checkCatchup plays the whole input back from one reapd instance: the
// catch-up DASH manifest of the input's time must be one Period (a gap
// would split it) listing every segment of every track, and every
// segment URL must serve the bytes the encoders sent. Instances read only
// the store, so each one must see what any of them archived.
func checkCatchup(t *testing.T, addr string, in *input) {
	t.Helper()
	checkCatchupWindow(t, addr, in.n0*2, in.segs)
}

// checkCatchupWindow is checkCatchup for the 2 s segments segs (track →
// segments in order) from start (epoch seconds) on.
func checkCatchupWindow(t *testing.T, addr string, start int64, segs map[string][][]byte) {
	t.Helper()
	base := "http://" + addr + "/catchup/ch1/"
	count := int64(0)
	for _, s := range segs {
		count = max(count, int64(len(s)))
	}
	// The window ends a second before the last segment does: it lists the
	// last segment whole, and never the next one, which may start a
	// little early (ffmpeg's AAC priming shifts audio by 21 ms).
	q := fmt.Sprintf("?start=%d&end=%d", start, start+count*2-1)
	raw, code := fetch(base + "manifest.mpd" + q)
	if code != http.StatusOK {
		t.Fatalf("catch-up on %s: %d %s", addr, code, raw)
	}
	var m catchupMPD
	if err := xml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("catch-up on %s: %v\n%s", addr, err, raw)
	}
	if len(m.Periods) != 1 {
		t.Fatalf("catch-up on %s: %d Periods, want 1 (no gap)\n%s", addr, len(m.Periods), raw)
	}
	seen := map[string]bool{}
	for _, set := range m.Periods[0].Sets {
		for _, rep := range set.Reps {
			tmpl := rep.Template
			if tmpl == nil {
				tmpl = set.Template
			}
			want, ok := segs[rep.ID]
			if !ok || tmpl == nil {
				t.Fatalf("catch-up on %s: unexpected Representation %q\n%s", addr, rep.ID, raw)
			}
			seen[rep.ID] = true
			var times []int64
			var next int64
			for _, s := range tmpl.S {
				if s.T != "" {
					next, _ = strconv.ParseInt(s.T, 10, 64)
				}
				for range s.R + 1 {
					times = append(times, next)
					next += s.D
				}
			}
			if len(times) != len(want) {
				t.Errorf("catch-up on %s: track %s lists %d segments, want %d", addr, rep.ID, len(times), len(want))
				continue
			}
			for j, tm := range times {
				url := base + strings.ReplaceAll(tmpl.Media, "$Time$", strconv.FormatInt(tm, 10))
				if got, code := fetch(url); code != http.StatusOK || !bytes.Equal(got, want[j]) {
					t.Errorf("catch-up on %s: track %s segment %d: %d, %d bytes, want the %d bytes sent", addr, rep.ID, j, code, len(got), len(want[j]))
				}
			}
		}
	}
	for name := range segs {
		if !seen[name] {
			t.Errorf("catch-up on %s: no Representation for track %s", addr, name)
		}
	}
}

// fetch GETs url and returns the body and status (0: no connection).
func fetch(url string) ([]byte, int) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return []byte(err.Error()), 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b, resp.StatusCode
}
