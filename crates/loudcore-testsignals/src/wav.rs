//! WAV writing (and reading back) through `hound`.

use crate::{Signal, default_channel_mask};
use std::io::{self, Cursor};
use std::path::Path;
use std::str::FromStr;

/// Sample format of a written WAV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WavFormat {
    Int16,
    Int24,
    Int32,
    Float32,
}

impl WavFormat {
    /// Every format, in the order above.
    pub const ALL: [WavFormat; 4] = [
        WavFormat::Int16,
        WavFormat::Int24,
        WavFormat::Int32,
        WavFormat::Float32,
    ];

    /// Bits per sample.
    pub fn bits(self) -> u16 {
        match self {
            WavFormat::Int16 => 16,
            WavFormat::Int24 => 24,
            WavFormat::Int32 | WavFormat::Float32 => 32,
        }
    }

    /// `"int16"`, `"int24"`, `"int32"` or `"float32"`.
    pub fn name(self) -> &'static str {
        match self {
            WavFormat::Int16 => "int16",
            WavFormat::Int24 => "int24",
            WavFormat::Int32 => "int32",
            WavFormat::Float32 => "float32",
        }
    }

    /// Whether hound writes a `WAVE_FORMAT_EXTENSIBLE` header (more than 2 channels or
    /// more than 16 bits), the only header that carries a channel mask.
    pub fn is_extensible(self, channels: u16) -> bool {
        channels > 2 || self.bits() > 16
    }

    fn spec(self, signal: &Signal) -> hound::WavSpec {
        hound::WavSpec {
            channels: signal.channels,
            sample_rate: signal.sample_rate,
            bits_per_sample: self.bits(),
            sample_format: match self {
                WavFormat::Float32 => hound::SampleFormat::Float,
                _ => hound::SampleFormat::Int,
            },
        }
    }
}

impl FromStr for WavFormat {
    type Err = String;
    /// Accepts the [`WavFormat::name`]s (case-insensitive) and `s16`/`s24`/`s32`/`f32`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "int16" | "s16" | "i16" | "pcm16" => Ok(WavFormat::Int16),
            "int24" | "s24" | "i24" | "pcm24" => Ok(WavFormat::Int24),
            "int32" | "s32" | "i32" | "pcm32" => Ok(WavFormat::Int32),
            "float32" | "f32" | "float" => Ok(WavFormat::Float32),
            _ => Err(format!(
                "unknown WAV format {s:?} (expected int16, int24, int32 or float32)"
            )),
        }
    }
}

fn to_io(e: hound::Error) -> io::Error {
    match e {
        hound::Error::IoError(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

/// Rounds `x · 2^(bits−1)` to the nearest integer and clamps it to the integer range.
fn quantise(x: f32, bits: u32) -> i32 {
    let scale = f64::from(1u32 << (bits - 1));
    let max = scale - 1.0;
    let v = (f64::from(x) * scale).round();
    if v.is_nan() {
        0
    } else {
        v.clamp(-scale, max) as i32
    }
}

/// Encodes a signal as a RIFF WAVE file in memory.
///
/// Uses `hound`, which writes `WAVE_FORMAT_EXTENSIBLE` when there are more than 2 channels
/// or more than 16 bits per sample (otherwise the plain PCM header). hound always writes
/// the mask "first n speakers"; the mask is replaced by [`Signal::channel_mask`] (e.g.
/// `0x37` for 5.0 rather than hound's `0x1F`). Integer formats quantise `x · 2^(bits−1)`
/// with rounding and clamp to the integer range (so +1.0 becomes the largest positive
/// code); `Float32` stores the samples as they are.
pub fn wav_bytes(signal: &Signal, format: WavFormat) -> Vec<u8> {
    encode(signal, format).expect("writing a WAV file into memory cannot fail")
}

fn encode(signal: &Signal, format: WavFormat) -> Result<Vec<u8>, hound::Error> {
    let mut buf = Vec::with_capacity(80 + signal.samples.len() * usize::from(format.bits() / 8));
    {
        let mut w = hound::WavWriter::new(Cursor::new(&mut buf), format.spec(signal))?;
        match format {
            WavFormat::Int16 => {
                let mut w16 = w.get_i16_writer(u32::try_from(signal.samples.len()).map_err(
                    |_| hound::Error::Unsupported, // more than 4 G samples
                )?);
                for &s in &signal.samples {
                    w16.write_sample(quantise(s, 16) as i16);
                }
                w16.flush()?;
            }
            WavFormat::Int24 | WavFormat::Int32 => {
                let bits = u32::from(format.bits());
                for &s in &signal.samples {
                    w.write_sample(quantise(s, bits))?;
                }
            }
            WavFormat::Float32 => {
                for &s in &signal.samples {
                    w.write_sample(s)?;
                }
            }
        }
        w.finalize()?;
    }
    if format.is_extensible(signal.channels) {
        set_channel_mask(&mut buf, signal.channel_mask);
    }
    Ok(buf)
}

/// Position of the body of the `fmt ` chunk.
fn fmt_chunk(bytes: &[u8]) -> Option<(usize, usize)> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut p = 12;
    while p + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[p + 4..p + 8].try_into().ok()?) as usize;
        if &bytes[p..p + 4] == b"fmt " {
            return Some((p + 8, size));
        }
        p += 8 + size + (size & 1);
    }
    None
}

fn set_channel_mask(bytes: &mut [u8], mask: u32) {
    if let Some((body, size)) = fmt_chunk(bytes) {
        // WAVEFORMATEXTENSIBLE: tag, channels, rate, byte rate, align, bits, cbSize,
        // valid bits (20 bytes), then dwChannelMask.
        if size >= 40 && bytes[body..body + 2] == [0xFE, 0xFF] {
            bytes[body + 20..body + 24].copy_from_slice(&mask.to_le_bytes());
        }
    }
}

/// The `dwChannelMask` of a WAVE file's `WAVE_FORMAT_EXTENSIBLE` header, if it has one.
pub(crate) fn channel_mask_of(bytes: &[u8]) -> Option<u32> {
    let (body, size) = fmt_chunk(bytes)?;
    if size >= 40 && bytes.get(body..body + 2)? == [0xFE, 0xFF] {
        Some(u32::from_le_bytes(
            bytes.get(body + 20..body + 24)?.try_into().ok()?,
        ))
    } else {
        None
    }
}

/// Writes a signal to a RIFF WAVE file; see [`wav_bytes`] for the encoding.
pub fn write_wav(path: &Path, signal: &Signal, format: WavFormat) -> io::Result<()> {
    let bytes = encode(signal, format).map_err(to_io)?;
    std::fs::write(path, bytes)
}

/// Decodes a WAVE file (as written by [`wav_bytes`], or any PCM/float WAVE hound reads)
/// into a [`Signal`]: integers are scaled by `1 / 2^(bits−1)`. The channel mask comes
/// from a `WAVE_FORMAT_EXTENSIBLE` header, else the [`default_channel_mask`].
pub fn signal_from_wav_bytes(bytes: &[u8]) -> io::Result<Signal> {
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(to_io)?;
    let spec = reader.spec();
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(to_io)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / f64::from(1u32 << (spec.bits_per_sample - 1));
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| (f64::from(v) * scale) as f32))
                .collect::<Result<_, _>>()
                .map_err(to_io)?
        }
    };
    let mut signal = Signal::new(spec.sample_rate, spec.channels, samples);
    signal.channel_mask = channel_mask_of(bytes).unwrap_or(default_channel_mask(spec.channels));
    Ok(signal)
}

/// Reads a WAVE file; see [`signal_from_wav_bytes`].
pub fn read_wav(path: &Path) -> io::Result<Signal> {
    signal_from_wav_bytes(&std::fs::read(path)?)
}
