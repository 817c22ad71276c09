package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Policy is a channel's retention: storage periods that ended more than
// MaxAge ago go, then the oldest ones while the channel holds more than
// MaxBytes. Zero means no limit of that kind.
type Policy struct {
	MaxAge   time.Duration
	MaxBytes int64
	// Schedule is the robfig/cron spec of the channel's runs (e.g.
	// "@every 10m", "0 3 * * *"); empty: DefaultSchedule.
	Schedule string
}

// DefaultSchedule is the schedule of a Policy without one.
const DefaultSchedule = "@every 10m"

// Period is one storage period of a channel as retention sees it.
type Period struct {
	K         int64
	From, To  time.Time // wall-clock span: the grid period and any media beyond it
	Bytes     int64     // track files and index objects
	IndexKeys []string  // {channel}/index/{k}.json and later additions
	Files     []string  // storage track files its runs name
	Headers   []string  // CMAF header objects its runs name
	Reason    string    // why it goes: "age" or "size" (in a plan)
}

// Plan is what a retention run of one channel deletes.
type Plan struct {
	Channel string
	Delete  []Period // oldest first
	Kept    int      // expired or over-size periods kept by a hold or recording
	Total   int64    // bytes of the channel's periods before the run
}

// scan reads every period index of a channel and groups it into periods,
// oldest first. cache holds what index objects read before (write-once)
// say, by key: a summary, not the index, so that it stays small.
func scan(ctx context.Context, store *blobstore.Store, channel string, cache map[string]*Period) ([]*Period, error) {
	objs, err := store.List(ctx, trackfile.IndexPrefix(channel))
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", channel, err)
	}
	byK := map[int64]*Period{}
	listed := map[string]bool{}
	for _, o := range objs {
		k, ok := trackfile.IndexKeyPeriod(o.Key)
		if !ok {
			continue
		}
		listed[o.Key] = true
		sum := cache[o.Key]
		if sum == nil {
			raw, err := store.Get(ctx, o.Key)
			if errors.Is(err, blobstore.ErrNotFound) { // deleted since the listing
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", o.Key, err)
			}
			idx, err := trackfile.UnmarshalIndex(raw)
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", o.Key, err)
			}
			sum = summarize(k, idx)
			cache[o.Key] = sum
		}
		p := byK[k]
		if p == nil {
			p = &Period{K: k, From: sum.From, To: sum.To}
			byK[k] = p
		}
		p.IndexKeys = append(p.IndexKeys, o.Key)
		p.Bytes += o.Size + sum.Bytes
		p.Files = append(p.Files, sum.Files...)
		p.Headers = append(p.Headers, sum.Headers...)
		if sum.From.Before(p.From) {
			p.From = sum.From
		}
		if sum.To.After(p.To) {
			p.To = sum.To
		}
	}
	for key := range cache {
		if !listed[key] {
			delete(cache, key)
		}
	}
	out := make([]*Period, 0, len(byK))
	for _, p := range byK {
		slices.Sort(p.Files)
		p.Files = slices.Compact(p.Files)
		slices.Sort(p.Headers)
		p.Headers = slices.Compact(p.Headers)
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Period) int { return cmp.Compare(a.K, b.K) })
	return out, nil
}

// summarize returns what retention needs of one index object of period
// k: its span (the grid period and any media beyond it), the bytes of its
// track files, their keys and their headers.
func summarize(k int64, idx *trackfile.PeriodIndex) *Period {
	p := &Period{K: k}
	if g := (trackfile.Grid{D: idx.SegmentDuration, N: idx.PeriodSegments, Phase: idx.Phase}); g.N > 0 && !g.D.IsZero() {
		p.From, p.To = g.SegmentTime(g.PeriodFirst(k)), g.SegmentTime(g.PeriodFirst(k+1))
	}
	for _, r := range idx.Runs {
		p.Files = append(p.Files, r.Key)
		p.Bytes += r.Size
		if r.HeaderKey != "" {
			p.Headers = append(p.Headers, r.HeaderKey)
		}
		if r.Info.Timescale > 0 {
			from, to := ticksTime(r.Time, r.Info.Timescale), ticksTime(r.EndTime(), r.Info.Timescale)
			if p.From.IsZero() || from.Before(p.From) {
				p.From = from
			}
			if to.After(p.To) {
				p.To = to
			}
		}
	}
	return p
}

// ticksTime converts an epoch media time to a wall-clock time.
func ticksTime(t uint64, timescale uint32) time.Time {
	sec := t / uint64(timescale)
	frac := t % uint64(timescale)
	return time.Unix(int64(sec), int64(frac*uint64(time.Second)/uint64(timescale))).UTC()
}

// plan decides which of periods (oldest first) go under pol at now:
// never the newest one (the archive's live end, and where readers learn
// the grid from) and never one that ends after now (the open period);
// never one overlapping a window of keep. Expired periods go first (by
// age), then the oldest remaining ones while the total exceeds MaxBytes.
func plan(channel string, periods []*Period, pol Policy, keep []Window, now time.Time) Plan {
	pl := Plan{Channel: channel}
	for _, p := range periods {
		pl.Total += p.Bytes
	}
	total := pl.Total
	chosen := make([]bool, len(periods))
	eligible := func(i int) bool {
		p := periods[i]
		return i < len(periods)-1 && !p.To.After(now)
	}
	kept := map[int]bool{}
	held := func(i int) bool {
		if kept[i] {
			return true
		}
		for _, w := range keep {
			if w.From.Before(periods[i].To) && periods[i].From.Before(w.To) {
				kept[i] = true
				return true
			}
		}
		return false
	}
	if pol.MaxAge > 0 {
		cut := now.Add(-pol.MaxAge)
		for i, p := range periods {
			if eligible(i) && !p.To.After(cut) && !held(i) {
				chosen[i] = true
				total -= p.Bytes
			}
		}
	}
	if pol.MaxBytes > 0 {
		for i := range periods {
			if total <= pol.MaxBytes {
				break
			}
			if !chosen[i] && eligible(i) && !held(i) {
				chosen[i] = true
				periods[i].Reason = "size"
				total -= periods[i].Bytes
			}
		}
	}
	for i, p := range periods {
		if chosen[i] {
			if p.Reason == "" {
				p.Reason = "age"
			}
			pl.Delete = append(pl.Delete, *p)
		}
	}
	pl.Kept = len(kept)
	return pl
}
