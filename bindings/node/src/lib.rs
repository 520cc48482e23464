//! Node.js binding of loudcore (napi-rs). Type mapping only: every decision is the core's.
//!
//! - `options.rs` hands each key of a JS options object (camelCase) to the core's `set`
//!   under its snake_case name, with its value by JS type: no option or default is
//!   written in the binding (the TypeScript interfaces are in `types-header.d.ts`).
//! - `types.rs` maps the core's `Analysis` and `Report` to plain JS objects.
//! - `error.rs` maps `loudcore::Error` to a JS `Error` with a `code`.
//! - `task.rs` is the one place that schedules work: on the libuv thread pool, with
//!   progress through a thread-safe function and cancellation from an `AbortSignal`.

mod error;
mod options;
mod task;
mod types;

use napi::bindgen_prelude::{AsyncTask, Env, Result, Unknown};
use napi_derive::napi;

pub use options::{CoreOption, core_options, stages};
pub use types::{Analysis, CurvePoint, OutputReport, Report, Timings, VariantReport};

/// Measures the loudness of `input` (EBU R128 / ITU-R BS.1770-4) on the libuv thread pool.
///
/// `input` is a file path or the file's bytes in a `Buffer`. The Promise rejects with a
/// `LoudcoreError` whose `code` says what went wrong; it never throws synchronously.
///
/// ```js
/// const { analyze } = require('loudcore')
/// const a = await analyze('upload.mp3', { maxDurationS: 4 * 3600 })
/// console.log(a.integratedLufs, a.truePeakDbtp)
/// ```
#[napi(
    ts_args_type = "input: string | Buffer, options?: AnalyzeOptions | null",
    ts_return_type = "Promise<Analysis>",
    catch_unwind
)]
pub fn analyze(env: Env, input: Unknown, options: Option<Unknown>) -> Result<AsyncTask<task::Job>> {
    task::analyze(&env, input, options)
}

/// Normalizes `input` to a loudness target and writes `output` (format from its extension:
/// `.mp3`, `.m4a`, `.wav`, `.flac`), on the libuv thread pool.
///
/// The output is written under a temporary name and moved into place only when complete and
/// verified: on an error or an abort nothing is left behind. The Promise resolves to a
/// `Report` whose output figures are measured on the decoded output file.
///
/// ```js
/// const { normalize } = require('loudcore')
/// const r = await normalize(upload, 'out.mp3', { preset: 'podcast', onProgress: (s, f) => {} })
/// console.log(r.gainDb, r.outputs[0].integratedLufs)
/// ```
#[napi(
    ts_args_type = "input: string | Buffer, output: string, options?: NormalizeOptions | null",
    ts_return_type = "Promise<Report>",
    catch_unwind
)]
pub fn normalize(
    env: Env,
    input: Unknown,
    output: Unknown,
    options: Option<Unknown>,
) -> Result<AsyncTask<task::Job>> {
    task::normalize(&env, input, output, options)
}

/// Normalizes `input` into several outputs from one analysis and one decode per render, on
/// the libuv thread pool. Each output is a path (format from its extension) or
/// `{ path, bitrate?, quality?, bitsPerSample?, sampleRate? }`, whose settings override
/// the job's `options`.
///
/// Every output is written under a temporary name and moved into place only when all are
/// complete and verified. The Promise resolves to a `Report` with one output per entry.
///
/// ```js
/// const { normalizeTo } = require('loudcore')
/// const r = await normalizeTo(upload, ['out.flac', { path: 'out.mp3', bitrate: '192k' }], { preset: 'spotify' })
/// ```
#[napi(
    ts_args_type = "input: string | Buffer, outputs: Array<string | OutputSpec>, options?: NormalizeOptions | null",
    ts_return_type = "Promise<Report>",
    catch_unwind
)]
pub fn normalize_to(
    env: Env,
    input: Unknown,
    outputs: Unknown,
    options: Option<Unknown>,
) -> Result<AsyncTask<task::Job>> {
    task::normalize_to(&env, input, outputs, options)
}

/// Normalizes `input` once and writes an audio-only HLS ladder into `outDir`: one media
/// playlist and its segments per variant, and `master.m3u8`, on the libuv thread pool.
///
/// The directory is created, or replaced only once the new ladder is complete and every
/// variant verified: on an error or an abort it is left as it was. The Promise resolves to
/// a `Report` with `masterPlaylist` set and one output per variant (`format` `"hls"`,
/// `path` its media playlist, `variant` what the master playlist declares about it).
///
/// ```js
/// const { hls } = require('loudcore')
/// const r = await hls(upload, 'ladder', { container: 'packed', layout: 'flat' })
/// console.log(r.masterPlaylist, r.outputs.map((o) => o.variant?.bandwidth))
/// ```
#[napi(
    ts_args_type = "input: string | Buffer, outDir: string, options?: HlsOptions | null",
    ts_return_type = "Promise<Report>",
    catch_unwind
)]
pub fn hls(
    env: Env,
    input: Unknown,
    out_dir: Unknown,
    options: Option<Unknown>,
) -> Result<AsyncTask<task::Job>> {
    task::hls(&env, input, out_dir, options)
}
