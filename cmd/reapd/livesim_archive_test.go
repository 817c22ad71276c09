package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"regexp"
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
// ffmpegName matches ffmpeg's dashenc header and segment names; the group
// is the stream (the Representation@id).
var ffmpegName = regexp.MustCompile(`^(?:init|chunk)-stream(\d+)(?:-\d+)?\.m4s$`)

type sentSeg struct {
	rep  string // the encoder's track: Representation@id, which may hold slashes
	seq  int    // its position among the rep's acknowledged segments
	tfdt uint64 // of its first fragment, as sent
	body []byte // as it must be archived: as sent, without top-level sidx
	// From its parse with the rep's CMAF header: earliest presentation
	// time (less the header's edit list shift: what a player presents)
	// and duration in timescale ticks, and whether it is video.
	ept, dur  uint64
	timescale uint32
	video     bool
}

// sent is every acknowledged media segment, and the distinct ones per
// encoder track (the copies redundant encoders send of one segment are
// identical; two tracks may also carry identical segments, as livesim2's
// A48 and LD_A48 do).
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
	type repHash struct {
		rep  string
		hash [32]byte
	}
	seen := map[repHash]bool{}
	seq := map[string]int{}
	headers := map[string]*trackfile.Header{}
	shift := map[string]uint64{} // rep → the media_time of its edit list
	repOf := func(p string) (string, bool) {
		rel, ok := strings.CutPrefix(p, "/ingest/ch1/")
		if !ok {
			return "", false
		}
		if m := ffmpegName.FindStringSubmatch(rel); m != nil {
			return m[1], true // ffmpeg's dashenc names: init-stream0.m4s, chunk-stream0-00001.m4s
		}
		if inner, ok := strings.CutPrefix(rel, "Streams("); ok {
			inner = strings.TrimSuffix(inner, ")")
			return strings.TrimSuffix(inner, path.Ext(inner)), true
		}
		return path.Dir(rel), true
	}
	for _, p := range sortedKeys(acked) { // headers first: init.cmfv sorts after the numbers
		rep, _ := repOf(p)
		for _, body := range acked[p] {
			if len(body) >= 8 && string(body[4:8]) == "ftyp" {
				h, err := trackfile.ParseHeader(body)
				if err != nil {
					t.Errorf("%s: %v", p, err)
					continue
				}
				headers[rep] = h
				shift[rep] = editShift(body)
			}
		}
	}
	for _, p := range sortedKeys(acked) {
		if strings.HasSuffix(p, ".mpd") {
			continue // an I-MPD
		}
		rep, ok := repOf(p)
		if !ok {
			t.Errorf("acknowledged request outside the channel: %s", p)
			continue
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
			if h := headers[rep]; h != nil {
				if seg, err := trackfile.ParseSegment(body, h); err == nil {
					s.ept, s.dur, s.timescale, s.video = seg.EPT-min(shift[rep], seg.EPT), seg.Duration, h.Info.Timescale, h.Info.Handler == "vide"
				} else {
					t.Errorf("%s: %v", p, err)
				}
			} else {
				t.Errorf("%s: a media segment of a track without a CMAF header", p)
			}
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
			if k := (repHash{rep, sha256.Sum256(s.body)}); !seen[k] {
				seen[k] = true
				out.distinct = append(out.distinct, s)
			}
		}
	}
	return out
}

// editShift returns the media_time of a CMAF header's first non-empty edit
// (ISO/IEC 14496-12 8.6.6): how far players shift its presentation back,
// typically the composition offset of B-frames; 0 without an edit list.
func editShift(header []byte) uint64 {
	f, err := mp4.DecodeFile(bytes.NewReader(header))
	if err != nil || f.Init == nil || f.Init.Moov == nil || f.Init.Moov.Trak == nil || f.Init.Moov.Trak.Edts == nil {
		return 0
	}
	for _, elst := range f.Init.Moov.Trak.Edts.Elst {
		for _, e := range elst.Entries {
			if e.MediaTime >= 0 {
				return uint64(e.MediaTime)
			}
		}
	}
	return 0
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

// stagedLeft lists the staged media segments of a channel still in the
// store (header-use markers aside): none once every period is finalized.
func stagedLeft(st *blobstore.Store, channel string) ([]string, error) {
	objs, err := st.List(context.Background(), channel+"/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		if strings.Contains(o.Key, "/live/") && strings.HasPrefix(path.Ext(o.Key), ".cmf") {
			out = append(out, o.Key)
		}
	}
	return out, nil
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
	// Which archive track holds an encoder track: the one holding most of
	// its segments' bytes.
	votes := map[string]map[string]int{} // rep → archive track → segments
	for _, seg := range s.distinct {
		if votes[seg.rep] == nil {
			votes[seg.rep] = map[string]int{}
		}
		for _, i := range byHash[sha256.Sum256(seg.body)] {
			votes[seg.rep][arch[i].track]++
		}
	}
	// Identical tracks (A48, LD_A48) tie: the one named like the encoder
	// track wins, and no archive track is given to two encoder tracks.
	trackOf, owner := map[string]string{}, map[string]string{}
	for _, rep := range sortedKeys(votes) {
		cands := sortedKeys(votes[rep])
		slices.SortStableFunc(cands, func(a, b string) int {
			if votes[rep][a] != votes[rep][b] {
				return votes[rep][b] - votes[rep][a]
			}
			if (a == rep) != (b == rep) {
				if a == rep {
					return -1
				}
				return 1
			}
			return 0
		})
		for _, tr := range cands {
			if _, taken := owner[tr]; !taken {
				trackOf[rep], owner[tr] = tr, rep
				break
			}
		}
		if trackOf[rep] == "" && len(cands) > 0 {
			t.Errorf("encoder track %s: its segments are only in archive tracks of other encoder tracks (%v)", rep, votes[rep])
		}
	}
	matched := make([]bool, len(arch))
	missing, count := map[string]int{}, map[string]int{}
	for _, seg := range s.distinct {
		count[seg.rep]++
		var at []int
		for _, i := range byHash[sha256.Sum256(seg.body)] {
			if arch[i].track == trackOf[seg.rep] {
				at = append(at, i)
				matched[i] = true
			}
		}
		switch {
		case len(at) == 0:
			missing[seg.rep]++
			if missing[seg.rep] <= 3 {
				t.Errorf("%v is in no storage track file of its track (%q)", seg, trackOf[seg.rep])
			}
			continue
		case len(at) > 1:
			var where []string
			for _, i := range at {
				where = append(where, fmt.Sprintf("%s@%d", arch[i].key, arch[i].time))
			}
			t.Errorf("%v is in %d places: %s", seg, len(at), strings.Join(where, ", "))
		}
		if a := arch[at[0]]; a.time != seg.tfdt {
			t.Errorf("%v archived at time %d (%s), want its tfdt %d", seg, a.time, a.key, seg.tfdt)
		}
	}
	for _, rep := range sortedKeys(missing) {
		t.Errorf("encoder track %s: %d of its %d segments are in no storage track file", rep, missing[rep], count[rep])
	}
	var extra []string
	for i, ok := range matched {
		if !ok {
			extra = append(extra, fmt.Sprintf("%s@%d (%d bytes)", arch[i].key, arch[i].time, len(arch[i].body)))
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		t.Errorf("%d archived segments were never sent to their track (or are not byte-exact): %s", len(extra), strings.Join(extra[:min(len(extra), 10)], ", "))
	}
}
