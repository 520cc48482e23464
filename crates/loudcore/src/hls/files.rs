//! Where a variant's files live, for the job that writes a ladder and may redo a variant.

use std::path::Path;

use super::{Layout, VariantOut};
use crate::error::{Error, Result};

/// The media playlist of variant `name`, relative to the ladder's root.
pub(crate) fn playlist_path(layout: Layout, name: &str) -> String {
    match layout {
        Layout::Nested => format!("{name}/playlist.m3u8"),
        Layout::Flat => format!("{name}.m3u8"),
    }
}

/// Removes what a variant wrote (segments, initialisation segment) so that a redo of it
/// starts from nothing: a shorter redo must not leave stale segments behind.
pub(crate) fn remove_variant(root: &Path, v: &VariantOut) -> Result<()> {
    let files = v
        .segments
        .iter()
        .map(|s| s.file.as_str())
        .chain(v.init.iter().map(|i| i.file.as_str()));
    for f in files {
        let path = root.join(f);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::Io {
                    file: path.display().to_string(),
                    source,
                });
            }
        }
    }
    Ok(())
}
