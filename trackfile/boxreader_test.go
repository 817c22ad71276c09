package trackfile

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads every box of in with a BoxReader and checks that the boxes
// concatenate back to the input.
func readAll(in io.Reader, maxBox int64) ([]Box, error) {
	br := NewBoxReader(in, maxBox)
	var boxes []Box
	for {
		b, err := br.Next()
		if err == io.EOF {
			return boxes, nil
		}
		if err != nil {
			return boxes, err
		}
		boxes = append(boxes, b)
	}
}

func TestBoxReaderCases(t *testing.T) {
	for _, c := range inputCases(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", bytes.NewReader(c.in)},
				{"one byte reads", iotest.OneByteReader(bytes.NewReader(c.in))},
				{"half reads", iotest.HalfReader(bytes.NewReader(c.in))},
			} {
				boxes, err := readAll(r.r, caseMaxBox)
				if !errors.Is(err, c.stream) || (c.stream == nil) != (err == nil) {
					t.Fatalf("%s: err = %v, want %v", r.name, err, c.stream)
				}
				if err == nil {
					var all []byte
					for _, b := range boxes {
						if string(b.Raw[4:8]) != b.Type {
							t.Fatalf("box type %q, raw says %q", b.Type, b.Raw[4:8])
						}
						all = append(all, b.Raw...)
					}
					if !bytes.Equal(all, c.in) {
						t.Fatalf("%s: boxes do not concatenate to the input", r.name)
					}
				}
			}
		})
	}
}

func TestBoxReaderStreamsForm(t *testing.T) {
	// The body of a long-running "Streams(video.cmfv)" POST, delivered in
	// small reads as a chunked body would be.
	raw := load(t, streamsFile)
	br := NewBoxReader(iotest.HalfReader(bytes.NewReader(raw)), 4<<20)
	var types []string
	var header, chunk []byte
	var tfdts []uint64
	var h *Header
	for {
		start := br.Offset()
		b, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := br.Offset() - start; got != int64(len(b.Raw)) {
			t.Fatalf("offset advanced %d for a box of %d bytes", got, len(b.Raw))
		}
		types = append(types, b.Type)
		switch b.Type {
		case "ftyp", "moov":
			header = append(header, b.Raw...)
		case "prft", "moof":
			chunk = append(chunk, b.Raw...)
		case "mdat":
			if h == nil {
				if h, err = ParseHeader(header); err != nil {
					t.Fatal(err)
				}
			}
			seg, err := ParseSegment(append(chunk, b.Raw...), h)
			if err != nil {
				t.Fatal(err)
			}
			tfdts = append(tfdts, seg.BaseDecodeTime)
			chunk = nil
		}
	}
	want := "ftyp moov prft moof mdat prft moof mdat mfra"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("boxes %q, want %q", got, want)
	}
	if len(tfdts) != 2 || tfdts[0] != epoch*12800 || tfdts[1] != epoch*12800+25600 {
		t.Errorf("tfdts %v, want %d and +25600", tfdts, uint64(epoch*12800))
	}
	if h.Info.Codecs != "avc1.64000C" || h.Info.Timescale != 12800 {
		t.Errorf("header info %+v", h.Info)
	}
}

func TestBoxReaderStickyError(t *testing.T) {
	br := NewBoxReader(bytes.NewReader([]byte("not an mp4 file at all")), 100)
	_, err1 := br.Next()
	_, err2 := br.Next()
	if !errors.Is(err1, ErrNotISOBMFF) || err1 != err2 {
		t.Fatalf("errors %v, %v: want the same ErrNotISOBMFF twice", err1, err2)
	}
}

func TestBoxReaderLargeSize(t *testing.T) {
	// A 64-bit largesize mdat is read like any other box.
	body := bytes.Repeat([]byte{7}, 100)
	in := largeSize(nil, uint64(16+len(body)))
	in = append(in, body...)
	boxes, err := readAll(bytes.NewReader(in), 1000)
	if err != nil || len(boxes) != 1 || boxes[0].Type != "mdat" || !bytes.Equal(boxes[0].Raw, in) {
		t.Fatalf("boxes %v, err %v", boxes, err)
	}
}

func TestBoxReaderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	in := io.MultiReader(bytes.NewReader(load(t, ldashVideo.segs[0])[:100]), iotest.ErrReader(boom))
	_, err := readAll(in, caseMaxBox)
	if !errors.Is(err, boom) || errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want the reader's error (not malformed)", err)
	}
}

// TestBoxReaderAllocOversized reads every case with SetAlloc handing out
// buffers larger than asked for and full of stale bytes (a pool): the
// boxes are the same, each read to its own size.
func TestBoxReaderAllocOversized(t *testing.T) {
	stale := func(n int) []byte { return bytes.Repeat([]byte{0xEE}, n+5000)[:7] }
	for _, c := range inputCases(t) {
		if c.stream != nil {
			continue
		}
		br := NewBoxReader(iotest.HalfReader(bytes.NewReader(c.in)), caseMaxBox)
		br.SetAlloc(stale)
		var all []byte
		for {
			b, err := br.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			all = append(all, b.Raw...)
		}
		if !bytes.Equal(all, c.in) {
			t.Fatalf("%s: boxes do not concatenate to the input", c.name)
		}
	}
}

// TestBoxReaderPeekAppendNext reads every case peeking at each box first
// and appending every other box to a lead of bytes: Peek consumes nothing
// and tells the box that comes next; AppendNext puts the box right after
// the lead, in the lead's own buffer when it has the room, else in one of
// SetAlloc's with the lead copied in front; errors are Next's.
func TestBoxReaderPeekAppendNext(t *testing.T) {
	for _, c := range inputCases(t) {
		br := NewBoxReader(iotest.OneByteReader(bytes.NewReader(c.in)), caseMaxBox)
		allocs := 0
		br.SetAlloc(func(n int) []byte { allocs++; return make([]byte, 0, n) })
		var all []byte
		var err error
		for i := 0; ; i++ {
			var typ string
			var size int
			typ, size, err = br.Peek()
			if err != nil {
				break
			}
			if t2, s2, err2 := br.Peek(); t2 != typ || s2 != size || err2 != nil {
				t.Fatalf("%s: a second Peek says %q %d %v, the first %q %d", c.name, t2, s2, err2, typ, size)
			}
			var b Box
			if i%2 == 0 {
				b, err = br.Next()
			} else {
				lead := []byte("lead")
				if i%4 == 1 {
					lead = append(make([]byte, 0, len(lead)+size), lead...) // room for the box
				}
				var buf []byte
				before := allocs
				b, buf, err = br.AppendNext(lead)
				if err != nil {
					break
				}
				if string(buf[:4]) != "lead" || !bytes.Equal(buf[4:], b.Raw) {
					t.Fatalf("%s: AppendNext gave %q…, not the lead and the box", c.name, buf[:min(8, len(buf))])
				}
				if roomy := cap(lead) >= len(lead)+size; roomy && (&buf[0] != &lead[:1][0] || allocs != before) {
					t.Fatalf("%s: a box that fits after the lead was not read into the lead's buffer", c.name)
				}
			}
			if err != nil {
				break
			}
			if b.Type != typ || len(b.Raw) != size {
				t.Fatalf("%s: Peek said %q of %d bytes, the box is %q of %d", c.name, typ, size, b.Type, len(b.Raw))
			}
			all = append(all, b.Raw...)
		}
		if err == io.EOF {
			err = nil
		}
		if !errors.Is(err, c.stream) || (c.stream == nil) != (err == nil) {
			t.Fatalf("%s: err = %v, want %v", c.name, err, c.stream)
		}
		if err == nil && !bytes.Equal(all, c.in) {
			t.Fatalf("%s: boxes do not concatenate to the input", c.name)
		}
		if err != nil {
			if _, _, again := br.Peek(); !errors.Is(again, err) && again != err {
				t.Fatalf("%s: after %v, Peek says %v", c.name, err, again)
			}
		}
	}
}
