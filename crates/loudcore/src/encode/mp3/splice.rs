//! Joins the chunks `chunks` encoded into one stream, in chunk order.
//!
//! Around each chunk boundary both neighbouring encoders produced frames for the same
//! audio on the same frame grid. A splice takes the earlier encoder's frames up to some
//! frame s and the later one's from s on; a decoder's overlap state at s then comes from
//! an encoder that coded the same audio, so what differs is quantisation noise. s must
//! leave the later encoder's frame s the reservoir that encoder gave it: then every later
//! frame of that chunk fits at the bit rate its encoder chose (`reservoir`), so no
//! bit rate changes and CBR stays CBR. Among such frames, from [`SPLICE_SLACK`] before
//! the boundary to the last frame the earlier encoder has finished, the splice prefers
//! - one where the window sequence continues (long after long or stop, short after
//!   start or short, in every channel): otherwise the decoder's aliasing does not
//!   cancel across s;
//! - then the nearest the boundary, then the earliest.
//!
//! Where no frame in reach has the reservoir (the later encoder, started recently, has
//! saved more than the earlier one has left: on dense material at high rates, at a few
//! boundaries in ten), the earlier encoder, left running at the end of its chunk, carries
//! on over the later chunk's input by [`CONTINUE_FRAMES`] and the search goes on. That
//! costs a little encoding on this thread, and ends at the latest where the later chunk
//! does: the earlier encoder has then encoded it all.
//!
//! The choice depends only on the encoded chunks, never on thread timing.

use std::ops::Range;

use super::chunks::{ChunkPlan, EncodedChunk, Pcm, SPLICE_SLACK};
use super::frames::blocks_follow;
use super::info_tag::InfoTotals;
use super::reservoir::{RepackError, Repacker};
use crate::error::{Error, Result};

/// Frames the earlier encoder carries on by when no splice is in reach, before the
/// search goes on: short, as the stretch without one is (two encoders of the same audio
/// keep different reservoirs for a while, not for long).
const CONTINUE_FRAMES: usize = 16;

/// What happened at the chunk boundaries (for tests and diagnostics).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct SpliceStats {
    /// Index of the first frame taken from each spliced chunk.
    pub splices: Vec<u64>,
    /// Splices where the window sequence does not continue.
    pub window_breaks: usize,
    /// Times the earlier encoder carried on by [`CONTINUE_FRAMES`] for want of a splice.
    pub continued: usize,
}

pub(super) struct Splicer {
    chunk_frames: u64,
    frame_len: usize,
    /// Frames of each chunk's encoder before the earliest splice: its start-up.
    lead: u64,
    repacker: Repacker,
    totals: InfoTotals,
    /// The latest chunk, and the index (in it) of its first frame not yet written.
    prev: Option<(EncodedChunk, usize)>,
    chunks: u64,
    stats: SpliceStats,
}

impl Splicer {
    pub(super) fn new(plan: &ChunkPlan) -> Splicer {
        Splicer {
            chunk_frames: (plan.len / plan.frame_len) as u64,
            frame_len: plan.frame_len,
            lead: (plan.pre / plan.frame_len).saturating_sub(SPLICE_SLACK) as u64,
            repacker: Repacker::new(),
            totals: InfoTotals::new(),
            prev: None,
            chunks: 0,
            stats: SpliceStats::default(),
        }
    }

    /// Takes the next chunk; frames that are final go to `write`.
    pub(super) fn push(
        &mut self,
        mut chunk: EncodedChunk,
        write: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let k = self.chunks;
        self.chunks += 1;
        let Some((mut prev, mut next)) = self.prev.take() else {
            // Its input is only for the encoder before it to continue with.
            chunk.pcm = Pcm::default();
            self.prev = Some((chunk, 0));
            return Ok(());
        };
        let boundary = k * self.chunk_frames;
        let local = |c: &EncodedChunk, frame: u64| (frame - c.first_frame) as usize;
        // The new chunk's first frames are its encoder's start-up.
        let mut lo = boundary
            .saturating_sub(SPLICE_SLACK as u64)
            .max(chunk.first_frame + self.lead);
        loop {
            lo = lo.max(prev.first_frame + next as u64 + 1);
            // Every frame the earlier encoder finished had its lookahead: any may end it.
            let hi = chunk.end_frame().saturating_sub(1).min(prev.end_frame());
            if lo <= hi {
                self.feed(&prev, next..local(&prev, lo), write)?;
                next = local(&prev, lo);
                if let Some((s, windows)) = self.best_splice(&prev, &chunk, lo, hi, boundary) {
                    self.stats.splices.push(s);
                    self.stats.window_breaks += usize::from(!windows);
                    self.feed(&prev, next..local(&prev, s), write)?;
                    chunk.pcm = Pcm::default();
                    let from = local(&chunk, s);
                    self.prev = Some((chunk, from));
                    return Ok(());
                }
            }
            if prev.end >= chunk.end {
                // The earlier encoder has taken over this chunk entirely.
                self.prev = Some((prev, next));
                return Ok(());
            }
            self.stats.continued += 1;
            lo = lo.max(hi + 1);
            let upto = prev.end + (CONTINUE_FRAMES * self.frame_len) as u64;
            prev.continue_with(&chunk, upto)?;
        }
    }

    /// The best frame from `lo` to `hi` to splice `chunk` in at, if any has room (see the
    /// module documentation), and whether the window sequence continues there.
    fn best_splice(
        &self,
        prev: &EncodedChunk,
        chunk: &EncodedChunk,
        lo: u64,
        hi: u64,
        boundary: u64,
    ) -> Option<(u64, bool)> {
        let local = |c: &EncodedChunk, frame: u64| (frame - c.first_frame) as usize;
        let mut best: Option<(u64, bool)> = None;
        // Each candidate s from the state after the earlier chunk's frames < s.
        let mut cursor = self.repacker.cursor();
        for s in lo..=hi {
            let before = &prev.frames.frames[local(prev, s - 1)];
            let after = &chunk.frames.frames[local(chunk, s)];
            if cursor.reservoir(after.header) >= after.info.main_data_begin {
                let windows = (0..2)
                    .all(|c| blocks_follow(before.info.last_blocks[c], after.info.first_blocks[c]));
                let key = |(s, windows): (u64, bool)| {
                    (
                        windows,
                        std::cmp::Reverse(s.abs_diff(boundary)),
                        std::cmp::Reverse(s),
                    )
                };
                if best.is_none_or(|b| key((s, windows)) > key(b)) {
                    best = Some((s, windows));
                }
            }
            if let Some(f) = prev.frames.frames.get(local(prev, s)) {
                cursor = cursor.place(f.header, f.main.len()).1;
            }
        }
        best
    }

    /// Writes what is left: the rest of the last chunk and every frame held back.
    /// Returns the totals for the info frame.
    pub(super) fn finish(
        &mut self,
        write: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<(InfoTotals, SpliceStats)> {
        if let Some((last, next)) = self.prev.take() {
            self.feed(&last, next..last.frames.frames.len(), write)?;
        }
        let totals = &mut self.totals;
        self.repacker.finish(&mut |f: &[u8]| {
            totals.add_frame(f);
            write(f)
        })?;
        Ok((self.totals.clone(), self.stats.clone()))
    }

    /// Passes frames `range` of `chunk` to the repacker.
    fn feed(
        &mut self,
        chunk: &EncodedChunk,
        range: Range<usize>,
        write: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let totals = &mut self.totals;
        let mut emit = |f: &[u8]| {
            totals.add_frame(f);
            write(f)
        };
        for f in &chunk.frames.frames[range] {
            self.repacker
                .push(f, chunk.frames.main(f), &mut emit)
                .map_err(|e| match e {
                    RepackError::NoRoom(detail) => internal(detail),
                    RepackError::Emit(e) => e,
                })?;
        }
        Ok(())
    }
}

fn internal(detail: String) -> Error {
    Error::Internal {
        file: String::new(),
        detail: format!("MP3 splice: {detail}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use std::io::Cursor;
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::encode::mp3::chunks::{ChunkPlan, frame_len};
    use crate::encode::mp3::encoder::Mp3Encoder;
    use crate::encode::mp3::frames::tests::{config, test_signal};
    use crate::encode::mp3::frames::{Header, split};
    use crate::encode::mp3::lame::{Mp3Config, Mp3Mode};
    use crate::encode::{Encoder, StreamSpec};

    /// Samples a decoder outputs before the first input sample: LAME's 576 and the
    /// decoder's 529.
    const TOTAL_DELAY: usize = 576 + 529;

    /// Encodes `pcm` in uneven pieces through the file encoder with chunks of
    /// `chunk_frames` frames (`None`: one chunk for all).
    fn encode(cfg: &Mp3Config, pcm: &[f32], plan: Option<ChunkPlan>) -> (Vec<u8>, SpliceStats) {
        let spec = StreamSpec {
            sample_rate: cfg.sample_rate,
            channels: u16::from(cfg.channels),
            ..Default::default()
        };
        let whole = pcm.len() / usize::from(cfg.channels) / 576 + 1;
        let plan = plan.unwrap_or_else(|| ChunkPlan::with_frames(cfg.sample_rate, whole));
        let mut enc = Mp3Encoder::with_plan(*cfg, &spec, Cursor::new(Vec::new()), plan).unwrap();
        let ch = usize::from(cfg.channels);
        let sizes = [1usize, 4095, 777, 30_000, 12_345];
        let (mut pos, mut i) = (0, 0);
        while pos < pcm.len() {
            let n = (sizes[i % sizes.len()] * ch).min(pcm.len() - pos);
            enc.write(&pcm[pos..pos + n]).unwrap();
            pos += n;
            i += 1;
        }
        let (encoded, stats) = enc.finish_with_stats().unwrap();
        assert_eq!(encoded.frames, (pcm.len() / ch) as u64);
        let bytes = encoded.output.into_inner();
        assert_eq!(encoded.bytes, bytes.len() as u64);
        (bytes, stats)
    }

    /// FFmpeg's decode, which must be silent (no warning about the reservoir or anything
    /// else); `None` without FFmpeg outside CI.
    fn decode(bytes: &[u8], dir: &Path, name: &str) -> Option<Vec<f32>> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = match Command::new("ffmpeg")
            .args(["-nostdin", "-v", "warning", "-xerror", "-i"])
            .arg(&path)
            .args(["-f", "f32le", "-"])
            .output()
        {
            Ok(out) => out,
            Err(_) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "ffmpeg is required under CI"
                );
                eprintln!("note: no ffmpeg: decoded checks skipped");
                return None;
            }
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "{name}: {stderr}"
        );
        Some(
            out.stdout
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        )
    }

    /// (frames, delay, padding) from the LAME tag of a stream without ID3.
    fn tag_fields(bytes: &[u8]) -> (u64, u64, u64) {
        let h = Header::parse(bytes).unwrap();
        let id = 4 + h.side_len();
        let frames = u32::from_be_bytes(bytes[id + 8..id + 12].try_into().unwrap());
        let d = &bytes[id + 141..id + 144];
        let delay = (u64::from(d[0]) << 4) | u64::from(d[1] >> 4);
        let padding = (u64::from(d[1] & 0x0F) << 8) | u64::from(d[2]);
        (u64::from(frames), delay, padding)
    }

    /// How the spliced stream's coding error near splices compares with one encoder's
    /// at the same places. Errors are against the input, both band-limited below LAME's
    /// lowpass (what it removes on purpose is no error). Comparing the two streams with
    /// each other instead would mostly measure how far the later chunk's encoder has yet
    /// to converge to the single one's choices (independent encoders of the same audio
    /// end up writing identical frames), not how good either is.
    struct SpliceNoise {
        /// Error energy of the spliced and of the single-encoder stream in the frames
        /// next to splices.
        spliced: f64,
        single: f64,
        /// Largest error there.
        spliced_peak: f64,
        single_peak: f64,
    }

    impl SpliceNoise {
        fn excess_db(&self) -> f64 {
            10.0 * (self.spliced.max(1e-30) / self.single.max(1e-30)).log10()
        }
    }

    /// `x` (interleaved) through a linear-phase lowpass at `cutoff` (cycles per sample).
    fn lowpass(x: &[f32], ch: usize, cutoff: f64) -> Vec<f64> {
        const HALF: usize = 64;
        let taps: Vec<f64> = (0..=2 * HALF)
            .map(|i| {
                let t = i as f64 - HALF as f64;
                let sinc = if t == 0.0 {
                    2.0 * cutoff
                } else {
                    (std::f64::consts::TAU * cutoff * t).sin() / (std::f64::consts::PI * t)
                };
                let w = std::f64::consts::TAU * i as f64 / (2 * HALF) as f64;
                sinc * (0.42 - 0.5 * w.cos() + 0.08 * (2.0 * w).cos())
            })
            .collect();
        let n = x.len() / ch;
        let mut y = vec![0.0; x.len()];
        for c in 0..ch {
            for i in 0..n {
                let mut acc = 0.0;
                for (k, t) in taps.iter().enumerate() {
                    let j = i + k;
                    if j >= HALF && j - HALF < n {
                        acc += t * f64::from(x[(j - HALF) * ch + c]);
                    }
                }
                y[i * ch + c] = acc;
            }
        }
        y
    }

    fn splice_noise(
        input: &[f32],
        spliced: &[f32],
        single: &[f32],
        ch: usize,
        fl: usize,
        splices: &[u64],
        cutoff: f64,
    ) -> SpliceNoise {
        let (x, a, b) = (
            lowpass(input, ch, cutoff),
            lowpass(spliced, ch, cutoff),
            lowpass(single, ch, cutoff),
        );
        let mut n = SpliceNoise {
            spliced: 0.0,
            single: 0.0,
            spliced_peak: 0.0,
            single_peak: 0.0,
        };
        // Decoded frame j starts at j * fl - TOTAL_DELAY; a splice at s touches the frames
        // whose windows overlap it.
        for &s in splices {
            let at = (s as usize * fl).saturating_sub(TOTAL_DELAY + fl);
            let to = (at + 3 * fl).min(x.len() / ch);
            for i in at * ch..to * ch {
                let (ea, eb) = (a[i] - x[i], b[i] - x[i]);
                n.spliced += ea * ea;
                n.single += eb * eb;
                n.spliced_peak = n.spliced_peak.max(ea.abs());
                n.single_peak = n.single_peak.max(eb.abs());
            }
        }
        n
    }

    /// Encodes `seconds` of the test signal in chunks of `chunk_frames` and checks the
    /// spliced stream against FFmpeg and against one encoder over the whole input.
    fn check(rate: u32, ch: u8, mode: Mp3Mode, seconds: f64, chunk_frames: usize) -> SpliceStats {
        let plan = ChunkPlan::with_frames(rate, chunk_frames);
        let (stats, noise) = check_plan(rate, ch, mode, seconds, plan);
        if let Some(noise) = noise {
            assert!(
                noise.excess_db() <= 3.0,
                "{rate} {mode:?}: splices add noise: {:.1} dB more near them",
                noise.excess_db()
            );
            assert!(
                noise.spliced_peak <= 1.5 * noise.single_peak,
                "{rate} {mode:?}: a click at a splice: peak error {} against one encoder's {}",
                noise.spliced_peak,
                noise.single_peak
            );
        }
        stats
    }

    /// As [`check`] with any plan, up to the noise comparison, which it returns (`None`
    /// without FFmpeg).
    fn check_plan(
        rate: u32,
        ch: u8,
        mode: Mp3Mode,
        seconds: f64,
        plan: ChunkPlan,
    ) -> (SpliceStats, Option<SpliceNoise>) {
        let chunk_frames = plan.len / plan.frame_len;
        let cfg = config(rate, ch, mode);
        let n = (f64::from(rate) * seconds) as usize;
        let pcm = test_signal(rate, usize::from(ch), n, 17);
        let (spliced, stats) = encode(&cfg, &pcm, Some(plan));
        let (single, single_stats) = encode(&cfg, &pcm, None);
        let name = format!("{rate}-{ch}-{mode:?}-{chunk_frames}");
        assert!(single_stats.splices.is_empty());
        let fl = frame_len(rate);
        let chunks = (n as u64).div_ceil((chunk_frames * fl) as u64);
        assert!(
            (stats.splices.len() + stats.continued) as u64 + 2 >= chunks,
            "{name}: {stats:?}"
        );
        // Every frame parses and the stream has as many frames as one encoder's.
        let tag_len = Header::parse(&single).unwrap().frame_len();
        let frames = split(&spliced[tag_len..]).unwrap();
        let single_frames = split(&single[tag_len..]).unwrap();
        assert_eq!(frames.frames.len(), single_frames.frames.len(), "{name}");
        let (tag_frames, delay, padding) = tag_fields(&spliced);
        assert_eq!(
            tag_fields(&single),
            (tag_frames, delay, padding),
            "{name}: tag"
        );
        assert_eq!(tag_frames, frames.frames.len() as u64);
        assert_eq!(tag_frames * fl as u64 - delay - padding, n as u64);
        // Every frame keeps its encoder's bit rate: CBR stays CBR.
        if let Mp3Mode::Cbr { kbps } = mode {
            assert!(
                frames.frames.iter().all(|f| f.header.kbps() == kbps),
                "{name}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let (Some(a), Some(b)) = (
            decode(&spliced, dir.path(), "spliced.mp3"),
            decode(&single, dir.path(), "single.mp3"),
        ) else {
            return (stats, None);
        };
        let ch = usize::from(ch);
        assert_eq!(a.len(), n * ch, "{name}: decoded length");
        assert_eq!(
            b.len(),
            n * ch,
            "{name}: decoded length of the single encoder"
        );
        // LAME's lowpass, in the tag in units of 100 Hz.
        let id = 4 + Header::parse(&single).unwrap().side_len();
        let lowpass_hz = f64::from(single[id + 130]) * 100.0;
        let cutoff = 0.9 * lowpass_hz / f64::from(rate);
        let noise = splice_noise(&pcm, &a, &b, ch, fl, &stats.splices, cutoff);
        eprintln!(
            "{name}: {} splices ({} window breaks, {} continued); error near splices {:+.2} dB \
             against one encoder's (peaks {:.4} and {:.4})",
            stats.splices.len(),
            stats.window_breaks,
            stats.continued,
            noise.excess_db(),
            noise.spliced_peak,
            noise.single_peak,
        );
        (stats, Some(noise))
    }

    #[test]
    fn stereo_44k_v0() {
        check(44_100, 2, Mp3Mode::Vbr { quality: 0 }, 20.0, 24);
    }

    #[test]
    fn mono_48k_cbr() {
        check(48_000, 1, Mp3Mode::Cbr { kbps: 128 }, 15.0, 22);
    }

    #[test]
    fn stereo_32k_cbr_320() {
        check(32_000, 2, Mp3Mode::Cbr { kbps: 320 }, 12.0, 22);
    }

    #[test]
    fn mpeg2_rates() {
        check(16_000, 1, Mp3Mode::Vbr { quality: 4 }, 15.0, 30);
        check(22_050, 2, Mp3Mode::Vbr { quality: 2 }, 15.0, 30);
        check(24_000, 2, Mp3Mode::Cbr { kbps: 64 }, 15.0, 30);
    }

    /// The noise check sees a bad splice: at the very start of a cold encoder (no
    /// pre-roll to speak of), where its filterbank and psychoacoustic model have only seen
    /// silence, the coding error jumps.
    #[test]
    fn splices_at_a_cold_encoder_are_caught() {
        let mut plan = ChunkPlan::with_frames(44_100, 24);
        plan.pre = SPLICE_SLACK * plan.frame_len;
        let (stats, noise) = check_plan(44_100, 2, Mp3Mode::Vbr { quality: 0 }, 20.0, plan);
        assert!(stats.splices.len() > 20);
        if let Some(n) = noise {
            assert!(
                n.excess_db() > 6.0 && n.spliced_peak > 2.0 * n.single_peak,
                "excess {:.1} dB, peaks {} and {}",
                n.excess_db(),
                n.spliced_peak,
                n.single_peak
            );
        }
    }

    /// `test_signal` gated into random stretches of silence, full-scale noise and itself:
    /// reservoirs swing from full to empty, so many boundaries have no splice point with
    /// room at first.
    fn hostile(rate: u32, ch: usize, seconds: f64, seed: u32) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        let mut pcm = test_signal(rate, ch, n, seed);
        let mut state = seed.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
        let mut rnd = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut i = 0;
        while i < n {
            let len = (rnd() as usize % (rate as usize / 3)).max(100);
            let kind = rnd() % 3;
            for x in &mut pcm[i * ch..(i + len).min(n) * ch] {
                match kind {
                    0 => *x = 0.0,
                    1 => *x = (rnd() as f32 / u32::MAX as f32) * 2.0 - 1.0,
                    _ => {}
                }
            }
            i += len;
        }
        pcm
    }

    /// Hostile material with many boundaries: every boundary ends up spliced (some after
    /// the earlier encoder carried on), the stream is valid to FFmpeg, exactly as long as
    /// the input, and CBR keeps its rate.
    #[test]
    fn hostile_material() {
        let dir = tempfile::tempdir().unwrap();
        let mut continued = 0;
        for seed in 0..2u32 {
            for (rate, ch, mode) in [
                (44_100, 2, Mp3Mode::Vbr { quality: 0 }),
                (48_000, 2, Mp3Mode::Cbr { kbps: 320 }),
                (44_100, 1, Mp3Mode::Cbr { kbps: 128 }),
                (22_050, 2, Mp3Mode::Vbr { quality: 0 }),
            ] {
                let cfg = config(rate, ch, mode);
                let chn = usize::from(ch);
                let pcm = hostile(rate, chn, 20.0, seed);
                let plan = ChunkPlan::with_frames(rate, 23 + seed as usize);
                let (bytes, stats) = encode(&cfg, &pcm, Some(plan));
                continued += stats.continued;
                let name = format!("{seed} {rate} {ch} {mode:?}");
                let tag_len = Header::parse(&bytes).unwrap().frame_len();
                let frames = split(&bytes[tag_len..]).unwrap();
                if let Mp3Mode::Cbr { kbps } = mode {
                    assert!(
                        frames.frames.iter().all(|f| f.header.kbps() == kbps),
                        "{name}"
                    );
                }
                let (tag_frames, delay, padding) = tag_fields(&bytes);
                let fl = frame_len(rate) as u64;
                assert_eq!(tag_frames * fl - delay - padding, (pcm.len() / chn) as u64);
                if let Some(decoded) = decode(&bytes, dir.path(), "hostile.mp3") {
                    assert_eq!(decoded.len(), pcm.len(), "{name}");
                }
            }
        }
        assert!(
            continued > 0,
            "the material should need the fallback somewhere"
        );
    }

    /// Inputs ending just before, at and just after chunk boundaries and the lookahead
    /// after them decode to exactly their length.
    #[test]
    fn lengths_around_chunk_boundaries() {
        let cfg = config(44_100, 2, Mp3Mode::Vbr { quality: 2 });
        let plan = ChunkPlan::with_frames(44_100, 30);
        let (l, q) = (plan.len, plan.post);
        let pcm = test_signal(44_100, 2, 3 * l + q + 1, 3);
        let dir = tempfile::tempdir().unwrap();
        for n in [
            l - 1,
            l,
            l + 1,
            l + q - 1,
            l + q,
            l + q + 1,
            3 * l,
            3 * l + q + 1,
        ] {
            let (bytes, stats) = encode(&cfg, &pcm[..2 * n], Some(plan));
            let (tag_frames, delay, padding) = tag_fields(&bytes);
            assert_eq!(tag_frames * 1152 - delay - padding, n as u64, "{n}");
            // Chunks handed out while writing (each once its lookahead is in), and the
            // last at the end.
            let chunks = n.saturating_sub(q) / l + 1;
            assert!(
                stats.splices.len() < chunks && stats.splices.len() + stats.continued + 1 >= chunks,
                "{n}: {chunks} chunks, {stats:?}"
            );
            if let Some(decoded) = decode(&bytes, dir.path(), "n.mp3") {
                assert_eq!(decoded.len(), 2 * n, "{n}");
            }
        }
    }

    /// Below one chunk (and its lookahead) one encoder does it all, and the file is what
    /// LAME itself makes, its own tag included.
    #[test]
    fn short_input_is_lames_own_stream() {
        for (rate, ch, mode) in [
            (44_100, 2, Mp3Mode::Vbr { quality: 0 }),
            (16_000, 1, Mp3Mode::Cbr { kbps: 32 }),
        ] {
            let cfg = config(rate, ch, mode);
            let plan = ChunkPlan::with_frames(rate, 40);
            let n = plan.len + plan.post - 1;
            let pcm = test_signal(rate, usize::from(ch), n, 6);
            let (bytes, stats) = encode(&cfg, &pcm, Some(plan));
            assert!(stats.splices.is_empty());
            let (stream, tag) = crate::encode::mp3::frames::tests::lame_encode(&cfg, &pcm, true);
            let mut want = tag.clone();
            want.extend_from_slice(&stream[tag.len()..]);
            assert!(bytes == want, "{rate} {mode:?}");
        }
    }

    /// The output depends on the input only: not on how it arrives, nor on thread timing.
    #[test]
    fn output_is_deterministic() {
        let cfg = config(48_000, 2, Mp3Mode::Vbr { quality: 0 });
        let pcm = hostile(48_000, 2, 12.0, 9);
        let plan = ChunkPlan::with_frames(48_000, 25);
        let (a, _) = encode(&cfg, &pcm, Some(plan));
        let spec = StreamSpec {
            sample_rate: 48_000,
            channels: 2,
            ..Default::default()
        };
        let mut enc = Mp3Encoder::with_plan(cfg, &spec, Cursor::new(Vec::new()), plan).unwrap();
        enc.write(&pcm).unwrap();
        let (b, _) = enc.finish_with_stats().unwrap();
        assert!(a == b.output.into_inner());
    }

    /// Dropping an encoder with chunks in flight stops its workers at their next LAME
    /// call, not at the end of their chunks.
    #[test]
    fn dropping_the_encoder_stops_its_workers() {
        let cfg = config(44_100, 2, Mp3Mode::Vbr { quality: 0 });
        let spec = StreamSpec {
            sample_rate: 44_100,
            channels: 2,
            ..Default::default()
        };
        // Chunks of about 2 minutes: much longer to encode than a LAME call.
        let plan = ChunkPlan::with_frames(44_100, 4600);
        let pcm = test_signal(44_100, 2, plan.len + plan.post + 1, 1);
        let mut enc = Mp3Encoder::with_plan(cfg, &spec, Cursor::new(Vec::new()), plan).unwrap();
        enc.write(&pcm).unwrap();
        let t = std::time::Instant::now();
        drop(enc);
        assert!(
            t.elapsed() < std::time::Duration::from_millis(500),
            "{:?}",
            t.elapsed()
        );
    }
}
