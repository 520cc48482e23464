//! The Analysis report: what a file measures, in the field names of the public contract.

use crate::input::Format;
use crate::loudness::CurvePoint;

/// Loudness and stream facts of one input, measured on its decoded audio.
///
/// Loudness figures that silence leaves undefined are `None` (`null` in JSON), never -inf.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Analysis {
    /// Integrated (programme) loudness, BS.1770-4 gated. `None` for silence.
    pub integrated_lufs: Option<f64>,
    /// Maximum true peak over all channels (4x oversampled below 96 kHz). `None` for digital silence.
    pub true_peak_dbtp: Option<f64>,
    /// Maximum absolute sample value. `None` for digital silence.
    pub sample_peak_dbfs: Option<f64>,
    /// Loudness range (EBU Tech 3342), from short-term loudness every 100 ms.
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
    /// Codec short name, e.g. `"mp3"`, `"aac"`, `"flac"`, `"vorbis"`, `"pcm_s16le"`.
    pub codec: String,
    /// Container, recognised from the content.
    pub format: Format,
    /// Average bit rate in bits per second; `None` where unknown.
    pub bit_rate: Option<u64>,
    /// Damaged frames skipped while decoding (0 for an intact file).
    pub skipped_frames: u64,
    /// Damage that was tolerated, in words.
    pub warnings: Vec<String>,
    /// Momentary and short-term loudness every 100 ms, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<Vec<CurvePoint>>,
}
