package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/blobstore/blobstoretest"
	"github.com/reapd/reapd/test/player/playertest"
	"github.com/reapd/reapd/test/staticsrv"
)

// exportJob is what the export tests read of a job.
type exportJob struct {
	ID       string   `json:"id"`
	State    string   `json:"state"`
	Progress float64  `json:"progress"`
	Bytes    int64    `json:"bytes"`
	Results  []string `json:"results"`
	Error    string   `json:"error"`
}

func postExport(t *testing.T, p *proc, body string) (int, exportJob) {
	t.Helper()
	resp, err := http.Post("http://"+p.addr+"/api/exports", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j exportJob
	_ = json.NewDecoder(resp.Body).Decode(&j)
	return resp.StatusCode, j
}

func getExport(p *proc, id string) (exportJob, bool) {
	resp, err := http.Get("http://" + p.addr + "/api/exports/" + id)
	if err != nil {
		return exportJob{}, false
	}
	defer resp.Body.Close()
	var j exportJob
	return j, resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&j) == nil
}

// storeFiles reads every object under prefix of a store, by key relative
// to the prefix: what a client of the destination sees.
func storeFiles(t *testing.T, st *blobstore.Store, prefix string) map[string][]byte {
	t.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, o := range objs {
		b, err := st.Get(context.Background(), o.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(o.Key, prefix)] = b
	}
	return out
}

// TestExportJobs is issue 11's acceptance 2 and 3 on an ffmpeg-fed archive
// (20 s in two 10 s storage periods) in a file store:
//   - a cmaf export job to a file:// destination, slowed by
//     --export-max-rate, whose reapd is SIGKILLed half-way, completes on a
//     restarted reapd (which also answers its idempotency key with the same
//     job), once, byte-identical to an uninterrupted `reapd export` run;
//   - the same export to the S3 server (versitygw), as a job;
//   - both packages play in dash.js, shaka (the MPD) and hls.js (the
//     playlists, byte ranges of the same files) from a static Range+CORS
//     server, with video decoded.
func TestExportJobs(t *testing.T) {
	needFFmpeg(t)
	base := t.TempDir()
	store := "file://" + filepath.Join(base, "store")
	s3 := blobstoretest.StartS3(t)
	s3Base, _, _ := strings.Cut(s3.URL(), "?")
	s3Allowed := s3Base + "/vod?" + strings.SplitN(s3.URL(), "?", 2)[1]
	flags := append(append([]string{}, completeFlags...), "--export-lease", "2s",
		"--export-destination", "file://"+base, "--export-destination", s3Allowed)
	a := startReapd(t, store, append(flags, "--export-max-rate", "150000")...)
	epoch := pastN0() * 2
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := ffmpegDASH(ctx, float64(epoch), 22, "http://"+a.addr+"/ingest/ch1/manifest.mpd").CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	st := openStore(t, store)
	n0 := epoch / 2
	if !poll(60*time.Second, func() bool {
		count, _, _ := indexedSegments(t, st, "ch1")
		for _, track := range []string{"0", "1"} {
			for n := n0; n < n0+10; n++ {
				if count[track][n] == 0 {
					return false
				}
			}
		}
		return true
	}) {
		t.Fatalf("the two periods were not finalized\n%s", tailLogs(a))
	}

	killDir := filepath.Join(base, "kill")
	window := fmt.Sprintf(`"channel":"ch1","start":%d,"end":%d,"format":"cmaf"`, epoch, epoch+20)
	body := fmt.Sprintf(`{%s,"destination":"file://%s","idempotency_key":"kill-1"}`, window, killDir)
	code, job := postExport(t, a, body)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/exports: %d %+v", code, job)
	}
	if !poll(60*time.Second, func() bool { j, ok := getExport(a, job.ID); return ok && j.Progress >= 20 && j.State == "running" }) {
		j, _ := getExport(a, job.ID)
		t.Fatalf("the job did not get a fifth of the way: %+v\n%s", j, tailLogs(a))
	}
	a.kill()
	if _, err := os.Stat(filepath.Join(killDir, "manifest.mpd")); err == nil {
		t.Fatalf("the job wrote its manifest before it was killed half-way: the test is not testing a resume")
	}
	b := startReapd(t, store, flags...)
	if code, again := postExport(t, b, body); code != http.StatusOK || again.ID != job.ID {
		t.Errorf("POST with the idempotency key on the second instance: %d %s, want 200 %s", code, again.ID, job.ID)
	}
	s3Dest := strings.Replace(s3.URL(), "?", "/vod/show1?", 1)
	if code, _ := postExport(t, b, fmt.Sprintf(`{%s,"destination":"file:///tmp/elsewhere"}`, window)); code != http.StatusBadRequest {
		t.Errorf("POST with a destination outside --export-destination: %d, want 400", code)
	}
	code, s3Job := postExport(t, b, fmt.Sprintf(`{%s,"destination":%q}`, window, s3Dest))
	if code != http.StatusCreated {
		t.Fatalf("POST /api/exports (S3): %d", code)
	}
	for _, id := range []string{job.ID, s3Job.ID} {
		if !poll(90*time.Second, func() bool { j, ok := getExport(b, id); return ok && j.State != "queued" && j.State != "running" }) {
			t.Fatalf("job %s did not end\n%s", id, tailLogs(b))
		}
		if j, _ := getExport(b, id); j.State != "complete" || j.Progress != 100 {
			t.Fatalf("job %s ended %+v", id, j)
		}
	}

	uninterrupted := filepath.Join(base, "cli")
	cli := exec.Command(reapdBin, "export", "--store", store, "--channel", "ch1", "--start", fmt.Sprint(epoch),
		"--end", fmt.Sprint(epoch+20), "--format", "cmaf", "--out", uninterrupted)
	out, err := cli.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "progress 100%") {
		t.Fatalf("reapd export: %v\n%s", err, out)
	}
	// An mp4 export is the clip catch-up serves, byte for byte.
	mp4Dir := filepath.Join(base, "mp4")
	out, err = exec.Command(reapdBin, "export", "--store", store, "--channel", "ch1", "--start", fmt.Sprint(epoch),
		"--end", fmt.Sprint(epoch+20), "--format", "mp4", "--out", mp4Dir).CombinedOutput()
	if err != nil {
		t.Fatalf("reapd export --format mp4: %v\n%s", err, out)
	}
	clipFile, err := os.ReadFile(filepath.Join(mp4Dir, "clip.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(fmt.Sprintf("http://%s/catchup/ch1/clip.mp4?start=%d&end=%d", b.addr, epoch, epoch+20))
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(clipFile) < 10000 || !bytes.Equal(served, clipFile) {
		t.Errorf("reapd export --format mp4 wrote %d bytes; clip.mp4 answers %d with %d bytes: not the same clip",
			len(clipFile), resp.StatusCode, len(served))
	}
	killed := storeFiles(t, openStore(t, "file://"+killDir), "")
	want := storeFiles(t, openStore(t, "file://"+uninterrupted), "")
	onS3 := storeFiles(t, openStore(t, s3.URL()), "vod/show1/")
	if len(want) < 5 {
		t.Fatalf("the uninterrupted export has %d files", len(want))
	}
	for _, got := range []map[string][]byte{killed, onS3} {
		for name, w := range want {
			if !bytes.Equal(got[name], w) {
				t.Errorf("%s: %d bytes, want the %d of the uninterrupted run", name, len(got[name]), len(w))
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d files, want %d (no duplicates, nothing half-written)", len(got), len(want))
		}
	}

	s3Dir := filepath.Join(base, "s3copy") // the S3 objects, for the static server
	for name, b := range onS3 {
		if err := os.WriteFile(filepath.Join(s3Dir, name), b, 0o644); err != nil {
			if err := os.MkdirAll(s3Dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(s3Dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, dir := range []string{killDir, s3Dir} {
		srv := staticsrv.Start(t, dir)
		for _, play := range []struct{ player, manifest string }{
			{playertest.DashJS, "manifest.mpd"}, {playertest.Shaka, "manifest.mpd"}, {playertest.HLSJS, "master.m3u8"},
		} {
			res := playertest.Play(t, play.player, srv.URL+"/"+play.manifest, playertest.Options{MinSeconds: 15,
				Timeout: 2 * time.Minute, Video: playertest.VideoRequired})
			if !res.OK {
				t.Errorf("%s does not play %s of %s: %v", play.player, play.manifest, dir, res)
			}
		}
	}
}
