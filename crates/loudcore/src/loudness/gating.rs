//! Gated statistics over loudness blocks (BS.1770 integrated loudness, EBU Tech 3342 LRA)
//! kept in a fixed-size histogram, so memory does not grow with duration. Each bin keeps
//! the exact energy sum of its blocks; only a block in the one bin that straddles the
//! relative gate is classified to within the bin width.

/// Absolute gate of BS.1770 and Tech 3342.
pub(crate) const ABSOLUTE_GATE_LUFS: f64 = -70.0;
const TOP_LUFS: f64 = 10.0;
/// 0.005 LU bins: percentiles and gates land well inside the 0.1 LU tolerances.
const BINS_PER_LU: f64 = 200.0;
/// Bins of a histogram that answers for the stream at any gain (see
/// [`Histogram::for_any_gain`]): each bin's energy sum is still exact, so only blocks in
/// the bins straddling a gate are classified to within 0.05 LU.
const ANY_GAIN_BINS_PER_LU: f64 = 20.0;
/// How far under the absolute gate such a histogram keeps blocks: the largest gain it
/// answers for.
pub(crate) const ANY_GAIN_HEADROOM_LU: f64 = 60.0;

/// Loudness in LUFS of a weighted mean-square energy.
#[inline]
pub(crate) fn lufs(energy: f64) -> f64 {
    -0.691 + 10.0 * energy.log10()
}

/// Energy of a loudness in LUFS.
#[inline]
#[cfg(test)]
pub(crate) fn energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

#[derive(Clone, Debug)]
pub(crate) struct Histogram {
    /// Level of the bottom of the lowest bin: blocks under it are not kept.
    floor: f64,
    per_lu: f64,
    count: Vec<u64>,
    sum: Vec<f64>,
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Self::spanning(ABSOLUTE_GATE_LUFS, BINS_PER_LU)
    }

    /// A histogram of blocks down to [`ANY_GAIN_HEADROOM_LU`] under the absolute gate, in
    /// coarser bins (38 KB rather than 256 KB): it measures the stream as it would measure
    /// after any gain up to that headroom ([`Histogram::integrated_after`]), and a limiter
    /// sweep keeps dozens. The absolute gate does not move with gain: after +20 dB, blocks
    /// that were under it count, and on quiet inputs they move the relative gate.
    pub(crate) fn for_any_gain() -> Self {
        Self::spanning(
            ABSOLUTE_GATE_LUFS - ANY_GAIN_HEADROOM_LU,
            ANY_GAIN_BINS_PER_LU,
        )
    }

    fn spanning(floor: f64, per_lu: f64) -> Self {
        let bins = ((TOP_LUFS - floor) * per_lu) as usize;
        Histogram {
            floor,
            per_lu,
            count: vec![0; bins],
            sum: vec![0.0; bins],
        }
    }

    fn bin_of(&self, l: f64) -> usize {
        (((l - self.floor) * self.per_lu).max(0.0) as usize).min(self.count.len() - 1)
    }

    fn bin_center(&self, i: usize) -> f64 {
        self.floor + (i as f64 + 0.5) / self.per_lu
    }

    /// First bin at or above `level`: bins wholly under it are left out, and the one
    /// straddling it is in.
    fn first_bin(&self, level: f64) -> usize {
        if level <= self.floor {
            0
        } else {
            self.bin_of(level)
        }
    }

    /// Adds a block of the given energy if it passes the absolute gate.
    pub(crate) fn add(&mut self, e: f64) {
        if e <= 0.0 {
            return;
        }
        let l = lufs(e);
        if l < self.floor {
            return;
        }
        let i = self.bin_of(l);
        self.count[i] += 1;
        self.sum[i] += e;
    }

    fn totals_from(&self, first: usize) -> (u64, f64) {
        let n = self.count[first..].iter().sum();
        let e = self.sum[first..].iter().sum();
        (n, e)
    }

    /// The relative gate `offset_lu` below the mean energy of the absolutely gated blocks.
    pub(crate) fn relative_gate(&self, offset_lu: f64) -> Option<f64> {
        let (n, e) = self.totals_from(self.first_bin(ABSOLUTE_GATE_LUFS));
        (n > 0).then(|| lufs(e / n as f64) + offset_lu)
    }

    /// BS.1770 integrated loudness and its relative gate (-10 LU).
    pub(crate) fn integrated(&self) -> Option<(f64, f64)> {
        let gate = self.relative_gate(-10.0)?;
        let (n, e) = self.totals_from(self.first_bin(gate));
        (n > 0).then(|| (lufs(e / n as f64), gate.max(ABSOLUTE_GATE_LUFS)))
    }

    /// Integrated loudness of the stream after a gain of `gain_db`: the absolute gate
    /// sits `gain_db` lower on the blocks as measured; the relative gate follows them.
    pub(crate) fn integrated_after(&self, gain_db: f64) -> Option<f64> {
        let abs_gate = ABSOLUTE_GATE_LUFS - gain_db;
        let (n, e) = self.totals_over(abs_gate);
        if n <= 0.0 {
            return None;
        }
        let gate = lufs(e / n) - 10.0;
        let (n, e) = self.totals_over(gate.max(abs_gate));
        (n > 0.0).then(|| lufs(e / n) + gain_db)
    }

    /// Count and energy of the blocks at or over `level`, taking from the bin that
    /// straddles it the share of the bin over `level` (blocks are assumed spread evenly in
    /// it): a coarse histogram then reads a gate moving with gain smoothly, not in steps.
    fn totals_over(&self, level: f64) -> (f64, f64) {
        let x = ((level - self.floor) * self.per_lu).max(0.0);
        let i = x as usize;
        if i >= self.count.len() {
            return (0.0, 0.0);
        }
        let (n, e) = self.totals_from(i + 1);
        let share = 1.0 - (x - i as f64);
        (
            n as f64 + share * self.count[i] as f64,
            e + share * self.sum[i],
        )
    }

    /// Tech 3342 loudness range: the 10th to 95th percentile of short-term blocks above a
    /// relative gate 20 LU under their mean. Percentiles are nearest-rank (the k-th smallest
    /// value with k = round(p * n)), the rule FFmpeg's ebur128 filter uses, so short files
    /// agree with it too.
    pub(crate) fn loudness_range(&self) -> f64 {
        let Some(gate) = self.relative_gate(-20.0) else {
            return 0.0;
        };
        let first = self.first_bin(gate.max(ABSOLUTE_GATE_LUFS));
        let n: u64 = self.count[first..].iter().sum();
        if n == 0 {
            return 0.0;
        }
        let rank = |p: f64| ((p * n as f64).round_ties_even() as u64).max(1) - 1;
        let (lo_rank, hi_rank) = (rank(0.10), rank(0.95));
        let (mut lo, mut hi) = (None, None);
        let mut seen = 0u64;
        for i in first..self.count.len() {
            let c = self.count[i];
            if c == 0 {
                continue;
            }
            if lo.is_none() && seen + c > lo_rank {
                lo = Some(self.mean_in_bin(i));
            }
            if seen + c > hi_rank {
                hi = Some(self.mean_in_bin(i));
                break;
            }
            seen += c;
        }
        match (lo, hi) {
            (Some(lo), Some(hi)) => (hi - lo).max(0.0),
            _ => 0.0,
        }
    }

    /// The loudness of a bin's blocks: their mean energy, which for a bin holding one
    /// level (steady test tones) is that level exactly.
    fn mean_in_bin(&self, i: usize) -> f64 {
        if self.count[i] > 0 {
            let l = lufs(self.sum[i] / self.count[i] as f64);
            if (l - self.bin_center(i)).abs() <= 0.5 / self.per_lu + 1e-9 {
                return l;
            }
        }
        self.bin_center(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrated_of_two_levels() {
        let mut h = Histogram::new();
        for _ in 0..100 {
            h.add(energy(-20.0));
            h.add(energy(-26.0));
        }
        // Both above the gate: mean energy.
        let expect = lufs((energy(-20.0) + energy(-26.0)) / 2.0);
        let (i, _) = h.integrated().expect("loud");
        assert!((i - expect).abs() < 1e-9);
        // A block 40 LU down is gated out relatively.
        h.add(energy(-66.0));
        let (i2, _) = h.integrated().expect("loud");
        assert!((i2 - expect).abs() < 1e-9);
    }

    #[test]
    fn silence_has_no_integrated_loudness() {
        let mut h = Histogram::new();
        h.add(0.0);
        h.add(energy(-80.0));
        assert!(h.integrated().is_none());
        assert_eq!(h.loudness_range(), 0.0);
    }

    #[test]
    fn after_a_gain_blocks_under_the_absolute_gate_count() {
        let levels = [-60.0, -62.0, -72.0];
        let histogram = |gain: f64, mut h: Histogram| {
            for _ in 0..100 {
                for l in levels {
                    h.add(energy(l + gain));
                }
            }
            h
        };
        let h = histogram(0.0, Histogram::for_any_gain());
        // At unity the -72 LUFS blocks are under the absolute gate.
        let (i, _) = histogram(0.0, Histogram::new()).integrated().expect("loud");
        assert!((h.integrated_after(0.0).expect("loud") - i).abs() < 1e-9);
        assert!((i - lufs((energy(-60.0) + energy(-62.0)) / 2.0)).abs() < 1e-9);
        // 20 dB up they are over it, and over the relative gate (-52.5): they count, and
        // the loudness rises 1.6 LU less than the gain.
        let (want, _) = histogram(20.0, Histogram::new())
            .integrated()
            .expect("loud");
        let got = h.integrated_after(20.0).expect("loud");
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        assert!(got < i + 20.0 - 1.0, "{got} vs {i}");
    }

    #[test]
    fn range_of_two_levels() {
        let mut h = Histogram::new();
        for _ in 0..200 {
            h.add(energy(-20.0));
            h.add(energy(-30.0));
        }
        assert!((h.loudness_range() - 10.0).abs() < 0.01);
    }
}
