// Command reapd-bench measures what timed tests must not (run by
// `make bench`):
//
//	reapd-bench finalize [flags]  peak memory of finalizing one storage period
//	reapd-bench ingest [flags]    N channels of live ingest into a real reapd
//	                              process and into a raw sink, same run, same disk
//	reapd-bench sink [flags]      the raw sink alone (a child of "ingest")
//
// Without a subcommand it runs "finalize" (the flags of older scripts).
package main

import (
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	cmd := "finalize"
	if len(args) > 0 && (args[0] == "finalize" || args[0] == "ingest" || args[0] == "sink") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "ingest":
		err = runIngest(args)
	case "sink":
		err = runSink(args)
	default:
		err = runFinalize(args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reapd-bench:", err)
		os.Exit(1)
	}
}
