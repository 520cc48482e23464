//! `loudcore normalize` as a shell or script sees it: `--json` prints exactly one Report
//! with the DESIGN.md field names and the measured outputs; the flags reach the job
//! (preset, targets, bit rate, bits, sample rate); refusals and silent input are one
//! `error:` line on stderr with the exit code `--help` documents for their class.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use loudcore_testsignals::{WavFormat, music_like, silence, write_wav};
use serde_json::{Map, Value};

const BIN: &str = env!("CARGO_BIN_EXE_loudcore");

/// The Report fields of the public contract (DESIGN.md).
const REPORT_FIELDS: [&str; 5] = ["input", "gain_db", "limiter_active", "outputs", "elapsed_s"];
/// The fields of each output in a Report.
const OUTPUT_FIELDS: [&str; 9] = [
    "path",
    "format",
    "sample_rate",
    "bit_rate",
    "duration_s",
    "integrated_lufs",
    "true_peak_dbtp",
    "lra_lu",
    "verified",
];
/// The Analysis fields (the Report's `input`).
const ANALYSIS_FIELDS: [&str; 12] = [
    "integrated_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "lra_lu",
    "threshold_lufs",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "duration_s",
    "sample_rate",
    "channels",
    "codec",
    "bit_rate",
];

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run loudcore")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("utf-8 output")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// 8 s of music at about -20 LUFS, 44.1 kHz stereo 16-bit.
fn music_wav(dir: &Path) -> PathBuf {
    let p = dir.join("music.wav");
    write_wav(&p, &music_like(44_100, 8.0, 21), WavFormat::Int16).expect("write wav");
    p
}

/// Exactly one JSON object on stdout (and nothing else but whitespace).
fn one_json_object(stdout: &str) -> Map<String, Value> {
    let values: Vec<Value> = serde_json::Deserializer::from_str(stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"));
    assert_eq!(values.len(), 1, "expected one JSON value:\n{stdout}");
    match values.into_iter().next() {
        Some(Value::Object(m)) => m,
        other => panic!("stdout is not a JSON object: {other:?}"),
    }
}

fn num(m: &Map<String, Value>, k: &str) -> f64 {
    m.get(k)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{k} is not a number: {:?}", m.get(k)))
}

/// Runs `normalize ... --json`, asserts success and returns the Report object.
fn normalize_json(args: &[&str]) -> Map<String, Value> {
    let mut all = vec!["normalize"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = run(&all);
    let stderr = text(&out.stderr);
    assert!(
        out.status.success(),
        "{all:?}: exit {:?}: {stderr}",
        out.status
    );
    // No progress bar when stderr is not a terminal, and nothing else.
    assert_eq!(stderr, "", "{all:?}: stderr must be empty with --json");
    one_json_object(&text(&out.stdout))
}

fn outputs(report: &Map<String, Value>) -> Vec<Map<String, Value>> {
    report["outputs"]
        .as_array()
        .unwrap_or_else(|| panic!("outputs is not an array: {}", report["outputs"]))
        .iter()
        .map(|o| o.as_object().expect("output object").clone())
        .collect()
}

#[test]
fn normalize_json_prints_one_report_with_the_contract_fields() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = music_wav(dir.path());
    let mp3 = dir.path().join("out.mp3");
    let wav = dir.path().join("out.wav");
    let r = normalize_json(&[s(&input), "-o", s(&mp3), "-o", s(&wav)]);
    for f in REPORT_FIELDS {
        assert!(r.contains_key(f), "Report has no {f}: {r:?}");
    }
    let input_obj = r["input"].as_object().expect("input is an object");
    for f in ANALYSIS_FIELDS {
        assert!(input_obj.contains_key(f), "input has no {f}: {input_obj:?}");
    }
    let measured = num(input_obj, "integrated_lufs");
    assert!(
        (num(&r, "gain_db") - (-14.0 - measured)).abs() < 1e-6,
        "gain_db {} for input {measured}",
        r["gain_db"]
    );
    assert!(r["limiter_active"].is_boolean(), "{}", r["limiter_active"]);
    assert!(num(&r, "elapsed_s") > 0.0);
    let outs = outputs(&r);
    assert_eq!(outs.len(), 2);
    for (o, (path, format)) in outs.iter().zip([(&mp3, "mp3"), (&wav, "wav")]) {
        for f in OUTPUT_FIELDS {
            assert!(o.contains_key(f), "output has no {f}: {o:?}");
        }
        assert_eq!(o["path"], s(path));
        assert_eq!(o["format"], format);
        assert_eq!(o["sample_rate"], 44_100);
        assert_eq!(o["verified"], true);
        assert!(
            (num(o, "integrated_lufs") + 14.0).abs() <= 0.1,
            "{format}: {}",
            o["integrated_lufs"]
        );
        assert!(
            num(o, "true_peak_dbtp") <= -1.0,
            "{format}: {}",
            o["true_peak_dbtp"]
        );
        assert_eq!(num(o, "duration_s"), 8.0, "{format}");
        assert!(num(o, "bit_rate") > 0.0, "{format}: {}", o["bit_rate"]);
        assert!(num(o, "lra_lu") >= 0.0);
        assert!(path.is_file(), "{} not written", path.display());
    }
}

#[test]
fn normalize_flags_reach_the_job() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = music_wav(dir.path());

    // A preset, overridden in part by an explicit ceiling; CBR MP3.
    let mp3 = dir.path().join("cbr.mp3");
    let r = normalize_json(&[
        s(&input),
        "-o",
        s(&mp3),
        "--preset",
        "ebu-r128",
        "--true-peak-dbtp",
        "-2",
        "--bitrate",
        "192k",
    ]);
    assert_eq!(num(&r, "target_lufs"), -23.0);
    assert_eq!(num(&r, "true_peak_dbtp"), -2.0);
    let o = &outputs(&r)[0];
    assert!((num(o, "integrated_lufs") + 23.0).abs() <= 0.1, "{o:?}");
    assert!(
        (num(o, "bit_rate") / 192_000.0 - 1.0).abs() <= 0.02,
        "CBR 192k: {}",
        o["bit_rate"]
    );

    // An explicit target, 24-bit WAV at 48 kHz.
    let wav = dir.path().join("hi.wav");
    let r = normalize_json(&[
        s(&input),
        "-o",
        s(&wav),
        "--target-lufs",
        "-16",
        "--bits",
        "24",
        "--sample-rate",
        "48000",
    ]);
    assert_eq!(num(&r, "target_lufs"), -16.0);
    let o = &outputs(&r)[0];
    assert_eq!(o["sample_rate"], 48_000);
    assert!((num(o, "integrated_lufs") + 16.0).abs() <= 0.1, "{o:?}");
    assert!((num(o, "duration_s") - 8.0).abs() <= 0.001, "{o:?}");
    assert_eq!(wav_rate_and_bits(&wav), (48_000, 24));

    // Without --json: a table for people on stdout, nothing on stderr.
    let flac = dir.path().join("plain.flac");
    let out = run(&["normalize", s(&input), "-o", s(&flac)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(s(&flac)),
        "the table names the output:\n{stdout}"
    );
    assert!(stdout.contains("verified"), "{stdout}");
}

/// Sample rate and bits per sample from the `fmt ` chunk of a RIFF WAVE file.
fn wav_rate_and_bits(path: &Path) -> (u32, u16) {
    let b = std::fs::read(path).expect("read wav");
    assert!(
        b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WAVE",
        "not RIFF WAVE"
    );
    let mut at = 12;
    while at + 8 <= b.len() {
        let size = u32::from_le_bytes([b[at + 4], b[at + 5], b[at + 6], b[at + 7]]) as usize;
        if &b[at..at + 4] == b"fmt " {
            let f = &b[at + 8..at + 8 + size];
            return (
                u32::from_le_bytes([f[4], f[5], f[6], f[7]]),
                u16::from_le_bytes([f[14], f[15]]),
            );
        }
        at += 8 + size + size % 2;
    }
    panic!("no fmt chunk in {}", path.display());
}

/// An error run: the exit code, exactly one `error: ` line on stderr, nothing on stdout.
fn assert_one_error_line(args: &[&str], code: i32) -> String {
    let out = run(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?}: expected one stderr line: {stderr:?}"
    );
    assert!(lines[0].starts_with("error: "), "{args:?}: {stderr:?}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert_eq!(text(&out.stdout), "", "{args:?}: nothing on stdout");
    lines[0].to_string()
}

#[test]
fn a_range_target_in_linear_mode_exits_2_with_one_error_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = music_wav(dir.path());
    let out = dir.path().join("out.wav");
    for extra in [&[][..], &["--json"], &["--mode", "linear"]] {
        let mut args = vec!["normalize", s(&input), "-o", s(&out), "--lra-lu", "7"];
        args.extend_from_slice(extra);
        let line = assert_one_error_line(&args, 2);
        assert!(line.contains("dynamic mode"), "{line}");
        assert!(!out.exists(), "no output for a refused job");
    }
}

#[test]
fn dynamic_mode_reports_its_curve() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 10 s loud, 10 s 18 dB quieter: a range far over 5 LU.
    let loud = music_like(44_100, 10.0, 3);
    let mut quiet = music_like(44_100, 10.0, 4);
    quiet.samples.iter_mut().for_each(|x| *x *= 0.125);
    let input = dir.path().join("steps.wav");
    write_wav(
        &input,
        &loudcore_testsignals::concat(&[loud, quiet]),
        WavFormat::Int16,
    )
    .expect("write wav");
    let out = dir.path().join("out.wav");
    let o = run(&[
        "normalize",
        s(&input),
        "-o",
        s(&out),
        "--mode",
        "dynamic",
        "--lra-lu",
        "5",
        "--gain-curve",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = one_json_object(&text(&o.stdout));
    assert_eq!(r["mode"], "dynamic");
    let d = r["dynamic"].as_object().expect("a dynamic object");
    assert_eq!(d["curve_applied"], true);
    assert_eq!(d["lra_target_lu"], 5.0);
    let curve = d["gain_curve_db"].as_array().expect("the curve");
    assert_eq!(curve.len(), 200);
    assert!(d["max_gain_step_db"].as_f64().is_some_and(|x| x <= 1.0));
    let lra = r["outputs"][0]["lra_lu"].as_f64().expect("output LRA");
    assert!(lra <= 5.5, "output LRA {lra}");
    // The same job for a person: the curve's range in one line.
    let o = run(&[
        "normalize",
        s(&input),
        "-o",
        s(&out),
        "--mode",
        "dynamic",
        "--lra-lu",
        "5",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    assert!(t.contains("(dynamic)") && t.contains("Gain curve"), "{t}");
}

#[test]
fn unknown_preset_exits_2_with_one_error_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = music_wav(dir.path());
    let out = dir.path().join("out.wav");
    let line = assert_one_error_line(
        &[
            "normalize",
            s(&input),
            "-o",
            s(&out),
            "--preset",
            "loudest-possible",
        ],
        2,
    );
    assert!(line.contains("loudest-possible"), "names the value: {line}");
    assert!(!out.exists());
}

#[test]
fn unknown_output_extension_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = music_wav(dir.path());
    let out = dir.path().join("out.ogg");
    let line = assert_one_error_line(&["normalize", s(&input), "-o", s(&out)], 2);
    assert!(line.contains("out.ogg"), "names the output: {line}");
    assert!(!out.exists());
}

#[test]
fn silent_input_exits_8_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("silence.wav");
    write_wav(&input, &silence(44_100, 2, 3.0), WavFormat::Int16).expect("write");
    let out = dir.path().join("out.mp3");
    for json in [false, true] {
        let mut args = vec!["normalize", s(&input), "-o", s(&out)];
        if json {
            args.push("--json");
        }
        let line = assert_one_error_line(&args, 8);
        assert!(
            line.starts_with(&format!("error: {}: ", s(&input))),
            "names the input: {line}"
        );
        assert!(line.contains("silent"), "{line}");
        assert!(!out.exists(), "no output for silent input");
    }
    let help = text(&run(&["normalize", "--help"]).stdout);
    assert!(
        help.lines()
            .any(|l| l.trim_start().starts_with("8 ") && l.contains("silent")),
        "`normalize --help` documents exit code 8:\n{help}"
    );
}

/// SIGTERM (what a job runner or `timeout` sends) cancels the job: exit code 130, the
/// temporary file removed, an existing output untouched.
#[cfg(unix)]
#[test]
fn sigterm_cancels_and_leaves_nothing_behind() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("long.wav");
    write_wav(&input, &music_like(44_100, 240.0, 5), WavFormat::Int16).expect("write wav");
    let out = dir.path().join("out.mp3");
    std::fs::write(&out, b"the previous output").expect("write");
    let mut child = Command::new(BIN)
        .args(["normalize", s(&input), "-o", s(&out)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn loudcore");
    // Wait until the encoder's temporary file exists: the job is mid-render.
    let hidden = |d: &Path| {
        std::fs::read_dir(d)
            .expect("read dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .count()
    };
    let t0 = Instant::now();
    while hidden(dir.path()) == 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no temporary file appeared"
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the job ended before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let output = child.wait_with_output().expect("wait");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("cancel"), "stderr: {stderr}");
    assert_eq!(hidden(dir.path()), 0, "a temporary file was left behind");
    assert_eq!(
        std::fs::read(&out).expect("read"),
        b"the previous output",
        "the existing output was touched"
    );
}
