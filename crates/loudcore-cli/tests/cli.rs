//! The `loudcore` binary as a shell or script sees it: `analyze --json` prints exactly one
//! JSON object with the DESIGN.md Analysis fields and the EBU Tech 3341 values; the table
//! for people; silence as `null`; and every error as one `error: <file>: ...` line on
//! stderr with the exit code `--help` documents for its class.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use loudcore_testsignals::{WavFormat, case_by_id, silence, wav_bytes, write_wav};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_loudcore");

/// The Analysis fields of the public contract (DESIGN.md).
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

/// EBU Tech 3341 case 1 (stereo 1 kHz sine at −23 dBFS, 20 s) at 48 kHz, 24-bit.
fn case_1_wav(dir: &Path) -> PathBuf {
    let path = dir.join("3341-1.wav");
    let case = case_by_id("3341-1", 48_000).expect("case 3341-1");
    write_wav(&path, &case.signal, WavFormat::Int24).expect("write wav");
    path
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Exactly one JSON value on stdout (and nothing else but whitespace).
fn one_json_object(stdout: &str) -> serde_json::Map<String, Value> {
    let values: Vec<Value> = serde_json::Deserializer::from_str(stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"));
    assert_eq!(
        values.len(),
        1,
        "expected one JSON value on stdout, got {}:\n{stdout}",
        values.len()
    );
    match values.into_iter().next() {
        Some(Value::Object(m)) => m,
        other => panic!("stdout is not a JSON object: {other:?}"),
    }
}

fn num(m: &serde_json::Map<String, Value>, k: &str) -> f64 {
    m[k].as_f64()
        .unwrap_or_else(|| panic!("{k} is not a number: {}", m[k]))
}

#[test]
fn analyze_json_ebu_case_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = case_1_wav(dir.path());
    let out = run(&["analyze", path_str(&wav), "--json"]);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr), "", "stderr must be empty with --json");
    let m = one_json_object(&text(&out.stdout));
    for field in ANALYSIS_FIELDS {
        assert!(m.contains_key(field), "missing field {field}: {m:?}");
    }
    // EBU Tech 3341 case 1: M, S, I = −23.0 ±0.1 LUFS.
    for k in [
        "integrated_lufs",
        "max_momentary_lufs",
        "max_short_term_lufs",
    ] {
        assert!((num(&m, k) + 23.0).abs() <= 0.1, "{k} = {}", m[k]);
    }
    // A steady tone: the relative gate is 10 LU below I, no loudness range, and a 1 kHz
    // sine at 48 kHz has a sample exactly on every crest, so sample and true peak are −23 dB.
    assert!(
        (num(&m, "threshold_lufs") + 33.0).abs() <= 0.1,
        "{}",
        m["threshold_lufs"]
    );
    assert!(num(&m, "lra_lu").abs() <= 0.1, "{}", m["lra_lu"]);
    assert!(
        (num(&m, "sample_peak_dbfs") + 23.0).abs() <= 0.01,
        "{}",
        m["sample_peak_dbfs"]
    );
    let tp = num(&m, "true_peak_dbtp");
    assert!(
        (-23.4..=-22.8).contains(&tp),
        "true peak {tp} outside −23 +0.2/−0.4 dBTP"
    );
    assert_eq!(num(&m, "duration_s"), 20.0);
    assert_eq!(m["sample_rate"], 48_000);
    assert_eq!(m["channels"], 2);
    assert_eq!(m["codec"], "pcm_s24le");
    assert_eq!(m["bit_rate"], 48_000 * 24 * 2);
}

#[test]
fn analyze_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = case_1_wav(dir.path());
    let out = run(&["analyze", path_str(&wav)]);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr), "");
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Integrated"))
        .unwrap_or_else(|| panic!("no Integrated line:\n{stdout}"));
    assert!(line.contains("-23.0 LUFS"), "{line}");
    assert!(
        stdout.contains(path_str(&wav)),
        "the table names the file:\n{stdout}"
    );
}

#[test]
fn silence_is_null() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = dir.path().join("silence.wav");
    write_wav(&wav, &silence(44_100, 2, 3.0), WavFormat::Int16).expect("write");
    let out = run(&["analyze", path_str(&wav), "--json"]);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("\"integrated_lufs\": null"), "{stdout}");
    let m = one_json_object(&stdout);
    for k in [
        "integrated_lufs",
        "true_peak_dbtp",
        "sample_peak_dbfs",
        "threshold_lufs",
    ] {
        assert!(m[k].is_null(), "{k} = {}", m[k]);
    }
    assert_eq!(num(&m, "duration_s"), 3.0);
}

/// `--help` text: exit code -> description, from the "Exit codes:" section.
fn documented_exit_codes(help: &str) -> BTreeMap<i32, String> {
    let section = help
        .split("Exit codes:")
        .nth(1)
        .unwrap_or_else(|| panic!("no exit codes in --help:\n{help}"));
    section
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (code, what) = l.split_once(char::is_whitespace)?;
            Some((code.parse().ok()?, what.trim().to_string()))
        })
        .collect()
}

#[test]
fn help_documents_exit_codes() {
    for args in [&["--help"][..], &["analyze", "--help"]] {
        let out = run(args);
        assert!(out.status.success());
        let codes = documented_exit_codes(&text(&out.stdout));
        for (code, word) in [
            (0, "success"),
            (1, "internal"),
            (2, "usage"),
            (3, "not found"),
            (4, "I/O"),
            (5, "unsupported"),
            (6, "corrupt"),
            (7, "limits"),
            (8, "silent"),
            (130, "cancelled"),
        ] {
            let what = codes
                .get(&code)
                .unwrap_or_else(|| panic!("{args:?}: exit code {code} undocumented: {codes:?}"));
            assert!(
                what.contains(word),
                "{args:?}: exit code {code} is {what:?}, expected {word:?}"
            );
        }
    }
}

struct ErrCase {
    what: &'static str,
    args: Vec<String>,
    /// Text that names the file in the message.
    file: String,
    code: i32,
    /// Words of the documented meaning of `code` in `--help`.
    doc_word: &'static str,
}

fn error_cases(dir: &Path) -> Vec<ErrCase> {
    let p = |name: &str| dir.join(name).to_str().expect("utf-8").to_string();

    let empty = p("empty.mp3");
    std::fs::write(&empty, b"").expect("write");
    let textfile = p("notes.mp3");
    std::fs::write(&textfile, b"these are my notes, not audio\n".repeat(10)).expect("write");
    let subdir = p("a-directory.wav");
    std::fs::create_dir(&subdir).expect("mkdir");
    let truncated = p("truncated.wav");
    let wav = wav_bytes(
        &case_by_id("3341-1", 48_000).expect("case").signal,
        WavFormat::Int16,
    );
    std::fs::write(&truncated, &wav[..wav.len() / 2]).expect("write");
    let long = p("long.wav");
    std::fs::write(&long, &wav).expect("write");

    let case = |what, args: &[&str], file: &str, code, doc_word| ErrCase {
        what,
        args: args.iter().map(|s| s.to_string()).collect(),
        file: file.to_string(),
        code,
        doc_word,
    };
    vec![
        case(
            "missing file",
            &["analyze", &p("missing.mp3")],
            &p("missing.mp3"),
            3,
            "not found",
        ),
        case("empty file", &["analyze", &empty], &empty, 6, "corrupt"),
        case(
            "text file",
            &["analyze", &textfile],
            &textfile,
            5,
            "unsupported",
        ),
        case("directory", &["analyze", &subdir], &subdir, 4, "I/O"),
        case(
            "truncated WAV",
            &["analyze", &truncated],
            &truncated,
            6,
            "corrupt",
        ),
        case(
            "--max-duration too small",
            &["analyze", &long, "--max-duration", "5"],
            &long,
            7,
            "limits",
        ),
        case(
            "--json error",
            &["analyze", &truncated, "--json"],
            &truncated,
            6,
            "corrupt",
        ),
    ]
}

#[test]
fn errors_have_documented_exit_codes_and_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let help = text(&run(&["--help"]).stdout);
    let documented = documented_exit_codes(&help);
    for c in error_cases(dir.path()) {
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let out = run(&args);
        let stderr = text(&out.stderr);
        let code = out
            .status
            .code()
            .unwrap_or_else(|| panic!("{}: killed by a signal", c.what));
        assert_eq!(code, c.code, "{}: exit code, stderr {stderr:?}", c.what);
        let doc = documented
            .get(&code)
            .unwrap_or_else(|| panic!("{}: exit {code} undocumented", c.what));
        assert!(
            doc.contains(c.doc_word),
            "{}: exit {code} documented as {doc:?}",
            c.what
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", c.what);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{}: expected one stderr line, got {stderr:?}",
            c.what
        );
        assert!(lines[0].starts_with("error: "), "{}: {stderr:?}", c.what);
        assert!(
            lines[0].starts_with(&format!("error: {}: ", c.file)),
            "{}: does not name the file: {stderr:?}",
            c.what
        );
        assert_eq!(
            text(&out.stdout),
            "",
            "{}: nothing on stdout on error",
            c.what
        );
    }
}

/// Each error class has its own code: the classes above (not found, I/O, unsupported,
/// corrupt, limits) plus usage errors are six distinct codes.
#[test]
fn error_classes_have_distinct_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut by_class: BTreeMap<&str, i32> = BTreeMap::new();
    for c in error_cases(dir.path()) {
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let code = run(&args).status.code().expect("exit code");
        if let Some(prev) = by_class.insert(c.doc_word, code) {
            assert_eq!(prev, code, "{}: same class, different code", c.what);
        }
    }
    by_class.insert(
        "usage",
        run(&["analyze", "x.wav", "--bogus"])
            .status
            .code()
            .expect("code"),
    );
    let mut codes: Vec<i32> = by_class.values().copied().collect();
    codes.sort();
    codes.dedup();
    assert_eq!(
        codes.len(),
        by_class.len(),
        "codes are not distinct per class: {by_class:?}"
    );
    assert!(!codes.contains(&0) && !codes.contains(&1), "{by_class:?}");
}

#[test]
fn bad_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = case_1_wav(dir.path());
    for args in [
        vec!["analyze", path_str(&wav), "--bogus"],
        vec!["analyze", path_str(&wav), "--max-duration", "abc"],
        vec!["analyze"],
        vec!["frobnicate", path_str(&wav)],
    ] {
        let out = run(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr:?}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
}

/// DESIGN.md: errors are one line on stderr. A usage error is about the command line, not
/// a file, so it names the offending argument instead.
#[test]
fn bad_flag_error_is_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = case_1_wav(dir.path());
    let out = run(&["analyze", path_str(&wav), "--bogus"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one stderr line, got {stderr:?}");
    assert!(lines[0].starts_with("error: "), "{stderr:?}");
    assert!(lines[0].contains("--bogus"), "{stderr:?}");
}
