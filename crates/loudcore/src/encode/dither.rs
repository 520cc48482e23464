//! Quantisation of float samples to integer PCM, with TPDF dither for 16-bit output.
//!
//! Dither turns the quantisation error at 16 bits (about -98 dBFS) from distortion that
//! follows the signal into a constant, benign noise floor; at 24 bits the error is far below
//! any converter's noise, so 24-bit output is rounded plainly. The generator is seeded with
//! a constant, so the same input always gives byte-identical files (reproducible jobs and
//! tests).

/// Triangular-PDF dither of ±1 LSB peak: the sum of two independent uniform values.
#[derive(Clone, Debug)]
pub(crate) struct Tpdf {
    state: u64,
}

/// Seed of every encoder's dither: a fixed value keeps output deterministic.
pub(crate) const DEFAULT_SEED: u64 = 0x6c6f_7564_636f_7265; // "loudcore"

impl Tpdf {
    pub(crate) fn new(seed: u64) -> Tpdf {
        Tpdf { state: seed }
    }

    /// SplitMix64: tiny, fast, and statistically good enough for dither (no audible
    /// periodicity: the period is 2^64).
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// One dither value in LSB units, triangular on (-1, 1).
    pub(crate) fn next(&mut self) -> f32 {
        let r = self.next_u64();
        // Two independent 32-bit uniforms in [0, 1) from one draw.
        let scale = 1.0 / 4_294_967_296.0f64;
        let a = (r >> 32) as f64 * scale;
        let b = (r & 0xFFFF_FFFF) as f64 * scale;
        (a - b) as f32
    }
}

/// Converts float samples in [-1, 1) to signed integers of `bits` bits.
#[derive(Clone, Debug)]
pub(crate) struct Quantizer {
    scale: f32,
    min: f32,
    max: f32,
    dither: Option<Tpdf>,
}

impl Quantizer {
    /// A quantiser to `bits` (16 or 24); dithered at 16 bits.
    pub(crate) fn new(bits: u16) -> Quantizer {
        let full = (1u32 << (bits - 1)) as f32;
        Quantizer {
            scale: full,
            min: -full,
            max: full - 1.0,
            dither: (bits <= 16).then(|| Tpdf::new(DEFAULT_SEED)),
        }
    }

    /// Quantises one sample. Out-of-range values (and NaN, as 0) are clamped rather than
    /// wrapped: a limiter runs before, but a stray over is a click, a wrap a loud crack.
    #[inline]
    pub(crate) fn quantize(&mut self, x: f32) -> i32 {
        // Exact digital silence stays silent: dithering it would turn a silent channel (an
        // unused LFE, a leading gap) into noise that meters and "is it silent?" checks see.
        if x == 0.0 || x.is_nan() {
            return 0;
        }
        let mut v = x * self.scale;
        if let Some(d) = self.dither.as_mut() {
            v += d.next();
        }
        round_half_away(v.clamp(self.min, self.max))
    }
}

/// `x.round() as i32` for |x| < 2^31, without the call: baseline x86-64 has no rounding
/// instruction, so `f32::round` is a libm call per sample, which showed up at ~5% of an HLS
/// ladder's CPU. The cast truncates toward zero and the remainder is exact.
#[inline]
fn round_half_away(x: f32) -> i32 {
    let t = x as i32;
    let frac = x - t as f32;
    t + i32::from(frac >= 0.5) - i32::from(frac <= -0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpdf_is_triangular_zero_mean_and_deterministic() {
        let mut d = Tpdf::new(DEFAULT_SEED);
        let n = 200_000;
        let v: Vec<f32> = (0..n).map(|_| d.next()).collect();
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        let var = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / n as f64;
        assert!(v.iter().all(|x| x.abs() < 1.0));
        assert!(mean.abs() < 0.01, "mean {mean}");
        // Triangular on (-1, 1) has variance 1/6.
        assert!((var - 1.0 / 6.0).abs() < 0.005, "variance {var}");
        // Triangular: a quarter of the values lie beyond ±0.5 (the tails hold 2 · 1/8).
        let tails = v.iter().filter(|x| x.abs() > 0.5).count() as f64 / n as f64;
        assert!((tails - 0.25).abs() < 0.01, "tails {tails}");
        let mut again = Tpdf::new(DEFAULT_SEED);
        assert!(v.iter().take(100).all(|&x| x == again.next()));
    }

    #[test]
    fn rounding_matches_f32_round() {
        let mut edge = vec![
            0.5f32,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.49999997,
            -0.49999997,
            32767.5,
        ];
        edge.extend([-32768.5f32, 8_388_607.0, -8_388_608.0, 1e-30, -1e-30]);
        let mut d = Tpdf::new(3);
        edge.extend((0..100_000).map(|i| (i as f32 - 50_000.0) * 0.37 + d.next()));
        for x in edge {
            assert_eq!(round_half_away(x), x.round() as i32, "{x}");
        }
    }

    #[test]
    fn quantize_clamps_and_keeps_silence() {
        let mut q = Quantizer::new(16);
        assert_eq!(q.quantize(0.0), 0);
        assert_eq!(q.quantize(f32::NAN), 0);
        assert_eq!(q.quantize(2.0), 32767);
        assert_eq!(q.quantize(-2.0), -32768);
        assert_eq!(q.quantize(f32::INFINITY), 32767);
        let mut q = Quantizer::new(24);
        assert_eq!(q.quantize(0.5), 1 << 22);
        assert_eq!(q.quantize(-1.0), -(1 << 23));
        assert_eq!(q.quantize(1.0), (1 << 23) - 1);
        // Dithered 16-bit values stay within one LSB of the exact value.
        let mut q = Quantizer::new(16);
        for i in 0..1000 {
            let x = (i as f32 / 1000.0 - 0.5) * 1.5;
            let exact = x * 32768.0;
            let got = q.quantize(x) as f32;
            assert!((got - exact).abs() <= 1.5, "{x}: {got} vs {exact}");
        }
    }
}
