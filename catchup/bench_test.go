package catchup

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/reapd/reapd/trackfile"
	"github.com/reapd/reapd/trackfile/trackfiletest"
)

// The figures of acceptance 5 (make bench): a synthetic archive of 7 days
// × 3 tracks × 2 s segments on the file store — period index objects
// written as the archiver writes them (1-hour periods: 168 objects of
// 3 runs × 1800 segments), AAC-like audio whose segment durations
// alternate — and real storage track files for the throughput figure.

// benchDays is the length of the synthetic archive.
const benchDays = 7

var gridHour = trackfile.Grid{D: trackfile.Rational{Num: 2, Den: 1}, N: 1800}

// benchArchive writes the 7-day index-only archive into a file store.
func benchArchive(b *testing.B) *synth {
	b.Helper()
	s := newSynth(b, "file://"+b.TempDir(), gridHour)
	fr := audioInfo
	fr.Language = "fr"
	tracks := []struct {
		name string
		info trackfile.TrackInfo
		hash string
	}{{"video", videoInfo, "aaaaaaaaaaaa"}, {"audio-en", audioInfo, "bbbbbbbbbbbb"}, {"audio-fr", fr, "cccccccccccc"}}
	rng := rand.New(rand.NewPCG(1, 2))
	k0 := s.grid.Period(s.n(0))
	for k := k0; k < k0+benchDays*24; k++ {
		var runs []trackfile.Run
		for _, tr := range tracks {
			runs = append(runs, indexRun(s.grid, tr.name, tr.info, tr.hash, s.grid.PeriodFirst(k), s.grid.PeriodFirst(k+1),
				false, trackfile.EndComplete, rng))
		}
		s.writeIndex(k, "", runs...)
	}
	return s
}

// discard is a ResponseWriter that keeps nothing (but the status).
type discard struct {
	h      http.Header
	status int
	n      int64
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.status = code }
func (d *discard) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

// serve runs one request through h in process; it fails unless 200.
func serve(b *testing.B, h http.Handler, url string) int64 {
	w := &discard{h: http.Header{}, status: http.StatusOK}
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
	if w.status != http.StatusOK {
		b.Fatalf("GET %s: %d", url, w.status)
	}
	return w.n
}

// window24h returns a random 24-hour window of the archive, at ms
// precision (so that no two requests are the same).
func window24h(rng *rand.Rand) string {
	start := at(float64(rng.Int64N((benchDays-1)*24*3600*1000)) / 1000)
	return "start=" + epochSeconds(start) + "&end=" + epochSeconds(start.Add(24*time.Hour))
}

// reportLatencies reports the median and 99th percentile of ds in ms.
func reportLatencies(b *testing.B, ds []time.Duration, prefix string) {
	slices.Sort(ds)
	ms := func(q float64) float64 {
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), prefix+"-median-ms")
	b.ReportMetric(ms(0.99), prefix+"-p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkCatchupManifest24h measures 24-hour manifest generation: warm
// (the server's time index holds the period indexes) and cold (a new
// server per request: listing, timing, 25 index objects read and parsed).
// Targets: warm < 20 ms, cold < 300 ms.
func BenchmarkCatchupManifest24h(b *testing.B) {
	s := benchArchive(b)
	now := at(benchDays * 24 * 3600)
	for _, kind := range []struct{ name, path string }{
		{"dash", "/catchup/ch1/manifest.mpd?"},
		{"hls-media", "/catchup/ch1/hls/audio-en.m3u8?"},
	} {
		b.Run(kind.name+"/warm", func(b *testing.B) {
			srv := s.server(now)
			h := srv.Handler()
			rng := rand.New(rand.NewPCG(3, 4))
			for d := 0; d < benchDays; d++ { // load every period index once
				serve(b, h, kind.path+"start="+epochSeconds(at(float64(d*24*3600)))+"&duration=86399")
			}
			var ds []time.Duration
			var size int64
			for b.Loop() {
				t0 := time.Now()
				size = serve(b, h, kind.path+window24h(rng))
				ds = append(ds, time.Since(t0))
			}
			b.ReportMetric(float64(size), "bytes")
			reportLatencies(b, ds, "warm")
		})
		b.Run(kind.name+"/cold", func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, 6))
			var ds []time.Duration
			for b.Loop() {
				t0 := time.Now()
				serve(b, s.server(now).Handler(), kind.path+window24h(rng))
				ds = append(ds, time.Since(t0))
			}
			reportLatencies(b, ds, "cold")
		})
	}
}

// BenchmarkCatchupSegmentThroughput serves the segments of a real storage
// track file (120 segments of 250 kB) through the handler, in process,
// and reads the same byte ranges straight from the file store; the ratio
// of the two throughputs is the target (≥ 0.8). Served over loopback HTTP
// is reported too, for information (it adds the kernel's TCP copy).
func BenchmarkCatchupSegmentThroughput(b *testing.B) {
	dir := b.TempDir()
	s := newSynth(b, "file://"+dir, gridHour)
	big := trackfiletest.Track{ID: 1, Timescale: 48000, SampleDur: 960, SamplesPerSegment: 100, SampleSize: 2500}
	rt := s.newRealTrack("big", big)
	n0 := s.n(0)
	run := s.trackFile(rt, n0, n0+120, true, trackfile.EndPartial)
	s.writeIndex(s.grid.Period(n0), "", run)
	srv := s.server(at(3600))
	h := srv.Handler()
	refs := run.Segments()
	urls := make([]string, len(refs))
	for i, r := range refs {
		urls[i] = "/catchup/ch1/" + segmentPath("big", rt.hdr.Hash, big.Timescale, r.Time)
	}
	httpSrv := httptest.NewServer(h)
	defer httpSrv.Close()
	client := httpSrv.Client()
	// The HTTP baseline: a plain static file server over the same track
	// file, asked for the same byte ranges.
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()
	buf := make([]byte, 64<<10) // the size of the handler's copy buffer
	var direct, handler, loopback time.Duration
	var total int64
	for _, u := range urls { // warm the time index and the page cache
		serve(b, h, u)
	}
	for b.Loop() {
		for i, r := range refs {
			t0 := time.Now()
			rc, err := s.store.NewRangeReader(s.ctx, run.Key, r.Offset, r.Size)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(writerOnly{}, rc, buf); err != nil {
				b.Fatal(err)
			}
			rc.Close()
			t1 := time.Now()
			total += serve(b, h, urls[i])
			direct, handler = direct+t1.Sub(t0), handler+time.Since(t1)
		}
	}
	// Loopback HTTP, reapd and the static file server in turns, over as
	// many rounds.
	get := func(url, rng string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.CopyBuffer(writerOnly{}, resp.Body, buf)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
			b.Fatalf("GET %s (%s): %d", url, rng, resp.StatusCode)
		}
	}
	var staticTime time.Duration
	for range total / run.Size {
		t0 := time.Now()
		for _, u := range urls {
			get(httpSrv.URL+u, "")
		}
		t1 := time.Now()
		for _, r := range refs {
			get(static.URL+"/"+run.Key, fmt.Sprintf("bytes=%d-%d", r.Offset, r.Offset+r.Size-1))
		}
		loopback, staticTime = loopback+t1.Sub(t0), staticTime+time.Since(t1)
	}
	mbps := func(d time.Duration) float64 { return float64(total) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(direct), "store-MB/s")
	b.ReportMetric(mbps(handler), "served-MB/s")
	b.ReportMetric(direct.Seconds()/handler.Seconds(), "ratio")
	b.ReportMetric(direct.Seconds()/loopback.Seconds(), "loopback-ratio")
	b.ReportMetric(mbps(staticTime), "static-http-MB/s")
	b.ReportMetric(mbps(loopback), "http-MB/s")
	b.ReportMetric(staticTime.Seconds()/loopback.Seconds(), "http-ratio")
	b.ReportMetric(0, "ns/op")
}

// writerOnly discards writes without offering io.ReaderFrom, so every
// copy in the benchmark goes through the same 64 kB buffer loop.
type writerOnly struct{}

func (writerOnly) Write(p []byte) (int, error) { return len(p), nil }
