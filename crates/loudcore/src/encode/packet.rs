//! Codec frames for containers that place each frame themselves (M4A, HLS segments), as
//! opposed to the [`super::Encoder`]s that write a whole file.
//!
//! A [`PacketEncoder`] turns PCM into [`Packet`]s; the M4A writer and the HLS segmenters
//! decide where each packet goes and how its timing is signalled.

use crate::error::Result;

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
