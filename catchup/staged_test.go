package catchup

import (
	"strings"
	"testing"

	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// TestStagedEdgeAndChanges: at the live edge the tracks end together (no
// Period of one segment of one track); a 'miss' segment and a header
// change among the staged segments split Periods as they will once
// finalized.
func TestStagedEdgeAndChanges(t *testing.T) {
	s := newSynth(t, "mem://", grid2s)
	a, b := s.newRealTrack("a", audio48), s.newRealTrack("b", audio96)
	n0 := s.n(0)
	s.writeIndex(s.grid.Period(n0), "", s.trackFile(a, n0, n0+30, false, trackfile.EndComplete),
		s.trackFile(b, n0, n0+30, false, trackfile.EndComplete))
	s.stage(a, n0+30, n0+47) // one segment ahead of b
	s.stage(b, n0+30, n0+46)
	h := s.server(at(100)).Handler()

	r := mustGet(t, h, "/catchup/ch1/manifest.mpd?start="+epochSeconds(at(50)))
	mpd := body(t, r)
	if n := strings.Count(mpd, "<Period"); n != 1 {
		t.Errorf("start-over at the edge: %d Periods, want 1:\n%s", n, mpd)
	}
	if w := r.Header.Get("Reapd-Window"); w != "start=2026-01-01T00:00:50Z; end=2026-01-01T00:01:32Z" {
		t.Errorf("window %q: the edge is where both tracks have media", w)
	}

	// A 'miss' segment of b at 92 s, and a new header for a from 96 s on.
	s.put(s.stagedKey(b, s.onGrid(b, n0+46, n0+47)[0], trackfile.VariantMiss), s.segment(b, n0+46))
	s.stage(b, n0+47, n0+50)
	other := trackfiletest.Track{ID: 2, Timescale: 48000, SampleDur: 960, SamplesPerSegment: 100, SampleSize: 80}
	a2 := s.newRealTrack("a", other)
	if a2.hdr.Hash == a.hdr.Hash {
		t.Fatal("the second header is the first")
	}
	s.stage(a, n0+47, n0+48)
	s.stage(a2, n0+48, n0+50)
	h = s.server(at(110)).Handler()
	mpd = body(t, mustGet(t, h, "/catchup/ch1/manifest.mpd?start="+epochSeconds(at(80))+"&end="+epochSeconds(at(100))))
	if n := strings.Count(mpd, "<Period"); n != 4 {
		t.Errorf("miss and header change: %d Periods, want 4 ([80,92) a+b, [92,94) a, [94,96) a+b, [96,100) a'+b):\n%s", n, mpd)
	}
	if !strings.Contains(mpd, "init/a/"+a2.hdr.Hash+".mp4") {
		t.Error("the new header of a is not used")
	}
	var cov coverageJSON
	decode(t, h, "/api/channels/ch1/coverage?from="+epochSeconds(at(0))+"&to="+epochSeconds(at(100)), &cov)
	for _, tc := range cov.Tracks {
		if tc.Name == "b" && (len(tc.Gaps) != 1 || tc.Gaps[0].Reason != trackfile.EndMiss || !tc.Ranges[1].Staged) {
			t.Errorf("coverage of b: %+v", tc)
		}
	}
}
