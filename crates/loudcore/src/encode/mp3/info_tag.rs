//! The Xing/LAME info frame of a stream no single LAME instance wrote whole.
//!
//! LAME's own tag (from the first chunk's encoder) supplies everything about the
//! encoder: version, VBR method, lowpass, ATH, preset, delay. What depends on the stream
//! is recomputed the way LAME 3.100 computes it (`libmp3lame/VbrTag.c`) and patched in:
//! frame count, byte count, seek table, padding, music length and CRC, and the tag CRC.

use super::frames::Header;

/// Entries of the Xing seek table.
const TOC_ENTRIES: usize = 100;
/// Samples of the seek table LAME keeps (`VBR_seek_info_t::size`).
const SEEK_SAMPLES: usize = 400;
/// Offsets from the "Xing"/"Info" id: flags, frames, bytes, seek table, then LAME's
/// extension (VBR scale, "LAME3.100", ...).
const FRAMES_AT: usize = 8;
const BYTES_AT: usize = 12;
const TOC_AT: usize = 16;
const LAME_AT: usize = TOC_AT + TOC_ENTRIES;
/// Offsets inside LAME's extension.
const LAME_MAGIC_AT: usize = 4;
const DELAY_PADDING_AT: usize = 25;
const MUSIC_LENGTH_AT: usize = 32;
const MUSIC_CRC_AT: usize = 36;
const TAG_CRC_AT: usize = 38;
/// The Xing flags LAME sets: frames, bytes, seek table, VBR scale.
const ALL_FIELDS: u32 = 0xF;

/// CRC-16 with LAME's polynomial x^16 + x^15 + x^2 + 1 (0xA001 reflected), which it uses
/// for both the music and the tag CRC.
pub(super) fn crc16(mut crc: u16, bytes: &[u8]) -> u16 {
    for &b in bytes {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// LAME's sampling of running bit-rate sums for the seek table (`addVbr`): every
/// `want`-th frame's running sum is kept; when the samples fill up, every other one is
/// dropped and `want` doubles.
#[derive(Clone, Debug)]
struct SeekSamples {
    bag: Vec<u64>,
    want: u64,
    seen: u64,
    sum: u64,
}

impl SeekSamples {
    fn new() -> SeekSamples {
        SeekSamples {
            bag: Vec::with_capacity(SEEK_SAMPLES),
            want: 1,
            seen: 0,
            sum: 0,
        }
    }

    fn add(&mut self, kbps: u32) {
        self.sum += u64::from(kbps);
        self.seen += 1;
        if self.seen < self.want {
            return;
        }
        if self.bag.len() < SEEK_SAMPLES {
            self.bag.push(self.sum);
            self.seen = 0;
        }
        if self.bag.len() == SEEK_SAMPLES {
            let halved: Vec<u64> = self.bag.iter().skip(1).step_by(2).copied().collect();
            self.bag = halved;
            self.want *= 2;
        }
    }

    /// The 100-entry table (`Xing_seek_table`), with LAME's float arithmetic: entry i is
    /// the share of the stream, in 256ths, before i % of the frames.
    fn toc(&self) -> [u8; TOC_ENTRIES] {
        let mut t = [0u8; TOC_ENTRIES];
        let pos = self.bag.len();
        if pos == 0 {
            return t;
        }
        for (i, entry) in t.iter_mut().enumerate().skip(1) {
            let j = i as f32 / TOC_ENTRIES as f32;
            let index = ((j * pos as f32).floor() as usize).min(pos - 1);
            let act = self.bag[index] as f32;
            let sum = self.sum as f32;
            let point = (256.0 * f64::from(act) / f64::from(sum)) as i64;
            *entry = point.clamp(0, 255) as u8;
        }
        t
    }
}

/// What the info frame says about the audio frames after it.
#[derive(Clone, Debug)]
pub(super) struct InfoTotals {
    frames: u64,
    bytes: u64,
    music_crc: u16,
    seek: SeekSamples,
}

impl InfoTotals {
    pub(super) fn new() -> InfoTotals {
        InfoTotals {
            frames: 0,
            bytes: 0,
            music_crc: 0,
            seek: SeekSamples::new(),
        }
    }

    /// Counts one audio frame as written.
    pub(super) fn add_frame(&mut self, frame: &[u8]) {
        self.frames += 1;
        self.bytes += frame.len() as u64;
        self.music_crc = crc16(self.music_crc, frame);
        self.seek.add(Header::parse(frame).map_or(0, |h| h.kbps()));
    }

    /// Rewrites the stream-dependent fields of LAME's info frame `tag` for these frames
    /// holding `input_frames` samples per channel. The padding follows from LAME's delay
    /// in the tag; it must be what LAME would have computed for the same input (a frame
    /// too many or too few is an error, not a tag that lies).
    pub(super) fn patch(&self, tag: &mut [u8], input_frames: u64) -> Result<(), String> {
        let h = Header::parse(tag).map_err(|e| format!("info frame: {e}"))?;
        let id = 4 + h.side_len();
        let lame = id + LAME_AT;
        if tag.len() < lame + TAG_CRC_AT + 2 {
            return Err(format!("info frame of {} bytes is too short", tag.len()));
        }
        let kind = &tag[id..id + 4];
        if kind != b"Xing" && kind != b"Info" {
            return Err(format!("no Xing/Info id in the info frame: {kind:02x?}"));
        }
        let flags = u32::from_be_bytes([tag[id + 4], tag[id + 5], tag[id + 6], tag[id + 7]]);
        if flags != ALL_FIELDS || &tag[lame + LAME_MAGIC_AT..lame + LAME_MAGIC_AT + 4] != b"LAME" {
            return Err(format!(
                "info frame without LAME's fields (flags {flags:#x})"
            ));
        }
        let spf = h.samples() as u64;
        let dp = lame + DELAY_PADDING_AT;
        let delay = (u64::from(tag[dp]) << 4) | u64::from(tag[dp + 1] >> 4);
        // LAME pads the last frame, and one more if that left under a granule (576
        // samples) after the end: `lame_encode_flush`.
        let mut want_padding = spf - (delay + input_frames) % spf;
        if want_padding < 576 {
            want_padding += spf;
        }
        let padding = (self.frames * spf)
            .checked_sub(delay + input_frames)
            .filter(|&p| p == want_padding)
            .ok_or_else(|| {
                format!(
                    "{} frames of {spf} samples for {input_frames} input samples and a delay of {delay}",
                    self.frames
                )
            })?;
        let stream_bytes = tag.len() as u64 + self.bytes;
        let sat = |v: u64| u32::try_from(v).unwrap_or(u32::MAX).to_be_bytes();
        tag[id + FRAMES_AT..id + FRAMES_AT + 4].copy_from_slice(&sat(self.frames));
        tag[id + BYTES_AT..id + BYTES_AT + 4].copy_from_slice(&sat(stream_bytes));
        tag[id + TOC_AT..id + TOC_AT + TOC_ENTRIES].copy_from_slice(&self.seek.toc());
        tag[dp + 1] = (tag[dp + 1] & 0xF0) | ((padding >> 8) as u8 & 0x0F);
        tag[dp + 2] = padding as u8;
        tag[lame + MUSIC_LENGTH_AT..lame + MUSIC_LENGTH_AT + 4].copy_from_slice(&sat(stream_bytes));
        tag[lame + MUSIC_CRC_AT..lame + MUSIC_CRC_AT + 2]
            .copy_from_slice(&self.music_crc.to_be_bytes());
        let crc = crc16(0, &tag[..lame + TAG_CRC_AT]);
        tag[lame + TAG_CRC_AT..lame + TAG_CRC_AT + 2].copy_from_slice(&crc.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::encode::mp3::frames::tests::{config, lame_encode, test_signal};
    use crate::encode::mp3::lame::Mp3Mode;

    #[test]
    fn crc16_matches_lames_table() {
        // The first entries of LAME's crc16_lookup are the CRC of one byte 0..n.
        for (byte, want) in [(0u8, 0x0000), (1, 0xC0C1), (2, 0xC181), (255, 0x4040)] {
            assert_eq!(crc16(0, &[byte]), want);
        }
        assert_eq!(crc16(0, b"123456789"), 0xBB3D); // CRC-16/ARC check value
    }

    /// For a stream LAME wrote in one piece, the totals over its frames rebuild LAME's
    /// own tag exactly (seek table included), from a copy whose fields were wiped.
    #[test]
    fn rebuilds_lames_own_tag() {
        for (rate, ch, mode, seconds) in [
            (44_100, 2, Mp3Mode::Vbr { quality: 0 }, 3.0),
            (44_100, 2, Mp3Mode::Vbr { quality: 0 }, 130.0), // seek samples halve
            (48_000, 1, Mp3Mode::Cbr { kbps: 128 }, 2.0),
            (22_050, 2, Mp3Mode::Vbr { quality: 4 }, 5.5),
            (8_000, 1, Mp3Mode::Cbr { kbps: 24 }, 1.3),
            (11_025, 2, Mp3Mode::Vbr { quality: 6 }, 2.0),
            (16_000, 1, Mp3Mode::Vbr { quality: 0 }, 0.01),
        ] {
            let cfg = config(rate, ch, mode);
            let n = (f64::from(rate) * seconds) as usize;
            let pcm = test_signal(rate, usize::from(ch), n, 1);
            let (stream, tag) = lame_encode(&cfg, &pcm, true);
            assert!(
                stream[..tag.len()].iter().skip(4).all(|&b| b == 0),
                "LAME's blank tag frame"
            );
            let mut totals = InfoTotals::new();
            let mut pos = tag.len();
            while pos < stream.len() {
                let len = Header::parse(&stream[pos..]).unwrap().frame_len();
                totals.add_frame(&stream[pos..pos + len]);
                pos += len;
            }
            let h = Header::parse(&tag).unwrap();
            let id = 4 + h.side_len();
            let mut wiped = tag.clone();
            for r in [
                id + FRAMES_AT..id + LAME_AT,
                id + LAME_AT + DELAY_PADDING_AT + 1..id + LAME_AT + DELAY_PADDING_AT + 3,
                id + LAME_AT + MUSIC_LENGTH_AT..id + LAME_AT + TAG_CRC_AT + 2,
            ] {
                wiped[r].fill(0);
            }
            totals.patch(&mut wiped, n as u64).unwrap();
            assert_eq!(
                wiped, tag,
                "{rate} Hz {ch} ch {mode:?} {seconds} s: {} frames",
                totals.frames
            );
            // A frame count that does not match the input is refused.
            assert!(totals.patch(&mut wiped.clone(), n as u64 + 1152).is_err());
        }
    }

    #[test]
    fn frames_not_matching_the_input_are_refused() {
        let cfg = config(44_100, 2, Mp3Mode::Vbr { quality: 0 });
        let pcm = test_signal(44_100, 2, 10_000, 1);
        let (stream, tag) = lame_encode(&cfg, &pcm, true);
        let mut totals = InfoTotals::new();
        totals.add_frame(&stream[tag.len()..tag.len() + 100]);
        assert!(totals.patch(&mut tag.clone(), 10_000).is_err());
        assert!(totals.patch(&mut tag[..100].to_vec(), 0).is_err());
        let mut not_lame = tag.clone();
        not_lame[40] = b'X';
        assert!(totals.patch(&mut not_lame, 10_000).is_err());
    }
}
