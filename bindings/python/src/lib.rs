//! `loudcore._loudcore`: the Python binding of loudcore. Type mapping only: keyword
//! arguments go to the core's options by name (`options.rs`), results become read-only
//! classes (`types.rs`), core errors become the exception tree of `error.rs`, and `run.rs`
//! releases the GIL for every job.
//!
//! Each job function names only what is Python's own: the input and output, `name` (the
//! label of bytes), `on_progress` and `cancel`. Every other keyword is an option of the
//! core, set through its `set`; the stub `_loudcore.pyi` types them, and the tests check
//! the stub and the functions against `loudcore::OPTIONS`.

mod error;
mod options;
mod run;
mod types;

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use loudcore::{AnalyzeOptions, HlsOptions, Input, JobKind, NormalizeOptions};

use crate::run::{CancelToken, run};
use crate::types::{
    Analysis, CurvePoint, DynamicReport, OutputReport, OutputSpec, Report, Timings, VariantReport,
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

/// Measures the loudness of an input (a path or bytes) per EBU R128 / ITU-R BS.1770-4.
///
/// `name` labels bytes in error messages. Every other keyword is an option of the core
/// (limits, decoding, `curve`); an option left out or None keeps the core's default.
/// `on_progress(stage, fraction)` and `cancel` follow and stop the job. The GIL is
/// released while the job runs.
#[pyfunction]
#[pyo3(signature = (input, *, name=None, on_progress=None, cancel=None, **options))]
fn analyze(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    name: Option<String>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<PyRef<'_, CancelToken>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Analysis> {
    let input = self::input(input, name)?;
    let mut opts = AnalyzeOptions::default();
    options::apply(JobKind::Analyze, "analyze", options, |n, v| opts.set(n, v))?;
    let analysis = run(py, cancel.as_deref(), on_progress, move |hooks| {
        opts.job = hooks.install(opts.job);
        loudcore::analyze_with(&input, &opts)
    })?;
    Ok(analysis.into())
}

/// A `normalize` or `normalize_to` job.
fn normalize_job(
    py: Python<'_>,
    input: Input,
    function: &str,
    outputs: Vec<loudcore::OutputSpec>,
    options: Option<&Bound<'_, PyDict>>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<&CancelToken>,
) -> PyResult<Report> {
    let mut opts = NormalizeOptions::default();
    options::apply(JobKind::Normalize, function, options, |n, v| opts.set(n, v))?;
    let report = run(py, cancel, on_progress, move |hooks| {
        opts.job = hooks.install(opts.job);
        loudcore::normalize_to(&input, &outputs, &opts)
    })?;
    Ok(report.into())
}

/// Normalizes an input into one output file (format from its extension: .mp3, .m4a, .wav, .flac).
///
/// An explicit `target_lufs` / `true_peak_dbtp` overrides the `preset` ("spotify",
/// "apple-music", "youtube", "amazon", "tidal", "deezer", "podcast", "ebu-r128",
/// "atsc-a85"), which overrides the defaults (-14 LUFS, -1 dBTP). Every keyword but
/// `name`, `on_progress` and `cancel` is an option of the core; left out or None, it keeps
/// the core's default. The output appears only when complete and verified. The GIL is
/// released while the job runs.
#[pyfunction]
#[pyo3(signature = (input, output, *, name=None, on_progress=None, cancel=None, **options))]
fn normalize(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    output: PathBuf,
    name: Option<String>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<PyRef<'_, CancelToken>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Report> {
    let input = self::input(input, name)?;
    let outputs = vec![loudcore::OutputSpec::from(output)];
    normalize_job(
        py,
        input,
        "normalize",
        outputs,
        options,
        on_progress,
        cancel.as_deref(),
    )
}

/// Normalizes an input into several outputs from one analysis and one decode per render.
/// Each output is a path or an `OutputSpec` whose settings override the job's. The
/// keywords are those of `normalize`.
#[pyfunction]
#[pyo3(signature = (input, outputs, *, name=None, on_progress=None, cancel=None, **options))]
fn normalize_to(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    outputs: Vec<Bound<'_, PyAny>>,
    name: Option<String>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<PyRef<'_, CancelToken>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Report> {
    let input = self::input(input, name)?;
    let outputs = outputs
        .iter()
        .map(|o| match o.cast::<OutputSpec>() {
            Ok(spec) => Ok(spec.get().to_core()),
            Err(_) => Ok(loudcore::OutputSpec::from(o.extract::<PathBuf>()?)),
        })
        .collect::<PyResult<Vec<_>>>()?;
    normalize_job(
        py,
        input,
        "normalize_to",
        outputs,
        options,
        on_progress,
        cancel.as_deref(),
    )
}

/// Normalizes an input once and writes an audio-only HLS ladder into `out_dir` (created,
/// or replaced once the new ladder is complete and every variant verified).
///
/// `variants` is a list of strings such as `"48k@24000"` or `"high=128k@44100"`;
/// `container` is "ts", "packed" or "fmp4"; `codec` "aac" or "mp3"; `layout` "nested" or
/// "flat". Every keyword but `name`, `on_progress` and `cancel` is an option of the core;
/// left out or None, it keeps the core's default. The GIL is released while the job runs.
#[pyfunction]
#[pyo3(signature = (input, out_dir, *, name=None, on_progress=None, cancel=None, **options))]
fn hls(
    py: Python<'_>,
    input: &Bound<'_, PyAny>,
    out_dir: PathBuf,
    name: Option<String>,
    on_progress: Option<Py<PyAny>>,
    cancel: Option<PyRef<'_, CancelToken>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Report> {
    let input = self::input(input, name)?;
    let mut opts = HlsOptions::default();
    options::apply(JobKind::Hls, "hls", options, |n, v| opts.set(n, v))?;
    let report = run(py, cancel.as_deref(), on_progress, move |hooks| {
        opts.job = hooks.install(opts.job);
        loudcore::hls(&input, &out_dir, &opts)
    })?;
    Ok(report.into())
}

/// Test hook: a panic inside a core job (in its progress callback), which the core turns
/// into `InternalError`.
#[pyfunction]
fn _panic_in_job(py: Python<'_>) -> PyResult<()> {
    let opts = AnalyzeOptions {
        job: loudcore::JobOptions {
            on_progress: Some(std::sync::Arc::new(|_, _| {
                panic!("deliberate panic for the test suite")
            })),
            ..Default::default()
        },
        ..Default::default()
    };
    let input = Input::bytes(Vec::new()).named("<test>");
    loudcore::analyze_with(&input, &opts)
        .map(drop)
        .map_err(|e| error::to_py(py, &e))
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
    m.add_class::<DynamicReport>()?;
    m.add_class::<OutputSpec>()?;
    error::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Private, and kept out of `__all__`: test hooks and the core's lists for the tests.
    // (`setattr`, not `add_function`, which would list them in `__all__`.)
    m.setattr("_panic_in_job", wrap_pyfunction!(_panic_in_job, m)?)?;
    m.setattr("_options", wrap_pyfunction!(options::_options, m)?)?;
    m.setattr("_stages", wrap_pyfunction!(options::_stages, m)?)?;
    Ok(())
}
