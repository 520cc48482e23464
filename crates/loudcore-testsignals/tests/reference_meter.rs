//! Confirms every synthesised case against an independent BS.1770 / EBU R128 meter (the
//! `ebur128` crate, a port of libebur128) at 44.1 and 48 kHz: the signals must produce
//! the readings the specifications expect.

use ebur128::{Channel, EbuR128, Mode};
use loudcore_testsignals::{
    Case, Expect, MUSIC_LIKE_DEFAULT_LUFS, all_cases, amplitude_to_db, frames_for, music_like,
    music_like_with_level,
};

#[derive(Debug, Default)]
struct Reading {
    integrated: f64,
    max_momentary: f64,
    min_momentary_after_1s: f64,
    max_short_term: f64,
    min_short_term_after_3s: f64,
    lra: f64,
    true_peak_dbtp: f64,
}

fn measure(signal: &loudcore_testsignals::Signal, true_peak: bool) -> Reading {
    let ch = u32::from(signal.channels);
    let mut mode = Mode::I | Mode::LRA | Mode::M | Mode::S;
    if true_peak {
        mode |= Mode::TRUE_PEAK;
    }
    let mut m = EbuR128::new(ch, signal.sample_rate, mode).expect("meter");
    if ch == 5 {
        m.set_channel_map(&[
            Channel::Left,
            Channel::Right,
            Channel::Center,
            Channel::LeftSurround,
            Channel::RightSurround,
        ])
        .expect("map");
    }
    let hop = frames_for(signal.sample_rate, 0.1);
    let mut r = Reading {
        max_momentary: f64::NEG_INFINITY,
        min_momentary_after_1s: f64::INFINITY,
        max_short_term: f64::NEG_INFINITY,
        min_short_term_after_3s: f64::INFINITY,
        ..Reading::default()
    };
    let mut done = 0usize;
    for chunk in signal.samples.chunks(hop * usize::from(signal.channels)) {
        m.add_frames_f32(chunk).expect("add");
        done += chunk.len() / usize::from(signal.channels);
        let t = done as f64 / f64::from(signal.sample_rate);
        if t >= 0.4 - 1e-9 {
            let v = m.loudness_momentary().expect("M");
            r.max_momentary = r.max_momentary.max(v);
            if t >= 1.0 - 1e-9 {
                r.min_momentary_after_1s = r.min_momentary_after_1s.min(v);
            }
        }
        if t >= 3.0 - 1e-9 {
            let v = m.loudness_shortterm().expect("S");
            r.max_short_term = r.max_short_term.max(v);
            r.min_short_term_after_3s = r.min_short_term_after_3s.min(v);
        }
    }
    r.integrated = m.loudness_global().expect("I");
    r.lra = m.loudness_range().expect("LRA");
    if true_peak {
        r.true_peak_dbtp = (0..ch)
            .map(|c| amplitude_to_db(m.true_peak(c).expect("TP")))
            .fold(f64::NEG_INFINITY, f64::max);
    }
    r
}

fn check(case: &Case, what: &str, e: Option<Expect>, measured: f64, failures: &mut Vec<String>) {
    if let Some(e) = e {
        let ok = e.check(measured);
        println!(
            "{:>8} @ {} Hz  {what:<4} expected {e:<16} measured {measured:8.3}  {}",
            case.id,
            case.signal.sample_rate,
            if ok { "ok" } else { "FAIL" }
        );
        if !ok {
            failures.push(format!(
                "{} @ {}: {what} {measured:.3} not within {e}",
                case.id, case.signal.sample_rate
            ));
        }
    }
}

#[test]
fn every_case_meets_its_expectation_on_a_reference_meter() {
    let mut failures = Vec::new();
    for sr in [44_100, 48_000] {
        for case in all_cases(sr) {
            let e = case.expected;
            let r = measure(&case.signal, e.true_peak_dbtp.is_some());
            check(&case, "I", e.integrated_lufs, r.integrated, &mut failures);
            check(
                &case,
                "M",
                e.max_momentary_lufs,
                r.max_momentary,
                &mut failures,
            );
            check(
                &case,
                "S",
                e.max_short_term_lufs,
                r.max_short_term,
                &mut failures,
            );
            check(&case, "LRA", e.lra_lu, r.lra, &mut failures);
            check(
                &case,
                "TP",
                e.true_peak_dbtp,
                r.true_peak_dbtp,
                &mut failures,
            );
            // "M constant after 1 s" (12, and 1 and 2) and "S constant after 3 s" (9, 1, 2).
            if e.max_momentary_lufs.is_some() {
                check(
                    &case,
                    "minM",
                    e.max_momentary_lufs,
                    r.min_momentary_after_1s,
                    &mut failures,
                );
            }
            if e.max_short_term_lufs.is_some() {
                check(
                    &case,
                    "minS",
                    e.max_short_term_lufs,
                    r.min_short_term_after_3s,
                    &mut failures,
                );
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn music_like_is_roughly_at_its_level() {
    let mut levels = Vec::new();
    for sr in [44_100, 48_000] {
        for seed in 1..=4u64 {
            let s = music_like(sr, 30.0, seed);
            let r = measure(&s, true);
            println!(
                "music_like seed {seed} @ {sr}: I {:.2} LUFS, LRA {:.1} LU, TP {:.2} dBTP, sample peak {:.2} dBFS",
                r.integrated,
                r.lra,
                r.true_peak_dbtp,
                s.sample_peak_dbfs()
            );
            assert!(
                (r.integrated - MUSIC_LIKE_DEFAULT_LUFS).abs() <= 1.0,
                "seed {seed} @ {sr}: {} LUFS",
                r.integrated
            );
            assert!(r.lra > 1.0 && r.lra < 12.0, "seed {seed}: LRA {}", r.lra);
            levels.push(r.integrated);
        }
    }
    let mean = levels.iter().sum::<f64>() / levels.len() as f64;
    println!("music_like mean I {mean:.2} LUFS");
    for target in [-30.0, -14.0] {
        let s = music_like_with_level(48_000, 20.0, 11, target);
        let r = measure(&s, false);
        println!(
            "music_like_with_level({target}): I {:.2} LUFS",
            r.integrated
        );
        assert!(
            (r.integrated - target).abs() <= 1.0,
            "{target}: {}",
            r.integrated
        );
    }
}
