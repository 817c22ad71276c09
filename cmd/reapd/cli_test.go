package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

func TestHelpTexts(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"reapd serve", "reapd validate"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	err := run(context.Background(), []string{"serve", "--help"}, &out, &errb)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help: %v", err)
	}
	for _, want := range []string{"-store", "-listen", "-sts", "-segment-duration", "-storage-period", "-finalize-delay", "file://./data"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	if err := run(context.Background(), []string{"frobnicate"}, &out, &errb); err == nil {
		t.Error("unknown command accepted")
	}
}

func TestValidateReportsClausesOfRealFFmpegOutput(t *testing.T) {
	dir := "../../testdata/ffmpeg/ldash/"
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"validate", "--json", dir + "manifest.mpd",
		dir + "init-stream0.m4s", dir + "chunk-stream0-00001.m4s", dir + "chunk-stream0-00002.m4s"}, &out, &errb)
	if !errors.Is(err, errFindings) {
		t.Fatalf("validate of ffmpeg output (SegmentTemplate in Representation, 6.1 e) should fail with findings: %v %s", err, errb.String())
	}
	var fs []trackfile.Finding
	if err := json.Unmarshal(out.Bytes(), &fs); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	clauses := map[string]bool{}
	for _, f := range fs {
		clauses[f.Clause] = true
		if f.Subject == "" || f.Message == "" || f.Level == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}
	for _, want := range []string{"6.1 e", "6.2 f"} {
		if !clauses[want] {
			t.Errorf("no finding for clause %s in %v", want, clauses)
		}
	}
	// A conforming I-MPD alone passes, in text form.
	out.Reset()
	if err := run(context.Background(), []string{"validate", "../../smpd/testdata/ingest/reap-time.mpd"}, &out, &errb); err != nil {
		t.Errorf("conforming I-MPD: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "0 findings in 1 files") {
		t.Errorf("text report: %s", out.String())
	}
}
