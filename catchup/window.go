package catchup

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Window is a wall-clock window of a channel's archive, as a client asks
// for it: [Start, End), both at millisecond precision. A zero End is a
// start-over: from Start to the live edge, growing.
type Window struct {
	Start time.Time
	End   time.Time
	// AlignSegments (align=segment) presents the whole segments the
	// window touches, from the start of the first to the end of the
	// last, instead of starting (presentationTimeOffset, EXT-X-START) and
	// ending at the asked instants. For clients that seek to the instant
	// themselves: an MSE player drops the frames before its append window
	// start, and with them the start of a GOP cut by the window.
	AlignSegments bool
}

// StartOver reports whether w has no end (a start-over window).
func (w Window) StartOver() bool { return w.End.IsZero() }

// Duration returns End−Start (0 for a start-over).
func (w Window) Duration() time.Duration {
	if w.StartOver() {
		return 0
	}
	return w.End.Sub(w.Start)
}

// Limits on the instants a window may name: the Unix epoch (REaP media
// time starts there) to the last second of year 9999.
var (
	minInstant = time.Unix(0, 0).UTC()
	maxInstant = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// maxDuration bounds a duration= parameter before the window limit applies
// (so that adding it to an instant cannot overflow).
const maxDuration = 100 * 365 * 24 * time.Hour

// ParseWindow parses the query parameters of a catch-up request:
// start (required), and end or duration (neither: a start-over window),
// and align=instant (the default) or align=segment (see Window).
//
// Instants are RFC 3339 ("2026-01-01T10:00:00Z", with an optional
// fraction and any zone offset; without a zone, UTC) or seconds since the
// Unix epoch with up to nine decimals ("1767261600.5"). A '+' of a zone
// offset that arrived unescaped (and so decoded as a space) is accepted.
// Durations are seconds with decimals ("90", "90.5"), Go durations
// ("1h30m") or ISO 8601 ("PT1H30M"). Instants are truncated to the
// millisecond.
//
// A window must end after it starts and last at most maxWindow (when
// maxWindow > 0). Every error wraps [ErrBadRequest] and says which
// parameter is wrong and why.
func ParseWindow(q url.Values, maxWindow time.Duration) (Window, error) {
	get := func(name string) (string, bool, error) {
		vs, ok := q[name]
		if !ok {
			return "", false, nil
		}
		if len(vs) != 1 {
			return "", true, badRequest("%s: given %d times", name, len(vs))
		}
		return strings.TrimSpace(vs[0]), true, nil
	}
	s, ok, err := get("start")
	if err != nil {
		return Window{}, err
	}
	if !ok || s == "" {
		return Window{}, badRequest("start: required (RFC 3339 or epoch seconds)")
	}
	var w Window
	if w.Start, err = ParseInstant(s); err != nil {
		return Window{}, badRequest("start: %v", err)
	}
	switch a, _, err := get("align"); {
	case err != nil:
		return Window{}, err
	case a == "segment":
		w.AlignSegments = true
	case a != "" && a != "instant":
		return Window{}, badRequest("align: %q is not instant or segment", a)
	}
	e, hasEnd, err := get("end")
	if err != nil {
		return Window{}, err
	}
	d, hasDur, err := get("duration")
	if err != nil {
		return Window{}, err
	}
	switch {
	case hasEnd && hasDur:
		return Window{}, badRequest("give end or duration, not both")
	case hasEnd:
		if w.End, err = ParseInstant(e); err != nil {
			return Window{}, badRequest("end: %v", err)
		}
	case hasDur:
		dur, err := ParseDuration(d)
		if err != nil {
			return Window{}, badRequest("duration: %v", err)
		}
		w.End = w.Start.Add(dur).Truncate(time.Millisecond)
	default:
		return w, nil
	}
	return w, w.check(maxWindow)
}

// check validates a closed window.
func (w Window) check(maxWindow time.Duration) error {
	if !w.End.After(w.Start) {
		return badRequest("end %s is not after start %s", formatInstant(w.End), formatInstant(w.Start))
	}
	if w.End.After(maxInstant) {
		return badRequest("end %s is beyond the year 9999", formatInstant(w.End))
	}
	if maxWindow > 0 && w.Duration() > maxWindow {
		return badRequest("window of %s is longer than the maximum of %s", w.Duration(), maxWindow)
	}
	return nil
}

// ParseInstant parses an RFC 3339 time or epoch seconds (see ParseWindow)
// and truncates it to the millisecond.
func ParseInstant(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty time")
	}
	var t time.Time
	if isDecimal(s) {
		sec, ns, err := parseDecimal(s, 253402300799) // 9999-12-31T23:59:59Z
		if err != nil {
			return time.Time{}, err
		}
		t = time.Unix(sec, ns).UTC()
	} else {
		var err error
		if t, err = parseRFC3339(s); err != nil {
			return time.Time{}, err
		}
	}
	if t.Before(minInstant) || t.After(maxInstant) {
		return time.Time{}, fmt.Errorf("%q is outside 1970 to 9999", s)
	}
	return t.Truncate(time.Millisecond).UTC(), nil
}

// parseRFC3339 parses RFC 3339, with the leniencies of ParseWindow.
func parseRFC3339(s string) (time.Time, error) {
	if len(s) > 64 {
		return time.Time{}, fmt.Errorf("time %.20q… is too long", s)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// "…T10:00:00 01:00": a '+' decoded as a space.
	if i := strings.LastIndexByte(s, ' '); i > 10 {
		if t, err := time.Parse(time.RFC3339Nano, s[:i]+"+"+s[i+1:]); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor epoch seconds", s)
}

// ParseDuration parses a positive duration: decimal seconds, a Go
// duration or an ISO 8601 duration (see ParseWindow).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	switch {
	case s == "":
		return 0, errors.New("empty duration")
	case isDecimal(s):
		sec, ns, err := parseDecimal(s, int64(maxDuration/time.Second))
		if err != nil {
			return 0, err
		}
		d = time.Duration(sec)*time.Second + time.Duration(ns)
	case s[0] == 'P' || s[0] == 'p':
		var err error
		if d, err = parseISODuration(s); err != nil {
			return 0, err
		}
	default:
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not seconds, a Go duration or ISO 8601", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not positive", s)
	}
	if d > maxDuration {
		return 0, fmt.Errorf("%q is longer than %s", s, maxDuration)
	}
	return d, nil
}

// isDecimal reports whether s is digits with at most one '.'.
func isDecimal(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return s != "."
}

// parseDecimal parses "123", "123.", ".5" or "123.456789" (at most nine
// decimals) into whole units and nanounits; the whole part must not exceed
// maxWhole.
func parseDecimal(s string, maxWhole int64) (whole64, nanos int64, err error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 9 {
		return 0, 0, fmt.Errorf("%q has more than nine decimals", s)
	}
	if whole != "" {
		whole = strings.TrimLeft(whole, "0")
		if len(whole) > 18 {
			return 0, 0, fmt.Errorf("%q is too large", s)
		}
		if whole != "" {
			if whole64, err = strconv.ParseInt(whole, 10, 64); err != nil {
				return 0, 0, fmt.Errorf("%q: %v", s, err)
			}
		}
	}
	if whole64 > maxWhole {
		return 0, 0, fmt.Errorf("%q is too large", s)
	}
	if frac != "" {
		if nanos, err = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64); err != nil {
			return 0, 0, fmt.Errorf("%q: %v", s, err)
		}
	}
	return whole64, nanos, nil
}

// parseISODuration parses the ISO 8601 durations xs:duration allows
// without years and months: P[nD][T[nH][nM][n[.f]S]].
func parseISODuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not an ISO 8601 duration like PT1H30M", s)
	rest := strings.ToUpper(s[1:])
	var total time.Duration
	inTime, any := false, false
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return 0, bad
			}
			inTime, rest = true, rest[1:]
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) || i > 18 {
			return 0, bad
		}
		num, unit := rest[:i], rest[i]
		rest = rest[i+1:]
		var scale time.Duration
		switch {
		case unit == 'D' && !inTime:
			scale = 24 * time.Hour
		case unit == 'H' && inTime:
			scale = time.Hour
		case unit == 'M' && inTime:
			scale = time.Minute
		case unit == 'S' && inTime:
			scale = time.Second
		default:
			return 0, bad
		}
		if strings.Contains(num, ".") && (unit != 'S' || rest != "") {
			return 0, bad // only the last (seconds) component may have a fraction
		}
		whole, nanos, err := parseDecimal(num, int64(maxDuration/scale))
		if err != nil {
			return 0, bad
		}
		total += time.Duration(whole)*scale + time.Duration(nanos) // a fraction only on S (seconds)
		if total > maxDuration {
			return 0, fmt.Errorf("%q is longer than %s", s, maxDuration)
		}
		any = true
	}
	if !any {
		return 0, bad
	}
	return total, nil
}

// formatInstant formats t for messages and links: RFC 3339 with
// milliseconds when they are not zero.
func formatInstant(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}

// epochSeconds formats t as epoch seconds with milliseconds when needed:
// the canonical form of instants in the links reapd writes.
func epochSeconds(t time.Time) string {
	ms := t.UnixMilli()
	s := strconv.FormatInt(ms/1000, 10)
	if r := ms % 1000; r != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%03d", r), "0")
	}
	return s
}

// query returns the canonical query string of w ("start=…&end=…").
func (w Window) query() string {
	q := "start=" + epochSeconds(w.Start)
	if !w.StartOver() {
		q += "&end=" + epochSeconds(w.End)
	}
	if w.AlignSegments {
		q += "&align=segment"
	}
	return q
}
