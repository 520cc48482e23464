//! The MP3 file encoder: an ID3v2 tag, then LAME's frames (from one instance, or spliced
//! from several), then the Xing/LAME info frame patched in at the start.

use std::io::SeekFrom;

use super::chunks::{ChunkPlan, Pcm, Workers, run_lame};
use super::lame::{Mp3Config, configure_lame, lame_error};
use super::splice::{SpliceStats, Splicer};
use crate::encode::{Encoded, Encoder, StreamSpec, io_error, partial_frame, tag_text};
use crate::error::{Error, Result};
use crate::input::Tags;
use crate::output::Sink;

pub(crate) struct Mp3Encoder<W> {
    config: Mp3Config,
    sink: W,
    label: String,
    channels: usize,
    /// Where the first MPEG frame (the info tag) starts: after our ID3v2 tag.
    audio_start: u64,
    plan: ChunkPlan,
    /// Input not yet handed to an encoder, from sample `buf_start`.
    buf: Pcm,
    buf_start: u64,
    /// Chunks handed to workers so far.
    dispatched: u64,
    workers: Workers,
    splicer: Splicer,
    /// LAME's info frame from the first chunk's encoder, once it is back.
    info_frame: Option<Vec<u8>>,
    frames: u64,
}

impl<W: Sink> Mp3Encoder<W> {
    pub(crate) fn new(config: Mp3Config, spec: &StreamSpec, sink: W) -> Result<Self> {
        let plan = ChunkPlan::new(config.sample_rate);
        Self::with_plan(config, spec, sink, plan)
    }

    /// With chunks of `plan` (tests use short ones).
    pub(super) fn with_plan(
        config: Mp3Config,
        spec: &StreamSpec,
        mut sink: W,
        plan: ChunkPlan,
    ) -> Result<Self> {
        let label = sink.label();
        // Built once here so that a setting LAME refuses fails now, not in a worker.
        drop(build_lame(&config).map_err(|e| with_file(e, &label))?);

        // Our own ID3v2.3 tag rather than LAME's: LAME takes Latin-1 C strings only, and
        // writing it ourselves makes the offset of the info frame known exactly.
        let id3 = id3v2_tag(&spec.tags);
        sink.write_all(&id3).map_err(io_error(&label))?;
        let channels = usize::from(config.channels);
        Ok(Mp3Encoder {
            config,
            sink,
            label,
            channels,
            audio_start: id3.len() as u64,
            plan,
            buf: Pcm::new(channels),
            buf_start: 0,
            dispatched: 0,
            workers: Workers::new(config),
            splicer: Splicer::new(&plan),
            info_frame: None,
            frames: 0,
        })
    }

    /// Hands chunk `dispatched` (everything buffered, up to `end`) to a worker, keeping
    /// what the next chunk is also fed; `last` if the input ends there.
    fn dispatch(&mut self, end: u64, last: bool) -> Result<()> {
        while self.workers.is_full() {
            self.take_next()?;
        }
        let k = self.dispatched;
        let next_start = self.plan.start(k + 1);
        // What the next chunk is fed too: its pre-roll and this one's lookahead.
        let rest = self.buf.copy_from((next_start - self.buf_start) as usize);
        let pcm = std::mem::replace(&mut self.buf, rest);
        debug_assert_eq!(self.buf_start + pcm.frames() as u64, end);
        let start = self.buf_start;
        let first_frame = start / self.plan.frame_len as u64;
        self.buf_start = next_start;
        self.dispatched += 1;
        self.workers
            .spawn(pcm, start, first_frame, last)
            .map_err(|e| with_file(e, &self.label))
    }

    /// Waits for the oldest chunk in flight and writes what of it is final; false when
    /// none is in flight.
    fn take_next(&mut self) -> Result<bool> {
        let Some(chunk) = self.workers.next() else {
            return Ok(false);
        };
        let mut chunk = chunk.map_err(|e| with_file(e, &self.label))?;
        let Mp3Encoder {
            sink,
            label,
            splicer,
            info_frame,
            ..
        } = self;
        if info_frame.is_none() {
            // The first chunk's: room for it now, its totals once they are known.
            let tag = std::mem::take(&mut chunk.info_frame);
            sink.write_all(&vec![0; tag.len()])
                .map_err(io_error(label))?;
            *info_frame = Some(tag);
        }
        splicer
            .push(chunk, &mut |f: &[u8]| {
                sink.write_all(f).map_err(io_error(label))
            })
            .map_err(|e| with_file(e, label))?;
        Ok(true)
    }

    /// The whole input in one LAME instance, written as LAME wrote it.
    fn finish_single(&mut self) -> Result<()> {
        let Mp3Encoder {
            config,
            sink,
            label,
            buf,
            ..
        } = self;
        let info_frame = run_lame(config, buf, &mut |b: &[u8]| {
            sink.write_all(b).map_err(io_error(label))
        })
        .map_err(|e| with_file(e, label))?;
        // LAME wrote a blank frame of the tag's size at the start of the stream; now that
        // frame counts, sizes, delay and padding are known, put the real tag there.
        self.write_info_frame(&info_frame)
    }

    fn finish_chunks(&mut self) -> Result<SpliceStats> {
        let end = self.buf_start + self.buf.frames() as u64;
        self.dispatch(end, true)?;
        while self.take_next()? {}
        let Mp3Encoder {
            sink,
            label,
            splicer,
            ..
        } = self;
        let (totals, stats) = splicer
            .finish(&mut |f: &[u8]| sink.write_all(f).map_err(io_error(label)))
            .map_err(|e| with_file(e, label))?;
        // No info frame where LAME would write none (its tag does not fit a frame at the
        // lowest CBR rates): the stream is then what LAME alone would have made.
        let mut tag = self.info_frame.take().unwrap_or_default();
        if !tag.is_empty() {
            totals
                .patch(&mut tag, self.frames)
                .map_err(|detail| Error::Internal {
                    file: self.label.clone(),
                    detail: format!("MP3 info tag: {detail}"),
                })?;
            self.write_info_frame(&tag)?;
        }
        Ok(stats)
    }

    fn write_info_frame(&mut self, tag: &[u8]) -> Result<()> {
        if tag.is_empty() {
            return Ok(());
        }
        let here = self.sink.stream_position().map_err(io_error(&self.label))?;
        self.sink
            .seek(SeekFrom::Start(self.audio_start))
            .map_err(io_error(&self.label))?;
        self.sink.write_all(tag).map_err(io_error(&self.label))?;
        self.sink
            .seek(SeekFrom::Start(here))
            .map_err(io_error(&self.label))?;
        Ok(())
    }

    /// [`Encoder::finish`], also saying what happened at the splices.
    pub(super) fn finish_with_stats(mut self) -> Result<(Encoded<W>, SpliceStats)> {
        let stats = if self.dispatched == 0 {
            self.finish_single()?;
            SpliceStats::default()
        } else {
            self.finish_chunks()?
        };
        let label = self.label.clone();
        let bytes = self.sink.seek(SeekFrom::End(0)).map_err(io_error(&label))?;
        self.sink.flush().map_err(io_error(&label))?;
        #[cfg(test)]
        let frames = self.frames;
        let Mp3Encoder { sink, .. } = self;
        Ok((
            Encoded {
                bytes,
                #[cfg(test)]
                frames,
                output: sink,
            },
            stats,
        ))
    }
}

/// Names the output in an internal error raised where the label was not at hand.
fn with_file(e: Error, label: &str) -> Error {
    match e {
        Error::Internal { file, detail } if file.is_empty() => Error::Internal {
            file: label.to_string(),
            detail,
        },
        Error::Cancelled { file } if file.is_empty() => Error::Cancelled {
            file: label.to_string(),
        },
        other => other,
    }
}

fn build_lame(config: &Mp3Config) -> Result<mp3lame_encoder::Encoder> {
    configure_lame(config, true)?
        .build()
        .map_err(|e| lame_error("init", e))
}

impl<W: Sink> Encoder<W> for Mp3Encoder<W> {
    fn write(&mut self, interleaved: &[f32]) -> Result<()> {
        let ch = self.channels;
        if !interleaved.len().is_multiple_of(ch) {
            return Err(partial_frame(&self.label, interleaved.len(), ch));
        }
        let mut rest = interleaved;
        while !rest.is_empty() {
            // Up to the end of what the next chunk is fed, then hand it out.
            let end = self.plan.end(self.dispatched);
            let have = self.buf_start + self.buf.frames() as u64;
            let take = ((end - have) as usize * ch).min(rest.len());
            self.buf.extend(&rest[..take]);
            rest = &rest[take..];
            self.frames += (take / ch) as u64;
            if have + (take / ch) as u64 == end {
                self.dispatch(end, false)?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Encoded<W>> {
        self.finish_with_stats().map(|(encoded, _)| encoded)
    }
}

/// An ID3v2.3 tag with TIT2/TPE1/TALB, or nothing when no tag is set.
///
/// v2.3 rather than v2.4 because every player and tagger reads it (v2.4 is still ignored by
/// some, e.g. older Windows). Text is Latin-1 when it fits, else UTF-16 with a BOM.
fn id3v2_tag(tags: &Tags) -> Vec<u8> {
    let mut frames = Vec::new();
    for (id, value) in [
        (b"TIT2", &tags.title),
        (b"TPE1", &tags.artist),
        (b"TALB", &tags.album),
    ] {
        let Some(text) = value.as_deref() else {
            continue;
        };
        let text = tag_text(text);
        if text.is_empty() {
            continue;
        }
        let mut body = Vec::with_capacity(text.len() * 2 + 3);
        if text.chars().all(|c| u32::from(c) <= 0xFF) {
            body.push(0); // ISO-8859-1
            body.extend(text.chars().map(|c| c as u8));
        } else {
            body.push(1); // UTF-16 with BOM
            body.extend_from_slice(&[0xFF, 0xFE]);
            for u in text.encode_utf16() {
                body.extend_from_slice(&u.to_le_bytes());
            }
        }
        frames.extend_from_slice(id);
        // v2.3 frame sizes are plain big-endian (v2.4 made them syncsafe).
        frames.extend_from_slice(&(body.len() as u32).to_be_bytes());
        frames.extend_from_slice(&[0, 0]); // flags
        frames.extend_from_slice(&body);
    }
    if frames.is_empty() {
        return frames;
    }
    let size = frames.len() as u32; // at most 3 · (10 + 3 + 2 · 2 · crate::encode::MAX_TAG_CHARS)
    let mut tag = Vec::with_capacity(10 + frames.len());
    tag.extend_from_slice(b"ID3");
    tag.extend_from_slice(&[3, 0, 0]); // version 2.3.0, no flags
    // The tag size is syncsafe: 7 bits per byte.
    tag.extend_from_slice(&[
        ((size >> 21) & 0x7F) as u8,
        ((size >> 14) & 0x7F) as u8,
        ((size >> 7) & 0x7F) as u8,
        (size & 0x7F) as u8,
    ]);
    tag.extend_from_slice(&frames);
    tag
}
