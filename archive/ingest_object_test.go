package archive

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// rawBox returns a box of type typ with n bytes of payload.
func rawBox(typ string, n int) []byte {
	b := make([]byte, 8+n)
	binary.BigEndian.PutUint32(b, uint32(8+n))
	copy(b[4:], typ)
	for i := 8; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

func boxes(types ...string) []byte {
	var out []byte
	for _, t := range types {
		out = append(out, rawBox(t, 16)...)
	}
	return out
}

// TestOneSegment: the single-object fast path takes a body as one segment
// exactly when ingestMedia's box-by-box loop would stage it as one
// segment, with the same bytes (a trailing mfra dropped); every other body
// goes the loop's way. The spooled path's isSegmentHead, from the bytes
// before the last mdat's payload, agrees.
func TestOneSegment(t *testing.T) {
	for _, c := range []struct {
		name  string
		body  []byte
		ok    bool
		strip int // bytes dropped at the end
	}{
		{"fragment", boxes("moof", "mdat"), true, 0},
		{"styp and fragments", boxes("styp", "moof", "mdat", "moof", "mdat"), true, 0},
		{"prft before styp", boxes("prft", "styp", "moof", "mdat"), true, 0},
		{"emsg and sidx before fragments", boxes("styp", "sidx", "emsg", "moof", "mdat", "prft", "moof", "mdat"), true, 0},
		{"trailing mfra", boxes("styp", "moof", "mdat", "mfra"), true, 24},
		{"two segments", boxes("styp", "moof", "mdat", "styp", "moof", "mdat"), false, 0},
		{"header", boxes("ftyp", "moov"), false, 0},
		{"header and segment", boxes("ftyp", "moov", "styp", "moof", "mdat"), false, 0},
		{"padding between fragments", boxes("moof", "mdat", "free", "moof", "mdat"), false, 0},
		{"leading free", boxes("free", "moof", "mdat"), false, 0},
		{"emsg after the last fragment", boxes("moof", "mdat", "emsg"), false, 0},
		{"mfra not last", boxes("moof", "mdat", "mfra", "moof", "mdat"), false, 0},
		{"moof without mdat", boxes("styp", "moof"), false, 0},
		{"mdat without moof", boxes("styp", "mdat"), false, 0},
		{"no fragment", boxes("styp", "prft"), false, 0},
		{"unknown box", boxes("moof", "mdat", "uuid"), false, 0},
		{"truncated", boxes("moof", "mdat")[:30], false, 0},
		{"empty", nil, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			seg, ok := oneSegment(c.body)
			if ok != c.ok {
				t.Fatalf("oneSegment ok = %v, want %v", ok, c.ok)
			}
			if ok && !bytes.Equal(seg, c.body[:len(c.body)-c.strip]) {
				t.Errorf("segment of %d bytes, want the body's first %d", len(seg), len(c.body)-c.strip)
			}
			if ok && cap(seg) != len(seg) {
				t.Errorf("segment capacity %d beyond its %d bytes: an append could write into the body's buffer", cap(seg), len(seg))
			}
			// A body that ends with its mdat: its head alone tells the same.
			if n, hok := trackfile.SegmentHeadLen(c.body, int64(len(c.body))); hok {
				if got := isSegmentHead(c.body[:n]); got != ok {
					t.Errorf("isSegmentHead of the first %d bytes = %v, oneSegment of all = %v", n, got, ok)
				}
			}
		})
	}
}
