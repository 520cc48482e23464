//! The HLS job: one analysis and one decode per render feed every variant of a ladder
//! (resample -> encoder -> segmenter), each variant verified on its written segments; the
//! ladder appears at its destination only once every variant is on target.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::job::Job;
use super::outputs::{Ladder, LadderShape, Pending};
use super::report::Report;
use crate::error::{Error, Result};
use crate::hls::{self, TempLadder};
use crate::input::Input;
use crate::options::HlsOptions;

/// Normalizes `input` and writes an HLS ladder into `out_dir` (created, or replaced once
/// the new ladder is complete).
///
/// ```no_run
/// use loudcore::{hls, HlsOptions, Input};
/// let report = hls(&Input::from("song.wav"), "ladder", &HlsOptions::default())?;
/// assert_eq!(report.outputs.len(), 3);
/// # Ok::<(), loudcore::Error>(())
/// ```
pub fn hls(input: &Input, out_dir: impl AsRef<Path>, opts: &HlsOptions) -> Result<Report> {
    let file = input.name();
    let out_dir = out_dir.as_ref();
    super::guard(&file, || {
        hls::check_segment_seconds(opts.segment_seconds)?;
        let variants = if opts.variants.is_empty() {
            hls::default_variants()
        } else {
            opts.variants.clone()
        };
        let names = hls::variant_names(&variants)?;
        if let Some(inp) = input.as_path() {
            if inside(inp, out_dir) {
                return Err(Error::InvalidOptions {
                    detail: format!(
                        "{}: the input is inside the output directory, which the ladder replaces",
                        inp.display()
                    ),
                });
            }
        }
        let temp = TempLadder::create(out_dir)?;
        let shape = Arc::new(LadderShape {
            root: temp.path().to_path_buf(),
            codec: opts.codec,
            container: opts.container,
            layout: opts.layout,
            segment_seconds: opts.segment_seconds,
        });
        let outputs = variants
            .iter()
            .zip(names)
            .map(|(v, name)| {
                let playlist = out_dir.join(hls::playlist_path(opts.layout, &name));
                Pending::variant(name, v.bitrate, v.sample_rate, playlist, shape.clone())
            })
            .collect();
        let ladder = Ladder {
            dest: out_dir.to_path_buf(),
            temp,
            shape,
        };
        Job::new(input, outputs, Some(ladder), &opts.target, &opts.job)?.run()
    })
}

/// Whether `path` lies inside `dir` (which may not exist yet).
fn inside(path: &Path, dir: &Path) -> bool {
    let canon = |p: &Path| -> Option<PathBuf> { std::fs::canonicalize(p).ok() };
    match (canon(path), canon(dir)) {
        (Some(p), Some(d)) => p.starts_with(d),
        _ => false,
    }
}
