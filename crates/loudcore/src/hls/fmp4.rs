//! Fragmented MP4 / CMAF audio: an initialisation segment (`ftyp` + `moov`) and media
//! segments of one `moof` + `mdat` each.
//!
//! The media timeline is in decoded frames (timescale = sample rate) and starts at 0 with
//! the priming; the edit list (`elst` media_time = priming) moves presentation time 0 to the
//! first input sample, so players drop the encoder delay exactly. MP3 goes in an `mp4a`
//! sample entry with object type 0x6B/0x69 (as FFmpeg and Apple write it).

use super::muxer::{SegmentFile, SegmentMuxer};
use crate::codec::{Codec, Packet, StreamInfo};
use crate::error::{Error, Result};
use crate::mp4box::{BoxWriter, audio_sample_entry};

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
    let mut w = BoxWriter::new();
    w.boxed(b"ftyp", |w| {
        w.bytes(b"iso6");
        w.u32(0);
        w.bytes(b"iso6");
        w.bytes(b"mp41");
        if matches!(info.codec, Codec::Aac { .. }) {
            w.bytes(b"cmfc");
        }
    });
    w.boxed(b"moov", |w| {
        w.full(b"mvhd", 0, 0, |w| {
            w.u32(0); // creation time
            w.u32(0); // modification time
            w.u32(MOVIE_TIMESCALE);
            w.u32(0); // duration: in the fragments
            w.u32(0x0001_0000); // rate 1.0
            w.u16(0x0100); // volume 1.0
            w.zeros(10);
            w.unity_matrix();
            w.zeros(24);
            w.u32(TRACK_ID + 1); // next track id
        });
        w.boxed(b"trak", |w| {
            w.full(b"tkhd", 0, 3, |w| {
                // enabled, in movie
                w.u32(0);
                w.u32(0);
                w.u32(TRACK_ID);
                w.u32(0);
                w.u32(0); // duration
                w.zeros(8);
                w.u16(0); // layer
                w.u16(1); // alternate group
                w.u16(0x0100); // volume
                w.u16(0);
                w.unity_matrix();
                w.u32(0); // width
                w.u32(0); // height
            });
            // segment_duration 0: the edit covers all of the (fragmented) media.
            w.boxed(b"edts", |w| {
                w.full(b"elst", 0, 0, |w| {
                    w.u32(1);
                    w.u32(0);
                    w.i32(priming);
                    w.u16(1);
                    w.u16(0);
                });
            });
            w.boxed(b"mdia", |w| {
                w.full(b"mdhd", 0, 0, |w| {
                    w.u32(0);
                    w.u32(0);
                    w.u32(info.sample_rate);
                    w.u32(0);
                    w.u16(0x55C4); // "und"
                    w.u16(0);
                });
                w.sound_handler();
                w.boxed(b"minf", |w| {
                    w.sound_media_info();
                    w.boxed(b"stbl", |w| {
                        w.full(b"stsd", 0, 0, |w| {
                            w.u32(1);
                            // bufferSizeDB: the largest AAC frame (6144 bits per
                            // channel); MP3's is smaller.
                            let max_size = 768 * u32::from(info.channels);
                            audio_sample_entry(w, info, max_size, info.bit_rate, info.bit_rate);
                        });
                        w.full(b"stts", 0, 0, |w| w.u32(0));
                        w.full(b"stsc", 0, 0, |w| w.u32(0));
                        w.full(b"stsz", 0, 0, |w| {
                            w.u32(0);
                            w.u32(0);
                        });
                        w.full(b"stco", 0, 0, |w| w.u32(0));
                    });
                });
            });
        });
        w.boxed(b"mvex", |w| {
            w.full(b"trex", 0, 0, |w| {
                w.u32(TRACK_ID);
                w.u32(1); // sample description index
                w.u32(info.frame_len);
                w.u32(0); // size: in each trun
                w.u32(0); // flags: every audio frame is a sync sample
            });
        });
    });
    w.finish()
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

    fn moof(&self, data_offset: u32) -> Result<Vec<u8>> {
        let uniform = self.durations.iter().all(|&d| d == self.frame_len);
        let mut w = BoxWriter::new();
        w.boxed(b"moof", |w| {
            w.full(b"mfhd", 0, 0, |w| w.u32(self.sequence));
            w.boxed(b"traf", |w| {
                // default-base-is-moof, default-sample-duration
                w.full(b"tfhd", 0, 0x02_0008, |w| {
                    w.u32(TRACK_ID);
                    w.u32(self.frame_len);
                });
                w.full(b"tfdt", 1, 0, |w| w.u64(self.start));
                let flags = 0x0001 | 0x0200 | if uniform { 0 } else { 0x0100 };
                w.full(b"trun", 0, flags, |w| {
                    w.u32(self.sizes.len() as u32);
                    w.u32(data_offset);
                    for (&size, &duration) in self.sizes.iter().zip(&self.durations) {
                        if !uniform {
                            w.u32(duration);
                        }
                        w.u32(size);
                    }
                });
            });
        });
        w.finish()
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
        let moof_len = self.moof(0)?.len();
        let mdat_len = 8 + self.data.len();
        let moof = self.moof((moof_len + 8) as u32)?;
        f.write(&moof)?;
        f.write(&(mdat_len as u32).to_be_bytes())?;
        f.write(b"mdat")?;
        f.write(&self.data)
    }
}
