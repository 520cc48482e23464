//! HLS packaging: encoded packets in, an audio-only ladder of segments and playlists out,
//! and the segments read back for verification.
//!
//! One [`VariantWriter`] per variant takes that variant's packets (on its own thread if the
//! caller likes) and writes each segment as soon as it is complete, so memory stays at one
//! segment whatever the duration. When every variant is finished, [`write_playlists`] writes
//! the media playlists and `master.m3u8` (they need the target duration common to all
//! variants). Everything goes into a [`TempLadder`] that replaces the destination only once
//! complete.
//!
//! Containers: MPEG-TS (`ts`, the default), packed audio (`packed`: ADTS or MP3 frames after
//! an ID3 timestamp) and fragmented MP4 / CMAF (`fmp4`).

mod adts;
mod fmp4;
mod ladder;
mod muxer;
mod names;
mod packed;
mod playlist;
mod read;
mod timeline;
mod ts;
mod variant;
mod writer;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
pub(crate) mod tests;

pub(crate) use variant::parse_scaled;
pub use variant::{Container, HlsCodec, Layout, Variant, default_variants};

pub(crate) use ladder::TempLadder;
pub(crate) use names::variant_names;
pub(crate) use playlist::{bandwidth, target_duration, write_playlists};
pub(crate) use read::read_variant;
pub(crate) use writer::{VariantOut, VariantWriter, check_segment_seconds};

mod files;
pub(crate) use files::{playlist_path, remove_variant};
pub(crate) use playlist::MASTER;
