// Compiled with `tsc --noEmit --strict` by types.test.js: how a TypeScript service uses
// loudcore. Lines marked @ts-expect-error must NOT compile, which shows the types are real.
import { readFile } from 'node:fs/promises'
import {
  analyze,
  hls,
  normalize,
  normalizeTo,
  type Analysis,
  type AnalyzeOptions,
  type ErrorCode,
  type HlsCodec,
  type HlsContainer,
  type HlsLayout,
  type HlsOptions,
  type LoudcoreError,
  type Mode,
  type NormalizeOptions,
  type OutputReport,
  type OutputSpec,
  type Preset,
  type Report,
  type Stage,
  type VariantReport,
} from '../..'

async function worker(uploadPath: string, out: string, signal: AbortSignal): Promise<number> {
  const onProgress = (stage: Stage, fraction: number): void => {
    if (stage === 'render' || stage === 'done') console.log(`${stage} ${(fraction * 100).toFixed(0)}%`)
  }
  const options: NormalizeOptions = {
    preset: 'podcast',
    truePeakDbtp: -1.5,
    bitrate: 192_000,
    sampleRate: 44100,
    maxBytes: 300 * 2 ** 20,
    maxDurationS: 4 * 3600,
    allowedFormats: ['mp3', 'mp4', 'wav'],
    strict: false,
    threads: 2,
    onProgress,
    signal,
  }
  const report: Report = await normalize(await readFile(uploadPath), out, options)
  const ranged: Report = await normalize(uploadPath, out, { mode: 'dynamic', lraLu: 11, gainCurve: true })
  const curve: Float32Array | null = ranged.dynamic ? ranged.dynamic.gainCurveDb : null
  const mode: Mode = ranged.mode
  console.log(mode, curve?.length, ranged.dynamic?.maxGainStepDb)
  const first: OutputReport | undefined = report.outputs[0]
  const lufs: number | null = first ? first.integratedLufs : null
  const input: Analysis = report.input
  console.log(input.codec, input.format, input.bitRate ?? 'unknown bit rate', report.timings.renderS)
  return lufs ?? Number.NaN
}

async function measure(path: string): Promise<void> {
  const opts: AnalyzeOptions = { curve: true, minDurationS: 1, allowTruncated: true }
  const a = await analyze(path, opts)
  // Silence has no loudness: the type says so.
  const lufs: number = a.integratedLufs ?? -Infinity
  for (const p of a.curve ?? []) console.log(p.tS, p.momentaryLufs, p.shortTermLufs)
  console.log(lufs, a.truePeakDbtp, a.lraLu, a.durationS, a.sampleRate, a.channels, a.warnings.join('; '))
  await analyze(Buffer.from([]), { name: 'upload.mp3' })
  await analyze(path)
}

async function ladder(upload: Buffer, dir: string, signal: AbortSignal): Promise<string[]> {
  const container: HlsContainer = 'fmp4'
  const codec: HlsCodec = 'aac'
  const layout: HlsLayout = 'flat'
  const options: HlsOptions = {
    variants: ['low=48k@24000', 'high=128k@44100'],
    segmentSeconds: 6,
    container,
    codec,
    layout,
    preset: 'apple-music',
    targetLufs: -16,
    truePeakDbtp: -1,
    mode: 'linear',
    maxAttempts: 3,
    maxDurationS: 3600,
    allowedFormats: ['mp3', 'wav'],
    strict: false,
    allowTruncated: false,
    threads: 2,
    name: 'upload.wav',
    onProgress: (stage: Stage, fraction: number) => console.log(stage, fraction),
    signal,
  }
  const r: Report = await hls(upload, dir, options)
  // normalize() leaves it null: the type says so.
  const master: string = r.masterPlaylist ?? 'none'
  const lines: string[] = [master]
  for (const o of r.outputs) {
    const v: VariantReport | null = o.variant
    if (v) lines.push(`${v.name} ${v.container} ${v.codec} ${v.codecs} ${v.nominalBitRate} ${v.bandwidth} ${v.averageBandwidth} ${v.segments}`)
  }
  await hls('in.wav', dir)
  return lines
}

function describe(e: unknown): string {
  const err = e as LoudcoreError
  const code: ErrorCode = err.code
  switch (code) {
    case 'NOT_FOUND':
    case 'IO':
    case 'UNSUPPORTED_FORMAT':
    case 'CORRUPT_INPUT':
    case 'INPUT_LIMIT':
    case 'SILENT_INPUT':
    case 'INVALID_OPTIONS':
    case 'CANCELLED':
    case 'INTERNAL':
      return `${code}: ${err.message} (${err.file ?? 'no file'})`
  }
}

async function several(upload: Buffer, dir: string): Promise<Report> {
  const outputs: Array<string | OutputSpec> = [`${dir}/a.flac`, { path: `${dir}/a.mp3`, bitrate: '192k', sampleRate: 44100 }]
  return normalizeTo(upload, outputs, { preset: 'spotify', minSampleRate: 8000, maxSampleRate: 96000, bitsPerSample: 24 })
}

const preset: Preset = 'apple-music'

// @ts-expect-error: targetLufs is a number
void normalize('in.mp3', 'out.mp3', { targetLufs: '-14' })
// @ts-expect-error: not a preset
void normalize('in.mp3', 'out.mp3', { preset: 'loudest' })
// @ts-expect-error: the output is required
void normalize('in.mp3')
// @ts-expect-error: integratedLufs may be null
const notNull: number = ({} as Analysis).integratedLufs
// @ts-expect-error: options are camelCase
void analyze('in.mp3', { max_duration_s: 10 })
// @ts-expect-error: input is a path or a Buffer
void analyze(42)
// @ts-expect-error: not a format loudcore reads
void analyze('in.mp3', { allowedFormats: ['wma'] })
// @ts-expect-error: the output directory is required
void hls('in.mp3')
// @ts-expect-error: not a container
void hls('in.mp3', 'out', { container: 'mkv' })
// @ts-expect-error: not a layout
void hls('in.mp3', 'out', { layout: 'deep' })
// @ts-expect-error: variants are strings such as '64k@32000'
void hls('in.mp3', 'out', { variants: [64000] })
// @ts-expect-error: bit rate and sample rate are set per variant
void hls('in.mp3', 'out', { bitrate: 128_000 })
// @ts-expect-error: an output needs a path
void normalizeTo('in.mp3', [{ bitrate: 128_000 }])
// @ts-expect-error: per-output settings are camelCase
void normalizeTo('in.mp3', [{ path: 'o.wav', bits_per_sample: 24 }])
// @ts-expect-error: targets are set for the whole job, not per output
void normalizeTo('in.mp3', [{ path: 'o.wav', targetLufs: -14 }])
// @ts-expect-error: masterPlaylist may be null
const master: string = ({} as Report).masterPlaylist

export { worker, measure, ladder, several, describe, preset, notNull, master }
