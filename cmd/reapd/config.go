package main

import (
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/reapd/reapd/archive"
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
	Retention       *retentionConfig     `yaml:"retention"` // see retention.go
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
