#!/usr/bin/env bash
# The main job on an input the repository synthesises itself (no download): a 30 s
# music-like stereo signal is written as WAV, then measured by `loudcore analyze`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p loudcore-cli -p loudcore-testsignals
out=target/demo
mkdir -p "$out"
./target/release/loudcore-make-signal "$out/input.wav" --music 30 --rate 44100 --format int16
echo "== loudcore analyze $out/input.wav"
./target/release/loudcore analyze "$out/input.wav"
echo
echo "== loudcore analyze --json $out/input.wav"
./target/release/loudcore analyze --json "$out/input.wav"
