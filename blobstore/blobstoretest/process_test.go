package blobstoretest

import (
	"fmt"
	"strings"
	"testing"
)

// recordingTB records Fatalf and stops the caller by panicking.
type recordingTB struct {
	testing.TB
	fatal string
}

type fatalCalled struct{}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	panic(fatalCalled{})
}

// TestMissingBinaryFailsWithAdvice checks that a server binary missing
// from .bin/ fails the test and says how to build it (it never skips).
func TestMissingBinaryFailsWithAdvice(t *testing.T) {
	r := &recordingTB{TB: t}
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(fatalCalled); !ok {
					panic(v)
				}
			}
		}()
		repoBin(r, "no-such-server")
	}()
	if !strings.Contains(r.fatal, "run make test-deps") || !strings.Contains(r.fatal, ".bin/no-such-server") {
		t.Fatalf("got %q, want a failure naming .bin/no-such-server and make test-deps", r.fatal)
	}
	if got := repoBin(t, "versitygw"); !strings.HasSuffix(got, "/.bin/versitygw") {
		t.Fatalf("repoBin(versitygw) = %q", got)
	}
}
