//! Packed audio segments (RFC 8216 §3.4): ADTS AAC or MP3 frames, each segment opening with
//! an ID3v2.4 tag whose PRIV frame `com.apple.streaming.transportStreamTimestamp` gives the
//! 90 kHz timestamp of its first frame, which is how a client places the segment in time.

use super::adts::adts_header;
use super::muxer::{SegmentFile, SegmentMuxer};
use super::timeline::Clock;
use crate::codec::{Codec, Packet, StreamInfo};
use crate::error::Result;

pub(super) const TIMESTAMP_OWNER: &[u8] = b"com.apple.streaming.transportStreamTimestamp";

pub(super) struct PackedMuxer {
    info: StreamInfo,
    clock: Clock,
}

impl PackedMuxer {
    pub(super) fn new(info: &StreamInfo) -> Result<PackedMuxer> {
        if let Codec::Aac { .. } = &info.codec {
            // Fails now, not at the first packet, if ADTS cannot describe the stream.
            adts_header(info, 0)?;
        }
        Ok(PackedMuxer {
            info: info.clone(),
            clock: Clock::new(info.sample_rate, info.priming),
        })
    }
}

impl SegmentMuxer for PackedMuxer {
    fn start(&mut self, f: &mut SegmentFile, pos: u64) -> Result<()> {
        f.write(&timestamp_tag(self.clock.ticks(pos)))
    }

    fn push(&mut self, f: &mut SegmentFile, p: &Packet, _pos: u64) -> Result<()> {
        if matches!(self.info.codec, Codec::Aac { .. }) {
            f.write(&adts_header(&self.info, p.data.len())?)?;
        }
        f.write(&p.data)
    }

    fn end(&mut self, _f: &mut SegmentFile) -> Result<()> {
        Ok(())
    }
}

/// The ID3v2.4 tag holding one PRIV frame with the 33-bit timestamp as 8 bytes big-endian.
fn timestamp_tag(ticks: u64) -> Vec<u8> {
    let frame_body = TIMESTAMP_OWNER.len() + 1 + 8;
    let tag_body = 10 + frame_body;
    let mut t = Vec::with_capacity(10 + tag_body);
    t.extend_from_slice(b"ID3\x04\x00\x00");
    t.extend_from_slice(&syncsafe(tag_body as u32));
    t.extend_from_slice(b"PRIV");
    // ID3v2.4 frame sizes are syncsafe too (v2.3's were not).
    t.extend_from_slice(&syncsafe(frame_body as u32));
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(TIMESTAMP_OWNER);
    t.push(0);
    t.extend_from_slice(&(ticks & ((1 << 33) - 1)).to_be_bytes());
    t
}

fn syncsafe(n: u32) -> [u8; 4] {
    [
        (n >> 21) as u8 & 0x7F,
        (n >> 14) as u8 & 0x7F,
        (n >> 7) as u8 & 0x7F,
        n as u8 & 0x7F,
    ]
}

/// The timestamp of a packed segment and the offset of its first frame, if it starts
/// with our ID3 tag.
pub(super) fn read_timestamp_tag(b: &[u8]) -> Option<(u64, usize)> {
    if b.len() < 10 || &b[..3] != b"ID3" {
        return None;
    }
    let size = b[6..10]
        .iter()
        .fold(0usize, |acc, &x| (acc << 7) | usize::from(x & 0x7F));
    let footer = if b[5] & 0x10 != 0 { 10 } else { 0 };
    let end = 10 + size + footer;
    let body = b.get(10..10 + size)?;
    let owner_at = body
        .windows(TIMESTAMP_OWNER.len())
        .position(|w| w == TIMESTAMP_OWNER)?;
    let ts =
        body.get(owner_at + TIMESTAMP_OWNER.len() + 1..owner_at + TIMESTAMP_OWNER.len() + 9)?;
    let mut be = [0u8; 8];
    be.copy_from_slice(ts);
    Some((u64::from_be_bytes(be), end))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn tag_layout() {
        let t = timestamp_tag(126_000);
        assert_eq!(t.len(), 10 + 10 + 45 + 8);
        assert_eq!(&t[..5], b"ID3\x04\x00");
        assert_eq!(read_timestamp_tag(&t), Some((126_000, t.len())));
    }
}
