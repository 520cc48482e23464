//! `loudcore hls`.

use std::path::PathBuf;

use loudcore::{
    CancelToken, Container, DecodeOptions, HlsCodec, HlsOptions, Input, Layout, Mode,
    NormalizeOptions, Preset, Variant,
};

use crate::analyze::LimitArgs;
use crate::output::{fmt_duration, fmt_opt, print_json, progress_bar};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input audio file (MP3, AAC/M4A, FLAC, WAV, Ogg Vorbis; recognised by content).
    pub input: PathBuf,
    /// Output directory; created, or replaced once the new ladder is complete.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub out_dir: PathBuf,
    /// A rung, BITRATE@RATE with an optional name: 48k@24000, high=128k@44100. Repeat for
    /// each rung (default: 48k@24000, 64k@32000, 128k@44100).
    #[arg(long = "variant", value_name = "[NAME=]BITRATE@RATE")]
    pub variants: Vec<Variant>,
    /// Target segment duration in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub segment_seconds: f64,
    /// Segment container: ts (MPEG-TS), packed (raw ADTS/MP3 with ID3 timestamps) or fmp4.
    #[arg(long, default_value = "ts")]
    pub container: Container,
    /// Codec of every rung: aac (AAC-LC) or mp3.
    #[arg(long, default_value = "aac")]
    pub codec: HlsCodec,
    /// nested: NAME/playlist.m3u8 + NAME/segment_00000.ts; flat: NAME.m3u8 + NAME_000.aac.
    #[arg(long, default_value = "nested")]
    pub layout: Layout,
    /// Named target: spotify, apple-music, youtube, amazon, tidal, deezer, podcast, ebu-r128, atsc-a85.
    #[arg(long)]
    pub preset: Option<Preset>,
    /// Integrated loudness target in LUFS (default -14, or the preset's).
    #[arg(long, allow_hyphen_values = true)]
    pub target_lufs: Option<f64>,
    /// True-peak ceiling in dBTP (default -1, or the preset's).
    #[arg(long, allow_hyphen_values = true)]
    pub true_peak_dbtp: Option<f64>,
    /// Loudness-range target in LU (dynamic mode only).
    #[arg(long)]
    pub lra_lu: Option<f64>,
    /// linear (one gain plus a true-peak limiter) or dynamic (not supported yet).
    #[arg(long, default_value = "linear")]
    pub mode: Mode,
    /// Print the Report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Fail on the first damaged input frame instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Decoder threads (1-8).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub threads: u8,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub fn run(args: Args, cancel: CancelToken) -> Result<(), loudcore::Error> {
    let (bar, on_progress) = progress_bar();
    let opts = HlsOptions {
        variants: args.variants.clone(),
        segment_seconds: args.segment_seconds,
        container: args.container,
        codec: args.codec,
        layout: args.layout,
        normalize: NormalizeOptions {
            target_lufs: args.target_lufs,
            true_peak_dbtp: args.true_peak_dbtp,
            lra_lu: args.lra_lu,
            preset: args.preset,
            mode: args.mode,
            limits: args.limits.to_limits(),
            decode: DecodeOptions {
                strict: args.strict,
                allow_truncated: false,
                threads: usize::from(args.threads),
            },
            on_progress,
            cancel: Some(cancel),
            ..Default::default()
        },
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
    println!(
        "{:<16}{} / {} / LRA {:.1} LU",
        "Measured",
        fmt_opt(r.input.integrated_lufs, "LUFS"),
        fmt_opt(r.input.true_peak_dbtp, "dBTP"),
        r.input.lra_lu
    );
    println!(
        "{:<16}{:.1} LUFS, ceiling {:.1} dBTP",
        "Target", r.target_lufs, r.true_peak_dbtp
    );
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
