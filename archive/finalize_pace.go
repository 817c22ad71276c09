package archive

import (
	"context"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"
)

// The finalize herd. Storage periods end together on the epoch grid, so
// every channel's period is due at the same moment: at 300 channels, an
// hour of every track is read back and written again at once, while
// ingest goes on. Finalizing unpaced took the disk and the CPU from
// staging for tens of seconds (ingest p99 of seconds, issue 13). These
// keep finalizing behind ingest:
//
//   - one period at a time (the finalizer is one goroutine);
//   - a byte budget: the finalizer reads staged segments at most at
//     Options.FinalizeRate, by default a multiple of the rate ingest
//     stages bytes at (so it keeps up with a margin and spreads a
//     period's work over most of the next period instead of a burst);
//   - a spread: each channel's period is due at a stable offset within
//     Options.FinalizeSpread (at most a tenth of the period) after its
//     end, so channels start apart;
//   - on Linux, the finalizer's thread runs at a lower CPU priority than
//     the request handlers (nice 10, see lowerPriority).

// Defaults of the finalize budget: the finalizer may read staged bytes at
// finalizeRateFactor times the rate ingest staged them lately (smoothed
// over about 10 s; a byte is read once, for the copy: the sizes come from
// the segments' heads),
// and at least at minFinalizeRate; up to finalizeBurst bytes go at once.
const (
	finalizeRateFactor = 1.5
	minFinalizeRate    = 16 << 20
	finalizeBurst      = 8 << 20
)

// pacer is a token bucket of bytes for the finalizer, with the ingest rate
// it follows.
type pacer struct {
	fixed float64 // bytes/s; 0: follow ingest; < 0: no limit
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	staged atomic.Int64 // bytes staged by ingest so far

	mu       sync.Mutex
	tokens   float64
	last     time.Time
	rate     float64 // ingest bytes/s, smoothed
	seen     int64   // staged at the last rate update
	seenAt   time.Time
	rateInit bool
}

func newPacer(rate float64) *pacer {
	return &pacer{fixed: rate, now: time.Now, sleep: sleepCtx, tokens: finalizeBurst}
}

// noteStaged counts n bytes staged by ingest.
func (p *pacer) noteStaged(n int) { p.staged.Add(int64(n)) }

// budget returns the current rate in bytes/s (< 0: unlimited).
func (p *pacer) budgetLocked(now time.Time) float64 {
	if p.fixed != 0 {
		return p.fixed
	}
	if !p.rateInit {
		p.rateInit, p.seenAt, p.seen = true, now, p.staged.Load()
	}
	if dt := now.Sub(p.seenAt); dt >= time.Second {
		s := p.staged.Load()
		inst := float64(s-p.seen) / dt.Seconds()
		// exponential smoothing with a time constant of 10 s
		alpha := min(dt.Seconds()/10, 1)
		p.rate += alpha * (inst - p.rate)
		p.seen, p.seenAt = s, now
	}
	return max(minFinalizeRate, finalizeRateFactor*p.rate)
}

// wait takes n bytes from the budget, sleeping until the bucket holds
// them (ctx cancels the wait).
func (p *pacer) wait(ctx context.Context, n int) error {
	p.mu.Lock()
	now := p.now()
	rate := p.budgetLocked(now)
	if rate < 0 {
		p.mu.Unlock()
		return nil
	}
	if !p.last.IsZero() {
		p.tokens = min(finalizeBurst, p.tokens+rate*now.Sub(p.last).Seconds())
	}
	p.last = now
	p.tokens -= float64(n)
	var d time.Duration
	if p.tokens < 0 {
		d = time.Duration(-p.tokens / rate * float64(time.Second))
	}
	p.mu.Unlock()
	if d <= 0 {
		return nil
	}
	return p.sleep(ctx, d)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// spreadOffset is channel c's offset for period k within spread: stable
// (a hash of both), so that retries and restarts keep it, and different
// for each channel, so that they start apart.
func spreadOffset(channel string, k int64, spread time.Duration) time.Duration {
	if spread <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(channel))
	var b [8]byte
	for i := range b {
		b[i] = byte(k >> (8 * i))
	}
	h.Write(b[:])
	return time.Duration(h.Sum64() % uint64(spread))
}
