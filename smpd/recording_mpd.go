package smpd

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// Errors of RecordingMPD.
var (
	// ErrBadWindow: the window is empty or reversed.
	ErrBadWindow = errors.New("smpd: recording window ends before it starts")
	// ErrEmptyWindow: no storage track file run has media in the window.
	ErrEmptyWindow = errors.New("smpd: no media in the recording window")
)

// RecordingInput is what a recording S-MPD is made from.
type RecordingInput struct {
	Channel string
	// Ingest is the I-MPD in force for the window (its Raw bytes are the
	// source of the AdaptationSets); nil: synthesized from the CMAF headers.
	Ingest *IngestMPD
	// Start and End are the window [T1, T2), to the ms.
	Start, End time.Time
	// Runs are the channel's storage track file runs, any order; runs
	// without media in the window are ignored.
	Runs []trackfile.Run
}

// RecordingMPD writes the recording S-MPD of the window [T1, T2) (design
// section 5, ISO/IEC 23009-9 Annex G as the design fixes it) to be stored
// at trackfile.RecordingKey: BaseURLs are relative to that key
// ("../{track}/{k}.cmfv"), so the bucket can move.
//
// The S-MPD is static, on the on-demand profile, without
// availabilityStartTime, with mediaPresentationDuration = T2 − T1. Its
// Periods are the archive S-MPD's (one per stretch over which the same
// storage track file runs play, see ArchiveMPD) cut to the window: the
// first starts at PT0S, each later one at its offset from T1, the last
// lasts until T2; each Representation is a SegmentBase (indexRange and
// Initialization@range) into its track file with presentationTimeOffset =
// the epoch instant its Period starts (T1 for the first), which trims the
// first Period to T1. A stretch of less than half a segment at either edge
// of the window joins its neighbour.
//
// The AdaptationSets are the I-MPD's, copied from its raw XML with every
// element and attribute (including those dash-mpd does not model: foreign
// namespaces, DRM data, Accessibility, Labels, properties) except
// addressing and live-only signalling (see liveOnly), with codecs and sizes
// corrected from the CMAF headers; tracks the I-MPD does not describe are
// synthesized from their headers as in the archive S-MPD. At MPD level the
// I-MPD's namespace declarations, ProgramInformation, ContentProtection,
// Metrics and properties are kept; live-only attributes (publishTime,
// minimumUpdatePeriod, timeShiftBufferDepth, ...) and elements (UTCTiming,
// Location, ServiceDescription, ...) are dropped.
//
// The output depends on the input only: two instances write the same
// bytes.
func RecordingMPD(in RecordingInput) ([]byte, error) { return recordingMPD(in, "../") }

// recordingMPD writes RecordingMPD's MPD with BaseURLs baseDir + the run
// key relative to "{channel}/".
func recordingMPD(in RecordingInput, baseDir string) ([]byte, error) {
	t1, t2 := in.Start.UnixMilli(), in.End.UnixMilli()
	if t2 <= t1 {
		return nil, ErrBadWindow
	}
	all, err := prepareRuns(in.Channel, in.Runs)
	if err != nil {
		return nil, err
	}
	var runs []*archRun
	for _, r := range all {
		if r.startMs() < t2 && r.endMs() > t1 {
			r.baseURL = baseDir + r.baseURL
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return nil, ErrEmptyWindow
	}
	periods, times := splitPeriods(runs)
	cut := cutToWindow(periods, times, t1, t2, slotMs(runs))
	if len(cut) == 0 {
		return nil, ErrEmptyWindow
	}
	l := newLayout(in.Ingest, runs)

	m := mpd.NewMPD(mpd.STATIC_TYPE)
	m.Profiles = mpd.ListOfProfilesType(mpd.PROFILE_ONDEMAND).AddProfile(mpd.PROFILE_CMAF)
	m.MinBufferTime = msDuration(maxSegmentMs(runs))
	m.MediaPresentationDuration = msDuration(t2 - t1)
	for i, c := range cut {
		var prev *archPeriod
		if i > 0 && cut[i-1].p.endN == c.p.startN {
			prev = cut[i-1].p
		}
		c.p.startMs = c.from
		l.appendPeriod(m, c.p, prev, c.to, t1)
	}
	var buf bytes.Buffer
	if _, err := m.Write(&buf, "  ", true); err != nil {
		return nil, fmt.Errorf("smpd: writing recording S-MPD: %w", err)
	}
	ri := indexRaw(in.Ingest)
	if ri == nil {
		buf.WriteByte('\n')
		return buf.Bytes(), nil
	}
	gen, err := parseRawTree(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("smpd: re-reading recording S-MPD: %w", err)
	}
	return ri.recordingTree(gen, l).writeXML(), nil
}

// cutPeriod is a Period of the recording: archive period p played from
// epoch ms from to to.
type cutPeriod struct {
	p        *archPeriod
	from, to int64
}

// cutToWindow cuts the archive periods to [t1, t2): each plays until the
// next starts (the archive S-MPD's tiling), the first from t1, the last
// until t2. An edge period shorter than half a slot gives way to its
// neighbour, which then starts at t1 or ends at t2.
func cutToWindow(periods []*archPeriod, times map[int64]int64, t1, t2, slot int64) []cutPeriod {
	var out []cutPeriod
	for i, p := range periods {
		from, to := times[p.startN], times[p.endN]
		if i+1 < len(periods) {
			to = times[periods[i+1].startN]
		}
		if to <= t1 || from >= t2 {
			continue
		}
		out = append(out, cutPeriod{p: p, from: max(from, t1), to: min(to, t2)})
	}
	if len(out) > 1 && 2*(out[0].to-out[0].from) < slot {
		out = out[1:]
	}
	if n := len(out); n > 1 && 2*(out[n-1].to-out[n-1].from) < slot {
		out = out[:n-1]
	}
	if len(out) > 0 {
		out[0].from = t1
		out[len(out)-1].to = t2
	}
	return out
}
