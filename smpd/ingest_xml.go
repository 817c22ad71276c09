package smpd

import (
	"bytes"
	"encoding/xml"
	"io"
)

// guardXML checks that raw is well-formed XML (encoding/xml, strict) and
// returns it with every '>' in character data written as "&gt;"; raw
// itself when there is none.
//
// The XML decoder of github.com/Eyevinn/dash-mpd v0.17.0 loops forever on
// a '>' in character data, which is legal XML ("<Title>a > b</Title>"):
// its text reader stops before the '>' and the next token starts there
// again. An I-MPD comes from the network, so it never reaches that decoder
// unguarded. Escaping changes no value: "&gt;" decodes to '>'.
func guardXML(raw []byte) ([]byte, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var out []byte // nil while nothing needs escaping
	last := 0
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if _, ok := tok.(xml.CharData); !ok {
			continue
		}
		end := dec.InputOffset()
		text := raw[start:end]
		// CDATA sections ("<![CDATA[…]]>") are read by another path.
		if len(text) == 0 || text[0] == '<' || bytes.IndexByte(text, '>') < 0 {
			continue
		}
		out = append(out, raw[last:start]...)
		out = append(out, bytes.ReplaceAll(text, []byte(">"), []byte("&gt;"))...)
		last = int(end)
	}
	if out == nil {
		return raw, nil
	}
	return append(out, raw[last:]...), nil
}
