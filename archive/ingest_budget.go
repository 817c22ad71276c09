package archive

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrOverBudget is wrapped by the error of an ingest request refused
// because the process-wide ingest memory budget (Options.IngestMemory) is
// exhausted; it is answered 503 with Retry-After.
var ErrOverBudget = errors.New("ingest memory budget exhausted")

// budgetGranule is the step in which a request body reserves budget, and the
// largest read it passes on at once.
const budgetGranule = 256 << 10

// memoryPerByte is the memory a byte of an ingest body takes while it is
// held: trackfile.BoxReader grows a box's buffer by doubling, so a box
// being read takes up to twice the bytes received (measured: 6 boxes of
// 40 MiB received held 378 MiB of buffers), and readBody holds a large
// body twice while it joins its granules.
const memoryPerByte = 2

// IngestMemoryFor returns the smallest Options.IngestMemory in which one
// segment of maxSegment bytes fits.
func IngestMemoryFor(maxSegment int64) int64 {
	return memoryPerByte*maxSegment + budgetGranule
}

// ingestBudget is the process-wide budget for ingest bytes in flight: the
// memory of request bodies read and not yet staged, each byte counted
// perByte times. It never blocks: a reservation over the limit fails, and
// the request is refused with 503.
type ingestBudget struct {
	limit   int64 // bytes of memory
	perByte int64
	used    atomic.Int64 // bytes of memory
	gauge   prometheus.Gauge
}

func newIngestBudget(limit int64, gauge prometheus.Gauge) *ingestBudget {
	return &ingestBudget{limit: limit, perByte: memoryPerByte, gauge: gauge}
}

// acquire reserves the memory of n body bytes; false (and nothing
// reserved) if that would pass the limit.
func (b *ingestBudget) acquire(n int64) bool {
	cost := n * b.perByte
	for {
		u := b.used.Load()
		if u+cost > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+cost) {
			b.gauge.Add(float64(cost))
			return true
		}
	}
}

// acquireUpTo reserves the memory of as many of n body bytes as the limit
// leaves room for, and returns how many.
func (b *ingestBudget) acquireUpTo(n int64) int64 {
	for {
		u := b.used.Load()
		k := min(n, (b.limit-u)/b.perByte)
		if k <= 0 {
			return 0
		}
		if b.used.CompareAndSwap(u, u+k*b.perByte) {
			b.gauge.Add(float64(k * b.perByte))
			return k
		}
	}
}

// release returns the memory of n reserved body bytes.
func (b *ingestBudget) release(n int64) {
	if n > 0 {
		b.used.Add(-n * b.perByte)
		b.gauge.Sub(float64(n * b.perByte))
	}
}

// budgetBody is an ingest request body whose bytes count against the
// budget from the moment they are read until they are released: by
// [releaseHeld] when the segment they belong to is staged, or all at once
// by close at the end of the request. It reserves in steps of
// budgetGranule as bytes arrive (never for bytes not sent yet, so a client
// that declares a large Content-Length and sends nothing holds no budget),
// and a read that cannot reserve fails with ErrOverBudget.
//
// A budgetBody is used by one goroutine, the request's handler.
type budgetBody struct {
	r io.Reader
	b *ingestBudget
	// maxHeld, when > 0, is the most a request can hold at once (a
	// long-running Streams() POST holds one segment and one box): bytes
	// read beyond it are assumed released, as the reader keeps no more.
	maxHeld  int64
	reserved int64       // body bytes reserved from b
	held     int64       // body bytes read and not released
	err      error       // the first read error other than io.EOF
	clock    *storeClock // stopped while a read waits for the client; nil: none
}

// newBudgetBody wraps r. It reserves first bytes at once (a granule for a
// media body; the whole of a body whose reader bounds it, such as an I-MPD)
// and fails with ErrOverBudget if the budget has no room for them, so that
// a new request is refused before any of its body is read.
func newBudgetBody(r io.Reader, b *ingestBudget, first, maxHeld int64) (*budgetBody, error) {
	bb := &budgetBody{r: r, b: b, maxHeld: maxHeld}
	if err := bb.reserve(first); err != nil {
		return nil, err
	}
	return bb, nil
}

// Read reads from the body, reserving budget for what it reads first: a
// granule if the budget has room for it, else what room is left. With no
// room at all it fails with ErrOverBudget, unless the body is at its end.
func (bb *budgetBody) Read(p []byte) (int, error) {
	if bb.clock != nil {
		bb.clock.waiting()
		defer bb.clock.working()
	}
	if len(p) > budgetGranule {
		p = p[:budgetGranule]
	}
	if len(p) == 0 {
		return bb.r.Read(p)
	}
	if err := bb.reserve(bb.heldAfter(int64(len(p)))); err != nil {
		bb.reserved += bb.b.acquireUpTo(bb.heldAfter(int64(len(p))) - bb.reserved)
	}
	free := bb.reserved - bb.held
	if bb.maxHeld > 0 && bb.reserved >= bb.maxHeld {
		free = int64(len(p)) // held stays at maxHeld
	}
	if free <= 0 {
		// Whether the body is over decides between its end and a refusal;
		// the byte read to find out is dropped with the request.
		var one [1]byte
		n, err := bb.r.Read(one[:])
		if n == 0 && err != nil {
			if err != io.EOF && bb.err == nil {
				bb.err = err
			}
			return 0, err
		}
		if bb.err == nil {
			bb.err = bb.overBudget(1)
		}
		return 0, bb.err
	}
	if int64(len(p)) > free {
		p = p[:free]
	}
	n, err := bb.r.Read(p)
	bb.held = bb.heldAfter(int64(n))
	if err != nil && err != io.EOF && bb.err == nil {
		bb.err = err
	}
	return n, err
}

// heldAfter is what the body holds after n more bytes are read.
func (bb *budgetBody) heldAfter(n int64) int64 {
	h := bb.held + n
	if bb.maxHeld > 0 {
		h = min(h, bb.maxHeld)
	}
	return h
}

// reserve makes sure that at least want bytes are reserved.
func (bb *budgetBody) reserve(want int64) error {
	if want <= bb.reserved {
		return nil
	}
	more := roundUp(want-bb.reserved, budgetGranule)
	if bb.maxHeld > 0 {
		more = max(min(more, bb.maxHeld-bb.reserved), want-bb.reserved)
	}
	if !bb.b.acquire(more) {
		return bb.overBudget(more)
	}
	bb.reserved += more
	return nil
}

// overBudget is the error of a reservation of more bytes that failed.
func (bb *budgetBody) overBudget(more int64) error {
	return fmt.Errorf("%w: %d of %d bytes of memory in use, %d more needed", ErrOverBudget, bb.b.used.Load(), bb.b.limit, more*bb.b.perByte)
}

// release notes that n bytes read from the body are no longer held, and
// returns the reservation beyond what is still held (rounded up to a
// granule) to the budget.
func (bb *budgetBody) release(n int64) {
	bb.held = max(0, bb.held-n)
	keep := roundUp(bb.held, budgetGranule)
	if keep < bb.reserved {
		bb.b.release(bb.reserved - keep)
		bb.reserved = keep
	}
}

// close returns everything to the budget: the request is over.
func (bb *budgetBody) close() {
	bb.b.release(bb.reserved)
	bb.reserved, bb.held = 0, 0
}

// releaseHeld tells the budget that n bytes read from body (the reader
// ingestMedia is given) were staged or dropped and are no longer held. It
// is a no-op for other readers. Without it, the bytes of a request are
// released when the request ends (and a Streams() POST holds at most
// budgetBody.maxHeld).
func releaseHeld(body io.Reader, n int) {
	if bb, ok := body.(*budgetBody); ok {
		bb.release(int64(n))
	}
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }
