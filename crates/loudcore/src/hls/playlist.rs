//! Media playlists and `master.m3u8` (RFC 8216), written once every variant is finished.

use std::fmt::Write as _;
use std::path::Path;

use super::writer::VariantOut;
use super::{Container, Layout};
use crate::error::{Error, Result};

pub(crate) const MASTER: &str = "master.m3u8";

/// `EXTINF` as written: six decimals, so that the values add up to the real duration
/// within microseconds.
pub(crate) fn extinf(duration_s: f64) -> f64 {
    // Parsing what is written keeps rounding, target duration and bandwidth consistent
    // with what a client reads.
    format!("{duration_s:.6}").parse().unwrap_or(duration_s)
}

/// `EXT-X-TARGETDURATION` for a ladder: the largest `EXTINF` of any variant rounded to the
/// nearest integer (RFC 8216 §4.3.3.1), at least 1. One value for every variant, so that
/// clients switching variants see the same segment cadence.
pub(crate) fn target_duration(variants: &[VariantOut]) -> u64 {
    variants
        .iter()
        .flat_map(|v| {
            v.segments
                .iter()
                .map(|s| extinf(s.duration_s(v.info.sample_rate)).round() as u64)
        })
        .max()
        .unwrap_or(1)
        .max(1)
}

/// The lowest protocol version the playlists need (RFC 8216 §7): 3 for decimal `EXTINF`,
/// 6 for `EXT-X-MAP` in a media playlist without `EXT-X-I-FRAMES-ONLY`.
pub(crate) fn version(variants: &[VariantOut]) -> u8 {
    if variants.iter().any(|v| v.container == Container::Fmp4) {
        6
    } else {
        3
    }
}

/// Bandwidth figures of a variant, bits/s, over its media segments (file sizes, so
/// container overhead counts; the fMP4 initialisation segment is not a media segment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bandwidth {
    /// `BANDWIDTH`: the peak segment bit rate (RFC 8216 §4.1), the largest bit rate of any
    /// run of contiguous segments lasting 0.5 to 1.5 target durations; never below the
    /// average (a short stream may have no such run).
    pub peak: u64,
    /// `AVERAGE-BANDWIDTH`: all segment bytes over the total duration.
    pub average: u64,
}

pub(crate) fn bandwidth(v: &VariantOut, target_duration: u64) -> Bandwidth {
    let segs: Vec<(f64, u64)> = v
        .segments
        .iter()
        .map(|s| (extinf(s.duration_s(v.info.sample_rate)), s.bytes))
        .collect();
    let rate = |bytes: u64, secs: f64| {
        if secs > 0.0 {
            (bytes as f64 * 8.0 / secs).ceil() as u64
        } else {
            0
        }
    };
    let total_s: f64 = segs.iter().map(|s| s.0).sum();
    let average = rate(segs.iter().map(|s| s.1).sum(), total_s);
    let (lo, hi) = (0.5 * target_duration as f64, 1.5 * target_duration as f64);
    let mut peak = 0;
    for i in 0..segs.len() {
        let (mut secs, mut bytes) = (0.0, 0u64);
        for &(d, b) in &segs[i..] {
            secs += d;
            bytes += b;
            if secs > hi {
                break;
            }
            if secs >= lo {
                peak = peak.max(rate(bytes, secs));
            }
        }
    }
    Bandwidth {
        peak: peak.max(average),
        average,
    }
}

/// Writes every variant's media playlist and `master.m3u8` under `root`.
pub(crate) fn write_playlists(root: &Path, layout: Layout, variants: &[VariantOut]) -> Result<()> {
    if variants.is_empty() {
        return Err(Error::InvalidOptions {
            detail: "an HLS ladder needs at least one variant".into(),
        });
    }
    if let Some(v) = variants.iter().find(|v| v.layout != layout) {
        return Err(Error::Internal {
            file: root.display().to_string(),
            detail: format!("variant {} was written in another layout", v.name),
        });
    }
    let target = target_duration(variants);
    let version = version(variants);
    for v in variants {
        write(root, &v.playlist, &media_playlist(v, target, version))?;
    }
    write(root, MASTER, &master_playlist(variants, target, version))
}

fn media_playlist(v: &VariantOut, target: u64, version: u8) -> String {
    let mut s = String::with_capacity(64 + 48 * v.segments.len());
    // Writing to a String cannot fail.
    let _ = writeln!(s, "#EXTM3U");
    let _ = writeln!(s, "#EXT-X-VERSION:{version}");
    let _ = writeln!(s, "#EXT-X-TARGETDURATION:{target}");
    let _ = writeln!(s, "#EXT-X-MEDIA-SEQUENCE:0");
    let _ = writeln!(s, "#EXT-X-PLAYLIST-TYPE:VOD");
    let _ = writeln!(s, "#EXT-X-INDEPENDENT-SEGMENTS");
    if let Some(init) = &v.init {
        let _ = writeln!(s, "#EXT-X-MAP:URI=\"{}\"", init.uri);
    }
    for seg in &v.segments {
        let _ = writeln!(
            s,
            "#EXTINF:{:.6},",
            extinf(seg.duration_s(v.info.sample_rate))
        );
        let _ = writeln!(s, "{}", seg.uri);
    }
    let _ = writeln!(s, "#EXT-X-ENDLIST");
    s
}

fn master_playlist(variants: &[VariantOut], target: u64, version: u8) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#EXTM3U");
    // The master itself needs no feature beyond version 1; it states the version of the
    // media playlists so that a client too old for them stops here.
    let _ = writeln!(s, "#EXT-X-VERSION:{version}");
    let _ = writeln!(s, "#EXT-X-INDEPENDENT-SEGMENTS");
    for v in variants {
        let bw = bandwidth(v, target);
        let _ = writeln!(
            s,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"",
            bw.peak, bw.average, v.codecs
        );
        let _ = writeln!(s, "{}", v.playlist);
    }
    s
}

fn write(root: &Path, rel: &str, text: &str) -> Result<()> {
    let path = root.join(rel);
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}
