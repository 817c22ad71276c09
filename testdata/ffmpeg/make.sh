#!/bin/sh
# Regenerates the ffmpeg fixtures of testdata/ffmpeg (used by trackfile tests).
#
#   ldash/    DASH ingest as ffmpeg's dash muxer writes it in low-latency mode:
#             3 x 2 s H.264 segments (testsrc2 320x180, 25 fps, B-frames) and
#             4 AAC 48 kHz segments, each segment = styp + 4 CMAF chunks
#             (prft moof mdat), no per-segment sidx.
#   sidx/     the dash muxer in its default mode: 2 x 2 s H.264 segments, each
#             styp + sidx + one moof/mdat (no prft).
#   streams/  one plain fragmented MP4 (video only, 2 x 2 s), as the
#             "Streams(video.cmfv)" CMAF ingest POST body: ftyp moov
#             (prft moof mdat)... mfra.
#
# Media times are on the Unix epoch: setpts adds a FIXED epoch (2026-01-01
# 00:00:00 UTC = 1767225600 s) so that tfdt values are stable from run to run.
# Only the prft NTP timestamps (wall clock) change on regeneration.
set -eu
cd "$(dirname "$0")"
command -v ffmpeg >/dev/null || { echo "ffmpeg missing: apt-get install -y ffmpeg" >&2; exit 1; }
E=1767225600
X264="-c:v libx264 -preset veryfast -bf 2 -b:v 100k -g 50 -keyint_min 50 -sc_threshold 0 -threads 1"
EXACT="-fflags +bitexact -flags:v +bitexact -flags:a +bitexact"
rm -rf ldash sidx streams
mkdir -p ldash sidx streams

ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i testsrc2=size=320x180:rate=25:duration=6 \
  -f lavfi -i sine=frequency=440:sample_rate=48000:duration=6 \
  -vf "setpts=PTS+$E/TB" -af "asetpts=PTS+$E/TB" \
  $X264 -c:a aac -b:a 64k $EXACT \
  -f dash -seg_duration 2 -streaming 1 -ldash 1 -frag_type duration -frag_duration 0.5 \
  -utc_timing_url "https://time.akamai.com/?iso" -write_prft 1 \
  -format_options movflags=+cmaf+frag_discont ldash/manifest.mpd

ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i testsrc2=size=320x180:rate=25:duration=4 \
  -vf "setpts=PTS+$E/TB" $X264 $EXACT \
  -f dash -seg_duration 2 -format_options movflags=+cmaf+frag_discont sidx/manifest.mpd

ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i testsrc2=size=320x180:rate=25:duration=4 \
  -vf "setpts=PTS+$E/TB" $X264 $EXACT \
  -movflags empty_moov+separate_moof+default_base_moof+cmaf+frag_discont -write_prft wallclock \
  -f mp4 streams/video.cmfv

ls -l ldash sidx streams
