package recording

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// States of a recording.
const (
	StateWaiting  = "waiting"  // the archive has not reached the window's end yet
	StateComplete = "complete" // the recording S-MPD is written
	StateFailed   = "failed"   // the archive passed the window's end with no media in it
)

// Request asks for a recording of Channel over [Start, End), named Name.
type Request struct {
	Channel  string
	Name     string
	Start    time.Time
	End      time.Time
	Schedule string // the schedule that made it, if any (informative)
}

// Recording is a recording as the API shows it (design section 5).
type Recording struct {
	Channel   string    `json:"channel"`
	Name      string    `json:"name"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	State     string    `json:"state"`
	URL       string    `json:"url"`     // where the S-MPD is: its store key, or an HTTP URL (Options.URL)
	MPDKey    string    `json:"mpd_key"` // {channel}/recordings/{name}.mpd
	DurationS float64   `json:"duration_s"`
	Gaps      []Gap     `json:"gaps"`
	Error     string    `json:"error,omitempty"`
	Schedule  string    `json:"schedule,omitempty"`
}

// Gap is a stretch of the window without media (in all tracks, or in the
// track the reason names).
type Gap struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason"`
}

// record is the write-once request object {channel}/recordings/{name}.json.
// It holds nothing an instance adds (no creation time), so that two
// instances creating the same scheduled recording write the same bytes.
type record struct {
	Version  int       `json:"version"` // 1
	Channel  string    `json:"channel"`
	Name     string    `json:"name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Schedule string    `json:"schedule,omitempty"`
}

// result is the write-once outcome object {channel}/recordings/{name}.result,
// written before the S-MPD. It names the window it was made for, so that a
// result left by a deleted recording of the same name is never taken for
// the new one's.
type result struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	State  string    `json:"state"` // StateComplete or StateFailed
	Gaps   []Gap     `json:"gaps,omitempty"`
	Error  string    `json:"error,omitempty"`
	Ingest string    `json:"ingest,omitempty"` // key of the I-MPD the S-MPD was made from
}

func (r *result) matches(rec *record) bool { return r.Start.Equal(rec.Start) && r.End.Equal(rec.End) }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)

// CheckName validates a recording name: 1 to 128 of [A-Za-z0-9._-], not
// starting with '.'.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return badRequest("recording name %q: want 1 to 128 of A-Z a-z 0-9 . _ - not starting with '.'", name)
	}
	return nil
}

// Keys of a recording's objects.
func prefix(channel string) string          { return channel + "/recordings/" }
func recordKey(channel, name string) string { return prefix(channel) + name + ".json" }
func resultKey(channel, name string) string { return prefix(channel) + name + ".result" }
func mpdKey(channel, name string) string    { return trackfile.RecordingKey(channel, name) }
func marshal(v any) ([]byte, error)         { return json.MarshalIndent(v, "", "  ") }
func unmarshal(b []byte, v any, key string) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("recording object %s: %w", key, err)
	}
	return nil
}

// check validates a request and normalizes its times (UTC, ms).
func (q *Request) check(maxDuration time.Duration) error {
	if err := trackfile.CheckName(q.Channel); err != nil {
		return fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	if err := CheckName(q.Name); err != nil {
		return err
	}
	q.Start, q.End = q.Start.UTC().Truncate(time.Millisecond), q.End.UTC().Truncate(time.Millisecond)
	switch {
	case q.Start.IsZero() || q.End.IsZero():
		return badRequest("start and end are required")
	case !q.End.After(q.Start):
		return badRequest("end %s is not after start %s", q.End.Format(time.RFC3339Nano), q.Start.Format(time.RFC3339Nano))
	case maxDuration > 0 && q.End.Sub(q.Start) > maxDuration:
		return badRequest("window of %v is longer than %v", q.End.Sub(q.Start), maxDuration)
	}
	return nil
}

// parseKey splits a key under {channel}/recordings/ into the name and the
// kind of object (".json", ".result", ".mpd"); ok false for other keys.
func parseKey(channel, key string) (name, kind string, ok bool) {
	base, found := strings.CutPrefix(key, prefix(channel))
	if !found || strings.Contains(base, "/") {
		return "", "", false
	}
	for _, k := range []string{".json", ".result", ".mpd"} {
		if n, cut := strings.CutSuffix(base, k); cut && CheckName(n) == nil {
			return n, k, true
		}
	}
	return "", "", false
}
