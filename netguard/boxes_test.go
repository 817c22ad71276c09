package netguard

import (
	"encoding/binary"
	"testing"
)

// box returns a box of the given type with payload bytes, with a 64-bit
// largesize when large.
func box(typ string, payload int, large bool) []byte {
	if large {
		b := make([]byte, 16+payload)
		binary.BigEndian.PutUint32(b, 1)
		copy(b[4:8], typ)
		binary.BigEndian.PutUint64(b[8:], uint64(16+payload))
		return b
	}
	b := make([]byte, 8+payload)
	binary.BigEndian.PutUint32(b, uint32(8+payload))
	copy(b[4:8], typ)
	return b
}

// TestBoxScannerBoundaries feeds a stream byte by byte and in one piece
// and checks that it is at a boundary exactly after each complete box.
func TestBoxScannerBoundaries(t *testing.T) {
	var stream []byte
	ends := map[int]bool{}
	for _, b := range [][]byte{box("free", 0, false), box("styp", 8, false), box("mdat", 8, true), box("moof", 300, false)} {
		stream = append(stream, b...)
		ends[len(stream)] = true
	}
	var s boxScanner
	if s.atBoundary() {
		t.Fatal("at a boundary before any box")
	}
	for i := range stream {
		s.feed(stream[i : i+1])
		if got := s.atBoundary(); got != ends[i+1] {
			t.Fatalf("after %d bytes: atBoundary %v, want %v", i+1, got, ends[i+1])
		}
	}
	if s.boxes != 4 {
		t.Errorf("%d boxes, want 4", s.boxes)
	}
	var whole boxScanner
	whole.feed(stream[:len(stream)-1])
	if whole.atBoundary() || whole.boxes != 3 {
		t.Errorf("one byte short of the end: boundary %v, %d boxes", whole.atBoundary(), whole.boxes)
	}
	whole.feed(stream[len(stream)-1:])
	if !whole.atBoundary() || whole.boxes != 4 {
		t.Errorf("at the end: boundary %v, %d boxes", whole.atBoundary(), whole.boxes)
	}
}

// TestBoxScannerNeverEnding: a box of size 0 (to the end) or one smaller
// than its header never reaches a boundary again.
func TestBoxScannerNeverEnding(t *testing.T) {
	for _, size := range []uint32{0, 7} {
		var s boxScanner
		s.feed(box("free", 0, false))
		b := box("mdat", 100, false)
		binary.BigEndian.PutUint32(b, size)
		s.feed(b)
		s.feed(box("free", 0, false))
		if s.atBoundary() {
			t.Errorf("size %d: at a boundary", size)
		}
	}
}
