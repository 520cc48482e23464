//! Pass 2: one decode fans out to every output chain (gain -> limiter -> encoder, or a
//! meter alone when calibrating). Audio is resampled *before* the limiter, once per output
//! rate, so each limiter holds true peaks on the signal its encoder actually gets:
//! downsampling takes away high frequencies and moves peaks, by half a dB and more on
//! loud masters, which a limiter working at the input rate cannot see.
//!
//! Threads: the decoder feeds one tap per output rate (resampler and peak detector, shared
//! by every chain at that rate); each tap feeds its chains; each chain runs on its own
//! thread, and hands its PCM to its encoder's thread, so encoders of several outputs work
//! in parallel while the decoder feeds them all.
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use crate::codec::PacketEncoder;
use crate::decode::{self, DecodeOptions};
use crate::encode::{self, Encoded, EncoderSettings, OutputFormat, StreamSpec};
use crate::error::{Error, Result};
use crate::gain::dynamic::GainCurve;
use crate::gain::{Detector, Limiter};
use crate::hls::{Container, HlsCodec, Layout, VariantOut, VariantWriter};
use crate::input::{self, Input, Limits, Tags};
use crate::job::Control;
use crate::loudness::{KPower, Loudness, Meter, channel_weights};
use crate::output::TempOutput;
use crate::panic::panic_message;
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
        /// Encode with the codec's slower, closer search (`HlsCodec::encoder`).
        careful: bool,
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
// One per output and moved once: the size of the variant writer does not matter.
#[allow(clippy::large_enum_variant)]
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
    /// Dynamic mode's gain curve, applied to the decoded input before anything else.
    pub curve: Option<GainCurve>,
}

/// A block of audio at one output rate and its oversampled peak envelope, shared by every
/// chain at that rate. The last block of a stream is the silence that drains the limiters
/// (`last`).
struct Block {
    pcm: Vec<f32>,
    env: Vec<f32>,
    /// K-weighted power per frame, where meter chains take this block.
    power: Option<Vec<f32>>,
    last: bool,
}

/// Blocks queued per chain: enough to ride out an encoder's uneven pace, small enough to
/// keep memory flat.
const QUEUE: usize = 8;

/// What the decoder sends a tap.
enum Decoded {
    Pcm(Arc<Vec<f32>>),
    /// The input ended cleanly: flush and drain.
    End,
}

/// The shared front of the chains at one output rate: the resampler (when the rate
/// differs from the input's) and the peak detector. Resampling is linear, so resampling
/// before each chain's gain gives the same signal as after it, once for all of them.
struct Tap {
    rate: u32,
    channels: usize,
    resampler: Option<Resampler>,
    detector: Detector,
    /// The lowest level any of this tap's limiters could act on, in unscaled units.
    threshold: f32,
    /// For the meter chains at this rate: they measure from this power, not from audio.
    kpower: Option<KPower>,
}

impl Tap {
    fn new(src: &Source, rate: u32, threshold: f32, meters: bool) -> Result<Self> {
        let resampler = (rate != src.sample_rate)
            .then(|| Resampler::new(src.sample_rate, rate, src.channels))
            .transpose()?;
        Ok(Tap {
            rate,
            channels: src.channels,
            resampler,
            detector: Detector::new(rate, src.channels),
            threshold,
            kpower: meters
                .then(|| KPower::new(rate, channel_weights(src.channels, src.channel_mask))),
        })
    }

    fn block(&mut self, pcm: Vec<f32>, last: bool) -> Arc<Block> {
        let mut env = Vec::new();
        self.detector.envelope(&pcm, self.threshold, &mut env);
        // The drain's silence is never given out (it only pushes the stream's end through
        // the delay line), so its power is left at zero.
        let power = self.kpower.as_mut().map(|k| {
            let mut p = Vec::new();
            if last {
                p.resize(env.len(), 0.0);
            } else {
                k.push(&pcm, &mut p);
            }
            p
        });
        Arc::new(Block {
            pcm,
            env,
            power,
            last,
        })
    }

    /// Runs the tap until the decoder ends or abandons the stream.
    fn run(
        mut self,
        rx: mpsc::Receiver<Decoded>,
        chains: Vec<mpsc::SyncSender<Arc<Block>>>,
    ) -> Result<()> {
        let send = |block: Arc<Block>| -> Result<()> {
            for tx in &chains {
                if tx.send(block.clone()).is_err() {
                    // The chain stopped on an error; its result says why.
                    return Err(chain_stopped());
                }
            }
            Ok(())
        };
        for msg in rx {
            match msg {
                Decoded::Pcm(pcm) => {
                    let pcm = match self.resampler.as_mut() {
                        Some(r) => {
                            let mut out = Vec::with_capacity(pcm.len());
                            r.process(&pcm, &mut out)?;
                            out
                        }
                        None => pcm.to_vec(),
                    };
                    if !pcm.is_empty() {
                        send(self.block(pcm, false))?;
                    }
                }
                Decoded::End => {
                    if let Some(r) = self.resampler.as_mut() {
                        let mut out = Vec::new();
                        r.finish(&mut out)?;
                        if !out.is_empty() {
                            send(self.block(out, false))?;
                        }
                    }
                    // Drain the limiters with silence, peaks of the step into it included.
                    let tail = vec![0f32; Limiter::tail_frames(self.rate) * self.channels];
                    return send(self.block(tail, true));
                }
            }
        }
        // The decoder stopped early: dropping the senders tells the chains.
        Ok(())
    }
}

const CHAIN_STOPPED: &str = "an output chain stopped";

fn chain_stopped() -> Error {
    Error::Internal {
        file: String::new(),
        detail: CHAIN_STOPPED.into(),
    }
}

/// Whether `e` only reports another stage's failure: a send to a chain that stopped, or a
/// chain whose input was abandoned.
fn is_echo(e: &Error) -> bool {
    match e {
        Error::Internal { detail, .. } => detail == CHAIN_STOPPED,
        Error::Cancelled { file } => file.is_empty(),
        _ => false,
    }
}

struct Chain {
    rate: u32,
    gain: f32,
    limiter: Limiter,
    meter: Option<Meter>,
    /// The encoder, until it moves to its own thread.
    encoder: Option<Sink>,
    /// Where finished PCM goes when encoding: the encoder's thread, so a slow encoder (LAME)
    /// overlaps with gain and limiting instead of adding to them.
    to_encoder: Option<mpsc::SyncSender<Vec<f32>>>,
    scratch: Vec<f32>,
    limited: Vec<f32>,
}

impl Chain {
    fn new(spec: ChainSpec, src: &Source) -> Result<Self> {
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
                careful,
            } => {
                let encoder =
                    codec.encoder(spec.out_rate, src.channels as u16, bitrate, careful)?;
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
        // A meter chain limits the tap's power stream, not audio (see `KPower`).
        let limiter = if meter.is_some() {
            Limiter::for_power(spec.out_rate, spec.ceiling_dbtp)
        } else {
            Limiter::new(spec.out_rate, src.channels, spec.ceiling_dbtp)
        };
        Ok(Chain {
            rate: spec.out_rate,
            gain: 10f64.powf(spec.gain_db / 20.0) as f32,
            limiter,
            meter,
            encoder,
            to_encoder: None,
            scratch: Vec::new(),
            limited: Vec::new(),
        })
    }

    fn push(&mut self, block: &Block) -> Result<()> {
        self.scratch.clear();
        if self.meter.is_some() {
            let Some(power) = block.power.as_ref() else {
                return Err(Error::Internal {
                    file: String::new(),
                    detail: "a meter chain got a block without its power".into(),
                });
            };
            let g2 = self.gain * self.gain;
            self.scratch.extend(power.iter().map(|p| p * g2));
        } else {
            self.scratch.extend(block.pcm.iter().map(|x| x * self.gain));
        }
        self.limited.clear();
        self.limiter
            .process(&self.scratch, &block.env, self.gain, &mut self.limited);
        self.emit()
    }

    /// Sends `self.limited` on to the meter and the encoder.
    fn emit(&mut self) -> Result<()> {
        let pcm: &[f32] = &self.limited;
        if let Some(m) = self.meter.as_mut() {
            m.push_power(pcm);
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
        self.emit()?;
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
    // One tap per output rate, in order of first use. Built first: a rate the resampler
    // refuses fails before any chain creates a file.
    let mut rates: Vec<u32> = Vec::new();
    for s in &specs {
        if !rates.contains(&s.out_rate) {
            rates.push(s.out_rate);
        }
    }
    let mut taps = Vec::with_capacity(rates.len());
    for &rate in &rates {
        // The detector may skip what none of the tap's limiters could push over its
        // ceiling.
        let threshold = specs
            .iter()
            .filter(|s| s.out_rate == rate)
            .map(|s| 10f64.powf((s.ceiling_dbtp - s.gain_db) / 20.0) as f32)
            .fold(f32::INFINITY, f32::min);
        let meters = specs
            .iter()
            .any(|s| s.out_rate == rate && matches!(s.sink, SinkSpec::Meter));
        taps.push(Tap::new(src, rate, threshold, meters)?);
    }
    // Every chain next: a bad option or an unwritable destination fails before any
    // decoding work.
    let chains = specs
        .into_iter()
        .map(|s| Chain::new(s, src))
        .collect::<Result<Vec<_>>>()?;
    let opened = input::open(input, limits)?;

    std::thread::scope(|scope| {
        let mut tap_senders: Vec<Vec<mpsc::SyncSender<Arc<Block>>>> =
            rates.iter().map(|_| Vec::new()).collect();
        let mut handles = Vec::with_capacity(chains.len());
        for mut chain in chains {
            let (tx, rx) = mpsc::sync_channel::<Arc<Block>>(QUEUE);
            if let Some(k) = rates.iter().position(|&r| r == chain.rate) {
                tap_senders[k].push(tx);
            }
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
        let mut senders = Vec::with_capacity(taps.len());
        let mut tap_handles = Vec::with_capacity(taps.len());
        for (tap, chains) in taps.into_iter().zip(tap_senders) {
            let (tx, rx) = mpsc::sync_channel::<Decoded>(QUEUE);
            senders.push(tx);
            tap_handles.push(scope.spawn(move || tap.run(rx, chains)));
        }
        let mut curve = src
            .curve
            .as_ref()
            .map(|c| c.applier(src.sample_rate, src.channels));
        let decoded = decode::stream(opened, &file, decode_opts, ctl, |block| {
            let mut pcm = block.to_vec();
            if let Some(c) = curve.as_mut() {
                c.apply(&mut pcm);
            }
            let shared = Arc::new(pcm);
            for tx in &senders {
                if tx.send(Decoded::Pcm(shared.clone())).is_err() {
                    return Err(chain_stopped());
                }
            }
            Ok(())
        });
        if decoded.is_ok() {
            for tx in &senders {
                let _ = tx.send(Decoded::End);
            }
        }
        // Closing the queues tells the taps, and through them the chains, that the stream
        // has ended (or was abandoned).
        drop(senders);
        // Encoders may still be working through what they hold after the decode ends (the
        // MP3 encoder keeps a few chunks of seconds for its threads): keep reporting while
        // they do, so that progress does not stall, and see a cancellation.
        let mut decoded = decoded;
        while decoded.is_ok()
            && (handles.iter().any(|h| !h.is_finished())
                || tap_handles.iter().any(|h| !h.is_finished()))
        {
            if let Err(e) = ctl.tick(1.0) {
                decoded = Err(e);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // Every stage's result: the chains' in order (their outputs are the answer), then
        // the taps', then the decoder's.
        let mut errors = Vec::new();
        let mut outs = Vec::with_capacity(handles.len());
        for h in handles {
            match h.join() {
                Ok(Ok(out)) => outs.push(out),
                Ok(Err(e)) => errors.push(e),
                Err(p) => errors.push(Error::Internal {
                    file: file.clone(),
                    detail: panic_message(&p),
                }),
            }
        }
        for h in tap_handles {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => errors.push(e),
                Err(p) => errors.push(Error::Internal {
                    file: file.clone(),
                    detail: panic_message(&p),
                }),
            }
        }
        if let Err(e) = decoded {
            errors.push(e);
        }
        // A stage that stopped explains the echoes it caused up- and downstream ("chain
        // stopped", "abandoned").
        match errors.iter().position(|e| !is_echo(e)) {
            Some(k) => Err(errors.swap_remove(k)),
            None if !errors.is_empty() => Err(errors.swap_remove(errors.len() - 1)),
            None => Ok(outs),
        }
    })
}
