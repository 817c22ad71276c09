// Package blobstoretest holds the conformance suite that every
// [blobstore.Store] backend passes ([RunConformance]), in-process S3 and
// GCS servers for the tests of other packages ([NewS3], [NewGCS]), and real
// S3 and GCS servers run as child processes on loopback ([StartS3]:
// versitygw, [StartGCS]: fake-gcs-server; "make test-deps" builds them into
// the repository's .bin/), which a test can stop and start again
// ([Server.Stop], [Server.Start]) to simulate an outage. It is a non-test
// package so that any package's tests may import it; production code must
// not.
package blobstoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/reapd/reapd/blobstore"
)

// RunConformance runs the conformance suite: create, conditional-create
// conflict, CreateOrMatch, streaming and aborted CreateFrom, Put, Delete,
// range reads, Stat, listing order and directories, key validation,
// concurrent writers racing on one key, fault injection, cancellation and
// Close.
//
// open is called once per subtest and must return a working store; it may
// return stores on one shared bucket (each subtest works below a fresh
// random prefix, and deletes what it wrote), and it may call t.Setenv (the
// subtests do not run in parallel). The suite closes some of the stores it
// gets; open should register its own cleanup too.
func RunConformance(t *testing.T, open func(t *testing.T) *blobstore.Store) {
	t.Helper()
	RunConformanceWith(t, open, Config{})
}

// Config tunes [RunConformanceWith]; the zero value means the defaults of
// [RunConformance].
type Config struct {
	// ListObjects is the number of objects the large-listing test writes
	// and lists. 0 means 1010: more than one 1000-key page of every
	// backend. In-process fakes under the race detector take seconds per
	// thousand objects; their tests may ask for fewer.
	ListObjects int
}

// RunConformanceWith runs the conformance suite like [RunConformance],
// tuned by cfg.
func RunConformanceWith(t *testing.T, open func(t *testing.T) *blobstore.Store, cfg Config) {
	t.Helper()
	if cfg.ListObjects <= 0 {
		cfg.ListObjects = 1010
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s *blobstore.Store, ns string)
	}{
		{"Create", testCreate},
		{"CreateOrMatch", testCreateOrMatch},
		{"CreateFrom", testCreateFrom},
		{"CreateFromAbort", testCreateFromAbort},
		{"Put", testPut},
		{"Delete", testDelete},
		{"RangeRead", testRangeRead},
		{"Stat", testStat},
		{"List", testList},
		{"ListLarge", func(t *testing.T, s *blobstore.Store, ns string) { testListLarge(t, s, ns, cfg.ListObjects) }},
		{"ListDirs", testListDirs},
		{"ValidKeys", testValidKeys},
		{"InvalidKeys", testInvalidKeys},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ConcurrentPut", testConcurrentPut},
		{"Faults", testFaults},
		{"Context", testContext},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s, namespace(t, s))
		})
	}
}

// namespace returns a fresh random prefix for one subtest and deletes
// everything below it when the subtest ends.
func namespace(t *testing.T, s *blobstore.Store) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	ns := "conformance-" + hex.EncodeToString(rnd[:]) + "/"
	t.Cleanup(func() {
		ctx := context.Background()
		objs, err := s.List(ctx, ns)
		if err != nil {
			return // e.g. the subtest closed the store
		}
		work := make(chan string)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for k := range work {
					_ = s.Delete(ctx, k)
				}
			})
		}
		for _, o := range objs {
			work <- o.Key
		}
		close(work)
		wg.Wait()
	})
	return ns
}

// pattern returns n deterministic bytes that differ with seed and with the
// position (so a shifted or truncated copy does not compare equal).
func pattern(n int, seed int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

var categories = []error{blobstore.ErrNotFound, blobstore.ErrExists, blobstore.ErrInvalidKey, blobstore.ErrUnavailable}

// wantErr checks that err wraps exactly the category want (or, for want ==
// nil, no category), and is an *blobstore.Error naming op and key.
func wantErr(t *testing.T, err, want error, op blobstore.Op, key string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s %q: got nil error, want %v", op, key, want)
	}
	for _, c := range categories {
		if got := errors.Is(err, c); got != (c == want) {
			t.Errorf("%s %q: errors.Is(err, %v) = %v; err = %v", op, key, c, got, err)
		}
	}
	var e *blobstore.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s %q: error %T is no *blobstore.Error: %v", op, key, err, err)
	}
	if e.Op != op || e.Key != key {
		t.Errorf("error names %s %q, want %s %q", e.Op, e.Key, op, key)
	}
	if msg := err.Error(); !strings.Contains(msg, string(op)) || !strings.Contains(msg, strconv.Quote(key)) {
		t.Errorf("error message %q does not name %s and %q", msg, op, key)
	}
}

func mustCreate(t *testing.T, s *blobstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Create(t.Context(), key, data); err != nil {
		t.Fatalf("Create %q: %v", key, err)
	}
}

func mustGet(t *testing.T, s *blobstore.Store, key string) []byte {
	t.Helper()
	b, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get %q: %v", key, err)
	}
	return b
}

func wantContent(t *testing.T, s *blobstore.Store, key string, want []byte) {
	t.Helper()
	if got := mustGet(t, s, key); !bytes.Equal(got, want) {
		t.Fatalf("Get %q: got %d bytes, want %d (equal: false)", key, len(got), len(want))
	}
}

func wantAbsent(t *testing.T, s *blobstore.Store, key string) {
	t.Helper()
	_, err := s.Stat(t.Context(), key)
	if !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("Stat %q: got %v, want ErrNotFound", key, err)
	}
}

// keys returns the keys of objs.
func keys(objs []blobstore.Attrs) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}

func mustList(t *testing.T, s *blobstore.Store, prefix string) []blobstore.Attrs {
	t.Helper()
	objs, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List %q: %v", prefix, err)
	}
	return objs
}
