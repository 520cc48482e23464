//! Codec frames for containers that place each frame themselves (M4A, HLS segments), as
//! opposed to the [`crate::encode::Encoder`]s that write a whole file. This vocabulary is
//! shared by the packet encoders, the muxers and the decoder that verifies their output, so
//! it sits below all of them.
//!
//! A [`PacketEncoder`] turns PCM into [`Packet`]s; the M4A writer and the HLS segmenters
//! decide where each packet goes and how its timing is signalled.

use crate::error::{Error, Result};

/// The codec of a packet stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Codec {
    /// AAC. `asc` is the AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) as the decoder
    /// needs it (`esds`, codec extra data); `object_type` is 2 for AAC-LC, 5 for HE-AAC
    /// (SBR), 29 for HE-AAC v2 (the number after `mp4a.40.` in a CODECS attribute).
    Aac { asc: Vec<u8>, object_type: u8 },
    /// MPEG-1/2 Layer III.
    Mp3,
}

impl Codec {
    /// The RFC 6381 codec string HLS clients expect: `mp4a.40.<object type>` for AAC, and
    /// `mp4a.40.34` for MP3 (Apple's HLS authoring specification).
    pub(crate) fn rfc6381(&self) -> String {
        match self {
            Codec::Aac { object_type, .. } => format!("mp4a.40.{object_type}"),
            Codec::Mp3 => "mp4a.40.34".into(),
        }
    }

    /// The extension of a file of bare frames (HLS packed audio): ADTS or MP3.
    pub(crate) fn packed_extension(&self) -> &'static str {
        match self {
            Codec::Aac { .. } => "aac",
            Codec::Mp3 => "mp3",
        }
    }
}

/// What a container needs to know about a packet stream.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StreamInfo {
    pub codec: Codec,
    /// Sample rate of the decoded output, Hz (for HE-AAC the full rate, not the core's).
    pub sample_rate: u32,
    pub channels: u16,
    /// PCM frames (samples per channel) each packet decodes to: 1024 for AAC-LC, 2048 for
    /// HE-AAC, 1152 for MPEG-1 and 576 for MPEG-2/2.5 Layer III.
    pub frame_len: u32,
    /// Decoded frames at the start that are encoder delay, not input. Containers that can
    /// say so (MP4 `elst`, iTunSMPB) tell the decoder to drop them.
    pub priming: u32,
    /// Nominal bit rate, bits/s.
    pub bit_rate: u32,
}

/// One codec frame: a raw AAC access unit (no ADTS header) or a whole MP3 frame (header
/// included), in decode order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Packet {
    pub data: Vec<u8>,
    /// PCM frames this packet decodes to (the stream's `frame_len`).
    pub frames: u32,
}

/// An encoder producing packets rather than a file.
pub(crate) trait PacketEncoder: Send {
    fn info(&self) -> &StreamInfo;

    /// Feeds interleaved samples (whole frames, within [-1, 1) in practice); appends the
    /// packets that are complete to `out`.
    fn write(&mut self, pcm: &[f32], out: &mut Vec<Packet>) -> Result<()>;

    /// Flushes the codec and appends the remaining packets. Returns the input frames
    /// consumed in all, so that a container can work out the end padding
    /// (`packets × frame_len − priming − input frames`).
    fn finish(&mut self, out: &mut Vec<Packet>) -> Result<u64>;
}

/// Sampling-frequency index of `rate` (ISO/IEC 14496-3 Table 1.18).
pub(crate) fn sampling_frequency_index(rate: u32) -> Option<u8> {
    const RATES: [u32; 13] = [
        96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025,
        8_000, 7_350,
    ];
    RATES.iter().position(|&r| r == rate).map(|i| i as u8)
}

/// The 7-byte ADTS header (ISO/IEC 13818-7 §6.2, no CRC) that turns one raw AAC access
/// unit of `payload_len` bytes into a self-describing frame, for MPEG-TS and packed audio.
///
/// Fails for a stream ADTS cannot describe: not AAC, an object type beyond ADTS's two
/// profile bits (HE-AAC is signalled as its AAC-LC core, object type 2), a channel layout
/// that needs a program config element (channel configuration 0), or a frame longer than
/// ADTS's 13-bit length.
pub(crate) fn adts_header(info: &StreamInfo, payload_len: usize) -> Result<[u8; 7]> {
    let bad = |detail: String| Error::Internal {
        file: String::new(),
        detail: format!("ADTS header: {detail}"),
    };
    let Codec::Aac { asc, object_type } = &info.codec else {
        return Err(bad("the stream is not AAC".into()));
    };
    // ADTS carries the core's profile: the AAC-LC core for HE-AAC (implicit SBR).
    let profile = match object_type {
        1..=4 => object_type - 1,
        5 | 29 => 1,
        other => return Err(bad(format!("object type {other} has no ADTS profile"))),
    };
    // The core sample rate: half the output rate for HE-AAC's dual-rate SBR.
    let core_rate = if matches!(object_type, 5 | 29) {
        info.sample_rate / 2
    } else {
        info.sample_rate
    };
    let sfi = sampling_frequency_index(core_rate)
        .ok_or_else(|| bad(format!("{core_rate} Hz has no sampling-frequency index")))?;
    let channel_config = asc_channel_config(asc)
        .ok_or_else(|| bad("the AudioSpecificConfig is too short".into()))?;
    if !(1..=7).contains(&channel_config) {
        return Err(bad(format!(
            "channel configuration {channel_config} needs a program config element"
        )));
    }
    let len = payload_len + 7;
    if len > 0x1FFF {
        return Err(bad(format!(
            "a {payload_len}-byte frame exceeds ADTS's 8191 bytes"
        )));
    }
    let len = len as u16;
    Ok([
        0xFF,
        0xF1, // MPEG-4, layer 0, no CRC
        (profile << 6) | (sfi << 2) | (channel_config >> 2),
        ((channel_config & 3) << 6) | ((len >> 11) as u8 & 0x3),
        (len >> 3) as u8,
        (((len & 7) as u8) << 5) | 0x1F, // buffer fullness 0x7FF: variable rate
        0xFC,                            // ... and one raw data block
    ])
}

/// The channel configuration field of an AudioSpecificConfig: 5 bits object type (plus 6
/// more when it reads 31), 4 bits frequency index (plus 24 bits of rate when 15), then 4.
fn asc_channel_config(asc: &[u8]) -> Option<u8> {
    let bit = |pos: usize| -> Option<u32> {
        asc.get(pos / 8)
            .map(|b| u32::from((b >> (7 - pos % 8)) & 1))
    };
    let read = |pos: &mut usize, n: usize| -> Option<u32> {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | bit(*pos)?;
            *pos += 1;
        }
        Some(v)
    };
    let mut pos = 0;
    if read(&mut pos, 5)? == 31 {
        read(&mut pos, 6)?;
    }
    if read(&mut pos, 4)? == 15 {
        read(&mut pos, 24)?;
    }
    read(&mut pos, 4).map(|c| c as u8)
}
