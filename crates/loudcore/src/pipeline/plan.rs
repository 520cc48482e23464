//! The plan: what each output aims at (the targets, corrected by a first guess at what its
//! encoder does), and before each render the gain of every output still to render: from
//! the limiter sweep of pass 1, dB for dB where the limiter stays idle, or else by
//! calibration.

use super::outputs::Pending;
use super::verify::TP_MARGIN_DB;
use crate::gain::sweep::LimiterResponse;
use crate::gain::targets::Targets;

/// Extra limiter headroom: the limiter's detector and the meter's differ slightly.
const LIMITER_MARGIN_DB: f64 = 0.05;

/// Sets each output's first aim: its rate, the linear gain, the loudness its PCM must have
/// and its limiter's ceiling, from the targets and its encoder's guess.
pub(super) fn aim(
    outputs: &mut [Pending],
    t: Targets,
    measured_lufs: f64,
    input_rate: u32,
    channels: u32,
) {
    for o in outputs {
        let guess = o.guess(channels, false);
        o.out_rate = o.sample_rate.unwrap_or(input_rate);
        o.gain_db = t.target_lufs - measured_lufs;
        o.pcm_target = t.target_lufs + guess.loss_lu;
        o.limiter_ceiling = t.ceiling_dbtp - TP_MARGIN_DB - LIMITER_MARGIN_DB - guess.overshoot_db;
    }
}

/// What pass 1 measured that the gains are planned from.
#[derive(Clone, Copy)]
pub(super) struct Input<'a> {
    pub lufs: f64,
    pub true_peak_dbtp: Option<f64>,
    pub sample_rate: u32,
    /// The sweep's answer for outputs at the input's rate, if pass 1 ran it.
    pub response: Option<&'a LimiterResponse>,
}

/// Plans the gain of each output in `todo` and returns those whose gain only calibration
/// can find (the limiter will work and the sweep cannot say by how much, or resampling
/// takes away high frequencies, which K-weighting counts).
pub(super) fn gains(outputs: &mut [Pending], todo: &[usize], input: Input<'_>) -> Vec<usize> {
    let mut to_calibrate = Vec::new();
    for &i in todo {
        let o = &mut outputs[i];
        // A redo of an output whose limiter stayed idle, and stays idle at the corrected
        // gain, needs no calibration: loudness follows gain dB for dB.
        if let Some(g) = o.next_gain.take() {
            if input
                .true_peak_dbtp
                .is_none_or(|tp| tp + g <= o.limiter_ceiling - 0.2)
            {
                o.gain_db = g;
                continue;
            }
        }
        // The sweep has the answer for outputs at the input's rate, limited or not (it also
        // knows what the absolute gate lets in at a high gain).
        let swept = input
            .response
            .filter(|_| o.out_rate == input.sample_rate)
            .and_then(|r| r.gain_for(o.limiter_ceiling, o.pcm_target, input.lufs));
        if let Some(g) = swept {
            o.gain_db = g;
            continue;
        }
        o.gain_db = o.pcm_target - input.lufs;
        if input
            .true_peak_dbtp
            .is_some_and(|tp| tp + o.gain_db > o.limiter_ceiling)
            || o.out_rate < input.sample_rate
        {
            to_calibrate.push(i);
        }
    }
    to_calibrate
}
