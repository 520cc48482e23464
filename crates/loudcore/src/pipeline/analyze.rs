use crate::decode::{self, DecodeOptions};
use crate::error::Result;
use crate::gain::sweep::Sweep;
use crate::input::{self, Input, Limits, Probe};
use crate::job::{Control, Stage};
use crate::loudness::{Analysis, Meter, channel_weights};
use crate::options::AnalyzeOptions;

/// Measures an input with default options.
///
/// ```no_run
/// let a = loudcore::analyze(&"upload.mp3".into())?;
/// println!("{:?} LUFS, {:?} dBTP", a.integrated_lufs, a.true_peak_dbtp);
/// # Ok::<(), loudcore::Error>(())
/// ```
pub fn analyze(input: &Input) -> Result<Analysis> {
    analyze_with(input, &AnalyzeOptions::default())
}

/// Measures an input: decodes it once, streaming, and meters every sample.
pub fn analyze_with(input: &Input, opts: &AnalyzeOptions) -> Result<Analysis> {
    let file = input.name();
    super::guard(&file, || {
        let job = &opts.job;
        let mut ctl = Control::new(file.clone(), job.cancel.clone(), job.on_progress.clone());
        ctl.stage(Stage::Analyze, 0.0, 1.0);
        let keep = Keep {
            curve: opts.curve,
            subblocks: false,
        };
        let pass = measure(input, &job.limits, &job.decode, keep, None, &mut ctl)?;
        ctl.done();
        Ok(pass.analysis)
    })
}

/// What pass 1 keeps beyond the Analysis's figures.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Keep {
    /// Momentary and short-term loudness every 100 ms (`Analysis::curve`).
    pub curve: bool,
    /// The mean power of every 100 ms sub-block (dynamic mode's plan).
    pub subblocks: bool,
}

/// What pass 1 found.
pub(crate) struct Pass1 {
    pub analysis: Analysis,
    pub probe: Probe,
    /// Mean K-weighted power per 100 ms sub-block, when kept.
    pub subblocks: Option<Vec<f32>>,
}

/// Pass 1 of every job: decode and meter, within the current progress stage; also feeds
/// `sweep` (normalize's limiter sweep) if given.
pub(crate) fn measure(
    input: &Input,
    limits: &Limits,
    decode_opts: &DecodeOptions,
    keep: Keep,
    mut sweep: Option<&mut Sweep>,
    ctl: &mut Control,
) -> Result<Pass1> {
    let file = input.name();
    let opened = input::open(input, limits)?;
    let probe = opened.probe.clone();
    let weights = channel_weights(probe.channels as usize, probe.channel_mask);
    let mut meter = Meter::new(probe.sample_rate, weights, keep.curve);
    if keep.subblocks {
        meter = meter.with_subblocks();
    }
    let max_frames = limits
        .max_duration_s
        .map(|s| (s * f64::from(probe.sample_rate)).ceil() as u64);
    let mut frames = 0u64;
    let stats = decode::stream(opened, &file, decode_opts, ctl, |block| {
        meter.push(block);
        if let Some(s) = sweep.as_deref_mut() {
            s.push(block);
        }
        frames += (block.len() / probe.channels as usize) as u64;
        // Headers can lie about duration: enforce the limit on what actually decodes.
        if let Some(max) = max_frames {
            if frames > max {
                limits.check_duration(&file, frames as f64 / f64::from(probe.sample_rate))?;
            }
        }
        Ok(())
    })?;
    let duration_s = stats.frames as f64 / f64::from(probe.sample_rate);
    limits.check_duration(&file, duration_s)?;
    let l = meter.finish();
    let bit_rate = match probe.bit_rate {
        Some(b) if probe.frames.is_some() => Some(b),
        _ if duration_s > 0.0 && probe.format != crate::input::Format::Wav => {
            Some((probe.byte_len as f64 * 8.0 / duration_s).round() as u64)
        }
        other => other,
    };
    let analysis = Analysis {
        integrated_lufs: l.integrated_lufs,
        true_peak_dbtp: l.true_peak_dbtp,
        sample_peak_dbfs: l.sample_peak_dbfs,
        lra_lu: l.lra_lu,
        threshold_lufs: l.threshold_lufs,
        max_momentary_lufs: l.max_momentary_lufs,
        max_short_term_lufs: l.max_short_term_lufs,
        duration_s,
        sample_rate: probe.sample_rate,
        channels: probe.channels,
        codec: probe.codec.clone(),
        format: probe.format,
        bit_rate,
        skipped_frames: stats.skipped_frames,
        warnings: stats.warnings,
        curve: l.curve,
    };
    Ok(Pass1 {
        analysis,
        probe,
        subblocks: l.subblocks,
    })
}
