//! Fragmented MP4 / CMAF audio: an initialisation segment (`ftyp` + `moov`) and media
//! segments of one `moof` + `mdat` each.
//!
//! The media timeline is in decoded frames (timescale = sample rate) and starts at 0 with
//! the priming; the edit list (`elst` media_time = priming) moves presentation time 0 to the
//! first input sample, so players drop the encoder delay exactly. MP3 goes in an `mp4a`
//! sample entry with object type 0x6B/0x69 (as FFmpeg and Apple write it).

use super::bmff::{BoxWriter, descriptor};
use super::writer::{SegmentFile, SegmentMuxer};
use crate::encode::packet::{Codec, Packet, StreamInfo};
use crate::error::{Error, Result};

const TRACK_ID: u32 = 1;
/// Movie timescale of `mvhd` (only durations of 0 are written in it).
const MOVIE_TIMESCALE: u32 = 1000;

/// The initialisation segment for `info`.
pub(super) fn init_segment(info: &StreamInfo) -> Result<Vec<u8>> {
    let priming = i32::try_from(info.priming).map_err(|_| Error::Internal {
        file: String::new(),
        detail: format!(
            "priming of {} frames does not fit an edit list",
            info.priming
        ),
    })?;
    let mut w = BoxWriter::default();
    w.open(b"ftyp")
        .bytes(b"iso6")
        .u32(0)
        .bytes(b"iso6")
        .bytes(b"mp41");
    if matches!(info.codec, Codec::Aac { .. }) {
        w.bytes(b"cmfc");
    }
    w.close();

    w.open(b"moov");
    w.open_full(b"mvhd", 0, 0)
        .u32(0) // creation time
        .u32(0) // modification time
        .u32(MOVIE_TIMESCALE)
        .u32(0) // duration: in the fragments
        .u32(0x0001_0000) // rate 1.0
        .u16(0x0100) // volume 1.0
        .zeros(10)
        .matrix()
        .zeros(24)
        .u32(TRACK_ID + 1) // next track id
        .close();

    w.open(b"trak");
    w.open_full(b"tkhd", 0, 3) // enabled, in movie
        .u32(0)
        .u32(0)
        .u32(TRACK_ID)
        .u32(0)
        .u32(0) // duration
        .zeros(8)
        .u16(0) // layer
        .u16(1) // alternate group
        .u16(0x0100) // volume
        .u16(0)
        .matrix()
        .u32(0) // width
        .u32(0) // height
        .close();
    // segment_duration 0: the edit covers all of the (fragmented) media.
    w.open(b"edts")
        .open_full(b"elst", 0, 0)
        .u32(1)
        .u32(0)
        .u32(priming as u32)
        .u16(1)
        .u16(0);
    w.close().close();

    w.open(b"mdia");
    w.open_full(b"mdhd", 0, 0)
        .u32(0)
        .u32(0)
        .u32(info.sample_rate)
        .u32(0)
        .u16(0x55C4) // "und"
        .u16(0)
        .close();
    w.open_full(b"hdlr", 0, 0)
        .u32(0)
        .bytes(b"soun")
        .zeros(12)
        .bytes(b"SoundHandler\0")
        .close();
    w.open(b"minf");
    w.open_full(b"smhd", 0, 0).u16(0).u16(0).close();
    w.open(b"dinf").open_full(b"dref", 0, 0).u32(1);
    w.open_full(b"url ", 0, 1).close(); // media in this file
    w.close().close();
    w.open(b"stbl");
    w.open_full(b"stsd", 0, 0).u32(1);
    sample_entry(&mut w, info);
    w.close();
    w.open_full(b"stts", 0, 0).u32(0).close();
    w.open_full(b"stsc", 0, 0).u32(0).close();
    w.open_full(b"stsz", 0, 0).u32(0).u32(0).close();
    w.open_full(b"stco", 0, 0).u32(0).close();
    w.close(); // stbl
    w.close(); // minf
    w.close(); // mdia
    w.close(); // trak

    w.open(b"mvex");
    w.open_full(b"trex", 0, 0)
        .u32(TRACK_ID)
        .u32(1) // sample description index
        .u32(info.frame_len)
        .u32(0) // size: in each trun
        .u32(0) // flags: every audio frame is a sync sample
        .close();
    w.close(); // mvex
    w.close(); // moov
    Ok(w.buf)
}

fn sample_entry(w: &mut BoxWriter, info: &StreamInfo) {
    w.open(b"mp4a")
        .zeros(6)
        .u16(1) // data reference index
        .zeros(8)
        .u16(info.channels)
        .u16(16)
        .u16(0)
        .u16(0)
        // 16.16 fixed point; rates above 65535 Hz do not fit and are taken from the ASC.
        .u32(if info.sample_rate <= 0xFFFF {
            info.sample_rate << 16
        } else {
            0
        });
    let (object_type, dsi) = match &info.codec {
        Codec::Aac { asc, .. } => (0x40, Some(asc.as_slice())),
        Codec::Mp3 if info.sample_rate >= 32_000 => (0x6B, None),
        Codec::Mp3 => (0x69, None),
    };
    let mut dcd = vec![object_type, 0x15]; // audio stream
    // bufferSizeDB: the largest AAC frame (6144 bits per channel), MP3's is smaller.
    let buffer = 768 * u32::from(info.channels);
    dcd.extend_from_slice(&buffer.to_be_bytes()[1..]);
    dcd.extend_from_slice(&info.bit_rate.to_be_bytes()); // max
    dcd.extend_from_slice(&info.bit_rate.to_be_bytes()); // average
    if let Some(dsi) = dsi {
        dcd.extend_from_slice(&descriptor(5, dsi));
    }
    let mut es = Vec::new();
    es.extend_from_slice(&(TRACK_ID as u16).to_be_bytes());
    es.push(0);
    es.extend_from_slice(&descriptor(4, &dcd));
    es.extend_from_slice(&descriptor(6, &[2]));
    w.open_full(b"esds", 0, 0)
        .bytes(&descriptor(3, &es))
        .close();
    w.close();
}

/// Collects one segment's frames (bounded by the segment duration) until its `moof` can be
/// written: the `trun` lists every sample size before the data.
pub(super) struct Fmp4Muxer {
    frame_len: u32,
    sequence: u32,
    start: u64,
    sizes: Vec<u32>,
    durations: Vec<u32>,
    data: Vec<u8>,
}

impl Fmp4Muxer {
    pub(super) fn new(info: &StreamInfo) -> Fmp4Muxer {
        Fmp4Muxer {
            frame_len: info.frame_len,
            sequence: 0,
            start: 0,
            sizes: Vec::new(),
            durations: Vec::new(),
            data: Vec::new(),
        }
    }

    fn moof(&self, data_offset: u32) -> Vec<u8> {
        let uniform = self.durations.iter().all(|&d| d == self.frame_len);
        let mut w = BoxWriter::default();
        w.open(b"moof");
        w.open_full(b"mfhd", 0, 0).u32(self.sequence).close();
        w.open(b"traf");
        // default-base-is-moof, default-sample-duration
        w.open_full(b"tfhd", 0, 0x02_0008)
            .u32(TRACK_ID)
            .u32(self.frame_len)
            .close();
        w.open_full(b"tfdt", 1, 0).u64(self.start).close();
        let flags = 0x0001 | 0x0200 | if uniform { 0 } else { 0x0100 };
        w.open_full(b"trun", 0, flags)
            .u32(self.sizes.len() as u32)
            .u32(data_offset);
        for (&size, &duration) in self.sizes.iter().zip(&self.durations) {
            if !uniform {
                w.u32(duration);
            }
            w.u32(size);
        }
        w.close().close().close();
        w.buf
    }
}

impl SegmentMuxer for Fmp4Muxer {
    fn start(&mut self, _f: &mut SegmentFile, pos: u64) -> Result<()> {
        self.sequence += 1;
        self.start = pos;
        self.sizes.clear();
        self.durations.clear();
        self.data.clear();
        Ok(())
    }

    fn push(&mut self, _f: &mut SegmentFile, p: &Packet, _pos: u64) -> Result<()> {
        let size = u32::try_from(p.data.len()).map_err(|_| Error::Internal {
            file: String::new(),
            detail: format!("packet of {} bytes", p.data.len()),
        })?;
        self.sizes.push(size);
        self.durations.push(p.frames);
        self.data.extend_from_slice(&p.data);
        Ok(())
    }

    fn end(&mut self, f: &mut SegmentFile) -> Result<()> {
        // The moof's size does not depend on the offset value, so measure it first.
        let moof_len = self.moof(0).len();
        let mdat_len = 8 + self.data.len();
        let moof = self.moof((moof_len + 8) as u32);
        f.write(&moof)?;
        f.write(&(mdat_len as u32).to_be_bytes())?;
        f.write(b"mdat")?;
        f.write(&self.data)
    }
}
