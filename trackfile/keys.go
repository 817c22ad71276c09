package trackfile

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Storage keys of clause 9.2.2 (storage track identifiers), as fixed by the
// reapd design (section 4). Every key is relative to the store's root.

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._~-]{0,127}$`)

// ErrBadName is returned for channel or track names that are not safe
// storage key segments.
var ErrBadName = errors.New("trackfile: bad name")

// CheckName validates a channel or track name: 1 to 128 characters of
// letters, digits, '.', '_', '-' and '~' (the separator of a nested track
// path, see TrackNameFromPath), not starting with '.', '-' or '~', and not
// one of the reserved names (store directories and HTTP route names).
func CheckName(name string) error {
	if !nameRE.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	switch name {
	case "index", "ingest", "recordings", "live", "archive.mpd", "archive", "holds", "retention", "state",
		"catchup", "api", "metrics", "healthz", "readyz", "init", "seg", "hls", "exports", "ui":
		return fmt.Errorf("%w: %q is reserved", ErrBadName, name)
	}
	return nil
}

// TrackNameFromPath returns the storage name of a track that an encoder
// names by a nested path ("video/avc1", "audio/en/ac-4/1", as livesim2
// does): its elements joined by '~' ("video~avc1"). The mapping is
// reversible (TrackPath) because no element may contain '~'.
func TrackNameFromPath(p string) (string, error) {
	parts := strings.Split(p, "/")
	for _, e := range parts {
		if strings.Contains(e, "~") || CheckName(e) != nil && len(parts) > 1 {
			return "", fmt.Errorf("%w: track path %q", ErrBadName, p)
		}
	}
	name := strings.Join(parts, "~")
	if err := CheckName(name); err != nil {
		return "", err
	}
	return name, nil
}

// TrackPath returns the path an encoder named a track by (the inverse of
// TrackNameFromPath).
func TrackPath(name string) string { return strings.ReplaceAll(name, "~", "/") }

// IngestMPDKey is the key of an I-MPD version received at recvUnixMs.
func IngestMPDKey(channel string, recvUnixMs int64) string {
	return fmt.Sprintf("%s/ingest/%d.mpd", channel, recvUnixMs)
}

// HeaderKey is the content-addressed key of a CMAF header.
func HeaderKey(channel, track, hash12, ext string) string {
	return fmt.Sprintf("%s/%s/init-%s.%s", channel, track, hash12, ext)
}

// StagedPrefix is the prefix under which a track's staged segments live.
func StagedPrefix(channel, track string) string {
	return fmt.Sprintf("%s/%s/live/", channel, track)
}

// Variants of a staged segment: a slate copy ('slat' brand) and a missing
// segment marker ('miss' brand) are staged under keys of their own so that
// a real copy can be staged beside them without overwriting anything.
const (
	VariantReal  = ""
	VariantSlate = "slat"
	VariantMiss  = "miss"
)

// StagedName is what the last element of a staged segment key says: the
// segment's identity (design section 2), its start time T on the epoch
// timeline (tfdt plus the STS, in the track's timescale), and its
// duration D in the same timescale, so that a listing alone tells what is
// staged and two copies of one start time that differ in length (a
// crash-cut fragment and the whole segment) are both kept.
type StagedName struct {
	T, D    uint64
	Variant string // VariantReal, VariantSlate or VariantMiss
	Ext     string
}

// String returns the key element "{t}-{d}.{ext}", "{t}-{d}.slat.{ext}" or
// "{t}-{d}.miss.{ext}".
func (s StagedName) String() string {
	if s.Variant != VariantReal {
		return fmt.Sprintf("%d-%d.%s.%s", s.T, s.D, s.Variant, s.Ext)
	}
	return fmt.Sprintf("%d-%d.%s", s.T, s.D, s.Ext)
}

// StagedKey is the key of a staged media segment.
func StagedKey(channel, track string, s StagedName) string {
	return StagedPrefix(channel, track) + s.String()
}

// ParseStagedKey parses the last element of a staged segment key.
func ParseStagedKey(base string) (StagedName, error) {
	bad := fmt.Errorf("trackfile: not a staged segment name %q", base)
	parts := strings.Split(base, ".")
	var s StagedName
	switch {
	case len(parts) == 2:
		s.Ext = parts[1]
	case len(parts) == 3 && (parts[1] == VariantSlate || parts[1] == VariantMiss):
		s.Variant, s.Ext = parts[1], parts[2]
	default:
		return StagedName{}, bad
	}
	ts, ds, ok := strings.Cut(parts[0], "-")
	if !ok || s.Ext == "" || s.Ext == "hdr" {
		return StagedName{}, bad
	}
	var err1, err2 error
	s.T, err1 = strconv.ParseUint(ts, 10, 64)
	s.D, err2 = strconv.ParseUint(ds, 10, 64)
	if err1 != nil || err2 != nil || s.String() != base {
		return StagedName{}, bad
	}
	return s, nil
}

// HeaderUseKey is the key of an empty marker saying that the track's
// segments starting at t or later (until the next marker) use the CMAF
// header with the given content hash. Markers live beside the staged
// segments and go with them when their period is finalized.
func HeaderUseKey(channel, track string, t uint64, hash12 string) string {
	return fmt.Sprintf("%s%d.%s.hdr", StagedPrefix(channel, track), t, hash12)
}

// ParseHeaderUseKey parses the last element of a header-use marker key.
func ParseHeaderUseKey(base string) (t uint64, hash12 string, ok bool) {
	parts := strings.Split(base, ".")
	if len(parts) != 3 || parts[2] != "hdr" || parts[1] == "" {
		return 0, "", false
	}
	t, err := strconv.ParseUint(parts[0], 10, 64)
	return t, parts[1], err == nil
}

// StateKey is the key of a write-once channel decision (for example the
// STS fixed by "sts: auto" or an inferred segment duration): the first
// archiver to create it decides, every other one reads it.
func StateKey(channel, name string) string {
	return fmt.Sprintf("%s/state/%s.json", channel, name)
}

// TrackFileKey is the key of the storage track file of period k. A run
// that does not start the period's only run (n0 >= 0) gets the part key
// "{k}-{n0}.{ext}"; n0 < 0 gives "{k}.{ext}".
func TrackFileKey(channel, track string, k, n0 int64, ext string) string {
	if n0 < 0 {
		return fmt.Sprintf("%s/%s/%d.%s", channel, track, k, ext)
	}
	return fmt.Sprintf("%s/%s/%d-%d.%s", channel, track, k, n0, ext)
}

// TrackFilePartKey is the key of the j-th (j ≥ 1) part of period k that
// starts in grid slot n0 when an earlier part starts in that slot too
// (a segment split at a splice, or overlapping copies): "{k}-{n0}-{j}.{ext}".
func TrackFilePartKey(channel, track string, k, n0 int64, j int, ext string) string {
	return fmt.Sprintf("%s/%s/%d-%d-%d.%s", channel, track, k, n0, j, ext)
}

// IndexPrefix is the prefix of a channel's period index objects.
func IndexPrefix(channel string) string { return channel + "/index/" }

// IndexKey is the key of the index of period k. The first finalize of a
// period writes "{k}.json"; a later addition (a late part) writes
// "{k}-{suffix}.json" beside it, never rewriting the first.
func IndexKey(channel string, k int64, suffix string) string {
	if suffix == "" {
		return fmt.Sprintf("%s/index/%d.json", channel, k)
	}
	return fmt.Sprintf("%s/index/%d-%s.json", channel, k, suffix)
}

// IndexKeyPeriod returns the period k of an index key (or its last
// element): "{k}.json" or "{k}-{suffix}.json" under {channel}/index/.
func IndexKeyPeriod(key string) (int64, bool) {
	name, ok := strings.CutSuffix(key[strings.LastIndexByte(key, '/')+1:], ".json")
	if !ok {
		return 0, false
	}
	if i := strings.IndexByte(name[min(1, len(name)):], '-'); i >= 0 {
		name = name[:i+1]
	}
	k, err := strconv.ParseInt(name, 10, 64)
	return k, err == nil
}

// ArchiveMPDKey is the key of a channel's 24x7 archive S-MPD.
func ArchiveMPDKey(channel string) string { return channel + "/archive.mpd" }

// ArchiveDayKey is the key of a channel's archive S-MPD of one UTC day
// (date as 2006-01-02): the storage periods starting that day.
func ArchiveDayKey(channel, date string) string {
	return fmt.Sprintf("%s/archive/%s.mpd", channel, date)
}

// ArchiveDayPrefix is the prefix of a channel's day S-MPDs.
func ArchiveDayPrefix(channel string) string { return channel + "/archive/" }

// HoldPrefix is the prefix of a channel's retention holds.
func HoldPrefix(channel string) string { return channel + "/holds/" }

// HoldKey is the key of a retention hold.
func HoldKey(channel, id string) string { return HoldPrefix(channel) + id + ".json" }

// TombstonePrefix is the prefix of a channel's retention tombstones: the
// record of a storage period whose deletion has begun.
func TombstonePrefix(channel string) string { return channel + "/retention/" }

// TombstoneKey is the key of the retention tombstone of period k.
func TombstoneKey(channel string, k int64) string {
	return fmt.Sprintf("%s%d.json", TombstonePrefix(channel), k)
}

// RecordingKey is the key of a recording S-MPD.
func RecordingKey(channel, name string) string {
	return fmt.Sprintf("%s/recordings/%s.mpd", channel, name)
}

// ExtForHandler maps an ISOBMFF handler type to the CMAF file extension.
func ExtForHandler(handler string) string {
	switch handler {
	case "vide":
		return "cmfv"
	case "soun":
		return "cmfa"
	case "text", "subt", "sbtl":
		return "cmft"
	default:
		return "cmfm"
	}
}
