//! FLAC through the pure-Rust `flacenc`, streamed frame by frame.
//!
//! flacenc's one-shot API holds the whole stream in memory; here each block of 4096 frames
//! is encoded with `encode_fixed_size_frame` and written at once, and STREAMINFO (total
//! samples, frame sizes, MD5) is rewritten in place at the end, so memory stays constant
//! whatever the duration.

use std::io::SeekFrom;

use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, StreamInfo};
use flacenc::config;
use flacenc::error::{Verified, Verify};
use flacenc::source::{Fill, FrameBuf};
use md5::{Digest, Md5};

use super::descriptor::{AnySink, OutputCodec};
use super::dither::Quantizer;
use super::guess::EncoderGuess;
use super::{
    Encoded, Encoder, EncoderSettings, OutputFormat, StreamSpec, default_bits,
    default_channel_mask, invalid, io_error, partial_frame, tag_text_keeping_nul, usable_mask,
};
use crate::error::{Error, Result};
use crate::input::Tags;
use crate::output::Sink;

/// Frames per FLAC block: the reference encoder's default, and within the streamable
/// subset (at most 4608 up to 48 kHz) that hardware players require.
const BLOCK_SIZE: usize = 4096;
/// FLAC's limit on channels.
const MAX_CHANNELS: u16 = 8;
/// STREAMINFO's total-samples field has 36 bits.
const MAX_TOTAL_SAMPLES: u64 = (1 << 36) - 1;
/// Room left after the tags so that taggers can add some without rewriting the file (the
/// reference encoder's default).
const PADDING_BYTES: usize = 8192;
/// Offset of the STREAMINFO payload: "fLaC" and a 4-byte metadata block header.
const STREAMINFO_AT: u64 = 8;
/// Default compression level, as `flac`'s.
const DEFAULT_LEVEL: u8 = 5;

pub(super) struct FlacConfig {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits: u16,
    pub level: u8,
    /// The caller's channel mask, when it is worth a WAVEFORMATEXTENSIBLE_CHANNEL_MASK tag.
    pub channel_mask_tag: Option<u32>,
    pub encoder: Verified<config::Encoder>,
}

impl FlacConfig {
    pub(super) fn resolve(spec: &StreamSpec, settings: &EncoderSettings) -> Result<FlacConfig> {
        if let Some(b) = settings.bitrate {
            return Err(invalid(format!(
                "FLAC is lossless and has no bit rate setting (got bitrate {b}); use quality for \
                 the compression level 0-8, or write .mp3 for a chosen bit rate"
            )));
        }
        if spec.channels > MAX_CHANNELS {
            return Err(invalid(format!(
                "FLAC holds at most {MAX_CHANNELS} channels, and this stream has {}; write .wav",
                spec.channels
            )));
        }
        let bits = settings
            .bits_per_sample
            .unwrap_or_else(|| default_bits(spec.source_bits));
        if bits != 16 && bits != 24 {
            return Err(invalid(format!(
                "FLAC bits_per_sample is 16 or 24, not {bits}"
            )));
        }
        let level = settings.quality.unwrap_or(DEFAULT_LEVEL);
        if level > 8 {
            return Err(invalid(format!(
                "FLAC compression level (quality) is 0 to 8, not {level}"
            )));
        }
        // STREAMINFO validates the rate (20 bits) the way every FLAC reader will.
        StreamInfo::new(
            spec.sample_rate as usize,
            usize::from(spec.channels),
            usize::from(bits),
        )
        .map_err(|e| invalid(format!("FLAC cannot store this stream: {e}")))?;
        // Readers disagree on FLAC's implied layouts beyond stereo (FFmpeg takes 5 and 6
        // channels as side, the FLAC spec as back surround), so a known multichannel layout
        // is always spelled out; mono/stereo only when unusual.
        let channel_mask_tag = usable_mask(spec)
            .filter(|&m| spec.channels > 2 || m != default_channel_mask(spec.channels));
        let encoder = encoder_config(level)
            .into_verified()
            .map_err(|(_, e)| Error::Internal {
                file: String::new(),
                detail: format!("flacenc config: {e}"),
            })?;
        Ok(FlacConfig {
            channels: spec.channels,
            sample_rate: spec.sample_rate,
            bits,
            level,
            channel_mask_tag,
            encoder,
        })
    }
}

/// flacenc settings for a `flac -0` … `-8` style level. flacenc has no presets, so this
/// follows what the reference levels vary: 0–2 fixed predictors only (0 without, 1 with
/// mid-side only, 2 with full stereo decorrelation), 3 adds LPC of order 6 without stereo
/// decorrelation, 4 LPC 8 with stereo, 5 flacenc's defaults (LPC 10), 6 LPC 12, and 7–8
/// also choose fixed orders by counting actual bits. LPC orders stay ≤ 12 to keep the
/// stream in the subset hardware decoders support.
fn encoder_config(level: u8) -> config::Encoder {
    let mut c = config::Encoder::default();
    c.block_size = BLOCK_SIZE;
    // Frames are encoded one at a time in the caller's thread; jobs parallelise across
    // outputs instead.
    c.multithread = false;
    let stereo = &mut c.stereo_coding;
    let sub = &mut c.subframe_coding;
    match level {
        0 => {
            sub.use_lpc = false;
            stereo.use_leftside = false;
            stereo.use_rightside = false;
            stereo.use_midside = false;
        }
        1 => {
            sub.use_lpc = false;
            stereo.use_leftside = false;
            stereo.use_rightside = false;
        }
        2 => sub.use_lpc = false,
        3 => {
            sub.qlpc.lpc_order = 6;
            stereo.use_leftside = false;
            stereo.use_rightside = false;
            stereo.use_midside = false;
        }
        4 => sub.qlpc.lpc_order = 8,
        5 => {}
        6 => sub.qlpc.lpc_order = 12,
        _ => {
            sub.qlpc.lpc_order = 12;
            sub.fixed.order_sel = config::OrderSel::BitCount;
        }
    }
    c
}

/// FLAC in the codec registry.
pub(crate) struct Flac;

impl OutputCodec for Flac {
    fn format(&self) -> OutputFormat {
        OutputFormat::Flac
    }

    fn name(&self) -> &'static str {
        "flac"
    }

    fn is_lossy(&self) -> bool {
        false
    }

    fn validate(&self, spec: &StreamSpec, settings: &EncoderSettings) -> Result<()> {
        FlacConfig::resolve(spec, settings).map(drop)
    }

    fn file_encoder(
        &self,
        spec: &StreamSpec,
        settings: &EncoderSettings,
        sink: AnySink,
    ) -> Result<Box<dyn Encoder<AnySink>>> {
        let config = FlacConfig::resolve(spec, settings)?;
        Ok(Box::new(FlacEncoder::new(config, spec, sink)?))
    }

    fn guess(&self, _bitrate: Option<u32>, _channels: u32, _careful: bool) -> EncoderGuess {
        EncoderGuess::NONE
    }
}

pub(super) struct FlacEncoder<W> {
    sink: W,
    label: String,
    channels: usize,
    bytes_per_sample: usize,
    config: Verified<config::Encoder>,
    info: StreamInfo,
    quantizer: Quantizer,
    /// Quantised interleaved samples of the block being filled.
    pending: Vec<i32>,
    framebuf: FrameBuf,
    /// Encoded frame, reused.
    frame_bytes: ByteSink,
    /// Little-endian sample bytes for the MD5, reused.
    md5_bytes: Vec<u8>,
    md5: Md5,
    frame_number: usize,
    total_frames: u64,
    min_frame_bytes: usize,
    max_frame_bytes: usize,
}

impl<W: Sink> FlacEncoder<W> {
    pub(super) fn new(config: FlacConfig, spec: &StreamSpec, mut sink: W) -> Result<Self> {
        let label = sink.label();
        let internal = |e: &dyn std::fmt::Display| Error::Internal {
            file: label.clone(),
            detail: e.to_string(),
        };
        let channels = usize::from(config.channels);
        let bits = usize::from(config.bits);
        let info = StreamInfo::new(config.sample_rate as usize, channels, bits)
            .map_err(|e| invalid(format!("FLAC cannot store this stream: {e}")))?;
        let framebuf = FrameBuf::with_size(channels, BLOCK_SIZE).map_err(|e| internal(&e))?;

        let mut head = Vec::with_capacity(64 + PADDING_BYTES);
        head.extend_from_slice(b"fLaC");
        push_block_header(&mut head, 0, false, 34);
        head.extend_from_slice(&streaminfo_bytes(&info)?);
        let comments = vorbis_comment(&spec.tags, config.channel_mask_tag, config.level);
        push_block_header(&mut head, 4, false, comments.len());
        head.extend_from_slice(&comments);
        push_block_header(&mut head, 1, true, PADDING_BYTES);
        head.resize(head.len() + PADDING_BYTES, 0);
        sink.write_all(&head).map_err(io_error(&label))?;

        Ok(FlacEncoder {
            sink,
            label: label.clone(),
            channels,
            bytes_per_sample: bits / 8,
            config: config.encoder,
            info,
            quantizer: Quantizer::new(config.bits),
            pending: Vec::with_capacity(BLOCK_SIZE * channels),
            framebuf,
            frame_bytes: ByteSink::new(),
            md5_bytes: Vec::with_capacity(BLOCK_SIZE * channels * 3),
            md5: Md5::new(),
            frame_number: 0,
            total_frames: 0,
            min_frame_bytes: usize::MAX,
            max_frame_bytes: 0,
        })
    }

    /// Encodes and writes `pending` as one frame (a full block, or the shorter last one:
    /// FLAC allows the last frame to be short, which keeps the length exact).
    fn encode_pending(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let internal = |what: &str, e: &dyn std::fmt::Display| Error::Internal {
            file: self.label.clone(),
            detail: format!("flacenc {what}: {e}"),
        };
        let block = self.pending.len() / self.channels;

        // The MD5 in STREAMINFO covers the samples as signed little-endian integers of the
        // sample width, interleaved (FLAC format, section STREAMINFO).
        self.md5_bytes.clear();
        for &v in &self.pending {
            self.md5_bytes
                .extend_from_slice(&v.to_le_bytes()[..self.bytes_per_sample]);
        }
        self.md5.update(&self.md5_bytes);

        self.framebuf
            .fill_interleaved(&self.pending)
            .map_err(|e| internal("fill", &e))?;
        let frame = flacenc::encode_fixed_size_frame(
            &self.config,
            &self.framebuf,
            self.frame_number,
            &self.info,
        )
        .map_err(|e| internal("encode", &e))?;
        self.frame_bytes.clear();
        frame
            .write(&mut self.frame_bytes)
            .map_err(|e| internal("write", &e))?;
        let bytes = self.frame_bytes.as_slice();
        self.sink.write_all(bytes).map_err(io_error(&self.label))?;
        self.min_frame_bytes = self.min_frame_bytes.min(bytes.len());
        self.max_frame_bytes = self.max_frame_bytes.max(bytes.len());
        self.frame_number += 1;
        self.total_frames += block as u64;
        self.pending.clear();
        Ok(())
    }
}

fn push_block_header(out: &mut Vec<u8>, block_type: u8, last: bool, len: usize) {
    out.push(block_type | if last { 0x80 } else { 0 });
    // Callers keep blocks far below the 24-bit limit (tags are capped).
    let len = len as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
}

fn streaminfo_bytes(info: &StreamInfo) -> Result<Vec<u8>> {
    let mut sink = ByteSink::new();
    info.write(&mut sink).map_err(|e| Error::Internal {
        file: String::new(),
        detail: format!("flacenc STREAMINFO: {e}"),
    })?;
    Ok(sink.as_slice().to_vec())
}

/// A VORBIS_COMMENT block body with TITLE, ARTIST, ALBUM and, for a non-default layout,
/// WAVEFORMATEXTENSIBLE_CHANNEL_MASK (the tag `flac` itself writes and FFmpeg reads).
fn vorbis_comment(tags: &Tags, channel_mask: Option<u32>, level: u8) -> Vec<u8> {
    let vendor = format!(
        "loudcore {} (flacenc, level {level})",
        env!("CARGO_PKG_VERSION")
    );
    let mut fields: Vec<String> = Vec::new();
    for (key, value) in [
        ("TITLE", &tags.title),
        ("ARTIST", &tags.artist),
        ("ALBUM", &tags.album),
    ] {
        if let Some(v) = value.as_deref() {
            let v = tag_text_keeping_nul(v);
            if !v.is_empty() {
                fields.push(format!("{key}={v}"));
            }
        }
    }
    if let Some(mask) = channel_mask {
        fields.push(format!("WAVEFORMATEXTENSIBLE_CHANNEL_MASK=0x{mask:04X}"));
    }
    // Vorbis comment lengths are little-endian, unlike the rest of FLAC.
    let mut out = Vec::new();
    out.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    out.extend_from_slice(vendor.as_bytes());
    out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
    for f in fields {
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f.as_bytes());
    }
    out
}

impl<W: Sink> Encoder<W> for FlacEncoder<W> {
    fn write(&mut self, interleaved: &[f32]) -> Result<()> {
        let ch = self.channels;
        if !interleaved.len().is_multiple_of(ch) {
            return Err(partial_frame(&self.label, interleaved.len(), ch));
        }
        if self.total_frames + (self.pending.len() + interleaved.len()) as u64 / ch as u64
            > MAX_TOTAL_SAMPLES
        {
            return Err(invalid(format!(
                "{}: FLAC cannot hold more than 2^36 samples per channel",
                self.label
            )));
        }
        let block_samples = BLOCK_SIZE * ch;
        let mut rest = interleaved;
        while !rest.is_empty() {
            let take = (block_samples - self.pending.len()).min(rest.len());
            let (now, later) = rest.split_at(take);
            for &x in now {
                let v = self.quantizer.quantize(x);
                self.pending.push(v);
            }
            rest = later;
            if self.pending.len() == block_samples {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Encoded<W>> {
        self.encode_pending()?;
        let label = self.label.clone();
        let io = io_error(&label);
        let internal = |e: &dyn std::fmt::Display| Error::Internal {
            file: label.clone(),
            detail: format!("flacenc STREAMINFO: {e}"),
        };
        // The block size is constant (only the last frame may be shorter, which
        // STREAMINFO's minimum does not count), as in the reference encoder's output.
        self.info
            .set_block_sizes(BLOCK_SIZE, BLOCK_SIZE)
            .map_err(|e| internal(&e))?;
        if self.frame_number > 0 {
            self.info
                .set_frame_sizes(self.min_frame_bytes, self.max_frame_bytes)
                .map_err(|e| internal(&e))?;
        } else {
            // No frames: 0 means "unknown" for both.
            self.info.set_frame_sizes(0, 0).map_err(|e| internal(&e))?;
        }
        self.info.set_total_samples(self.total_frames as usize);
        let digest: [u8; 16] = self.md5.clone().finalize().into();
        self.info.set_md5_digest(&digest);
        let streaminfo = streaminfo_bytes(&self.info)?;
        self.sink
            .seek(SeekFrom::Start(STREAMINFO_AT))
            .map_err(&io)?;
        self.sink.write_all(&streaminfo).map_err(&io)?;
        let bytes = self.sink.seek(SeekFrom::End(0)).map_err(&io)?;
        self.sink.flush().map_err(&io)?;
        #[cfg(test)]
        let frames = self.total_frames;
        let FlacEncoder { sink, .. } = *self;
        Ok(Encoded {
            bytes,
            #[cfg(test)]
            frames,
            output: sink,
        })
    }
}
