//! First guesses at what each encoder does to the signal it is given.

use super::outputs::Kind;
use crate::encode::OutputFormat;
use crate::hls::HlsCodec;

/// First guesses at what an output's encoder does to the signal it is given, so that the
/// first render usually lands: how far true peaks overshoot the limiter's ceiling once
/// decoded, and how much integrated loudness encoding takes away. Verification measures
/// both on the output and corrects a redo from the measurement; a good guess spares that
/// redo, which costs a whole encode.
pub(super) struct EncoderGuess {
    pub overshoot_db: f64,
    pub loss_lu: f64,
}

impl EncoderGuess {
    /// `careful`: a variant's redo (`HlsCodec::encoder`).
    pub(super) fn of(kind: &Kind, channels: u32, careful: bool) -> EncoderGuess {
        let per_channel = |bitrate: u32| f64::from(bitrate) / f64::from(channels.max(1));
        match kind {
            Kind::File { format, settings } => match format {
                OutputFormat::Mp3 => EncoderGuess::mp3(settings.bitrate.map(per_channel)),
                // M4A defaults to 128 kbit/s per channel.
                OutputFormat::M4a => {
                    EncoderGuess::aac(settings.bitrate.map_or(128_000.0, per_channel), true)
                }
                OutputFormat::Wav | OutputFormat::Flac | OutputFormat::Hls => EncoderGuess {
                    overshoot_db: 0.0,
                    loss_lu: 0.0,
                },
            },
            Kind::Variant {
                bitrate, ladder, ..
            } => match ladder.codec {
                HlsCodec::Mp3 => EncoderGuess::mp3(Some(per_channel(*bitrate))),
                // Ladders encode without the afterburner until a redo
                // (`HlsCodec::encoder`).
                _ => EncoderGuess::aac(per_channel(*bitrate), careful),
            },
        }
    }

    /// AAC-LC (FDK), from the corpus's music (track.mp3, track-vbr.mp3,
    /// track-24bit48k.flac, mono-16k.mp3, mix-1h.mp3) on the default ladder. Peaks decode
    /// 0.4-0.9 dB over the limiter's ceiling at 64 kbit/s per channel (the more so the
    /// deeper the limiter cuts) and 1.0-2.5 dB at 24-32, where FDK cuts the bandwidth to
    /// 8-11 kHz and the band edge rings. Loudness comes out 0.03 LU low with the
    /// afterburner; without it 0.16 LU at 24-32 kbit/s per channel, 0.09-0.11 at 64, 0.02
    /// at 128.
    fn aac(bits_per_channel: f64, afterburner: bool) -> EncoderGuess {
        let b = bits_per_channel;
        let loss_lu = if afterburner {
            0.03
        } else if b < 64_000.0 {
            interpolate(b, (32_000.0, 0.16), (64_000.0, 0.10))
        } else {
            interpolate(b, (64_000.0, 0.10), (128_000.0, 0.03))
        };
        let overshoot_db = if b < 64_000.0 {
            interpolate(b, (32_000.0, 2.5), (64_000.0, 0.8))
        } else {
            interpolate(b, (64_000.0, 0.8), (128_000.0, 0.5))
        };
        EncoderGuess {
            overshoot_db,
            loss_lu,
        }
    }

    /// LAME: VBR V0 (or CBR rates LAME leaves near full bandwidth) overshoots 0.2-0.5 dB;
    /// low CBR rates, with LAME's lower low-pass, more.
    fn mp3(cbr_bits_per_channel: Option<f64>) -> EncoderGuess {
        EncoderGuess {
            overshoot_db: cbr_bits_per_channel
                .map_or(0.5, |b| interpolate(b, (32_000.0, 1.0), (64_000.0, 0.5))),
            loss_lu: 0.0,
        }
    }
}

/// `y` on the line through two points, held flat beyond them.
fn interpolate(x: f64, (x0, y0): (f64, f64), (x1, y1): (f64, f64)) -> f64 {
    let t = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0);
    y0 + (y1 - y0) * t
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::encode::EncoderSettings;
    use crate::hls::{Container, Layout};
    use crate::pipeline::outputs::LadderShape;

    #[test]
    fn encoder_guesses_follow_the_bit_rate_per_channel() {
        let variant = |bitrate| Kind::Variant {
            name: "v".into(),
            bitrate,
            ladder: Arc::new(LadderShape {
                root: "ladder".into(),
                codec: HlsCodec::Aac,
                container: Container::Ts,
                layout: Layout::Nested,
                segment_seconds: 10.0,
            }),
        };
        let low = EncoderGuess::of(&variant(48_000), 2, false);
        let high = EncoderGuess::of(&variant(128_000), 2, false);
        assert!(low.overshoot_db > high.overshoot_db && low.loss_lu > high.loss_lu);
        // The same rung in mono has twice the bits per channel.
        let mono = EncoderGuess::of(&variant(48_000), 1, false);
        assert!(mono.overshoot_db < low.overshoot_db);
        let flac = Kind::File {
            format: OutputFormat::Flac,
            settings: EncoderSettings::default(),
        };
        let lossless = EncoderGuess::of(&flac, 2, false);
        assert_eq!((lossless.overshoot_db, lossless.loss_lu), (0.0, 0.0));
    }
}
