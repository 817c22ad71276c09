package archive

import (
	"context"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// memStore opens a mem:// store closed at the end of the test.
func memStore(t *testing.T) *blobstore.Store {
	t.Helper()
	st, err := blobstore.Open(context.Background(), "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var baseURLRE = regexp.MustCompile(`<BaseURL>([^<]+)</BaseURL>`)

// mpdPeriods returns the periods k whose video track file an S-MPD names
// (BaseURL "{prefix}video/{k}.cmfv"), sorted, checking the prefix.
func mpdPeriods(t *testing.T, st *blobstore.Store, key, prefix string) []int64 {
	t.Helper()
	raw, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	var ks []int64
	for _, m := range baseURLRE.FindAllStringSubmatch(string(raw), -1) {
		rest, ok := strings.CutPrefix(m[1], prefix)
		if !ok {
			t.Fatalf("%s: BaseURL %q without prefix %q", key, m[1], prefix)
		}
		if s, ok := strings.CutPrefix(rest, "video/"); ok {
			k, err := strconv.ParseInt(strings.TrimSuffix(s, ".cmfv"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

func seq(lo, hi int64) []int64 {
	var out []int64
	for k := lo; k <= hi; k++ {
		out = append(out, k)
	}
	return out
}

// TestPublishRollingWindowAndDayFiles: archive.mpd holds the last 24 h up
// to the newest period, a complete day gets its own S-MPD with BaseURLs
// relative to it, a late part of an older day rewrites that day's, and a
// period deleted by retention leaves both.
func TestPublishRollingWindowAndDayFiles(t *testing.T) {
	ctx := context.Background()
	st := memStore(t)
	end := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	g := synthArchive(t, st, "ch1", end, 50) // 2026-11-28T24:00 - 2026-12-01T02:00
	kEnd := g.Period(g.SegmentAt(end))
	newest := kEnd - 1
	dayK := func(d string) (int64, int64) {
		s, _ := time.Parse(time.DateOnly, d)
		return g.Period(g.SegmentAt(s)), g.Period(g.SegmentAt(s.AddDate(0, 0, 1))) - 1
	}
	a := New(st, nil)
	if err := a.Republish(ctx, "ch1", newest); err != nil {
		t.Fatal(err)
	}
	if got, want := mpdPeriods(t, st, trackfile.ArchiveMPDKey("ch1"), ""), seq(newest-23, newest); !slices.Equal(got, want) {
		t.Fatalf("archive.mpd periods %v, want the last 24 %v", got, want)
	}
	lo, hi := dayK("2026-11-30")
	if got := mpdPeriods(t, st, trackfile.ArchiveDayKey("ch1", "2026-11-30"), "../"); !slices.Equal(got, seq(lo, hi)) {
		t.Fatalf("day file 2026-11-30: %v, want %v", got, seq(lo, hi))
	}
	for _, d := range []string{"2026-11-29", "2026-12-01"} { // not yet asked for, not complete
		if _, err := st.Stat(ctx, trackfile.ArchiveDayKey("ch1", d)); err == nil {
			t.Errorf("day file %s written", d)
		}
	}
	lo29, hi29 := dayK("2026-11-29")
	if err := a.Republish(ctx, "ch1", lo29+3); err != nil { // a late part on the 29th
		t.Fatal(err)
	}
	if got := mpdPeriods(t, st, trackfile.ArchiveDayKey("ch1", "2026-11-29"), "../"); !slices.Equal(got, seq(lo29, hi29)) {
		t.Fatalf("day file 2026-11-29: %v, want %v", got, seq(lo29, hi29))
	}
	// Retention deletes a period of the 30th inside the rolling window.
	if err := st.Delete(ctx, trackfile.IndexKey("ch1", hi, "")); err != nil {
		t.Fatal(err)
	}
	if err := a.Republish(ctx, "ch1", hi); err != nil {
		t.Fatal(err)
	}
	if got := mpdPeriods(t, st, trackfile.ArchiveDayKey("ch1", "2026-11-30"), "../"); !slices.Equal(got, seq(lo, hi-1)) {
		t.Fatalf("day file after deleting period %d: %v", hi, got)
	}
	if got := mpdPeriods(t, st, trackfile.ArchiveMPDKey("ch1"), ""); slices.Contains(got, hi) {
		t.Fatalf("archive.mpd still names deleted period %d", hi)
	}
	// A day whose periods all went loses its S-MPD.
	for k := lo29; k <= hi29; k++ {
		if err := st.Delete(ctx, trackfile.IndexKey("ch1", k, "")); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Republish(ctx, "ch1", lo29); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, trackfile.ArchiveDayKey("ch1", "2026-11-29")); err == nil {
		t.Fatal("day file of a deleted day remains")
	}
}

// TestDecimalPrefixesCoverExactlyTheRange: every number of the range has
// a prefix, numbers of the same length outside it have none, and a day
// of hourly periods needs a handful of listings.
func TestDecimalPrefixesCoverExactlyTheRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	matches := func(ps []string, n int64) bool {
		s := strconv.FormatInt(n, 10)
		for _, p := range ps {
			if strings.HasPrefix(s, p) && (len(s) == len(p) || p != "0") {
				return true
			}
		}
		return false
	}
	for range 2000 {
		lo := rng.Int64N(1_000_000)
		if rng.IntN(10) == 0 {
			lo = rng.Int64N(20)
		}
		hi := lo + rng.Int64N(3000)
		ps := decimalPrefixes(lo, hi)
		for n := max(0, lo-50); n <= hi+50; n++ {
			in := n >= lo && n <= hi
			if got := matches(ps, n); in && !got || !in && got && len(strconv.FormatInt(n, 10)) == len(strconv.FormatInt(hi, 10)) && len(strconv.FormatInt(n, 10)) == len(strconv.FormatInt(lo, 10)) {
				t.Fatalf("[%d, %d] prefixes %v: %d matched %v", lo, hi, ps, n, got)
			}
		}
	}
	if ps := decimalPrefixes(494977, 495024); len(ps) > 20 {
		t.Errorf("48 hourly periods need %d listings: %v", len(ps), ps)
	}
}

// TestPublishAfterAnOutage: a period finalized more than the window after
// the newest one known moves archive.mpd to it.
func TestPublishAfterAnOutage(t *testing.T) {
	ctx := context.Background()
	st := memStore(t)
	end := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	g := synthArchive(t, st, "ch1", end, 3)
	a := New(st, nil)
	k := g.Period(g.SegmentAt(end)) - 1
	if err := a.Republish(ctx, "ch1", k); err != nil {
		t.Fatal(err)
	}
	later := end.Add(72 * time.Hour) // three days without media
	synthArchive(t, st, "ch1", later, 2)
	kl := g.Period(g.SegmentAt(later)) - 1
	if err := a.Republish(ctx, "ch1", kl); err != nil {
		t.Fatal(err)
	}
	if got, want := mpdPeriods(t, st, trackfile.ArchiveMPDKey("ch1"), ""), seq(kl-1, kl); !slices.Equal(got, want) {
		t.Fatalf("archive.mpd after the outage: %v, want %v", got, want)
	}
	// The day before the newest one's (with media) is complete: its file.
	if got := mpdPeriods(t, st, trackfile.ArchiveDayKey("ch1", "2026-12-01"), "../"); !slices.Equal(got, seq(k-1, k)) {
		t.Fatalf("day file 2026-12-01: %v, want %v", got, seq(k-1, k))
	}
}
