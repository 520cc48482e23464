//! MP3 through LAME (`mp3lame-encoder`): VBR by quality (default `-V0`) or CBR, an ID3v2.3
//! tag with title/artist/album, and the Xing/LAME info tag.
//!
//! The LAME tag matters more than it looks: it records the encoder delay (576 + 529
//! samples of LAME's own) and the padding added to fill the last frame. Decoders that read
//! it (FFmpeg, symphonia, every gapless player) trim both, so the decoded file has exactly
//! the input's length; without it an MP3 is up to ~50 ms longer and measures differently.
//!
//! LAME is single-threaded and most of a normalize's time, so inputs longer than a chunk
//! (about 10 s) are encoded in chunks by several LAME instances at once, one per core
//! (`chunks`), whose frames (`frames`) are spliced (`splice`), laid out again around the
//! bit reservoir (`reservoir`) and described by one info tag (`info_tag`). Chunks are
//! taken back in order and written as they come, so memory stays at a few chunks and the
//! file does not depend on thread timing. Shorter inputs go through one LAME instance and
//! are written exactly as LAME wrote them.
//!
//! `lame` (LAME's configuration) is at the bottom: everything else here uses it, and it uses
//! nothing here.

mod chunks;
mod encoder;
mod frames;
mod info_tag;
mod lame;
mod packets;
mod reservoir;
mod splice;

#[cfg(test)]
pub(crate) use packets::tests::encode_tone;

use super::descriptor::{AnySink, OutputCodec};
use super::guess::{EncoderGuess, per_channel};
use super::{Encoder, EncoderSettings, HlsCodec, OutputFormat, StreamSpec};
use crate::codec::PacketEncoder;
use crate::error::Result;
use encoder::Mp3Encoder;
use lame::Mp3Config;
use packets::Mp3PacketEncoder;

/// MP3 in the codec registry.
pub(crate) struct Mp3;

impl OutputCodec for Mp3 {
    fn format(&self) -> OutputFormat {
        OutputFormat::Mp3
    }

    fn name(&self) -> &'static str {
        "mp3"
    }

    fn is_lossy(&self) -> bool {
        true
    }

    fn validate(&self, spec: &StreamSpec, settings: &EncoderSettings) -> Result<()> {
        Mp3Config::resolve(spec, settings).map(drop)
    }

    fn file_encoder(
        &self,
        spec: &StreamSpec,
        settings: &EncoderSettings,
        sink: AnySink,
    ) -> Result<Box<dyn Encoder<AnySink>>> {
        let config = Mp3Config::resolve(spec, settings)?;
        Ok(Box::new(Mp3Encoder::new(config, spec, sink)?))
    }

    fn hls(&self) -> Option<HlsCodec> {
        Some(HlsCodec::Mp3)
    }

    fn packet_encoder(
        &self,
        sample_rate: u32,
        channels: u16,
        bitrate: u32,
        _careful: bool,
    ) -> Result<Box<dyn PacketEncoder>> {
        Ok(Box::new(Mp3PacketEncoder::new(
            sample_rate,
            channels,
            bitrate,
        )?))
    }

    fn guess(&self, bitrate: Option<u32>, channels: u32, _careful: bool) -> EncoderGuess {
        EncoderGuess::mp3(bitrate.map(|b| per_channel(b, channels)))
    }
}
