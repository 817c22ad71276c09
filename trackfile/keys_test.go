package trackfile

import (
	"errors"
	"testing"
)

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"ch1", "video_1080p", "a.b-c", "_x"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".x", "-x", "a/b", "a..b", "index", "live", "ingest", "recordings",
		"archive.mpd", "state", "é", string(make([]byte, 129))} {
		if err := CheckName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("CheckName(%q) = %v, want ErrBadName", bad, err)
		}
	}
}

func TestKeys(t *testing.T) {
	for got, want := range map[string]string{
		IngestMPDKey("ch", 1700000000123):              "ch/ingest/1700000000123.mpd",
		HeaderKey("ch", "v", "0123456789ab", "cmfv"):   "ch/v/init-0123456789ab.cmfv",
		StagedPrefix("ch", "v"):                        "ch/v/live/",
		StagedKey("ch", "v", 42, "cmfv", VariantReal):  "ch/v/live/42.cmfv",
		StagedKey("ch", "v", 42, "cmfv", VariantSlate): "ch/v/live/42.slat.cmfv",
		TrackFileKey("ch", "v", 7, -1, "cmfa"):         "ch/v/7.cmfa",
		TrackFileKey("ch", "v", 7, 12605, "cmfa"):      "ch/v/7-12605.cmfa",
		IndexPrefix("ch"):                              "ch/index/",
		IndexKey("ch", 7, ""):                          "ch/index/7.json",
		IndexKey("ch", 7, "12605"):                     "ch/index/7-12605.json",
		ArchiveMPDKey("ch"):                            "ch/archive.mpd",
		StagedKey("ch", "v", 42, "cmfv", VariantMiss):  "ch/v/live/42.miss.cmfv",
		HeaderUseKey("ch", "v", 42, "0123456789ab"):    "ch/v/live/42.0123456789ab.hdr",
		StateKey("ch", "sts"):                          "ch/state/sts.json",
		RecordingKey("ch", "show"):                     "ch/recordings/show.mpd",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
	for base, want := range map[string]struct {
		n       int64
		variant string
		ext     string
	}{"42.cmfv": {42, VariantReal, "cmfv"}, "42.slat.cmfa": {42, VariantSlate, "cmfa"}, "7.miss.cmft": {7, VariantMiss, "cmft"}} {
		n, variant, ext, err := ParseStagedKey(base)
		if err != nil || n != want.n || variant != want.variant || ext != want.ext {
			t.Errorf("ParseStagedKey(%q) = %d %q %q %v", base, n, variant, ext, err)
		}
	}
	if n, hash, ok := ParseHeaderUseKey("42.0123456789ab.hdr"); !ok || n != 42 || hash != "0123456789ab" {
		t.Errorf("ParseHeaderUseKey = %d %q %v", n, hash, ok)
	}
	if _, _, ok := ParseHeaderUseKey("42.cmfv"); ok {
		t.Error("ParseHeaderUseKey accepts a segment key")
	}
	for _, bad := range []string{"42", "x.cmfv", "42.x.cmfv", "42.slat.x.cmfv"} {
		if _, _, _, err := ParseStagedKey(bad); err == nil {
			t.Errorf("ParseStagedKey(%q): no error", bad)
		}
	}
	for h, want := range map[string]string{"vide": "cmfv", "soun": "cmfa", "subt": "cmft", "text": "cmft", "meta": "cmfm", "": "cmfm"} {
		if got := ExtForHandler(h); got != want {
			t.Errorf("ExtForHandler(%q) = %q", h, got)
		}
	}
}
