'use strict'
// Analysis values on synthesised signals, checked against EBU Tech 3341 / 3342 and BS.1770.
const test = require('node:test')
const assert = require('node:assert/strict')
const { analyze } = require('..')
const { tones, wav, sineWav, tmpdir, put, near } = require('../test-support/audio')

test('EBU Tech 3341 test 1: stereo 1 kHz at -23 dBFS reads -23.0 LUFS', async (t) => {
  const file = put(tmpdir(t), 'minus23.wav', sineWav({ seconds: 20, dbfs: -23 }))
  const a = await analyze(file)
  near(assert, a.integratedLufs, -23.0, 0.1, 'integratedLufs')
  near(assert, a.truePeakDbtp, -23.0, 0.2, 'truePeakDbtp')
  near(assert, a.samplePeakDbfs, -23.0, 0.2, 'samplePeakDbfs')
  assert.ok(a.samplePeakDbfs <= a.truePeakDbtp + 1e-9, 'sample peak <= true peak')
  near(assert, a.maxMomentaryLufs, -23.0, 0.1, 'maxMomentaryLufs')
  near(assert, a.maxShortTermLufs, -23.0, 0.1, 'maxShortTermLufs')
  near(assert, a.thresholdLufs, -33.0, 0.1, 'thresholdLufs (relative gate = I - 10 LU)')
  near(assert, a.lraLu, 0, 0.1, 'lraLu of a steady tone')
  near(assert, a.durationS, 20, 1e-6, 'durationS')
  assert.equal(a.sampleRate, 48000)
  assert.equal(a.channels, 2)
  assert.equal(a.format, 'wav')
  assert.match(a.codec, /^pcm_s16/)
  assert.equal(a.bitRate, 48000 * 2 * 16)
  assert.equal(a.skippedFrames, 0)
  assert.deepEqual(a.warnings, [])
  assert.equal(a.curve, null)
})

test('EBU Tech 3341 test 2: stereo 1 kHz at -33 dBFS reads -33.0 LUFS', async (t) => {
  const file = put(tmpdir(t), 'minus33.wav', sineWav({ seconds: 20, dbfs: -33 }))
  near(assert, (await analyze(file)).integratedLufs, -33.0, 0.1, 'integratedLufs')
})

test('EBU Tech 3342 test 1: 20 s at -20 dBFS then 20 s at -30 dBFS has LRA 10 LU', async (t) => {
  const samples = tones([
    { seconds: 20, dbfs: -20 },
    { seconds: 20, dbfs: -30 },
  ])
  const a = await analyze(put(tmpdir(t), 'lra.wav', wav(samples)))
  near(assert, a.lraLu, 10, 1, 'lraLu')
  near(assert, a.durationS, 40, 1e-6, 'durationS')
})

test('32-bit float mono: BS.1770 weights one channel, -20 dBFS sine reads -23.0 LUFS', async (t) => {
  const buf = sineWav({ seconds: 10, dbfs: -20, channels: 1, sampleRate: 44100, format: 'float32' })
  const a = await analyze(put(tmpdir(t), 'float.wav', buf))
  near(assert, a.integratedLufs, -20 - 3.0103, 0.1, 'integratedLufs')
  assert.equal(a.channels, 1)
  assert.equal(a.sampleRate, 44100)
  assert.match(a.codec, /f32/)
})

test('digital silence: loudness and peaks are null, not -Infinity', async (t) => {
  const a = await analyze(put(tmpdir(t), 'silence.wav', sineWav({ seconds: 5, dbfs: null })))
  assert.equal(a.integratedLufs, null)
  assert.equal(a.truePeakDbtp, null)
  assert.equal(a.samplePeakDbfs, null)
  assert.equal(a.thresholdLufs, null)
  near(assert, a.durationS, 5, 1e-6, 'durationS')
})

test('curve: momentary and short-term loudness every 100 ms', async (t) => {
  const a = await analyze(put(tmpdir(t), 'c.wav', sineWav({ seconds: 10, dbfs: -23 })), { curve: true })
  assert.ok(Array.isArray(a.curve))
  assert.ok(Math.abs(a.curve.length - 100) <= 1, `curve has ${a.curve.length} points`)
  const last = a.curve[a.curve.length - 1]
  near(assert, last.tS, 10, 0.1, 'last point time')
  near(assert, last.momentaryLufs, -23, 0.1, 'momentaryLufs')
  near(assert, last.shortTermLufs, -23, 0.1, 'shortTermLufs')
  assert.equal(a.curve[0].shortTermLufs, null, 'short-term is null before 3 s')
})

test('Buffer input gives the same analysis as the file', async (t) => {
  const buf = sineWav({ seconds: 8, dbfs: -18 })
  const fromFile = await analyze(put(tmpdir(t), 'b.wav', buf))
  const fromBuffer = await analyze(buf)
  assert.deepEqual(fromBuffer, fromFile)
  near(assert, fromBuffer.integratedLufs, -18, 0.1, 'integratedLufs')
  // A Uint8Array view of the same bytes is accepted too.
  const view = new Uint8Array(buf.buffer, buf.byteOffset, buf.length)
  assert.deepEqual(await analyze(Buffer.from(view)), fromFile)
})

test('decode options and limits are accepted, every field optional', async (t) => {
  const file = put(tmpdir(t), 'o.wav', sineWav({ seconds: 3, dbfs: -23 }))
  const a = await analyze(file, {
    strict: true,
    threads: 1,
    allowTruncated: false,
    maxBytes: 10_000_000,
    maxDurationS: 60,
    minDurationS: 1,
    maxChannels: 2,
    minSampleRate: 44100,
    maxSampleRate: 48000,
    allowedFormats: ['wav'],
  })
  near(assert, a.integratedLufs, -23, 0.1, 'integratedLufs')
  assert.ok(await analyze(file, {}))
  assert.ok(await analyze(file, null))
  assert.ok(await analyze(file, undefined))
})
