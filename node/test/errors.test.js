'use strict'
// One test per error code, on broken files. Every failure is a rejected Promise (never a
// synchronous throw) with an Error whose `code` is one of the documented codes and whose
// message names the file.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { analyze, normalize } = require('..')
const { sineWav, noiseBytes, tmpdir, put } = require('../test-support/audio')

/** A rejection check: an Error with `code`, and a message (and `file`) naming `file`. */
const fails = (code, file) => (e) => {
  assert.ok(e instanceof Error, 'an Error')
  assert.equal(e.code, code, e.message)
  if (file !== undefined) {
    assert.ok(e.message.includes(file), `message names ${file}: ${e.message}`)
    assert.equal(e.file, file)
  }
  return true
}

test('NOT_FOUND: a missing path', async (t) => {
  const missing = path.join(tmpdir(t), 'no-such-upload.mp3')
  await assert.rejects(analyze(missing), fails('NOT_FOUND', missing))
  await assert.rejects(normalize(missing, missing + '.wav'), fails('NOT_FOUND', missing))
})

test('IO: an output whose parent is a file, not a directory', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 2, dbfs: -30 }))
  const notADir = put(dir, 'plain-file', Buffer.from('x'))
  const out = path.join(notADir, 'out.wav')
  await assert.rejects(normalize(input, out), (e) => {
    assert.equal(e.code, 'IO', e.message)
    assert.ok(e.message.includes(notADir), `message names the path: ${e.message}`)
    return true
  })
})

test('UNSUPPORTED_FORMAT: a text file and random bytes', async (t) => {
  const dir = tmpdir(t)
  const text = put(dir, 'notes.mp3', Buffer.from('These are meeting notes, not audio.\n'.repeat(50)))
  await assert.rejects(analyze(text), fails('UNSUPPORTED_FORMAT', text))
  const random = put(dir, 'random.wav', noiseBytes(64 * 1024))
  await assert.rejects(analyze(random), fails('UNSUPPORTED_FORMAT', random))
  await assert.rejects(normalize(random, path.join(dir, 'out.wav')), fails('UNSUPPORTED_FORMAT', random))
})

test('CORRUPT_INPUT: an empty file and a truncated WAV', async (t) => {
  const dir = tmpdir(t)
  const empty = put(dir, 'empty.wav', Buffer.alloc(0))
  await assert.rejects(analyze(empty), fails('CORRUPT_INPUT', empty))
  const whole = sineWav({ seconds: 10, dbfs: -23 })
  const truncated = put(dir, 'truncated.wav', whole.subarray(0, 44 + 48000 * 4)) // header says 10 s, 1 s left
  await assert.rejects(analyze(truncated), fails('CORRUPT_INPUT', truncated))
  await assert.rejects(normalize(truncated, path.join(dir, 'out.wav')), fails('CORRUPT_INPUT', truncated))
  // ...unless the caller accepts truncation: then what is there is measured, with a warning.
  const a = await analyze(truncated, { allowTruncated: true })
  assert.ok(Math.abs(a.durationS - 1) < 0.01, `durationS ${a.durationS}`)
  assert.ok(a.warnings.length > 0)
  assert.deepEqual(fs.readdirSync(dir).sort(), ['empty.wav', 'truncated.wav'])
})

test('INPUT_LIMIT: longer than maxDurationS, larger than maxBytes, a format or channel count not allowed', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'long.wav', sineWav({ seconds: 2, dbfs: -23 }))
  await assert.rejects(analyze(input, { maxDurationS: 0.5 }), fails('INPUT_LIMIT', input))
  await assert.rejects(normalize(input, path.join(dir, 'o.wav'), { maxDurationS: 0.5 }), fails('INPUT_LIMIT', input))
  await assert.rejects(analyze(input, { maxBytes: 1000 }), fails('INPUT_LIMIT', input))
  await assert.rejects(analyze(input, { allowedFormats: ['mp3'] }), fails('INPUT_LIMIT', input))
  await assert.rejects(analyze(input, { maxChannels: 1 }), fails('INPUT_LIMIT', input))
  assert.deepEqual(fs.readdirSync(dir), ['long.wav'])
})

test('SILENT_INPUT: normalizing silence', async (t) => {
  const dir = tmpdir(t)
  const silence = put(dir, 'silence.wav', sineWav({ seconds: 3, dbfs: null }))
  await assert.rejects(normalize(silence, path.join(dir, 'out.wav')), fails('SILENT_INPUT', silence))
  assert.deepEqual(fs.readdirSync(dir), ['silence.wav'])
})

test('INVALID_OPTIONS: a range target in linear mode, unknown preset, wrong types, bad output extension', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 1, dbfs: -23 }))
  const out = path.join(dir, 'out.wav')
  const invalid = (re) => (e) => {
    assert.ok(e instanceof Error)
    assert.equal(e.code, 'INVALID_OPTIONS', e.message)
    assert.match(e.message, re)
    return true
  }
  await assert.rejects(normalize(input, out, { lraLu: 7 }), invalid(/dynamic mode/))
  await assert.rejects(normalize(input, out, { preset: 'loudest' }), invalid(/loudest/))
  await assert.rejects(normalize(input, out, { targetLufs: 'loud' }), invalid(/targetLufs/))
  await assert.rejects(normalize(input, out, { quality: 1.5 }), invalid(/quality/))
  await assert.rejects(normalize(input, path.join(dir, 'out.ogg')), invalid(/out\.ogg/))
  await assert.rejects(normalize(input, 42), invalid(/output/))
  await assert.rejects(analyze(42), invalid(/input/))
  await assert.rejects(analyze(input, 'fast'), invalid(/options/))
  await assert.rejects(analyze(input, { maxBytes: -1 }), invalid(/maxBytes/))
  // Never a synchronous throw: a Promise comes back even for nonsense.
  const p = analyze()
  assert.ok(p instanceof Promise)
  await assert.rejects(p, invalid(/input/))
  assert.deepEqual(fs.readdirSync(dir), ['in.wav'])
})

test('CANCELLED: an aborted signal', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 1, dbfs: -23 }))
  await assert.rejects(
    normalize(input, path.join(dir, 'out.wav'), { signal: AbortSignal.abort() }),
    fails('CANCELLED', input),
  )
})

test('a Buffer input is named <bytes>, or by options.name', async () => {
  const junk = Buffer.from('not audio at all, just some text in a buffer')
  await assert.rejects(analyze(junk), fails('UNSUPPORTED_FORMAT', '<bytes>'))
  await assert.rejects(analyze(junk, { name: 'upload-42.mp3' }), fails('UNSUPPORTED_FORMAT', 'upload-42.mp3'))
  await assert.rejects(analyze(Buffer.alloc(0), { name: 'empty-upload' }), fails('CORRUPT_INPUT', 'empty-upload'))
})
