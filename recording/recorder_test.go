package recording

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

func TestCreateGetListDelete(t *testing.T) {
	ctx := context.Background()
	r := New(memStore(t), nil)
	q := Request{Channel: testCh, Name: "news-2026-12-01", Start: t0, End: t0.Add(30 * time.Minute)}
	rec, created, err := r.Create(ctx, q)
	if err != nil || !created || rec.State != StateWaiting || rec.MPDKey != "ch1/recordings/news-2026-12-01.mpd" || rec.DurationS != 1800 {
		t.Fatalf("create: %+v %v %v", rec, created, err)
	}
	if _, created, err := r.Create(ctx, q); err != nil || created {
		t.Errorf("same request again: created %v, %v", created, err)
	}
	other := q
	other.End = other.End.Add(time.Second)
	if _, _, err := r.Create(ctx, other); !errors.Is(err, ErrConflict) {
		t.Errorf("other window: %v, want ErrConflict", err)
	}
	for name, bad := range map[string]Request{
		"name":     {Channel: testCh, Name: ".hidden", Start: t0, End: t0.Add(time.Hour)},
		"slash":    {Channel: testCh, Name: "a/b", Start: t0, End: t0.Add(time.Hour)},
		"channel":  {Channel: "recordings", Name: "x", Start: t0, End: t0.Add(time.Hour)},
		"reversed": {Channel: testCh, Name: "x", Start: t0, End: t0.Add(-time.Hour)},
		"too long": {Channel: testCh, Name: "x", Start: t0, End: t0.Add(8 * 24 * time.Hour)},
	} {
		if _, _, err := r.Create(ctx, bad); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
	early := Request{Channel: testCh, Name: "early", Start: t0.Add(-time.Hour), End: t0}
	if _, _, err := r.Create(ctx, early); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Create(ctx, Request{Channel: "ch0", Name: "z", Start: t0, End: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	list, err := r.List(ctx, "")
	if err != nil || len(list) != 3 || list[0].Channel != "ch0" || list[1].Name != "early" || list[2].Name != q.Name {
		t.Fatalf("list: %+v %v", list, err)
	}
	if list, err := r.List(ctx, testCh); err != nil || len(list) != 2 {
		t.Fatalf("list ch1: %+v %v", list, err)
	}
	ws, err := Windows(ctx, r.store, testCh)
	if err != nil || len(ws) != 2 || ws[1].Reason != "recording news-2026-12-01" || !ws[1].From.Equal(t0) {
		t.Errorf("windows: %+v %v", ws, err)
	}
	if err := r.Delete(ctx, testCh, q.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, testCh, q.Name); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if err := r.Delete(ctx, testCh, q.Name); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
}

// TestCompletesWhenArchiveReachesEnd: a recording across a period boundary
// waits until the period of its end is indexed, then its S-MPD is written
// once, the bytes RecordingMPD gives for the stored I-MPD and runs.
func TestCompletesWhenArchiveReachesEnd(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	putIngest(t, s)
	putPeriod(t, s, 0)
	r := New(s, &Options{Now: func() time.Time { return t0.Add(time.Minute) }})
	q := Request{Channel: testCh, Name: "show", Start: t0.Add(5 * time.Second), End: t0.Add(35 * time.Second)}
	if _, _, err := r.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	if waiting, err := r.CompleteChannel(ctx, testCh); err != nil || waiting != 1 {
		t.Fatalf("before the end is archived: %d waiting, %v", waiting, err)
	}
	if rec, _ := r.Get(ctx, testCh, "show"); rec.State != StateWaiting {
		t.Fatalf("state %s", rec.State)
	}
	putPeriod(t, s, 20)
	if waiting, err := r.CompleteChannel(ctx, testCh); err != nil || waiting != 0 {
		t.Fatalf("after: %d waiting, %v", waiting, err)
	}
	rec, err := r.Get(ctx, testCh, "show")
	if err != nil || rec.State != StateComplete || len(rec.Gaps) != 0 {
		t.Fatalf("%+v %v", rec, err)
	}
	got, err := s.Get(ctx, rec.MPDKey)
	if err != nil {
		t.Fatal(err)
	}
	want := expectedMPD(t, s, q)
	if !bytes.Equal(got, want) {
		t.Errorf("S-MPD differs from RecordingMPD of the stored input:\n%s", got)
	}
	if !bytes.Contains(got, []byte("<Label>Camera 1</Label>")) || !bytes.Contains(got, []byte("../video/")) {
		t.Errorf("S-MPD lacks the I-MPD's label or relative BaseURLs:\n%s", got)
	}
}

// expectedMPD is RecordingMPD of the test archive's I-MPD and every run.
func expectedMPD(t *testing.T, s *blobstore.Store, q Request) []byte {
	t.Helper()
	ctx := context.Background()
	raw, err := s.Get(ctx, trackfile.IngestMPDKey(testCh, t0.UnixMilli()))
	if err != nil {
		t.Fatal(err)
	}
	m, err := smpd.ParseIngestMPD(raw)
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := s.List(ctx, trackfile.IndexPrefix(testCh))
	var runs []trackfile.Run
	for _, o := range objs {
		b, _ := s.Get(ctx, o.Key)
		idx, err := trackfile.UnmarshalIndex(b)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, idx.Runs...)
	}
	out, err := smpd.RecordingMPD(smpd.RecordingInput{Channel: testCh, Ingest: m, Start: q.Start, End: q.End, Runs: runs})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTwoInstances: two Recorders on one store complete the same
// recording at once (one S-MPD, no error), and two Recorders on two
// stores holding the same archive write byte-identical S-MPDs.
func TestTwoInstances(t *testing.T) {
	ctx := context.Background()
	var outs [][]byte
	for range 2 {
		s := memStore(t)
		putIngest(t, s)
		putPeriod(t, s, 0)
		putPeriod(t, s, 20)
		a, b := New(s, nil), New(s, nil)
		q := Request{Channel: testCh, Name: "show", Start: t0.Add(3 * time.Second), End: t0.Add(33 * time.Second)}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, r := range []*Recorder{a, b} {
			wg.Go(func() {
				if _, _, err := r.Create(ctx, q); err != nil {
					errs[i] = err
					return
				}
				_, errs[i] = r.CompleteChannel(ctx, testCh)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for _, r := range []*Recorder{a, b} {
			if rec, err := r.Get(ctx, testCh, "show"); err != nil || rec.State != StateComplete {
				t.Fatalf("%+v %v", rec, err)
			}
		}
		out, err := s.Get(ctx, mpdKey(testCh, "show"))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Errorf("two instances wrote different S-MPDs")
	}
}

func TestGapsAndFailure(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	putPeriod(t, s, 0, slot(6), slot(8)) // video misses [6 s, 8 s) and [8 s, 10 s)
	putPeriod(t, s, 20)
	r := New(s, nil)
	if _, _, err := r.Create(ctx, Request{Channel: testCh, Name: "gappy", Start: t0, End: t0.Add(30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CompleteChannel(ctx, testCh); err != nil {
		t.Fatal(err)
	}
	rec, err := r.Get(ctx, testCh, "gappy")
	if err != nil || rec.State != StateComplete {
		t.Fatalf("%+v %v", rec, err)
	}
	want := []Gap{{From: t0.Add(6 * time.Second), To: t0.Add(10 * time.Second), Reason: "no media in track video"}}
	if len(rec.Gaps) != 1 || rec.Gaps[0] != want[0] {
		t.Errorf("gaps %+v, want %+v", rec.Gaps, want)
	}

	// A window the archive has passed without media in it fails; it
	// is done: not looked at again.
	if _, _, err := r.Create(ctx, Request{Channel: testCh, Name: "void", Start: t0.Add(-time.Hour), End: t0.Add(-30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if waiting, err := r.CompleteChannel(ctx, testCh); err != nil || waiting != 0 {
		t.Fatalf("%d waiting, %v", waiting, err)
	}
	if rec, err := r.Get(ctx, testCh, "void"); err != nil || rec.State != StateFailed || rec.Error == "" {
		t.Errorf("%+v %v", rec, err)
	}
}

// TestDeleteAndRecreate: a name deleted and requested again with another
// window is waiting, not complete with the old S-MPD; it completes anew.
func TestDeleteAndRecreate(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	putPeriod(t, s, 0)
	r := New(s, &Options{Now: func() time.Time { return t0.Add(30 * time.Second) }})
	if _, _, err := r.Create(ctx, Request{Channel: testCh, Name: "x", Start: t0, End: t0.Add(10 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CompleteChannel(ctx, testCh); err != nil {
		t.Fatal(err)
	}
	old, _ := s.Get(ctx, mpdKey(testCh, "x"))
	// A completion that raced with the delete left its S-MPD and result.
	res, _ := s.Get(ctx, resultKey(testCh, "x"))
	if err := r.Delete(ctx, testCh, "x"); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(s.Create(ctx, mpdKey(testCh, "x"), old), s.Create(ctx, resultKey(testCh, "x"), res)); err != nil {
		t.Fatal(err)
	}
	q := Request{Channel: testCh, Name: "x", Start: t0.Add(10 * time.Second), End: t0.Add(30 * time.Second)}
	if rec, created, err := r.Create(ctx, q); err != nil || !created || rec.State != StateWaiting {
		t.Fatalf("%+v %v %v", rec, created, err)
	}
	putPeriod(t, s, 20)
	if _, err := r.CompleteChannel(ctx, testCh); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, mpdKey(testCh, "x"))
	if rec, _ := r.Get(ctx, testCh, "x"); rec.State != StateComplete || bytes.Equal(got, old) || !bytes.Contains(got, []byte(`mediaPresentationDuration="PT20S"`)) {
		t.Errorf("state %s, S-MPD:\n%s", rec.State, got)
	}
}

// TestLoopCompletesOnNotify: a started Recorder completes a recording
// another instance requested when told the archive moved on, and Close
// waits for its goroutine.
func TestLoopCompletesOnNotify(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	putPeriod(t, s, 0)
	other := New(s, nil)
	if _, _, err := other.Create(ctx, Request{Channel: testCh, Name: "later", Start: t0.Add(10 * time.Second), End: t0.Add(30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	r := New(s, &Options{Poll: time.Hour})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	putPeriod(t, s, 20)
	r.Notify(testCh)
	waitFor(t, "the recording to complete", func() bool {
		rec, err := other.Get(ctx, testCh, "later")
		return err == nil && rec.State == StateComplete
	})
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
