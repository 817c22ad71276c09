package retention

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/reapd/reapd/blobstore"
)

// Options configures a Retention; nil means defaults (no limits: nothing
// is ever deleted).
type Options struct {
	Logger  *slog.Logger     // default: discard
	Metrics *Metrics         // default: none
	Now     func() time.Time // default time.Now
	// Channels holds per-channel policies; every other channel of the
	// store uses Defaults.
	Channels map[string]Policy
	Defaults Policy
	// Keep returns windows of a channel to keep besides its holds (the
	// recordings, wired from package recording); an error stops the
	// channel's run before anything is deleted.
	Keep func(ctx context.Context, channel string) ([]Window, error)
	// Publish republishes the derived S-MPDs of a channel after period k
	// lost its index objects (wired to the archiver); it runs before the
	// period's track files go, and an error stops the run (the next one
	// finishes the deletion).
	Publish func(ctx context.Context, channel string, k int64) error
	// OnDelete is called after a period's index objects are gone (the
	// read side drops its cached listing).
	OnDelete func(channel string)

	testHook func(step string, k int64) // called after each step of a deletion
}

// Retention deletes a channel's expired storage periods on its schedule
// (see [Retention.Start]) or on demand ([Retention.Run]).
type Retention struct {
	store *blobstore.Store
	opts  Options
	log   *slog.Logger

	mu    sync.Mutex
	locks map[string]*sync.Mutex        // one run per channel at a time
	cache map[string]map[string]*Period // channel → index key → what it says (write-once)

	cron   *cron.Cron
	cancel context.CancelFunc
}

// New returns a Retention over store.
func New(store *blobstore.Store, opts *Options) *Retention {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Retention{store: store, opts: o, log: o.Logger,
		locks: map[string]*sync.Mutex{}, cache: map[string]map[string]*Period{}}
}

// policy returns a channel's policy.
func (r *Retention) policy(channel string) Policy {
	if p, ok := r.opts.Channels[channel]; ok {
		return p
	}
	return r.opts.Defaults
}

// Enabled reports whether a policy deletes anything.
func (p Policy) Enabled() bool { return p.MaxAge > 0 || p.MaxBytes > 0 }

func (r *Retention) channelLock(channel string) *sync.Mutex {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.locks[channel]
	if l == nil {
		l = &sync.Mutex{}
		r.locks[channel] = l
	}
	return l
}

// Start schedules the runs: one cron job per configured channel with an
// enabled policy, and one for every other channel of the store under the
// defaults. Runs use ctx's values but not its cancellation; Close stops
// them. A job that panics is recovered and logged; a job still running
// when its next time comes is skipped.
func (r *Retention) Start(ctx context.Context) error {
	logger := cronLogger{r.log}
	// Recover inside SkipIfStillRunning: cron v3.0.1's SkipIfStillRunning
	// does not release its slot when the job panics, so a panic that
	// reached it would skip the job for ever.
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(logger), cron.Recover(logger)), cron.WithLogger(logger))
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	names := make([]string, 0, len(r.opts.Channels))
	for name := range r.opts.Channels {
		names = append(names, name)
	}
	slices.Sort(names)
	add := func(spec string, job func()) error {
		if spec == "" {
			spec = DefaultSchedule
		}
		_, err := c.AddFunc(spec, job)
		return err
	}
	for _, name := range names {
		if p := r.opts.Channels[name]; p.Enabled() {
			if err := add(p.Schedule, func() { r.runLogged(runCtx, name) }); err != nil {
				cancel()
				return fmt.Errorf("retention schedule of %s: %w", name, err)
			}
		}
	}
	if r.opts.Defaults.Enabled() {
		if err := add(r.opts.Defaults.Schedule, func() { r.runOthers(runCtx) }); err != nil {
			cancel()
			return fmt.Errorf("retention default schedule: %w", err)
		}
	}
	r.cron, r.cancel = c, cancel
	c.Start()
	return nil
}

// Close stops the schedule, cancels the runs in flight (a cut deletion is
// finished by the next run) and waits for them until ctx is done.
func (r *Retention) Close(ctx context.Context) error {
	if r.cron == nil {
		return nil
	}
	done := r.cron.Stop()
	r.cancel()
	select {
	case <-done.Done():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runOthers runs the defaults over every channel of the store that has no
// policy of its own.
func (r *Retention) runOthers(ctx context.Context) {
	chs, err := Channels(ctx, r.store)
	if err != nil {
		r.log.Warn("retention: listing channels failed", "err", err)
		return
	}
	for _, ch := range chs {
		if _, own := r.opts.Channels[ch]; !own && ctx.Err() == nil {
			r.runLogged(ctx, ch)
		}
	}
}

// runLogged runs one channel and logs a failure.
func (r *Retention) runLogged(ctx context.Context, channel string) {
	pl, err := r.Run(ctx, channel, false)
	if err != nil {
		r.opts.Metrics.failed(channel)
		r.log.Warn("retention run failed", "channel", channel, "deleted", len(pl.Delete), "err", err)
		return
	}
	if len(pl.Delete) > 0 || pl.Kept > 0 {
		r.log.Info("retention run", "channel", channel, "deleted", len(pl.Delete), "kept", pl.Kept, "bytes_before", pl.Total)
	}
}

// cronLogger is a cron.Logger over slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("retention cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("retention cron: "+msg, append(kv, "err", err)...)
}
