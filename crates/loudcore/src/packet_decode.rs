//! Decodes a stream of codec frames (not a file) back to PCM, so that outputs written as
//! packets in some container (HLS segments) can be measured as a listener would hear them.

use symphonia::core::audio::{Channels, Position};
use symphonia::core::codecs::audio::well_known::{CODEC_ID_AAC, CODEC_ID_MP3};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::packet::Packet as SymPacket;
use symphonia::core::units::{Duration, Timestamp};

use crate::codec::{Codec, StreamInfo};
use crate::error::{Error, Result};

/// A decoder for one packet stream that drops the encoder's priming, so what it yields
/// lines up with what was fed to the encoder.
pub(crate) struct PacketDecoder {
    decoder: Box<dyn AudioDecoder>,
    label: String,
    channels: usize,
    rate: u32,
    /// Decoded frames still to drop (priming).
    skip: u64,
    pts: i64,
    scratch: Vec<f32>,
}

impl PacketDecoder {
    /// `label` names the output in errors.
    pub(crate) fn new(info: &StreamInfo, label: &str) -> Result<Self> {
        let mut params = AudioCodecParameters::new();
        match &info.codec {
            Codec::Aac { asc, .. } => {
                params
                    .for_codec(CODEC_ID_AAC)
                    .with_extra_data(asc.clone().into_boxed_slice());
            }
            Codec::Mp3 => {
                params.for_codec(CODEC_ID_MP3);
            }
        }
        params.with_sample_rate(info.sample_rate);
        if let Some(p) = Position::from_count(u32::from(info.channels)) {
            params.with_channels(Channels::Positioned(p));
        }
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| Error::Internal {
                file: label.to_string(),
                detail: format!("no decoder for the written stream: {e}"),
            })?;
        Ok(PacketDecoder {
            decoder,
            label: label.to_string(),
            channels: usize::from(info.channels),
            rate: info.sample_rate,
            skip: u64::from(info.priming),
            pts: 0,
            scratch: Vec::new(),
        })
    }

    /// Decodes one packet and appends its interleaved samples, priming removed, to `out`.
    /// A packet that does not decode is an error: these are our own outputs, so damage
    /// means the writer is broken.
    pub(crate) fn decode(&mut self, data: &[u8], out: &mut Vec<f32>) -> Result<()> {
        let packet = SymPacket::new(0, Timestamp::new(self.pts), Duration::new(0), data.to_vec());
        let buf = self.decoder.decode(&packet).map_err(|e| Error::Internal {
            file: self.label.clone(),
            detail: format!("a written frame does not decode: {e}"),
        })?;
        if buf.spec().channels().count() != self.channels || buf.spec().rate() != self.rate {
            return Err(Error::Internal {
                file: self.label.clone(),
                detail: format!(
                    "a written frame decodes to {} channels at {} Hz, not {} at {}",
                    buf.spec().channels().count(),
                    buf.spec().rate(),
                    self.channels,
                    self.rate
                ),
            });
        }
        let frames = buf.frames() as u64;
        self.pts += frames as i64;
        buf.copy_to_vec_interleaved(&mut self.scratch);
        let drop = self.skip.min(frames);
        self.skip -= drop;
        out.extend_from_slice(&self.scratch[drop as usize * self.channels..]);
        Ok(())
    }
}
