package main

import (
	"net/http"
	"testing"
	"time"
)

// singleInstanceSums archives all of in with one reapd on a fresh file://
// store, in order and without faults, and returns the archive's hashes
// (see archiveSums): what any run on the same input must produce.
func singleInstanceSums(t *testing.T, in *input) map[string][32]byte {
	t.Helper()
	store := "file://" + t.TempDir()
	ref := startReapd(t, store, completeFlags...)
	for _, name := range []string{"a", "b"} {
		if code := ref.post(in.header(name), in.tracks[name].Header()); code != http.StatusOK {
			t.Fatalf("single instance: header %s: %d", name, code)
		}
		for _, s := range in.segs[name] {
			if code := ref.post(in.path(name), s); code != http.StatusOK {
				t.Fatalf("single instance: %s: %d", name, code)
			}
		}
	}
	st := openStore(t, store)
	var sums map[string][32]byte
	if !poll(60*time.Second, func() bool { s, done := archiveSums(st); sums = s; return done }) {
		t.Fatalf("single instance: not finalized: %v", sortedKeys(sums))
	}
	ref.stop(t)
	return sums
}

// wantSameArchive compares two archives' hashes object by object.
func wantSameArchive(t *testing.T, got, want map[string][32]byte) {
	t.Helper()
	for key, s := range want {
		if o, ok := got[key]; !ok {
			t.Errorf("%s: missing (the single-instance run has it)", key)
		} else if o != s {
			t.Errorf("%s: differs from the single-instance run's", key)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: not in the single-instance run's archive", key)
		}
	}
}
