package catchup

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustSigner(t testing.TB, keys ...string) *URLSigner {
	t.Helper()
	var bs [][]byte
	for _, k := range keys {
		bs = append(bs, []byte(k))
	}
	s, err := NewURLSigner(bs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseQuery(t testing.TB, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSignedURLExpiryEdges: a URL is valid while the clock is before its
// expiry, and expired from the second of its expiry on.
func TestSignedURLExpiryEdges(t *testing.T) {
	s := mustSigner(t, "k1")
	const p = "/catchup/ch1/manifest.mpd"
	exp := time.Unix(1767229200, 0)
	q := parseQuery(t, s.SignPath(p, exp))
	for _, c := range []struct {
		now  time.Time
		want error
	}{
		{exp.Add(-time.Second), nil},          // now+1 = exp
		{exp.Add(-time.Millisecond), nil},     // within the last second
		{exp, ErrURLExpired},                  // exactly now
		{exp.Add(time.Second), ErrURLExpired}, // now−1 = exp
		{exp.Add(-365 * 24 * time.Hour), nil}, // long before
		{exp.Add(999 * time.Millisecond), ErrURLExpired},
	} {
		got, err := s.Verify(p, q, c.now)
		if !errors.Is(err, c.want) || (err == nil && !got.Equal(exp)) {
			t.Errorf("at exp%+v: %v, %v; want %v", c.now.Sub(exp), got, err, c.want)
		}
	}
}

// TestSignedURLTampering: altering the path, the expiry, the scope or the
// signature, or a key the server does not hold, fails; key rotation
// keeps URLs signed with the old key valid.
func TestSignedURLTampering(t *testing.T) {
	s := mustSigner(t, "k1")
	now := time.Unix(1767225600, 0)
	exp := now.Add(time.Hour)
	const p = "/catchup/ch1/manifest.mpd"
	good := parseQuery(t, s.SignPath(p, exp))
	if _, err := s.Verify(p, good, now); err != nil {
		t.Fatalf("good URL: %v", err)
	}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for k, vs := range good {
			q[k] = append([]string(nil), vs...)
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	sig := good.Get(paramSig)
	flipped := []byte(sig)
	flipped[3] ^= 1
	for _, c := range []struct {
		name string
		path string
		q    url.Values
		want error
	}{
		{"other path", "/catchup/ch2/manifest.mpd", good, ErrURLSignature},
		{"longer expiry", p, with(paramExp, strconv.FormatInt(exp.Unix()+3600, 10)), ErrURLSignature},
		{"altered signature", p, with(paramSig, string(flipped)), ErrURLSignature},
		{"truncated signature", p, with(paramSig, sig[:20]), ErrURLSignature},
		{"path signature as prefix", p, with(paramACL, "/catchup/ch1/"), ErrURLSignature},
		{"no signature", p, with(paramSig, ""), ErrURLMalformed},
		{"no expiry", p, with(paramExp, ""), ErrURLMalformed},
		{"expiry not a number", p, with(paramExp, "tomorrow"), ErrURLMalformed},
		{"negative expiry", p, with(paramExp, "-5"), ErrURLMalformed},
		{"repeated", p, url.Values{paramExp: {good.Get(paramExp), "1"}, paramSig: {sig}}, ErrURLMalformed},
	} {
		if _, err := s.Verify(c.path, c.q, now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := mustSigner(t, "k2").Verify(p, good, now); !errors.Is(err, ErrURLSignature) {
		t.Errorf("another key: %v", err)
	}
	if _, err := mustSigner(t, "k2", "k1").Verify(p, good, now); err != nil {
		t.Errorf("rotation (new key first, old key still held): %v", err)
	}
}

// TestSignedURLPrefix: a prefix signature covers every clean path under
// the prefix and nothing else.
func TestSignedURLPrefix(t *testing.T) {
	s := mustSigner(t, "k1")
	now := time.Unix(1767225600, 0)
	q, err := s.SignPrefix("/catchup/ch1/", now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q, "acl=%2Fcatchup%2Fch1%2F") {
		t.Errorf("query %q", q)
	}
	v := parseQuery(t, q)
	for _, c := range []struct {
		path string
		want error
	}{
		{"/catchup/ch1/manifest.mpd", nil},
		{"/catchup/ch1/seg/v/aaaaaaaaaaaa/90000/159050304000000.m4s", nil},
		{"/catchup/ch1/hls/v.m3u8", nil},
		{"/catchup/ch10/manifest.mpd", ErrURLScope},
		{"/catchup/ch2/manifest.mpd", ErrURLScope},
		{"/catchup/ch1/../ch2/manifest.mpd", ErrURLScope},
		{"/catchup/ch1//x", ErrURLScope},
		{"/api/channels", ErrURLScope},
	} {
		if _, err := s.Verify(c.path, v, now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.path, err, c.want)
		}
	}
	for _, bad := range []string{"catchup/ch1/", "/catchup/ch1", "/catchup/../", "/catchup//ch1/"} {
		if _, err := s.SignPrefix(bad, now); !errors.Is(err, ErrURLMalformed) {
			t.Errorf("prefix %q: %v", bad, err)
		}
	}
	u, err := s.SignURL("https://cdn.example/catchup/ch1/manifest.mpd?start=1&end=2&sig=old", "/catchup/ch1/", now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(u)
	if pu.Host != "cdn.example" || pu.Query().Get("start") != "1" || len(pu.Query()[paramSig]) != 1 {
		t.Errorf("SignURL: %s", u)
	}
	if _, err := s.Verify(pu.Path, pu.Query(), now); err != nil {
		t.Errorf("SignURL's URL: %v", err)
	}
	if _, err := s.SignURL("/catchup/ch2/manifest.mpd", "/catchup/ch1/", now); err == nil {
		t.Error("SignURL signed a path outside its prefix")
	}
}
