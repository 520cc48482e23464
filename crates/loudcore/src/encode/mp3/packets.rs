//! MP3 as a packet stream (for HLS): LAME at a constant bit rate, its byte output split into
//! whole MPEG frames, and no Xing/Info frame (in a segment it would decode as an extra
//! frame of silence; the container signals timing instead).

use std::num::NonZeroU32;

use mp3lame_encoder::{FlushGap, InterleavedPcm, MonoPcm};

use super::lame::{Mp3Config, configure_lame, lame_error};
use crate::codec::{Codec, Packet, PacketEncoder, StreamInfo};
use crate::encode::{EncoderSettings, StreamSpec, partial_frame};
use crate::error::{Error, Result};
use crate::input::parse_mpeg;

/// Frames handed to LAME per call (bounds the scratch buffers).
const CHUNK_FRAMES: usize = 8192;
/// Output room for the final flush (LAME asks for at least 7200 bytes).
const FLUSH_BYTES: usize = 64 * 1024;
/// Samples a Layer III decoder outputs before the first encoded sample, on top of LAME's
/// own delay: 528 of the synthesis filterbank + 1, the figure gapless players (and LAME's
/// own tag reader) add to the encoder delay.
const DECODER_DELAY: u32 = 529;

pub(crate) struct Mp3PacketEncoder {
    lame: mp3lame_encoder::Encoder,
    info: StreamInfo,
    channels: usize,
    scratch: Vec<f32>,
    /// LAME's output not yet split into frames (at most one partial frame between calls).
    pending: Vec<u8>,
    frames_in: u64,
    /// Packets handed out by `write` and `finish`.
    packets_out: u64,
}

impl Mp3PacketEncoder {
    /// CBR MP3 at `bit_rate` bits/s (one of Layer III's rates for `sample_rate`), mono or
    /// stereo.
    pub(crate) fn new(sample_rate: u32, channels: u16, bit_rate: u32) -> Result<Self> {
        let spec = StreamSpec {
            sample_rate,
            channels,
            ..Default::default()
        };
        let settings = EncoderSettings {
            bitrate: Some(bit_rate),
            ..Default::default()
        };
        let config = Mp3Config::resolve(&spec, &settings)?;
        let mut builder = configure_lame(&config, false)?;
        // SAFETY: `as_ptr` gives the `lame_global_flags` owned by `builder`; `build` moves
        // that same allocation into the encoder, which keeps it alive as long as `lame`
        // below. The pointer is only read after `lame_init_params` (inside `build`), which
        // is when LAME has computed its delay.
        let ptr = unsafe { builder.as_ptr() };
        let lame = builder.build().map_err(|e| lame_error("init", e))?;
        // SAFETY: see above; `lame` owns `ptr` and is alive.
        let delay = unsafe { mp3lame_encoder::ffi::lame_get_encoder_delay(ptr) };
        let delay = u32::try_from(delay).map_err(|_| lame_error("encoder delay", delay))?;
        // SAFETY: as above.
        let frame_len = unsafe { mp3lame_encoder::ffi::lame_get_framesize(ptr) };
        let frame_len = u32::try_from(frame_len)
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| lame_error("frame size", frame_len))?;
        Ok(Mp3PacketEncoder {
            lame,
            info: StreamInfo {
                codec: Codec::Mp3,
                sample_rate,
                channels,
                frame_len: frame_len.get(),
                priming: delay + DECODER_DELAY,
                bit_rate,
            },
            channels: usize::from(channels),
            scratch: Vec::with_capacity(CHUNK_FRAMES * usize::from(channels)),
            pending: Vec::new(),
            frames_in: 0,
            packets_out: 0,
        })
    }

    /// Moves every complete frame of `pending` to `out`.
    fn split(&mut self, out: &mut Vec<Packet>) -> Result<()> {
        let mut pos = 0;
        while self.pending.len() - pos >= 4 {
            let rest = &self.pending[pos..];
            let h = parse_mpeg(rest)
                .filter(|h| h.layer == 3)
                .ok_or_else(|| Error::Internal {
                    file: String::new(),
                    detail: format!("LAME output is not an MP3 frame: {:02x?}", &rest[..4]),
                })?;
            if rest.len() < h.len {
                break;
            }
            out.push(Packet {
                data: rest[..h.len].to_vec(),
                frames: h.samples,
            });
            pos += h.len;
        }
        self.pending.drain(..pos);
        Ok(())
    }
}

impl PacketEncoder for Mp3PacketEncoder {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn write(&mut self, pcm: &[f32], out: &mut Vec<Packet>) -> Result<()> {
        let ch = self.channels;
        if !pcm.len().is_multiple_of(ch) {
            return Err(partial_frame("MP3 packets", pcm.len(), ch));
        }
        for chunk in pcm.chunks(CHUNK_FRAMES * ch) {
            // A NaN would poison LAME's psychoacoustic model for the rest of the stream.
            self.scratch.clear();
            self.scratch.extend(
                chunk
                    .iter()
                    .map(|&x| if x.is_nan() { 0.0 } else { x.clamp(-1.0, 1.0) }),
            );
            let frames = chunk.len() / ch;
            self.pending
                .reserve(mp3lame_encoder::max_required_buffer_size(frames));
            let r = if ch == 2 {
                self.lame
                    .encode_to_vec(InterleavedPcm(&self.scratch), &mut self.pending)
            } else {
                self.lame
                    .encode_to_vec(MonoPcm(&self.scratch), &mut self.pending)
            };
            r.map_err(|e| lame_error("encode", e))?;
            self.frames_in += frames as u64;
            let before = out.len();
            self.split(out)?;
            self.packets_out += (out.len() - before) as u64;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<Packet>) -> Result<u64> {
        // FlushGap pads the last frame with silence and encodes every buffered sample.
        self.pending.reserve(FLUSH_BYTES);
        self.lame
            .flush_to_vec::<FlushGap>(&mut self.pending)
            .map_err(|e| lame_error("flush", e))?;
        let before = out.len();
        self.split(out)?;
        if !self.pending.is_empty() {
            return Err(lame_error(
                "flush",
                format!("{} bytes after the last whole frame", self.pending.len()),
            ));
        }
        self.packets_out += (out.len() - before) as u64;
        // LAME's flush can end with a frame that decodes entirely after the last input
        // sample (its padding assumes a decoder that does not know the delay). Such a frame
        // holds no input (the bit reservoir only reaches back), so it is dropped: the stream
        // ends within one frame of priming + input, as containers expect.
        let frame_len = u64::from(self.info.frame_len);
        let needed = (self.frames_in + u64::from(self.info.priming)).div_ceil(frame_len);
        let extra = self.packets_out.saturating_sub(needed);
        let droppable = extra.min((out.len() - before) as u64) as usize;
        out.truncate(out.len() - droppable);
        self.packets_out -= droppable as u64;
        Ok(self.frames_in)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
pub(crate) mod tests {
    use super::*;

    /// Encodes `frames` of a 440 Hz tone in uneven blocks.
    pub(crate) fn encode_tone(
        rate: u32,
        channels: u16,
        kbps: u32,
        frames: usize,
    ) -> (StreamInfo, Vec<Packet>, u64) {
        let mut enc = Mp3PacketEncoder::new(rate, channels, kbps * 1000).unwrap();
        let ch = usize::from(channels);
        let pcm: Vec<f32> = (0..frames * ch)
            .map(|i| {
                let t = (i / ch) as f32 / rate as f32;
                0.5 * (std::f32::consts::TAU * 440.0 * t).sin()
            })
            .collect();
        let mut packets = Vec::new();
        for block in pcm.chunks(ch * 3001) {
            enc.write(block, &mut packets).unwrap();
        }
        let n = enc.finish(&mut packets).unwrap();
        (enc.info().clone(), packets, n)
    }

    #[test]
    fn frames_are_whole_and_decode_to_the_expected_length() {
        for (rate, ch, kbps) in [(44_100, 2, 128), (24_000, 1, 48), (32_000, 2, 64)] {
            let frames = rate as usize * 3 + 123;
            let (info, packets, n) = encode_tone(rate, ch, kbps, frames);
            assert_eq!(n, frames as u64);
            let frame_len = if rate >= 32_000 { 1152 } else { 576 };
            assert_eq!(info.frame_len, frame_len);
            assert_eq!(info.priming, 576 + 529);
            assert!(packets.iter().all(|p| p.frames == frame_len
                && parse_mpeg(&p.data).map(|h| h.len) == Some(p.data.len())));
            let first = &packets[0].data;
            assert!(
                !first.windows(4).any(|w| w == b"Xing" || w == b"Info"),
                "no info frame"
            );
            let total = packets.len() as u64 * u64::from(frame_len);
            assert!(
                total >= n + u64::from(info.priming)
                    && total < n + u64::from(info.priming) + u64::from(frame_len),
                "{total}"
            );

            // FFmpeg decodes every frame; with no LAME tag it trims nothing.
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("x.mp3");
            std::fs::write(
                &path,
                packets
                    .iter()
                    .flat_map(|p| p.data.clone())
                    .collect::<Vec<u8>>(),
            )
            .unwrap();
            let decoded = crate::hls::tests::ffmpeg_frames(&path, ch, &[]);
            assert_eq!(
                decoded, total,
                "{rate} Hz: decoded {decoded}, packets hold {total}, input {n}"
            );

            // After the priming, the decoded audio is the input tone up to its last sample
            // (dropping LAME's trailing frame cut nothing): compare the last 50 ms.
            let pcm = crate::hls::tests::ffmpeg_decode(&path);
            let ch = usize::from(ch);
            let p = info.priming as usize;
            let tail = rate as usize / 20;
            let (mut err, mut sig) = (0.0f64, 0.0f64);
            for i in frames - tail..frames {
                let want = 0.5 * (std::f64::consts::TAU * 440.0 * i as f64 / f64::from(rate)).sin();
                let got = f64::from(pcm[(p + i) * ch]);
                err += (got - want).powi(2);
                sig += want.powi(2);
            }
            let snr = 10.0 * (sig / err).log10();
            assert!(snr > 20.0, "{rate} Hz: SNR of the last 50 ms {snr:.1} dB");
        }
    }
}
