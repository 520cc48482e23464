//! The Report of a normalize or HLS job, in the field names of the public contract.

use crate::encode::OutputFormat;
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
}

/// What a normalize job did and measured.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    /// The input, as measured in pass 1.
    pub input: Analysis,
    /// The loudness target and true-peak ceiling the job aimed for.
    pub target_lufs: f64,
    pub true_peak_dbtp: f64,
    /// Gain planned from the measurement: target minus integrated loudness.
    pub gain_db: f64,
    /// Whether the true-peak limiter had to reduce gain anywhere.
    pub limiter_active: bool,
    pub outputs: Vec<OutputReport>,
    /// Wall time of the whole job.
    pub elapsed_s: f64,
    /// Where the time went.
    pub timings: Timings,
}

/// Wall time per stage, in seconds.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// Pass 1: decoding and measuring the input.
    pub analyze_s: f64,
    /// Limiter calibration passes (decode, gain, limiter, meter; no encoding).
    pub calibrate_s: f64,
    /// Renders: decode, gain, limiter, resampling, encoding.
    pub render_s: f64,
    /// Decoding and measuring the outputs.
    pub verify_s: f64,
    /// Decode passes over the input, all stages together.
    pub input_decodes: u32,
}
