//! Synthesised reference signals for loudness metering, with their expected results.
//!
//! This crate is the single place where the project defines the *synthesisable* test
//! signals of
//!
//! * **EBU Tech 3341** "Loudness Metering: 'EBU Mode' metering to supplement EBU R 128
//!   loudness normalization" (V3 January 2016 added tests 9–23; the V4 of November 2023 is
//!   editorial only), Table 1: cases 1–6, 9, 12 and the true-peak cases 15–23, and
//! * **EBU Tech 3342** "Loudness Range: A measure to supplement EBU R 128 loudness
//!   normalization", Table 1: cases 1–4,
//!
//! together with the expected readings and the tolerances the specifications give, so that
//! the core tests, the CLI tests, benches and the Python/Node tests all use the same
//! definitions. Every case can be generated at any sample rate (tests use 44 100 and
//! 48 000 Hz); see [`ebu3341`] for how the true-peak cases, which the EBU distributes as
//! 48 kHz files, are generalised.
//!
//! Not included (they are recordings or file sets, not synthesisable from the text of the
//! specification): Tech 3341 cases 7 and 8 (authentic programme; they are Tech 3342 cases 5
//! and 6 too), 10 and 13 (20 separate files each), 11 and 14 (one file each whose
//! segment-wise readings need a live meter).
//!
//! Levels written "dBFS" in the specs are per-channel sine **peak** levels: a sine at
//! `x` dBFS has peak amplitude `10^(x/20)` (full scale = 1.0). A stereo 1 kHz sine at
//! −23 dBFS in both channels measures −23.0 LUFS.
//!
//! The crate also has building blocks ([`sine`], [`silence`], [`concat()`], [`tone_sequence`],
//! …), a deterministic music-like signal ([`music_like`]) and WAV writing through `hound`
//! ([`write_wav`], [`wav_bytes`]) with the right `WAVE_FORMAT_EXTENSIBLE` channel mask.

use std::fmt;

pub mod ebu3341;
pub mod ebu3342;
mod music;
mod wav;

pub use music::{MUSIC_LIKE_DEFAULT_LUFS, music_like, music_like_with_level};
pub use wav::{WavFormat, read_wav, signal_from_wav_bytes, wav_bytes, write_wav};

/// Tolerance of the momentary, short-term and integrated loudness readings in
/// Tech 3341 (±0.1 LU).
pub const LOUDNESS_TOLERANCE_LU: f64 = 0.1;
/// Tolerance of the loudness range in Tech 3342 (±1 LU).
pub const LRA_TOLERANCE_LU: f64 = 1.0;
/// Upper tolerance of the true-peak readings in Tech 3341 (+0.2 dB).
pub const TRUE_PEAK_PLUS_DB: f64 = 0.2;
/// Lower tolerance of the true-peak readings in Tech 3341 (−0.4 dB).
pub const TRUE_PEAK_MINUS_DB: f64 = 0.4;

/// `10^(db/20)`; `-inf` gives 0.
pub fn db_to_amplitude(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// `20·log10(amplitude)`; 0 gives `-inf`.
pub fn amplitude_to_db(amplitude: f64) -> f64 {
    20.0 * amplitude.abs().log10()
}

/// The usual `WAVEFORMATEXTENSIBLE` `dwChannelMask` for a channel count, in the channel
/// order of the interleaved samples:
///
/// | channels | layout | mask |
/// |---|---|---|
/// | 1 | mono (FC) | `0x4` |
/// | 2 | stereo (FL FR) | `0x3` |
/// | 3 | FL FR FC | `0x7` |
/// | 4 | quad (FL FR BL BR) | `0x33` |
/// | 5 | 5.0 (FL FR FC BL BR) | `0x37` |
/// | 6 | 5.1 (FL FR FC LFE BL BR) | `0x3F` |
/// | 7 | 6.1 (FL FR FC LFE BC SL SR) | `0x70F` |
/// | 8 | 7.1 (FL FR FC LFE BL BR SL SR) | `0x63F` |
///
/// Any other count gets `0` (no speaker assignment).
pub fn default_channel_mask(channels: u16) -> u32 {
    match channels {
        1 => 0x4,
        2 => 0x3,
        3 => 0x7,
        4 => 0x33,
        5 => 0x37,
        6 => 0x3F,
        7 => 0x70F,
        8 => 0x63F,
        _ => 0,
    }
}

/// Number of frames for a duration: `round(seconds · sample_rate)`.
pub fn frames_for(sample_rate: u32, seconds: f64) -> usize {
    assert!(seconds >= 0.0, "negative duration {seconds}");
    (seconds * f64::from(sample_rate)).round() as usize
}

/// Interleaved f32 PCM.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    pub sample_rate: u32,
    pub channels: u16,
    /// `WAVEFORMATEXTENSIBLE` `dwChannelMask`, e.g. `0x3` stereo, `0x4` mono, `0x37` for
    /// 5.0 (FL FR FC BL BR); see [`default_channel_mask`].
    pub channel_mask: u32,
    pub samples: Vec<f32>,
}

impl Signal {
    /// A signal with the [`default_channel_mask`] for its channel count.
    ///
    /// Panics if `channels` is 0 or `samples.len()` is not a multiple of `channels`.
    pub fn new(sample_rate: u32, channels: u16, samples: Vec<f32>) -> Self {
        assert!(channels > 0, "a signal needs at least one channel");
        assert!(
            samples.len().is_multiple_of(usize::from(channels)),
            "{} samples do not make whole frames of {channels} channels",
            samples.len()
        );
        Signal {
            sample_rate,
            channels,
            channel_mask: default_channel_mask(channels),
            samples,
        }
    }

    /// The same signal with another channel mask.
    pub fn with_channel_mask(mut self, channel_mask: u32) -> Self {
        self.channel_mask = channel_mask;
        self
    }

    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        if self.channels == 0 {
            0
        } else {
            self.samples.len() / usize::from(self.channels)
        }
    }

    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate)
    }

    /// The samples of one channel (0-based).
    pub fn channel(&self, channel: usize) -> impl Iterator<Item = f32> + '_ {
        assert!(channel < usize::from(self.channels), "no channel {channel}");
        self.samples
            .iter()
            .skip(channel)
            .step_by(usize::from(self.channels))
            .copied()
    }

    /// The largest absolute sample value of every channel.
    pub fn channel_sample_peaks(&self) -> Vec<f32> {
        let ch = usize::from(self.channels);
        let mut peaks = vec![0f32; ch];
        for frame in self.samples.chunks_exact(ch) {
            for (p, s) in peaks.iter_mut().zip(frame) {
                *p = p.max(s.abs());
            }
        }
        peaks
    }

    /// The largest absolute sample value over all channels.
    pub fn sample_peak(&self) -> f32 {
        self.samples.iter().fold(0f32, |m, s| m.max(s.abs()))
    }

    /// [`Signal::sample_peak`] in dBFS.
    pub fn sample_peak_dbfs(&self) -> f64 {
        amplitude_to_db(f64::from(self.sample_peak()))
    }

    /// Mean square of every channel (unweighted).
    pub fn channel_mean_squares(&self) -> Vec<f64> {
        let ch = usize::from(self.channels);
        let mut acc = vec![0f64; ch];
        for frame in self.samples.chunks_exact(ch) {
            for (a, s) in acc.iter_mut().zip(frame) {
                *a += f64::from(*s) * f64::from(*s);
            }
        }
        let n = self.frames().max(1) as f64;
        acc.iter().map(|a| a / n).collect()
    }

    /// Multiplies every sample by `10^(db/20)`.
    pub fn apply_gain_db(&mut self, db: f64) {
        let g = db_to_amplitude(db);
        for s in &mut self.samples {
            *s = (f64::from(*s) * g) as f32;
        }
    }

    /// Applies a linear fade-in over the first `fade_in_s` seconds and a linear fade-out
    /// over the last `fade_out_s` seconds (the first and last samples become 0).
    pub fn apply_linear_fades(&mut self, fade_in_s: f64, fade_out_s: f64) {
        let sr = self.sample_rate;
        apply_linear_fades_frames(
            &mut self.samples,
            usize::from(self.channels),
            frames_for(sr, fade_in_s),
            frames_for(sr, fade_out_s),
        );
    }

    /// Frames `start..end` as a new signal.
    pub fn slice_frames(&self, start: usize, end: usize) -> Signal {
        let ch = usize::from(self.channels);
        assert!(start <= end && end <= self.frames(), "bad frame range");
        Signal {
            sample_rate: self.sample_rate,
            channels: self.channels,
            channel_mask: self.channel_mask,
            samples: self.samples[start * ch..end * ch].to_vec(),
        }
    }
}

pub(crate) fn apply_linear_fades_frames<T>(
    samples: &mut [T],
    channels: usize,
    fade_in: usize,
    fade_out: usize,
) where
    T: Copy + Into<f64> + FromF64,
{
    let frames = samples.len() / channels;
    for (i, frame) in samples.chunks_exact_mut(channels).enumerate() {
        let mut g = 1.0f64;
        if i < fade_in {
            g = g.min(i as f64 / fade_in as f64);
        }
        let from_end = frames - 1 - i;
        if from_end < fade_out {
            g = g.min(from_end as f64 / fade_out as f64);
        }
        if g < 1.0 {
            for s in frame {
                *s = T::from_f64((*s).into() * g);
            }
        }
    }
}

pub(crate) trait FromF64 {
    fn from_f64(v: f64) -> Self;
}
impl FromF64 for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}
impl FromF64 for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Fractional cycles of a sine of `freq_hz` at frame `n`, computed so that long signals
/// do not drift.
fn cycles_at(freq_hz: f64, sample_rate: u32, n: usize) -> f64 {
    let c = freq_hz * n as f64 / f64::from(sample_rate);
    c - c.floor()
}

/// A sine of `freq_hz` Hz with peak level `peak_dbfs` (amplitude `10^(peak_dbfs/20)`),
/// phase 0 (`sin`) at the first sample, the same in every channel, `seconds` long.
pub fn sine(sample_rate: u32, channels: u16, freq_hz: f64, peak_dbfs: f64, seconds: f64) -> Signal {
    sine_with_phase(sample_rate, channels, freq_hz, peak_dbfs, 0.0, seconds)
}

/// As [`sine`], with a start phase in degrees: sample `n` is
/// `A·sin(2π·f·n/fs + phase)`.
pub fn sine_with_phase(
    sample_rate: u32,
    channels: u16,
    freq_hz: f64,
    peak_dbfs: f64,
    phase_deg: f64,
    seconds: f64,
) -> Signal {
    let levels = vec![peak_dbfs; usize::from(channels)];
    let mut s = sine_per_channel(sample_rate, freq_hz, &levels, phase_deg, seconds);
    s.channel_mask = default_channel_mask(channels);
    s
}

/// A sine of `freq_hz` in every channel with its own peak level per channel
/// (`peak_dbfs[c]`; `f64::NEG_INFINITY` for a silent channel), in phase, `seconds` long.
/// The channel count is `peak_dbfs.len()` and the mask is [`default_channel_mask`].
pub fn sine_per_channel(
    sample_rate: u32,
    freq_hz: f64,
    peak_dbfs: &[f64],
    phase_deg: f64,
    seconds: f64,
) -> Signal {
    let channels = u16::try_from(peak_dbfs.len()).expect("too many channels");
    assert!(channels > 0, "a signal needs at least one channel");
    let amps: Vec<f64> = peak_dbfs.iter().map(|d| db_to_amplitude(*d)).collect();
    let frames = frames_for(sample_rate, seconds);
    let phase = phase_deg.to_radians();
    let mut samples = Vec::with_capacity(frames * amps.len());
    for n in 0..frames {
        let v = (std::f64::consts::TAU * cycles_at(freq_hz, sample_rate, n) + phase).sin();
        samples.extend(amps.iter().map(|a| (a * v) as f32));
    }
    Signal::new(sample_rate, channels, samples)
}

/// One continuous sine of `freq_hz` (phase 0 at the first sample, never reset) whose
/// peak level steps through `segments` = `[(peak_dbfs, seconds), …]`, the same in every
/// channel. Segment boundaries are placed at `round(t · fs)` of their cumulative start
/// times, so durations never drift. Use `f64::NEG_INFINITY` for silence.
pub fn tone_sequence(
    sample_rate: u32,
    channels: u16,
    freq_hz: f64,
    segments: &[(f64, f64)],
) -> Signal {
    assert!(channels > 0, "a signal needs at least one channel");
    let ch = usize::from(channels);
    let mut t = 0.0;
    let mut bounds = Vec::with_capacity(segments.len());
    for &(db, secs) in segments {
        let start = frames_for(sample_rate, t);
        t += secs;
        bounds.push((db_to_amplitude(db), start, frames_for(sample_rate, t)));
    }
    let total = bounds.last().map_or(0, |b| b.2);
    let mut samples = Vec::with_capacity(total * ch);
    for (amp, start, end) in bounds {
        for n in start..end {
            let v =
                (amp * (std::f64::consts::TAU * cycles_at(freq_hz, sample_rate, n)).sin()) as f32;
            samples.extend(std::iter::repeat_n(v, ch));
        }
    }
    Signal::new(sample_rate, channels, samples)
}

/// Digital silence.
pub fn silence(sample_rate: u32, channels: u16, seconds: f64) -> Signal {
    let frames = frames_for(sample_rate, seconds);
    Signal::new(
        sample_rate,
        channels,
        vec![0.0; frames * usize::from(channels)],
    )
}

/// Concatenates signals in time. Panics (test helper) if the list is empty or the sample
/// rates, channel counts or channel masks differ.
pub fn concat(parts: &[Signal]) -> Signal {
    let first = parts.first().expect("concat needs at least one signal");
    let mut samples = Vec::with_capacity(parts.iter().map(|p| p.samples.len()).sum());
    for p in parts {
        assert_eq!(
            p.sample_rate, first.sample_rate,
            "concat: sample rates differ"
        );
        assert_eq!(p.channels, first.channels, "concat: channel counts differ");
        assert_eq!(
            p.channel_mask, first.channel_mask,
            "concat: channel masks differ"
        );
        samples.extend_from_slice(&p.samples);
    }
    Signal {
        sample_rate: first.sample_rate,
        channels: first.channels,
        channel_mask: first.channel_mask,
        samples,
    }
}

/// An expected value with its asymmetric tolerance: passes when
/// `value - minus <= measured <= value + plus`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expect {
    pub value: f64,
    pub plus: f64,
    pub minus: f64,
}

impl Expect {
    pub const fn new(value: f64, plus: f64, minus: f64) -> Self {
        Expect { value, plus, minus }
    }

    /// A loudness reading (LUFS) with the Tech 3341 tolerance ±0.1 LU.
    pub const fn loudness(lufs: f64) -> Self {
        Expect::new(lufs, LOUDNESS_TOLERANCE_LU, LOUDNESS_TOLERANCE_LU)
    }

    /// A loudness range (LU) with the Tech 3342 tolerance ±1 LU.
    pub const fn lra(lu: f64) -> Self {
        Expect::new(lu, LRA_TOLERANCE_LU, LRA_TOLERANCE_LU)
    }

    /// A true-peak reading (dBTP) with the Tech 3341 tolerance +0.2/−0.4 dB.
    pub const fn true_peak(dbtp: f64) -> Self {
        Expect::new(dbtp, TRUE_PEAK_PLUS_DB, TRUE_PEAK_MINUS_DB)
    }

    /// Lowest accepted reading.
    pub fn lower(&self) -> f64 {
        self.value - self.minus
    }

    /// Highest accepted reading.
    pub fn upper(&self) -> f64 {
        self.value + self.plus
    }

    /// Whether `measured` is within tolerance (NaN never is). A tiny allowance (1e-9) is
    /// made for the rounding of `value ± tolerance` itself.
    pub fn check(&self, measured: f64) -> bool {
        const EPS: f64 = 1e-9;
        measured >= self.lower() - EPS && measured <= self.upper() + EPS
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.plus == self.minus {
            write!(f, "{:.1} ±{}", self.value, self.plus)
        } else {
            write!(f, "{:.1} +{}/-{}", self.value, self.plus, self.minus)
        }
    }
}

/// The readings a case specifies; `None` where the spec says nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Expected {
    /// Integrated loudness I (LUFS).
    pub integrated_lufs: Option<Expect>,
    /// Momentary loudness M (LUFS): the largest M over *full* 400 ms windows (no window
    /// reaching before the start of the signal). For the cases that give it, M is constant
    /// over those windows.
    pub max_momentary_lufs: Option<Expect>,
    /// Short-term loudness S (LUFS): the largest S over *full* 3 s windows. For the cases
    /// that give it, S is constant over those windows.
    pub max_short_term_lufs: Option<Expect>,
    /// Loudness range LRA (LU).
    pub lra_lu: Option<Expect>,
    /// Maximum true-peak level (dBTP), the largest over all channels.
    pub true_peak_dbtp: Option<Expect>,
}

/// A synthesised reference case.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// `"3341-1"`, …, `"3342-4"`.
    pub id: &'static str,
    /// The test signal as the spec describes it.
    pub description: &'static str,
    pub signal: Signal,
    pub expected: Expected,
}

type CaseFn = fn(u32) -> Case;

fn registry() -> impl Iterator<Item = (&'static str, CaseFn)> {
    ebu3341::CASES.iter().chain(ebu3342::CASES).copied()
}

/// The ids of every case, in order (`"3341-1"` … `"3341-23"`, `"3342-1"` … `"3342-4"`).
pub fn case_ids() -> Vec<&'static str> {
    registry().map(|(id, _)| id).collect()
}

/// Builds one case by id (e.g. `"3341-16"`), or `None` for an unknown id. Cheaper than
/// [`all_cases`] when only one signal is needed.
pub fn case_by_id(id: &str, sample_rate: u32) -> Option<Case> {
    registry()
        .find(|(i, _)| i.eq_ignore_ascii_case(id))
        .map(|(_, f)| f(sample_rate))
}

/// The synthesisable cases of EBU Tech 3341 (1–6, 9, 12, 15–23) at `sample_rate`.
pub fn ebu_3341_cases(sample_rate: u32) -> Vec<Case> {
    ebu3341::CASES.iter().map(|(_, f)| f(sample_rate)).collect()
}

/// The cases of EBU Tech 3342 (1–4) at `sample_rate`.
pub fn ebu_3342_cases(sample_rate: u32) -> Vec<Case> {
    ebu3342::CASES.iter().map(|(_, f)| f(sample_rate)).collect()
}

/// [`ebu_3341_cases`] followed by [`ebu_3342_cases`]. This holds several minutes of
/// audio in memory (≈ 230 MB at 48 kHz); use [`case_by_id`] to build one at a time.
pub fn all_cases(sample_rate: u32) -> Vec<Case> {
    let mut v = ebu_3341_cases(sample_rate);
    v.extend(ebu_3342_cases(sample_rate));
    v
}

#[cfg(test)]
mod tests;
