package netguard

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// Reasons a body is cut, as in the reason label of
// reapd_http_bodies_cut_total.
const (
	ReasonRate  = "rate"  // slower than MinRate over the window
	ReasonStall = "stall" // no byte for StallTimeout
)

// SlowBodyError is the error a guarded body's Read returns once the
// connection's read deadline cut it. It wraps os.ErrDeadlineExceeded.
type SlowBodyError struct {
	Reason string // ReasonRate or ReasonStall
	Read   int64  // bytes received before the cut
	msg    string
}

func (e *SlowBodyError) Error() string { return e.msg }

// Unwrap returns os.ErrDeadlineExceeded.
func (e *SlowBodyError) Unwrap() error { return os.ErrDeadlineExceeded }

// body is a request body held to the minimum rate and the stall timeout by
// the connection's read deadline, moved as bytes arrive.
type body struct {
	io.ReadCloser
	g *Guard
	// setDeadline sets the connection's read deadline (its
	// ResponseController's SetReadDeadline).
	setDeadline func(time.Time) error
	req         *http.Request
	media       bool
	scan        boxScanner

	credit   float64   // bytes the body may still fall behind
	last     time.Time // when credit was last brought up to date
	lastByte time.Time // when the last byte arrived
	deadline time.Time // the read deadline set
	reason   string    // what the deadline enforces
	read     int64
	done     bool  // EOF or cut: no deadline any more
	cutErr   error // the SlowBodyError once cut, returned from then on
}

// newBody guards r.Body; the first deadline runs from now. It returns nil
// when the connection cannot take read deadlines.
func (g *Guard) newBody(w http.ResponseWriter, r *http.Request) *body {
	now := g.now()
	b := &body{ReadCloser: r.Body, g: g, setDeadline: http.NewResponseController(w).SetReadDeadline, req: r,
		media:  g.opts.IsMedia != nil && g.opts.IsMedia(r),
		credit: g.capacity(), last: now, lastByte: now}
	if err := b.arm(now); err != nil {
		return nil
	}
	return b
}

// capacity is the most credit a body can have: MinRate × RateWindow.
func (g *Guard) capacity() float64 {
	return float64(g.opts.MinRate) * g.opts.RateWindow.Seconds()
}

// draining reports whether the rate applies now: always, except between
// two complete boxes of a media body.
func (b *body) draining() bool { return !b.media || !b.scan.atBoundary() }

func (b *body) Read(p []byte) (int, error) {
	if b.cutErr != nil {
		return 0, b.cutErr
	}
	n, err := b.ReadCloser.Read(p)
	if b.done {
		return n, err
	}
	now := b.g.now()
	if n > 0 {
		if b.draining() {
			b.credit -= float64(b.g.opts.MinRate) * now.Sub(b.last).Seconds()
		}
		b.credit = min(b.credit+float64(n), b.g.capacity())
		b.last, b.lastByte = now, now
		b.read += int64(n)
		if b.media {
			b.scan.feed(p[:n])
		}
	}
	switch {
	case err == io.EOF:
		b.done = true
		// The server reads on in the background to notice a client that
		// goes away; it must not time out.
		_ = b.setDeadline(time.Time{})
	case err != nil && isTimeout(err):
		b.done = true
		b.cutErr = b.cut(err)
		err = b.cutErr
	case err == nil:
		_ = b.arm(now)
	}
	return n, err
}

// arm sets the read deadline the rules give at now.
func (b *body) arm(now time.Time) error {
	o := &b.g.opts
	var d time.Time
	reason := ""
	if o.StallTimeout > 0 {
		d, reason = b.lastByte.Add(o.StallTimeout), ReasonStall
	}
	if o.MinRate > 0 && b.draining() {
		left := time.Duration(max(b.credit, 0) / float64(o.MinRate) * float64(time.Second))
		if cd := now.Add(left); d.IsZero() || cd.Before(d) {
			d, reason = cd, ReasonRate
		}
	}
	b.reason = reason
	if d.Equal(b.deadline) {
		return nil
	}
	b.deadline = d
	return b.setDeadline(d)
}

// cut turns the timeout of a read into a SlowBodyError, counts and logs it.
func (b *body) cut(cause error) error {
	o := &b.g.opts
	var msg string
	switch b.reason {
	case ReasonRate:
		msg = fmt.Sprintf("request body slower than %d bytes/s over %v (%d bytes received)", o.MinRate, o.RateWindow, b.read)
	default:
		msg = fmt.Sprintf("request body stalled: no byte for %v (%d bytes received)", o.StallTimeout, b.read)
	}
	b.g.metrics.BodiesCut.WithLabelValues(b.reason).Inc()
	b.g.log.Info("request body cut", "reason", b.reason, "method", b.req.Method, "path", b.req.URL.Path,
		"remote", b.req.RemoteAddr, "bytes", b.read, "cause", cause)
	return &SlowBodyError{Reason: b.reason, Read: b.read, msg: msg}
}

// isTimeout reports whether err is a read deadline's timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
