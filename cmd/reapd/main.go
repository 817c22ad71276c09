// Command reapd archives 24x7 DASH-IF live ingest into REaP storage track
// files (ISO/IEC 23009-9) in an object store.
//
//	reapd serve [flags]        receive ingest and archive it
//	reapd validate [--json] FILE…  check I-MPDs and segments against REaP 6.1/6.2
//	reapd timing --channel C [--reset]  show or clear a channel's learned timing
//	reapd sign [flags] URL         mint an expiring signed catch-up URL
//	reapd retention [flags]        delete expired storage periods now (or --dry-run)
//	reapd export [flags]           write a window of the archive as a VoD package or MP4
//	reapd record --channel C --name N --start T1 --end T2 [--wait]  request a recording S-MPD
//
// Run "reapd serve --help" for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "reapd:", err)
		os.Exit(1)
	}
}

const usage = `reapd — the REaP (ISO/IEC 23009-9) live archiver

Usage:
  reapd serve [flags]             receive DASH-IF live ingest and archive it
  reapd validate [--json] FILE…   check I-MPDs and CMAF headers/segments against REaP 6.1/6.2
  reapd timing --channel C [--reset]
                                  show a channel's timing decisions; clear the learned ones
  reapd sign [flags] URL          mint an expiring signed URL for a locked read side
  reapd retention --store URL [--channel C] --max-age D --max-bytes N [--dry-run]
                                  delete expired storage periods now, or list them
  reapd export --store URL --channel C --start T1 --end T2 --format mp4|dash|hls|cmaf --out PATH|URL
                                  write a window of the archive as a VoD package (or one MP4)
  reapd record --store URL --channel C --name N --start T1 --end T2 [--wait]
                                  request a recording S-MPD of a window of the archive
  reapd help                      this text

Run "reapd serve --help" for the server's flags.
`

// run is the whole program: parse args, do the command, return.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "validate":
		return validate(args, stdout, stderr)
	case "timing":
		return timing(ctx, args, stdout, stderr)
	case "sign":
		return signCmd(args, stdout, stderr)
	case "retention":
		return retentionCmd(ctx, args, stdout, stderr)
	case "export":
		return exportCmd(ctx, args, stdout, stderr)
	case "record":
		return record(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
