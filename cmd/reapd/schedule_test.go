package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestScheduleConfig: the YAML file's scheduled recordings, per channel
// and from defaults.
func TestScheduleConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "reapd.yaml")
	os.WriteFile(cfg, []byte(`
defaults:
  recordings:
    - {name: "daily-{2006-01-02}", cron: "@daily", duration: 1h}
channels:
  ch1:
    recordings:
      - {name: "news-{2006-01-02}", cron: "0 18 * * *", timezone: Europe/Paris, duration: 30m}
  ch2: {}
`), 0o644)
	fc, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fc.schedules()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 || s[0].Channel != "ch1" || s[0].Name != "daily-{2006-01-02}" || s[1].TimeZone != "Europe/Paris" ||
		s[1].Duration != 30*time.Minute || s[2].Channel != "ch2" {
		t.Errorf("schedules %+v", s)
	}
	fc.Channels["ch1"].Recordings[0].Duration = "half an hour"
	if _, err := fc.schedules(); err == nil {
		t.Error("a bad duration is accepted")
	}
}

// TestScheduledRecordingOnTwoInstances is issue 10's acceptance 3 with
// real processes: two reapd on one store run a seconds-level schedule;
// every firing yields one dated recording, requested by exactly one of
// them (the write-once create decides), with the window of its time.
func TestScheduledRecordingOnTwoInstances(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "reapd.yaml")
	os.WriteFile(cfg, []byte(`
channels:
  ch1:
    recordings:
      - {name: "tick-{2006-01-02T15-04-05}", cron: "*/2 * * * * *", timezone: Asia/Tokyo, duration: 3s}
`), 0o644)
	store := "file://" + filepath.Join(dir, "store")
	a := startReapd(t, store, "--config", cfg)
	b := startReapd(t, store, "--config", cfg)
	var list struct {
		Recordings []struct {
			Name, Schedule string
			Start, End     time.Time
		}
	}
	if !poll(30*time.Second, func() bool {
		code, body := apiDo(t, b, "GET", "/api/recordings?channel=ch1", "")
		return code == http.StatusOK && json.Unmarshal([]byte(body), &list) == nil && len(list.Recordings) >= 3
	}) {
		t.Fatalf("fewer than 3 scheduled recordings in 30 s: %+v\n%s", list, tailLogs(a))
	}
	a.stop(t)
	b.stop(t)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	requested := regexp.MustCompile(`scheduled recording requested.* name=(tick-\S+)`)
	count := map[string]int{}
	for _, p := range []*proc{a, b} {
		for _, m := range requested.FindAllStringSubmatch(p.logs.String(), -1) {
			count[m[1]]++
		}
	}
	_, body := apiDo(t, startReapd(t, store), "GET", "/api/recordings?channel=ch1", "")
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Recordings {
		if want := "tick-" + r.Start.In(tokyo).Format("2006-01-02T15-04-05"); r.Name != want || r.Start.Second()%2 != 0 ||
			r.Start.Nanosecond() != 0 || r.End.Sub(r.Start) != 3*time.Second || !strings.HasPrefix(r.Schedule, "*/2 * * * * *") {
			t.Errorf("recording %+v: want name %s, an even second, 3 s", r, want)
		}
		if count[r.Name] != 1 {
			t.Errorf("%s requested %d times by the two instances", r.Name, count[r.Name])
		}
	}
}
