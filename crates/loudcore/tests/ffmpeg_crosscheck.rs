//! Cross-check against an independent meter: FFmpeg's `ebur128` filter (with `peak=true`)
//! and `ffprobe` durations, on real music from the corpus that `shared/corpus/make.sh DIR`
//! builds (files encoded by FFmpeg and LAME, not by loudcore).
//!
//! The corpus is found through the env var `LOUDCORE_CORPUS` (relative paths are taken from
//! the repository root). Without it, or without `ffmpeg`/`ffprobe` on PATH, the test fails
//! when `CI` is set and is skipped with a note otherwise.
//!
//! FFmpeg's figures are read from the per-frame metadata (`ametadata=mode=print`), which
//! has three decimals; the summary it prints has only one. An `astats` filter after
//! `ebur128` in the same run also counts the samples FFmpeg decoded (with LAME's gapless
//! tag and MP4 edit lists applied), a sample-exact length to compare durations with besides
//! ffprobe's stream duration, which for MP3 may include the encoder delay and padding.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use loudcore::{Input, analyze};

/// (file, lossless)
const FILES: [(&str, bool); 9] = [
    ("track.mp3", false),
    ("track-vbr.mp3", false),
    ("track.wav", true),
    ("track-24bit48k.flac", true),
    ("track.m4a", false),
    ("track.ogg", false),
    ("mono-16k.mp3", false),
    ("hot-master.mp3", false),
    ("very-quiet.wav", true),
];

const MAX_I_DIFF_LU: f64 = 0.1;
const MAX_LRA_DIFF_LU: f64 = 0.1;
const MAX_TP_DIFF_DB: f64 = 0.2;
const MAX_DURATION_DIFF_LOSSLESS_S: f64 = 0.001;
const MAX_DURATION_DIFF_LOSSY_S: f64 = 0.050;
const THREADS: usize = 2;

/// Fails under CI, otherwise prints a note; returns whether the test may go on.
fn require(ok: bool, what: &str) -> bool {
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{what}");
        }
        eprintln!("note: skipping the FFmpeg cross-check: {what}");
    }
    ok
}

fn tool_on_path(name: &str) -> bool {
    Command::new(name)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LOUDCORE_CORPUS");
    if !require(
        dir.is_some(),
        "LOUDCORE_CORPUS is not set (build a corpus with ../shared/corpus/make.sh DIR and point \
         LOUDCORE_CORPUS at DIR)",
    ) {
        return None;
    }
    let dir = PathBuf::from(dir?);
    // Relative to the repository root, whatever the test's working directory.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Some(if dir.is_absolute() {
        dir
    } else {
        root.join(dir)
    })
}

#[derive(Debug)]
struct Ffmpeg {
    integrated_lufs: f64,
    lra_lu: f64,
    true_peak_dbtp: f64,
    /// Sample frames FFmpeg decoded.
    samples: f64,
}

/// Runs FFmpeg's ebur128 filter and takes the last I, LRA and per-channel true peaks from
/// the metadata it prints per 100 ms frame (and the sample count from `astats`).
fn ffmpeg_ebur128(file: &Path, tmp: &Path) -> Result<Ffmpeg, String> {
    let meta = tmp.join(format!(
        "{}.txt",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("x")
    ));
    let filter = format!(
        "ebur128=peak=true:metadata=1,\
         astats=metadata=1:reset=0:measure_perchannel=none:measure_overall=Number_of_samples,\
         ametadata=mode=print:file={}",
        meta.display()
    );
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-nostats", "-hide_banner", "-i"])
        .arg(file)
        .args(["-af", &filter, "-f", "null", "-"])
        .output()
        .map_err(|e| format!("running ffmpeg: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ffmpeg failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text =
        std::fs::read_to_string(&meta).map_err(|e| format!("reading {}: {e}", meta.display()))?;
    let mut last: HashMap<&str, f64> = HashMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            if let Some(key) = k
                .strip_prefix("lavfi.r128.")
                .or(k.strip_prefix("lavfi.astats.Overall."))
            {
                if let Ok(v) = v.trim().parse::<f64>() {
                    last.insert(key, v);
                }
            }
        }
    }
    let get = |k: &str| {
        last.get(k)
            .copied()
            .ok_or_else(|| format!("no lavfi.r128.{k} in ffmpeg output"))
    };
    let peak = last
        .iter()
        .filter(|(k, _)| k.starts_with("true_peaks_ch"))
        .map(|(_, v)| *v)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        .ok_or("no lavfi.r128.true_peaks_chN in ffmpeg output")?;
    Ok(Ffmpeg {
        integrated_lufs: get("I")?,
        lra_lu: get("LRA")?,
        true_peak_dbtp: 20.0 * peak.log10(),
        samples: get("Number_of_samples")?,
    })
}

/// The duration of the first audio stream as ffprobe reports it.
fn ffprobe_duration(file: &Path) -> Result<f64, String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .map_err(|e| format!("running ffprobe: {e}"))?;
    let s = String::from_utf8_lossy(&out.stdout);
    s.trim().parse().map_err(|_| {
        format!(
            "ffprobe printed {s:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

struct Row {
    file: &'static str,
    lossless: bool,
    ours: loudcore::Analysis,
    ff: Ffmpeg,
    ffprobe_s: f64,
}

fn measure(dir: &Path, file: &'static str, lossless: bool, tmp: &Path) -> Result<Row, String> {
    let path = dir.join(file);
    if !path.is_file() {
        return Err(format!("{} is missing from the corpus", path.display()));
    }
    let ours = analyze(&Input::from(path.as_path())).map_err(|e| format!("loudcore: {e}"))?;
    let ff = ffmpeg_ebur128(&path, tmp)?;
    let ffprobe_s = ffprobe_duration(&path)?;
    Ok(Row {
        file,
        lossless,
        ours,
        ff,
        ffprobe_s,
    })
}

fn opt(v: Option<f64>) -> String {
    v.map_or("none".into(), |x| format!("{x:.3}"))
}

#[test]
fn loudness_matches_ffmpeg_ebur128_on_the_corpus() {
    let Some(dir) = corpus_dir() else { return };
    if !require(
        tool_on_path("ffmpeg") && tool_on_path("ffprobe"),
        "ffmpeg/ffprobe are not on PATH (Debian package `ffmpeg`)",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");

    // Two files at a time: each job is loudcore's decode plus FFmpeg's.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<Row, String>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(file, lossless)) = FILES.get(i) else {
                        break;
                    };
                    let r = measure(&dir, file, lossless, tmp.path());
                    results.lock().expect("lock").push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("lock");
    results.sort_by_key(|(i, _)| *i);

    let mut failures = Vec::new();
    println!(
        "{:<20} {:>8} {:>8} {:>6} | {:>7} {:>7} {:>6} | {:>7} {:>7} {:>6} | {:>11} {:>11} {:>11} {:>7} {:>7}",
        "file",
        "I ours",
        "I ffmpeg",
        "diff",
        "LRA us",
        "LRA ff",
        "diff",
        "TP ours",
        "TP ff",
        "diff",
        "dur ours",
        "ffmpeg dec",
        "ffprobe",
        "dec ms",
        "prb ms"
    );
    for (_, r) in &results {
        let row = match r {
            Ok(row) => row,
            Err(e) => {
                failures.push(e.clone());
                continue;
            }
        };
        let a = &row.ours;
        let f = row.file;
        let di = a.integrated_lufs.map(|i| i - row.ff.integrated_lufs);
        let dl = a.lra_lu - row.ff.lra_lu;
        let dt = a.true_peak_dbtp.map(|t| t - row.ff.true_peak_dbtp);
        let decoded_s = row.ff.samples / f64::from(a.sample_rate);
        let d_dec = a.duration_s - decoded_s;
        let d_probe = a.duration_s - row.ffprobe_s;
        println!(
            "{:<20} {:>8} {:>8.3} {:>6} | {:>7.3} {:>7.3} {:>6.3} | {:>7} {:>7.3} {:>6} | {:>11.6} {:>11.6} {:>11.6} {:>7.3} {:>7.3}",
            f,
            opt(a.integrated_lufs),
            row.ff.integrated_lufs,
            opt(di),
            a.lra_lu,
            row.ff.lra_lu,
            dl,
            opt(a.true_peak_dbtp),
            row.ff.true_peak_dbtp,
            opt(dt),
            a.duration_s,
            decoded_s,
            row.ffprobe_s,
            d_dec * 1000.0,
            d_probe * 1000.0
        );
        match di {
            Some(d) if d.abs() <= MAX_I_DIFF_LU => {}
            _ => failures.push(format!(
                "{f}: integrated {:?} vs ffmpeg {:.3} LUFS",
                a.integrated_lufs, row.ff.integrated_lufs
            )),
        }
        if dl.abs() > MAX_LRA_DIFF_LU {
            failures.push(format!(
                "{f}: LRA {:.3} vs ffmpeg {:.3} LU",
                a.lra_lu, row.ff.lra_lu
            ));
        }
        match dt {
            Some(d) if d.abs() <= MAX_TP_DIFF_DB => {}
            _ => failures.push(format!(
                "{f}: true peak {:?} vs ffmpeg {:.3} dBTP",
                a.true_peak_dbtp, row.ff.true_peak_dbtp
            )),
        }
        let tol = if row.lossless {
            MAX_DURATION_DIFF_LOSSLESS_S
        } else {
            MAX_DURATION_DIFF_LOSSY_S
        };
        if d_dec.abs() > tol {
            failures.push(format!(
                "{f}: duration {:.6} s vs {:.6} s decoded by ffmpeg (tolerance {tol} s)",
                a.duration_s, decoded_s
            ));
        }
        // ffprobe's stream duration may count encoder delay and padding that the decoder
        // drops (MPEG-2 layer III at 16 kHz: 105 ms); allow for exactly that excess.
        let padding = if row.lossless {
            0.0
        } else {
            (row.ffprobe_s - decoded_s).max(0.0)
        };
        if d_probe.abs() > tol + padding {
            failures.push(format!(
                "{f}: duration {:.6} s vs ffprobe {:.6} s (tolerance {tol} s + {padding:.6} s of padding ffprobe counts)",
                a.duration_s, row.ffprobe_s
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements with FFmpeg:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
