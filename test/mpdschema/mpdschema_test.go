package mpdschema

import (
	"strings"
	"testing"
)

// A minimal valid MPD passes; the same MPD with an attribute the schema
// does not allow, or without a required one, fails with xmllint's finding.
func TestCheck(t *testing.T) {
	valid := `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xlink="http://www.w3.org/1999/xlink" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011" type="static" minBufferTime="PT2S" mediaPresentationDuration="PT10S">
  <Period id="p0" start="PT0S" xlink:actuate="onLoad">
    <AdaptationSet contentType="video" mimeType="video/mp4">
      <Representation id="v" bandwidth="100000" codecs="avc1.64001e" width="640" height="360">
        <BaseURL>v.cmfv</BaseURL>
        <SegmentBase indexRange="800-899"><Initialization range="0-799"/></SegmentBase>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`
	if err := Check([]byte(valid)); err != nil {
		t.Fatalf("a valid MPD: %v", err)
	}
	for _, c := range []struct{ name, from, to, finding string }{
		{"unknown attribute", `type="static"`, `type="static" bogus="1"`, "'bogus': The attribute 'bogus' is not allowed"},
		{"missing bandwidth", ` bandwidth="100000"`, ``, "The attribute 'bandwidth' is required"},
		{"bad xlink value", `xlink:actuate="onLoad"`, `xlink:actuate="later"`, "actuate"},
		{"not XML", `</MPD>`, ``, "Premature end of data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check([]byte(strings.Replace(valid, c.from, c.to, 1)))
			if err == nil || !strings.Contains(err.Error(), c.finding) {
				t.Fatalf("got %v, want a finding with %q", err, c.finding)
			}
			if _, tool := err.(*toolError); tool {
				t.Fatalf("an invalid MPD is a finding, not a tool error: %v", err)
			}
		})
	}
}
