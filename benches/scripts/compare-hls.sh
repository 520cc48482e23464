#!/usr/bin/env bash
# Side-by-side: `loudcore hls` (the default ladder: AAC-LC 48k@24 kHz, 64k@32 kHz and
# 128k@44.1 kHz, 10 s MPEG-TS segments, -14 LUFS / -1 dBTP, every variant verified)
# against FFmpeg doing the same from the same input: two-pass loudnorm (pass 1
# print_format=json), then one command with asplit, aresample per rung, the native AAC
# encoder and the hls muxer with -var_stream_map. Interleaved A/B runs in one session;
# also peak RSS of loudcore on a long mix.
#
# Usage: benches/scripts/compare-hls.sh [--runs N] [--corpus DIR] [--long] [FILE...]
#   default FILE: track.mp3 from the corpus (../shared/corpus/make.sh DIR builds it)
#   --long: also peak RSS of `loudcore hls` on the 1-hour mix (goal <= 128 MB)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3; corpus=${LOUDCORE_CORPUS:-corpus}; long=0; files=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --long) long=1; shift ;;
    *) files+=("$1"); shift ;;
  esac
done
((${#files[@]})) || files=("$corpus/track.mp3")
for t in ffmpeg /usr/bin/time python3; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install ffmpeg time)" >&2; exit 2; }
done
cargo build --release -q -p loudcore-cli
lc=target/release/loudcore
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Runs a command under /usr/bin/time; prints "wall cpu maxrss_kb".
measure() { /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' "$tmp/t"; }

ffmpeg_ladder() {
  local in=$1 out=$2
  rm -rf "$out"; mkdir -p "$out"
  ffmpeg -nostdin -hide_banner -nostats -i "$in" -af loudnorm=I=-14:TP=-1:LRA=11:print_format=json -f null - 2>"$tmp/pass1"
  read -r mi mtp mlra mth off < <(python3 - "$tmp/pass1" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.rindex('{'):t.rindex('}') + 1])
print(j["input_i"], j["input_tp"], j["input_lra"], j["input_thresh"], j["target_offset"])
PY
)
  ffmpeg -nostdin -hide_banner -nostats -y -i "$in" -filter_complex \
    "[0:a]loudnorm=I=-14:TP=-1:LRA=11:measured_I=$mi:measured_TP=$mtp:measured_LRA=$mlra:measured_thresh=$mth:offset=$off:linear=true,aformat=channel_layouts=stereo,asplit=3[a0][a1][a2];[a0]aresample=24000[o0];[a1]aresample=32000[o1];[a2]aresample=44100[o2]" \
    -map "[o0]" -map "[o1]" -map "[o2]" -c:a aac -b:a:0 48k -b:a:1 64k -b:a:2 128k \
    -f hls -hls_time 10 -hls_playlist_type vod -hls_segment_filename "$out/v%v/segment_%05d.ts" \
    -master_pl_name master.m3u8 -var_stream_map "a:0 a:1 a:2" "$out/v%v/playlist.m3u8" 2>/dev/null
}
export -f ffmpeg_ladder; export tmp

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for f in "${files[@]}"; do
  echo "== $f ($runs interleaved runs each)"
  : > "$tmp/a"; : > "$tmp/b"
  for ((i = 0; i < runs; i++)); do
    measure "$lc" hls "$f" -o "$tmp/lc" --json >> "$tmp/a"
    measure bash -c 'ffmpeg_ladder "$0" "$1"' "$f" "$tmp/ff" >> "$tmp/b"
  done
  a_wall=$(cut -d' ' -f1 "$tmp/a" | median); b_wall=$(cut -d' ' -f1 "$tmp/b" | median)
  a_cpu=$(cut -d' ' -f2 "$tmp/a" | median); b_cpu=$(cut -d' ' -f2 "$tmp/b" | median)
  a_rss=$(cut -d' ' -f3 "$tmp/a" | sort -n | tail -1)
  python3 - "$a_wall" "$b_wall" "$a_cpu" "$b_cpu" "$a_rss" <<'PY'
import sys
a, b, ac, bc, rss = map(float, sys.argv[1:])
print(f"  loudcore hls              wall {a:6.2f} s  cpu {ac:6.2f} s  peak RSS {rss/1024:6.1f} MB")
print(f"  ffmpeg loudnorm + ladder  wall {b:6.2f} s  cpu {bc:6.2f} s")
print(f"  speed-up (wall)           {b/a:5.2f}x   goal >= 5x: {'PASS' if b/a >= 5 else 'MISS'}")
PY
done

if ((long)); then
  r=$(measure "$lc" hls "$corpus/mix-1h.mp3" -o "$tmp/long" --json)
  python3 - $r <<'PY'
import sys
w, c, m = map(float, sys.argv[1:])
print(f"== 1-hour mix: wall {w:.1f} s, cpu {c:.1f} s, peak RSS {m/1024:.1f} MB (goal <= 128 MB: {'PASS' if m/1024 <= 128 else 'MISS'})")
PY
fi
