package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/catchup"
	"github.com/reapd/reapd/recording"
)

// record requests a recording of a window of a channel's archive (as POST
// /api/recordings does) and, with --wait, completes it as soon as the
// archive has reached the window's end.
func record(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reapd record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", "file://./data", "store URL (as for serve)")
	channel := fs.String("channel", "", "channel name (required)")
	name := fs.String("name", "", "recording name: 1 to 128 of A-Z a-z 0-9 . _ - (required)")
	start := fs.String("start", "", "start of the window: RFC 3339 or epoch seconds (required)")
	end := fs.String("end", "", "end of the window (exclusive): RFC 3339 or epoch seconds (required)")
	wait := fs.Bool("wait", false, "wait until the recording is complete or failed (a running reapd completes it too)")
	poll := fs.Duration("poll", 5*time.Second, "with --wait: how often to look at the archive")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reapd record --store URL --channel C --start T1 --end T2 --name N [--wait]\n\n"+
			"Requests the recording N of channel C over [T1, T2): its S-MPD is written to\n"+
			"{channel}/recordings/{name}.mpd once the archive has reached T2 (by this command with\n"+
			"--wait, or by any reapd serving the store). A name is written once: the same request again\n"+
			"is a no-op, another window under a taken name an error. Prints the recording as JSON.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *channel == "" || *name == "" || *start == "" || *end == "" {
		fs.Usage()
		return fmt.Errorf("record: --channel, --name, --start and --end are required")
	}
	q := recording.Request{Channel: *channel, Name: *name}
	var err error
	if q.Start, err = catchup.ParseInstant(*start); err != nil {
		return fmt.Errorf("record: --start: %w", err)
	}
	if q.End, err = catchup.ParseInstant(*end); err != nil {
		return fmt.Errorf("record: --end: %w", err)
	}
	st, err := blobstore.Open(ctx, *storeURL, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	rec := recording.New(st, &recording.Options{Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	r, _, err := rec.Create(ctx, q)
	for err == nil && *wait && r.State == recording.StateWaiting {
		if _, err = rec.CompleteChannel(ctx, q.Channel); err != nil {
			break
		}
		if r, err = rec.Get(ctx, q.Channel, q.Name); err != nil || r.State != recording.StateWaiting {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(*poll):
		}
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	if r.State == recording.StateFailed {
		return fmt.Errorf("record: recording failed: %s", r.Error)
	}
	return nil
}

// startRecordings starts the recordings of serve: the Recorder that
// completes them and the Scheduler of the configured schedules. stop
// closes both.
func startRecordings(ctx context.Context, st *blobstore.Store, fc *fileConfig, log *slog.Logger) (rec *recording.Recorder, stop func(), err error) {
	schedules, err := fc.schedules()
	if err != nil {
		return nil, nil, err
	}
	rec = recording.New(st, &recording.Options{Logger: log.With("component", "recording")})
	sched, err := recording.NewScheduler(rec, schedules, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := rec.Start(ctx); err != nil {
		return nil, nil, err
	}
	if err := sched.Start(ctx); err != nil {
		return nil, nil, err
	}
	return rec, func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = sched.Close(cctx)
		_ = rec.Close(cctx)
	}, nil
}
