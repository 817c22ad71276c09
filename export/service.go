package export

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// ClipWriter builds one MP4 of a window in-process (the catch-up clip
// builder, GET /catchup/{channel}/clip.mp4), for "mp4" jobs. The lead wires
// catchup's implementation; the package only uses this contract:
// ClipSize returns the size WriteClip will write (0 if unknown, for
// progress), and WriteClip writes the same bytes for the same arguments
// every time (a retried job must write an identical file) and returns how
// many it wrote.
type ClipWriter interface {
	ClipSize(ctx context.Context, channel string, start, end time.Time, tracks []string) (int64, error)
	WriteClip(ctx context.Context, w io.Writer, channel string, start, end time.Time, tracks []string) (int64, error)
}

// Options configure a Service; nil means defaults.
type Options struct {
	Logger  *slog.Logger
	Workers int           // jobs run at once by this instance; 0 means 2
	Lease   time.Duration // a claim not renewed for this long is taken over; 0 means 30 s
	Poll    time.Duration // how often the store is scanned for jobs to run; 0 means 5 s
	MaxRate int64         // bytes per second each job writes at most; 0: no bound
	Clip    ClipWriter    // nil: "mp4" jobs fail
	Now     func() time.Time
	// AllowDestination says whether jobs may write to a destination URL
	// (see AllowDestinations); nil allows none: only the empty destination,
	// reapd's own store. The API writes where its clients say, so that an
	// open read side would otherwise let anyone make the server write
	// files on its host or send its cloud credentials to any endpoint.
	AllowDestination func(url string) bool
	// OpenDestination opens a job's destination; nil means the package's
	// OpenDestination (tests share a mem:// store through it).
	OpenDestination func(ctx context.Context, url string) (*Destination, error)
}

// Service runs export jobs from reapd's store and serves their HTTP API
// (Handler). Jobs live in the store (see jobDir), so any instance on the
// same bucket can answer for them and take over one whose instance died.
type Service struct {
	store *blobstore.Store
	opts  Options
	log   *slog.Logger
	id    string

	mu      sync.Mutex
	running map[string]context.CancelFunc
	done    map[string]bool // terminal jobs seen by the scanner
	kick    chan struct{}
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// New returns a Service over reapd's store; Start runs its worker.
func New(store *blobstore.Store, opts *Options) *Service {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OpenDestination == nil {
		o.OpenDestination = OpenDestination
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Service{store: store, opts: o, log: log, id: fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b),
		running: map[string]context.CancelFunc{}, done: map[string]bool{}, kick: make(chan struct{}, 1)}
}

// Submit creates the job of a request, or returns the existing one when
// its idempotency key is known (created false); ErrConflict when that key
// was used for another request.
func (s *Service) Submit(ctx context.Context, req Request) (job Job, created bool, err error) {
	if err := req.Check(); err != nil {
		return Job{}, false, err
	}
	req.Start, req.End = req.Start.UTC(), req.End.UTC()
	if req.Destination != "" && (s.opts.AllowDestination == nil || !s.opts.AllowDestination(req.Destination)) {
		return Job{}, false, fmt.Errorf("%w: destination %q is not among the allowed destinations of this server (--export-destination)", ErrBadRequest, redactURL(req.Destination))
	}
	if _, err := s.store.Stat(ctx, trackfile.TimingKey(req.Channel)); errors.Is(err, blobstore.ErrNotFound) {
		return Job{}, false, fmt.Errorf("%w: channel %q has no archive", ErrNotFound, req.Channel)
	} else if err != nil {
		return Job{}, false, err
	}
	id := jobID(req.Channel, req.IdempotencyKey)
	rec := jobRecord{ID: id, Request: req, Created: s.opts.Now().UTC()}
	raw, _ := json.Marshal(rec)
	err = s.store.Create(ctx, jobDir(id)+jobObject, raw)
	if errors.Is(err, blobstore.ErrExists) && req.IdempotencyKey != "" {
		j, err := s.Get(ctx, id)
		if err != nil {
			return Job{}, false, err
		}
		if !j.Request.same(&req) {
			return Job{}, false, fmt.Errorf("%w: idempotency key %q was used for another export", ErrConflict, req.IdempotencyKey)
		}
		return j, false, nil
	}
	if err != nil {
		return Job{}, false, err
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return Job{ID: id, Request: req, State: StateQueued, Created: rec.Created, Updated: rec.Created, Results: []string{}, Gaps: []Gap{}}, true, nil
}

// Get returns a job; ErrNotFound if there is none with that id.
func (s *Service) Get(ctx context.Context, id string) (Job, error) {
	if _, err := parseJobID(id); err != nil {
		return Job{}, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	dir := jobDir(id)
	raw, err := s.store.Get(ctx, dir+jobObject)
	if errors.Is(err, blobstore.ErrNotFound) {
		return Job{}, fmt.Errorf("%w: no export %q", ErrNotFound, id)
	}
	if err != nil {
		return Job{}, err
	}
	var rec jobRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return Job{}, fmt.Errorf("%s: %w", dir+jobObject, err)
	}
	if raw, err := s.store.Get(ctx, dir+doneObject); err == nil {
		var j Job
		if err := json.Unmarshal(raw, &j); err != nil {
			return Job{}, fmt.Errorf("%s: %w", dir+doneObject, err)
		}
		return j, nil
	} else if !errors.Is(err, blobstore.ErrNotFound) {
		return Job{}, err
	}
	j := Job{ID: id, Request: rec.Request, State: StateQueued, Created: rec.Created, Updated: rec.Created, Results: []string{}, Gaps: []Gap{}}
	if raw, err := s.store.Get(ctx, dir+statusObject); err == nil {
		var st status
		if json.Unmarshal(raw, &st) == nil {
			j.Progress, j.Bytes, j.Error = st.Progress, st.Bytes, st.Error
			if !st.At.IsZero() {
				j.Updated = st.At
			}
			if st.Gaps != nil {
				j.Gaps = st.Gaps
			}
			if s.opts.Now().Sub(st.At) < s.opts.Lease {
				j.State = StateRunning
			}
		}
	} else if !errors.Is(err, blobstore.ErrNotFound) {
		return Job{}, err
	}
	if _, err := s.store.Stat(ctx, dir+cancelObject); err == nil {
		j.State = StateCanceled
	} else if !errors.Is(err, blobstore.ErrNotFound) {
		return Job{}, err
	}
	return j, nil
}

// List returns the jobs of a channel ("": of every channel), by channel
// and creation time.
func (s *Service) List(ctx context.Context, channel string) ([]Job, error) {
	ids, err := s.jobIDs(ctx, channel)
	if err != nil {
		return nil, err
	}
	jobs := make([]Job, 0, len(ids))
	for _, id := range ids {
		j, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	sortJobs(jobs)
	return jobs, nil
}

// jobIDs lists the job ids in the store, of one channel or all.
func (s *Service) jobIDs(ctx context.Context, channel string) ([]string, error) {
	channels := []string{channel}
	if channel == "" {
		dirs, err := s.store.ListDirs(ctx, "")
		if err != nil {
			return nil, err
		}
		channels = channels[:0]
		for _, d := range dirs {
			channels = append(channels, strings.TrimSuffix(d, "/"))
		}
	}
	var ids []string
	for _, ch := range channels {
		dirs, err := s.store.ListDirs(ctx, ch+"/exports/")
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			id := strings.TrimSuffix(strings.TrimPrefix(d, ch+"/exports/"), "/")
			if c, err := parseJobID(id); err == nil && c == ch {
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// Cancel cancels a job that has not finished (DELETE): it writes the
// cancel marker, which the instance running the job sees at its next
// renewal of the claim. A finished job is returned as it is.
func (s *Service) Cancel(ctx context.Context, id string) (Job, error) {
	j, err := s.Get(ctx, id)
	if err != nil || j.Terminal() {
		return j, err
	}
	raw, _ := json.Marshal(map[string]time.Time{"at": s.opts.Now().UTC()})
	if err := s.store.Create(ctx, jobDir(id)+cancelObject, raw); err != nil && !errors.Is(err, blobstore.ErrExists) {
		return Job{}, err
	}
	s.mu.Lock()
	if cancel := s.running[id]; cancel != nil {
		cancel()
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return s.Get(ctx, id)
}
