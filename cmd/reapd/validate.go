package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

// errFindings makes "reapd validate" exit non-zero when a "shall" of REaP
// is broken.
var errFindings = errors.New("validate: conformance errors found")

// validate checks I-MPDs, CMAF headers and media segments against REaP
// clauses 6.1 and 6.2 and prints one line per finding (or JSON).
func validate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reapd validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the findings as a JSON array")
	segDur := fs.String("segment-duration", "", "segment duration D (default: from an I-MPD among the files, else the first segment)")
	stsFlag := fs.String("sts", "0", "STS in seconds added to input times")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reapd validate [flags] FILE…\n\nChecks I-MPDs (.mpd) against REaP 6.1 and CMAF headers and media segments against 6.2,\n"+
			"in the order given (a segment is checked against the last header before it).\nExits 1 when a 'shall' is broken.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("validate: no files")
	}
	var grid trackfile.Grid
	if *segDur != "" {
		d, err := trackfile.ParseRational(*segDur)
		if err != nil {
			return fmt.Errorf("--segment-duration: %w", err)
		}
		grid.D = d
	}
	sts, err := archive.ParseSTS(*stsFlag)
	if err != nil || sts.Auto {
		return fmt.Errorf("--sts: want seconds")
	}
	var all []trackfile.Finding
	var hdr *trackfile.Header
	for _, name := range fs.Args() {
		raw, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		add := func(fs ...trackfile.Finding) {
			for _, f := range fs {
				if f.Subject == "" {
					f.Subject = name
				} else {
					f.Subject = name + ": " + f.Subject
				}
				all = append(all, f)
			}
		}
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<")) {
			m, err := smpd.ParseIngestMPD(raw)
			if err != nil {
				add(trackfile.Finding{Clause: "6.1", Level: "error", Message: err.Error()})
				continue
			}
			if grid.D.IsZero() {
				grid.D = m.SegmentDuration
			}
			add(m.Check()...)
			continue
		}
		if h, err := trackfile.ParseHeader(raw); err == nil {
			hdr = h
			add(trackfile.CheckHeader(h)...)
			continue
		}
		seg, err := trackfile.ParseSegment(raw, hdr)
		if err != nil {
			add(trackfile.Finding{Clause: "6.2", Level: "error", Message: "not a CMAF header or media segment: " + err.Error()})
			continue
		}
		if hdr == nil {
			add(trackfile.Finding{Clause: "6.2", Level: "error", Message: "media segment without a CMAF header before it on the command line"})
			continue
		}
		if grid.D.IsZero() {
			grid.D = trackfile.RationalFromTicks(seg.Duration, hdr.Info.Timescale)
		}
		grid.N = trackfile.DefaultPeriodSegments(grid.D)
		add(trackfile.CheckSegment(seg, hdr, grid, sts.Seconds.TicksSigned(hdr.Info.Timescale))...)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if all == nil {
			all = []trackfile.Finding{}
		}
		if err := enc.Encode(all); err != nil {
			return err
		}
	} else {
		for _, f := range all {
			fmt.Fprintf(stdout, "%s: REaP %s %s: %s\n", f.Subject, f.Clause, f.Level, f.Message)
		}
		fmt.Fprintf(stdout, "%d findings in %d files\n", len(all), fs.NArg())
	}
	for _, f := range all {
		if f.Level == "error" {
			return errFindings
		}
	}
	return nil
}
