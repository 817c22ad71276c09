package catchup

import (
	"testing"

	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
)

func TestAudioRenditions(t *testing.T) {
	info := func(lang string, roles ...string) *trackfile.TrackInfo {
		return &trackfile.TrackInfo{Handler: "soun", Language: lang, Roles: roles}
	}
	ingest := &smpd.IngestMPD{Tracks: []smpd.IngestTrack{
		{ID: "A48", Lang: "en"},                      // livesim2: mdhd says und, the I-MPD en
		{ID: "ad", Lang: "sv", Label: "Syntolkning"}, // a Label wins
		{ID: "com", Roles: []string{"urn:mpeg:dash:role:2011 commentary"}},
	}}
	for _, c := range []struct {
		name   string
		ingest *smpd.IngestMPD
		tracks []namedTrack
		want   []rendition
	}{
		{"header language, no I-MPD", nil,
			[]namedTrack{{"audio", info("en")}, {"a2", info("eng")}, {"x", info("und")}, {"y", info("")}},
			[]rendition{{"en", "English (audio)"}, {"en", "English (a2)"}, {"", "x"}, {"", "y"}}},
		{"I-MPD language and label", ingest,
			[]namedTrack{{"A48", info("")}, {"ad", info("swe")}, {"com", info("de", "urn:mpeg:dash:role:2011 main")}},
			[]rendition{{"en", "English"}, {"sv", "Syntolkning"}, {"de", "German (commentary)"}}},
		{"not a language tag", nil, []namedTrack{{"a", info("english!")}}, []rendition{{"", "a"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := audioRenditions(c.ingest, c.tracks)
			for i := range c.want {
				if got[i] != c.want[i] {
					t.Errorf("%s: got %+v, want %+v", c.tracks[i].name, got[i], c.want[i])
				}
			}
		})
	}
}
