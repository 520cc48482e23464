//! M4A: AAC-LC access units in a non-fragmented MP4 (`ftyp`, `mdat`, then `moov`).
//!
//! Samples stream into `mdat` as they are encoded; the sample table (4 bytes per 1024-frame
//! packet) stays in memory and `moov` is written at the end. The exact length survives two
//! ways: an edit list (`elst`: skip `priming` frames, play exactly the input's frame count),
//! which FFmpeg and loudcore's reader honour, and the iTunSMPB comment, which Apple's
//! players read.

use std::io::SeekFrom;

use super::aac::{AacConfig, AacEncoder};
use super::descriptor::{AnySink, OutputCodec};
use super::guess::{EncoderGuess, per_channel};
use super::{
    Encoded, Encoder, EncoderSettings, HlsCodec, OutputFormat, StreamSpec, io_error, tag_text,
};
use crate::codec::{Codec, Packet, PacketEncoder, StreamInfo};
use crate::error::{Error, Result};
use crate::input::Tags;
use crate::mp4box::{BoxWriter, audio_sample_entry};
use crate::output::Sink;

/// Packets per MP4 chunk (about 0.7 s at 48 kHz): few `stco` entries, and readers fetch
/// reasonably sized runs.
const SAMPLES_PER_CHUNK: usize = 32;
/// `ftyp`, then an 8-byte `free` box that becomes the 64-bit size of `mdat` when the
/// audio exceeds 4 GiB, then the `mdat` header.
const FTYP: &[u8] = &[
    0, 0, 0, 28, b'f', b't', b'y', b'p', b'M', b'4', b'A', b' ', 0, 0, 2, 0, b'M', b'4', b'A',
    b' ', b'i', b's', b'o', b'm', b'i', b's', b'o', b'2',
];

/// AAC-LC: M4A files, and the packets of AAC ladders.
pub(crate) struct M4a;

impl OutputCodec for M4a {
    fn format(&self) -> OutputFormat {
        OutputFormat::M4a
    }

    fn name(&self) -> &'static str {
        "m4a"
    }

    fn is_lossy(&self) -> bool {
        true
    }

    fn validate(&self, spec: &StreamSpec, settings: &EncoderSettings) -> Result<()> {
        AacConfig::resolve(spec, settings).map(drop)
    }

    fn file_encoder(
        &self,
        spec: &StreamSpec,
        settings: &EncoderSettings,
        sink: AnySink,
    ) -> Result<Box<dyn Encoder<AnySink>>> {
        let config = AacConfig::resolve(spec, settings)?;
        Ok(Box::new(M4aEncoder::new(config, spec, sink)?))
    }

    fn hls(&self) -> Option<HlsCodec> {
        Some(HlsCodec::Aac)
    }

    fn hls_name(&self) -> &'static str {
        "aac"
    }

    /// Variants are first encoded without FDK's afterburner (`careful: false`): a ladder
    /// runs several encoders over the whole programme, and the afterburner would cost
    /// about 40% of the job's time. Without it the decoded loudness of sparse spectra (a
    /// lone tone) jumps by up to 0.1 LU between renders 0.1 dB apart, so a variant that
    /// has to be redone is encoded `careful`ly, with it, and converges.
    fn packet_encoder(
        &self,
        sample_rate: u32,
        channels: u16,
        bitrate: u32,
        careful: bool,
    ) -> Result<Box<dyn PacketEncoder>> {
        Ok(Box::new(AacEncoder::new(
            sample_rate,
            channels,
            bitrate,
            careful,
        )?))
    }

    fn guess(&self, bitrate: Option<u32>, channels: u32, careful: bool) -> EncoderGuess {
        // M4A defaults to 128 kbit/s per channel.
        let bits = bitrate.map_or(128_000.0, |b| per_channel(b, channels));
        EncoderGuess::aac(bits, careful)
    }
}

pub(super) struct M4aEncoder<W> {
    aac: AacEncoder,
    sink: W,
    label: String,
    tags: Tags,
    /// Offset of the 16 bytes reserved for the `mdat` header (`free` + `mdat`).
    mdat_at: u64,
    /// Bytes of audio written into `mdat`.
    mdat_len: u64,
    sizes: Vec<u32>,
    max_size: u32,
    packets: Vec<Packet>,
}

impl<W: Sink> M4aEncoder<W> {
    pub(super) fn new(config: AacConfig, spec: &StreamSpec, mut sink: W) -> Result<Self> {
        let label = sink.label();
        let aac = AacEncoder::with_config(spec, &config).map_err(|e| match e {
            Error::Internal { detail, .. } => Error::Internal {
                file: label.clone(),
                detail,
            },
            other => other,
        })?;
        sink.write_all(FTYP).map_err(io_error(&label))?;
        let mdat_at = FTYP.len() as u64;
        sink.write_all(&[
            0, 0, 0, 8, b'f', b'r', b'e', b'e', 0, 0, 0, 0, b'm', b'd', b'a', b't',
        ])
        .map_err(io_error(&label))?;
        Ok(M4aEncoder {
            aac,
            sink,
            label,
            tags: spec.tags.clone(),
            mdat_at,
            mdat_len: 0,
            sizes: Vec::new(),
            max_size: 0,
            packets: Vec::new(),
        })
    }

    fn store(&mut self) -> Result<()> {
        for p in self.packets.drain(..) {
            self.sink
                .write_all(&p.data)
                .map_err(io_error(&self.label))?;
            let n = p.data.len() as u32; // an access unit is at most 6144 bits per channel
            self.sizes.push(n);
            self.max_size = self.max_size.max(n);
            self.mdat_len += u64::from(n);
        }
        Ok(())
    }
}

impl<W: Sink> Encoder<W> for M4aEncoder<W> {
    fn write(&mut self, interleaved: &[f32]) -> Result<()> {
        let label = &self.label;
        self.aac
            .write(interleaved, &mut self.packets)
            .map_err(|e| with_file(e, label))?;
        self.store()
    }

    fn finish(mut self: Box<Self>) -> Result<Encoded<W>> {
        let label = self.label.clone();
        let frames = self
            .aac
            .finish(&mut self.packets)
            .map_err(|e| with_file(e, &label))?;
        self.store()?;

        // mdat's size: 32-bit when it fits, else the `free` box becomes a 64-bit header.
        let data_start = self.mdat_at + 16;
        let mdat_size = self.mdat_len + 8;
        let header: [u8; 16] = match u32::try_from(mdat_size) {
            Ok(s) => {
                let mut h = [
                    0, 0, 0, 8, b'f', b'r', b'e', b'e', 0, 0, 0, 0, b'm', b'd', b'a', b't',
                ];
                h[8..12].copy_from_slice(&s.to_be_bytes());
                h
            }
            Err(_) => {
                let mut h = [0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 0, 0, 0, 0, 0];
                h[8..16].copy_from_slice(&(self.mdat_len + 16).to_be_bytes());
                h
            }
        };
        let moov = moov(
            self.aac.info(),
            &self.sizes,
            self.max_size,
            data_start,
            frames,
            &self.tags,
        )
        .map_err(|e| with_file(e, &label))?;
        self.sink.write_all(&moov).map_err(io_error(&label))?;
        let bytes = self.sink.stream_position().map_err(io_error(&label))?;
        self.sink
            .seek(SeekFrom::Start(self.mdat_at))
            .map_err(io_error(&label))?;
        self.sink.write_all(&header).map_err(io_error(&label))?;
        self.sink.seek(SeekFrom::End(0)).map_err(io_error(&label))?;
        self.sink.flush().map_err(io_error(&label))?;
        let M4aEncoder { sink, .. } = *self;
        Ok(Encoded {
            bytes,
            #[cfg(test)]
            frames,
            output: sink,
        })
    }
}

fn with_file(e: Error, label: &str) -> Error {
    match e {
        Error::Internal { file, detail } if file.is_empty() => Error::Internal {
            file: label.to_string(),
            detail,
        },
        other => other,
    }
}

/// The `moov` box of an audio-only M4A whose samples (of `sizes` bytes) lie back to back
/// from `data_start`; `frames` input frames were encoded.
pub(crate) fn moov(
    info: &StreamInfo,
    sizes: &[u32],
    max_size: u32,
    data_start: u64,
    frames: u64,
    tags: &Tags,
) -> Result<Vec<u8>> {
    let Codec::Aac { .. } = &info.codec else {
        return Err(Error::Internal {
            file: String::new(),
            detail: "M4A holds AAC only".into(),
        });
    };
    let rate = info.sample_rate;
    let media_frames = sizes.len() as u64 * u64::from(info.frame_len);
    // The edit may not reach past the media (an encoder that dropped input would do that).
    let play = frames.min(media_frames.saturating_sub(u64::from(info.priming)));
    let long = media_frames > u64::from(u32::MAX);
    let version = u8::from(long);
    // Chunk offsets: SAMPLES_PER_CHUNK packets each, the last one shorter.
    let mut offsets = Vec::with_capacity(sizes.len().div_ceil(SAMPLES_PER_CHUNK));
    let mut at = data_start;
    for chunk in sizes.chunks(SAMPLES_PER_CHUNK) {
        offsets.push(at);
        at += chunk.iter().map(|&s| u64::from(s)).sum::<u64>();
    }
    let co64 = offsets.last().is_some_and(|&o| o > u64::from(u32::MAX));
    let duration_s = play as f64 / f64::from(rate.max(1));
    let avg_bps = if duration_s > 0.0 {
        (sizes.iter().map(|&s| u64::from(s)).sum::<u64>() as f64 * 8.0 / duration_s) as u32
    } else {
        info.bit_rate
    };
    let max_bps = (u64::from(max_size) * 8 * u64::from(rate) / u64::from(info.frame_len))
        .min(u64::from(u32::MAX)) as u32;

    let mut w = BoxWriter::new();
    w.boxed(b"moov", |w| {
        w.full(b"mvhd", version, 0, |w| {
            time_fields(w, long, rate, play);
            w.u32(0x0001_0000); // rate 1.0
            w.u16(0x0100); // volume 1.0
            w.zeros(10);
            w.unity_matrix();
            w.zeros(24); // pre_defined
            w.u32(2); // next track ID
        });
        w.boxed(b"trak", |w| {
            // Flags: enabled, in movie, in preview.
            w.full(b"tkhd", version, 7, |w| {
                if long {
                    w.u64(0);
                    w.u64(0);
                } else {
                    w.u32(0);
                    w.u32(0);
                }
                w.u32(1); // track ID
                w.u32(0);
                if long {
                    w.u64(play);
                } else {
                    w.u32(play as u32);
                }
                w.zeros(8);
                w.u16(0); // layer
                w.u16(1); // alternate group: audio
                w.u16(0x0100); // volume
                w.u16(0);
                w.unity_matrix();
                w.u32(0); // width
                w.u32(0); // height
            });
            w.boxed(b"edts", |w| {
                w.full(b"elst", version, 0, |w| {
                    w.u32(1);
                    if long {
                        w.u64(play);
                        w.u64(u64::from(info.priming));
                    } else {
                        w.u32(play as u32);
                        w.i32(info.priming as i32);
                    }
                    w.u32(0x0001_0000); // media rate 1.0
                });
            });
            w.boxed(b"mdia", |w| {
                w.full(b"mdhd", version, 0, |w| {
                    time_fields(w, long, rate, media_frames);
                    w.u16(0x55C4); // language "und"
                    w.u16(0);
                });
                w.sound_handler();
                w.boxed(b"minf", |w| {
                    w.sound_media_info();
                    w.boxed(b"stbl", |w| {
                        w.full(b"stsd", 0, 0, |w| {
                            w.u32(1);
                            audio_sample_entry(w, info, max_size, max_bps, avg_bps);
                        });
                        w.full(b"stts", 0, 0, |w| {
                            w.u32(1);
                            w.u32(sizes.len() as u32);
                            w.u32(info.frame_len);
                        });
                        w.full(b"stsc", 0, 0, |w| {
                            let full = sizes.len() / SAMPLES_PER_CHUNK;
                            let rest = sizes.len() % SAMPLES_PER_CHUNK;
                            let entries = u32::from(full > 0) + u32::from(rest > 0);
                            w.u32(entries);
                            if full > 0 {
                                w.u32(1);
                                w.u32(SAMPLES_PER_CHUNK as u32);
                                w.u32(1);
                            }
                            if rest > 0 {
                                w.u32(full as u32 + 1);
                                w.u32(rest as u32);
                                w.u32(1);
                            }
                        });
                        w.full(b"stsz", 0, 0, |w| {
                            w.u32(0); // sizes vary
                            w.u32(sizes.len() as u32);
                            for &s in sizes {
                                w.u32(s);
                            }
                        });
                        if co64 {
                            w.full(b"co64", 0, 0, |w| {
                                w.u32(offsets.len() as u32);
                                for &o in &offsets {
                                    w.u64(o);
                                }
                            });
                        } else {
                            w.full(b"stco", 0, 0, |w| {
                                w.u32(offsets.len() as u32);
                                for &o in &offsets {
                                    w.u32(o as u32);
                                }
                            });
                        }
                    });
                });
            });
        });
        w.boxed(b"udta", |w| {
            w.full(b"meta", 0, 0, |w| {
                w.full(b"hdlr", 0, 0, |w| {
                    w.u32(0);
                    w.bytes(b"mdir");
                    w.bytes(b"appl");
                    w.zeros(8);
                    w.u8(0);
                });
                w.boxed(b"ilst", |w| {
                    for (kind, value) in [
                        (b"\xA9nam", &tags.title),
                        (b"\xA9ART", &tags.artist),
                        (b"\xA9alb", &tags.album),
                    ] {
                        let Some(text) = value.as_deref() else {
                            continue;
                        };
                        let text = tag_text(text);
                        if !text.is_empty() {
                            w.boxed(kind, |w| utf8_data(w, &text));
                        }
                    }
                    let padding = media_frames.saturating_sub(u64::from(info.priming) + play);
                    w.boxed(b"----", |w| {
                        w.full(b"mean", 0, 0, |w| w.bytes(b"com.apple.iTunes"));
                        w.full(b"name", 0, 0, |w| w.bytes(b"iTunSMPB"));
                        utf8_data(w, &itunsmpb(info.priming, padding, play));
                    });
                });
            });
        });
    });
    w.finish()
}

/// Creation/modification time (0: unknown, which keeps output reproducible), timescale
/// and duration of `mvhd`/`mdhd`.
fn time_fields(w: &mut BoxWriter, long: bool, rate: u32, duration: u64) {
    if long {
        w.u64(0);
        w.u64(0);
        w.u32(rate);
        w.u64(duration);
    } else {
        w.u32(0);
        w.u32(0);
        w.u32(rate);
        w.u32(duration as u32);
    }
}

/// A `data` atom holding UTF-8 text (type 1, default locale).
fn utf8_data(w: &mut BoxWriter, text: &str) {
    w.boxed(b"data", |w| {
        w.u32(1);
        w.u32(0);
        w.bytes(text.as_bytes());
    });
}

/// Apple's gapless comment: encoder delay, end padding and the valid frame count, in hex.
fn itunsmpb(priming: u32, padding: u64, frames: u64) -> String {
    format!(
        " 00000000 {priming:08X} {:08X} {frames:016X} 00000000 00000000 00000000 00000000 \
         00000000 00000000 00000000 00000000",
        padding.min(u64::from(u32::MAX))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itunsmpb_has_apples_layout() {
        let s = itunsmpb(2048, 700, 44_100);
        assert_eq!(
            s,
            " 00000000 00000800 000002BC 000000000000AC44 00000000 00000000 00000000 00000000 \
             00000000 00000000 00000000 00000000"
        );
    }
}
