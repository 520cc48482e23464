//! The Report of a normalize or HLS job, in the field names of the public contract.

use crate::encode::OutputFormat;
use crate::gain::Mode;
use crate::hls::{Container, HlsCodec};
use crate::loudness::Analysis;

/// One written output, measured by decoding the file that was written.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OutputReport {
    /// Where the output was written.
    pub path: String,
    pub format: OutputFormat,
    pub sample_rate: u32,
    pub channels: u32,
    /// Average bit rate of the file in bits per second.
    pub bit_rate: Option<u64>,
    /// Decoded duration in seconds.
    pub duration_s: f64,
    /// Integrated loudness of the decoded output.
    pub integrated_lufs: Option<f64>,
    /// True peak of the decoded output.
    pub true_peak_dbtp: Option<f64>,
    /// Loudness range of the decoded output.
    pub lra_lu: f64,
    /// The decoded output met the loudness target (within 0.1 LU) and the ceiling.
    pub verified: bool,
    /// Renders it took (1 unless a lossy encoder's overshoot had to be corrected).
    pub attempts: u32,
    /// The gain applied to this output, in dB.
    pub gain_db: f64,
    /// For an HLS variant (`format` "hls", `path` its media playlist): what the ladder
    /// declares about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<VariantReport>,
}

/// One variant of an HLS ladder, as its master playlist entry describes it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VariantReport {
    /// The variant's name (`low`, `med`, `high`, or the caller's).
    pub name: String,
    pub container: Container,
    pub codec: HlsCodec,
    /// The RFC 6381 codec string of the master playlist (`mp4a.40.2`).
    pub codecs: String,
    /// The bit rate the encoder was asked for, bits/s.
    pub nominal_bit_rate: u32,
    /// Peak segment bit rate (RFC 8216 §4.1), as `BANDWIDTH` declares it, bits/s.
    pub bandwidth: u64,
    /// Average segment bit rate, as `AVERAGE-BANDWIDTH` declares it, bits/s.
    pub average_bandwidth: u64,
    /// Media segments written.
    pub segments: usize,
}

/// What a normalize job did and measured.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    /// The input, as measured in pass 1.
    pub input: Analysis,
    /// The loudness target and true-peak ceiling the job aimed for.
    pub target_lufs: f64,
    pub true_peak_dbtp: f64,
    /// `linear` or `dynamic`, as asked (never switched).
    pub mode: Mode,
    /// Gain planned from the measurement: target minus integrated loudness (in dynamic
    /// mode, minus the integrated loudness after the gain curve, which adds to it).
    pub gain_db: f64,
    /// What dynamic mode did; absent in linear mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<DynamicReport>,
    /// Whether the true-peak limiter had to reduce gain anywhere.
    pub limiter_active: bool,
    pub outputs: Vec<OutputReport>,
    /// The master playlist of an HLS job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_playlist: Option<String>,
    /// Wall time of the whole job.
    pub elapsed_s: f64,
    /// Where the time went.
    pub timings: Timings,
}

/// What dynamic mode planned. Gains are before the true-peak limiter: `gain_db` of the
/// Report plus the curve.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DynamicReport {
    /// The loudness-range target, LU.
    pub lra_target_lu: f64,
    /// Whether a gain curve was applied: `false` where the input's range was already at or
    /// under the target, and the result is then exactly linear mode's.
    pub curve_applied: bool,
    /// Loudness range the plan expected of the output, LU (each output's `lra_lu` is what
    /// its decoded file measures).
    pub planned_lra_lu: f64,
    /// Lowest and highest gain applied, dB.
    pub gain_min_db: f64,
    pub gain_max_db: f64,
    /// Largest change of the gain between successive 100 ms frames, dB.
    pub max_gain_step_db: f64,
    /// The gain applied every 100 ms (frame `k` centred at `(k + 0.5) / 10` s), dB; with
    /// the `gain_curve` option.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gain_curve_db: Option<Vec<f32>>,
}

/// Wall time per stage, in seconds.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// Pass 1: decoding and measuring the input (and, where every output keeps the
    /// input's rate, sweeping the limiter over its thresholds).
    pub analyze_s: f64,
    /// Limiter calibration passes (decode, gain, limiter, meter; no encoding): 0 where
    /// pass 1's limiter sweep had every answer.
    pub calibrate_s: f64,
    /// Renders: decode, gain, limiter, resampling, encoding.
    pub render_s: f64,
    /// Decoding and measuring the outputs.
    pub verify_s: f64,
    /// Decode passes over the input, all stages together.
    pub input_decodes: u32,
}
