//! Where audio comes from: a path, or bytes a service already holds in memory.

use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use symphonia::core::io::MediaSource;

use crate::error::{Error, Result};

/// An input to analyze or normalize.
///
/// ```
/// use loudcore::Input;
/// let from_disk = Input::from("upload.mp3");
/// let from_memory = Input::bytes(vec![0u8; 4]).named("upload.mp3");
/// assert_eq!(from_memory.name(), "upload.mp3");
/// # let _ = from_disk;
/// ```
#[derive(Clone, Debug)]
pub enum Input {
    /// A file on disk.
    Path(PathBuf),
    /// Bytes in memory; `name` only labels errors and reports.
    Bytes { data: Arc<[u8]>, name: String },
}

impl Input {
    /// In-memory bytes, labelled `<bytes>` in messages until [`Input::named`] names them.
    pub fn bytes(data: impl Into<Arc<[u8]>>) -> Self {
        Input::Bytes {
            data: data.into(),
            name: "<bytes>".to_string(),
        }
    }

    /// Gives in-memory bytes a name for messages (no effect on paths).
    pub fn named(self, name: impl Into<String>) -> Self {
        match self {
            Input::Bytes { data, .. } => Input::Bytes {
                data,
                name: name.into(),
            },
            p => p,
        }
    }

    /// The name used in messages: the path as given, or the bytes' label.
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes { name, .. } => name.clone(),
        }
    }

    /// The path, when the input is a file.
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            Input::Path(p) => Some(p),
            Input::Bytes { .. } => None,
        }
    }

    /// Opens the input for reading and returns it with its length in bytes.
    pub(crate) fn open(&self) -> Result<(Box<dyn MediaSource>, u64)> {
        match self {
            Input::Path(p) => {
                let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
                if meta.is_dir() {
                    return Err(Error::Io {
                        file: self.name(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::IsADirectory,
                            "is a directory, not a file",
                        ),
                    });
                }
                let f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
                Ok((Box::new(f), meta.len()))
            }
            Input::Bytes { data, .. } => Ok((
                Box::new(Cursor::new(SharedBytes(data.clone()))),
                data.len() as u64,
            )),
        }
    }

    /// Reads up to `len` bytes at `offset` (fewer at the end of the input).
    pub(crate) fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        match self {
            Input::Bytes { data, .. } => {
                let start = (offset as usize).min(data.len());
                let end = start.saturating_add(len).min(data.len());
                Ok(data[start..end].to_vec())
            }
            Input::Path(p) => {
                let mut f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
                f.seek(SeekFrom::Start(offset))
                    .map_err(|e| Error::io(p, e))?;
                let mut buf = Vec::with_capacity(len);
                f.take(len as u64)
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::io(p, e))?;
                Ok(buf)
            }
        }
    }
}

impl From<PathBuf> for Input {
    fn from(p: PathBuf) -> Self {
        Input::Path(p)
    }
}
impl From<&Path> for Input {
    fn from(p: &Path) -> Self {
        Input::Path(p.to_path_buf())
    }
}
impl From<&str> for Input {
    fn from(p: &str) -> Self {
        Input::Path(PathBuf::from(p))
    }
}
impl From<String> for Input {
    fn from(p: String) -> Self {
        Input::Path(PathBuf::from(p))
    }
}
impl From<Vec<u8>> for Input {
    fn from(b: Vec<u8>) -> Self {
        Input::bytes(b)
    }
}

/// Shared bytes that symphonia can read through a `Cursor` without copying.
#[derive(Clone)]
struct SharedBytes(Arc<[u8]>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
