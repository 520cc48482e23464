//! Flags the commands share, one group per part of the core's options: every job's limits
//! and decoding (`JobArgs`), the loudness targets (`TargetArgs`) and the output encoders
//! (`EncoderArgs`). Each flag is the kebab-case form of the core option's name (a few keep
//! a shorter name with the core's as an alias). No default is written here: a flag left
//! out keeps the core's default.

use loudcore::{
    CancelToken, EncoderSettings, Format, JobOptions, Mode, Preset, ProgressFn, TargetOptions,
};

/// Limits, decoding, and the job's hooks.
#[derive(clap::Args, Debug)]
pub struct JobArgs {
    /// Fail on the first damaged input frame instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Accept a truncated input (what is there, with a warning) instead of failing.
    #[arg(long)]
    pub allow_truncated: bool,
    /// Decoder threads (1-8, default 2); the result is identical whatever the count.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub threads: Option<u8>,
    /// Reject inputs larger than this many bytes (default 4 GiB).
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<u64>,
    /// Reject inputs longer than this many seconds (default 24 hours).
    #[arg(long, alias = "max-duration-s", value_name = "SECONDS")]
    pub max_duration: Option<f64>,
    /// Reject inputs shorter than this many seconds.
    #[arg(long, alias = "min-duration-s", value_name = "SECONDS")]
    pub min_duration: Option<f64>,
    /// Reject inputs with more channels than this (default 8).
    #[arg(long, value_name = "N")]
    pub max_channels: Option<u32>,
    /// Reject inputs sampled below this rate (default 8000).
    #[arg(long, value_name = "HZ")]
    pub min_sample_rate: Option<u32>,
    /// Reject inputs sampled above this rate (default 192000).
    #[arg(long, value_name = "HZ")]
    pub max_sample_rate: Option<u32>,
    /// Accept only these containers, judged by content (mp3, adts, mp4, flac, wav, ogg).
    #[arg(long, value_name = "FORMAT,...", value_delimiter = ',', value_parser = parse_format)]
    pub allowed_formats: Option<Vec<Format>>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

impl JobArgs {
    pub fn to_options(&self, cancel: CancelToken, on_progress: Option<ProgressFn>) -> JobOptions {
        let mut o = JobOptions {
            cancel: Some(cancel),
            on_progress,
            ..Default::default()
        };
        let (l, d) = (&mut o.limits, &mut o.decode);
        d.strict = self.strict;
        d.allow_truncated = self.allow_truncated;
        if let Some(t) = self.threads {
            d.threads = usize::from(t);
        }
        if let Some(v) = self.max_bytes {
            l.max_bytes = Some(v);
        }
        if let Some(v) = self.max_duration {
            l.max_duration_s = Some(v);
        }
        if let Some(v) = self.min_duration {
            l.min_duration_s = v;
        }
        if let Some(v) = self.max_channels {
            l.max_channels = v;
        }
        if let Some(v) = self.min_sample_rate {
            l.min_sample_rate = v;
        }
        if let Some(v) = self.max_sample_rate {
            l.max_sample_rate = v;
        }
        if let Some(v) = &self.allowed_formats {
            l.allowed_formats = v.clone();
        }
        o
    }
}

/// What a job that changes loudness aims for.
#[derive(clap::Args, Debug)]
pub struct TargetArgs {
    /// Named target: spotify, apple-music, youtube, amazon, tidal, deezer, podcast, ebu-r128, atsc-a85.
    #[arg(long)]
    pub preset: Option<Preset>,
    /// Integrated loudness target in LUFS (default -14, or the preset's).
    #[arg(long, allow_hyphen_values = true)]
    pub target_lufs: Option<f64>,
    /// True-peak ceiling in dBTP (default -1, or the preset's).
    #[arg(long, allow_hyphen_values = true)]
    pub true_peak_dbtp: Option<f64>,
    /// Loudness-range target in LU, of dynamic mode (default 11 there; refused in linear mode).
    #[arg(long)]
    pub lra_lu: Option<f64>,
    /// linear (default: one gain plus a true-peak limiter) or dynamic (a smooth gain curve
    /// also brings the loudness range to --lra-lu).
    #[arg(long)]
    pub mode: Option<Mode>,
    /// Report the gain applied every 100 ms (dynamic mode; with --json).
    #[arg(long, alias = "curve")]
    pub gain_curve: bool,
    /// Renders allowed per output before giving up on the target (default 4).
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
}

impl TargetArgs {
    pub fn to_options(&self) -> TargetOptions {
        TargetOptions {
            preset: self.preset,
            target_lufs: self.target_lufs,
            true_peak_dbtp: self.true_peak_dbtp,
            lra_lu: self.lra_lu,
            mode: self.mode.unwrap_or_default(),
            max_attempts: self.max_attempts,
            gain_curve: self.gain_curve,
        }
    }
}

/// Encoder settings of every output of a normalize job.
#[derive(clap::Args, Debug)]
pub struct EncoderArgs {
    /// Constant bit rate for MP3 and M4A, e.g. 192k or 320000 (default: MP3 VBR V0, M4A
    /// 128k per channel).
    #[arg(long, value_parser = parse_bitrate)]
    pub bitrate: Option<u32>,
    /// MP3 VBR quality 0 (best) to 9; FLAC compression level 0-8.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub quality: Option<u8>,
    /// Bits per sample for WAV (16, 24, 32 = float) and FLAC (16, 24).
    #[arg(long, alias = "bits-per-sample")]
    pub bits: Option<u16>,
    /// Output sample rate in Hz (default: the input's).
    #[arg(long)]
    pub sample_rate: Option<u32>,
}

impl EncoderArgs {
    pub fn to_settings(&self) -> EncoderSettings {
        EncoderSettings {
            bitrate: self.bitrate,
            quality: self.quality,
            bits_per_sample: self.bits,
            sample_rate: self.sample_rate,
        }
    }
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
