//! The one error type of the UniFFI binding: one variant per [`loudcore::ErrorClass`], each
//! carrying the core's message (which names the file and the problem).
//!
//! It is a "flat" UniFFI error: the foreign side gets the variant and the message, so Kotlin's
//! `LoudcoreException.NotFound.message`, Swift's `LoudcoreError.NotFound(message:)` and
//! Python's `str(LoudcoreError.NotFound)` all read `"<file>: no such file"`.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use loudcore::ErrorClass;

/// Everything that can go wrong in a loudcore job, one variant per error class.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum LoudcoreError {
    /// The input path does not exist.
    #[error("{message}")]
    NotFound { message: String },
    /// Reading or writing failed for a reason other than a missing file.
    #[error("{message}")]
    Io { message: String },
    /// The input is not audio in a format loudcore reads, judged by its content.
    #[error("{message}")]
    UnsupportedFormat { message: String },
    /// The input is damaged, truncated or empty.
    #[error("{message}")]
    CorruptInput { message: String },
    /// The input is outside the limits (too long, too short, too large, too many channels,
    /// sample rate or format not allowed).
    #[error("{message}")]
    InputLimit { message: String },
    /// The input is silent: there is no loudness to normalize.
    #[error("{message}")]
    SilentInput { message: String },
    /// An option is out of range, unknown or inconsistent.
    #[error("{message}")]
    InvalidOptions { message: String },
    /// The job was cancelled through its `Job` or its progress listener.
    #[error("{message}")]
    Cancelled { message: String },
    /// A bug in loudcore (for example a caught panic). Please report it.
    #[error("{message}")]
    Internal { message: String },
}

impl From<loudcore::Error> for LoudcoreError {
    fn from(e: loudcore::Error) -> Self {
        let message = e.to_string();
        match e.class() {
            ErrorClass::NotFound => LoudcoreError::NotFound { message },
            ErrorClass::Io => LoudcoreError::Io { message },
            ErrorClass::UnsupportedFormat => LoudcoreError::UnsupportedFormat { message },
            ErrorClass::CorruptInput => LoudcoreError::CorruptInput { message },
            ErrorClass::InputLimit => LoudcoreError::InputLimit { message },
            ErrorClass::SilentInput => LoudcoreError::SilentInput { message },
            ErrorClass::InvalidOptions => LoudcoreError::InvalidOptions { message },
            ErrorClass::Cancelled => LoudcoreError::Cancelled { message },
            ErrorClass::Internal => LoudcoreError::Internal { message },
        }
    }
}

/// An invalid option found while mapping foreign values, as the core words it.
pub(crate) fn invalid(detail: String) -> LoudcoreError {
    loudcore::Error::InvalidOptions { detail }.into()
}

/// Runs one exported call so that nothing unwinds into the host: a panic becomes
/// [`LoudcoreError::Internal`].
pub(crate) fn guard<T>(
    file: &str,
    call: impl FnOnce() -> Result<T, LoudcoreError>,
) -> Result<T, LoudcoreError> {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|p| {
        Err(loudcore::Error::Internal {
            file: file.to_string(),
            detail: panic_message(p.as_ref()),
        }
        .into())
    })
}

fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = p.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_keeps_its_message() {
        let e: LoudcoreError = loudcore::Error::NotFound {
            file: "a.wav".into(),
        }
        .into();
        assert!(
            matches!(&e, LoudcoreError::NotFound { message } if message == "a.wav: no such file")
        );
        assert_eq!(e.to_string(), "a.wav: no such file");
        let e: LoudcoreError = loudcore::Error::Empty {
            file: "b.wav".into(),
        }
        .into();
        assert!(matches!(e, LoudcoreError::CorruptInput { .. }));
        let e: LoudcoreError = loudcore::Error::TooLong {
            file: "c.wav".into(),
            duration_s: 2.0,
            limit_s: 1.0,
        }
        .into();
        assert!(matches!(e, LoudcoreError::InputLimit { .. }));
    }

    #[test]
    fn a_panic_becomes_internal() {
        let r: Result<(), LoudcoreError> = guard("x.wav", || panic!("boom"));
        match r {
            Err(LoudcoreError::Internal { message }) => {
                assert!(
                    message.contains("x.wav") && message.contains("boom"),
                    "{message}"
                )
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
