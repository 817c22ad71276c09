package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
)

// timing shows a channel's stored timing decisions (segment duration, grid
// phase, automatic STS) and, with --reset, clears the learned ones.
func timing(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reapd timing", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", "file://./data", "store URL (as for serve)")
	channel := fs.String("channel", "", "channel name (required)")
	reset := fs.Bool("reset", false, "delete the learned segment duration and grid phase, so that archivers learn them again when they restart (the STS stays)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reapd timing --store URL --channel C [--reset]\n\n"+
			"Prints the channel's write-once timing decisions and where each came from.\n"+
			"When segments contradict a learned decision (see the channel's conformance report), configure\n"+
			"the segment duration, or --reset and restart the archivers. Nothing archived is lost or moved.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *channel == "" {
		fs.Usage()
		return fmt.Errorf("timing: --channel is required")
	}
	st, err := blobstore.Open(ctx, *storeURL, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	ds, err := archive.Decisions(ctx, st, *channel)
	if err != nil {
		return err
	}
	for _, d := range ds {
		fmt.Fprintf(stdout, "%-6s %-10s s  from %s\n", d.Name, d.Value, d.From)
	}
	if len(ds) == 0 {
		fmt.Fprintln(stdout, "no stored decisions")
	}
	if *reset {
		if err := archive.ResetLearned(ctx, st, *channel); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "learned segment duration and grid phase cleared; restart the archivers of this channel")
	}
	return nil
}
