//! Jobs that tie the stages together: analyze, and normalize (which HLS builds on).

mod analyze;
mod hls;
mod normalize;
mod render;
mod report;

pub use analyze::{AnalyzeOptions, analyze, analyze_with};
pub use hls::{HlsOptions, hls};
pub use normalize::{NormalizeOptions, OutputSpec, normalize, normalize_to};
pub use report::{OutputReport, Report, Timings, VariantReport};

use crate::error::{Error, Result};
use crate::panic::panic_message;

/// Runs a job so that a panic anywhere inside becomes [`Error::Internal`] instead of
/// unwinding into the host (a Python worker, a Node process, a mobile app).
pub(crate) fn guard<T>(file: &str, job: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
        Ok(r) => r,
        Err(p) => Err(Error::Internal {
            file: file.to_string(),
            detail: panic_message(&p),
        }),
    }
}
