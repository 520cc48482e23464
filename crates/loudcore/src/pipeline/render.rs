//! Pass 2: one decode fans out to every output chain (gain -> limiter -> resampler ->
//! encoder, or a meter alone when calibrating). Each chain runs on its own thread, so
//! encoders of several outputs work in parallel while the decoder feeds them all.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use crate::decode::{self, DecodeOptions, panic_message};
use crate::encode::packet::PacketEncoder;
use crate::encode::{self, Encoded, EncoderSettings, OutputFormat, StreamSpec};
use crate::error::{Error, Result};
use crate::gain::{Detector, Limiter};
use crate::hls::{Container, HlsCodec, Layout, VariantOut, VariantWriter};
use crate::input::{self, Input, Limits, Tags};
use crate::job::Control;
use crate::loudness::{Loudness, Meter, channel_weights};
use crate::output::TempOutput;
use crate::resample::Resampler;

/// What one chain does.
pub(crate) struct ChainSpec {
    pub gain_db: f64,
    pub ceiling_dbtp: f64,
    pub out_rate: u32,
    pub sink: SinkSpec,
}

pub(crate) enum SinkSpec {
    /// Measure the limited signal only (to calibrate the gain before encoding).
    Meter,
    /// Encode into a temporary file beside `dest`.
    Encode {
        dest: PathBuf,
        format: OutputFormat,
        settings: EncoderSettings,
    },
    /// Encode one HLS variant into segments under `root` (the ladder's temporary
    /// directory).
    Variant {
        root: PathBuf,
        name: String,
        codec: HlsCodec,
        container: Container,
        layout: Layout,
        bitrate: u32,
        segment_seconds: f64,
    },
}

/// What an encoding chain wrote.
pub(crate) enum Written {
    /// A whole file, not yet moved into place.
    File(Encoded),
    /// An HLS variant's segments (its playlist is written once every variant is done).
    Variant(VariantOut),
}

/// The encoding end of a chain, run on its own thread.
enum Sink {
    File(Box<dyn encode::Encoder>),
    Variant {
        encoder: Box<dyn PacketEncoder>,
        writer: VariantWriter,
    },
}

impl Sink {
    fn run(self, pcm: mpsc::Receiver<Vec<f32>>) -> Result<Written> {
        match self {
            Sink::File(mut enc) => {
                for block in pcm {
                    enc.write(&block)?;
                }
                enc.finish().map(Written::File)
            }
            Sink::Variant {
                mut encoder,
                mut writer,
            } => {
                let mut packets = Vec::new();
                for block in pcm {
                    encoder.write(&block, &mut packets)?;
                    for p in packets.drain(..) {
                        writer.push(&p)?;
                    }
                }
                let frames = encoder.finish(&mut packets)?;
                for p in packets.drain(..) {
                    writer.push(&p)?;
                }
                Ok(Written::Variant(writer.finish(frames)?))
            }
        }
    }
}

/// What one chain produced.
pub(crate) struct ChainOut {
    /// Loudness of the limited PCM, for meter chains.
    pub loudness: Option<Loudness>,
    /// Lowest limiter gain (1.0: the limiter never engaged).
    pub min_gain: f32,
    /// What an encoding chain wrote.
    pub written: Option<Written>,
}

/// Stream facts every chain needs.
pub(crate) struct Source {
    pub sample_rate: u32,
    pub channels: usize,
    pub channel_mask: Option<u64>,
    pub source_bits: Option<u32>,
    pub tags: Tags,
}

/// A decoded block and its oversampled peak envelope, shared by every chain. The last
/// block of a stream is the silence that drains the limiters (`last`).
struct Block {
    pcm: Vec<f32>,
    env: Vec<f32>,
    last: bool,
}

/// Blocks queued per chain: enough to ride out an encoder's uneven pace, small enough to
/// keep memory flat.
const QUEUE: usize = 8;

struct Chain {
    gain: f32,
    limiter: Limiter,
    resampler: Option<Resampler>,
    meter: Option<Meter>,
    /// The encoder, until it moves to its own thread.
    encoder: Option<Sink>,
    /// Where finished PCM goes when encoding: the encoder's thread, so a slow encoder (LAME)
    /// overlaps with gain and limiting instead of adding to them.
    to_encoder: Option<mpsc::SyncSender<Vec<f32>>>,
    scratch: Vec<f32>,
    limited: Vec<f32>,
    resampled: Vec<f32>,
}

impl Chain {
    fn new(spec: ChainSpec, src: &Source) -> Result<Self> {
        let resampler = (spec.out_rate != src.sample_rate)
            .then(|| Resampler::new(src.sample_rate, spec.out_rate, src.channels))
            .transpose()?;
        let (meter, encoder) = match spec.sink {
            SinkSpec::Meter => {
                let w = channel_weights(src.channels, src.channel_mask);
                (
                    Some(Meter::new(spec.out_rate, w, false).loudness_only()),
                    None,
                )
            }
            SinkSpec::Encode {
                dest,
                format,
                settings,
            } => {
                let stream = StreamSpec {
                    sample_rate: spec.out_rate,
                    channels: src.channels as u16,
                    channel_mask: src.channel_mask,
                    source_bits: src.source_bits,
                    tags: src.tags.clone(),
                };
                let sink = TempOutput::create(&dest)?;
                (
                    None,
                    Some(Sink::File(encode::new_encoder(
                        format, &stream, &settings, sink,
                    )?)),
                )
            }
            SinkSpec::Variant {
                root,
                name,
                codec,
                container,
                layout,
                bitrate,
                segment_seconds,
            } => {
                let encoder = codec.encoder(spec.out_rate, src.channels as u16, bitrate)?;
                let writer = VariantWriter::new(
                    &root,
                    &name,
                    layout,
                    container,
                    encoder.info(),
                    segment_seconds,
                )?;
                (None, Some(Sink::Variant { encoder, writer }))
            }
        };
        Ok(Chain {
            gain: 10f64.powf(spec.gain_db / 20.0) as f32,
            limiter: Limiter::new(src.sample_rate, src.channels, spec.ceiling_dbtp),
            resampler,
            meter,
            encoder,
            to_encoder: None,
            scratch: Vec::new(),
            limited: Vec::new(),
            resampled: Vec::new(),
        })
    }

    fn push(&mut self, block: &Block) -> Result<()> {
        self.scratch.clear();
        self.scratch.extend(block.pcm.iter().map(|x| x * self.gain));
        self.limited.clear();
        self.limiter
            .process(&self.scratch, &block.env, self.gain, &mut self.limited);
        self.emit(false)
    }

    /// Sends `self.limited` on through the resampler to the sink; at the end, flushes.
    fn emit(&mut self, last: bool) -> Result<()> {
        let pcm: &[f32] = match self.resampler.as_mut() {
            Some(r) => {
                self.resampled.clear();
                r.process(&self.limited, &mut self.resampled)?;
                if last {
                    r.finish(&mut self.resampled)?;
                }
                &self.resampled
            }
            None => &self.limited,
        };
        if let Some(m) = self.meter.as_mut() {
            m.push(pcm);
        }
        if let Some(tx) = self.to_encoder.as_ref() {
            if !pcm.is_empty() && tx.send(pcm.to_vec()).is_err() {
                return Err(Error::Internal {
                    file: String::new(),
                    detail: "the encoder stopped".into(),
                });
            }
        }
        Ok(())
    }

    fn finish(&mut self, tail: &Block) -> Result<ChainOut> {
        self.limited.clear();
        self.limiter.finish(&tail.env, self.gain, &mut self.limited);
        self.emit(true)?;
        let min_gain = self.limiter.min_gain();
        self.to_encoder = None; // end of stream for the encoder thread
        Ok(ChainOut {
            loudness: self.meter.take().map(Meter::finish),
            min_gain,
            written: None,
        })
    }
}

/// Decodes `input` once and runs every chain over it. Returns the chains' results in order.
pub(crate) fn render(
    input: &Input,
    limits: &Limits,
    decode_opts: &DecodeOptions,
    ctl: &mut Control,
    src: &Source,
    specs: Vec<ChainSpec>,
) -> Result<Vec<ChainOut>> {
    let file = input.name();
    // Build every chain first: a bad option or an unwritable destination fails before any
    // decoding work.
    let chains = specs
        .into_iter()
        .map(|s| Chain::new(s, src))
        .collect::<Result<Vec<_>>>()?;
    // The peak detector runs once for all chains; it may skip what none of them could
    // push over its ceiling.
    let mut detector = Detector::new(src.sample_rate, src.channels);
    let threshold = chains
        .iter()
        .map(|c| c.limiter.ceiling() / c.gain)
        .fold(f32::INFINITY, f32::min);
    let opened = input::open(input, limits)?;

    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(chains.len());
        let mut handles = Vec::with_capacity(chains.len());
        for mut chain in chains {
            let (tx, rx) = mpsc::sync_channel::<Arc<Block>>(QUEUE);
            senders.push(tx);
            let encoder_thread = chain.encoder.take().map(|sink| {
                let (etx, erx) = mpsc::sync_channel::<Vec<f32>>(QUEUE);
                chain.to_encoder = Some(etx);
                scope.spawn(move || sink.run(erx))
            });
            handles.push(scope.spawn(move || -> Result<ChainOut> {
                let run = || -> Result<ChainOut> {
                    for block in rx {
                        if block.last {
                            return chain.finish(&block);
                        }
                        chain.push(&block)?;
                    }
                    // The stream was abandoned (an error or a cancel elsewhere).
                    Err(Error::Cancelled {
                        file: String::new(),
                    })
                };
                let result = run();
                // Dropping the chain closes the encoder's queue: the encoder finishes, or
                // after an error its half-written temporary file is dropped and removed.
                drop(chain);
                let Some(enc) = encoder_thread else {
                    return result;
                };
                let encoded = enc.join().map_err(|p| Error::Internal {
                    file: String::new(),
                    detail: panic_message(&p),
                });
                let mut out = result?;
                out.written = Some(encoded??);
                Ok(out)
            }));
        }
        let decoded = decode::stream(opened, &file, decode_opts, ctl, |block| {
            let mut env = Vec::new();
            detector.envelope(block, threshold, &mut env);
            let shared = Arc::new(Block {
                pcm: block.to_vec(),
                env,
                last: false,
            });
            for tx in &senders {
                if tx.send(shared.clone()).is_err() {
                    // The chain stopped on an error; its result says why.
                    return Err(Error::Internal {
                        file: file.clone(),
                        detail: "an output chain stopped".into(),
                    });
                }
            }
            Ok(())
        });
        if decoded.is_ok() {
            // Drain the limiters with silence, peaks of the step into it included.
            let pcm = vec![0f32; Limiter::tail_frames(src.sample_rate) * src.channels];
            let mut env = Vec::new();
            detector.envelope(&pcm, threshold, &mut env);
            let tail = Arc::new(Block {
                pcm,
                env,
                last: true,
            });
            for tx in &senders {
                let _ = tx.send(tail.clone());
            }
        }
        // Closing the queues tells the chains the stream has ended (or was abandoned).
        drop(senders);
        let mut outs = Vec::with_capacity(handles.len());
        let mut chain_err = None;
        for h in handles {
            match h.join() {
                Ok(Ok(out)) => outs.push(out),
                Ok(Err(e)) => {
                    chain_err.get_or_insert(e);
                }
                Err(p) => {
                    chain_err.get_or_insert(Error::Internal {
                        file: file.clone(),
                        detail: panic_message(&p),
                    });
                }
            }
        }
        match (decoded, chain_err) {
            // A chain's own error explains a decode-side "chain stopped".
            (Err(Error::Internal { .. }), Some(e)) => Err(e),
            (Err(e), _) => Err(e),
            (Ok(_), Some(e)) => Err(e),
            (Ok(_), None) => Ok(outs),
        }
    })
}
