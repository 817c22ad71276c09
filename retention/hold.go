package retention

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

// Hold keeps the storage periods overlapping [From, To) of a channel from
// retention, whatever its age or the channel's size, until it is deleted.
// It is stored write-once as JSON under HoldKey.
type Hold struct {
	ID      string    `json:"id"`
	Channel string    `json:"channel"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Reason  string    `json:"reason"`
	Created time.Time `json:"created"`
}

// Window is a span of wall-clock time whose storage periods a retention
// run keeps (a hold, a recording window). Its shape is that of
// recording.Window, so that cmd can pass recording windows to Options.Keep.
type Window struct {
	From, To time.Time
	Reason   string
}

// maxReason bounds a hold's reason.
const maxReason = 1024

var idRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// checkHoldID validates a hold id (16 lower-case hex digits).
func checkHoldID(id string) error {
	if !idRE.MatchString(id) {
		return badRequest("hold id %q: want 16 hex digits", id)
	}
	return nil
}

// CreateHold validates h, gives it a new id and creation time and stores
// it write-once. From and To are truncated to the millisecond.
func CreateHold(ctx context.Context, store *blobstore.Store, h Hold, now time.Time) (Hold, error) {
	if err := trackfile.CheckName(h.Channel); err != nil {
		return Hold{}, fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	h.From, h.To = h.From.UTC().Truncate(time.Millisecond), h.To.UTC().Truncate(time.Millisecond)
	if h.From.IsZero() || h.To.IsZero() || !h.From.Before(h.To) {
		return Hold{}, badRequest("a hold needs from before to")
	}
	if len(h.Reason) > maxReason {
		return Hold{}, badRequest("reason longer than %d bytes", maxReason)
	}
	h.Created = now.UTC().Truncate(time.Millisecond)
	for range 3 { // a collision of 64 random bits is retried, not overwritten
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return Hold{}, err
		}
		h.ID = hex.EncodeToString(b[:])
		raw, err := json.Marshal(h)
		if err != nil {
			return Hold{}, err
		}
		err = store.Create(ctx, trackfile.HoldKey(h.Channel, h.ID), raw)
		if errors.Is(err, blobstore.ErrExists) {
			continue
		}
		if err != nil {
			return Hold{}, fmt.Errorf("create hold: %w", err)
		}
		return h, nil
	}
	return Hold{}, errors.New("create hold: no free id")
}

// GetHold reads one hold; ErrNotFound if there is none.
func GetHold(ctx context.Context, store *blobstore.Store, channel, id string) (Hold, error) {
	if err := trackfile.CheckName(channel); err != nil {
		return Hold{}, fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	if err := checkHoldID(id); err != nil {
		return Hold{}, err
	}
	raw, err := store.Get(ctx, trackfile.HoldKey(channel, id))
	if errors.Is(err, blobstore.ErrNotFound) {
		return Hold{}, fmt.Errorf("%w: hold %s/%s", ErrNotFound, channel, id)
	}
	if err != nil {
		return Hold{}, err
	}
	var h Hold
	if err := json.Unmarshal(raw, &h); err != nil {
		return Hold{}, fmt.Errorf("hold %s/%s: %w", channel, id, err)
	}
	return h, nil
}

// DeleteHold removes a hold; ErrNotFound if there is none.
func DeleteHold(ctx context.Context, store *blobstore.Store, channel, id string) error {
	if _, err := GetHold(ctx, store, channel, id); err != nil {
		return err
	}
	return store.Delete(ctx, trackfile.HoldKey(channel, id))
}

// ListHolds returns the holds of a channel, or of every channel when
// channel is "", sorted by channel, from and id. An unreadable hold
// object fails the listing: retention must not run without knowing what
// to keep.
func ListHolds(ctx context.Context, store *blobstore.Store, channel string) ([]Hold, error) {
	channels := []string{channel}
	if channel == "" {
		var err error
		if channels, err = Channels(ctx, store); err != nil {
			return nil, err
		}
	} else if err := trackfile.CheckName(channel); err != nil {
		return nil, fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	out := []Hold{}
	for _, ch := range channels {
		objs, err := store.List(ctx, trackfile.HoldPrefix(ch))
		if err != nil {
			return nil, fmt.Errorf("list holds of %s: %w", ch, err)
		}
		for _, o := range objs {
			id, ok := strings.CutSuffix(path.Base(o.Key), ".json")
			if !ok || checkHoldID(id) != nil {
				continue
			}
			h, err := GetHold(ctx, store, ch, id)
			if errors.Is(err, ErrNotFound) { // deleted since the listing
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Hold) int {
		return cmp.Or(cmp.Compare(a.Channel, b.Channel), a.From.Compare(b.From), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// holdWindows returns a channel's holds as windows to keep.
func holdWindows(ctx context.Context, store *blobstore.Store, channel string) ([]Window, error) {
	hs, err := ListHolds(ctx, store, channel)
	if err != nil {
		return nil, err
	}
	ws := make([]Window, len(hs))
	for i, h := range hs {
		ws[i] = Window{From: h.From, To: h.To, Reason: "hold " + h.ID + " " + h.Reason}
	}
	return ws, nil
}

// Channels lists the channels the store holds (its top-level directories
// with a valid channel name).
func Channels(ctx context.Context, store *blobstore.Store) ([]string, error) {
	dirs, err := store.ListDirs(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	var out []string
	for _, d := range dirs {
		name := strings.TrimSuffix(d, "/")
		if trackfile.CheckName(name) == nil {
			out = append(out, name)
		}
	}
	return out, nil
}
