#!/usr/bin/env node
// Makes an HLS packed-audio media playlist (RFC 8216 §3.4) from one elementary stream:
//
//   node packed.mjs IN.aac|IN.mp3 OUTDIR [--segment-seconds 4] [--pts-base 900000]
//
// IN is raw ADTS AAC or raw MPEG audio (MP3; a leading ID3v2 tag and a Xing/Info frame are
// dropped). It is cut on frame boundaries into segments of about --segment-seconds; each
// segment starts with an ID3v2.4 tag holding the PRIV frame
// `com.apple.streaming.transportStreamTimestamp` (8 bytes, big-endian, 33-bit 90 kHz PTS of
// the segment's first sample). Writes OUTDIR/segNNN.{aac,mp3} and OUTDIR/playlist.m3u8, and
// prints a JSON summary ({codec, sampleRate, segments, duration}).
//
// Fixture tool only: the ladders loudcore itself writes are what the harness is for.
import fs from 'node:fs';
import path from 'node:path';

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const MP3_BITRATES = {
  // [version][layer] kbit/s tables; only layer III is needed here.
  1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_RATES = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 2.5: [11025, 12000, 8000] };

function adtsFrames(buf) {
  const frames = [];
  let sampleRate = null, profile = null;
  let i = 0;
  while (i + 7 <= buf.length) {
    if (buf[i] !== 0xff || (buf[i + 1] & 0xf6) !== 0xf0) throw new Error(`ADTS: lost sync at byte ${i}`);
    const len = ((buf[i + 3] & 0x03) << 11) | (buf[i + 4] << 3) | (buf[i + 5] >> 5);
    const sr = AAC_RATES[(buf[i + 2] >> 2) & 0x0f];
    profile = ((buf[i + 2] >> 6) & 0x03) + 1; // audio object type
    const blocks = (buf[i + 6] & 0x03) + 1;
    if (!sr || len < 7 || i + len > buf.length) throw new Error(`ADTS: bad frame at byte ${i}`);
    sampleRate ??= sr;
    frames.push({ start: i, end: i + len, samples: 1024 * blocks });
    i += len;
  }
  return { codec: `mp4a.40.${profile}`, sampleRate, frames, ext: 'aac' };
}

function mp3Frames(buf) {
  let i = 0;
  if (buf.length >= 10 && buf.toString('latin1', 0, 3) === 'ID3') {
    const size = (buf[6] << 21) | (buf[7] << 14) | (buf[8] << 7) | buf[9];
    i = 10 + size + ((buf[5] & 0x10) ? 10 : 0);
  }
  const frames = [];
  let sampleRate = null;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff || (buf[i + 1] & 0xe0) !== 0xe0) throw new Error(`MP3: lost sync at byte ${i}`);
    const v = (buf[i + 1] >> 3) & 0x03; // 3: MPEG1, 2: MPEG2, 0: MPEG2.5
    const layer = (buf[i + 1] >> 1) & 0x03; // 1: layer III
    if (v === 1 || layer !== 1) throw new Error(`MP3: unsupported header at byte ${i}`);
    const version = v === 3 ? 1 : v === 2 ? 2 : 2.5;
    const br = MP3_BITRATES[version === 1 ? 1 : 2][(buf[i + 2] >> 4) & 0x0f];
    const sr = MP3_RATES[version][(buf[i + 2] >> 2) & 0x03];
    const pad = (buf[i + 2] >> 1) & 0x01;
    if (!br || !sr) throw new Error(`MP3: bad header at byte ${i}`);
    const samples = version === 1 ? 1152 : 576;
    const len = Math.floor((samples / 8) * br * 1000 / sr) + pad;
    if (i + len > buf.length) break; // truncated last frame: drop
    sampleRate ??= sr;
    const body = buf.toString('latin1', i + 4, i + Math.min(len, 64));
    const isInfo = frames.length === 0 && (body.includes('Xing') || body.includes('Info'));
    if (!isInfo) frames.push({ start: i, end: i + len, samples });
    i += len;
  }
  return { codec: 'mp4a.40.34', sampleRate, frames, ext: 'mp3' };
}

function syncsafe(n) {
  return Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
}

// ID3v2.4 tag with one PRIV frame carrying the MPEG-2 TS timestamp of the segment.
export function id3Timestamp(pts90k) {
  const owner = Buffer.from('com.apple.streaming.transportStreamTimestamp\0', 'latin1');
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(pts90k) & ((1n << 33n) - 1n));
  const data = Buffer.concat([owner, ts]);
  const frame = Buffer.concat([Buffer.from('PRIV', 'latin1'), syncsafe(data.length), Buffer.from([0, 0]), data]);
  const header = Buffer.concat([Buffer.from('ID3', 'latin1'), Buffer.from([4, 0, 0]), syncsafe(frame.length)]);
  return Buffer.concat([header, frame]);
}

function main() {
  const args = process.argv.slice(2);
  let segSeconds = 4, ptsBase = 900000;
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--segment-seconds') segSeconds = Number(args[++i]);
    else if (args[i] === '--pts-base') ptsBase = Number(args[++i]);
    else pos.push(args[i]);
  }
  if (pos.length !== 2 || !(segSeconds > 0) || !(ptsBase >= 0)) {
    process.stderr.write('usage: node packed.mjs IN.aac|IN.mp3 OUTDIR [--segment-seconds S] [--pts-base PTS90K]\n');
    process.exit(2);
  }
  const [input, outDir] = pos;
  const buf = fs.readFileSync(input);
  const isAdts = buf[0] === 0xff && (buf[1] & 0xf6) === 0xf0;
  const es = isAdts ? adtsFrames(buf) : mp3Frames(buf);
  if (!es.frames.length) throw new Error(`${input}: no frames`);
  fs.mkdirSync(outDir, { recursive: true });

  const segments = [];
  let cur = null, totalSamples = 0;
  for (const f of es.frames) {
    if (!cur || cur.samples >= segSeconds * es.sampleRate) {
      cur = { frames: [], samples: 0, firstSample: totalSamples };
      segments.push(cur);
    }
    cur.frames.push(f);
    cur.samples += f.samples;
    totalSamples += f.samples;
  }
  const lines = [];
  let target = 0;
  segments.forEach((s, n) => {
    const name = `seg${String(n).padStart(3, '0')}.${es.ext}`;
    const pts = ptsBase + Math.round((s.firstSample * 90000) / es.sampleRate);
    const payload = Buffer.concat(s.frames.map((f) => buf.subarray(f.start, f.end)));
    fs.writeFileSync(path.join(outDir, name), Buffer.concat([id3Timestamp(pts), payload]));
    const dur = s.samples / es.sampleRate;
    target = Math.max(target, Math.round(dur));
    lines.push(`#EXTINF:${dur.toFixed(6)},`, name);
  });
  const playlist = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.max(1, target)}`,
    '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', ...lines, '#EXT-X-ENDLIST', ''].join('\n');
  fs.writeFileSync(path.join(outDir, 'playlist.m3u8'), playlist);
  process.stdout.write(JSON.stringify({
    codec: es.codec, sampleRate: es.sampleRate, segments: segments.length,
    duration: +(totalSamples / es.sampleRate).toFixed(6),
  }) + '\n');
}

main();
