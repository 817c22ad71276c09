package blobstore_test

import (
	"os"
	"testing"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// The suites run one after the other: on two cores, running them in
// parallel makes the in-process fakes slower in all than in turn.

// gcsList is the size of the large listing on the in-process GCS fake:
// fake-gcs-server spends O(objects) per request, so a thousand objects
// take over ten seconds under the race detector, and the paging they would
// exercise is gcsblob's and the fake's, not ours. Every other suite,
// including real servers (TestConformanceEnv), lists more than a page.
const gcsList = 150

func TestConformanceMem(t *testing.T) {
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, "mem://", nil)
	})
}

func TestConformanceFile(t *testing.T) {
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, "file://"+t.TempDir(), nil)
	})
}

func TestConformanceFilePrefix(t *testing.T) {
	dir := t.TempDir()
	blobstoretest.RunConformanceWith(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, "file://"+dir+"?prefix=root/sub", nil)
	}, blobstoretest.Config{ListObjects: 100}) // the same walk as TestConformanceFile
}

func TestConformanceS3(t *testing.T) {
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, blobstoretest.NewS3(t), nil)
	})
}

func TestConformanceGCS(t *testing.T) {
	blobstoretest.RunConformanceWith(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, blobstoretest.NewGCS(t), nil)
	}, blobstoretest.Config{ListObjects: gcsList})
}

// TestConformanceEnv runs the suite against real servers when
// REAPD_TEST_S3_URL or REAPD_TEST_GCS_URL name a store URL (credentials in
// the URL or the environment; for an emulator, STORAGE_EMULATOR_HOST or
// endpoint=).
func TestConformanceEnv(t *testing.T) {
	ran := false
	for _, env := range []string{"REAPD_TEST_S3_URL", "REAPD_TEST_GCS_URL"} {
		u := os.Getenv(env)
		if u == "" {
			continue
		}
		ran = true
		t.Run(env, func(t *testing.T) {
			blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
				return blobstoretest.Open(t, u, nil)
			})
		})
	}
	if !ran {
		t.Skip("set REAPD_TEST_S3_URL and/or REAPD_TEST_GCS_URL to run against real servers")
	}
}
