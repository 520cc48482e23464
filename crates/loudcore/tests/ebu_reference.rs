//! EBU Tech 3341 (cases 1-6, 9, 12, 15-23) and Tech 3342 (cases 1-4), synthesised at
//! 44.1 and 48 kHz, written as WAV and measured through the public API, so the whole
//! path (sniffing, decoding, channel layout, meter) is under test.

use loudcore::{Input, analyze};
use loudcore_testsignals::{Case, Expect, WavFormat, case_by_id, case_ids, wav_bytes};

fn check(case: &Case, format: WavFormat) -> Vec<String> {
    let bytes = wav_bytes(&case.signal, format);
    let input = Input::bytes(bytes).named(format!("{}.wav", case.id));
    let a = match analyze(&input) {
        Ok(a) => a,
        Err(e) => return vec![format!("{}: analyze failed: {e}", case.id)],
    };
    let mut failures = Vec::new();
    let mut expect = |what: &str, e: &Option<Expect>, got: Option<f64>| {
        if let Some(e) = e {
            match got {
                Some(v) if e.check(v) => {}
                other => failures.push(format!(
                    "{} @ {} Hz: {what} = {other:?}, expected {} (+{} / -{})",
                    case.id, case.signal.sample_rate, e.value, e.plus, e.minus
                )),
            }
        }
    };
    expect(
        "integrated",
        &case.expected.integrated_lufs,
        a.integrated_lufs,
    );
    expect(
        "max momentary",
        &case.expected.max_momentary_lufs,
        a.max_momentary_lufs,
    );
    expect(
        "max short-term",
        &case.expected.max_short_term_lufs,
        a.max_short_term_lufs,
    );
    expect("lra", &case.expected.lra_lu, Some(a.lra_lu));
    expect("true peak", &case.expected.true_peak_dbtp, a.true_peak_dbtp);
    assert_eq!(a.channels as u16, case.signal.channels, "{}", case.id);
    assert_eq!(a.sample_rate, case.signal.sample_rate, "{}", case.id);
    assert!(
        (a.duration_s - case.signal.duration_s()).abs() < 1e-6,
        "{}",
        case.id
    );
    failures
}

fn run_all(rate: u32) {
    let mut failures = Vec::new();
    for id in case_ids() {
        let case = case_by_id(id, rate).expect("known case");
        failures.extend(check(&case, WavFormat::Float32));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ebu_cases_at_48k() {
    run_all(48_000);
}

#[test]
fn ebu_cases_at_44k1() {
    run_all(44_100);
}

/// LRA should agree far better than the standard's ±1 LU: aim for ±0.1.
#[test]
fn loudness_range_within_a_tenth() {
    for rate in [44_100, 48_000] {
        for id in ["3342-1", "3342-2", "3342-3", "3342-4"] {
            let case = case_by_id(id, rate).expect("known case");
            let input = Input::bytes(wav_bytes(&case.signal, WavFormat::Float32));
            let a = analyze(&input).expect("analyze");
            let want = case.expected.lra_lu.as_ref().expect("lra case").value;
            assert!(
                (a.lra_lu - want).abs() <= 0.1,
                "{id} @ {rate}: {} vs {want}",
                a.lra_lu
            );
        }
    }
}

/// Integer WAV variants decode to the same loudness as float.
#[test]
fn integer_wav_variants() {
    let case = case_by_id("3341-1", 44_100).expect("case");
    for format in [
        WavFormat::Int16,
        WavFormat::Int24,
        WavFormat::Int32,
        WavFormat::Float32,
    ] {
        let a = analyze(&Input::bytes(wav_bytes(&case.signal, format))).expect("analyze");
        let i = a.integrated_lufs.expect("loud");
        assert!((i + 23.0).abs() < 0.05, "{format:?}: {i}");
    }
}
