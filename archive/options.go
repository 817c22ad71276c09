package archive

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// Options configures an Archiver; nil means defaults.
type Options struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// Channels holds per-channel settings; channels not listed use Defaults.
	Channels map[string]ChannelConfig
	Defaults ChannelConfig
	// NoAutoCreate rejects ingest for channels not in Channels with 403.
	NoAutoCreate bool
	// MaxSegmentBytes bounds one CMAF header or media segment (413 above);
	// default 64 MiB.
	MaxSegmentBytes int64
	// MaxMPDBytes bounds an I-MPD body; default 1 MiB.
	MaxMPDBytes int64
	// RetryAfter is sent with 503 when the store fails; default 2 s.
	RetryAfter time.Duration
	// Now is the wall clock (tests); default time.Now.
	Now func() time.Time
	// OnFinalize, when set, is called after a storage period of a channel
	// was finalized (the read side drops its cached time index).
	OnFinalize func(channel string, k int64)
	// ClaimLease is how long another archiver's claim on a period it is
	// finalizing is respected before this one takes over; default 2 min.
	ClaimLease time.Duration
	// StoreTimeout bounds the time an ingest request spends on the store
	// (and on what it read) at a stretch, between reads of its body — not
	// the request, so a long-running Streams() POST may last for ever;
	// default 20 s (a live encoder's retry is worth more than a long wait
	// on a store that hangs).
	StoreTimeout time.Duration
	// StoreAttemptTimeout bounds one attempt of an ingest request's store
	// write (plus its size at blobstore.AttemptMinRate): a store that
	// hangs, rather than refusing, is answered 503 with Retry-After within
	// about this long instead of holding the encoder for StoreTimeout.
	// Default 2 s; negative: none.
	StoreAttemptTimeout time.Duration
	// IngestMemory is the process-wide budget for ingest bytes in flight:
	// the memory of request bodies read and not yet staged (a byte read
	// counts twice: the box reader's buffer grows by doubling). A request
	// that would pass it is refused with 503 and Retry-After (a new one
	// before its body is read), never buffered. Default DefaultIngestMemory;
	// at least IngestMemoryFor(MaxSegmentBytes) to accept the largest
	// segments.
	IngestMemory int64
	// FinalizeTick is how often the finalizer checks pending periods;
	// default 500 ms. RescanInterval is how often it rescans the store for
	// staged segments it does not know of; default 5 min.
	FinalizeTick, RescanInterval time.Duration
	// MaxAhead is how far ahead of the wall clock a segment may start
	// (400 beyond): a copy from a wrong clock would otherwise be filed
	// in the future and win over the real one later. Default 5 min;
	// negative: no limit. Old media (importing a recording) is allowed.
	MaxAhead time.Duration
	// MaxChannels caps the channels an archiver takes (403 beyond, for
	// auto-created and configured ones alike; what the store already
	// holds is resumed regardless); default 1000. MaxTracks caps the
	// tracks of a channel (403); default 64. MaxMPDVersions caps the I-MPD
	// versions stored per channel (429); default 500.
	MaxChannels, MaxTracks, MaxMPDVersions int
	// ArchiveWindow is how far back from its newest storage period the
	// rolling archive S-MPD {channel}/archive.mpd reaches (whole periods);
	// older periods are described by the day S-MPDs
	// {channel}/archive/{date}.mpd. Default DefaultArchiveWindow;
	// negative: the whole archive (a publish then reads every index).
	ArchiveWindow time.Duration
	// FinalizeRate bounds how fast the finalizer reads staged segments
	// back, in bytes per second, so that finalizing every channel's
	// period at once does not take the store from ingest (see
	// finalize_pace.go). 0 (default): 1.5 times the rate ingest staged
	// bytes at lately (smoothed over about 10 s), at least 16 MiB/s; negative: no limit.
	FinalizeRate float64
	// FinalizeSpread spreads the channels' finalizing of a period over a
	// window after its end: each channel's period past its end is due at
	// a stable offset within min(FinalizeSpread, period/10) (one complete
	// before its end, and every period after Shutdown, at once). Default
	// 0: none.
	FinalizeSpread time.Duration

	budget *ingestBudget // set by withDefaults
}

// DefaultIngestMemory is the default of Options.IngestMemory.
const DefaultIngestMemory = 256 << 20

// STS is a channel's synchronization time stamp (REaP 5.3, Annex E).
type STS struct {
	// Auto fixes the STS once, at the channel's first segment, so that the
	// segment lands on the grid at wall-clock time; the choice is stored
	// write-once so restarts and other archivers keep it.
	Auto bool
	// Seconds is the fixed offset added to input times (when !Auto).
	Seconds trackfile.Rational
}

// ParseSTS parses "auto", an integer or decimal number of seconds (possibly
// negative) or "num/den".
func ParseSTS(s string) (STS, error) {
	if s == "auto" {
		return STS{Auto: true}, nil
	}
	if s == "" || s == "0" {
		return STS{}, nil
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	r, err := trackfile.ParseRational(s)
	if err != nil {
		return STS{}, fmt.Errorf("bad sts %q: want auto or seconds", s)
	}
	if neg {
		r.Num = -r.Num
	}
	return STS{Seconds: r}, nil
}

// Credential is one accepted ingest credential: Basic user and password, or
// a bearer token.
type Credential struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	Token    string `yaml:"token"`
}

// ChannelConfig holds a channel's settings. Zero values mean "from the
// I-MPD or inferred" (segment duration), defaults (storage period, finalize
// delay) or "none" (STS, credentials).
type ChannelConfig struct {
	STS             STS
	SegmentDuration trackfile.Rational
	StoragePeriod   time.Duration
	FinalizeDelay   time.Duration
	Credentials     []Credential
}

func (o *Options) withDefaults() Options {
	var x Options
	if o != nil {
		x = *o
	}
	if x.Logger == nil {
		x.Logger = slog.New(slog.DiscardHandler)
	}
	if x.Metrics == nil {
		x.Metrics = NewMetrics(nil)
	}
	if x.MaxSegmentBytes <= 0 {
		x.MaxSegmentBytes = 64 << 20
	}
	if x.MaxMPDBytes <= 0 {
		x.MaxMPDBytes = 1 << 20
	}
	if x.RetryAfter <= 0 {
		x.RetryAfter = 2 * time.Second
	}
	if x.MaxChannels <= 0 {
		x.MaxChannels = 1000
	}
	if x.MaxTracks <= 0 {
		x.MaxTracks = 64
	}
	if x.MaxMPDVersions <= 0 {
		x.MaxMPDVersions = 500
	}
	if x.ArchiveWindow == 0 {
		x.ArchiveWindow = DefaultArchiveWindow
	}
	if x.MaxAhead == 0 {
		x.MaxAhead = 5 * time.Minute
	}
	if x.ClaimLease <= 0 {
		x.ClaimLease = 2 * time.Minute
	}
	if x.StoreTimeout <= 0 {
		x.StoreTimeout = 20 * time.Second
	}
	if x.StoreAttemptTimeout == 0 {
		x.StoreAttemptTimeout = 2 * time.Second
	}
	if x.FinalizeTick <= 0 {
		x.FinalizeTick = 500 * time.Millisecond
	}
	if x.RescanInterval <= 0 {
		x.RescanInterval = 5 * time.Minute
	}
	if x.Now == nil {
		x.Now = time.Now
	}
	if x.IngestMemory <= 0 {
		x.IngestMemory = DefaultIngestMemory
	}
	x.budget = newIngestBudget(x.IngestMemory, x.Metrics.IngestHeld)
	x.Metrics.IngestLimit.Set(float64(x.IngestMemory))
	return x
}
