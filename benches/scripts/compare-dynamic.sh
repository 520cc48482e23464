#!/usr/bin/env bash
# Side-by-side: `loudcore normalize --mode dynamic` MP3 -> MP3 V0 against FFmpeg's two-pass
# dynamic loudnorm (pass 1 print_format=json, pass 2 with the measured values and LRA=,
# libmp3lame -q:a 0 at the input's sample rate), interleaved A/B over several runs, in one
# session, at -14 LUFS / -1 dBTP / LRA 11. Then both outputs measured by FFmpeg's
# ebur128=peak=true (I, LRA, true peak), so accuracy sits beside speed, and loudcore's peak
# RSS.
#
# Usage: benches/scripts/compare-dynamic.sh [--runs N] [--corpus DIR] [FILE...]
#   default FILE: track.mp3 from the corpus (../shared/corpus/make.sh DIR builds it);
#   pass "$corpus/mix-1h.mp3" --runs 1 for the hour-long mix (about 15 minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3; corpus=${LOUDCORE_CORPUS:-corpus}; files=()
target=-14; ceiling=-1; lra=11
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
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

ffmpeg_dynamic() {
  local in=$1 out=$2 rate
  rate=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$in")
  ffmpeg -nostdin -hide_banner -nostats -i "$in" -af "loudnorm=I=$target:TP=$ceiling:LRA=$lra:print_format=json" -f null - 2>"$tmp/pass1"
  read -r mi mtp mlra mth off < <(python3 - "$tmp/pass1" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.rindex('{'):t.rindex('}') + 1])
print(j["input_i"], j["input_tp"], j["input_lra"], j["input_thresh"], j["target_offset"])
PY
)
  # No linear=true: the dynamic mode whose figures users report.
  ffmpeg -nostdin -hide_banner -nostats -y -i "$in" -af "loudnorm=I=$target:TP=$ceiling:LRA=$lra:measured_I=$mi:measured_TP=$mtp:measured_LRA=$mlra:measured_thresh=$mth:offset=$off" \
    -ar "$rate" -c:a libmp3lame -q:a 0 "$out" 2>/dev/null
}
export -f ffmpeg_dynamic; export tmp target ceiling lra

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# I, LRA and true peak of a file by FFmpeg's meter.
meter() {
  ffmpeg -nostdin -hide_banner -nostats -i "$1" -af ebur128=peak=true -f null - 2>&1 |
    awk '/Summary:/ {s=1} s && /I:/ {i=$2} s && /LRA:/ && !l {l=$2} s && /Peak:/ {p=$2} END {print i, l, p}'
}

for f in "${files[@]}"; do
  echo "== $f ($runs interleaved runs each; target $target LUFS, $ceiling dBTP, LRA $lra LU)"
  : > "$tmp/a"; : > "$tmp/b"
  for ((i = 0; i < runs; i++)); do
    measure "$lc" normalize "$f" -o "$tmp/lc.mp3" --mode dynamic --lra-lu "$lra" \
      --target-lufs "$target" --true-peak-dbtp "$ceiling" >> "$tmp/a"
    measure bash -c 'ffmpeg_dynamic "$0" "$1"' "$f" "$tmp/ff.mp3" >> "$tmp/b"
  done
  a_wall=$(cut -d' ' -f1 "$tmp/a" | median); b_wall=$(cut -d' ' -f1 "$tmp/b" | median)
  a_cpu=$(cut -d' ' -f2 "$tmp/a" | median); a_rss=$(cut -d' ' -f3 "$tmp/a" | sort -n | tail -1)
  read -r ii il ip < <(meter "$f"); read -r li ll lp < <(meter "$tmp/lc.mp3"); read -r fi fl fp < <(meter "$tmp/ff.mp3")
  rate_in=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$f")
  rate_lc=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$tmp/lc.mp3")
  rate_ff=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$tmp/ff.mp3")
  python3 - "$a_wall" "$b_wall" "$a_cpu" "$a_rss" "$ii" "$il" "$ip" "$li" "$ll" "$lp" "$fi" "$fl" "$fp" \
    "$target" "$ceiling" "$lra" "$rate_in" "$rate_lc" "$rate_ff" <<'PY'
import sys
a, b, cpu, rss = map(float, sys.argv[1:5])
ii, il, ip, li, ll, lp, fi, fl, fp, t, c, lra = map(float, sys.argv[5:17])
rin, rlc, rff = sys.argv[17:20]
print(f"  input                       I {ii:6.2f}  LRA {il:5.2f}  TP {ip:6.2f}  {rin} Hz")
for name, i, l, p, r in (("loudcore dynamic", li, ll, lp, rlc), ("ffmpeg dynamic loudnorm", fi, fl, fp, rff)):
    ok = abs(i - t) <= 0.1 and p <= c and (l <= lra + 0.5 or il <= lra)
    print(f"  {name:<26}  I {i:6.2f}  LRA {l:5.2f}  TP {p:6.2f}  {r} Hz   "
          f"|I-target| {abs(i - t):.2f}  {'meets' if ok else 'MISSES'} the acceptance")
print(f"  loudcore wall {a:7.2f} s  cpu {cpu:7.2f} s  peak RSS {rss/1024:6.1f} MB")
print(f"  ffmpeg   wall {b:7.2f} s")
print(f"  speed-up (wall) {b/a:5.2f}x   goal >= 4x: {'PASS' if b/a >= 4 else 'MISS'}")
PY
done
