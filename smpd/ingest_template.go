package smpd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Template identifiers of ISO/IEC 23009-1 clause 5.3.9.4.4 (Table 16).
const (
	identRepresentationID = "RepresentationID"
	identNumber           = "Number"
	identTime             = "Time"
	identBandwidth        = "Bandwidth"
	identSubNumber        = "SubNumber"
)

// maxFormatWidth bounds the width of a "%0[width]d" format tag: a hostile
// I-MPD must not make Match or substitution allocate without bound.
const maxFormatWidth = 32

var errTemplate = errors.New("bad SegmentTemplate URL template")

// tmplToken is a piece of a SegmentTemplate URL template: literal text, or
// an identifier with an optional "%0[width]d" format tag.
type tmplToken struct {
	lit   string // literal text, when ident == ""
	ident string // RepresentationID, Number, Time, Bandwidth, SubNumber
	width int    // format tag width; 0 without a format tag or for "%d"
}

// parseTemplate splits a URL template into literal text and identifiers.
// "$$" is a literal '$'. A '$' that opens no known identifier, an
// unterminated identifier or a format tag other than "%0[width]d" (and
// "%d") is an error, as is a format tag on $RepresentationID$.
func parseTemplate(s string) ([]tmplToken, error) {
	var toks []tmplToken
	var lit strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			lit.WriteString(s)
			break
		}
		lit.WriteString(s[:i])
		s = s[i+1:]
		j := strings.IndexByte(s, '$')
		if j < 0 {
			return nil, fmt.Errorf("%w: unterminated '$'", errTemplate)
		}
		body := s[:j]
		s = s[j+1:]
		if body == "" { // "$$"
			lit.WriteByte('$')
			continue
		}
		tok, err := parseIdent(body)
		if err != nil {
			return nil, err
		}
		if lit.Len() > 0 {
			toks = append(toks, tmplToken{lit: lit.String()})
			lit.Reset()
		}
		toks = append(toks, tok)
	}
	if lit.Len() > 0 {
		toks = append(toks, tmplToken{lit: lit.String()})
	}
	return toks, nil
}

func parseIdent(body string) (tmplToken, error) {
	name, format, hasFormat := strings.Cut(body, "%")
	switch name {
	case identRepresentationID:
		if hasFormat {
			return tmplToken{}, fmt.Errorf("%w: $RepresentationID$ takes no format tag", errTemplate)
		}
	case identNumber, identTime, identBandwidth, identSubNumber:
	default:
		return tmplToken{}, fmt.Errorf("%w: unknown identifier $%s$", errTemplate, body)
	}
	tok := tmplToken{ident: name}
	if !hasFormat {
		return tok, nil
	}
	// ISO/IEC 23009-1 5.3.9.4.4: the format tag is %0[width]d.
	digits, ok := strings.CutSuffix(format, "d")
	if !ok || (digits != "" && digits[0] != '0') {
		return tmplToken{}, fmt.Errorf("%w: format tag %%%s of $%s$ is not %%0[width]d", errTemplate, format, name)
	}
	if digits != "" {
		w, err := strconv.Atoi(digits)
		if err != nil || w > maxFormatWidth {
			return tmplToken{}, fmt.Errorf("%w: format tag %%%s of $%s$", errTemplate, format, name)
		}
		tok.width = w
	}
	return tok, nil
}

// String renders the token back in template syntax ("$Number%05d$").
func (t tmplToken) String() string {
	if t.ident == "" {
		return strings.ReplaceAll(t.lit, "$", "$$")
	}
	if t.width > 0 {
		return fmt.Sprintf("$%s%%0%dd$", t.ident, t.width)
	}
	return "$" + t.ident + "$"
}

// formatValue renders v as the identifier's format tag prescribes.
func (t tmplToken) formatValue(v uint64) string {
	s := strconv.FormatUint(v, 10)
	if len(s) < t.width {
		s = strings.Repeat("0", t.width-len(s)) + s
	}
	return s
}

// countIdent counts the occurrences of identifier name in toks.
func countIdent(toks []tmplToken, name string) int {
	n := 0
	for _, t := range toks {
		if t.ident == name {
			n++
		}
	}
	return n
}

// substituteTemplate replaces $RepresentationID$ and $Bandwidth$ in a URL
// template and returns the rest in template syntax, so that $Number…$ and
// $Time…$ stay for matching ('$' of the id is escaped as "$$").
func substituteTemplate(tmpl, id string, bandwidth uint32) (string, error) {
	toks, err := parseTemplate(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, t := range toks {
		switch t.ident {
		case identRepresentationID:
			b.WriteString(strings.ReplaceAll(id, "$", "$$"))
		case identBandwidth:
			b.WriteString(t.formatValue(uint64(bandwidth)))
		default:
			b.WriteString(t.String())
		}
	}
	return b.String(), nil
}
