//! LAME on several threads: the input is cut into chunks that independent LAME instances
//! encode at once, each fed a little audio before and after its chunk so that the frames
//! it contributes are encoded as a single encoder would have (`splice` joins them).
//!
//! LAME's delay is a constant 576 samples, so an encoder started at a multiple of the
//! frame length produces frames on the same grid as one started at 0: its frame j is the
//! whole stream's frame j + start / frame_len.
//!
//! Each encoder but the last is left running, not flushed, so that it can carry on into
//! the next chunk where no splice works; what it has written then is every frame it
//! could encode with its lookahead, exactly as an uninterrupted encoder writes them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use mp3lame_encoder::{FlushGap, InterleavedPcm, MonoPcm};

use super::frames::Frames;
use super::lame::{Mp3Config, configure_lame, lame_error};
use crate::error::{Error, Result};
use crate::panic::panic_message;

/// Samples per channel handed to LAME per call: bounds its output buffer, and is how
/// often a worker checks for cancellation (a few milliseconds of LAME's time).
const LAME_CALL_FRAMES: usize = 8192;
/// Output room for the final flush. LAME asks for at least 7200 bytes; the flush encodes
/// at most a few frames plus the bit reservoir, so this is generous.
const FLUSH_BYTES: usize = 64 * 1024;
/// Audio of one chunk: long enough that the overlap costs little (22 frames in 383, under
/// 6 % more encoding), short enough that the few chunks in memory stay small (3.5 MB of
/// PCM each at 44.1 kHz stereo) and the last one leaves a core idle only briefly.
const CHUNK_SECONDS: usize = 10;
/// Frames of audio fed before a chunk, so that the encoder's start-up is over by the
/// first frame the chunk may contribute ([`SPLICE_SLACK`] frames early): its filterbank
/// and psychoacoustic model settle in a few frames (with 2, splices measurably add
/// noise; from 3 on they do not), its reservoir in more (CBR fills it by a tenth of a
/// granule's bits per granule: with 8, CBR splices had 1.5 dB more coding error than one
/// encoder, with 16 none).
pub(super) const PRE_FRAMES: usize = 16;
/// Frames of audio fed after a chunk. A running encoder has written every frame whose
/// lookahead (about 1.2 frames: MDCT overlap and the psychoacoustic FFT) it has seen, all
/// but the last completely: splices may be up to about 4 frames past the chunk's end.
pub(super) const POST_FRAMES: usize = 6;
/// How far before a chunk boundary a splice may be (after it, up to the last frame the
/// earlier encoder finished).
pub(super) const SPLICE_SLACK: usize = 2;

/// How the input is cut, in samples per channel (all multiples of the frame length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ChunkPlan {
    pub frame_len: usize,
    /// Length of a chunk.
    pub len: usize,
    /// Pre-roll fed before each chunk but the first.
    pub pre: usize,
    /// Lookahead fed after each chunk but the last.
    pub post: usize,
}

impl ChunkPlan {
    /// About [`CHUNK_SECONDS`] per chunk.
    pub(super) fn new(sample_rate: u32) -> ChunkPlan {
        let frame_len = frame_len(sample_rate);
        let frames = (CHUNK_SECONDS * sample_rate as usize).div_ceil(frame_len);
        ChunkPlan::with_frames(sample_rate, frames)
    }

    /// Chunks of `frames` MPEG frames (tests use short ones to splice often).
    pub(super) fn with_frames(sample_rate: u32, frames: usize) -> ChunkPlan {
        let frame_len = frame_len(sample_rate);
        ChunkPlan {
            frame_len,
            // Shorter than the overlap, a chunk would hardly be worth its encoder.
            len: frames.max(PRE_FRAMES + POST_FRAMES) * frame_len,
            pre: PRE_FRAMES * frame_len,
            post: POST_FRAMES * frame_len,
        }
    }

    /// First sample fed to chunk `k`'s encoder.
    pub(super) fn start(&self, k: u64) -> u64 {
        (k * self.len as u64).saturating_sub(if k == 0 { 0 } else { self.pre as u64 })
    }

    /// End of what chunk `k`'s encoder is fed unless the input ends first.
    pub(super) fn end(&self, k: u64) -> u64 {
        (k + 1) * self.len as u64 + self.post as u64
    }
}

/// Samples per channel in a frame: 1152 for MPEG-1 (32 kHz and up), 576 below.
pub(super) fn frame_len(sample_rate: u32) -> usize {
    if sample_rate >= 32_000 { 1152 } else { 576 }
}

/// Interleaved samples within [-1, 1], in blocks of [`LAME_CALL_FRAMES`] samples per
/// channel (64 KB in stereo), the pieces LAME is fed. No allocation is large on purpose:
/// glibc serves large ones with mmap and, when they are freed, raises its mmap threshold
/// to their size, after which freed megabytes stay in its heaps; with a 3.5 MB buffer per
/// chunk, a normalize of an hour's input peaked 20 MB higher.
#[derive(Debug, Default)]
pub(super) struct Pcm {
    blocks: Vec<Vec<f32>>,
    channels: usize,
}

impl Pcm {
    pub(super) fn new(channels: usize) -> Pcm {
        Pcm {
            blocks: Vec::new(),
            channels,
        }
    }

    fn block_len(&self) -> usize {
        LAME_CALL_FRAMES * self.channels
    }

    /// Samples per channel.
    pub(super) fn frames(&self) -> usize {
        let full = self.blocks.len().saturating_sub(1) * LAME_CALL_FRAMES;
        full + self
            .blocks
            .last()
            .map_or(0, |b| b.len() / self.channels.max(1))
    }

    /// Appends `samples` (whole frames), clamped: LAME's float input is nominally
    /// [-1, 1], and a NaN would poison its psychoacoustic model for the rest of the file.
    pub(super) fn extend(&mut self, mut samples: &[f32]) {
        let cap = self.block_len();
        while !samples.is_empty() {
            if self.blocks.last().is_none_or(|b| b.len() == cap) {
                self.blocks.push(Vec::with_capacity(cap));
            }
            let Some(block) = self.blocks.last_mut() else {
                return;
            };
            let n = (cap - block.len()).min(samples.len());
            block.extend(
                samples[..n]
                    .iter()
                    .map(|&x| if x.is_nan() { 0.0 } else { x.clamp(-1.0, 1.0) }),
            );
            samples = &samples[n..];
        }
    }

    /// Frames `from..to` (samples per channel, clipped to what there is), as slices of at
    /// most a block.
    pub(super) fn pieces(&self, from: usize, to: usize) -> impl Iterator<Item = &[f32]> {
        let (from, to) = (from * self.channels, to * self.channels);
        let cap = self.block_len().max(1);
        self.blocks.iter().enumerate().filter_map(move |(i, b)| {
            let start = i * cap;
            let lo = from.clamp(start, start + b.len()) - start;
            let hi = to.clamp(start, start + b.len()) - start;
            (lo < hi).then(|| &b[lo..hi])
        })
    }

    /// A copy of frames `from..`.
    pub(super) fn copy_from(&self, from: usize) -> Pcm {
        let mut out = Pcm::new(self.channels);
        for piece in self.pieces(from, usize::MAX / self.channels.max(1)) {
            out.extend(piece);
        }
        out
    }
}

/// Runs one LAME instance over all of `pcm`, handing its bytes to `emit` as they come
/// (starting with the blank frame LAME reserves for its info tag, if it writes one).
/// Returns the info frame to put there.
pub(super) fn run_lame(
    config: &Mp3Config,
    pcm: &Pcm,
    emit: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<Vec<u8>> {
    let mut lame = Lame::new(config)?;
    lame.feed(pcm.pieces(0, pcm.frames()), &AtomicBool::new(false), emit)?;
    lame.finish(emit)?;
    lame.info_frame()
}

/// A LAME instance that can be fed more at any time, until it is finished.
pub(super) struct Lame {
    lame: mp3lame_encoder::Encoder,
    channels: usize,
    /// LAME's output of one call.
    out: Vec<u8>,
}

impl Lame {
    pub(super) fn new(config: &Mp3Config) -> Result<Lame> {
        Ok(Lame {
            lame: configure_lame(config, true)?
                .build()
                .map_err(|e| lame_error("init", e))?,
            channels: usize::from(config.channels),
            out: Vec::new(),
        })
    }

    /// Encodes `pieces` (interleaved, within [-1, 1], each whole frames) and hands what
    /// LAME writes to `emit`. That stops where LAME's bitstream is: inside a frame whose
    /// data area later frames fill. Stops with [`Error::Cancelled`] between calls once
    /// `cancel` is set.
    pub(super) fn feed<'a>(
        &mut self,
        pieces: impl Iterator<Item = &'a [f32]>,
        cancel: &AtomicBool,
        emit: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let ch = self.channels;
        for piece in pieces {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Cancelled {
                    file: String::new(),
                });
            }
            self.out.clear();
            self.out
                .reserve(mp3lame_encoder::max_required_buffer_size(piece.len() / ch));
            let r = if ch == 2 {
                self.lame
                    .encode_to_vec(InterleavedPcm(piece), &mut self.out)
            } else {
                self.lame.encode_to_vec(MonoPcm(piece), &mut self.out)
            };
            r.map_err(|e| lame_error("encode", e))?;
            emit(&self.out)?;
        }
        Ok(())
    }

    /// Ends the stream: FlushGap (lame_encode_flush) pads the last frame with silence and
    /// encodes every buffered sample, then records that padding for the LAME tag.
    /// (FlushNoGap only drains the bitstream and keeps the tail samples for a following
    /// track, which would cut the end of a standalone file.)
    pub(super) fn finish(&mut self, emit: &mut impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        self.out.clear();
        self.out.reserve(FLUSH_BYTES);
        self.lame
            .flush_to_vec::<FlushGap>(&mut self.out)
            .map_err(|e| lame_error("flush", e))?;
        emit(&self.out)
    }

    /// LAME's info frame for what it encoded so far; empty where the tag does not fit a
    /// frame at this bit rate (CBR at the lowest rates), when LAME writes none.
    pub(super) fn info_frame(&self) -> Result<Vec<u8>> {
        let size = self.lame.lame_tag_size();
        let mut info_frame = Vec::with_capacity(size);
        if size > 0 {
            self.lame
                .lame_tag_encode_to_vec(&mut info_frame)
                .ok_or_else(|| lame_error("info tag", "none produced"))?;
        }
        Ok(info_frame)
    }
}

/// One chunk's encoder output, split into frames.
pub(super) struct EncodedChunk {
    /// Index in the whole stream of the first audio frame of `frames`.
    pub first_frame: u64,
    /// Its audio frames (the blank info frame removed); while the encoder is alive, the
    /// last, incomplete one is held back.
    pub frames: Frames,
    /// LAME's info frame for this encoder's stream.
    pub info_frame: Vec<u8>,
    /// The input it was fed, from sample `start` to `end`: the previous chunk's encoder
    /// continues with it where no splice works.
    pub pcm: Pcm,
    pub start: u64,
    pub end: u64,
    /// The encoder, still running (not flushed), unless this chunk ends the stream.
    pub lame: Option<Lame>,
}

impl EncodedChunk {
    /// One past the index of its last frame.
    pub(super) fn end_frame(&self) -> u64 {
        self.first_frame + self.frames.frames.len() as u64
    }

    /// Continues this chunk's encoder over `next`'s input up to sample `upto` (at most
    /// `next.end`), and ends the stream there if `next` does: its frames then also cover
    /// that part of `next`, exactly as if it had been fed everything at once.
    pub(super) fn continue_with(&mut self, next: &EncodedChunk, upto: u64) -> Result<()> {
        let Some(lame) = self.lame.as_mut() else {
            return Err(internal(
                "the encoder of the last chunk cannot continue".into(),
            ));
        };
        let upto = upto.min(next.end);
        let local = |sample: u64| sample.saturating_sub(next.start) as usize;
        let frames = &mut self.frames;
        let mut emit = |b: &[u8]| frames.push(b).map_err(internal);
        let never = AtomicBool::new(false);
        lame.feed(
            next.pcm.pieces(local(self.end), local(upto)),
            &never,
            &mut emit,
        )?;
        if upto == next.end && next.lame.is_none() {
            lame.finish(&mut emit)?;
            self.lame = None;
        }
        if self.lame.is_none() && !self.frames.is_complete() {
            return Err(internal("the stream ends inside a frame".into()));
        }
        self.end = self.end.max(upto);
        Ok(())
    }
}

fn internal(detail: String) -> Error {
    Error::Internal {
        file: String::new(),
        detail: format!("LAME output: {detail}"),
    }
}

/// Encodes one chunk, leaving its encoder running unless it is the `last`.
fn encode_chunk(
    config: &Mp3Config,
    pcm: Pcm,
    start: u64,
    first_frame: u64,
    last: bool,
    cancel: &AtomicBool,
) -> Result<EncodedChunk> {
    let mut lame = Lame::new(config)?;
    let mut frames = Frames::lame();
    let mut emit = |b: &[u8]| frames.push(b).map_err(internal);
    lame.feed(pcm.pieces(0, pcm.frames()), cancel, &mut emit)?;
    if last {
        lame.finish(&mut emit)?;
    }
    let info_frame = lame.info_frame()?;
    if frames.blank_len() != info_frame.len() {
        return Err(internal(format!(
            "LAME reserved {} bytes for its info frame and wrote one of {}",
            frames.blank_len(),
            info_frame.len()
        )));
    }
    if last && !frames.is_complete() {
        return Err(internal("the stream ends inside a frame".into()));
    }
    let end = start + pcm.frames() as u64;
    Ok(EncodedChunk {
        first_frame,
        frames,
        info_frame,
        pcm,
        start,
        end,
        lame: (!last).then_some(lame),
    })
}

/// Chunks being encoded, oldest first, at most one per core.
pub(super) struct Workers {
    config: Mp3Config,
    running: VecDeque<JoinHandle<Result<EncodedChunk>>>,
    limit: usize,
    /// Set when the encoder is dropped: workers stop at their next LAME call.
    cancel: Arc<AtomicBool>,
}

impl Workers {
    pub(super) fn new(config: Mp3Config) -> Workers {
        let limit = std::thread::available_parallelism().map_or(1, |n| n.get());
        Workers {
            config,
            running: VecDeque::new(),
            limit,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    pub(super) fn is_full(&self) -> bool {
        self.running.len() >= self.limit
    }

    /// Starts encoding `pcm` (interleaved, within [-1, 1]) from sample `start`, which
    /// begins frame `first_frame` of the whole stream; `last` if the stream ends with it.
    pub(super) fn spawn(
        &mut self,
        pcm: Pcm,
        start: u64,
        first_frame: u64,
        last: bool,
    ) -> Result<()> {
        let config = self.config;
        self.spawn_job(move |cancel| encode_chunk(&config, pcm, start, first_frame, last, cancel))
    }

    fn spawn_job(
        &mut self,
        job: impl FnOnce(&AtomicBool) -> Result<EncodedChunk> + Send + 'static,
    ) -> Result<()> {
        let cancel = Arc::clone(&self.cancel);
        let handle = std::thread::Builder::new()
            .name("loudcore-mp3".into())
            .spawn(move || job(&cancel))
            .map_err(|e| Error::Internal {
                file: String::new(),
                detail: format!("cannot start an MP3 encoder thread: {e}"),
            })?;
        self.running.push_back(handle);
        Ok(())
    }

    /// Waits for the oldest chunk; `None` when none is running.
    pub(super) fn next(&mut self) -> Option<Result<EncodedChunk>> {
        let handle = self.running.pop_front()?;
        Some(handle.join().unwrap_or_else(|p| {
            Err(Error::Internal {
                file: String::new(),
                detail: format!("MP3 encoder thread panicked: {}", panic_message(&p)),
            })
        }))
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        for handle in self.running.drain(..) {
            // Their results (a cancellation, or work nobody wants) are dropped with them.
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::encode::mp3::frames::tests::{config, test_signal};
    use crate::encode::mp3::lame::Mp3Mode;

    #[test]
    fn plans_are_whole_frames() {
        let p = ChunkPlan::new(44_100);
        assert_eq!(p.frame_len, 1152);
        assert_eq!(p.len, 383 * 1152);
        assert_eq!((p.pre, p.post), (16 * 1152, 6 * 1152));
        assert_eq!((p.start(0), p.end(0)), (0, 389 * 1152));
        assert_eq!((p.start(2), p.end(2)), (750 * 1152, 1155 * 1152));
        let p = ChunkPlan::new(22_050);
        assert_eq!((p.frame_len, p.len), (576, 383 * 576));
        assert_eq!(ChunkPlan::with_frames(8_000, 1).len, 22 * 576);
    }

    fn pcm_of(samples: &[f32], channels: usize) -> Pcm {
        let mut p = Pcm::new(channels);
        p.extend(samples);
        p
    }

    /// In blocks, pieces and copies come out as they went in.
    #[test]
    fn pcm_blocks() {
        let samples: Vec<f32> = (0..2 * 20_000).map(|i| (i % 997) as f32 / 1000.0).collect();
        let mut p = Pcm::new(2);
        for piece in samples.chunks(2 * 3001) {
            p.extend(piece);
        }
        assert_eq!(p.frames(), 20_000);
        assert!(
            p.blocks
                .iter()
                .all(|b| b.capacity() == 2 * LAME_CALL_FRAMES)
        );
        let join = |p: &Pcm, from, to| p.pieces(from, to).flatten().copied().collect::<Vec<f32>>();
        assert_eq!(join(&p, 0, 20_000), samples);
        assert_eq!(join(&p, 8191, 8193), samples[2 * 8191..2 * 8193]);
        assert_eq!(join(&p, 19_000, 30_000), samples[2 * 19_000..]);
        assert!(join(&p, 5, 5).is_empty());
        assert_eq!(join(&p.copy_from(12_345), 0, 30_000), samples[2 * 12_345..]);
        assert!(p.pieces(0, 20_000).all(|s| s.len() <= 2 * LAME_CALL_FRAMES));
        let mut q = Pcm::new(1);
        q.extend(&[f32::NAN, 2.0, -3.0, 0.5]);
        assert_eq!(join(&q, 0, 4), [0.0, 1.0, -1.0, 0.5]);
    }

    fn encode(cfg: &Mp3Config, pcm: &[f32], start_frame: usize, last: bool) -> EncodedChunk {
        let fl = frame_len(cfg.sample_rate);
        let ch = usize::from(cfg.channels);
        let from = start_frame * fl;
        let pcm = pcm_of(&pcm[from * ch..], ch);
        encode_chunk(
            cfg,
            pcm,
            from as u64,
            start_frame as u64,
            last,
            &AtomicBool::new(false),
        )
        .unwrap()
    }

    /// An encoder started k frames into the input produces, after its start-up, the same
    /// frames (window sequence) as one started at 0, on the same grid.
    #[test]
    fn encoders_started_later_share_the_frame_grid() {
        let cfg = config(44_100, 2, Mp3Mode::Cbr { kbps: 192 });
        let pcm = test_signal(44_100, 2, 44_100 * 3, 9);
        let whole = encode(&cfg, &pcm, 0, true);
        let k = 40;
        let late = encode(&cfg, &pcm, k, true);
        assert_eq!(whole.end_frame(), late.end_frame());
        let same_blocks = (k + PRE_FRAMES..whole.frames.frames.len())
            .filter(|&j| {
                let a = &whole.frames.frames[j].info;
                let b = &late.frames.frames[j - k].info;
                a.first_blocks == b.first_blocks && a.last_blocks == b.last_blocks
            })
            .count();
        let n = whole.frames.frames.len() - k - PRE_FRAMES;
        assert!(same_blocks * 10 >= n * 9, "{same_blocks} of {n}");
    }

    /// A running encoder has written every frame it could with its lookahead, exactly as
    /// an uninterrupted one; continued, it is an uninterrupted one.
    #[test]
    fn running_encoders_continue_where_they_stopped() {
        for (rate, ch, mode) in [
            (44_100, 2, Mp3Mode::Vbr { quality: 0 }),
            (48_000, 1, Mp3Mode::Cbr { kbps: 128 }),
            (22_050, 2, Mp3Mode::Vbr { quality: 2 }),
        ] {
            let cfg = config(rate, ch, mode);
            let chn = usize::from(ch);
            let fl = frame_len(rate);
            let pcm = test_signal(rate, chn, rate as usize * 3, 4);
            let whole = encode(&cfg, &pcm, 0, true);
            let cut = 50 * fl + 123;
            let never = AtomicBool::new(false);
            let mut head =
                encode_chunk(&cfg, pcm_of(&pcm[..cut * chn], chn), 0, 0, false, &never).unwrap();
            let out = head.frames.frames.len();
            // Everything but LAME's lookahead and the frame it is in the middle of.
            assert!(
                out + 3 >= cut / fl && out < cut / fl,
                "{rate}: {out} frames"
            );
            let from = cut - 7 * fl;
            let tail = encode_chunk(
                &cfg,
                pcm_of(&pcm[from * chn..], chn),
                from as u64,
                0,
                true,
                &never,
            )
            .unwrap();
            head.continue_with(&tail, tail.end).unwrap();
            assert!(head.lame.is_none() && head.frames.is_complete());
            assert_eq!(head.end, (pcm.len() / chn) as u64);
            assert!(
                head.frames
                    .frames
                    .iter()
                    .zip(&whole.frames.frames)
                    .all(|(a, b)| a.main == b.main),
                "{rate} {mode:?}"
            );
            assert_eq!(head.frames.frames.len(), whole.frames.frames.len());
        }
    }

    #[test]
    fn cancelled_workers_stop() {
        let cfg = config(44_100, 2, Mp3Mode::Vbr { quality: 0 });
        let pcm = test_signal(44_100, 2, 44_100 * 20, 2);
        let mut w = Workers::new(cfg);
        w.spawn(pcm_of(&pcm, 2), 0, 0, true).unwrap();
        w.cancel.store(true, Ordering::Relaxed);
        let t = std::time::Instant::now();
        let r = w.next().unwrap();
        assert!(matches!(r, Err(Error::Cancelled { .. })), "{:?}", r.err());
        assert!(t.elapsed() < std::time::Duration::from_millis(500));
    }

    /// A panic in a worker is an internal error for the caller, not a crash.
    #[test]
    fn a_worker_panic_is_an_internal_error() {
        let mut w = Workers::new(config(44_100, 2, Mp3Mode::Vbr { quality: 0 }));
        w.spawn_job(|_| panic!("boom")).unwrap();
        match w.next() {
            Some(Err(Error::Internal { detail, .. })) => {
                assert!(detail.contains("boom"), "{detail}")
            }
            other => panic!("{:?}", other.map(|r| r.map(|c| c.first_frame))),
        }
        assert!(w.next().is_none());
    }
}
