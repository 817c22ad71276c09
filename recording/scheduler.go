package recording

import (
	"context"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// SchedulerOptions configure a Scheduler; nil means defaults.
type SchedulerOptions struct {
	Logger *slog.Logger // default: the Recorder's
	// Fired, if set, is called after each firing with the recording's
	// name, whether this instance created it (false: another instance had)
	// and the error, if any.
	Fired func(channel, name string, created bool, err error)
	// Now is the clock the firing time is read from (default time.Now).
	Now func() time.Time
}

// Scheduler requests recordings on cron schedules (robfig/cron/v3, with
// cron.Recover in the chain). Every instance of reapd runs the same
// schedules: the write-once create of each request decides, so each
// scheduled recording is requested once; the Recorder completes it.
type Scheduler struct {
	rec    *Recorder
	log    *slog.Logger
	opts   SchedulerOptions
	cron   *cron.Cron
	scheds []*compiled

	ctx    context.Context
	cancel context.CancelFunc
}

// lookback is how late after its time a firing is still attributed to it.
const lookback = time.Minute

// NewScheduler validates the schedules (see Schedule) and returns a
// Scheduler that requests their recordings through rec once started.
func NewScheduler(rec *Recorder, schedules []Schedule, opts *SchedulerOptions) (*Scheduler, error) {
	var o SchedulerOptions
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = rec.log
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Scheduler{rec: rec, log: o.Logger, opts: o}
	s.cron = cron.New(cron.WithParser(cronParser), cron.WithLocation(time.UTC),
		cron.WithChain(cron.Recover(cronLogger{o.Logger})))
	for _, sc := range schedules {
		c, err := compile(sc)
		if err != nil {
			return nil, err
		}
		s.scheds = append(s.scheds, c)
		s.cron.Schedule(c.spec, cron.FuncJob(func() { s.fire(c) }))
	}
	return s, nil
}

// Start starts the cron goroutine. A Scheduler without schedules starts
// nothing.
func (s *Scheduler) Start(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if len(s.scheds) > 0 {
		s.cron.Start()
		s.log.Info("recording schedules started", "schedules", len(s.scheds))
	}
	return nil
}

// Close stops the schedules and waits for firings in progress (or ctx).
func (s *Scheduler) Close(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	stopped := s.cron.Stop()
	defer s.cancel()
	select {
	case <-stopped.Done():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fire requests the recording of schedule c that starts now.
func (s *Scheduler) fire(c *compiled) {
	start := c.fireTime(s.opts.Now(), lookback)
	q := Request{Channel: c.Channel, Name: c.name(start), Start: start, End: start.Add(c.Duration),
		Schedule: c.Cron + " " + c.loc.String()}
	ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	_, created, err := s.rec.Create(ctx, q)
	if err != nil {
		s.log.Warn("scheduled recording not requested", "channel", q.Channel, "name", q.Name, "err", err)
	} else if created {
		s.log.Info("scheduled recording requested", "channel", q.Channel, "name", q.Name, "start", q.Start, "end", q.End)
	}
	if s.opts.Fired != nil {
		s.opts.Fired(q.Channel, q.Name, created, err)
	}
}

// cronLogger is cron.Logger over slog (cron.Recover logs panics with it).
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
