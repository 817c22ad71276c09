package smpd

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// ErrNoRuns is returned by ArchiveMPD when there is no run with segments:
// an MPD needs at least one Period.
var ErrNoRuns = errors.New("smpd: no storage track file runs")

// epoch is MPD@availabilityStartTime of the archive S-MPD: Period@start is
// the time since the Unix epoch (ISO/IEC 23009-9 clause 6.2, "the CMAF
// common timeline origin shall be the Unix epoch").
const epoch mpd.DateTime = "1970-01-01T00:00:00Z"

// ArchiveInput is what the 24x7 archive S-MPD is made from.
type ArchiveInput struct {
	Channel string
	Ingest  *IngestMPD      // latest I-MPD; nil: synthesize from the CMAF headers
	Runs    []trackfile.Run // every storage track file run, any order
}

// ArchiveMPD writes the 24x7 archive S-MPD (design section 5). BaseURLs are
// relative to the S-MPD's own key ({channel}/archive.mpd).
//
// The S-MPD is static, on the on-demand profile, with
// availabilityStartTime at the epoch. The grid slots are cut into Periods
// at every run's first and end slot (trackfile.Run.FirstN, EndSlot)
// across all tracks, so that a gap or a header change in one track starts
// a new Period while the others play on, and tracks whose runs start or
// end a few ms apart (AAC priming) share the boundary; no Period is a
// sliver of a few ms between slots, and none leaves out a track whose run
// has media in it (see splitPeriods, mergeSlivers). A
// Period holds one Representation per track whose run covers it, a
// SegmentBase over the storage track file with presentationTimeOffset =
// Period@start in the track's timescale: the same instant for every track,
// so the tracks stay on the epoch timeline and in sync, whatever their own
// segment boundaries. Periods tile the timeline: a Period before a gap in
// all tracks lasts until the next one starts. Period boundaries are
// the start of a run that starts there or the end of one that ends there,
// rounded to the ms (see boundaryMs): mpd.Duration keeps three decimals.
//
// An AdaptationSet whose Representations all continue the previous
// Period's in the same file, or in the next file with the same CMAF header
// and contiguous times, carries the period-continuity descriptor.
//
// The output depends on the input only (runs in any order): redundant
// archivers publish identical bytes.
func ArchiveMPD(in ArchiveInput) ([]byte, error) {
	runs, err := prepareRuns(in.Channel, in.Runs)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, ErrNoRuns
	}
	periods, times := splitPeriods(runs)
	l := newLayout(in.Ingest, runs)

	m := mpd.NewMPD(mpd.STATIC_TYPE)
	m.Profiles = mpd.ListOfProfilesType(mpd.PROFILE_ONDEMAND).AddProfile(mpd.PROFILE_CMAF)
	m.AvailabilityStartTime = epoch
	m.MinBufferTime = msDuration(maxSegmentMs(runs))
	for i, p := range periods {
		p.startMs = times[p.startN]
		end := times[p.endN]
		if i+1 < len(periods) {
			end = times[periods[i+1].startN]
		}
		if end <= p.startMs {
			return nil, fmt.Errorf("smpd: runs give the period at slot %d a duration of %d ms", p.startN, end-p.startMs)
		}
		var prev *archPeriod
		if i > 0 && periods[i-1].endN == p.startN {
			prev = periods[i-1]
		}
		l.appendPeriod(m, p, prev, end, 0)
	}
	m.MediaPresentationDuration = msDuration(times[periods[len(periods)-1].endN])

	var buf bytes.Buffer
	if _, err := m.Write(&buf, "  ", true); err != nil {
		return nil, fmt.Errorf("smpd: writing archive S-MPD: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// maxSegmentMs returns the longest segment of the runs in ms (at least 1):
// MPD@minBufferTime.
func maxSegmentMs(runs []*archRun) int64 {
	var maxSegMs int64 = 1
	for _, r := range runs {
		maxSegMs = max(maxSegMs, int64(ceilMulDiv(r.maxDur, 1000, uint64(r.Info.Timescale))))
	}
	return maxSegMs
}

// appendPeriod appends period p, which plays from p.startMs to endMs on
// the epoch timeline, to m with Period@start = p.startMs − originMs. prev
// is the period just before p when their runs meet (see adaptationSets).
func (l *layout) appendPeriod(m *mpd.MPD, p, prev *archPeriod, endMs, originMs int64) {
	p.id = "p" + strconv.FormatInt(p.startMs, 10)
	mp := &mpd.Period{Id: p.id, Start: msDuration(p.startMs - originMs), Duration: msDuration(endMs - p.startMs)}
	for _, as := range l.adaptationSets(p, prev) {
		mp.AppendAdaptationSet(as)
	}
	m.AppendPeriod(mp)
}

// msDuration returns ms as an xs:duration; mpd.Duration writes it exactly.
func msDuration(ms int64) *mpd.Duration {
	d := mpd.Duration(time.Duration(ms) * time.Millisecond)
	return &d
}
