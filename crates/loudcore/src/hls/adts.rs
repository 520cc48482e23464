//! ADTS (ISO/IEC 13818-7 §6.2 / 14496-3 §1.A.2) for AAC in MPEG-TS and packed audio: the
//! header (the encoder side's, `encode/packet.rs`), and finding frames again when reading
//! back.

/// The header itself is the encoder side's (one definition for M4A tools and HLS).
pub(crate) use crate::codec::adts_header;

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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::codec::{Codec, StreamInfo};

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
        // The stream's rate is the SBR output rate, twice the core's.
        let he = StreamInfo {
            sample_rate: 48_000,
            frame_len: 2048,
            ..info(asc, 5)
        };
        let h = adts_header(&he, 10).unwrap();
        assert_eq!(h[2] >> 6, 1, "profile LC");
        assert_eq!((h[2] >> 2) & 0xF, 6, "the core's rate index (24 kHz)");
        assert_eq!(((h[2] & 1) << 2) | (h[3] >> 6), 2, "stereo");
    }
}
