//! Streaming sample-rate conversion for outputs that ask for a rate other than the input's
//! (an AI pipeline that wants 44.1 kHz, HLS ladder rungs at 24 or 32 kHz).
//!
//! The converter takes interleaved f32 in chunks of any size and keeps the stream exact:
//! over the whole stream it returns `round(in_frames * out_rate / in_rate)` frames, and the
//! output is time-aligned with the input (the filter delay is trimmed at the start, and the
//! input is padded with silence at the end so that the last real samples come out).
//!
//! Engine: rubato's synchronous FFT resampler (`Fft`), which is exact for a fixed ratio,
//! fast, and has a long linear-phase windowed-sinc anti-aliasing filter. Its block sizes are
//! multiples of `rate / gcd(in, out)`, so for rate pairs with almost no common divisor (for
//! example 96000 -> 44101) a block would be hundreds of thousands of frames; there the
//! asynchronous sinc resampler (`Async`) is used instead so memory stays small.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Indexing, Resampler as _, SincInterpolationParameters,
    SincInterpolationType, WindowFunction, calculate_cutoff,
};

use crate::error::{Error, Result};

/// The sample rates the converter accepts, in Hz (both sides).
pub(crate) const MIN_RATE: u32 = 8_000;
pub(crate) const MAX_RATE: u32 = 384_000;

/// Frames per FFT block on the smaller side (input or output). The anti-aliasing filter is
/// as long as the input block, and its transition band narrows as the block grows: with
/// 1024 frames the -6 dB point sits at ~0.99 of the lower Nyquist, which leaves the
/// passband flat to 0.9 of it. Larger blocks only add latency (which we trim anyway) and
/// memory.
const FFT_TARGET_BLOCK: usize = 1024;

/// Largest FFT block (either side) before falling back to the sinc resampler. The state grows
/// with the block: measured at this size, about 5 MB plus 3.6 MB per channel (under 1 MB in
/// all for stereo 44.1 -> 48 kHz). Every pair of standard rates stays below 65536 (the largest,
/// 8000 <-> 384000, takes 49152); coprime pairs of rates up to 65536 Hz (44100 -> 44101)
/// still fit, and only coprime pairs above that fall back.
const FFT_MAX_BLOCK: usize = 131_072;

/// Input frames per call for the sinc fallback.
const SINC_CHUNK: usize = 1024;

/// Length of the sinc fallback's filter, in frames of the lower rate (rubato's sinc runs at
/// the input rate, so downsampling lengthens it by in/out). 512 taps put the cutoff at ~0.97
/// of the lower Nyquist, so the passband stays flat to 0.9 of it like the FFT path.
const SINC_LEN: usize = 512;

/// A streaming sample-rate converter for interleaved f32 audio.
pub(crate) struct Resampler {
    in_rate: u32,
    out_rate: u32,
    channels: usize,
    /// `None` when the rates are equal: samples pass through untouched.
    engine: Option<Engine>,
    /// Input frames received so far.
    in_frames: u64,
    /// Output frames handed to the caller so far.
    out_frames: u64,
    finished: bool,
}

/// The rubato state and the fixed buffers around it. Nothing here grows with the stream.
struct Engine {
    inner: Box<dyn rubato::Resampler<f32>>,
    /// Input frames per rubato call. Constant for the modes used here (`FixedSync::Both`,
    /// `FixedAsync::Input`), which is what lets us gather input into whole chunks.
    chunk_in: usize,
    /// Interleaved input frames waiting for a whole chunk (fewer than `chunk_in`).
    pending: Vec<f32>,
    /// Interleaved output of one rubato call.
    scratch: Vec<f32>,
    /// Output frames still to drop at the start: the filter delay.
    skip: usize,
    /// Output frames produced but not yet released because they would run ahead of what the
    /// input seen so far can justify. A safeguard so that exactness does not hinge on rubato's
    /// internal look-ahead: the FFT path provably never runs ahead, and in the tests the sinc
    /// fallback never did either. At most one call's output.
    carry: Vec<f32>,
}

fn internal(detail: String) -> Error {
    // The resampler does not know which file it works on; the pipeline reports the job's file.
    Error::Internal {
        file: "<resampler>".into(),
        detail,
    }
}

impl Resampler {
    /// Creates a converter from `in_rate` to `out_rate` Hz for `channels` interleaved channels.
    ///
    /// Errors (`Error::InvalidOptions`) for rates outside 8000..=384000 Hz or zero channels.
    pub(crate) fn new(in_rate: u32, out_rate: u32, channels: usize) -> Result<Self> {
        for (side, rate) in [("input", in_rate), ("output", out_rate)] {
            if !(MIN_RATE..=MAX_RATE).contains(&rate) {
                return Err(Error::InvalidOptions {
                    detail: format!(
                        "{side} sample rate {rate} Hz is outside the supported range \
                         {MIN_RATE}..={MAX_RATE} Hz"
                    ),
                });
            }
        }
        if channels == 0 {
            return Err(Error::InvalidOptions {
                detail: "resampling needs at least one channel".into(),
            });
        }
        let engine = if in_rate == out_rate {
            None
        } else {
            Some(Engine::new(in_rate, out_rate, channels)?)
        };
        Ok(Resampler {
            in_rate,
            out_rate,
            channels,
            engine,
            in_frames: 0,
            out_frames: 0,
            finished: false,
        })
    }

    /// Feeds interleaved samples (any number of whole frames, including none) and appends the
    /// resampled interleaved output that is ready to `out`.
    pub(crate) fn process(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        if self.finished {
            return Err(internal("process called after finish".into()));
        }
        if !input.len().is_multiple_of(self.channels) {
            return Err(internal(format!(
                "{} samples is not a whole number of {}-channel frames",
                input.len(),
                self.channels
            )));
        }
        self.in_frames += (input.len() / self.channels) as u64;
        let Some(engine) = self.engine.as_mut() else {
            out.extend_from_slice(input);
            self.out_frames = self.in_frames;
            return Ok(());
        };
        // Output may not run ahead of floor(in * out / in): the final length is at least that,
        // so nothing released here ever has to be taken back in `finish`.
        let cap = frames_for(self.in_frames, self.in_rate, self.out_rate, false);
        let ch = self.channels;
        let chunk = engine.chunk_in * ch;
        let mut rest = input;

        // Top up a partial chunk first, so the stream is cut into the same chunks whatever
        // sizes the caller feeds (the output is then identical for any feeding pattern).
        if !engine.pending.is_empty() || rest.len() < chunk {
            let take = (chunk - engine.pending.len()).min(rest.len());
            engine.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if engine.pending.len() == chunk {
                let pending = std::mem::take(&mut engine.pending);
                let result = engine.run(&pending, ch, None, cap, &mut self.out_frames, out);
                engine.pending = pending;
                engine.pending.clear();
                result?;
            }
        }
        // Whole chunks straight from the caller's slice, without copying them to `pending`.
        while rest.len() >= chunk {
            engine.run(&rest[..chunk], ch, None, cap, &mut self.out_frames, out)?;
            rest = &rest[chunk..];
        }
        engine.pending.extend_from_slice(rest);
        Ok(())
    }

    /// Flushes the tail: pads the input with silence until the stream has produced exactly
    /// `round(in_frames * out_rate / in_rate)` frames, and appends the rest to `out`.
    /// Calling it again does nothing.
    pub(crate) fn finish(&mut self, out: &mut Vec<f32>) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        let Some(engine) = self.engine.as_mut() else {
            return Ok(());
        };
        let target = frames_for(self.in_frames, self.in_rate, self.out_rate, true);
        let ch = self.channels;

        // The buffered partial chunk, then whole chunks of silence until the delay line has
        // pushed out the last real samples. Each call produces at least one frame (the FFT
        // path a whole block, the sinc path about chunk_in * ratio), so this ends; the guard
        // turns a rubato surprise into an error instead of a hang.
        let pending = std::mem::take(&mut engine.pending);
        let mut partial = pending.len() / ch;
        let mut idle_calls = 0;
        while self.out_frames < target {
            let before = self.out_frames + (engine.carry.len() / ch) as u64;
            engine.run(
                &pending[..partial * ch],
                ch,
                Some(partial),
                target,
                &mut self.out_frames,
                out,
            )?;
            partial = 0;
            if self.out_frames + (engine.carry.len() / ch) as u64 == before && engine.skip == 0 {
                idle_calls += 1;
                if idle_calls > 3 {
                    return Err(internal("the flush produced no output".into()));
                }
            }
        }
        engine.pending = pending;
        engine.pending.clear();
        engine.carry.clear();
        Ok(())
    }
}

/// Output frames for `in_frames` input frames, exactly, rounded to nearest or down.
fn frames_for(in_frames: u64, in_rate: u32, out_rate: u32, nearest: bool) -> u64 {
    let num = u128::from(in_frames) * u128::from(out_rate)
        + if nearest { u128::from(in_rate / 2) } else { 0 };
    // Saturating only matters for streams of millions of years.
    u64::try_from(num / u128::from(in_rate)).unwrap_or(u64::MAX)
}

impl Engine {
    fn new(in_rate: u32, out_rate: u32, channels: usize) -> Result<Self> {
        let block = fft_block(in_rate, out_rate);
        let (in_rate, out_rate) = (in_rate as usize, out_rate as usize);
        let (inner, skip): (Box<dyn rubato::Resampler<f32>>, usize) = if let Some(block) = block {
            // FixedSync::Both with a chunk of exactly one block: rubato then runs one FFT block
            // per call with no internal re-buffering.
            let fft = Fft::<f32>::new_custom(
                in_rate,
                out_rate,
                block,
                1,
                channels,
                WindowFunction::BlackmanHarris2,
                FixedSync::Both,
            )
            .map_err(|e| internal(e.to_string()))?;
            // Exact here: half an (even) output block.
            let delay = fft.output_delay();
            (Box::new(fft), delay)
        } else {
            let ratio = out_rate as f64 / in_rate as f64;
            // A multiple of 8, as rubato would round it, so the delay below uses the real length.
            let sinc_len = (SINC_LEN * in_rate)
                .div_ceil(out_rate)
                .max(SINC_LEN)
                .next_multiple_of(8);
            // rubato tabulates the sinc at `oversampling` points per input frame. When
            // downsampling the kernel is stretched by 1/ratio, so fewer points per frame give
            // the same points per kernel period and the same interpolation error, and keep the
            // table (sinc_len * oversampling floats) near 0.5 MB instead of up to 25 MB.
            let oversampling = ((256.0 * ratio.min(1.0)).ceil() as usize).max(16);
            // The cutoff that suits SINC_LEN taps at the lower rate. Left to itself rubato
            // would pick it for sinc_len taps and then scale it by the ratio, which for
            // downsampling leaves the transition band straddling the new Nyquist (aliases
            // only ~35 dB down there).
            let params =
                SincInterpolationParameters::new(sinc_len, WindowFunction::BlackmanHarris2)
                    .f_cutoff(calculate_cutoff(SINC_LEN, WindowFunction::BlackmanHarris2))
                    .oversampling_factor(oversampling)
                    .interpolation(SincInterpolationType::Cubic);
            let sinc = Async::<f32>::new_sinc(
                ratio,
                // The ratio never changes, so no headroom for adjusting it is needed.
                1.0,
                &params,
                SINC_CHUNK,
                channels,
                FixedAsync::Input,
            )
            .map_err(|e| internal(e.to_string()))?;
            // rubato reports floor(sinc_len / 2 * ratio) as the delay, but measured at ratios
            // from 0.18 to 5.5 the output lags by sinc_len / 2 * ratio - 1 frames (see
            // `time_alignment`). Rounding that leaves at most half a frame of offset.
            let delay = (sinc_len as f64 / 2.0 * ratio - 1.0).round().max(0.0) as usize;
            (Box::new(sinc), delay)
        };
        let chunk_in = inner.input_frames_next();
        Ok(Engine {
            chunk_in,
            pending: Vec::with_capacity(chunk_in * channels),
            scratch: vec![0.0; inner.output_frames_max() * channels],
            skip,
            carry: Vec::new(),
            inner,
        })
    }

    /// Runs one rubato call on `input` (a whole chunk, or with `partial` set a shorter one that
    /// rubato pads with silence), drops the start-up delay, and releases output to `out` up to
    /// `cap` frames in total (`out_frames` counts them); anything beyond waits in `carry`.
    fn run(
        &mut self,
        input: &[f32],
        ch: usize,
        partial: Option<usize>,
        cap: u64,
        out_frames: &mut u64,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        let adapter_in = InterleavedSlice::new(input, ch, input.len() / ch)
            .map_err(|e| internal(e.to_string()))?;
        let capacity = self.scratch.len() / ch;
        let mut adapter_out = InterleavedSlice::new_mut(&mut self.scratch, ch, capacity)
            .map_err(|e| internal(e.to_string()))?;
        let mut indexing = Indexing::new();
        indexing.partial_len = partial;
        let (_, produced) = self
            .inner
            .process_into_buffer(&adapter_in, &mut adapter_out, Some(&indexing))
            .map_err(|e| internal(e.to_string()))?;

        let dropped = self.skip.min(produced);
        self.skip -= dropped;
        let fresh = &self.scratch[dropped * ch..produced * ch];

        let room = usize::try_from(cap.saturating_sub(*out_frames)).unwrap_or(usize::MAX);
        let from_carry = (self.carry.len() / ch).min(room);
        out.extend_from_slice(&self.carry[..from_carry * ch]);
        self.carry.drain(..from_carry * ch);
        let from_fresh = (fresh.len() / ch).min(room - from_carry);
        out.extend_from_slice(&fresh[..from_fresh * ch]);
        self.carry.extend_from_slice(&fresh[from_fresh * ch..]);
        *out_frames += (from_carry + from_fresh) as u64;
        Ok(())
    }
}

/// Input frames per FFT block for this rate pair, or `None` when the block would exceed
/// [`FFT_MAX_BLOCK`] and the sinc fallback is used instead.
fn fft_block(in_rate: u32, out_rate: u32) -> Option<usize> {
    let (in_rate, out_rate) = (in_rate as usize, out_rate as usize);
    let g = gcd(in_rate, out_rate);
    let (min_in, min_out) = (in_rate / g, out_rate / g);
    // Blocks are a whole number of minimal blocks. An even count makes both block sizes even
    // (min_in and min_out are coprime), which puts the filter's centre, half an input block,
    // on exactly half an output block: the delay rubato reports is then exact and trimming it
    // aligns the output to the input with no fractional-frame shift.
    let mut blocks = FFT_TARGET_BLOCK.div_ceil(min_in.min(min_out));
    blocks += blocks % 2;
    (blocks * min_in.max(min_out) <= FFT_MAX_BLOCK).then_some(blocks * min_in)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Near-coprime rate pairs: the first two take the FFT path with large blocks, the last
    /// two the sinc fallback.
    const ODD: [(u32, u32); 4] = [
        (44_100, 44_101),
        (44_101, 8_000),
        (96_000, 44_101),
        (44_101, 96_000),
    ];

    const PAIRS: [(u32, u32); 6] = [
        (44_100, 48_000),
        (48_000, 44_100),
        (44_100, 24_000),
        (44_100, 32_000),
        (96_000, 44_100),
        (16_000, 44_100),
    ];

    /// Feeds `input` in chunks of `chunk` frames (0: all at once) and finishes.
    fn convert(
        in_rate: u32,
        out_rate: u32,
        channels: usize,
        input: &[f32],
        chunk: usize,
    ) -> Vec<f32> {
        let mut rs = Resampler::new(in_rate, out_rate, channels).expect("valid rates");
        let mut out = Vec::new();
        if chunk == 0 {
            rs.process(input, &mut out).expect("process");
        } else {
            for piece in input.chunks(chunk * channels) {
                rs.process(piece, &mut out).expect("process");
            }
        }
        rs.finish(&mut out).expect("finish");
        out
    }

    fn expected_frames(in_frames: u64, in_rate: u32, out_rate: u32) -> usize {
        ((in_frames * u64::from(out_rate) + u64::from(in_rate / 2)) / u64::from(in_rate)) as usize
    }

    /// A sine with 0.1 s raised-cosine fades at both ends. An abrupt start would splash the
    /// whole spectrum (and ring for as long as the filter is, up to 2 s for near-coprime
    /// rates), which measurements of a steady tone should not see.
    fn sine(rate: u32, freq: f64, amp: f64, frames: usize) -> Vec<f32> {
        let fade = (0.1 * f64::from(rate)).min(frames as f64 / 2.0);
        (0..frames)
            .map(|n| {
                let edge = (n.min(frames - 1 - n) as f64 / fade).min(1.0);
                let gain = 0.5 - 0.5 * (PI * edge).cos();
                (gain * amp * (2.0 * PI * freq * n as f64 / f64::from(rate)).sin()) as f32
            })
            .collect()
    }

    /// Deterministic white-ish noise in [-0.5, 0.5) (xorshift), for content that exercises
    /// every frequency.
    fn noise(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.max(1);
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    }

    /// Least-squares fit of a tone at `freq` to `x` (sampled at `rate`): its amplitude, exact
    /// for a pure tone whatever the window length, and the RMS of everything else (images,
    /// aliases, other channels' tones, noise). Fitting the image's frequency on its own
    /// would instead pick up the tone's leakage into it (about -90 dB over these windows) and
    /// hide what we look for.
    fn fit_tone(x: &[f32], rate: u32, freq: f64) -> (f64, f64) {
        let w = |n: usize| 2.0 * PI * freq * n as f64 / f64::from(rate);
        let (mut cc, mut ss, mut cs, mut xc, mut xs) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (n, &v) in x.iter().enumerate() {
            let (s, c) = w(n).sin_cos();
            cc += c * c;
            ss += s * s;
            cs += c * s;
            xc += f64::from(v) * c;
            xs += f64::from(v) * s;
        }
        let det = cc * ss - cs * cs;
        let a = (xc * ss - xs * cs) / det;
        let b = (xs * cc - xc * cs) / det;
        let residual = x
            .iter()
            .enumerate()
            .map(|(n, &v)| {
                let (s, c) = w(n).sin_cos();
                (f64::from(v) - a * c - b * s).powi(2)
            })
            .sum::<f64>();
        ((a * a + b * b).sqrt(), (residual / x.len() as f64).sqrt())
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
    }

    fn db(ratio: f64) -> f64 {
        20.0 * ratio.log10()
    }

    /// The middle of a mono output, skipping `margin_s` seconds at each end where the test
    /// tone fades in and out.
    fn middle(x: &[f32], rate: u32, margin_s: f64) -> &[f32] {
        let m = (margin_s * f64::from(rate)) as usize;
        &x[m..x.len() - m]
    }

    #[test]
    fn rejects_bad_options() {
        for (i, o, c) in [
            (7_999, 44_100, 2),
            (44_100, 384_001, 2),
            (0, 48_000, 1),
            (44_100, 48_000, 0),
        ] {
            assert!(
                matches!(Resampler::new(i, o, c), Err(Error::InvalidOptions { .. })),
                "{i} {o} {c}"
            );
        }
        for (i, o) in [(8_000, 384_000), (384_000, 8_000), (384_000, 384_000)] {
            assert!(Resampler::new(i, o, 2).is_ok(), "{i} {o}");
        }
        let mut rs = Resampler::new(44_100, 48_000, 2).expect("valid");
        let mut out = Vec::new();
        assert!(matches!(
            rs.process(&[0.0; 3], &mut out),
            Err(Error::Internal { .. })
        ));
    }

    #[test]
    fn engine_choice() {
        assert_eq!(fft_block(44_100, 48_000), Some(1176));
        assert_eq!(fft_block(48_000, 24_000), Some(2048));
        assert_eq!(fft_block(44_100, 44_101), Some(88_200));
        for (i, o) in [(96_000, 44_101), (44_101, 96_000), (383_999, 384_000)] {
            assert_eq!(fft_block(i, o), None, "{i}->{o}");
        }
        // Every pair of common rates takes the FFT path.
        let rates = [
            8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 64_000, 88_200,
            96_000, 176_400, 192_000, 352_800, 384_000,
        ];
        for i in rates {
            for o in rates {
                assert!(fft_block(i, o).is_some(), "{i}->{o}");
            }
        }
    }

    #[test]
    fn exact_frame_counts() {
        let mut pairs = PAIRS.to_vec();
        pairs.push((48_000, 48_000));
        pairs.extend(ODD);
        for (i, o) in pairs {
            for len in [0, 1, 100, 12_345, 5 * i as usize] {
                let input = noise(len * 2, len as u64 + 1);
                let oneshot = convert(i, o, 2, &input, 0);
                assert_eq!(
                    oneshot.len(),
                    expected_frames(len as u64, i, o) * 2,
                    "{i}->{o} len {len}"
                );
                for chunk in [1, 7, 4096] {
                    let out = convert(i, o, 2, &input, chunk);
                    // Identical, not just the same length: the stream is cut into the same
                    // internal chunks whatever the caller's chunk sizes.
                    assert!(out == oneshot, "{i}->{o} len {len} chunk {chunk}");
                }
                if i == o {
                    assert!(
                        oneshot == input,
                        "identity must pass samples through untouched"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_calls_and_double_finish() {
        let mut rs = Resampler::new(44_100, 48_000, 1).expect("valid");
        let mut out = Vec::new();
        let input = sine(44_100, 1000.0, 0.5, 44_100);
        for piece in input.chunks(1000) {
            rs.process(&[], &mut out).expect("empty");
            rs.process(piece, &mut out).expect("process");
        }
        rs.finish(&mut out).expect("finish");
        rs.finish(&mut out).expect("second finish is a no-op");
        assert_eq!(out.len(), 48_000);
        assert!(rs.process(&[0.0], &mut out).is_err());
    }

    /// A Gaussian pulse (band-limited well below every Nyquist involved) centred between input
    /// samples must come out centred at the same time, measured on the output's time axis.
    #[test]
    fn time_alignment() {
        let mut pairs = PAIRS.to_vec();
        pairs.extend(ODD);
        pairs.extend([
            (8_000, 44_101),
            (48_000, 47_999),
            (44_101, 384_000),
            (384_000, 44_101),
        ]);
        for (i, o) in pairs {
            let frames = i as usize / 2;
            let sigma = 0.2e-3; // seconds: spectrum ~ -100 dB by 6 kHz
            let mut worst: f64 = 0.0;
            for t0 in [0.013_37, 0.25, 0.4321] {
                let input: Vec<f32> = (0..frames)
                    .map(|n| {
                        let t = n as f64 / f64::from(i) - t0;
                        (0.9 * (-0.5 * (t / sigma).powi(2)).exp()) as f32
                    })
                    .collect();
                let out = convert(i, o, 1, &input, 777);
                let expected = t0 * f64::from(o);
                // Peak, refined by a parabola through its neighbours.
                let (k, _) = out.iter().enumerate().fold((0, f32::MIN), |best, (k, &v)| {
                    if v > best.1 { (k, v) } else { best }
                });
                let (a, b, c) = (
                    f64::from(out[k - 1]),
                    f64::from(out[k]),
                    f64::from(out[k + 1]),
                );
                let peak = k as f64 + 0.5 * (a - c) / (a - 2.0 * b + c);
                // Centroid of the energy over +-8 sigma.
                let half = (8.0 * sigma * f64::from(o)) as usize;
                let (mut num, mut den) = (0.0, 0.0);
                for (n, &v) in out.iter().enumerate().take(k + half + 1).skip(k - half) {
                    let e = f64::from(v).powi(2);
                    num += n as f64 * e;
                    den += e;
                }
                let centroid = num / den;
                // The sinc fallback can only trim whole frames of a fractional delay.
                let tol = if gcd(i as usize, o as usize) < 50 {
                    0.55
                } else {
                    0.05
                };
                worst = worst
                    .max((peak - expected).abs())
                    .max((centroid - expected).abs());
                assert!(
                    (peak - expected).abs() < tol,
                    "{i}->{o} t0 {t0}: peak {peak} expected {expected}"
                );
                assert!(
                    (centroid - expected).abs() < tol,
                    "{i}->{o} t0 {t0}: centroid {centroid} expected {expected}"
                );
            }
            eprintln!("{i}->{o}: pulse position error at most {worst:.4} output samples");
        }
    }

    #[test]
    fn sine_minus_6_dbfs_keeps_its_level() {
        let amp = 10f64.powf(-6.0 / 20.0);
        let mut pairs = PAIRS.to_vec();
        pairs.extend(ODD);
        for (i, o) in pairs {
            let input = sine(i, 1000.0, amp, 3 * i as usize);
            let out = convert(i, o, 1, &input, 4096);
            // One whole second from the middle: an integer number of 1 kHz periods.
            let region = &out[o as usize..2 * o as usize];
            let err = db(rms(region) / (amp / 2f64.sqrt()));
            eprintln!("{i}->{o}: 1 kHz at -6 dBFS, level error {err:+.5} dB");
            assert!(err.abs() < 0.05, "{i}->{o}: {err} dB");
        }
    }

    /// Gain from 20 Hz to 0.9 x the lower Nyquist, within +-0.05 dB.
    #[test]
    fn passband_is_flat() {
        let mut pairs = PAIRS.to_vec();
        pairs.extend(ODD);
        for (i, o) in pairs {
            let edge = 0.9 * f64::from(i.min(o)) / 2.0;
            let mut worst: f64 = 0.0;
            for step in 0..=24 {
                let f = 20.0 + (edge - 20.0) * f64::from(step) / 24.0;
                let input = sine(i, f, 0.5, i as usize);
                let out = convert(i, o, 1, &input, 0);
                let gain = db(fit_tone(middle(&out, o, 0.2), o, f).0 / 0.5);
                worst = if gain.abs() > worst.abs() {
                    gain
                } else {
                    worst
                };
            }
            eprintln!("{i}->{o}: passband ripple to {edge:.0} Hz: worst {worst:+.5} dB");
            assert!(worst.abs() < 0.05, "{i}->{o}: {worst} dB");
        }
    }

    /// Downsampling: everything above the new Nyquist is removed, not folded back.
    #[test]
    fn stopband_when_downsampling() {
        // The case from the brief: 20 kHz going 48k -> 24k must drop by >= 80 dB.
        let input = sine(48_000, 20_000.0, 0.5, 48_000);
        let out = convert(48_000, 24_000, 1, &input, 4096);
        let att = db(rms(middle(&out, 24_000, 0.2)) / (0.5 / 2f64.sqrt()));
        eprintln!("48000->24000: 20 kHz attenuated to {att:.1} dB");
        assert!(att < -80.0, "{att} dB");

        // Just above the new Nyquist up to the old one, for every downsampling pair.
        for (i, o) in [
            (48_000, 24_000),
            (48_000, 44_100),
            (44_100, 24_000),
            (44_100, 32_000),
            (96_000, 44_100),
            (44_101, 8_000),
            // The sinc fallback.
            (96_000, 44_101),
        ] {
            let nyq_out = f64::from(o) / 2.0;
            let nyq_in = f64::from(i) / 2.0;
            let mut worst = f64::MIN;
            for step in 0..=20 {
                let f = nyq_out * 1.02 + (nyq_in * 0.98 - nyq_out * 1.02) * f64::from(step) / 20.0;
                let input = sine(i, f, 0.5, i as usize);
                let out = convert(i, o, 1, &input, 0);
                let att = db(rms(middle(&out, o, 0.2)) / (0.5 / 2f64.sqrt()));
                worst = worst.max(att);
            }
            let mut edge = Vec::new();
            // (Not at exactly 1.0: a sine at the output's Nyquist frequency can sample as
            // zeros, which would prove nothing.)
            for x in [1.002, 1.005, 1.01] {
                let input = sine(i, x * nyq_out, 0.5, i as usize);
                let out = convert(i, o, 1, &input, 0);
                let att = db(rms(middle(&out, o, 0.2)) / (0.5 / 2f64.sqrt()));
                edge.push(format!("{x} x: {att:.1} dB"));
            }
            eprintln!("{i}->{o}: stopband (1.02..0.98 x Nyquists) worst {worst:.1} dB; {edge:?}");
            assert!(worst < -90.0, "{i}->{o}: {worst} dB");
        }
    }

    /// Upsampling: the spectral image of a high tone (at in_rate - f) must not appear. Measured
    /// as everything in the output except the tone itself.
    #[test]
    fn no_images_when_upsampling() {
        for (i, o) in [
            (44_100, 48_000),
            (16_000, 44_100),
            (32_000, 44_100),
            (44_101, 96_000),
        ] {
            let mut worst = f64::MIN;
            // High tones, including ones whose images (at in_rate - f) land inside the output
            // band, up to the edge of the input's passband.
            let lowest = f64::from(i) - 0.98 * f64::from(o) / 2.0;
            for f in [0.8, 0.9, 0.95].map(|x| (x * f64::from(i) / 2.0).max(lowest)) {
                let input = sine(i, f, 0.5, i as usize);
                let out = convert(i, o, 1, &input, 0);
                let (_, rest) = fit_tone(middle(&out, o, 0.2), o, f);
                worst = worst.max(db(rest / (0.5 / 2f64.sqrt())));
            }
            eprintln!("{i}->{o}: images and noise worst {worst:.1} dB below the tone");
            assert!(worst < -90.0, "{i}->{o}: {worst} dB");
        }
    }

    #[test]
    fn six_channels_stay_separate() {
        let (i, o) = (48_000, 44_100);
        let freqs = [250.0, 700.0, 1500.0, 3100.0, 6400.0, 11_000.0];
        let frames = i as usize;
        let mut input = vec![0.0f32; frames * 6];
        for (c, &f) in freqs.iter().enumerate() {
            for (n, v) in sine(i, f, 0.3, frames).into_iter().enumerate() {
                input[n * 6 + c] = v;
            }
        }
        let out = convert(i, o, 6, &input, 1000);
        assert_eq!(out.len(), expected_frames(frames as u64, i, o) * 6);
        for (c, &f) in freqs.iter().enumerate() {
            let chan: Vec<f32> = out.iter().skip(c).step_by(6).copied().collect();
            let (own, rest) = fit_tone(middle(&chan, o, 0.2), o, f);
            let own = db(own / 0.3);
            assert!(own.abs() < 0.05, "channel {c}: own tone {own} dB");
            // Anything else, such as another channel's tone, stays at the noise floor.
            let rest = db(rest / (0.3 / 2f64.sqrt()));
            assert!(rest < -100.0, "channel {c}: {rest} dB of something else");
        }
    }

    /// Throughput check for the report:
    /// `cargo test --release -p loudcore --lib resample -- --ignored --nocapture`.
    /// Fed like the pipeline feeds it: blocks of 4096 frames, the output drained each time.
    #[test]
    #[ignore = "timing; run in release"]
    fn speed() {
        for (i, o, seconds) in [
            (44_100, 48_000, 300),
            (48_000, 24_000, 300),
            (96_000, 44_101, 60),
        ] {
            let input = noise(seconds * i as usize * 2, 7);
            let start = std::time::Instant::now();
            let mut rs = Resampler::new(i, o, 2).expect("valid");
            let mut out = Vec::new();
            let mut frames = 0;
            for block in input.chunks(4096 * 2) {
                rs.process(block, &mut out).expect("process");
                frames += out.len() / 2;
                out.clear();
            }
            rs.finish(&mut out).expect("finish");
            frames += out.len() / 2;
            let elapsed = start.elapsed().as_secs_f64();
            eprintln!("{seconds} s stereo {i} -> {o}: {elapsed:.3} s");
            assert_eq!(frames, expected_frames((seconds * i as usize) as u64, i, o));
        }
    }
}
