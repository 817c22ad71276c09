package ingestload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Mode is how segments are paced.
type Mode string

const (
	// Realtime sends each segment when it is complete, at the end of its
	// grid slot, channels staggered over D.
	Realtime Mode = "realtime"
	// Fast sends every track's segments back to back, as fast as the
	// server answers.
	Fast Mode = "fast"
)

// Config is one load run.
type Config struct {
	// URL is the ingest base, e.g. http://127.0.0.1:8080/ingest: channel
	// c's track t goes to URL/{Prefix}{c}/{t}/{n}.{ext}.
	URL      string
	Prefix   string // channel name prefix; default "ch"
	Channels int
	Mode     Mode
	// Duration is how long a real-time run sends (rounded up to whole
	// segments); Segments is how many segments each track sends in a fast
	// run.
	Duration time.Duration
	Segments int
	// Start is the first grid slot's start time of a fast run (segments
	// go back to back from there); default Segments × D before now, so
	// the run ends near the wall clock.
	Start time.Time
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Sample is one request's outcome.
type Sample struct {
	Sent    time.Time     // when the request started
	Latency time.Duration // until its answer was read
	Bytes   int
	Status  int // 0: transport error
}

// Result is what a run measured.
type Result struct {
	Samples []Sample
	Elapsed time.Duration
	Errors  []string // the first few failures
}

// Run pushes the media for cfg.Channels channels and returns every
// request's latency. It sends each track's header first (not counted),
// then its segments; a failed request is counted (Status ≠ 200) and the
// track goes on with the next segment, as an encoder would.
func Run(ctx context.Context, m *Media, cfg Config) (*Result, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "ch"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Channels <= 0 {
		return nil, fmt.Errorf("channels: %d", cfg.Channels)
	}
	d := D
	now := cfg.Now()
	var first uint64 // first slot
	var count int
	switch cfg.Mode {
	case Realtime:
		// The first segment is the one that ends next.
		first = uint64(now.UnixNano()/int64(d)) + 0
		count = int((cfg.Duration + d - 1) / d)
	case Fast:
		count = cfg.Segments
		start := cfg.Start
		if start.IsZero() {
			start = now.Add(-time.Duration(count) * d)
		}
		first = uint64(start.UnixNano() / int64(d))
	default:
		return nil, fmt.Errorf("mode %q: want realtime or fast", cfg.Mode)
	}
	if count <= 0 {
		return nil, fmt.Errorf("no segments to send")
	}
	res := &Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	begin := time.Now()
	for c := range cfg.Channels {
		stagger := time.Duration(int64(d) * int64(c) / int64(cfg.Channels))
		for _, t := range m.Tracks {
			p := &pusher{
				client: newClient(),
				base:   fmt.Sprintf("%s/%s%d/%s/", cfg.URL, cfg.Prefix, c, t.Name),
				track:  t,
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				samples, errs := p.run(ctx, cfg, first, count, stagger)
				mu.Lock()
				res.Samples = append(res.Samples, samples...)
				if len(res.Errors) < 10 {
					res.Errors = append(res.Errors, errs...)
				}
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	res.Elapsed = time.Since(begin)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// newClient is one encoder connection: a keep-alive transport that holds
// one connection.
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}, Timeout: 60 * time.Second}
}

// pusher is one track of one channel.
type pusher struct {
	client *http.Client
	base   string
	track  *Track
}

func (p *pusher) run(ctx context.Context, cfg Config, first uint64, count int, stagger time.Duration) ([]Sample, []string) {
	defer p.client.CloseIdleConnections()
	var errs []string
	if err := p.putInit(ctx); err != nil {
		return nil, []string{err.Error()}
	}
	samples := make([]Sample, 0, count)
	var buf []byte
	for i := range count {
		slot := first + uint64(i)
		if cfg.Mode == Realtime {
			// complete at the end of its slot
			due := time.Unix(0, int64(slot+1)*int64(D)).Add(stagger)
			if wait := due.Sub(cfg.Now()); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return samples, errs
				case <-t.C:
				}
			}
		}
		if ctx.Err() != nil {
			return samples, errs
		}
		buf = p.track.Segment(buf, slot)
		start := time.Now()
		st, err := p.put(ctx, fmt.Sprintf("%d.%s", slot, p.track.Ext), buf)
		samples = append(samples, Sample{Sent: start, Latency: time.Since(start), Bytes: len(buf), Status: st})
		if (err != nil || st != http.StatusOK) && len(errs) < 3 {
			errs = append(errs, fmt.Sprintf("%s%d: %d %v", p.base, slot, st, err))
		}
	}
	return samples, errs
}

// putInit sends the track's header, again after a 503 (as an encoder
// does, after a second), up to ten times.
func (p *pusher) putInit(ctx context.Context) error {
	var st int
	var err error
	for range 10 {
		st, err = p.put(ctx, "init."+p.track.Ext, p.track.Init)
		if err == nil && st == http.StatusOK {
			return nil
		}
		if st != http.StatusServiceUnavailable {
			break
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return fmt.Errorf("%sinit: %d %v", p.base, st, err)
}

// put sends one object and reads the answer.
func (p *pusher) put(ctx context.Context, name string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.base+name, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.ContentLength = int64(len(body))
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
