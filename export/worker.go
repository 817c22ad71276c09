package export

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// Start runs the worker until Close: it scans the store every Options.Poll
// (and at once after a Submit) for jobs that are neither finished nor
// claimed by a live instance, claims them (status.json, created
// write-once, or taken over when its holder has not renewed it for
// Options.Lease, as archive finalize claims are) and runs at most
// Options.Workers at once. Two instances that take over one stale claim
// at the same instant both run the job, which costs time, not
// correctness: every object a job writes is write-once and a function of
// its stored plan.
func (s *Service) Start(ctx context.Context) error {
	ctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	s.stop = stop
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.opts.Poll)
		defer t.Stop()
		for {
			s.scan(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-s.kick:
			}
		}
	}()
	return nil
}

// Close stops the worker and waits for its jobs to stop (or ctx). A job
// stopped by Close releases its claim, so another instance takes it over
// at once, and resumes from its plan: files written stay written.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scan starts the jobs this instance may run.
func (s *Service) scan(ctx context.Context) {
	ids, err := s.jobIDs(ctx, "")
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("export: listing jobs", "err", err)
		}
		return
	}
	for _, id := range ids {
		s.mu.Lock()
		skip, full := s.done[id] || s.running[id] != nil, len(s.running) >= s.opts.Workers
		s.mu.Unlock()
		if full || ctx.Err() != nil {
			return
		}
		if skip {
			continue
		}
		if err := s.consider(ctx, id); err != nil && ctx.Err() == nil {
			s.log.Warn("export: job", "id", id, "err", err)
		}
	}
}

// consider looks at one unfinished job: marks it done when it is, ends a
// canceled one nobody runs, else claims and starts it.
func (s *Service) consider(ctx context.Context, id string) error {
	dir := jobDir(id)
	if _, err := s.store.Stat(ctx, dir+doneObject); err == nil {
		s.mu.Lock()
		s.done[id] = true
		s.mu.Unlock()
		return nil
	} else if !errors.Is(err, blobstore.ErrNotFound) {
		return err
	}
	ok, err := s.claim(ctx, id)
	if err != nil || !ok {
		return err
	}
	jctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.running[id] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		s.run(jctx, id)
		s.mu.Lock()
		delete(s.running, id)
		s.mu.Unlock()
	}()
	return nil
}

// claim takes the claim on a job: true if this instance now holds it.
func (s *Service) claim(ctx context.Context, id string) (bool, error) {
	key := jobDir(id) + statusObject
	now := s.opts.Now().UTC()
	mine, _ := json.Marshal(status{By: s.id, At: now})
	err := s.store.Create(ctx, key, mine)
	if !errors.Is(err, blobstore.ErrExists) {
		return err == nil, err
	}
	raw, err := s.store.Get(ctx, key)
	if errors.Is(err, blobstore.ErrNotFound) {
		err := s.store.Create(ctx, key, mine)
		return err == nil, ignoreExists(err)
	}
	if err != nil {
		return false, err
	}
	var old status
	if json.Unmarshal(raw, &old) == nil && now.Sub(old.At) < s.opts.Lease {
		return false, nil
	}
	s.log.Info("export: taking over a stale job claim", "id", id, "holder", old.By, "since", old.At)
	old.By, old.At = s.id, now
	mine, _ = json.Marshal(old)
	if err := s.store.Put(ctx, key, mine); err != nil {
		return false, err
	}
	raw, err = s.store.Get(ctx, key) // another instance may have taken it at the same instant
	if err != nil {
		return false, err
	}
	var got status
	return json.Unmarshal(raw, &got) == nil && got.By == s.id, nil
}

func ignoreExists(err error) error {
	if errors.Is(err, blobstore.ErrExists) {
		return nil
	}
	return err
}

// sortJobs orders jobs by channel, then creation time, then id.
func sortJobs(jobs []Job) {
	slices.SortFunc(jobs, func(a, b Job) int {
		return cmp.Or(cmp.Compare(a.Channel, b.Channel), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
}
