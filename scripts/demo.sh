#!/usr/bin/env bash
# The main job on an input the repository synthesises itself (no download): a 30 s
# music-like stereo signal is written as WAV, measured by `loudcore analyze`, then
# normalized to -14 LUFS / -1 dBTP as a LAME V0 MP3, an AAC M4A and a FLAC from one
# decode, each verified by decoding the file written, and packaged as the default HLS
# ladder (AAC 48k@24 kHz, 64k@32 kHz, 128k@44.1 kHz, 10 s TS segments), each variant
# verified on its segments.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p loudcore-cli -p loudcore-testsignals
out=target/demo
mkdir -p "$out"
./target/release/loudcore-make-signal "$out/input.wav" --music 30 --rate 44100 --format int16
echo "== loudcore analyze $out/input.wav"
./target/release/loudcore analyze "$out/input.wav"
echo
echo "== loudcore normalize $out/input.wav -o $out/normalized.mp3 -o $out/normalized.m4a -o $out/normalized.flac"
./target/release/loudcore normalize "$out/input.wav" -o "$out/normalized.mp3" -o "$out/normalized.m4a" -o "$out/normalized.flac"
echo
echo "== loudcore hls $out/input.wav -o $out/hls"
./target/release/loudcore hls "$out/input.wav" -o "$out/hls"
echo
echo "== $out/hls/master.m3u8"
cat "$out/hls/master.m3u8"
echo
echo "== loudcore analyze --json $out/normalized.mp3"
./target/release/loudcore analyze --json "$out/normalized.mp3"
