//! The one error type of the UniFFI binding: one variant per [`loudcore::ErrorClass`], each
//! carrying the core's message (which names the file and the problem).
//!
//! It is a "flat" UniFFI error: the foreign side gets the variant and the message, so Kotlin's
//! `LoudcoreException.NotFound.message`, Swift's `LoudcoreError.NotFound(message:)` and
//! Python's `str(LoudcoreError.NotFound)` all read `"<file>: no such file"`.

//!
//! There is no panic guard here: the core runs every job under its own (a panic inside one,
//! e.g. from a foreign `ProgressListener` that throws, is `Error::Internal`, hence
//! `Internal`), and UniFFI's scaffolding catches any other panic at the FFI boundary and
//! reports it as an unexpected error, so nothing unwinds into the host.

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
}
