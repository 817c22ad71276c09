package netguard

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// fakeBody is a guarded body on a fake clock whose inner reader returns
// what the test puts in next, and which records the read deadlines set.
type fakeBody struct {
	*body
	t0, clock time.Time
	next      []byte
	nextErr   error
	deadline  time.Duration // the last deadline set, from t0; -1: none
}

func (f *fakeBody) Read(p []byte) (int, error) { return copy(p, f.next), f.nextErr }
func (f *fakeBody) Close() error               { return nil }

func newFakeBody(t *testing.T, o Options, media bool) *fakeBody {
	t.Helper()
	f := &fakeBody{t0: time.Unix(1_000_000, 0)}
	f.clock = f.t0
	o.Now = func() time.Time { return f.clock }
	if media {
		o.IsMedia = func(*http.Request) bool { return true }
	}
	g := New(&o)
	r := httptest.NewRequest(http.MethodPost, "/ingest/ch1/Streams(v.cmfv)", nil)
	r.Body = f
	f.body = &body{ReadCloser: f, g: g, req: r, media: media, credit: g.capacity(), last: f.t0, lastByte: f.t0,
		setDeadline: func(d time.Time) error {
			f.deadline = -1
			if !d.IsZero() {
				f.deadline = d.Sub(f.t0)
			}
			return nil
		}}
	if err := f.arm(f.t0); err != nil {
		t.Fatal(err)
	}
	return f
}

// at reads n bytes (data) arriving at offset d from the start, and returns
// the deadline set after it.
func (f *fakeBody) at(t *testing.T, d time.Duration, data []byte) time.Duration {
	t.Helper()
	f.clock = f.t0.Add(d)
	f.next, f.nextErr = data, nil
	if _, err := f.body.Read(make([]byte, len(data)+1)); err != nil {
		t.Fatalf("read at %v: %v", d, err)
	}
	return f.deadline
}

const sec = time.Second

var rateOpts = Options{MinRate: 100, RateWindow: 10 * sec, StallTimeout: 60 * sec}

// TestBodyDeadlineGrace: a new body has RateWindow before its credit is
// gone; each byte moves the deadline by 1/MinRate s, up to the cap.
func TestBodyDeadlineGrace(t *testing.T) {
	f := newFakeBody(t, rateOpts, false)
	if f.deadline != 10*sec {
		t.Fatalf("first deadline %v, want 10s", f.deadline)
	}
	// 5 s late, 100 bytes: credit 1000 − 500 + 100 = 600 bytes = 6 s.
	if d := f.at(t, 5*sec, make([]byte, 100)); d != 11*sec {
		t.Errorf("deadline %v, want 11s", d)
	}
	// A burst cannot bank more than the window.
	if d := f.at(t, 6*sec, make([]byte, 1<<20)); d != 16*sec {
		t.Errorf("after a burst: deadline %v, want 16s (now + window)", d)
	}
}

// TestBodyRateEdges: a body at MinRate − 1, MinRate and MinRate + 1
// bytes/s: at the rate or above, the deadline stays a window ahead; below
// it, it closes in by 1/MinRate s every second.
func TestBodyRateEdges(t *testing.T) {
	for _, tc := range []struct {
		rate int
		lag  time.Duration // how much closer the deadline is after 100 s
	}{
		{99, 100 * sec / 100}, // 1 byte/s short: 100 bytes = 1 s less credit
		{100, 0},
		{101, 0},
	} {
		f := newFakeBody(t, rateOpts, false)
		var d time.Duration
		for i := 1; i <= 100; i++ {
			d = f.at(t, time.Duration(i)*sec, make([]byte, tc.rate))
		}
		if want := 100*sec + 10*sec - tc.lag; d != want {
			t.Errorf("%d bytes/s: deadline after 100 s at %v, want %v", tc.rate, d, want)
		}
	}
}

// TestBodyStallEdges: with no rate, the deadline is StallTimeout after the
// last byte, whenever it came.
func TestBodyStallEdges(t *testing.T) {
	f := newFakeBody(t, Options{StallTimeout: 5 * sec}, false)
	if f.deadline != 5*sec {
		t.Fatalf("first deadline %v, want 5s", f.deadline)
	}
	for _, at := range []time.Duration{5*sec - 1, 9 * sec, 14*sec - 1} {
		if d := f.at(t, at, []byte{1}); d != at+5*sec {
			t.Errorf("byte at %v: deadline %v, want %v", at, d, at+5*sec)
		}
	}
}

// TestBodyMediaPausesBetweenBoxes: a media body is held to the rate inside
// a box only; between two complete boxes only the stall timeout runs.
func TestBodyMediaPausesBetweenBoxes(t *testing.T) {
	f := newFakeBody(t, rateOpts, true)
	frag := box("moof", 92, false) // 100 bytes
	// Credit 1000 − 100 + 50 = 950 bytes: 9.5 s.
	if d := f.at(t, sec, frag[:50]); d != 10500*time.Millisecond {
		t.Errorf("mid-box: deadline %v, want 10.5s (rate)", d)
	}
	if d := f.at(t, 2*sec, frag[50:]); d != 62*sec {
		t.Errorf("box complete: deadline %v, want 62s (stall)", d)
	}
	// 30 s of pause cost no credit: 900 + 10 bytes = 9.1 s.
	if d := f.at(t, 32*sec, frag[:10]); d != 41100*time.Millisecond {
		t.Errorf("next box after a pause: deadline %v, want 41.1s", d)
	}
	// A non-media body pausing as long loses its credit.
	g := newFakeBody(t, rateOpts, false)
	g.at(t, 2*sec, frag)
	// Credit 900 − 700 + 10 = 210 bytes: 2.1 s.
	if d := g.at(t, 9*sec, frag[:10]); d != 11100*time.Millisecond {
		t.Errorf("non-media pause: deadline %v, want 11.1s", d)
	}
}

// TestBodyCut: a read that times out is a SlowBodyError with the reason
// that set the deadline, wrapping os.ErrDeadlineExceeded, from then on;
// EOF clears the deadline.
func TestBodyCut(t *testing.T) {
	f := newFakeBody(t, rateOpts, false)
	f.clock = f.t0.Add(10 * sec)
	f.next, f.nextErr = nil, &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}
	_, err := f.body.Read(make([]byte, 10))
	var se *SlowBodyError
	if !errors.As(err, &se) || se.Reason != ReasonRate || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("cut read: %v", err)
	}
	f.next, f.nextErr = []byte("late"), nil
	if n, err2 := f.body.Read(make([]byte, 10)); n != 0 || err2 != err {
		t.Errorf("read after the cut: %d, %v", n, err2)
	}
	s := newFakeBody(t, Options{StallTimeout: 5 * sec}, false)
	s.next, s.nextErr = nil, &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}
	if _, err := s.body.Read(make([]byte, 1)); !errors.As(err, &se) || se.Reason != ReasonStall {
		t.Errorf("stall cut: %v", err)
	}
	e := newFakeBody(t, rateOpts, false)
	e.next, e.nextErr = []byte("end"), io.EOF
	if _, err := e.body.Read(make([]byte, 10)); err != io.EOF || e.deadline != -1 {
		t.Errorf("at EOF: %v, deadline %v (want cleared)", err, e.deadline)
	}
}
