package archive

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// synthArchive writes the period indexes of an archive of hours hourly
// periods (2 s segments) of a video and two audio tracks, ending at
// end (an hour boundary), and the channel timing. Track files are not
// written: publishing reads indexes only.
func synthArchive(tb testing.TB, st *blobstore.Store, channel string, end time.Time, hours int) trackfile.Grid {
	tb.Helper()
	ctx := context.Background()
	g := trackfile.Grid{D: trackfile.Rational{Num: 2, Den: 1}, N: 1800}
	timing := trackfile.ChannelTiming{SegmentDuration: g.D, PeriodSegments: g.N}
	raw, err := trackfile.MarshalTiming(timing)
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.Put(ctx, trackfile.TimingKey(channel), raw); err != nil {
		tb.Fatal(err)
	}
	tracks := []trackfile.TrackInfo{
		{TrackID: 1, Handler: "vide", Ext: "cmfv", Timescale: 90000, Codecs: "avc1.64001f", Bandwidth: 3000000, Width: 1280, Height: 720},
		{TrackID: 1, Handler: "soun", Ext: "cmfa", Timescale: 48000, Codecs: "mp4a.40.2", Bandwidth: 128000, SampleRate: 48000, Channels: 2, Language: "en"},
		{TrackID: 1, Handler: "soun", Ext: "cmfa", Timescale: 48000, Codecs: "mp4a.40.2", Bandwidth: 128000, SampleRate: 48000, Channels: 2, Language: "fr"},
	}
	names := []string{"video", "audio_en", "audio_fr"}
	kEnd := g.Period(g.SegmentAt(end))
	for k := kEnd - int64(hours); k < kEnd; k++ {
		idx := trackfile.PeriodIndex{Channel: channel, Period: k, SegmentDuration: g.D, PeriodSegments: g.N}
		for i, info := range tracks {
			n0 := g.PeriodFirst(k)
			seg := g.SegmentStart(n0+1, info.Timescale) - g.SegmentStart(n0, info.Timescale)
			segs := make([]trackfile.SegmentInfo, g.N)
			for j := range segs {
				t := g.SegmentStart(n0+int64(j), info.Timescale)
				segs[j] = trackfile.SegmentInfo{N: n0 + int64(j), Time: t, EPT: t, Duration: seg, Size: 500000, StartsWithSAP: true, SAPType: 1}
			}
			head := trackfile.HeadLayout{Init: trackfile.ByteRange{End: 700}, Index: trackfile.ByteRange{Start: 700, End: 700 + 44 + 12*g.N}}
			r := trackfile.NewRun(names[i], info, segs, head)
			r.Key = trackfile.TrackFileKey(channel, names[i], k, -1, info.Ext)
			r.HeaderKey = trackfile.HeaderKey(channel, names[i], "0123456789ab", info.Ext)
			r.End = trackfile.EndComplete
			idx.Runs = append(idx.Runs, r)
		}
		raw, err := trackfile.MarshalIndex(&idx)
		if err != nil {
			tb.Fatal(err)
		}
		if err := st.Put(ctx, trackfile.IndexKey(channel, k, ""), raw); err != nil {
			tb.Fatal(err)
		}
	}
	return g
}

// BenchmarkPublish30Days measures one publish of the derived S-MPDs of a
// 30-day archive (720 hourly periods × 3 tracks) after its newest period
// was finalized, index objects already cached as in a running archiver:
//
//	go test ./archive -run '^$' -bench Publish30Days -benchtime 20x
func BenchmarkPublish30Days(b *testing.B) {
	for _, hours := range []int{24, 720} {
		b.Run(fmt.Sprintf("hours=%d", hours), func(b *testing.B) {
			st, err := blobstore.Open(context.Background(), "mem://", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			g := synthArchive(b, st, "ch1", end, hours)
			a := New(st, nil)
			ctx := context.Background()
			c, err := a.channel(ctx, "ch1")
			if err != nil {
				b.Fatal(err)
			}
			k := g.Period(g.SegmentAt(end)) - 1
			if err := c.publish(ctx, k); err != nil { // warm the index cache
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := c.publish(ctx, k); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			mpd, _ := st.Get(ctx, trackfile.ArchiveMPDKey("ch1"))
			b.ReportMetric(float64(len(mpd)), "mpd-bytes")

		})
	}
}
