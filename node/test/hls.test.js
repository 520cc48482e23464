'use strict'
// hls(): an audio-only HLS ladder from one decode. Every file a playlist names must exist,
// the variants are measured on their own segments, and errors and aborts leave nothing.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { hls } = require('..')
const { sineWav, tmpdir, put, near } = require('../test-support/audio')

/** The URIs of a playlist (lines that are not tags), and `EXT-X-MAP` init segments. */
function uris(playlist) {
  const text = fs.readFileSync(playlist, 'utf8')
  assert.ok(text.startsWith('#EXTM3U'), `${playlist} starts with #EXTM3U`)
  const out = []
  for (const line of text.split(/\r?\n/)) {
    const map = /^#EXT-X-MAP:.*URI="([^"]+)"/.exec(line)
    if (map) out.push(map[1])
    else if (line && !line.startsWith('#')) out.push(line)
  }
  return out
}

/** Every media playlist the master names exists, and every segment each of those names. */
function checkLadder(master) {
  const root = path.dirname(master)
  const media = uris(master).map((u) => path.join(root, u))
  for (const m of media) {
    assert.ok(fs.existsSync(m), `media playlist ${m} exists`)
    const segs = uris(m)
    assert.ok(segs.length > 0, `${m} names segments`)
    for (const s of segs) assert.ok(fs.existsSync(path.join(path.dirname(m), s)), `segment ${s} of ${m} exists`)
  }
  return media
}

test('default ladder: three AAC variants in TS segments, nested, verified on target', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 25, dbfs: -30 }))
  const out = path.join(dir, 'ladder')
  const r = await hls(input, out)
  assert.equal(r.targetLufs, -14)
  assert.equal(r.truePeakDbtp, -1)
  assert.equal(r.masterPlaylist, path.join(out, 'master.m3u8'))
  assert.ok(fs.existsSync(r.masterPlaylist), 'master.m3u8 exists')
  const media = checkLadder(r.masterPlaylist)
  assert.equal(media.length, 3)

  assert.equal(r.outputs.length, 3)
  const want = [
    [48000, 24000],
    [64000, 32000],
    [128000, 44100],
  ]
  for (const o of r.outputs) {
    assert.equal(o.format, 'hls')
    assert.equal(o.verified, true, `${o.path} verified`)
    near(assert, o.integratedLufs, -14, 0.1, `${o.path} integratedLufs`)
    assert.ok(o.truePeakDbtp <= -1 + 1e-9, `${o.path} true peak ${o.truePeakDbtp} under -1 dBTP`)
    near(assert, o.durationS, 25, 0.05, `${o.path} durationS`)
    assert.ok(fs.existsSync(o.path), `${o.path} exists`)
    assert.ok(media.includes(o.path), `${o.path} is in the master playlist`)
    const v = o.variant
    assert.ok(v, 'variant is set')
    assert.equal(o.path, path.join(out, v.name, 'playlist.m3u8'))
    assert.equal(v.container, 'ts')
    assert.equal(v.codec, 'aac')
    assert.equal(v.codecs, 'mp4a.40.2')
    assert.ok(Number.isInteger(v.bandwidth) && Number.isInteger(v.averageBandwidth))
    assert.ok(v.bandwidth >= v.averageBandwidth, `bandwidth ${v.bandwidth} >= average ${v.averageBandwidth}`)
    assert.ok(v.averageBandwidth > 0)
    assert.equal(v.segments, uris(o.path).length, 'segments counts the playlist entries')
    assert.equal(v.segments, 3, '25 s in 10 s segments')
  }
  const rungs = r.outputs
    .map((o) => [o.variant.nominalBitRate, o.sampleRate])
    .sort((a, b) => a[0] - b[0])
  assert.deepEqual(rungs, want)
  assert.deepEqual(new Set(r.outputs.map((o) => o.variant.name)).size, 3, 'names are distinct')
})

test('flat layout, packed audio, named rungs; Buffer input', async (t) => {
  const dir = tmpdir(t)
  const out = path.join(dir, 'flat')
  const r = await hls(sineWav({ seconds: 12, dbfs: -24 }), out, {
    variants: ['high=128k@44100', 'low=64k@32000'],
    container: 'packed',
    layout: 'flat',
    segmentSeconds: 6,
    targetLufs: -16,
  })
  for (const f of ['master.m3u8', 'high.m3u8', 'high_000.aac', 'low.m3u8', 'low_000.aac']) {
    assert.ok(fs.existsSync(path.join(out, f)), `${f} exists`)
  }
  assert.equal(r.masterPlaylist, path.join(out, 'master.m3u8'))
  checkLadder(r.masterPlaylist)
  assert.deepEqual(r.outputs.map((o) => o.variant.name).sort(), ['high', 'low'])
  for (const o of r.outputs) {
    const v = o.variant
    assert.equal(o.path, path.join(out, `${v.name}.m3u8`))
    assert.equal(v.container, 'packed')
    assert.equal(v.codec, 'aac')
    assert.equal(v.codecs, 'mp4a.40.2')
    assert.equal(o.sampleRate, v.name === 'high' ? 44100 : 32000)
    assert.equal(v.nominalBitRate, v.name === 'high' ? 128000 : 64000)
    assert.equal(o.verified, true)
    near(assert, o.integratedLufs, -16, 0.1, `${v.name} integratedLufs`)
    assert.ok(v.bandwidth >= v.averageBandwidth)
  }
})

test('normalize reports have masterPlaylist null and no variant', async (t) => {
  const { normalize } = require('..')
  const dir = tmpdir(t)
  const r = await normalize(put(dir, 'in.wav', sineWav({ seconds: 2, dbfs: -30 })), path.join(dir, 'o.wav'))
  assert.equal(r.masterPlaylist, null)
  assert.equal(r.outputs[0].variant, null)
})

test('invalid options reject with INVALID_OPTIONS and write nothing', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 2, dbfs: -30 }))
  const out = path.join(dir, 'ladder')
  const bad = [
    { variants: ['128k'] },
    { variants: ['fast=lots@44100'] },
    { container: 'mkv' },
    { codec: 'opus' },
    { layout: 'deep' },
    { segmentSeconds: 0.1 },
    { lraLu: 7 },
  ]
  for (const opts of bad) {
    await assert.rejects(hls(input, out, opts), (e) => {
      assert.ok(e instanceof Error)
      assert.equal(e.code, 'INVALID_OPTIONS', `${JSON.stringify(opts)}: ${e.message}`)
      return true
    })
  }
  await assert.rejects(hls(input, 42), { code: 'INVALID_OPTIONS' })
  await assert.rejects(hls(input, out, 'ts'), { code: 'INVALID_OPTIONS' })
  await assert.rejects(hls(input, out, { variants: '48k@24000' }), { code: 'INVALID_OPTIONS' })
  assert.deepEqual(fs.readdirSync(dir), ['in.wav'])
})

test('an aborted signal: CANCELLED and no output directory', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 5, dbfs: -30 }))
  const out = path.join(dir, 'ladder')
  await assert.rejects(hls(input, out, { signal: AbortSignal.abort() }), (e) => {
    assert.equal(e.code, 'CANCELLED')
    assert.ok(e.message.includes(input), `message names the file: ${e.message}`)
    return true
  })
  assert.deepEqual(fs.readdirSync(dir), ['in.wav'])
})

test('abort while rendering: CANCELLED, no directory, no temporary files', async (t) => {
  const dir = tmpdir(t)
  const input = put(dir, 'in.wav', sineWav({ seconds: 60, dbfs: -30 }))
  const ac = new AbortController()
  const stages = []
  await assert.rejects(
    hls(input, path.join(dir, 'ladder'), {
      signal: ac.signal,
      onProgress: (stage) => {
        stages.push(stage)
        if (stage === 'render') ac.abort()
      },
    }),
    { code: 'CANCELLED' },
  )
  assert.ok(stages.includes('render'))
  assert.deepEqual(fs.readdirSync(dir), ['in.wav'])
})

test('progress reaches 1 and never decreases', async (t) => {
  const dir = tmpdir(t)
  const seen = []
  await hls(put(dir, 'in.wav', sineWav({ seconds: 4, dbfs: -30 })), path.join(dir, 'l'), {
    variants: ['48k@24000'],
    onProgress: (stage, f) => seen.push(f),
  })
  assert.ok(seen.length > 0)
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1])
  assert.equal(seen[seen.length - 1], 1)
})
