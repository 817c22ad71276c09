package smpd

import (
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
)

// TestVoDMPD: for every archive case, the VoD MPD is the archive S-MPD
// moved to start at 0 — the same Periods, Representations and
// presentationTimeOffsets (no media shifted), Period@start less the first
// Period's start, mediaPresentationDuration the span, and no
// availabilityStartTime.
func TestVoDMPD(t *testing.T) {
	for _, c := range archiveCases(t) {
		t.Run(c.name, func(t *testing.T) {
			arch, err := ArchiveMPD(c.in)
			if err != nil {
				t.Fatal(err)
			}
			vod, err := VoDMPD(c.in)
			if err != nil {
				t.Fatal(err)
			}
			a, err := mpd.MPDFromBytes(arch)
			if err != nil {
				t.Fatal(err)
			}
			v, err := mpd.MPDFromBytes(vod)
			if err != nil {
				t.Fatal(err)
			}
			if v.AvailabilityStartTime != "" || strings.Contains(string(vod), "availabilityStartTime") {
				t.Errorf("VoD MPD has availabilityStartTime %q", v.AvailabilityStartTime)
			}
			if len(v.Periods) != len(a.Periods) {
				t.Fatalf("%d Periods, archive has %d", len(v.Periods), len(a.Periods))
			}
			origin := time.Duration(*a.Periods[0].Start)
			if got, want := time.Duration(*v.MediaPresentationDuration), time.Duration(*a.MediaPresentationDuration)-origin; got != want {
				t.Errorf("mediaPresentationDuration %v, want %v", got, want)
			}
			for i, vp := range v.Periods {
				ap := a.Periods[i]
				if got, want := time.Duration(*vp.Start), time.Duration(*ap.Start)-origin; got != want {
					t.Errorf("Period %s starts at %v, want %v", vp.Id, got, want)
				}
				for j, as := range vp.AdaptationSets {
					for k, r := range as.Representations {
						ar := ap.AdaptationSets[j].Representations[k]
						if *r.SegmentBase.PresentationTimeOffset != *ar.SegmentBase.PresentationTimeOffset || r.BaseURLs[0].Value != ar.BaseURLs[0].Value {
							t.Errorf("Period %s, %s: PTO %d at %s, archive %d at %s", vp.Id, r.Id,
								*r.SegmentBase.PresentationTimeOffset, r.BaseURLs[0].Value, *ar.SegmentBase.PresentationTimeOffset, ar.BaseURLs[0].Value)
						}
					}
				}
			}
			if *v.Periods[0].Start != 0 {
				t.Errorf("first Period at %v, want PT0S", *v.Periods[0].Start)
			}
		})
	}
}
