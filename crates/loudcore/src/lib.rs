//! loudcore: decode an upload, measure its loudness (EBU R128 / ITU-R BS.1770), and
//! normalize and package it, without shelling out to FFmpeg.
//!
//! ```no_run
//! let analysis = loudcore::analyze(&loudcore::Input::from("mix.mp3"))?;
//! println!("{:.1} LUFS", analysis.integrated_lufs.unwrap_or(f64::NEG_INFINITY));
//! # Ok::<(), loudcore::Error>(())
//! ```

mod codec;
mod decode;
mod encode;
mod error;
mod gain;
mod hls;
mod input;
mod job;
mod loudness;
mod mp4box;
mod options;
mod output;
mod packet_decode;
mod panic;
mod pcm;
mod pipeline;
mod resample;

pub use decode::DecodeOptions;
pub use encode::{EncoderSettings, OutputFormat};
pub use error::{Error, ErrorClass, Result};
pub use gain::{DEFAULT_LRA_LU, Mode, Preset};
pub use hls::{Container, HlsCodec, Layout, Variant, default_variants};
pub use input::{Format, Input, Limits, Probe, Tags, probe};
pub use job::{CancelToken, ProgressFn, Stage};
pub use loudness::{Analysis, CurvePoint};
pub use options::{
    AnalyzeOptions, HlsOptions, JobKind, JobOptions, NormalizeOptions, OPTIONS, OptionInfo,
    OptionValue, OutputSpec, TargetOptions, ValueKind,
};
pub use pipeline::{
    DynamicReport, OutputReport, Report, Timings, VariantReport, analyze, analyze_with, hls,
    normalize, normalize_to,
};
