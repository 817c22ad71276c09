package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/reapd/reapd/blobstore"
)

// canaryPrefix is where /readyz writes its canary objects: a name no
// channel can have (trackfile.CheckName refuses names starting with "."),
// which the archive's and catch-up's store listings skip.
const canaryPrefix = ".reapd/readyz/"

// readiness answers /readyz: ready when the store takes a write — a small
// canary object created and deleted — checked at most once per interval
// (the answer is cached in between), so that probes cannot load the
// store.
type readiness struct {
	store    *blobstore.Store
	interval time.Duration
	timeout  time.Duration
	log      *slog.Logger
	name     string // this instance, in canary keys

	mu      sync.Mutex
	checked time.Time
	err     error
	seq     int
}

func newReadiness(store *blobstore.Store, interval time.Duration, log *slog.Logger) *readiness {
	host, _ := os.Hostname()
	if host == "" {
		host = "reapd"
	}
	return &readiness{store: store, interval: interval, timeout: 5 * time.Second, log: log,
		name: fmt.Sprintf("%s-%d", strings.ReplaceAll(host, "/", "_"), os.Getpid())}
}

// check returns nil when the store took the last canary write.
func (rd *readiness) check(ctx context.Context) error {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.checked.IsZero() && time.Since(rd.checked) < rd.interval {
		return rd.err
	}
	// A probe that hangs up does not make the store look unwritable.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rd.timeout)
	defer cancel()
	rd.seq++
	key := fmt.Sprintf("%s%s-%d-%d", canaryPrefix, rd.name, time.Now().UnixMilli(), rd.seq)
	err := rd.store.Create(ctx, key, []byte("reapd readiness canary\n"))
	if err == nil {
		err = rd.store.Delete(ctx, key)
	}
	switch {
	case err != nil && rd.err == nil:
		rd.log.Error("not ready: the store does not take writes", "err", err)
	case err == nil && rd.err != nil:
		rd.log.Info("ready again: the store takes writes")
	}
	rd.checked, rd.err = time.Now(), err
	return err
}

// ServeHTTP answers 200 when ready, else 503 with Retry-After.
func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := rd.check(r.Context()); err != nil {
		w.Header().Set("Retry-After", strconvSeconds(rd.interval))
		http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

// removeStaleCanaries deletes canary objects more than a minute old (an
// instance killed between the create and the delete left them).
func removeStaleCanaries(ctx context.Context, store *blobstore.Store) (int, error) {
	objs, err := store.List(ctx, canaryPrefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		if time.Since(o.ModTime) > time.Minute {
			if err := store.Delete(ctx, o.Key); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// strconvSeconds formats d as whole seconds, at least 1.
func strconvSeconds(d time.Duration) string {
	return fmt.Sprint(max(1, int((d+time.Second-1)/time.Second)))
}
