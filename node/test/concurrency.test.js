'use strict'
// Many jobs at once: 8 concurrent normalize Promises all resolve with correct values.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { analyze, normalize } = require('..')
const { sineWav, tmpdir, put, near } = require('../test-support/audio')

test('8 concurrent normalize jobs, each with its own level and target', async (t) => {
  const dir = tmpdir(t)
  const jobs = []
  for (let i = 0; i < 8; i++) {
    const level = -32 + 2 * i // -32 .. -18 dBFS
    const target = -24 + 2 * i // -24 .. -10 LUFS
    const input = put(dir, `in${i}.wav`, sineWav({ seconds: 8, dbfs: level, channels: 1 + (i % 2) }))
    const out = path.join(dir, `out${i}.${i % 3 === 0 ? 'flac' : 'wav'}`)
    const progress = []
    jobs.push(
      normalize(input, out, { targetLufs: target, onProgress: (s, f) => progress.push(f) }).then((r) => ({
        r,
        out,
        level: level - (i % 2 === 0 ? 3.0103 : 0), // mono reads 3 dB under stereo
        target,
        progress,
      })),
    )
  }
  const done = await Promise.all(jobs)
  for (const { r, out, level, target, progress } of done) {
    near(assert, r.input.integratedLufs, level, 0.1, `${out} input`)
    assert.equal(r.targetLufs, target)
    near(assert, r.outputs[0].integratedLufs, target, 0.1, `${out} output (report)`)
    near(assert, (await analyze(out)).integratedLufs, target, 0.1, `${out} output (analyze)`)
    assert.equal(progress[progress.length - 1], 1, 'each job got its own progress')
  }
})
