//! The one mapping from `loudcore::Error` to what JavaScript sees: an `Error` whose `code` is
//! the core's `ErrorClass::code()` (`"CORRUPT_INPUT"`, ...) and whose message names the file.

use napi::JsError;
use napi::bindgen_prelude::{Env, JsObjectValue, JsValue};

/// A JS `Error` with `code` set from the error's class and `file` from the file it is about
/// (absent for option errors). Returned as a `napi::Error` that holds the JS object, so a
/// rejected Promise carries exactly this object.
pub(crate) fn to_js(env: &Env, e: &loudcore::Error) -> napi::Error {
    let code = e.class().code();
    let js = JsError::from(napi::Error::new(code, e.to_string())).into_unknown(*env);
    if let Some(file) = e.file() {
        if let Ok(mut obj) = js.coerce_to_object() {
            // Best effort: the code and the message are what matter.
            let _ = obj.set_named_property("file", file);
        }
    }
    napi::Error::from(js)
}

/// A result whose error is the core's (mapped to JS only in `to_js`).
pub(crate) type Mapped<T> = std::result::Result<T, loudcore::Error>;

/// An option or argument the core never saw because it had the wrong JS type.
pub(crate) fn invalid(detail: impl Into<String>) -> loudcore::Error {
    loudcore::Error::InvalidOptions {
        detail: detail.into(),
    }
}
