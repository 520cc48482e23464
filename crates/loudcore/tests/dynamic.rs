//! Dynamic mode (`mode: dynamic`, `lra_lu`), measured on the decoded output by FFmpeg's
//! `ebur128=peak=true` at the two targets, -14 LUFS / -1 dBTP / LRA 11 and
//! -16 LUFS / -1.5 dBTP / LRA 7:
//!
//! - |I - target| <= 0.1 LU, true peak <= ceiling, the input's rate and duration (1 ms);
//! - output LRA <= target + 0.5 LU where the input's range was above the target, and
//!   within 0.2 LU of the input's where it was not;
//! - the applied gain (the Report's `gain_curve_db`) never moves more than 1 dB between
//!   successive 100 ms frames;
//! - steady pink noise (range under the target) gets one constant gain and exactly the
//!   linear job's output, byte for byte;
//! - music after 20 s of -60 dBFS noise is at its level within 3 s of starting.
//!
//! With `LOUDCORE_COMPARE_FFMPEG=1` each case also runs FFmpeg's two-pass dynamic loudnorm
//! (pass 1 `print_format=json`, pass 2 with the measured values and `LRA=`, to the same
//! format at the input's rate) and prints its figures beside loudcore's: the comparison of
//! the note.
//!
//! Signals are made here (music-like sections far apart in level, a speech-like signal,
//! a quiet intro, pink noise); `track.mp3` of the corpus (LRA about 20 LU) runs when
//! `LOUDCORE_CORPUS` is set. The 1-hour mix is the ignored `dynamic_on_the_hour_mix`.

mod common;

use std::path::{Path, PathBuf};

use common::{Expect, check_output, corpus_dir, ffmpeg_ebur128, have_ffmpeg};
use loudcore::{
    AnalyzeOptions, EncoderSettings, HlsOptions, Input, Mode, NormalizeOptions, OutputSpec, Report,
    TargetOptions, normalize_to,
};
use loudcore_testsignals::{Signal, WavFormat, concat, music_like_with_level, write_wav};

const RATE: u32 = 44_100;
/// (target LUFS, ceiling dBTP, LRA LU).
const TARGETS: [(f64, f64, f64); 2] = [(-14.0, -1.0, 11.0), (-16.0, -1.5, 7.0)];
/// Largest gain change between successive 100 ms frames the issue allows.
const MAX_STEP_DB: f64 = 1.0;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("loudcore-dynamic-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn scaled(mut s: Signal, db: f64) -> Signal {
    let g = 10f64.powf(db / 20.0) as f32;
    s.samples.iter_mut().for_each(|x| *x *= g);
    s
}

/// Deterministic white noise in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// Stereo pink noise (Paul Kellet's filter) at about `dbfs` RMS.
fn pink(seconds: f64, dbfs: f64, seed: u64) -> Signal {
    let n = (seconds * f64::from(RATE)) as usize;
    let mut rng = Rng(seed | 1);
    let mut b = [[0f32; 7]; 2];
    let mut out = Vec::with_capacity(2 * n);
    for _ in 0..n {
        for st in &mut b {
            let w = rng.next();
            st[0] = 0.99886 * st[0] + w * 0.0555179;
            st[1] = 0.99332 * st[1] + w * 0.0750759;
            st[2] = 0.96900 * st[2] + w * 0.153_852;
            st[3] = 0.86650 * st[3] + w * 0.3104856;
            st[4] = 0.55000 * st[4] + w * 0.5329522;
            st[5] = -0.7616 * st[5] - w * 0.0168980;
            let p = st.iter().take(6).sum::<f32>() + st[6] + w * 0.5362;
            st[6] = w * 0.115926;
            out.push(p * 0.11);
        }
    }
    let s = Signal::new(RATE, 2, out);
    let rms = (s.samples.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>()
        / s.samples.len() as f64)
        .sqrt();
    scaled(s, dbfs - 20.0 * rms.log10())
}

/// Speech-like: voiced syllables (a harmonic buzz at 110-220 Hz through a vowel-like
/// resonance, 120-320 ms each with an attack and decay), grouped into phrases of 4-10
/// syllables with short gaps and 0.4-1.2 s pauses. Two speakers take turns, one close to
/// the microphone and one 12 dB further away (an interview), and each phrase's level
/// varies by a few dB.
fn speech_like(seconds: f64, seed: u64) -> Signal {
    let n = (seconds * f64::from(RATE)) as usize;
    let mut rng = Rng(seed | 1);
    let mut u = move || f64::from(rng.next()) * 0.5 + 0.5;
    let mut mono = vec![0f32; n];
    let sr = f64::from(RATE);
    let mut t = 0.3;
    let mut speaker = false;
    while t < seconds - 1.0 {
        speaker = !speaker;
        let phrase_db = -4.0 * u() - if speaker { 0.0 } else { 12.0 };
        let syllables = 4 + (u() * 7.0) as usize;
        for _ in 0..syllables {
            let len = 0.12 + 0.2 * u();
            let f0 = 110.0 + 110.0 * u();
            let formant = 500.0 + 1500.0 * u();
            let amp = 10f64.powf((phrase_db - 4.0 * u()) / 20.0) * 0.3;
            let start = (t * sr) as usize;
            let end = ((t + len) * sr).min(n as f64) as usize;
            for (i, slot) in mono.iter_mut().enumerate().take(end).skip(start) {
                let x = (i - start) as f64 / sr;
                let env = (x / 0.02).min(1.0) * ((len - x) / 0.05).clamp(0.0, 1.0);
                let mut v = 0.0;
                for h in 1..12 {
                    let f = f0 * f64::from(h);
                    let w = 1.0 / (1.0 + ((f - formant) / 300.0).powi(2));
                    v += w * (2.0 * std::f64::consts::PI * f * x).sin() / f64::from(h).sqrt();
                }
                *slot += (amp * env * v) as f32;
            }
            t += len + 0.03 + 0.08 * u();
        }
        // Turns of a few phrases each.
        if u() < 0.6 {
            speaker = !speaker;
        }
        t += 0.4 + 0.8 * u();
    }
    let samples = mono.iter().flat_map(|&x| [x, x]).collect();
    Signal::new(RATE, 2, samples)
}

/// Music-like sections far apart in level: a range of about 18 LU.
fn wide_music() -> Signal {
    concat(&[
        music_like_with_level(RATE, 30.0, 11, -12.0),
        music_like_with_level(RATE, 30.0, 12, -30.0),
        music_like_with_level(RATE, 30.0, 13, -14.0),
        music_like_with_level(RATE, 30.0, 14, -26.0),
    ])
}

/// 20 s of -60 dBFS noise, then music in two sections 16 LU apart.
fn quiet_intro() -> Signal {
    concat(&[
        pink(20.0, -60.0, 5),
        music_like_with_level(RATE, 30.0, 21, -28.0),
        music_like_with_level(RATE, 30.0, 22, -12.0),
    ])
}

const QUIET_INTRO_MUSIC_START_S: f64 = 20.0;

fn write_input(dir: &Path, name: &str, s: &Signal) -> PathBuf {
    let p = dir.join(format!("{name}.wav"));
    write_wav(&p, s, WavFormat::Int24).expect("write wav");
    p
}

fn options(target: (f64, f64, f64), mode: Mode, gain_curve: bool) -> NormalizeOptions {
    NormalizeOptions {
        target: TargetOptions {
            target_lufs: Some(target.0),
            true_peak_dbtp: Some(target.1),
            lra_lu: (mode == Mode::Dynamic).then_some(target.2),
            mode,
            gain_curve,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// One run of a dynamic job and the checks of every dynamic output. Returns the report.
fn check_dynamic(
    case: &str,
    input: &Path,
    ext: &str,
    target: (f64, f64, f64),
    dir: &Path,
    failures: &mut Vec<String>,
) -> Option<Report> {
    let (t, c, lra) = target;
    let out = dir.join(format!("{case}-{}.{ext}", -t as i32));
    let src = ffmpeg_ebur128(input, dir).expect("measure input");
    let input_lra = src.lra_lu.expect("input LRA");
    let r = match normalize_to(
        &Input::from(input.to_path_buf()),
        &[OutputSpec::from(out.clone())],
        &options(target, Mode::Dynamic, true),
    ) {
        Ok(r) => r,
        Err(e) => {
            failures.push(format!("{case} {target:?}: {e}"));
            return None;
        }
    };
    let label = format!("{case} {t}/{c}/LRA {lra}");
    let mut fail = |m: String| failures.push(format!("{label}: {m}"));
    if r.mode != Mode::Dynamic {
        fail(format!("mode {:?}", r.mode));
    }
    let Some(d) = r.dynamic.clone() else {
        fail("no dynamic report".into());
        return None;
    };
    let expect = Expect {
        target_lufs: t,
        ceiling_dbtp: c,
        duration_s: src.duration_s(r.input.sample_rate),
        sample_rate: r.input.sample_rate,
        channels: r.input.channels,
    };
    let mut checks = Vec::new();
    let m = check_output(case, &r.outputs[0], &expect, dir, &mut checks);
    for f in checks {
        fail(f);
    }
    let Some(m) = m else { return Some(r) };
    let out_lra = m.ff.lra_lu.unwrap_or(f64::NAN);
    if input_lra > lra {
        if !d.curve_applied {
            fail(format!("input LRA {input_lra:.1} > {lra} but no curve"));
        }
        if out_lra.is_nan() || out_lra > lra + 0.5 {
            fail(format!(
                "output LRA {out_lra:.2} over {lra} + 0.5 (input {input_lra:.1})"
            ));
        }
    } else {
        if d.curve_applied {
            fail(format!(
                "input LRA {input_lra:.1} <= {lra} yet a curve was applied"
            ));
        }
        if (out_lra - input_lra).abs() > 0.2 {
            fail(format!(
                "output LRA {out_lra:.2} moved from the input's {input_lra:.2}"
            ));
        }
    }
    let curve = d.gain_curve_db.clone().unwrap_or_default();
    if curve.is_empty() {
        fail("no gain curve reported".into());
    }
    let step = curve
        .windows(2)
        .map(|w| f64::from((w[1] - w[0]).abs()))
        .fold(0.0, f64::max);
    if step > MAX_STEP_DB {
        fail(format!("the gain moves {step:.2} dB in 100 ms"));
    }
    if (step - d.max_gain_step_db).abs() > 1e-3 {
        fail(format!(
            "max_gain_step_db {} but the curve's is {step}",
            d.max_gain_step_db
        ));
    }
    if std::env::var_os("LOUDCORE_COMPARE_FFMPEG").is_some() {
        ffmpeg_dynamic(&label, input, ext, target, dir, r.input.sample_rate);
    }
    println!(
        "{label:<28} in I {:>6.2} LRA {input_lra:>5.2} | out I {:>6.2} TP {:>6.2} LRA {out_lra:>5.2} (planned {:.2}) | gain {:+.2}..{:+.2} dB, step {step:.2} dB | attempts {}, decodes {}, {:.1} s",
        src.integrated_lufs.unwrap_or(f64::NAN),
        m.ff.integrated_lufs.unwrap_or(f64::NAN),
        m.ff.true_peak_dbtp,
        d.planned_lra_lu,
        d.gain_min_db,
        d.gain_max_db,
        r.outputs[0].attempts,
        r.timings.input_decodes,
        r.elapsed_s,
    );
    Some(r)
}

/// FFmpeg's two-pass dynamic loudnorm on the same input, measured the same way (printed
/// only: the comparison for the note).
fn ffmpeg_dynamic(
    label: &str,
    input: &Path,
    ext: &str,
    target: (f64, f64, f64),
    dir: &Path,
    rate: u32,
) {
    let (t, c, lra) = target;
    let out = dir.join(format!("ffmpeg-{}.{ext}", label.replace(['/', ' '], "_")));
    let pass1 = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-i"])
        .arg(input)
        .args([
            "-af",
            &format!("loudnorm=I={t}:TP={c}:LRA={lra}:print_format=json"),
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg pass 1");
    let text = String::from_utf8_lossy(&pass1.stderr);
    let json = &text[text.rfind('{').unwrap_or(0)..=text.rfind('}').unwrap_or(0)];
    let v: serde_json::Value = serde_json::from_str(json).expect("loudnorm json");
    let f = |k: &str| v[k].as_str().unwrap_or("0").to_string();
    let filter = format!(
        "loudnorm=I={t}:TP={c}:LRA={lra}:measured_I={}:measured_TP={}:measured_LRA={}:measured_thresh={}:offset={}",
        f("input_i"),
        f("input_tp"),
        f("input_lra"),
        f("input_thresh"),
        f("target_offset")
    );
    let codec: &[&str] = if ext == "mp3" {
        &["-c:a", "libmp3lame", "-q:a", "0"]
    } else {
        &["-c:a", "pcm_s24le"]
    };
    let mut args = vec![
        "-i".to_string(),
        input.display().to_string(),
        "-af".into(),
        filter,
        "-ar".into(),
        rate.to_string(),
    ];
    args.extend(codec.iter().map(|a| a.to_string()));
    args.push(out.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::ffmpeg(&args).expect("ffmpeg pass 2");
    let m = ffmpeg_ebur128(&out, dir).expect("measure ffmpeg output");
    let probe = common::ffprobe(&out).expect("probe");
    println!(
        "{:<28} FFmpeg: out I {:>6.2} TP {:>6.2} LRA {:>5.2} | {} Hz, {:.3} s | type {}",
        label,
        m.integrated_lufs.unwrap_or(f64::NAN),
        m.true_peak_dbtp,
        m.lra_lu.unwrap_or(f64::NAN),
        probe.sample_rate,
        m.duration_s(probe.sample_rate),
        v["normalization_type"].as_str().unwrap_or("?"),
    );
    if label.starts_with("quiet-intro") {
        let (early, later, intro) = intro_levels(&out);
        println!(
            "{label:<28} FFmpeg: music 3-6 s in {early:.2} LUFS, later {later:.2}, intro {intro:.2}"
        );
    }
}

fn report_failures(failures: &[String]) {
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn dynamic_mode_on_made_signals() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tmp_dir("signals");
    let cases = [
        (
            "wide-music",
            write_input(&dir, "wide", &wide_music()),
            "mp3",
        ),
        (
            "speech",
            write_input(&dir, "speech", &speech_like(90.0, 7)),
            "mp3",
        ),
        (
            "quiet-intro",
            write_input(&dir, "intro", &quiet_intro()),
            "wav",
        ),
    ];
    let mut failures = Vec::new();
    let dir_ref = dir.as_path();
    std::thread::scope(|s| {
        let jobs: Vec<_> = cases
            .iter()
            .map(|(case, input, ext)| {
                let dir = dir_ref;
                s.spawn(move || {
                    let mut f = Vec::new();
                    let mut reports = Vec::new();
                    for target in TARGETS {
                        reports.push(check_dynamic(case, input, ext, target, dir, &mut f));
                    }
                    (f, reports)
                })
            })
            .collect();
        for (job, (case, _, _)) in jobs.into_iter().zip(&cases) {
            let (f, reports) = job.join().expect("a case panicked");
            failures.extend(f);
            if *case == "quiet-intro" {
                for r in reports.iter().flatten() {
                    check_quiet_intro(r, &mut failures);
                }
            }
        }
    });
    report_failures(&failures);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Music after the quiet intro reaches its level within 3 s: the momentary loudness of the
/// output from 3 s after it starts is that of the same section later on (within 1 LU),
/// and the intro is not brought up to the music's level.
fn check_quiet_intro(r: &Report, failures: &mut Vec<String>) {
    let out = &r.outputs[0].path;
    let (early, later, intro) = intro_levels(Path::new(out));
    println!("quiet-intro -> {out}: music 3-6 s in {early:.2} LUFS, later {later:.2}");
    if (early - later).abs() > 1.0 {
        failures.push(format!(
            "quiet-intro -> {out}: {early:.2} LUFS 3-6 s into the music, {later:.2} later on"
        ));
    }
    if intro > later - 20.0 {
        failures.push(format!(
            "quiet-intro -> {out}: the intro was brought up to {intro:.1} LUFS (music {later:.1})"
        ));
    }
}

/// Mean momentary loudness of a quiet-intro output 3-6 s into the music, later on in the
/// same section, and during the intro.
fn intro_levels(out: &Path) -> (f64, f64, f64) {
    let a = loudcore::analyze_with(
        &Input::from(out.to_path_buf()),
        &AnalyzeOptions {
            curve: true,
            ..Default::default()
        },
    )
    .expect("analyze the output");
    let curve = a.curve.expect("curve");
    let mean = |from: f64, to: f64| {
        let v: Vec<f64> = curve
            .iter()
            .filter(|p| p.t_s > from && p.t_s <= to)
            .filter_map(|p| p.momentary_lufs)
            .map(|l| 10f64.powf(l / 10.0))
            .collect();
        10.0 * (v.iter().sum::<f64>() / v.len().max(1) as f64).log10()
    };
    let start = QUIET_INTRO_MUSIC_START_S;
    (
        mean(start + 3.0, start + 6.0),
        mean(start + 12.0, start + 28.0),
        mean(1.0, start - 2.0),
    )
}

#[test]
fn within_the_range_dynamic_is_exactly_linear() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tmp_dir("pink");
    let input = write_input(&dir, "pink", &pink(30.0, -24.0, 9));
    let target = TARGETS[0];
    let mut failures = Vec::new();
    let Some(r) = check_dynamic("pink", &input, "mp3", target, &dir, &mut failures) else {
        report_failures(&failures);
        return;
    };
    let d = r.dynamic.clone().expect("dynamic report");
    let curve = d.gain_curve_db.unwrap_or_default();
    let (lo, hi) = curve
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &g| {
            (a.min(g), b.max(g))
        });
    if hi - lo > 0.1 || d.curve_applied {
        failures.push(format!(
            "pink noise: gain {lo}..{hi} dB (applied: {})",
            d.curve_applied
        ));
    }
    let linear_out = dir.join("pink-linear.mp3");
    let lin = normalize_to(
        &Input::from(input.clone()),
        &[OutputSpec {
            path: linear_out.clone(),
            settings: EncoderSettings::default(),
        }],
        &options(target, Mode::Linear, false),
    )
    .expect("linear job");
    assert!(lin.dynamic.is_none() && lin.mode == Mode::Linear);
    let a = std::fs::read(&r.outputs[0].path).expect("dynamic output");
    let b = std::fs::read(&linear_out).expect("linear output");
    if a != b {
        failures.push("pink noise: the dynamic output differs from the linear one".into());
    }
    report_failures(&failures);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dynamic_mode_on_a_wide_track() {
    if !have_ffmpeg() {
        return;
    }
    let Some(corpus) = corpus_dir() else { return };
    let input = corpus.join("track.mp3");
    if !common::require(input.is_file(), "the corpus has no track.mp3") {
        return;
    }
    let dir = tmp_dir("track");
    let mut failures = Vec::new();
    for target in TARGETS {
        check_dynamic("track", &input, "mp3", target, &dir, &mut failures);
    }
    report_failures(&failures);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A ladder in dynamic mode: one curve for every rung (each resampled after it), each
/// rung on target and within the range, as its decoded segments measure.
#[test]
fn dynamic_mode_on_a_ladder() {
    let dir = tmp_dir("ladder");
    let input = write_input(&dir, "wide", &wide_music());
    let (t, c, lra) = TARGETS[0];
    let opts = HlsOptions {
        target: options(TARGETS[0], Mode::Dynamic, false).target,
        ..Default::default()
    };
    let r = loudcore::hls(&Input::from(input), dir.join("ladder"), &opts).expect("ladder");
    let d = r.dynamic.as_ref().expect("dynamic report");
    assert!(d.curve_applied && r.mode == Mode::Dynamic);
    assert_eq!(r.outputs.len(), 3);
    for o in &r.outputs {
        let i = o.integrated_lufs.expect("loudness");
        let tp = o.true_peak_dbtp.expect("peak");
        println!(
            "ladder {}: I {i:.2} TP {tp:.2} LRA {:.2} ({} Hz)",
            o.path, o.lra_lu, o.sample_rate
        );
        assert!(o.verified && (i - t).abs() <= 0.1 && tp <= c, "{o:?}");
        assert!(o.lra_lu <= lra + 0.5, "{}: LRA {}", o.path, o.lra_lu);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The 1-hour mix of the corpus at both targets (minutes of encoding; run by hand).
#[test]
#[ignore = "long: the corpus's 1-hour mix"]
fn dynamic_on_the_hour_mix() {
    if !have_ffmpeg() {
        return;
    }
    let Some(corpus) = corpus_dir() else { return };
    let input = corpus.join("mix-1h.mp3");
    let dir = tmp_dir("mix");
    let mut failures = Vec::new();
    for target in TARGETS {
        check_dynamic("mix-1h", &input, "mp3", target, &dir, &mut failures);
    }
    report_failures(&failures);
    let _ = std::fs::remove_dir_all(&dir);
}
