//! Records and enums of the public contract (DESIGN.md), with the same snake_case field names
//! as the core, and their conversions. Options carry UniFFI defaults that mirror the core's
//! `Default` impls (checked against `default_limits()` in the tests).

use std::path::PathBuf;

use crate::error::{LoudcoreError, invalid};

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

    /// The label the core uses in messages, for errors raised before the core runs.
    pub(crate) fn label(&self) -> String {
        match self {
            AudioInput::Path { path } => path.clone(),
            AudioInput::Bytes { name, .. } => name.clone().unwrap_or_else(|| "<bytes>".into()),
        }
    }
}

/// Limits checked on every input (`loudcore::Limits`). The defaults accept any sane audio file.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Limits {
    /// Largest input in bytes; `None` for no limit. Default 4 GiB.
    #[uniffi(default = Some(4294967296))]
    pub max_bytes: Option<u64>,
    /// Shortest accepted duration in seconds. Default 0.
    #[uniffi(default = 0.0)]
    pub min_duration_s: f64,
    /// Longest accepted duration in seconds; `None` for no limit. Default 24 hours.
    #[uniffi(default = Some(86400.0))]
    pub max_duration_s: Option<f64>,
    /// Most channels accepted. Default 8.
    #[uniffi(default = 8)]
    pub max_channels: u32,
    /// Lowest sample rate accepted in Hz. Default 8000.
    #[uniffi(default = 8000)]
    pub min_sample_rate: u32,
    /// Highest sample rate accepted in Hz. Default 192000.
    #[uniffi(default = 192000)]
    pub max_sample_rate: u32,
    /// Containers accepted (`"mp3"`, `"adts"`, `"mp4"`, `"flac"`, `"wav"`, `"ogg"`);
    /// `None` for all that loudcore reads.
    #[uniffi(default = None)]
    pub allowed_formats: Option<Vec<String>>,
}

impl From<loudcore::Limits> for Limits {
    fn from(l: loudcore::Limits) -> Self {
        let all = l.allowed_formats.len() == loudcore::Format::ALL.len()
            && loudcore::Format::ALL
                .iter()
                .all(|f| l.allowed_formats.contains(f));
        Limits {
            max_bytes: l.max_bytes,
            min_duration_s: l.min_duration_s,
            max_duration_s: l.max_duration_s,
            max_channels: l.max_channels,
            min_sample_rate: l.min_sample_rate,
            max_sample_rate: l.max_sample_rate,
            allowed_formats: (!all).then(|| {
                l.allowed_formats
                    .iter()
                    .map(|f| f.as_str().to_string())
                    .collect()
            }),
        }
    }
}

impl TryFrom<Limits> for loudcore::Limits {
    type Error = LoudcoreError;
    fn try_from(l: Limits) -> Result<Self, LoudcoreError> {
        let allowed_formats = match l.allowed_formats {
            None => loudcore::Format::ALL.to_vec(),
            Some(names) => names
                .iter()
                .map(|n| {
                    n.parse()
                        .map_err(|e| invalid(format!("allowed_formats: {e}")))
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(loudcore::Limits {
            max_bytes: l.max_bytes,
            min_duration_s: l.min_duration_s,
            max_duration_s: l.max_duration_s,
            max_channels: l.max_channels,
            min_sample_rate: l.min_sample_rate,
            max_sample_rate: l.max_sample_rate,
            allowed_formats,
        })
    }
}

/// How decoding treats damaged data, and how many threads it may use (`loudcore::DecodeOptions`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DecodeOptions {
    /// Fail on the first damaged frame instead of skipping it and counting it.
    #[uniffi(default = false)]
    pub strict: bool,
    /// Accept an input that ends before its headers say it should.
    #[uniffi(default = false)]
    pub allow_truncated: bool,
    /// Decoder threads for one job (1 to 8). Default 2.
    #[uniffi(default = 2)]
    pub threads: u32,
}

impl From<loudcore::DecodeOptions> for DecodeOptions {
    fn from(d: loudcore::DecodeOptions) -> Self {
        DecodeOptions {
            strict: d.strict,
            allow_truncated: d.allow_truncated,
            threads: u32::try_from(d.threads).unwrap_or(u32::MAX),
        }
    }
}

impl From<DecodeOptions> for loudcore::DecodeOptions {
    fn from(d: DecodeOptions) -> Self {
        loudcore::DecodeOptions {
            strict: d.strict,
            allow_truncated: d.allow_truncated,
            threads: d.threads as usize,
        }
    }
}

/// Options of `analyze`.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct AnalyzeOptions {
    /// Limits the input must meet.
    #[uniffi(default)]
    pub limits: Limits,
    /// How damaged data is treated.
    #[uniffi(default)]
    pub decode: DecodeOptions,
    /// Also return momentary and short-term loudness every 100 ms in `Analysis.curve`.
    #[uniffi(default = false)]
    pub curve: bool,
}

/// Options of `normalize`. Explicit targets override the preset, which overrides the
/// defaults (-14 LUFS, -1 dBTP). The output format comes from the output's extension
/// (`.mp3`, `.m4a`, `.wav`, `.flac`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct NormalizeOptions {
    /// Integrated loudness to reach, LUFS. `None`: the preset's, else -14.
    #[uniffi(default = None)]
    pub target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP. `None`: the preset's, else -1.
    #[uniffi(default = None)]
    pub true_peak_dbtp: Option<f64>,
    /// Loudness-range target (dynamic mode only).
    #[uniffi(default = None)]
    pub lra_lu: Option<f64>,
    /// A named target: `spotify`, `apple-music`, `youtube`, `amazon`, `tidal`, `deezer`,
    /// `podcast`, `ebu-r128`, `atsc-a85`.
    #[uniffi(default = None)]
    pub preset: Option<String>,
    /// `linear` (default). `dynamic` is not supported yet and is refused, never substituted.
    #[uniffi(default = "linear")]
    pub mode: String,
    /// Constant bit rate for lossy outputs, bits per second (MP3 default: VBR V0).
    #[uniffi(default = None)]
    pub bitrate: Option<u32>,
    /// MP3 VBR quality 0 (best) to 9; FLAC compression level.
    #[uniffi(default = None)]
    pub quality: Option<u8>,
    /// PCM bits for WAV (16, 24, 32 = float) and FLAC (16, 24).
    #[uniffi(default = None)]
    pub bits_per_sample: Option<u16>,
    /// Output sample rate; `None`: the input's.
    #[uniffi(default = None)]
    pub sample_rate: Option<u32>,
    /// Limits the input must meet.
    #[uniffi(default)]
    pub limits: Limits,
    /// How damaged input is treated.
    #[uniffi(default)]
    pub decode: DecodeOptions,
    /// Renders allowed per output before giving up on the target (`None`: 4).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
}

impl NormalizeOptions {
    /// The core's options, without cancellation and progress (the caller adds those).
    pub(crate) fn into_core(self) -> Result<loudcore::NormalizeOptions, LoudcoreError> {
        Ok(loudcore::NormalizeOptions {
            target_lufs: self.target_lufs,
            true_peak_dbtp: self.true_peak_dbtp,
            lra_lu: self.lra_lu,
            preset: self.preset.as_deref().map(str::parse).transpose()?,
            mode: self.mode.parse()?,
            bitrate: self.bitrate,
            quality: self.quality,
            bits_per_sample: self.bits_per_sample,
            sample_rate: self.sample_rate,
            limits: self.limits.try_into()?,
            decode: self.decode.into(),
            max_attempts: self.max_attempts,
            cancel: None,
            on_progress: None,
        })
    }
}

/// Options of `hls`: the ladder (`variants`, `segment_seconds`, `container`, `codec`,
/// `layout`) and the loudness targets and input checks of `normalize`. Bit rate and sample
/// rate are set per variant.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct HlsOptions {
    /// The rungs, `[name=]bitrate@sample_rate` (`"48k@24000"`, `"high=128k@44100"`).
    /// Empty (default): 48k@24000, 64k@32000 and 128k@44100.
    #[uniffi(default = [])]
    pub variants: Vec<String>,
    /// Target segment duration in seconds (1 to 60). Default 10.
    #[uniffi(default = 10.0)]
    pub segment_seconds: f64,
    /// Segment container: `"ts"` (MPEG-TS, default), `"packed"` (raw ADTS/MP3 with ID3
    /// timestamps) or `"fmp4"`.
    #[uniffi(default = "ts")]
    pub container: String,
    /// Codec of every rung: `"aac"` (AAC-LC, default) or `"mp3"`.
    #[uniffi(default = "aac")]
    pub codec: String,
    /// `"nested"` (default: `name/playlist.m3u8` + `name/segment_00000.ts`) or `"flat"`
    /// (`name.m3u8` + `name_000.aac`).
    #[uniffi(default = "nested")]
    pub layout: String,
    /// Integrated loudness to reach, LUFS. `None`: the preset's, else -14.
    #[uniffi(default = None)]
    pub target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP. `None`: the preset's, else -1.
    #[uniffi(default = None)]
    pub true_peak_dbtp: Option<f64>,
    /// Loudness-range target (dynamic mode only).
    #[uniffi(default = None)]
    pub lra_lu: Option<f64>,
    /// A named target: `spotify`, `apple-music`, `youtube`, `amazon`, `tidal`, `deezer`,
    /// `podcast`, `ebu-r128`, `atsc-a85`.
    #[uniffi(default = None)]
    pub preset: Option<String>,
    /// `linear` (default). `dynamic` is not supported yet and is refused, never substituted.
    #[uniffi(default = "linear")]
    pub mode: String,
    /// Limits the input must meet.
    #[uniffi(default)]
    pub limits: Limits,
    /// How damaged input is treated.
    #[uniffi(default)]
    pub decode: DecodeOptions,
    /// Renders allowed per variant before giving up on the target (`None`: 4).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
}

impl HlsOptions {
    /// The core's options, without cancellation and progress (the caller adds those).
    pub(crate) fn into_core(self) -> Result<loudcore::HlsOptions, LoudcoreError> {
        Ok(loudcore::HlsOptions {
            variants: self
                .variants
                .iter()
                .map(|v| v.parse())
                .collect::<Result<_, loudcore::Error>>()?,
            segment_seconds: self.segment_seconds,
            container: self.container.parse()?,
            codec: self.codec.parse()?,
            layout: self.layout.parse()?,
            normalize: loudcore::NormalizeOptions {
                target_lufs: self.target_lufs,
                true_peak_dbtp: self.true_peak_dbtp,
                lra_lu: self.lra_lu,
                preset: self.preset.as_deref().map(str::parse).transpose()?,
                mode: self.mode.parse()?,
                limits: self.limits.try_into()?,
                decode: self.decode.into(),
                max_attempts: self.max_attempts,
                ..Default::default()
            },
        })
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

/// What a normalize or hls job did and measured.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Report {
    /// The input, as measured in pass 1.
    pub input: Analysis,
    /// The loudness target the job aimed for, LUFS.
    pub target_lufs: f64,
    /// The true-peak ceiling the job aimed for, dBTP.
    pub true_peak_dbtp: f64,
    /// Gain planned from the measurement: target minus integrated loudness.
    pub gain_db: f64,
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
            gain_db: r.gain_db,
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
