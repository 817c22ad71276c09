package catchup

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// windowCases is the one case table of ParseWindow: unit tests, fuzz
// seeds and benchmarks (house style 6).
var windowCases = []struct {
	name, query string
	start, end  string // RFC 3339 (end "" for a start-over); or
	err         string // a substring of the error
}{
	{"epoch", "start=1767225600&end=1767229200", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", ""},
	{"epoch decimals", "start=1767225600.25&end=1767225690.5", "2026-01-01T00:00:00.25Z", "2026-01-01T00:01:30.5Z", ""},
	{"epoch ns truncated to ms", "start=1767225600.123456789&duration=1", "2026-01-01T00:00:00.123Z", "2026-01-01T00:00:01.123Z", ""},
	{"rfc3339", "start=2026-01-01T10:00:00Z&end=2026-01-01T11:30:00Z", "2026-01-01T10:00:00Z", "2026-01-01T11:30:00Z", ""},
	{"rfc3339 offset", "start=2026-01-01T11:00:00%2B01:00&duration=60", "2026-01-01T10:00:00Z", "2026-01-01T10:01:00Z", ""},
	{"rfc3339 plus as space", "start=2026-01-01T11:00:00+01:00&duration=60", "2026-01-01T10:00:00Z", "2026-01-01T10:01:00Z", ""},
	{"rfc3339 no zone is UTC", "start=2026-01-01T10:00:00.5&duration=PT1M", "2026-01-01T10:00:00.5Z", "2026-01-01T10:01:00.5Z", ""},
	{"duration seconds", "start=1767225600&duration=90.5", "2026-01-01T00:00:00Z", "2026-01-01T00:01:30.5Z", ""},
	{"duration go", "start=1767225600&duration=1h30m", "2026-01-01T00:00:00Z", "2026-01-01T01:30:00Z", ""},
	{"duration iso", "start=1767225600&duration=PT1H0M2.5S", "2026-01-01T00:00:00Z", "2026-01-01T01:00:02.5Z", ""},
	{"start-over", "start=1767225600", "2026-01-01T00:00:00Z", "", ""},
	{"max window", "start=1767225600&duration=86400", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", ""},
	{"align segment", "start=1767225600.5&duration=60&align=segment", "2026-01-01T00:00:00.5Z", "2026-01-01T00:01:00.5Z", ""},
	{"align instant", "start=1767225600.5&duration=60&align=instant", "2026-01-01T00:00:00.5Z", "2026-01-01T00:01:00.5Z", ""},

	{"no start", "end=1767225600", "", "", "start: required"},
	{"empty start", "start=&end=1767225600", "", "", "start: required"},
	{"start twice", "start=1&start=2&end=3", "", "", "given 2 times"},
	{"garbage start", "start=yesterday&end=1767225600", "", "", "neither RFC 3339 nor epoch"},
	{"garbage end", "start=1767225600&end=later", "", "", "end:"},
	{"negative epoch", "start=-5&end=1767225600", "", "", "start:"},
	{"too many decimals", "start=1767225600.1234567891&end=1767225700", "", "", "nine decimals"},
	{"huge epoch", "start=99999999999999999999&end=1", "", "", "too large"},
	{"year 10000", "start=10000-01-01T00:00:00Z&duration=1", "", "", "start:"},
	{"end before start", "start=1767225600&end=1767225500", "", "", "is not after start"},
	{"empty window", "start=1767225600&end=1767225600", "", "", "is not after start"},
	{"end and duration", "start=1767225600&end=1767225700&duration=5", "", "", "not both"},
	{"zero duration", "start=1767225600&duration=0", "", "", "not positive"},
	{"negative duration", "start=1767225600&duration=-5s", "", "", "not positive"},
	{"garbage duration", "start=1767225600&duration=PTXS", "", "", "ISO 8601"},
	{"iso fraction not last", "start=1767225600&duration=PT1.5H", "", "", "ISO 8601"},
	{"window too long", "start=1767225600&duration=86401", "", "", "longer than the maximum"},
	{"bad align", "start=1767225600&duration=60&align=frame", "", "", "align:"},
	{"duration overflow", "start=1767225600&duration=9999999999999h", "", "", "duration:"},
}

func TestParseWindow(t *testing.T) {
	for _, c := range windowCases {
		t.Run(c.name, func(t *testing.T) {
			q, err := url.ParseQuery(c.query)
			if err != nil {
				t.Fatal(err)
			}
			w, err := ParseWindow(q, 24*time.Hour)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrBadRequest) {
					t.Fatalf("error %v, want one containing %q and wrapping ErrBadRequest", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := formatInstant(w.Start); got != c.start {
				t.Errorf("start %s, want %s", got, c.start)
			}
			end := ""
			if !w.StartOver() {
				end = formatInstant(w.End)
			}
			if end != c.end {
				t.Errorf("end %q, want %q", end, c.end)
			}
		})
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, c := range windowCases {
		q, _ := url.ParseQuery(c.query)
		f.Add(q.Get("start"), q.Get("end"), q.Get("duration"))
	}
	f.Fuzz(func(t *testing.T, start, end, duration string) {
		q := url.Values{"start": {start}}
		if end != "" {
			q.Set("end", end)
		}
		if duration != "" {
			q.Set("duration", duration)
		}
		w, err := ParseWindow(q, 24*time.Hour)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		if w.Start.Before(minInstant) || w.Start.After(maxInstant) || w.Start.Nanosecond()%int(time.Millisecond) != 0 {
			t.Fatalf("start %v out of range or not whole ms", w.Start)
		}
		if !w.StartOver() && (!w.End.After(w.Start) || w.End.Sub(w.Start) > 24*time.Hour) {
			t.Fatalf("window %v–%v accepted", w.Start, w.End)
		}
		// The canonical form parses back to the same window.
		q2, _ := url.ParseQuery(w.query())
		w2, err := ParseWindow(q2, 24*time.Hour)
		if err != nil || !w2.Start.Equal(w.Start) || !w2.End.Equal(w.End) {
			t.Fatalf("canonical %q gives %v, %v", w.query(), w2, err)
		}
	})
}

func BenchmarkParseWindow(b *testing.B) {
	for _, c := range windowCases {
		if c.err != "" {
			continue
		}
		q, _ := url.ParseQuery(c.query)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseWindow(q, 24*time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestEpochSeconds(t *testing.T) {
	for ms, want := range map[int64]string{1767225600000: "1767225600", 1767225600500: "1767225600.5", 1767225600010: "1767225600.01", 1767225600123: "1767225600.123"} {
		if got := epochSeconds(time.UnixMilli(ms)); got != want {
			t.Errorf("%d: %s, want %s", ms, got, want)
		}
	}
}
