package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/recording"
	"github.com/reapd/reapd/trackfile"
)

// fileConfig is the optional YAML configuration file (--config). Flags
// given on the command line override its top-level settings.
type fileConfig struct {
	Listen     string `yaml:"listen"`
	Store      string `yaml:"store"`
	AutoCreate *bool  `yaml:"autoCreate"`
	// MetricsToken is the bearer token GET /metrics requires (as
	// --metrics-token, which a command line shows in ps).
	MetricsToken string                   `yaml:"metricsToken"`
	Defaults     channelConfig            `yaml:"defaults"`
	Channels     map[string]channelConfig `yaml:"channels"`
	// ReadTokens and URLSigningKeys lock the read side (see
	// --read-token, --url-signing-key); flags add to them.
	ReadTokens     []string `yaml:"readTokens"`
	URLSigningKeys []string `yaml:"urlSigningKeys"`
}

// channelConfig is one channel's settings in the YAML file.
type channelConfig struct {
	STS             string               `yaml:"sts"`             // auto, seconds, or num/den
	SegmentDuration string               `yaml:"segmentDuration"` // 2s, 1.92, 2002/1000
	StoragePeriod   string               `yaml:"storagePeriod"`   // 1h
	FinalizeDelay   string               `yaml:"finalizeDelay"`   // 6s
	Credentials     []archive.Credential `yaml:"credentials"`
	// Recordings are the channel's scheduled recordings; those of
	// defaults apply to every channel of the channels list.
	Recordings []scheduleConfig `yaml:"recordings"`
}

// scheduleConfig is a scheduled recording in the YAML file, e.g.
// {name: "news-{2006-01-02}", cron: "0 18 * * *", timezone: Europe/Paris, duration: 30m}
// (see recording.Schedule: 5 fields, or 6 with seconds first).
type scheduleConfig struct {
	Name     string `yaml:"name"`
	Cron     string `yaml:"cron"`
	TimeZone string `yaml:"timezone"`
	Duration string `yaml:"duration"`
}

// schedules returns the scheduled recordings of the configured channels.
func (fc *fileConfig) schedules() ([]recording.Schedule, error) {
	var out []recording.Schedule
	for _, ch := range slices.Sorted(maps.Keys(fc.Channels)) {
		for _, sc := range slices.Concat(fc.Defaults.Recordings, fc.Channels[ch].Recordings) {
			d, err := time.ParseDuration(sc.Duration)
			if err != nil {
				return nil, fmt.Errorf("config channel %s: recording %q: duration: %w", ch, sc.Name, err)
			}
			out = append(out, recording.Schedule{Channel: ch, Name: sc.Name, Cron: sc.Cron, TimeZone: sc.TimeZone, Duration: d})
		}
	}
	return out, nil
}

func loadConfig(path string) (*fileConfig, error) {
	var fc fileConfig
	if path == "" {
		return &fc, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := yaml.Unmarshal(raw, &fc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return &fc, nil
}

// toArchive converts a channel's YAML settings, falling back to base for
// what it leaves empty.
func (cc channelConfig) toArchive(base archive.ChannelConfig) (archive.ChannelConfig, error) {
	out := base
	var err error
	if cc.STS != "" {
		if out.STS, err = archive.ParseSTS(cc.STS); err != nil {
			return out, err
		}
	}
	if cc.SegmentDuration != "" {
		if out.SegmentDuration, err = trackfile.ParseRational(cc.SegmentDuration); err != nil {
			return out, fmt.Errorf("segmentDuration: %w", err)
		}
	}
	if cc.StoragePeriod != "" {
		if out.StoragePeriod, err = time.ParseDuration(cc.StoragePeriod); err != nil {
			return out, fmt.Errorf("storagePeriod: %w", err)
		}
	}
	if cc.FinalizeDelay != "" {
		if out.FinalizeDelay, err = time.ParseDuration(cc.FinalizeDelay); err != nil {
			return out, fmt.Errorf("finalizeDelay: %w", err)
		}
	}
	if len(cc.Credentials) > 0 {
		out.Credentials = cc.Credentials
	}
	if !out.SegmentDuration.IsZero() && out.StoragePeriod > 0 {
		// Decided at start-up, not by a 5xx on the first segment.
		if _, err := trackfile.PeriodSegments(out.StoragePeriod, out.SegmentDuration); err != nil {
			return out, err
		}
	}
	return out, nil
}
