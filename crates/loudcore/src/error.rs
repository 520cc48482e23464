//! The one error type of loudcore. Variants say what the caller would do differently;
//! [`Error::class`] groups them for the bindings and the CLI exit codes.

use std::path::PathBuf;

/// Everything that can go wrong in a loudcore job. Messages name the file and the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input path does not exist.
    #[error("{file}: no such file")]
    NotFound { file: String },
    /// Reading or writing failed for a reason other than a missing file.
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The input is not audio in a format loudcore reads, judged by its content.
    #[error("{file}: unsupported format: {detail}")]
    UnsupportedFormat { file: String, detail: String },
    /// The input is recognised but its data is damaged.
    #[error("{file}: corrupt input: {detail}")]
    CorruptInput { file: String, detail: String },
    /// The input ends before the data its headers announce.
    #[error("{file}: truncated: {detail}")]
    Truncated { file: String, detail: String },
    /// The input has no bytes at all.
    #[error("{file}: empty input (0 bytes)")]
    Empty { file: String },
    /// The input is larger than [`crate::Limits::max_bytes`].
    #[error("{file}: input too large: {bytes} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        file: String,
        bytes: u64,
        limit: u64,
    },
    /// The input is longer than [`crate::Limits::max_duration_s`].
    #[error("{file}: input too long: {duration_s:.3} s exceeds the limit of {limit_s} s")]
    TooLong {
        file: String,
        duration_s: f64,
        limit_s: f64,
    },
    /// The input is shorter than [`crate::Limits::min_duration_s`].
    #[error("{file}: input too short: {duration_s:.3} s is under the limit of {limit_s} s")]
    TooShort {
        file: String,
        duration_s: f64,
        limit_s: f64,
    },
    /// The input has more channels than [`crate::Limits::max_channels`].
    #[error("{file}: too many channels: {channels} exceeds the limit of {limit}")]
    TooManyChannels {
        file: String,
        channels: u32,
        limit: u32,
    },
    /// The sample rate is outside [`crate::Limits::min_sample_rate`]..=[`crate::Limits::max_sample_rate`].
    #[error("{file}: sample rate {sample_rate} Hz is outside the allowed range {min}..={max} Hz")]
    SampleRateOutOfRange {
        file: String,
        sample_rate: u32,
        min: u32,
        max: u32,
    },
    /// The format is readable but not in [`crate::Limits::allowed_formats`].
    #[error("{file}: format {format} is not allowed (allowed: {allowed})")]
    FormatNotAllowed {
        file: String,
        format: String,
        allowed: String,
    },
    /// The input has no gated loudness (silence or near silence), so there is nothing to normalize.
    #[error("{file}: silent input: no loudness above the -70 LUFS gate")]
    SilentInput { file: String },
    /// An option is out of range or inconsistent.
    #[error("invalid options: {detail}")]
    InvalidOptions { detail: String },
    /// The loudness target and ceiling could not both be met on the decoded output within
    /// the allowed attempts (for example an extreme target on very dynamic material).
    #[error("{file}: target not met: {detail}")]
    TargetNotMet { file: String, detail: String },
    /// The job was cancelled through its cancellation token or progress callback.
    #[error("{file}: cancelled")]
    Cancelled { file: String },
    /// A bug in loudcore (for example a caught panic). Please report it.
    #[error("{file}: internal error: {detail}")]
    Internal { file: String, detail: String },
}

/// The broad class of an [`Error`]: what bindings map to exception types and the CLI to exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorClass {
    NotFound,
    Io,
    UnsupportedFormat,
    CorruptInput,
    InputLimit,
    SilentInput,
    InvalidOptions,
    Cancelled,
    Internal,
}

impl ErrorClass {
    /// The stable code used by the Node binding and in JSON (`"CORRUPT_INPUT"`, ...).
    pub fn code(self) -> &'static str {
        match self {
            ErrorClass::NotFound => "NOT_FOUND",
            ErrorClass::Io => "IO",
            ErrorClass::UnsupportedFormat => "UNSUPPORTED_FORMAT",
            ErrorClass::CorruptInput => "CORRUPT_INPUT",
            ErrorClass::InputLimit => "INPUT_LIMIT",
            ErrorClass::SilentInput => "SILENT_INPUT",
            ErrorClass::InvalidOptions => "INVALID_OPTIONS",
            ErrorClass::Cancelled => "CANCELLED",
            ErrorClass::Internal => "INTERNAL",
        }
    }

    /// The process exit code the CLI uses for this class (documented in `loudcore --help`).
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorClass::Internal => 1,
            ErrorClass::InvalidOptions => 2,
            ErrorClass::NotFound => 3,
            ErrorClass::Io => 4,
            ErrorClass::UnsupportedFormat => 5,
            ErrorClass::CorruptInput => 6,
            ErrorClass::InputLimit => 7,
            ErrorClass::SilentInput => 8,
            ErrorClass::Cancelled => 130,
        }
    }
}

impl Error {
    /// The class of this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::NotFound { .. } => ErrorClass::NotFound,
            Error::Io { .. } => ErrorClass::Io,
            Error::UnsupportedFormat { .. } => ErrorClass::UnsupportedFormat,
            Error::CorruptInput { .. } | Error::Truncated { .. } | Error::Empty { .. } => {
                ErrorClass::CorruptInput
            }
            Error::TooLarge { .. }
            | Error::TooLong { .. }
            | Error::TooShort { .. }
            | Error::TooManyChannels { .. }
            | Error::SampleRateOutOfRange { .. }
            | Error::FormatNotAllowed { .. } => ErrorClass::InputLimit,
            Error::SilentInput { .. } => ErrorClass::SilentInput,
            Error::InvalidOptions { .. } | Error::TargetNotMet { .. } => ErrorClass::InvalidOptions,
            Error::Cancelled { .. } => ErrorClass::Cancelled,
            Error::Internal { .. } => ErrorClass::Internal,
        }
    }

    /// The file (or `<bytes>` for in-memory input) the error is about, if any.
    pub fn file(&self) -> Option<&str> {
        match self {
            Error::InvalidOptions { .. } => None,
            Error::NotFound { file }
            | Error::Io { file, .. }
            | Error::UnsupportedFormat { file, .. }
            | Error::CorruptInput { file, .. }
            | Error::Truncated { file, .. }
            | Error::Empty { file }
            | Error::TooLarge { file, .. }
            | Error::TooLong { file, .. }
            | Error::TooShort { file, .. }
            | Error::TooManyChannels { file, .. }
            | Error::SampleRateOutOfRange { file, .. }
            | Error::FormatNotAllowed { file, .. }
            | Error::SilentInput { file }
            | Error::TargetNotMet { file, .. }
            | Error::Cancelled { file }
            | Error::Internal { file, .. } => Some(file),
        }
    }

    /// Maps an I/O error on `path`, keeping "not found" distinct.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        let file = path.into().display().to_string();
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound { file }
        } else {
            Error::Io { file, source }
        }
    }
}

/// The result type of loudcore.
pub type Result<T, E = Error> = std::result::Result<T, E>;
