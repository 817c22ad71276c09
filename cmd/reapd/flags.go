package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/netguard"
)

// serveFlags are the flags of "reapd serve".
type serveFlags struct {
	listen, store, config       string
	sts, segDur                 string
	storagePeriod, finalize     time.Duration
	noAutoCreate                bool
	maxSegment                  int64
	logLevel, logFormat         string
	shutdownTimeout, claimLease time.Duration
	maxWindow                   time.Duration
	readAuth                    readAuthFlags
	browseTTL                   time.Duration
	export                      exportFlags

	// Timing sanity and caps (issues 8, 9).
	maxAhead                              time.Duration
	maxChannels, maxTracks, maxMPDVersion int

	// Hostile and broken clients (issue 9).
	readHeaderTimeout, idleTimeout, writeTimeout time.Duration
	bodyMinRate                                  byteSize
	bodyWindow, bodyStall                        time.Duration
	maxConns                                     int
	ingestMemory                                 byteSize
	metricsToken                                 string
	maxMetricChannels, maxMetricTracks           int
	readyzInterval, storeTimeout                 time.Duration
	archiveWindow                                time.Duration
	pprof                                        string
	finalizeRate                                 byteSize
	finalizeSpread, storeAttempt                 time.Duration
}

func parseServeFlags(args []string, stderr io.Writer) (*serveFlags, *flag.FlagSet, error) {
	f := &serveFlags{bodyMinRate: netguard.DefaultMinRate, ingestMemory: archive.DefaultIngestMemory}
	fs := flag.NewFlagSet("reapd serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "HTTP listen address for ingest, catch-up, API, /metrics")
	fs.StringVar(&f.store, "store", "file://./data", "object store URL: file://DIR, s3://BUCKET?…, gs://BUCKET, mem://")
	fs.StringVar(&f.config, "config", "", "optional YAML configuration file (channels, credentials, defaults)")
	fs.StringVar(&f.sts, "sts", "", "default STS for channels: seconds added to input times, or 'auto'")
	fs.StringVar(&f.segDur, "segment-duration", "", "default segment duration D (e.g. 2s, 1.92, 2002/1000); default from I-MPD or inferred")
	fs.DurationVar(&f.storagePeriod, "storage-period", 0, "default storage period S (a multiple of D); default 1h when possible")
	fs.DurationVar(&f.finalize, "finalize-delay", 0, "grace delay after a period's end before finalizing it; default 3·D")
	fs.BoolVar(&f.noAutoCreate, "no-auto-create", false, "reject ingest for channels not in the config file (403)")
	fs.Int64Var(&f.maxSegment, "max-segment-bytes", 64<<20, "largest accepted CMAF header or segment (413 above)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	f.export.register(fs)
	fs.DurationVar(&f.claimLease, "claim-lease", 2*time.Minute, "how long another archiver's claim on a period it finalizes is respected (shared buckets)")
	fs.DurationVar(&f.maxWindow, "catchup-max-window", 24*time.Hour, "longest catch-up window a manifest may cover (400 above)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for requests in flight")
	fs.DurationVar(&f.browseTTL, "browse-cache-ttl", 5*time.Second, "how stale GET /api/channels may be (one refresh per TTL serves every client)")
	f.readAuth.register(fs)
	fs.DurationVar(&f.maxAhead, "max-ahead", 5*time.Minute, "how far ahead of this machine's clock a segment may start (400 beyond; older media is always taken; negative: no limit)")
	fs.IntVar(&f.maxChannels, "max-channels", 1000, "most channels this archiver takes (403 for new ones beyond; channels already in the store are resumed)")
	fs.IntVar(&f.maxTracks, "max-tracks", 64, "most tracks per channel (403 for new ones beyond)")
	fs.IntVar(&f.maxMPDVersion, "max-mpd-versions", 500, "most I-MPD versions stored per channel (429 beyond; an unchanged I-MPD stores none)")

	fs.DurationVar(&f.readHeaderTimeout, "read-header-timeout", 10*time.Second, "longest a client may take to send a request's headers")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&f.writeTimeout, "write-timeout", netguard.DefaultWriteTimeout, "longest one write of a response may block: a client that stops reading is disconnected (moved at every write; 0: none)")
	fs.Var(&f.bodyMinRate, "body-min-rate", "slowest a request body may arrive, bytes/s averaged over --body-rate-window (inside a box, for media); slower bodies are cut with 408 (0: no minimum)")
	fs.DurationVar(&f.bodyWindow, "body-rate-window", netguard.DefaultRateWindow, "window over which --body-min-rate is averaged, and the grace a new body has before its first byte")
	fs.DurationVar(&f.bodyStall, "body-stall-timeout", netguard.DefaultStallTimeout, "longest a media body may pause between two boxes (a sparse track's fragments), and any body may send nothing when --body-min-rate is 0")
	fs.IntVar(&f.maxConns, "max-connections", 4096, "most connections open at once; more are answered 503 with Retry-After (0: no cap)")
	fs.Var(&f.ingestMemory, "ingest-memory", "budget for ingest bytes in flight (read, not yet staged), all requests together; over it new ingest is answered 503 with Retry-After")
	fs.StringVar(&f.metricsToken, "metrics-token", "", "bearer token that GET /metrics requires (Authorization: Bearer …); also metricsToken in the config file, which keeps it out of ps")
	fs.IntVar(&f.maxMetricChannels, "max-metric-channels", archive.DefaultMaxMetricChannels, "distinct channel label values in /metrics; the samples of further channels are counted under channel=\"_other\"")
	fs.IntVar(&f.maxMetricTracks, "max-metric-tracks", archive.DefaultMaxMetricTracks, "distinct track label values per channel in /metrics; further tracks are counted under track=\"_other\"")
	fs.DurationVar(&f.storeTimeout, "store-timeout", 20*time.Second, "longest an ingest request may wait on the store at a stretch (503 after); a long-running POST may last for ever")
	fs.DurationVar(&f.readyzInterval, "readyz-interval", 5*time.Second, "how often /readyz writes its canary object to the store (results in between are cached)")
	fs.DurationVar(&f.archiveWindow, "archive-window", archive.DefaultArchiveWindow, "how far back from the newest storage period {channel}/archive.mpd reaches; older periods are in the day S-MPDs {channel}/archive/{date}.mpd (negative: the whole archive, whose publish cost grows with its age)")
	fs.Var(&f.finalizeRate, "finalize-rate", "most bytes per second the finalizer reads staged segments back (e.g. 64MiB); default 1.5x the rate ingest stages, at least 16MiB")
	fs.DurationVar(&f.finalizeSpread, "finalize-spread", 5*time.Minute, "spread the channels' finalizing of a period over this window after its end (at most a tenth of the period; 0: all at once)")
	fs.DurationVar(&f.storeAttempt, "store-attempt-timeout", 2*time.Second, "longest one try of an ingest store write may take (plus its size at 8 MiB/s) while the store answers nothing else: a store that hangs is answered 503 with Retry-After after it; while it answers other operations (a busy disk) a try may take 5 times as long (negative: none)")
	fs.StringVar(&f.pprof, "pprof", "", "serve net/http/pprof on this address, a listener of its own (e.g. 127.0.0.1:6060); default none")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reapd serve [flags]\n\nReceives DASH-IF live ingest under /ingest/{channel}/, archives it, and serves\nthe web page (/), catch-up (/catchup/{channel}/manifest.mpd|master.m3u8|clip.mp4\n?start=&end=), the browse API (/api/channels…), recordings (/api/recordings),\nholds (/api/holds), export jobs (/api/exports), /metrics, /healthz and /readyz.\nRecording schedules and retention are set per channel in the --config file.\n\nSizes take a unit: 512MiB, 1KiB, 64MB (or plain bytes).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	if fs.NArg() > 0 {
		return nil, fs, fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	return f, fs, nil
}

// byteSize is a size flag: a number of bytes with an optional unit (B, KB,
// MB, GB, KiB, MiB, GiB).
type byteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

func (b *byteSize) Set(s string) error {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || (mult > 1 && n > (1<<63-1)/mult) {
		return fmt.Errorf("bad size %q: want bytes, or a number with KiB, MiB, GiB, KB, MB or GB", s)
	}
	*b = byteSize(n * mult)
	return nil
}

func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range sizeUnits[:3] {
		if m := u.mult; n >= m && n%m == 0 && (n/m < 1024 || u.suffix == "GiB") {
			return strconv.FormatInt(n/m, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
