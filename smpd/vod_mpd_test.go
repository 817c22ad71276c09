package smpd

import (
	"bytes"
	"testing"
)

// TestVoDMPD: for every recording case, the VoD MPD is the recording
// S-MPD with BaseURLs relative to the package root instead of to
// {channel}/recordings/ — nothing else differs — and it validates as the
// recording S-MPD does.
func TestVoDMPD(t *testing.T) {
	for _, c := range recordingCases(t) {
		t.Run(c.name, func(t *testing.T) {
			rec, err := RecordingMPD(c.in)
			if err != nil {
				t.Fatal(err)
			}
			vod, err := VoDMPD(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(rec, []byte("<BaseURL>../")) {
				t.Fatalf("recording S-MPD without ../ BaseURLs: the case does not test the difference")
			}
			if want := bytes.ReplaceAll(rec, []byte("<BaseURL>../"), []byte("<BaseURL>")); !bytes.Equal(vod, want) {
				t.Errorf("VoD MPD differs from the recording S-MPD other than in its BaseURLs:\n%s", vod)
			}
		})
	}
}
