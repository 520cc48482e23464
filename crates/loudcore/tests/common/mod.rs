//! Helpers shared by the normalize tests: the independent meter (FFmpeg's `ebur128` filter
//! with `peak=true`, plus `astats` for the number of samples FFmpeg decoded), `ffprobe`
//! stream facts and tags, the corpus location, and the checks every normalized output must
//! pass. The FFmpeg approach is the one of `ffmpeg_crosscheck.rs`.
//!
//! Missing tools or corpus: the test fails when the env var `CI` is set and is skipped with
//! a note otherwise ([`require`]).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use loudcore_testsignals::Signal;

/// The acceptance: the decoded output's integrated loudness within 0.1 LU of the
/// target, measured by FFmpeg.
pub const MAX_TARGET_ERROR_LU: f64 = 0.1;
/// Output duration equal to the input's within 1 ms.
pub const MAX_DURATION_ERROR_S: f64 = 0.001;
/// FFmpeg prints the linear true peak per channel with three decimals: the real value may
/// be up to half a unit in the last place lower than printed. The ceiling check allows for
/// exactly that rounding and nothing more.
pub const FFMPEG_PEAK_ROUNDING: f64 = 0.0005;

/// Fails under CI, otherwise prints a note; returns whether the test may go on.
pub fn require(ok: bool, what: &str) -> bool {
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{what}");
        }
        eprintln!("note: skipping: {what}");
    }
    ok
}

pub fn tool_on_path(name: &str) -> bool {
    Command::new(name)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `ffmpeg` and `ffprobe` are available (see [`require`]).
pub fn have_ffmpeg() -> bool {
    static HAVE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *HAVE.get_or_init(|| tool_on_path("ffmpeg") && tool_on_path("ffprobe"));
    require(
        ok,
        "ffmpeg/ffprobe are not on PATH (Debian package `ffmpeg`)",
    )
}

/// The corpus directory from `LOUDCORE_CORPUS` (relative paths from the repository root).
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LOUDCORE_CORPUS");
    if !require(
        dir.is_some(),
        "LOUDCORE_CORPUS is not set (build a corpus with ../shared/corpus/make.sh DIR and point \
         LOUDCORE_CORPUS at DIR)",
    ) {
        return None;
    }
    let dir = PathBuf::from(dir?);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Some(if dir.is_absolute() {
        dir
    } else {
        root.join(dir)
    })
}

/// Runs `ffmpeg -nostdin -v error -y ARGS` and fails with its stderr.
pub fn ffmpeg(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y"])
        .args(args)
        .output()
        .map_err(|e| format!("running ffmpeg: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ffmpeg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// What FFmpeg measured on a file.
#[derive(Debug, Clone)]
pub struct Ffmpeg {
    /// `None` when FFmpeg printed no integrated loudness (inputs shorter than one 400 ms
    /// block).
    pub integrated_lufs: Option<f64>,
    pub lra_lu: Option<f64>,
    /// Highest per-channel true peak as printed (three decimals, linear), in dBTP.
    pub true_peak_dbtp: f64,
    /// The lowest the true peak can be given the rounding of the printed value, in dBTP.
    pub true_peak_floor_dbtp: f64,
    /// Sample frames FFmpeg decoded (LAME gapless info applied).
    pub samples: u64,
}

impl Ffmpeg {
    pub fn duration_s(&self, sample_rate: u32) -> f64 {
        self.samples as f64 / f64::from(sample_rate)
    }
}

/// FFmpeg's `ebur128=peak=true` and `astats` on `file`: the last I and LRA and the largest
/// per-channel true peak from the metadata printed per 100 ms frame, and the sample count.
pub fn ffmpeg_ebur128(file: &Path, tmp: &Path) -> Result<Ffmpeg, String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let meta = tmp.join(format!("ebur128-{}.txt", N.fetch_add(1, Ordering::SeqCst)));
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
            "ffmpeg on {} failed: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text =
        std::fs::read_to_string(&meta).map_err(|e| format!("reading {}: {e}", meta.display()))?;
    let _ = std::fs::remove_file(&meta);
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
    let peak = last
        .iter()
        .filter(|(k, _)| k.starts_with("true_peaks_ch"))
        .map(|(_, v)| *v)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        .ok_or_else(|| format!("{}: no lavfi.r128.true_peaks_chN", file.display()))?;
    let samples = last.get("Number_of_samples").copied().ok_or_else(|| {
        format!(
            "{}: no lavfi.astats.Overall.Number_of_samples",
            file.display()
        )
    })?;
    // A file shorter than one gating block gets I = -70 (the absolute gate) from FFmpeg.
    let integrated_lufs = last.get("I").copied().filter(|&i| i > -70.0);
    Ok(Ffmpeg {
        integrated_lufs,
        lra_lu: last.get("LRA").copied(),
        true_peak_dbtp: 20.0 * peak.log10(),
        true_peak_floor_dbtp: 20.0 * (peak - FFMPEG_PEAK_ROUNDING).max(1e-12).log10(),
        samples: samples.round() as u64,
    })
}

/// Stream facts and tags from ffprobe (first audio stream; tag keys lowercased, stream and
/// container tags merged).
#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub codec_name: String,
    pub sample_rate: u32,
    pub channels: u32,
    pub sample_fmt: String,
    pub bits_per_sample: u32,
    pub bits_per_raw_sample: Option<u32>,
    pub bit_rate: Option<u64>,
    pub tags: HashMap<String, String>,
}

pub fn ffprobe(file: &Path) -> Result<Probe, String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=codec_name,sample_rate,channels,sample_fmt,bits_per_sample,\
             bits_per_raw_sample,bit_rate:stream_tags:format_tags",
            "-of",
            "json",
        ])
        .arg(file)
        .output()
        .map_err(|e| format!("running ffprobe: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ffprobe on {} failed: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("ffprobe printed no JSON for {}: {e}", file.display()))?;
    let s = &v["streams"][0];
    if s.is_null() {
        return Err(format!("ffprobe: no audio stream in {}", file.display()));
    }
    // ffprobe prints some numbers as strings.
    let num = |x: &serde_json::Value| -> Option<u64> {
        x.as_u64()
            .or_else(|| x.as_str().and_then(|t| t.parse().ok()))
    };
    let mut tags = HashMap::new();
    for t in [&v["format"]["tags"], &s["tags"]] {
        if let Some(m) = t.as_object() {
            for (k, val) in m {
                if let Some(val) = val.as_str() {
                    tags.insert(k.to_ascii_lowercase(), val.to_string());
                }
            }
        }
    }
    Ok(Probe {
        codec_name: s["codec_name"].as_str().unwrap_or_default().to_string(),
        sample_rate: num(&s["sample_rate"]).unwrap_or(0) as u32,
        channels: num(&s["channels"]).unwrap_or(0) as u32,
        sample_fmt: s["sample_fmt"].as_str().unwrap_or_default().to_string(),
        bits_per_sample: num(&s["bits_per_sample"]).unwrap_or(0) as u32,
        bits_per_raw_sample: num(&s["bits_per_raw_sample"]).map(|b| b as u32),
        bit_rate: num(&s["bit_rate"]),
        tags,
    })
}

/// Names of leftover temporary outputs (`.NAME.loudcore-XXXXXX.tmp`) in `dir`.
pub fn temp_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.contains(".loudcore-") || n.ends_with(".tmp"))
        .collect()
}

/// The average of the channels, as a mono signal.
pub fn downmix_mono(s: &Signal) -> Signal {
    let ch = usize::from(s.channels);
    let mono = s
        .samples
        .chunks_exact(ch)
        .map(|f| f.iter().sum::<f32>() / ch as f32)
        .collect();
    Signal::new(s.sample_rate, 1, mono)
}

/// What an output must be.
#[derive(Debug, Clone)]
pub struct Expect {
    pub target_lufs: f64,
    pub ceiling_dbtp: f64,
    /// The input's duration (from FFmpeg's decoded sample count, or exact for synthetic
    /// input).
    pub duration_s: f64,
    pub sample_rate: u32,
    pub channels: u32,
}

/// One measured output, for the table and the checks.
#[derive(Debug, Clone)]
pub struct Row {
    pub case: String,
    pub output: String,
    pub ours_i: Option<f64>,
    pub ours_tp: Option<f64>,
    pub ours_dur: f64,
    pub ff_i: Option<f64>,
    pub ff_tp: f64,
    pub ff_dur: f64,
    pub in_dur: f64,
    pub rate: u32,
    pub attempts: u32,
    pub gain_db: f64,
}

/// One output of a Report, measured on its file by FFmpeg and ffprobe.
#[derive(Debug, Clone)]
pub struct Measured {
    pub case: String,
    pub out: loudcore::OutputReport,
    pub ff: Ffmpeg,
    pub probe: Probe,
}

impl Measured {
    /// `case: file name`, for messages.
    pub fn label(&self) -> String {
        format!("{}: {}", self.case, self.file_name())
    }

    pub fn file_name(&self) -> String {
        Path::new(&self.out.path)
            .file_name()
            .map_or(self.out.path.clone(), |n| n.to_string_lossy().into_owned())
    }

    /// The duration FFmpeg decoded.
    pub fn ff_duration_s(&self) -> f64 {
        self.ff.duration_s(self.probe.sample_rate.max(1))
    }

    pub fn row(&self, expect: &Expect) -> Row {
        Row {
            case: self.case.clone(),
            output: self.file_name(),
            ours_i: self.out.integrated_lufs,
            ours_tp: self.out.true_peak_dbtp,
            ours_dur: self.out.duration_s,
            ff_i: self.ff.integrated_lufs,
            ff_tp: self.ff.true_peak_dbtp,
            ff_dur: self.ff_duration_s(),
            in_dur: expect.duration_s,
            rate: self.probe.sample_rate,
            attempts: self.out.attempts,
            gain_db: self.out.gain_db,
        }
    }
}

/// Measures an output's file with FFmpeg (`ebur128`, `astats`) and ffprobe.
pub fn measure_output(
    case: &str,
    out: &loudcore::OutputReport,
    tmp: &Path,
) -> Result<Measured, String> {
    let path = Path::new(&out.path);
    if !path.is_file() {
        return Err(format!("{case}: {} was not written", path.display()));
    }
    Ok(Measured {
        case: case.to_string(),
        out: out.clone(),
        ff: ffmpeg_ebur128(path, tmp).map_err(|e| format!("{case}: {e}"))?,
        probe: ffprobe(path).map_err(|e| format!("{case}: {e}"))?,
    })
}

/// The acceptance apart from the true-peak ceiling: |I − target| ≤ 0.1 LU by FFmpeg, the
/// input's duration within 1 ms by FFmpeg's decoded sample count, the sample rate and
/// channels asked for, and the Report's own fields (verified, rate, channels, format from
/// the extension). Failures go to `failures`.
pub fn check_target(m: &Measured, expect: &Expect, failures: &mut Vec<String>) {
    let name = m.label();
    let mut fail = |msg: String| failures.push(format!("{name}: {msg}"));
    let (out, ff, probe) = (&m.out, &m.ff, &m.probe);
    if !out.verified {
        fail("Report says verified == false".into());
    }
    let ext = Path::new(&out.path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if out.format.as_str() != ext {
        fail(format!("format {} for a .{ext} file", out.format));
    }
    match ff.integrated_lufs {
        Some(i) if (i - expect.target_lufs).abs() <= MAX_TARGET_ERROR_LU => {}
        other => fail(format!(
            "FFmpeg measures I = {other:?} LUFS, target {} ± {MAX_TARGET_ERROR_LU}",
            expect.target_lufs
        )),
    }
    let ff_dur = m.ff_duration_s();
    if (ff_dur - expect.duration_s).abs() > MAX_DURATION_ERROR_S {
        fail(format!(
            "FFmpeg decodes {} samples = {ff_dur:.6} s, input {:.6} s (Δ {:.3} ms)",
            ff.samples,
            expect.duration_s,
            (ff_dur - expect.duration_s) * 1e3
        ));
    }
    if probe.sample_rate != expect.sample_rate {
        fail(format!(
            "sample rate {} Hz, expected {} Hz",
            probe.sample_rate, expect.sample_rate
        ));
    }
    if out.sample_rate != probe.sample_rate {
        fail(format!(
            "Report says {} Hz, ffprobe {} Hz",
            out.sample_rate, probe.sample_rate
        ));
    }
    if probe.channels != expect.channels || out.channels != expect.channels {
        fail(format!(
            "channels: ffprobe {}, Report {}, expected {}",
            probe.channels, out.channels, expect.channels
        ));
    }
}

/// The true-peak ceiling, measured by FFmpeg (allowing only for the rounding of its
/// printed value).
pub fn check_ceiling(m: &Measured, expect: &Expect, failures: &mut Vec<String>) {
    if m.ff.true_peak_floor_dbtp > expect.ceiling_dbtp {
        failures.push(format!(
            "{}: FFmpeg measures TP = {:.3} dBTP over the ceiling {} (loudcore's own meter: {:?})",
            m.label(),
            m.ff.true_peak_dbtp,
            expect.ceiling_dbtp,
            m.out.true_peak_dbtp
        ));
    }
}

/// Measures `out` and runs [`check_target`] and [`check_ceiling`].
pub fn check_output(
    case: &str,
    out: &loudcore::OutputReport,
    expect: &Expect,
    tmp: &Path,
    failures: &mut Vec<String>,
) -> Option<Measured> {
    match measure_output(case, out, tmp) {
        Ok(m) => {
            check_target(&m, expect, failures);
            check_ceiling(&m, expect, failures);
            Some(m)
        }
        Err(e) => {
            failures.push(e);
            None
        }
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or("none".into(), |x| format!("{x:.3}"))
}

/// Prints the measured values, ours against FFmpeg's.
pub fn print_table(rows: &[Row]) {
    println!(
        "{:<14} {:<16} {:>6} {:>6} | {:>8} {:>8} | {:>7} {:>7} | {:>11} {:>11} {:>7} | {:>3}",
        "case",
        "output",
        "rate",
        "gain",
        "I ours",
        "I ffmpeg",
        "TP ours",
        "TP ff",
        "dur ours",
        "dur ffmpeg",
        "Δin ms",
        "att"
    );
    for r in rows {
        println!(
            "{:<14} {:<16} {:>6} {:>+6.2} | {:>8} {:>8} | {:>7} {:>7.3} | {:>11.6} {:>11.6} {:>7.3} | {:>3}",
            r.case,
            r.output,
            r.rate,
            r.gain_db,
            opt(r.ours_i),
            opt(r.ff_i),
            opt(r.ours_tp),
            r.ff_tp,
            r.ours_dur,
            r.ff_dur,
            (r.ff_dur - r.in_dur) * 1e3,
            r.attempts,
        );
    }
}
