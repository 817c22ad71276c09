package catchup

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// realArchive is two real audio tracks over three 60-second periods: two
// finalized, the third half staged.
func realArchive(t testing.TB) (*synth, int64) {
	s := newSynth(t, "mem://", grid2s)
	a, b := s.newRealTrack("a", audio48), s.newRealTrack("b", audio96)
	n0 := s.n(0)
	k0 := s.grid.Period(n0)
	for k := k0; k < k0+2; k++ {
		first, end := s.grid.PeriodFirst(k), s.grid.PeriodFirst(k+1)
		s.writeIndex(k, "", s.trackFile(a, first, end, false, trackfile.EndComplete), s.trackFile(b, first, end, false, trackfile.EndComplete))
	}
	s.stage(a, s.grid.PeriodFirst(k0+2), s.grid.PeriodFirst(k0+2)+15)
	s.stage(b, s.grid.PeriodFirst(k0+2), s.grid.PeriodFirst(k0+2)+15)
	return s, n0
}

func get(t testing.TB, h http.Handler, url string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
