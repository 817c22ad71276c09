package recording

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// CompleteChannel tries to complete every waiting recording of a channel
// once, and returns how many are still waiting.
func (r *Recorder) CompleteChannel(ctx context.Context, channel string) (waiting int, err error) {
	recs, kinds, err := r.records(ctx, channel)
	if err != nil {
		return 0, err
	}
	var errs []error
	var v *archiveView // read once, for the first recording that needs it
	viewed := false
	for _, rec := range recs {
		if slices.Contains(kinds[rec.Name], ".result") {
			res, err := r.result(ctx, rec)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if res != nil && (res.State == StateFailed || slices.Contains(kinds[rec.Name], ".mpd")) {
				continue // done; a result of another window is stale, and replaced
			}
		}
		if !viewed {
			if v, err = r.view(ctx, channel); err != nil {
				return 0, err
			}
			viewed = true
		}
		done, err := r.complete(ctx, rec, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("recording %s/%s: %w", channel, rec.Name, err))
		}
		if !done {
			waiting++
		}
	}
	return waiting, errors.Join(errs...)
}

// archiveView is what a recording needs of a channel's archive.
type archiveView struct {
	grid    trackfile.Grid
	indexes map[int64][]string // period k → its index object keys
	lastK   int64
}

// view reads the channel's period index listing and the grid of its
// newest period; nil when nothing is archived yet.
func (r *Recorder) view(ctx context.Context, channel string) (*archiveView, error) {
	objs, err := r.store.List(ctx, trackfile.IndexPrefix(channel))
	if err != nil {
		return nil, err
	}
	v := &archiveView{indexes: make(map[int64][]string), lastK: -1}
	for _, o := range objs {
		base := strings.TrimSuffix(path.Base(o.Key), ".json")
		ks, _, _ := strings.Cut(base, "-")
		k, err := strconv.ParseInt(ks, 10, 64)
		if err != nil || !strings.HasSuffix(o.Key, ".json") {
			continue
		}
		v.indexes[k] = append(v.indexes[k], o.Key)
		v.lastK = max(v.lastK, k)
	}
	if v.lastK < 0 {
		return nil, nil
	}
	idx, err := r.index(ctx, v.indexes[v.lastK][0])
	if err != nil {
		return nil, err
	}
	v.grid = trackfile.Grid{D: idx.SegmentDuration, N: idx.PeriodSegments, Phase: idx.Phase}
	return v, nil
}

func (r *Recorder) index(ctx context.Context, key string) (*trackfile.PeriodIndex, error) {
	raw, err := r.store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	idx, err := trackfile.UnmarshalIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", key, err)
	}
	return idx, nil
}

// period returns the storage period holding instant t.
func (v *archiveView) period(t time.Time) int64 { return v.grid.Period(v.grid.SegmentAt(t)) }

// complete completes rec if the archive (v, nil when empty) has reached
// its end: the period holding its last instant (or a later one) is
// indexed, or the wait has run out. It writes the result, then the S-MPD,
// each write-once, and reports whether rec is done (complete or failed).
func (r *Recorder) complete(ctx context.Context, rec *record, v *archiveView) (bool, error) {
	now := r.opts.Now()
	var kFirst, kLast int64
	reached := false
	if v != nil {
		kFirst, kLast = v.period(rec.Start), v.period(rec.End.Add(-time.Millisecond))
		reached = v.lastK >= kLast
		periodLen := v.grid.SegmentTime(v.grid.PeriodFirst(kLast + 1)).Sub(v.grid.SegmentTime(v.grid.PeriodFirst(kLast)))
		reached = reached || now.After(rec.End.Add(periodLen+r.opts.GiveUp))
	} else {
		reached = now.After(rec.End.Add(r.opts.GiveUp))
	}
	if !reached {
		return false, nil
	}
	var runs []trackfile.Run
	if v != nil {
		for k := kFirst - 1; k <= kLast; k++ {
			for _, key := range v.indexes[k] {
				idx, err := r.index(ctx, key)
				if err != nil {
					return false, err
				}
				runs = append(runs, idx.Runs...)
			}
		}
	}
	ingest, ingestKey, err := r.ingestMPD(ctx, rec)
	if err != nil {
		return false, err
	}
	res := &result{Start: rec.Start, End: rec.End, State: StateComplete, Ingest: ingestKey}
	out, err := smpd.RecordingMPD(smpd.RecordingInput{Channel: rec.Channel, Ingest: ingest, Start: rec.Start, End: rec.End, Runs: runs})
	switch {
	case errors.Is(err, smpd.ErrEmptyWindow):
		res.State, res.Error, out = StateFailed, "no media archived in the window", nil
	case err != nil:
		return false, err
	default:
		res.Gaps = gaps(runs, rec.Start, rec.End)
	}
	if err := r.write(ctx, rec, res, out); err != nil {
		return false, err
	}
	r.log.Info("recording "+res.State, "channel", rec.Channel, "name", rec.Name, "gaps", len(res.Gaps), "error", res.Error)
	return true, nil
}

// write stores a recording's result and S-MPD. Objects left by a deleted
// recording of the same name (an S-MPD without a result for this window)
// are removed first. If the request is gone or changed once they are
// written (a DELETE meanwhile), they are removed again.
func (r *Recorder) write(ctx context.Context, rec *record, res *result, out []byte) error {
	mk, rk := mpdKey(rec.Channel, rec.Name), resultKey(rec.Channel, rec.Name)
	old, err := r.result(ctx, rec)
	if err != nil {
		return err
	}
	if old == nil {
		// No result for this window: any S-MPD or result is stale.
		if err := errors.Join(r.store.Delete(ctx, rk), r.store.Delete(ctx, mk)); err != nil {
			return err
		}
	}
	raw, err := marshal(res)
	if err != nil {
		return err
	}
	if err := r.store.Create(ctx, rk, raw); err != nil && !errors.Is(err, blobstore.ErrExists) {
		return err // ErrExists: another instance wrote it first; its result stands
	}
	if out != nil {
		if err := r.store.Create(ctx, mk, out); err != nil && !errors.Is(err, blobstore.ErrExists) {
			return err
		}
	}
	now, err := r.record(ctx, rec.Channel, rec.Name)
	if errors.Is(err, ErrNotFound) || err == nil && (!now.Start.Equal(rec.Start) || !now.End.Equal(rec.End)) {
		return errors.Join(r.store.Delete(ctx, mk), r.store.Delete(ctx, rk))
	}
	return err
}

// ingestMPD returns the I-MPD in force for the window: the newest version
// received before its end, else the oldest; nil (synthesize from the CMAF
// headers) when the channel has none or it does not parse.
func (r *Recorder) ingestMPD(ctx context.Context, rec *record) (*smpd.IngestMPD, string, error) {
	objs, err := r.store.List(ctx, rec.Channel+"/ingest/")
	if err != nil {
		return nil, "", err
	}
	end := rec.End.UnixMilli()
	best, bestMs := "", int64(0)
	for _, o := range objs {
		ms, err := strconv.ParseInt(strings.TrimSuffix(path.Base(o.Key), ".mpd"), 10, 64)
		if err != nil || !strings.HasSuffix(o.Key, ".mpd") || o.Key != trackfile.IngestMPDKey(rec.Channel, ms) {
			continue
		}
		switch {
		case best == "",
			ms <= end && (bestMs > end || ms > bestMs),
			ms > end && bestMs > end && ms < bestMs:
			best, bestMs = o.Key, ms
		}
	}
	if best == "" {
		return nil, "", nil
	}
	raw, err := r.store.Get(ctx, best)
	if err != nil {
		return nil, "", err
	}
	m, err := smpd.ParseIngestMPD(raw)
	if err != nil {
		r.log.Warn("recording: the I-MPD does not parse; synthesizing from the CMAF headers", "key", best, "err", err)
		return nil, "", nil
	}
	return m, best, nil
}
