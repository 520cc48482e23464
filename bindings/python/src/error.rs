//! The one place where core errors become Python exceptions.
//!
//! `loudcore::Error::class()` picks the exception type; the message is the core's (it
//! names the file and the problem) and the instance gets the file as `.file`. Three classes
//! also derive from a builtin so `except FileNotFoundError` / `except OSError` /
//! `except ValueError` catch them; they are made with `type()` because
//! `create_exception!` takes one base.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use loudcore::{Error, ErrorClass};

create_exception!(
    loudcore,
    LoudcoreError,
    PyException,
    "Base of every error loudcore raises. `.file` names the input (None when no file is involved)."
);
create_exception!(
    loudcore,
    UnsupportedFormatError,
    LoudcoreError,
    "The input is not audio in a format loudcore reads (judged by its content)."
);
create_exception!(
    loudcore,
    CorruptInputError,
    LoudcoreError,
    "The input is recognised but damaged, truncated or empty."
);
create_exception!(
    loudcore,
    InputLimitError,
    LoudcoreError,
    "The input is outside the limits (too large, too long or short, too many channels, sample rate or format not allowed)."
);
create_exception!(
    loudcore,
    SilentInputError,
    LoudcoreError,
    "The input has no loudness above the -70 LUFS gate, so there is nothing to normalize."
);
create_exception!(
    loudcore,
    CancelledError,
    LoudcoreError,
    "The job was cancelled through its CancelToken."
);
create_exception!(
    loudcore,
    InternalError,
    LoudcoreError,
    "A bug in loudcore (for example a caught panic). Please report it."
);

static NOT_FOUND: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static IO: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVALID_OPTIONS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `class <name>(LoudcoreError, <builtin>)`, made once.
fn derived<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    builtin: Bound<'py, PyType>,
    doc: &str,
) -> PyResult<Bound<'py, PyType>> {
    let ty = cell.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let bases = PyTuple::new(py, [py.get_type::<LoudcoreError>(), builtin])?;
        let dict = PyDict::new(py);
        dict.set_item("__module__", "loudcore")?;
        dict.set_item("__doc__", doc)?;
        let ty = py.get_type::<PyType>().call1((name, bases, dict))?;
        Ok(ty.cast_into::<PyType>()?.unbind())
    })?;
    Ok(ty.bind(py).clone())
}

fn not_found(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    derived(
        py,
        &NOT_FOUND,
        "NotFoundError",
        py.get_type::<PyFileNotFoundError>(),
        "The input file does not exist. Also a FileNotFoundError.",
    )
}

fn io(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    derived(
        py,
        &IO,
        "IoError",
        py.get_type::<PyOSError>(),
        "Reading or writing a file failed for a reason other than a missing file. Also an OSError.",
    )
}

fn invalid_options(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    derived(
        py,
        &INVALID_OPTIONS,
        "InvalidOptionsError",
        py.get_type::<PyValueError>(),
        "An option is out of range or inconsistent, or the target cannot be met. Also a ValueError.",
    )
}

/// Adds the exception tree to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let base = py.get_type::<LoudcoreError>();
    base.setattr("file", py.None())?;
    m.add("LoudcoreError", base)?;
    m.add(
        "UnsupportedFormatError",
        py.get_type::<UnsupportedFormatError>(),
    )?;
    m.add("CorruptInputError", py.get_type::<CorruptInputError>())?;
    m.add("InputLimitError", py.get_type::<InputLimitError>())?;
    m.add("SilentInputError", py.get_type::<SilentInputError>())?;
    m.add("CancelledError", py.get_type::<CancelledError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("NotFoundError", not_found(py)?)?;
    m.add("IoError", io(py)?)?;
    m.add("InvalidOptionsError", invalid_options(py)?)?;
    Ok(())
}

/// The Python exception for a core error.
pub(crate) fn to_py(py: Python<'_>, err: &Error) -> PyErr {
    build(py, err).unwrap_or_else(|e| e)
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let message = err.to_string();
    let file = err.file().map(str::to_owned);
    let exc = match err.class() {
        // Like Python's own: `[Errno 2] No such file or directory: 'x.mp3'`.
        ErrorClass::NotFound => not_found(py)?.call1((
            2,
            "No such file or directory",
            file.clone().unwrap_or_default(),
        ))?,
        ErrorClass::Io => {
            let errno = match err {
                Error::Io { source, .. } => source.raw_os_error(),
                _ => None,
            };
            match (errno, &file) {
                (Some(n), Some(f)) => {
                    let strerror = py.import("os")?.call_method1("strerror", (n,))?;
                    io(py)?.call1((n, strerror, f))?
                }
                _ => io(py)?.call1((message,))?,
            }
        }
        ErrorClass::UnsupportedFormat => {
            py.get_type::<UnsupportedFormatError>().call1((message,))?
        }
        ErrorClass::CorruptInput => py.get_type::<CorruptInputError>().call1((message,))?,
        ErrorClass::InputLimit => py.get_type::<InputLimitError>().call1((message,))?,
        ErrorClass::SilentInput => py.get_type::<SilentInputError>().call1((message,))?,
        ErrorClass::InvalidOptions => invalid_options(py)?.call1((message,))?,
        ErrorClass::Cancelled => py.get_type::<CancelledError>().call1((message,))?,
        ErrorClass::Internal => py.get_type::<InternalError>().call1((message,))?,
    };
    exc.setattr("file", file)?;
    Ok(PyErr::from_value(exc))
}

/// An option the binding itself could not map (an unknown format name, say).
pub(crate) fn invalid(py: Python<'_>, detail: String) -> PyErr {
    to_py(py, &Error::InvalidOptions { detail })
}
