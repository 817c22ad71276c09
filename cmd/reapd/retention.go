package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reapd/reapd/archive"
	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/catchup"
	"github.com/reapd/reapd/recording"
	"github.com/reapd/reapd/retention"
)

// retentionConfig is a channel's (or the defaults') retention in the YAML
// file: retention: {maxAge: 720h, maxBytes: 500GB, schedule: "@every 10m"}.
type retentionConfig struct {
	MaxAge   string `yaml:"maxAge"`
	MaxBytes string `yaml:"maxBytes"`
	Schedule string `yaml:"schedule"`
}

// policy converts the YAML settings, falling back to base for what they
// leave empty.
func (rc *retentionConfig) policy(base retention.Policy) (retention.Policy, error) {
	if rc == nil {
		return base, nil
	}
	out := base
	if rc.MaxAge != "" {
		d, err := time.ParseDuration(rc.MaxAge)
		if err != nil || d < 0 {
			return out, fmt.Errorf("retention.maxAge %q: want a duration like 720h", rc.MaxAge)
		}
		out.MaxAge = d
	}
	if rc.MaxBytes != "" {
		var b byteSize
		if err := b.Set(rc.MaxBytes); err != nil {
			return out, fmt.Errorf("retention.maxBytes: %w", err)
		}
		out.MaxBytes = int64(b)
	}
	if rc.Schedule != "" {
		out.Schedule = rc.Schedule
	}
	return out, nil
}

// retentionPolicies returns the defaults' and every configured channel's
// policy from the file.
func retentionPolicies(fc *fileConfig) (retention.Policy, map[string]retention.Policy, error) {
	def, err := fc.Defaults.Retention.policy(retention.Policy{})
	if err != nil {
		return def, nil, fmt.Errorf("config defaults: %w", err)
	}
	chans := map[string]retention.Policy{}
	for name, cc := range fc.Channels {
		if chans[name], err = cc.Retention.policy(def); err != nil {
			return def, nil, fmt.Errorf("config channel %s: %w", name, err)
		}
	}
	return def, chans, nil
}

// startRetention starts the scheduled retention runs of the file's
// policies, republishing through the archiver and invalidating catch-up.
func startRetention(ctx context.Context, store *blobstore.Store, fc *fileConfig, arch *archive.Archiver,
	cu *catchup.Server, reg prometheus.Registerer, log *slog.Logger) (*retention.Retention, error) {
	def, chans, err := retentionPolicies(fc)
	if err != nil {
		return nil, err
	}
	r := retention.New(store, &retention.Options{Logger: log.With("component", "retention"),
		Metrics: retention.NewMetrics(reg), Defaults: def, Channels: chans,
		Keep: recordingWindows(store), Publish: arch.Republish, OnDelete: cu.Invalidate})
	return r, r.Start(ctx)
}

// recordingWindows is retention's Keep: every recording's window.
func recordingWindows(store *blobstore.Store) func(context.Context, string) ([]retention.Window, error) {
	return func(ctx context.Context, channel string) ([]retention.Window, error) {
		ws, err := recording.Windows(ctx, store, channel)
		out := make([]retention.Window, len(ws))
		for i, w := range ws {
			out[i] = retention.Window(w)
		}
		return out, err
	}
}

// retentionCmd is "reapd retention": one retention run now, or with
// --dry-run the list of what would go.
func retentionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reapd retention", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", "file://./data", "store URL (as for serve)")
	channel := fs.String("channel", "", "only this channel (default: every channel in the store)")
	config := fs.String("config", "", "YAML configuration file whose retention settings apply (flags override them)")
	maxAge := fs.Duration("max-age", 0, "delete storage periods that ended longer ago than this (e.g. 720h)")
	var maxBytes byteSize
	fs.Var(&maxBytes, "max-bytes", "then delete the oldest periods while a channel holds more than this (e.g. 500GB)")
	dryRun := fs.Bool("dry-run", false, "list what would be deleted; delete nothing")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reapd retention --store URL [--channel C] [--max-age D] [--max-bytes N] [--dry-run]\n\n"+
			"Deletes whole storage periods, oldest first: those that ended more than --max-age ago, then the\n"+
			"oldest while a channel holds more than --max-bytes. Periods overlapping a hold (POST /api/holds)\n"+
			"are kept, as are the newest period and the open one. Index objects go first, then the archive\n"+
			"S-MPDs are republished, then the track files, so no reader meets a dangling reference; a run cut\n"+
			"short is finished by the next. Periods overlapping a recording's window are kept.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("retention: unexpected arguments %q", fs.Args())
	}
	fc, err := loadConfig(*config)
	if err != nil {
		return err
	}
	def, chans, err := retentionPolicies(fc)
	if err != nil {
		return err
	}
	override := func(p retention.Policy) retention.Policy {
		if *maxAge > 0 {
			p.MaxAge = *maxAge
		}
		if maxBytes > 0 {
			p.MaxBytes = int64(maxBytes)
		}
		return p
	}
	def = override(def)
	for name, p := range chans {
		chans[name] = override(p)
	}
	st, err := blobstore.Open(ctx, *storeURL, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	channels := []string{*channel}
	if *channel == "" {
		if channels, err = retention.Channels(ctx, st); err != nil {
			return err
		}
	}
	arch := archive.New(st, nil)
	r := retention.New(st, &retention.Options{Defaults: def, Channels: chans, Keep: recordingWindows(st), Publish: arch.Republish})
	verb := "deleted"
	if *dryRun {
		verb = "would delete"
	}
	for _, ch := range channels {
		pl, err := r.Run(ctx, ch, *dryRun)
		var freed int64
		for _, p := range pl.Delete {
			freed += p.Bytes
			fmt.Fprintf(stdout, "%s %s period %d %s – %s %d bytes (%s)\n", verb, ch, p.K,
				p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), p.Bytes, p.Reason)
		}
		if err != nil {
			return fmt.Errorf("retention %s: %w", ch, err)
		}
		fmt.Fprintf(stdout, "%s: %s %d periods, %d of %d bytes; %d kept by holds or recordings\n",
			ch, verb, len(pl.Delete), freed, pl.Total, pl.Kept)
	}
	return nil
}
