package retention

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/retention/retentiontest"
	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// A test archive: periods of five 2 s segments (10 s) of one audio track
// from t0, archived by a real archiver into a mem store.
const (
	t0         = 1_700_000_000 // a period boundary
	perPeriod  = 5
	periodSecs = 10
)

var tr = trackfiletest.Default

// k0 is the first period of the test archive.
const k0 = t0 / periodSecs

type rig struct {
	t     *testing.T
	store *blobstore.Store
	arch  *archive.Archiver
	now   atomic.Int64 // unix ns of the test clock
}

// newRig archives periods storage periods from t0 and finalizes them all.
func newRig(t *testing.T, periods int) *rig {
	t.Helper()
	r := &rig{t: t, store: memStore(t)}
	r.now.Store(int64(t0+periods*periodSecs+1) * 1e9)
	r.arch = archive.New(r.store, &archive.Options{Now: r.clock, Defaults: archive.ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: periodSecs * time.Second}})
	retentiontest.Archive(t, r.arch, "ch1", t0/2, int64(periods*perPeriod), map[string]trackfiletest.Track{"a": tr})
	return r
}

func (r *rig) clock() time.Time { return time.Unix(0, r.now.Load()) }

// at returns t0 + s seconds.
func at(s int) time.Time { return time.Unix(int64(t0+s), 0).UTC() }

// retention returns a Retention over the rig's store wired to its
// archiver; before each republish, the store must hold no dangling
// reference (the old S-MPDs name existing files only).
func (r *rig) retention(o Options) *Retention {
	o.Now = r.clock
	o.Publish = func(ctx context.Context, channel string, k int64) error {
		retentiontest.CheckNoDangling(r.t, r.store, channel, false)
		return r.arch.Republish(ctx, channel, k)
	}
	return New(r.store, &o)
}

// periods returns the periods k that have an index object, and checks
// that every index entry's track file and header exist.
func (r *rig) periods() map[int64]bool {
	r.t.Helper()
	ctx := context.Background()
	objs, err := r.store.List(ctx, trackfile.IndexPrefix("ch1"))
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[int64]bool{}
	for _, o := range objs {
		k, ok := trackfile.IndexKeyPeriod(o.Key)
		if !ok {
			continue
		}
		out[k] = true
		raw, err := r.store.Get(ctx, o.Key)
		if err != nil {
			r.t.Fatal(err)
		}
		idx, err := trackfile.UnmarshalIndex(raw)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, run := range idx.Runs {
			for _, key := range []string{run.Key, run.HeaderKey} {
				if _, err := r.store.Stat(ctx, key); err != nil {
					r.t.Errorf("index %s names %s: %v", o.Key, key, err)
				}
			}
		}
	}
	return out
}
