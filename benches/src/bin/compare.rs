//! Side-by-side comparison of `loudcore analyze` against FFmpeg's loudness meters.
//!
//! ```text
//! cargo build --release -p loudcore-cli
//! cargo run --release -p loudcore-benches --bin compare -- [--runs N] [--corpus DIR] [--json] [FILES...]
//! cargo run --release -p loudcore-benches --bin compare -- --long [FILE]
//! ```
//!
//! For each file it runs, interleaved (A, B, C, A, B, C, ...) after one untimed warm-up
//! round, the three commands below as child processes with stdin closed and stdout/stderr
//! captured through pipes, and records each one's wall time, CPU time (user + system)
//! and peak resident set size (from `wait4`'s rusage):
//!
//! - A: `loudcore analyze --json FILE` (the release binary next to this one)
//! - B: `ffmpeg -nostdin -hide_banner -nostats -i FILE -af ebur128=peak=true -f null -`
//! - C: `ffmpeg -nostdin -hide_banner -nostats -i FILE -af loudnorm=print_format=json -f null -`
//!
//! `--long` runs A and B once each on the 1-hour mix (`mix-1h.mp3` in the corpus by
//! default) and checks loudcore's peak RSS. The goals of the issue are printed next to
//! the measured figures with PASS or MISS.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

const USAGE: &str = "\
Usage: compare [--runs N] [--corpus DIR] [--loudcore PATH] [--json] [FILES...]
       compare --long [FILE] [--corpus DIR] [--loudcore PATH] [--json]

Times `loudcore analyze --json` (A) against FFmpeg's ebur128=peak=true (B) and
loudnorm first pass (C), interleaved over N runs (default 5) after one warm-up round,
and prints median wall time, CPU time, peak RSS and the ratios B/A and C/A.

  FILES           inputs (default: track.mp3 and track-vbr.mp3 in the corpus)
  --runs N        timed runs of each command per file (default 5)
  --corpus DIR    corpus directory (default: $LOUDCORE_CORPUS, else ./corpus,
                  else corpus/ in or next to the repository)
  --long [FILE]   one run of A and B on the 1-hour file (default: mix-1h.mp3 in the
                  corpus); checks loudcore's peak RSS
  --loudcore PATH the loudcore binary (default: `loudcore` next to this program)
  --json          print the results as one JSON object on stdout (the table goes to stderr)
";

/// The issue's goals.
const GOAL_VS_EBUR128: f64 = 3.0;
const GOAL_VS_LOUDNORM: f64 = 20.0;
const GOAL_LONG_RSS_MB: f64 = 40.0;
/// Background load (CPUs kept busy by other processes) above which timings are flagged.
const NOISY_LOAD: f64 = 0.10;

#[derive(Debug, Default)]
struct Args {
    runs: usize,
    corpus: Option<PathBuf>,
    files: Vec<PathBuf>,
    /// `Some(None)`: `--long` without a file.
    long: Option<Option<PathBuf>>,
    loudcore: Option<PathBuf>,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        runs: 5,
        ..Args::default()
    };
    let mut it = std::env::args_os().skip(1).peekable();
    while let Some(arg) = it.next() {
        let s = arg.to_string_lossy().into_owned();
        let mut value = |name: &str| {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match s.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            "--runs" => {
                let v = value("--runs")?;
                args.runs = v
                    .to_string_lossy()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        format!("--runs: expected a positive integer, got {}", v.display())
                    })?;
            }
            "--corpus" => args.corpus = Some(value("--corpus")?),
            "--loudcore" => args.loudcore = Some(value("--loudcore")?),
            "--json" => args.json = true,
            "--long" => {
                let file = match it.peek() {
                    Some(next) if !next.to_string_lossy().starts_with("--") => {
                        it.next().map(PathBuf::from)
                    }
                    _ => None,
                };
                args.long = Some(file);
            }
            _ if s.starts_with("--runs=") => {
                let v = &s["--runs=".len()..];
                args.runs = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--runs: expected a positive integer, got {v}"))?;
            }
            _ if s.starts_with("--corpus=") => {
                args.corpus = Some(PathBuf::from(&s["--corpus=".len()..]))
            }
            _ if s.starts_with("--long=") => {
                args.long = Some(Some(PathBuf::from(&s["--long=".len()..])))
            }
            _ if s.starts_with('-') && s.len() > 1 => {
                return Err(format!("unknown option {s}\n\n{USAGE}"));
            }
            _ => args.files.push(PathBuf::from(arg)),
        }
    }
    if args.long.is_some() && !args.files.is_empty() {
        return Err("give either FILES or --long FILE, not both".into());
    }
    Ok(args)
}

/// The corpus directory: `--corpus`, `$LOUDCORE_CORPUS`, `./corpus`, then `corpus/` in and
/// next to the repository.
fn corpus_dir(flag: Option<&Path>) -> Result<PathBuf, String> {
    let tidy = |d: PathBuf| d.canonicalize().unwrap_or(d);
    if let Some(dir) = flag {
        return if dir.is_dir() {
            Ok(tidy(dir.to_path_buf()))
        } else {
            Err(no_corpus(&[dir.to_path_buf()]))
        };
    }
    if let Some(dir) = std::env::var_os("LOUDCORE_CORPUS") {
        let dir = PathBuf::from(dir);
        return if dir.is_dir() {
            Ok(tidy(dir))
        } else {
            Err(no_corpus(&[dir]))
        };
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let candidates = [
        PathBuf::from("corpus"),
        repo.join("corpus"),
        repo.join("..").join("corpus"),
    ];
    candidates
        .iter()
        .find(|d| d.is_dir())
        .cloned()
        .map(tidy)
        .ok_or_else(|| no_corpus(&candidates))
}

fn no_corpus(tried: &[PathBuf]) -> String {
    let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    format!(
        "no corpus directory (looked in: {}).\n\
         Build one (needs root for apt-get: FFmpeg, LAME and Wesnoth's music) with\n    \
         ../shared/corpus/make.sh DIR\n\
         from the repository root, then pass --corpus DIR or set LOUDCORE_CORPUS=DIR.",
        tried.join(", ")
    )
}

fn loudcore_exe(flag: Option<&Path>) -> Result<PathBuf, String> {
    let exe = match flag {
        Some(p) => p.to_path_buf(),
        None => {
            let me =
                std::env::current_exe().map_err(|e| format!("cannot locate this program: {e}"))?;
            me.parent()
                .unwrap_or(Path::new("."))
                .join(format!("loudcore{}", std::env::consts::EXE_SUFFIX))
        }
    };
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!(
            "{} not found: build it first with\n    cargo build --release -p loudcore-cli",
            exe.display()
        ))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    Loudcore,
    Ebur128,
    Loudnorm,
}

impl Tool {
    const ALL: [Tool; 3] = [Tool::Loudcore, Tool::Ebur128, Tool::Loudnorm];

    fn key(self) -> &'static str {
        match self {
            Tool::Loudcore => "loudcore",
            Tool::Ebur128 => "ffmpeg_ebur128",
            Tool::Loudnorm => "ffmpeg_loudnorm",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tool::Loudcore => "A loudcore analyze --json",
            Tool::Ebur128 => "B ffmpeg ebur128=peak=true",
            Tool::Loudnorm => "C ffmpeg loudnorm 1st pass",
        }
    }

    fn argv(self, loudcore: &Path, file: &Path) -> Vec<String> {
        let file = file.display().to_string();
        let ffmpeg = |filter: &str| -> Vec<String> {
            [
                "ffmpeg",
                "-nostdin",
                "-hide_banner",
                "-nostats",
                "-i",
                &file,
                "-af",
                filter,
                "-f",
                "null",
                "-",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        match self {
            Tool::Loudcore => vec![
                loudcore.display().to_string(),
                "analyze".into(),
                "--json".into(),
                file,
            ],
            Tool::Ebur128 => ffmpeg("ebur128=peak=true"),
            Tool::Loudnorm => ffmpeg("loudnorm=print_format=json"),
        }
    }

    /// Integrated loudness, true peak and loudness range as the tool printed them.
    fn readings(self, out: &Sample) -> Readings {
        match self {
            Tool::Loudcore => {
                let v: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
                Readings {
                    integrated_lufs: v["integrated_lufs"].as_f64(),
                    true_peak_dbtp: v["true_peak_dbtp"].as_f64(),
                    lra_lu: v["lra_lu"].as_f64(),
                    duration_s: v["duration_s"].as_f64(),
                }
            }
            Tool::Ebur128 => {
                // The summary FFmpeg prints at the end: "I: -13.8 LUFS", "LRA: 20.0 LU",
                // "Peak: -3.9 dBFS" (the true peak, with peak=true).
                let summary = out.stderr.rsplit("Summary:").next().unwrap_or("");
                let field = |name: &str| {
                    summary.lines().find_map(|l| {
                        let l = l.trim();
                        l.strip_prefix(name)?
                            .split_whitespace()
                            .next()?
                            .parse::<f64>()
                            .ok()
                    })
                };
                Readings {
                    integrated_lufs: field("I:"),
                    true_peak_dbtp: field("Peak:"),
                    lra_lu: field("LRA:"),
                    duration_s: None,
                }
            }
            Tool::Loudnorm => {
                let v: Value = out
                    .stderr
                    .rfind('{')
                    .and_then(|start| {
                        let end = out.stderr[start..].find('}')? + start + 1;
                        serde_json::from_str(&out.stderr[start..end]).ok()
                    })
                    .unwrap_or(Value::Null);
                let field = |k: &str| v[k].as_str().and_then(|s| s.parse::<f64>().ok());
                Readings {
                    integrated_lufs: field("input_i"),
                    true_peak_dbtp: field("input_tp"),
                    lra_lu: field("input_lra"),
                    duration_s: None,
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Readings {
    integrated_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    lra_lu: Option<f64>,
    duration_s: Option<f64>,
}

/// One finished child process.
#[derive(Debug)]
struct Sample {
    wall_s: f64,
    cpu_s: f64,
    max_rss_mb: f64,
    /// CPU seconds that other processes used while this one ran (Linux), the noise.
    other_cpu_s: Option<f64>,
    stdout: String,
    stderr: String,
}

/// Runs `argv` to completion and measures it. Fails when it cannot start or exits non-zero.
fn run(argv: &[String]) -> Result<Sample, String> {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let busy_before = machine_busy_s();
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound && argv[0] == "ffmpeg" {
            "ffmpeg not found: install it (Debian: apt-get install ffmpeg)".to_string()
        } else {
            format!("cannot run {}: {e}", argv[0])
        }
    })?;
    let pid = child.id() as libc::pid_t;
    let read_all = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = read_all(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = read_all(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );

    // wait4 rather than Child::wait: it returns this child's own rusage (peak RSS, CPU).
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped; both pointers are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4 on {}: {e}", argv[0]));
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    let busy_after = machine_busy_s();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !ok {
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let how = if libc::WIFEXITED(status) {
            format!("exit code {}", libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            format!("signal {}", libc::WTERMSIG(status))
        } else {
            format!("wait status {status}")
        };
        return Err(format!(
            "`{}` failed ({how}):\n{}",
            argv.join(" "),
            tail.join("\n")
        ));
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    let cpu_s = tv(usage.ru_utime) + tv(usage.ru_stime);
    Ok(Sample {
        wall_s,
        cpu_s,
        other_cpu_s: busy_before
            .zip(busy_after)
            .map(|(a, b)| (b - a - cpu_s).max(0.0)),
        // Linux reports ru_maxrss in KiB; MB here are 10^6 bytes.
        max_rss_mb: usage.ru_maxrss as f64 * 1024.0 / 1e6,
        stdout,
        stderr,
    })
}

/// CPU seconds the whole machine has spent busy since boot (the `cpu` line of
/// /proc/stat, steal excluded), `None` where that file does not exist.
fn machine_busy_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|t| t.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let busy: u64 = [0, 1, 2, 5, 6].iter().filter_map(|&i| ticks.get(i)).sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some(busy as f64 / if hz > 0 { hz as f64 } else { 100.0 })
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// What one tool did on one file over all runs.
struct ToolResult {
    tool: Tool,
    argv: Vec<String>,
    samples: Vec<Sample>,
    readings: Readings,
}

impl ToolResult {
    fn walls(&self) -> Vec<f64> {
        self.samples.iter().map(|s| s.wall_s).collect()
    }
    fn median_wall(&self) -> f64 {
        median(&self.walls())
    }
    fn median_cpu(&self) -> f64 {
        median(&self.samples.iter().map(|s| s.cpu_s).collect::<Vec<_>>())
    }
    /// CPU seconds other processes used during all runs of this tool.
    fn other_cpu(&self) -> Option<f64> {
        self.samples.iter().map(|s| s.other_cpu_s).sum()
    }
    fn peak_rss(&self) -> f64 {
        self.samples
            .iter()
            .map(|s| s.max_rss_mb)
            .fold(0.0, f64::max)
    }
    fn to_json(&self) -> Value {
        json!({
            "command": self.argv,
            "wall_s": self.walls(),
            "median_wall_s": self.median_wall(),
            "min_wall_s": self.walls().into_iter().fold(f64::INFINITY, f64::min),
            "median_cpu_s": self.median_cpu(),
            "peak_rss_mb": self.peak_rss(),
            "other_processes_cpu_s": self.other_cpu(),
            "integrated_lufs": self.readings.integrated_lufs,
            "true_peak_dbtp": self.readings.true_peak_dbtp,
            "lra_lu": self.readings.lra_lu,
        })
    }
}

struct FileResult {
    file: PathBuf,
    bytes: u64,
    duration_s: Option<f64>,
    tools: Vec<ToolResult>,
}

impl FileResult {
    fn get(&self, tool: Tool) -> Option<&ToolResult> {
        self.tools.iter().find(|t| t.tool == tool)
    }
    /// Median wall time of `tool` over loudcore's.
    fn ratio(&self, tool: Tool) -> Option<f64> {
        Some(self.get(tool)?.median_wall() / self.get(Tool::Loudcore)?.median_wall())
    }
    /// Median CPU time of `tool` over loudcore's: what a host running many jobs at once
    /// pays, and less sensitive to other load than wall time.
    fn cpu_ratio(&self, tool: Tool) -> Option<f64> {
        Some(self.get(tool)?.median_cpu() / self.get(Tool::Loudcore)?.median_cpu())
    }
    /// Average number of CPUs other processes kept busy during the timed runs.
    fn background_load(&self) -> Option<f64> {
        let other: f64 = self
            .tools
            .iter()
            .map(ToolResult::other_cpu)
            .sum::<Option<f64>>()?;
        let wall: f64 = self.tools.iter().flat_map(|t| t.walls()).sum();
        // /proc/stat counts in clock ticks (10 ms): too coarse to judge shorter runs.
        (wall >= 2.0).then(|| other / wall)
    }
    fn to_json(&self) -> Value {
        let mut tools = serde_json::Map::new();
        for t in &self.tools {
            tools.insert(t.tool.key().into(), t.to_json());
        }
        json!({
            "file": self.file.display().to_string(),
            "bytes": self.bytes,
            "audio_duration_s": self.duration_s,
            "runs": self.tools.first().map(|t| t.samples.len()),
            "tools": tools,
            "ebur128_over_loudcore": self.ratio(Tool::Ebur128),
            "loudnorm_over_loudcore": self.ratio(Tool::Loudnorm),
            "ebur128_over_loudcore_cpu": self.cpu_ratio(Tool::Ebur128),
            "loudnorm_over_loudcore_cpu": self.cpu_ratio(Tool::Loudnorm),
            "background_load_cpus": self.background_load(),
        })
    }
}

/// Runs `tools` on `file`: `warmup` untimed rounds, then `runs` interleaved timed rounds.
fn measure(
    file: &Path,
    tools: &[Tool],
    loudcore: &Path,
    warmup: usize,
    runs: usize,
) -> Result<FileResult, String> {
    let bytes = std::fs::metadata(file)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .len();
    let mut results: Vec<ToolResult> = tools
        .iter()
        .map(|&tool| ToolResult {
            tool,
            argv: tool.argv(loudcore, file),
            samples: Vec::new(),
            readings: Readings::default(),
        })
        .collect();
    let progress = std::io::stderr().is_terminal();
    for round in 0..warmup + runs {
        for r in results.iter_mut() {
            if progress {
                eprint!(
                    "\r  {} {:<28} {}/{}   ",
                    file.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                    r.tool.label(),
                    if round < warmup {
                        "warm-up".to_string()
                    } else {
                        (round - warmup + 1).to_string()
                    },
                    runs
                );
            }
            let sample = run(&r.argv)?;
            if round >= warmup {
                if r.samples.is_empty() {
                    r.readings = r.tool.readings(&sample);
                }
                r.samples.push(sample);
            }
        }
    }
    if progress {
        eprint!("\r{:70}\r", "");
    }
    let duration_s = results
        .iter()
        .find(|r| r.tool == Tool::Loudcore)
        .and_then(|r| r.readings.duration_s);
    Ok(FileResult {
        file: file.to_path_buf(),
        bytes,
        duration_s,
        tools: results,
    })
}

fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}"))
        .unwrap_or_else(|| "-".into())
}

fn print_file(out: &mut String, r: &FileResult) {
    let runs = r.tools.first().map(|t| t.samples.len()).unwrap_or(0);
    out.push_str(&format!(
        "\n{}  ({:.1} MB, {} of audio)  {}\n",
        r.file.display(),
        r.bytes as f64 / 1e6,
        r.duration_s
            .map(|d| format!("{:.1} s", d))
            .unwrap_or_else(|| "?".into()),
        if runs == 1 {
            "1 run".to_string()
        } else {
            format!("median of {runs} runs, interleaved")
        }
    ));
    out.push_str(&format!(
        "  {:<28} {:>8} {:>8} {:>9} {:>10} {:>8} {:>8} {:>8}\n",
        "", "wall s", "CPU s", "x realtm", "peak RSS", "I LUFS", "TP dBTP", "LRA LU"
    ));
    for t in &r.tools {
        let wall = t.median_wall();
        out.push_str(&format!(
            "  {:<28} {:>8.3} {:>8.3} {:>9} {:>7.1} MB {:>8} {:>8} {:>8}\n",
            t.tool.label(),
            wall,
            t.median_cpu(),
            r.duration_s
                .map(|d| format!("{:.0}x", d / wall))
                .unwrap_or_else(|| "-".into()),
            t.peak_rss(),
            fmt_opt(t.readings.integrated_lufs, 1),
            fmt_opt(t.readings.true_peak_dbtp, 1),
            fmt_opt(t.readings.lra_lu, 1),
        ));
    }
    let mut ratios = Vec::new();
    for (tool, name, what) in [
        (Tool::Ebur128, "B/A", "ebur128=peak=true"),
        (Tool::Loudnorm, "C/A", "the loudnorm first pass"),
    ] {
        if let (Some(x), Some(cpu)) = (r.ratio(tool), r.cpu_ratio(tool)) {
            ratios.push(format!(
                "{name} = {x:.2}x wall, {cpu:.2}x CPU (loudcore is {x:.1}x faster than {what})"
            ));
        }
    }
    for line in ratios {
        out.push_str(&format!("  {line}\n"));
    }
    if let Some(load) = r.background_load() {
        out.push_str(&format!(
            "  other processes kept {load:.2} CPUs busy on average during these runs{}\n",
            if load > NOISY_LOAD {
                " -- NOISY: rerun on a quiet machine"
            } else {
                ""
            }
        ));
    }
}

struct Goal {
    name: &'static str,
    target: String,
    measured: Option<String>,
    pass: Option<bool>,
}

impl Goal {
    fn to_json(&self) -> Value {
        json!({
            "goal": self.name,
            "target": self.target,
            "measured": self.measured,
            "status": match self.pass { Some(true) => "PASS", Some(false) => "MISS", None => "NOT MEASURED" },
        })
    }
}

/// Ratio goals: the worst file decides.
fn ratio_goal(name: &'static str, files: &[FileResult], tool: Tool, target: f64) -> Goal {
    let per_file: Vec<(String, f64)> = files
        .iter()
        .filter_map(|f| {
            let name = f
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some((name, f.ratio(tool)?))
        })
        .collect();
    if per_file.is_empty() {
        return Goal {
            name,
            target: format!(">= {target}x"),
            measured: None,
            pass: None,
        };
    }
    let worst = per_file
        .iter()
        .map(|(_, x)| *x)
        .fold(f64::INFINITY, f64::min);
    Goal {
        name,
        target: format!(">= {target}x"),
        measured: Some(
            per_file
                .iter()
                .map(|(n, x)| format!("{x:.2}x {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        pass: Some(worst >= target),
    }
}

fn print_goals(out: &mut String, goals: &[Goal]) {
    out.push_str("\nGoals (from the issue)\n");
    for g in goals {
        let status = match g.pass {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "-",
        };
        out.push_str(&format!(
            "  {:<44} {:>9}   {:<4}  {}\n",
            g.name,
            g.target,
            status,
            g.measured.as_deref().unwrap_or("not measured by this run")
        ));
    }
}

fn tool_version(argv: &[&str]) -> Option<String> {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_string)
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<(), String> {
    let args = parse_args()?;
    let loudcore = loudcore_exe(args.loudcore.as_deref())?;
    let ffmpeg_version = tool_version(&["ffmpeg", "-version"])
        .ok_or("ffmpeg not found: install it (Debian: apt-get install ffmpeg)")?;
    let loudcore_version = tool_version(&[&loudcore.display().to_string(), "--version"]);
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    let mut table = format!(
        "loudcore: {} ({})\nffmpeg:   {}\nCPUs:     {}\n",
        loudcore.display(),
        loudcore_version.as_deref().unwrap_or("?"),
        ffmpeg_version,
        cpus
    );
    let mut report = json!({
        "loudcore": loudcore.display().to_string(),
        "loudcore_version": loudcore_version,
        "ffmpeg_version": ffmpeg_version,
        "cpus": cpus,
        "goals_source": "issue: >= 3x faster than ffmpeg ebur128=peak=true, >= 20x faster than the loudnorm first pass, peak RSS <= 40 MB on the 1-hour MP3",
    });

    let goals;
    if let Some(long) = &args.long {
        let file = match long {
            Some(f) => f.clone(),
            None => corpus_dir(args.corpus.as_deref())?.join("mix-1h.mp3"),
        };
        if !file.is_file() {
            return Err(format!(
                "{} not found (build the corpus with ../shared/corpus/make.sh DIR)",
                file.display()
            ));
        }
        eprintln!("long file: one run each of A and B on {}", file.display());
        let r = measure(&file, &[Tool::Loudcore, Tool::Ebur128], &loudcore, 0, 1)?;
        print_file(&mut table, &r);
        let rss = r.get(Tool::Loudcore).map(ToolResult::peak_rss);
        goals = vec![
            ratio_goal(
                "loudcore vs ffmpeg ebur128=peak=true (B/A)",
                std::slice::from_ref(&r),
                Tool::Ebur128,
                GOAL_VS_EBUR128,
            ),
            Goal {
                name: "loudcore peak RSS on the 1-hour MP3",
                target: format!("<= {GOAL_LONG_RSS_MB} MB"),
                measured: rss.map(|m| format!("{m:.1} MB")),
                pass: rss.map(|m| m <= GOAL_LONG_RSS_MB),
            },
        ];
        report["mode"] = json!("long");
        report["long"] = r.to_json();
    } else {
        let files = if args.files.is_empty() {
            let dir = corpus_dir(args.corpus.as_deref())?;
            let files = vec![dir.join("track.mp3"), dir.join("track-vbr.mp3")];
            if let Some(missing) = files.iter().find(|f| !f.is_file()) {
                return Err(format!(
                    "{} not found; complete the corpus with\n    ../shared/corpus/make.sh {}",
                    missing.display(),
                    dir.display()
                ));
            }
            files
        } else {
            args.files.clone()
        };
        eprintln!(
            "{} file(s), 1 warm-up round + {} timed runs, interleaved A/B/C",
            files.len(),
            args.runs
        );
        let mut results = Vec::new();
        for f in &files {
            let r = measure(f, &Tool::ALL, &loudcore, 1, args.runs)?;
            print_file(&mut table, &r);
            results.push(r);
        }
        goals = vec![
            ratio_goal(
                "loudcore vs ffmpeg ebur128=peak=true (B/A)",
                &results,
                Tool::Ebur128,
                GOAL_VS_EBUR128,
            ),
            ratio_goal(
                "loudcore vs ffmpeg loudnorm first pass (C/A)",
                &results,
                Tool::Loudnorm,
                GOAL_VS_LOUDNORM,
            ),
            Goal {
                name: "loudcore peak RSS on the 1-hour MP3",
                target: format!("<= {GOAL_LONG_RSS_MB} MB"),
                measured: None,
                pass: None,
            },
        ];
        report["mode"] = json!("files");
        report["runs"] = json!(args.runs);
        report["files"] = Value::Array(results.iter().map(FileResult::to_json).collect());
    }
    print_goals(&mut table, &goals);
    if args.long.is_none() {
        table.push_str("  (peak RSS on the 1-hour file: run with --long)\n");
    }
    report["goals"] = Value::Array(goals.iter().map(Goal::to_json).collect());

    if args.json {
        eprint!("{table}");
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{table}");
    }
    Ok(())
}
