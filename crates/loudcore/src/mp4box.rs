//! ISO BMFF (MP4) boxes, both ways, for the three places that handle them: the M4A
//! writer (`encode/m4a.rs`), the fMP4 segmenter and its read-back (`hls/`), and the
//! gapless information of MP4 inputs (`input/mp4_gapless.rs`).
//!
//! Writing: nested boxes built in memory with their sizes patched on close (sample data,
//! `mdat`, is streamed by the caller). Reading: bounds-checked views into a buffer, which
//! never panic on malformed input.

use crate::codec::{Codec, StreamInfo};
use crate::error::{Error, Result};

/// A byte buffer of nested boxes.
#[derive(Debug, Default)]
pub(crate) struct BoxWriter {
    buf: Vec<u8>,
    /// Start offsets of the boxes still open.
    open: Vec<usize>,
    /// A box grew past 4 GiB (32-bit size): reported by [`BoxWriter::finish`].
    overflow: bool,
}

impl BoxWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Writes the box `kind` with the contents `body` writes.
    pub(crate) fn boxed(&mut self, kind: &[u8; 4], body: impl FnOnce(&mut Self)) {
        self.open.push(self.buf.len());
        self.u32(0);
        self.bytes(kind);
        body(self);
        self.close();
    }

    /// A "full box": a box whose body starts with a version byte and 24 bits of flags.
    pub(crate) fn full(
        &mut self,
        kind: &[u8; 4],
        version: u8,
        flags: u32,
        body: impl FnOnce(&mut Self),
    ) {
        self.boxed(kind, |b| {
            b.u32((u32::from(version) << 24) | (flags & 0x00FF_FFFF));
            body(b);
        });
    }

    fn close(&mut self) {
        let Some(start) = self.open.pop() else {
            return;
        };
        let size = self.buf.len() - start;
        let size = u32::try_from(size).unwrap_or_else(|_| {
            self.overflow = true;
            0
        });
        self.buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub(crate) fn u24(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes()[1..]);
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub(crate) fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }
    pub(crate) fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }

    /// The identity matrix of `mvhd` and `tkhd` (16.16 and 2.30 fixed point).
    /// The `hdlr` box of an audio track.
    pub(crate) fn sound_handler(&mut self) {
        self.full(b"hdlr", 0, 0, |w| {
            w.u32(0);
            w.bytes(b"soun");
            w.zeros(12);
            w.bytes(b"SoundHandler\0");
        });
    }

    /// The `smhd` and `dinf` boxes that open an audio track's `minf`: centred balance, and
    /// one data reference with flag 1 (the media is in this file).
    pub(crate) fn sound_media_info(&mut self) {
        self.full(b"smhd", 0, 0, |w| w.u32(0));
        self.boxed(b"dinf", |w| {
            w.full(b"dref", 0, 0, |w| {
                w.u32(1);
                w.full(b"url ", 0, 1, |_| {});
            });
        });
    }

    pub(crate) fn unity_matrix(&mut self) {
        for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            self.u32(v);
        }
    }

    /// An MPEG-4 descriptor (ISO/IEC 14496-1 §8.3.3, as in `esds`): tag, length in the
    /// 4-byte expandable form every demuxer reads, and the body.
    pub(crate) fn descriptor(&mut self, tag: u8, body: impl FnOnce(&mut Self)) {
        self.u8(tag);
        let len_at = self.buf.len();
        self.zeros(4);
        body(self);
        let len = self.buf.len() - len_at - 4;
        if len >= 1 << 28 {
            self.overflow = true;
        }
        let len = len as u32;
        let enc = [
            0x80 | ((len >> 21) & 0x7F) as u8,
            0x80 | ((len >> 14) & 0x7F) as u8,
            0x80 | ((len >> 7) & 0x7F) as u8,
            (len & 0x7F) as u8,
        ];
        self.buf[len_at..len_at + 4].copy_from_slice(&enc);
    }

    /// The finished bytes; an error if a box outgrew its 32-bit size.
    pub(crate) fn finish(self) -> Result<Vec<u8>> {
        if self.overflow || !self.open.is_empty() {
            return Err(Error::Internal {
                file: String::new(),
                detail: "MP4 box too large for a 32-bit size".into(),
            });
        }
        Ok(self.buf)
    }
}

/// The `mp4a` sample entry with its `esds` (ISO/IEC 14496-14 §5.6): AAC with its
/// AudioSpecificConfig, or MP3 (object type 0x6B for MPEG-1, 0x69 for MPEG-2 rates, as
/// FFmpeg and Apple write it). `max_size` is the largest frame in bytes, the bit rates in
/// bits/s.
pub(crate) fn audio_sample_entry(
    w: &mut BoxWriter,
    info: &StreamInfo,
    max_size: u32,
    max_bps: u32,
    avg_bps: u32,
) {
    let (object_type, asc) = match &info.codec {
        Codec::Aac { asc, .. } => (0x40, Some(asc.as_slice())),
        Codec::Mp3 if info.sample_rate >= 32_000 => (0x6B, None),
        Codec::Mp3 => (0x69, None),
    };
    w.boxed(b"mp4a", |w| {
        w.zeros(6);
        w.u16(1); // data reference index
        w.zeros(8); // version, revision, vendor
        w.u16(info.channels);
        w.u16(16); // sample size
        w.u16(0);
        w.u16(0);
        // 16.16 fixed point; rates above 65535 Hz do not fit, and readers take the rate
        // from the AudioSpecificConfig anyway.
        w.u32(if info.sample_rate <= 0xFFFF {
            info.sample_rate << 16
        } else {
            0
        });
        w.full(b"esds", 0, 0, |w| {
            w.descriptor(0x03, |w| {
                w.u16(1); // ES_ID
                w.u8(0); // no dependency, URL or OCR stream
                w.descriptor(0x04, |w| {
                    w.u8(object_type);
                    w.u8(0x15); // audio stream, upstream 0, reserved 1
                    w.u24(max_size.min(0xFF_FFFF));
                    w.u32(max_bps);
                    w.u32(avg_bps);
                    if let Some(asc) = asc {
                        w.descriptor(0x05, |w| w.bytes(asc));
                    }
                });
                w.descriptor(0x06, |w| w.u8(2)); // SLConfig: predefined for MP4
            });
        });
    });
}

/// A box header at the start of `b`: (type, header length, total length). A size of 0
/// means "to the end" (`rest` bytes).
pub(crate) fn header(b: &[u8], rest: u64) -> Option<([u8; 4], u64, u64)> {
    let size = u64::from(be_u32(b, 0)?);
    let kind: [u8; 4] = b.get(4..8)?.try_into().ok()?;
    match size {
        0 => Some((kind, 8, rest)),
        1 => {
            let large = be_u64(b, 8)?;
            (large >= 16).then_some((kind, 16, large))
        }
        s if s >= 8 => Some((kind, 8, s)),
        _ => None,
    }
}

/// One box found in a buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found<'a> {
    pub kind: [u8; 4],
    /// Offset of the box's first byte in the buffer that was scanned.
    pub start: usize,
    pub body: &'a [u8],
}

/// The boxes one after another in `b`, up to the first malformed one.
pub(crate) fn boxes(b: &[u8]) -> impl Iterator<Item = Found<'_>> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let rest = b.get(pos..)?;
        let (kind, hlen, size) = header(rest, rest.len() as u64)?;
        let size = usize::try_from(size).ok()?;
        let body = rest.get(usize::try_from(hlen).ok()?..size)?;
        let found = Found {
            kind,
            start: pos,
            body,
        };
        pos += size;
        Some(found)
    })
}

/// All the boxes in `b`, which must be boxes and nothing else (`None` otherwise).
pub(crate) fn children(b: &[u8]) -> Option<Vec<Found<'_>>> {
    let all: Vec<Found<'_>> = boxes(b).collect();
    let end = all.last().map_or(0, |f| {
        f.body.as_ptr() as usize - b.as_ptr() as usize + f.body.len()
    });
    (end == b.len()).then_some(all)
}

/// The body of the first child of kind `kind`.
pub(crate) fn child<'a>(b: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(b).find(|f| &f.kind == kind).map(|f| f.body)
}

pub(crate) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub(crate) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_boxes_parse_back_and_malformed_ones_do_not_panic() {
        let mut w = BoxWriter::new();
        w.boxed(b"moof", |b| {
            b.full(b"mfhd", 0, 0, |b| b.u32(7));
            b.boxed(b"traf", |_| {});
        });
        let v = w.finish().expect("test");
        let top = children(&v).expect("boxes");
        assert_eq!((&top[0].kind, top[0].start), (b"moof", 0));
        let mfhd = child(top[0].body, b"mfhd").expect("mfhd");
        assert_eq!(be_u32(mfhd, 4), Some(7));
        assert!(child(top[0].body, b"traf").is_some_and(<[u8]>::is_empty));
        for cut in 0..v.len() {
            // A cut box is not a whole list of boxes, and reading it does not panic.
            assert!(children(&v[..cut]).is_none() || cut == 0, "cut at {cut}");
            let _ = boxes(&v[..cut]).count();
        }
        assert_eq!(header(&[0, 0, 0, 1, b'm', b'd', b'a', b't'], 100), None);
    }

    #[test]
    fn nested_sizes_and_descriptors() {
        let mut w = BoxWriter::new();
        w.boxed(b"moov", |b| {
            b.full(b"mvhd", 1, 0x000007, |b| b.u32(42));
            b.descriptor(3, |b| b.u16(7));
        });
        let v = w.finish().expect("test");
        assert_eq!(&v[0..8], &[0, 0, 0, 31, b'm', b'o', b'o', b'v']);
        assert_eq!(
            &v[8..20],
            &[0, 0, 0, 16, b'm', b'v', b'h', b'd', 1, 0, 0, 7]
        );
        assert_eq!(&v[24..31], &[3, 0x80, 0x80, 0x80, 2, 0, 7]);
    }
}
