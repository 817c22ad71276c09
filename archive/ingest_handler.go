package archive

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/reapd/reapd/blobstore"
)

// handleIngest serves POST and PUT /ingest/{channel}/{path...}: an I-MPD
// when the path ends in ".mpd", else CMAF headers and media segments.
func (a *Archiver) handleIngest(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("channel")
	rel := r.PathValue("path")
	log := a.log.With("channel", name, "path", rel)
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.writeError(w, log, name, fail(ErrUnavailable, "archiver shutting down"))
		return
	}
	a.inflight.Add(1)
	a.mu.Unlock()
	defer a.inflight.Done()

	c, err := a.channel(r.Context(), name)
	if err != nil {
		a.writeError(w, log, name, err)
		return
	}
	if err := c.authorize(r); err != nil {
		a.writeError(w, log, name, err)
		return
	}
	mpd := strings.HasSuffix(rel, ".mpd")
	var track string
	var streams bool
	if !mpd {
		if track, streams, err = c.trackFromPath(rel); err != nil {
			a.writeError(w, log, name, err)
			return
		}
		log = log.With("track", track)
	}
	body, err := a.admit(w, r, mpd, streams)
	if err != nil {
		a.refuse(w, log, name, err)
		return
	}
	defer body.close()
	if mpd {
		r.Body = struct {
			io.Reader
			io.Closer
		}{body, r.Body}
		err = c.ingestMPD(r, rel)
	} else {
		// A segment received whole is staged even if the encoder
		// hangs up before the answer (ffmpeg does at exit): the
		// store writes do not follow the request's cancellation, and
		// are bounded by StoreTimeout between reads of the body.
		clock := newStoreClock(blobstore.WithAttemptTimeout(r.Context(), a.opts.StoreAttemptTimeout), a.opts.StoreTimeout)
		defer clock.stop()
		body.clock = clock
		if !streams && r.ContentLength > 0 {
			err = c.ingestObject(clock, track, body, r.ContentLength)
		} else {
			err = c.ingestMedia(clock, track, body, streams)
		}
	}
	if err != nil && body.err != nil {
		err = bodyFailure(body.err, r.Context().Err() != nil)
	}
	if err != nil && r.Context().Err() != nil && statusOf(err) == http.StatusBadRequest {
		// The encoder hung up mid-body (ffmpeg does at exit): a cut body,
		// not a malformed one. Complete segments before the cut are staged.
		err = failWith(ErrClientGone, err, "client closed the request mid-body")
	}
	if err != nil {
		a.refuse(w, log, name, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// bodyFailure is the error of a request that failed because reading its
// body did: the budget ran out (503), the body was over the limit (413),
// came too slowly (408, see statusOf), was cut by the client going away
// (499, below), or its transfer framing was broken (400; not the 500 of
// an unknown error).
func bodyFailure(err error, clientGone bool) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, ErrOverBudget), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &mbe):
		return fmt.Errorf("reading the body: %w", err)
	case clientGone:
		return failWith(ErrClientGone, err, "client closed the request mid-body")
	}
	return failWith(ErrBadRequest, err, "reading the body")
}

// admit checks a request body against the size limit (413 at once for a
// Content-Length over it) and the ingest memory budget (503 at once when
// the budget has no room for the first bytes), and returns the body to
// read: bounded by the limit, counted against the budget.
func (a *Archiver) admit(w http.ResponseWriter, r *http.Request, mpd, streams bool) (*budgetBody, error) {
	limit := a.bodyLimit(streams)
	if mpd {
		limit = a.opts.MaxMPDBytes
	}
	if r.ContentLength > limit {
		return nil, fail(ErrTooLarge, "body of %d bytes, limit %d", r.ContentLength, limit)
	}
	first := int64(budgetGranule)
	switch {
	case r.ContentLength == 0:
		first = 0 // an empty connectivity POST holds nothing
	case mpd:
		// ingestMPD reads up to MaxMPDBytes+1: reserved up front, so an
		// I-MPD never fails half-read for want of budget.
		first = a.opts.MaxMPDBytes + 1
		if r.ContentLength > 0 {
			first = r.ContentLength
		}
	}
	var maxHeld int64
	var src io.Reader = r.Body
	switch {
	case streams:
		// A Streams() POST holds at most one segment and the box after it.
		maxHeld = 2 * a.opts.MaxSegmentBytes
	case !mpd:
		src = http.MaxBytesReader(w, r.Body, limit)
	}
	return newBudgetBody(src, a.opts.budget, first, maxHeld)
}

// refuse answers a failed request (writeError), counting refusals for want
// of budget.
func (a *Archiver) refuse(w http.ResponseWriter, log *slog.Logger, channel string, err error) {
	if errors.Is(err, ErrOverBudget) {
		a.metrics.OverBudget.WithLabelValues(channel).Inc()
	}
	a.writeError(w, log, channel, err)
}

// bodyLimit bounds a request body: one segment (plus its header) for a
// single-object request; none for a long-running Streams() POST, whose
// boxes are bounded one by one.
func (a *Archiver) bodyLimit(streams bool) int64 {
	if streams {
		return 1<<63 - 1
	}
	return a.opts.MaxSegmentBytes
}

// authorize checks the channel's ingest credentials (Basic or bearer): 401
// without credentials, 403 with wrong ones; channels without credentials
// are open.
func (c *channel) authorize(r *http.Request) error {
	if len(c.cfg.Credentials) == 0 {
		return nil
	}
	user, pass, basic := r.BasicAuth()
	token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !basic && !bearer {
		return fail(ErrUnauthorized, "channel %s requires ingest credentials", c.name)
	}
	for _, cr := range c.cfg.Credentials {
		if basic && cr.User != "" && eq(cr.User, user) && eq(cr.Password, pass) {
			return nil
		}
		if bearer && cr.Token != "" && eq(cr.Token, token) {
			return nil
		}
	}
	return fail(ErrForbidden, "wrong ingest credentials for channel %s", c.name)
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
