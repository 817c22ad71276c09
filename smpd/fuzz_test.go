package smpd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

func ingestFixtures(f *testing.F) map[string][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "ingest", "*.mpd"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no I-MPD fixtures: %v", err)
	}
	out := make(map[string][]byte)
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out[filepath.Base(name)] = raw
	}
	return out
}

// FuzzParseIngestMPD feeds I-MPDs through everything that reads one: the
// parser, the checks, the matcher and the archive S-MPD built on it.
func FuzzParseIngestMPD(f *testing.F) {
	for _, raw := range ingestFixtures(f) {
		f.Add(raw)
	}
	run := grid192.build(runSpec{track: "x", info: videoInfo, header: "aaaaaaaaaaaa", firstN: grid192.first(), count: 3})
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseIngestMPD(raw)
		if err != nil {
			if !errors.Is(err, ErrNotMPD) {
				t.Fatalf("error %v is not ErrNotMPD", err)
			}
			return
		}
		for _, fd := range m.Check() {
			if fd.Clause == "" || fd.Subject == "" || fd.Message == "" || (fd.Level != levelError && fd.Level != levelWarning) {
				t.Fatalf("bad finding %+v", fd)
			}
		}
		if fs := NamingChanged(m, m); len(fs) != 0 {
			t.Fatalf("an I-MPD changes its naming against itself: %+v", fs)
		}
		for _, tr := range m.Tracks {
			for _, tmpl := range []string{tr.Init, tr.Media} {
				if pm, ok := m.Match(tmpl); ok {
					checkRendered(t, m, tmpl, pm)
				}
			}
		}
		// Describe a run of the first track with this I-MPD.
		if len(m.Tracks) == 0 || trackfile.CheckName(m.Tracks[0].ID) != nil {
			return
		}
		r := run
		r.Track = m.Tracks[0].ID
		r.Key = trackfile.TrackFileKey(testChannel, r.Track, 1, -1, "cmfv")
		before, err := m.MPD.WriteToString("", false)
		if err != nil {
			return // dash-mpd reads what it cannot write: nothing of ours
		}
		out, err := ArchiveMPD(ArchiveInput{Channel: testChannel, Ingest: m, Runs: []trackfile.Run{r}})
		if err != nil {
			t.Fatalf("ArchiveMPD: %v", err)
		}
		if _, err := mpd.MPDFromBytes(out); err != nil {
			t.Fatalf("S-MPD does not parse: %v\n%s", err, out)
		}
		if after, _ := m.MPD.WriteToString("", false); after != before || !bytes.Equal(m.Raw, raw) {
			t.Fatal("ArchiveMPD changed the I-MPD")
		}
		// And a recording of the run's middle, made from the raw XML.
		from := time.UnixMilli(int64(r.EPT / uint64(r.Info.Timescale) * 1000)).Add(time.Second)
		rec, err := RecordingMPD(RecordingInput{Channel: testChannel, Ingest: m, Start: from, End: from.Add(3 * time.Second), Runs: []trackfile.Run{r}})
		if err != nil {
			t.Fatalf("RecordingMPD: %v", err)
		}
		if _, err := parseRawTree(rec); err != nil {
			t.Fatalf("recording S-MPD is not XML: %v\n%s", err, rec)
		}
		if !bytes.Equal(m.Raw, raw) {
			t.Fatal("RecordingMPD changed the I-MPD")
		}
	})
}

// FuzzMatch matches paths against the fixtures' templates and one fuzzed
// template: whatever matches must render back to the path exactly.
func FuzzMatch(f *testing.F) {
	fixtures := ingestFixtures(f)
	var tracks []IngestTrack
	for _, name := range []string{"ffmpeg-number-live.mpd", "reap-time.mpd", "reap-number.mpd", "match-quoting.mpd"} {
		m, err := ParseIngestMPD(fixtures[name])
		if err != nil {
			f.Fatal(err)
		}
		tracks = append(tracks, m.Tracks...)
	}
	for _, tc := range matchCases {
		f.Add("fuzz-$Number%04d$.m4s", tc.path)
	}
	f.Add("$Time$$Number$", "12")
	f.Add("a$$$Time%02d$", "a$07")
	f.Fuzz(func(t *testing.T, tmpl, path string) {
		m := &IngestMPD{Tracks: append(tracks[:len(tracks):len(tracks)], IngestTrack{ID: "fuzz", Media: tmpl})}
		m.matchers = compileMatchers(m.Tracks)
		if pm, ok := m.Match(path); ok {
			checkRendered(t, m, path, pm)
		}
	})
}

// checkRendered checks that the template Match chose, filled with the
// values it found, gives the path back.
func checkRendered(t *testing.T, m *IngestMPD, path string, pm PathMatch) {
	t.Helper()
	var tmpl string
	for _, tr := range m.Tracks {
		if tr.ID == pm.Track {
			tmpl = tr.Media
			if pm.Init {
				tmpl = tr.Init
			}
			break
		}
	}
	toks, err := parseTemplate(trimDotSlash(tmpl))
	if err != nil {
		t.Fatalf("matched an unusable template %q: %v", tmpl, err)
	}
	var b strings.Builder
	for _, tok := range toks {
		switch tok.ident {
		case "":
			b.WriteString(tok.lit)
		case identNumber:
			b.WriteString(tok.formatValue(pm.Number))
		case identTime:
			b.WriteString(tok.formatValue(pm.Time))
		default:
			t.Fatalf("matched template %q with $%s$", tmpl, tok.ident)
		}
	}
	if b.String() != trimDotSlash(path) {
		t.Fatalf("%q matched %q as %+v, which renders %q", path, tmpl, pm, b.String())
	}
}

func BenchmarkArchiveMPD(b *testing.B) {
	const hours = 24
	in := ArchiveInput{Channel: testChannel, Ingest: loadIngest(b, "reap-time.mpd")}
	for _, tr := range []struct {
		id   string
		info trackfile.TrackInfo
	}{{"video-1280", videoInfo}, {"audio-en", audioInfo}, {"text-en", textInfo}} {
		in.Runs = append(in.Runs, grid192.hours(tr.id, tr.info, "aaaaaaaaaaaa", hours)...)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ArchiveMPD(in); err != nil {
			b.Fatal(err)
		}
	}
}
