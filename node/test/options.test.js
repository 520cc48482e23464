'use strict'
// Every option and stage of the core reaches JavaScript: each function accepts every option
// of its job (checked against the core's own list, `_options()`), index.d.ts declares each
// of them in the function's options interface, and its `Stage` type lists every stage.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const lib = require('..')
const { analyze, normalize, normalizeTo, hls } = lib
const { sineWav, tmpdir, put } = require('../test-support/audio')

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
const optionsOf = (job) => lib._options().filter((o) => o.jobs.includes(job))
const MISSING = '/nonexistent/never-read.wav'

// Each function, the job whose options it takes, and a call with `options`.
const FUNCTIONS = {
  analyze: ['analyze', (o) => analyze(MISSING, o)],
  normalize: ['normalize', (o) => normalize(MISSING, '/nonexistent/o.wav', o)],
  normalizeTo: ['normalize', (o) => normalizeTo(MISSING, ['/nonexistent/o.wav'], o)],
  hls: ['hls', (o) => hls(MISSING, '/nonexistent/ladder', o)],
}

test('the core lists options for every job, and its stages', () => {
  for (const job of ['analyze', 'normalize', 'hls']) assert.ok(optionsOf(job).length >= 10, job)
  const stages = lib._stages()
  assert.equal(stages[0], 'analyze')
  assert.equal(stages.at(-1), 'done')
})

for (const [fn, [job, call]] of Object.entries(FUNCTIONS)) {
  test(`${fn}() accepts every option of ${job}: a wrong type is INVALID_OPTIONS naming it`, async () => {
    for (const o of optionsOf(job)) {
      const key = camel(o.name)
      const wrong = o.kind === 'bool' ? 'not a boolean' : true
      await assert.rejects(call({ [key]: wrong }), (e) => {
        assert.equal(e.code, 'INVALID_OPTIONS', `${fn} ${key}: ${e.message}`)
        assert.ok(e.message.includes(key), `${fn} ${key}: ${e.message}`)
        assert.doesNotMatch(e.message, /unknown option|does not apply/)
        return true
      })
    }
  })

  test(`${fn}() refuses options of other jobs and unknown keys`, async () => {
    const mine = new Set(optionsOf(job).map((o) => o.name))
    for (const o of lib._options().filter((o) => !mine.has(o.name))) {
      await assert.rejects(call({ [camel(o.name)]: 1 }), (e) => {
        assert.equal(e.code, 'INVALID_OPTIONS')
        assert.match(e.message, new RegExp(`${camel(o.name)} does not apply`))
        return true
      })
    }
    await assert.rejects(call({ targetLUFS: -14 }), (e) => {
      assert.equal(e.code, 'INVALID_OPTIONS')
      assert.match(e.message, /unknown option "targetLUFS".*maxBytes/)
      return true
    })
  })
}

/** The properties of every interface in index.d.ts, with those of the interfaces it extends. */
function interfaces(dts) {
  const raw = {}
  for (const m of dts.matchAll(/export interface (\w+)(?: extends ([\w, ]+))? \{(?:\}|([\s\S]*?)\n\})/g)) {
    const body = (m[3] ?? '').replace(/\/\*\*[\s\S]*?\*\//g, '')
    raw[m[1]] = {
      extends: m[2] ? m[2].split(',').map((s) => s.trim()) : [],
      props: [...body.matchAll(/^\s*(\w+)\??:/gm)].map((p) => p[1]),
    }
  }
  const resolve = (name) => {
    const i = raw[name]
    assert.ok(i, `interface ${name} is declared`)
    return new Set([...i.props, ...i.extends.flatMap((e) => [...resolve(e)])])
  }
  return resolve
}

test('index.d.ts declares every option of each function in its options interface', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const props = interfaces(dts)
  for (const [fn, [job]] of Object.entries(FUNCTIONS)) {
    const decl = dts.match(new RegExp(`export declare function ${fn}\\(([^)]*)\\)`))
    assert.ok(decl, `${fn} is declared`)
    const iface = decl[1].match(/options\?: (\w+)/)
    assert.ok(iface, `${fn} takes options: ${decl[1]}`)
    const declared = props(iface[1])
    for (const o of optionsOf(job)) {
      assert.ok(declared.has(camel(o.name)), `${fn}: ${camel(o.name)} is missing from ${iface[1]}`)
    }
    for (const hook of ['name', 'onProgress', 'signal']) assert.ok(declared.has(hook), `${fn}: ${hook}`)
  }
  // An output of normalizeTo takes every per-output option (those of normalize alone).
  const perOutput = lib._options().filter((o) => o.jobs.length === 1 && o.jobs[0] === 'normalize')
  assert.ok(perOutput.length >= 4)
  const spec = props('OutputSpec')
  for (const o of perOutput) assert.ok(spec.has(camel(o.name)), `OutputSpec: ${camel(o.name)}`)
})

test("index.d.ts's Stage type lists every stage of the core", () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const m = dts.match(/export type Stage =([^\n]*)/)
  assert.ok(m, 'Stage is declared')
  const listed = [...m[1].matchAll(/'(\w+)'/g)].map((s) => s[1])
  assert.deepEqual(listed, lib._stages())
})

test('undefined and null keep the default; snake_case is not an option name', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 1, dbfs: -20 }))
  const a = await analyze(input, { curve: undefined, threads: null, maxChannels: undefined })
  assert.equal(a.curve, null)
})

test('minSampleRate / maxSampleRate are enforced', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'cd.wav', sineWav({ seconds: 1, dbfs: -20, sampleRate: 44100 }))
  assert.equal((await analyze(input)).sampleRate, 44100)
  const limit = (e) => {
    assert.equal(e.code, 'INPUT_LIMIT', e.message)
    assert.ok(e.message.includes('cd.wav'), e.message)
    return true
  }
  await assert.rejects(analyze(input, { maxSampleRate: 32000 }), limit)
  await assert.rejects(normalize(input, path.join(dir, 'o.wav'), { minSampleRate: 48000 }), limit)
  await assert.rejects(hls(input, path.join(dir, 'ladder'), { maxSampleRate: 32000 }), limit)
  assert.deepEqual(fs.readdirSync(dir), ['cd.wav'])
})

test('normalizeTo: several outputs, each with its own settings', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 4, dbfs: -26 }))
  const r = await normalizeTo(
    input,
    [path.join(dir, 'a.wav'), { path: path.join(dir, 'a.mp3'), bitrate: '192k' }, { path: path.join(dir, 'a44.flac'), sampleRate: 44100, bitsPerSample: 24 }],
    { targetLufs: -16 },
  )
  assert.deepEqual(r.outputs.map((o) => path.basename(o.path)), ['a.wav', 'a.mp3', 'a44.flac'])
  assert.deepEqual(r.outputs.map((o) => o.format), ['wav', 'mp3', 'flac'])
  for (const o of r.outputs) {
    assert.ok(o.verified, o.path)
    assert.ok(Math.abs(o.integratedLufs + 16) <= 0.1, `${o.path}: ${o.integratedLufs}`)
  }
  assert.equal(r.outputs[2].sampleRate, 44100)
  assert.ok(Math.abs(r.outputs[1].bitRate - 192000) < 20000, `mp3 bit rate ${r.outputs[1].bitRate}`)
  await assert.rejects(normalizeTo(input, [{ path: path.join(dir, 'x.wav'), bitrate: true }]), (e) => {
    assert.equal(e.code, 'INVALID_OPTIONS')
    assert.match(e.message, /bitrate/)
    return true
  })
  await assert.rejects(normalizeTo(input, [{ path: path.join(dir, 'x.wav'), targetLufs: -14 }]), (e) => {
    assert.equal(e.code, 'INVALID_OPTIONS')
    assert.match(e.message, /targetLufs/)
    return true
  })
  await assert.rejects(normalizeTo(input, 'out.wav'), { code: 'INVALID_OPTIONS' })
  await assert.rejects(normalizeTo(input, [{ bitrate: 128000 }]), { code: 'INVALID_OPTIONS' })
  assert.deepEqual(fs.readdirSync(dir).sort(), ['a.mp3', 'a.wav', 'a44.flac', 'in.wav'])
})
