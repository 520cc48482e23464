//! The normalize job's entry points: each output file is checked (format from its
//! extension, no duplicates, never over the input) and its settings merged with the job's,
//! then the shared job (`job.rs`) measures, plans, renders, verifies and commits.

use std::path::Path;

use super::job::Job;
use super::outputs::{Pending, same_file};
use super::report::Report;
use crate::encode::{EncoderSettings, OutputFormat};
use crate::error::{Error, Result};
use crate::input::Input;
use crate::options::{NormalizeOptions, OutputSpec};

/// Normalizes `input` into one output file (format from its extension).
///
/// ```no_run
/// use loudcore::{normalize, Input, NormalizeOptions};
/// let report = normalize(&Input::from("mix.mp3"), "mix.normalized.mp3", &NormalizeOptions::default())?;
/// assert!(report.outputs[0].verified);
/// # Ok::<(), loudcore::Error>(())
/// ```
pub fn normalize(
    input: &Input,
    output: impl AsRef<Path>,
    opts: &NormalizeOptions,
) -> Result<Report> {
    normalize_to(input, &[OutputSpec::from(output.as_ref())], opts)
}

/// Normalizes `input` into several outputs from one analysis and one decode per render.
pub fn normalize_to(
    input: &Input,
    outputs: &[OutputSpec],
    opts: &NormalizeOptions,
) -> Result<Report> {
    let file = input.name();
    super::guard(&file, || {
        let pending = file_outputs(input, outputs, &opts.output)?;
        Job::new(input, pending, None, &opts.target, &opts.job)?.run()
    })
}

/// Checks the output files of a job and merges each one's settings over the job's.
fn file_outputs(
    input: &Input,
    outputs: &[OutputSpec],
    job: &EncoderSettings,
) -> Result<Vec<Pending>> {
    if outputs.is_empty() {
        return Err(Error::InvalidOptions {
            detail: "no output given".into(),
        });
    }
    let mut pending = Vec::with_capacity(outputs.len());
    for (i, spec) in outputs.iter().enumerate() {
        if outputs[..i].iter().any(|o| o.path == spec.path) {
            return Err(Error::InvalidOptions {
                detail: format!("{} is given as an output twice", spec.path.display()),
            });
        }
        if let Some(inp) = input.as_path() {
            if same_file(inp, &spec.path) {
                return Err(Error::InvalidOptions {
                    detail: format!(
                        "{}: the output would overwrite the input",
                        spec.path.display()
                    ),
                });
            }
        }
        let format = OutputFormat::from_path(&spec.path)?;
        let s = &spec.settings;
        let settings = EncoderSettings {
            bitrate: s.bitrate.or(job.bitrate),
            quality: s.quality.or(job.quality),
            bits_per_sample: s.bits_per_sample.or(job.bits_per_sample),
            sample_rate: s.sample_rate.or(job.sample_rate),
        };
        pending.push(Pending::file(
            spec.path.clone(),
            settings.sample_rate,
            format,
            settings,
        ));
    }
    if let Some(r) = job.sample_rate {
        let (min, max) = (crate::resample::MIN_RATE, crate::resample::MAX_RATE);
        if !(min..=max).contains(&r) {
            return Err(Error::InvalidOptions {
                detail: format!("sample_rate {r} Hz is outside {min}..={max}"),
            });
        }
    }
    Ok(pending)
}
