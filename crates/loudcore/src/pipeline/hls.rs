//! The HLS job: one analysis and one decode per render feed every variant of a ladder
//! (resample -> encoder -> segmenter), each variant verified on its written segments; the
//! ladder appears at its destination only once every variant is on target.

use std::path::{Path, PathBuf};

use super::normalize::{Job, Ladder, NormalizeOptions, Pending};
use super::report::Report;
use crate::error::{Error, Result};
use crate::hls::{self, Container, HlsCodec, Layout, TempLadder, Variant};
use crate::input::Input;

/// Options of an HLS job: the ladder, and the normalize targets every variant meets.
///
/// ```
/// use loudcore::{Container, HlsOptions, Layout, NormalizeOptions};
/// let opts = HlsOptions {
///     variants: vec!["high=128k@44100".parse()?, "low=64k@32000".parse()?],
///     container: Container::Packed,
///     layout: Layout::Flat,
///     normalize: NormalizeOptions { true_peak_dbtp: Some(-1.5), ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(opts.segment_seconds, 10.0);
/// # Ok::<(), loudcore::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HlsOptions {
    /// The rungs. Empty: 48 kbps @ 24 kHz, 64 kbps @ 32 kHz and 128 kbps @ 44.1 kHz.
    pub variants: Vec<Variant>,
    /// Target segment duration, seconds (default 10).
    pub segment_seconds: f64,
    /// `Ts` (default), `Packed` audio or `Fmp4`.
    pub container: Container,
    /// `Aac` (AAC-LC, default) or `Mp3`.
    pub codec: HlsCodec,
    /// `Nested` (default: `<name>/playlist.m3u8`) or `Flat` (`<name>.m3u8`).
    pub layout: Layout,
    /// Loudness targets, input limits, progress and cancellation. The file-encoder
    /// settings (`bitrate`, `quality`, `bits_per_sample`, `sample_rate`) do not apply.
    pub normalize: NormalizeOptions,
}

impl Default for HlsOptions {
    fn default() -> Self {
        HlsOptions {
            variants: Vec::new(),
            segment_seconds: 10.0,
            container: Container::default(),
            codec: HlsCodec::default(),
            layout: Layout::default(),
            normalize: NormalizeOptions::default(),
        }
    }
}

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
        if opts.normalize.bitrate.is_some()
            || opts.normalize.quality.is_some()
            || opts.normalize.bits_per_sample.is_some()
            || opts.normalize.sample_rate.is_some()
        {
            return Err(Error::InvalidOptions {
                detail: "bitrate, quality, bits and sample rate of an HLS ladder are set per \
                         variant (e.g. 64k@32000)"
                    .into(),
            });
        }
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
        let outputs = variants
            .iter()
            .zip(names)
            .map(|(v, name)| {
                let playlist = out_dir.join(hls::playlist_path(opts.layout, &name));
                Pending::variant(name, v.bitrate, v.sample_rate, playlist)
            })
            .collect();
        let ladder = Ladder {
            dest: out_dir.to_path_buf(),
            temp,
            codec: opts.codec,
            container: opts.container,
            layout: opts.layout,
            segment_seconds: opts.segment_seconds,
        };
        Job::with_outputs(input, outputs, Some(ladder), &opts.normalize)?.run()
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
