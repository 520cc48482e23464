//! What every output codec tells about itself ([`OutputCodec`]), which each codec's file
//! implements; `registry.rs` lists them. Kept apart from the list so that the codecs and
//! the list do not import each other.

use std::marker::PhantomData;

use super::guess::EncoderGuess;
use super::{Encoded, Encoder, EncoderSettings, HlsCodec, OutputFormat, StreamSpec, invalid};
use crate::codec::PacketEncoder;
use crate::error::{Error, Result};
use crate::output::Sink;
/// The sink a registered codec's file encoder writes to. Erased so that the descriptors
/// stay object-safe; [`typed`] gives the caller's own sink type back.
pub(crate) type AnySink = Box<dyn Sink>;

/// What the rest of the crate needs to know about one output codec.
pub(crate) trait OutputCodec: Sync {
    /// The file format this codec writes.
    fn format(&self) -> OutputFormat;

    /// The lowercase name, which is also the file extension.
    fn name(&self) -> &'static str;

    /// Whether encoding loses information (so that a verified output may measure slightly
    /// differently from what was fed in).
    fn is_lossy(&self) -> bool;

    /// Checks `settings` against `spec` without creating anything (the stream's channels
    /// and rate are already known to be non-zero).
    fn validate(&self, spec: &StreamSpec, settings: &EncoderSettings) -> Result<()>;

    /// The encoder of a whole file.
    fn file_encoder(
        &self,
        spec: &StreamSpec,
        settings: &EncoderSettings,
        sink: AnySink,
    ) -> Result<Box<dyn Encoder<AnySink>>>;

    /// The HLS codec whose variants this codec's packets make, if it can be one.
    fn hls(&self) -> Option<HlsCodec> {
        None
    }

    /// The name of [`OutputCodec::hls`] (`"aac"` where the file format is `"m4a"`).
    fn hls_name(&self) -> &'static str {
        self.name()
    }

    /// The packet encoder of one HLS variant at `bitrate` bits/s; `careful`: the slower,
    /// closer search a redone variant gets.
    fn packet_encoder(
        &self,
        _sample_rate: u32,
        _channels: u16,
        _bitrate: u32,
        _careful: bool,
    ) -> Result<Box<dyn PacketEncoder>> {
        Err(invalid(format!("{} cannot be an HLS codec", self.name())))
    }

    /// The first guess of how far the decoded output's loudness and true peak move from
    /// what was fed to the encoder: `bitrate` as the caller set it (`None`: the codec's
    /// default), `careful` as for [`OutputCodec::packet_encoder`].
    fn guess(&self, bitrate: Option<u32>, channels: u32, careful: bool) -> EncoderGuess;
}

/// A registered file encoder seen as an encoder into the caller's own sink type.
pub(crate) fn typed<W: Sink + 'static>(inner: Box<dyn Encoder<AnySink>>) -> Box<dyn Encoder<W>> {
    Box::new(Typed {
        inner,
        sink: PhantomData,
    })
}

struct Typed<W> {
    inner: Box<dyn Encoder<AnySink>>,
    // `fn() -> W`: the encoder hands a W back but holds none, so it is Send whatever W is.
    sink: PhantomData<fn() -> W>,
}

impl<W: Sink + 'static> Encoder<W> for Typed<W> {
    fn write(&mut self, interleaved: &[f32]) -> Result<()> {
        self.inner.write(interleaved)
    }

    fn finish(self: Box<Self>) -> Result<Encoded<W>> {
        let e = self.inner.finish()?;
        let label = e.output.label();
        let output = e
            .output
            .into_any()
            .downcast::<W>()
            .map_err(|_| Error::Internal {
                file: label,
                detail: "the encoder handed back another sink than it was given".into(),
            })?;
        Ok(Encoded {
            bytes: e.bytes,
            #[cfg(test)]
            frames: e.frames,
            output: *output,
        })
    }
}
