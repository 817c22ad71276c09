package catchup

import (
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
)

// handleChannel serves GET /api/channels/{channel}: the channel's timing,
// its tracks with their codec information, first and last instants and
// storage use.
func (s *Server) handleChannel(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("channel")
	c, err := s.channel(ctx, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := c.grid(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cj := channelJSON{Name: name, SegmentDuration: g.D.String(), PeriodSegments: g.N, Tracks: []trackJSON{}}
	c.mu.Lock()
	if c.timing != nil && !c.timing.STS.IsZero() {
		cj.STS = c.timing.STS.String()
	}
	c.mu.Unlock()
	var ends map[string][2]cover
	cj.First, cj.Last, ends, cj.Problems = s.saneExtent(ctx, c)
	s.noteProblems(name, cj.Problems)
	for _, n := range slices.Sorted(maps.Keys(ends)) {
		e := ends[n]
		tj := trackJSON{Name: n, TrackInfo: *e[1].info, First: e[0].startTime(), Last: e[1].stopTime()}
		objs, err := s.store.List(ctx, name+"/"+n+"/")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, o := range objs {
			if !strings.HasSuffix(path.Base(o.Key), ".hdr") {
				tj.StorageBytes += o.Size
			}
		}
		cj.StorageBytes += tj.StorageBytes
		cj.Tracks = append(cj.Tracks, tj)
	}
	writeJSON(w, r, cj, "public, max-age=1")
}
