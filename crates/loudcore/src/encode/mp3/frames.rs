//! Layer III frames as LAME writes them, split into what each frame owns: its header, its
//! side information and its main data. The bit reservoir lets a frame's main data begin
//! up to `main_data_begin` bytes before the frame, inside earlier frames; separating the
//! main data from where it happened to be stored is what lets frames of several encoders
//! be laid out again as one stream (`reservoir`).

/// Layer III bit rates in kbit/s by bitrate index (0 is free format, 15 is invalid).
const MPEG1_KBPS: [u32; 15] = [
    0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const MPEG2_KBPS: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
/// The highest bitrate index.
#[cfg(test)]
pub(super) const MAX_BITRATE_INDEX: u8 = 14;

/// A Layer III frame header (4 bytes, no CRC) that passed [`Header::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Header([u8; 4]);

impl Header {
    /// The header at the start of `b`: MPEG-1, 2 or 2.5 Layer III with a fixed bit rate.
    /// CRC-protected frames are refused: LAME never writes them unless asked, and a
    /// repacked frame would need its CRC recomputed.
    pub(super) fn parse(b: &[u8]) -> Result<Header, String> {
        let h: [u8; 4] = b
            .get(..4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| format!("{} bytes where a frame header was expected", b.len()))?;
        let bad = |what: &str| Err(format!("{what} in frame header {h:02x?}"));
        if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
            return bad("no sync word");
        }
        if (h[1] >> 3) & 3 == 1 {
            return bad("reserved MPEG version");
        }
        if (h[1] >> 1) & 3 != 1 {
            return bad("not Layer III");
        }
        if h[1] & 1 == 0 {
            return bad("CRC protection");
        }
        let index = h[2] >> 4;
        if index == 0 || index == 15 {
            return bad("free-format or invalid bit rate");
        }
        if (h[2] >> 2) & 3 == 3 {
            return bad("reserved sample rate");
        }
        Ok(Header(h))
    }

    pub(super) fn bytes(self) -> [u8; 4] {
        self.0
    }

    pub(super) fn is_mpeg1(self) -> bool {
        (self.0[1] >> 3) & 3 == 3
    }

    pub(super) fn is_mono(self) -> bool {
        self.0[3] >> 6 == 3
    }

    pub(super) fn channels(self) -> usize {
        if self.is_mono() { 1 } else { 2 }
    }

    pub(super) fn granules(self) -> usize {
        if self.is_mpeg1() { 2 } else { 1 }
    }

    pub(super) fn sample_rate(self) -> u32 {
        let base = [44_100, 48_000, 32_000][usize::from((self.0[2] >> 2) & 3)];
        match (self.0[1] >> 3) & 3 {
            3 => base,
            2 => base / 2,
            _ => base / 4,
        }
    }

    /// Samples per channel in one frame.
    pub(super) fn samples(self) -> usize {
        576 * self.granules()
    }

    pub(super) fn bitrate_index(self) -> u8 {
        self.0[2] >> 4
    }

    pub(super) fn padding(self) -> bool {
        self.0[2] & 2 != 0
    }

    pub(super) fn kbps(self) -> u32 {
        let table = if self.is_mpeg1() {
            &MPEG1_KBPS
        } else {
            &MPEG2_KBPS
        };
        table[usize::from(self.bitrate_index())]
    }

    /// The same header at another bitrate index (1..=14).
    #[cfg(test)]
    pub(super) fn with_bitrate_index(self, index: u8) -> Header {
        let mut h = self.0;
        h[2] = (h[2] & 0x0F) | (index.clamp(1, MAX_BITRATE_INDEX) << 4);
        Header(h)
    }

    /// Whole frame length in bytes.
    pub(super) fn frame_len(self) -> usize {
        let slots = if self.is_mpeg1() { 144 } else { 72 };
        (slots * self.kbps() * 1000 / self.sample_rate()) as usize + usize::from(self.padding())
    }

    /// Side information length in bytes.
    pub(super) fn side_len(self) -> usize {
        match (self.is_mpeg1(), self.is_mono()) {
            (true, true) => 17,
            (true, false) => 32,
            (false, true) => 9,
            (false, false) => 17,
        }
    }

    /// Bytes after the header and side information: where main data is stored.
    pub(super) fn capacity(self) -> usize {
        self.frame_len().saturating_sub(4 + self.side_len())
    }

    /// The largest `main_data_begin` the field can hold (9 bits in MPEG-1, 8 in MPEG-2).
    pub(super) fn max_main_data_begin(self) -> usize {
        if self.is_mpeg1() { 511 } else { 255 }
    }

    /// LAME's decoder buffer bound (`MDB_MAXIMUM`, its default): a frame and the
    /// reservoir it leaves for the next one stay within 7680 bits per granule.
    pub(super) fn buffer_bytes(self) -> usize {
        960 * self.granules()
    }
}

/// Window type of a granule: 0 long, 1 start, 2 short, 3 stop.
pub(super) type BlockType = u8;

/// Whether a granule of type `next` may follow one of type `prev` in the same channel:
/// the overlapping window halves must match (long after long/stop, short after
/// start/short), or the decoder's time-domain aliasing does not cancel.
pub(super) fn blocks_follow(prev: BlockType, next: BlockType) -> bool {
    let prev_ends_long = prev == 0 || prev == 3;
    let next_starts_long = next == 0 || next == 1;
    prev_ends_long == next_starts_long
}

/// What the side information says about a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SideInfo {
    pub main_data_begin: usize,
    /// Main data bits: the sum of `part2_3_length` over granules and channels.
    pub main_bits: usize,
    /// Block type of each channel's first and last granule.
    pub first_blocks: [BlockType; 2],
    pub last_blocks: [BlockType; 2],
}

impl SideInfo {
    pub(super) fn parse(h: Header, side: &[u8]) -> Result<SideInfo, String> {
        if side.len() < h.side_len() {
            return Err(format!(
                "side information of {} bytes, expected {}",
                side.len(),
                h.side_len()
            ));
        }
        let mut r = BitReader { b: side, pos: 0 };
        let mpeg1 = h.is_mpeg1();
        let ch = h.channels();
        let main_data_begin = r.read(if mpeg1 { 9 } else { 8 });
        r.skip(match (mpeg1, ch) {
            (true, 1) => 5 + 4,
            (true, _) => 3 + 8,
            (false, 1) => 1,
            (false, _) => 2,
        });
        let mut main_bits = 0;
        let mut blocks = [[0u8; 2]; 2];
        for granule in blocks.iter_mut().take(h.granules()) {
            for block in granule.iter_mut().take(ch) {
                main_bits += r.read(12);
                // big_values, global_gain, scalefac_compress
                r.skip(9 + 8 + if mpeg1 { 4 } else { 9 });
                let window = if r.read(1) == 1 {
                    let t = r.read(2) as BlockType;
                    r.skip(1 + 10 + 9);
                    t
                } else {
                    r.skip(15 + 4 + 3);
                    0
                };
                *block = window;
                r.skip(if mpeg1 { 3 } else { 2 });
            }
        }
        if ch == 1 {
            blocks[0][1] = blocks[0][0];
            blocks[1][1] = blocks[1][0];
        }
        Ok(SideInfo {
            main_data_begin,
            main_bits,
            first_blocks: blocks[0],
            last_blocks: blocks[h.granules() - 1],
        })
    }

    pub(super) fn main_bytes(&self) -> usize {
        self.main_bits.div_ceil(8)
    }
}

/// Writes `main_data_begin` (at most [`Header::max_main_data_begin`]) into `side`.
pub(super) fn set_main_data_begin(h: Header, side: &mut [u8], mdb: usize) {
    if h.is_mpeg1() {
        side[0] = (mdb >> 1) as u8;
        side[1] = (side[1] & 0x7F) | (((mdb & 1) as u8) << 7);
    } else {
        side[0] = mdb as u8;
    }
}

struct BitReader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    /// The next `n` (at most 16) bits, big-endian; past the end reads zeros (the caller
    /// checked the length).
    fn read(&mut self, n: usize) -> usize {
        let mut v = 0;
        for _ in 0..n {
            let bit = self
                .b
                .get(self.pos / 8)
                .map_or(0, |byte| (byte >> (7 - self.pos % 8)) & 1);
            v = (v << 1) | usize::from(bit);
            self.pos += 1;
        }
        v
    }

    fn skip(&mut self, n: usize) {
        self.pos += n;
    }
}

/// One frame, its main data taken out of the reservoir.
#[derive(Clone, Debug)]
pub(super) struct Frame {
    pub header: Header,
    /// Side information as LAME wrote it (`main_data_begin` is rewritten on output).
    pub side: [u8; 32],
    pub info: SideInfo,
    /// The frame's main data (its own small buffer: a chunk's frames never make one large
    /// allocation, see `chunks::Pcm`).
    pub main: Vec<u8>,
    /// Bytes of this encoder's reservoir left after this frame: from the end of its main
    /// data to the end of its data area. The next frame's `main_data_begin` is at most
    /// this. Only the tests read it, to check that splitting in pieces matches splitting
    /// whole.
    #[cfg(test)]
    pub reservoir_after: usize,
}

/// The frames of one encoder's output, in order, split as its bytes come.
#[derive(Debug, Default)]
pub(super) struct Frames {
    pub frames: Vec<Frame>,
    /// Whether a first frame that is blank (all zero after its header) is LAME's info
    /// frame, to be dropped.
    blank_first: bool,
    /// The length of the blank frame dropped.
    blank_len: usize,
    /// The end of the data stream (every data area so far, concatenated: where the
    /// reservoir lives), as far as it can still hold main data of frames to come.
    window: Vec<u8>,
    /// Position in the data stream of `window[0]`.
    window_start: usize,
    /// End of the last frame's main data in the data stream.
    main_end: usize,
    /// Bytes of a frame not yet complete (an encoder stopped in the middle of one).
    tail: Vec<u8>,
    /// Bytes of the complete frames, for messages.
    parsed: usize,
}

impl Frames {
    /// For a LAME stream: drops the blank frame LAME reserves for its info tag at the
    /// start (unless the tag does not fit a frame at the bit rate, when there is none).
    pub(super) fn lame() -> Frames {
        Frames {
            blank_first: true,
            ..Frames::default()
        }
    }

    /// The length of the blank frame dropped at the start, or 0.
    pub(super) fn blank_len(&self) -> usize {
        self.blank_len
    }

    pub(super) fn main<'a>(&self, f: &'a Frame) -> &'a [u8] {
        &f.main
    }

    /// Whether every byte taken in belongs to a complete frame.
    pub(super) fn is_complete(&self) -> bool {
        self.tail.is_empty()
    }

    /// Takes more of the stream and splits off every frame now complete, checking that
    /// its main data lies where a decoder would look for it: after the previous frame's
    /// and inside the reservoir.
    pub(super) fn push(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.tail.is_empty() {
            let used = self.split_whole(bytes)?;
            self.tail.extend_from_slice(&bytes[used..]);
        } else {
            let mut b = std::mem::take(&mut self.tail);
            b.extend_from_slice(bytes);
            let used = self.split_whole(&b)?;
            b.drain(..used);
            self.tail = b;
        }
        Ok(())
    }

    /// Splits off the whole frames at the start of `b`; returns the bytes they take.
    fn split_whole(&mut self, b: &[u8]) -> Result<usize, String> {
        let mut pos = 0;
        while b.len() - pos >= 4 {
            let at = self.parsed + pos;
            let h = Header::parse(&b[pos..]).map_err(|e| format!("at byte {at}: {e}"))?;
            let len = h.frame_len();
            let Some(frame) = b.get(pos..pos + len) else {
                break;
            };
            pos += len;
            // No frame LAME encodes is all zero after its header: even silence has a
            // global gain.
            if std::mem::take(&mut self.blank_first) && frame[4..].iter().all(|&x| x == 0) {
                self.blank_len = len;
                continue;
            }
            let side_len = h.side_len();
            let info = SideInfo::parse(h, &frame[4..])?;
            let area_start = self.window_start + self.window.len();
            self.window.extend_from_slice(&frame[4 + side_len..]);
            let data_end = self.window_start + self.window.len();
            let start = area_start
                .checked_sub(info.main_data_begin)
                .filter(|&s| s >= self.main_end)
                .ok_or_else(|| {
                    format!(
                        "frame {}: main_data_begin {} reaches before the reservoir",
                        self.frames.len(),
                        info.main_data_begin
                    )
                })?;
            let end = start + info.main_bytes();
            if end > data_end {
                return Err(format!(
                    "frame {}: {} bytes of main data overrun the frame",
                    self.frames.len(),
                    info.main_bytes()
                ));
            }
            let mut side = [0u8; 32];
            side[..side_len].copy_from_slice(&frame[4..4 + side_len]);
            self.frames.push(Frame {
                header: h,
                side,
                info,
                main: self.window[start - self.window_start..end - self.window_start].to_vec(),
                #[cfg(test)]
                reservoir_after: data_end - end,
            });
            self.main_end = end;
            // Later main data starts after this one and within main_data_begin's reach
            // of the next data area.
            let keep_from = end.max(data_end.saturating_sub(h.max_main_data_begin()));
            if keep_from - self.window_start > 4096 {
                self.window.drain(..keep_from - self.window_start);
                self.window_start = keep_from;
            }
        }
        self.parsed += pos;
        Ok(pos)
    }
}

/// Splits a whole stream of Layer III frames (see [`Frames::push`]).
#[cfg(test)]
pub(super) fn split(stream: &[u8]) -> Result<Frames, String> {
    let mut out = Frames::default();
    out.push(stream)?;
    if !out.is_complete() {
        return Err(format!(
            "the stream ends inside a frame ({} bytes after the last whole one)",
            out.tail.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
pub(super) mod tests {
    use super::*;
    use crate::encode::mp3::lame::{Mp3Config, Mp3Mode, configure_lame};
    use mp3lame_encoder::{FlushGap, InterleavedPcm, MonoPcm};

    /// A deterministic, busy test signal: chirps and noise bursts with attacks (so LAME
    /// switches to short blocks and uses its reservoir).
    pub(crate) fn test_signal(rate: u32, channels: usize, frames: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let mut noise = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        };
        let mut out = Vec::with_capacity(frames * channels);
        let r = rate as f32;
        for i in 0..frames {
            let t = i as f32 / r;
            // A burst every 0.37 s decaying over 60 ms: transients for block switching.
            let burst_t = t % 0.37;
            let burst = (-burst_t / 0.06).exp();
            let f = 220.0 + 1800.0 * (t * 0.7).sin().abs();
            let tone = 0.3 * (std::f32::consts::TAU * f * t).sin();
            for c in 0..channels {
                let n = noise();
                let tilt = if c == 0 { 1.0 } else { 0.8 };
                out.push((tone * tilt + 0.35 * burst * n + 0.02 * n).clamp(-1.0, 1.0));
            }
        }
        out
    }

    /// LAME's own output for `pcm` (with its info frame when `tag`), plus the info frame
    /// LAME writes after the flush.
    pub(crate) fn lame_encode(config: &Mp3Config, pcm: &[f32], tag: bool) -> (Vec<u8>, Vec<u8>) {
        let mut lame = configure_lame(config, tag).unwrap().build().unwrap();
        let mut out = Vec::new();
        for piece in pcm.chunks(4096 * usize::from(config.channels)) {
            out.reserve(mp3lame_encoder::max_required_buffer_size(piece.len()));
            if config.channels == 2 {
                lame.encode_to_vec(InterleavedPcm(piece), &mut out).unwrap();
            } else {
                lame.encode_to_vec(MonoPcm(piece), &mut out).unwrap();
            }
        }
        out.reserve(64 * 1024);
        lame.flush_to_vec::<FlushGap>(&mut out).unwrap();
        // Empty where LAME found its tag would not fit in a frame at this bit rate.
        let mut info = Vec::with_capacity(lame.lame_tag_size());
        if tag && info.capacity() > 0 {
            lame.lame_tag_encode_to_vec(&mut info).unwrap();
        }
        (out, info)
    }

    pub(crate) fn config(rate: u32, channels: u8, mode: Mp3Mode) -> Mp3Config {
        Mp3Config {
            channels,
            sample_rate: rate,
            mode,
        }
    }

    #[test]
    fn header_fields() {
        // MPEG-1 44.1 kHz 128 kbit/s joint stereo, no CRC, padded.
        let h = Header::parse(&[0xFF, 0xFB, 0x92, 0x44]).unwrap();
        assert!(h.is_mpeg1() && !h.is_mono() && h.padding());
        assert_eq!(
            (h.kbps(), h.sample_rate(), h.frame_len()),
            (128, 44_100, 418)
        );
        assert_eq!((h.side_len(), h.capacity(), h.samples()), (32, 382, 1152));
        assert_eq!(h.with_bitrate_index(14).frame_len(), 1045);
        // MPEG-2 24 kHz 64 kbit/s mono.
        let h = Header::parse(&[0xFF, 0xF3, 0x84, 0xC0]).unwrap();
        assert!(!h.is_mpeg1() && h.is_mono());
        assert_eq!(
            (h.kbps(), h.sample_rate(), h.frame_len()),
            (64, 24_000, 192)
        );
        assert_eq!(
            (h.side_len(), h.samples(), h.max_main_data_begin()),
            (9, 576, 255)
        );
        // MPEG-2.5 8 kHz.
        let h = Header::parse(&[0xFF, 0xE3, 0x18, 0xC0]).unwrap();
        assert_eq!((h.sample_rate(), h.kbps(), h.frame_len()), (8_000, 8, 72));
        for bad in [
            [0xFF, 0xFA, 0x92, 0x44], // CRC
            [0xFF, 0xFD, 0x92, 0x44], // Layer II
            [0xFF, 0xFB, 0x02, 0x44], // free format
            [0xFF, 0xFB, 0xF2, 0x44], // bad bitrate
            [0xFF, 0xFB, 0x9E, 0x44], // reserved rate
            [0xFF, 0xEB, 0x92, 0x44], // reserved version
            [0xFE, 0xFB, 0x92, 0x44], // no sync
        ] {
            assert!(Header::parse(&bad).is_err(), "{bad:02x?}");
        }
        assert!(Header::parse(&[0xFF, 0xFB]).is_err());
    }

    #[test]
    fn window_sequences() {
        for (prev, next, ok) in [
            (0, 0, true),
            (0, 1, true),
            (1, 2, true),
            (2, 2, true),
            (2, 3, true),
            (3, 0, true),
            (3, 1, true),
            (1, 3, true),
            (0, 2, false),
            (0, 3, false),
            (2, 0, false),
            (1, 0, false),
            (3, 2, false),
        ] {
            assert_eq!(blocks_follow(prev, next), ok, "{prev} -> {next}");
        }
    }

    #[test]
    fn main_data_begin_round_trips() {
        for (mpeg1, mdb) in [(true, 0), (true, 1), (true, 300), (true, 511), (false, 255)] {
            let h = if mpeg1 {
                Header::parse(&[0xFF, 0xFB, 0x92, 0x44]).unwrap()
            } else {
                Header::parse(&[0xFF, 0xF3, 0x84, 0x44]).unwrap()
            };
            let mut side = [0xA5u8; 32];
            set_main_data_begin(h, &mut side, mdb);
            let before = SideInfo::parse(h, &[0xA5u8; 32]).unwrap();
            let after = SideInfo::parse(h, &side).unwrap();
            assert_eq!(after.main_data_begin, mdb);
            assert_eq!(
                (after.main_bits, after.first_blocks, after.last_blocks),
                (before.main_bits, before.first_blocks, before.last_blocks)
            );
            assert_eq!(side[2..], [0xA5u8; 32][2..], "the rest untouched");
        }
    }

    /// Real LAME output in every layout: frames tile the stream, main data stays inside
    /// the reservoir, LAME keeps its own buffer bound, and LAME switches blocks and uses
    /// the reservoir on this signal (so the tests that use it exercise both).
    #[test]
    fn splits_lame_output() {
        for (rate, ch, mode) in [
            (44_100, 2, Mp3Mode::Vbr { quality: 0 }),
            (44_100, 1, Mp3Mode::Cbr { kbps: 128 }),
            (48_000, 2, Mp3Mode::Cbr { kbps: 320 }),
            (32_000, 2, Mp3Mode::Vbr { quality: 0 }),
            (22_050, 2, Mp3Mode::Vbr { quality: 2 }),
            (16_000, 1, Mp3Mode::Cbr { kbps: 32 }),
            (8_000, 1, Mp3Mode::Vbr { quality: 4 }),
        ] {
            let cfg = config(rate, ch, mode);
            let pcm = test_signal(rate, usize::from(ch), rate as usize * 3, 7);
            let (stream, _) = lame_encode(&cfg, &pcm, false);
            let frames = split(&stream).unwrap();
            let total: usize = frames.frames.iter().map(|f| f.header.frame_len()).sum();
            assert_eq!(total, stream.len(), "{rate} {ch} {mode:?}");
            let mut prev_len = 0;
            let mut short = 0;
            let mut reservoir = 0;
            for f in &frames.frames {
                let h = f.header;
                assert_eq!(h.sample_rate(), rate);
                assert_eq!(h.channels(), usize::from(ch));
                let mdb = f.info.main_data_begin;
                assert!(mdb <= h.max_main_data_begin());
                if prev_len > 0 {
                    assert!(
                        mdb + prev_len <= h.buffer_bytes(),
                        "{rate} {mode:?}: LAME's buffer bound, mdb {mdb} after {prev_len}"
                    );
                }
                prev_len = h.frame_len();
                short += usize::from(f.info.first_blocks.iter().any(|&b| b != 0));
                reservoir += usize::from(mdb > 0);
            }
            eprintln!(
                "{rate} Hz {ch} ch {mode:?}: {} frames, {short} with block switching, {reservoir} using the reservoir",
                frames.frames.len()
            );
            assert!(reservoir > 0, "{rate} {mode:?}");
            if rate >= 16_000 {
                assert!(short > 0, "{rate} {mode:?}");
            }
        }
    }

    /// Taken in pieces of any size, a stream splits as it does whole.
    #[test]
    fn splits_in_pieces() {
        let cfg = config(44_100, 2, Mp3Mode::Vbr { quality: 0 });
        let pcm = test_signal(44_100, 2, 44_100 * 2, 8);
        let (stream, _) = lame_encode(&cfg, &pcm, false);
        let whole = split(&stream).unwrap();
        let mut parts = Frames::default();
        for piece in stream.chunks(333) {
            parts.push(piece).unwrap();
        }
        assert!(parts.is_complete());
        assert_eq!(parts.frames.len(), whole.frames.len());
        for (a, b) in parts.frames.iter().zip(&whole.frames) {
            assert_eq!(
                (a.header, a.info, &a.main, a.reservoir_after),
                (b.header, b.info, &b.main, b.reservoir_after)
            );
        }
        // LAME's blank info frame is dropped where there is one.
        let (tagged, tag) = lame_encode(&cfg, &pcm, true);
        let mut after = Frames::lame();
        after.push(&tagged).unwrap();
        assert_eq!(after.blank_len(), tag.len());
        assert_eq!(after.frames.len(), whole.frames.len());
        assert!(
            after
                .frames
                .iter()
                .zip(&whole.frames)
                .all(|(a, b)| a.main == b.main)
        );
        let mut untagged = Frames::lame();
        untagged.push(&stream).unwrap();
        assert_eq!(
            (untagged.blank_len(), untagged.frames.len()),
            (0, whole.frames.len())
        );
    }

    #[test]
    fn damaged_streams_are_refused() {
        let cfg = config(44_100, 2, Mp3Mode::Vbr { quality: 0 });
        let pcm = test_signal(44_100, 2, 44_100, 3);
        let (stream, _) = lame_encode(&cfg, &pcm, false);
        assert!(split(&stream[..stream.len() - 1]).is_err(), "truncated");
        let frames = split(&stream).unwrap();
        // A frame whose main_data_begin reaches before the start of the stream.
        let first = frames.frames[0].header;
        let mut bad = stream.clone();
        set_main_data_begin(first, &mut bad[4..], 100);
        assert!(split(&bad).is_err());
        let mut junk = stream;
        junk.insert(0, 0);
        assert!(split(&junk).is_err());
    }
}
