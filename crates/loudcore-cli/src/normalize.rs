//! `loudcore normalize`.

use std::path::PathBuf;

use loudcore::{CancelToken, Input, NormalizeOptions, OutputSpec};

use crate::args::{EncoderArgs, JobArgs, TargetArgs};
use crate::output::{fmt_duration, fmt_opt, print_json, print_plan, progress_bar};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input audio file (MP3, AAC/M4A, FLAC, WAV, Ogg Vorbis; recognised by content).
    pub input: PathBuf,
    /// Output file; the format comes from the extension (.mp3, .m4a, .wav, .flac). Repeat for
    /// several outputs from one decode.
    #[arg(short = 'o', long = "output", required = true, value_name = "OUT")]
    pub outputs: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub encoder: EncoderArgs,
    /// Print the Report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub job: JobArgs,
}

pub fn run(args: Args, cancel: CancelToken) -> Result<(), loudcore::Error> {
    let (bar, on_progress) = progress_bar();
    let opts = NormalizeOptions {
        target: args.target.to_options(),
        output: args.encoder.to_settings(),
        job: args.job.to_options(cancel, on_progress),
    };
    let outputs: Vec<OutputSpec> = args.outputs.iter().map(OutputSpec::from).collect();
    let result = loudcore::normalize_to(&Input::from(args.input.clone()), &outputs, &opts);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let r = result?;
    if args.json {
        return print_json(&r);
    }
    println!("{:<16}{}", "Input", args.input.display());
    print_plan(&r);
    for o in &r.outputs {
        println!(
            "{:<16}{} ({}, {} Hz, {}): {} / {} / LRA {:.1} LU, {}{}",
            "Output",
            o.path,
            o.format.as_str(),
            o.sample_rate,
            fmt_duration(o.duration_s),
            fmt_opt(o.integrated_lufs, "LUFS"),
            fmt_opt(o.true_peak_dbtp, "dBTP"),
            o.lra_lu,
            if o.verified {
                "verified"
            } else {
                "NOT verified"
            },
            if o.attempts > 1 {
                format!(" after {} renders", o.attempts)
            } else {
                String::new()
            }
        );
    }
    println!("{:<16}{:.2} s", "Elapsed", r.elapsed_s);
    Ok(())
}
