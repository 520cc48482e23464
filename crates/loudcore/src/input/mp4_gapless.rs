//! Encoder delay and valid length of the audio track of an MP4/M4A, which symphonia's
//! demuxer ignores: without them an AAC file decodes 20–50 ms too long (priming at the
//! start, padding at the end) and measures and verifies as a different length.
//!
//! Two sources, as players read them: the track's edit list (`elst`: the media time where
//! playback starts and how long it lasts; FFmpeg and Apple write it), else Apple's
//! iTunSMPB comment (priming, padding and the valid frame count in hex).

use crate::error::Result;
use crate::input::Input;
use crate::mp4box::{be_u32, be_u64, boxes, child, header};

/// Largest `moov` read: the sample tables of a day of 48 kHz AAC fit many times over, and
/// a hostile file cannot make us allocate more.
const MAX_MOOV_BYTES: u64 = 64 << 20;
/// Top-level boxes walked before giving up (a file of many small boxes).
const MAX_TOP_LEVEL_BOXES: usize = 10_000;

/// Where the playable audio lies in the decoded stream, in sample frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gapless {
    /// Decoded frames at the start to drop (encoder delay).
    pub priming: u64,
    /// Playable frames after the priming; `None`: up to the end of the stream.
    pub frames: Option<u64>,
}

/// Reads the gapless information of `input`, an MP4. `None` when the file has none (or
/// none this reader understands: several edits, an empty edit before the audio, a `moov`
/// beyond [`MAX_MOOV_BYTES`]); the stream then plays whole, as before.
pub(crate) fn read(input: &Input, byte_len: u64) -> Result<Option<Gapless>> {
    let Some(moov) = find_moov(input, byte_len)? else {
        return Ok(None);
    };
    Ok(parse_moov(&moov))
}

fn find_moov(input: &Input, byte_len: u64) -> Result<Option<Vec<u8>>> {
    let mut pos = 0u64;
    for _ in 0..MAX_TOP_LEVEL_BOXES {
        if pos + 8 > byte_len {
            break;
        }
        let head = input.read_at(pos, 16)?;
        let Some((kind, hlen, size)) = header(&head, byte_len - pos) else {
            break;
        };
        if &kind == b"moov" {
            if size > MAX_MOOV_BYTES || pos + size > byte_len {
                return Ok(None);
            }
            let body = input.read_at(pos + hlen, (size - hlen) as usize)?;
            return Ok(Some(body));
        }
        pos = pos.saturating_add(size);
    }
    Ok(None)
}

/// Timescale of `mvhd` or `mdhd` (a full box: version 1 has 64-bit times).
fn timescale(full_box: &[u8]) -> Option<u32> {
    let at = if *full_box.first()? == 1 { 20 } else { 12 };
    be_u32(full_box, at).filter(|&t| t > 0)
}

fn parse_moov(moov: &[u8]) -> Option<Gapless> {
    let movie_ts = child(moov, b"mvhd").and_then(timescale);
    let smpb = itunsmpb(moov);
    // The first sound track, as symphonia's default track is.
    let trak = boxes(moov)
        .filter(|f| &f.kind == b"trak")
        .map(|f| f.body)
        .find(|t| {
            child(t, b"mdia")
                .and_then(|m| child(m, b"hdlr"))
                .and_then(|h| h.get(8..12))
                == Some(b"soun")
        })?;
    let media_ts = child(trak, b"mdia")
        .and_then(|m| child(m, b"mdhd"))
        .and_then(timescale);
    let edit = child(trak, b"edts")
        .and_then(|e| child(e, b"elst"))
        .and_then(elst);
    match (edit, movie_ts, media_ts) {
        (Some((media_time, segment)), Some(movie_ts), Some(media_ts)) => {
            let frames = (segment > 0).then(|| {
                // segment_duration is in the movie timescale (1000 in FFmpeg's files):
                // convert, rounding to the nearest frame.
                let f = (u128::from(segment) * u128::from(media_ts) + u128::from(movie_ts) / 2)
                    / u128::from(movie_ts);
                u64::try_from(f).unwrap_or(u64::MAX)
            });
            // iTunSMPB counts frames exactly; prefer it where it agrees with the edit to
            // within the movie timescale's rounding.
            let tolerance = u64::from(media_ts / movie_ts) + 1;
            let frames = match (frames, smpb) {
                (Some(f), Some(s))
                    if s.priming == media_time
                        && s.frames.is_some_and(|n| n.abs_diff(f) <= tolerance) =>
                {
                    s.frames
                }
                (f, _) => f,
            };
            Some(Gapless {
                priming: media_time,
                frames,
            })
        }
        _ => smpb,
    }
}

/// The single non-empty edit of an `elst`: (media_time, segment_duration). Edit lists
/// that play pieces, repeat, or start with an empty edit (a delay) are not gapless trims.
fn elst(b: &[u8]) -> Option<(u64, u64)> {
    let version = *b.first()?;
    let count = be_u32(b, 4)? as usize;
    let entry = if version == 1 { 20 } else { 12 };
    let mut found = None;
    for i in 0..count.min(16) {
        let at = 8 + i * entry;
        let (segment, media_time) = if version == 1 {
            (be_u64(b, at)?, be_u64(b, at + 8)? as i64)
        } else {
            (
                u64::from(be_u32(b, at)?),
                i64::from(be_u32(b, at + 4)? as i32),
            )
        };
        let rate = be_u32(b, at + entry - 4)?;
        if media_time < 0 {
            // An empty edit: silence before the media. Not a trim.
            return None;
        }
        if found.is_some() || rate != 0x0001_0000 {
            return None;
        }
        found = Some((media_time as u64, segment));
    }
    found
}

/// Apple's iTunSMPB: `moov/udta/meta/ilst/----` with name "iTunSMPB".
fn itunsmpb(moov: &[u8]) -> Option<Gapless> {
    let meta = child(child(moov, b"udta")?, b"meta")?;
    // `meta` is a full box in MP4 (4 bytes of version and flags) but not in QuickTime.
    let ilst = child(meta.get(4..)?, b"ilst").or_else(|| child(meta, b"ilst"))?;
    let value = boxes(ilst).filter(|f| &f.kind == b"----").find_map(|f| {
        let item = f.body;
        let name = child(item, b"name")?.get(4..)?;
        if name != b"iTunSMPB" {
            return None;
        }
        let data = child(item, b"data")?.get(8..)?;
        std::str::from_utf8(data).ok().map(str::to_owned)
    })?;
    let fields: Vec<u64> = value
        .split_whitespace()
        .take(4)
        .map(|f| u64::from_str_radix(f, 16).ok())
        .collect::<Option<_>>()?;
    let (&priming, &frames) = (fields.get(1)?, fields.get(3)?);
    Some(Gapless {
        priming,
        frames: (frames > 0).then_some(frames),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4box::BoxWriter;

    /// A `moov` body with a sound track: movie timescale 1000, media 44100, the given
    /// edits `(segment_duration, media_time)`, and an iTunSMPB when given.
    fn moov(edits: &[(u32, i32)], smpb: Option<&str>) -> Vec<u8> {
        let mut w = BoxWriter::new();
        w.full(b"mvhd", 0, 0, |w| {
            w.zeros(8);
            w.u32(1000);
            w.u32(1500);
        });
        w.boxed(b"trak", |w| {
            w.boxed(b"edts", |w| {
                w.full(b"elst", 0, 0, |w| {
                    w.u32(edits.len() as u32);
                    for &(seg, t) in edits {
                        w.u32(seg);
                        w.i32(t);
                        w.u32(0x0001_0000);
                    }
                });
            });
            w.boxed(b"mdia", |w| {
                w.full(b"mdhd", 0, 0, |w| {
                    w.zeros(8);
                    w.u32(44_100);
                    w.u32(68_608);
                });
                w.full(b"hdlr", 0, 0, |w| {
                    w.u32(0);
                    w.bytes(b"soun");
                });
            });
        });
        if let Some(v) = smpb {
            w.boxed(b"udta", |w| {
                w.full(b"meta", 0, 0, |w| {
                    w.boxed(b"ilst", |w| {
                        w.boxed(b"----", |w| {
                            w.full(b"mean", 0, 0, |w| w.bytes(b"com.apple.iTunes"));
                            w.full(b"name", 0, 0, |w| w.bytes(b"iTunSMPB"));
                            w.boxed(b"data", |w| {
                                w.u32(1);
                                w.u32(0);
                                w.bytes(v.as_bytes());
                            });
                        });
                    });
                });
            });
        }
        w.finish().expect("test")
    }

    const SMPB: &str = " 00000000 00000840 000001C4 0000000000010275 00000000";

    #[test]
    fn edit_list_converted_from_the_movie_timescale() {
        assert_eq!(
            parse_moov(&moov(&[(1500, 2112)], None)),
            Some(Gapless {
                priming: 2112,
                frames: Some(66_150)
            })
        );
    }

    #[test]
    fn itunsmpb_refines_a_rounded_edit_and_stands_in_for_a_missing_one() {
        // 0x10275 = 66165 frames, within the 1/1000 s rounding of 1500 ms.
        let exact = Gapless {
            priming: 0x840,
            frames: Some(0x10275),
        };
        assert_eq!(parse_moov(&moov(&[(1500, 0x840)], Some(SMPB))), Some(exact));
        assert_eq!(parse_moov(&moov(&[], Some(SMPB))), Some(exact));
        // An empty edit (a delay) is not a trim: iTunSMPB decides.
        assert_eq!(
            parse_moov(&moov(&[(10, -1), (1500, 0x840)], Some(SMPB))),
            Some(exact)
        );
        assert_eq!(parse_moov(&moov(&[(10, -1), (1500, 0x840)], None)), None);
        // Garbage is ignored, not trusted.
        assert_eq!(parse_moov(&moov(&[], Some("zz"))), None);
        assert_eq!(
            parse_moov(&moov(&[(1500, 0x840)], None)).map(|g| g.priming),
            Some(0x840)
        );
    }

    #[test]
    fn truncated_boxes_do_not_panic() {
        let m = moov(&[(1500, 2112)], Some(SMPB));
        for n in 0..m.len() {
            let _ = parse_moov(&m[..n]);
        }
    }
}
