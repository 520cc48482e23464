//! Gain planning and the true-peak limiter.

pub(crate) mod dynamic;
pub(crate) mod limiter;
pub(crate) mod sweep;
pub(crate) mod targets;

pub(crate) use limiter::{Detector, Limiter};
pub use targets::{DEFAULT_LRA_LU, Mode, Preset};

/// The corpus's real music (`LOUDCORE_CORPUS`, default `corpus`), decoded by FFmpeg to
/// 44.1 kHz stereo f32, for the ignored tests that check the limiter's power path and
/// sweep against the limited audio. Files the corpus lacks are skipped.
#[cfg(test)]
#[allow(clippy::expect_used)] // tests may panic
pub(crate) fn corpus_music() -> Vec<(&'static str, Vec<f32>)> {
    let dir = std::env::var("LOUDCORE_CORPUS").unwrap_or_else(|_| "corpus".into());
    let names = [
        "track.mp3",
        "very-quiet.wav",
        "hot-master.mp3",
        "track-24bit48k.flac",
        "mono-16k.mp3",
    ];
    let mut out = Vec::new();
    for name in names {
        let path = std::path::Path::new(&dir).join(name);
        if !path.exists() {
            continue;
        }
        let raw = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-ac", "2", "-ar", "44100", "-f", "f32le", "-"])
            .output()
            .expect("ffmpeg");
        let x = raw
            .stdout
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        out.push((name, x));
    }
    out
}
