//! The options of every job, composed from the parts jobs share, so that an option a job
//! cannot use cannot be written down for it:
//!
//! | job | [`JobOptions`] | [`TargetOptions`] | [`EncoderSettings`] | own |
//! |---|---|---|---|---|
//! | [`AnalyzeOptions`] | yes | | | `curve` |
//! | [`NormalizeOptions`] | yes | yes | the outputs' defaults | |
//! | [`HlsOptions`] | yes | yes | | the ladder |
//!
//! Every default lives here (in the `Default` impls), and every option also has a flat
//! name ([`OPTIONS`], [`by_name`]) through which the CLI and the bindings set it, so a new
//! option reaches every language by mapping its name, never by restating its default.

mod by_name;

use std::path::PathBuf;

pub use by_name::{JobKind, OPTIONS, OptionInfo, OptionValue, ValueKind};

use crate::decode::DecodeOptions;
use crate::encode::EncoderSettings;
use crate::gain::{Mode, Preset};
use crate::hls::{Container, HlsCodec, Layout, Variant};
use crate::input::Limits;
use crate::job::{CancelToken, ProgressFn};

/// What every job shares: the limits its input must meet, how it is decoded, and the hooks
/// a host follows and stops it with.
#[derive(Clone, Default)]
pub struct JobOptions {
    /// Limits the input must meet.
    pub limits: Limits,
    /// How damaged data is treated, and decoder threads.
    pub decode: DecodeOptions,
    /// Stops the job from another thread.
    pub cancel: Option<CancelToken>,
    /// `(stage, fraction of the whole job)`, monotonic, ending at 1.0.
    pub on_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for JobOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobOptions")
            .field("limits", &self.limits)
            .field("decode", &self.decode)
            .field("cancel", &self.cancel)
            .field("on_progress", &self.on_progress.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// What a job that changes loudness aims for. Explicit targets override the preset, which
/// overrides the defaults (-14 LUFS, -1 dBTP).
///
/// ```
/// use loudcore::{Preset, TargetOptions};
/// let t = TargetOptions { preset: Some(Preset::AppleMusic), true_peak_dbtp: Some(-1.5), ..Default::default() };
/// # let _ = t;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetOptions {
    /// A named target: `spotify`, `apple-music`, `youtube`, `amazon`, `tidal`, `deezer`,
    /// `podcast`, `ebu-r128`, `atsc-a85`.
    pub preset: Option<Preset>,
    /// Integrated loudness to reach, LUFS. Default -14 (or the preset's).
    pub target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP. Default -1 (or the preset's).
    pub true_peak_dbtp: Option<f64>,
    /// Loudness-range target, LU (EBU Tech 3342), of dynamic mode: default 11 there;
    /// refused in linear mode, which keeps the input's range.
    pub lra_lu: Option<f64>,
    /// `Linear` (default): one gain and the true-peak limiter. `Dynamic`: a smooth gain
    /// curve first brings the loudness range to `lra_lu`. Never switched silently.
    pub mode: Mode,
    /// Report the gain applied every 100 ms (`Report::dynamic`, dynamic mode).
    pub gain_curve: bool,
    /// Renders allowed per output before giving up on the target (default 4).
    pub max_attempts: Option<u32>,
}

impl TargetOptions {
    /// Renders allowed per output when `max_attempts` is not set.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;

    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts
            .unwrap_or(Self::DEFAULT_MAX_ATTEMPTS)
            .max(1)
    }
}

/// Options of [`analyze_with`](crate::analyze_with).
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    /// Limits, decoding, progress and cancellation.
    pub job: JobOptions,
    /// Also return momentary and short-term loudness every 100 ms.
    pub curve: bool,
}

/// Options of a normalize job: the targets, the settings every output starts from (each
/// [`OutputSpec`] may override them), and the job's limits and hooks.
///
/// ```
/// use loudcore::{EncoderSettings, NormalizeOptions, Preset, TargetOptions};
/// let opts = NormalizeOptions {
///     target: TargetOptions { preset: Some(Preset::AppleMusic), ..Default::default() },
///     output: EncoderSettings { bitrate: Some(192_000), ..Default::default() },
///     ..Default::default()
/// };
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, Default)]
pub struct NormalizeOptions {
    /// Loudness target, ceiling, mode and renders allowed.
    pub target: TargetOptions,
    /// Encoder settings and sample rate of every output, unless its [`OutputSpec`] sets
    /// its own.
    pub output: EncoderSettings,
    /// Limits, decoding, progress and cancellation.
    pub job: JobOptions,
}

/// One output of a normalize job: a destination (format from its extension) and settings
/// that override the job's ([`NormalizeOptions::output`]) field by field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutputSpec {
    /// Destination; its extension picks the format (`.mp3`, `.m4a`, `.wav`, `.flac`).
    pub path: PathBuf,
    /// Fields set here win over the job's.
    pub settings: EncoderSettings,
}

impl<P: Into<PathBuf>> From<P> for OutputSpec {
    fn from(p: P) -> Self {
        OutputSpec {
            path: p.into(),
            ..Default::default()
        }
    }
}

/// Options of an HLS job: the ladder, the targets every variant meets, and the job's
/// limits and hooks. Encoder settings are per variant (`64k@32000`).
///
/// ```
/// use loudcore::{Container, HlsOptions, Layout, TargetOptions};
/// let opts = HlsOptions {
///     variants: vec!["high=128k@44100".parse()?, "low=64k@32000".parse()?],
///     container: Container::Packed,
///     layout: Layout::Flat,
///     target: TargetOptions { true_peak_dbtp: Some(-1.5), ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(opts.segment_seconds, 10.0);
/// # Ok::<(), loudcore::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HlsOptions {
    /// The rungs. Empty: 48 kbps @ 24 kHz, 64 kbps @ 32 kHz and 128 kbps @ 44.1 kHz.
    pub variants: Vec<Variant>,
    /// Target segment duration, seconds (default 10).
    pub segment_seconds: f64,
    /// `Ts` (default), `Packed` audio or `Fmp4`.
    pub container: Container,
    /// `Aac` (AAC-LC, default) or `Mp3`.
    pub codec: HlsCodec,
    /// `Nested` (default: `<name>/playlist.m3u8`) or `Flat` (`<name>.m3u8`).
    pub layout: Layout,
    /// Loudness target, ceiling, mode and renders allowed.
    pub target: TargetOptions,
    /// Limits, decoding, progress and cancellation.
    pub job: JobOptions,
}

impl HlsOptions {
    /// Segment duration when `segment_seconds` is not set.
    pub const DEFAULT_SEGMENT_SECONDS: f64 = 10.0;
}

impl Default for HlsOptions {
    fn default() -> Self {
        HlsOptions {
            variants: Vec::new(),
            segment_seconds: Self::DEFAULT_SEGMENT_SECONDS,
            container: Container::default(),
            codec: HlsCodec::default(),
            layout: Layout::default(),
            target: TargetOptions::default(),
            job: JobOptions::default(),
        }
    }
}
