//! AAC-LC through the Fraunhofer FDK encoder (`fdk-aac-sys`), producing raw access units
//! for the containers that frame them (M4A, HLS).
//!
//! The `fdk-aac` wrapper crate is not used: it cannot flush the encoder, so the last
//! ~48 ms of every stream would be lost.

use std::ffi::c_void;

use fdk_aac_sys as fdk;

use super::dither::Quantizer;
use super::{EncoderSettings, StreamSpec, invalid};
use crate::codec::{Codec, Packet, PacketEncoder, StreamInfo};
use crate::error::{Error, Result};

/// Sample rates AAC signals with a sampling-frequency index (ISO/IEC 14496-3 Table 1.18),
/// without 7350 Hz, which FDK does not encode.
pub(crate) const SAMPLE_RATES: [u32; 12] = [
    8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 64_000, 88_200, 96_000,
];
/// PCM frames per AAC-LC access unit.
const FRAME_LEN: u32 = 1024;
/// Lowest bit rate accepted per channel, bits/s.
const MIN_BPS_PER_CHANNEL: u32 = 8_000;
/// Highest bit rate accepted per channel, bits/s (beyond this AAC-LC gains nothing audible).
const MAX_BPS_PER_CHANNEL: u32 = 320_000;
/// Default bit rate per channel: 128 kbit/s mono, 256 kbit/s stereo, transparent for
/// AAC-LC on music.
const DEFAULT_BPS_PER_CHANNEL: u32 = 128_000;
/// Input frames converted per encoder call: bounds the i16 scratch buffer.
const CHUNK_FRAMES: usize = 4096;

/// AAC-LC settings after validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AacConfig {
    pub sample_rate: u32,
    pub channels: u16,
    /// Constant bit rate, bits/s.
    pub bitrate: u32,
    /// FDK's afterburner: a closer quantisation search, for about 70% more encoder CPU.
    /// It also keeps more of the signal's energy (decoded loudness 0.03 LU under the
    /// input's, against 0.1-0.16 LU without it on music).
    pub afterburner: bool,
}

impl AacConfig {
    /// Validates `spec` and `settings` for AAC-LC (the `.m4a` output and HLS). `bitrate`
    /// defaults to 128 kbit/s per channel (capped at what the sample rate allows); `quality`
    /// is refused because the encoder runs at a constant bit rate.
    pub(crate) fn resolve(spec: &StreamSpec, settings: &EncoderSettings) -> Result<AacConfig> {
        if let Some(q) = settings.quality {
            return Err(invalid(format!(
                "AAC output is encoded at a constant bit rate and has no quality setting \
                 (got quality {q}); set bitrate instead"
            )));
        }
        if settings.bits_per_sample.is_some() {
            return Err(invalid(
                "AAC output has no bits_per_sample setting (it is a lossy format)".into(),
            ));
        }
        layout(spec)?;
        let rate = spec.sample_rate;
        let bitrate = match settings.bitrate {
            Some(b) => b,
            None => {
                let per_channel = DEFAULT_BPS_PER_CHANNEL.min(max_bps_per_channel(rate));
                per_channel * u32::from(spec.channels)
            }
        };
        check_bitrate(rate, spec.channels, bitrate)?;
        Ok(AacConfig {
            sample_rate: rate,
            channels: spec.channels,
            bitrate,
            afterburner: true,
        })
    }
}

/// The highest bit rate AAC can carry per channel at `rate`: 6144 bits per channel per
/// 1024-sample frame (ISO/IEC 14496-3 §4.5.3.2), and our own ceiling.
fn max_bps_per_channel(rate: u32) -> u32 {
    let by_frame = (u64::from(rate) * 6144 / u64::from(FRAME_LEN)) as u32;
    // FDK keeps a margin under the theoretical maximum; staying 5% below it means the
    // rate asked for is the rate written.
    (by_frame / 100 * 95).min(MAX_BPS_PER_CHANNEL)
}

fn check_bitrate(rate: u32, channels: u16, bitrate: u32) -> Result<()> {
    if !SAMPLE_RATES.contains(&rate) {
        let list: Vec<String> = SAMPLE_RATES.iter().map(|r| r.to_string()).collect();
        return Err(invalid(format!(
            "AAC supports sample rates of {} Hz, not {rate} Hz; set the output sample_rate \
             (e.g. 44100 or 48000) to resample",
            list.join(", ")
        )));
    }
    let ch = u32::from(channels);
    let (lo, hi) = (MIN_BPS_PER_CHANNEL * ch, max_bps_per_channel(rate) * ch);
    if !(lo..=hi).contains(&bitrate) {
        return Err(invalid(format!(
            "AAC with {channels} channel{} at {rate} Hz takes a bit rate of {lo}..={hi} bits/s, \
             not {bitrate}",
            if channels == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// How our interleaved channels reach FDK: its channel mode and, where FDK's WAV-order
/// input differs from the WAVE speaker order we carry, the input index of each FDK slot.
struct Layout {
    mode: fdk::CHANNEL_MODE,
    order: Option<&'static [usize]>,
}

/// The FDK channel mode for `spec`'s speakers. FDK's "WAV order" input covers the usual
/// WAVE orders (mono; L R; L R C; L R C LFE SL SR; the 7.1 L R C LFE BL BR SL SR); 6.1 is
/// reordered here. Layouts AAC has no channel configuration for (quad, 2.1, ...) are
/// refused rather than silently given other speaker positions.
fn layout(spec: &StreamSpec) -> Result<Layout> {
    // The caller's mask, or the usual one for the count when it gave none.
    let mask = spec
        .channel_mask
        .filter(|&m| m != 0)
        .unwrap_or_else(|| u64::from(super::default_channel_mask(spec.channels)));
    let fixed = |mode| Layout { mode, order: None };
    Ok(match (spec.channels, mask) {
        (1, _) => fixed(fdk::CHANNEL_MODE_MODE_1),
        (2, _) => fixed(fdk::CHANNEL_MODE_MODE_2),
        (3, 0x7) => fixed(fdk::CHANNEL_MODE_MODE_1_2),
        (4, 0x107) => fixed(fdk::CHANNEL_MODE_MODE_1_2_1),
        (5, 0x37 | 0x607) => fixed(fdk::CHANNEL_MODE_MODE_1_2_2),
        (6, 0x3F | 0x60F) => fixed(fdk::CHANNEL_MODE_MODE_1_2_2_1),
        // WAVE 6.1 is L R C LFE BC SL SR; FDK's WAV-order 6.1 input is L R C LFE SL SR BC.
        (7, 0x70F) => Layout {
            mode: fdk::CHANNEL_MODE_MODE_6_1,
            order: Some(&[0, 1, 2, 3, 5, 6, 4]),
        },
        (8, 0x63F) => fixed(fdk::CHANNEL_MODE_MODE_7_1_BACK),
        (n, m) => {
            return Err(invalid(format!(
                "AAC has no channel configuration for {n} channels with speaker mask {m:#x}; \
                 supported: mono, stereo, 3.0 (L R C), 4.0 (L R C BC), 5.0, 5.1, 6.1, 7.1, \
                 or write .flac or .wav to keep every channel"
            )));
        }
    })
}

/// An open FDK encoder; closed on drop.
struct Handle(fdk::HANDLE_AACENCODER);

// SAFETY: an FDK encoder instance has no thread affinity: it holds no thread-local state
// and is only ever used through `&mut self`, one thread at a time.
unsafe impl Send for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from aacEncOpen and is closed exactly once, here.
        unsafe {
            fdk::aacEncClose(&mut self.0);
        }
    }
}

/// Something FDK did that it documents it never does.
fn aac_bug(what: &str) -> Error {
    Error::Internal {
        file: String::new(),
        detail: format!("FDK AAC: {what}"),
    }
}

fn fdk_error(what: &str, code: fdk::AACENC_ERROR) -> Error {
    Error::Internal {
        file: String::new(),
        detail: format!("FDK AAC {what}: error {code:#x}"),
    }
}

/// AAC-LC packet encoder.
pub(crate) struct AacEncoder {
    handle: Handle,
    info: StreamInfo,
    channels: usize,
    order: Option<&'static [usize]>,
    quantizer: Quantizer,
    /// Converted input not yet taken by the encoder.
    pending: Vec<i16>,
    /// Encoder output buffer, sized for the largest access unit.
    out_buf: Vec<u8>,
    frames_in: u64,
    finished: bool,
}

impl AacEncoder {
    /// An AAC-LC encoder at a constant `bitrate` (bits/s), producing raw access units.
    /// Channels are in WAVE order with the usual speaker mask for the count (see
    /// [`AacEncoder::with_config`] for other layouts).
    pub(crate) fn new(
        sample_rate: u32,
        channels: u16,
        bitrate: u32,
        afterburner: bool,
    ) -> Result<Self> {
        let spec = StreamSpec {
            sample_rate,
            channels,
            ..Default::default()
        };
        let settings = EncoderSettings {
            bitrate: Some(bitrate),
            ..Default::default()
        };
        let config = AacConfig {
            afterburner,
            ..AacConfig::resolve(&spec, &settings)?
        };
        Self::with_config(&spec, &config)
    }

    /// An encoder for `spec`'s speaker layout with a validated `config`.
    pub(crate) fn with_config(spec: &StreamSpec, config: &AacConfig) -> Result<Self> {
        check_bitrate(config.sample_rate, config.channels, config.bitrate)?;
        let lay = layout(spec)?;
        let channels = usize::from(config.channels);
        let mut raw: fdk::HANDLE_AACENCODER = std::ptr::null_mut();
        // SAFETY: aacEncOpen writes a new handle into `raw`; 0 = all modules it was built
        // with; the channel count is at most 8.
        let rc = unsafe { fdk::aacEncOpen(&mut raw, 0, u32::from(config.channels)) };
        if rc != fdk::AACENC_ERROR_AACENC_OK || raw.is_null() {
            return Err(fdk_error("open", rc));
        }
        let handle = Handle(raw);
        let set = |param: fdk::AACENC_PARAM, value: u32, what: &str| -> Result<()> {
            // SAFETY: the handle is open; SetParam only stores a value in it.
            let rc = unsafe { fdk::aacEncoder_SetParam(handle.0, param, value) };
            if rc == fdk::AACENC_ERROR_AACENC_OK {
                Ok(())
            } else {
                Err(fdk_error(what, rc))
            }
        };
        set(fdk::AACENC_PARAM_AACENC_AOT, 2, "object type (AAC-LC)")?;
        set(
            fdk::AACENC_PARAM_AACENC_SAMPLERATE,
            config.sample_rate,
            "sample rate",
        )?;
        set(
            fdk::AACENC_PARAM_AACENC_CHANNELMODE,
            lay.mode as u32,
            "channel mode",
        )?;
        // 1: WAVE channel order, which is what the pipeline carries.
        set(fdk::AACENC_PARAM_AACENC_CHANNELORDER, 1, "channel order")?;
        // 0: constant bit rate, at the rate asked for.
        set(fdk::AACENC_PARAM_AACENC_BITRATEMODE, 0, "bit rate mode")?;
        set(fdk::AACENC_PARAM_AACENC_BITRATE, config.bitrate, "bit rate")?;
        // 0: raw access units; containers add their own framing (MP4 samples, ADTS).
        set(fdk::AACENC_PARAM_AACENC_TRANSMUX, 0, "transport")?;
        set(
            fdk::AACENC_PARAM_AACENC_AFTERBURNER,
            u32::from(config.afterburner),
            "afterburner",
        )?;

        // An encode call with no buffers applies the parameters (FDK's documented idiom).
        // SAFETY: all descriptors may be null for this initialisation call.
        let rc = unsafe {
            fdk::aacEncEncode(
                handle.0,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null_mut(),
            )
        };
        if rc != fdk::AACENC_ERROR_AACENC_OK {
            return Err(fdk_error("initialisation", rc));
        }
        // SAFETY: AACENC_InfoStruct is plain data; aacEncInfo fills it in.
        let mut info: fdk::AACENC_InfoStruct = unsafe { std::mem::zeroed() };
        // SAFETY: the handle is open and initialised; `info` is a valid out pointer.
        let rc = unsafe { fdk::aacEncInfo(handle.0, &mut info) };
        if rc != fdk::AACENC_ERROR_AACENC_OK {
            return Err(fdk_error("info", rc));
        }
        if info.frameLength != FRAME_LEN {
            return Err(aac_bug(&format!("frame length {}", info.frameLength)));
        }
        let conf_len = (info.confSize as usize).min(info.confBuf.len());
        let asc = info.confBuf[..conf_len].to_vec();
        // SAFETY: the handle is open; GetParam only reads it.
        let bit_rate =
            unsafe { fdk::aacEncoder_GetParam(handle.0, fdk::AACENC_PARAM_AACENC_BITRATE) };
        Ok(AacEncoder {
            info: StreamInfo {
                codec: Codec::Aac {
                    asc,
                    object_type: 2,
                },
                sample_rate: config.sample_rate,
                channels: config.channels,
                frame_len: FRAME_LEN,
                // nDelay is the delay of the decoded output relative to the input for
                // AAC-LC (it equals nDelayCore without SBR); measured as 2048 frames with
                // an impulse through FFmpeg's decoder (see the tests).
                priming: info.nDelay,
                bit_rate,
            },
            handle,
            channels,
            order: lay.order,
            quantizer: Quantizer::new(16),
            pending: Vec::with_capacity(CHUNK_FRAMES * channels),
            out_buf: vec![0u8; (info.maxOutBufBytes as usize).max(6144 / 8 * channels)],
            frames_in: 0,
            finished: false,
        })
    }

    /// One aacEncEncode call on `pending` (or a flush call when `flush`). Returns the
    /// samples consumed and whether the encoder reported the end of the stream.
    fn encode_once(&mut self, flush: bool, out: &mut Vec<Packet>) -> Result<(usize, bool)> {
        let mut in_id: i32 = fdk::AACENC_BufferIdentifier_IN_AUDIO_DATA as i32;
        let mut in_el: i32 = 2;
        let mut in_size: i32 =
            i32::try_from(self.pending.len() * 2).map_err(|_| aac_bug("input size"))?;
        // FDK wants a non-null buffer pointer even when flushing with no input.
        let mut dummy: i16 = 0;
        let mut in_ptr: *mut c_void = if self.pending.is_empty() {
            (&mut dummy as *mut i16).cast()
        } else {
            self.pending.as_mut_ptr().cast()
        };
        let in_desc = fdk::AACENC_BufDesc {
            numBufs: 1,
            bufs: &mut in_ptr,
            bufferIdentifiers: &mut in_id,
            bufSizes: &mut in_size,
            bufElSizes: &mut in_el,
        };
        let mut out_id: i32 = fdk::AACENC_BufferIdentifier_OUT_BITSTREAM_DATA as i32;
        let mut out_el: i32 = 1;
        let mut out_size: i32 =
            i32::try_from(self.out_buf.len()).map_err(|_| aac_bug("output size"))?;
        let mut out_ptr: *mut c_void = self.out_buf.as_mut_ptr().cast();
        let out_desc = fdk::AACENC_BufDesc {
            numBufs: 1,
            bufs: &mut out_ptr,
            bufferIdentifiers: &mut out_id,
            bufSizes: &mut out_size,
            bufElSizes: &mut out_el,
        };
        let in_args = fdk::AACENC_InArgs {
            numInSamples: if flush {
                -1
            } else {
                i32::try_from(self.pending.len()).map_err(|_| aac_bug("input size"))?
            },
            numAncBytes: 0,
        };
        let mut out_args = fdk::AACENC_OutArgs {
            numOutBytes: 0,
            numInSamples: 0,
            numAncBytes: 0,
            bitResState: 0,
        };
        // SAFETY: every descriptor points at locals or buffers that live across the call,
        // with the sizes given; FDK reads at most `in_size` bytes of input and writes at
        // most `out_size` bytes of output.
        let rc = unsafe {
            fdk::aacEncEncode(self.handle.0, &in_desc, &out_desc, &in_args, &mut out_args)
        };
        if rc == fdk::AACENC_ERROR_AACENC_ENCODE_EOF {
            return Ok((0, true));
        }
        if rc != fdk::AACENC_ERROR_AACENC_OK {
            return Err(fdk_error("encode", rc));
        }
        let produced = usize::try_from(out_args.numOutBytes).unwrap_or(0);
        if produced > 0 {
            out.push(Packet {
                data: self.out_buf[..produced.min(self.out_buf.len())].to_vec(),
                frames: FRAME_LEN,
            });
        }
        let consumed = usize::try_from(out_args.numInSamples)
            .unwrap_or(0)
            .min(self.pending.len());
        Ok((consumed, false))
    }

    /// Hands `pending` to the encoder until it takes no more.
    fn drain(&mut self, out: &mut Vec<Packet>) -> Result<()> {
        let frame = FRAME_LEN as usize * self.channels;
        // Whole frames only: FDK would buffer a partial frame, but feeding it frame by
        // frame keeps one packet per call and the loop simple.
        while self.pending.len() >= frame {
            let before = out.len();
            let (consumed, _) = self.encode_once(false, out)?;
            self.pending.drain(..consumed);
            if consumed == 0 && out.len() == before {
                return Err(aac_bug("encode (no progress)"));
            }
        }
        Ok(())
    }
}

impl PacketEncoder for AacEncoder {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn write(&mut self, pcm: &[f32], out: &mut Vec<Packet>) -> Result<()> {
        let ch = self.channels;
        if !pcm.len().is_multiple_of(ch) {
            return Err(super::partial_frame("AAC encoder", pcm.len(), ch));
        }
        if self.finished {
            return Err(Error::Internal {
                file: String::new(),
                detail: "AAC encoder fed after finish".into(),
            });
        }
        for chunk in pcm.chunks(CHUNK_FRAMES * ch) {
            match self.order {
                None => {
                    let q = &mut self.quantizer;
                    self.pending
                        .extend(chunk.iter().map(|&x| q.quantize(x) as i16));
                }
                Some(order) => {
                    for frame in chunk.chunks_exact(ch) {
                        for &i in order {
                            let x = frame.get(i).copied().unwrap_or(0.0);
                            self.pending.push(self.quantizer.quantize(x) as i16);
                        }
                    }
                }
            }
            self.frames_in += (chunk.len() / ch) as u64;
            self.drain(out)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<Packet>) -> Result<u64> {
        if self.finished {
            return Ok(self.frames_in);
        }
        self.drain(out)?;
        // The last partial frame: FDK pads it with silence once it sees the flush below.
        while !self.pending.is_empty() {
            let before = out.len();
            let (consumed, _) = self.encode_once(false, out)?;
            self.pending.drain(..consumed);
            if consumed == 0 && out.len() == before {
                break;
            }
        }
        // numInSamples = -1 until EOF: FDK then encodes its look-ahead and delay line, so
        // the tail of the input is in the stream.
        let mut calls = 0u32;
        loop {
            let (_, eof) = self.encode_once(true, out)?;
            if eof {
                break;
            }
            calls += 1;
            // The delay line spans a few frames; anything past this is an encoder bug.
            if calls > 64 {
                return Err(aac_bug("flush (no end of stream)"));
            }
        }
        self.finished = true;
        Ok(self.frames_in)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::codec::adts_header;

    fn have_ffmpeg() -> bool {
        Command::new("ffmpeg").arg("-version").output().is_ok()
    }

    /// Encodes interleaved `pcm` in uneven pieces; returns the packets and the frames
    /// reported consumed.
    fn encode(enc: &mut AacEncoder, pcm: &[f32]) -> (Vec<Packet>, u64) {
        let ch = enc.channels;
        let mut out = Vec::new();
        let sizes = [1usize, 1000, 4095, 4097, 333];
        let (mut pos, mut i) = (0, 0);
        while pos < pcm.len() / ch {
            let n = sizes[i % sizes.len()].min(pcm.len() / ch - pos);
            enc.write(&pcm[pos * ch..(pos + n) * ch], &mut out)
                .expect("test");
            pos += n;
            i += 1;
        }
        let frames = enc.finish(&mut out).expect("test");
        (out, frames)
    }

    fn write_adts(path: &Path, info: &StreamInfo, packets: &[Packet]) {
        let mut bytes = Vec::new();
        for p in packets {
            bytes.extend_from_slice(&adts_header(info, p.data.len()).expect("test"));
            bytes.extend_from_slice(&p.data);
        }
        std::fs::write(path, bytes).expect("test");
    }

    /// FFmpeg's decode of `path` as interleaved f32.
    fn ffmpeg_decode(path: &Path, channels: u16) -> Vec<f32> {
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(path)
            .args(["-ac", &channels.to_string(), "-f", "f32le", "-"])
            .output()
            .expect("test");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    #[test]
    fn options_are_validated() {
        for (rate, ch, bps) in [
            (44_100, 2, 7_999),
            (44_100, 2, 700_000),
            (7_350, 1, 64_000),
            (44_000, 2, 128_000),
            (8_000, 1, 64_000), // beyond 6144 bits per 1024-sample frame
            (48_000, 9, 1_000_000),
        ] {
            let e = AacEncoder::new(rate, ch, bps, true)
                .err()
                .expect("must fail");
            assert!(matches!(e, Error::InvalidOptions { .. }), "{e}");
        }
        let quad = StreamSpec {
            sample_rate: 48_000,
            channels: 4,
            channel_mask: Some(0x33),
            ..Default::default()
        };
        assert!(AacConfig::resolve(&quad, &EncoderSettings::default()).is_err());
        let q = EncoderSettings {
            quality: Some(3),
            ..Default::default()
        };
        let stereo = StreamSpec {
            sample_rate: 44_100,
            channels: 2,
            ..Default::default()
        };
        assert!(AacConfig::resolve(&stereo, &q).is_err());
        let d = AacConfig::resolve(&stereo, &EncoderSettings::default()).expect("test");
        assert_eq!(d.bitrate, 256_000);
        let low = StreamSpec {
            sample_rate: 8_000,
            channels: 1,
            ..Default::default()
        };
        let d = AacConfig::resolve(&low, &EncoderSettings::default()).expect("test");
        assert!(d.bitrate < 48_000, "{}", d.bitrate);
        for (rate, ch, bps) in [
            (8_000, 1, 8_000),
            (96_000, 2, 640_000),
            (44_100, 8, 1_024_000),
        ] {
            let enc = AacEncoder::new(rate, ch, bps, true).expect("test");
            assert_eq!(enc.info().bit_rate, bps, "{rate} Hz {ch} ch");
        }
    }

    /// The encoder delay is where an impulse reappears in FFmpeg's decode of the stream
    /// (ADTS, which carries no delay information, so FFmpeg trims nothing), and the whole
    /// input survives the flush.
    #[test]
    fn priming_is_the_decoded_delay() {
        if !have_ffmpeg() {
            eprintln!("skipped: ffmpeg not on PATH");
            return;
        }
        let dir = tempfile::tempdir().expect("test");
        for (rate, ch) in [(48_000u32, 2u16), (44_100, 1)] {
            let n = rate as usize; // 1 s
            let at = 10_000usize;
            let tail = n - 300; // a second click just before the end: the flush must keep it
            let mut pcm = vec![0.0f32; n * usize::from(ch)];
            for c in 0..usize::from(ch) {
                pcm[at * usize::from(ch) + c] = 0.9;
                pcm[tail * usize::from(ch) + c] = 0.9;
            }
            let mut enc = AacEncoder::new(rate, ch, 128_000 * u32::from(ch), true).expect("test");
            let (packets, frames) = encode(&mut enc, &pcm);
            assert_eq!(frames, n as u64);
            let info = enc.info().clone();
            let path = dir.path().join(format!("click_{rate}_{ch}.aac"));
            write_adts(&path, &info, &packets);
            // ffprobe reads the ADTS headers as AAC-LC at the right rate and channels.
            let probe = Command::new("ffprobe")
                .args([
                    "-v",
                    "error",
                    "-show_entries",
                    "stream=codec_name,profile,sample_rate,channels",
                ])
                .args(["-of", "csv=p=0"])
                .arg(&path)
                .output()
                .expect("test");
            assert_eq!(
                String::from_utf8_lossy(&probe.stdout).trim(),
                format!("aac,LC,{rate},{ch}")
            );
            let dec = ffmpeg_decode(&path, ch);
            let dec_frames = dec.len() / usize::from(ch);
            assert_eq!(dec_frames, packets.len() * 1024);
            let mono: Vec<f32> = dec.chunks(usize::from(ch)).map(|f| f[0]).collect();
            let peak = |from: usize, to: usize| {
                (from..to.min(mono.len()))
                    .max_by(|&a, &b| mono[a].abs().total_cmp(&mono[b].abs()))
                    .expect("test")
            };
            let first = peak(0, at + 8192);
            let delay = first - at;
            eprintln!(
                "{rate} Hz {ch} ch: impulse at {first}, delay {delay}, nDelay {}",
                info.priming
            );
            assert_eq!(delay, info.priming as usize, "{rate} Hz {ch} ch");
            let second = peak(tail + delay - 2048, mono.len());
            assert_eq!(second, tail + delay, "the end of the input was lost");
            assert!(mono[second].abs() > 0.3, "{}", mono[second]);
            let padding = packets.len() as u64 * 1024 - u64::from(info.priming) - frames;
            assert!(padding < 1024 + 1024, "padding {padding}");
        }
    }
}
