//! `loudcore normalize`.

use std::path::PathBuf;

use loudcore::{CancelToken, DecodeOptions, Input, Mode, NormalizeOptions, OutputSpec, Preset};

use crate::analyze::LimitArgs;
use crate::output::{fmt_duration, fmt_opt, print_json, progress_bar};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input audio file (MP3, AAC/M4A, FLAC, WAV, Ogg Vorbis; recognised by content).
    pub input: PathBuf,
    /// Output file; the format comes from the extension (.mp3, .m4a, .wav, .flac). Repeat for
    /// several outputs from one decode.
    #[arg(short = 'o', long = "output", required = true, value_name = "OUT")]
    pub outputs: Vec<PathBuf>,
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
    /// Constant bit rate for MP3 and M4A, e.g. 192k or 320000 (default: MP3 VBR V0, M4A
    /// 128k per channel).
    #[arg(long, value_parser = parse_bitrate)]
    pub bitrate: Option<u32>,
    /// MP3 VBR quality 0 (best) to 9; FLAC compression level 0-8.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub quality: Option<u8>,
    /// Bits per sample for WAV (16, 24, 32 = float) and FLAC (16, 24).
    #[arg(long)]
    pub bits: Option<u16>,
    /// Output sample rate in Hz (default: the input's).
    #[arg(long)]
    pub sample_rate: Option<u32>,
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

fn parse_bitrate(s: &str) -> Result<u32, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = match t.strip_suffix('k') {
        Some(n) => (n, 1000.0),
        None => (t.as_str(), 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("not a bit rate: {s:?} (try 192k)"))?;
    let bps = v * mult;
    if !(8_000.0..=640_000.0).contains(&bps) {
        return Err(format!("bit rate {s} is outside 8k..640k"));
    }
    Ok(bps.round() as u32)
}

pub fn run(args: Args, cancel: CancelToken) -> Result<(), loudcore::Error> {
    let (bar, on_progress) = progress_bar();
    let opts = NormalizeOptions {
        target_lufs: args.target_lufs,
        true_peak_dbtp: args.true_peak_dbtp,
        lra_lu: args.lra_lu,
        preset: args.preset,
        mode: args.mode,
        bitrate: args.bitrate,
        quality: args.quality,
        bits_per_sample: args.bits,
        sample_rate: args.sample_rate,
        limits: args.limits.to_limits(),
        decode: DecodeOptions {
            strict: args.strict,
            allow_truncated: false,
            threads: usize::from(args.threads),
        },
        on_progress,
        cancel: Some(cancel),
        ..Default::default()
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
    println!(
        "{:<16}{:+.2} dB{}",
        "Gain",
        r.gain_db,
        if r.limiter_active {
            " (true-peak limiter engaged)"
        } else {
            ""
        }
    );
    for o in &r.outputs {
        println!(
            "{:<16}{} ({}, {} Hz, {}): {} / {}, {}{}",
            "Output",
            o.path,
            o.format.as_str(),
            o.sample_rate,
            fmt_duration(o.duration_s),
            fmt_opt(o.integrated_lufs, "LUFS"),
            fmt_opt(o.true_peak_dbtp, "dBTP"),
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
