//! The ladder's directory is built under a hidden temporary name beside the destination and
//! moved into place only when complete, like [`crate::output::TempOutput`] does for files:
//! on an error or a cancel nothing partial remains and an existing ladder stays untouched.

use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::error::{Error, Result};
use crate::output::temp_prefix;

/// A temporary directory beside `dest` that becomes `dest` on [`TempLadder::commit`].
/// Dropping it without committing removes it and everything in it.
pub(crate) struct TempLadder {
    dest: PathBuf,
    /// `None` only after `commit`.
    temp: Option<TempDir>,
}

impl TempLadder {
    /// Creates `.{name}.loudcore-XXXXXX.tmp` in the parent of `dest` (so the final rename
    /// stays on one file system). The parent must exist; `dest` may exist, as a directory.
    pub(crate) fn create(dest: &Path) -> Result<TempLadder> {
        let io_err = |file: &Path, kind: io::ErrorKind, msg: &str| Error::Io {
            file: file.display().to_string(),
            source: io::Error::new(kind, msg.to_string()),
        };
        let name = dest.file_name().ok_or_else(|| {
            io_err(
                dest,
                io::ErrorKind::InvalidInput,
                "the output path has no directory name (give one such as out/hls)",
            )
        })?;
        if dest.exists() && !dest.is_dir() {
            return Err(io_err(
                dest,
                io::ErrorKind::NotADirectory,
                "the HLS output path exists and is not a directory",
            ));
        }
        let parent = parent_of(dest);
        match std::fs::metadata(&parent) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io_err(
                    &parent,
                    io::ErrorKind::NotADirectory,
                    "the output directory is not a directory",
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(io_err(
                    &parent,
                    io::ErrorKind::NotFound,
                    "the output directory does not exist",
                ));
            }
            Err(e) => return Err(Error::io(&parent, e)),
        }
        let prefix = temp_prefix(name, "");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp").rand_bytes(6);
        // tempfile makes 0700 directories; a published ladder is served by others, so ask
        // for 0777 and let the umask narrow it as for any new directory.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o777));
        }
        let temp = builder
            .tempdir_in(&parent)
            .map_err(|e| Error::io(dest, e))?;
        Ok(TempLadder {
            dest: dest.to_path_buf(),
            temp: Some(temp),
        })
    }

    /// Where to write the ladder now.
    pub(crate) fn path(&self) -> &Path {
        self.temp.as_ref().map_or(&self.dest, |t| t.path())
    }

    /// Moves the ladder into place. An existing `dest` is first renamed aside, then the new
    /// directory renamed in, then the old one removed: at every moment `dest` is either the
    /// complete old ladder or the complete new one (two renames rather than one, since a
    /// directory cannot be renamed over a non-empty one).
    pub(crate) fn commit(mut self) -> Result<()> {
        let Some(temp) = self.temp.take() else {
            return Err(Error::Internal {
                file: self.dest.display().to_string(),
                detail: "temporary ladder committed twice".into(),
            });
        };
        let dest = self.dest.clone();
        let io_err = |e| Error::io(&dest, e);
        if std::fs::symlink_metadata(&dest).is_ok() {
            // A second temporary name for the old ladder, in the same directory.
            let aside = tempfile::Builder::new()
                .prefix(&temp_prefix(dest.file_name().unwrap_or_default(), "old-"))
                .rand_bytes(6)
                .tempdir_in(parent_of(&dest))
                .map_err(io_err)?;
            let aside_path = aside.path().to_path_buf();
            // Renaming onto the empty directory `aside` replaces it (POSIX rename allows
            // an empty target directory); `aside` keeps the cleanup duty for what lands there.
            std::fs::rename(&dest, &aside_path).map_err(io_err)?;
            if let Err(e) = std::fs::rename(temp.path(), &dest) {
                // Put the old ladder back; the new one is removed with `temp`.
                let _ = std::fs::rename(&aside_path, &dest);
                let _ = aside.keep();
                return Err(io_err(e));
            }
            drop(aside); // removes the old ladder
        } else {
            std::fs::rename(temp.path(), &dest).map_err(io_err)?;
        }
        // The directory now lives at `dest`; nothing is left to clean up.
        let _ = temp.keep();
        Ok(())
    }
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn hidden(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".loudcore-"))
            .collect()
    }

    #[test]
    fn drop_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("hls");
        let ladder = TempLadder::create(&dest).unwrap();
        std::fs::create_dir(ladder.path().join("low")).unwrap();
        std::fs::write(ladder.path().join("low/segment_00000.ts"), b"x").unwrap();
        assert_eq!(ladder.path().parent(), Some(dir.path()));
        drop(ladder);
        assert!(hidden(dir.path()).is_empty());
        assert!(!dest.exists());
    }

    #[test]
    fn commit_creates_or_replaces_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("hls");
        let ladder = TempLadder::create(&dest).unwrap();
        std::fs::write(ladder.path().join("master.m3u8"), b"one").unwrap();
        ladder.commit().unwrap();
        assert_eq!(std::fs::read(dest.join("master.m3u8")).unwrap(), b"one");

        std::fs::write(dest.join("stale.ts"), b"old").unwrap();
        let ladder = TempLadder::create(&dest).unwrap();
        std::fs::write(ladder.path().join("master.m3u8"), b"two").unwrap();
        assert_eq!(std::fs::read(dest.join("master.m3u8")).unwrap(), b"one");
        ladder.commit().unwrap();
        assert_eq!(std::fs::read(dest.join("master.m3u8")).unwrap(), b"two");
        assert!(
            !dest.join("stale.ts").exists(),
            "the old ladder is gone, not merged"
        );
        assert!(hidden(dir.path()).is_empty());
    }

    #[test]
    fn bad_destinations_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = TempLadder::create(&dir.path().join("missing/hls"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("does not exist"), "{e}");
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let e = TempLadder::create(&file).err().unwrap();
        assert!(e.to_string().contains("not a directory"), "{e}");
        assert!(hidden(dir.path()).is_empty());
    }
}
