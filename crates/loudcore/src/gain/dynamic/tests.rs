use super::*;

/// Sub-block energies of a programme given as (seconds, LUFS) stretches.
fn programme(parts: &[(f64, f64)]) -> Vec<f32> {
    let mut e = Vec::new();
    for &(secs, l) in parts {
        let x = if l.is_finite() {
            10f64.powf((l + 0.691) / 10.0) as f32
        } else {
            0.0
        };
        e.extend(std::iter::repeat_n(x, (secs * RATE).round() as usize));
    }
    e
}

#[test]
fn a_range_under_the_target_gets_no_curve() {
    let e = programme(&[(30.0, -20.0), (30.0, -24.0), (30.0, -20.0)]);
    let p = plan(&e, 11.0);
    assert!(p.curve.is_none());
    assert!(p.lra_lu <= 4.5, "{}", p.lra_lu);
    let i = p.lufs.expect("loudness");
    assert!((i - -21.3).abs() < 0.5, "{i}");
}

#[test]
fn a_wide_range_lands_under_the_target_smoothly() {
    // Loud, quiet, loud: a 20 LU range.
    let e = programme(&[(60.0, -10.0), (60.0, -30.0), (60.0, -12.0), (60.0, -26.0)]);
    let flat = vec![0.0; e.len()];
    let e64: Vec<f64> = e.iter().map(|&x| f64::from(x)).collect();
    assert!(loudness_range(&e64, &flat) > 15.0);
    for target in [11.0, 7.0] {
        let p = plan(&e, target);
        let c = p.curve.as_ref().expect("a curve");
        assert!(
            p.lra_lu <= target - LRA_MARGIN_LU + 0.01,
            "{target}: {}",
            p.lra_lu
        );
        assert!(p.lra_lu >= target - 1.5, "{target}: only {}", p.lra_lu);
        assert!(
            c.max_step_db() <= MAX_SLOPE_DB + 1e-6,
            "{}",
            c.max_step_db()
        );
        let (lo, hi) = c.range_db();
        assert!(lo < -2.0 && hi > 2.0, "loud down and quiet up: {lo} {hi}");
        assert_eq!(c.db().len(), e.len());
    }
}

#[test]
fn silence_holds_the_gain_of_the_music_after_it() {
    // 20 s of near-silence, then music that needs a boost (quiet), then loud music.
    let e = programme(&[
        (20.0, -95.0),
        (60.0, -32.0),
        (60.0, -10.0),
        (20.0, f64::NEG_INFINITY),
    ]);
    let p = plan(&e, 11.0);
    let c = p.curve.expect("a curve").db().to_vec();
    let music_start = 200;
    // The intro carries the gain the music starts with: no ramp when it begins.
    let at_start = c[music_start + 5];
    assert!(
        (c[0] - at_start).abs() < 0.5,
        "intro {} vs music {}",
        c[0],
        at_start
    );
    assert!(at_start > 1.0, "quiet music is brought up: {at_start}");
    // The silent outro holds the last music's gain.
    let n = c.len();
    assert!((c[n - 1] - c[n - 220]).abs() < 0.5);
}

#[test]
fn the_applier_interpolates_between_centres() {
    let curve = GainCurve {
        db: vec![0.0, 20.0 * 2f32.log10(), 20.0 * 2f32.log10()],
    };
    // 10 frames per second: one frame per sub-block, at its centre.
    let mut a = curve.applier(10, 1);
    let mut x = [1.0f32; 4];
    a.apply(&mut x[..1]);
    a.apply(&mut x[1..]);
    assert!((x[0] - 1.0).abs() < 1e-6);
    assert!((x[1] - 2.0).abs() < 1e-6);
    assert!(
        (x[3] - 2.0).abs() < 1e-6,
        "past the end the last value holds"
    );
    // Between centres: linear in amplitude.
    let mut a = curve.applier(20, 2);
    let mut y = [1.0f32; 8];
    a.apply(&mut y);
    assert!((y[0] - 1.0).abs() < 1e-6 && (y[1] - 1.0).abs() < 1e-6);
    assert!((y[2] - 1.25).abs() < 1e-5, "{y:?}");
    assert!((y[4] - 1.75).abs() < 1e-5, "{y:?}");
}

#[test]
fn the_planned_range_matches_the_meter() {
    use crate::loudness::Meter;
    // A programme whose level steps every 5 s: metered from audio and planned from its
    // sub-blocks, the range agrees.
    let rate = 8000u32;
    let mut audio = Vec::new();
    let levels = [-12.0, -30.0, -18.0, -26.0, -14.0, -34.0, -20.0, -16.0];
    for (i, l) in levels.iter().cycle().take(24).enumerate() {
        let amp = 10f64.powf(l / 20.0) as f32 * std::f32::consts::SQRT_2;
        for n in 0..(5 * rate as usize) {
            let t = (i * 5 * rate as usize + n) as f32 / rate as f32;
            audio.push(amp * (2.0 * std::f32::consts::PI * 997.0 * t).sin());
        }
    }
    let mut m = Meter::new(rate, vec![1.0], false).with_subblocks();
    m.push(&audio);
    let l = m.finish();
    let e = l.subblocks.expect("sub-blocks");
    let e64: Vec<f64> = e.iter().map(|&x| f64::from(x)).collect();
    let flat = vec![0.0; e.len()];
    assert!(
        (loudness_range(&e64, &flat) - l.lra_lu).abs() < 0.05,
        "{} vs {}",
        loudness_range(&e64, &flat),
        l.lra_lu
    );
    let i = integrated(&e64, &flat).expect("loudness");
    assert!((i - l.integrated_lufs.expect("i")).abs() < 0.02);
}
