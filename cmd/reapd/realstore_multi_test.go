package main

import (
	"testing"

	"github.com/reapd/reapd/blobstore/blobstoretest"
)

// TestTwoArchiversOneS3Bucket is issue 5's acceptance 2 on a real S3
// server (versitygw): two reapd on one bucket, credentials from the
// environment as an operator deploys them, against a single-instance run
// on another bucket of the same server.
func TestTwoArchiversOneS3Bucket(t *testing.T) {
	srv := blobstoretest.StartS3(t)
	single := srv.NewBucket(t, "single")
	shared, env := srv.EnvURL()
	runMultiInstance(t, shared, single, env...)
}

// TestTwoArchiversOneGCSBucket is the same on a GCS emulator
// (fake-gcs-server), the bucket URL carrying the endpoint.
func TestTwoArchiversOneGCSBucket(t *testing.T) {
	srv := blobstoretest.StartGCS(t)
	runMultiInstance(t, srv.URL(), srv.NewBucket(t, "single"))
}
