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
		IngestMPDKey("ch", 1700000000123):                                                 "ch/ingest/1700000000123.mpd",
		HeaderKey("ch", "v", "0123456789ab", "cmfv"):                                      "ch/v/init-0123456789ab.cmfv",
		StagedPrefix("ch", "v"):                                                           "ch/v/live/",
		StagedKey("ch", "v", StagedName{T: 42, D: 2, Ext: "cmfv"}):                        "ch/v/live/42-2.cmfv",
		StagedKey("ch", "v", StagedName{T: 42, D: 2, Ext: "cmfv", Variant: VariantSlate}): "ch/v/live/42-2.slat.cmfv",
		TrackFileKey("ch", "v", 7, -1, "cmfa"):                                            "ch/v/7.cmfa",
		TrackFileKey("ch", "v", 7, 12605, "cmfa"):                                         "ch/v/7-12605.cmfa",
		IndexPrefix("ch"):                                                                 "ch/index/",
		IndexKey("ch", 7, ""):                                                             "ch/index/7.json",
		IndexKey("ch", 7, "12605"):                                                        "ch/index/7-12605.json",
		ArchiveMPDKey("ch"):                                                               "ch/archive.mpd",
		StagedKey("ch", "v", StagedName{T: 42, D: 2, Ext: "cmfv", Variant: VariantMiss}):  "ch/v/live/42-2.miss.cmfv",
		HeaderUseKey("ch", "v", 42, "0123456789ab"):                                       "ch/v/live/42.0123456789ab.hdr",
		StateKey("ch", "sts"):                                                             "ch/state/sts.json",
		RecordingKey("ch", "show"):                                                        "ch/recordings/show.mpd",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
	for base, want := range map[string]StagedName{
		"42-2.cmfv":                   {T: 42, D: 2, Ext: "cmfv"},
		"42-2.slat.cmfa":              {T: 42, D: 2, Variant: VariantSlate, Ext: "cmfa"},
		"7-180000.miss.cmft":          {T: 7, D: 180000, Variant: VariantMiss, Ext: "cmft"},
		"18446744073709551615-0.cmfm": {T: 1<<64 - 1, Ext: "cmfm"},
	} {
		got, err := ParseStagedKey(base)
		if err != nil || got != want {
			t.Errorf("ParseStagedKey(%q) = %+v %v", base, got, err)
		}
		if got.String() != base {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), base)
		}
	}
	if tm, hash, ok := ParseHeaderUseKey("42.0123456789ab.hdr"); !ok || tm != 42 || hash != "0123456789ab" {
		t.Errorf("ParseHeaderUseKey = %d %q %v", tm, hash, ok)
	}
	if _, _, ok := ParseHeaderUseKey("42-2.cmfv"); ok {
		t.Error("ParseHeaderUseKey accepts a segment key")
	}
	for _, bad := range []string{"42", "42.cmfv", "x-1.cmfv", "42-2.x.cmfv", "42-2.slat.x.cmfv", "042-2.cmfv", "42-+2.cmfv",
		"-1-2.cmfv", "42-2.hdr", "42-2.", "18446744073709551616-0.cmfv"} {
		if _, err := ParseStagedKey(bad); err == nil {
			t.Errorf("ParseStagedKey(%q): no error", bad)
		}
	}
	for h, want := range map[string]string{"vide": "cmfv", "soun": "cmfa", "subt": "cmft", "text": "cmft", "meta": "cmfm", "": "cmfm"} {
		if got := ExtForHandler(h); got != want {
			t.Errorf("ExtForHandler(%q) = %q", h, got)
		}
	}
}
