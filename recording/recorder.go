package recording

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Options configure a Recorder; nil means defaults.
type Options struct {
	Logger *slog.Logger // default: discard
	// Poll is how often the Recorder looks for waiting recordings that
	// can complete (default 10 s); Notify wakes it for one channel at once.
	Poll time.Duration
	// GiveUp is how long after a window's end plus one storage period a
	// recording waits for the archive to reach its end (an encoder that
	// stopped): then it completes with the media there is, or fails if
	// there is none (default 10 min).
	GiveUp time.Duration
	// MaxDuration is the longest window (default 7 days).
	MaxDuration time.Duration
	// URL maps an S-MPD key to Recording.URL (default: the key itself).
	URL func(key string) string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Recorder makes recordings (design section 5): it stores recording
// requests write-once, completes them into recording S-MPDs when the
// archive has reached their end, and answers the recordings API. All its
// state is in the store, so any number of Recorders, in one process or
// many, may serve one store: each recording is written once.
type Recorder struct {
	store  *blobstore.Store
	opts   Options
	log    *slog.Logger
	notify chan string

	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Recorder over store; Start runs its completion loop.
func New(store *blobstore.Store, opts *Options) *Recorder {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Poll = cmp.Or(o.Poll, 10*time.Second)
	o.GiveUp = cmp.Or(o.GiveUp, 10*time.Minute)
	o.MaxDuration = cmp.Or(o.MaxDuration, 7*24*time.Hour)
	if o.URL == nil {
		o.URL = func(key string) string { return key }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{store: store, opts: o, log: log, notify: make(chan string, 64)}
}

// Create stores a recording request, write-once. It returns the recording
// and whether this call created it: a request for a name that exists with
// the same window is idempotent (created false); with another window it
// fails with ErrConflict.
func (r *Recorder) Create(ctx context.Context, q Request) (Recording, bool, error) {
	if err := q.check(r.opts.MaxDuration); err != nil {
		return Recording{}, false, err
	}
	rec := &record{Version: 1, Channel: q.Channel, Name: q.Name, Start: q.Start, End: q.End, Schedule: q.Schedule}
	raw, err := marshal(rec)
	if err != nil {
		return Recording{}, false, err
	}
	created := true
	switch err := r.store.Create(ctx, recordKey(q.Channel, q.Name), raw); {
	case errors.Is(err, blobstore.ErrExists):
		created = false
		old, err := r.record(ctx, q.Channel, q.Name)
		if err != nil {
			return Recording{}, false, err
		}
		if !old.Start.Equal(rec.Start) || !old.End.Equal(rec.End) {
			return Recording{}, false, fmt.Errorf("%w: recording %s/%s exists with the window %s/%s", ErrConflict, q.Channel, q.Name,
				old.Start.Format(time.RFC3339Nano), old.End.Format(time.RFC3339Nano))
		}
		rec = old
	case err != nil:
		return Recording{}, false, err
	default:
		r.log.Info("recording requested", "channel", q.Channel, "name", q.Name, "start", q.Start, "end", q.End, "schedule", q.Schedule)
		r.Notify(q.Channel)
	}
	out, err := r.status(ctx, rec, nil)
	return out, created, err
}

// Get returns one recording; ErrNotFound if there is none of that name.
func (r *Recorder) Get(ctx context.Context, channel, name string) (Recording, error) {
	rec, err := r.record(ctx, channel, name)
	if err != nil {
		return Recording{}, err
	}
	return r.status(ctx, rec, nil)
}

// List returns the recordings of a channel, or of every channel when
// channel is "", sorted by channel, start and name.
func (r *Recorder) List(ctx context.Context, channel string) ([]Recording, error) {
	channels := []string{channel}
	if channel == "" {
		var err error
		if channels, err = r.channels(ctx); err != nil {
			return nil, err
		}
	} else if err := checkChannel(channel); err != nil {
		return nil, err
	}
	out := []Recording{}
	for _, ch := range channels {
		recs, kinds, err := r.records(ctx, ch)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			st, err := r.status(ctx, rec, kinds[rec.Name])
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b Recording) int {
		return cmp.Or(cmp.Compare(a.Channel, b.Channel), a.Start.Compare(b.Start), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// Delete removes a recording: its request first (so that it is no longer
// listed, nor kept by retention), then its S-MPD and result. Deleting a
// recording that does not exist is ErrNotFound.
func (r *Recorder) Delete(ctx context.Context, channel, name string) error {
	if _, err := r.record(ctx, channel, name); err != nil {
		return err
	}
	for _, key := range []string{recordKey(channel, name), mpdKey(channel, name), resultKey(channel, name)} {
		if err := r.store.Delete(ctx, key); err != nil {
			return err
		}
	}
	r.log.Info("recording deleted", "channel", channel, "name", name)
	return nil
}

// record reads a recording request.
func (r *Recorder) record(ctx context.Context, channel, name string) (*record, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	key := recordKey(channel, name)
	raw, err := r.store.Get(ctx, key)
	if errors.Is(err, blobstore.ErrNotFound) {
		return nil, fmt.Errorf("%w: no recording %s on channel %s", ErrNotFound, name, channel)
	}
	if err != nil {
		return nil, err
	}
	var rec record
	return &rec, unmarshal(raw, &rec, key)
}

// records reads every recording request of a channel, with the kinds of
// object (".mpd", ".result") each has.
func (r *Recorder) records(ctx context.Context, channel string) ([]*record, map[string][]string, error) {
	objs, err := r.store.List(ctx, prefix(channel))
	if err != nil {
		return nil, nil, err
	}
	kinds := make(map[string][]string)
	var names []string
	for _, o := range objs {
		name, kind, ok := parseKey(channel, o.Key)
		if !ok {
			continue
		}
		if kind == ".json" {
			names = append(names, name)
		} else {
			kinds[name] = append(kinds[name], kind)
		}
	}
	var recs []*record
	for _, name := range names {
		rec, err := r.record(ctx, channel, name)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, nil, err
		}
		recs = append(recs, rec)
	}
	return recs, kinds, nil
}

// channels lists the store's top-level directories that are channel names.
func (r *Recorder) channels(ctx context.Context) ([]string, error) {
	dirs, err := r.store.ListDirs(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dirs {
		if ch := strings.TrimSuffix(d, "/"); checkChannel(ch) == nil {
			out = append(out, ch)
		}
	}
	return out, nil
}

// status derives a recording's state from the store: complete when its
// S-MPD and a matching result exist, failed when a matching result says
// so, else waiting. kinds, when known from a listing, saves the lookups of
// objects that do not exist.
func (r *Recorder) status(ctx context.Context, rec *record, kinds []string) (Recording, error) {
	out := Recording{Channel: rec.Channel, Name: rec.Name, Start: rec.Start, End: rec.End, State: StateWaiting,
		MPDKey: mpdKey(rec.Channel, rec.Name), Gaps: []Gap{}, Schedule: rec.Schedule}
	out.URL = r.opts.URL(out.MPDKey)
	out.DurationS = rec.End.Sub(rec.Start).Seconds()
	if kinds != nil && !slices.Contains(kinds, ".result") {
		return out, nil
	}
	res, err := r.result(ctx, rec)
	if err != nil || res == nil {
		return out, err
	}
	switch res.State {
	case StateFailed:
		out.State, out.Error = StateFailed, res.Error
	case StateComplete:
		if kinds == nil {
			if _, err := r.store.Stat(ctx, out.MPDKey); errors.Is(err, blobstore.ErrNotFound) {
				return out, nil
			} else if err != nil {
				return out, err
			}
		} else if !slices.Contains(kinds, ".mpd") {
			return out, nil
		}
		out.State = StateComplete
	}
	out.Gaps = append(out.Gaps, res.Gaps...)
	return out, nil
}

// result reads the result of a recording; nil if there is none for its
// window.
func (r *Recorder) result(ctx context.Context, rec *record) (*result, error) {
	key := resultKey(rec.Channel, rec.Name)
	raw, err := r.store.Get(ctx, key)
	if errors.Is(err, blobstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var res result
	if err := unmarshal(raw, &res, key); err != nil {
		return nil, err
	}
	if !res.matches(rec) {
		return nil, nil
	}
	return &res, nil
}

func checkChannel(channel string) error {
	if err := trackfile.CheckName(channel); err != nil {
		return fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	return nil
}
