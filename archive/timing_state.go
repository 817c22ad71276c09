package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Decision is one write-once timing decision of a channel, as stored under
// {channel}/state/: its value and where it came from.
type Decision struct {
	Name  string             `json:"name"` // grid (D), phase, sts
	Value trackfile.Rational `json:"value"`
	From  string             `json:"from"`
}

// learnedDecisions are the decisions that segments taught an archiver
// (the STS is not one of them: it changes the times media is filed under).
var learnedDecisions = []string{"grid", "phase"}

// Decisions returns the stored timing decisions of a channel (missing ones
// are left out).
func Decisions(ctx context.Context, store *blobstore.Store, channel string) ([]Decision, error) {
	if err := trackfile.CheckName(channel); err != nil {
		return nil, err
	}
	var out []Decision
	for _, name := range []string{"grid", "phase", "sts"} {
		raw, err := store.Get(ctx, trackfile.StateKey(channel, name))
		if errors.Is(err, blobstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var v struct {
			SegmentDuration, Phase, STS trackfile.Rational
			From                        string
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%s state %s: %w", channel, name, err)
		}
		d := Decision{Name: name, From: v.From}
		switch name {
		case "grid":
			d.Value = v.SegmentDuration
		case "phase":
			d.Value = v.Phase
		case "sts":
			d.Value = v.STS
		}
		out = append(out, d)
	}
	return out, nil
}

// ResetLearned deletes the segment duration and grid phase that archivers
// learned for a channel from its segments, so that they are learned again
// (or taken from the configuration) when the archivers restart. Nothing
// archived changes: a segment's identity is its time, so periods archived
// before keep their grid and new ones follow the new decision.
func ResetLearned(ctx context.Context, store *blobstore.Store, channel string) error {
	if err := trackfile.CheckName(channel); err != nil {
		return err
	}
	for _, name := range learnedDecisions {
		if err := store.Delete(ctx, trackfile.StateKey(channel, name)); err != nil && !errors.Is(err, blobstore.ErrNotFound) {
			return err
		}
	}
	return nil
}
