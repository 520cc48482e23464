//! Dynamic mode's gain curve: planned once for the whole programme from pass 1's 100 ms
//! sub-block energies, with full look-ahead, instead of ridden from a running estimate
//! as FFmpeg's loudnorm does.
//!
//! The plan:
//! 1. the programme's loudness contour: the energy of a 3 s window *centred* on each
//!    100 ms sub-block (so the gain starts to move 1.5 s before a change, not after it);
//! 2. sub-blocks under the loudness-range gate (EBU Tech 3342: 20 LU under the mean of
//!    the short-term blocks) are silence or near-silence: they do not steer the gain, they
//!    hold their neighbours' (silence stays silence, and music after a silent intro starts
//!    at its own gain, not after a ramp);
//! 3. the contour is held inside a band of width `W` centred between the input's 10th
//!    and 95th percentiles: what lies above is brought down, what lies below brought up,
//!    what lies inside is left alone;
//! 4. the gain is made smooth: its slope is capped at [`MAX_SLOPE_DB`] per sub-block (by
//!    lowering, never raising, so a loud passage never gets more gain than planned), then
//!    a Gaussian of [`SMOOTH_SIGMA`] sub-blocks takes off the corners;
//! 5. the output's loudness range is computed exactly from the sub-block energies times
//!    the curve (Tech 3342's short-term blocks, gates and percentiles), and `W` is
//!    bisected until it lands [`LRA_MARGIN_LU`] under the target.
//!
//! Where the input's range is already at or under the target there is no curve: the job
//! is the linear one.
//!
//! Applying the curve: the gain at the centre of each sub-block, interpolated linearly in
//! amplitude between centres, on the input's PCM before anything else (resampling, the
//! limiter's detector), so every stage after it sees the signal its output will carry.

use crate::loudness::gating::{ABSOLUTE_GATE_LUFS, lufs};

/// Sub-blocks per second.
const RATE: f64 = 10.0;
/// Half the contour's window (3 s, as short-term loudness).
const HALF_WINDOW: usize = 15;
/// Short-term window, in sub-blocks.
const SHORT_TERM: usize = 30;
/// Momentary window, in sub-blocks.
const MOMENTARY: usize = 4;
/// Largest gain change between successive sub-blocks before smoothing, dB. Smoothing
/// only lowers it.
pub(crate) const MAX_SLOPE_DB: f64 = 0.6;
/// Standard deviation of the smoothing Gaussian, in sub-blocks (0.5 s).
const SMOOTH_SIGMA: f64 = 5.0;
/// How far under the target the plan puts the output's range: the limiter and a lossy
/// encoder move it by a few tenths.
pub(crate) const LRA_MARGIN_LU: f64 = 0.3;
/// Sub-blocks this far under the range gate (30 LU under the programme) are silence.
const SILENCE_UNDER_GATE_LU: f64 = 10.0;
/// Bisection steps on the band's width (its range halves each time: 2^-16 of 50 LU).
const STEPS: usize = 16;

/// The gain curve of a dynamic job, in dB, one value per 100 ms sub-block of the input.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GainCurve {
    db: Vec<f32>,
}

/// What the plan found.
#[derive(Clone, Debug)]
pub(crate) struct DynamicPlan {
    /// `None` where the input's range is at or under the target: the linear job.
    pub curve: Option<GainCurve>,
    /// Integrated loudness of the input after the curve (before any other gain), LUFS.
    pub lufs: Option<f64>,
    /// Loudness range of the input after the curve, as planned, LU.
    pub lra_lu: f64,
    /// 100 ms sub-blocks of the input (the curve's length, with or without a curve).
    pub frames: usize,
}

impl GainCurve {
    /// The gain of each sub-block, dB.
    pub(crate) fn db(&self) -> &[f32] {
        &self.db
    }

    /// Lowest and highest gain, dB.
    pub(crate) fn range_db(&self) -> (f64, f64) {
        let lo = self.db.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = self.db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if lo.is_finite() {
            (f64::from(lo), f64::from(hi))
        } else {
            (0.0, 0.0)
        }
    }

    /// Largest change between successive sub-blocks, dB.
    pub(crate) fn max_step_db(&self) -> f64 {
        self.db
            .windows(2)
            .map(|w| f64::from((w[1] - w[0]).abs()))
            .fold(0.0, f64::max)
    }

    /// A cursor that applies the curve to a stream at `sample_rate`, block after block.
    pub(crate) fn applier(&self, sample_rate: u32, channels: usize) -> CurveApplier {
        CurveApplier {
            amp: self.db.iter().map(|&d| 10f32.powf(d / 20.0)).collect(),
            rate: f64::from(sample_rate),
            channels: channels.max(1),
            frame: 0,
        }
    }
}

/// Applies a [`GainCurve`] to interleaved blocks of one stream, in order.
pub(crate) struct CurveApplier {
    amp: Vec<f32>,
    rate: f64,
    channels: usize,
    /// Frames already seen.
    frame: u64,
}

impl CurveApplier {
    /// Multiplies `block` by the curve, in place.
    pub(crate) fn apply(&mut self, block: &mut [f32]) {
        let last = self.amp.len().saturating_sub(1);
        let Some(&end_amp) = self.amp.last() else {
            return;
        };
        for frame in block.chunks_exact_mut(self.channels) {
            // Position in sub-blocks, counted from the first sub-block's centre.
            let pos = (self.frame as f64 + 0.5) / self.rate * RATE - 0.5;
            self.frame += 1;
            let a = if pos <= 0.0 {
                self.amp[0]
            } else {
                let k = pos as usize;
                if k >= last {
                    end_amp
                } else {
                    let f = (pos - k as f64) as f32;
                    self.amp[k] + (self.amp[k + 1] - self.amp[k]) * f
                }
            };
            for x in frame {
                *x *= a;
            }
        }
    }
}

/// Plans the curve from the mean K-weighted power of each 100 ms sub-block of the input
/// (`energy`), for a loudness-range target `lra_target_lu`.
pub(crate) fn plan(energy: &[f32], lra_target_lu: f64) -> DynamicPlan {
    let e: Vec<f64> = energy.iter().map(|&x| f64::from(x.max(0.0))).collect();
    let flat = vec![0.0; e.len()];
    let input_lra = loudness_range(&e, &flat);
    let input_lufs = integrated(&e, &flat);
    let linear = DynamicPlan {
        curve: None,
        lufs: input_lufs,
        lra_lu: input_lra,
        frames: e.len(),
    };
    if input_lra <= lra_target_lu {
        return linear;
    }
    let Some(gate) = range_gate(&e, &flat) else {
        return linear;
    };
    // Sub-blocks far under the gate are silence: they do not count in the contour
    // either, or music would rise for 1.5 s out of silence and at its end.
    let contour = contour(&e, energy_of(gate - SILENCE_UNDER_GATE_LU));
    let gated: Vec<bool> = contour.iter().map(|&c| c >= gate).collect();
    let mut levels: Vec<f64> = contour
        .iter()
        .zip(&gated)
        .filter(|(_, g)| **g)
        .map(|(&c, _)| c)
        .collect();
    if levels.is_empty() {
        return linear;
    }
    levels.sort_by(f64::total_cmp);
    let (p10, p95) = (percentile(&levels, 0.10), percentile(&levels, 0.95));
    let centre = (p10 + p95) / 2.0;
    let aim = (lra_target_lu - LRA_MARGIN_LU).max(0.0);
    let curve_for = |width: f64| {
        let (lo, hi) = (centre - width / 2.0, centre + width / 2.0);
        let wanted: Vec<Option<f64>> = contour
            .iter()
            .zip(&gated)
            .map(|(&c, &g)| g.then(|| c.clamp(lo, hi) - c))
            .collect();
        smooth(&hold(&wanted))
    };
    // The band's width: the widest whose output lands on the aim. Width 0 flattens the
    // contour entirely; its output range is the least the plan can reach.
    let (mut narrow, mut wide) = (0.0, (p95 - p10).max(0.0));
    let mut best = curve_for(narrow);
    for _ in 0..STEPS {
        let mid = (narrow + wide) / 2.0;
        let g = curve_for(mid);
        if loudness_range(&e, &g) <= aim {
            narrow = mid;
            best = g;
        } else {
            wide = mid;
        }
    }
    let lra_lu = loudness_range(&e, &best);
    DynamicPlan {
        lufs: integrated(&e, &best),
        lra_lu,
        frames: e.len(),
        curve: Some(GainCurve {
            db: best.iter().map(|&g| g as f32).collect(),
        }),
    }
}

/// The level of each sub-block's centred 3 s window, LUFS, over the sub-blocks in it at
/// or above `floor` (energy); -inf where it holds none. Windows at the ends are cut short.
fn contour(e: &[f64], floor: f64) -> Vec<f64> {
    let n = e.len();
    let mut sums = Vec::with_capacity(n + 1);
    let mut counts = Vec::with_capacity(n + 1);
    let (mut sum, mut count) = (0.0, 0usize);
    sums.push(sum);
    counts.push(count);
    for &x in e {
        if x >= floor && x > 0.0 {
            sum += x;
            count += 1;
        }
        sums.push(sum);
        counts.push(count);
    }
    (0..n)
        .map(|k| {
            let a = k.saturating_sub(HALF_WINDOW);
            let b = (k + HALF_WINDOW).min(n);
            let c = counts[b] - counts[a];
            if c == 0 {
                return f64::NEG_INFINITY;
            }
            lufs((sums[b] - sums[a]) / c as f64)
        })
        .collect()
}

fn energy_of(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

/// Fills the sub-blocks that do not steer the gain (`None`) from their neighbours: a run
/// at the start takes the first steered value, a run at the end the last, a run between
/// two steered stretches the left one's value in its first half and the right one's in
/// its second, so the gain moves inside the quiet stretch, not in the music around it.
fn hold(wanted: &[Option<f64>]) -> Vec<f64> {
    let n = wanted.len();
    let mut out = vec![0.0; n];
    let mut k = 0;
    while k < n {
        if let Some(v) = wanted[k] {
            out[k] = v;
            k += 1;
            continue;
        }
        let start = k;
        while k < n && wanted[k].is_none() {
            k += 1;
        }
        let left = start.checked_sub(1).and_then(|i| wanted[i]);
        let right = wanted.get(k).copied().flatten();
        let mid = start + (k - start) / 2;
        for (i, slot) in out.iter_mut().enumerate().take(k).skip(start) {
            *slot = match (left, right) {
                (Some(l), Some(r)) => {
                    if i < mid {
                        l
                    } else {
                        r
                    }
                }
                (Some(v), None) | (None, Some(v)) => v,
                (None, None) => 0.0,
            };
        }
    }
    out
}

/// Caps the slope by lowering (a gain may always come down earlier and go up later than
/// wanted, never the reverse), then smooths with a Gaussian.
fn smooth(g: &[f64]) -> Vec<f64> {
    let n = g.len();
    let mut s = g.to_vec();
    for k in 1..n {
        s[k] = s[k].min(s[k - 1] + MAX_SLOPE_DB);
    }
    for k in (0..n.saturating_sub(1)).rev() {
        s[k] = s[k].min(s[k + 1] + MAX_SLOPE_DB);
    }
    let reach = (3.0 * SMOOTH_SIGMA).ceil() as usize;
    let kernel: Vec<f64> = (0..=2 * reach)
        .map(|i| {
            let x = i as f64 - reach as f64;
            (-0.5 * (x / SMOOTH_SIGMA).powi(2)).exp()
        })
        .collect();
    (0..n)
        .map(|k| {
            // Cut at the ends and renormalised: a constant stays constant.
            let (mut sum, mut wsum) = (0.0, 0.0);
            for (i, w) in kernel.iter().enumerate() {
                let j = k as isize + i as isize - reach as isize;
                if j >= 0 && (j as usize) < n {
                    sum += w * s[j as usize];
                    wsum += w;
                }
            }
            sum / wsum
        })
        .collect()
}

/// Energies of the blocks of `len` sub-blocks ending at each sub-block, after the gain
/// `g` (dB per sub-block); none before the first full block.
fn blocks(e: &[f64], g: &[f64], len: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(e.len().saturating_sub(len - 1));
    let mut sum = 0.0;
    let scaled: Vec<f64> = e
        .iter()
        .zip(g)
        .map(|(&x, &d)| x * 10f64.powf(d / 10.0))
        .collect();
    for k in 0..scaled.len() {
        sum += scaled[k];
        if k >= len {
            sum -= scaled[k - len];
        }
        if k + 1 >= len {
            out.push((sum / len as f64).max(0.0));
        }
    }
    out
}

/// BS.1770 integrated loudness after the gain `g`; `None` for silence.
fn integrated(e: &[f64], g: &[f64]) -> Option<f64> {
    let mut b = blocks(e, g, MOMENTARY);
    if b.is_empty() {
        // Shorter than a block: measured as one, as the meter does.
        let total: f64 = e
            .iter()
            .zip(g)
            .map(|(&x, &d)| x * 10f64.powf(d / 10.0))
            .sum();
        b.push(total / e.len().max(1) as f64);
    }
    let abs: Vec<f64> = b
        .into_iter()
        .filter(|&x| x > 0.0 && lufs(x) > ABSOLUTE_GATE_LUFS)
        .collect();
    if abs.is_empty() {
        return None;
    }
    let gate = lufs(abs.iter().sum::<f64>() / abs.len() as f64) - 10.0;
    let rel: Vec<f64> = abs.into_iter().filter(|&x| lufs(x) > gate).collect();
    (!rel.is_empty()).then(|| lufs(rel.iter().sum::<f64>() / rel.len() as f64))
}

/// Tech 3342's relative gate over the short-term blocks after the gain `g`.
fn range_gate(e: &[f64], g: &[f64]) -> Option<f64> {
    let abs: Vec<f64> = blocks(e, g, SHORT_TERM)
        .into_iter()
        .filter(|&x| x > 0.0 && lufs(x) > ABSOLUTE_GATE_LUFS)
        .collect();
    (!abs.is_empty()).then(|| lufs(abs.iter().sum::<f64>() / abs.len() as f64) - 20.0)
}

/// Tech 3342 loudness range after the gain `g`, with the meter's nearest-rank percentiles.
pub(crate) fn loudness_range(e: &[f64], g: &[f64]) -> f64 {
    let Some(gate) = range_gate(e, g) else {
        return 0.0;
    };
    let gate = gate.max(ABSOLUTE_GATE_LUFS);
    let mut levels: Vec<f64> = blocks(e, g, SHORT_TERM)
        .into_iter()
        .filter(|&x| x > 0.0)
        .map(lufs)
        .filter(|&l| l > gate)
        .collect();
    if levels.is_empty() {
        return 0.0;
    }
    levels.sort_by(f64::total_cmp);
    (percentile(&levels, 0.95) - percentile(&levels, 0.10)).max(0.0)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p * n as f64).round_ties_even() as usize).max(1) - 1;
    sorted[rank.min(n - 1)]
}

#[cfg(test)]
mod tests;
