//! Keyword arguments to the core's options, by name: every option a job takes arrives in
//! `**options` and goes to the core's `set` under its own name, so no option, default or
//! check is written here. `None` keeps the core's default and is never forwarded.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use loudcore::{JobKind, OptionInfo, OptionValue};

use crate::error;

/// A Python value as the core takes it: bool, int, float, str, or a sequence of str.
fn value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<OptionValue> {
    // bool first: a Python bool is also an int.
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(OptionValue::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        // Too large for i64: as a float, which the core refuses where it wants an integer.
        return Ok(match v.extract::<i64>() {
            Ok(i) => OptionValue::Int(i),
            Err(_) => OptionValue::Float(v.extract()?),
        });
    }
    if let Ok(x) = v.cast::<PyFloat>() {
        return Ok(OptionValue::Float(x.value()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(OptionValue::Text(s.to_str()?.to_owned()));
    }
    if let Ok(list) = v.extract::<Vec<String>>() {
        return Ok(OptionValue::List(list));
    }
    Err(error::invalid(
        v.py(),
        format!(
            "{name} must be a bool, a number, a str or a list of str, got {}",
            v.get_type().name()?
        ),
    ))
}

/// Hands every keyword in `options` that is not None to `set` (the core's `set` of `job`'s
/// options). A keyword the job does not take is a `TypeError`, as for any Python function,
/// with the core's message (which lists the job's options); a value the core refuses is
/// `InvalidOptionsError` naming the option.
pub(crate) fn apply(
    job: JobKind,
    function: &str,
    options: Option<&Bound<'_, PyDict>>,
    mut set: impl FnMut(&str, OptionValue) -> loudcore::Result<()>,
) -> PyResult<()> {
    let Some(options) = options else {
        return Ok(());
    };
    for (k, v) in options.iter() {
        if v.is_none() {
            continue;
        }
        let name: String = k.extract()?;
        let value = value(&name, &v)?;
        if let Err(e) = set(&name, value) {
            let taken = OptionInfo::for_job(job).any(|o| o.name == name);
            return Err(if taken {
                error::to_py(v.py(), &e)
            } else {
                PyTypeError::new_err(format!(
                    "{function}() got an unexpected keyword argument '{name}': {e}"
                ))
            });
        }
    }
    Ok(())
}

/// `_options()`: every option of the core as `(name, [jobs], kind)`, for the tests that
/// check this binding and its stub against the core.
#[pyfunction]
pub(crate) fn _options() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    loudcore::OPTIONS
        .iter()
        .map(|o| {
            (
                o.name,
                o.jobs().iter().map(|j| j.as_str()).collect(),
                o.kind.as_str(),
            )
        })
        .collect()
}

/// `_stages()`: every progress stage of the core, in order.
#[pyfunction]
pub(crate) fn _stages() -> Vec<&'static str> {
    loudcore::Stage::ALL.iter().map(|s| s.as_str()).collect()
}
