#!/usr/bin/env bash
# Usage: scripts/bench.sh [catchup|finalize|export|ingest]... (default: all four)
#
# catchup: runs every benchmark of the module (BENCHTIME each, default 2s) and
# prints the figures of the catch-up acceptance (issue 4, acceptance 5):
# 24-hour manifest generation warm and cold, and segment serving
# throughput as a ratio to reading the same bytes straight from the store,
# for a synthetic archive of 7 days × 3 tracks × 2 s segments on the file
# store. A figure that misses its target is marked MISS; with
# BENCH_STRICT=1 that fails the run.
#
# finalize: the peak RSS of finalizing one storage period.
#
# export: a 1-hour VoD package (cmaf) against copying the same bytes within
# the store, and the peak RSS of the export.
#
# ingest (issue 13): N channels × (video + 2 audio) of real ffmpeg segments
# pushed into a real reapd process and into a raw sink (temp file + fsync +
# link) on the same disk, in the same run; prints a table per load, the
# targets of issue 13 that apply to it (ok or MISS), and
# writes bench/results.json. BENCH_CHANNELS (300) and BENCH_DURATION (62s)
# set the real-time loads; BENCH_S3=0 skips the versitygw run.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${*:-catchup finalize export ingest}
want() { [[ " $what " == *" $1 "* ]]; }
benchtime=${BENCHTIME:-2s}
out=$(mktemp)
bin=$(mktemp -d)
trap 'rm -rf "$out" "$bin"' EXIT
go build -o "$bin/reapd-bench" ./cmd/reapd-bench

miss=0
if want catchup; then
go test -run '^$' -bench . -benchtime "$benchtime" ./... | tee "$out"

# metric NAME UNIT: the value of UNIT on the result line of benchmark NAME.
metric() {
  awk -v name="$1" -v unit="$2" '
    $1 ~ "^" name "(-[0-9]+)?$" { for (i = 3; i < NF; i++) if ($(i+1) == unit) { print $i; exit } }' "$out"
}

# check LABEL VALUE OP TARGET UNIT
check() {
  local label=$1 value=$2 op=$3 target=$4 unit=$5 verdict
  if [ -z "$value" ]; then
    printf '  %-46s %12s\n' "$label" "(not run)"
    miss=1
    return
  fi
  if awk -v v="$value" -v t="$target" -v op="$op" 'BEGIN { exit !((op == "<" && v < t) || (op == ">=" && v >= t)) }'; then
    verdict=ok
  else
    verdict=MISS
    miss=1
  fi
  printf '  %-46s %10.3f %-4s (target %s %s %s) %s\n' "$label" "$value" "$unit" "$op" "$target" "$unit" "$verdict"
}

m=BenchmarkCatchupManifest24h
echo
echo "== catch-up figures: synthetic archive of 7 days x 3 tracks x 2 s segments, file store =="
check "24 h DASH manifest, warm, median"       "$(metric $m/dash/warm warm-median-ms)" "<" 20 ms
check "24 h DASH manifest, warm, p99"          "$(metric $m/dash/warm warm-p99-ms)" "<" 20 ms
check "24 h DASH manifest, cold, median"       "$(metric $m/dash/cold cold-median-ms)" "<" 300 ms
check "24 h DASH manifest, cold, p99"          "$(metric $m/dash/cold cold-p99-ms)" "<" 300 ms
check "24 h HLS media playlist, warm, median"  "$(metric $m/hls-media/warm warm-median-ms)" "<" 20 ms
check "24 h HLS media playlist, warm, p99"     "$(metric $m/hls-media/warm warm-p99-ms)" "<" 20 ms
check "24 h HLS media playlist, cold, median"  "$(metric $m/hls-media/cold cold-median-ms)" "<" 300 ms
check "24 h HLS media playlist, cold, p99"     "$(metric $m/hls-media/cold cold-p99-ms)" "<" 300 ms
t=BenchmarkCatchupSegmentThroughput
check "segment serving / straight store read"   "$(metric $t ratio)" ">=" 0.8 x
check "segment serving over HTTP / static server" "$(metric $t http-ratio)" ">=" 0.8 x
printf '  %-46s %10s MB/s served, %s MB/s from the store; over loopback HTTP %s x; HTTP %s MB/s, static file server %s MB/s\n' \
  "(throughput, for information)" "$(metric $t served-MB/s)" "$(metric $t store-MB/s)" "$(metric $t loopback-ratio)" \
  "$(metric $t http-MB/s)" "$(metric $t static-http-MB/s)"

fi

# Finalizing one storage period must stay memory-bounded (issue 3,
# acceptance 6): 1 hour of a 6 Mbit/s track, peak RSS of the finalizing
# process under 150 MB. Needs about 2.7 GB of temporary disk.
if want finalize; then
echo
echo "== finalize figures: one storage period, file store =="
"$bin/reapd-bench" finalize -period "${BENCH_PERIOD:-1h}" -mbps 6 | sed 's/^/  /'
fi

if want export; then
echo
echo "== export figures: a 1-hour package against copying the same bytes within the store, peak RSS (issue 11) =="
go run ./cmd/reapd-exportbench | sed 's/^/  /'
fi

if want ingest; then
go build -o "$bin/reapd" ./cmd/reapd
n=${BENCH_CHANNELS:-300}
dur=${BENCH_DURATION:-62s}
ingest() {
  local res
  echo
  res=$("$bin/reapd-bench" ingest -reapd "$bin/reapd" "$@")
  sed 's/^/  /' <<<"$res"
  if grep -q ' MISS$' <<<"$res"; then miss=1; fi
}
echo
echo "== ingest figures: reapd against a raw sink, same run, same disk ($(nproc) cores; $(uptime)) =="
ingest -label realtime -channels "$n" -duration "$dur"
ingest -label boundary -channels "$n" -duration "$dur" -storage-period 20s
ingest -label realtime-500 -channels 500 -duration "$dur"
ingest -label boundary-500 -channels 500 -duration "$dur" -storage-period 20s
ingest -label fast -mode fast -channels 100 -segments 30
if [ "${BENCH_S3:-1}" = 1 ] && [ -x .bin/versitygw ]; then
  ingest -label realtime-s3 -channels "$n" -duration "$dur" -store s3
fi
fi

if [ "$miss" = 1 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
  echo "bench: a figure misses its target" >&2
  exit 1
fi
