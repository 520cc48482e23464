//! `loudcore hls`.

use std::path::PathBuf;

use loudcore::{CancelToken, Container, HlsCodec, HlsOptions, Input, Layout, Variant};

use crate::args::{JobArgs, TargetArgs};
use crate::output::{fmt_duration, fmt_opt, print_json, print_plan, progress_bar};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input audio file (MP3, AAC/M4A, FLAC, WAV, Ogg Vorbis; recognised by content).
    pub input: PathBuf,
    /// Output directory; created, or replaced once the new ladder is complete.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub out_dir: PathBuf,
    /// A rung, BITRATE@RATE with an optional name: 48k@24000, high=128k@44100. Repeat for
    /// each rung (default: 48k@24000, 64k@32000, 128k@44100).
    #[arg(
        long = "variant",
        alias = "variants",
        value_name = "[NAME=]BITRATE@RATE"
    )]
    pub variants: Vec<Variant>,
    /// Target segment duration in seconds (default 10).
    #[arg(long)]
    pub segment_seconds: Option<f64>,
    /// Segment container: ts (MPEG-TS, default), packed (raw ADTS/MP3 with ID3 timestamps)
    /// or fmp4.
    #[arg(long)]
    pub container: Option<Container>,
    /// Codec of every rung: aac (AAC-LC, default) or mp3.
    #[arg(long)]
    pub codec: Option<HlsCodec>,
    /// nested (default): NAME/playlist.m3u8 + NAME/segment_00000.ts; flat: NAME.m3u8 +
    /// NAME_000.aac.
    #[arg(long)]
    pub layout: Option<Layout>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print the Report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub job: JobArgs,
}

pub fn run(args: Args, cancel: CancelToken) -> Result<(), loudcore::Error> {
    let (bar, on_progress) = progress_bar();
    let d = HlsOptions::default();
    let opts = HlsOptions {
        variants: args.variants.clone(),
        segment_seconds: args.segment_seconds.unwrap_or(d.segment_seconds),
        container: args.container.unwrap_or(d.container),
        codec: args.codec.unwrap_or(d.codec),
        layout: args.layout.unwrap_or(d.layout),
        target: args.target.to_options(),
        job: args.job.to_options(cancel, on_progress),
    };
    let result = loudcore::hls(&Input::from(args.input.clone()), &args.out_dir, &opts);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let r = result?;
    if args.json {
        return print_json(&r);
    }
    println!("{:<16}{}", "Input", args.input.display());
    print_plan(&r);
    if let Some(m) = &r.master_playlist {
        println!("{:<16}{m}", "Master");
    }
    for o in &r.outputs {
        let Some(v) = &o.variant else { continue };
        println!(
            "{:<16}{} ({} {} @ {} Hz, {} segments, {}, BANDWIDTH {}): {} / {}{}",
            format!("Variant {}", v.name),
            o.path,
            v.codecs,
            v.nominal_bit_rate,
            o.sample_rate,
            v.segments,
            fmt_duration(o.duration_s),
            v.bandwidth,
            fmt_opt(o.integrated_lufs, "LUFS"),
            fmt_opt(o.true_peak_dbtp, "dBTP"),
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
