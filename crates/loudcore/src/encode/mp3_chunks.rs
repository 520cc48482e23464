//! LAME on several threads: the input is cut into chunks that independent LAME instances
//! encode at once, each fed a little audio before and after its chunk so that the frames
//! it contributes are encoded as a single encoder would have (`mp3_splice` joins them).
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

use super::mp3::{Mp3Config, configure_lame, lame_error};
use super::mp3_frames::{Frames, Header};
use crate::decode::panic_message;
use crate::error::{Error, Result};

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

/// LAME's output for a whole input: its bytes (starting with the blank frame it reserves
/// for the info tag) and the info frame to put there.
pub(super) struct LameOutput {
    pub stream: Vec<u8>,
    pub info_frame: Vec<u8>,
}

/// Runs one LAME instance over all of `pcm` (interleaved, already within [-1, 1]).
pub(super) fn run_lame(config: &Mp3Config, pcm: &[f32]) -> Result<LameOutput> {
    let mut lame = Lame::new(config)?;
    let mut stream = Vec::new();
    lame.feed(pcm, &AtomicBool::new(false), &mut stream)?;
    lame.finish(&mut stream)?;
    Ok(LameOutput {
        stream,
        info_frame: lame.info_frame()?,
    })
}

/// A LAME instance that can be fed more at any time, until it is finished.
pub(super) struct Lame {
    lame: mp3lame_encoder::Encoder,
    channels: usize,
}

impl Lame {
    pub(super) fn new(config: &Mp3Config) -> Result<Lame> {
        Ok(Lame {
            lame: configure_lame(config, true)?
                .build()
                .map_err(|e| lame_error("init", e))?,
            channels: usize::from(config.channels),
        })
    }

    /// Encodes `pcm` (interleaved, within [-1, 1]) onto `out`. What comes out stops where
    /// LAME's bitstream is: inside a frame whose data area later frames fill. Stops with
    /// [`Error::Cancelled`] between calls once `cancel` is set.
    pub(super) fn feed(
        &mut self,
        pcm: &[f32],
        cancel: &AtomicBool,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let ch = self.channels;
        for piece in pcm.chunks(LAME_CALL_FRAMES * ch) {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Cancelled {
                    file: String::new(),
                });
            }
            out.reserve(mp3lame_encoder::max_required_buffer_size(piece.len() / ch));
            let r = if ch == 2 {
                self.lame.encode_to_vec(InterleavedPcm(piece), out)
            } else {
                self.lame.encode_to_vec(MonoPcm(piece), out)
            };
            r.map_err(|e| lame_error("encode", e))?;
        }
        Ok(())
    }

    /// Ends the stream: FlushGap (lame_encode_flush) pads the last frame with silence and
    /// encodes every buffered sample, then records that padding for the LAME tag.
    /// (FlushNoGap only drains the bitstream and keeps the tail samples for a following
    /// track, which would cut the end of a standalone file.)
    pub(super) fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.reserve(FLUSH_BYTES);
        self.lame
            .flush_to_vec::<FlushGap>(out)
            .map_err(|e| lame_error("flush", e))?;
        Ok(())
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
    /// The input it was fed (interleaved), from sample `start` to `end`: the previous
    /// chunk's encoder continues with it where no splice works.
    pub pcm: Vec<f32>,
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
    pub(super) fn continue_with(
        &mut self,
        next: &EncodedChunk,
        upto: u64,
        channels: usize,
    ) -> Result<()> {
        let Some(lame) = self.lame.as_mut() else {
            return Err(internal(
                "the encoder of the last chunk cannot continue".into(),
            ));
        };
        let upto = upto.min(next.end);
        let at = |sample: u64| {
            (sample.saturating_sub(next.start) as usize * channels).min(next.pcm.len())
        };
        let mut stream = Vec::new();
        lame.feed(
            &next.pcm[at(self.end)..at(upto)],
            &AtomicBool::new(false),
            &mut stream,
        )?;
        if upto == next.end && next.lame.is_none() {
            lame.finish(&mut stream)?;
            self.lame = None;
        }
        self.frames.push(&stream).map_err(internal)?;
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
    pcm: Vec<f32>,
    start: u64,
    first_frame: u64,
    last: bool,
    cancel: &AtomicBool,
) -> Result<EncodedChunk> {
    let mut lame = Lame::new(config)?;
    let mut stream = Vec::new();
    lame.feed(&pcm, cancel, &mut stream)?;
    if last {
        lame.finish(&mut stream)?;
    }
    let info_frame = lame.info_frame()?;
    // The first frame is the blank one LAME reserves for its tag, if it writes one.
    let blank = info_frame.len();
    let reserved = stream
        .get(..blank)
        .ok_or_else(|| internal("no frame reserved for the tag".into()))?;
    if blank > 0
        && (Header::parse(reserved).map_err(internal)?.frame_len() != blank
            || reserved[4..].iter().any(|&b| b != 0))
    {
        return Err(internal(
            "the frame reserved for the tag is not blank".into(),
        ));
    }
    let mut frames = Frames::default();
    frames.push(&stream[blank..]).map_err(internal)?;
    if last && !frames.is_complete() {
        return Err(internal("the stream ends inside a frame".into()));
    }
    let end = start + (pcm.len() / usize::from(config.channels)) as u64;
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
        pcm: Vec<f32>,
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
    use crate::encode::mp3::Mp3Mode;
    use crate::encode::mp3_frames::tests::{config, test_signal};

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

    fn encode(cfg: &Mp3Config, pcm: &[f32], start_frame: usize, last: bool) -> EncodedChunk {
        let fl = frame_len(cfg.sample_rate);
        let ch = usize::from(cfg.channels);
        let from = start_frame * fl;
        let pcm = pcm[from * ch..].to_vec();
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
                encode_chunk(&cfg, pcm[..cut * chn].to_vec(), 0, 0, false, &never).unwrap();
            let out = head.frames.frames.len();
            // Everything but LAME's lookahead and the frame it is in the middle of.
            assert!(
                out + 3 >= cut / fl && out < cut / fl,
                "{rate}: {out} frames"
            );
            let from = cut - 7 * fl;
            let tail = encode_chunk(
                &cfg,
                pcm[from * chn..].to_vec(),
                from as u64,
                0,
                true,
                &never,
            )
            .unwrap();
            head.continue_with(&tail, tail.end, chn).unwrap();
            assert!(head.lame.is_none() && head.frames.is_complete());
            assert_eq!(head.end, (pcm.len() / chn) as u64);
            assert_eq!(head.frames.data, whole.frames.data, "{rate} {mode:?}");
            assert_eq!(head.frames.frames.len(), whole.frames.frames.len());
        }
    }

    #[test]
    fn cancelled_workers_stop() {
        let cfg = config(44_100, 2, Mp3Mode::Vbr { quality: 0 });
        let pcm = test_signal(44_100, 2, 44_100 * 20, 2);
        let mut w = Workers::new(cfg);
        w.spawn(pcm, 0, 0, true).unwrap();
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
