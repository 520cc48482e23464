'use strict'
// The work runs on the libuv pool: the main thread keeps turning while a long job runs.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { normalize } = require('..')
const { sineWav, tmpdir, put } = require('../test-support/audio')

test('a setInterval counter keeps advancing while a long normalize runs', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'long.wav', sineWav({ seconds: 180, dbfs: -30 }))
  let ticks = 0
  let last = performance.now()
  let maxGap = 0
  const timer = setInterval(() => {
    const now = performance.now()
    maxGap = Math.max(maxGap, now - last)
    last = now
    ticks++
  }, 5)
  const started = performance.now()
  let r
  try {
    r = await normalize(input, path.join(dir, 'out.wav'))
  } finally {
    clearInterval(timer)
  }
  const elapsed = performance.now() - started
  assert.equal(r.outputs[0].verified, true)
  assert.ok(elapsed > 300, `the job is long enough to tell (${elapsed.toFixed(0)} ms)`)
  // A blocked main thread would give no tick at all and one stall as long as the job.
  // How often the timer fires beyond that depends on how busy the machine is (the job's
  // own threads compete for 2 cores in CI), so the bounds say "not blocked", not "fast".
  assert.ok(ticks >= 10, `${ticks} ticks in ${elapsed.toFixed(0)} ms`)
  assert.ok(maxGap < Math.max(500, elapsed / 2), `longest stall ${maxGap.toFixed(0)} ms of ${elapsed.toFixed(0)} ms`)
})
