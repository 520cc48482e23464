//! `loudcore analyze`.

use std::path::PathBuf;

use loudcore::{AnalyzeOptions, CancelToken, Input};

use crate::args::JobArgs;

use crate::output::{fmt_duration, fmt_opt, print_json, progress_bar};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input audio file (MP3, AAC/M4A, FLAC, WAV, Ogg Vorbis; recognised by content).
    pub input: PathBuf,
    /// Print the Analysis as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Include momentary and short-term loudness every 100 ms (`curve`, with --json).
    #[arg(long)]
    pub curve: bool,
    #[command(flatten)]
    pub job: JobArgs,
}

pub fn run(args: Args, cancel: CancelToken) -> Result<(), loudcore::Error> {
    let (bar, on_progress) = progress_bar();
    let opts = AnalyzeOptions {
        job: args.job.to_options(cancel, on_progress),
        curve: args.curve,
    };
    let input = Input::from(args.input.clone());
    let result = loudcore::analyze_with(&input, &opts);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let a = result?;
    if args.json {
        return print_json(&a);
    }
    let kbps = a.bit_rate.map_or("unknown bit rate".to_string(), |b| {
        format!("{:.0} kb/s", b as f64 / 1000.0)
    });
    println!("{:<16}{}", "File", args.input.display());
    println!(
        "{:<16}{} ({}), {} Hz, {} ch, {}",
        "Stream", a.format, a.codec, a.sample_rate, a.channels, kbps
    );
    println!(
        "{:<16}{} ({:.3} s)",
        "Duration",
        fmt_duration(a.duration_s),
        a.duration_s
    );
    println!("{:<16}{}", "Integrated", fmt_opt(a.integrated_lufs, "LUFS"));
    println!("{:<16}{}", "True peak", fmt_opt(a.true_peak_dbtp, "dBTP"));
    println!(
        "{:<16}{}",
        "Sample peak",
        fmt_opt(a.sample_peak_dbfs, "dBFS")
    );
    println!("{:<16}{:.1} LU", "Loudness range", a.lra_lu);
    println!("{:<16}{}", "Threshold", fmt_opt(a.threshold_lufs, "LUFS"));
    println!(
        "{:<16}{}",
        "Max momentary",
        fmt_opt(a.max_momentary_lufs, "LUFS")
    );
    println!(
        "{:<16}{}",
        "Max short-term",
        fmt_opt(a.max_short_term_lufs, "LUFS")
    );
    for w in &a.warnings {
        println!("{:<16}{}", "Warning", w);
    }
    Ok(())
}
