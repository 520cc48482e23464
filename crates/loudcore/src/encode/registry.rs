//! Every output codec describes itself once, here, through [`OutputCodec`]; the public enums
//! ([`OutputFormat`], [`HlsCodec`]), the encoder factories, the validation and the
//! pipeline's first guess of each encoder's loss all ask the registry rather than match on
//! codecs themselves. A new codec is one file implementing [`OutputCodec`], one line in
//! [`CODECS`], and its variant in the public enum(s).

use super::descriptor::OutputCodec;
use super::guess::EncoderGuess;
use super::{HlsCodec, OutputFormat};

/// Every output codec, in the order error messages list them ([`OutputFormat::ALL`]).
pub(crate) const CODECS: &[&dyn OutputCodec] = &[
    &super::mp3::Mp3,
    &super::m4a::M4a,
    &super::wav::Wav,
    &super::flac::Flac,
];

/// The codec writing `format` files; `None` for [`OutputFormat::Hls`], which no codec
/// writes as one file.
pub(crate) fn file_codec(format: OutputFormat) -> Option<&'static dyn OutputCodec> {
    CODECS.iter().copied().find(|c| c.format() == format)
}

/// The codec of `codec`'s variants.
pub(crate) fn hls_codec(codec: HlsCodec) -> Option<&'static dyn OutputCodec> {
    CODECS.iter().copied().find(|c| c.hls() == Some(codec))
}

/// What an output is encoded as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// A whole file (normalize).
    File(OutputFormat),
    /// A variant of an HLS ladder.
    Hls(HlsCodec),
}

/// The first guess for an output encoded as `encoding`. `bitrate`: the output's bit rate
/// setting (`None`: the codec's default, e.g. MP3 VBR); `channels`: the encoded channels;
/// `careful`: a ladder variant's redo with the closer search ([`HlsCodec::encoder`]), which
/// whole files always get.
pub(crate) fn encoder_guess(
    encoding: Encoding,
    bitrate: Option<u32>,
    channels: u32,
    careful: bool,
) -> EncoderGuess {
    let (codec, careful): (Option<&dyn OutputCodec>, bool) = match encoding {
        Encoding::File(format) => (file_codec(format), true),
        Encoding::Hls(codec) => (hls_codec(codec), careful),
    };
    codec.map_or(EncoderGuess::NONE, |c| c.guess(bitrate, channels, careful))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_and_hls_codec_has_one_codec_in_the_order_of_all() {
        let formats: Vec<OutputFormat> = CODECS.iter().map(|c| c.format()).collect();
        assert_eq!(formats, OutputFormat::ALL);
        assert!(file_codec(OutputFormat::Hls).is_none());
        for hls in [HlsCodec::Aac, HlsCodec::Mp3] {
            let n = CODECS.iter().filter(|c| c.hls() == Some(hls)).count();
            assert_eq!(n, 1, "{hls:?}");
        }
    }

    #[test]
    fn encoder_guesses_follow_the_bit_rate_per_channel() {
        let variant = |bitrate, channels| {
            encoder_guess(Encoding::Hls(HlsCodec::Aac), Some(bitrate), channels, false)
        };
        let low = variant(48_000, 2);
        let high = variant(128_000, 2);
        assert!(low.overshoot_db > high.overshoot_db && low.loss_lu > high.loss_lu);
        // The same rung in mono has twice the bits per channel.
        let mono = variant(48_000, 1);
        assert!(mono.overshoot_db < low.overshoot_db);
        let lossless = encoder_guess(Encoding::File(OutputFormat::Flac), None, 2, false);
        assert_eq!((lossless.overshoot_db, lossless.loss_lu), (0.0, 0.0));
    }
}
