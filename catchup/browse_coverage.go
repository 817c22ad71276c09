package catchup

import (
	"net/http"
	"slices"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// coverageJSON is the answer of the coverage API.
type coverageJSON struct {
	Channel string              `json:"channel"`
	From    time.Time           `json:"from"`
	To      time.Time           `json:"to"`
	Tracks  []trackCoverageJSON `json:"tracks"`
	// Problems found in the stored data that the answer leaves out.
	Problems []string `json:"problems,omitempty"`
}

type trackCoverageJSON struct {
	Name   string      `json:"name"`
	Bytes  int64       `json:"bytes"` // media bytes in the ranges
	Ranges []rangeJSON `json:"ranges"`
	Gaps   []gapJSON   `json:"gaps"`
}

// rangeJSON is a stretch of contiguous media.
type rangeJSON struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Segments int64     `json:"segments"`
	Bytes    int64     `json:"bytes"`
	Staged   bool      `json:"staged,omitempty"` // reaches into the open (not yet finalized) period
}

// gapJSON is a hole between two ranges, with the reason the archive gives
// for the end of the range before it: gap (a segment never arrived), miss
// (a 'miss' segment), header (a header change), lmsg (the track ended),
// period-end (the period was finalized at its deadline without it).
type gapJSON struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
}

// handleCoverage serves GET /api/channels/{channel}/coverage?from=&to=:
// per track, the ranges of archived media and the gaps between them, in
// [from, to) (default: the last 24 hours before the live edge; at most
// MaxCoverage).
func (s *Server) handleCoverage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("channel")
	c, err := s.channel(ctx, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	to := s.opts.Now().UTC().Truncate(time.Millisecond)
	if v := q.Get("to"); v != "" {
		if to, err = ParseInstant(v); err != nil {
			s.writeError(w, r, badRequest("to: %v", err))
			return
		}
	}
	from := to.Add(-24 * time.Hour)
	if v := q.Get("from"); v != "" {
		if from, err = ParseInstant(v); err != nil {
			s.writeError(w, r, badRequest("from: %v", err))
			return
		}
	}
	if !to.After(from) {
		s.writeError(w, r, badRequest("to %s is not after from %s", formatInstant(to), formatInstant(from)))
		return
	}
	if to.Sub(from) > s.opts.MaxCoverage {
		s.writeError(w, r, badRequest("coverage range of %s is longer than the maximum of %s", to.Sub(from), s.opts.MaxCoverage))
		return
	}
	win := Window{Start: from, End: to}
	v, err := c.viewWindow(ctx, win, stagedAuto)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := coverageJSON{Channel: name, From: from, To: to, Tracks: []trackCoverageJSON{}}
	covers := v.covers(from, to)
	names := make([]string, 0, len(covers))
	for n := range covers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		tc := trackCoverageJSON{Name: n, Ranges: []rangeJSON{}, Gaps: []gapJSON{}}
		var prev *cover
		for i := range covers[n] {
			cv := &covers[n][i]
			a, b := cv.startTime(), cv.stopTime()
			if !plausible(a) || !plausible(b) || b.Before(a) {
				if p := "track " + n + ": media at implausible times left out"; !slices.Contains(out.Problems, p) {
					out.Problems = append(out.Problems, p)
				}
				continue
			}
			if !b.After(from) || !a.Before(to) {
				continue
			}
			if prev != nil {
				reason := prev.reason
				if reason == "" || reason == trackfile.EndComplete {
					reason = trackfile.EndGap
				}
				tc.Gaps = append(tc.Gaps, gapJSON{Start: prev.stopTime(), End: a, Reason: reason})
			}
			tc.Ranges = append(tc.Ranges, rangeJSON{Start: a, End: b, Segments: cv.segments, Bytes: cv.bytes, Staged: cv.staged})
			tc.Bytes += cv.bytes
			prev = cv
		}
		if len(tc.Ranges) > 0 {
			out.Tracks = append(out.Tracks, tc)
		}
	}
	writeJSON(w, r, out, "public, max-age=1")
}
