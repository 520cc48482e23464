//! ADTS (ISO/IEC 13818-7 §6.2 / 14496-3 §1.A.2) for AAC in MPEG-TS and packed audio: the
//! AudioSpecificConfig fields a header needs, and finding frames again when reading back.

use crate::error::{Error, Result};

/// What ADTS needs from an AudioSpecificConfig.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct AscCore {
    /// Object type of the core coder (2 for AAC-LC, also under HE-AAC's SBR/PS).
    pub object_type: u8,
    /// Sampling frequency index of the core coder.
    pub freq_index: u8,
    pub channel_config: u8,
}

/// Reads the core coder's object type, rate index and channel configuration from an
/// AudioSpecificConfig (14496-3 §1.6.2.1). For explicitly signalled HE-AAC (object type 5
/// or 29) that is the AAC-LC core at half the output rate, which is what ADTS carries (the
/// decoder finds the SBR data in the payload, implicit signalling).
pub(super) fn parse_asc(asc: &[u8]) -> Result<AscCore> {
    let bad = |why: &str| Error::Internal {
        file: String::new(),
        detail: format!("AudioSpecificConfig {asc:02x?}: {why}"),
    };
    let mut r = Bits { data: asc, pos: 0 };
    let object_type = |r: &mut Bits| -> Option<u32> {
        let t = r.read(5)?;
        if t == 31 {
            Some(32 + r.read(6)?)
        } else {
            Some(t)
        }
    };
    let mut aot = object_type(&mut r).ok_or_else(|| bad("too short"))?;
    let freq_index = r.read(4).ok_or_else(|| bad("too short"))?;
    if freq_index == 15 {
        return Err(bad("explicit sampling frequency, which ADTS cannot signal"));
    }
    let channel_config = r.read(4).ok_or_else(|| bad("too short"))?;
    if aot == 5 || aot == 29 {
        // extensionSamplingFrequencyIndex, then the core's object type.
        let ext = r.read(4).ok_or_else(|| bad("too short"))?;
        if ext == 15 {
            r.read(24).ok_or_else(|| bad("too short"))?;
        }
        aot = object_type(&mut r).ok_or_else(|| bad("too short"))?;
    }
    if !(1..=4).contains(&aot) {
        return Err(bad(&format!("object type {aot} cannot be carried in ADTS")));
    }
    if channel_config == 0 {
        return Err(bad(
            "channel configuration 0 (PCE) is not supported in ADTS",
        ));
    }
    Ok(AscCore {
        object_type: aot as u8,
        freq_index: freq_index as u8,
        channel_config: channel_config as u8,
    })
}

/// The header itself is the encoder side's (one definition for M4A tools and HLS).
pub(crate) use crate::encode::packet::adts_header;

/// Length of the ADTS frame starting at `b` (header included) and of its header, if `b`
/// starts with a valid header.
pub(super) fn adts_frame(b: &[u8]) -> Option<(usize, usize)> {
    if b.len() < 7 || b[0] != 0xFF || b[1] & 0xF6 != 0xF0 {
        return None;
    }
    let header = if b[1] & 1 == 0 { 9 } else { 7 };
    let len = (usize::from(b[3] & 3) << 11) | (usize::from(b[4]) << 3) | usize::from(b[5] >> 5);
    (len >= header).then_some((len, header))
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.pos / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Some(v)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::encode::packet::{Codec, StreamInfo};

    fn info(asc: Vec<u8>, object_type: u8) -> StreamInfo {
        StreamInfo {
            codec: Codec::Aac { asc, object_type },
            sample_rate: 44_100,
            channels: 2,
            frame_len: 1024,
            priming: 1024,
            bit_rate: 128_000,
        }
    }

    #[test]
    fn lc_stereo_44100() {
        // ASC 0x12 0x10: AAC-LC, index 4 (44.1 kHz), 2 channels.
        let h = adts_header(&info(vec![0x12, 0x10], 2), 100).unwrap();
        assert_eq!(h, [0xFF, 0xF1, 0x50, 0x80, 0x0D, 0x7F, 0xFC]);
        assert_eq!(adts_frame(&h), Some((107, 7)));
    }

    #[test]
    fn he_aac_uses_the_lc_core_rate() {
        // HE-AAC: AOT 5, core index 6 (24 kHz), stereo, extension index 3 (48 kHz), AOT 2.
        let asc = vec![0x2B, 0x11, 0x88, 0x00];
        let core = parse_asc(&asc).unwrap();
        assert_eq!(
            core,
            AscCore {
                object_type: 2,
                freq_index: 6,
                channel_config: 2
            }
        );
        // The stream's rate is the SBR output rate, twice the core's.
        let he = StreamInfo {
            sample_rate: 48_000,
            frame_len: 2048,
            ..info(asc, 5)
        };
        let h = adts_header(&he, 10).unwrap();
        assert_eq!(h[2] >> 6, 1, "profile LC");
        assert_eq!((h[2] >> 2) & 0xF, 6);
    }
}
