package trackfiletest

import "encoding/binary"

// BoxOffset returns the offset of the first top-level box of type typ in b;
// it panics when there is none (a test's fixture is wrong).
func BoxOffset(b []byte, typ string) int {
	for i := 0; i+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[i:]))
		if string(b[i+4:i+8]) == typ {
			return i
		}
		if size < 8 {
			break
		}
		i += size
	}
	panic("no box " + typ)
}
