//! Calibration: where the limiter sweep of pass 1 cannot say which gain lands on target
//! after limiting (outputs resampled to another rate, cuts deeper than the sweep covers),
//! decode the input again and measure the limited (and resampled) signal at a few candidate
//! gains, then interpolate.

use super::outputs::Pending;
use super::render::{ChainOut, ChainSpec, SinkSpec};
use crate::error::Result;

/// Decode passes calibration may spend per limiter setting.
const CALIBRATION_PASSES: usize = 3;
/// Furthest past its loudest calibration point a gain may be extrapolated.
const MAX_EXTRAPOLATION_DB: f64 = 0.2;
/// A limiter whose lowest gain stayed above this never engaged (rounding aside).
pub(super) const UNLIMITED_GAIN: f32 = 0.9999;

/// Finds, for each group of the given outputs sharing a limiter ceiling, rate and PCM
/// target, the gain at which the limited (and resampled) signal measures on that target,
/// and sets it as their `gain_db`. Each pass (`decode`: one decode of the input feeding
/// meter chains) runs chains at several candidate gains for every group still open; the
/// answer is interpolated between the two candidates that bracket the target, so one pass
/// usually suffices.
pub(super) fn calibrate(
    outputs: &mut [Pending],
    which: &[usize],
    measured: f64,
    input_tp: Option<f64>,
    mut decode: impl FnMut(Vec<ChainSpec>) -> Result<Vec<ChainOut>>,
) -> Result<()> {
    type Key = (f64, u32, f64);
    let key = |o: &Pending| -> Key { (o.limiter_ceiling, o.out_rate, o.pcm_target) };
    struct Group {
        key: Key,
        points: Vec<(f64, f64)>,
        candidates: Vec<f64>,
        found: Option<f64>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for &i in which {
        let k = key(&outputs[i]);
        if !groups.iter().any(|g| g.key == k) {
            // Limiting only ever lowers loudness, so the answer lies at or above the
            // linear gain. How far above grows with how deep the limiter must cut the
            // highest peak: 0.2-0.8 dB for cuts of 3-6 dB on the corpus's masters.
            // Spreading the candidates by it brackets the answer in one pass.
            let start = k.2 - measured;
            let cut = input_tp.map_or(0.0, |tp| tp + start - k.0);
            let step = (0.15 * cut).clamp(0.2, 1.0);
            groups.push(Group {
                key: k,
                points: Vec::new(),
                candidates: vec![start, start + step / 2.0, start + step, start + 2.0 * step],
                found: None,
            });
        }
    }
    for _ in 0..CALIBRATION_PASSES {
        let open: Vec<usize> = (0..groups.len())
            .filter(|&g| groups[g].found.is_none())
            .collect();
        if open.is_empty() {
            break;
        }
        let mut specs = Vec::new();
        for &g in &open {
            let (ceiling, rate, _) = groups[g].key;
            for &gain in &groups[g].candidates {
                specs.push(ChainSpec {
                    gain_db: gain,
                    ceiling_dbtp: ceiling,
                    out_rate: rate,
                    sink: SinkSpec::Meter,
                });
            }
        }
        let outs = decode(specs)?;
        let mut outs = outs.into_iter();
        for &g in &open {
            let group = &mut groups[g];
            let target = group.key.2;
            // Where the limiter stayed idle, loudness moves dB for dB with gain (and
            // it stays idle at any lower gain): the highest idle point gives the exact
            // answer if that answer lies at or below it.
            let mut idle: Option<(f64, f64)> = None;
            for &gain in &group.candidates {
                let Some(out) = outs.next() else { continue };
                if let Some(i) = out.loudness.and_then(|l| l.integrated_lufs) {
                    group.points.push((gain, i));
                    if out.min_gain >= UNLIMITED_GAIN && idle.is_none_or(|p| gain > p.0) {
                        idle = Some((gain, i));
                    }
                }
            }
            group.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            // The limiter also stays idle wherever the input's true peak plus the gain
            // is clearly under its ceiling.
            let ceiling = group.key.0;
            let surely_idle = |g: f64| input_tp.is_none_or(|tp| tp + g <= ceiling - 0.2);
            group.found = match idle {
                Some((g_idle, i_idle))
                    if target <= i_idle || surely_idle(g_idle + (target - i_idle)) =>
                {
                    Some(g_idle + (target - i_idle))
                }
                _ => bracket(&group.points, target),
            };
            if group.found.is_none() {
                // Not bracketed yet: step on from the loudest candidate, by its
                // shortfall and a little more (the limiter takes back part of any
                // added gain).
                match (idle, group.points.last()) {
                    // Idle at the loudest point: the linear answer, then a little
                    // above it in case the limiter starts to work there.
                    (Some((g_idle, i_idle)), Some(&(g_hi, _))) if g_idle >= g_hi => {
                        let next = g_idle + (target - i_idle);
                        group.candidates = vec![next, next + 0.15, next + 0.5];
                    }
                    (_, Some(&(g_hi, i_hi))) => {
                        let next = g_hi + (target - i_hi).max(0.05) * 1.5;
                        group.candidates = vec![next, next + 0.25, next + 1.0];
                    }
                    (_, None) => {}
                }
            }
        }
    }
    for group in groups {
        let target = group.key.2;
        let best = group.found.unwrap_or_else(|| {
            // Fall back to the closest measured point; verification has the last word.
            group
                .points
                .iter()
                .min_by(|a, b| (a.1 - target).abs().total_cmp(&(b.1 - target).abs()))
                .map_or(target - measured, |p| p.0)
        });
        for &i in which {
            if key(&outputs[i]) == group.key {
                outputs[i].gain_db = best;
            }
        }
    }
    Ok(())
}

/// The gain at which loudness crosses `target`, interpolated between the two measured
/// points around it. Loudness rises with gain, even under limiting.
///
/// Just past the loudest point the line through the last two is still trusted, for up to
/// a quarter of their distance (at most `MAX_EXTRAPOLATION_DB`): loudness bends down
/// slowly as the limiter works harder, so that short reach errs by hundredths of an LU,
/// where another calibration pass would cost a decode.
fn bracket(points: &[(f64, f64)], target: f64) -> Option<f64> {
    let within = points.windows(2).find_map(|w| {
        let ((g0, i0), (g1, i1)) = (w[0], w[1]);
        if i0 <= target && target <= i1 && i1 > i0 {
            Some(g0 + (g1 - g0) * (target - i0) / (i1 - i0))
        } else if (i0 - target).abs() < 1e-6 {
            Some(g0)
        } else {
            None
        }
    });
    within.or_else(|| {
        let [.., (g0, i0), (g1, i1)] = *points else {
            return None;
        };
        if i1 <= i0 || target <= i1 {
            return None;
        }
        let g = g1 + (g1 - g0) * (target - i1) / (i1 - i0);
        (g - g1 <= (0.25 * (g1 - g0)).min(MAX_EXTRAPOLATION_DB)).then_some(g)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracket_interpolates_between_the_points_around_the_target() {
        let pts = [(0.0, -15.0), (0.5, -14.6), (1.0, -14.2)];
        let g = bracket(&pts, -14.4).expect("bracketed");
        assert!((g - 0.75).abs() < 1e-9, "{g}");
        assert_eq!(bracket(&pts, -15.0), Some(0.0));
    }

    #[test]
    fn bracket_reaches_a_little_past_the_loudest_point_and_no_further() {
        let pts = [(0.0, -15.0), (0.4, -14.6)];
        // 0.05 dB past the last point: a quarter of 0.4 allows it.
        let g = bracket(&pts, -14.55).expect("short extrapolation");
        assert!((g - 0.45).abs() < 1e-9, "{g}");
        // 0.2 dB past: beyond a quarter of the spacing, so another pass must measure.
        assert_eq!(bracket(&pts, -14.4), None);
        // Below the quietest point is never extrapolated: limiting only lowers loudness,
        // and the quietest candidate is the linear gain.
        assert_eq!(bracket(&pts, -15.2), None);
        // Wide spacing is capped at MAX_EXTRAPOLATION_DB.
        let wide = [(0.0, -16.0), (2.0, -14.0)];
        assert!(bracket(&wide, -13.85).is_some());
        assert_eq!(bracket(&wide, -13.7), None);
    }
}
