//! One variant's segments: packets in, segment files out as each completes.

use std::path::{Path, PathBuf};

use super::muxer::{SegmentFile, SegmentMuxer};
use super::timeline::Timeline;
use super::{Container, Layout, fmp4, packed, ts};
use crate::codec::{Codec, Packet, StreamInfo};
use crate::error::{Error, Result};

/// Segment durations accepted, seconds: below one second the playlist overhead dominates;
/// above a minute a player waits too long for its first segment. The upper bound also
/// bounds memory: an fMP4 segment is assembled in memory before it is written.
const MIN_SEGMENT_SECONDS: f64 = 1.0;
const MAX_SEGMENT_SECONDS: f64 = 60.0;
/// A last segment shorter than this joins the one before it. Inputs of round durations
/// end a frame or two past a boundary, and hls.js stalls before `ended` on a final MP3
/// segment of one frame; a second of audio is also the shortest segment we write
/// otherwise.
const MIN_TAIL_SECONDS: f64 = MIN_SEGMENT_SECONDS;

/// Checks a segment duration (the job calls this before any decoding).
pub(crate) fn check_segment_seconds(segment_seconds: f64) -> Result<()> {
    if (MIN_SEGMENT_SECONDS..=MAX_SEGMENT_SECONDS).contains(&segment_seconds) {
        Ok(())
    } else {
        Err(Error::InvalidOptions {
            detail: format!(
                "segment_seconds must be between {MIN_SEGMENT_SECONDS} and \
                 {MAX_SEGMENT_SECONDS}, not {segment_seconds}"
            ),
        })
    }
}

/// One written media segment.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SegmentOut {
    /// Path relative to the ladder's root, `/`-separated.
    pub file: String,
    /// URI relative to the media playlist.
    pub uri: String,
    /// Decoded frames of the packets in it (priming and padding included).
    pub frames: u64,
    /// Frames of it that a player presents: `frames`, less the priming that fMP4's edit
    /// list trims from the first segment.
    pub presented_frames: u64,
    pub bytes: u64,
}

/// A file other than a media segment (the fMP4 initialisation segment).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FileOut {
    pub file: String,
    pub uri: String,
    pub bytes: u64,
}

/// A finished variant: everything the playlists, the verification and the report need.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VariantOut {
    pub name: String,
    pub layout: Layout,
    pub container: Container,
    pub info: StreamInfo,
    /// The media playlist, relative to the root.
    pub playlist: String,
    /// fMP4 only: the initialisation segment (`EXT-X-MAP`).
    pub init: Option<FileOut>,
    pub segments: Vec<SegmentOut>,
    /// The `CODECS` attribute value (`mp4a.40.2`, `mp4a.40.5`, `mp4a.40.34`).
    pub codecs: String,
    /// PCM frames fed to the encoder.
    pub input_frames: u64,
    /// Decoded frames after the input that fill the last packet.
    pub padding: u64,
}

impl SegmentOut {
    pub(crate) fn duration_s(&self, sample_rate: u32) -> f64 {
        self.presented_frames as f64 / f64::from(sample_rate.max(1))
    }
}

/// Packs one variant's packets into segments under `root`.
pub(crate) struct VariantWriter {
    root: PathBuf,
    name: String,
    layout: Layout,
    container: Container,
    info: StreamInfo,
    timeline: Timeline,
    mux: Box<dyn SegmentMuxer>,
    init: Option<FileOut>,
    /// Decoded frames before the next packet.
    pos: u64,
    current: Option<Open>,
    segments: Vec<SegmentOut>,
    /// Priming not yet trimmed by fMP4's edit list.
    untrimmed_priming: u64,
    /// Packets past the latest boundary, with their positions, held back until they
    /// amount to [`MIN_TAIL_SECONDS`]: if the stream ends first they join the segment
    /// before.
    held: Vec<(Packet, u64)>,
    held_frames: u64,
    min_tail_frames: u64,
}

struct Open {
    file: SegmentFile,
    rel: String,
    uri: String,
    frames: u64,
}

impl VariantWriter {
    /// Prepares the variant `name` (already checked by [`super::variant_names`]) under
    /// `root`: creates its directory in the nested layout and, for fMP4, writes the
    /// initialisation segment.
    pub(crate) fn new(
        root: &Path,
        name: &str,
        layout: Layout,
        container: Container,
        info: &StreamInfo,
        segment_seconds: f64,
    ) -> Result<Self> {
        super::names::check_name(name)?;
        check_segment_seconds(segment_seconds)?;
        if info.sample_rate == 0 || info.channels == 0 || info.frame_len == 0 {
            return Err(internal(
                name,
                format!("stream without sample rate, channels or frame length: {info:?}"),
            ));
        }
        if layout == Layout::Nested {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        let mux: Box<dyn SegmentMuxer> = match container {
            Container::Ts => Box::new(ts::TsMuxer::new(info)?),
            Container::Packed => Box::new(packed::PackedMuxer::new(info)?),
            Container::Fmp4 => Box::new(fmp4::Fmp4Muxer::new(info)),
        };
        let init = if container == Container::Fmp4 {
            let (file, uri) = match layout {
                Layout::Nested => (format!("{name}/init.mp4"), "init.mp4".to_string()),
                Layout::Flat => (format!("{name}_init.mp4"), format!("{name}_init.mp4")),
            };
            let bytes = fmp4::init_segment(info)?;
            let path = root.join(&file);
            std::fs::write(&path, &bytes).map_err(|e| Error::io(&path, e))?;
            Some(FileOut {
                file,
                uri,
                bytes: bytes.len() as u64,
            })
        } else {
            None
        };
        Ok(VariantWriter {
            root: root.to_path_buf(),
            name: name.to_string(),
            layout,
            container,
            info: info.clone(),
            timeline: Timeline::new(info.sample_rate, info.priming, segment_seconds),
            mux,
            init,
            pos: 0,
            current: None,
            segments: Vec::new(),
            untrimmed_priming: if container == Container::Fmp4 {
                u64::from(info.priming)
            } else {
                0
            },
            held: Vec::new(),
            held_frames: 0,
            min_tail_frames: (MIN_TAIL_SECONDS * f64::from(info.sample_rate)).ceil() as u64,
        })
    }

    /// Adds the next packet. A packet that starts at or after the next segment boundary
    /// starts a new segment, once enough audio follows it (see `held`).
    pub(crate) fn push(&mut self, p: &Packet) -> Result<()> {
        if p.frames == 0 || p.data.is_empty() {
            return Err(internal(&self.name, "empty packet from the encoder".into()));
        }
        let pos = self.pos;
        self.pos += u64::from(p.frames);
        let cut = self.timeline.cuts_before(pos);
        if self.current.is_none() {
            self.open_segment(pos)?;
        } else if cut {
            // A boundary reached while holding (segments as short as the tail minimum):
            // what is held makes a segment of its own.
            self.start_held()?;
            self.held.push((p.clone(), pos));
            self.held_frames = u64::from(p.frames);
        } else if !self.held.is_empty() {
            self.held.push((p.clone(), pos));
            self.held_frames += u64::from(p.frames);
        }
        if !self.held.is_empty() {
            if self.held_frames >= self.min_tail_frames {
                self.start_held()?;
            }
            return Ok(());
        }
        self.mux_push(p, pos)
    }

    /// Adds a packet to the open segment.
    fn mux_push(&mut self, p: &Packet, pos: u64) -> Result<()> {
        let Some(open) = self.current.as_mut() else {
            return Err(internal(&self.name, "no open segment".into()));
        };
        self.mux.push(&mut open.file, p, pos)?;
        open.frames += u64::from(p.frames);
        Ok(())
    }

    /// Completes the open segment and starts the next with the held packets.
    fn start_held(&mut self) -> Result<()> {
        let held = std::mem::take(&mut self.held);
        self.held_frames = 0;
        let Some(&(_, first)) = held.first() else {
            return Ok(());
        };
        self.close_segment()?;
        self.open_segment(first)?;
        for (p, pos) in &held {
            self.mux_push(p, *pos)?;
        }
        Ok(())
    }

    /// Completes the last segment. `input_frames` is what the encoder consumed (its
    /// `finish` value), from which the end padding follows.
    pub(crate) fn finish(mut self, input_frames: u64) -> Result<VariantOut> {
        // A short tail stays in the last segment.
        for (p, pos) in std::mem::take(&mut self.held) {
            self.mux_push(&p, pos)?;
        }
        self.close_segment()?;
        if self.segments.is_empty() {
            return Err(internal(
                &self.name,
                "the encoder produced no packets".into(),
            ));
        }
        let priming = u64::from(self.info.priming);
        let padding = self
            .pos
            .checked_sub(priming + input_frames)
            .ok_or_else(|| {
                internal(
                    &self.name,
                    format!(
                        "{} decoded frames cannot hold {priming} priming and {input_frames} \
                         input frames",
                        self.pos
                    ),
                )
            })?;
        let playlist = match self.layout {
            Layout::Nested => format!("{}/playlist.m3u8", self.name),
            Layout::Flat => format!("{}.m3u8", self.name),
        };
        Ok(VariantOut {
            codecs: self.info.codec.rfc6381(),
            name: self.name,
            layout: self.layout,
            container: self.container,
            info: self.info,
            playlist,
            init: self.init,
            segments: self.segments,
            input_frames,
            padding,
        })
    }

    /// Opens the next segment, whose first packet starts at decoded frame `pos`.
    fn open_segment(&mut self, pos: u64) -> Result<()> {
        let index = self.segments.len();
        let ext = extension(self.container, &self.info.codec);
        let (rel, uri) = match self.layout {
            Layout::Nested => {
                let uri = format!("segment_{index:05}.{ext}");
                (format!("{}/{uri}", self.name), uri)
            }
            Layout::Flat => {
                let uri = format!("{}_{index:03}.{ext}", self.name);
                (uri.clone(), uri)
            }
        };
        let mut file = SegmentFile::create(self.root.join(&rel))?;
        self.mux.start(&mut file, pos)?;
        self.current = Some(Open {
            file,
            rel,
            uri,
            frames: 0,
        });
        Ok(())
    }

    fn close_segment(&mut self) -> Result<()> {
        let Some(mut open) = self.current.take() else {
            return Ok(());
        };
        self.mux.end(&mut open.file)?;
        let bytes = open.file.close()?;
        let trimmed = self.untrimmed_priming.min(open.frames);
        self.untrimmed_priming -= trimmed;
        self.segments.push(SegmentOut {
            file: open.rel,
            uri: open.uri,
            frames: open.frames,
            presented_frames: open.frames - trimmed,
            bytes,
        });
        Ok(())
    }
}

fn extension(container: Container, codec: &Codec) -> &'static str {
    match container {
        Container::Ts => "ts",
        Container::Packed => codec.packed_extension(),
        Container::Fmp4 => "m4s",
    }
}

fn internal(name: &str, detail: String) -> Error {
    Error::Internal {
        file: format!("HLS variant {name}"),
        detail,
    }
}
