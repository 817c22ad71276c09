package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// progress is the shared progress of a running job.
type progress struct {
	mu    sync.Mutex
	bytes int64
	total int64
	gaps  []Gap
}

func (p *progress) set(done int64) {
	p.mu.Lock()
	p.bytes = done
	p.mu.Unlock()
}

func (p *progress) get() (float64, int64, []Gap) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pct := 0.0
	if p.total > 0 {
		pct = min(100, 100*float64(p.bytes)/float64(p.total))
	}
	return pct, p.bytes, p.gaps
}

// run runs a claimed job to its end: complete, failed, canceled — or, when
// this instance stops or the store fails, to a released claim, for this or
// another instance to resume.
func (s *Service) run(ctx context.Context, id string) {
	dir := jobDir(id)
	log := s.log.With("export", id)
	pr := &progress{}
	hbCtx, stopHB := context.WithCancel(ctx)
	jctx, cancelJob := context.WithCancel(ctx)
	defer cancelJob()
	var hb sync.WaitGroup
	hb.Add(1)
	go func() { defer hb.Done(); s.heartbeat(hbCtx, id, pr, cancelJob) }()

	rec, results, err := s.execute(jctx, id, pr)
	stopHB()
	hb.Wait()

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	j := Job{ID: id, Request: rec.Request, Created: rec.Created, Updated: s.opts.Now().UTC(), Results: results, Gaps: pr.gaps}
	j.Progress, j.Bytes, _ = pr.get()
	if j.Results == nil {
		j.Results = []string{}
	}
	if j.Gaps == nil {
		j.Gaps = []Gap{}
	}
	_, cerr := s.store.Stat(fctx, dir+cancelObject)
	switch {
	case cerr == nil:
		j.State = StateCanceled
	case err == nil:
		j.State, j.Progress = StateComplete, 100
	case ctx.Err() != nil || errors.Is(err, blobstore.ErrUnavailable) || rec.ID == "":
		// Stopping, or the store failed: release the claim (a claim from
		// the epoch, stale for everyone) with the progress and the error;
		// the job resumes at once, here or elsewhere.
		log.Info("export: job stopped, to be resumed", "err", err)
		rel := status{Progress: j.Progress, Bytes: j.Bytes, Gaps: j.Gaps}
		if ctx.Err() == nil {
			rel.Error = err.Error()
		}
		raw, _ := json.Marshal(rel)
		if perr := s.store.Put(fctx, dir+statusObject, raw); perr != nil {
			log.Warn("export: releasing claim", "err", perr)
		}
		return
	default:
		j.State, j.Error = StateFailed, err.Error()
	}
	raw, _ := json.Marshal(j)
	if err := s.store.Create(fctx, dir+doneObject, raw); err != nil && !errors.Is(err, blobstore.ErrExists) {
		log.Warn("export: writing the job's end", "err", err)
		return
	}
	_ = s.store.Delete(fctx, dir+statusObject)
	s.mu.Lock()
	s.done[id] = true
	s.mu.Unlock()
	log.Info("export: job ended", "state", j.State, "bytes", j.Bytes, "err", j.Error)
}

// heartbeat renews the claim with the progress about every second (and
// at least three times per lease), and cancels the job when its cancel
// marker appears.
func (s *Service) heartbeat(ctx context.Context, id string, pr *progress, cancelJob context.CancelFunc) {
	dir := jobDir(id)
	t := time.NewTicker(min(time.Second, s.opts.Lease/3))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.store.Stat(ctx, dir+cancelObject); err == nil {
			cancelJob()
			return
		}
		pct, bytes, gaps := pr.get()
		raw, _ := json.Marshal(status{By: s.id, At: s.opts.Now().UTC(), Progress: pct, Bytes: bytes, Gaps: gaps})
		if err := s.store.Put(ctx, dir+statusObject, raw); err != nil && ctx.Err() == nil {
			s.log.Warn("export: renewing claim", "export", id, "err", err)
		}
	}
}

// execute does the work of a job: its plan (stored write-once, so that a
// resumed job writes the same package), then the package or the clip.
func (s *Service) execute(ctx context.Context, id string, pr *progress) (jobRecord, []string, error) {
	dir := jobDir(id)
	var rec jobRecord
	raw, err := s.store.Get(ctx, dir+jobObject)
	if err != nil {
		return rec, nil, err
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, nil, fmt.Errorf("%s: %w", dir+jobObject, err)
	}
	if _, err := s.store.Stat(ctx, dir+cancelObject); err == nil {
		return rec, nil, context.Canceled
	}
	req := &rec.Request
	plan, err := s.plan(ctx, dir, req)
	if err != nil {
		return rec, nil, err
	}
	pr.mu.Lock()
	pr.total, pr.gaps = plan.Bytes, plan.Gaps
	pr.mu.Unlock()
	dst := &Destination{Store: s.store, Prefix: dir + filesDir}
	result := func(name string) string { return "/api/exports/" + id + "/files/" + name }
	if req.Destination != "" {
		if dst, err = s.opts.OpenDestination(ctx, req.Destination); err != nil {
			return rec, nil, err
		}
		defer dst.Store.Close()
		// A file:// destination keeps the temporary file of a write that a
		// killed instance left; nothing names it, but it takes space.
		_, _ = dst.Store.RemoveStaleTemp(ctx, time.Minute)
		result = dst.URL
	}
	var names []string
	if req.Format == FormatMP4 {
		names, err = s.writeClip(ctx, req, dst, pr)
	} else {
		names, err = WritePackage(ctx, s.store, plan, req.Format, dst, &WriteOptions{Progress: pr.set, MaxRate: s.opts.MaxRate})
	}
	if err != nil {
		return rec, nil, err
	}
	results := make([]string, len(names))
	for i, n := range names {
		results[i] = result(n)
	}
	return rec, results, nil
}

// plan returns the job's stored plan, making and storing it the first time.
func (s *Service) plan(ctx context.Context, dir string, req *Request) (*Plan, error) {
	raw, err := s.store.Get(ctx, dir+planObject)
	if errors.Is(err, blobstore.ErrNotFound) {
		p, err := MakePlan(ctx, s.store, req.Channel, req.Start, req.End, req.Tracks)
		if err != nil {
			return nil, err
		}
		raw, _ = json.Marshal(p)
		if err := s.store.Create(ctx, dir+planObject, raw); err == nil {
			return p, nil
		} else if !errors.Is(err, blobstore.ErrExists) {
			return nil, err
		}
		raw, err = s.store.Get(ctx, dir+planObject) // another instance planned first
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	var p Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", dir+planObject, err)
	}
	return &p, nil
}

// writeClip writes an "mp4" job's one file with the ClipWriter, write-once.
func (s *Service) writeClip(ctx context.Context, req *Request, dst *Destination, pr *progress) ([]string, error) {
	if s.opts.Clip == nil {
		return nil, errors.New("export: mp4 exports need the clip builder, which this server was not given")
	}
	key := dst.Prefix + ClipName
	if a, err := dst.Store.Stat(ctx, key); err == nil { // written whole by an earlier attempt
		pr.mu.Lock()
		pr.total, pr.bytes = a.Size, a.Size
		pr.mu.Unlock()
		return []string{ClipName}, nil
	}
	size, err := s.opts.Clip.ClipSize(ctx, req.Channel, req.Start, req.End, req.Tracks)
	if err != nil {
		return nil, err
	}
	pr.mu.Lock()
	pr.total, pr.bytes = size, 0
	pr.mu.Unlock()
	err = dst.Store.CreateFrom(ctx, key, func(w io.Writer) error {
		cw := &copier{ctx: ctx, w: w, rate: s.opts.MaxRate, progress: pr.set, start: time.Now()}
		_, err := s.opts.Clip.WriteClip(ctx, cw, req.Channel, req.Start, req.End, req.Tracks)
		pr.set(cw.done)
		return err
	})
	if err != nil && !errors.Is(err, blobstore.ErrExists) {
		return nil, err
	}
	return []string{ClipName}, nil
}
