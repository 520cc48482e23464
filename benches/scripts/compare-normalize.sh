#!/usr/bin/env bash
# Side-by-side: `loudcore normalize` MP3 -> MP3 V0 against FFmpeg's two-pass loudnorm
# (pass 1 print_format=json, pass 2 with the measured values, linear=true, libmp3lame
# -q:a 0 at the input's sample rate), interleaved A/B over several runs, in one session.
# Also: CPU time against the sum of its parts (two decodes + meter, as twice the median
# CPU time of `loudcore analyze`, plus the median of LAME -V0 encoding the decoded audio),
# and peak RSS on a long mix.
#
# Usage: benches/scripts/compare-normalize.sh [--runs N] [--corpus DIR] [--long] [FILE...]
#   default FILE: track.mp3 from the corpus (../shared/corpus/make.sh DIR builds it)
#   --long: also peak RSS on the 1-hour mix and on a 2.5-hour one made from it (highest of
#   two runs each; about 12 minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=5; corpus=${LOUDCORE_CORPUS:-corpus}; long=0; files=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --long) long=1; shift ;;
    *) files+=("$1"); shift ;;
  esac
done
((${#files[@]})) || files=("$corpus/track.mp3")
for t in ffmpeg lame /usr/bin/time python3; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install ffmpeg lame time)" >&2; exit 2; }
done
cargo build --release -q -p loudcore-cli
lc=target/release/loudcore
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Runs a command under /usr/bin/time; prints "wall cpu maxrss_kb".
measure() { /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' "$tmp/t"; }

ffmpeg_two_pass() {
  local in=$1 out=$2 rate
  rate=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$in")
  ffmpeg -nostdin -hide_banner -nostats -i "$in" -af loudnorm=I=-14:TP=-1:LRA=11:print_format=json -f null - 2>"$tmp/pass1"
  read -r mi mtp mlra mth off < <(python3 - "$tmp/pass1" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.rindex('{'):t.rindex('}') + 1])
print(j["input_i"], j["input_tp"], j["input_lra"], j["input_thresh"], j["target_offset"])
PY
)
  ffmpeg -nostdin -hide_banner -nostats -y -i "$in" -af "loudnorm=I=-14:TP=-1:LRA=11:measured_I=$mi:measured_TP=$mtp:measured_LRA=$mlra:measured_thresh=$mth:offset=$off:linear=true" \
    -ar "$rate" -c:a libmp3lame -q:a 0 "$out" 2>/dev/null
}
export -f ffmpeg_two_pass; export tmp

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for f in "${files[@]}"; do
  echo "== $f ($runs interleaved runs each)"
  # The parts: two decodes and a meter (two analyze runs), and LAME encoding the audio.
  # Each run times the job, FFmpeg and the parts one after the other, and the figures are
  # medians: this VM's CPU speed drifts by 15% within minutes, and parts timed in the
  # same minutes as the job drift with it.
  ffmpeg -nostdin -v error -y -i "$f" -c:a pcm_s16le "$tmp/dec.wav"
  : > "$tmp/a"; : > "$tmp/b"; : > "$tmp/pa"; : > "$tmp/pl"
  for ((i = 0; i < runs; i++)); do
    measure "$lc" normalize "$f" -o "$tmp/lc.mp3" --json >> "$tmp/a"
    measure "$lc" analyze "$f" --json | cut -d' ' -f2 >> "$tmp/pa"
    measure lame --silent -V0 "$tmp/dec.wav" "$tmp/lame.mp3" | cut -d' ' -f2 >> "$tmp/pl"
    measure bash -c 'ffmpeg_two_pass "$0" "$1"' "$f" "$tmp/ff.mp3" >> "$tmp/b"
  done
  a_wall=$(cut -d' ' -f1 "$tmp/a" | median); b_wall=$(cut -d' ' -f1 "$tmp/b" | median)
  a_cpu=$(cut -d' ' -f2 "$tmp/a" | median); a_rss=$(cut -d' ' -f3 "$tmp/a" | sort -n | tail -1)
  p1=$(median < "$tmp/pa"); p2=$p1; pl=$(median < "$tmp/pl")
  python3 - "$a_wall" "$b_wall" "$a_cpu" "$a_rss" "$p1" "$p2" "$pl" <<'PY'
import sys
a, b, cpu, rss, p1, p2, pl = map(float, sys.argv[1:])
parts = p1 + p2 + pl
print(f"  loudcore normalize        wall {a:6.2f} s  cpu {cpu:6.2f} s  peak RSS {rss/1024:6.1f} MB")
print(f"  ffmpeg two-pass loudnorm  wall {b:6.2f} s")
print(f"  speed-up (wall)           {b/a:5.2f}x   goal >= 4x: {'PASS' if b/a >= 4 else 'MISS'}")
print(f"  cpu / sum of parts        {cpu/parts:5.2f}   (parts: analyze {p1:.2f} + {p2:.2f} s, lame -V0 {pl:.2f} s)"
      f"   goal <= 1.3: {'PASS' if cpu/parts <= 1.3 else 'MISS'}")
PY
done

if ((long)); then
  mix=$corpus/mix-1h.mp3
  [[ -s $tmp/mix-2h30.mp3 ]] || ffmpeg -nostdin -v error -y -stream_loop 2 -i "$mix" -t 9000 -c copy "$tmp/mix-2h30.mp3"
  # Peak RSS of single runs differs by about 2 MB (thread timing decides how many blocks
  # are in flight at once): take the highest of two runs of each, interleaved.
  peak() { sort -k3 -n | tail -1; }
  : > "$tmp/l1"; : > "$tmp/l2"
  for i in 1 2; do
    measure "$lc" normalize "$mix" -o "$tmp/m1.mp3" --json >> "$tmp/l1"
    measure "$lc" normalize "$tmp/mix-2h30.mp3" -o "$tmp/m2.mp3" --json >> "$tmp/l2"
  done
  r1=$(peak < "$tmp/l1"); r2=$(peak < "$tmp/l2")
  python3 - $r1 $r2 <<'PY'
import sys
w1, c1, m1, w2, c2, m2 = map(float, sys.argv[1:])
print(f"== long mixes: 1 h: wall {w1:.1f} s, peak RSS {m1/1024:.1f} MB (goal <= 64 MB: {'PASS' if m1/1024 <= 64 else 'MISS'});"
      f" 2.5 h: wall {w2:.1f} s, peak RSS {m2/1024:.1f} MB ({(m2/m1-1)*100:+.1f}%, goal <= +10%: {'PASS' if m2 <= 1.1*m1 else 'MISS'})")
PY
fi
