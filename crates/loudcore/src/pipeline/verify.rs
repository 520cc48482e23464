//! Verification's verdict on a rendered output: accept it, with its report, or correct the
//! plan (limiter ceiling, gain, encoder) for another render. The rules for a redo live here
//! and only here.

use super::calibrate::UNLIMITED_GAIN;
use super::measure::Measured;
use super::outputs::{Done, Kind, Pending};
use super::render::{ChainOut, Written};
use super::report::{OutputReport, VariantReport};
use crate::encode::OutputFormat;
use crate::error::{Error, Result};
use crate::gain::targets::Targets;
use crate::loudness::Analysis;

/// How far under the ceiling our own meter must read an output: other meters (FFmpeg's
/// resamples to 192 kHz) read inter-sample peaks a few hundredths of a dB differently.
pub(super) const TP_MARGIN_DB: f64 = 0.1;
/// Loudness error accepted on the decoded output (the contract says 0.1 LU; keep a margin
/// for other meters).
const LOUDNESS_TOLERANCE_LU: f64 = 0.05;

/// Judges a rendered output by what it measured: accepts it (`o.done`), or plans a
/// corrected render; fails once `max_attempts` renders have missed.
pub(super) fn judge(
    o: &mut Pending,
    out: ChainOut,
    a: Measured,
    t: Targets,
    input: &Analysis,
    max_attempts: u32,
) -> Result<()> {
    let dest = o.dest();
    let done = match out.written {
        Some(Written::File(encoded)) => Done::File(encoded.output),
        Some(Written::Variant(v)) => Done::Variant(v),
        None => {
            return Err(Error::Internal {
                file: dest,
                detail: "an encode chain produced no output".into(),
            });
        }
    };
    o.attempts += 1;
    o.min_gain = out.min_gain;
    let expected_s = input.duration_s;
    if (a.duration_s - expected_s).abs() > 0.001 + 1.0 / f64::from(o.out_rate) {
        return Err(Error::Internal {
            file: dest,
            detail: format!(
                "the encoder wrote {:.4} s of audio for {:.4} s of input",
                a.duration_s, expected_s
            ),
        });
    }
    let loud_err = a.integrated_lufs.map(|l| t.target_lufs - l);
    let tp_over = a
        .true_peak_dbtp
        .map_or(0.0, |tp| tp - (t.ceiling_dbtp - TP_MARGIN_DB));
    let on_target = loud_err.is_some_and(|e| e.abs() <= LOUDNESS_TOLERANCE_LU);
    if on_target && tp_over <= 0.0 {
        let (format, variant) = match (&o.kind, &done) {
            (Kind::File { format, .. }, _) => (*format, None),
            (
                Kind::Variant {
                    name,
                    bitrate,
                    ladder: l,
                },
                Done::Variant(v),
            ) => (
                OutputFormat::Hls,
                Some(VariantReport {
                    name: name.clone(),
                    container: l.container,
                    codec: l.codec,
                    codecs: v.codecs.clone(),
                    nominal_bit_rate: *bitrate,
                    // Set once every variant is done: the peak depends on the
                    // target duration, which all variants share.
                    bandwidth: 0,
                    average_bandwidth: 0,
                    segments: v.segments.len(),
                }),
            ),
            _ => {
                return Err(Error::Internal {
                    file: dest,
                    detail: "an output of the wrong kind".into(),
                });
            }
        };
        let report = OutputReport {
            path: dest,
            format,
            sample_rate: a.sample_rate,
            channels: a.channels,
            bit_rate: a.bit_rate,
            duration_s: a.duration_s,
            integrated_lufs: a.integrated_lufs,
            true_peak_dbtp: a.true_peak_dbtp,
            lra_lu: a.lra_lu,
            verified: true,
            attempts: o.attempts,
            gain_db: o.gain_db,
            variant,
        };
        o.done = Some((done, report));
        return Ok(());
    }
    if o.attempts >= max_attempts {
        return Err(Error::TargetNotMet {
            file: dest,
            detail: format!(
                "after {} renders the output measures {} LUFS / {} dBTP against {} LUFS / {} dBTP",
                o.attempts,
                a.integrated_lufs
                    .map_or("-inf".into(), |v| format!("{v:.2}")),
                a.true_peak_dbtp
                    .map_or("-inf".into(), |v| format!("{v:.2}")),
                t.target_lufs,
                t.ceiling_dbtp
            ),
        });
    }
    // Correct and redo: lower the limiter by the overshoot (lossy encoders add peaks),
    // and move the gain by the loudness error.
    // The next round re-plans (and re-calibrates) the gain for the new ceiling and
    // PCM target, so both corrections land together.
    // A lossy encoder's overshoot is the worst of thousands of peaks and moves by
    // half a dB from one render to the next (FDK at 32 kbit/s per channel: 2.1 then
    // 2.5 dB), so its redo steps down further than the miss.
    if tp_over > 0.0 {
        o.limiter_ceiling -= tp_over + if o.is_lossy() { 0.5 } else { 0.15 };
    }
    // A variant is redone with the careful encoder, which takes away less loudness
    // than the fast one whose miss was just measured: trade one guess for the other.
    let mut switch = 0.0;
    if let (Kind::Variant { .. }, false) = (&o.kind, o.careful) {
        let fast = o.guess(input.channels, false);
        let careful = o.guess(input.channels, true);
        switch = careful.loss_lu - fast.loss_lu;
        o.careful = true;
    }
    if let Some(e) = loud_err {
        o.pcm_target += e + switch;
        if tp_over <= 0.0 && o.min_gain >= UNLIMITED_GAIN {
            o.next_gain = Some(o.gain_db + e + switch);
        }
    }
    match done {
        // Dropping the temporary file removes it.
        Done::File(tmp) => drop(tmp),
        // The redo writes the same names: clear this attempt's segments first.
        Done::Variant(v) => {
            if let Kind::Variant { ladder, .. } = &o.kind {
                crate::hls::remove_variant(&ladder.root, &v)?;
            }
        }
    }
    Ok(())
}
