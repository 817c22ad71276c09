package ingestload

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// D is the segment duration of the generated media.
const D = 2 * time.Second

// cycleSegments is how many template segments a track cycles through: 8
// (16 s) is a whole number of AAC frames at 48 kHz, so the cycled audio
// stays contiguous.
const cycleSegments = 8

// Track is one track of the generated media: its CMAF header and template
// segments.
type Track struct {
	Name string // the track name in ingest paths (video, audio-en, audio-fr)
	Ext  string // cmfv or cmfa
	Init []byte
	// Timescale of the track's media times; Cycle is the media duration
	// of the templates in it (cycleSegments × D).
	Timescale uint32
	Cycle     uint64
	segs      []template
}

// Media is the generated media of one channel: a video and two audio
// tracks.
type Media struct {
	Tracks []*Track
}

// BytesPerSecond is the channel's bitrate in bytes per second of media.
func (m *Media) BytesPerSecond() float64 {
	var n int
	for _, t := range m.Tracks {
		for _, s := range t.segs {
			n += len(s.raw)
		}
	}
	return float64(n) / (cycleSegments * D.Seconds())
}

// MakeMedia returns the bench media, encoded with ffmpeg into dir on the
// first call and read from there later (dir is the cache; "" means a
// directory under the user cache or temp dir).
func MakeMedia(ctx context.Context, dir string) (*Media, error) {
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "reapd-bench-media-v1")
	}
	mpd := filepath.Join(dir, "manifest.mpd")
	if _, err := os.Stat(mpd); err != nil {
		if err := encode(ctx, dir); err != nil {
			return nil, err
		}
	}
	m := &Media{}
	for i, name := range []string{"video", "audio-en", "audio-fr"} {
		t, err := readTrack(dir, i, name)
		if err != nil {
			return nil, err
		}
		m.Tracks = append(m.Tracks, t)
	}
	return m, nil
}

// encode runs ffmpeg into a temporary directory and renames it to dir
// (so a cut encode never passes for a cached one).
func encode(ctx context.Context, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o777); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".media-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	secs := fmt.Sprint((cycleSegments + 1) * int(D.Seconds()))
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration="+secs,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+secs,
		"-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000:duration="+secs,
		"-map", "0:v", "-map", "1:a", "-map", "2:a",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "3M", "-minrate", "3M", "-maxrate", "3M",
		"-bufsize", "3M", "-x264-params", "nal-hrd=cbr", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-c:a", "aac", "-b:a", "128k",
		"-f", "dash", "-seg_duration", fmt.Sprint(D.Seconds()), "-use_template", "1", "-use_timeline", "0",
		"-init_seg_name", "init-$RepresentationID$.m4s",
		"-media_seg_name", "chunk-$RepresentationID$-$Number%05d$.m4s",
		"-format_options", "movflags=+cmaf", filepath.Join(tmp, "manifest.mpd"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg: %w: %s", err, out)
	}
	_ = os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// readTrack reads representation i of the encoded media.
func readTrack(dir string, i int, name string) (*Track, error) {
	init, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("init-%d.m4s", i)))
	if err != nil {
		return nil, err
	}
	t := &Track{Name: name, Ext: "cmfa", Init: init}
	if i == 0 {
		t.Ext = "cmfv"
	}
	if t.Timescale, err = mdhdTimescale(init); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var first uint64
	for n := 1; n <= cycleSegments+1; n++ {
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("chunk-%d-%05d.m4s", i, n)))
		if err != nil {
			return nil, err
		}
		s, err := parseTemplate(raw)
		if err != nil {
			return nil, fmt.Errorf("%s segment %d: %w", name, n, err)
		}
		if n == 1 {
			first = s.tfdt
		}
		if n == cycleSegments+1 {
			t.Cycle = s.tfdt - first
			break
		}
		s.rel = s.tfdt - first
		t.segs = append(t.segs, s)
	}
	if want := uint64(cycleSegments) * uint64(D.Seconds()) * uint64(t.Timescale); t.Cycle != want {
		return nil, fmt.Errorf("%s: templates last %d ticks, want %d", name, t.Cycle, want)
	}
	return t, nil
}

// mdhdTimescale finds the media timescale in a CMAF header.
func mdhdTimescale(init []byte) (uint32, error) {
	b, ok := findBox(init, "moov")
	if !ok {
		return 0, errors.New("no moov")
	}
	for _, p := range []string{"trak", "mdia", "mdhd"} {
		if b, ok = findBox(b, p); !ok {
			return 0, errors.New("no " + p)
		}
	}
	// full box: version(1) flags(3), then times of 4 or 8 bytes.
	off := 4 + 8
	if len(b) > 0 && b[0] == 1 {
		off = 4 + 16
	}
	if len(b) < off+4 {
		return 0, errors.New("short mdhd")
	}
	return binary.BigEndian.Uint32(b[off:]), nil
}
