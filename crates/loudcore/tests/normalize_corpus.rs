//! Normalize acceptance on real music: the hard cases of the corpus that
//! `shared/corpus/make.sh DIR` builds (files encoded by FFmpeg and LAME, not by loudcore),
//! each normalized to MP3 (V0 and CBR 192k), WAV and FLAC where they apply, and every output
//! decoded and measured by an independent meter, FFmpeg's `ebur128=peak=true`:
//! |I − target| ≤ 0.1 LU, true peak ≤ ceiling, the input's duration within 1 ms (FFmpeg's
//! decoded sample counts of input and output, via `astats`) and the input's sample rate.
//!
//! | case | input | target | outputs |
//! |---|---|---|---|
//! | quiet | very-quiet.wav (orchestral, -34 LUFS: about +20 dB) | default -14/-1 | mp3, mp3 192k, wav, flac |
//! | clipped | 60 s of track.mp3 +8 dB, hard-clipped to 16-bit WAV here | spotify -14/-1 | mp3, mp3 192k, wav, flac |
//! | mono-16k | mono-16k.mp3 (MPEG-2 layer III, 16 kHz mono) | ebu-r128 -23/-1 | mp3, wav, flac |
//! | hires | first 60 s of track-24bit48k.flac (24-bit 48 kHz FLAC, re-encoded) | amazon -14/-2 | mp3, mp3 192k, wav, flac |
//! | 5.1 | surround-5.1.flac | ebu-r128 -23/-1 | flac, wav (MP3 refuses 6 channels) |
//! | dj | 60 s of track-vbr.mp3 (re-encoded V0) | -9/-1 (heavy limiting) | mp3 V0 |
//!
//! The corpus is found through `LOUDCORE_CORPUS` (relative paths from the repository root).
//! Without it, or without `ffmpeg`/`ffprobe`, the tests fail when `CI` is set and are skipped
//! with a note otherwise. Cases run two at a time, each decoding on one thread, so the whole
//! file stays well under a minute on two cores in the test profile.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use common::{
    Expect, Ffmpeg, Measured, check_ceiling, check_target, corpus_dir, ffmpeg, ffmpeg_ebur128,
    ffprobe, have_ffmpeg, measure_output, print_table, temp_leftovers,
};
use loudcore::{
    DecodeOptions, Error, Input, NormalizeOptions, OutputSpec, Preset, Report, normalize_to,
};

/// Jobs at a time (each also runs FFmpeg on its outputs).
const THREADS: usize = 2;
/// CBR rate of the second MP3 output.
const CBR: u32 = 192_000;

/// An output: extension and, for MP3, a constant bit rate.
#[derive(Clone, Copy, Debug)]
struct Out(&'static str, Option<u32>);

const MP3: Out = Out("mp3", None);
const MP3_CBR: Out = Out("mp3", Some(CBR));
const WAV: Out = Out("wav", None);
const FLAC: Out = Out("flac", None);

struct Case {
    name: &'static str,
    preset: Option<Preset>,
    target_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    /// The target and ceiling the options resolve to.
    target: (f64, f64),
    outputs: &'static [Out],
    channels: u32,
    /// Whether the limiter must (not) work.
    limiter: Option<bool>,
}

const CASES: [Case; 6] = [
    Case {
        name: "quiet",
        preset: None,
        target_lufs: None,
        true_peak_dbtp: None,
        target: (-14.0, -1.0),
        outputs: &[MP3, MP3_CBR, WAV, FLAC],
        channels: 2,
        limiter: Some(true),
    },
    Case {
        name: "clipped",
        preset: Some(Preset::Spotify),
        target_lufs: None,
        true_peak_dbtp: None,
        target: (-14.0, -1.0),
        outputs: &[MP3, MP3_CBR, WAV, FLAC],
        channels: 2,
        limiter: Some(false),
    },
    Case {
        name: "mono-16k",
        preset: Some(Preset::EbuR128),
        target_lufs: None,
        true_peak_dbtp: None,
        target: (-23.0, -1.0),
        // LAME has no 192 kbit/s at 16 kHz (MPEG-2 tops out at 160).
        outputs: &[MP3, WAV, FLAC],
        channels: 1,
        limiter: None,
    },
    Case {
        name: "hires",
        preset: Some(Preset::Amazon),
        target_lufs: None,
        true_peak_dbtp: None,
        target: (-14.0, -2.0),
        outputs: &[MP3, MP3_CBR, WAV, FLAC],
        channels: 2,
        limiter: None,
    },
    Case {
        name: "5.1",
        preset: Some(Preset::EbuR128),
        target_lufs: None,
        true_peak_dbtp: None,
        target: (-23.0, -1.0),
        outputs: &[FLAC, WAV],
        channels: 6,
        limiter: None,
    },
    Case {
        name: "dj",
        preset: None,
        target_lufs: Some(-9.0),
        true_peak_dbtp: Some(-1.0),
        target: (-9.0, -1.0),
        outputs: &[MP3],
        channels: 2,
        limiter: Some(true),
    },
];

/// The input of a case: a corpus file, or one made from it with FFmpeg in `tmp`.
fn prepare(case: &str, corpus: &Path, tmp: &Path) -> Result<PathBuf, String> {
    let src = |f: &str| {
        let p = corpus.join(f);
        if p.is_file() {
            Ok(p.to_str().ok_or("non-UTF-8 corpus path")?.to_string())
        } else {
            Err(format!("{} is missing from the corpus", p.display()))
        }
    };
    let made = |name: &str| tmp.join(name);
    let s = |p: &Path| p.to_str().expect("utf-8 temp path").to_string();
    match case {
        "quiet" => Ok(PathBuf::from(src("very-quiet.wav")?)),
        "mono-16k" => Ok(PathBuf::from(src("mono-16k.mp3")?)),
        "5.1" => Ok(PathBuf::from(src("surround-5.1.flac")?)),
        "clipped" => {
            // A loud passage pushed 8 dB into 16-bit full scale: hard clipping.
            let out = made("clipped-master.wav");
            ffmpeg(&[
                "-ss",
                "120",
                "-t",
                "60",
                "-i",
                &src("track.mp3")?,
                "-af",
                "volume=8dB",
                "-c:a",
                "pcm_s16le",
                &s(&out),
            ])?;
            Ok(out)
        }
        "hires" => {
            // Re-encoded rather than stream-copied: a copy keeps the STREAMINFO of the
            // whole file (224 s), which loudcore rightly calls truncated.
            let out = made("hires-60s.flac");
            ffmpeg(&[
                "-t",
                "60",
                "-i",
                &src("track-24bit48k.flac")?,
                "-c:a",
                "flac",
                "-sample_fmt",
                "s32",
                "-bits_per_raw_sample",
                "24",
                &s(&out),
            ])?;
            Ok(out)
        }
        "dj" => {
            let out = made("dj-in.mp3");
            ffmpeg(&[
                "-ss",
                "30",
                "-t",
                "60",
                "-i",
                &src("track-vbr.mp3")?,
                "-c:a",
                "libmp3lame",
                "-q:a",
                "0",
                &s(&out),
            ])?;
            Ok(out)
        }
        other => Err(format!("unknown case {other}")),
    }
}

/// A case after its job ran and its input and outputs were measured.
struct Done {
    name: &'static str,
    report: Option<Report>,
    input_ff: Option<Ffmpeg>,
    expect: Option<Expect>,
    measured: Vec<Measured>,
    /// Everything but the ceilings.
    failures: Vec<String>,
    seconds: f64,
}

fn run_case(case: &Case, corpus: &Path) -> Done {
    let started = Instant::now();
    let mut done = Done {
        name: case.name,
        report: None,
        input_ff: None,
        expect: None,
        measured: Vec::new(),
        failures: Vec::new(),
        seconds: 0.0,
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let result = run_case_in(case, corpus, tmp.path(), &mut done);
    if let Err(e) = result {
        done.failures.push(format!("{}: {e}", case.name));
    }
    done.seconds = started.elapsed().as_secs_f64();
    done
}

fn run_case_in(case: &Case, corpus: &Path, tmp: &Path, done: &mut Done) -> Result<(), String> {
    let name = case.name;
    let input = prepare(name, corpus, tmp)?;
    let in_probe = ffprobe(&input)?;
    let in_ff = ffmpeg_ebur128(&input, tmp)?;
    let in_duration = in_ff.duration_s(in_probe.sample_rate);
    let out_dir = tmp.join("out");
    std::fs::create_dir(&out_dir).map_err(|e| e.to_string())?;
    let outputs: Vec<OutputSpec> = case
        .outputs
        .iter()
        .map(|o| OutputSpec {
            path: out_dir.join(match o.1 {
                Some(b) => format!("{name}-{}k.{}", b / 1000, o.0),
                None => format!("{name}.{}", o.0),
            }),
            settings: loudcore::EncoderSettings {
                bitrate: o.1,
                ..Default::default()
            },
        })
        .collect();
    let opts = NormalizeOptions {
        target: loudcore::TargetOptions {
            preset: case.preset,
            target_lufs: case.target_lufs,
            true_peak_dbtp: case.true_peak_dbtp,
            ..Default::default()
        },
        job: loudcore::JobOptions {
            decode: DecodeOptions {
                threads: 1,
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let r = normalize_to(&Input::from(input.as_path()), &outputs, &opts)
        .map_err(|e| format!("normalize failed: {e} ({e:?})"))?;
    let (target, ceiling) = case.target;
    let expect = Expect {
        target_lufs: target,
        ceiling_dbtp: ceiling,
        duration_s: in_duration,
        sample_rate: in_probe.sample_rate,
        channels: case.channels,
    };
    let mut fail = |m: String| done.failures.push(format!("{name}: {m}"));

    // The plan and the input analysis.
    if (r.target_lufs, r.true_peak_dbtp) != (target, ceiling) {
        fail(format!(
            "Report targets {} / {}, expected {target} / {ceiling}",
            r.target_lufs, r.true_peak_dbtp
        ));
    }
    let ours_i = r.input.integrated_lufs.unwrap_or(f64::NAN);
    if (r.gain_db - (target - ours_i)).abs() > 1e-6 {
        fail(format!(
            "gain_db {} is not target − input I = {}",
            r.gain_db,
            target - ours_i
        ));
    }
    match in_ff.integrated_lufs {
        Some(i) if (i - ours_i).abs() <= 0.1 => {}
        other => fail(format!("input I {ours_i} vs FFmpeg {other:?}")),
    }
    if let Some(want) = case.limiter {
        if r.limiter_active != want {
            fail(format!(
                "limiter_active {} (gain {:+.2} dB, input TP {:?})",
                r.limiter_active, r.gain_db, r.input.true_peak_dbtp
            ));
        }
    }
    if r.input.channels != case.channels || in_probe.channels != case.channels {
        fail(format!(
            "input channels: ours {}, ffprobe {}",
            r.input.channels, in_probe.channels
        ));
    }
    match name {
        // An orchestral recording at about -34 LUFS: some +20 dB.
        "quiet" if !(19.0..=21.5).contains(&r.gain_db) => {
            fail(format!("gain {:+.2} dB, expected about +20", r.gain_db));
        }
        "clipped" => {
            // A clipped master: loud, with inter-sample peaks over full scale, by both meters.
            let tp = r.input.true_peak_dbtp.unwrap_or(f64::NAN);
            if !(-7.0..=-3.0).contains(&ours_i) || tp < 1.0 {
                fail(format!(
                    "clipped master measures {ours_i:.2} LUFS / {tp:+.2} dBTP, expected about \
                     -5 LUFS and over +1 dBTP"
                ));
            }
            if (tp - in_ff.true_peak_dbtp).abs() > 0.2 {
                fail(format!(
                    "input TP {tp:.3} vs FFmpeg {:.3}",
                    in_ff.true_peak_dbtp
                ));
            }
            if r.input.sample_peak_dbfs.is_none_or(|p| p < -0.01) {
                fail(format!(
                    "a clipped 16-bit master reaches full scale: sample peak {:?}",
                    r.input.sample_peak_dbfs
                ));
            }
        }
        "hires" if (in_probe.sample_rate, in_probe.bits_per_raw_sample) != (48_000, Some(24)) => {
            fail(format!("fixture is not 24-bit 48 kHz: {in_probe:?}"));
        }
        _ => {}
    }

    // Every output, by FFmpeg.
    for o in &r.outputs {
        let m = measure_output(name, o, tmp)?;
        check_target(&m, &expect, &mut done.failures);
        let p = &m.probe;
        let label = m.label();
        match (o.format.as_str(), Path::new(&o.path).file_name()) {
            ("mp3", Some(f)) if f.to_string_lossy().contains("-192k") => {
                // CBR: every frame at 192 kbit/s.
                if p.bit_rate != Some(u64::from(CBR)) {
                    done.failures
                        .push(format!("{label}: ffprobe bit rate {:?}", p.bit_rate));
                }
                if o.bit_rate
                    .is_none_or(|b| (b as f64 / f64::from(CBR) - 1.0).abs() > 0.02)
                {
                    done.failures
                        .push(format!("{label}: Report bit_rate {:?}", o.bit_rate));
                }
            }
            ("flac" | "wav", _) if name == "hires" || name == "quiet" || name == "5.1" => {
                // 24-bit sources keep 24 bits.
                let bits = p.bits_per_raw_sample.unwrap_or(p.bits_per_sample);
                if bits != 24 {
                    done.failures
                        .push(format!("{label}: {bits} bits from a 24-bit source"));
                }
            }
            _ => {}
        }
        done.measured.push(m);
    }
    let left = temp_leftovers(&out_dir);
    if !left.is_empty() {
        done.failures
            .push(format!("{name}: temporary files left: {left:?}"));
    }
    done.report = Some(r);
    done.input_ff = Some(in_ff);
    done.expect = Some(expect);
    Ok(())
}

/// All cases, run once and shared by the tests below; `None` when the corpus or FFmpeg is
/// missing (outside CI).
fn corpus_run() -> Option<&'static Vec<Done>> {
    static RUN: OnceLock<Option<Vec<Done>>> = OnceLock::new();
    RUN.get_or_init(|| {
        let corpus = corpus_dir()?;
        if !have_ffmpeg() {
            return None;
        }
        let started = Instant::now();
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    while let Some(case) = CASES.get(next.fetch_add(1, Ordering::SeqCst)) {
                        let d = run_case(case, &corpus);
                        results.lock().expect("lock").push(d);
                    }
                });
            }
        });
        let mut results = results.into_inner().expect("lock");
        results.sort_by_key(|d| CASES.iter().position(|c| c.name == d.name));
        print_summary(&results, started.elapsed().as_secs_f64());
        Some(results)
    })
    .as_ref()
}

fn print_summary(results: &[Done], seconds: f64) {
    println!(
        "{:<10} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7} {:>5} {:>6}",
        "case", "in I", "I ffmpeg", "in TP", "TP ff", "gain", "limiter", "rate", "job s"
    );
    for d in results {
        if let (Some(r), Some(ff)) = (&d.report, &d.input_ff) {
            println!(
                "{:<10} {:>8.3} {:>8} {:>+7.2} {:>+7.2} {:>+7.2} {:>7} {:>5} {:>6.1}",
                d.name,
                r.input.integrated_lufs.unwrap_or(f64::NAN),
                ff.integrated_lufs
                    .map_or("none".into(), |i| format!("{i:.3}")),
                r.input.true_peak_dbtp.unwrap_or(f64::NAN),
                ff.true_peak_dbtp,
                r.gain_db,
                r.limiter_active,
                r.input.sample_rate,
                d.seconds
            );
        } else {
            println!("{:<10} failed after {:.1} s", d.name, d.seconds);
        }
    }
    let rows: Vec<_> = results
        .iter()
        .flat_map(|d| {
            d.measured
                .iter()
                .filter_map(|m| d.expect.as_ref().map(|e| m.row(e)))
        })
        .collect();
    print_table(&rows);
    println!("corpus cases: {seconds:.1} s on {THREADS} threads");
}

fn ceiling_failures(results: &[Done], lossy: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for d in results {
        if let Some(e) = &d.expect {
            for m in d
                .measured
                .iter()
                .filter(|m| m.out.format.is_lossy() == lossy)
            {
                check_ceiling(m, e, &mut failures);
            }
        }
    }
    failures
}

#[test]
fn corpus_outputs_land_on_target_by_ffmpeg() {
    let Some(results) = corpus_run() else { return };
    let failures: Vec<&String> = results.iter().flat_map(|d| &d.failures).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn corpus_lossy_outputs_stay_under_the_ceiling_by_ffmpeg() {
    let Some(results) = corpus_run() else { return };
    let failures = ceiling_failures(results, true);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_lossless_outputs_stay_under_the_ceiling_by_ffmpeg() {
    let Some(results) = corpus_run() else { return };
    let failures = ceiling_failures(results, false);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_surround_to_mp3_is_refused() {
    let Some(corpus) = corpus_dir() else { return };
    let input = corpus.join("surround-5.1.flac");
    assert!(input.is_file(), "{} is missing", input.display());
    let dir = tempfile::tempdir().expect("temp dir");
    let mp3 = dir.path().join("surround.mp3");
    let flac = dir.path().join("surround.flac");
    for outs in [
        vec![OutputSpec::from(&mp3)],
        vec![OutputSpec::from(&flac), OutputSpec::from(&mp3)],
    ] {
        let started = Instant::now();
        let e = normalize_to(
            &Input::from(input.as_path()),
            &outs,
            &NormalizeOptions::default(),
        )
        .expect_err("MP3 cannot carry 6 channels");
        match &e {
            Error::InvalidOptions { detail } => {
                assert!(
                    detail.contains("surround.mp3"),
                    "names the output: {detail}"
                )
            }
            other => panic!("expected InvalidOptions, got {other:?}"),
        }
        // Refused up front, before decoding 30 s of 6-channel audio.
        assert!(
            started.elapsed().as_secs_f64() < 2.0,
            "refused only after {:?}",
            started.elapsed()
        );
        assert!(!mp3.exists() && !flac.exists(), "nothing written");
    }
    assert_eq!(temp_leftovers(dir.path()), Vec::<String>::new());
}
