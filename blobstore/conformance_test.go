package blobstore_test

import (
	"net/url"
	"os"
	"testing"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
)

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
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, "file://"+dir+"?prefix=root/sub", nil)
	})
}

func TestConformanceS3(t *testing.T) {
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, blobstoretest.NewS3(t), nil)
	})
}

func TestConformanceS3Prefix(t *testing.T) {
	u := blobstoretest.NewS3(t) + "&prefix=archive/"
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, u, nil)
	})
}

func TestConformanceGCS(t *testing.T) {
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, blobstoretest.NewGCS(t), nil)
	})
}

// TestConformanceGCSEmulatorEnv opens gs://bucket with the emulator named by
// STORAGE_EMULATOR_HOST, as fake-gcs-server documents.
func TestConformanceGCSEmulatorEnv(t *testing.T) {
	u, err := url.Parse(blobstoretest.NewGCS(t))
	if err != nil {
		t.Fatal(err)
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STORAGE_EMULATOR_HOST", ep.Host)
	blobstoretest.RunConformance(t, func(t *testing.T) *blobstore.Store {
		return blobstoretest.Open(t, "gs://"+blobstoretest.Bucket+"?prefix=env", nil)
	})
}

// TestConformanceEnv runs the suite against real servers when
// REAPD_TEST_S3_URL or REAPD_TEST_GCS_URL name a store URL (with
// credentials in the URL or the environment).
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
