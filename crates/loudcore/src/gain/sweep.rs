//! A limiter sweep: the loudness a stream would have after the true-peak limiter at each of
//! a ladder of thresholds, measured while the stream is measured (pass 1). Normalize finds
//! from it the gain that lands on target after limiting, without decoding the input again
//! to calibrate.
//!
//! A rung is calibration's power path (the K-weighted power of each frame times the
//! squared gain of the limiter's gain computer, see [`Limiter::for_power`]) run on blocks
//! of [`BLOCK`] frames: the power is the block's mean, the peak the block's largest
//! detector value. That costs a sixteenth of a full-rate rung, so a ladder of them costs
//! less than one decode.
//!
//! Rungs are [`STEP_DB`] apart in absolute threshold. A limiter after a gain `g` with
//! ceiling `c` is the limiter with threshold `c - g` on the unscaled stream, scaled by
//! `g`, so the ladder answers for any gain and ceiling. A rung starts only when the
//! stream's peaks first reach its threshold: until then it would have been idle, so it
//! starts as a copy of an idle reference rung. Rungs more than [`RANGE_DB`] under the
//! highest peak so far stop: cuts that deep are left to the decoding calibration.

use super::{Detector, Limiter};
use crate::loudness::gating::{ANY_GAIN_HEADROOM_LU, Histogram};
use crate::loudness::{KPower, Meter};

/// Frames per block.
const BLOCK: usize = 16;
/// Threshold between rungs.
const STEP_DB: f64 = 1.0;
/// Deepest cut the ladder covers, below the stream's highest peak.
const RANGE_DB: f64 = 24.0;

#[derive(Clone)]
struct Rung {
    /// Threshold in dB (a multiple of [`STEP_DB`]), on the unscaled stream.
    threshold_db: f64,
    limiter: Limiter,
    meter: Meter,
}

impl Rung {
    fn push(&mut self, power: &[f32], env: &[f32], out: &mut Vec<f32>) {
        out.clear();
        self.limiter.process(power, env, 1.0, out);
        self.meter.push_power(out);
    }
}

/// Feeds on the decoded stream; see the module documentation.
pub(crate) struct Sweep {
    sample_rate: u32,
    channels: usize,
    detector: Detector,
    kpower: KPower,
    env: Vec<f32>,
    power: Vec<f32>,
    /// The block being pooled: largest peak, power sum, frames.
    part: (f32, f64, usize),
    block_env: Vec<f32>,
    block_power: Vec<f32>,
    /// A rung that never limits: what every rung is until the peaks reach it.
    reference: Rung,
    /// Running rungs, highest threshold first.
    rungs: Vec<Rung>,
    /// Highest detector value so far.
    peak: f32,
    out: Vec<f32>,
}

/// What a sweep measured: gating blocks of the stream with the limiter idle and at each
/// rung, kept so as to measure the stream after any gain (the absolute gate does not move
/// with gain).
#[derive(Clone, Debug)]
pub(crate) struct LimiterResponse {
    unlimited: Histogram,
    /// Highest peak of the stream, dBTP (as the limiter's detector reads it).
    peak_db: f64,
    /// (threshold dB, blocks after limiting there), highest threshold first.
    rungs: Vec<(f64, Histogram)>,
}

impl Sweep {
    pub(crate) fn new(sample_rate: u32, weights: Vec<f64>) -> Self {
        let channels = weights.len();
        let reference = Rung {
            threshold_db: f64::INFINITY,
            limiter: Limiter::for_power_blocks(sample_rate, BLOCK, f64::INFINITY),
            meter: Meter::for_power_blocks(sample_rate, BLOCK),
        };
        Sweep {
            sample_rate,
            channels,
            detector: Detector::new(sample_rate, channels),
            kpower: KPower::new(sample_rate, weights),
            env: Vec::new(),
            power: Vec::new(),
            part: (0.0, 0.0, 0),
            block_env: Vec::new(),
            block_power: Vec::new(),
            reference,
            rungs: Vec::new(),
            peak: 0.0,
            out: Vec::new(),
        }
    }

    /// Feeds interleaved audio.
    pub(crate) fn push(&mut self, interleaved: &[f32]) {
        // Stretches provably under the lowest threshold still wanted read as 0.
        let floor = self.floor_db() - STEP_DB;
        let floor = if floor.is_finite() {
            10f32.powf(floor as f32 / 20.0)
        } else {
            0.0
        };
        self.detector.envelope(interleaved, floor, &mut self.env);
        self.kpower.push(interleaved, &mut self.power);
        self.pool();
        self.run_blocks();
    }

    /// Ends the stream (draining every rung's delay line) and reads the ladder; `None`
    /// for a stream shorter than a gating block (400 ms) or silent.
    pub(crate) fn finish(mut self) -> Option<LimiterResponse> {
        if self.part.2 > 0 {
            self.close_block();
            self.run_blocks();
        }
        // The step down to silence after the stream has inter-sample peaks of its own, as
        // the full-rate limiter sees them; then silence until the delay lines are empty,
        // and no further: the meters see exactly the stream's blocks.
        let tail = vec![0f32; Limiter::tail_frames(self.sample_rate) * self.channels];
        self.detector.envelope(&tail, 0.0, &mut self.env);
        self.power.clear();
        self.power.resize(self.env.len(), 0.0);
        self.pool();
        if self.part.2 > 0 {
            self.close_block();
        }
        let latency = self.reference.limiter.latency();
        self.block_env.resize(latency, 0.0);
        self.block_power.resize(latency, 0.0);
        self.run_blocks();
        if self.peak <= 0.0 {
            return None;
        }
        let unlimited = self.reference.meter.finish_for_any_gain()?;
        let peak_db = 20.0 * f64::from(self.peak).log10();
        let rungs = self
            .rungs
            .into_iter()
            .filter_map(|r| Some((r.threshold_db, r.meter.finish_for_any_gain()?)))
            .collect();
        Some(LimiterResponse {
            unlimited,
            peak_db,
            rungs,
        })
    }

    /// Lowest threshold still wanted: [`RANGE_DB`] under the highest peak so far.
    fn floor_db(&self) -> f64 {
        20.0 * f64::from(self.peak).log10() - RANGE_DB
    }

    /// Pools `env` and `power` into whole blocks (after those not yet run).
    fn pool(&mut self) {
        let (mut e, mut p, mut n) = self.part;
        for (&ev, &pv) in self.env.iter().zip(&self.power) {
            e = e.max(ev);
            p += f64::from(pv);
            n += 1;
            if n == BLOCK {
                self.block_env.push(e);
                self.block_power.push((p / BLOCK as f64) as f32);
                (e, p, n) = (0.0, 0.0, 0);
            }
        }
        self.part = (e, p, n);
    }

    /// Closes the partial block being pooled.
    fn close_block(&mut self) {
        let (e, p, n) = std::mem::replace(&mut self.part, (0.0, 0.0, 0));
        self.block_env.push(e);
        self.block_power.push((p / n.max(1) as f64) as f32);
    }

    /// Runs the pooled blocks through every rung, starting the rungs their peaks reach
    /// and stopping those now too deep.
    fn run_blocks(&mut self) {
        if self.block_env.is_empty() {
            return;
        }
        let top = self.block_env.iter().fold(0f32, |a, &b| a.max(b));
        if top > self.peak {
            self.peak = top;
            let top_db = 20.0 * f64::from(top).log10();
            let floor = top_db - RANGE_DB;
            self.rungs.retain(|r| r.threshold_db >= floor - STEP_DB);
            // New rungs between the highest running one (or the floor) and the peak:
            // idle until now, they start as copies of the reference.
            let highest = self.rungs.first().map(|r| r.threshold_db);
            let mut n = (top_db / STEP_DB).ceil() - 1.0;
            let mut fresh = Vec::new();
            while n * STEP_DB >= floor - STEP_DB && highest.is_none_or(|h| n * STEP_DB > h) {
                let threshold_db = n * STEP_DB;
                fresh.push(Rung {
                    threshold_db,
                    limiter: self.reference.limiter.with_ceiling(threshold_db),
                    meter: self.reference.meter.clone(),
                });
                n -= 1.0;
            }
            fresh.append(&mut self.rungs);
            self.rungs = fresh;
        }
        self.reference
            .push(&self.block_power, &self.block_env, &mut self.out);
        for r in &mut self.rungs {
            r.push(&self.block_power, &self.block_env, &mut self.out);
        }
        self.block_env.clear();
        self.block_power.clear();
    }
}

impl LimiterResponse {
    /// The gain at which the stream, through a limiter with ceiling `ceiling_dbtp`,
    /// measures `target_lufs`; `None` where that needs a deeper cut than the ladder
    /// covers, or more gain than its histograms answer for. `measured_lufs`, the stream's
    /// loudness from the exact meter, anchors the ladder's coarser histograms. Interpolated
    /// (quadratic, through the rungs nearest the answer) in the loudness each gain gives,
    /// which rises with the gain.
    pub(crate) fn gain_for(
        &self,
        ceiling_dbtp: f64,
        target_lufs: f64,
        measured_lufs: f64,
    ) -> Option<f64> {
        let offset = measured_lufs - self.unlimited.integrated_after(0.0)?;
        let loudness = |h: &Histogram, g: f64| {
            (g <= ANY_GAIN_HEADROOM_LU).then(|| Some(h.integrated_after(g)? + offset))?
        };
        // With the limiter idle. Loudness follows gain dB for dB but for the absolute
        // gate, which lets quiet blocks in as the gain rises: a few steps settle it.
        let mut linear = target_lufs - measured_lufs;
        for _ in 0..4 {
            linear += target_lufs - loudness(&self.unlimited, linear)?;
        }
        // Up to the gain that brings the peak to the ceiling, the limiter stays idle.
        let onset = ceiling_dbtp - self.peak_db;
        if linear <= onset {
            return Some(linear);
        }
        let at = |g: f64, h: &Histogram| Some((g, loudness(h, g)?));
        let mut points = vec![at(onset, &self.unlimited)?];
        for (t, h) in self.rungs.iter().filter(|(t, _)| *t < self.peak_db) {
            points.push(at(ceiling_dbtp - t, h)?);
        }
        let j = points.iter().position(|&(_, f)| f >= target_lufs)?;
        if j == 0 {
            return Some(points[0].0);
        }
        let lo = if j + 1 < points.len() {
            j - 1
        } else {
            j.saturating_sub(2)
        };
        let fit = &points[lo..(lo + 3).min(points.len())];
        let f = |g: f64| lagrange(fit, g);
        let (mut a, mut b) = (points[j - 1].0, points[j].0);
        for _ in 0..50 {
            let m = 0.5 * (a + b);
            if f(m) < target_lufs {
                a = m;
            } else {
                b = m;
            }
        }
        Some(0.5 * (a + b))
    }
}

/// The polynomial through `points` (two or three), at `x`.
fn lagrange(points: &[(f64, f64)], x: f64) -> f64 {
    points
        .iter()
        .enumerate()
        .map(|(i, &(xi, yi))| {
            points
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != i)
                .fold(yi, |acc, (_, &(xk, _))| acc * (x - xk) / (xi - xk))
        })
        .sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::loudness::channel_weights;

    /// Integrated loudness of stereo `x` after `gain_db` and the full-rate limiter at
    /// `ceiling_dbtp`, measured on the limited audio.
    fn limited_lufs(x: &[f32], rate: u32, gain_db: f64, ceiling_dbtp: f64) -> f64 {
        let gain = 10f64.powf(gain_db / 20.0) as f32;
        let mut detector = Detector::new(rate, 2);
        let mut limiter = Limiter::new(rate, 2, ceiling_dbtp);
        let mut meter = Meter::new(rate, channel_weights(2, None), false).loudness_only();
        let threshold = 10f32.powf(ceiling_dbtp as f32 / 20.0) / gain;
        let (mut env, mut scaled, mut out) = (Vec::new(), Vec::new(), Vec::new());
        for block in x.chunks(2 * 4096) {
            detector.envelope(block, threshold, &mut env);
            scaled.clear();
            scaled.extend(block.iter().map(|v| v * gain));
            out.clear();
            limiter.process(&scaled, &env, gain, &mut out);
            meter.push(&out);
        }
        let tail = vec![0f32; Limiter::tail_frames(rate) * 2];
        detector.envelope(&tail, threshold, &mut env);
        out.clear();
        limiter.finish(&env, gain, &mut out);
        meter.push(&out);
        meter.finish().integrated_lufs.unwrap()
    }

    fn response(x: &[f32], rate: u32) -> LimiterResponse {
        let mut s = Sweep::new(rate, channel_weights(2, None));
        // Odd block lengths: pooling carries partial blocks across pushes.
        for block in x.chunks(2 * 3001) {
            s.push(block);
        }
        s.finish().unwrap()
    }

    /// Worst |error| in LU of the sweep's answers for the given (ceiling, target) pairs,
    /// checked on the limited audio at the gain it gives.
    fn worst_error(x: &[f32], rate: u32, cases: &[(f64, f64)]) -> f64 {
        let l = response(x, rate);
        let mut m = Meter::new(rate, channel_weights(2, None), false).loudness_only();
        m.push(x);
        let measured = m.finish().integrated_lufs.unwrap();
        let mut worst = 0f64;
        for &(ceiling, target) in cases {
            let Some(g) = l.gain_for(ceiling, target, measured) else {
                eprintln!("{rate} Hz, ceiling {ceiling}, target {target}: out of range");
                continue;
            };
            let got = limited_lufs(x, rate, g, ceiling);
            eprintln!(
                "{rate} Hz, ceiling {ceiling}, target {target}: gain {g:+.3} (cut {:.1} dB) -> {got:.4}",
                l.peak_db + g - ceiling
            );
            worst = worst.max((got - target).abs());
        }
        worst
    }

    #[test]
    fn lands_on_target_through_the_full_rate_limiter() {
        // Music-like noise at -14 LUFS with peaks about 12 dB above: targets that need
        // cuts of about 2 to 16 dB at the limiter.
        for (rate, seed) in [(44_100u32, 1u64), (48_000, 2)] {
            let sig = loudcore_testsignals::music_like_with_level(rate, 30.0, seed, -14.0);
            let worst = worst_error(
                &sig.samples,
                rate,
                &[(-1.0, -14.0), (-1.0, -11.0), (-2.0, -8.0), (-1.5, -7.0)],
            );
            assert!(worst < 0.02, "{rate}: worst error {worst} LU");
        }
    }

    #[test]
    fn idle_limiter_gives_the_linear_gain() {
        let rate = 48_000;
        let sig = loudcore_testsignals::music_like_with_level(rate, 10.0, 3, -20.0);
        let l = response(&sig.samples, rate);
        // 10 dB down: far under any ceiling.
        let mut m = Meter::new(rate, channel_weights(2, None), false).loudness_only();
        m.push(&sig.samples);
        let exact = m.finish().integrated_lufs.unwrap();
        let g = l.gain_for(-1.0, -30.0, exact).unwrap();
        assert!((g - (-30.0 - exact)).abs() < 1e-9);
        // The unlimited loudness is the stream's, to within the coarse histogram.
        let unlimited = l.unlimited.integrated_after(0.0).unwrap();
        assert!((unlimited - exact).abs() < 0.005, "{unlimited} vs {exact}");
    }

    #[test]
    fn too_deep_a_cut_is_left_to_calibration() {
        let rate = 44_100;
        let sig = loudcore_testsignals::music_like_with_level(rate, 10.0, 4, -20.0);
        let l = response(&sig.samples, rate);
        // A target 30 dB up needs a cut deeper than the ladder's range.
        assert_eq!(l.gain_for(-1.0, 10.0, -20.0), None);
    }

    /// The same check on the real music of the corpus (`LOUDCORE_CORPUS`), decoded by
    /// FFmpeg: `cargo test --release -p loudcore --lib sweep_on_the_corpus -- --ignored
    /// --nocapture`. Not run by CI (it needs the corpus).
    #[test]
    #[ignore]
    fn sweep_on_the_corpus() {
        let mut worst = 0f64;
        for (name, x) in crate::gain::corpus_music() {
            let l = response(&x, 44_100);
            // Targets pushing the loudness 0.5 to 14 dB past where the limiter starts (the
            // deepest may need cuts past the ladder's range).
            let start = l.unlimited.integrated_after(0.0).unwrap() + (-1.5 - l.peak_db);
            let cases: Vec<(f64, f64)> = [0.5, 2.0, 4.0, 7.0, 10.0, 14.0]
                .iter()
                .map(|up| (-1.5, start + up))
                .collect();
            eprintln!(
                "{name}: {} rungs, peak {:.3} dBTP",
                l.rungs.len(),
                l.peak_db
            );
            worst = worst.max(worst_error(&x, 44_100, &cases));
        }
        assert!(worst < 0.02, "worst error {worst} LU");
    }
}
