'use strict'
// Test signals synthesised here, written as RIFF/WAVE by hand (no audio library), so the
// expected values come from the standards, not from loudcore.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

/** Linear amplitude of a level in dBFS (peak). */
const amp = (dbfs) => Math.pow(10, dbfs / 20)

/**
 * Interleaved float samples of consecutive 1 kHz (by default) sine segments, each
 * `{ seconds, dbfs }` (peak level; `dbfs: null` is digital silence), the same in every channel.
 */
function tones(segments, { sampleRate = 48000, channels = 2, freq = 1000 } = {}) {
  const frames = segments.reduce((n, s) => n + Math.round(s.seconds * sampleRate), 0)
  const out = new Float32Array(frames * channels)
  let i = 0
  for (const s of segments) {
    const a = s.dbfs == null ? 0 : amp(s.dbfs)
    const n = Math.round(s.seconds * sampleRate)
    for (let k = 0; k < n; k++, i++) {
      const v = a * Math.sin((2 * Math.PI * freq * i) / sampleRate)
      for (let c = 0; c < channels; c++) out[i * channels + c] = v
    }
  }
  return out
}

/** A RIFF/WAVE file: 16-bit integer PCM (`int16`) or 32-bit IEEE float (`float32`). */
function wav(samples, { sampleRate = 48000, channels = 2, format = 'int16' } = {}) {
  const float = format === 'float32'
  const bytesPer = float ? 4 : 2
  const data = Buffer.alloc(samples.length * bytesPer)
  for (let i = 0; i < samples.length; i++) {
    if (float) data.writeFloatLE(samples[i], i * 4)
    else data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767))), i * 2)
  }
  const h = Buffer.alloc(44)
  h.write('RIFF', 0, 'ascii')
  h.writeUInt32LE(36 + data.length, 4)
  h.write('WAVE', 8, 'ascii')
  h.write('fmt ', 12, 'ascii')
  h.writeUInt32LE(16, 16)
  h.writeUInt16LE(float ? 3 : 1, 20) // WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM
  h.writeUInt16LE(channels, 22)
  h.writeUInt32LE(sampleRate, 24)
  h.writeUInt32LE(sampleRate * channels * bytesPer, 28)
  h.writeUInt16LE(channels * bytesPer, 32)
  h.writeUInt16LE(bytesPer * 8, 34)
  h.write('data', 36, 'ascii')
  h.writeUInt32LE(data.length, 40)
  return Buffer.concat([h, data])
}

/** A sine as a WAV buffer: `sineWav({ seconds: 10, dbfs: -23 })`. */
function sineWav({ seconds, dbfs, sampleRate = 48000, channels = 2, format = 'int16', freq }) {
  return wav(tones([{ seconds, dbfs }], { sampleRate, channels, freq }), { sampleRate, channels, format })
}

/** Deterministic pseudo-random bytes (xorshift32). */
function noiseBytes(n, seed = 12345) {
  const b = Buffer.alloc(n)
  let x = seed >>> 0
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    b[i] = x & 0xff
  }
  return b
}

/** A fresh temporary directory, removed when the process exits. */
function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loudcore-node-'))
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true })
  if (t && typeof t.after === 'function') t.after(cleanup)
  else process.on('exit', cleanup)
  return dir
}

/** Writes `buf` to `dir/name` and returns the path. */
function put(dir, name, buf) {
  const p = path.join(dir, name)
  fs.writeFileSync(p, buf)
  return p
}

/** Asserts `actual` is within `tol` of `expected`. */
function near(assert, actual, expected, tol, what) {
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= tol,
    `${what}: ${actual} is not within ${tol} of ${expected}`,
  )
}

module.exports = { amp, tones, wav, sineWav, noiseBytes, tmpdir, put, near }
