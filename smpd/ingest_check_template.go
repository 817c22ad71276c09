package smpd

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Eyevinn/dash-mpd/mpd"
)

// checkTemplates checks the naming conventions of the SegmentTemplates.
//
// g) "The SegmentTemplate@initialization in the I-MPD shall contain a
// single substring $RepresentationID$ and the SegmentTemplate@media shall
// contain a single substring $RepresentationID$ and a single substring
// $Number$ or $Time$ (not both). If one or more Representation@id ends
// (respectively starts) with a number, the $Number$ (or $Time$) shall not
// immediately follow (respectively precede) $Representation$, a separator
// character (- or _) may be between $Representation$ and $Number$ (or
// $Time$)."
// h) "SegmentTemplate@media shall be identical for each SegmentTemplate
// element"
// i) "SegmentTemplate@initialization shall be identical for each
// SegmentTemplate element"
// j) "Each SegmentTemplate element should contain a SegmentTimeline
// element. 1) A SegmentTimeline element may be empty."
func checkTemplates(c *checker, doc *mpd.MPD) {
	var medias, inits []string
	element := func(subject string, st *mpd.SegmentTemplateType) {
		if st == nil {
			return
		}
		if st.Initialization != "" {
			checkInitTemplate(c, subject, st.Initialization)
			inits = appendDistinct(inits, st.Initialization)
		}
		if st.Media != "" {
			checkMediaTemplate(c, subject, st.Media)
			medias = appendDistinct(medias, st.Media)
		}
		if st.SegmentTimeline == nil {
			c.add("6.1 j", levelWarning, subject, "the SegmentTemplate should contain a SegmentTimeline")
		}
	}
	for i, p := range doc.Periods {
		element(periodSubject(i, p), p.SegmentTemplate)
		for j, a := range p.AdaptationSets {
			element(adaptationSetSubject(j, a), a.SegmentTemplate)
			for k, r := range a.Representations {
				rs := representationSubject(k, r)
				element(rs, r.SegmentTemplate)
				if st := resolveTemplate(p.SegmentTemplate, a.SegmentTemplate, r.SegmentTemplate); st != nil {
					checkRepresentationNaming(c, rs, r.Id, st)
				}
			}
		}
	}
	if len(medias) > 1 {
		c.add("6.1 h", levelError, "MPD", "SegmentTemplate@media shall be identical in each SegmentTemplate, found %q", medias)
	}
	if len(inits) > 1 {
		c.add("6.1 i", levelError, "MPD", "SegmentTemplate@initialization shall be identical in each SegmentTemplate, found %q", inits)
	}
}

func appendDistinct(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func checkInitTemplate(c *checker, subject, tmpl string) {
	toks, err := parseTemplate(tmpl)
	if err != nil {
		c.add("6.1 g", levelError, subject, "SegmentTemplate@initialization %q: %v", tmpl, err)
		return
	}
	if n := countIdent(toks, identRepresentationID); n != 1 {
		c.add("6.1 g", levelError, subject, "SegmentTemplate@initialization %q shall contain a single $RepresentationID$, it has %d", tmpl, n)
	}
}

func checkMediaTemplate(c *checker, subject, tmpl string) {
	toks, err := parseTemplate(tmpl)
	if err != nil {
		c.add("6.1 g", levelError, subject, "SegmentTemplate@media %q: %v", tmpl, err)
		return
	}
	if n := countIdent(toks, identRepresentationID); n != 1 {
		c.add("6.1 g", levelError, subject, "SegmentTemplate@media %q shall contain a single $RepresentationID$, it has %d", tmpl, n)
	}
	nNumber, nTime := countIdent(toks, identNumber), countIdent(toks, identTime)
	if nNumber+nTime != 1 {
		c.add("6.1 g", levelError, subject, "SegmentTemplate@media %q shall contain a single $Number$ or $Time$ (not both), it has %d $Number$ and %d $Time$", tmpl, nNumber, nTime)
	}
}

// checkRepresentationNaming checks the templates that apply to one
// Representation: both present, and the separator rule of g) for its @id.
func checkRepresentationNaming(c *checker, subject, id string, st *mpd.SegmentTemplateType) {
	if st.Initialization == "" {
		c.add("6.1 g", levelError, subject, "no SegmentTemplate@initialization applies to the Representation")
	}
	if st.Media == "" {
		c.add("6.1 g", levelError, subject, "no SegmentTemplate@media applies to the Representation")
		return
	}
	toks, err := parseTemplate(st.Media)
	if err != nil {
		return // reported with the SegmentTemplate element
	}
	first, _ := utf8.DecodeRuneInString(id)
	last, _ := utf8.DecodeLastRuneInString(id)
	for i, t := range toks {
		if t.ident != identRepresentationID {
			continue
		}
		if unicode.IsDigit(last) && i+1 < len(toks) && isNumberOrTime(toks[i+1]) {
			c.add("6.1 g", levelError, subject, "Representation@id %q ends with a number and $%s$ immediately follows $RepresentationID$ in %q: put a separator (- or _) between them", id, toks[i+1].ident, st.Media)
		}
		if unicode.IsDigit(first) && i > 0 && isNumberOrTime(toks[i-1]) {
			c.add("6.1 g", levelError, subject, "Representation@id %q starts with a number and $%s$ immediately precedes $RepresentationID$ in %q: put a separator (- or _) between them", id, toks[i-1].ident, st.Media)
		}
	}
}

func isNumberOrTime(t tmplToken) bool {
	return t.ident == identNumber || t.ident == identTime
}

// checkContentProtection checks the license server URLs of the
// ContentProtection elements. dash-mpd keeps only the DASH-IF Laurl, so the
// raw I-MPD is scanned for any license URL element (dashif:Laurl,
// clearkey:Laurl, mspr:la_url).
//
// l) "In the case an AdaptationSet signals encrypted tracks, and decryption
// is required, the ContentProtection element shall be present with the
// following constraints: 1) The ContentProtection element should contain a
// URL of a license server. 2) The URL of the license server should start
// with https://"
func checkContentProtection(c *checker, raw []byte) {
	for _, o := range scanProtection(raw) {
		if len(o.licenseURLs) == 0 {
			c.add("6.1 l 1", levelWarning, o.subject, "the ContentProtection elements contain no license server URL (needed when packagers must decrypt)")
		}
		for _, u := range o.licenseURLs {
			if !strings.HasPrefix(strings.ToLower(u), "https://") {
				c.add("6.1 l 2", levelWarning, o.subject, "the license server URL %q should start with https://", u)
			}
		}
	}
}
