//! Streaming decode into interleaved f32 blocks. The decoder runs on its own thread and
//! hands fixed-size blocks over a bounded channel, so memory stays constant whatever the
//! duration and decoding overlaps with whatever consumes the blocks.

use std::sync::mpsc;

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;

use crate::error::{Error, Result};
use crate::input::Opened;
use crate::job::Control;

/// How decoding treats damaged data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DecodeOptions {
    /// Fail on the first damaged frame instead of skipping it and counting it.
    pub strict: bool,
    /// Accept an input that ends before its headers say it should (analysing what is
    /// there, with a warning) instead of failing with [`Error::Truncated`].
    pub allow_truncated: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions { strict: false, allow_truncated: false }
    }
}

/// What decoding found besides the audio.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct DecodeStats {
    /// Sample frames delivered.
    pub frames: u64,
    /// Packets skipped because they could not be read or decoded.
    pub skipped_frames: u64,
    /// Human-readable notes about damage that was tolerated.
    pub warnings: Vec<String>,
}

/// Sample frames per block handed to the consumer.
const BLOCK_FRAMES: usize = 8192;
/// Blocks in flight between the decoder thread and the consumer.
const QUEUE: usize = 4;
/// Largest plausible decoded sample: lossy codecs overshoot full scale by a few dB on hot
/// masters (+3.5 dBFS seen), never by 12 dB.
const MAX_SANE_SAMPLE: f32 = 4.0;
/// Consecutive unreadable packets after which a stream is declared undecodable.
const MAX_CONSECUTIVE_ERRORS: u64 = 2000;

struct Decoder {
    opened: Opened,
    decoder: Box<dyn AudioDecoder>,
    file: String,
    opts: DecodeOptions,
    channels: usize,
    stats: DecodeStats,
    scratch: Vec<f32>,
    ended_mid_packet: bool,
}

impl Decoder {
    fn new(opened: Opened, file: String, opts: DecodeOptions) -> Result<Self> {
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&opened.params, &AudioDecoderOptions::default())
            .map_err(|e| crate::input::open_error(&file, opened.probe.format, e))?;
        let channels = opened.probe.channels as usize;
        Ok(Decoder {
            opened,
            decoder,
            file,
            opts,
            channels,
            stats: DecodeStats::default(),
            scratch: Vec::new(),
            ended_mid_packet: false,
        })
    }

    fn corrupt(&self, what: String) -> Error {
        Error::CorruptInput { file: self.file.clone(), detail: what }
    }

    /// Records a damaged packet, or fails in strict mode.
    fn skip(&mut self, what: &str, consecutive: &mut u64) -> Result<()> {
        self.stats.skipped_frames += 1;
        *consecutive += 1;
        if self.opts.strict {
            let at = self.stats.frames as f64 / f64::from(self.opened.probe.sample_rate);
            return Err(self.corrupt(format!("damaged frame at {at:.3} s: {what}")));
        }
        if *consecutive >= MAX_CONSECUTIVE_ERRORS {
            return Err(self.corrupt(format!("{consecutive} damaged frames in a row: {what}")));
        }
        Ok(())
    }

    /// Appends decoded frames to `out` until it holds at least `BLOCK_FRAMES` frames or the
    /// stream ends. Returns false at the end of the stream.
    fn fill(&mut self, out: &mut Vec<f32>) -> Result<bool> {
        let mut consecutive = 0u64;
        while out.len() < BLOCK_FRAMES * self.channels {
            let packet = match self.opened.reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(false),
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.ended_mid_packet = true;
                    return Ok(false);
                }
                Err(SymError::IoError(e)) => return Err(Error::Io { file: self.file.clone(), source: e }),
                Err(SymError::DecodeError(what)) => {
                    self.skip(what, &mut consecutive)?;
                    continue;
                }
                Err(SymError::ResetRequired) => {
                    return Err(Error::UnsupportedFormat {
                        file: self.file.clone(),
                        detail: "the stream changes its codec parameters part-way (chained stream)".into(),
                    });
                }
                Err(SymError::Unsupported(what)) => {
                    return Err(Error::UnsupportedFormat {
                        file: self.file.clone(),
                        detail: format!("unsupported feature: {what}"),
                    });
                }
                Err(e) => return Err(self.corrupt(e.to_string())),
            };
            if packet.track_id != self.opened.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(buf) => {
                    if buf.spec().channels().count() != self.channels
                        || buf.spec().rate() != self.opened.probe.sample_rate
                    {
                        // A frame whose header changed the layout is damage, not a new stream.
                        self.skip("frame with a different channel count or rate", &mut consecutive)?;
                        continue;
                    }
                    consecutive = 0;
                    if buf.frames() == 0 {
                        continue;
                    }
                    buf.copy_to_vec_interleaved(&mut self.scratch);
                    // Damaged MP3 frames can decode "successfully" into values far beyond
                    // full scale (+90 dBFS) or NaN. Conceal such a frame with silence, which
                    // keeps the timeline, and count it as damaged.
                    let frames = buf.frames() as u64;
                    let insane = self.scratch.iter().any(|x| !(x.abs() <= MAX_SANE_SAMPLE));
                    if insane {
                        self.scratch.fill(0.0);
                    }
                    out.extend_from_slice(&self.scratch);
                    self.stats.frames += frames;
                    if insane {
                        self.skip("frame decodes to values far beyond full scale", &mut consecutive)?;
                    }
                }
                Err(SymError::DecodeError(what)) => self.skip(what, &mut consecutive)?,
                Err(SymError::IoError(_)) => self.skip("frame data ends early", &mut consecutive)?,
                Err(SymError::Unsupported(what)) => {
                    return Err(Error::UnsupportedFormat {
                        file: self.file.clone(),
                        detail: format!("unsupported codec feature: {what}"),
                    });
                }
                Err(e) => self.skip(&e.to_string(), &mut consecutive)?,
            }
        }
        Ok(true)
    }

    /// Checks the stream as a whole once it has ended.
    fn finish(mut self) -> Result<DecodeStats> {
        let rate = f64::from(self.opened.probe.sample_rate);
        let got = self.stats.frames;
        if got == 0 {
            let detail = if self.stats.skipped_frames > 0 {
                format!("nothing decodable: all {} frames are damaged", self.stats.skipped_frames)
            } else {
                "the stream holds no audio samples".to_string()
            };
            return Err(self.corrupt(detail));
        }
        // Allow a packet or two of slack: containers count frames in different ways.
        let slack = (rate * 0.1) as u64 + 4096;
        let missing = match self.opened.probe.frames {
            Some(expected) if got + slack < expected && self.stats.skipped_frames == 0 => {
                Some(format!(
                    "headers announce {:.3} s but the data ends at {:.3} s",
                    expected as f64 / rate,
                    got as f64 / rate
                ))
            }
            Some(expected) if got + slack < expected => {
                // Skipped packets account for part of the gap; only a gap larger than
                // they can explain is truncation.
                let explained = self.stats.skipped_frames * 4608;
                (got + slack + explained < expected).then(|| {
                    format!(
                        "headers announce {:.3} s but the data ends at {:.3} s",
                        expected as f64 / rate,
                        got as f64 / rate
                    )
                })
            }
            _ if self.ended_mid_packet => {
                Some(format!("the data ends in the middle of a frame at {:.3} s", got as f64 / rate))
            }
            _ => None,
        };
        if let Some(detail) = missing {
            if !self.opts.allow_truncated {
                return Err(Error::Truncated { file: self.file.clone(), detail });
            }
            self.stats.warnings.push(format!("truncated: {detail}"));
        }
        if self.stats.skipped_frames > 0 {
            let n = self.stats.skipped_frames;
            self.stats.warnings.push(format!("skipped {n} damaged frame{}", if n == 1 { "" } else { "s" }));
        }
        Ok(self.stats)
    }
}

/// Decodes `opened` on a helper thread and calls `consume` with each interleaved block on
/// the calling thread. `ctl` gets progress (by decoded duration) and may cancel.
pub(crate) fn stream(
    opened: Opened,
    file: &str,
    opts: &DecodeOptions,
    ctl: &mut Control,
    mut consume: impl FnMut(&[f32]) -> Result<()>,
) -> Result<DecodeStats> {
    let expected = opened.probe.frames.unwrap_or(0).max(1) as f64;
    let channels = opened.probe.channels as usize;
    let mut decoder = Decoder::new(opened, file.to_string(), opts.clone())?;
    let (tx, rx) = mpsc::sync_channel::<Result<Vec<f32>>>(QUEUE);
    let (recycle_tx, recycle_rx) = mpsc::channel::<Vec<f32>>();

    std::thread::scope(|s| {
        let worker = s.spawn(move || -> Result<DecodeStats> {
            loop {
                let mut block = recycle_rx.try_recv().unwrap_or_default();
                block.clear();
                match decoder.fill(&mut block) {
                    Ok(more) => {
                        if !block.is_empty() && tx.send(Ok(block)).is_err() {
                            // The consumer stopped (error or cancel): nothing more to do.
                            return Ok(decoder.stats);
                        }
                        if !more {
                            return decoder.finish();
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return Ok(DecodeStats::default());
                    }
                }
            }
        });

        let mut frames = 0u64;
        let consumer: Result<()> = (|| {
            for msg in rx.iter() {
                let block = msg?;
                ctl.tick(frames as f64 / expected)?;
                consume(&block)?;
                frames += (block.len() / channels) as u64;
                let _ = recycle_tx.send(block);
            }
            Ok(())
        })();
        drop(rx);
        let decoded = worker.join().map_err(|p| Error::CorruptInput {
            file: file.to_string(),
            detail: format!("the decoder failed on malformed data ({})", panic_message(&p)),
        })?;
        consumer?;
        decoded
    })
}

/// The text of a caught panic payload.
pub(crate) fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}
