#!/usr/bin/env bash
# Runs every test of loudcore: the Rust workspace (core, CLI, reference signals, EBU
# conformance, bad input, the FFmpeg cross-check on real music) and, as they land, the
# Python, Node and UniFFI binding suites, and hls.js playing our HLS ladders in headless
# Chromium.
#
# On a fresh machine it installs what the tests use as independent oracles (FFmpeg, LAME)
# from Debian, and builds the real-music corpus with ../shared/corpus/make.sh when that
# script is present (CI always has it; set LOUDCORE_CORPUS to reuse a built corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v lame >/dev/null 2>&1 || need+=(lame)
if ((${#need[@]})); then
  echo "== installing test oracles: ${need[*]}"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null
fi

if [[ -z ${LOUDCORE_CORPUS:-} && -x ../shared/corpus/make.sh ]]; then
  echo "== building the real-music corpus (../shared/corpus/make.sh)"
  LOUDCORE_CORPUS=$(bash ../shared/corpus/make.sh "$root/target/corpus" | tail -n 1)
fi
if [[ -n ${LOUDCORE_CORPUS:-} ]]; then
  LOUDCORE_CORPUS=$(cd "$LOUDCORE_CORPUS" && pwd)
  export LOUDCORE_CORPUS
  echo "== corpus: $LOUDCORE_CORPUS"
fi

# hls.js in headless Chromium plays the ladders the Rust tests write (tests/hls.rs).
if [[ -x scripts/test-player.sh ]]; then
  echo "== scripts/test-player.sh (hls.js in headless Chromium)"
  scripts/test-player.sh
  export LOUDCORE_PLAYER="$root/tests/hls-player/play.mjs"
fi

echo "== cargo test (workspace)"
cargo test --workspace --locked 2>&1

for extra in scripts/test-python.sh scripts/test-node.sh scripts/test-uniffi.sh; do
  if [[ -x $extra ]]; then
    echo "== $extra"
    "$extra"
  fi
done
echo "== all tests passed"
