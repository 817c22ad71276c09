package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// What a real encoder sent, as the recording proxy saw it, and what reapd
// archived, as its period indexes and storage track files say: the two
// sides of the livesim2 tests' comparison.

// sentSeg is one media segment an encoder sent and reapd acknowledged.
type sentSeg struct {
	rep  string // the encoder's track: Representation@id, which may hold slashes
	seq  int    // its position among the rep's acknowledged segments
	tfdt uint64 // of its first fragment, as sent
	body []byte // as it must be archived: as sent, without top-level sidx
}

// sent is every acknowledged media segment, and the distinct ones (the
// copies redundant encoders send of one segment are identical).
type sent struct {
	all, distinct []sentSeg
	reps          map[string]bool
	bytes         int
}

// sentSegments sorts the acknowledged bodies of channel ch1 into CMAF
// headers (skipped) and media segments. Paths are livesim2's:
// {rep}/init.cmfX, {rep}/{number or time}.cmfX, or Streams({rep}.cmfX) for
// both.
func sentSegments(t *testing.T, acked map[string][][]byte) sent {
	t.Helper()
	out := sent{reps: map[string]bool{}}
	seen := map[[32]byte]bool{}
	seq := map[string]int{}
	for _, p := range sortedKeys(acked) {
		rel, ok := strings.CutPrefix(p, "/ingest/ch1/")
		if !ok {
			t.Errorf("acknowledged request outside the channel: %s", p)
			continue
		}
		var rep string
		if inner, ok := strings.CutPrefix(rel, "Streams("); ok {
			rep = strings.TrimSuffix(strings.TrimSuffix(inner, ")"), path.Ext(strings.TrimSuffix(inner, ")")))
		} else {
			rep = path.Dir(rel)
		}
		for _, body := range acked[p] {
			top, err := topBoxes(body)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if len(top) > 0 && top[0].typ == "ftyp" {
				continue // a CMAF header
			}
			s := sentSeg{rep: rep, seq: seq[rep]}
			seq[rep]++
			found := false
			for _, b := range top {
				if b.typ == "moof" && !found {
					moof, err := mp4.DecodeBox(0, bytes.NewReader(b.raw))
					if m, ok := moof.(*mp4.MoofBox); err == nil && ok && m.Traf != nil && m.Traf.Tfdt != nil {
						s.tfdt, found = m.Traf.Tfdt.BaseMediaDecodeTime(), true
					}
				}
				if b.typ != "sidx" {
					s.body = append(s.body, b.raw...)
				}
			}
			if !found {
				t.Errorf("%s: a media segment without moof/tfdt", p)
				continue
			}
			out.all = append(out.all, s)
			out.reps[rep] = true
			out.bytes += len(body)
			if h := sha256.Sum256(s.body); !seen[h] {
				seen[h] = true
				out.distinct = append(out.distinct, s)
			}
		}
	}
	return out
}

// box is one top-level ISOBMFF box.
type box struct {
	typ string
	raw []byte
}

// topBoxes splits b into its top-level boxes (ISO/IEC 14496-12 4.2).
func topBoxes(b []byte) ([]box, error) {
	var out []box
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			return nil, fmt.Errorf("%d trailing bytes at %d", len(b)-off, off)
		}
		size, hdr := uint64(binary.BigEndian.Uint32(b[off:])), 8
		switch size {
		case 0:
			size = uint64(len(b) - off)
		case 1:
			if len(b)-off < 16 {
				return nil, fmt.Errorf("truncated largesize at %d", off)
			}
			size, hdr = binary.BigEndian.Uint64(b[off+8:]), 16
		}
		if size < uint64(hdr) || size > uint64(len(b)-off) {
			return nil, fmt.Errorf("box at %d: size %d of %d bytes left", off, size, len(b)-off)
		}
		out = append(out, box{string(b[off+4 : off+8]), b[off : off+int(size)]})
		off += int(size)
	}
	return out, nil
}

// archivedSeg is one segment of a storage track file.
type archivedSeg struct {
	track, key, handler string
	timescale           uint32
	time, duration      uint64 // from the period index: epoch timeline, track timescale
	body                []byte
}

// channelIndexes reads every period index object of a channel.
func channelIndexes(st *blobstore.Store, channel string) ([]*trackfile.PeriodIndex, error) {
	ctx := context.Background()
	objs, err := st.List(ctx, trackfile.IndexPrefix(channel))
	if err != nil {
		return nil, err
	}
	var out []*trackfile.PeriodIndex
	for _, o := range objs {
		raw, err := st.Get(ctx, o.Key)
		if err != nil {
			return nil, err
		}
		idx, err := trackfile.UnmarshalIndex(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", o.Key, err)
		}
		out = append(out, idx)
	}
	return out, nil
}

// indexedCount returns how many segments the channel's period indexes
// list (false when they cannot be read).
func indexedCount(t *testing.T, st *blobstore.Store, channel string) (int, bool) {
	idxs, err := channelIndexes(st, channel)
	if err != nil {
		t.Logf("period indexes: %v", err)
		return 0, false
	}
	n := 0
	for _, idx := range idxs {
		for i := range idx.Runs {
			n += idx.Runs[i].Count()
		}
	}
	return n, true
}

// archivedWithTimes reads every segment of every storage track file of a
// channel back, by the ranges and times of its period indexes.
func archivedWithTimes(t *testing.T, st *blobstore.Store, channel string) []archivedSeg {
	t.Helper()
	idxs, err := channelIndexes(st, channel)
	if err != nil {
		t.Fatal(err)
	}
	var out []archivedSeg
	for _, idx := range idxs {
		for i := range idx.Runs {
			r := &idx.Runs[i]
			for _, ref := range r.Segments() {
				rd, err := st.NewRangeReader(context.Background(), r.Key, ref.Offset, ref.Size)
				if err != nil {
					t.Fatalf("%s: %v", r.Key, err)
				}
				b, err := io.ReadAll(rd)
				rd.Close()
				if err != nil {
					t.Fatalf("%s: %v", r.Key, err)
				}
				out = append(out, archivedSeg{track: r.Track, key: r.Key, handler: r.Info.Handler, timescale: r.Info.Timescale,
					time: ref.Time, duration: ref.Duration, body: b})
			}
		}
	}
	return out
}

// checkArchived checks that every distinct sent segment is in exactly one
// storage track file, byte-exact, at its tfdt (STS 0), that the segments
// of one encoder track are in one archive track and of two in two, and
// that nothing else was archived.
func checkArchived(t *testing.T, s sent, arch []archivedSeg) {
	t.Helper()
	byHash := map[[32]byte][]int{}
	for i, a := range arch {
		h := sha256.Sum256(a.body)
		byHash[h] = append(byHash[h], i)
	}
	matched := make([]bool, len(arch))
	trackOf := map[string]map[string]int{} // rep → archive track → segments
	missing := map[string]int{}
	for _, seg := range s.distinct {
		at := byHash[sha256.Sum256(seg.body)]
		for _, i := range at {
			matched[i] = true
		}
		switch {
		case len(at) == 0:
			missing[seg.rep]++
			if missing[seg.rep] <= 3 {
				t.Errorf("%v is in no storage track file", seg)
			}
			continue
		case len(at) > 1:
			var where []string
			for _, i := range at {
				where = append(where, fmt.Sprintf("%s@%d", arch[i].key, arch[i].time))
			}
			t.Errorf("%v is in %d places: %s", seg, len(at), strings.Join(where, ", "))
		}
		a := arch[at[0]]
		if a.time != seg.tfdt {
			t.Errorf("%v archived at time %d (%s), want its tfdt %d", seg, a.time, a.key, seg.tfdt)
		}
		if trackOf[seg.rep] == nil {
			trackOf[seg.rep] = map[string]int{}
		}
		trackOf[seg.rep][a.track]++
	}
	for rep, n := range missing {
		t.Errorf("track %s: %d of its sent segments are in no storage track file", rep, n)
	}
	owner := map[string]string{}
	for _, rep := range sortedKeys(trackOf) {
		tracks := sortedKeys(trackOf[rep])
		if len(tracks) != 1 {
			t.Errorf("encoder track %s is archived in several tracks: %v", rep, trackOf[rep])
		}
		for _, tr := range tracks {
			if o, ok := owner[tr]; ok && o != rep {
				t.Errorf("archive track %s holds segments of encoder tracks %s and %s", tr, o, rep)
			}
			owner[tr] = rep
		}
	}
	var extra []string
	for i, ok := range matched {
		if !ok {
			extra = append(extra, fmt.Sprintf("%s@%d (%d bytes)", arch[i].key, arch[i].time, len(arch[i].body)))
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		t.Errorf("%d archived segments were never sent (or not byte-exact): %s", len(extra), strings.Join(extra[:min(len(extra), 10)], ", "))
	}
}
