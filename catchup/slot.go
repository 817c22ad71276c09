package catchup

import "github.com/reapd/reapd/trackfile"

// endSlot returns the slot just after a segment [t, t+d) whose start is
// in slot n: the slot of its end, and at least n+1 (a short segment that
// ends in its own slot still occupies it).
func endSlot(s *trackfile.Slotter, n int64, t, d uint64) int64 {
	return max(s.Slot(t+d), n+1)
}

// slotters caches one slotter per timescale for a grid.
type slotters struct {
	g  trackfile.Grid
	by map[uint32]*trackfile.Slotter
}

func (ss *slotters) get(ts uint32) *trackfile.Slotter {
	if s := ss.by[ts]; s != nil {
		return s
	}
	if ss.by == nil {
		ss.by = map[uint32]*trackfile.Slotter{}
	}
	s := trackfile.NewSlotter(ss.g, ts)
	ss.by[ts] = s
	return s
}
