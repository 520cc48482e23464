//! The one place that releases the GIL: every call runs its job through [`run`].
//!
//! The job runs on the calling thread with the GIL released. Its progress hook is always
//! installed: it re-attaches to the interpreter to check for signals (so Ctrl-C stops a
//! running job) and to call the user's `on_progress`. An exception raised there (by the
//! callback, or a `KeyboardInterrupt`) cancels the job's token and is raised once the core
//! has stopped, in place of its `CancelledError`.
//!
//! No `catch_unwind` here: the core runs every job under its own guard (a panic inside
//! becomes `Error::Internal`, hence `InternalError`), and PyO3 already stops any other
//! panic at the function boundary (as `pyo3_runtime.PanicException`), so nothing unwinds
//! into the interpreter.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use loudcore::{JobOptions, ProgressFn, Stage};

use crate::error;

/// How often signals are checked when there is no user callback to call anyway.
const SIGNAL_INTERVAL: Duration = Duration::from_millis(100);

/// A cancellation token: pass it as `cancel=` and call `.cancel()` from any thread.
///
/// A token may be shared by several jobs; cancelling it stops them all. When a job is
/// stopped by an exception in its `on_progress` callback (or Ctrl-C), its token is
/// cancelled too.
#[pyclass(module = "loudcore", name = "CancelToken", frozen)]
#[derive(Clone, Default)]
pub(crate) struct CancelToken(pub(crate) loudcore::CancelToken);

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Asks every job using this token to stop; they raise `CancelledError`.
    fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether `cancel()` was called.
    fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    fn __repr__(&self) -> String {
        format!("CancelToken(cancelled={})", py_bool(self.0.is_cancelled()))
    }
}

pub(crate) fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// What a job's progress hook shares with the caller.
struct Hook {
    user: Option<Py<PyAny>>,
    token: loudcore::CancelToken,
    /// The first exception raised in the hook; raised by [`run`] when the job returns.
    failure: Mutex<Option<PyErr>>,
    last_signal_check: Mutex<Instant>,
}

impl Hook {
    fn report(&self, stage: Stage, fraction: f64) {
        if self.failed() {
            return;
        }
        if self.user.is_none() {
            let mut last = self
                .last_signal_check
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.elapsed() < SIGNAL_INTERVAL {
                return;
            }
            *last = Instant::now();
        }
        Python::attach(|py| {
            let result = py.check_signals().and_then(|()| match &self.user {
                Some(cb) => cb.call1(py, (stage.as_str(), fraction)).map(drop),
                None => Ok(()),
            });
            if let Err(e) = result {
                self.failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get_or_insert(e);
                self.token.cancel();
            }
        });
    }

    fn failed(&self) -> bool {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

/// The hooks of one job, for the job's options.
pub(crate) struct JobHooks {
    token: loudcore::CancelToken,
    progress: ProgressFn,
}

impl JobHooks {
    /// `job` with this call's cancellation token and progress hook.
    pub(crate) fn install(self, job: JobOptions) -> JobOptions {
        JobOptions {
            cancel: Some(self.token),
            on_progress: Some(self.progress),
            ..job
        }
    }
}

/// Runs `job` with the GIL released.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    cancel: Option<&CancelToken>,
    on_progress: Option<Py<PyAny>>,
    job: impl FnOnce(JobHooks) -> loudcore::Result<T> + Send,
) -> PyResult<T> {
    if let Some(cb) = &on_progress {
        if !cb.bind(py).is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "on_progress must be callable as on_progress(stage: str, fraction: float)",
            ));
        }
    }
    let token = cancel.map(|c| c.0.clone()).unwrap_or_default();
    let hook = Arc::new(Hook {
        user: on_progress,
        token: token.clone(),
        failure: Mutex::new(None),
        last_signal_check: Mutex::new(Instant::now()),
    });
    let for_job = Arc::clone(&hook);
    let progress: ProgressFn = Arc::new(move |stage, fraction| for_job.report(stage, fraction));

    let outcome = py.detach(move || job(JobHooks { token, progress }));

    let failure = hook
        .failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(e) = failure {
        return Err(e);
    }
    outcome.map_err(|e| error::to_py(py, &e))
}
