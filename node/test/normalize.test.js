'use strict'
// normalize(), then analyze() the output: the target is met on the decoded file.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { analyze, normalize } = require('..')
const { amp, tones, wav, sineWav, tmpdir, put, near } = require('../test-support/audio')

test('WAV: -30 dBFS sine to -16 LUFS, measured again on the output', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 10, dbfs: -30 }))
  const out = path.join(dir, 'out.wav')
  const r = await normalize(input, out, { targetLufs: -16, truePeakDbtp: -1 })
  assert.equal(r.targetLufs, -16)
  assert.equal(r.truePeakDbtp, -1)
  near(assert, r.input.integratedLufs, -30, 0.1, 'input integratedLufs')
  near(assert, r.gainDb, 14, 0.1, 'gainDb')
  assert.equal(r.limiterActive, false)
  assert.equal(r.outputs.length, 1)
  const o = r.outputs[0]
  assert.equal(o.path, out)
  assert.equal(o.format, 'wav')
  assert.equal(o.verified, true)
  assert.equal(o.sampleRate, 48000)
  assert.equal(o.channels, 2)
  near(assert, o.integratedLufs, -16, 0.1, 'output integratedLufs (report)')
  near(assert, o.durationS, 10, 1e-3, 'output durationS')
  assert.ok(r.elapsedS > 0)
  assert.ok(r.timings.inputDecodes >= 2)

  const again = await analyze(out)
  near(assert, again.integratedLufs, -16, 0.1, 'output integratedLufs (analyze)')
  assert.ok(again.truePeakDbtp <= -1 + 0.05, `true peak ${again.truePeakDbtp} under the ceiling`)
})

test('defaults are -14 LUFS and -1 dBTP', async (t) => {
  const dir = tmpdir(t)
  const r = await normalize(put(dir, 'in.wav', sineWav({ seconds: 6, dbfs: -25 })), path.join(dir, 'out.wav'))
  assert.equal(r.targetLufs, -14)
  assert.equal(r.truePeakDbtp, -1)
  near(assert, (await analyze(path.join(dir, 'out.wav'))).integratedLufs, -14, 0.1, 'output')
})

test('presets set the target: podcast is -16 LUFS, ebu-r128 is -23 LUFS', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 6, dbfs: -20 }))
  const p = await normalize(input, path.join(dir, 'podcast.wav'), { preset: 'podcast' })
  assert.equal(p.targetLufs, -16)
  near(assert, p.outputs[0].integratedLufs, -16, 0.1, 'podcast output')
  const e = await normalize(input, path.join(dir, 'ebu.wav'), { preset: 'ebu-r128', truePeakDbtp: -2 })
  assert.equal(e.targetLufs, -23)
  assert.equal(e.truePeakDbtp, -2, 'an explicit value overrides the preset')
  near(assert, (await analyze(path.join(dir, 'ebu.wav'))).integratedLufs, -23, 0.1, 'ebu output')
})

test('MP3 and FLAC outputs meet the target on the decoded file', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 8, dbfs: -28, sampleRate: 44100 }))
  for (const ext of ['mp3', 'flac']) {
    const out = path.join(dir, `out.${ext}`)
    const r = await normalize(input, out, { targetLufs: -14 })
    assert.equal(r.outputs[0].format, ext)
    assert.equal(r.outputs[0].verified, true)
    const a = await analyze(out)
    assert.equal(a.format, ext)
    near(assert, a.integratedLufs, -14, 0.1, `${ext} output`)
    assert.ok(a.truePeakDbtp <= -1 + 0.05, `${ext} true peak ${a.truePeakDbtp}`)
  }
})

test('peaks above the ceiling: the limiter engages and the output stays under it', async (t) => {
  // A -20 dBFS tone with a short burst near full scale every second: the gain to -14 LUFS
  // would push the bursts far over -1 dBTP.
  const sr = 48000
  const seconds = 10
  const s = new Float32Array(sr * seconds * 2)
  for (let i = 0; i < sr * seconds; i++) {
    let v = amp(-20) * Math.sin((2 * Math.PI * 1000 * i) / sr)
    if (i % sr < 48) v = amp(-1) * Math.sin((2 * Math.PI * 1000 * i) / sr + 1)
    s[2 * i] = v
    s[2 * i + 1] = v
  }
  const dir = tmpdir(t)
  const out = path.join(dir, 'out.wav')
  const r = await normalize(put(dir, 'in.wav', wav(s)), out, { targetLufs: -14, truePeakDbtp: -1 })
  assert.equal(r.limiterActive, true)
  const a = await analyze(out)
  near(assert, a.integratedLufs, -14, 0.1, 'output integratedLufs')
  assert.ok(a.truePeakDbtp <= -1 + 0.05, `true peak ${a.truePeakDbtp} under the ceiling`)
})

test('Buffer input, a named Buffer and an output sample rate', async (t) => {
  const dir = tmpdir(t)
  const out = path.join(dir, 'out.wav')
  const r = await normalize(sineWav({ seconds: 6, dbfs: -26 }), out, { name: 'upload.wav', sampleRate: 44100, targetLufs: -18 })
  assert.equal(r.outputs[0].sampleRate, 44100)
  const a = await analyze(out)
  assert.equal(a.sampleRate, 44100)
  near(assert, a.integratedLufs, -18, 0.1, 'output integratedLufs')
  near(assert, a.durationS, 6, 1e-3, 'durationS')
  assert.ok(fs.existsSync(out))
})

test('dynamic mode brings a 10 LU range under lraLu, smoothly, and reports its curve', async (t) => {
  const dir = tmpdir(t)
  // EBU Tech 3342 case 1: 20 s at -20 dBFS then 20 s at -30 dBFS.
  const input = put(dir, 'in.wav', wav(tones([{ seconds: 20, dbfs: -20 }, { seconds: 20, dbfs: -30 }])))
  const out = path.join(dir, 'out.wav')
  const r = await normalize(input, out, { mode: 'dynamic', lraLu: 5, targetLufs: -18, gainCurve: true })
  assert.equal(r.mode, 'dynamic')
  const d = r.dynamic
  assert.ok(d && d.curveApplied, 'a curve was applied')
  assert.equal(d.lraTargetLu, 5)
  assert.ok(d.gainMinDb < d.gainMaxDb && d.maxGainStepDb <= 1, JSON.stringify({ ...d, gainCurveDb: null }))
  assert.ok(d.gainCurveDb instanceof Float32Array, 'the curve is a Float32Array')
  assert.equal(d.gainCurveDb.length, 400)
  const again = await analyze(out)
  near(assert, again.integratedLufs, -18, 0.1, 'output integratedLufs')
  assert.ok(again.lraLu <= 5.5, `output LRA ${again.lraLu}`)

  const plain = await normalize(input, path.join(dir, 'plain.wav'))
  assert.equal(plain.mode, 'linear')
  assert.equal(plain.dynamic, null)
})
