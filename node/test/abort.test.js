'use strict'
// AbortSignal: aborting rejects with code CANCELLED and leaves no partial output.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { getEventListeners, setMaxListeners } = require('node:events')
const { analyze, normalize } = require('..')
const { sineWav, tmpdir, put } = require('../test-support/audio')

const cancelled = (file) => (e) => {
  assert.ok(e instanceof Error)
  assert.equal(e.code, 'CANCELLED')
  assert.ok(e.message.includes(file), `message names the file: ${e.message}`)
  return true
}

test('abort while rendering: CANCELLED, no output, no temporary file', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 60, dbfs: -30 }))
  const out = path.join(dir, 'out.mp3')
  const ac = new AbortController()
  await assert.rejects(
    normalize(input, out, {
      signal: ac.signal,
      onProgress: (stage) => {
        if (stage === 'render') ac.abort()
      },
    }),
    cancelled(input),
  )
  assert.deepEqual(fs.readdirSync(dir), ['in.wav'])
})

test('abort from a timer in the middle of a job', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 120, dbfs: -30 }))
  const ac = new AbortController()
  let last = 0
  const started = Date.now()
  setTimeout(() => ac.abort(), 150)
  await assert.rejects(
    normalize(input, path.join(dir, 'out.flac'), { signal: ac.signal, onProgress: (s, f) => (last = f) }),
    cancelled(input),
  )
  assert.ok(last < 1, `stopped before the end (at ${last})`)
  assert.ok(Date.now() - started < 5000, 'stopped promptly')
  assert.deepEqual(fs.readdirSync(dir), ['in.wav'])
})

test('an already aborted signal: CANCELLED and nothing written', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 5, dbfs: -30 }))
  await assert.rejects(
    normalize(input, path.join(dir, 'out.wav'), { signal: AbortSignal.abort() }),
    cancelled(input),
  )
  await assert.rejects(analyze(input, { signal: AbortSignal.abort() }), cancelled(input))
  assert.deepEqual(fs.readdirSync(dir), ['in.wav'])
})

test('analyze can be aborted', async (t) => {
  const input = put(tmpdir(t), 'in.wav', sineWav({ seconds: 120, dbfs: -23 }))
  const ac = new AbortController()
  await assert.rejects(
    analyze(input, { signal: ac.signal, onProgress: (s, f) => f > 0.1 && ac.abort() }),
    cancelled(input),
  )
})

test('aborting after the job settled changes nothing; a shared signal keeps no listeners', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 2, dbfs: -30 }))
  const ac = new AbortController()
  // Each running job listens to the signal (like Node's own APIs do): more than 10 jobs at
  // once on one signal need a higher limit to keep Node's leak warning quiet.
  setMaxListeners(20, ac.signal)
  const jobs = []
  for (let i = 0; i < 12; i++) jobs.push(normalize(input, path.join(dir, `out${i}.wav`), { signal: ac.signal }))
  jobs.push(analyze(input, { signal: ac.signal }))
  const results = await Promise.all(jobs)
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'listeners removed when jobs settle')
  ac.abort()
  for (let i = 0; i < 12; i++) {
    assert.equal(results[i].outputs[0].verified, true)
    assert.ok(fs.existsSync(path.join(dir, `out${i}.wav`)))
  }
})

test('a signal that is not an AbortSignal is INVALID_OPTIONS', async (t) => {
  const input = put(tmpdir(t), 'in.wav', sineWav({ seconds: 1, dbfs: -30 }))
  await assert.rejects(analyze(input, { signal: {} }), { code: 'INVALID_OPTIONS' })
})
