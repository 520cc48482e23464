//! UniFFI bindings of loudcore for Kotlin (Android) and Swift (iOS): the same functions and
//! records as the core (see DESIGN.md), progress through a foreign trait, cancellation
//! through a `Job` handle, and one error enum with a variant per error class.
//!
//! Thin by design: every function maps foreign types to the core's, calls the core, and maps
//! the result back.

mod error;
mod job;
mod types;

use std::sync::Arc;

pub use error::LoudcoreError;
pub use job::{Job, ProgressListener};
pub use types::{
    Analysis, AnalyzeOptions, AudioInput, CurvePoint, DecodeOptions, HlsOptions, Limits,
    NormalizeOptions, OutputReport, Report, Timings, VariantReport,
};

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
    error::guard(&input.label(), || {
        let (cancel, on_progress) = job::control(job, progress);
        let opts = loudcore::AnalyzeOptions {
            limits: options.limits.try_into()?,
            decode: options.decode.into(),
            curve: options.curve,
            cancel,
            on_progress,
        };
        Ok(loudcore::analyze_with(&input.into_core(), &opts)?.into())
    })
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
    error::guard(&input.label(), || {
        let (cancel, on_progress) = job::control(job, progress);
        let opts = loudcore::NormalizeOptions {
            cancel,
            on_progress,
            ..options.into_core()?
        };
        Ok(loudcore::normalize(&input.into_core(), output, &opts)?.into())
    })
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
    error::guard(&input.label(), || {
        let (cancel, on_progress) = job::control(job, progress);
        let core = options.into_core()?;
        let opts = loudcore::HlsOptions {
            normalize: loudcore::NormalizeOptions {
                cancel,
                on_progress,
                ..core.normalize
            },
            ..core
        };
        Ok(loudcore::hls(&input.into_core(), out_dir, &opts)?.into())
    })
}

/// The core's default limits, so apps (and tests) can see what `Limits()` stands for.
#[uniffi::export]
pub fn default_limits() -> Limits {
    loudcore::Limits::default().into()
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
    fn record_defaults_mirror_the_core() {
        let core = loudcore::Limits::default();
        let ours = default_limits();
        assert_eq!(ours.max_bytes, Some(4_294_967_296));
        assert_eq!(ours.max_duration_s, Some(86_400.0));
        assert_eq!(ours.allowed_formats, None);
        assert_eq!(loudcore::Limits::try_from(ours).ok(), Some(core));
        assert_eq!(
            DecodeOptions::from(loudcore::DecodeOptions::default()),
            DecodeOptions {
                strict: false,
                allow_truncated: false,
                threads: 2
            }
        );
    }

    #[test]
    fn missing_file_maps_to_not_found() {
        let r = analyze(
            AudioInput::Path {
                path: "/nonexistent/x.wav".into(),
            },
            AnalyzeOptions {
                limits: default_limits(),
                decode: loudcore::DecodeOptions::default().into(),
                curve: false,
            },
            None,
            None,
        );
        assert!(matches!(r, Err(LoudcoreError::NotFound { message }) if message.contains("x.wav")));
    }
}
