package archive

import (
	"maps"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reapd/reapd/trackfile"
)

// OtherLabel is the channel (and track) label value under which the samples
// of channels beyond the label cap are counted (see [MetricsOptions]).
const OtherLabel = "_other"

// labelCap bounds the distinct values of the channel and track labels of
// the archiver's metrics, so that a client inventing channel or track names
// cannot grow /metrics without bound: the first MaxChannels channels (and,
// per channel, the first MaxTracks tracks) seen keep their names, later
// ones are counted as OtherLabel. Channels named up front (configured ones)
// always keep theirs. Names that are not valid channel or track names are
// OtherLabel too.
type labelCap struct {
	maxChannels, maxTracks int

	mu       sync.Mutex
	channels map[string]map[string]bool // admitted channel → admitted tracks
	counted  int                        // admitted channels that count toward maxChannels
}

func newLabelCap(maxChannels, maxTracks int, reserved []string) *labelCap {
	l := &labelCap{maxChannels: maxChannels, maxTracks: maxTracks, channels: map[string]map[string]bool{}}
	for _, c := range reserved {
		if trackfile.CheckName(c) == nil {
			l.channels[c] = map[string]bool{}
		}
	}
	return l
}

// values returns lvs with the channel label (at index ch) and the track
// label (at index tr; -1: none) replaced as the cap requires. lvs is not
// modified.
func (l *labelCap) values(ch, tr int, lvs []string) []string {
	if ch < 0 || ch >= len(lvs) {
		return lvs
	}
	out := append([]string(nil), lvs...)
	track := ""
	if tr >= 0 && tr < len(lvs) {
		track = lvs[tr]
	}
	out[ch], track = l.admit(lvs[ch], track, tr >= 0 && tr < len(lvs))
	if tr >= 0 && tr < len(lvs) {
		out[tr] = track
	}
	return out
}

// admit returns the label values to use for channel and track.
func (l *labelCap) admit(channel, track string, hasTrack bool) (string, string) {
	if channel == "" { // requests refused before a channel was named
		return "", track
	}
	if trackfile.CheckName(channel) != nil {
		return OtherLabel, OtherLabel
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tracks, ok := l.channels[channel]
	if !ok {
		if l.counted >= l.maxChannels {
			return OtherLabel, OtherLabel
		}
		tracks = map[string]bool{}
		l.channels[channel] = tracks
		l.counted++
	}
	if !hasTrack || tracks[track] {
		return channel, track
	}
	if trackfile.CheckName(track) != nil || len(tracks) >= l.maxTracks {
		return channel, OtherLabel
	}
	tracks[track] = true
	return channel, track
}

// CounterVec is a prometheus.CounterVec whose channel and track labels are
// capped (see [MetricsOptions]). Use it as the CounterVec it embeds.
type CounterVec struct {
	*prometheus.CounterVec
	cap    *labelCap
	ch, tr int // indexes of the channel and track labels; -1: none
}

// WithLabelValues is prometheus.CounterVec.WithLabelValues with the label
// cap applied.
func (v *CounterVec) WithLabelValues(lvs ...string) prometheus.Counter {
	return v.CounterVec.WithLabelValues(v.cap.values(v.ch, v.tr, lvs)...)
}

// With is prometheus.CounterVec.With with the label cap applied.
func (v *CounterVec) With(labels prometheus.Labels) prometheus.Counter {
	return v.CounterVec.With(capLabels(v.cap, labels))
}

// HistogramVec is a prometheus.HistogramVec whose channel label is capped
// (see [MetricsOptions]). Use it as the HistogramVec it embeds.
type HistogramVec struct {
	*prometheus.HistogramVec
	cap    *labelCap
	ch, tr int
}

// WithLabelValues is prometheus.HistogramVec.WithLabelValues with the label
// cap applied.
func (v *HistogramVec) WithLabelValues(lvs ...string) prometheus.Observer {
	return v.HistogramVec.WithLabelValues(v.cap.values(v.ch, v.tr, lvs)...)
}

// With is prometheus.HistogramVec.With with the label cap applied.
func (v *HistogramVec) With(labels prometheus.Labels) prometheus.Observer {
	return v.HistogramVec.With(capLabels(v.cap, labels))
}

// capLabels returns a copy of labels with the cap applied.
func capLabels(l *labelCap, labels prometheus.Labels) prometheus.Labels {
	ch, ok := labels["channel"]
	if !ok {
		return labels
	}
	out := maps.Clone(labels)
	tr, hasTrack := labels["track"]
	out["channel"], tr = l.admit(ch, tr, hasTrack)
	if hasTrack {
		out["track"] = tr
	}
	return out
}

// counter creates a capped CounterVec.
func (l *labelCap) counter(opts prometheus.CounterOpts, labels ...string) *CounterVec {
	return &CounterVec{CounterVec: prometheus.NewCounterVec(opts, labels), cap: l,
		ch: indexOf(labels, "channel"), tr: indexOf(labels, "track")}
}

// histogram creates a capped HistogramVec.
func (l *labelCap) histogram(opts prometheus.HistogramOpts, labels ...string) *HistogramVec {
	return &HistogramVec{HistogramVec: prometheus.NewHistogramVec(opts, labels), cap: l,
		ch: indexOf(labels, "channel"), tr: indexOf(labels, "track")}
}

func indexOf(labels []string, name string) int {
	for i, l := range labels {
		if l == name {
			return i
		}
	}
	return -1
}
