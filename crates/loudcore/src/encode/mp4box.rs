//! A minimal ISO BMFF (MP4) box writer: nested boxes built in memory with their sizes
//! patched on close. Enough for an M4A `moov` and for fMP4 init/fragment headers; sample
//! data (`mdat`) is streamed by the caller, not built here.

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

#[cfg(test)]
mod tests {
    use super::*;

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
