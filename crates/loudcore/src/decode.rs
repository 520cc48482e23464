//! Streaming decode into interleaved f32 blocks. Demuxing, decoding and whatever consumes
//! the blocks run on separate threads joined by bounded channels, so memory stays constant
//! whatever the duration and the stages overlap.

use std::sync::mpsc;

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatReader;
use symphonia::core::packet::Packet;

use crate::error::{Error, Result};
// Re-exported because pipeline/normalize.rs still names it by this path.
use crate::input::Opened;
use crate::job::Control;
use crate::panic::panic_message;

/// How decoding treats damaged data, and how many threads it may use.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DecodeOptions {
    /// Fail on the first damaged frame instead of skipping it and counting it.
    pub strict: bool,
    /// Accept an input that ends before its headers say it should (analysing what is
    /// there, with a warning) instead of failing with [`Error::Truncated`].
    pub allow_truncated: bool,
    /// Decoder threads for one job (1 to 8). Default 2: decoding is the costliest stage of
    /// analysis. For MP3, Vorbis, FLAC and PCM the output is bit-identical whatever the
    /// count; AAC differs in the last digits (1e-7 LU on the corpus's M4A), since its
    /// decoder carries state further back than the packets a chunk warms up on.
    pub threads: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            strict: false,
            allow_truncated: false,
            threads: 2,
        }
    }
}

/// What decoding found besides the audio.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct DecodeStats {
    /// Sample frames delivered.
    pub frames: u64,
    /// Packets skipped or concealed because they could not be read or decoded.
    pub skipped_frames: u64,
    /// Human-readable notes about damage that was tolerated.
    pub warnings: Vec<String>,
}

/// Sample frames per block handed to the consumer.
const BLOCK_FRAMES: usize = 8192;
/// Packets per chunk handed to one decoder thread (about 3 s of MP3).
const CHUNK_PACKETS: usize = 128;
/// Largest plausible decoded sample: lossy codecs overshoot full scale by a few dB on hot
/// masters (+3.5 dBFS seen), never by 12 dB.
const MAX_SANE_SAMPLE: f32 = 4.0;
/// Unreadable packets in a row after which a stream is declared undecodable.
const MAX_CONSECUTIVE_ERRORS: u64 = 100_000;

/// Packets decoded and thrown away before a chunk so a fresh decoder reaches the exact
/// state a sequential one would have: the MP3 bit reservoir reaches back at most 511 bytes
/// (a few frames), and MDCT overlap and synthesis history span one frame. PCM and FLAC
/// frames stand alone.
fn preroll_packets(codec: &str) -> usize {
    if codec.starts_with("pcm") || codec == "flac" {
        0
    } else {
        8
    }
}

/// A run of packets for one decoder, with the packets before it to warm up on.
struct Chunk {
    seq: u64,
    preroll: Vec<Packet>,
    packets: Vec<Packet>,
}

/// A decoded chunk.
#[derive(Default)]
struct Decoded {
    samples: Vec<f32>,
    frames: u64,
    skipped: u64,
    first_damage: Option<String>,
}

/// Decodes one chunk with a decoder that may hold state from an unrelated chunk.
fn decode_chunk(
    decoder: &mut dyn AudioDecoder,
    chunk: &Chunk,
    channels: usize,
    rate: u32,
    scratch: &mut Vec<f32>,
) -> Result<Decoded, String> {
    if !chunk.preroll.is_empty() {
        decoder.reset();
        for p in &chunk.preroll {
            let _ = decoder.decode(p);
        }
    }
    let mut out = Decoded::default();
    for packet in &chunk.packets {
        let damage = |out: &mut Decoded, what: String| {
            out.skipped += 1;
            out.first_damage.get_or_insert(what);
        };
        match decoder.decode(packet) {
            Ok(buf) => {
                if buf.spec().channels().count() != channels || buf.spec().rate() != rate {
                    // A frame whose header changed the layout is damage, not a new stream.
                    damage(
                        &mut out,
                        "frame with a different channel count or sample rate".into(),
                    );
                    continue;
                }
                if buf.frames() == 0 {
                    continue;
                }
                let frames = buf.frames() as u64;
                buf.copy_to_vec_interleaved(scratch);
                // Damaged MP3 frames can decode "successfully" into values far beyond full
                // scale (+90 dBFS) or NaN. Conceal such a frame with silence, which keeps
                // the timeline, and count it as damaged.
                if scratch
                    .iter()
                    .any(|x| x.is_nan() || x.abs() > MAX_SANE_SAMPLE)
                {
                    scratch.fill(0.0);
                    damage(
                        &mut out,
                        "frame decodes to values far beyond full scale".into(),
                    );
                }
                out.samples.extend_from_slice(scratch);
                out.frames += frames;
            }
            Err(SymError::Unsupported(what)) => {
                return Err(format!("unsupported codec feature: {what}"));
            }
            Err(e) => damage(&mut out, e.to_string()),
        }
    }
    Ok(out)
}

/// What the demuxing thread saw.
#[derive(Default)]
struct ReadOutcome {
    skipped: u64,
    first_damage: Option<String>,
    ended_mid_packet: bool,
}

/// Reads packets and deals them out in chunks, round-robin, to the decoder threads.
fn read_packets(
    reader: &mut dyn FormatReader,
    track_id: u32,
    file: &str,
    preroll: usize,
    strict: bool,
    ignore_trim: bool,
    senders: &[mpsc::SyncSender<Chunk>],
) -> Result<ReadOutcome> {
    let mut outcome = ReadOutcome::default();
    let mut seq = 0u64;
    let mut packets = Vec::with_capacity(CHUNK_PACKETS);
    let mut previous: Vec<Packet> = Vec::new();
    let mut consecutive = 0u64;
    let send = |seq: u64, preroll_pk: Vec<Packet>, packets: Vec<Packet>| -> bool {
        let chunk = Chunk {
            seq,
            preroll: preroll_pk,
            packets,
        };
        senders[(seq % senders.len() as u64) as usize]
            .send(chunk)
            .is_ok()
    };
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                outcome.ended_mid_packet = true;
                break;
            }
            Err(SymError::IoError(e)) => {
                return Err(Error::Io {
                    file: file.into(),
                    source: e,
                });
            }
            Err(SymError::ResetRequired) => {
                return Err(Error::UnsupportedFormat {
                    file: file.into(),
                    detail: "the stream changes its codec parameters part-way (chained stream)"
                        .into(),
                });
            }
            Err(SymError::Unsupported(what)) => {
                return Err(Error::UnsupportedFormat {
                    file: file.into(),
                    detail: format!("unsupported feature: {what}"),
                });
            }
            Err(e) => {
                outcome.skipped += 1;
                consecutive += 1;
                if strict || consecutive >= MAX_CONSECUTIVE_ERRORS {
                    return Err(Error::CorruptInput {
                        file: file.into(),
                        detail: format!("damaged stream: {e}"),
                    });
                }
                outcome.first_damage.get_or_insert(e.to_string());
                continue;
            }
        };
        consecutive = 0;
        if packet.track_id != track_id {
            continue;
        }
        let mut packet = packet;
        if ignore_trim {
            // Without a VBR header the reader guesses the length from the first frames and
            // trims every packet past its guess; the frames counted in the probe are real.
            packet.trim_start = symphonia::core::units::Duration::ZERO;
            packet.trim_end = symphonia::core::units::Duration::ZERO;
        }
        packets.push(packet);
        if packets.len() == CHUNK_PACKETS {
            let next_preroll = packets[packets.len().saturating_sub(preroll)..].to_vec();
            let pre = std::mem::replace(&mut previous, next_preroll);
            if !send(
                seq,
                pre,
                std::mem::replace(&mut packets, Vec::with_capacity(CHUNK_PACKETS)),
            ) {
                return Ok(outcome); // the consumer stopped
            }
            seq += 1;
        }
    }
    if !packets.is_empty() {
        send(seq, previous, packets);
    }
    Ok(outcome)
}

/// Decodes `opened` and calls `consume` with interleaved blocks, in order, on the calling
/// thread. One thread demuxes; `opts.threads` threads decode chunks of packets in
/// parallel, each warming up on the packets before its chunk so that the output is the
/// same, sample for sample, as one sequential decoder's. Memory is bounded by the chunks
/// in flight. `ctl` gets progress (by decoded duration) and may cancel.
pub(crate) fn stream(
    opened: Opened,
    file: &str,
    opts: &DecodeOptions,
    ctl: &mut Control,
    mut consume: impl FnMut(&[f32]) -> Result<()>,
) -> Result<DecodeStats> {
    let Opened {
        mut reader,
        params,
        track_id,
        probe,
        ignore_trim,
        trim,
    } = opened;
    // Gapless trim on the ordered output: frames still to drop, and frames left to keep.
    let mut skip = trim.map_or(0, |t| t.priming);
    let mut keep = trim.and_then(|t| t.frames).unwrap_or(u64::MAX);
    let channels = probe.channels as usize;
    let rate = probe.sample_rate;
    let expected = probe.frames.unwrap_or(0).max(1) as f64;
    let workers = opts.threads.clamp(1, 8);
    let mut decoders = Vec::with_capacity(workers);
    for _ in 0..workers {
        let d = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| crate::input::open_error(file, probe.format, e))?;
        decoders.push(d);
    }
    // One decoder gets every chunk in order and carries its state across them: it decodes
    // exactly as a plain sequential decoder, which is what the parallel ones must match.
    let preroll = if workers == 1 {
        0
    } else {
        preroll_packets(&probe.codec)
    };

    let (out_tx, out_rx) = mpsc::sync_channel::<(u64, Result<Decoded, String>)>(workers * 2);
    let mut senders = Vec::with_capacity(workers);
    let mut receivers = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (tx, rx) = mpsc::sync_channel::<Chunk>(1);
        senders.push(tx);
        receivers.push(rx);
    }

    let (read, consumed, delivered) = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (mut dec, rx) in decoders.into_iter().zip(receivers) {
            let out_tx = out_tx.clone();
            handles.push(s.spawn(move || {
                let mut scratch = Vec::new();
                for chunk in rx {
                    let r = decode_chunk(dec.as_mut(), &chunk, channels, rate, &mut scratch);
                    if out_tx.send((chunk.seq, r)).is_err() {
                        return;
                    }
                }
            }));
        }
        drop(out_tx);
        let reader_handle = s.spawn(move || {
            let strict = opts.strict;
            read_packets(
                reader.as_mut(),
                track_id,
                file,
                preroll,
                strict,
                ignore_trim,
                &senders,
            )
        });

        // Put chunks back in order and hand them on in blocks.
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0u64;
        let mut frames = 0u64;
        let mut skipped = 0u64;
        let mut first_damage: Option<String> = None;
        let consumed: Result<()> = (|| {
            for (seq, decoded) in out_rx.iter() {
                pending.insert(seq, decoded);
                while let Some(decoded) = pending.remove(&next) {
                    next += 1;
                    let d = decoded.map_err(|detail| Error::UnsupportedFormat {
                        file: file.into(),
                        detail,
                    })?;
                    if d.skipped > 0 {
                        if opts.strict {
                            let at = frames as f64 / f64::from(rate);
                            let what = d.first_damage.unwrap_or_default();
                            return Err(Error::CorruptInput {
                                file: file.into(),
                                detail: format!("damaged frame after {at:.3} s: {what}"),
                            });
                        }
                        skipped += d.skipped;
                        if first_damage.is_none() {
                            first_damage = d.first_damage;
                        }
                    }
                    let mut samples = d.samples.as_slice();
                    let drop = skip.min((samples.len() / channels) as u64);
                    skip -= drop;
                    samples = &samples[drop as usize * channels..];
                    let take = keep.min((samples.len() / channels) as u64);
                    keep -= take;
                    // The padding after the valid frames is decoded (the reader runs to the
                    // end) and dropped here.
                    samples = &samples[..take as usize * channels];
                    for block in samples.chunks(BLOCK_FRAMES * channels) {
                        ctl.tick(frames as f64 / expected)?;
                        consume(block)?;
                        frames += (block.len() / channels) as u64;
                    }
                }
            }
            Ok(())
        })();
        // On error, closing the channel stops the decoders, which stops the reader.
        drop(out_rx);
        let mut panicked = None;
        for h in handles {
            if let Err(p) = h.join() {
                panicked = Some(panic_message(&p));
            }
        }
        let read = match reader_handle.join() {
            Ok(r) => r,
            Err(p) => Err(Error::CorruptInput {
                file: file.into(),
                detail: format!(
                    "the demuxer failed on malformed data ({})",
                    panic_message(&p)
                ),
            }),
        };
        let consumed = match (consumed, panicked) {
            (Ok(()), Some(msg)) => Err(Error::CorruptInput {
                file: file.into(),
                detail: format!("the decoder failed on malformed data ({msg})"),
            }),
            (c, _) => c,
        };
        (read, consumed, (frames, skipped, first_damage))
    });
    // A consumer error (cancel, limit) outranks what the reader saw after it stopped.
    consumed?;
    let read = read?;
    let (frames, skipped, first_damage) = delivered;
    finish(
        file,
        &probe,
        opts,
        frames,
        skipped + read.skipped,
        first_damage.or(read.first_damage),
        read.ended_mid_packet,
    )
}

/// Judges the stream as a whole once it has ended: nothing decodable, or truncated.
fn finish(
    file: &str,
    probe: &crate::input::Probe,
    opts: &DecodeOptions,
    frames: u64,
    skipped: u64,
    first_damage: Option<String>,
    ended_mid_packet: bool,
) -> Result<DecodeStats> {
    let corrupt = |detail: String| Error::CorruptInput {
        file: file.into(),
        detail,
    };
    let rate = f64::from(probe.sample_rate);
    if frames == 0 {
        return Err(corrupt(if skipped > 0 {
            format!("nothing decodable: all {skipped} frames are damaged")
        } else {
            "the stream holds no audio samples".to_string()
        }));
    }
    if opts.strict && skipped > 0 {
        return Err(corrupt(format!(
            "damaged data: {}",
            first_damage.unwrap_or_default()
        )));
    }
    let mut warnings = Vec::new();
    // Allow a packet or two of slack: containers count frames in different ways. Skipped
    // packets explain part of a gap (at most 4608 frames each, an AAC/MP3 worst case).
    let slack = (rate * 0.1) as u64 + 4096 + skipped * 4608;
    let missing = match probe.frames {
        Some(expected) if frames + slack < expected => Some(format!(
            "headers announce {:.3} s but the data ends at {:.3} s",
            expected as f64 / rate,
            frames as f64 / rate
        )),
        _ if ended_mid_packet => Some(format!(
            "the data ends in the middle of a frame at {:.3} s",
            frames as f64 / rate
        )),
        _ => None,
    };
    if let Some(detail) = missing {
        if !opts.allow_truncated {
            return Err(Error::Truncated {
                file: file.into(),
                detail,
            });
        }
        warnings.push(format!("truncated: {detail}"));
    }
    if skipped > 0 {
        let what = first_damage
            .map(|w| format!(" (first: {w})"))
            .unwrap_or_default();
        warnings.push(format!(
            "skipped {skipped} damaged frame{}{what}",
            if skipped == 1 { "" } else { "s" }
        ));
    }
    Ok(DecodeStats {
        frames,
        skipped_frames: skipped,
        warnings,
    })
}
