//! Atomic output files: everything is written to a hidden temporary file beside the
//! destination and renamed over it only once complete, so that on an error, a cancel or a
//! crash nothing partial is left behind and an existing destination stays untouched.

use std::any::Any;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use crate::error::{Error, Result};

/// Write buffer of a [`TempOutput`]: large enough that encoders emitting small frames do
/// not turn into one system call each.
const BUFFER_BYTES: usize = 256 * 1024;

/// The prefix of a hidden temporary file or directory beside `name`,
/// `.{name}.loudcore-{kind}`: hidden so that whatever watches the directory skips it, and
/// marked so that what a crash leaves behind can be told from the user's files.
pub(crate) fn temp_prefix(name: &OsStr, kind: &str) -> OsString {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".loudcore-");
    prefix.push(kind);
    prefix
}

/// Where an encoder writes: seekable (headers are patched at the end) and named, so that
/// I/O errors can say which output failed.
pub(crate) trait Sink: Write + Seek + Send {
    /// The name to put in error messages (the destination, not the temporary file).
    fn label(&self) -> String;

    /// For the codec registry, whose encoders write to a boxed sink: the caller gets its
    /// own sink type back by downcasting.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl Sink for Box<dyn Sink> {
    fn label(&self) -> String {
        (**self).label()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        <dyn Sink>::into_any(*self)
    }
}

/// A temporary file beside `dest` that becomes `dest` on [`TempOutput::commit`].
///
/// Dropping it without committing removes the temporary file.
pub(crate) struct TempOutput {
    dest: PathBuf,
    /// `None` only after `commit` or inside `drop`.
    file: Option<BufWriter<File>>,
    /// Deletes the temporary file when dropped; renamed onto `dest` by `commit`.
    temp: Option<TempPath>,
}

impl TempOutput {
    /// Creates `.{name}.loudcore-XXXXXX.tmp` in the directory of `dest`.
    ///
    /// The same directory (not the system temp dir) so that the final rename stays on one
    /// file system and is atomic.
    pub(crate) fn create(dest: &Path) -> Result<TempOutput> {
        let name = dest.file_name().ok_or_else(|| Error::Io {
            file: dest.display().to_string(),
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                "the output path has no file name (give one such as out.mp3)",
            ),
        })?;
        if dest.is_dir() {
            return Err(Error::Io {
                file: dest.display().to_string(),
                source: io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "the output path is a directory (give a file name such as out.mp3)",
                ),
            });
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Checked up front because tempfile would report a missing directory as "No such
        // file or directory" on the random temporary name, which tells the caller nothing.
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::Io {
                    file: dir.display().to_string(),
                    source: io::Error::new(
                        io::ErrorKind::NotADirectory,
                        "the output directory is not a directory",
                    ),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::Io {
                    file: dir.display().to_string(),
                    source: io::Error::new(
                        io::ErrorKind::NotFound,
                        "the output directory does not exist",
                    ),
                });
            }
            Err(e) => {
                return Err(Error::Io {
                    file: dir.display().to_string(),
                    source: e,
                });
            }
        }

        let prefix = temp_prefix(name, "");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp").rand_bytes(6);
        // tempfile creates 0600 files; an output is an ordinary file, so ask for 0666 and
        // let the umask narrow it as it would for any other new file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let named = builder.tempfile_in(&dir).map_err(|e| Error::Io {
            file: dest.display().to_string(),
            source: e,
        })?;
        // Replacing a file keeps its permissions, like an in-place overwrite would.
        if let Ok(meta) = std::fs::metadata(dest) {
            named
                .as_file()
                .set_permissions(meta.permissions())
                .map_err(|e| Error::Io {
                    file: dest.display().to_string(),
                    source: e,
                })?;
        }
        let (file, temp) = named.into_parts();
        Ok(TempOutput {
            dest: dest.to_path_buf(),
            file: Some(BufWriter::with_capacity(BUFFER_BYTES, file)),
            temp: Some(temp),
        })
    }

    /// The temporary file, for reading back what was written (verification) before commit.
    /// Call [`Write::flush`] first so that buffered bytes are in the file.
    pub(crate) fn temp_path(&self) -> &Path {
        // `temp` is only taken by `commit` and `drop`, which consume self.
        self.temp.as_deref().unwrap_or(&self.dest)
    }

    /// Flushes, syncs to disk and renames the temporary file over the destination
    /// (replacing an existing file only now).
    pub(crate) fn commit(mut self) -> Result<()> {
        let io_err = |source| Error::Io {
            file: self.dest.display().to_string(),
            source,
        };
        let (Some(writer), Some(temp)) = (self.file.take(), self.temp.take()) else {
            return Err(Error::Internal {
                file: self.dest.display().to_string(),
                detail: "temporary output committed twice".into(),
            });
        };
        let file = writer.into_inner().map_err(|e| io_err(e.into_error()))?;
        // Without the sync a crash shortly after the rename could leave a complete-looking
        // name with missing data on some file systems.
        file.sync_all().map_err(io_err)?;
        drop(file);
        // On failure the TempPath inside the error is dropped, which removes the file.
        temp.persist(&self.dest).map_err(|e| io_err(e.error))?;
        sync_dir(&self.dest);
        Ok(())
    }
}

/// Makes the rename durable by syncing the directory entry. Best effort: some platforms and
/// file systems cannot open or sync a directory, and the data itself is already synced.
fn sync_dir(dest: &Path) {
    #[cfg(unix)]
    {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = dest;
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        // Discard buffered bytes instead of flushing them into a file about to be deleted.
        if let Some(w) = self.file.take() {
            let _ = w.into_parts();
        }
        // `temp` drops next and removes the file.
    }
}

impl TempOutput {
    fn writer(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("temporary output already closed"))
    }
}

impl Write for TempOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

impl Seek for TempOutput {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.writer()?.seek(pos)
    }
}

impl Sink for TempOutput {
    fn label(&self) -> String {
        self.dest.display().to_string()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// In-memory sink, for encoders whose output is not a file of its own (and for tests).
impl Sink for io::Cursor<Vec<u8>> {
    fn label(&self) -> String {
        "<memory>".into()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".loudcore-"))
            .collect()
    }

    #[test]
    fn commit_creates_the_destination_and_no_temp_file_remains() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("out.wav");
        let mut out = TempOutput::create(&dest).expect("create");
        let temp = out.temp_path().to_path_buf();
        let temp_name = temp
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            temp.parent(),
            Some(dir.path()),
            "temp file beside the destination"
        );
        assert!(
            temp_name.starts_with(".out.wav.loudcore-") && temp_name.ends_with(".tmp"),
            "{temp_name}"
        );
        out.write_all(b"hello ").expect("write");
        out.write_all(b"world").expect("write");
        out.seek(SeekFrom::Start(0)).expect("seek");
        out.write_all(b"H").expect("write");
        assert!(!dest.exists(), "destination appears only on commit");
        out.commit().expect("commit");
        assert_eq!(std::fs::read(&dest).expect("read"), b"Hello world");
        assert!(!temp.exists());
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn drop_without_commit_leaves_nothing_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("song.mp3");
        std::fs::write(&dest, b"previous contents").expect("write");
        let mut out = TempOutput::create(&dest).expect("create");
        out.write_all(&vec![7u8; 1 << 20]).expect("write");
        out.flush().expect("flush");
        let temp = out.temp_path().to_path_buf();
        assert!(temp.exists());
        drop(out);
        assert!(!temp.exists());
        assert!(leftovers(dir.path()).is_empty());
        assert_eq!(std::fs::read(&dest).expect("read"), b"previous contents");

        // And a commit replaces it.
        let mut out = TempOutput::create(&dest).expect("create");
        out.write_all(b"new").expect("write");
        out.commit().expect("commit");
        assert_eq!(std::fs::read(&dest).expect("read"), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_those_of_an_ordinary_file_or_the_replaced_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("a.flac");
        TempOutput::create(&dest)
            .expect("create")
            .commit()
            .expect("commit");
        let mode = std::fs::metadata(&dest).expect("meta").permissions().mode();
        assert_eq!(mode & 0o600, 0o600, "{mode:o}");
        // Readable by others unless the umask forbids it: at least not the 0600 of tempfile
        // when the umask is the usual 022.
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        TempOutput::create(&dest)
            .expect("create")
            .commit()
            .expect("commit");
        let mode = std::fs::metadata(&dest).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o640, "{mode:o}");
    }

    #[test]
    fn missing_directory_is_an_io_error_naming_the_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("no-such-dir");
        let e = TempOutput::create(&missing.join("out.mp3"))
            .err()
            .expect("error");
        match &e {
            Error::Io { file, source } => {
                assert_eq!(file, &missing.display().to_string());
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("expected Error::Io, got {other:?}"),
        }
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[test]
    fn directory_as_destination_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = TempOutput::create(dir.path()).err().expect("error");
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
        assert!(e.to_string().contains("is a directory"), "{e}");
        assert!(leftovers(dir.path()).is_empty());
    }
}
