package archive

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
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
		a.writeError(w, log, name, withStatus(http.StatusServiceUnavailable, "archiver shutting down"))
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
	if strings.HasSuffix(rel, ".mpd") {
		err = c.ingestMPD(r, rel)
	} else {
		var track string
		var streams bool
		if track, streams, err = c.trackFromPath(rel); err == nil {
			log = log.With("track", track)
			// A segment received whole is staged even if the encoder
			// hangs up before the answer (ffmpeg does at exit): the
			// store writes do not follow the request's cancellation.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), a.opts.StoreTimeout)
			defer cancel()
			err = c.ingestMedia(ctx, track, http.MaxBytesReader(w, r.Body, a.bodyLimit(streams)), streams)
		}
	}
	if err != nil && r.Context().Err() != nil && statusOf(err) == http.StatusBadRequest {
		// The encoder hung up mid-body (ffmpeg does at exit): a cut body,
		// not a malformed one. Complete segments before the cut are staged.
		err = &statusError{status: 499, err: fmt.Errorf("client closed the request mid-body: %w", err)}
	}
	if err != nil {
		a.writeError(w, log, name, err)
		return
	}
	w.WriteHeader(http.StatusOK)
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
		return withStatus(http.StatusUnauthorized, "channel %s requires ingest credentials", c.name)
	}
	for _, cr := range c.cfg.Credentials {
		if basic && cr.User != "" && eq(cr.User, user) && eq(cr.Password, pass) {
			return nil
		}
		if bearer && cr.Token != "" && eq(cr.Token, token) {
			return nil
		}
	}
	return withStatus(http.StatusForbidden, "wrong ingest credentials for channel %s", c.name)
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
