package catchup

import (
	"strings"

	"github.com/reapd/reapd/smpd"
	"github.com/reapd/reapd/trackfile"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// namedTrack is a track name and the TrackInfo of its CMAF header.
type namedTrack struct {
	name string
	info *trackfile.TrackInfo
}

// rendition is what EXT-X-MEDIA says of an audio track besides its URI.
type rendition struct {
	Language string // LANGUAGE: a BCP 47 tag, "" when unknown
	Name     string // NAME: unique within the group
}

// audioRenditions names the audio tracks of a multivariant playlist
// (RFC 8216bis 4.4.6.1): LANGUAGE from the I-MPD's AdaptationSet@lang for
// the track (the Representation@id that is its name), else from the CMAF
// header (elng, else mdhd), as a BCP 47 tag ("eng" becomes "en"); NAME the
// I-MPD's Label, else the language's English name with the track's role
// when it is not "main" ("English (commentary)"), else the track name. A
// NAME that two tracks would share gets the track name appended.
func audioRenditions(ingest *smpd.IngestMPD, audios []namedTrack) []rendition {
	byID := map[string]*smpd.IngestTrack{}
	if ingest != nil {
		for i := range ingest.Tracks {
			byID[ingest.Tracks[i].ID] = &ingest.Tracks[i]
		}
	}
	out := make([]rendition, len(audios))
	uses := map[string]int{}
	for i, tl := range audios {
		info := tl.info
		lang, label, roles := info.Language, "", info.Roles
		if it := byID[tl.name]; it != nil {
			if it.Lang != "" {
				lang = it.Lang
			}
			label = it.Label
			if len(it.Roles) > 0 {
				roles = it.Roles
			}
		}
		tag, ok := bcp47(lang)
		r := rendition{Name: label}
		if ok {
			r.Language = tag.String()
		}
		if r.Name == "" && ok {
			r.Name = display.English.Languages().Name(tag)
			if role := notMain(roles); role != "" && r.Name != "" {
				r.Name += " (" + role + ")"
			}
		}
		if r.Name == "" {
			r.Name = tl.name
		}
		out[i] = r
		uses[r.Name]++
	}
	for i := range out {
		if uses[out[i].Name] > 1 && out[i].Name != audios[i].name {
			out[i].Name += " (" + audios[i].name + ")"
		}
	}
	return out
}

// bcp47 parses a language as HLS wants it (RFC 5646); false for none,
// "und" and what is not a language tag.
func bcp47(lang string) (language.Tag, bool) {
	if lang == "" {
		return language.Und, false
	}
	tag, err := language.Parse(lang)
	if err != nil || tag == language.Und {
		return language.Und, false
	}
	return tag, true
}

// notMain returns the value of the first DASH role that is not "main".
func notMain(roles []string) string {
	for _, r := range roles {
		scheme, value, ok := strings.Cut(r, " ")
		if !ok {
			value = scheme
		}
		if value != "" && value != "main" {
			return value
		}
	}
	return ""
}
