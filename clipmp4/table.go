package clipmp4

import "fmt"

// chunk is one output chunk: a contiguous source byte range (object offset)
// and, for fragmented output, where the fields to renumber are in it.
type chunk struct {
	srcOff        int64
	size          uint32
	samples       uint32 // progressive: samples in the chunk
	sdi           uint16 // sample description index − 1
	seqOff, tidOf int32  // fragmented: offsets in the piece, −1 none
}

// table accumulates the sample tables of one output track (ISO/IEC
// 14496-12 8.6, 8.7): run-length stts and ctts, stss, stsz, and the
// chunks. Only what the moov needs is kept per sample (4 bytes of stsz,
// more only where durations, offsets or sync change).
type table struct {
	ts        uint32
	sttsCount []uint32
	sttsDelta []uint32
	cttsCount []uint32
	cttsOff   []int32
	anyCTO    bool
	minCTO    int32 // most negative composition offset (0 if none)
	stss      []uint32
	allSync   bool
	sizes     []uint32
	chunks    []chunk
	n         uint32 // samples so far
	started   bool
	nextDTS   uint64 // decode time after the last sample
	firstDTS  uint64 // D0: decode time of the first sample
	presEnd   uint64 // latest presentation end of a sample
	totalDur  uint64 // sum of stts deltas
	gaps      [][2]uint64
	payload   int64
}

func newTable(ts uint32) *table { return &table{ts: ts, allSync: true} }

// add appends sample s decoded at dts.
func (t *table) add(s sample, dts uint64) error {
	if !t.started {
		t.started, t.firstDTS, t.nextDTS = true, dts, dts
	}
	if dts != t.nextDTS {
		if err := t.retime(dts); err != nil {
			return err
		}
	}
	t.n++
	t.pushDelta(s.dur)
	t.totalDur += uint64(s.dur)
	t.nextDTS = dts + uint64(s.dur)
	if len(t.cttsOff) > 0 && t.cttsOff[len(t.cttsOff)-1] == s.cto {
		t.cttsCount[len(t.cttsCount)-1]++
	} else {
		t.cttsCount, t.cttsOff = append(t.cttsCount, 1), append(t.cttsOff, s.cto)
	}
	t.anyCTO = t.anyCTO || s.cto != 0
	t.minCTO = min(t.minCTO, s.cto)
	if s.sync {
		t.stss = append(t.stss, t.n)
	} else {
		t.allSync = false
	}
	t.sizes = append(t.sizes, s.size)
	t.payload += int64(s.size)
	t.presEnd = max(t.presEnd, addSigned(dts, int64(s.cto))+uint64(s.dur))
	return nil
}

// retime makes the last sample last until dts: a gap stretches it (the
// next sample keeps its decode time: nothing shifts), a small overlap
// shortens it.
func (t *table) retime(dts uint64) error {
	if t.n == 0 {
		return nil
	}
	last := uint64(t.sttsDelta[len(t.sttsDelta)-1])
	prevDTS := t.nextDTS - last
	if dts <= prevDTS {
		return fmt.Errorf("%w: a segment starts at %d, before the sample at %d that precedes it", ErrUnsupported, dts, prevDTS)
	}
	if dts-prevDTS > 1<<32-1 {
		return fmt.Errorf("%w: a gap of %d ticks in one track", ErrUnsupported, dts-prevDTS)
	}
	if dts > t.nextDTS && dts-t.nextDTS > last/2 {
		t.gaps = append(t.gaps, [2]uint64{t.nextDTS, dts})
	}
	t.totalDur = t.totalDur - last + (dts - prevDTS)
	t.setLastDelta(uint32(dts - prevDTS))
	t.nextDTS = dts
	return nil
}

func (t *table) pushDelta(d uint32) {
	if k := len(t.sttsDelta); k > 0 && t.sttsDelta[k-1] == d {
		t.sttsCount[k-1]++
		return
	}
	t.sttsCount, t.sttsDelta = append(t.sttsCount, 1), append(t.sttsDelta, d)
}

// setLastDelta changes the duration of the last sample.
func (t *table) setLastDelta(d uint32) {
	k := len(t.sttsDelta) - 1
	if t.sttsCount[k] == 1 {
		t.sttsCount, t.sttsDelta = t.sttsCount[:k], t.sttsDelta[:k]
	} else {
		t.sttsCount[k]--
	}
	t.pushDelta(d)
}

// ctoShift returns what the composition offsets are raised by so that
// none is negative (ctts version 0; the edit list's media_time rises by
// the same, so nothing moves).
func (t *table) ctoShift() int32 { return -t.minCTO }

// addSigned returns t+d, clamped at 0.
func addSigned(t uint64, d int64) uint64 {
	if d < 0 && uint64(-d) > t {
		return 0
	}
	return t + uint64(d)
}
