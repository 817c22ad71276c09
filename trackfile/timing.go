package trackfile

import (
	"encoding/json"
	"fmt"
)

// ChannelTiming is a channel's timing model (REaP 5.3: the segment
// duration D and the STS; the reapd storage period N and grid phase), stored by the
// archiver under TimingKey so that readers of the store (catch-up, other
// tools) can place staged segments that no period index describes yet.
type ChannelTiming struct {
	SegmentDuration Rational `json:"segmentDuration"`
	PeriodSegments  int64    `json:"periodSegments"`
	STS             Rational `json:"sts"`             // seconds; Num may be negative
	Phase           Rational `json:"phase,omitempty"` // grid phase in seconds (Grid.Phase)
}

// TimingKey is the key of a channel's ChannelTiming. It is a derived
// object: rewritten when the archiver's view changes.
func TimingKey(channel string) string { return channel + "/state/timing.json" }

// MarshalTiming encodes a ChannelTiming.
func MarshalTiming(t ChannelTiming) ([]byte, error) { return json.Marshal(t) }

// UnmarshalTiming decodes and checks a ChannelTiming.
func UnmarshalTiming(b []byte) (ChannelTiming, error) {
	var t ChannelTiming
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("%w: channel timing: %v", ErrMalformed, err)
	}
	if t.SegmentDuration.IsZero() || t.PeriodSegments <= 0 {
		return t, fmt.Errorf("%w: channel timing without segment duration or period", ErrMalformed)
	}
	return t, nil
}

// Grid returns the channel's segment grid.
func (t ChannelTiming) Grid() Grid {
	return Grid{D: t.SegmentDuration, N: t.PeriodSegments, Phase: t.Phase}
}
