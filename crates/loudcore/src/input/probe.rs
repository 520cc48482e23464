//! Opens an input with symphonia after content sniffing, and describes its audio stream.

use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, StandardTag};

use crate::error::{Error, Result};
use crate::input::mp4_gapless::{self, Gapless};
use crate::input::sniff::{self, Format};
use crate::input::{Input, Limits};

/// Title, artist and album found in the input's tags.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Tags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
}

/// What an input holds, from its headers (no decoding).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Probe {
    /// Container, from the content.
    pub format: Format,
    /// Codec short name (`"mp3"`, `"aac"`, `"flac"`, `"vorbis"`, `"pcm_s16le"`, ...).
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u32,
    /// WAVE-style channel mask, where the container says where channels go.
    pub channel_mask: Option<u64>,
    /// Bits per sample of the source, for PCM and FLAC.
    pub bits_per_sample: Option<u32>,
    /// Playable sample frames (encoder delay and padding removed) when the headers say so,
    /// or counted from frame headers for MPEG audio without a VBR header.
    pub frames: Option<u64>,
    /// Duration in seconds from `frames` (0 when unknown until decoded).
    pub duration_s: f64,
    /// Average bit rate in bits per second over the audio payload, `None` when unknown.
    pub bit_rate: Option<u64>,
    /// Size of the input in bytes.
    pub byte_len: u64,
    pub tags: Tags,
}

/// A symphonia reader positioned at the start of the selected audio track.
pub(crate) struct Opened {
    pub reader: Box<dyn FormatReader>,
    pub params: AudioCodecParameters,
    pub track_id: u32,
    pub probe: Probe,
    /// The reader's per-packet trimming rests on an estimated length (MP3 without a
    /// Xing/VBRI header) and must be ignored, or real audio at the end is cut.
    pub ignore_trim: bool,
    /// Frames to drop at the start and to keep after them, where the container says so
    /// and the demuxer does not apply it (MP4 edit list / iTunSMPB).
    pub trim: Option<Gapless>,
}

/// Reads the headers of `input` and validates them against `limits`.
pub fn probe(input: &Input, limits: &Limits) -> Result<Probe> {
    open(input, limits).map(|o| o.probe)
}

pub(crate) fn open(input: &Input, limits: &Limits) -> Result<Opened> {
    limits.check_options()?;
    let file = input.name();
    let (src, byte_len) = input.open()?;
    limits.check_bytes(&file, byte_len)?;
    let sniffed = sniff::sniff(input, byte_len)?;
    limits.check_format(&file, sniffed.format)?;

    let mss = MediaSourceStream::new(src, MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    hint.with_extension(sniffed.format.hint());
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| open_error(&file, sniffed.format, e))?;

    let track = reader
        .default_track(TrackType::Audio)
        .ok_or_else(|| Error::UnsupportedFormat {
            file: file.clone(),
            detail: format!("{} container has no audio track", sniffed.format),
        })?
        .clone();
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or_else(|| Error::UnsupportedFormat {
            file: file.clone(),
            detail: "audio track has no codec parameters".into(),
        })?;
    let codec = symphonia::default::get_codecs()
        .get_audio_decoder(params.codec)
        .map(|d| d.codec.info.short_name.to_string())
        .ok_or_else(|| Error::UnsupportedFormat {
            file: file.clone(),
            detail: format!(
                "no decoder for the audio codec in this {} file",
                sniffed.format
            ),
        })?;
    let sample_rate = params.sample_rate.ok_or_else(|| Error::CorruptInput {
        file: file.clone(),
        detail: "no sample rate in the stream headers".into(),
    })?;
    if sample_rate == 0 {
        return Err(Error::CorruptInput {
            file,
            detail: "sample rate 0 in the headers".into(),
        });
    }
    let channels = params
        .channels
        .as_ref()
        .map(|c| c.count() as u32)
        .unwrap_or(0);
    if channels == 0 {
        return Err(Error::CorruptInput {
            file,
            detail: "no channels in the stream headers".into(),
        });
    }
    let channel_mask = match &params.channels {
        Some(symphonia::core::audio::Channels::Positioned(p)) => Some(p.bits()),
        _ => None,
    };

    let mut frames = track.num_frames;
    let exact = match sniffed.format {
        Format::Mp3 => sniffed.has_vbr_header,
        Format::Adts => false,
        _ => true,
    };
    if !exact {
        // Without a VBR header the reader estimates from the bit rate; count real frames.
        if let Some(n) = sniff::count_frames(input, sniffed.audio_offset, sniffed.format)? {
            frames = Some(n);
        }
    }
    // symphonia's MP4 reader plays the whole media, encoder delay and padding included;
    // the edit list or iTunSMPB say which part is the audio.
    let trim = match sniffed.format {
        Format::Mp4 => mp4_gapless::read(input, byte_len)?.map(|g| {
            let available = frames.map(|f| f.saturating_sub(g.priming));
            let keep = match (g.frames, available) {
                (Some(k), Some(a)) => Some(k.min(a)),
                (k, a) => k.or(a),
            };
            Gapless {
                priming: g.priming,
                frames: keep,
            }
        }),
        _ => None,
    };
    if let Some(t) = trim {
        frames = t.frames;
    }
    let duration_s = frames.map_or(0.0, |f| f as f64 / f64::from(sample_rate));
    let payload = byte_len.saturating_sub(sniffed.audio_offset);
    let bit_rate = match (
        params.bits_per_coded_sample.or(params.bits_per_sample),
        sniffed.format,
    ) {
        (Some(bits), Format::Wav) => {
            Some(u64::from(bits) * u64::from(sample_rate) * u64::from(channels))
        }
        _ if duration_s > 0.0 => Some((payload as f64 * 8.0 / duration_s).round() as u64),
        _ => None,
    };
    let bits_per_sample = match sniffed.format {
        Format::Wav | Format::Flac => params.bits_per_sample,
        _ => None,
    };
    let tags = read_tags(reader.as_mut());

    let probe = Probe {
        format: sniffed.format,
        codec,
        sample_rate,
        channels,
        channel_mask,
        bits_per_sample,
        frames,
        duration_s,
        bit_rate,
        byte_len,
        tags,
    };
    limits.check_stream(&file, &probe)?;
    Ok(Opened {
        reader,
        params,
        track_id: track.id,
        probe,
        ignore_trim: !exact && sniffed.format == Format::Mp3,
        trim,
    })
}

fn read_tags(reader: &mut dyn FormatReader) -> Tags {
    let mut tags = Tags::default();
    let mut meta = reader.metadata();
    let Some(rev) = meta.skip_to_latest() else {
        return tags;
    };
    let all = rev
        .media
        .tags
        .iter()
        .chain(rev.per_track.iter().flat_map(|t| t.metadata.tags.iter()));
    for tag in all {
        match &tag.std {
            Some(StandardTag::TrackTitle(v)) => tags.title.get_or_insert_with(|| v.to_string()),
            Some(StandardTag::Artist(v)) => tags.artist.get_or_insert_with(|| v.to_string()),
            Some(StandardTag::Album(v)) => tags.album.get_or_insert_with(|| v.to_string()),
            _ => continue,
        };
    }
    tags
}

/// Maps a symphonia error while opening to the error a caller can act on.
pub(crate) fn open_error(file: &str, format: Format, e: SymError) -> Error {
    match e {
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::Truncated {
                file: file.into(),
                detail: format!("the {format} headers end before the audio starts"),
            }
        }
        SymError::IoError(io) => Error::Io {
            file: file.into(),
            source: io,
        },
        SymError::Unsupported(what) => Error::UnsupportedFormat {
            file: file.into(),
            detail: format!("{format}: unsupported feature: {what}"),
        },
        SymError::DecodeError(what) | SymError::LimitError(what) => Error::CorruptInput {
            file: file.into(),
            detail: format!("{format} headers are malformed: {what}"),
        },
        other => Error::CorruptInput {
            file: file.into(),
            detail: format!("{format}: {other}"),
        },
    }
}
