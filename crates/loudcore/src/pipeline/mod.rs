//! Jobs that tie the stages together: analyze (pass 1 alone), and normalize and HLS,
//! which share one job (`job.rs`): pass 1, plan, calibration where needed, pass 2,
//! verification with redos, commit. Each stage has its own file.

mod analyze;
mod calibrate;
mod hls;
mod job;
mod measure;
mod normalize;
mod outputs;
mod plan;
mod render;
mod report;
mod verify;

pub use analyze::{analyze, analyze_with};
pub use hls::hls;
pub use normalize::{normalize, normalize_to};
pub use report::{DynamicReport, OutputReport, Report, Timings, VariantReport};

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
