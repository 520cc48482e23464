//! Following and stopping a job from the app: a `Job` handle to cancel from any thread, and a
//! `ProgressListener` the app implements (returning `false` cancels).

use std::sync::Arc;

use loudcore::{CancelToken, JobOptions, ProgressFn};

/// A handle that cancels a running `analyze`, `normalize`, `normalize_to` or `hls` from any thread. Pass it
/// to the call, then call `cancel()`; the call returns `LoudcoreError.Cancelled` at its next
/// block and leaves no partial output. A cancelled Job stays cancelled: use a new one per call.
#[derive(Debug, Default, uniffi::Object)]
pub struct Job {
    token: CancelToken,
}

#[uniffi::export]
impl Job {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Job::default())
    }

    /// Asks the job to stop.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether `cancel()` was called (or a progress listener returned `false`).
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// Implemented by the app to follow a job. Called on the job's thread with the stage
/// (`"analyze"`: pass 1, measuring the input; `"calibrate"`: finding the gain that lands
/// on target once the limiter has worked; `"render"`: decode, gain, limiter, encode;
/// `"verify"`: measuring the written outputs; `"done"`; `stages()` lists them) and the
/// fraction of the whole job done (monotonic, ending at 1.0). Return `false` to cancel
/// the job.
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    fn on_progress(&self, stage: String, fraction: f64) -> bool;
}

/// `opts` with the cancellation token and progress callback of one call.
pub(crate) fn control(
    job: Option<Arc<Job>>,
    progress: Option<Arc<dyn ProgressListener>>,
    opts: JobOptions,
) -> JobOptions {
    let token = match (&job, &progress) {
        (Some(j), _) => Some(j.token.clone()),
        (None, Some(_)) => Some(CancelToken::new()),
        (None, None) => None,
    };
    let on_progress = progress.map(|listener| {
        let token = token.clone().unwrap_or_default();
        Arc::new(move |stage: loudcore::Stage, fraction: f64| {
            if !listener.on_progress(stage.as_str().to_string(), fraction) {
                token.cancel();
            }
        }) as ProgressFn
    });
    JobOptions {
        cancel: token,
        on_progress,
        ..opts
    }
}
