//! Type mapping only: the input, and the core's results as records with the same
//! snake_case field names as the core. (The option records are in `options.rs`.)

use std::path::PathBuf;

/// Where the audio comes from: a file, or bytes the app already holds in memory.
#[derive(Clone, Debug, uniffi::Enum)]
pub enum AudioInput {
    /// A file on disk.
    Path { path: String },
    /// Bytes in memory; `name` only labels errors and reports (default `<bytes>`).
    Bytes {
        data: Vec<u8>,
        #[uniffi(default = None)]
        name: Option<String>,
    },
}

impl AudioInput {
    /// The core's input. Takes `self` so that in-memory bytes are moved, not copied twice.
    pub(crate) fn into_core(self) -> loudcore::Input {
        match self {
            AudioInput::Path { path } => loudcore::Input::from(PathBuf::from(path)),
            AudioInput::Bytes { data, name } => {
                let input = loudcore::Input::bytes(data);
                match name {
                    Some(n) => input.named(n),
                    None => input,
                }
            }
        }
    }
}

/// Momentary and short-term loudness at one point in time.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CurvePoint {
    /// End of the measurement window, seconds from the start.
    pub t_s: f64,
    /// Momentary loudness (400 ms window).
    pub momentary_lufs: Option<f64>,
    /// Short-term loudness (3 s window).
    pub short_term_lufs: Option<f64>,
}

/// Loudness and stream facts of one input, measured on its decoded audio. Loudness that
/// silence leaves undefined is `None`, never -inf.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Analysis {
    /// Integrated (programme) loudness, BS.1770-4 gated. `None` for silence.
    pub integrated_lufs: Option<f64>,
    /// Maximum true peak over all channels. `None` for digital silence.
    pub true_peak_dbtp: Option<f64>,
    /// Maximum absolute sample value. `None` for digital silence.
    pub sample_peak_dbfs: Option<f64>,
    /// Loudness range (EBU Tech 3342).
    pub lra_lu: f64,
    /// The relative gate used for the integrated loudness. `None` for silence.
    pub threshold_lufs: Option<f64>,
    /// Highest momentary (400 ms) loudness.
    pub max_momentary_lufs: Option<f64>,
    /// Highest short-term (3 s) loudness.
    pub max_short_term_lufs: Option<f64>,
    /// Exact decoded duration in seconds.
    pub duration_s: f64,
    pub sample_rate: u32,
    pub channels: u32,
    /// Codec short name, e.g. `"mp3"`, `"aac"`, `"flac"`, `"pcm_s16le"`.
    pub codec: String,
    /// Container, recognised from the content (`"mp3"`, `"mp4"`, `"wav"`, ...).
    pub format: String,
    /// Average bit rate in bits per second; `None` where unknown.
    pub bit_rate: Option<u64>,
    /// Damaged frames skipped while decoding (0 for an intact file).
    pub skipped_frames: u64,
    /// Damage that was tolerated, in words.
    pub warnings: Vec<String>,
    /// Momentary and short-term loudness every 100 ms, when asked for.
    pub curve: Option<Vec<CurvePoint>>,
}

impl From<loudcore::Analysis> for Analysis {
    fn from(a: loudcore::Analysis) -> Self {
        Analysis {
            integrated_lufs: a.integrated_lufs,
            true_peak_dbtp: a.true_peak_dbtp,
            sample_peak_dbfs: a.sample_peak_dbfs,
            lra_lu: a.lra_lu,
            threshold_lufs: a.threshold_lufs,
            max_momentary_lufs: a.max_momentary_lufs,
            max_short_term_lufs: a.max_short_term_lufs,
            duration_s: a.duration_s,
            sample_rate: a.sample_rate,
            channels: a.channels,
            codec: a.codec,
            format: a.format.as_str().to_string(),
            bit_rate: a.bit_rate,
            skipped_frames: a.skipped_frames,
            warnings: a.warnings,
            curve: a.curve.map(|c| {
                c.into_iter()
                    .map(|p| CurvePoint {
                        t_s: p.t_s,
                        momentary_lufs: p.momentary_lufs,
                        short_term_lufs: p.short_term_lufs,
                    })
                    .collect()
            }),
        }
    }
}

/// One written output, measured by decoding the file that was written.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct OutputReport {
    /// Where the output was written (for an HLS variant: its media playlist).
    pub path: String,
    /// `"mp3"`, `"m4a"`, `"wav"` or `"flac"`; `"hls"` for a variant of an HLS ladder.
    pub format: String,
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
    /// The decoded output met the loudness target and the ceiling.
    pub verified: bool,
    /// Renders it took.
    pub attempts: u32,
    /// The gain applied to this output, in dB.
    pub gain_db: f64,
    /// For an HLS variant (`format` `"hls"`): what the master playlist declares about it.
    pub variant: Option<VariantReport>,
}

/// One variant of an HLS ladder, as its master playlist entry describes it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct VariantReport {
    /// The variant's name (`low`, `med`, `high`, or the caller's).
    pub name: String,
    /// Segment container: `"ts"`, `"packed"` or `"fmp4"`.
    pub container: String,
    /// `"aac"` or `"mp3"`.
    pub codec: String,
    /// The RFC 6381 codec string of the master playlist (`"mp4a.40.2"`).
    pub codecs: String,
    /// The bit rate the encoder was asked for, bits per second.
    pub nominal_bit_rate: u32,
    /// Peak segment bit rate (RFC 8216 §4.1), as `BANDWIDTH` declares it, bits per second.
    pub bandwidth: u64,
    /// Average segment bit rate, as `AVERAGE-BANDWIDTH` declares it, bits per second.
    pub average_bandwidth: u64,
    /// Media segments written.
    pub segments: u64,
}

/// Wall time per stage, in seconds.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Timings {
    pub analyze_s: f64,
    pub calibrate_s: f64,
    pub render_s: f64,
    pub verify_s: f64,
    /// Decode passes over the input, all stages together.
    pub input_decodes: u32,
}

/// What dynamic mode planned. Gains are before the true-peak limiter: the Report's
/// `gain_db` plus the curve.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DynamicReport {
    /// The loudness-range target, LU.
    pub lra_target_lu: f64,
    /// `false` where the input's range was already within the target: the result is then
    /// linear mode's.
    pub curve_applied: bool,
    /// Loudness range the plan expected of the output, LU.
    pub planned_lra_lu: f64,
    /// Lowest and highest gain applied, dB.
    pub gain_min_db: f64,
    pub gain_max_db: f64,
    /// Largest change of the gain between successive 100 ms frames, dB.
    pub max_gain_step_db: f64,
    /// The gain every 100 ms (frame `k` centred at `(k + 0.5) / 10` s), with `gain_curve`.
    pub gain_curve_db: Option<Vec<f32>>,
}

impl From<loudcore::DynamicReport> for DynamicReport {
    fn from(d: loudcore::DynamicReport) -> Self {
        DynamicReport {
            lra_target_lu: d.lra_target_lu,
            curve_applied: d.curve_applied,
            planned_lra_lu: d.planned_lra_lu,
            gain_min_db: d.gain_min_db,
            gain_max_db: d.gain_max_db,
            max_gain_step_db: d.max_gain_step_db,
            gain_curve_db: d.gain_curve_db,
        }
    }
}

/// What a normalize or hls job did and measured.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Report {
    /// The input, as measured in pass 1.
    pub input: Analysis,
    /// The loudness target the job aimed for, LUFS.
    pub target_lufs: f64,
    /// The true-peak ceiling the job aimed for, dBTP.
    pub true_peak_dbtp: f64,
    /// `"linear"` or `"dynamic"`, as asked (never switched).
    pub mode: String,
    /// Gain planned from the measurement: target minus integrated loudness (in dynamic
    /// mode, after the gain curve, which adds to it).
    pub gain_db: f64,
    /// What dynamic mode did; `None` in linear mode.
    pub dynamic: Option<DynamicReport>,
    /// Whether the true-peak limiter had to reduce gain anywhere.
    pub limiter_active: bool,
    pub outputs: Vec<OutputReport>,
    /// The master playlist an `hls` job wrote; `None` for `normalize`.
    pub master_playlist: Option<String>,
    /// Wall time of the whole job.
    pub elapsed_s: f64,
    /// Where the time went.
    pub timings: Timings,
}

impl From<loudcore::Report> for Report {
    fn from(r: loudcore::Report) -> Self {
        Report {
            input: r.input.into(),
            target_lufs: r.target_lufs,
            true_peak_dbtp: r.true_peak_dbtp,
            mode: r.mode.as_str().to_string(),
            gain_db: r.gain_db,
            dynamic: r.dynamic.map(DynamicReport::from),
            limiter_active: r.limiter_active,
            outputs: r
                .outputs
                .into_iter()
                .map(|o| OutputReport {
                    path: o.path,
                    format: o.format.as_str().to_string(),
                    sample_rate: o.sample_rate,
                    channels: o.channels,
                    bit_rate: o.bit_rate,
                    duration_s: o.duration_s,
                    integrated_lufs: o.integrated_lufs,
                    true_peak_dbtp: o.true_peak_dbtp,
                    lra_lu: o.lra_lu,
                    verified: o.verified,
                    attempts: o.attempts,
                    gain_db: o.gain_db,
                    variant: o.variant.map(|v| VariantReport {
                        name: v.name,
                        container: v.container.as_str().to_string(),
                        codec: v.codec.as_str().to_string(),
                        codecs: v.codecs,
                        nominal_bit_rate: v.nominal_bit_rate,
                        bandwidth: v.bandwidth,
                        average_bandwidth: v.average_bandwidth,
                        segments: v.segments as u64,
                    }),
                })
                .collect(),
            master_playlist: r.master_playlist,
            elapsed_s: r.elapsed_s,
            timings: Timings {
                analyze_s: r.timings.analyze_s,
                calibrate_s: r.timings.calibrate_s,
                render_s: r.timings.render_s,
                verify_s: r.timings.verify_s,
                input_decodes: r.timings.input_decodes,
            },
        }
    }
}
