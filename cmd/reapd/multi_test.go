package main

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runMultiInstance is issue 5's scenario on one shared store: two reapd on
// one bucket, two encoders each sending every segment to both (REaP
// cross-transmission); one reapd is SIGKILLed mid-period and restarted,
// one encoder stops later. Every acknowledged segment must end up in exactly
// one storage track file, and the archive must equal a single-instance
// run's, byte for byte.
func runMultiInstance(t *testing.T, shared, single string, env ...string) {
	n0 := (time.Now().Unix() + 3600) / 2 / 5 * 5 // ahead: periods finalize when complete
	in := newInputAt(4, n0)
	flags := append([]string{}, crashFlags...)
	procs := []*proc{startReapdEnv(t, shared, env, flags...), startReapdEnv(t, shared, env, flags...)}
	var mu sync.Mutex // guards procs[0] across the restart
	current := func(i int) *proc { mu.Lock(); defer mu.Unlock(); return procs[i] }

	total := len(in.segs["a"])
	var sent atomic.Int64
	var wg sync.WaitGroup
	for e := 0; e < 2; e++ {
		wg.Add(1)
		go func(e int) {
			defer wg.Done()
			headersTo := func(p *proc) {
				for _, name := range []string{"a", "b"} {
					p.post(in.header(name), in.tracks[name].Header())
				}
			}
			for i := 0; i < 2; i++ {
				headersTo(current(i))
			}
			for j := 0; j < total; j++ {
				if e == 1 && j == total*7/10 {
					return // encoder 2 fails for good
				}
				for _, name := range []string{"a", "b"} {
					for i := 0; i < 2; i++ {
						p := current(i)
						// A restarted reapd resumes the track's header
						// from the store: encoders do not resend it.
						if p.post(in.path(name), in.segs[name][j]) == http.StatusOK {
							sent.Add(1)
						}
					}
				}
				time.Sleep(3 * time.Millisecond)
			}
		}(e)
	}
	// Kill reapd 0 mid-period, restart it a little later.
	for sent.Load() < int64(total*2*2*2*4/10) {
		time.Sleep(5 * time.Millisecond)
	}
	current(0).kill()
	time.Sleep(100 * time.Millisecond)
	p := startReapdEnv(t, shared, env, flags...)
	mu.Lock()
	procs[0] = p
	mu.Unlock()
	wg.Wait()

	ref := startReapdEnv(t, single, env, flags...)
	for _, name := range []string{"a", "b"} {
		ref.post(in.header(name), in.tracks[name].Header())
		for _, s := range in.segs[name] {
			if code := ref.post(in.path(name), s); code != http.StatusOK {
				t.Fatalf("single instance: %d", code)
			}
		}
	}
	var sums [2]map[string][32]byte
	for i, url := range []string{shared, single} {
		st := openStoreEnv(t, url, env)
		if !poll(60*time.Second, func() bool { s, done := archiveSums(st); sums[i] = s; return done }) {
			t.Fatalf("%s: not everything finalized: %d objects", url, len(sums[i]))
		}
		count, _, _ := indexedSegments(t, st, "ch1")
		for _, name := range []string{"a", "b"} {
			for j := range in.segs[name] {
				if c := count[name][n0+int64(j)]; c != 1 {
					t.Errorf("%s: %s n=%d in %d track files, want 1", url, name, n0+int64(j), c)
				}
			}
		}
	}
	for key, s := range sums[1] {
		if o, ok := sums[0][key]; !ok || o != s {
			t.Errorf("%s: shared-bucket archive differs from the single-instance one (present: %v)", key, ok)
		}
	}
	if len(sums[0]) != len(sums[1]) {
		t.Errorf("shared bucket has %d archive objects, single instance %d", len(sums[0]), len(sums[1]))
	}
}

func TestTwoArchiversOneFileStore(t *testing.T) {
	runMultiInstance(t, "file://"+t.TempDir(), "file://"+t.TempDir())
}
