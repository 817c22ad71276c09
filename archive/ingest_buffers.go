package archive

import (
	"math/bits"
	"sync"
)

// Buffers of segment bytes are recycled: at a few hundred channels, a
// fresh allocation per box and per segment (about 1 MB each for 3 Mbit/s
// video) made the garbage collector the largest cost of ingest after the
// store's system calls, and its pauses part of the latency tail.
//
// The pool keeps power-of-two size classes from minPooled to maxPooled;
// a buffer is returned once its bytes are staged (or the request failed):
// nothing keeps a segment's bytes after stage returns.
const (
	minPooledShift = 12 // 4 KiB
	maxPooledShift = 24 // 16 MiB
)

var segPools [maxPooledShift - minPooledShift + 1]sync.Pool

// poolClass returns the class whose buffers hold n bytes, or -1.
func poolClass(n int) int {
	if n <= 1<<minPooledShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minPooledShift
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
	return make([]byte, 0, 1<<(c+minPooledShift))
}

// putBuf recycles b; the caller must not use it after.
func putBuf(b []byte) {
	if cap(b) < 1<<minPooledShift {
		return
	}
	// Class by capacity, rounded down, so a buffer always holds its class.
	c := bits.Len(uint(cap(b))) - 1 - minPooledShift
	if c < 0 || c >= len(segPools) {
		return
	}
	b = b[:0]
	segPools[c].Put(&b)
}

// appendBufs returns parts concatenated in a pooled buffer.
func appendBufs(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := getBuf(n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
