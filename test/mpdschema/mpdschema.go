// Package mpdschema validates MPDs against the official MPEG-DASH MPD schema
// (ISO/IEC 23009-1, DASH-MPD.xsd from the public repository
// MPEGGroup/DASHSchema) with xmllint, for tests.
//
// The schema imports the XLink attributes from w3.org, which no test machine
// reaches: testdata/dash-schema/catalog.xml maps that import to the local
// testdata/dash-schema/xlink.xsd, and xmllint runs with --nonet so that a
// missing mapping fails instead of reaching for the network.
//
// DASH-MPD.xsd itself is looked up, in order, in $REAPD_DASH_SCHEMA_DIR,
// then testdata/dash-schema/ (where it is committed)
// (see testdata/dash-schema/README.md). xmllint comes from Debian's
// libxml2-utils (make test-deps). A missing schema or xmllint fails the test;
// it is never skipped.
package mpdschema

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// SchemaFile is the name of the MPD schema's main file.
const SchemaFile = "DASH-MPD.xsd"

// Validate fails t with xmllint's findings when mpd does not validate
// against the DASH MPD schema.
func Validate(t testing.TB, mpd []byte) {
	t.Helper()
	if err := Check(mpd); err != nil {
		var tool *toolError
		if errors.As(err, &tool) {
			t.Fatalf("mpdschema: %v", err)
		}
		t.Errorf("mpdschema: %v", err)
	}
}

// ValidateFile is Validate for an MPD on disk; the findings name path.
func ValidateFile(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("mpdschema: %v", err)
	}
	if err := Check(b); err != nil {
		var tool *toolError
		if errors.As(err, &tool) {
			t.Fatalf("mpdschema: %v", err)
		}
		t.Errorf("mpdschema: %s: %v", path, err)
	}
}

// toolError is a failure to run the validation at all (no xmllint, no
// schema), as opposed to an MPD that does not validate.
type toolError struct{ msg string }

func (e *toolError) Error() string { return e.msg }

// Check validates mpd and returns xmllint's findings as an error, nil when
// it validates.
func Check(mpd []byte) error {
	schema, catalog, err := Locate()
	if err != nil {
		return err
	}
	cmd := exec.Command("xmllint", "--nonet", "--noout", "--schema", schema, "-")
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+catalog)
	cmd.Stdin = bytes.NewReader(mpd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	var exit *exec.ExitError
	switch {
	case runErr == nil:
		return nil
	case !errors.As(runErr, &exit):
		return &toolError{fmt.Sprintf("running xmllint: %v", runErr)}
	case exit.ExitCode() == 5: // the schema did not compile
		return &toolError{fmt.Sprintf("schema %s does not compile:\n%s", schema, out.String())}
	}
	// 1: not well-formed, 3: does not validate.
	return fmt.Errorf("does not validate against %s:\n%s", SchemaFile, strings.TrimSpace(out.String()))
}

// Locate returns the path of DASH-MPD.xsd and of the catalog that maps its
// xlink import to the local copy, or an error saying what is missing.
func Locate() (schema, catalog string, err error) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		return "", "", &toolError{"xmllint is not installed (run make test-deps: Debian package libxml2-utils)"}
	}
	root, err := repoRoot()
	if err != nil {
		return "", "", &toolError{err.Error()}
	}
	own := filepath.Join(root, "testdata", "dash-schema")
	catalog = filepath.Join(own, "catalog.xml")
	if _, err := os.Stat(catalog); err != nil {
		return "", "", &toolError{fmt.Sprintf("no XML catalog for the xlink import: %v", err)}
	}
	dirs := []string{own}
	if d := os.Getenv("REAPD_DASH_SCHEMA_DIR"); d != "" {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		p := filepath.Join(d, SchemaFile)
		if _, err := os.Stat(p); err == nil {
			return p, catalog, nil
		}
	}
	return "", "", &toolError{fmt.Sprintf("%s not found in %s: put the official schema from the public repository "+
		"MPEGGroup/DASHSchema there (see testdata/dash-schema/README.md)", SchemaFile, strings.Join(dirs, ", "))}
}

// repoRoot is the directory two levels above this source file.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the repository")
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(file))), nil
}
