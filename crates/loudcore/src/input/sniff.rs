//! Recognises the container from the bytes themselves (never the file name), and for MPEG
//! audio counts frames so VBR files without a Xing header still get an exact duration.

use std::io::{BufReader, Read, Seek, SeekFrom};

use crate::error::{Error, Result};
use crate::input::Input;

/// Containers loudcore reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// MPEG-1/2/2.5 Layer III elementary stream.
    Mp3,
    /// AAC in ADTS framing.
    Adts,
    /// ISO BMFF (MP4, M4A).
    Mp4,
    Flac,
    Wav,
    Ogg,
}

impl Format {
    /// All readable formats.
    pub const ALL: [Format; 6] = [
        Format::Mp3,
        Format::Adts,
        Format::Mp4,
        Format::Flac,
        Format::Wav,
        Format::Ogg,
    ];

    /// Short lowercase name (`"mp3"`, `"mp4"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Mp3 => "mp3",
            Format::Adts => "adts",
            Format::Mp4 => "mp4",
            Format::Flac => "flac",
            Format::Wav => "wav",
            Format::Ogg => "ogg",
        }
    }

    /// The file extension symphonia's probe takes as a hint.
    pub(crate) fn hint(self) -> &'static str {
        match self {
            Format::Mp3 => "mp3",
            Format::Adts => "aac",
            Format::Mp4 => "m4a",
            Format::Flac => "flac",
            Format::Wav => "wav",
            Format::Ogg => "ogg",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "mp3" => Ok(Format::Mp3),
            "adts" | "aac" => Ok(Format::Adts),
            "mp4" | "m4a" => Ok(Format::Mp4),
            "flac" => Ok(Format::Flac),
            "wav" | "wave" => Ok(Format::Wav),
            "ogg" => Ok(Format::Ogg),
            other => Err(format!("unknown format {other:?}")),
        }
    }
}

/// What the first bytes say.
#[derive(Clone, Debug)]
pub(crate) struct Sniffed {
    pub format: Format,
    /// Offset of the first byte after a leading ID3v2 tag.
    pub audio_offset: u64,
    /// MPEG audio: the first frame carries a Xing/Info/VBRI header with a frame count.
    pub has_vbr_header: bool,
}

/// How many bytes after any ID3v2 tag are looked at to find the format.
const HEAD: usize = 64 * 1024;

pub(crate) fn sniff(input: &Input, byte_len: u64) -> Result<Sniffed> {
    let file = input.name();
    if byte_len == 0 {
        return Err(Error::Empty { file });
    }
    let first = input.read_at(0, 10)?;
    let audio_offset = id3v2_len(&first);
    let head = input.read_at(audio_offset, HEAD)?;
    let found = |format| Sniffed {
        format,
        audio_offset,
        has_vbr_header: false,
    };

    if head.len() >= 12
        && (&head[0..4] == b"RIFF" || &head[0..4] == b"RF64")
        && &head[8..12] == b"WAVE"
    {
        return Ok(found(Format::Wav));
    }
    if head.starts_with(b"fLaC") {
        return Ok(found(Format::Flac));
    }
    if head.starts_with(b"OggS") {
        return Ok(found(Format::Ogg));
    }
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        return Ok(found(Format::Mp4));
    }
    // Frame-synced streams: demand a chain of valid headers, not one lucky 0xFFE.
    if let Some(pos) = find_chain(&head, parse_mpeg) {
        let h = parse_mpeg(&head[pos..]).filter(|h| h.layer == 3);
        let Some(h) = h else {
            return Err(Error::UnsupportedFormat {
                file,
                detail: "MPEG audio layer I/II; only layer III (MP3) is supported".into(),
            });
        };
        let frame = &head[pos..(pos + h.len).min(head.len())];
        let has_vbr_header = [b"Xing", b"Info", b"VBRI"]
            .iter()
            .any(|tag| frame.windows(4).any(|w| w == *tag));
        return Ok(Sniffed {
            format: Format::Mp3,
            audio_offset,
            has_vbr_header,
        });
    }
    if find_chain(&head, parse_adts).is_some() {
        return Ok(found(Format::Adts));
    }
    Err(Error::UnsupportedFormat {
        file,
        detail: describe_unknown(&head),
    })
}

/// Names what a non-audio file looks like, so the message helps the person who uploaded it.
fn describe_unknown(head: &[u8]) -> String {
    let kind = if head.starts_with(b"PK\x03\x04") {
        Some("a ZIP archive")
    } else if head.starts_with(b"%PDF") {
        Some("a PDF document")
    } else if head.starts_with(b"\x89PNG") {
        Some("a PNG image")
    } else if head.starts_with(b"\xFF\xD8\xFF") {
        Some("a JPEG image")
    } else if head.starts_with(b"GIF8") {
        Some("a GIF image")
    } else if head.starts_with(b"\x1A\x45\xDF\xA3") {
        Some("a Matroska/WebM file (not supported)")
    } else if head.starts_with(b"FORM") {
        Some("an IFF/AIFF file (not supported)")
    } else if head.starts_with(b"<") {
        Some("HTML or XML text")
    } else if !head.is_empty()
        && head
            .iter()
            .take(512)
            .all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b))
    {
        Some("plain text")
    } else {
        None
    };
    match kind {
        Some(k) => format!("not audio: the content looks like {k}"),
        None => "no MP3, AAC, MP4/M4A, FLAC, WAV or Ogg signature found in the content".into(),
    }
}

/// Length of a leading ID3v2 tag (header, body and optional footer), or 0.
pub(crate) fn id3v2_len(b: &[u8]) -> u64 {
    if b.len() < 10 || &b[0..3] != b"ID3" || b[3] == 0xFF || b[4] == 0xFF {
        return 0;
    }
    if b[6..10].iter().any(|&x| x & 0x80 != 0) {
        return 0;
    }
    let size = b[6..10]
        .iter()
        .fold(0u64, |acc, &x| (acc << 7) | u64::from(x));
    let footer = if b[5] & 0x10 != 0 { 10 } else { 0 };
    10 + size + footer
}

/// A parsed MPEG audio frame header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MpegHeader {
    pub layer: u8,
    pub sample_rate: u32,
    pub len: usize,
    pub samples: u32,
}

pub(crate) fn parse_mpeg(b: &[u8]) -> Option<MpegHeader> {
    if b.len() < 4 || b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b[1] >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
    let layer = match (b[1] >> 1) & 3 {
        1 => 3,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    if version == 1 {
        return None;
    }
    let br_idx = (b[2] >> 4) as usize;
    let sr_idx = ((b[2] >> 2) & 3) as usize;
    if br_idx == 0 || br_idx == 15 || sr_idx == 3 {
        return None;
    }
    let padding = u32::from((b[2] >> 1) & 1);
    const BR_V1: [[u32; 15]; 3] = [
        [
            0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ],
        [
            0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        [
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ],
    ];
    const BR_V2: [[u32; 15]; 3] = [
        [
            0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
        ],
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ];
    let li = usize::from(layer - 1);
    let kbps = if version == 3 {
        BR_V1[li][br_idx]
    } else {
        BR_V2[li][br_idx]
    };
    let base_sr = [44_100, 48_000, 32_000][sr_idx];
    let sample_rate = match version {
        3 => base_sr,
        2 => base_sr / 2,
        _ => base_sr / 4,
    };
    let br = kbps * 1000;
    let (len, samples) = match (layer, version) {
        (1, _) => ((12 * br / sample_rate + padding) * 4, 384),
        (2, _) => (144 * br / sample_rate + padding, 1152),
        (_, 3) => (144 * br / sample_rate + padding, 1152),
        _ => (72 * br / sample_rate + padding, 576),
    };
    Some(MpegHeader {
        layer,
        sample_rate,
        len: len as usize,
        samples,
    })
}

fn parse_adts(b: &[u8]) -> Option<MpegHeader> {
    if b.len() < 7 || b[0] != 0xFF || b[1] & 0xF6 != 0xF0 {
        return None;
    }
    let sr_idx = ((b[2] >> 2) & 0xF) as usize;
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let sample_rate = *RATES.get(sr_idx)?;
    let len = (usize::from(b[3] & 3) << 11) | (usize::from(b[4]) << 3) | usize::from(b[5] >> 5);
    if len < 7 {
        return None;
    }
    Some(MpegHeader {
        layer: 0,
        sample_rate,
        len,
        samples: 1024,
    })
}

/// First offset in `head` where three frames follow one another with consistent headers
/// (or run to the end of `head`).
fn find_chain(head: &[u8], parse: fn(&[u8]) -> Option<MpegHeader>) -> Option<usize> {
    (0..head.len().saturating_sub(4)).find(|&start| {
        let Some(first) = parse(&head[start..]) else {
            return false;
        };
        let mut pos = start;
        for _ in 0..3 {
            match parse(&head[pos..]) {
                Some(h) if h.sample_rate == first.sample_rate && h.layer == first.layer => {
                    pos += h.len;
                    if pos + 4 > head.len() {
                        // Ran off the sniffed window (or a short file) after valid frames.
                        return pos > start + first.len || head.len() < HEAD;
                    }
                }
                _ => return false,
            }
        }
        true
    })
}

/// Counts the sample frames of an MPEG audio or ADTS stream from `offset` to its end by
/// walking frame headers (no decoding). Stops at trailing tags or where the chain breaks.
pub(crate) fn count_frames(input: &Input, offset: u64, format: Format) -> Result<Option<u64>> {
    let parse: fn(&[u8]) -> Option<MpegHeader> = match format {
        Format::Mp3 => |b: &[u8]| parse_mpeg(b).filter(|h| h.layer == 3),
        Format::Adts => parse_adts,
        _ => return Ok(None),
    };
    let (src, len) = input.open()?;
    let mut r = BufReader::with_capacity(256 * 1024, src);
    r.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io(input.name(), e))?;
    let mut pos = offset;
    let mut samples = 0u64;
    let mut frames = 0u64;
    let mut hdr = [0u8; 7];
    let mut resync_budget = 64 * 1024u64;
    let hl = hdr.len() as u64;
    while pos + hl <= len {
        r.read_exact(&mut hdr)
            .map_err(|e| Error::io(input.name(), e))?;
        match parse(&hdr) {
            Some(h) if pos + h.len as u64 <= len => {
                samples += u64::from(h.samples);
                frames += 1;
                pos += h.len as u64;
                r.seek_relative(h.len as i64 - hl as i64)
                    .map_err(|e| Error::io(input.name(), e))?;
            }
            Some(_) => break, // last frame cut short
            None => {
                if &hdr[0..3] == b"TAG" || &hdr[0..4] == b"APET" || &hdr[0..4] == b"LYRI" {
                    break;
                }
                // Skip one byte and look for sync again, within a budget.
                if resync_budget == 0 {
                    break;
                }
                resync_budget -= 1;
                pos += 1;
                r.seek_relative(1 - hl as i64)
                    .map_err(|e| Error::io(input.name(), e))?;
            }
        }
    }
    Ok((frames > 0).then_some(samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id3_length() {
        let mut b = b"ID3\x04\x00\x00\x00\x00\x02\x01".to_vec();
        assert_eq!(id3v2_len(&b), 10 + 257);
        b[5] = 0x10;
        assert_eq!(id3v2_len(&b), 20 + 257);
        assert_eq!(id3v2_len(b"RIFF0000WAVE"), 0);
    }

    #[test]
    fn mpeg_header_128k() {
        // MPEG-1 layer III, 128 kbps, 44.1 kHz, no padding: 417 bytes.
        let h = parse_mpeg(&[0xFF, 0xFB, 0x90, 0x64]).expect("valid");
        assert_eq!(
            (h.layer, h.sample_rate, h.len, h.samples),
            (3, 44_100, 417, 1152)
        );
    }

    #[test]
    fn text_is_not_audio() {
        let e = sniff(&Input::bytes(b"hello, this is text".to_vec()), 19).expect_err("text");
        assert!(e.to_string().contains("plain text"), "{e}");
    }

    #[test]
    fn one_stray_sync_is_not_mp3() {
        let mut b = vec![0x55u8; 5000];
        b[100..104].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        assert!(sniff(&Input::bytes(b), 5000).is_err());
    }
}
