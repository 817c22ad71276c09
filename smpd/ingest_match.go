package smpd

import (
	"regexp"
	"strconv"
	"strings"
)

// PathMatch is what a request path names, according to the I-MPD templates.
type PathMatch struct {
	Track              string
	Init               bool
	Number             uint64 // $Number$ value, when HasNumber
	Time               uint64 // $Time$ value, when HasTime
	HasNumber, HasTime bool
}

// Match resolves a path relative to the channel's ingest root (for example
// "chunk-stream0-00012.m4s") against the tracks' templates.
//
// ISO/IEC 23009-9 clause 5.3 e): "The URL is derived from the URL endpoint
// (Step a) combined with the segment name derived from the SegmentTemplate
// Element."
//
// A path matches a template when the template's literal text matches
// exactly and each $Number…$ or $Time…$ stands for a decimal number
// written exactly as its format tag prescribes ("00012" for %05d, "12"
// without a tag). Leading "/" and "./" are ignored. The path must match
// exactly one template of one track: an ambiguous path matches nothing.
func (m *IngestMPD) Match(rel string) (PathMatch, bool) {
	if m == nil {
		return PathMatch{}, false
	}
	matchers := m.matchers
	if matchers == nil && len(m.Tracks) > 0 {
		// An IngestMPD not made by ParseIngestMPD: compile without caching,
		// so that Match stays safe for concurrent use.
		matchers = compileMatchers(m.Tracks)
	}
	rel = trimDotSlash(rel)
	var found PathMatch
	n := 0
	for _, tm := range matchers {
		for _, c := range [2]struct {
			tm   *tmplMatcher
			init bool
		}{{tm.init, true}, {tm.media, false}} {
			if pm, ok := c.tm.match(rel); ok {
				pm.Track, pm.Init = tm.track, c.init
				found = pm
				n++
			}
		}
	}
	if n != 1 {
		return PathMatch{}, false
	}
	return found, true
}

// trackMatcher holds the compiled templates of one track; nil for a
// template that is absent or unusable.
type trackMatcher struct {
	track string
	init  *tmplMatcher
	media *tmplMatcher
}

func compileMatchers(tracks []IngestTrack) []trackMatcher {
	ms := make([]trackMatcher, 0, len(tracks))
	for _, t := range tracks {
		ms = append(ms, trackMatcher{track: t.ID, init: compileTemplate(t.Init), media: compileTemplate(t.Media)})
	}
	return ms
}

// tmplMatcher matches paths against one template whose only identifiers
// are $Number…$ and $Time…$. Literal text is quoted: nothing in a template
// is ever interpreted as a regular expression.
type tmplMatcher struct {
	re   *regexp.Regexp
	vars []tmplToken // the identifier of each capture group, in order
}

func compileTemplate(tmpl string) *tmplMatcher {
	tmpl = trimDotSlash(tmpl)
	if tmpl == "" {
		return nil
	}
	toks, err := parseTemplate(tmpl)
	if err != nil {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	tm := &tmplMatcher{}
	for _, t := range toks {
		switch t.ident {
		case "":
			b.WriteString(regexp.QuoteMeta(t.lit))
		case identNumber, identTime:
			b.WriteString("([0-9]+)")
			tm.vars = append(tm.vars, t)
		default: // $SubNumber$ or an unsubstituted identifier
			return nil
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	tm.re = re
	return tm
}

func (tm *tmplMatcher) match(rel string) (PathMatch, bool) {
	if tm == nil {
		return PathMatch{}, false
	}
	sub := tm.re.FindStringSubmatch(rel)
	if sub == nil {
		return PathMatch{}, false
	}
	var pm PathMatch
	for i, t := range tm.vars {
		s := sub[i+1]
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil || t.formatValue(v) != s {
			return PathMatch{}, false
		}
		val, has := &pm.Number, &pm.HasNumber
		if t.ident == identTime {
			val, has = &pm.Time, &pm.HasTime
		}
		if *has && *val != v {
			return PathMatch{}, false
		}
		*val, *has = v, true
	}
	return pm, true
}

// trimDotSlash removes leading "/" and "./" from a path or template.
func trimDotSlash(s string) string {
	for {
		switch {
		case strings.HasPrefix(s, "/"):
			s = s[1:]
		case strings.HasPrefix(s, "./"):
			s = s[2:]
		default:
			return s
		}
	}
}
