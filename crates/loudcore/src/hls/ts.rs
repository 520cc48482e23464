//! MPEG-2 transport stream segments (ISO/IEC 13818-1) carrying one audio elementary stream:
//! ADTS AAC (stream type 0x0F) or MPEG audio (0x03 for MPEG-1, 0x04 for MPEG-2/2.5).
//!
//! Every segment starts with a PAT and a PMT so that it decodes on its own; continuity
//! counters and timestamps carry on across segments, so that the concatenation of all
//! segments is one valid stream.

use super::adts::adts_header;
use super::muxer::{SegmentFile, SegmentMuxer};
use super::timeline::Clock;
use crate::codec::{Codec, Packet, StreamInfo};
use crate::error::Result;

pub(super) const PACKET: usize = 188;
pub(super) const PAT_PID: u16 = 0;
/// The PIDs FFmpeg uses, which tools and eyes are used to.
pub(super) const PMT_PID: u16 = 0x1000;
pub(super) const AUDIO_PID: u16 = 0x100;
/// MPEG audio stream id 0 (`110x xxxx`).
pub(super) const AUDIO_STREAM_ID: u8 = 0xC0;
/// Longest audio per PES packet, in seconds: short enough for fine-grained buffering and
/// seeking, long enough that headers stay a small fraction of the bytes.
const PES_SECONDS: f64 = 0.1;
/// How far the PCR runs ahead of the PTS of the PES it arrives with: the decoder's
/// buffering time in the T-STD model (FFmpeg's default max_delay is 0.7 s).
const PCR_LEAD_TICKS: u64 = 63_000;

pub(super) struct TsMuxer {
    info: StreamInfo,
    clock: Clock,
    stream_type: u8,
    cc_pat: u8,
    cc_pmt: u8,
    cc_audio: u8,
    /// Elementary stream bytes of the PES being collected.
    pes: Vec<u8>,
    pes_pos: u64,
    pes_frames: u64,
    max_pes_frames: u64,
}

impl TsMuxer {
    pub(super) fn new(info: &StreamInfo) -> Result<TsMuxer> {
        let stream_type = match &info.codec {
            Codec::Aac { .. } => {
                // Fails now, not at the first packet, if ADTS cannot describe the stream.
                adts_header(info, 0)?;
                0x0F
            }
            Codec::Mp3 if info.sample_rate >= 32_000 => 0x03,
            Codec::Mp3 => 0x04,
        };
        Ok(TsMuxer {
            info: info.clone(),
            clock: Clock::new(info.sample_rate, info.priming),
            stream_type,
            cc_pat: 0,
            cc_pmt: 0,
            cc_audio: 0,
            pes: Vec::new(),
            pes_pos: 0,
            pes_frames: 0,
            max_pes_frames: (f64::from(info.sample_rate) * PES_SECONDS) as u64,
        })
    }

    fn flush_pes(&mut self, f: &mut SegmentFile) -> Result<()> {
        if self.pes.is_empty() {
            return Ok(());
        }
        let pts = self.clock.ticks(self.pes_pos);
        let mut pes = Vec::with_capacity(14 + self.pes.len());
        pes.extend_from_slice(&[0, 0, 1, AUDIO_STREAM_ID]);
        // 0 means "unbounded", allowed for video only; audio PES stay far below 64 KiB.
        let len = u16::try_from(8 + self.pes.len()).unwrap_or(0);
        pes.extend_from_slice(&len.to_be_bytes());
        pes.push(0x84); // '10', data_alignment_indicator: a frame starts the payload
        pes.push(0x80); // PTS only
        pes.push(5);
        pes.extend_from_slice(&pts_bytes(pts));
        pes.extend_from_slice(&self.pes);

        let pcr = pts.saturating_sub(PCR_LEAD_TICKS);
        let mut rest = &pes[..];
        let mut first = true;
        let mut packet = [0u8; PACKET];
        while !rest.is_empty() {
            let af = if first { Some(pcr) } else { None };
            let n = ts_packet(&mut packet, AUDIO_PID, first, &mut self.cc_audio, af, rest);
            f.write(&packet)?;
            rest = &rest[n..];
            first = false;
        }
        self.pes.clear();
        self.pes_frames = 0;
        Ok(())
    }
}

impl SegmentMuxer for TsMuxer {
    fn start(&mut self, f: &mut SegmentFile, _pos: u64) -> Result<()> {
        let mut packet = [0u8; PACKET];
        ts_packet(
            &mut packet,
            PAT_PID,
            true,
            &mut self.cc_pat,
            None,
            &psi(&pat()),
        );
        f.write(&packet)?;
        let pmt = pmt(self.stream_type);
        ts_packet(
            &mut packet,
            PMT_PID,
            true,
            &mut self.cc_pmt,
            None,
            &psi(&pmt),
        );
        f.write(&packet)
    }

    fn push(&mut self, f: &mut SegmentFile, p: &Packet, pos: u64) -> Result<()> {
        if !self.pes.is_empty() && self.pes_frames + u64::from(p.frames) > self.max_pes_frames {
            self.flush_pes(f)?;
        }
        if self.pes.is_empty() {
            self.pes_pos = pos;
        }
        if matches!(self.info.codec, Codec::Aac { .. }) {
            self.pes
                .extend_from_slice(&adts_header(&self.info, p.data.len())?);
        }
        self.pes.extend_from_slice(&p.data);
        self.pes_frames += u64::from(p.frames);
        Ok(())
    }

    fn end(&mut self, f: &mut SegmentFile) -> Result<()> {
        self.flush_pes(f)
    }
}

/// Fills `out` with one transport packet carrying as much of `payload` as fits; returns
/// the bytes used. `pcr`: the packet opens a PES and gets an adaptation field with the
/// random access indicator and this PCR. A short payload is padded with adaptation-field
/// stuffing (PES) or 0xFF after the section (PSI, which starts with a pointer field).
fn ts_packet(
    out: &mut [u8; PACKET],
    pid: u16,
    unit_start: bool,
    cc: &mut u8,
    pcr: Option<u64>,
    payload: &[u8],
) -> usize {
    let is_psi = pid == PAT_PID || pid == PMT_PID;
    let af_min = if pcr.is_some() { 8 } else { 0 };
    let n = payload.len().min(PACKET - 4 - af_min);
    let stuffing = if is_psi { 0 } else { PACKET - 4 - af_min - n };
    let af_len = af_min + stuffing; // whole adaptation field, length byte included
    out[0] = 0x47;
    out[1] = (u8::from(unit_start) << 6) | ((pid >> 8) as u8 & 0x1F);
    out[2] = pid as u8;
    out[3] = (if af_len > 0 { 0x30 } else { 0x10 }) | (*cc & 0x0F);
    *cc = (*cc + 1) & 0x0F;
    let mut i = 4;
    if af_len > 0 {
        out[i] = (af_len - 1) as u8;
        i += 1;
        if af_len > 1 {
            out[i] = if pcr.is_some() { 0x50 } else { 0x00 }; // random access, PCR
            i += 1;
            if let Some(pcr) = pcr {
                out[i..i + 6].copy_from_slice(&pcr_bytes(pcr));
                i += 6;
            }
            let end = 4 + af_len;
            out[i..end].fill(0xFF);
            i = end;
        }
    }
    out[i..i + n].copy_from_slice(&payload[..n]);
    out[i + n..].fill(0xFF);
    n
}

/// A PSI section behind its pointer field.
fn psi(section: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(1 + section.len());
    v.push(0);
    v.extend_from_slice(section);
    v
}

fn pat() -> Vec<u8> {
    section(
        0x00,
        1, // transport_stream_id
        &[0x00, 0x01, 0xE0 | (PMT_PID >> 8) as u8, PMT_PID as u8],
    )
}

fn pmt(stream_type: u8) -> Vec<u8> {
    section(
        0x02,
        1, // program_number
        &[
            0xE0 | (AUDIO_PID >> 8) as u8, // PCR_PID
            AUDIO_PID as u8,
            0xF0, // program_info_length 0
            0x00,
            stream_type,
            0xE0 | (AUDIO_PID >> 8) as u8,
            AUDIO_PID as u8,
            0xF0, // ES_info_length 0
            0x00,
        ],
    )
}

/// A long-form PSI section (version 0, current, section 0 of 0) with its CRC.
fn section(table_id: u8, id: u16, body: &[u8]) -> Vec<u8> {
    let len = 5 + body.len() + 4;
    let mut s = Vec::with_capacity(3 + len);
    s.push(table_id);
    s.push(0xB0 | ((len >> 8) as u8 & 0x0F));
    s.push(len as u8);
    s.extend_from_slice(&id.to_be_bytes());
    s.extend_from_slice(&[0xC1, 0x00, 0x00]);
    s.extend_from_slice(body);
    let crc = crc32_mpeg(&s);
    s.extend_from_slice(&crc.to_be_bytes());
    s
}

pub(super) fn crc32_mpeg(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A PTS field with the '0010' prefix and marker bits.
fn pts_bytes(pts: u64) -> [u8; 5] {
    [
        0x21 | ((pts >> 29) as u8 & 0x0E),
        (pts >> 22) as u8,
        0x01 | ((pts >> 14) as u8 & 0xFE),
        (pts >> 7) as u8,
        0x01 | ((pts << 1) as u8 & 0xFE),
    ]
}

#[cfg(test)]
pub(super) fn parse_pts(b: &[u8]) -> u64 {
    (u64::from(b[0] & 0x0E) << 29)
        | (u64::from(b[1]) << 22)
        | (u64::from(b[2] & 0xFE) << 14)
        | (u64::from(b[3]) << 7)
        | (u64::from(b[4]) >> 1)
}

/// A PCR of `base` 90 kHz ticks and no 27 MHz extension.
fn pcr_bytes(base: u64) -> [u8; 6] {
    [
        (base >> 25) as u8,
        (base >> 17) as u8,
        (base >> 9) as u8,
        (base >> 1) as u8,
        ((base & 1) as u8) << 7 | 0x7E,
        0,
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn pat_crc_matches_ffmpeg() {
        // FFmpeg's PAT for transport_stream_id 1 and PMT PID 0x1000.
        let s = pat();
        assert_eq!(&s[s.len() - 4..], &[0x2A, 0xB1, 0x04, 0xB2]);
    }

    #[test]
    fn pts_round_trips_33_bits() {
        for pts in [0u64, 126_000, (1 << 33) - 1, 0x1_2345_6789] {
            assert_eq!(parse_pts(&pts_bytes(pts)), pts);
        }
    }
}
