package archive

import (
	"io"
	"math/bits"
	"sync"
)

// Buffers of segment bytes are recycled: at a few hundred channels, a
// fresh allocation per box and per segment (about 1 MB each for 3 Mbit/s
// video) made the garbage collector the largest cost of ingest after the
// store's system calls, and its pauses part of the latency tail.
//
// The pool keeps size classes from minPooled to maxPooled, four per power
// of two (2^k × 4/4, 5/4, 6/4, 7/4), so that a buffer wastes at most a
// fifth of itself: with power-of-two classes a 1.05 MB video segment took
// a 2 MiB buffer, and the pool held twice the bytes in flight. A buffer is
// returned once its bytes are staged (or the request failed): nothing
// keeps a segment's bytes after stage returns.
const (
	minPooledShift = 12 // 4 KiB
	maxPooledShift = 24 // 16 MiB
	classesPerPow2 = 4
)

var segPools [(maxPooledShift-minPooledShift)*classesPerPow2 + 1]sync.Pool

// classSize is the capacity of the buffers of class c.
func classSize(c int) int {
	k, q := c/classesPerPow2, c%classesPerPow2
	return (1 << (minPooledShift + k)) / classesPerPow2 * (classesPerPow2 + q)
}

// poolClass returns the smallest class whose buffers hold n bytes, or -1.
func poolClass(n int) int {
	if n <= 1<<minPooledShift {
		return 0
	}
	k := bits.Len(uint(n-1)) - 1 - minPooledShift // 2^(min+k) < n <= 2^(min+k+1)
	c := k * classesPerPow2
	for c < len(segPools) && classSize(c) < n {
		c++
	}
	if c >= len(segPools) {
		return -1
	}
	return c
}

// getBuf returns an empty slice with capacity at least n.
func getBuf(n int) []byte {
	c := poolClass(n)
	if c < 0 {
		return make([]byte, 0, n)
	}
	if b, ok := segPools[c].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, classSize(c))
}

// pooledBuf returns an empty pooled slice with capacity at least n, or
// nil when the pool holds none: memory that is resident already.
func pooledBuf(n int) []byte {
	c := poolClass(n)
	if c < 0 {
		return nil
	}
	if b, ok := segPools[c].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// readBody reads a body of size bytes, of which pre were read already,
// into one buffer, taking memory as the bytes arrive rather than for the
// length declared. A pooled buffer that holds size (memory that is
// resident already) is read into directly, as is a body that the first
// granule of budget covers. Else the body is read in granules and copied
// into one buffer once it is all there: allocated up front, 16 bodies
// that declared 63 MiB and stalled after 40 MiB, most of them refused for
// want of budget, took a 300 MiB peak RSS under a 96 MiB budget (the
// runtime zeroes a reused span when it allocates it), and a buffer grown
// by doubling kept three times the bytes received. The copy is about
// 1% of a core at 1 Gbit/s of ingest.
func readBody(body io.Reader, size int64, pre []byte) ([]byte, error) {
	short := func(err error) error {
		if err == io.EOF {
			return io.ErrUnexpectedEOF // size bytes were declared
		}
		return err
	}
	buf := pooledBuf(int(size))
	if buf == nil && size-int64(len(pre)) <= budgetGranule {
		buf = getBuf(int(size))
	}
	if buf != nil {
		buf = append(buf, pre...)[:size]
		if _, err := io.ReadFull(body, buf[len(pre):]); err != nil {
			putBuf(buf)
			return nil, short(err)
		}
		return buf, nil
	}
	var granules [][]byte
	defer func() {
		for _, g := range granules {
			putBuf(g)
		}
	}()
	for n := int64(len(pre)); n < size; {
		g := getBuf(budgetGranule)[:min(budgetGranule, size-n)]
		granules = append(granules, g)
		if _, err := io.ReadFull(body, g); err != nil {
			return nil, short(err)
		}
		n += int64(len(g))
	}
	buf = append(getBuf(int(size)), pre...)
	for _, g := range granules {
		buf = append(buf, g...)
	}
	return buf, nil
}

// putBuf recycles b; the caller must not use it after.
func putBuf(b []byte) {
	if cap(b) < 1<<minPooledShift {
		return
	}
	// The largest class that b holds, so a buffer always holds its class.
	c := poolClass(cap(b))
	if c < 0 {
		return // larger than the largest class: left to the collector
	}
	if classSize(c) > cap(b) {
		c--
	}
	b = b[:0]
	segPools[c].Put(&b)
}
