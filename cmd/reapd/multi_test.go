package main

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// runMultiInstance is issue 5's scenario on one shared store: two reapd on
// one bucket, two encoders each sending every segment to both at once
// (REaP cross-transmission: either reapd may win a segment). In the middle
// of period 1 one reapd is SIGKILLed; the encoders go on with the other
// alone for a few segments, then it is restarted and gets the rest. One
// encoder fails in period 2 and comes back in period 3 (it sends its
// headers again and goes on from the live edge). Every segment sent to a
// live reapd must end up in exactly one storage track file, and the
// archive must equal a single-instance run's, byte for byte.
func runMultiInstance(t *testing.T, shared, single string, env ...string) {
	in := newInputAt(4, pastN0())
	flags := completeFlags
	procs := []*proc{startReapdEnv(t, shared, env, flags...), startReapdEnv(t, shared, env, flags...)}
	var mu sync.Mutex // guards procs[0] across the restart
	current := func(i int) *proc { mu.Lock(); defer mu.Unlock(); return procs[i] }

	// Segment indexes (of 20 per track, 5 per period) where things happen.
	const killAt, restartAt, encoderDown, encoderBack = 7, 11, 12, 16
	var killed sync.WaitGroup // encoders reached killAt: reapd 0 may die
	killed.Add(2)
	restarted := make(chan struct{}) // reapd 0 is back
	var acked [2]sync.Map            // track index → n → true: a live reapd said 200
	total := len(in.segs["a"])
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
				switch j {
				case killAt:
					killed.Done()
				case restartAt:
					<-restarted
				}
				if e == 1 && j >= encoderDown && j < encoderBack {
					continue // encoder 2 is down
				}
				if e == 1 && j == encoderBack {
					for i := 0; i < 2; i++ {
						headersTo(current(i))
					}
				}
				for ti, name := range []string{"a", "b"} {
					var both sync.WaitGroup
					for i := 0; i < 2; i++ {
						p := current(i)
						// A restarted reapd resumes the track's header
						// from the store: encoders do not resend it.
						both.Go(func() {
							if p.post(in.path(name), in.segs[name][j]) == http.StatusOK {
								acked[ti].Store(in.n0+int64(j), true)
							}
						})
					}
					both.Wait()
				}
				time.Sleep(3 * time.Millisecond)
			}
		}(e)
	}
	killed.Wait()
	current(0).kill()
	time.Sleep(100 * time.Millisecond) // the encoders go on with reapd 1 alone
	p := startReapdEnv(t, shared, env, flags...)
	mu.Lock()
	procs[0] = p
	mu.Unlock()
	close(restarted)
	wg.Wait()
	for ti, name := range []string{"a", "b"} {
		for j := range in.segs[name] {
			if _, ok := acked[ti].Load(in.n0 + int64(j)); !ok {
				t.Fatalf("%s segment %d was acknowledged by no reapd", name, j)
			}
		}
	}

	// The reference gets the stream the way the encoders sent it: both
	// headers, then the segments in order, the tracks interleaved. (Track
	// by track, a period could be complete for track a, and finalized,
	// before track b was known: b's segments then went to an extra part.)
	ref := startReapdEnv(t, single, env, flags...)
	for _, name := range []string{"a", "b"} {
		ref.post(in.header(name), in.tracks[name].Header())
	}
	for j := 0; j < total; j++ {
		for _, name := range []string{"a", "b"} {
			if code := ref.post(in.path(name), in.segs[name][j]); code != http.StatusOK {
				t.Fatalf("single instance: %s segment %d: %d", name, j, code)
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
				if c := count[name][in.n0+int64(j)]; c != 1 {
					t.Errorf("%s: %s n=%d in %d track files, want 1", url, name, in.n0+int64(j), c)
				}
			}
		}
	}
	// Catch-up on either instance plays all of it: each reads what the
	// other archived.
	for i := range procs {
		checkCatchup(t, current(i).addr, in)
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
