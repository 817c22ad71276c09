package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// The checks of issue 8, acceptance 3, written against what a reader of
// the store sees after finalizing (period indexes, the track files they
// list, the archive S-MPD), not against how segments are staged or named.

// storedSeg is one segment found in a storage track file.
type storedSeg struct {
	file       string
	track      string
	pos        int    // position in the file
	start, dur uint64 // its own tfdt and duration, track timescale
	timescale  uint32
	raw        []byte
}

func (s storedSeg) from() float64 { return float64(s.start) / float64(s.timescale) }
func (s storedSeg) to() float64   { return float64(s.start+s.dur) / float64(s.timescale) }

// archiveView is a channel's archive as the store holds it.
type archiveView struct {
	channel string
	indexes map[string]*trackfile.PeriodIndex // by key
	runs    map[string]trackfile.Run          // by track file key
	segs    []storedSeg                       // every segment of every listed track file
	mpd     []byte                            // the archive S-MPD (nil if none)
}

// readArchive reads every period index of the channel and every track file
// they list, checking each file on the way: its header is one the track
// sent, its sidx covers exactly the bytes after it, and each reference's
// time is the segment's own tfdt (a file is contiguous in time).
func readArchive(ctx context.Context, st *blobstore.Store, channel string, headers map[string][][]byte) (*archiveView, []string) {
	v := &archiveView{channel: channel, indexes: map[string]*trackfile.PeriodIndex{}, runs: map[string]trackfile.Run{}}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	objs, err := st.List(ctx, trackfile.IndexPrefix(channel))
	if err != nil {
		return v, []string{fmt.Sprintf("list period indexes: %v", err)}
	}
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, ".json") {
			continue
		}
		raw, err := st.Get(ctx, o.Key)
		if err != nil {
			bad("read %s: %v", o.Key, err)
			continue
		}
		idx, err := trackfile.UnmarshalIndex(raw)
		if err != nil {
			bad("period index %s: %v", o.Key, err)
			continue
		}
		v.indexes[o.Key] = idx
		for _, run := range idx.Runs {
			if _, dup := v.runs[run.Key]; dup {
				bad("track file %s is listed twice (again by %s)", run.Key, o.Key)
				continue
			}
			v.runs[run.Key] = run
			problems = append(problems, v.readTrackFile(ctx, st, run, headers[run.Track])...)
		}
	}
	if len(v.runs) == 0 {
		bad("no period index lists a track file")
	}
	v.mpd, err = st.Get(ctx, trackfile.ArchiveMPDKey(channel))
	if err != nil {
		bad("archive S-MPD: %v", err)
	}
	return v, problems
}

func (v *archiveView) readTrackFile(ctx context.Context, st *blobstore.Store, run trackfile.Run, sent [][]byte) []string {
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: ", run.Key)+fmt.Sprintf(format, args...))
	}
	file, err := st.Get(ctx, run.Key)
	if err != nil {
		return []string{fmt.Sprintf("track file %s listed by an index: %v", run.Key, err)}
	}
	head, err := trackfile.ReadHead(bytes.NewReader(file))
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", run.Key, err)}
	}
	known := false
	for _, h := range sent {
		known = known || bytes.Equal(file[:head.Layout.Init.End], h)
	}
	if !known {
		bad("does not start with a CMAF header track %s sent", run.Track)
	}
	var sum int64
	for i, ref := range head.Segments {
		sum += ref.Size
		if ref.Offset < head.Layout.Index.End || ref.Offset+ref.Size > int64(len(file)) {
			bad("sidx reference %d [%d, %d) outside the file", i, ref.Offset, ref.Offset+ref.Size)
			return problems
		}
		raw := file[ref.Offset : ref.Offset+ref.Size]
		seg, err := trackfile.ParseSegment(raw, head.Header)
		if err != nil {
			bad("segment %d: %v", i, err)
			continue
		}
		if ref.Time != seg.BaseDecodeTime || ref.Duration != seg.Duration {
			bad("sidx places segment %d at %d+%d, the segment is at tfdt %d+%d (a track file must be contiguous in time)",
				i, ref.Time, ref.Duration, seg.BaseDecodeTime, seg.Duration)
		}
		v.segs = append(v.segs, storedSeg{file: run.Key, track: run.Track, pos: i, start: seg.BaseDecodeTime,
			dur: seg.Duration, timescale: head.Header.Info.Timescale, raw: raw})
	}
	if after := int64(len(file)) - head.Layout.Index.End; sum != after {
		bad("sidx references %d bytes, the file has %d after the sidx", sum, after)
	}
	return problems
}

// checkWhole checks that every expected segment is in exactly one track
// file, byte for byte (minus its sidx), and that no track file holds
// anything else.
func (v *archiveView) checkWhole(want map[encKey][]byte) []string {
	var problems []string
	seen := map[encKey][]string{}
	for _, s := range v.segs {
		k := encKey{s.track, s.start}
		exp, ok := want[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s holds a %s segment at %d (%.3f s) that was not sent to be archived",
				s.file, s.track, s.start, s.from()))
		case !bytes.Equal(exp, s.raw):
			problems = append(problems, fmt.Sprintf("%s: the %s segment at %.3f s is not the bytes sent (minus sidx)",
				s.file, s.track, s.from()))
		}
		seen[k] = append(seen[k], fmt.Sprintf("%s#%d", s.file, s.pos))
	}
	var keys []encKey
	for k := range want {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].track != keys[j].track {
			return keys[i].track < keys[j].track
		}
		return keys[i].start < keys[j].start
	})
	for _, k := range keys {
		switch n := len(seen[k]); {
		case n == 0:
			problems = append(problems, fmt.Sprintf("lost: the %s segment at tfdt %d was acknowledged with 200 and is in no track file", k.track, k.start))
		case n > 1:
			problems = append(problems, fmt.Sprintf("the %s segment at tfdt %d is stored %d times: %v", k.track, k.start, n, seen[k]))
		}
	}
	return problems
}

// checkD checks the channel's segment duration wherever the store states
// it: every period index and every state object with a segmentDuration.
func (v *archiveView) checkD(ctx context.Context, st *blobstore.Store, want trackfile.Rational) []string {
	var problems []string
	found := 0
	check := func(where string, d trackfile.Rational) {
		if d.IsZero() {
			return
		}
		found++
		if d.Reduce() != want.Reduce() {
			problems = append(problems, fmt.Sprintf("%s: segment duration %s s, want %s s", where, d.String(), want.String()))
		}
	}
	for key, idx := range v.indexes {
		check(key, idx.SegmentDuration)
	}
	objs, err := st.List(ctx, v.channel+"/state/")
	if err != nil {
		return append(problems, fmt.Sprintf("list state: %v", err))
	}
	for _, o := range objs {
		raw, err := st.Get(ctx, o.Key)
		if err != nil {
			continue
		}
		var s struct {
			D *trackfile.Rational `json:"segmentDuration"`
		}
		if json.Unmarshal(raw, &s) == nil && s.D != nil {
			check(o.Key, *s.D)
		}
	}
	if found == 0 {
		problems = append(problems, "no period index or state object states the segment duration")
	}
	sort.Strings(problems)
	return problems
}

// checkRuns checks that a period index does not split media into track
// files without a cause: two files of one track and one header, where one
// starts exactly where the other ends, should be one (design section 4: a
// gap, a 'miss' segment or a header change ends a run). Late parts live in
// index objects of their own and are not compared.
func (v *archiveView) checkRuns() []string {
	span := map[string][2]uint64{} // file → first tfdt, end
	for _, s := range v.segs {
		sp, ok := span[s.file]
		if !ok {
			sp = [2]uint64{s.start, s.start + s.dur}
		}
		span[s.file] = [2]uint64{min(sp[0], s.start), max(sp[1], s.start+s.dur)}
	}
	var problems []string
	for key, idx := range v.indexes {
		ends := map[string]string{} // track|header|end → file
		for _, r := range idx.Runs {
			if sp, ok := span[r.Key]; ok {
				ends[fmt.Sprintf("%s|%s|%d", r.Track, r.HeaderKey, sp[1])] = r.Key
			}
		}
		for _, r := range idx.Runs {
			sp, ok := span[r.Key]
			if !ok {
				continue
			}
			if prev, ok := ends[fmt.Sprintf("%s|%s|%d", r.Track, r.HeaderKey, sp[0])]; ok {
				problems = append(problems, fmt.Sprintf("%s: %s starts where %s ends, with the same header: contiguous media split into two track files",
					key, r.Key, prev))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// summary describes the archive for a failing test's log.
func (v *archiveView) summary() string {
	var b strings.Builder
	keys := make([]string, 0, len(v.runs))
	for k := range v.runs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s:", strings.TrimPrefix(k, v.channel+"/"))
		for _, s := range v.segs {
			if s.file == k {
				fmt.Fprintf(&b, " %.3f+%.3f", s.from(), s.to()-s.from())
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
