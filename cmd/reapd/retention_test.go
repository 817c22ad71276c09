package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/recording"
	"github.com/reapd/reapd/retention"
	"github.com/reapd/reapd/retention/retentiontest"
	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// archiveOld archives periods 2 s storage periods (one 2 s segment each) of
// two audio tracks from testEpoch with an in-process archiver into a mem
// store (fast), then copies every object into st.
func archiveOld(t *testing.T, st *blobstore.Store, periods int) {
	t.Helper()
	mem := openStore(t, "mem://")
	arch := archive.New(mem, &archive.Options{Defaults: archive.ChannelConfig{
		SegmentDuration: trackfile.Rational{Num: 2, Den: 1}, StoragePeriod: 2 * time.Second}})
	a, b := trackfiletest.Default, trackfiletest.Default
	b.ID, b.SampleSize = 2, 40
	retentiontest.Archive(t, arch, "ch1", testEpoch/2, int64(periods), map[string]trackfiletest.Track{"a": a, "b": b})
	ctx := context.Background()
	objs, err := mem.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		raw, err := mem.Get(ctx, o.Key)
		if err == nil {
			err = st.Create(ctx, o.Key, raw)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRetentionSIGKILLMidRunLeavesNoDanglingReference archives many old
// periods, starts reapd with a retention schedule that expires all but a
// held stretch, SIGKILLs it in the middle of the run, and checks that no
// index entry or archive S-MPD names a missing file, before and after a
// restart, which finishes the run and leaves no orphan file or tombstone.
func TestRetentionSIGKILLMidRunLeavesNoDanglingReference(t *testing.T) {
	const periods = 150
	dir := t.TempDir()
	url := "file://" + dir
	st := openStore(t, url)
	start := time.Now()
	archiveOld(t, st, periods)
	t.Logf("archived in %v", time.Since(start))
	ctx := context.Background()
	held := time.Unix(testEpoch+200, 0) // periods 100 and 101 of the archive
	if _, err := retention.CreateHold(ctx, st, retention.Hold{Channel: "ch1", From: held, To: held.Add(3 * time.Second), Reason: "test"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	indexes := func() int {
		objs, err := st.List(ctx, trackfile.IndexPrefix("ch1"))
		if err != nil {
			t.Fatal(err)
		}
		return len(objs)
	}
	if n := indexes(); n != periods {
		t.Fatalf("%d period indexes archived, want %d", n, periods)
	}
	cfg := filepath.Join(dir, "..", "reapd.yaml")
	if err := os.WriteFile(cfg, []byte("defaults:\n  retention: {maxAge: 1h, schedule: \"@every 1s\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--config", cfg, "--segment-duration", "2s", "--storage-period", "2s"}
	p := startReapd(t, url, flags...)
	if !poll(60*time.Second, func() bool { return indexes() < periods-10 }) {
		t.Fatalf("retention did not start deleting\n%s", p.logs)
	}
	p.kill()
	left := indexes()
	t.Logf("killed at %v with %d indexes left", time.Since(start), left)
	if left <= 10 {
		t.Fatalf("the run ended before the kill (%d indexes left): archive more periods", left)
	}
	retentiontest.CheckNoDangling(t, st, "ch1", false)

	p = startReapd(t, url, flags...)
	want := 3 // the held two and the newest
	if !poll(60*time.Second, func() bool { return indexes() == want }) {
		t.Fatalf("after the restart %d indexes left, want %d\n%s", indexes(), want, p.logs)
	}
	if !poll(10*time.Second, func() bool {
		objs, _ := st.List(ctx, trackfile.TombstonePrefix("ch1"))
		return len(objs) == 0
	}) {
		t.Fatal("tombstones left")
	}
	t.Logf("finished at %v", time.Since(start))
	// The holds API is mounted: it lists the hold and takes a new one.
	resp, err := http.Get("http://" + p.addr + "/api/holds?channel=ch1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"reason": "test"`) {
		t.Errorf("GET /api/holds: %s %s", resp.Status, body)
	}
	if code := p.post("/api/holds", []byte(`{"channel":"ch1","from":1,"to":2,"reason":"api"}`)); code != http.StatusCreated {
		t.Errorf("POST /api/holds: %d", code)
	}
	p.stop(t)
	retentiontest.CheckNoDangling(t, st, "ch1", true)
	if !strings.Contains(p.logs.String(), "retention: period deleted") {
		t.Errorf("no deletion logged after the restart\n%s", p.logs)
	}
	for _, k := range []int64{testEpoch/2 + 100, testEpoch/2 + 101, testEpoch/2 + periods - 1} {
		if _, err := st.Stat(ctx, trackfile.IndexKey("ch1", k, "")); err != nil {
			t.Errorf("kept period %d: %v", k, err)
		}
	}
}

// TestRetentionCommandDryRunListsAndRunDeletes: "reapd retention
// --dry-run" lists what would go and deletes nothing; without it the same
// periods go, and the archive S-MPD is republished without them; the
// period a recording's window overlaps stays.
func TestRetentionCommandDryRunListsAndRunDeletes(t *testing.T) {
	url := "file://" + t.TempDir()
	st := openStore(t, url)
	archiveOld(t, st, 5)
	ctx := context.Background()
	rec := recording.New(st, nil)
	if _, _, err := rec.Create(ctx, recording.Request{Channel: "ch1", Name: "keep",
		Start: time.Unix(testEpoch+2, 0), End: time.Unix(testEpoch+4, 0)}); err != nil { // period 1 of 0 … 4
		t.Fatal(err)
	}
	rec.Close(ctx)
	count := func() int {
		objs, err := st.List(ctx, trackfile.IndexPrefix("ch1"))
		if err != nil {
			t.Fatal(err)
		}
		return len(objs)
	}
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"retention", "--store", url, "--max-age", "1h", "--dry-run"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if got := strings.Count(out.String(), "would delete ch1 period"); got != 3 || count() != 5 {
		t.Fatalf("dry run listed %d periods, %d indexes left:\n%s", got, count(), out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"retention", "--store", url, "--channel", "ch1", "--max-age", "1h"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if got := strings.Count(out.String(), "deleted ch1 period"); got != 3 || count() != 2 {
		t.Fatalf("run deleted %d periods, %d indexes left:\n%s", got, count(), out.String())
	}
	retentiontest.CheckNoDangling(t, st, "ch1", true)
	if _, err := st.Stat(ctx, trackfile.IndexKey("ch1", testEpoch/2+1, "")); err != nil {
		t.Errorf("the recorded period went: %v", err)
	}
	errb.Reset()
	if err := run(ctx, []string{"retention", "--help"}, &out, &errb); !strings.Contains(errb.String(), "--dry-run") {
		t.Errorf("--help: %v\n%s", err, errb.String())
	}
}

// TestRetentionConfig: per-channel retention inherits what it leaves
// unset from defaults; bad values are refused at start-up.
func TestRetentionConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reapd.yaml")
	conf := "defaults:\n  retention: {maxAge: 720h, maxBytes: 500GB, schedule: \"@every 10m\"}\nchannels:\n  news:\n    retention: {maxAge: 2160h}\n  other: {}\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	fc, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	def, chans, err := retentionPolicies(fc)
	if err != nil {
		t.Fatal(err)
	}
	want := retention.Policy{MaxAge: 720 * time.Hour, MaxBytes: 500e9, Schedule: "@every 10m"}
	if def != want || chans["other"] != want {
		t.Errorf("defaults %+v, other %+v, want %+v", def, chans["other"], want)
	}
	if want.MaxAge = 2160 * time.Hour; chans["news"] != want {
		t.Errorf("news %+v, want %+v", chans["news"], want)
	}
	for _, bad := range []string{"{maxAge: soon}", "{maxBytes: lots}", "{maxAge: -1h}"} {
		fc := &fileConfig{}
		if err := yaml.Unmarshal([]byte("defaults:\n  retention: "+bad+"\n"), fc); err != nil {
			t.Fatal(err)
		}
		if _, _, err := retentionPolicies(fc); err == nil {
			t.Errorf("retention %s accepted", bad)
		}
	}
}
