package catchup

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// readAuth is the read side's access control (nil: open): bearer tokens
// and signed URLs. See [Options].ReadTokens and [Options].URLSigner.
type readAuth struct {
	tokens [][sha256.Size]byte // hashes, compared in constant time
	signer *URLSigner          // nil: signed URLs not accepted
}

func newReadAuth(o Options) *readAuth {
	if len(o.ReadTokens) == 0 && o.URLSigner == nil {
		return nil
	}
	a := &readAuth{signer: o.URLSigner}
	for _, t := range o.ReadTokens {
		if t != "" {
			a.tokens = append(a.tokens, sha256.Sum256([]byte(t)))
		}
	}
	return a
}

// grantKind says how a request was let in.
type grantKind int

const (
	grantOpen   grantKind = iota // read-side auth is off
	grantBearer                  // a read token
	grantSigned                  // a valid signed URL
)

// grant is how a request was authorized; a signed URL's expiry goes with
// it, for the URLs its manifest writes.
type grant struct {
	kind grantKind
	exp  time.Time
}

type grantKey struct{}

// grantOf returns the grant of an authorized request.
func grantOf(ctx context.Context) grant {
	g, _ := ctx.Value(grantKey{}).(grant)
	return g
}

// bearer returns the bearer token of r ("" when there is none).
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(tok), true
}

// validToken reports whether tok is one of the read tokens, in time
// independent of where they differ.
func (a *readAuth) validToken(tok string) bool {
	if tok == "" {
		return false
	}
	h := sha256.Sum256([]byte(tok))
	ok := 0
	for i := range a.tokens {
		ok |= subtle.ConstantTimeCompare(h[:], a.tokens[i][:])
	}
	return ok == 1
}

// authError is a refused request: 401 (no or a wrong credential) or 403
// (a signed URL that is expired, altered or for another path).
type authError struct {
	status       int
	msg          string
	invalidToken bool
}

func (e *authError) Error() string { return e.msg }

// check authorizes r: a valid signed URL, else a valid read token.
func (a *readAuth) check(r *http.Request, now time.Time) (grant, error) {
	q := r.URL.Query()
	var sigErr error
	if a.signer != nil && signedParams(q) {
		exp, err := a.signer.Verify(r.URL.Path, q, now)
		if err == nil {
			return grant{kind: grantSigned, exp: exp}, nil
		}
		sigErr = err
	}
	tok, hasAuth := bearer(r)
	if hasAuth && a.validToken(tok) {
		return grant{kind: grantBearer}, nil
	}
	switch {
	case sigErr != nil:
		return grant{}, &authError{status: http.StatusForbidden, msg: sigErr.Error()}
	case signedParams(q):
		return grant{}, &authError{status: http.StatusForbidden, msg: "signed URLs are not accepted here (no URL signing key configured)"}
	case hasAuth:
		return grant{}, &authError{status: http.StatusUnauthorized, msg: "invalid read token", invalidToken: true}
	}
	return grant{}, &authError{status: http.StatusUnauthorized,
		msg: "authorization required: send Authorization: Bearer <read token>, or use a signed URL (exp=, sig=)"}
}

// authorize checks r when read-side auth is on. It returns the request to
// serve (carrying its grant), or false after answering 401 or 403.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	if s.auth == nil {
		return r, true
	}
	g, err := s.auth.check(r, s.opts.Now())
	if err != nil {
		var ae *authError
		errors.As(err, &ae)
		s.log.Log(r.Context(), slog.LevelDebug, "read request refused", "path", r.URL.Path, "status", ae.status, "err", ae.msg)
		h := w.Header()
		if ae.status == http.StatusUnauthorized {
			v := `Bearer realm="reapd"`
			if ae.invalidToken {
				v += `, error="invalid_token"`
			}
			h.Set("WWW-Authenticate", v)
		}
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(ae.status)
		if r.Method != http.MethodHead {
			fmt.Fprintln(w, ae.msg)
		}
		return nil, false
	}
	if sw, ok := w.(*statusWriter); ok {
		sw.beforeHeader = func(h http.Header) { s.cacheForGrant(h, g) }
	}
	return r.WithContext(context.WithValue(r.Context(), grantKey{}, g)), true
}

// Protect returns h behind the read side's access control (for endpoints
// of other packages under /api/, such as the archiver's conformance
// report): with read-side auth off it is h.
func (s *Server) Protect(h http.Handler) http.Handler {
	if s.auth == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if r2, ok := s.authorize(sw, r); ok {
			h.ServeHTTP(sw, r2)
		}
	})
}

// cacheForGrant adapts a response's Cache-Control to how its request was
// authorized. An answer to a read token is private: a shared cache must
// not hand it to others without the token. An answer to a signed URL stays
// public (its URL, signature included, is the cache key) but may not be
// cached beyond the signature's expiry.
func (s *Server) cacheForGrant(h http.Header, g grant) {
	cc := h.Get("Cache-Control")
	if cc == "" || strings.Contains(cc, "no-store") {
		return
	}
	switch g.kind {
	case grantBearer:
		h.Set("Cache-Control", strings.Replace(cc, "public", "private", 1))
	case grantSigned:
		left := int64(g.exp.Sub(s.opts.Now()) / time.Second)
		h.Set("Cache-Control", capMaxAge(cc, max(left, 0)))
	}
}

// capMaxAge lowers the max-age directive of a Cache-Control value to at
// most secs.
func capMaxAge(cc string, secs int64) string {
	parts := strings.Split(cc, ",")
	for i, p := range parts {
		d := strings.TrimSpace(p)
		v, ok := strings.CutPrefix(d, "max-age=")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n > secs {
			parts[i] = " max-age=" + strconv.FormatInt(secs, 10)
			if i == 0 {
				parts[i] = parts[i][1:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// carryQuery returns the query ("" or "exp=…&acl=…&sig=…") that the URLs a
// manifest of channel writes must carry: for a request let in by a signed
// URL, a signature on /catchup/{channel}/ with the same expiry, so that the
// player's requests for media playlists, headers and segments — however
// their URLs are made ($Time$ templates, relative URIs) — are let in until
// the manifest's own URL expires.
func (s *Server) carryQuery(ctx context.Context, channel string) string {
	g := grantOf(ctx)
	if g.kind != grantSigned || s.auth == nil || s.auth.signer == nil {
		return ""
	}
	q, err := s.auth.signer.SignPrefix("/catchup/"+channel+"/", g.exp)
	if err != nil { // channel names are checked storage names: cannot happen
		return ""
	}
	return q
}
