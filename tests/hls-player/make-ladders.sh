#!/usr/bin/env bash
# Builds small audio-only HLS ladders with FFmpeg (and packed.mjs for packed audio), for the
# harness's self-test and for anyone comparing loudcore's ladders against FFmpeg's:
#
#   tests/hls-player/make-ladders.sh OUTDIR [SECONDS]
#
# Playable (expected to play):
#   ts-aac      MPEG-TS, AAC-LC, 3 variants (48k@24kHz, 96k@44.1kHz, 128k@48kHz)
#   fmp4-aac    fMP4 (init + .m4s), the same 3 AAC variants
#   packed-aac  packed audio: ADTS .aac segments with the ID3 PRIV timestamp, 2 variants
#   ts-mp3      MPEG-TS, MP3, 2 variants (64k@22.05kHz, 128k@44.1kHz)
#   packed-mp3  packed audio: .mp3 segments with the ID3 PRIV timestamp, 2 variants
# Known unplayable in Chromium (a codec limit, not a stream defect; see README.md):
#   fmp4-mp3    fMP4 with MP3 (Chromium's MSE has no MP3-in-MP4)
# Broken on purpose (the harness must reject them):
#   neg-missing-segment  ts-aac with v1/seg002.ts deleted (HTTP 404)
#   neg-corrupt-segment  ts-aac with v2/seg001.ts replaced by random bytes
#   neg-bad-codecs       ts-aac whose master says CODECS="ec-3" for v0 (Chromium drops it)
#   neg-no-id3           packed-aac with the ID3 PRIV timestamp stripped from v1's segments
#                        (hls.js plays it anyway; play.mjs checks RFC 8216 §3.4 itself)
set -euo pipefail
out=${1:?usage: make-ladders.sh OUTDIR [SECONDS]}
secs=${2:-21}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
ff=(ffmpeg -nostdin -hide_banner -loglevel error -y)
src=(-f lavfi -i "sine=f=440:d=$secs")

# hls muxer ladder: $1 name, $2 segment type, $3 codec, then per-variant "bitrate:rate".
hls_ladder() {
  local name=$1 segtype=$2 codec=$3; shift 3
  local n=$# i=0 split="" maps=() opts=() vmap="" ext=ts
  [[ $segtype == fmp4 ]] && ext=m4s
  for v in "$@"; do
    split+="[a$i]"; maps+=(-map "[a$i]")
    opts+=(-b:a:$i "${v%%:*}" -ar:a:$i "${v##*:}")
    vmap+="a:$i "
    i=$((i + 1))
  done
  local fmp4=()
  [[ $segtype == fmp4 ]] && fmp4=(-hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4)
  rm -rf "$out/$name"; mkdir -p "$out/$name"
  "${ff[@]}" "${src[@]}" -filter_complex "[0:a]asplit=$n$split" "${maps[@]}" \
    -c:a "$codec" "${opts[@]}" \
    -f hls -hls_time 4 -hls_playlist_type vod "${fmp4[@]}" \
    -hls_segment_filename "$out/$name/v%v/seg%03d.$ext" \
    -master_pl_name master.m3u8 -var_stream_map "${vmap% }" "$out/$name/v%v/playlist.m3u8"
}

# Packed-audio ladder: $1 name, $2 codec, $3 format (adts|mp3), $4 CODECS, then "bitrate:rate".
packed_ladder() {
  local name=$1 codec=$2 fmt=$3 codecs=$4; shift 4
  local i=0 ext=aac
  [[ $fmt == mp3 ]] && ext=mp3
  rm -rf "$out/$name"; mkdir -p "$out/$name"
  {
    echo '#EXTM3U'
    echo '#EXT-X-VERSION:3'
  } >"$out/$name/master.m3u8"
  for v in "$@"; do
    local es="$out/$name/es$i.$ext" extra=()
    [[ $fmt == mp3 ]] && extra=(-write_xing 0 -id3v2_version 0)
    "${ff[@]}" "${src[@]}" -c:a "$codec" -b:a "${v%%:*}" -ar "${v##*:}" "${extra[@]}" -f "$fmt" "$es"
    node "$here/packed.mjs" "$es" "$out/$name/v$i" --segment-seconds 4 >/dev/null
    rm -f "$es"
    local bw=$(( ${v%%k*} * 1100 ))
    printf '#EXT-X-STREAM-INF:BANDWIDTH=%d,CODECS="%s"\nv%d/playlist.m3u8\n' "$bw" "$codecs" "$i" >>"$out/$name/master.m3u8"
    i=$((i + 1))
  done
}

hls_ladder ts-aac mpegts aac 48k:24000 96k:44100 128k:48000
hls_ladder fmp4-aac fmp4 aac 48k:24000 96k:44100 128k:48000
packed_ladder packed-aac aac adts mp4a.40.2 64k:44100 128k:48000
hls_ladder ts-mp3 mpegts libmp3lame 64k:22050 128k:44100
packed_ladder packed-mp3 libmp3lame mp3 mp4a.40.34 64k:22050 128k:44100
hls_ladder fmp4-mp3 fmp4 libmp3lame 64k:22050 128k:44100

rm -rf "$out/neg-missing-segment" "$out/neg-corrupt-segment" "$out/neg-bad-codecs" "$out/neg-no-id3"
cp -r "$out/ts-aac" "$out/neg-missing-segment"
rm "$out/neg-missing-segment/v1/seg002.ts"
cp -r "$out/ts-aac" "$out/neg-corrupt-segment"
head -c "$(wc -c <"$out/ts-aac/v2/seg001.ts")" /dev/urandom >"$out/neg-corrupt-segment/v2/seg001.ts"
cp -r "$out/ts-aac" "$out/neg-bad-codecs"
sed -i '0,/CODECS="mp4a.40.2"/s//CODECS="ec-3"/' "$out/neg-bad-codecs/master.m3u8"
grep -q 'CODECS="ec-3"' "$out/neg-bad-codecs/master.m3u8"
cp -r "$out/packed-aac" "$out/neg-no-id3"
for f in "$out/neg-no-id3"/v1/*.aac; do
  # The tag packed.mjs writes is 10 + 63 bytes.
  tail -c +74 "$f" >"$f.tmp" && mv "$f.tmp" "$f"
done
echo "$out"
