//! A deterministic, music-like stereo test signal.

use crate::{Signal, db_to_amplitude, frames_for};
use std::f64::consts::TAU;

/// Rough integrated loudness of [`music_like`] (LUFS). It is a *rough* level (about ±1 LU,
/// depending on seed and duration): the signal is scaled on an unweighted power estimate
/// calibrated against a BS.1770 meter, not measured.
pub const MUSIC_LIKE_DEFAULT_LUFS: f64 = -20.0;

/// Unweighted stereo power (10·log10 of the sum of the channel mean squares) minus the
/// K-weighted loudness of this mixture, found with a reference BS.1770 meter over many
/// seeds (see the `music_like_level` test).
const POWER_MINUS_LUFS_DB: f64 = 0.9;

/// Sample peaks are softly limited to this level (−1 dBFS).
const PEAK_CEILING: f64 = 0.891;

/// SplitMix64: small, fast and deterministic on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.f64() * n as f64) as usize % n.max(1)
    }
    /// Uniform in [-1, 1).
    fn noise(&mut self) -> f64 {
        2.0 * self.f64() - 1.0
    }
}

fn midi_hz(note: f64) -> f64 {
    440.0 * 2f64.powf((note - 69.0) / 12.0)
}

/// Constant-power pan gains for `pan` in [-1, 1].
fn pan_gains(pan: f64) -> (f64, f64) {
    let a = (pan.clamp(-1.0, 1.0) + 1.0) * std::f64::consts::FRAC_PI_4;
    (a.cos(), a.sin())
}

struct Mix {
    sr: f64,
    l: Vec<f64>,
    r: Vec<f64>,
}

impl Mix {
    fn len(&self) -> usize {
        self.l.len()
    }
    fn start_end(&self, start_s: f64, dur_s: f64) -> (usize, usize) {
        let a = ((start_s * self.sr).round() as usize).min(self.len());
        let b = (((start_s + dur_s) * self.sr).round() as usize).min(self.len());
        (a, b)
    }

    /// A harmonic tone: `harmonics[k]` is the amplitude of harmonic k+1; two oscillators
    /// detuned by ±`detune_cents`; attack/release envelope with exponential decay; optional
    /// vibrato.
    #[allow(clippy::too_many_arguments)]
    fn tone(
        &mut self,
        start_s: f64,
        dur_s: f64,
        freq: f64,
        amp: f64,
        pan: f64,
        harmonics: &[f64],
        detune_cents: f64,
        attack_s: f64,
        decay_tau_s: f64,
        release_s: f64,
        vibrato_cents: f64,
    ) {
        let (a, b) = self.start_end(start_s, dur_s + release_s);
        let (gl, gr) = pan_gains(pan);
        let nyq = 0.45 * self.sr;
        let detunes: Vec<f64> = if detune_cents == 0.0 {
            vec![1.0]
        } else {
            vec![
                2f64.powf(detune_cents / 1200.0),
                2f64.powf(-detune_cents / 1200.0),
            ]
        };
        let osc_gain = 1.0 / detunes.len() as f64;
        let mut phases = vec![0.0f64; detunes.len()];
        let hold = dur_s;
        for (i, n) in (a..b).enumerate() {
            let t = i as f64 / self.sr;
            let mut env = if t < attack_s { t / attack_s } else { 1.0 };
            if decay_tau_s > 0.0 {
                env *= (-t / decay_tau_s).exp();
            }
            if t > hold {
                env *= (1.0 - (t - hold) / release_s.max(1e-9)).max(0.0);
            }
            let vib = if vibrato_cents != 0.0 {
                2f64.powf(vibrato_cents / 1200.0 * (TAU * 5.5 * t).sin())
            } else {
                1.0
            };
            let mut v = 0.0;
            for (ph, d) in phases.iter_mut().zip(&detunes) {
                let f = freq * d * vib;
                for (k, h) in harmonics.iter().enumerate() {
                    let fk = f * (k + 1) as f64;
                    if fk < nyq {
                        v += h * (TAU * *ph * (k + 1) as f64).sin();
                    }
                }
                *ph = (*ph + f / self.sr).fract();
            }
            let s = amp * env * v * osc_gain;
            self.l[n] += s * gl;
            self.r[n] += s * gr;
        }
    }

    /// Kick drum: a sine sweeping down from 130 Hz to 45 Hz with a fast decay.
    fn kick(&mut self, start_s: f64, amp: f64) {
        let (a, b) = self.start_end(start_s, 0.45);
        let mut ph = 0.0f64;
        for (i, n) in (a..b).enumerate() {
            let t = i as f64 / self.sr;
            let f = 45.0 + 85.0 * (-t / 0.035).exp();
            let env = (-t / 0.16).exp() * (t / 0.002).min(1.0);
            let s = amp * env * (TAU * ph).sin();
            ph = (ph + f / self.sr).fract();
            self.l[n] += s * 0.707;
            self.r[n] += s * 0.707;
        }
    }

    /// Snare: a 190 Hz body plus high-passed noise, both decaying.
    fn snare(&mut self, start_s: f64, amp: f64, rng: &mut Rng) {
        let (a, b) = self.start_end(start_s, 0.35);
        let (mut prev_l, mut prev_r) = (0.0, 0.0);
        for (i, n) in (a..b).enumerate() {
            let t = i as f64 / self.sr;
            let body = 0.5 * (TAU * 190.0 * t).sin() * (-t / 0.05).exp();
            let nl = rng.noise();
            let nr = rng.noise();
            let env = (-t / 0.09).exp();
            let (hl, hr) = (nl - 0.6 * prev_l, nr - 0.6 * prev_r);
            prev_l = nl;
            prev_r = nr;
            self.l[n] += amp * (body + 0.45 * env * hl) * 0.75;
            self.r[n] += amp * (body + 0.45 * env * hr) * 0.68;
        }
    }

    /// Hi-hat: strongly high-passed noise with a very short decay, panned right.
    fn hat(&mut self, start_s: f64, amp: f64, open: bool, rng: &mut Rng) {
        let tau = if open { 0.12 } else { 0.03 };
        let (a, b) = self.start_end(start_s, tau * 6.0);
        let (gl, gr) = pan_gains(0.35);
        let (mut p1, mut p2) = (0.0, 0.0);
        for (i, n) in (a..b).enumerate() {
            let t = i as f64 / self.sr;
            let x = rng.noise();
            // second difference: a crude 12 dB/octave high-pass
            let y = x - 2.0 * p1 + p2;
            p2 = p1;
            p1 = x;
            let s = amp * 0.25 * y * (-t / tau).exp();
            self.l[n] += s * gl;
            self.r[n] += s * gr;
        }
    }

    /// Quiet, decorrelated pink-ish noise bed in both channels ("room").
    fn room(&mut self, amp: f64, rng: &mut Rng) {
        let mut state = [[0.0f64; 3]; 2];
        for n in 0..self.len() {
            for (c, st) in state.iter_mut().enumerate() {
                let w = rng.noise();
                // Three one-pole low-passes summed: roughly -3 dB/octave over the audio band.
                st[0] = 0.997 * st[0] + 0.03 * w;
                st[1] = 0.96 * st[1] + 0.12 * w;
                st[2] = 0.6 * st[2] + 0.3 * w;
                let v = amp * (st[0] + st[1] + st[2] + 0.1 * w);
                if c == 0 {
                    self.l[n] += v;
                } else {
                    self.r[n] += v;
                }
            }
        }
    }
}

/// A music-like test signal for realistic tests, at about [`MUSIC_LIKE_DEFAULT_LUFS`]
/// (−20 LUFS); see [`music_like_with_level`].
pub fn music_like(sample_rate: u32, seconds: f64, seed: u64) -> Signal {
    music_like_with_level(sample_rate, seconds, seed, MUSIC_LIKE_DEFAULT_LUFS)
}

/// A deterministic (seeded) music-like stereo signal: a tempo between 88 and 132 BPM,
/// a minor-key bass line (harmonic tone, a note per beat), a pad of three detuned
/// harmonic voices changing chord every bar, an occasional vibrato lead on eighth notes,
/// kick/snare/hi-hat made of swept sines and filtered noise, and a quiet decorrelated
/// noise bed. Sections of four bars have different instrumentation and levels (a few
/// dB apart), so short-term loudness moves like real music (a loudness range of a few LU).
///
/// The same `seed` gives the same piece at any sample rate and duration (a longer
/// signal extends the piece). The result is scaled so that its integrated loudness is
/// roughly `rough_lufs` (within about ±1 LU for pieces of 20 s or more; see
/// [`MUSIC_LIKE_DEFAULT_LUFS`]). At −20 LUFS the sample peaks are around −4 dBFS; peaks
/// are softly limited to −1 dBFS, so loud targets are increasingly limited (−14 LUFS is
/// still met within ±1 LU; much louder targets come out quieter than asked).
pub fn music_like_with_level(sample_rate: u32, seconds: f64, seed: u64, rough_lufs: f64) -> Signal {
    let frames = frames_for(sample_rate, seconds);
    let mut mix = Mix {
        sr: f64::from(sample_rate),
        l: vec![0.0; frames],
        r: vec![0.0; frames],
    };
    // Structure and notes come from one stream, noise from another, so that the score does
    // not depend on the sample rate.
    let mut score = Rng(seed ^ 0x6C6F_7564_636F_7265); // "loudcore"
    let mut noise = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5EED);
    let mut room = Rng(seed.rotate_left(17) ^ 0x0BAD_5EED_0000_0001);

    let bpm = score.range(88.0, 132.0);
    let beat = 60.0 / bpm;
    let bar = 4.0 * beat;
    let root = 38.0 + score.below(10) as f64; // D2 … B2
    const MINOR: [f64; 7] = [0.0, 2.0, 3.0, 5.0, 7.0, 8.0, 10.0];
    let degree = |d: i64| -> f64 {
        let oct = d.div_euclid(7) as f64;
        MINOR[d.rem_euclid(7) as usize] + 12.0 * oct
    };
    // Chord progression (scale degrees of the chord roots), chosen per piece.
    const PROGRESSIONS: [[i64; 4]; 4] = [[0, 5, 2, 6], [0, 3, 4, 0], [0, 6, 5, 4], [0, 2, 3, 4]];
    let prog = PROGRESSIONS[score.below(PROGRESSIONS.len())];

    mix.room(0.004, &mut room);

    let bars = (seconds / bar).ceil() as usize + 1;
    let mut section_gain = 1.0;
    let mut section = (true, true, true, true); // (drums, bass, lead, pad)
    for b in 0..bars {
        let t0 = b as f64 * bar;
        if b % 4 == 0 {
            // New section: level and instrumentation.
            let db = [0.0, -1.5, -3.0, -4.5, 1.0][score.below(5)];
            section_gain = db_to_amplitude(if b == 0 { -2.0 } else { db });
            section = if b == 0 {
                (false, true, false, true) // intro: bass and pad
            } else {
                (
                    score.f64() < 0.9,
                    score.f64() < 0.95,
                    score.f64() < 0.6,
                    score.f64() < 0.9,
                )
            };
        }
        let g = section_gain;
        let chord_root = prog[b % 4];
        let (drums, bass, lead, pad) = section;

        if pad {
            for (v, step) in [0i64, 2, 4].iter().enumerate() {
                let note = root + 24.0 + degree(chord_root + step);
                mix.tone(
                    t0,
                    bar,
                    midi_hz(note),
                    0.09 * g,
                    [-0.5, 0.0, 0.5][v],
                    &[1.0, 0.4, 0.2],
                    4.0 + 2.0 * v as f64,
                    0.25,
                    0.0,
                    0.3,
                    0.0,
                );
            }
        }
        for q in 0..4 {
            let tb = t0 + q as f64 * beat;
            if bass {
                let step = if q == 2 && score.f64() < 0.5 { 4 } else { 0 };
                let note = root + 12.0 + degree(chord_root + step);
                mix.tone(
                    tb,
                    beat * 0.9,
                    midi_hz(note),
                    0.32 * g,
                    0.0,
                    &[1.0, 0.5, 0.3, 0.2],
                    0.0,
                    0.006,
                    0.5,
                    0.05,
                    0.0,
                );
            }
            if drums {
                if q % 2 == 0 {
                    mix.kick(tb, 0.7 * g);
                } else {
                    mix.snare(tb, 0.45 * g, &mut noise);
                }
                for e in 0..2 {
                    let open = e == 1 && q == 3;
                    mix.hat(tb + e as f64 * beat / 2.0, 0.35 * g, open, &mut noise);
                }
            }
            if lead {
                for e in 0..2 {
                    if score.f64() < 0.55 {
                        let d = chord_root + [0i64, 2, 4, 7, 9][score.below(5)];
                        let note = root + 36.0 + degree(d);
                        mix.tone(
                            tb + e as f64 * beat / 2.0,
                            beat * 0.45,
                            midi_hz(note),
                            0.12 * g,
                            score.range(-0.3, 0.3),
                            &[1.0, 0.3, 0.15],
                            0.0,
                            0.01,
                            0.4,
                            0.05,
                            12.0,
                        );
                    }
                }
            }
        }
    }

    // Level: unweighted stereo power to the requested rough loudness.
    let n = frames.max(1) as f64;
    let power: f64 = mix.l.iter().chain(&mix.r).map(|v| v * v).sum::<f64>() / n;
    let gain = if power > 0.0 {
        db_to_amplitude(rough_lufs + POWER_MINUS_LUFS_DB - 10.0 * power.log10())
    } else {
        0.0
    };
    let knee = PEAK_CEILING * 0.8;
    let range = PEAK_CEILING - knee;
    let limit = |x: f64| {
        let a = x.abs();
        if a <= knee {
            x
        } else {
            x.signum() * (knee + range * ((a - knee) / range).tanh())
        }
    };
    let mut samples = Vec::with_capacity(frames * 2);
    for (l, r) in mix.l.iter().zip(&mix.r) {
        samples.push(limit(l * gain) as f32);
        samples.push(limit(r * gain) as f32);
    }
    Signal::new(sample_rate, 2, samples)
}
