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
// including the real servers', lists more than a page.
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

// TestConformanceVersityGW runs the suite against a real S3 server:
// versitygw, started by the test (see blobstoretest.StartS3), or the server
// REAPD_TEST_S3_URL names (e.g. a bucket on AWS; credentials in the URL or
// the environment).
func TestConformanceVersityGW(t *testing.T) {
	u := os.Getenv("REAPD_TEST_S3_URL")
	if u == "" {
		u = blobstoretest.StartS3(t).URL()
	}
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, u, nil)
	})
}

// TestConformanceFakeGCSServer runs the suite against a real GCS emulator
// process: fake-gcs-server, started by the test (see
// blobstoretest.StartGCS), or the store REAPD_TEST_GCS_URL names (for
// Google Cloud Storage: gs://bucket with Application Default Credentials).
func TestConformanceFakeGCSServer(t *testing.T) {
	u := os.Getenv("REAPD_TEST_GCS_URL")
	if u == "" {
		u = blobstoretest.StartGCS(t).URL()
	}
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, u, nil)
	})
}
