package smpd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
)

// xnode is an XML element as encoding/xml's RawToken reads it: names keep
// their prefixes ("cenc:pssh") and namespace declarations are ordinary
// attributes, so an element copied from one document into another means
// the same wherever its prefixes are declared. It is what the recording
// S-MPD copies the raw I-MPD with: every element and attribute, including
// those dash-mpd does not model.
type xnode struct {
	name  string     // qualified: "prefix:local" or "local"
	attrs []xml.Attr // Name.Space is the prefix ("xmlns" for declarations)
	text  string     // character data, trimmed
	kids  []*xnode
}

// parseRawTree reads an XML document into a tree of xnodes. Comments,
// processing instructions and whitespace between elements are dropped.
func parseRawTree(raw []byte) (*xnode, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: qname(t.Name), attrs: slices.Clone(t.Attr)}
			switch {
			case len(stack) > 0:
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			case root == nil:
				root = n
			default:
				return nil, errors.New("smpd: more than one root element")
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != qname(t.Name) {
				return nil, errors.New("smpd: unbalanced element " + qname(t.Name))
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				if s := strings.TrimSpace(string(t)); s != "" {
					stack[len(stack)-1].text += s
				}
			}
		}
	}
	if root == nil || len(stack) > 0 {
		return nil, errors.New("smpd: no complete root element")
	}
	return root, nil
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// attr returns the value of the attribute with qualified name q.
func (n *xnode) attr(q string) (string, bool) {
	for _, a := range n.attrs {
		if qname(a.Name) == q {
			return a.Value, true
		}
	}
	return "", false
}

// setAttr sets attribute a, replacing one of the same qualified name.
func (n *xnode) setAttr(a xml.Attr) {
	for i := range n.attrs {
		if qname(n.attrs[i].Name) == qname(a.Name) {
			n.attrs[i].Value = a.Value
			return
		}
	}
	n.attrs = append(n.attrs, a)
}

// kidsNamed returns the children named q, in order.
func (n *xnode) kidsNamed(q string) []*xnode {
	var out []*xnode
	for _, k := range n.kids {
		if k.name == q {
			out = append(out, k)
		}
	}
	return out
}

// writeXML writes the document with an XML declaration, indented by two
// spaces, attributes in their order, empty elements self-closed.
func (n *xnode) writeXML() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	n.write(&b, 0)
	return b.Bytes()
}

func (n *xnode) write(b *bytes.Buffer, depth int) {
	indent := strings.Repeat("  ", depth)
	b.WriteString(indent)
	b.WriteByte('<')
	b.WriteString(n.name)
	for _, a := range n.attrs {
		b.WriteByte(' ')
		b.WriteString(qname(a.Name))
		b.WriteString(`="`)
		_ = xml.EscapeText(b, []byte(a.Value)) // a bytes.Buffer does not fail
		b.WriteByte('"')
	}
	switch {
	case n.text == "" && len(n.kids) == 0:
		b.WriteString("/>\n")
		return
	case len(n.kids) == 0:
		b.WriteByte('>')
		_ = xml.EscapeText(b, []byte(n.text))
	default:
		b.WriteString(">")
		_ = xml.EscapeText(b, []byte(n.text))
		b.WriteByte('\n')
		for _, k := range n.kids {
			k.write(b, depth+1)
		}
		b.WriteString(indent)
	}
	b.WriteString("</")
	b.WriteString(n.name)
	b.WriteString(">\n")
}
