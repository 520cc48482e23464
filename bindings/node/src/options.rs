//! JS option objects: every field optional, camelCase, defaults from the core. Each maps onto
//! the core's option struct field by field; validation beyond JS types is the core's.

use napi::bindgen_prelude::{FnArgs, Function, Object};
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use crate::error::{Mapped, invalid};

/// A progress callback as napi hands it over (wrapped in a thread-safe function in `task.rs`):
/// `(stage, fraction)` with the stage as the core names it (`Stage::as_str`).
pub(crate) type ProgressCallback<'a> = Function<'a, ProgressArgs, UnknownReturnValue>;
pub(crate) type ProgressArgs = FnArgs<(&'static str, f64)>;

/// Options of `analyze()`. Every field is optional.
#[napi(object, object_to_js = false)]
pub struct AnalyzeOptions<'a> {
    /// Largest input in bytes (`INPUT_LIMIT` over it). Default 4 GiB.
    pub max_bytes: Option<f64>,
    /// Shortest accepted duration, seconds. Default 0.
    pub min_duration_s: Option<f64>,
    /// Longest accepted duration, seconds. Default 24 hours.
    pub max_duration_s: Option<f64>,
    /// Most channels accepted. Default 8.
    pub max_channels: Option<f64>,
    /// Lowest sample rate accepted, Hz. Default 8000.
    pub min_sample_rate: Option<f64>,
    /// Highest sample rate accepted, Hz. Default 192000.
    pub max_sample_rate: Option<f64>,
    /// Containers accepted, judged by content. Default: all that loudcore reads.
    #[napi(ts_type = "Array<InputFormat>")]
    pub allowed_formats: Option<Vec<String>>,
    /// Fail on the first damaged frame instead of skipping it (and counting it in
    /// `skippedFrames`). Default false.
    pub strict: Option<bool>,
    /// Accept an input that ends before its headers say it should, with a warning, instead
    /// of failing with `CORRUPT_INPUT`. Default false.
    pub allow_truncated: Option<bool>,
    /// Decoder threads for this job, 1 to 8. Default 2.
    pub threads: Option<f64>,
    /// Also return momentary and short-term loudness every 100 ms in `curve`. Default false.
    pub curve: Option<bool>,
    /// The name error messages use for a `Buffer` input (default `<bytes>`).
    pub name: Option<String>,
    /// Called on the main thread as the job advances: `stage` and the fraction of the whole
    /// job done (0 to 1, never decreasing, the last call 1). Calls are throttled to about
    /// every 1% or 250 ms and all arrive before the Promise settles. If the callback throws,
    /// the job stops and the Promise rejects with what it threw.
    #[napi(ts_type = "(stage: Stage, fraction: number) => void")]
    pub on_progress: Option<ProgressCallback<'a>>,
    /// Aborting it stops the job at its next block and rejects the Promise with code
    /// `CANCELLED`. Aborting after the job finished has no effect.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Object<'a>>,
}

/// Options of `normalize()`. Every field is optional. Explicit targets override the preset,
/// which overrides the defaults (-14 LUFS, -1 dBTP).
#[napi(object, object_to_js = false)]
pub struct NormalizeOptions<'a> {
    /// Integrated loudness to reach, LUFS. Default -14 (or the preset's).
    pub target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP. Default -1 (or the preset's).
    pub true_peak_dbtp: Option<f64>,
    /// Loudness-range target, LU (dynamic mode only).
    pub lra_lu: Option<f64>,
    /// A named target that sets `targetLufs` and `truePeakDbtp`.
    #[napi(ts_type = "Preset")]
    pub preset: Option<String>,
    /// `linear` (default): one gain plus a true-peak limiter, dynamics preserved. `dynamic`
    /// is not supported yet and is refused with `INVALID_OPTIONS`, never substituted.
    #[napi(ts_type = "Mode")]
    pub mode: Option<String>,
    /// Constant bit rate for lossy outputs, bits per second (MP3 default: VBR V0).
    pub bitrate: Option<f64>,
    /// MP3 VBR quality 0 (best) to 9; FLAC compression level.
    pub quality: Option<f64>,
    /// PCM bits for WAV (16, 24, 32 = float) and FLAC (16, 24).
    pub bits_per_sample: Option<f64>,
    /// Output sample rate, Hz. Default: the input's.
    pub sample_rate: Option<f64>,
    /// Renders allowed per output before giving up on the target. Default 4.
    pub max_attempts: Option<f64>,
    /// Largest input in bytes (`INPUT_LIMIT` over it). Default 4 GiB.
    pub max_bytes: Option<f64>,
    /// Shortest accepted duration, seconds. Default 0.
    pub min_duration_s: Option<f64>,
    /// Longest accepted duration, seconds. Default 24 hours.
    pub max_duration_s: Option<f64>,
    /// Most channels accepted. Default 8.
    pub max_channels: Option<f64>,
    /// Lowest sample rate accepted, Hz. Default 8000.
    pub min_sample_rate: Option<f64>,
    /// Highest sample rate accepted, Hz. Default 192000.
    pub max_sample_rate: Option<f64>,
    /// Containers accepted, judged by content. Default: all that loudcore reads.
    #[napi(ts_type = "Array<InputFormat>")]
    pub allowed_formats: Option<Vec<String>>,
    /// Fail on the first damaged frame instead of skipping it (and counting it in
    /// `skippedFrames`). Default false.
    pub strict: Option<bool>,
    /// Accept an input that ends before its headers say it should, with a warning, instead
    /// of failing with `CORRUPT_INPUT`. Default false.
    pub allow_truncated: Option<bool>,
    /// Decoder threads for this job, 1 to 8. Default 2.
    pub threads: Option<f64>,
    /// The name error messages use for a `Buffer` input (default `<bytes>`).
    pub name: Option<String>,
    /// Called on the main thread as the job advances: `stage` and the fraction of the whole job done (0 to 1, never decreasing,
    /// the last call 1). Calls are throttled to about every 1% or 250 ms and all arrive
    /// before the Promise settles. If the callback throws, the job stops, nothing is
    /// written, and the Promise rejects with what it threw.
    #[napi(ts_type = "(stage: Stage, fraction: number) => void")]
    pub on_progress: Option<ProgressCallback<'a>>,
    /// Aborting it stops the job at its next block, removes any partial output and rejects
    /// the Promise with code `CANCELLED`. Aborting after the job finished has no effect.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Object<'a>>,
}

/// Options of `hls()`. Every field is optional. The loudness targets work as in
/// `normalize()`; bit rate and sample rate are set per variant.
#[napi(object, object_to_js = false)]
pub struct HlsOptions<'a> {
    /// The rungs, `[NAME=]BITRATE@RATE`: `48k@24000`, `high=128k@44100`. Default
    /// `48k@24000`, `64k@32000`, `128k@44100`.
    pub variants: Option<Vec<String>>,
    /// Target segment duration, seconds (1 to 60). Default 10.
    pub segment_seconds: Option<f64>,
    /// Segment container: `ts` (MPEG-TS, default), `packed` (raw ADTS/MP3 with ID3
    /// timestamps) or `fmp4`.
    #[napi(ts_type = "HlsContainer")]
    pub container: Option<String>,
    /// Codec of every rung: `aac` (AAC-LC, default) or `mp3`.
    #[napi(ts_type = "HlsCodec")]
    pub codec: Option<String>,
    /// `nested` (default): `NAME/playlist.m3u8` + `NAME/segment_00000.ts`; `flat`:
    /// `NAME.m3u8` + `NAME_000.aac`.
    #[napi(ts_type = "HlsLayout")]
    pub layout: Option<String>,
    /// Integrated loudness to reach, LUFS. Default -14 (or the preset's).
    pub target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP. Default -1 (or the preset's).
    pub true_peak_dbtp: Option<f64>,
    /// Loudness-range target, LU (dynamic mode only).
    pub lra_lu: Option<f64>,
    /// A named target that sets `targetLufs` and `truePeakDbtp`.
    #[napi(ts_type = "Preset")]
    pub preset: Option<String>,
    /// `linear` (default): one gain plus a true-peak limiter, dynamics preserved. `dynamic`
    /// is not supported yet and is refused with `INVALID_OPTIONS`, never substituted.
    #[napi(ts_type = "Mode")]
    pub mode: Option<String>,
    /// Renders allowed per variant before giving up on the target. Default 4.
    pub max_attempts: Option<f64>,
    /// Largest input in bytes (`INPUT_LIMIT` over it). Default 4 GiB.
    pub max_bytes: Option<f64>,
    /// Shortest accepted duration, seconds. Default 0.
    pub min_duration_s: Option<f64>,
    /// Longest accepted duration, seconds. Default 24 hours.
    pub max_duration_s: Option<f64>,
    /// Most channels accepted. Default 8.
    pub max_channels: Option<f64>,
    /// Lowest sample rate accepted, Hz. Default 8000.
    pub min_sample_rate: Option<f64>,
    /// Highest sample rate accepted, Hz. Default 192000.
    pub max_sample_rate: Option<f64>,
    /// Containers accepted, judged by content. Default: all that loudcore reads.
    #[napi(ts_type = "Array<InputFormat>")]
    pub allowed_formats: Option<Vec<String>>,
    /// Fail on the first damaged frame instead of skipping it (and counting it in
    /// `skippedFrames`). Default false.
    pub strict: Option<bool>,
    /// Accept an input that ends before its headers say it should, with a warning, instead
    /// of failing with `CORRUPT_INPUT`. Default false.
    pub allow_truncated: Option<bool>,
    /// Decoder threads for this job, 1 to 8. Default 2.
    pub threads: Option<f64>,
    /// The name error messages use for a `Buffer` input (default `<bytes>`).
    pub name: Option<String>,
    /// Called on the main thread as the job advances: `stage` and the fraction of the whole
    /// job done (0 to 1, never decreasing, the last call 1). Calls are throttled to about
    /// every 1% or 250 ms and all arrive before the Promise settles. If the callback throws,
    /// the job stops, nothing is written, and the Promise rejects with what it threw.
    #[napi(ts_type = "(stage: Stage, fraction: number) => void")]
    pub on_progress: Option<ProgressCallback<'a>>,
    /// Aborting it stops the job at its next block, leaves the output directory as it was
    /// and rejects the Promise with code `CANCELLED`. Aborting after the job finished has
    /// no effect.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Object<'a>>,
}

/// A JS number that must be a whole number in `T`'s range.
fn whole<T: TryFrom<u64>>(name: &str, v: f64) -> Mapped<T> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u64::MAX as f64 {
        if let Ok(t) = T::try_from(v as u64) {
            return Ok(t);
        }
    }
    Err(invalid(format!(
        "{name} must be a whole number in range, got {v}"
    )))
}

fn opt_whole<T: TryFrom<u64>>(name: &str, v: Option<f64>) -> Mapped<Option<T>> {
    v.map(|v| whole(name, v)).transpose()
}

/// The limits and decode options both option objects carry, mapped onto the core's
/// `Limits` and `DecodeOptions` (unset fields keep the core's defaults).
macro_rules! limits_and_decode {
    ($o:expr) => {{
        let o = $o;
        let mut l = loudcore::Limits::default();
        if let Some(v) = opt_whole("maxBytes", o.max_bytes)? {
            l.max_bytes = Some(v);
        }
        if let Some(v) = o.min_duration_s {
            l.min_duration_s = v;
        }
        if let Some(v) = o.max_duration_s {
            l.max_duration_s = Some(v);
        }
        if let Some(v) = opt_whole("maxChannels", o.max_channels)? {
            l.max_channels = v;
        }
        if let Some(v) = opt_whole("minSampleRate", o.min_sample_rate)? {
            l.min_sample_rate = v;
        }
        if let Some(v) = opt_whole("maxSampleRate", o.max_sample_rate)? {
            l.max_sample_rate = v;
        }
        if let Some(names) = o.allowed_formats.take() {
            l.allowed_formats = names
                .iter()
                .map(|n| {
                    n.parse()
                        .map_err(|e| invalid(format!("allowedFormats: {e}")))
                })
                .collect::<Mapped<_>>()?;
        }
        let mut d = loudcore::DecodeOptions::default();
        if let Some(v) = o.strict {
            d.strict = v;
        }
        if let Some(v) = o.allow_truncated {
            d.allow_truncated = v;
        }
        if let Some(v) = opt_whole("threads", o.threads)? {
            d.threads = v;
        }
        (l, d)
    }};
}

/// The data part of analyze's options; `onProgress` and `signal` are wired in `task.rs`.
pub(crate) fn analyze(o: &mut AnalyzeOptions) -> Mapped<loudcore::AnalyzeOptions> {
    let (limits, decode) = limits_and_decode!(&mut *o);
    Ok(loudcore::AnalyzeOptions {
        limits,
        decode,
        curve: o.curve.unwrap_or(false),
        ..Default::default()
    })
}

/// The data part of normalize's options; `onProgress` and `signal` are wired in `task.rs`.
pub(crate) fn normalize(o: &mut NormalizeOptions) -> Mapped<loudcore::NormalizeOptions> {
    let (limits, decode) = limits_and_decode!(&mut *o);
    Ok(loudcore::NormalizeOptions {
        target_lufs: o.target_lufs,
        true_peak_dbtp: o.true_peak_dbtp,
        lra_lu: o.lra_lu,
        preset: o.preset.as_deref().map(str::parse).transpose()?,
        mode: o
            .mode
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or_default(),
        bitrate: opt_whole("bitrate", o.bitrate)?,
        quality: opt_whole("quality", o.quality)?,
        bits_per_sample: opt_whole("bitsPerSample", o.bits_per_sample)?,
        sample_rate: opt_whole("sampleRate", o.sample_rate)?,
        max_attempts: opt_whole("maxAttempts", o.max_attempts)?,
        limits,
        decode,
        ..Default::default()
    })
}

/// The data part of hls's options; `onProgress` and `signal` are wired in `task.rs`.
pub(crate) fn hls(o: &mut HlsOptions) -> Mapped<loudcore::HlsOptions> {
    let (limits, decode) = limits_and_decode!(&mut *o);
    let defaults = loudcore::HlsOptions::default();
    Ok(loudcore::HlsOptions {
        variants: o
            .variants
            .iter()
            .flatten()
            .map(|v| v.parse())
            .collect::<Mapped<_>>()?,
        segment_seconds: o.segment_seconds.unwrap_or(defaults.segment_seconds),
        container: o
            .container
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or(defaults.container),
        codec: o
            .codec
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or(defaults.codec),
        layout: o
            .layout
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or(defaults.layout),
        normalize: loudcore::NormalizeOptions {
            target_lufs: o.target_lufs,
            true_peak_dbtp: o.true_peak_dbtp,
            lra_lu: o.lra_lu,
            preset: o.preset.as_deref().map(str::parse).transpose()?,
            mode: o
                .mode
                .as_deref()
                .map(str::parse)
                .transpose()?
                .unwrap_or_default(),
            max_attempts: opt_whole("maxAttempts", o.max_attempts)?,
            limits,
            decode,
            ..Default::default()
        },
    })
}
