//! The encoding stage: float PCM in, a complete file (or, for HLS, packets) out. One
//! [`Encoder`] trait, one file per codec (`mp3`, `wav`, `flac`, `m4a` over the `aac` packet
//! encoder), each describing itself to the `registry`, and the quantiser/dither they share.
//!
//! Encoders write to a [`Sink`] (normally a [`TempOutput`]) and hand it back from
//! [`Encoder::finish`] complete but not yet in place, so that the pipeline can verify the
//! file before it commits it over the destination.

mod aac;
mod descriptor;
mod dither;
mod flac;
pub(crate) mod guess;
mod m4a;
mod mp3;
pub(crate) mod registry;

mod wav;

#[cfg(test)]
mod tests;

use std::path::Path;

use crate::codec::PacketEncoder;
use crate::error::{Error, Result};
use crate::output::{Sink, TempOutput};

#[cfg(test)]
pub(crate) use mp3::encode_tone;

/// Output container/codec, chosen from the destination's extension.
///
/// ```
/// use std::path::Path;
/// use loudcore::OutputFormat;
///
/// let f = OutputFormat::from_path(Path::new("master.FLAC"))?;
/// assert_eq!(f, OutputFormat::Flac);
/// assert_eq!(f.as_str(), "flac");
/// assert!(!f.is_lossy());
/// assert!(OutputFormat::from_path(Path::new("notes.txt")).is_err());
/// # Ok::<(), loudcore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
// More formats may come: callers outside the crate must keep a wildcard arm.
#[non_exhaustive]
pub enum OutputFormat {
    /// MPEG-1/2 layer III through LAME, with a Xing/LAME tag for exact (gapless) length.
    Mp3,
    /// RIFF WAVE, 16/24-bit integer or 32-bit float PCM.
    Wav,
    /// FLAC, 16 or 24 bits.
    Flac,
    /// AAC-LC in an MP4 (M4A) container, with an edit list and iTunSMPB for exact length.
    M4a,
    /// A variant of an HLS ladder (reports only: ladders are written by `hls`, never
    /// chosen by a file extension).
    Hls,
}

impl OutputFormat {
    /// Every format, in the order error messages list them.
    pub const ALL: &'static [OutputFormat] = &[
        OutputFormat::Mp3,
        OutputFormat::M4a,
        OutputFormat::Wav,
        OutputFormat::Flac,
    ];

    /// The format for a destination path, from its extension (case-insensitive).
    ///
    /// Anything else is [`Error::InvalidOptions`] naming the path and the supported
    /// extensions.
    pub fn from_path(p: &Path) -> Result<Self> {
        p.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::from_extension)
            .ok_or_else(|| {
                let supported: Vec<String> = Self::ALL
                    .iter()
                    .map(|f| format!(".{}", f.as_str()))
                    .collect();
                Error::InvalidOptions {
                    detail: format!(
                        "{}: cannot tell the output format from the extension; use one of {}",
                        p.display(),
                        supported.join(", ")
                    ),
                }
            })
    }

    /// The format for an extension without the dot (`"mp3"`, `"WAV"`), if supported.
    pub fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.as_str().eq_ignore_ascii_case(ext))
    }

    /// The lowercase name, which is also the file extension (`"mp3"`, `"m4a"`, `"wav"`,
    /// `"flac"`).
    pub fn as_str(self) -> &'static str {
        registry::file_codec(self).map_or("hls", |c| c.name())
    }

    /// Whether encoding loses information (so that a verified output may measure slightly
    /// differently from what was fed in).
    pub fn is_lossy(self) -> bool {
        // HLS variants are AAC or MP3.
        registry::file_codec(self).is_none_or(|c| c.is_lossy())
    }
}

/// The audio codec of every variant of a ladder.
///
/// ```
/// let c: loudcore::HlsCodec = "mp3".parse()?;
/// assert_eq!(c, loudcore::HlsCodec::Mp3);
/// # Ok::<(), loudcore::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum HlsCodec {
    /// AAC-LC.
    #[default]
    Aac,
    /// MPEG-1/2 Layer III, constant bit rate.
    Mp3,
}

impl HlsCodec {
    /// The packet encoder of one variant at `bitrate` bits/s.
    ///
    /// `careful`: a variant being redone gets the codec's slower, closer search (for AAC,
    /// FDK's afterburner; see the codec's `packet_encoder`).
    pub(crate) fn encoder(
        self,
        sample_rate: u32,
        channels: u16,
        bitrate: u32,
        careful: bool,
    ) -> Result<Box<dyn PacketEncoder>> {
        registry::hls_codec(self)
            .ok_or_else(|| unregistered(self.as_str()))?
            .packet_encoder(sample_rate, channels, bitrate, careful)
    }

    /// The lowercase name (`"aac"`, `"mp3"`).
    pub fn as_str(self) -> &'static str {
        // Every variant is registered (a unit test checks); "" would only show a bug.
        registry::hls_codec(self).map_or("", |c| c.hls_name())
    }
}

impl std::fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Encoder settings the caller may set; each format ignores what does not apply to it and
/// rejects what is invalid for it ([`Error::InvalidOptions`]).
///
/// | field | MP3 | M4A (AAC-LC) | WAV | FLAC |
/// |---|---|---|---|---|
/// | `bitrate` | CBR at this rate (bits/s, one of LAME's rates for the sample rate); `None`: VBR | CBR, 8 to 320 kbit/s per channel (at most ~5.7 bits per sample per channel at low rates); `None`: 128 kbit/s per channel (256k stereo) | error | error |
/// | `quality` | VBR quality 0 (best, `-V0`, the default) to 9; ignored with `bitrate` | error (CBR only) | ignored | compression level 0–8 (default 5) |
/// | `bits_per_sample` | ignored | error | 16, 24 or 32 (float) | 16 or 24 |
///
/// The default bit depth of WAV and FLAC is 16 when the source had 16 bits or fewer and
/// 24 otherwise. 16-bit output is TPDF-dithered.
///
/// ```
/// let cbr = loudcore::EncoderSettings { bitrate: Some(192_000), ..Default::default() };
/// let json = serde_json::to_string(&cbr).expect("serializable");
/// assert_eq!(json, r#"{"bitrate":192000,"quality":null,"bits_per_sample":null}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct EncoderSettings {
    /// Constant bit rate in bits per second (MP3, M4A). `None`: MP3 VBR by quality, M4A
    /// 128 kbit/s per channel.
    pub bitrate: Option<u32>,
    /// MP3 VBR quality 0 (best, "V0") to 9, default 0; FLAC compression level 0–8,
    /// default 5.
    pub quality: Option<u8>,
    /// PCM bits for WAV (16, 24, 32 = 32-bit float) and FLAC (16 or 24).
    pub bits_per_sample: Option<u16>,
    /// Sample rate of the output, Hz; `None` keeps the input's. (Not an encoder setting
    /// strictly, but chosen per output like the others.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
}

/// Stream facts an encoder needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct StreamSpec {
    pub sample_rate: u32,
    pub channels: u16,
    /// WAVE-style speaker mask of the interleaved channels. Kept in WAV
    /// (`WAVE_FORMAT_EXTENSIBLE`) and in FLAC as a `WAVEFORMATEXTENSIBLE_CHANNEL_MASK`
    /// Vorbis comment (for more than two channels, or an unusual mono/stereo layout).
    pub channel_mask: Option<u64>,
    /// Bits per sample of the source (PCM, FLAC), which picks the default output depth.
    pub source_bits: Option<u32>,
    /// Title, artist and album, written as ID3v2 (MP3), Vorbis comments (FLAC) and a
    /// LIST/INFO chunk (WAV) and iTunes ilst atoms (M4A).
    pub tags: crate::input::Tags,
}

/// What [`Encoder::finish`] wrote.
#[derive(Debug)]
pub(crate) struct Encoded<W = TempOutput> {
    /// Size of the complete file in bytes.
    pub bytes: u64,
    /// Input frames (samples per channel) consumed. Only the tests check it: the pipeline
    /// checks the length of the decoded output instead.
    #[cfg(test)]
    pub frames: u64,
    /// The sink, flushed and complete; for a [`TempOutput`] the caller commits it.
    pub output: W,
}

/// One output being encoded.
pub(crate) trait Encoder<W = TempOutput>: Send {
    /// Feeds interleaved samples, any number of whole frames. Values are within [-1, 1) in
    /// practice (a true-peak limiter runs before); quantisers clamp defensively.
    fn write(&mut self, interleaved: &[f32]) -> Result<()>;

    /// Flushes the codec, finalises the headers (sizes, Xing/LAME tag, FLAC STREAMINFO
    /// with total samples and MD5) and returns the complete output.
    fn finish(self: Box<Self>) -> Result<Encoded<W>>;
}

/// Creates the encoder for `format`, validating `settings` against it and `spec`.
pub(crate) fn new_encoder<W: Sink + 'static>(
    format: OutputFormat,
    spec: &StreamSpec,
    settings: &EncoderSettings,
    sink: W,
) -> Result<Box<dyn Encoder<W>>> {
    check_spec(format, spec)?;
    let codec = registry::file_codec(format).ok_or_else(not_a_file)?;
    let encoder = codec.file_encoder(spec, settings, Box::new(sink))?;
    Ok(descriptor::typed(encoder))
}

/// Checks `settings` for `format` and `spec` without creating anything, so that a job can
/// reject bad options before spending a decode pass on the input.
pub(crate) fn validate(
    format: OutputFormat,
    spec: &StreamSpec,
    settings: &EncoderSettings,
) -> Result<()> {
    check_spec(format, spec)?;
    registry::file_codec(format)
        .ok_or_else(not_a_file)?
        .validate(spec, settings)
}

fn check_spec(format: OutputFormat, spec: &StreamSpec) -> Result<()> {
    if spec.channels == 0 {
        return Err(invalid(format!(
            "{format} output needs at least one channel"
        )));
    }
    if spec.sample_rate == 0 {
        return Err(invalid(format!(
            "{format} output needs a sample rate above 0 Hz"
        )));
    }
    Ok(())
}

fn not_a_file() -> Error {
    invalid("an HLS ladder is written by hls(), not as one output file".into())
}

fn unregistered(name: &str) -> Error {
    Error::Internal {
        file: String::new(),
        detail: format!("no encoder is registered for {name}"),
    }
}

fn invalid(detail: String) -> Error {
    Error::InvalidOptions { detail }
}

/// Maps an I/O error while writing the output named `label`.
fn io_error(label: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        file: label.to_string(),
        source,
    }
}

/// A caller handed a slice that is not whole frames: a bug in loudcore, not in the input.
fn partial_frame(label: &str, len: usize, channels: usize) -> Error {
    Error::Internal {
        file: label.to_string(),
        detail: format!(
            "encoder fed {len} samples, not a whole number of {channels}-channel frames"
        ),
    }
}

/// Longest tag text kept, in characters: titles are short, and this bounds what a hostile
/// input's tags can make us write. `mp3`'s ID3v2 size arithmetic relies on it.
pub(crate) const MAX_TAG_CHARS: usize = 1024;

/// Tag text as written to ID3v2, RIFF INFO and MP4 atoms, whose readers take a NUL for
/// the end of the text: NULs dropped, then at most [`MAX_TAG_CHARS`].
fn tag_text(text: &str) -> String {
    text.chars()
        .filter(|&c| c != '\0')
        .take(MAX_TAG_CHARS)
        .collect()
}

/// Tag text as written to a Vorbis comment, which is length-prefixed: NULs kept, at most
/// [`MAX_TAG_CHARS`].
fn tag_text_keeping_nul(text: &str) -> String {
    text.chars().take(MAX_TAG_CHARS).collect()
}

/// Default bit depth of PCM-like outputs: 16 for 16-bit (or narrower) sources, where more
/// bits would only store dither and rounding noise, else 24.
fn default_bits(source_bits: Option<u32>) -> u16 {
    match source_bits {
        Some(b) if b <= 16 => 16,
        _ => 24,
    }
}

/// The usual `WAVEFORMATEXTENSIBLE` channel mask for a channel count, which is also FLAC's
/// implied channel order: mono FC; FL FR; FL FR FC; FL FR BL BR; FL FR FC BL BR; 5.1
/// FL FR FC LFE BL BR; 6.1 FL FR FC LFE BC SL SR; 7.1 FL FR FC LFE BL BR SL SR. Other
/// counts have no assignment (0).
fn default_channel_mask(channels: u16) -> u32 {
    match channels {
        1 => 0x4,
        2 => 0x3,
        3 => 0x7,
        4 => 0x33,
        5 => 0x37,
        6 => 0x3F,
        7 => 0x70F,
        8 => 0x63F,
        _ => 0,
    }
}

/// The caller's mask when it describes exactly `channels` speakers in WAVE's 32 bits;
/// anything else (unknown, inconsistent) is `None`.
fn usable_mask(spec: &StreamSpec) -> Option<u32> {
    spec.channel_mask
        .and_then(|m| u32::try_from(m).ok())
        .filter(|m| m.count_ones() == u32::from(spec.channels))
}
