//! What every segment container implements (`ts`, `packed`, `fmp4`), and the file it
//! writes into. The writer picks a muxer; the muxers know nothing of the writer.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::codec::Packet;
use crate::error::{Error, Result};

/// A segment file being written, counting its bytes.
pub(super) struct SegmentFile {
    path: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
}

impl SegmentFile {
    pub(super) fn create(path: PathBuf) -> Result<SegmentFile> {
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(SegmentFile {
            out: BufWriter::with_capacity(64 * 1024, file),
            path,
            bytes: 0,
        })
    }

    pub(super) fn write(&mut self, b: &[u8]) -> Result<()> {
        self.out
            .write_all(b)
            .map_err(|e| Error::io(&self.path, e))?;
        self.bytes += b.len() as u64;
        Ok(())
    }

    pub(super) fn close(mut self) -> Result<u64> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.bytes)
    }
}

/// What a container does with a segment's packets.
pub(super) trait SegmentMuxer: Send {
    /// Opens a segment whose first packet starts at decoded frame `pos`.
    fn start(&mut self, f: &mut SegmentFile, pos: u64) -> Result<()>;
    /// Adds the packet starting at decoded frame `pos`.
    fn push(&mut self, f: &mut SegmentFile, p: &Packet, pos: u64) -> Result<()>;
    /// Completes the segment.
    fn end(&mut self, f: &mut SegmentFile) -> Result<()>;
}
