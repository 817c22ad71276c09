package retentiontest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// Archive ingests segments consecutive segments of each track from grid
// slot n0 (the tracks' segments last one slot) into channel through arch,
// and finalizes every period: a real archive of track files, period
// indexes and archive S-MPDs to run retention over.
func Archive(t testing.TB, arch *archive.Archiver, channel string, n0, segments int64, tracks map[string]trackfiletest.Track) {
	t.Helper()
	srv := httptest.NewServer(arch.Handler())
	defer srv.Close()
	post := func(path string, body []byte) {
		resp, err := http.Post(srv.URL+path, "video/mp4", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", path, resp.Status)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(tracks)) {
		tr := tracks[name]
		post(fmt.Sprintf("/ingest/%s/%s/init.cmfa", channel, name), tr.Header())
		for n := n0; n < n0+segments; n++ {
			post(fmt.Sprintf("/ingest/%s/%s/%d.cmfa", channel, name, n+1), tr.Segment(uint64(n)*tr.SegmentTicks(), uint32(n+1)))
		}
	}
	if err := arch.FinalizeAll(context.Background()); err != nil {
		t.Fatal(err)
	}
}
