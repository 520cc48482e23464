//! Measuring what a render wrote, as a player would get it: each written file is decoded
//! by loudcore's own decoder, each variant's segments are read back from disk and decoded
//! packet by packet, all outputs at once on their own threads.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::render::{ChainOut, Written};
use crate::decode::DecodeOptions;
use crate::encode::Encoded;
use crate::error::{Error, Result};
use crate::hls::VariantOut;
use crate::input::{Input, Limits};
use crate::job::{CancelToken, Control, ProgressFn, Stage};
use crate::loudness::{Meter, channel_weights};
use crate::packet_decode::PacketDecoder;

/// What verification measured on a written output.
pub(super) struct Measured {
    pub integrated_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub lra_lu: f64,
    pub duration_s: f64,
    pub sample_rate: u32,
    pub channels: u32,
    pub bit_rate: Option<u64>,
}

/// One rendered output to measure: what the chain wrote, its destination (for messages)
/// and, for a variant, the ladder directory its segments are under.
pub(super) struct ToMeasure<'a> {
    pub out: &'a ChainOut,
    pub dest: String,
    pub root: Option<&'a Path>,
}

/// Decodes every rendered output from what was written to disk, all at once (each decode
/// is single-threaded for variants, and a ladder has several), and measures it. Progress
/// is the mean over the outputs; `cancel` reaches every measuring thread.
pub(super) fn measure_all(
    rendered: &[ToMeasure<'_>],
    file: &str,
    decode_threads: usize,
    cancel: Option<&CancelToken>,
    ctl: &mut Control,
) -> Result<Vec<Measured>> {
    let slots: Vec<Arc<AtomicU64>> = rendered
        .iter()
        .map(|_| Arc::new(AtomicU64::new(0f64.to_bits())))
        .collect();
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(rendered.len());
        for (w, slot) in rendered.iter().zip(&slots) {
            let slot = slot.clone();
            let on_progress: ProgressFn =
                Arc::new(move |_, f: f64| slot.store(f.to_bits(), Ordering::Relaxed));
            let mut own = Control::new(file.to_string(), cancel.cloned(), Some(on_progress));
            handles.push(scope.spawn(move || -> Result<Measured> {
                own.stage(Stage::Verify, 0.0, 1.0);
                match (&w.out.written, w.root) {
                    (Some(Written::File(encoded)), _) => {
                        measure_file(encoded, &w.dest, decode_threads, &mut own)
                    }
                    (Some(Written::Variant(v)), Some(root)) => {
                        measure_variant(root, v, &w.dest, &mut own)
                    }
                    _ => Err(Error::Internal {
                        file: w.dest.clone(),
                        detail: "an output chain wrote nothing to verify".into(),
                    }),
                }
            }));
        }
        // Progress is the mean over the outputs; a cancel reaches the measuring threads
        // through their own controls.
        let n = slots.len().max(1) as f64;
        while handles.iter().any(|h| !h.is_finished()) {
            std::thread::sleep(std::time::Duration::from_millis(40));
            let mean = slots
                .iter()
                .map(|s| f64::from_bits(s.load(Ordering::Relaxed)))
                .sum::<f64>()
                / n;
            // A cancel is reported by the threads themselves.
            let _ = ctl.tick(mean);
        }
        let mut measured = Vec::with_capacity(handles.len());
        let mut first_err = None;
        for h in handles {
            match h.join() {
                Ok(Ok(m)) => measured.push(m),
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(p) => {
                    first_err.get_or_insert(Error::Internal {
                        file: file.to_string(),
                        detail: crate::panic::panic_message(&p),
                    });
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(measured),
        }
    })
}

/// Decodes a written file with loudcore's own decoder.
fn measure_file(
    encoded: &Encoded,
    dest: &str,
    threads: usize,
    ctl: &mut Control,
) -> Result<Measured> {
    let decode = DecodeOptions {
        strict: true,
        allow_truncated: false,
        threads,
    };
    let a = super::analyze::measure(
        &Input::from(encoded.output.temp_path().to_path_buf()),
        &Limits::default(),
        &decode,
        super::analyze::Keep::default(),
        None,
        ctl,
    )
    .map(|p| p.analysis)
    .map_err(|e| match e {
        Error::Cancelled { .. } => e,
        e => Error::Internal {
            file: dest.to_string(),
            detail: format!("the written output does not decode: {e}"),
        },
    })?;
    let bit_rate =
        (a.duration_s > 0.0).then(|| (encoded.bytes as f64 * 8.0 / a.duration_s).round() as u64);
    Ok(Measured {
        integrated_lufs: a.integrated_lufs,
        true_peak_dbtp: a.true_peak_dbtp,
        lra_lu: a.lra_lu,
        duration_s: a.duration_s,
        sample_rate: a.sample_rate,
        channels: a.channels,
        bit_rate,
    })
}

/// Reads a variant's segments back from disk under the ladder's `root` (parsing the
/// container), decodes the frames and measures what a player would play: encoder priming
/// and end padding removed.
fn measure_variant(root: &Path, v: &VariantOut, dest: &str, ctl: &mut Control) -> Result<Measured> {
    let (info, frames) = (&v.info, v.input_frames);
    let channels = usize::from(info.channels);
    let weights = channel_weights(channels, None);
    let mut meter = Meter::new(info.sample_rate, weights, false);
    let mut decoder = PacketDecoder::new(info, dest)?;
    let mut pcm = Vec::new();
    let mut decoded = 0u64;
    let total = frames.max(1) as f64;
    crate::hls::read_variant(root, v, |frame| {
        pcm.clear();
        decoder.decode(frame, &mut pcm)?;
        let n = (pcm.len() / channels) as u64;
        let keep = n.min(frames.saturating_sub(decoded)) as usize;
        meter.push(&pcm[..keep * channels]);
        decoded += n;
        ctl.tick((decoded as f64 / total).min(1.0))
    })?;
    // Short by more than a frame means the writer lost audio; the padding after the last
    // input frame is at most one codec frame (two for some priming splits).
    if decoded < frames || decoded > frames + 2 * u64::from(info.frame_len) {
        return Err(Error::Internal {
            file: dest.to_string(),
            detail: format!("the segments decode to {decoded} frames for {frames} frames encoded"),
        });
    }
    let l = meter.finish();
    let duration_s = frames as f64 / f64::from(info.sample_rate);
    Ok(Measured {
        integrated_lufs: l.integrated_lufs,
        true_peak_dbtp: l.true_peak_dbtp,
        lra_lu: l.lra_lu,
        duration_s,
        sample_rate: info.sample_rate,
        channels: u32::from(info.channels),
        bit_rate: None,
    })
}
