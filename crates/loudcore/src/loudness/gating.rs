//! Gated statistics over loudness blocks (BS.1770 integrated loudness, EBU Tech 3342 LRA)
//! kept in a fixed-size histogram, so memory does not grow with duration. Each bin keeps
//! the exact energy sum of its blocks; only a block in the one bin that straddles the
//! relative gate is classified to within the bin width.

/// Absolute gate of BS.1770 and Tech 3342.
pub(crate) const ABSOLUTE_GATE_LUFS: f64 = -70.0;
const TOP_LUFS: f64 = 10.0;
/// 0.005 LU bins: percentiles and gates land well inside the 0.1 LU tolerances.
const BINS_PER_LU: f64 = 200.0;
const BINS: usize = ((TOP_LUFS - ABSOLUTE_GATE_LUFS) * BINS_PER_LU) as usize;

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
    count: Vec<u64>,
    sum: Vec<f64>,
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram {
            count: vec![0; BINS],
            sum: vec![0.0; BINS],
        }
    }

    fn bin_of(l: f64) -> usize {
        (((l - ABSOLUTE_GATE_LUFS) * BINS_PER_LU) as usize).min(BINS - 1)
    }

    fn bin_center(i: usize) -> f64 {
        ABSOLUTE_GATE_LUFS + (i as f64 + 0.5) / BINS_PER_LU
    }

    /// Adds a block of the given energy if it passes the absolute gate.
    pub(crate) fn add(&mut self, e: f64) {
        if e <= 0.0 {
            return;
        }
        let l = lufs(e);
        if l < ABSOLUTE_GATE_LUFS {
            return;
        }
        let i = Self::bin_of(l);
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
        let (n, e) = self.totals_from(0);
        (n > 0).then(|| lufs(e / n as f64) + offset_lu)
    }

    /// BS.1770 integrated loudness and its relative gate (-10 LU).
    pub(crate) fn integrated(&self) -> Option<(f64, f64)> {
        let gate = self.relative_gate(-10.0)?;
        let first = if gate <= ABSOLUTE_GATE_LUFS {
            0
        } else {
            Self::bin_of(gate)
        };
        let (n, e) = self.totals_from(first);
        (n > 0).then(|| (lufs(e / n as f64), gate.max(ABSOLUTE_GATE_LUFS)))
    }

    /// Tech 3342 loudness range: the 10th to 95th percentile of short-term blocks above a
    /// relative gate 20 LU under their mean. Percentiles are nearest-rank (the k-th smallest
    /// value with k = round(p * n)), the rule FFmpeg's ebur128 filter uses, so short files
    /// agree with it too.
    pub(crate) fn loudness_range(&self) -> f64 {
        let Some(gate) = self.relative_gate(-20.0) else {
            return 0.0;
        };
        let first = if gate <= ABSOLUTE_GATE_LUFS {
            0
        } else {
            Self::bin_of(gate)
        };
        let n: u64 = self.count[first..].iter().sum();
        if n == 0 {
            return 0.0;
        }
        let rank = |p: f64| ((p * n as f64).round_ties_even() as u64).max(1) - 1;
        let (lo_rank, hi_rank) = (rank(0.10), rank(0.95));
        let (mut lo, mut hi) = (None, None);
        let mut seen = 0u64;
        for i in first..BINS {
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
            if (l - Self::bin_center(i)).abs() <= 0.5 / BINS_PER_LU + 1e-9 {
                return l;
            }
        }
        Self::bin_center(i)
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
    fn range_of_two_levels() {
        let mut h = Histogram::new();
        for _ in 0..200 {
            h.add(energy(-20.0));
            h.add(energy(-30.0));
        }
        assert!((h.loudness_range() - 10.0).abs() < 0.01);
    }
}
