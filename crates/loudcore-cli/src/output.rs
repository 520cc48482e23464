//! What the CLI prints: JSON for scripts, tables and progress bars for people.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use loudcore::{ProgressFn, Report, Stage};

/// Prints `value` as the one JSON object on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), loudcore::Error> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| loudcore::Error::Internal {
        file: "<stdout>".into(),
        detail: e.to_string(),
    })?;
    let _ = writeln!(out);
    Ok(())
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
pub fn progress_bar() -> (Option<ProgressBar>, Option<ProgressFn>) {
    if !std::io::stderr().is_terminal() {
        return (None, None);
    }
    let bar = ProgressBar::new(1000);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {percent:>3}% {elapsed}/{eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    let b = bar.clone();
    let cb: ProgressFn = Arc::new(move |stage: Stage, f: f64| {
        b.set_message(stage.as_str());
        b.set_position((f * 1000.0) as u64);
    });
    (Some(bar), Some(cb))
}

/// The lines a report of a job that changes loudness shares: measured, target, gain.
pub fn print_plan(r: &Report) {
    println!(
        "{:<16}{} / {} / LRA {:.1} LU",
        "Measured",
        fmt_opt(r.input.integrated_lufs, "LUFS"),
        fmt_opt(r.input.true_peak_dbtp, "dBTP"),
        r.input.lra_lu
    );
    match &r.dynamic {
        Some(d) => println!(
            "{:<16}{:.1} LUFS, ceiling {:.1} dBTP, LRA {:.1} LU (dynamic)",
            "Target", r.target_lufs, r.true_peak_dbtp, d.lra_target_lu
        ),
        None => println!(
            "{:<16}{:.1} LUFS, ceiling {:.1} dBTP",
            "Target", r.target_lufs, r.true_peak_dbtp
        ),
    }
    let limited = if r.limiter_active {
        " (true-peak limiter engaged)"
    } else {
        ""
    };
    match &r.dynamic {
        Some(d) if d.curve_applied => println!(
            "{:<16}{:+.2} to {:+.2} dB, at most {:.2} dB per 100 ms, planned LRA {:.1} LU{limited}",
            "Gain curve", d.gain_min_db, d.gain_max_db, d.max_gain_step_db, d.planned_lra_lu
        ),
        Some(_) => println!(
            "{:<16}{:+.2} dB (the range is already within the target: linear){limited}",
            "Gain", r.gain_db
        ),
        None => println!("{:<16}{:+.2} dB{limited}", "Gain", r.gain_db),
    }
}

pub fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(x) => format!("{x:.1} {unit}"),
        None => format!("-inf {unit}"),
    }
}

pub fn fmt_duration(s: f64) -> String {
    let total_ms = (s * 1000.0).round() as u64;
    let (h, m, sec, ms) = (
        total_ms / 3_600_000,
        total_ms / 60_000 % 60,
        total_ms / 1000 % 60,
        total_ms % 1000,
    );
    if h > 0 {
        format!("{h}:{m:02}:{sec:02}.{ms:03}")
    } else {
        format!("{m}:{sec:02}.{ms:03}")
    }
}
