//! `loudcore._loudcore`: the Python binding of loudcore. Type mapping only: keyword
//! arguments become the core's options, results become read-only classes, core errors
//! become the exception tree of `error.rs`, and `run.rs` releases the GIL for every job.

#![allow(clippy::too_many_arguments)]

mod error;
mod run;
mod types;

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use loudcore::{AnalyzeOptions, DecodeOptions, Format, Input, Limits, NormalizeOptions};

use crate::run::{CancelToken, run};
use crate::types::{
    Analysis, CurvePoint, OutputReport, OutputSpec, Report, Timings, VariantReport,
};

/// `str | os.PathLike | bytes` to a core input; `name` labels bytes in messages.
fn input(obj: &Bound<'_, PyAny>, name: Option<String>) -> PyResult<Input> {
    let input = if let Ok(b) = obj.cast::<PyBytes>() {
        Input::bytes(b.as_bytes())
    } else {
        Input::from(obj.extract::<PathBuf>()?)
    };
    Ok(match name {
        Some(n) => input.named(n),
        None => input,
    })
}

/// Limit keywords to core limits; `None` keeps the core's default.
fn limits(
    py: Python<'_>,
    max_bytes: Option<u64>,
    min_duration_s: Option<f64>,
    max_duration_s: Option<f64>,
    max_channels: Option<u32>,
    allowed_formats: Option<Vec<String>>,
) -> PyResult<Limits> {
    let mut l = Limits::default();
    if let Some(v) = max_bytes {
        l.max_bytes = Some(v);
    }
    if let Some(v) = min_duration_s {
        l.min_duration_s = v;
    }
    if let Some(v) = max_duration_s {
        l.max_duration_s = Some(v);
    }
    if let Some(v) = max_channels {
        l.max_channels = v;
    }
    if let Some(names) = allowed_formats {
        l.allowed_formats = names
            .iter()
            .map(|n| n.parse::<Format>())
            .collect::<Result<_, _>>()
            .map_err(|detail| error::invalid(py, detail))?;
    }
    Ok(l)
}

fn decode(strict: bool, allow_truncated: bool, threads: Option<usize>) -> DecodeOptions {
    let d = DecodeOptions::default();
    DecodeOptions {
        strict,
        allow_truncated,
        threads: threads.unwrap_or(d.threads),
    }
}

/// Measures the loudness of an input (a path or bytes) per EBU R128 / ITU-R BS.1770-4.
///
/// `name` labels bytes in error messages. Limits left at None keep the defaults (4 GiB,
/// 24 h, 8 channels, every format). `on_progress(stage, fraction)` and `cancel` follow and
/// stop the job. The GIL is released while the job runs.
#[pyfunction]
#[pyo3(signature = (
    input, *, name=None, curve=false, strict=false, allow_truncated=false, threads=None,
    max_bytes=None, min_duration_s=None, max_duration_s=None, max_channels=None,
    allowed_formats=None, on_progress=None, cancel=None,
))]
fn analyze(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    name: Option<String>,
    curve: bool,
    strict: bool,
    allow_truncated: bool,
    threads: Option<usize>,
    max_bytes: Option<u64>,
    min_duration_s: Option<f64>,
    max_duration_s: Option<f64>,
    max_channels: Option<u32>,
    allowed_formats: Option<Vec<String>>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<PyRef<'_, CancelToken>>,
) -> PyResult<Analysis> {
    let input = self::input(input, name)?;
    let limits = limits(
        py,
        max_bytes,
        min_duration_s,
        max_duration_s,
        max_channels,
        allowed_formats,
    )?;
    let decode = decode(strict, allow_truncated, threads);
    let file = input.name();
    let analysis = run(
        py,
        &file,
        cancel.as_deref(),
        on_progress,
        move |cancel, progress| {
            let opts = AnalyzeOptions {
                limits,
                decode,
                curve,
                cancel: Some(cancel),
                on_progress: Some(progress),
            };
            loudcore::analyze_with(&input, &opts)
        },
    )?;
    Ok(analysis.into())
}

/// The keywords `normalize` and `normalize_to` share, before the job's hooks are added.
fn normalize_options(
    py: Python<'_>,
    target_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    lra_lu: Option<f64>,
    preset: Option<&str>,
    mode: &str,
    bitrate: Option<u32>,
    quality: Option<u8>,
    bits_per_sample: Option<u16>,
    sample_rate: Option<u32>,
    max_attempts: Option<u32>,
    decode: DecodeOptions,
    limits: Limits,
) -> PyResult<NormalizeOptions> {
    let preset = preset
        .map(str::parse::<loudcore::Preset>)
        .transpose()
        .map_err(|e| error::to_py(py, &e))?;
    let mode = mode
        .parse::<loudcore::Mode>()
        .map_err(|e| error::to_py(py, &e))?;
    Ok(NormalizeOptions {
        target_lufs,
        true_peak_dbtp,
        lra_lu,
        preset,
        mode,
        bitrate,
        quality,
        bits_per_sample,
        sample_rate,
        limits,
        decode,
        max_attempts,
        cancel: None,
        on_progress: None,
    })
}

fn normalize_job(
    py: Python<'_>,
    input: Input,
    outputs: Vec<loudcore::OutputSpec>,
    opts: NormalizeOptions,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<&CancelToken>,
) -> PyResult<Report> {
    let file = input.name();
    let report = run(py, &file, cancel, on_progress, move |cancel, progress| {
        let opts = NormalizeOptions {
            cancel: Some(cancel),
            on_progress: Some(progress),
            ..opts
        };
        loudcore::normalize_to(&input, &outputs, &opts)
    })?;
    Ok(report.into())
}

/// Normalizes an input into one output file (format from its extension: .mp3, .m4a, .wav, .flac).
///
/// An explicit `target_lufs` / `true_peak_dbtp` overrides the `preset` ("spotify",
/// "apple-music", "youtube", "amazon", "tidal", "deezer", "podcast", "ebu-r128",
/// "atsc-a85"), which overrides the defaults (-14 LUFS, -1 dBTP). The output appears only
/// when complete and verified. The GIL is released while the job runs.
#[pyfunction]
#[pyo3(signature = (
    input, output, *, target_lufs=None, true_peak_dbtp=None, lra_lu=None, preset=None,
    mode="linear", bitrate=None, quality=None, bits_per_sample=None, sample_rate=None,
    max_attempts=None, name=None, strict=false, allow_truncated=false, threads=None,
    max_bytes=None, min_duration_s=None, max_duration_s=None, max_channels=None,
    allowed_formats=None, on_progress=None, cancel=None,
))]
fn normalize(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    output: PathBuf,
    target_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    lra_lu: Option<f64>,
    preset: Option<&str>,
    mode: &str,
    bitrate: Option<u32>,
    quality: Option<u8>,
    bits_per_sample: Option<u16>,
    sample_rate: Option<u32>,
    max_attempts: Option<u32>,
    name: Option<String>,
    strict: bool,
    allow_truncated: bool,
    threads: Option<usize>,
    max_bytes: Option<u64>,
    min_duration_s: Option<f64>,
    max_duration_s: Option<f64>,
    max_channels: Option<u32>,
    allowed_formats: Option<Vec<String>>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<PyRef<'_, CancelToken>>,
) -> PyResult<Report> {
    let input = self::input(input, name)?;
    let limits = limits(
        py,
        max_bytes,
        min_duration_s,
        max_duration_s,
        max_channels,
        allowed_formats,
    )?;
    let opts = normalize_options(
        py,
        target_lufs,
        true_peak_dbtp,
        lra_lu,
        preset,
        mode,
        bitrate,
        quality,
        bits_per_sample,
        sample_rate,
        max_attempts,
        decode(strict, allow_truncated, threads),
        limits,
    )?;
    let outputs = vec![loudcore::OutputSpec::from(output)];
    normalize_job(py, input, outputs, opts, on_progress, cancel.as_deref())
}

/// Normalizes an input into several outputs from one analysis and one decode per render.
/// Each output is a path or an `OutputSpec` whose settings override the job's.
#[pyfunction]
#[pyo3(signature = (
    input, outputs, *, target_lufs=None, true_peak_dbtp=None, lra_lu=None, preset=None,
    mode="linear", bitrate=None, quality=None, bits_per_sample=None, sample_rate=None,
    max_attempts=None, name=None, strict=false, allow_truncated=false, threads=None,
    max_bytes=None, min_duration_s=None, max_duration_s=None, max_channels=None,
    allowed_formats=None, on_progress=None, cancel=None,
))]
fn normalize_to(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    outputs: Vec<Bound<'_, PyAny>>,
    target_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    lra_lu: Option<f64>,
    preset: Option<&str>,
    mode: &str,
    bitrate: Option<u32>,
    quality: Option<u8>,
    bits_per_sample: Option<u16>,
    sample_rate: Option<u32>,
    max_attempts: Option<u32>,
    name: Option<String>,
    strict: bool,
    allow_truncated: bool,
    threads: Option<usize>,
    max_bytes: Option<u64>,
    min_duration_s: Option<f64>,
    max_duration_s: Option<f64>,
    max_channels: Option<u32>,
    allowed_formats: Option<Vec<String>>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<PyRef<'_, CancelToken>>,
) -> PyResult<Report> {
    let input = self::input(input, name)?;
    let outputs = outputs
        .iter()
        .map(|o| match o.cast::<OutputSpec>() {
            Ok(spec) => Ok(spec.get().clone().into()),
            Err(_) => Ok(loudcore::OutputSpec::from(o.extract::<PathBuf>()?)),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let limits = limits(
        py,
        max_bytes,
        min_duration_s,
        max_duration_s,
        max_channels,
        allowed_formats,
    )?;
    let opts = normalize_options(
        py,
        target_lufs,
        true_peak_dbtp,
        lra_lu,
        preset,
        mode,
        bitrate,
        quality,
        bits_per_sample,
        sample_rate,
        max_attempts,
        decode(strict, allow_truncated, threads),
        limits,
    )?;
    normalize_job(py, input, outputs, opts, on_progress, cancel.as_deref())
}

/// Normalizes an input once and writes an audio-only HLS ladder into `out_dir` (created,
/// or replaced once the new ladder is complete and every variant verified).
///
/// `variants` is a list of strings such as `"48k@24000"` or `"high=128k@44100"` (default:
/// 48k@24000, 64k@32000, 128k@44100); `container` is "ts", "packed" or "fmp4"; `codec`
/// "aac" or "mp3"; `layout` "nested" or "flat". The GIL is released while the job runs.
#[pyfunction]
#[pyo3(signature = (
    input, out_dir, *, variants=None, segment_seconds=10.0, container="ts", codec="aac",
    layout="nested", target_lufs=None, true_peak_dbtp=None, lra_lu=None, preset=None,
    mode="linear", max_attempts=None, name=None, strict=false, allow_truncated=false,
    threads=None, max_bytes=None, min_duration_s=None, max_duration_s=None,
    max_channels=None, allowed_formats=None, on_progress=None, cancel=None,
))]
fn hls(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    out_dir: PathBuf,
    variants: Option<Vec<String>>,
    segment_seconds: f64,
    container: &str,
    codec: &str,
    layout: &str,
    target_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    lra_lu: Option<f64>,
    preset: Option<&str>,
    mode: &str,
    max_attempts: Option<u32>,
    name: Option<String>,
    strict: bool,
    allow_truncated: bool,
    threads: Option<usize>,
    max_bytes: Option<u64>,
    min_duration_s: Option<f64>,
    max_duration_s: Option<f64>,
    max_channels: Option<u32>,
    allowed_formats: Option<Vec<String>>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<PyRef<'_, CancelToken>>,
) -> PyResult<Report> {
    let input = self::input(input, name)?;
    let limits = limits(
        py,
        max_bytes,
        min_duration_s,
        max_duration_s,
        max_channels,
        allowed_formats,
    )?;
    let normalize = normalize_options(
        py,
        target_lufs,
        true_peak_dbtp,
        lra_lu,
        preset,
        mode,
        None,
        None,
        None,
        None,
        max_attempts,
        decode(strict, allow_truncated, threads),
        limits,
    )?;
    let core = |e: loudcore::Error| error::to_py(py, &e);
    let opts = loudcore::HlsOptions {
        variants: variants
            .unwrap_or_default()
            .iter()
            .map(|v| v.parse::<loudcore::Variant>())
            .collect::<Result<_, _>>()
            .map_err(core)?,
        segment_seconds,
        container: container.parse().map_err(core)?,
        codec: codec.parse().map_err(core)?,
        layout: layout.parse().map_err(core)?,
        normalize,
    };
    let file = input.name();
    let cancel = cancel.as_deref();
    let report = run(py, &file, cancel, on_progress, move |cancel, progress| {
        let opts = loudcore::HlsOptions {
            normalize: NormalizeOptions {
                cancel: Some(cancel),
                on_progress: Some(progress),
                ..opts.normalize
            },
            ..opts
        };
        loudcore::hls(&input, &out_dir, &opts)
    })?;
    Ok(report.into())
}

/// Test hook: a panic inside a job, which must surface as `InternalError`.
#[pyfunction]
fn _panic_in_job(py: Python<'_>) -> PyResult<()> {
    run(py, "<test>", None, None, |_, _| -> loudcore::Result<()> {
        panic!("deliberate panic for the test suite")
    })
}

/// loudcore: decode, measure (EBU R128) and normalize audio without FFmpeg.
#[pymodule]
fn _loudcore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_to, m)?)?;
    m.add_function(wrap_pyfunction!(hls, m)?)?;
    m.add_class::<CancelToken>()?;
    m.add_class::<Analysis>()?;
    m.add_class::<CurvePoint>()?;
    m.add_class::<Report>()?;
    m.add_class::<OutputReport>()?;
    m.add_class::<VariantReport>()?;
    m.add_class::<Timings>()?;
    m.add_class::<OutputSpec>()?;
    error::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Private, and kept out of `__all__`.
    m.setattr("_panic_in_job", wrap_pyfunction!(_panic_in_job, m)?)?;
    Ok(())
}
