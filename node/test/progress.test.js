'use strict'
// onProgress: called on the main thread through a non-blocking thread-safe function.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { analyze, normalize } = require('..')
const { sineWav, tmpdir, put } = require('../test-support/audio')

const STAGES = new Set(['analyze', 'calibrate', 'render', 'verify', 'done'])

function checkCalls(calls) {
  assert.ok(calls.length >= 3, `${calls.length} progress calls`)
  let last = -1
  for (const [stage, f] of calls) {
    assert.ok(STAGES.has(stage), `known stage ${stage}`)
    assert.ok(f >= 0 && f <= 1, `fraction ${f} in 0..1`)
    assert.ok(f >= last, `fraction ${f} after ${last} never goes down`)
    last = f
  }
  assert.deepEqual(calls[calls.length - 1], ['done', 1])
}

test('normalize reports every stage, monotonic, ending at done/1, before the Promise settles', async (t) => {
  const dir = tmpdir(t)
  const calls = []
  const r = await normalize(put(dir, 'in.wav', sineWav({ seconds: 20, dbfs: -30 })), path.join(dir, 'out.wav'), {
    onProgress: (stage, fraction) => calls.push([stage, fraction]),
  })
  // Checked synchronously after the await: nothing may arrive after settling.
  checkCalls(calls)
  const seen = new Set(calls.map((c) => c[0]))
  for (const s of ['analyze', 'render', 'verify', 'done']) assert.ok(seen.has(s), `stage ${s} reported`)
  assert.equal(r.outputs[0].verified, true)
  const n = calls.length
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(calls.length, n, 'no progress call after the Promise settled')
})

test('analyze reports progress too', async (t) => {
  const calls = []
  await analyze(put(tmpdir(t), 'in.wav', sineWav({ seconds: 20, dbfs: -23 })), {
    onProgress: (stage, fraction) => calls.push([stage, fraction]),
  })
  checkCalls(calls)
  assert.deepEqual(new Set(calls.map((c) => c[0])), new Set(['analyze', 'done']))
})

test('a callback that throws stops the job: the Promise rejects with what it threw, no output', async (t) => {
  const dir = tmpdir(t)
  const out = path.join(dir, 'out.wav')
  const boom = new Error('progress handler failed')
  let calls = 0
  await assert.rejects(
    normalize(put(dir, 'in.wav', sineWav({ seconds: 20, dbfs: -30 })), out, {
      onProgress: (stage) => {
        calls++
        if (stage === 'render') throw boom
      },
    }),
    (e) => e === boom,
  )
  assert.ok(calls > 0)
  assert.deepEqual(fs.readdirSync(dir), ['in.wav'], 'no output and no temporary file left')
})
