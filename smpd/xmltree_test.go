package smpd

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// xmlNode is an XML element reduced to what MPD equality means: name,
// attributes in any order, children in order, trimmed text.
type xmlNode struct {
	name     string
	attrs    []string // "space local=value", sorted
	text     string
	children []*xmlNode
}

func parseXMLTree(b []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Space + " " + t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue // namespace declarations: the names carry the namespaces
				}
				n.attrs = append(n.attrs, a.Name.Space+" "+a.Name.Local+"="+a.Value)
			}
			slices.Sort(n.attrs)
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += strings.TrimSpace(string(t))
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// diffXMLTrees returns the first difference between two trees, "" if none.
func diffXMLTrees(a, b *xmlNode, path string) string {
	path += "/" + a.name[strings.LastIndexByte(a.name, ' ')+1:]
	switch {
	case a.name != b.name:
		return fmt.Sprintf("%s: element %q != %q", path, a.name, b.name)
	case !slices.Equal(a.attrs, b.attrs):
		return fmt.Sprintf("%s: attributes\n  %q\n  %q", path, a.attrs, b.attrs)
	case a.text != b.text:
		return fmt.Sprintf("%s: text %q != %q", path, a.text, b.text)
	case len(a.children) != len(b.children):
		return fmt.Sprintf("%s: %d children != %d", path, len(a.children), len(b.children))
	}
	for i := range a.children {
		if d := diffXMLTrees(a.children[i], b.children[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkGolden compares got with the golden file as XML trees, or rewrites
// the file with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	wt, err := parseXMLTree(want)
	if err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	gt, err := parseXMLTree(got)
	if err != nil {
		t.Fatalf("output: %v\n%s", err, got)
	}
	if d := diffXMLTrees(wt, gt, ""); d != "" {
		t.Errorf("%s differs (go test -update rewrites it): %s", path, d)
	}
}

func TestXMLTreeDiff(t *testing.T) {
	a, _ := parseXMLTree([]byte(`<a x="1" y="2"><b>t</b></a>`))
	b, _ := parseXMLTree([]byte(`<a y="2"  x="1">
	  <b> t </b></a>`))
	c, _ := parseXMLTree([]byte(`<a y="2" x="1"><b>u</b></a>`))
	if d := diffXMLTrees(a, b, ""); d != "" {
		t.Errorf("equal trees differ: %s", d)
	}
	if d := diffXMLTrees(a, c, ""); d == "" {
		t.Error("different texts compare equal")
	}
}
