package smpd

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// protectedElement is an AdaptationSet or Representation with
// ContentProtection elements, and the license server URLs found in them.
type protectedElement struct {
	subject     string
	protected   bool
	licenseURLs []string
}

// scanProtection walks the raw I-MPD for ContentProtection elements and
// the license URL elements inside them, whatever their namespace: Laurl
// (DASH-IF, ClearKey) or la_url (PlayReady). Elements are named as in the
// findings of Check. A syntax error ends the scan with what was found.
func scanProtection(raw []byte) []*protectedElement {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var (
		out     []*protectedElement
		owners  []*protectedElement // innermost AdaptationSet or Representation last
		nAS     int                 // AdaptationSets seen in the current Period
		nRep    int                 // Representations seen in the current AdaptationSet
		cpDepth int                 // > 0 inside a ContentProtection
		cur     *protectedElement   // owner of the current ContentProtection
		inURL   bool
		url     strings.Builder
	)
	top := &protectedElement{subject: "MPD"}
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			switch {
			case cpDepth > 0:
				cpDepth++
				if isLicenseURLElement(name) {
					inURL = true
					url.Reset()
				}
			case name == "Period":
				nAS = 0
			case name == "AdaptationSet":
				owners = append(owners, &protectedElement{subject: elementSubject("AdaptationSet", t, nAS)})
				nAS, nRep = nAS+1, 0
			case name == "Representation":
				owners = append(owners, &protectedElement{subject: elementSubject("Representation", t, nRep)})
				nRep++
			case name == "ContentProtection":
				cpDepth, cur = 1, top
				if len(owners) > 0 {
					cur = owners[len(owners)-1]
				}
				if !cur.protected {
					cur.protected = true
					out = append(out, cur)
				}
			}
		case xml.CharData:
			if inURL {
				url.Write(t)
			}
		case xml.EndElement:
			if cpDepth > 0 {
				if inURL && isLicenseURLElement(t.Name.Local) {
					cur.licenseURLs = append(cur.licenseURLs, strings.TrimSpace(url.String()))
					inURL = false
				}
				cpDepth--
				continue
			}
			if (t.Name.Local == "AdaptationSet" || t.Name.Local == "Representation") && len(owners) > 0 {
				owners = owners[:len(owners)-1]
			}
		}
	}
}

func isLicenseURLElement(local string) bool {
	l := strings.ToLower(local)
	return l == "laurl" || l == "la_url"
}

// elementSubject names an element by its id attribute, else its index.
func elementSubject(kind string, e xml.StartElement, index int) string {
	for _, a := range e.Attr {
		if a.Name.Local == "id" && a.Name.Space == "" {
			return kind + " " + a.Value
		}
	}
	return kind + " #" + strconv.Itoa(index)
}
