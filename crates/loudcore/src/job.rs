//! What a host uses to follow and stop a running job: progress callbacks and cancellation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// A cancellation flag shared between the job and whoever may stop it (any thread).
///
/// ```
/// let token = loudcore::CancelToken::new();
/// let for_worker = token.clone();
/// token.cancel();
/// assert!(for_worker.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    /// Asks the job to stop; it returns [`Error::Cancelled`] at its next block.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The stage a progress report belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Pass 1: decoding and measuring the input.
    Analyze,
    /// Finding the gain that lands on target once the true-peak limiter has worked.
    Calibrate,
    /// Pass 2: decoding, gain, limiting and encoding.
    Render,
    /// Decoding and measuring the written outputs.
    Verify,
    /// The job is complete.
    Done,
}

impl Stage {
    /// Every stage, in the order a job reports them.
    pub const ALL: [Stage; 5] = [
        Stage::Analyze,
        Stage::Calibrate,
        Stage::Render,
        Stage::Verify,
        Stage::Done,
    ];

    /// The lowercase name, as progress callbacks report it in every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Analyze => "analyze",
            Stage::Calibrate => "calibrate",
            Stage::Render => "render",
            Stage::Verify => "verify",
            Stage::Done => "done",
        }
    }
}

/// A progress callback: `(stage, fraction of the whole job in 0..=1)`. Called from the job's
/// thread; fractions never go down and the last call reports 1.0.
pub type ProgressFn = Arc<dyn Fn(Stage, f64) + Send + Sync>;

/// Progress reporting and cancellation for one job, with throttling so callbacks fire at
/// every 1% or every 250 ms, whichever comes first, and never go backwards.
pub(crate) struct Control {
    file: String,
    cancel: Option<CancelToken>,
    progress: Option<ProgressFn>,
    last_fraction: f64,
    last_time: Instant,
    /// The fraction of the whole job the current stage spans.
    span: (f64, f64),
    stage: Stage,
}

impl Control {
    pub(crate) fn new(
        file: String,
        cancel: Option<CancelToken>,
        progress: Option<ProgressFn>,
    ) -> Self {
        Control {
            file,
            cancel,
            progress,
            last_fraction: -1.0,
            last_time: Instant::now(),
            span: (0.0, 1.0),
            stage: Stage::Analyze,
        }
    }

    /// Enters a stage covering `from..to` of the whole job.
    pub(crate) fn stage(&mut self, stage: Stage, from: f64, to: f64) {
        self.stage = stage;
        self.span = (from, to);
        self.emit(from, true);
    }

    /// Reports progress inside the current stage (0..=1) and checks for cancellation.
    pub(crate) fn tick(&mut self, within: f64) -> Result<()> {
        self.check()?;
        let w = within.clamp(0.0, 1.0);
        let f = self.span.0 + (self.span.1 - self.span.0) * w;
        self.emit(f, false);
        Ok(())
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Err(Error::Cancelled {
                file: self.file.clone(),
            });
        }
        Ok(())
    }

    pub(crate) fn done(&mut self) {
        self.stage = Stage::Done;
        self.emit(1.0, true);
    }

    /// The fraction last reported (0 before any report).
    pub(crate) fn fraction(&self) -> f64 {
        self.last_fraction.max(0.0)
    }

    fn emit(&mut self, fraction: f64, force: bool) {
        let Some(cb) = &self.progress else { return };
        // Never go back: a stage that starts below what was reported (a second render)
        // reports the fraction already reached until it passes it.
        let f = fraction.clamp(0.0, 1.0).max(self.last_fraction);
        let stale = self.last_time.elapsed() >= Duration::from_millis(250);
        let due = f - self.last_fraction >= 0.01 || stale;
        if force || due {
            self.last_fraction = f;
            self.last_time = Instant::now();
            cb(self.stage, f);
        }
    }
}
