package catchup

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// signRequest is the body of POST /api/sign.
type signRequest struct {
	// URL is the path (with its query) to sign, e.g.
	// "/catchup/ch1/manifest.mpd?start=…&end=…"; a full URL is accepted
	// and kept absolute.
	URL string `json:"url"`
	// Expires is the expiry (RFC 3339 or epoch seconds); or TTL, how long
	// from now (Go or ISO 8601 duration, or seconds). One of them.
	Expires string `json:"expires,omitempty"`
	TTL     string `json:"ttl,omitempty"`
	// Prefix, when set, is the path prefix the signature covers
	// ("/catchup/ch1/"); default: the URL's path alone.
	Prefix string `json:"prefix,omitempty"`
}

// signResponse is the answer of POST /api/sign.
type signResponse struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// maxSignTTL bounds how far ahead the API signs: a leaked URL should not
// outlive the operator's intent.
const maxSignTTL = 366 * 24 * time.Hour

// handleSign serves POST /api/sign: it mints a signed URL (see URLSigner)
// for a client that holds a read token, e.g. a web portal that hands
// viewers links to a catch-up window. A signed URL cannot mint another.
func (s *Server) handleSign(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil || s.auth.signer == nil {
		s.writeError(w, r, notFound("URL signing is not configured (--url-signing-key)"))
		return
	}
	if grantOf(r.Context()).kind != grantBearer {
		s.writeForbidden(w, r, "minting signed URLs needs a read token (Authorization: Bearer …)")
		return
	}
	var req signRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.writeError(w, r, badRequest("body: want JSON {url, expires | ttl, prefix}: %v", err))
		return
	}
	now := s.opts.Now()
	var exp time.Time
	switch {
	case req.Expires != "" && req.TTL != "":
		s.writeError(w, r, badRequest("give expires or ttl, not both"))
		return
	case req.Expires != "":
		t, err := ParseInstant(req.Expires)
		if err != nil {
			s.writeError(w, r, badRequest("expires: %v", err))
			return
		}
		exp = t
	case req.TTL != "":
		d, err := ParseDuration(req.TTL)
		if err != nil {
			s.writeError(w, r, badRequest("ttl: %v", err))
			return
		}
		exp = now.Add(d)
	default:
		s.writeError(w, r, badRequest("give expires or ttl"))
		return
	}
	if !exp.After(now) || exp.Sub(now) > maxSignTTL {
		s.writeError(w, r, badRequest("expiry %s is not within (now, now + %s]", formatInstant(exp), maxSignTTL))
		return
	}
	if !strings.HasPrefix(req.URL, "/") && !strings.HasPrefix(req.URL, "http://") && !strings.HasPrefix(req.URL, "https://") {
		s.writeError(w, r, badRequest("url %q: want a path starting with / or an http(s) URL", req.URL))
		return
	}
	u, err := s.auth.signer.SignURL(req.URL, req.Prefix, exp)
	if err != nil {
		s.writeError(w, r, badRequest("%v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(signResponse{URL: u, Expires: time.Unix(exp.Unix(), 0).UTC()})
}

// writeForbidden answers 403 with a message.
func (s *Server) writeForbidden(w http.ResponseWriter, r *http.Request, msg string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, msg+"\n")
	}
}
