//! The `loudcore-make-signal` binary.

use loudcore_testsignals::{
    WavFormat, case_by_id, case_ids, music_like, read_wav, sine, wav_bytes,
};
use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_loudcore-make-signal"))
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "loudcore-make-signal-{}-{name}",
        std::process::id()
    ))
}

#[test]
fn writes_a_case_identical_to_the_library() {
    let out = temp("c.wav");
    let st = bin()
        .arg(&out)
        .args(["--case", "3341-6", "--rate", "44100", "--format", "int16"])
        .status()
        .expect("runs");
    assert!(st.success());
    let c = case_by_id("3341-6", 44_100).expect("case");
    assert_eq!(
        std::fs::read(&out).expect("read"),
        wav_bytes(&c.signal, WavFormat::Int16)
    );
    let back = read_wav(&out).expect("decodes");
    assert_eq!(
        (back.channels, back.channel_mask, back.sample_rate),
        (5, 0x37, 44_100)
    );
    std::fs::remove_file(&out).expect("cleanup");
}

#[test]
fn writes_sine_and_music_and_stdout() {
    let out = temp("s.wav");
    let st = bin()
        .arg(&out)
        .args([
            "--sine",
            "997",
            "-18.5",
            "2.5",
            "--channels",
            "1",
            "--format",
            "float32",
        ])
        .status()
        .expect("runs");
    assert!(st.success());
    assert_eq!(
        std::fs::read(&out).expect("read"),
        wav_bytes(&sine(48_000, 1, 997.0, -18.5, 2.5), WavFormat::Float32)
    );
    std::fs::remove_file(&out).expect("cleanup");

    let o = bin()
        .args(["-", "--music", "1.5", "--seed", "9", "--rate", "44100"])
        .output()
        .expect("runs");
    assert!(o.status.success());
    assert_eq!(
        o.stdout,
        wav_bytes(&music_like(44_100, 1.5, 9), WavFormat::Int24)
    );
}

#[test]
fn lists_cases_as_json() {
    let o = bin()
        .args(["--list", "--rate", "44100"])
        .output()
        .expect("runs");
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).expect("utf-8");
    assert!(text.trim_start().starts_with('[') && text.trim_end().ends_with(']'));
    for id in case_ids() {
        assert!(text.contains(&format!("\"id\": \"{id}\"")), "{id} missing");
    }
    assert!(text.contains("\"true_peak_dbtp\": {\"value\": 3.0, \"plus\": 0.2, \"minus\": 0.4}"));
    let one = bin()
        .args(["--list", "--case", "3342-4"])
        .output()
        .expect("runs");
    let one = String::from_utf8(one.stdout).expect("utf-8");
    assert!(one.contains("\"lra_lu\": {\"value\": 15.0, \"plus\": 1.0, \"minus\": 1.0}"));
    assert!(one.contains("\"frames\": 4800000"));
}

#[test]
fn rejects_bad_arguments() {
    for args in [
        vec!["x.wav"],
        vec!["x.wav", "--case", "3341-7"],
        vec!["x.wav", "--case", "3341-1", "--music", "3"],
        vec!["x.wav", "--case", "3341-1", "--channels", "2"],
        vec!["x.wav", "--sine", "1000", "-20"],
        vec!["x.wav", "--music", "3", "--format", "int8"],
        vec!["x.wav", "--music", "abc"],
        vec!["--case", "3341-1"],
        vec!["x.wav", "--bogus"],
    ] {
        let o = bin().args(&args).output().expect("runs");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!o.stderr.is_empty());
    }
}
