#!/usr/bin/env bash
# The real-client HLS acceptance harness (tests/hls-player: hls.js in headless Chromium):
# installs what it needs when missing (Debian's chromium and ffmpeg via apt, as root or with
# sudo; `npm ci` in tests/hls-player), then self-tests it on FFmpeg-made ladders: the
# playable ones must play, the broken ones must be rejected for the right reason.
#
#   scripts/test-player.sh                 install + self-test
#   scripts/test-player.sh --install-only  install only (then: node tests/hls-player/play.mjs DIR --json)
#
# Env: CHROMIUM=/path/to/chrome to use another browser binary; LOUDCORE_PLAYER_KEEP=1 keeps
# the ladders it built.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
player="$root/tests/hls-player"

install_only=0
[[ ${1:-} == --install-only ]] && install_only=1

command -v node >/dev/null || { echo "error: node (20 or later) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "error: npm is required" >&2; exit 1; }

need=()
if [[ -z ${CHROMIUM:-} ]] && ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
if ((${#need[@]})); then
  echo "== installing for the HLS player harness: ${need[*]}"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null
fi
echo "== $( ${CHROMIUM:-chromium} --version 2>/dev/null | head -n 1 )"

echo "== npm ci (tests/hls-player)"
(cd "$player" && npm ci --no-audit --no-fund --loglevel=error)

((install_only)) && exit 0

work=$(mktemp -d "${TMPDIR:-/tmp}/loudcore-player.XXXXXX")
if [[ -z ${LOUDCORE_PLAYER_KEEP:-} ]]; then
  trap 'rm -rf "$work"' EXIT
else
  echo "== keeping ladders in $work"
fi

t0=$SECONDS
echo "== building FFmpeg ladders"
bash "$player/make-ladders.sh" "$work" 21 >/dev/null

passed=0
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# Playable ladders: must exit 0.
for name in ts-aac fmp4-aac packed-aac ts-mp3 packed-mp3; do
  s=$SECONDS
  if node "$player/play.mjs" "$work/$name" --timeout-ms 60000 >"$work/$name.out" 2>&1; then
    echo "ok   $name plays ($((SECONDS - s)) s): $(grep -c '^  level' "$work/$name.out") levels, ended"
    passed=$((passed + 1))
  else
    cat "$work/$name.out"
    fail "$name should play"
  fi
done

# Broken ladders: must exit 1, and for the expected reason (a JSON failure matching $2).
expect_reject() {
  local name=$1 pattern=$2 s=$SECONDS rc=0
  node "$player/play.mjs" "$work/$name" --json --timeout-ms 60000 >"$work/$name.json" 2>"$work/$name.err" || rc=$?
  if [[ $rc -ne 1 ]]; then
    cat "$work/$name.json" "$work/$name.err"
    fail "$name: exit code $rc, expected 1 (rejected)"
  elif ! node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const re = new RegExp(process.argv[2]);
      if (r.ok || !r.failures.some((f) => re.test(f))) { console.log(JSON.stringify(r.failures)); process.exit(1); }
    ' "$work/$name.json" "$pattern"; then
    fail "$name was rejected, but not for /$pattern/"
  else
    echo "ok   $name rejected ($((SECONDS - s)) s): $(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(r.failures.find((f) => new RegExp(process.argv[2]).test(f)))' "$work/$name.json" "$pattern")"
    passed=$((passed + 1))
  fi
}
expect_reject neg-missing-segment 'HTTP 404 for /v1/seg002\.ts'
expect_reject neg-corrupt-segment 'fragParsingError'
expect_reject neg-bad-codecs 'master declares 3 variant\(s\) but hls\.js kept 2'
expect_reject neg-no-id3 'packed audio /v1/seg000\.aac: no ID3 tag'
# A Chromium limit, not a stream defect: no MP3 in fMP4 through MSE. Checked so that a
# Chromium or hls.js that starts playing it is noticed (README.md would then be wrong).
expect_reject fmp4-mp3 'bufferAppendingError|bufferAppendError|bufferAddCodecError'

echo "== HLS player self-test: $((SECONDS - t0)) s"
echo "player: $passed passed, $failed failed"
((failed == 0))
