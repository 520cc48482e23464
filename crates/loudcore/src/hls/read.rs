//! Reading a written variant back from its segment files, frame by frame, by parsing the
//! containers (not by trusting what the writer meant to write), so that verification
//! decodes exactly what a client will download. One segment is in memory at a time.

use std::path::Path;

use super::Container;
use super::adts::adts_frame;
use super::packed::read_timestamp_tag;
use super::ts::{PACKET, PAT_PID};
use super::writer::VariantOut;
use crate::codec::Codec;
use crate::error::{Error, Result};
use crate::input::parse_mpeg;
use crate::mp4box::{be_u32, child, children};

/// Calls `each` with every codec frame of `v` in order: a raw AAC access unit (no ADTS
/// header) or a whole MP3 frame, as the encoder produced them.
pub(crate) fn read_variant(
    root: &Path,
    v: &VariantOut,
    mut each: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let aac = matches!(v.info.codec, Codec::Aac { .. });
    let mut frames = Frames {
        aac,
        buf: Vec::new(),
    };
    match v.container {
        Container::Ts => {
            let mut demux = TsDemux::default();
            for seg in &v.segments {
                let path = root.join(&seg.file);
                let bytes = read(&path)?;
                demux.segment(&path, &bytes, &mut |es| frames.push(&path, es, &mut each))?;
            }
            if let Some(last) = v.segments.last() {
                let path = root.join(&last.file);
                demux.flush(&path, &mut |es| frames.push(&path, es, &mut each))?;
            }
        }
        Container::Packed => {
            for seg in &v.segments {
                let path = root.join(&seg.file);
                let bytes = read(&path)?;
                let (_, start) = read_timestamp_tag(&bytes)
                    .ok_or_else(|| corrupt(&path, "no ID3 timestamp tag at the start"))?;
                frames.push(&path, &bytes[start..], &mut each)?;
                frames.end(&path)?;
            }
        }
        Container::Fmp4 => {
            let init = v
                .init
                .as_ref()
                .ok_or_else(|| corrupt(root, "fMP4 variant without an initialisation segment"))?;
            let path = root.join(&init.file);
            let bytes = read(&path)?;
            child(&bytes, b"moov").ok_or_else(|| corrupt(&path, "no moov box"))?;
            for seg in &v.segments {
                let path = root.join(&seg.file);
                let bytes = read(&path)?;
                fmp4_samples(&path, &bytes, &mut each)?;
            }
        }
    }
    match v.segments.last() {
        Some(last) => frames.end(&root.join(&last.file)),
        None => Ok(()),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

fn corrupt(path: &Path, detail: &str) -> Error {
    Error::CorruptInput {
        file: path.display().to_string(),
        detail: detail.to_string(),
    }
}

/// Splits an elementary stream (ADTS or MP3) into frames, across PES boundaries.
struct Frames {
    aac: bool,
    buf: Vec<u8>,
}

impl Frames {
    fn push(
        &mut self,
        path: &Path,
        es: &[u8],
        each: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        self.buf.extend_from_slice(es);
        let mut pos = 0;
        while pos < self.buf.len() {
            let rest = &self.buf[pos..];
            let (len, header) = if self.aac {
                match adts_frame(rest) {
                    Some(f) => f,
                    None if rest.len() < 7 => break,
                    None => return Err(corrupt(path, "bytes that are not an ADTS frame")),
                }
            } else {
                match parse_mpeg(rest).filter(|h| h.layer == 3) {
                    Some(h) => (h.len, 0),
                    None if rest.len() < 4 => break,
                    None => return Err(corrupt(path, "bytes that are not an MP3 frame")),
                }
            };
            if rest.len() < len {
                break;
            }
            each(&rest[header..len])?;
            pos += len;
        }
        self.buf.drain(..pos);
        Ok(())
    }

    fn end(&mut self, path: &Path) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(corrupt(path, "the last frame is cut short"))
        }
    }
}

/// Just enough of a transport stream demultiplexer for our segments: PAT → PMT → the
/// first audio stream, PES payloads reassembled.
#[derive(Default)]
struct TsDemux {
    pmt_pid: Option<u16>,
    audio_pid: Option<u16>,
    pes: Vec<u8>,
}

impl TsDemux {
    fn segment(
        &mut self,
        path: &Path,
        b: &[u8],
        out: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        if !b.len().is_multiple_of(PACKET) {
            return Err(corrupt(path, "size is not a multiple of 188 bytes"));
        }
        for p in b.chunks_exact(PACKET) {
            if p[0] != 0x47 {
                return Err(corrupt(path, "lost transport stream sync"));
            }
            let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
            let unit_start = p[1] & 0x40 != 0;
            let afc = (p[3] >> 4) & 3;
            let mut at = 4;
            if afc & 2 != 0 {
                at += 1 + usize::from(p[4]);
            }
            if afc & 1 == 0 || at > PACKET {
                continue;
            }
            let payload = &p[at..];
            if pid == PAT_PID && unit_start {
                let s = section(payload).ok_or_else(|| corrupt(path, "bad PAT"))?;
                // First program entry after the 5-byte header.
                let e = s.get(5..9).ok_or_else(|| corrupt(path, "empty PAT"))?;
                self.pmt_pid = Some((u16::from(e[2] & 0x1F) << 8) | u16::from(e[3]));
            } else if Some(pid) == self.pmt_pid && unit_start {
                let s = section(payload).ok_or_else(|| corrupt(path, "bad PMT"))?;
                self.audio_pid = pmt_audio_pid(s);
            } else if Some(pid) == self.audio_pid {
                if unit_start {
                    self.flush(path, out)?;
                }
                self.pes.extend_from_slice(payload);
            }
        }
        Ok(())
    }

    /// Hands on the payload of the PES collected so far.
    fn flush(&mut self, path: &Path, out: &mut impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        if self.pes.is_empty() {
            return Ok(());
        }
        let p = &self.pes;
        if p.len() < 9 || p[..3] != [0, 0, 1] {
            return Err(corrupt(path, "PES packet without a start code"));
        }
        let start = 9 + usize::from(p[8]);
        let end = match u16::from_be_bytes([p[4], p[5]]) {
            0 => p.len(),
            n => 6 + usize::from(n),
        };
        if start > end || end > p.len() {
            return Err(corrupt(path, "PES packet shorter than its header says"));
        }
        out(&p[start..end])?;
        self.pes.clear();
        Ok(())
    }
}

/// The section of a PSI payload (after its pointer field), up to but without its CRC.
fn section(payload: &[u8]) -> Option<&[u8]> {
    let s = payload.get(1 + usize::from(*payload.first()?)..)?;
    let len = (usize::from(s.get(1)? & 0x0F) << 8) | usize::from(*s.get(2)?);
    s.get(3..3 + len.checked_sub(4)?)
}

fn pmt_audio_pid(s: &[u8]) -> Option<u16> {
    let info_len = (usize::from(s.get(7)? & 0x0F) << 8) | usize::from(*s.get(8)?);
    let mut at = 9 + info_len;
    while at + 5 <= s.len() {
        let stream_type = s[at];
        let pid = (u16::from(s[at + 1] & 0x1F) << 8) | u16::from(s[at + 2]);
        if matches!(stream_type, 0x0F | 0x03 | 0x04) {
            return Some(pid);
        }
        at += 5 + ((usize::from(s[at + 3] & 0x0F) << 8) | usize::from(s[at + 4]));
    }
    None
}

/// The PTS of every PES of the audio PID in a TS segment, for tests.
#[cfg(test)]
pub(super) fn ts_pts(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(PACKET)
        .filter(|p| {
            p[1] & 0x40 != 0
                && ((u16::from(p[1] & 0x1F) << 8) | u16::from(p[2])) == super::ts::AUDIO_PID
        })
        .filter_map(|p| {
            let at = if (p[3] >> 4) & 2 != 0 {
                5 + usize::from(p[4])
            } else {
                4
            };
            let pes = p.get(at..)?;
            (pes.get(7)? & 0x80 != 0).then(|| super::ts::parse_pts(&pes[9..14]))
        })
        .collect()
}

/// Every sample of an fMP4 media segment, from its `moof`/`traf`/`trun` tables.
fn fmp4_samples(path: &Path, b: &[u8], each: &mut impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
    let bad = |what: &str| corrupt(path, what);
    let top = children(b).ok_or_else(|| bad("malformed boxes"))?;
    let mut seen_moof = false;
    for moof in top.iter().filter(|f| &f.kind == b"moof") {
        seen_moof = true;
        for traf in children(moof.body)
            .ok_or_else(|| bad("malformed moof"))?
            .iter()
            .filter(|f| &f.kind == b"traf")
        {
            let tfhd = child(traf.body, b"tfhd").ok_or_else(|| bad("traf without tfhd"))?;
            let (base, default_size) =
                tfhd_fields(tfhd, moof.start).ok_or_else(|| bad("bad tfhd"))?;
            for trun in children(traf.body)
                .ok_or_else(|| bad("malformed traf"))?
                .iter()
                .filter(|f| &f.kind == b"trun")
            {
                let sizes = trun_sizes(trun.body, default_size).ok_or_else(|| bad("bad trun"))?;
                let mut at = base + sizes.0;
                for size in sizes.1 {
                    let sample = usize::try_from(at)
                        .ok()
                        .and_then(|a| b.get(a..a.checked_add(size as usize)?))
                        .ok_or_else(|| bad("sample data outside the segment"))?;
                    each(sample)?;
                    at += i64::from(size);
                }
            }
        }
    }
    if seen_moof {
        Ok(())
    } else {
        Err(bad("no moof box"))
    }
}

/// Base data offset and default sample size of a `tfhd`.
fn tfhd_fields(t: &[u8], moof_start: usize) -> Option<(i64, Option<u32>)> {
    let flags = be_u32(t, 0)? & 0x00FF_FFFF;
    let mut at = 8; // version/flags, track id
    let mut base = moof_start as i64;
    if flags & 0x1 != 0 {
        base = i64::try_from(u64::from_be_bytes(t.get(at..at + 8)?.try_into().ok()?)).ok()?;
        at += 8;
    }
    for bit in [0x2, 0x8] {
        if flags & bit != 0 {
            at += 4;
        }
    }
    let default_size = if flags & 0x10 != 0 {
        Some(be_u32(t, at)?)
    } else {
        None
    };
    Some((base, default_size))
}

/// Data offset and sample sizes of a `trun`.
fn trun_sizes(t: &[u8], default_size: Option<u32>) -> Option<(i64, Vec<u32>)> {
    let flags = be_u32(t, 0)? & 0x00FF_FFFF;
    let count = be_u32(t, 4)? as usize;
    let mut at = 8;
    let mut offset = 0i64;
    if flags & 0x1 != 0 {
        offset = i64::from(be_u32(t, at)? as i32);
        at += 4;
    }
    if flags & 0x4 != 0 {
        at += 4;
    }
    let mut sizes = Vec::with_capacity(count.min(t.len() / 4));
    for _ in 0..count {
        if flags & 0x100 != 0 {
            at += 4;
        }
        let size = if flags & 0x200 != 0 {
            let s = be_u32(t, at)?;
            at += 4;
            s
        } else {
            default_size?
        };
        for bit in [0x400, 0x800] {
            if flags & bit != 0 {
                at += 4;
            }
        }
        sizes.push(size);
    }
    Some((offset, sizes))
}
