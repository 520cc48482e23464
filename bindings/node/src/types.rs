//! The core's reports as plain JS objects: the same fields in camelCase, `null` where the core
//! has `None` (the integrated loudness of silence, an unknown bit rate).

use napi::bindgen_prelude::Float32Array;
use napi_derive::napi;

/// Loudness and stream facts of one input, measured on its decoded audio.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct Analysis {
    /// Integrated (programme) loudness, BS.1770-4 gated, LUFS. `null` for silence.
    pub integrated_lufs: Option<f64>,
    /// Maximum true peak over all channels, dBTP. `null` for digital silence.
    pub true_peak_dbtp: Option<f64>,
    /// Largest absolute sample value, dBFS. `null` for digital silence.
    pub sample_peak_dbfs: Option<f64>,
    /// Loudness range (EBU Tech 3342), LU.
    pub lra_lu: f64,
    /// The relative gate used for the integrated loudness, LUFS. `null` for silence.
    pub threshold_lufs: Option<f64>,
    /// Highest momentary (400 ms) loudness, LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Highest short-term (3 s) loudness, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Exact decoded duration, seconds.
    pub duration_s: f64,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    pub channels: u32,
    /// Codec short name: `mp3`, `aac`, `flac`, `vorbis`, `pcm_s16le`, ...
    pub codec: String,
    /// Container, recognised from the content.
    #[napi(ts_type = "InputFormat")]
    pub format: String,
    /// Average bit rate, bits per second. `null` where unknown.
    pub bit_rate: Option<f64>,
    /// Damaged frames skipped while decoding (0 for an intact file).
    pub skipped_frames: f64,
    /// Damage that was tolerated, in words.
    pub warnings: Vec<String>,
    /// Momentary and short-term loudness every 100 ms, when `curve: true` was asked for.
    pub curve: Option<Vec<CurvePoint>>,
}

/// One point of the loudness curve.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct CurvePoint {
    /// End of the measurement window, seconds from the start.
    pub t_s: f64,
    /// Momentary loudness (400 ms), LUFS; `null` before the window is full or in silence.
    pub momentary_lufs: Option<f64>,
    /// Short-term loudness (3 s), LUFS; `null` before the window is full or in silence.
    pub short_term_lufs: Option<f64>,
}

/// One written output, measured by decoding the file that was written.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct OutputReport {
    /// Where the output was written.
    pub path: String,
    /// `mp3`, `m4a`, `wav` or `flac`, from the output's extension; `hls` for a variant of
    /// an HLS ladder (`path` is then its media playlist).
    #[napi(ts_type = "OutputFormat")]
    pub format: String,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    pub channels: u32,
    /// Average bit rate of the file, bits per second.
    pub bit_rate: Option<f64>,
    /// Decoded duration, seconds.
    pub duration_s: f64,
    /// Integrated loudness of the decoded output, LUFS.
    pub integrated_lufs: Option<f64>,
    /// True peak of the decoded output, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Loudness range of the decoded output, LU.
    pub lra_lu: f64,
    /// The decoded output met the loudness target (within 0.1 LU) and the ceiling.
    pub verified: bool,
    /// Renders it took (1 unless a lossy encoder's overshoot had to be corrected).
    pub attempts: u32,
    /// The gain applied to this output, dB.
    pub gain_db: f64,
    /// For an HLS variant (`format` `hls`): what the master playlist declares about it.
    /// `null` for a file output.
    pub variant: Option<VariantReport>,
}

/// One variant of an HLS ladder, as its master playlist entry describes it.
#[napi(object, object_from_js = false)]
pub struct VariantReport {
    /// The variant's name (`low`, `med`, `high`, or the caller's).
    pub name: String,
    /// Segment container.
    #[napi(ts_type = "HlsContainer")]
    pub container: String,
    /// Codec of the segments.
    #[napi(ts_type = "HlsCodec")]
    pub codec: String,
    /// The RFC 6381 codec string of the master playlist (`mp4a.40.2`).
    pub codecs: String,
    /// The bit rate the encoder was asked for, bits per second.
    pub nominal_bit_rate: u32,
    /// Peak segment bit rate (RFC 8216 §4.1), as `BANDWIDTH` declares it, bits per second.
    pub bandwidth: f64,
    /// Average segment bit rate, as `AVERAGE-BANDWIDTH` declares it, bits per second.
    pub average_bandwidth: f64,
    /// Media segments written.
    pub segments: u32,
}

/// Wall time per stage, seconds.
#[napi(object, object_from_js = false)]
pub struct Timings {
    /// Pass 1: decoding and measuring the input.
    pub analyze_s: f64,
    /// Limiter calibration passes.
    pub calibrate_s: f64,
    /// Renders: decode, gain, limiter, resampling, encoding.
    pub render_s: f64,
    /// Decoding and measuring the outputs.
    pub verify_s: f64,
    /// Decode passes over the input, all stages together.
    pub input_decodes: u32,
}

/// What dynamic mode planned. Gains are before the true-peak limiter: the report's
/// `gainDb` plus the curve.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct DynamicReport {
    /// The loudness-range target, LU.
    pub lra_target_lu: f64,
    /// `false` where the input's range was already within the target: the result is then
    /// linear mode's.
    pub curve_applied: bool,
    /// Loudness range the plan expected of the output, LU.
    pub planned_lra_lu: f64,
    /// Lowest gain applied, dB.
    pub gain_min_db: f64,
    /// Highest gain applied, dB.
    pub gain_max_db: f64,
    /// Largest change of the gain between successive 100 ms frames, dB.
    pub max_gain_step_db: f64,
    /// The gain every 100 ms (frame `k` centred at `(k + 0.5) / 10` s), with `gainCurve`.
    pub gain_curve_db: Option<Float32Array>,
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
            gain_curve_db: d.gain_curve_db.map(Float32Array::new),
        }
    }
}

/// What a normalize or hls job did and measured.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct Report {
    /// The input, as measured in pass 1.
    pub input: Analysis,
    /// The loudness target the job aimed for, LUFS.
    pub target_lufs: f64,
    /// The true-peak ceiling the job aimed for, dBTP.
    pub true_peak_dbtp: f64,
    /// `linear` or `dynamic`, as asked (never switched).
    #[napi(ts_type = "Mode")]
    pub mode: String,
    /// Gain planned from the measurement (target minus integrated loudness; in dynamic mode
    /// after the gain curve, which adds to it), dB.
    pub gain_db: f64,
    /// What dynamic mode did; `null` in linear mode.
    pub dynamic: Option<DynamicReport>,
    /// Whether the true-peak limiter had to reduce gain anywhere.
    pub limiter_active: bool,
    /// Every written output, measured on the decoded file (for `hls()`, one per variant).
    pub outputs: Vec<OutputReport>,
    /// The master playlist an `hls()` job wrote; `null` for `normalize()`.
    pub master_playlist: Option<String>,
    /// Wall time of the whole job, seconds.
    pub elapsed_s: f64,
    /// Where the time went.
    pub timings: Timings,
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
            bit_rate: a.bit_rate.map(|b| b as f64),
            skipped_frames: a.skipped_frames as f64,
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

impl From<loudcore::OutputReport> for OutputReport {
    fn from(o: loudcore::OutputReport) -> Self {
        OutputReport {
            path: o.path,
            format: o.format.as_str().to_string(),
            sample_rate: o.sample_rate,
            channels: o.channels,
            bit_rate: o.bit_rate.map(|b| b as f64),
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
                bandwidth: v.bandwidth as f64,
                average_bandwidth: v.average_bandwidth as f64,
                segments: u32::try_from(v.segments).unwrap_or(u32::MAX),
            }),
        }
    }
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
            outputs: r.outputs.into_iter().map(Into::into).collect(),
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
