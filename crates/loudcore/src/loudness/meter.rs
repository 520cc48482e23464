//! The BS.1770 / EBU R128 meter: K-weighted energy in 100 ms sub-blocks, from which come
//! momentary (400 ms), short-term (3 s, every 100 ms as Tech 3342 asks), integrated
//! loudness, loudness range, and sample and true peaks.

use super::gating::{self, Histogram};
use super::kweight::{KWeighting, sum_squares_pair, weighted_squares_pair_into};
use super::true_peak::TruePeak;

/// Short-term window in 100 ms sub-blocks.
const SHORT_TERM_SUBBLOCKS: usize = 30;
/// Momentary window in 100 ms sub-blocks.
const MOMENTARY_SUBBLOCKS: usize = 4;

/// One point of the loudness curve, every 100 ms.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct CurvePoint {
    /// End of the measurement window, seconds from the start.
    pub t_s: f64,
    /// Momentary loudness (400 ms window), `None` before the window is full or below -70 LUFS... as
    /// a number when any signal is present.
    pub momentary_lufs: Option<f64>,
    /// Short-term loudness (3 s window), `None` before the window is full.
    pub short_term_lufs: Option<f64>,
}

/// What a meter measured.
#[derive(Clone, Debug, Default)]
pub(crate) struct Loudness {
    pub integrated_lufs: Option<f64>,
    pub threshold_lufs: Option<f64>,
    pub lra_lu: f64,
    pub true_peak_dbtp: Option<f64>,
    pub sample_peak_dbfs: Option<f64>,
    pub max_momentary_lufs: Option<f64>,
    pub max_short_term_lufs: Option<f64>,
    pub curve: Option<Vec<CurvePoint>>,
    /// Mean K-weighted power of every 100 ms sub-block, the last one possibly partial
    /// (kept on request: dynamic mode plans its gain curve from them).
    pub subblocks: Option<Vec<f32>>,
}

/// BS.1770-4 channel weights from a WAVE-style channel mask (or the default layout for the
/// channel count when the mask is unknown): LFE is left out, surround channels count +1.5 dB.
pub(crate) fn channel_weights(channels: usize, mask: Option<u64>) -> Vec<f64> {
    const FL: u64 = 1;
    const FR: u64 = 1 << 1;
    const FC: u64 = 1 << 2;
    const LFE: u64 = 1 << 3;
    const BL: u64 = 1 << 4;
    const BR: u64 = 1 << 5;
    const BC: u64 = 1 << 8;
    const SL: u64 = 1 << 9;
    const SR: u64 = 1 << 10;
    const LFE2: u64 = 1 << 18;
    let mask = match mask {
        Some(m) if m.count_ones() as usize == channels => m,
        _ => match channels {
            1 => FC,
            2 => FL | FR,
            3 => FL | FR | FC,
            4 => FL | FR | BL | BR,
            5 => FL | FR | FC | BL | BR,
            6 => FL | FR | FC | LFE | BL | BR,
            7 => FL | FR | FC | LFE | BC | SL | SR,
            8 => FL | FR | FC | LFE | BL | BR | SL | SR,
            _ => return vec![1.0; channels],
        },
    };
    (0..64)
        .map(|b| 1u64 << b)
        .filter(|bit| mask & bit != 0)
        .map(|bit| match bit {
            LFE | LFE2 => 0.0,
            BL | BR | SL | SR => 1.41,
            _ => 1.0,
        })
        .collect()
}

/// A streaming loudness meter for interleaved f32 audio.
#[derive(Clone)]
pub(crate) struct Meter {
    sample_rate: u32,
    /// Frames of the stream per value pushed: 1, or the block length of a power stream
    /// summarised in blocks (see [`Meter::for_power_blocks`]).
    decimation: u64,
    weights: Vec<f64>,
    kw: Vec<KWeighting>,
    tp: TruePeak,
    sample_peak: f32,
    /// Frames consumed so far.
    frames: u64,
    /// Index of the sub-block being filled.
    sub_index: u64,
    /// Weighted sum of squares and frame count of the sub-block being filled.
    cur_sum: f64,
    cur_frames: u64,
    /// The last closed sub-blocks, oldest first, as (weighted sum of squares, frames).
    ring: [(f64, u64); SHORT_TERM_SUBBLOCKS],
    ring_len: usize,
    ring_pos: usize,
    momentary: Histogram,
    short_term: Histogram,
    any_momentary: bool,
    any_short_term: bool,
    max_m: Option<f64>,
    max_s: Option<f64>,
    curve: Option<Vec<CurvePoint>>,
    subblocks: Option<Vec<f32>>,
    chbufs: Vec<Vec<f32>>,
    /// Measure sample and true peaks (off for loudness-only calibration runs).
    peaks: bool,
    seg_ends: Vec<usize>,
    seg_sums: Vec<f64>,
}

impl Meter {
    pub(crate) fn new(sample_rate: u32, weights: Vec<f64>, curve: bool) -> Self {
        let n = weights.len();
        Meter {
            sample_rate,
            decimation: 1,
            kw: vec![KWeighting::new(sample_rate); n],
            tp: TruePeak::new(sample_rate, n),
            weights,
            sample_peak: 0.0,
            frames: 0,
            sub_index: 0,
            cur_sum: 0.0,
            cur_frames: 0,
            ring: [(0.0, 0); SHORT_TERM_SUBBLOCKS],
            ring_len: 0,
            ring_pos: 0,
            momentary: Histogram::new(),
            short_term: Histogram::new(),
            any_momentary: false,
            any_short_term: false,
            max_m: None,
            max_s: None,
            curve: curve.then(Vec::new),
            subblocks: None,
            chbufs: Vec::new(),
            peaks: true,
            seg_ends: Vec::new(),
            seg_sums: Vec::new(),
        }
    }

    /// Also keeps the mean power of every 100 ms sub-block (4 bytes per 100 ms).
    pub(crate) fn with_subblocks(mut self) -> Self {
        self.subblocks = Some(Vec::new());
        self
    }

    /// A meter of loudness only: no sample or true peaks, for a third of the cost.
    pub(crate) fn loudness_only(mut self) -> Self {
        self.peaks = false;
        self
    }

    /// A loudness-only meter of a power stream given as the mean power of each block of
    /// `decimation` frames (through [`Meter::push_power`]), which measures the stream as
    /// it would measure after any gain ([`Meter::finish_for_any_gain`]); a limiter sweep
    /// keeps dozens. Sub-blocks end where the block holding their exact end starts, so
    /// they are 100 ms to within one block.
    pub(crate) fn for_power_blocks(sample_rate: u32, decimation: usize) -> Self {
        let mut m = Meter::new(sample_rate, vec![1.0], false).loudness_only();
        m.decimation = decimation.max(1) as u64;
        m.momentary = Histogram::for_any_gain();
        m.short_term = Histogram::for_any_gain();
        m
    }

    pub(crate) fn channels(&self) -> usize {
        self.weights.len()
    }

    /// First frame of sub-block `k`; boundaries are exact even where 100 ms is not a whole
    /// number of samples (11025 Hz).
    fn sub_start(&self, k: u64) -> u64 {
        k * u64::from(self.sample_rate) / (10 * self.decimation)
    }

    /// Feeds interleaved samples; a trailing partial frame is ignored.
    pub(crate) fn push(&mut self, interleaved: &[f32]) {
        let nch = self.channels();
        if nch == 0 {
            return;
        }
        let n = interleaved.len() / nch;
        if n == 0 {
            return;
        }
        self.split_subblocks(n);

        // De-interleave once; every stage below reads contiguous channel buffers.
        self.chbufs.resize_with(nch, Vec::new);
        for (ch, buf) in self.chbufs.iter_mut().enumerate() {
            buf.clear();
            crate::pcm::channel_into(interleaved, nch, ch, n, buf);
        }
        if self.peaks {
            for (ch, buf) in self.chbufs.iter().enumerate() {
                let peak = buf.iter().fold(0f32, |a, &b| a.max(b.abs()));
                self.sample_peak = self.sample_peak.max(peak);
                self.tp.push(ch, buf);
            }
        }
        let mut ch = 0;
        while ch < nch {
            let mut start = 0;
            for (s, &end) in self.seg_ends.iter().chain(std::iter::once(&n)).enumerate() {
                if ch + 1 < nch {
                    let (ka, kb) = self.kw.split_at_mut(ch + 1);
                    let (qa, qb) = sum_squares_pair(
                        &mut ka[ch],
                        &self.chbufs[ch][start..end],
                        &mut kb[0],
                        &self.chbufs[ch + 1][start..end],
                    );
                    self.seg_sums[s] += self.weights[ch] * qa + self.weights[ch + 1] * qb;
                } else {
                    let q = self.kw[ch].sum_squares(&self.chbufs[ch][start..end]);
                    self.seg_sums[s] += self.weights[ch] * q;
                }
                start = end;
            }
            ch += 2;
        }

        self.accumulate(n);
    }

    /// Feeds the K-weighted, channel-weighted power of each frame (as [`KPower`] gives it)
    /// instead of audio. A meter fed this way measures loudness only.
    pub(crate) fn push_power(&mut self, power: &[f32]) {
        let n = power.len();
        if n == 0 {
            return;
        }
        self.split_subblocks(n);
        let mut start = 0;
        for (s, &end) in self.seg_ends.iter().chain(std::iter::once(&n)).enumerate() {
            self.seg_sums[s] = power[start..end].iter().map(|&p| f64::from(p)).sum();
            start = end;
        }
        self.accumulate(n);
    }

    /// Finds where the sub-blocks end inside the next `n` frames (`seg_ends`) and clears
    /// one sum per segment between them.
    fn split_subblocks(&mut self, n: usize) {
        self.seg_ends.clear();
        let mut k = self.sub_index + 1;
        loop {
            let end = self.sub_start(k);
            if end > self.frames + n as u64 {
                break;
            }
            self.seg_ends.push((end - self.frames) as usize);
            k += 1;
        }
        self.seg_sums.clear();
        self.seg_sums.resize(self.seg_ends.len() + 1, 0.0);
    }

    /// Adds the segment sums of the next `n` frames, closing sub-blocks at their ends.
    fn accumulate(&mut self, n: usize) {
        let mut start = 0;
        for s in 0..self.seg_sums.len() {
            let end = if s < self.seg_ends.len() {
                self.seg_ends[s]
            } else {
                n
            };
            self.cur_sum += self.seg_sums[s];
            self.cur_frames += (end - start) as u64;
            start = end;
            if s < self.seg_ends.len() {
                self.close_subblock();
            }
        }
        self.frames += n as u64;
    }

    fn window(&self, len: usize) -> Option<f64> {
        if self.ring_len < len {
            return None;
        }
        let (mut sum, mut frames) = (0.0, 0u64);
        for i in 0..len {
            let idx = (self.ring_pos + SHORT_TERM_SUBBLOCKS - 1 - i) % SHORT_TERM_SUBBLOCKS;
            sum += self.ring[idx].0;
            frames += self.ring[idx].1;
        }
        (frames > 0).then(|| sum / frames as f64)
    }

    fn close_subblock(&mut self) {
        if let Some(sub) = self.subblocks.as_mut() {
            sub.push(mean_power(self.cur_sum, self.cur_frames));
        }
        self.ring[self.ring_pos] = (self.cur_sum, self.cur_frames);
        self.ring_pos = (self.ring_pos + 1) % SHORT_TERM_SUBBLOCKS;
        self.ring_len = (self.ring_len + 1).min(SHORT_TERM_SUBBLOCKS);
        self.cur_sum = 0.0;
        self.cur_frames = 0;
        self.sub_index += 1;

        let m = self.window(MOMENTARY_SUBBLOCKS);
        let s = self.window(SHORT_TERM_SUBBLOCKS);
        if let Some(e) = m {
            self.any_momentary = true;
            self.momentary.add(e);
            if e > 0.0 {
                let l = gating::lufs(e);
                self.max_m = Some(self.max_m.map_or(l, |x: f64| x.max(l)));
            }
        }
        if let Some(e) = s {
            self.any_short_term = true;
            self.short_term.add(e);
            if e > 0.0 {
                let l = gating::lufs(e);
                self.max_s = Some(self.max_s.map_or(l, |x: f64| x.max(l)));
            }
        }
        if let Some(curve) = self.curve.as_mut() {
            let to_lufs = |e: Option<f64>| e.filter(|&e| e > 0.0).map(gating::lufs);
            curve.push(CurvePoint {
                t_s: self.sub_index as f64 / 10.0,
                momentary_lufs: to_lufs(m),
                short_term_lufs: to_lufs(s),
            });
        }
    }

    /// Energy over everything measured so far, for inputs shorter than a window.
    fn whole_energy(&self) -> Option<f64> {
        let (mut sum, mut frames) = (self.cur_sum, self.cur_frames);
        for i in 0..self.ring_len {
            let idx = (self.ring_pos + SHORT_TERM_SUBBLOCKS - 1 - i) % SHORT_TERM_SUBBLOCKS;
            sum += self.ring[idx].0;
            frames += self.ring[idx].1;
        }
        (frames > 0).then(|| sum / frames as f64)
    }

    /// The gating blocks of a meter made by [`Meter::for_power_blocks`], to measure the
    /// stream after any gain ([`Histogram::integrated_after`]); `None` for a stream
    /// shorter than one block (400 ms).
    pub(crate) fn finish_for_any_gain(self) -> Option<Histogram> {
        self.any_momentary.then_some(self.momentary)
    }

    pub(crate) fn finish(mut self) -> Loudness {
        self.tp.finish();
        if let Some(sub) = self.subblocks.as_mut() {
            if self.cur_frames > 0 {
                sub.push(mean_power(self.cur_sum, self.cur_frames));
            }
        }
        // An input shorter than one window still has a loudness: measure it as one block.
        if !self.any_momentary || !self.any_short_term {
            if let Some(e) = self.whole_energy().filter(|&e| e > 0.0) {
                let l = gating::lufs(e);
                if !self.any_momentary {
                    self.momentary.add(e);
                    self.max_m = Some(l);
                }
                if !self.any_short_term {
                    self.max_s = Some(l);
                }
            }
        }
        let (integrated, threshold) = match self.momentary.integrated() {
            Some((i, t)) => (Some(i), Some(t)),
            None => (None, None),
        };
        let db = |x: f32| (x > 0.0).then(|| 20.0 * f64::from(x).log10());
        let true_peak = self
            .tp
            .peaks()
            .iter()
            .fold(0f32, |a, &b| a.max(b))
            .max(self.sample_peak);
        Loudness {
            integrated_lufs: integrated,
            threshold_lufs: threshold,
            lra_lu: self.short_term.loudness_range(),
            true_peak_dbtp: db(true_peak),
            sample_peak_dbfs: db(self.sample_peak),
            max_momentary_lufs: self.max_m,
            max_short_term_lufs: self.max_s,
            curve: self.curve,
            subblocks: self.subblocks,
        }
    }
}

fn mean_power(sum: f64, frames: u64) -> f32 {
    if frames > 0 {
        (sum / frames as f64) as f32
    } else {
        0.0
    }
}

/// The K-weighted power of a stream, frame by frame: the sum over channels of weight times
/// the squared K-weighted sample. A limiter's gain moves slowly (milliseconds) against
/// the K-weighting filters' memory, so the power of a limited signal is, to within
/// thousandths of an LU, this power times the squared gain: calibration computes it once
/// per rate and measures every candidate gain from it, without filtering each candidate.
pub(crate) struct KPower {
    weights: Vec<f64>,
    kw: Vec<KWeighting>,
    chbufs: [Vec<f32>; 2],
    acc: Vec<f64>,
}

impl KPower {
    pub(crate) fn new(sample_rate: u32, weights: Vec<f64>) -> Self {
        KPower {
            kw: vec![KWeighting::new(sample_rate); weights.len()],
            weights,
            chbufs: [Vec::new(), Vec::new()],
            acc: Vec::new(),
        }
    }

    /// Replaces `out` with one power value per whole frame of `interleaved`.
    pub(crate) fn push(&mut self, interleaved: &[f32], out: &mut Vec<f32>) {
        let nch = self.weights.len();
        let n = interleaved.len().checked_div(nch).unwrap_or(0);
        self.acc.clear();
        self.acc.resize(n, 0.0);
        // Measured channels (LFE is not), two at a time where possible.
        let measured: Vec<usize> = (0..nch).filter(|&c| self.weights[c] != 0.0).collect();
        for pair in measured.chunks(2) {
            self.chbufs[0].clear();
            crate::pcm::channel_into(interleaved, nch, pair[0], n, &mut self.chbufs[0]);
            let (wa, (ka, kb)) = (self.weights[pair[0]], self.kw.split_at_mut(pair[0] + 1));
            match pair.get(1) {
                Some(&c) => {
                    self.chbufs[1].clear();
                    crate::pcm::channel_into(interleaved, nch, c, n, &mut self.chbufs[1]);
                    weighted_squares_pair_into(
                        (&mut ka[pair[0]], &self.chbufs[0], wa),
                        (&mut kb[c - pair[0] - 1], &self.chbufs[1], self.weights[c]),
                        &mut self.acc,
                    );
                }
                None => ka[pair[0]].weighted_squares_into(&self.chbufs[0], wa, &mut self.acc),
            }
        }
        out.clear();
        out.extend(self.acc.iter().map(|&p| p as f32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, ch: usize, f: f64, dbfs: f64, secs: f64) -> Vec<f32> {
        let a = 10f64.powf(dbfs / 20.0);
        let n = (rate as f64 * secs) as usize;
        let mut v = Vec::with_capacity(n * ch);
        for i in 0..n {
            let x = (a * (2.0 * std::f64::consts::PI * f * i as f64 / rate as f64).sin()) as f32;
            v.extend(std::iter::repeat_n(x, ch));
        }
        v
    }

    #[test]
    fn stereo_1k_at_minus_23() {
        for rate in [11_025, 44_100, 48_000, 96_000] {
            let mut m = Meter::new(rate, channel_weights(2, None), false);
            for c in sine(rate, 2, 1000.0, -23.0, 20.0).chunks(4096 * 2 + 6) {
                m.push(c);
            }
            let l = m.finish();
            let i = l.integrated_lufs.expect("loud");
            assert!((i + 23.0).abs() < 0.05, "{rate}: {i}");
            assert!(l.lra_lu < 0.1);
        }
    }

    #[test]
    fn short_input_still_measures() {
        let mut m = Meter::new(48_000, channel_weights(2, None), false);
        m.push(&sine(48_000, 2, 1000.0, -23.0, 0.25));
        let l = m.finish();
        assert!((l.integrated_lufs.expect("loud") + 23.0).abs() < 0.1);
    }

    #[test]
    fn silence_is_none() {
        let mut m = Meter::new(48_000, channel_weights(2, None), true);
        m.push(&vec![0.0; 48_000 * 2 * 5]);
        let l = m.finish();
        assert_eq!(l.integrated_lufs, None);
        assert_eq!(l.true_peak_dbtp, None);
        assert_eq!(l.lra_lu, 0.0);
        assert_eq!(l.curve.map(|c| c.len()), Some(50));
    }

    #[test]
    fn weights_for_51() {
        assert_eq!(
            channel_weights(6, None),
            vec![1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
        );
        assert_eq!(channel_weights(1, None), vec![1.0]);
    }
}
