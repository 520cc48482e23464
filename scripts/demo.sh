#!/usr/bin/env bash
# The main job on an input the repository synthesises itself (no download): a 30 s
# music-like stereo signal is written as WAV, measured by `loudcore analyze`, then
# normalized to -14 LUFS / -1 dBTP as a LAME V0 MP3 and a FLAC from one decode, each
# verified by decoding the file written.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p loudcore-cli -p loudcore-testsignals
out=target/demo
mkdir -p "$out"
./target/release/loudcore-make-signal "$out/input.wav" --music 30 --rate 44100 --format int16
echo "== loudcore analyze $out/input.wav"
./target/release/loudcore analyze "$out/input.wav"
echo
echo "== loudcore normalize $out/input.wav -o $out/normalized.mp3 -o $out/normalized.flac"
./target/release/loudcore normalize "$out/input.wav" -o "$out/normalized.mp3" -o "$out/normalized.flac"
echo
echo "== loudcore analyze --json $out/normalized.mp3"
./target/release/loudcore analyze --json "$out/normalized.mp3"
