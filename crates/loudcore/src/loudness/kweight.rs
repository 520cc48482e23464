//! The K-weighting pre-filter of ITU-R BS.1770: a high shelf followed by a high pass,
//! derived for any sample rate from the analogue prototype (the published 48 kHz
//! coefficients are this design evaluated at 48 kHz).

/// One biquad section, transposed direct form II, in f64: the 38 Hz high pass has poles
/// so close to the unit circle that f32 state drifts by hundredths of an LU.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Biquad {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    z1: f64,
    z2: f64,
}

impl Biquad {
    #[inline(always)]
    fn run(&mut self, x: f64) -> f64 {
        let y = self.b0 * x + self.z1;
        self.z1 = self.b1 * x - self.a1 * y + self.z2;
        self.z2 = self.b2 * x - self.a2 * y;
        y
    }
}

/// The two K-weighting stages for one channel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KWeighting {
    shelf: Biquad,
    highpass: Biquad,
}

impl KWeighting {
    pub(crate) fn new(sample_rate: u32) -> Self {
        let fs = f64::from(sample_rate);
        // Stage 1: high shelf, +4 dB above ~1.7 kHz (head acoustics).
        let f0 = 1_681.974_450_955_533;
        let gain_db = 3.999_843_853_973_347;
        let q = 0.707_175_236_955_419_6;
        let k = (std::f64::consts::PI * f0 / fs).tan();
        let vh = 10f64.powf(gain_db / 20.0);
        let vb = vh.powf(0.499_666_774_154_541_6);
        let a0 = 1.0 + k / q + k * k;
        let shelf = Biquad {
            b0: (vh + vb * k / q + k * k) / a0,
            b1: 2.0 * (k * k - vh) / a0,
            b2: (vh - vb * k / q + k * k) / a0,
            a1: 2.0 * (k * k - 1.0) / a0,
            a2: (1.0 - k / q + k * k) / a0,
            z1: 0.0,
            z2: 0.0,
        };
        // Stage 2: RLB high pass at ~38 Hz.
        let f0 = 38.135_470_876_024_44;
        let q = 0.500_327_037_323_877_3;
        let k = (std::f64::consts::PI * f0 / fs).tan();
        let a0 = 1.0 + k / q + k * k;
        let highpass = Biquad {
            b0: 1.0,
            b1: -2.0,
            b2: 1.0,
            a1: 2.0 * (k * k - 1.0) / a0,
            a2: (1.0 - k / q + k * k) / a0,
            z1: 0.0,
            z2: 0.0,
        };
        KWeighting { shelf, highpass }
    }

    /// Runs both stages over `x`, handing each output sample (with its index) to `each`.
    /// The filter state is copied into locals for the loop and written back after.
    #[inline(always)]
    fn filter(&mut self, x: &[f32], mut each: impl FnMut(usize, f64)) {
        let (mut s, mut h) = (self.shelf, self.highpass);
        for (i, &v) in x.iter().enumerate() {
            each(i, h.run(s.run(f64::from(v))));
        }
        self.shelf = s;
        self.highpass = h;
        self.flush_denormals();
    }

    /// Filters `x` and returns the sum of squares of the weighted signal.
    #[inline]
    pub(crate) fn sum_squares(&mut self, x: &[f32]) -> f64 {
        let mut acc = 0.0f64;
        self.filter(x, |_, y| acc += y * y);
        acc
    }

    /// Filters `x` and adds `weight` times each squared output to the matching `acc` entry.
    #[inline]
    pub(crate) fn weighted_squares_into(&mut self, x: &[f32], weight: f64, acc: &mut [f64]) {
        let n = x.len().min(acc.len());
        self.filter(&x[..n], |i, y| acc[i] += weight * y * y);
    }

    /// Zeroes vanishing filter state after long silences so the next block does not crawl
    /// through denormal arithmetic.
    fn flush_denormals(&mut self) {
        for st in [&mut self.shelf, &mut self.highpass] {
            if st.z1.abs() < 1e-30 {
                st.z1 = 0.0;
            }
            if st.z2.abs() < 1e-30 {
                st.z2 = 0.0;
            }
        }
    }
}

/// Runs two channels' filters in one loop, handing each pair of outputs (with its index)
/// to `each`: the two recurrences are independent, so the CPU overlaps them instead of
/// waiting on one filter's latency chain.
#[inline(always)]
fn filter_pair(
    a: &mut KWeighting,
    xa: &[f32],
    b: &mut KWeighting,
    xb: &[f32],
    mut each: impl FnMut(usize, f64, f64),
) {
    let (mut sa, mut ha, mut sb, mut hb) = (a.shelf, a.highpass, b.shelf, b.highpass);
    for (i, (&va, &vb)) in xa.iter().zip(xb).enumerate() {
        let ya = ha.run(sa.run(f64::from(va)));
        let yb = hb.run(sb.run(f64::from(vb)));
        each(i, ya, yb);
    }
    a.shelf = sa;
    a.highpass = ha;
    b.shelf = sb;
    b.highpass = hb;
    a.flush_denormals();
    b.flush_denormals();
}

/// [`KWeighting::weighted_squares_into`] for two channels in one loop.
#[inline]
pub(crate) fn weighted_squares_pair_into(
    (a, xa, wa): (&mut KWeighting, &[f32], f64),
    (b, xb, wb): (&mut KWeighting, &[f32], f64),
    acc: &mut [f64],
) {
    let n = xa.len().min(xb.len()).min(acc.len());
    filter_pair(a, &xa[..n], b, &xb[..n], |i, ya, yb| {
        acc[i] += wa * ya * ya + wb * yb * yb;
    });
}

/// [`KWeighting::sum_squares`] for two channels in one loop.
#[inline]
pub(crate) fn sum_squares_pair(
    a: &mut KWeighting,
    xa: &[f32],
    b: &mut KWeighting,
    xb: &[f32],
) -> (f64, f64) {
    let (mut acc_a, mut acc_b) = (0.0f64, 0.0f64);
    filter_pair(a, xa, b, xb, |_, ya, yb| {
        acc_a += ya * ya;
        acc_b += yb * yb;
    });
    (acc_a, acc_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 48 kHz coefficients printed in ITU-R BS.1770-4, Tables 1 and 2.
    #[test]
    fn matches_published_48k_coefficients() {
        let k = KWeighting::new(48_000);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(k.shelf.b0, 1.535_124_859_586_97));
        assert!(close(k.shelf.b1, -2.691_696_189_406_38));
        assert!(close(k.shelf.b2, 1.198_392_810_852_85));
        assert!(close(k.shelf.a1, -1.690_659_293_182_41));
        assert!(close(k.shelf.a2, 0.732_480_774_215_85));
        assert!(close(k.highpass.a1, -1.990_047_454_833_98));
        assert!(close(k.highpass.a2, 0.990_072_250_366_21));
    }
}
