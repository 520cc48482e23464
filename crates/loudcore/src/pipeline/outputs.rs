//! The outputs of a job while it runs: what each one is (a file, or a variant of an HLS
//! ladder), what the plan aims it at, and how far it has come. Every stage of the job reads
//! and updates these; none of them keeps its own copy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::report::OutputReport;
use crate::encode::guess::EncoderGuess;
use crate::encode::registry::{Encoding, encoder_guess};
use crate::encode::{EncoderSettings, OutputFormat, StreamSpec};
use crate::error::{Error, Result};
use crate::hls::{Container, HlsCodec, Layout, TempLadder, VariantOut};
use crate::input::Probe;
use crate::output::TempOutput;

/// How a ladder's variants are encoded and laid out, shared by every variant of it.
#[derive(Debug)]
pub(super) struct LadderShape {
    /// The ladder's temporary directory, where variants write their segments.
    pub root: PathBuf,
    pub codec: HlsCodec,
    pub container: Container,
    pub layout: Layout,
    pub segment_seconds: f64,
}

/// Where an HLS job's ladder goes: a temporary directory, moved to `dest` once every
/// variant is verified.
pub(super) struct Ladder {
    pub dest: PathBuf,
    pub temp: TempLadder,
    pub shape: Arc<LadderShape>,
}

/// What an output is. A variant carries its ladder's shape, so no stage has to handle a
/// variant without one.
#[derive(Clone, Debug)]
pub(super) enum Kind {
    /// A file; its format comes from the extension.
    File {
        format: OutputFormat,
        settings: EncoderSettings,
    },
    /// One variant of an HLS ladder.
    Variant {
        name: String,
        bitrate: u32,
        ladder: Arc<LadderShape>,
    },
}

/// A verified output, not yet in place.
pub(super) enum Done {
    File(TempOutput),
    Variant(VariantOut),
}

/// An output in progress.
pub(super) struct Pending {
    /// Final path (for a variant: its media playlist).
    pub path: PathBuf,
    /// Sample rate asked for; `None` keeps the input's.
    pub sample_rate: Option<u32>,
    pub kind: Kind,
    pub out_rate: u32,
    pub gain_db: f64,
    pub limiter_ceiling: f64,
    /// Loudness the limited PCM must have so that the decoded output lands on target: the
    /// target, corrected by what the encoder was measured to add or take away.
    pub pcm_target: f64,
    pub attempts: u32,
    /// Lowest limiter gain of the latest render.
    pub min_gain: f32,
    /// The corrected gain of a redo whose previous render never limited.
    pub next_gain: Option<f64>,
    /// Encode with the codec's closer search (`HlsCodec::encoder`): set for redos.
    pub careful: bool,
    pub done: Option<(Done, OutputReport)>,
}

impl Pending {
    pub(super) fn file(
        path: PathBuf,
        sample_rate: Option<u32>,
        format: OutputFormat,
        settings: EncoderSettings,
    ) -> Self {
        Pending::new(path, sample_rate, Kind::File { format, settings })
    }

    pub(super) fn variant(
        name: String,
        bitrate: u32,
        sample_rate: u32,
        playlist: PathBuf,
        ladder: Arc<LadderShape>,
    ) -> Self {
        Pending::new(
            playlist,
            Some(sample_rate),
            Kind::Variant {
                name,
                bitrate,
                ladder,
            },
        )
    }

    fn new(path: PathBuf, sample_rate: Option<u32>, kind: Kind) -> Self {
        Pending {
            path,
            sample_rate,
            kind,
            out_rate: 0,
            gain_db: 0.0,
            limiter_ceiling: 0.0,
            pcm_target: 0.0,
            attempts: 0,
            min_gain: 1.0,
            next_gain: None,
            careful: false,
            done: None,
        }
    }

    pub(super) fn is_lossy(&self) -> bool {
        match &self.kind {
            Kind::File { format, .. } => format.is_lossy(),
            Kind::Variant { .. } => true,
        }
    }

    /// The first guess at what this output's encoder does to loudness and peaks;
    /// `careful`: a variant's redo with the closer search.
    pub(super) fn guess(&self, channels: u32, careful: bool) -> EncoderGuess {
        match &self.kind {
            Kind::File { format, settings } => {
                encoder_guess(Encoding::File(*format), settings.bitrate, channels, careful)
            }
            Kind::Variant {
                bitrate, ladder, ..
            } => encoder_guess(
                Encoding::Hls(ladder.codec),
                Some(*bitrate),
                channels,
                careful,
            ),
        }
    }

    pub(super) fn dest(&self) -> String {
        self.path.display().to_string()
    }

    /// Refuses an impossible output (a 5.1 MP3, a bit rate LAME lacks) from the input's
    /// headers, before any decoding.
    pub(super) fn check(&self, headers: &Probe) -> Result<()> {
        let spec = StreamSpec {
            sample_rate: self.sample_rate.unwrap_or(headers.sample_rate),
            channels: headers.channels as u16,
            channel_mask: headers.channel_mask,
            source_bits: headers.bits_per_sample,
            tags: headers.tags.clone(),
        };
        let checked = match &self.kind {
            Kind::File { format, settings } => crate::encode::validate(*format, &spec, settings),
            Kind::Variant {
                bitrate, ladder, ..
            } => ladder
                .codec
                .encoder(spec.sample_rate, spec.channels, *bitrate, false)
                .map(drop),
        };
        checked.map_err(|e| match e {
            Error::InvalidOptions { detail } => Error::InvalidOptions {
                detail: format!("{}: {detail}", self.path.display()),
            },
            other => other,
        })
    }
}

/// Whether two paths name the same file (the destination may not exist yet).
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
