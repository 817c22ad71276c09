package recording

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCompileSchedule(t *testing.T) {
	ok := Schedule{Channel: testCh, Name: "news-{2006-01-02}", Cron: "0 18 * * *", TimeZone: "Europe/Paris", Duration: 30 * time.Minute}
	c, err := compile(ok)
	if err != nil {
		t.Fatal(err)
	}
	// 18:00 in Paris is 17:00 UTC in winter; the name has the Paris date.
	next := c.spec.Next(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	if !next.Equal(time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)) || c.name(next) != "news-2026-12-01" {
		t.Errorf("next %v, name %s", next, c.name(next))
	}
	// A job that runs 300 ms late is for the activation before it.
	if got := c.fireTime(next.Add(300*time.Millisecond), time.Minute); !got.Equal(next) {
		t.Errorf("fireTime %v, want %v", got, next)
	}
	secs, err := compile(Schedule{Channel: testCh, Name: "t-{150405}", Cron: "*/5 * * * * *", Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 12, 0, 7, 0, time.UTC)
	if got := secs.fireTime(at, time.Minute); !got.Equal(at.Add(-2*time.Second)) || secs.name(got) != "t-120005" {
		t.Errorf("six fields: fireTime %v name %s", got, secs.name(got))
	}
	for name, bad := range map[string]Schedule{
		"spec":      {Channel: testCh, Name: "x-{2006}", Cron: "0 61 * * *", Duration: time.Minute},
		"zone":      {Channel: testCh, Name: "x-{2006}", Cron: "0 1 * * *", TimeZone: "Mars/Olympus", Duration: time.Minute},
		"every":     {Channel: testCh, Name: "x-{2006}", Cron: "@every 1h", Duration: time.Minute},
		"duration":  {Channel: testCh, Name: "x-{2006}", Cron: "0 1 * * *"},
		"constant":  {Channel: testCh, Name: "always", Cron: "0 1 * * *", Duration: time.Minute},
		"bad name":  {Channel: testCh, Name: "x {2006}", Cron: "0 1 * * *", Duration: time.Minute},
		"channel":   {Channel: "a/b", Name: "x-{2006}", Cron: "0 1 * * *", Duration: time.Minute},
		"two zones": {Channel: testCh, Name: "x-{2006}", Cron: "CRON_TZ=UTC 0 1 * * *", TimeZone: "UTC", Duration: time.Minute},
	} {
		if _, err := compile(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestScheduleFiresOnceOnTwoInstances: two Schedulers (two Recorders) on
// one store run a seconds-level schedule; each firing gives one dated
// recording, created by exactly one of them, with the window of its time.
func TestScheduleFiresOnceOnTwoInstances(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	sched := []Schedule{{Channel: testCh, Name: "tick-{2006-01-02T15-04-05}", Cron: "* * * * * *", TimeZone: "Europe/Paris", Duration: 2 * time.Second}}
	var mu sync.Mutex
	creates := map[string]int{}
	fired := map[string]int{}
	var errs []error
	var scheds []*Scheduler
	for range 2 {
		// The jobs read a clock 700 ms late, as on a busy machine: the
		// recording still starts at the activation, a whole second.
		late := func() time.Time { return time.Now().Add(700 * time.Millisecond) }
		sc, err := NewScheduler(New(s, nil), sched, &SchedulerOptions{Now: late, Fired: func(_, name string, created bool, err error) {
			mu.Lock()
			defer mu.Unlock()
			fired[name]++
			if created {
				creates[name]++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, sc)
	}
	for _, sc := range scheds {
		if err := sc.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "two firings on both instances", func() bool {
		mu.Lock()
		defer mu.Unlock()
		both := 0
		for _, n := range fired {
			if n == 2 {
				both++
			}
		}
		return both >= 2
	})
	for _, sc := range scheds {
		if err := sc.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	recs, err := New(s, nil).List(ctx, testCh)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(fired) {
		t.Errorf("%d recordings for %d firings", len(recs), len(fired))
	}
	for _, rec := range recs {
		if creates[rec.Name] != 1 {
			t.Errorf("%s created %d times", rec.Name, creates[rec.Name])
		}
		if want := "tick-" + rec.Start.In(paris).Format("2006-01-02T15-04-05"); rec.Name != want || rec.Start.Nanosecond() != 0 ||
			rec.End.Sub(rec.Start) != 2*time.Second || !strings.HasPrefix(rec.Schedule, "* * * * * *") {
			t.Errorf("recording %+v, want name %s, a whole second, 2 s", rec, want)
		}
	}
}
