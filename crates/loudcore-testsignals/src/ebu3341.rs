//! EBU Tech 3341, Table 1 "Minimum requirements test signals": the synthesisable cases.
//!
//! Source: EBU Tech 3341 "Loudness Metering: 'EBU Mode' metering to supplement EBU R 128
//! loudness normalization", Table 1 (cases 9–23 were added in V3, January 2016; V4,
//! November 2023, is editorial only), cross-checked against the EBU loudness test set v05
//! (`seq-3341-*.wav`, 48 kHz). The expected responses and tolerances are the ones of the
//! table: M, S, I ±0.1 LU; true peak +0.2/−0.4 dB. The meter is reset before each case.
//!
//! # Loudness cases (1–6, 9, 12)
//!
//! All tones are 1000 Hz sines, "dBFS" being the per-channel *peak* level. A multi-level
//! case is one continuous sine whose level steps (see [`crate::tone_sequence`]); every
//! segment lasts a whole number of 1 kHz periods and a whole number of samples at 44.1 and
//! 48 kHz, so the signals are exact at both rates.
//!
//! # True-peak cases (15–23) at other sample rates
//!
//! The spec defines these signals by fractions of the sample rate (fs/4, fs/6, fs/8, and
//! for 20–23 synthesis at 4·fs), so a case is generalised to any `fs` by keeping every
//! frequency the same fraction of `fs`. The sample sequence is then *the same* at 44.1 kHz
//! as at 48 kHz (only the durations in samples differ), so the inter-sample peak, the
//! sample peak and the expected dBTP are unchanged. Amplitude "0.50 FFS" is taken as
//! −6.0 dB (0.50119) and "1.41 FFS" as +3.0 dB (1.41254), the values the expected readings
//! (−6.0 and +3.0 dBTP) state; the EBU's own 48 kHz files use 0.50119 as well. The spec says
//! the duration "does not matter" and asks for a 10 ms fade-in and fade-out (a "short" one
//! for 20–23); these signals last 3.2 s like the EBU files and use 10 ms linear fades.

use crate::{
    Case, Expect, Expected, Signal, apply_linear_fades_frames, frames_for, sine_per_channel,
    tone_sequence,
};
use std::f64::consts::TAU;

pub(crate) const CASES: &[(&str, crate::CaseFn)] = &[
    ("3341-1", case_1),
    ("3341-2", case_2),
    ("3341-3", case_3),
    ("3341-4", case_4),
    ("3341-5", case_5),
    ("3341-6", case_6),
    ("3341-9", case_9),
    ("3341-12", case_12),
    ("3341-15", case_15),
    ("3341-16", case_16),
    ("3341-17", case_17),
    ("3341-18", case_18),
    ("3341-19", case_19),
    ("3341-20", case_20),
    ("3341-21", case_21),
    ("3341-22", case_22),
    ("3341-23", case_23),
];

/// Frequency of every loudness tone.
pub const TONE_HZ: f64 = 1000.0;

/// Duration of the true-peak signals 15–23 (the spec: "does not matter"; the EBU files
/// last 3.2 s).
pub const TRUE_PEAK_SIGNAL_S: f64 = 3.2;
/// Fade-in and fade-out of the true-peak signals (linear).
pub const TRUE_PEAK_FADE_S: f64 = 0.010;

fn stereo_tones(sample_rate: u32, segments: &[(f64, f64)]) -> Signal {
    tone_sequence(sample_rate, 2, TONE_HZ, segments)
}

fn repeat(pattern: &[(f64, f64)], times: usize) -> Vec<(f64, f64)> {
    pattern
        .iter()
        .copied()
        .cycle()
        .take(pattern.len() * times)
        .collect()
}

/// **3341-1.** "Stereo sine wave, 1000 Hz, −23.0 dBFS (per-channel peak level); signal
/// applied in phase to both channels simultaneous; 20 s duration."
///
/// Expected: M, S, I = −23.0 ±0.1 LUFS (0.0 ±0.1 LU).
pub fn case_1(sample_rate: u32) -> Case {
    Case {
        id: "3341-1",
        description: "Stereo sine wave, 1000 Hz, -23.0 dBFS (per-channel peak level); signal applied in phase to both channels simultaneous; 20 s duration",
        signal: stereo_tones(sample_rate, &[(-23.0, 20.0)]),
        expected: Expected {
            integrated_lufs: Some(Expect::loudness(-23.0)),
            max_momentary_lufs: Some(Expect::loudness(-23.0)),
            max_short_term_lufs: Some(Expect::loudness(-23.0)),
            ..Expected::default()
        },
    }
}

/// **3341-2.** "As #1 at −33.0 dBFS" (stereo 1000 Hz sine, in phase, 20 s).
///
/// Expected: M, S, I = −33.0 ±0.1 LUFS (−10.0 ±0.1 LU).
pub fn case_2(sample_rate: u32) -> Case {
    Case {
        id: "3341-2",
        description: "As #1 at -33.0 dBFS",
        signal: stereo_tones(sample_rate, &[(-33.0, 20.0)]),
        expected: Expected {
            integrated_lufs: Some(Expect::loudness(-33.0)),
            max_momentary_lufs: Some(Expect::loudness(-33.0)),
            max_short_term_lufs: Some(Expect::loudness(-33.0)),
            ..Expected::default()
        },
    }
}

/// **3341-3.** "3 tones similar to #1 but with the following durations and levels:
/// 10 s at −36.0 dBFS; 60 s at −23.0 dBFS; 10 s at −36.0 dBFS."
///
/// Expected: I = −23.0 ±0.1 LUFS (the −36 dBFS parts fall below the relative gate).
pub fn case_3(sample_rate: u32) -> Case {
    Case {
        id: "3341-3",
        description: "3 tones similar to #1 but with the following durations and levels: 10 s at -36.0 dBFS; 60 s at -23.0 dBFS; 10 s at -36.0 dBFS",
        signal: stereo_tones(sample_rate, &[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]),
        expected: Expected {
            integrated_lufs: Some(Expect::loudness(-23.0)),
            ..Expected::default()
        },
    }
}

/// **3341-4.** "5 tones similar to #1 but with the following durations and levels:
/// 10 s at −72.0 dBFS; 10 s at −36.0 dBFS; 60 s at −23.0 dBFS; 10 s at −36.0 dBFS;
/// 10 s at −72.0 dBFS."
///
/// Expected: I = −23.0 ±0.1 LUFS (−72 dBFS is below the absolute gate, −36 dBFS below the
/// relative gate).
pub fn case_4(sample_rate: u32) -> Case {
    Case {
        id: "3341-4",
        description: "5 tones similar to #1 but with the following durations and levels: 10 s at -72.0 dBFS; 10 s at -36.0 dBFS; 60 s at -23.0 dBFS; 10 s at -36.0 dBFS; 10 s at -72.0 dBFS",
        signal: stereo_tones(
            sample_rate,
            &[
                (-72.0, 10.0),
                (-36.0, 10.0),
                (-23.0, 60.0),
                (-36.0, 10.0),
                (-72.0, 10.0),
            ],
        ),
        expected: Expected {
            integrated_lufs: Some(Expect::loudness(-23.0)),
            ..Expected::default()
        },
    }
}

/// **3341-5.** "3 tones similar to #1 but with the following durations and levels:
/// 20 s at −26.0 dBFS; 20.1 s at −20.0 dBFS; 20 s at −26.0 dBFS."
///
/// Expected: I = −23.0 ±0.1 LUFS (nothing is gated; the energy mean is −23.0).
pub fn case_5(sample_rate: u32) -> Case {
    Case {
        id: "3341-5",
        description: "3 tones similar to #1 but with the following durations and levels: 20 s at -26.0 dBFS; 20.1 s at -20.0 dBFS; 20 s at -26.0 dBFS",
        signal: stereo_tones(sample_rate, &[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]),
        expected: Expected {
            integrated_lufs: Some(Expect::loudness(-23.0)),
            ..Expected::default()
        },
    }
}

/// Peak levels of case 6 in channel order L, R, C, Ls, Rs.
pub const CASE_6_LEVELS_DBFS: [f64; 5] = [-28.0, -28.0, -24.0, -30.0, -30.0];

/// **3341-6.** "5.0 channel sine wave, 1000 Hz, 20 s duration, with per-channel peak
/// levels as follows: −28.0 dBFS in L and R, −24.0 dBFS in C, −30.0 dBFS in Ls and Rs."
///
/// Channel order L, R, C, Ls, Rs (that of the EBU file `seq-3341-6-5channels-16bit.wav`),
/// channel mask `0x37` (FL FR FC BL BR), all channels in phase.
///
/// Expected: I = −23.0 ±0.1 LUFS (with the BS.1770 weights 1.41 on Ls and Rs the energy
/// sum gives −23.02).
pub fn case_6(sample_rate: u32) -> Case {
    Case {
        id: "3341-6",
        description: "5.0 channel sine wave, 1000 Hz, 20 s duration, with per-channel peak levels as follows: -28.0 dBFS in L and R, -24.0 dBFS in C, -30.0 dBFS in Ls and Rs (channel order L, R, C, Ls, Rs)",
        signal: sine_per_channel(sample_rate, TONE_HZ, &CASE_6_LEVELS_DBFS, 0.0, 20.0)
            .with_channel_mask(0x37),
        expected: Expected {
            integrated_lufs: Some(Expect::loudness(-23.0)),
            ..Expected::default()
        },
    }
}

/// **3341-9.** "2 tones similar to #1 but with the following durations and levels:
/// (1.34 s at −20.0 dBFS; 1.66 s at −30.0 dBFS) repeated 5 times." (15 s in all.)
///
/// Expected: "S = −23.0 ±0.1 LUFS, constant after 3 s". The pattern lasts exactly one
/// short-term window (3 s), so every full 3 s window holds the same energy,
/// 10·log10((1.34·10^−2 + 1.66·10^−3)/3) = −22.99; [`Expected::max_short_term_lufs`]
/// carries the value.
pub fn case_9(sample_rate: u32) -> Case {
    Case {
        id: "3341-9",
        description: "2 tones similar to #1 but with the following durations and levels: (1.34 s at -20.0 dBFS; 1.66 s at -30.0 dBFS) repeated 5 times; S constant after 3 s",
        signal: stereo_tones(sample_rate, &repeat(&[(-20.0, 1.34), (-30.0, 1.66)], 5)),
        expected: Expected {
            max_short_term_lufs: Some(Expect::loudness(-23.0)),
            ..Expected::default()
        },
    }
}

/// **3341-12.** "2 tones similar to #1 but with the following durations and levels:
/// (0.18 s at −20.0 dBFS; 0.22 s at −30.0 dBFS) repeated 25 times." (10 s in all.)
///
/// Expected: "M = −23.0 ±0.1 LUFS, constant after 1 s". The pattern lasts exactly one
/// momentary window (0.4 s), so every full 400 ms window holds the same energy,
/// 10·log10((0.18·10^−2 + 0.22·10^−3)/0.4) = −22.97; [`Expected::max_momentary_lufs`]
/// carries the value (the spec allows 1 s to settle; full windows are constant from
/// 0.4 s on).
pub fn case_12(sample_rate: u32) -> Case {
    Case {
        id: "3341-12",
        description: "2 tones similar to #1 but with the following durations and levels: (0.18 s at -20.0 dBFS; 0.22 s at -30.0 dBFS) repeated 25 times; M constant after 1 s",
        signal: stereo_tones(sample_rate, &repeat(&[(-20.0, 0.18), (-30.0, 0.22)], 25)),
        expected: Expected {
            max_momentary_lufs: Some(Expect::loudness(-23.0)),
            ..Expected::default()
        },
    }
}

/// A stereo sine at `fs/divisor` with `amplitude` and start phase `phase_deg` (sample `n`
/// is `amplitude·sin(2π·n/divisor + phase)`, computed from `n mod divisor` so it repeats
/// exactly), [`TRUE_PEAK_SIGNAL_S`] long with [`TRUE_PEAK_FADE_S`] linear fades.
pub fn fs_fraction_sine(sample_rate: u32, divisor: u32, amplitude: f64, phase_deg: f64) -> Signal {
    let frames = frames_for(sample_rate, TRUE_PEAK_SIGNAL_S);
    let phase = phase_deg.to_radians();
    let d = divisor as usize;
    let mut samples = Vec::with_capacity(frames * 2);
    for n in 0..frames {
        let v = (amplitude * (TAU * (n % d) as f64 / f64::from(divisor) + phase).sin()) as f32;
        samples.extend([v, v]);
    }
    let fade = frames_for(sample_rate, TRUE_PEAK_FADE_S);
    apply_linear_fades_frames(&mut samples, 2, fade, fade);
    Signal::new(sample_rate, 2, samples)
}

fn true_peak_case(id: &'static str, description: &'static str, signal: Signal, dbtp: f64) -> Case {
    Case {
        id,
        description,
        signal,
        expected: Expected {
            true_peak_dbtp: Some(Expect::true_peak(dbtp)),
            ..Expected::default()
        },
    }
}

/// Amplitude "0.50 FFS" of cases 15–18 and 20–23: −6.0 dB.
pub const AMPLITUDE_0_50: f64 = 0.501_187_233_627_272_2; // 10^(-6/20)
/// Amplitude "1.41 FFS" of case 19: +3.0 dB.
pub const AMPLITUDE_1_41: f64 = 1.412_537_544_622_754_4; // 10^(3/20)

/// **3341-15.** "Stereo sine wave with frequency fs/4 Hz, amplitude 0.50 FFS, phase
/// 0.0 degrees. The frequency fs/4 denotes 12 kHz for a sample-rate of 48 kHz, etc. The
/// duration of the synthesized tone does not matter, but the tone should be tapered with a
/// 10 ms fade-in and fade-out."
///
/// Samples are 0, +A, 0, −A, …: the sample peak equals the true peak.
/// Expected: max. true-peak level = −6.0 +0.2/−0.4 dBTP.
pub fn case_15(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-15",
        "Stereo sine wave with frequency fs/4 Hz, amplitude 0.50 FFS (-6.0 dB), phase 0.0 degrees; 10 ms fade-in and fade-out",
        fs_fraction_sine(sample_rate, 4, AMPLITUDE_0_50, 0.0),
        -6.0,
    )
}

/// **3341-16.** "Stereo sine wave with frequency fs/4 Hz, amplitude 0.50 FFS, phase
/// 45.0 degrees." (Tapered like #15.)
///
/// Samples are ±A·sin 45° (sample peak −9.0 dBFS); the crests fall between samples.
/// Expected: max. true-peak level = −6.0 +0.2/−0.4 dBTP.
pub fn case_16(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-16",
        "Stereo sine wave with frequency fs/4 Hz, amplitude 0.50 FFS (-6.0 dB), phase 45.0 degrees; 10 ms fade-in and fade-out",
        fs_fraction_sine(sample_rate, 4, AMPLITUDE_0_50, 45.0),
        -6.0,
    )
}

/// **3341-17.** "Stereo sine wave with frequency fs/6 Hz, amplitude 0.50 FFS, phase
/// 60.0 degrees." (Tapered like #15.)
///
/// Sample peak A·sin 60° (−7.27 dBFS).
/// Expected: max. true-peak level = −6.0 +0.2/−0.4 dBTP.
pub fn case_17(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-17",
        "Stereo sine wave with frequency fs/6 Hz, amplitude 0.50 FFS (-6.0 dB), phase 60.0 degrees; 10 ms fade-in and fade-out",
        fs_fraction_sine(sample_rate, 6, AMPLITUDE_0_50, 60.0),
        -6.0,
    )
}

/// **3341-18.** "Stereo sine wave with frequency fs/8 Hz, amplitude 0.50 FFS, phase
/// 67.5 degrees." (Tapered like #15.)
///
/// Sample peak A·sin 67.5° (−6.69 dBFS).
/// Expected: max. true-peak level = −6.0 +0.2/−0.4 dBTP.
pub fn case_18(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-18",
        "Stereo sine wave with frequency fs/8 Hz, amplitude 0.50 FFS (-6.0 dB), phase 67.5 degrees; 10 ms fade-in and fade-out",
        fs_fraction_sine(sample_rate, 8, AMPLITUDE_0_50, 67.5),
        -6.0,
    )
}

/// **3341-19.** "Stereo sine wave with frequency fs/4 Hz, amplitude 1.41 FFS, phase
/// 45.0 degrees." (Tapered like #15.)
///
/// Every sample is ±1.41254·sin 45° = ±0.9988 (−0.01 dBFS, no clipping) while the true
/// peak is +3.0 dBTP.
/// Expected: max. true-peak level = +3.0 +0.2/−0.4 dBTP.
pub fn case_19(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-19",
        "Stereo sine wave with frequency fs/4 Hz, amplitude 1.41 FFS (+3.0 dB), phase 45.0 degrees; 10 ms fade-in and fade-out",
        fs_fraction_sine(sample_rate, 4, AMPLITUDE_1_41, 45.0),
        3.0,
    )
}

/// Taps of the anti-aliasing low-pass filter of cases 20–23 (at 4·fs).
pub const BURST_FILTER_TAPS: usize = 257;

/// Stereo signal of cases 20–23: at 4·fs, a sine at fs/6 with amplitude 0.50 FFS
/// (−6.0 dB) that, at a positive-going zero crossing in the middle of the signal, is
/// interrupted by exactly one period of a sine at fs/4 with amplitude 1.00 and then
/// resumes at phase 0 (so the waveform is continuous in phase at both sides of the single
/// period); tapered with [`TRUE_PEAK_FADE_S`] linear fades; low-pass filtered at fs/2
/// (Blackman-windowed sinc, [`BURST_FILTER_TAPS`] taps, unity DC gain) and downsampled to
/// fs keeping the 4·fs samples `4·m + offset`. At 48 kHz this reproduces the EBU files
/// `seq-3341-20…23` to within 6·10⁻⁴ around the burst. The burst starts at the frame
/// `6·⌊(duration/2·fs)/6⌋` and lasts 4 frames.
pub fn burst_signal(sample_rate: u32, offset: usize) -> Signal {
    assert!(offset < 4, "offset is counted in 4*fs samples: 0..=3");
    let tone_frames = frames_for(sample_rate, TRUE_PEAK_SIGNAL_S);
    let burst_start = (tone_frames / 2) / 6 * 6; // at fs
    let frames = tone_frames + 4;
    // Synthesis at 4*fs: fs/6 -> 24 samples a period, fs/4 -> 16 samples.
    let len4 = frames * 4;
    let b4 = burst_start * 4;
    let mut x: Vec<f64> = (0..len4)
        .map(|k| {
            if k < b4 {
                AMPLITUDE_0_50 * (TAU * (k % 24) as f64 / 24.0).sin()
            } else if k < b4 + 16 {
                (TAU * (k - b4) as f64 / 16.0).sin()
            } else {
                AMPLITUDE_0_50 * (TAU * ((k - b4 - 16) % 24) as f64 / 24.0).sin()
            }
        })
        .collect();
    let fade4 = frames_for(sample_rate, TRUE_PEAK_FADE_S) * 4;
    apply_linear_fades_frames(&mut x, 1, fade4, fade4);

    let h = lowpass_taps(BURST_FILTER_TAPS, 0.125);
    let half = (h.len() - 1) / 2;
    let mut samples = Vec::with_capacity(frames * 2);
    for m in 0..frames {
        // y[n] = sum_j h[j] * x[n + half - j], zero outside the signal (centred filter).
        let n = 4 * m + offset;
        let mut acc = 0.0;
        for (j, hj) in h.iter().enumerate() {
            if let Some(i) = (n + half).checked_sub(j) {
                if let Some(xi) = x.get(i) {
                    acc += hj * xi;
                }
            }
        }
        let v = acc as f32;
        samples.extend([v, v]);
    }
    Signal::new(sample_rate, 2, samples)
}

/// Blackman-windowed sinc low-pass, cutoff `cutoff` in cycles per sample, unity DC gain.
fn lowpass_taps(taps: usize, cutoff: f64) -> Vec<f64> {
    assert!(taps % 2 == 1, "odd tap count");
    let m = (taps - 1) as f64;
    let mut h: Vec<f64> = (0..taps)
        .map(|i| {
            let t = i as f64 - m / 2.0;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (TAU * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            let w =
                0.42 - 0.5 * (TAU * i as f64 / m).cos() + 0.08 * (2.0 * TAU * i as f64 / m).cos();
            sinc * w
        })
        .collect();
    let sum: f64 = h.iter().sum();
    for v in &mut h {
        *v /= sum;
    }
    h
}

/// **3341-20.** "Stereo sine wave with frequency fs/6 Hz, amplitude 0.50 FFS, containing
/// a single period of a sine wave with frequency fs/4, amplitude 1.00; the signal being
/// continuous in phase at both sides of the single period. The signal is synthesized at
/// 4·fs (for example, 192 kHz), and then lowpass (anti-aliasing) filtered and downsampled
/// to fs with a 0 samples offset. The total duration of the synthesized tone does not
/// matter, but the tone should be tapered with a short fade-in and fade-out."
///
/// See [`burst_signal`]. Sample peak −0.13 dBFS; the band-limited waveform peaks at about
/// −0.08 dBTP. Expected: max. true-peak level = 0.0 +0.2/−0.4 dBTP.
pub fn case_20(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-20",
        "Stereo sine wave with frequency fs/6 Hz, amplitude 0.50 FFS (-6.0 dB), containing a single period of a sine wave with frequency fs/4, amplitude 1.00, continuous in phase at both sides; synthesized at 4*fs, lowpass filtered and downsampled to fs with a 0 samples offset; short fade-in and fade-out",
        burst_signal(sample_rate, 0),
        0.0,
    )
}

/// **3341-21.** "As #20, but downsampled with a 1 samples offset (at the 4·fs rate)."
///
/// Sample peak −0.46 dBFS. Expected: max. true-peak level = 0.0 +0.2/−0.4 dBTP.
pub fn case_21(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-21",
        "As #20, but downsampled with a 1 samples offset (at the 4*fs rate)",
        burst_signal(sample_rate, 1),
        0.0,
    )
}

/// **3341-22.** "As #20, but downsampled with a 2 samples offset (at the 4·fs rate)."
///
/// Sample peak −2.51 dBFS. Expected: max. true-peak level = 0.0 +0.2/−0.4 dBTP.
pub fn case_22(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-22",
        "As #20, but downsampled with a 2 samples offset (at the 4*fs rate)",
        burst_signal(sample_rate, 2),
        0.0,
    )
}

/// **3341-23.** "As #20, but downsampled with a 3 samples offset (at the 4·fs rate)."
///
/// Sample peak −0.46 dBFS. Expected: max. true-peak level = 0.0 +0.2/−0.4 dBTP.
pub fn case_23(sample_rate: u32) -> Case {
    true_peak_case(
        "3341-23",
        "As #20, but downsampled with a 3 samples offset (at the 4*fs rate)",
        burst_signal(sample_rate, 3),
        0.0,
    )
}
