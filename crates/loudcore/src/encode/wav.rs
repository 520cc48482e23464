//! RIFF WAVE: 16-bit (TPDF-dithered) or 24-bit integer PCM, or 32-bit float.
//!
//! Written by hand rather than with `hound` to control the header: the caller's channel
//! mask in `WAVE_FORMAT_EXTENSIBLE`, a `fact` chunk for float, a LIST/INFO chunk for tags,
//! and a clean error instead of a wrapped 32-bit size when the data passes 4 GiB.

use std::io::SeekFrom;

use super::descriptor::{AnySink, OutputCodec};
use super::dither::Quantizer;
use super::guess::EncoderGuess;
use super::{
    Encoded, Encoder, EncoderSettings, OutputFormat, StreamSpec, default_bits,
    default_channel_mask, invalid, io_error, partial_frame, tag_text, usable_mask,
};
use crate::error::{Error, Result};
use crate::input::Tags;
use crate::output::Sink;

/// `WAVE_FORMAT_PCM`.
const FORMAT_PCM: u16 = 1;
/// `WAVE_FORMAT_EXTENSIBLE`.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// The GUID tail shared by the `KSDATAFORMAT_SUBTYPE_*` GUIDs, after the 2-byte format tag.
const SUBTYPE_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];
/// Samples quantised per buffered write.
const CHUNK_SAMPLES: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WavSample {
    I16,
    I24,
    F32,
}

impl WavSample {
    fn bytes(self) -> usize {
        match self {
            WavSample::I16 => 2,
            WavSample::I24 => 3,
            WavSample::F32 => 4,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct WavConfig {
    pub channels: u16,
    pub sample_rate: u32,
    pub sample: WavSample,
    pub channel_mask: u32,
    pub extensible: bool,
}

impl WavConfig {
    pub(super) fn resolve(spec: &StreamSpec, settings: &EncoderSettings) -> Result<WavConfig> {
        if let Some(b) = settings.bitrate {
            return Err(invalid(format!(
                "WAV is uncompressed PCM and has no bit rate setting (got bitrate {b}); use \
                 bits_per_sample, or write .mp3 for a chosen bit rate"
            )));
        }
        let sample = match settings
            .bits_per_sample
            .unwrap_or_else(|| default_bits(spec.source_bits))
        {
            16 => WavSample::I16,
            24 => WavSample::I24,
            32 => WavSample::F32,
            b => {
                return Err(invalid(format!(
                    "WAV bits_per_sample is 16, 24 or 32 (float), not {b}"
                )));
            }
        };
        let default_mask = default_channel_mask(spec.channels);
        let channel_mask = usable_mask(spec).unwrap_or(default_mask);
        // Plain WAVE_FORMAT_PCM is only unambiguous for 16-bit mono/stereo in the usual
        // layout; everything else needs the extensible header (Microsoft's rule, and what
        // FFmpeg and symphonia expect for masks and >16-bit data).
        let extensible =
            spec.channels > 2 || sample != WavSample::I16 || channel_mask != default_mask;
        Ok(WavConfig {
            channels: spec.channels,
            sample_rate: spec.sample_rate,
            sample,
            channel_mask,
            extensible,
        })
    }

    fn block_align(&self) -> usize {
        usize::from(self.channels) * self.sample.bytes()
    }
}

/// WAV in the codec registry.
pub(crate) struct Wav;

impl OutputCodec for Wav {
    fn format(&self) -> OutputFormat {
        OutputFormat::Wav
    }

    fn name(&self) -> &'static str {
        "wav"
    }

    fn is_lossy(&self) -> bool {
        false
    }

    fn validate(&self, spec: &StreamSpec, settings: &EncoderSettings) -> Result<()> {
        WavConfig::resolve(spec, settings).map(drop)
    }

    fn file_encoder(
        &self,
        spec: &StreamSpec,
        settings: &EncoderSettings,
        sink: AnySink,
    ) -> Result<Box<dyn Encoder<AnySink>>> {
        let config = WavConfig::resolve(spec, settings)?;
        Ok(Box::new(WavEncoder::new(config, spec, sink)?))
    }

    fn guess(&self, _bitrate: Option<u32>, _channels: u32, _careful: bool) -> EncoderGuess {
        EncoderGuess::NONE
    }
}

pub(super) struct WavEncoder<W> {
    config: WavConfig,
    sink: W,
    label: String,
    quantizer: Quantizer,
    /// Offsets of the size fields patched at finish.
    data_size_at: u64,
    fact_at: Option<u64>,
    header_len: u64,
    data_bytes: u64,
    /// Largest RIFF size (file size − 8) allowed: u32::MAX, smaller in tests.
    max_riff: u64,
    buf: Vec<u8>,
    frames: u64,
}

impl<W: Sink> WavEncoder<W> {
    pub(super) fn new(config: WavConfig, spec: &StreamSpec, sink: W) -> Result<Self> {
        Self::with_limit(config, spec, sink, u64::from(u32::MAX))
    }

    pub(super) fn with_limit(
        config: WavConfig,
        spec: &StreamSpec,
        mut sink: W,
        max_riff: u64,
    ) -> Result<Self> {
        let label = sink.label();
        let (header, data_size_at, fact_at) = header(&config, &spec.tags);
        sink.write_all(&header).map_err(io_error(&label))?;
        let quantizer = Quantizer::new(match config.sample {
            WavSample::I16 => 16,
            _ => 24,
        });
        Ok(WavEncoder {
            config,
            sink,
            label,
            quantizer,
            data_size_at,
            fact_at,
            header_len: header.len() as u64,
            data_bytes: 0,
            max_riff,
            buf: Vec::with_capacity(CHUNK_SAMPLES * config.sample.bytes()),
            frames: 0,
        })
    }
}

/// The header up to the data chunk's payload, and the offsets of the data size and the
/// `fact` frame count.
fn header(c: &WavConfig, tags: &Tags) -> (Vec<u8>, u64, Option<u64>) {
    let mut h = Vec::with_capacity(128);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&0u32.to_le_bytes()); // patched at finish
    h.extend_from_slice(b"WAVE");

    let bytes = c.sample.bytes() as u16;
    let bits = bytes * 8;
    let block_align = c.channels.saturating_mul(bytes);
    let byte_rate = c.sample_rate.saturating_mul(u32::from(block_align));
    h.extend_from_slice(b"fmt ");
    h.extend_from_slice(&(if c.extensible { 40u32 } else { 16u32 }).to_le_bytes());
    h.extend_from_slice(
        &(if c.extensible {
            FORMAT_EXTENSIBLE
        } else {
            FORMAT_PCM
        })
        .to_le_bytes(),
    );
    h.extend_from_slice(&c.channels.to_le_bytes());
    h.extend_from_slice(&c.sample_rate.to_le_bytes());
    h.extend_from_slice(&byte_rate.to_le_bytes());
    h.extend_from_slice(&block_align.to_le_bytes());
    h.extend_from_slice(&bits.to_le_bytes());
    if c.extensible {
        h.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        h.extend_from_slice(&bits.to_le_bytes()); // wValidBitsPerSample
        h.extend_from_slice(&c.channel_mask.to_le_bytes());
        let subtype: u16 = if c.sample == WavSample::F32 { 3 } else { 1 };
        h.extend_from_slice(&subtype.to_le_bytes());
        h.extend_from_slice(&SUBTYPE_TAIL);
    }

    // Non-PCM formats (float) must carry a fact chunk with the frame count.
    let fact_at = (c.sample == WavSample::F32).then(|| {
        h.extend_from_slice(b"fact");
        h.extend_from_slice(&4u32.to_le_bytes());
        let at = h.len() as u64;
        h.extend_from_slice(&0u32.to_le_bytes()); // patched at finish
        at
    });

    let info = list_info(tags);
    h.extend_from_slice(&info);

    h.extend_from_slice(b"data");
    let data_size_at = h.len() as u64;
    h.extend_from_slice(&0u32.to_le_bytes()); // patched at finish
    (h, data_size_at, fact_at)
}

/// A `LIST`/`INFO` chunk with INAM (title), IART (artist) and IPRD (album), or nothing.
/// Text is UTF-8, as FFmpeg and most current tools write and read it.
fn list_info(tags: &Tags) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, value) in [
        (b"INAM", &tags.title),
        (b"IART", &tags.artist),
        (b"IPRD", &tags.album),
    ] {
        let Some(text) = value.as_deref() else {
            continue;
        };
        let text = tag_text(text);
        if text.is_empty() {
            continue;
        }
        let len = text.len() + 1; // NUL-terminated
        body.extend_from_slice(id);
        body.extend_from_slice(&(len as u32).to_le_bytes());
        body.extend_from_slice(text.as_bytes());
        body.push(0);
        if len % 2 == 1 {
            body.push(0); // chunks are word-aligned; the pad is not counted in the size
        }
    }
    if body.is_empty() {
        return body;
    }
    let mut chunk = Vec::with_capacity(body.len() + 12);
    chunk.extend_from_slice(b"LIST");
    chunk.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    chunk.extend_from_slice(b"INFO");
    chunk.extend_from_slice(&body);
    chunk
}

impl<W: Sink> WavEncoder<W> {
    /// RIFF size (file size − 8) once `data_bytes` of samples and the pad byte are written.
    fn riff_size(&self, data_bytes: u64) -> u64 {
        self.header_len + data_bytes + (data_bytes % 2) - 8
    }

    fn too_large(&self) -> Error {
        Error::InvalidOptions {
            detail: format!(
                "{}: WAV files cannot exceed 4 GiB (their sizes are 32-bit); write .flac for \
                 audio this long",
                self.label
            ),
        }
    }
}

impl<W: Sink> Encoder<W> for WavEncoder<W> {
    fn write(&mut self, interleaved: &[f32]) -> Result<()> {
        let ch = usize::from(self.config.channels);
        if !interleaved.len().is_multiple_of(ch) {
            return Err(partial_frame(&self.label, interleaved.len(), ch));
        }
        let incoming = (interleaved.len() * self.config.sample.bytes()) as u64;
        // Refuse before writing: a header whose sizes wrapped past 4 GiB would make players
        // stop (or loop) at the wrong place, and nothing would tell the user why.
        if self.riff_size(self.data_bytes + incoming) > self.max_riff {
            return Err(self.too_large());
        }
        for chunk in interleaved.chunks(CHUNK_SAMPLES) {
            self.buf.clear();
            match self.config.sample {
                WavSample::I16 => {
                    for &x in chunk {
                        let v = self.quantizer.quantize(x) as i16;
                        self.buf.extend_from_slice(&v.to_le_bytes());
                    }
                }
                WavSample::I24 => {
                    for &x in chunk {
                        let v = self.quantizer.quantize(x);
                        self.buf.extend_from_slice(&v.to_le_bytes()[..3]);
                    }
                }
                WavSample::F32 => {
                    for &x in chunk {
                        // Float keeps overs as they are (that is what float is for), but a
                        // NaN or infinity would be unplayable.
                        let v = if x.is_finite() { x } else { 0.0 };
                        self.buf.extend_from_slice(&v.to_le_bytes());
                    }
                }
            }
            self.sink
                .write_all(&self.buf)
                .map_err(io_error(&self.label))?;
        }
        self.data_bytes += incoming;
        self.frames += (interleaved.len() / ch) as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Encoded<W>> {
        let label = self.label.clone();
        let io = io_error(&label);
        if self.data_bytes % 2 == 1 {
            self.sink.write_all(&[0]).map_err(&io)?; // RIFF pad byte after odd-sized data
        }
        let riff = u32::try_from(self.riff_size(self.data_bytes)).map_err(|_| self.too_large())?;
        let data = u32::try_from(self.data_bytes).map_err(|_| self.too_large())?;
        self.sink.seek(SeekFrom::Start(4)).map_err(&io)?;
        self.sink.write_all(&riff.to_le_bytes()).map_err(&io)?;
        self.sink
            .seek(SeekFrom::Start(self.data_size_at))
            .map_err(&io)?;
        self.sink.write_all(&data.to_le_bytes()).map_err(&io)?;
        if let Some(at) = self.fact_at {
            // Float frames are 4 bytes per channel, so a <4 GiB file has < 2^32 frames.
            let frames = u32::try_from(self.frames).map_err(|_| self.too_large())?;
            self.sink.seek(SeekFrom::Start(at)).map_err(&io)?;
            self.sink.write_all(&frames.to_le_bytes()).map_err(&io)?;
        }
        let bytes = self.sink.seek(SeekFrom::End(0)).map_err(&io)?;
        self.sink.flush().map_err(&io)?;
        debug_assert_eq!(
            self.config.block_align() as u64 * self.frames,
            self.data_bytes
        );
        #[cfg(test)]
        let frames = self.frames;
        let WavEncoder { sink, .. } = *self;
        Ok(Encoded {
            bytes,
            #[cfg(test)]
            frames,
            output: sink,
        })
    }
}
