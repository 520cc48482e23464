//! M4A (AAC-LC) end to end: normalize WAV into `.m4a` (linear gain, and +20 dB where the
//! limiter works) checked by FFmpeg's `ebur128=peak=true`, ffprobe's duration and
//! loudcore's own analysis of the written file; and gapless reading of M4A files made by
//! FFmpeg (analysis duration equal to ffprobe's).
//!
//! FFmpeg (5.1) decodes an M4A's last packet whole, beyond the edit list's end, so the
//! duration oracle here is ffprobe's (which follows the edit list), not FFmpeg's decoded
//! sample count as in `normalize.rs`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Expect, MAX_DURATION_ERROR_S, MAX_TARGET_ERROR_LU, have_ffmpeg};
use loudcore::{Input, NormalizeOptions, OutputFormat, Report, analyze, normalize};
use loudcore_testsignals::{WavFormat, music_like, music_like_with_level, write_wav};

/// ffprobe's duration of the first audio stream, seconds.
fn ffprobe_duration(path: &Path) -> f64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=duration",
            "-of",
            "default=nw=1:nk=1",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("ffprobe duration of {}: {e}", path.display()))
}

/// Normalizes `input` into `dir/out.m4a` and checks the output with FFmpeg, ffprobe and
/// loudcore's own analysis.
fn normalize_and_check(case: &str, input: &Path, dir: &Path, expect: &Expect) -> Report {
    let out = dir.join(format!("{case}.m4a"));
    let report = normalize(&Input::from(input), &out, &NormalizeOptions::default())
        .unwrap_or_else(|e| panic!("{case}: normalize: {e}"));
    let o = &report.outputs[0];
    assert!(o.verified, "{case}: not verified");
    assert_eq!(o.format, OutputFormat::M4a);
    assert!(
        (o.duration_s - expect.duration_s).abs() <= MAX_DURATION_ERROR_S,
        "{case}: Report duration {}",
        o.duration_s
    );

    // loudcore's own reading of the file (gapless: edit list).
    let a = analyze(&Input::from(out.as_path())).expect("analyze output");
    let ours_i = a.integrated_lufs.expect("loud output");
    assert!(
        (ours_i - expect.target_lufs).abs() <= 0.05,
        "{case}: loudcore measures I = {ours_i}"
    );
    assert!(
        a.true_peak_dbtp.expect("peak") <= expect.ceiling_dbtp,
        "{case}: loudcore measures TP = {:?}",
        a.true_peak_dbtp
    );
    assert!(
        (a.duration_s - expect.duration_s).abs() <= MAX_DURATION_ERROR_S,
        "{case}: loudcore decodes {} s, input {} s",
        a.duration_s,
        expect.duration_s
    );

    if !have_ffmpeg() {
        return report;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let m = common::measure_output(case, o, tmp.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    common::check_ceiling(&m, expect, &mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let ff_i = m.ff.integrated_lufs.expect("FFmpeg I");
    assert!(
        (ff_i - expect.target_lufs).abs() <= MAX_TARGET_ERROR_LU,
        "{case}: FFmpeg measures I = {ff_i}"
    );
    assert_eq!(m.probe.codec_name, "aac");
    assert_eq!(m.probe.sample_rate, expect.sample_rate);
    assert_eq!(m.probe.channels, expect.channels);
    let d = ffprobe_duration(&out);
    assert!(
        (d - expect.duration_s).abs() <= MAX_DURATION_ERROR_S,
        "{case}: ffprobe duration {d}, input {}",
        expect.duration_s
    );
    // FFmpeg decodes the edit's start exactly and the last packet whole.
    let ff_dur = m.ff_duration_s();
    assert!(
        ff_dur >= expect.duration_s - 1e-9 && ff_dur < expect.duration_s + 1024.0 / 44_100.0,
        "{case}: FFmpeg decodes {ff_dur} s"
    );
    eprintln!(
        "{case}: gain {:+.2} dB, limiter {}, loudcore I {ours_i:.3} TP {:.3}, FFmpeg I {ff_i:.3} TP {:.3}, ffprobe {d:.6} s, loudcore {:.6} s",
        report.gain_db,
        report.limiter_active,
        a.true_peak_dbtp.unwrap_or(f64::NAN),
        m.ff.true_peak_dbtp,
        a.duration_s
    );
    report
}

#[test]
fn wav_to_m4a_lands_on_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An odd length, so the last AAC packet is partly padding.
    let signal = music_like(44_100, 9.87, 31);
    let input = dir.path().join("input.wav");
    write_wav(&input, &signal, WavFormat::Int16).expect("write wav");
    normalize_and_check(
        "linear",
        &input,
        dir.path(),
        &Expect {
            target_lufs: -14.0,
            ceiling_dbtp: -1.0,
            duration_s: signal.frames() as f64 / 44_100.0,
            sample_rate: 44_100,
            channels: 2,
        },
    );
}

#[test]
fn wav_to_m4a_plus_20_db_limits_and_lands_on_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    let quiet = music_like_with_level(44_100, 12.0, 13, -34.0);
    let input = dir.path().join("quiet.wav");
    write_wav(&input, &quiet, WavFormat::Int16).expect("write wav");
    let report = normalize_and_check(
        "plus20",
        &input,
        dir.path(),
        &Expect {
            target_lufs: -14.0,
            ceiling_dbtp: -1.0,
            duration_s: quiet.frames() as f64 / 44_100.0,
            sample_rate: 44_100,
            channels: 2,
        },
    );
    assert!(report.limiter_active, "+20 dB must engage the limiter");
    assert!(report.gain_db > 15.0, "gain {}", report.gain_db);
}

/// M4A made by FFmpeg's own AAC encoder (1024 frames of priming, edit list in a 1000 Hz
/// movie timescale): loudcore's analysis lasts what ffprobe says, within 1 ms.
#[test]
fn ffmpeg_made_m4a_duration_matches_ffprobe() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for (rate, secs, ch) in [(48_000, "2.3456", 1), (44_100, "3.21", 2)] {
        let out = dir.path().join(format!("ff_{rate}.m4a"));
        common::ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &format!("sine=frequency=997:sample_rate={rate}:duration={secs}"),
            "-ac",
            &ch.to_string(),
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            out.to_str().expect("utf-8 path"),
        ])
        .expect("ffmpeg encode");
        let ff = ffprobe_duration(&out);
        let a = analyze(&Input::from(out.as_path())).expect("analyze");
        let probe = loudcore::probe(&Input::from(out.as_path()), &loudcore::Limits::default())
            .expect("probe");
        eprintln!(
            "{}: ffprobe {ff:.6} s, loudcore analysis {:.6} s, probe {:.6} s",
            out.display(),
            a.duration_s,
            probe.duration_s
        );
        assert!(
            (a.duration_s - ff).abs() <= MAX_DURATION_ERROR_S,
            "analysis {}",
            a.duration_s
        );
        assert!(
            (probe.duration_s - ff).abs() <= MAX_DURATION_ERROR_S,
            "probe {}",
            probe.duration_s
        );
        let want: f64 = secs.parse().expect("number");
        assert!((a.duration_s - want).abs() <= MAX_DURATION_ERROR_S);
    }
}
