//! `loudcore analyze`.

use std::path::PathBuf;

use loudcore::{AnalyzeOptions, CancelToken, DecodeOptions, Input, Limits};

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
    /// Fail on the first damaged frame instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Analyse what there is of a truncated file instead of failing.
    #[arg(long)]
    pub allow_truncated: bool,
    /// Decoder threads (1-8); the result is identical whatever the count.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub threads: u8,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Validation limits shared by every command that reads an input.
#[derive(clap::Args, Debug)]
pub struct LimitArgs {
    /// Reject inputs larger than this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<u64>,
    /// Reject inputs longer than this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub max_duration: Option<f64>,
    /// Reject inputs shorter than this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub min_duration: Option<f64>,
    /// Reject inputs with more channels than this.
    #[arg(long, value_name = "N")]
    pub max_channels: Option<u32>,
}

impl LimitArgs {
    pub fn to_limits(&self) -> Limits {
        let mut l = Limits::default();
        if let Some(b) = self.max_bytes {
            l.max_bytes = Some(b);
        }
        if let Some(d) = self.max_duration {
            l.max_duration_s = Some(d);
        }
        if let Some(d) = self.min_duration {
            l.min_duration_s = d;
        }
        if let Some(c) = self.max_channels {
            l.max_channels = c;
        }
        l
    }
}

pub fn run(args: Args, cancel: CancelToken) -> Result<(), loudcore::Error> {
    let (bar, on_progress) = progress_bar();
    let opts = AnalyzeOptions {
        limits: args.limits.to_limits(),
        decode: DecodeOptions {
            strict: args.strict,
            allow_truncated: args.allow_truncated,
            threads: usize::from(args.threads),
        },
        curve: args.curve,
        cancel: Some(cancel),
        on_progress,
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
