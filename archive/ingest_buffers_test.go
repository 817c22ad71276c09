package archive

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// TestBufferClasses: a pooled buffer holds what was asked for and wastes
// at most a fifth of itself (a quarter of the request); a recycled buffer
// goes to a class it holds, so the next getBuf of that class never gets a
// short one.
func TestBufferClasses(t *testing.T) {
	for n := 1; n <= 1<<maxPooledShift; n = n*9/8 + 1 {
		b := getBuf(n)
		if cap(b) < n {
			t.Fatalf("getBuf(%d): capacity %d", n, cap(b))
		}
		if n > 1<<minPooledShift && cap(b) > n*5/4 {
			t.Errorf("getBuf(%d): capacity %d wastes more than a quarter of the request", n, cap(b))
		}
		putBuf(b)
	}
	for c := 0; c < len(segPools); c++ {
		for _, capacity := range []int{classSize(c), classSize(c) + 1, classSize(c)*9/8 + 7} {
			putBuf(make([]byte, 0, capacity))
		}
		for range 3 {
			if b := getBuf(classSize(c)); cap(b) < classSize(c) {
				t.Fatalf("class %d (%d bytes): got a buffer of %d", c, classSize(c), cap(b))
			}
		}
	}
	if poolClass(1<<maxPooledShift+1) != -1 {
		t.Error("a request over the largest class has a class")
	}
}

// TestReadBodyFollowsTheBytes: readBody returns the body's bytes, the
// ones read before it first, whatever sizes its reads come in; and the
// memory it takes follows the bytes that arrive, not the length declared
// (a body that declares 64 MiB and breaks off after 1 MiB allocates a few
// MiB, not 64).
func TestReadBodyFollowsTheBytes(t *testing.T) {
	body := make([]byte, 3<<20+17)
	for i := range body {
		body[i] = byte(i * 7 / 5)
	}
	for _, pre := range []int{0, headProbe} {
		got, err := readBody(iotest.HalfReader(bytes.NewReader(body[pre:])), int64(len(body)), body[:pre])
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("pre %d: %d bytes, err %v; want the %d of the body", pre, len(got), err, len(body))
		}
		putBuf(got)
	}

	const declared, sent = 64 << 20, 1 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readBody(io.LimitReader(zeroReader{}, sent), declared, nil)
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Errorf("a body cut short: err %v, want io.ErrUnexpectedEOF", err)
	}
	if took := after.TotalAlloc - before.TotalAlloc; took > 4*sent {
		t.Errorf("%d bytes received of %d declared took %d bytes of allocations, want at most %d", sent, declared, took, 4*sent)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }
