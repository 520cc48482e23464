//! Just enough ISO base media file format (ISO/IEC 14496-12) to write and read back the
//! few boxes of fragmented MP4 audio. Hand-written because the boxes are few and fixed, and
//! a general MP4 crate would add more surface than these 150 lines.

/// Builds nested boxes in one buffer, patching each size when the box closes.
#[derive(Default)]
pub(super) struct BoxWriter {
    pub buf: Vec<u8>,
    open: Vec<usize>,
}

impl BoxWriter {
    pub(super) fn open(&mut self, kind: &[u8; 4]) -> &mut Self {
        self.open.push(self.buf.len());
        self.buf.extend_from_slice(&[0, 0, 0, 0]);
        self.buf.extend_from_slice(kind);
        self
    }

    /// Opens a full box (version and 24-bit flags).
    pub(super) fn open_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) -> &mut Self {
        self.open(kind);
        self.u32((u32::from(version) << 24) | (flags & 0x00FF_FFFF))
    }

    pub(super) fn close(&mut self) -> &mut Self {
        if let Some(start) = self.open.pop() {
            // Our boxes are far below 4 GiB: a segment is bounded by its duration.
            let size = (self.buf.len() - start) as u32;
            self.buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
        }
        self
    }

    pub(super) fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub(super) fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(super) fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(super) fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(super) fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    pub(super) fn zeros(&mut self, n: usize) -> &mut Self {
        self.buf.resize(self.buf.len() + n, 0);
        self
    }

    /// The unity transformation matrix of `mvhd` and `tkhd`.
    pub(super) fn matrix(&mut self) -> &mut Self {
        for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            self.u32(v);
        }
        self
    }
}

/// An MPEG-4 descriptor (14496-1 §8.3.3): tag, expandable size, body.
pub(super) fn descriptor(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut d = vec![tag];
    let len = body.len();
    let mut shift = 21;
    let mut started = false;
    while shift > 0 {
        let b = ((len >> shift) & 0x7F) as u8;
        if b != 0 || started {
            d.push(b | 0x80);
            started = true;
        }
        shift -= 7;
    }
    d.push((len & 0x7F) as u8);
    d.extend_from_slice(body);
    d
}

/// One box found in a buffer.
pub(super) struct Found<'a> {
    pub kind: [u8; 4],
    /// Offset of the box's first byte in the buffer that was scanned.
    pub start: usize,
    pub body: &'a [u8],
}

/// The boxes one after another in `b`; `None` if one runs past the end or is malformed.
pub(super) fn children(b: &[u8]) -> Option<Vec<Found<'_>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let head = b.get(pos..pos + 8)?;
        let mut size = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let mut header = 8;
        if size == 1 {
            let large = b.get(pos + 8..pos + 16)?;
            size = u64::from_be_bytes(large.try_into().ok()?);
            header = 16;
        } else if size == 0 {
            size = (b.len() - pos) as u64;
        }
        let size = usize::try_from(size).ok()?;
        if size < header {
            return None;
        }
        let end = pos.checked_add(size)?;
        out.push(Found {
            kind: [head[4], head[5], head[6], head[7]],
            start: pos,
            body: b.get(pos + header..end)?,
        });
        pos = end;
    }
    Some(out)
}

/// The first child of kind `kind`.
pub(super) fn child<'a>(b: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(b)?
        .into_iter()
        .find(|f| &f.kind == kind)
        .map(|f| f.body)
}

pub(super) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn nested_sizes_and_parse_back() {
        let mut w = BoxWriter::default();
        w.open(b"moof")
            .open_full(b"mfhd", 0, 0)
            .u32(7)
            .close()
            .close();
        assert_eq!(w.buf.len(), 8 + 16);
        let top = children(&w.buf).unwrap();
        assert_eq!(&top[0].kind, b"moof");
        let mfhd = child(top[0].body, b"mfhd").unwrap();
        assert_eq!(be_u32(mfhd, 4), Some(7));
        assert_eq!(descriptor(5, &[1, 2]), [5, 2, 1, 2]);
        assert_eq!(descriptor(4, &[0; 200])[..3], [4, 0x81, 0x48]);
    }
}
