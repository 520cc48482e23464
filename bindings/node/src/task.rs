//! The one place that schedules work: every job runs on the libuv thread pool as an
//! `AsyncTask`, never on the main thread. Progress goes back through a non-blocking
//! thread-safe function; an `AbortSignal` sets the job's `CancelToken`.
//!
//! Nothing throws synchronously: arguments of the wrong JS type become a Promise rejected
//! with `INVALID_OPTIONS`, like the options the core refuses.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use loudcore::{CancelToken, Input, JobOptions, ProgressFn};
use napi::Task;
use napi::bindgen_prelude::{
    AsyncTask, Either, Env, FnArgs, Function, FunctionRef, JsValue, Object, ObjectRef, Result,
    Status, Unknown, ValueType,
};
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};

use crate::error::{self, Mapped, invalid};
use crate::options::{self, CallHooks, ProgressArgs, ProgressCallback, parse};
use crate::types::{Analysis, Report};

/// How long a finished job waits for its last progress calls to reach JavaScript, so that
/// they arrive before the Promise settles. Only a main thread that is blocked (or shutting
/// down) ever makes it wait this long.
const PROGRESS_DRAIN: Duration = Duration::from_secs(2);

/// `analyze(input, options)`.
pub(crate) fn analyze(
    env: &Env,
    input: Unknown,
    options: Option<Unknown>,
) -> Result<AsyncTask<Job>> {
    Ok(Job::start(|hooks| {
        let mut opts = loudcore::AnalyzeOptions::default();
        let call = options::read(options, |n, v| opts.set(n, v))?;
        let input = input_from(input, call.name.clone())?;
        opts.job = hooks.attach(env, call, opts.job)?;
        Ok(Work::Analyze { input, opts })
    }))
}

/// `normalize(input, output, options)`: `normalizeTo` with one output.
pub(crate) fn normalize(
    env: &Env,
    input: Unknown,
    output: Unknown,
    options: Option<Unknown>,
) -> Result<AsyncTask<Job>> {
    normalize_job(env, input, options, move || {
        let output: String = parse(Some(output), "output (a path)")?
            .ok_or_else(|| invalid("output must be a path"))?;
        Ok(vec![output.into()])
    })
}

/// `normalizeTo(input, outputs, options)`.
pub(crate) fn normalize_to(
    env: &Env,
    input: Unknown,
    outputs: Unknown,
    options: Option<Unknown>,
) -> Result<AsyncTask<Job>> {
    normalize_job(env, input, options, move || {
        let not_list = || invalid("outputs must be an array of outputs");
        if !outputs.is_array().unwrap_or(false) {
            return Err(not_list());
        }
        parse::<Vec<Unknown>>(Some(outputs), "outputs")?
            .ok_or_else(not_list)?
            .into_iter()
            .map(options::output)
            .collect()
    })
}

/// Both normalize functions: the options, the input, then the outputs `outputs` reads.
fn normalize_job(
    env: &Env,
    input: Unknown,
    options: Option<Unknown>,
    outputs: impl FnOnce() -> Mapped<Vec<loudcore::OutputSpec>>,
) -> Result<AsyncTask<Job>> {
    Ok(Job::start(|hooks| {
        let mut opts = loudcore::NormalizeOptions::default();
        let call = options::read(options, |n, v| opts.set(n, v))?;
        let input = input_from(input, call.name.clone())?;
        let outputs = outputs()?;
        opts.job = hooks.attach(env, call, opts.job)?;
        Ok(Work::Normalize {
            input,
            outputs,
            opts,
        })
    }))
}

/// `hls(input, outDir, options)`.
pub(crate) fn hls(
    env: &Env,
    input: Unknown,
    out_dir: Unknown,
    options: Option<Unknown>,
) -> Result<AsyncTask<Job>> {
    Ok(Job::start(|hooks| {
        let mut opts = loudcore::HlsOptions::default();
        let call = options::read(options, |n, v| opts.set(n, v))?;
        let input = input_from(input, call.name.clone())?;
        let out_dir: String = parse(Some(out_dir), "outDir (a path)")?
            .ok_or_else(|| invalid("outDir must be a path"))?;
        opts.job = hooks.attach(env, call, opts.job)?;
        Ok(Work::Hls {
            input,
            out_dir: PathBuf::from(out_dir),
            opts,
        })
    }))
}

/// A path string or the file's bytes in a `Buffer` (copied: the job outlives the call).
fn input_from(v: Unknown, name: Option<String>) -> Mapped<Input> {
    let not_input = || invalid("input must be a path (string) or a Buffer");
    match v.get_type().map_err(|_| not_input())? {
        ValueType::String => Ok(Input::from(
            parse::<String>(Some(v), "input")?.unwrap_or_default(),
        )),
        ValueType::Object if v.is_buffer().unwrap_or(false) => {
            let bytes: napi::bindgen_prelude::BufferSlice =
                parse(Some(v), "input")?.ok_or_else(not_input)?;
            let input = Input::bytes(Arc::<[u8]>::from(&*bytes));
            Ok(match name {
                Some(n) => input.named(n),
                None => input,
            })
        }
        _ => Err(not_input()),
    }
}

enum Work {
    Analyze {
        input: Input,
        opts: loudcore::AnalyzeOptions,
    },
    Normalize {
        input: Input,
        outputs: Vec<loudcore::OutputSpec>,
        opts: loudcore::NormalizeOptions,
    },
    Hls {
        input: Input,
        out_dir: PathBuf,
        opts: loudcore::HlsOptions,
    },
}

/// What a job produced, before conversion to JS on the main thread.
pub enum Done {
    Analysis(loudcore::Analysis),
    Report(loudcore::Report),
}

impl Work {
    fn run(self) -> loudcore::Result<Done> {
        match self {
            Work::Analyze { input, opts } => {
                loudcore::analyze_with(&input, &opts).map(Done::Analysis)
            }
            Work::Normalize {
                input,
                outputs,
                opts,
            } => loudcore::normalize_to(&input, &outputs, &opts).map(Done::Report),
            Work::Hls {
                input,
                out_dir,
                opts,
            } => loudcore::hls(&input, &out_dir, &opts).map(Done::Report),
        }
    }
}

/// One `analyze`, `normalize`, `normalizeTo` or `hls` call.
pub struct Job {
    /// The work, or why it cannot start (invalid arguments); taken by `compute`.
    work: Option<Mapped<Work>>,
    hooks: Hooks,
}

impl Job {
    /// A job whose work `prepare` builds from the call's arguments; an error there rejects
    /// the Promise (nothing throws synchronously).
    fn start(prepare: impl FnOnce(&mut Hooks) -> Mapped<Work>) -> AsyncTask<Job> {
        let mut hooks = Hooks::default();
        let work = prepare(&mut hooks);
        AsyncTask::new(Job {
            work: Some(work),
            hooks,
        })
    }
}

impl Task for Job {
    type Output = loudcore::Result<Done>;
    type JsValue = Either<Analysis, Report>;

    /// On a libuv pool thread.
    fn compute(&mut self) -> Result<Self::Output> {
        let result = match self.work.take() {
            // The core guards its jobs (a panic inside one is `Error::Internal`), but napi-rs
            // runs `compute` on a libuv thread without a guard of its own, where an unwind
            // would abort Node: this catches a panic in the binding's own code around it.
            Some(Ok(work)) => catch_unwind(AssertUnwindSafe(|| work.run())).unwrap_or_else(|_| {
                Err(loudcore::Error::Internal {
                    file: String::new(),
                    detail: "panic in the Node binding".into(),
                })
            }),
            Some(Err(e)) => Err(e),
            None => Err(invalid("job already ran")),
        };
        if let Some(p) = &self.hooks.progress {
            p.drain();
        }
        Ok(result)
    }

    /// On the main thread.
    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        if let Some(thrown) = self.hooks.progress.as_ref().and_then(Progress::thrown) {
            return Err(thrown);
        }
        match output {
            Ok(Done::Analysis(a)) => Ok(Either::A(a.into())),
            Ok(Done::Report(r)) => Ok(Either::B(r.into())),
            Err(e) => Err(error::to_js(&env, &e)),
        }
    }

    /// On the main thread, after resolve or reject: stop listening to the signal.
    fn finally(mut self, env: Env) -> Result<()> {
        if let Some(s) = self.hooks.signal.take() {
            s.release(&env);
        }
        Ok(())
    }
}

/// Progress and cancellation wired from JS into the core's job.
#[derive(Default)]
pub(crate) struct Hooks {
    progress: Option<Progress>,
    signal: Option<SignalHook>,
}

impl Hooks {
    /// `job` with the call's `onProgress` and `signal` wired in.
    fn attach(&mut self, env: &Env, call: CallHooks, job: JobOptions) -> Mapped<JobOptions> {
        let cancel = CancelToken::new();
        if let Some(f) = call.on_progress {
            self.progress = Some(Progress::new(&f)?);
        }
        if let Some(s) = call.signal {
            self.signal = SignalHook::attach(env, &s, &cancel)?;
        }
        Ok(JobOptions {
            on_progress: self.progress.as_ref().map(|p| p.callback(cancel.clone())),
            cancel: Some(cancel),
            ..job
        })
    }
}

type ProgressTsfn =
    ThreadsafeFunction<ProgressArgs, UnknownReturnValue, ProgressArgs, Status, false>;

/// The JS progress callback, called from the pool thread without blocking it.
struct Progress {
    tsfn: Arc<ProgressTsfn>,
    state: Arc<ProgressState>,
}

#[derive(Default)]
struct ProgressState {
    /// Calls queued for the main thread and not yet delivered.
    in_flight: Mutex<usize>,
    delivered: Condvar,
    /// What the callback threw, if it did.
    thrown: Mutex<Option<napi::Error>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ProgressState {
    fn one_delivered(&self) {
        let mut n = lock(&self.in_flight);
        *n = n.saturating_sub(1);
        self.delivered.notify_all();
    }
}

impl Progress {
    fn new(f: &ProgressCallback) -> Mapped<Self> {
        let tsfn = f
            .build_threadsafe_function::<ProgressArgs>()
            .callee_handled::<false>()
            .build()
            .map_err(|e| invalid(format!("onProgress: {}", e.reason)))?;
        Ok(Progress {
            tsfn: Arc::new(tsfn),
            state: Arc::default(),
        })
    }

    fn callback(&self, cancel: CancelToken) -> ProgressFn {
        let tsfn = Arc::clone(&self.tsfn);
        let state = Arc::clone(&self.state);
        Arc::new(move |stage, fraction| {
            *lock(&state.in_flight) += 1;
            let after = Arc::clone(&state);
            let cancel = cancel.clone();
            let status = tsfn.call_with_return_value(
                FnArgs::from((stage.as_str(), fraction)),
                ThreadsafeFunctionCallMode::NonBlocking,
                move |ret, _env| {
                    if let Err(e) = ret {
                        // The callback threw: stop the job and reject with what it threw.
                        lock(&after.thrown).get_or_insert(e);
                        cancel.cancel();
                    }
                    after.one_delivered();
                    Ok(())
                },
            );
            if status != Status::Ok {
                state.one_delivered();
            }
        })
    }

    /// Waits (on the pool thread) until every queued call has reached JavaScript.
    fn drain(&self) {
        let n = lock(&self.state.in_flight);
        let _unused = self
            .state
            .delivered
            .wait_timeout_while(n, PROGRESS_DRAIN, |n| *n > 0)
            .unwrap_or_else(PoisonError::into_inner);
    }

    fn thrown(&self) -> Option<napi::Error> {
        lock(&self.state.thrown).take()
    }
}

/// An `abort` listener on the caller's `AbortSignal`, removed when the job settles so a
/// long-lived signal shared by many jobs does not collect listeners.
struct SignalHook {
    signal: ObjectRef<false>,
    listener: FunctionRef<(), ()>,
}

impl SignalHook {
    fn attach(env: &Env, signal: &Object, cancel: &CancelToken) -> Mapped<Option<Self>> {
        let not_signal =
            |e: napi::Error| invalid(format!("signal must be an AbortSignal: {}", e.reason));
        let aborted: bool = signal
            .get::<bool>("aborted")
            .map_err(not_signal)?
            .ok_or_else(|| invalid("signal must be an AbortSignal"))?;
        if aborted {
            cancel.cancel();
            return Ok(None);
        }
        let token = cancel.clone();
        let listener = env
            .create_function_from_closure::<(), (), _>("loudcoreAbort", move |_ctx| {
                token.cancel();
                Ok(())
            })
            .map_err(not_signal)?;
        Self::call(signal, "addEventListener", &listener).map_err(not_signal)?;
        Ok(Some(SignalHook {
            signal: signal.create_ref().map_err(not_signal)?,
            listener: listener.create_ref().map_err(not_signal)?,
        }))
    }

    fn call(signal: &Object, method: &str, listener: &Function<(), ()>) -> Result<()> {
        let f: Function<FnArgs<(&str, Unknown)>, Unknown> = signal
            .get(method)?
            .ok_or_else(|| napi::Error::new(Status::InvalidArg, format!("no {method}()")))?;
        f.apply(
            signal.to_unknown(),
            FnArgs::from(("abort", listener.to_unknown())),
        )?;
        Ok(())
    }

    fn release(self, env: &Env) {
        if let (Ok(signal), Ok(listener)) =
            (self.signal.get_value(env), self.listener.borrow_back(env))
        {
            let _ = Self::call(&signal, "removeEventListener", &listener);
        }
        let _ = self.signal.unref(env);
        drop(self.listener);
    }
}
