//! UniFFI bindings of loudcore for Kotlin (Android) and Swift (iOS): the same functions as
//! the core, progress through a foreign trait, cancellation through a `Job` handle, and one
//! error enum with a variant per error class.
//!
//! Thin by design: option records (`options.rs`) have every field optional and go to the
//! core's `set` field by field, under the core's names, so no default is written here;
//! results map back to records (`types.rs`).

mod error;
mod job;
mod options;
mod types;

use std::sync::Arc;

pub use error::LoudcoreError;
pub use job::{Job, ProgressListener};
pub use options::{
    AnalyzeOptions, DecodeOptions, HlsOptions, Limits, NormalizeOptions, OutputSpec,
};
pub use types::{Analysis, AudioInput, CurvePoint, OutputReport, Report, Timings, VariantReport};

uniffi::setup_scaffolding!();

/// Measures the loudness of an input (EBU R128 / ITU-R BS.1770-4).
///
/// Runs on the calling thread until done: call it off the UI thread.
#[uniffi::export(default(job = None, progress = None, options))]
pub fn analyze(
    input: AudioInput,
    options: AnalyzeOptions,
    job: Option<Arc<Job>>,
    progress: Option<Arc<dyn ProgressListener>>,
) -> Result<Analysis, LoudcoreError> {
    let mut opts = loudcore::AnalyzeOptions::default();
    options::apply(options, &mut |n, v| opts.set(n, v))?;
    opts.job = job::control(job, progress, opts.job);
    Ok(loudcore::analyze_with(&input.into_core(), &opts)?.into())
}

/// Normalizes an input to a loudness target and writes it to `output`, whose extension
/// (`.mp3`, `.m4a`, `.wav`, `.flac`) chooses the format. The output is measured again after
/// writing; nothing partial is left on error or cancellation.
///
/// Runs on the calling thread until done: call it off the UI thread.
#[uniffi::export(default(job = None, progress = None, options))]
pub fn normalize(
    input: AudioInput,
    output: String,
    options: NormalizeOptions,
    job: Option<Arc<Job>>,
    progress: Option<Arc<dyn ProgressListener>>,
) -> Result<Report, LoudcoreError> {
    let outputs = vec![OutputSpec {
        path: output,
        bitrate: None,
        quality: None,
        bits_per_sample: None,
        sample_rate: None,
    }];
    normalize_to(input, outputs, options, job, progress)
}

/// Normalizes an input into several outputs from one analysis and one decode per render.
/// Each `OutputSpec` names a destination (format from its extension) and may override the
/// encoder settings of `options` for that output. Every output is measured again after
/// writing; nothing partial is left on error or cancellation.
///
/// Runs on the calling thread until done: call it off the UI thread.
#[uniffi::export(default(job = None, progress = None, options))]
pub fn normalize_to(
    input: AudioInput,
    outputs: Vec<OutputSpec>,
    options: NormalizeOptions,
    job: Option<Arc<Job>>,
    progress: Option<Arc<dyn ProgressListener>>,
) -> Result<Report, LoudcoreError> {
    let mut opts = loudcore::NormalizeOptions::default();
    options::apply(options, &mut |n, v| opts.set(n, v))?;
    let outputs = outputs
        .into_iter()
        .map(OutputSpec::into_core)
        .collect::<loudcore::Result<Vec<_>>>()?;
    opts.job = job::control(job, progress, opts.job);
    Ok(loudcore::normalize_to(&input.into_core(), &outputs, &opts)?.into())
}

/// Normalizes an input once and writes an audio-only HLS ladder into `out_dir`: one media
/// playlist and its segments per variant, and `master.m3u8`. The directory is created, or
/// replaced only once the new ladder is complete and every variant verified; on error or
/// cancellation it is left as it was. `Report.master_playlist` is set and every output is
/// a variant (`format` `"hls"`, `path` its media playlist, `variant` its master entry).
///
/// Runs on the calling thread until done: call it off the UI thread.
#[uniffi::export(default(job = None, progress = None, options))]
pub fn hls(
    input: AudioInput,
    out_dir: String,
    options: HlsOptions,
    job: Option<Arc<Job>>,
    progress: Option<Arc<dyn ProgressListener>>,
) -> Result<Report, LoudcoreError> {
    let mut opts = loudcore::HlsOptions::default();
    options::apply(options, &mut |n, v| opts.set(n, v))?;
    opts.job = job::control(job, progress, opts.job);
    Ok(loudcore::hls(&input.into_core(), out_dir, &opts)?.into())
}

/// The core's default limits: what a `Limits` field left `None` stands for.
#[uniffi::export]
pub fn default_limits() -> Limits {
    loudcore::Limits::default().into()
}

/// One option of the core, as `core_options()` lists it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CoreOption {
    /// The option's name, which is also its field's name in the option records.
    pub name: String,
    /// The jobs that take it: `"analyze"`, `"normalize"` (and `normalize_to`), `"hls"`.
    pub jobs: Vec<String>,
    /// `"bool"`, `"int"`, `"float"`, `"text"` or `"list"`.
    pub kind: String,
    /// What it means, and its default.
    pub doc: String,
}

/// Every option of the core (what the option records' fields map to).
#[uniffi::export]
pub fn core_options() -> Vec<CoreOption> {
    loudcore::OPTIONS
        .iter()
        .map(|o| CoreOption {
            name: o.name.to_string(),
            jobs: o.jobs().iter().map(|j| j.as_str().to_string()).collect(),
            kind: o.kind.as_str().to_string(),
            doc: o.doc.to_string(),
        })
        .collect()
}

/// Every stage a `ProgressListener` is called with, in the order a job reports them.
#[uniffi::export]
pub fn stages() -> Vec<String> {
    loudcore::Stage::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

/// The version of loudcore this library was built from.
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_are_the_core_s() {
        let ours = default_limits();
        assert_eq!(ours.max_bytes, Some(4_294_967_296));
        assert_eq!(ours.max_duration_s, Some(86_400.0));
        assert_eq!(ours.min_sample_rate, Some(8000));
        // Set field by field, they give the core's limits back.
        let mut opts = loudcore::AnalyzeOptions::default();
        options::apply(
            AnalyzeOptions {
                limits: Some(ours),
                ..Default::default()
            },
            &mut |n, v| opts.set(n, v),
        )
        .expect("the core's own limits");
        assert_eq!(opts.job.limits, loudcore::Limits::default());
    }

    #[test]
    fn missing_file_maps_to_not_found() {
        let r = analyze(
            AudioInput::Path {
                path: "/nonexistent/x.wav".into(),
            },
            AnalyzeOptions::default(),
            None,
            None,
        );
        assert!(matches!(r, Err(LoudcoreError::NotFound { message }) if message.contains("x.wav")));
    }

    #[test]
    fn every_stage_is_listed() {
        assert_eq!(stages().len(), loudcore::Stage::ALL.len());
        assert!(stages().contains(&"calibrate".to_string()));
    }
}
