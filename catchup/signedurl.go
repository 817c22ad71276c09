package catchup

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// Query parameters of a signed URL.
const (
	paramExp = "exp" // expiry, Unix seconds
	paramACL = "acl" // optional path prefix the signature covers
	paramSig = "sig" // base64url (no padding) HMAC-SHA256
)

// URLSigner mints and checks expiring signed URLs, the way CDN token
// authentication works (Akamai's, CloudFront's): an HMAC-SHA256 with a
// shared secret over the path (or a path prefix) and an expiry, carried in
// the query:
//
//	/catchup/ch1/manifest.mpd?start=…&end=…&exp=1767229200&sig=BASE64URL
//	/catchup/ch1/seg/v/…/$Time$.m4s?exp=1767229200&acl=%2Fcatchup%2Fch1%2F&sig=BASE64URL
//
// The signature is over the string
//
//	"reapd-url-v1\nexp=" + exp + "\npath=" + path      (one path)
//	"reapd-url-v1\nexp=" + exp + "\nacl=" + prefix     (every path under prefix)
//
// where path is the URL's path as decoded (without the query: the window
// of a manifest is not signed) and prefix starts and ends with "/". A URL
// is valid while the clock is before exp: at exp it is expired. With
// several keys the first signs and every one verifies, so a key can be
// rotated without breaking the URLs already handed out.
type URLSigner struct {
	keys [][]byte
}

// NewURLSigner returns a signer for keys (the first signs; at least one,
// none empty).
func NewURLSigner(keys ...[]byte) (*URLSigner, error) {
	if len(keys) == 0 {
		return nil, errors.New("URL signing: no key")
	}
	for i, k := range keys {
		if len(k) == 0 {
			return nil, fmt.Errorf("URL signing: key %d is empty", i+1)
		}
	}
	return &URLSigner{keys: keys}, nil
}

// Errors of [URLSigner.Verify]. A request that fails with them is answered
// 403, the message saying which.
var (
	ErrURLExpired   = errors.New("signed URL expired")
	ErrURLSignature = errors.New("signed URL signature does not match (altered path, expiry or scope, or signed with another key)")
	ErrURLScope     = errors.New("signed URL does not cover this path")
	ErrURLMalformed = errors.New("malformed signed URL")
)

// sign returns the signature of (kind, value, exp) with key.
func sign(key []byte, kind, value string, exp int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("reapd-url-v1\nexp=" + strconv.FormatInt(exp, 10) + "\n" + kind + "=" + value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkPrefix checks an ACL prefix: absolute, clean, ending with "/".
func checkPrefix(prefix string) error {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") ||
		(prefix != "/" && path.Clean(prefix)+"/" != prefix) {
		return fmt.Errorf("%w: acl %q is not a clean path prefix ending with /", ErrURLMalformed, prefix)
	}
	return nil
}

// SignPath returns the query parameters ("exp=…&sig=…") that make a
// request for exactly path valid until exp.
func (s *URLSigner) SignPath(path string, exp time.Time) string {
	e := exp.Unix()
	return url.Values{paramExp: {strconv.FormatInt(e, 10)}, paramSig: {sign(s.keys[0], "path", path, e)}}.Encode()
}

// SignPrefix returns the query parameters ("acl=…&exp=…&sig=…") that make
// a request for any path under prefix valid until exp. The prefix starts
// and ends with "/" ("/catchup/ch1/").
func (s *URLSigner) SignPrefix(prefix string, exp time.Time) (string, error) {
	if err := checkPrefix(prefix); err != nil {
		return "", err
	}
	e := exp.Unix()
	return url.Values{paramExp: {strconv.FormatInt(e, 10)}, paramACL: {prefix},
		paramSig: {sign(s.keys[0], "acl", prefix, e)}}.Encode(), nil
}

// SignURL returns rawURL (absolute or a path, with or without a query)
// with the parameters that make it valid until exp, for its path or, with
// prefix set, for every path under prefix (which must be a prefix of its
// path). Earlier exp, acl and sig parameters are replaced.
func (s *URLSigner) SignURL(rawURL, prefix string, exp time.Time) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("URL %q has no absolute path", rawURL)
	}
	q := u.Query()
	q.Del(paramExp)
	q.Del(paramACL)
	q.Del(paramSig)
	var add string
	if prefix == "" {
		add = s.SignPath(u.Path, exp)
	} else {
		if !strings.HasPrefix(u.Path, prefix) {
			return "", fmt.Errorf("path %q is not under %q", u.Path, prefix)
		}
		if add, err = s.SignPrefix(prefix, exp); err != nil {
			return "", err
		}
	}
	u.RawQuery = q.Encode()
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += add
	return u.String(), nil
}

// signedParams reports whether a query carries any signed-URL parameter.
func signedParams(q url.Values) bool {
	return q.Has(paramExp) || q.Has(paramSig) || q.Has(paramACL)
}

// Verify checks the signed-URL parameters of a request for urlPath (the
// decoded path) at now, and returns the expiry. Errors wrap
// ErrURLMalformed, ErrURLExpired, ErrURLScope or ErrURLSignature.
func (s *URLSigner) Verify(urlPath string, q url.Values, now time.Time) (time.Time, error) {
	expStr, sig := q.Get(paramExp), q.Get(paramSig)
	if expStr == "" || sig == "" {
		return time.Time{}, fmt.Errorf("%w: want both %s and %s", ErrURLMalformed, paramExp, paramSig)
	}
	if len(q[paramExp]) != 1 || len(q[paramSig]) != 1 || len(q[paramACL]) > 1 {
		return time.Time{}, fmt.Errorf("%w: a parameter is repeated", ErrURLMalformed)
	}
	e, err := strconv.ParseInt(expStr, 10, 64)
	if err != nil || e < 0 || e > maxInstant.Unix() {
		return time.Time{}, fmt.Errorf("%w: %s %q is not a Unix time", ErrURLMalformed, paramExp, expStr)
	}
	exp := time.Unix(e, 0).UTC()
	kind, value := "path", urlPath
	if q.Has(paramACL) {
		kind, value = "acl", q.Get(paramACL)
		if err := checkPrefix(value); err != nil {
			return time.Time{}, err
		}
	}
	good := false
	for _, k := range s.keys {
		if hmac.Equal([]byte(sign(k, kind, value, e)), []byte(sig)) {
			good = true
		}
	}
	if !good {
		return time.Time{}, ErrURLSignature
	}
	// Checked after the signature, so that an altered expiry is reported
	// as altered, not as expired.
	if now.Unix() >= e {
		return time.Time{}, fmt.Errorf("%w at %s", ErrURLExpired, formatInstant(exp))
	}
	// A prefix covers clean paths only: "/catchup/ch1/../ch2/…" is not
	// under "/catchup/ch1/".
	if kind == "acl" && (!strings.HasPrefix(urlPath, value) || path.Clean(urlPath) != urlPath) {
		return time.Time{}, fmt.Errorf("%w: it is for paths under %q, not %q", ErrURLScope, value, urlPath)
	}
	return exp, nil
}
