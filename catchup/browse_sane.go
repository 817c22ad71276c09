package catchup

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// plausible reports whether t can be media time of an archive and be
// written in the browse API's JSON: from the Unix epoch to the end of year
// 9999 (time.Time's JSON form has four-digit years). A segment stamped
// with tfdt 2^63 lies millions of years ahead: such times are left out of
// the answers, with a problem noted, never a 500 for the whole answer.
func plausible(t time.Time) bool { return !t.Before(minInstant) && !t.After(maxInstant) }

// saneExtent is extent without the tracks' implausible ends: the first
// and last instants over the track ends that are plausible (each unset
// when there is none), the ends of the tracks wholly plausible, and one
// problem per track that had an implausible end.
func (s *Server) saneExtent(ctx context.Context, c *channelIndex) (first, last *time.Time, ends map[string][2]cover, problems []string) {
	_, _, all, ok := s.extent(ctx, c)
	if !ok {
		return nil, nil, nil, nil
	}
	ends = map[string][2]cover{}
	for _, n := range slices.Sorted(maps.Keys(all)) {
		e := all[n]
		a, b := e[0].startTime(), e[1].stopTime()
		aOK, bOK := plausible(a), plausible(b) && !b.Before(a)
		if aOK && (first == nil || a.Before(*first)) {
			first = &a
		}
		if bOK && (last == nil || b.After(*last)) {
			last = &b
		}
		if aOK && bOK {
			ends[n] = e
			continue
		}
		problems = append(problems, fmt.Sprintf("track %s: media at implausible times (%s to %s) left out",
			n, describeInstant(a), describeInstant(b)))
	}
	if first != nil && last != nil && last.Before(*first) {
		last = nil
	}
	return first, last, ends, problems
}

// describeInstant formats t for a problem report, also beyond year 9999.
func describeInstant(t time.Time) string {
	if plausible(t) {
		return formatInstant(t)
	}
	return fmt.Sprintf("year %d", t.Year())
}

// noteProblems logs a channel's problems once (per server, bounded).
func (s *Server) noteProblems(channel string, problems []string) {
	if len(problems) == 0 {
		return
	}
	b := s.browse
	b.mu.Lock()
	seen := b.flagged[channel]
	if !seen {
		if len(b.flagged) >= maxFlagged {
			clear(b.flagged)
		}
		b.flagged[channel] = true
	}
	b.mu.Unlock()
	if !seen {
		s.log.Warn("channel has stored media at implausible times; the browse API leaves them out",
			"channel", channel, "problems", problems)
	}
}

// maxFlagged bounds the channels whose problems are remembered as logged.
const maxFlagged = 10000
