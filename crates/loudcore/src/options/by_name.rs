//! Every option under its one flat name (`target_lufs`, `max_bytes`, `segment_seconds`),
//! the form in which the CLI and the bindings hand options over. The table [`OPTIONS`] is
//! the only list: each entry says where the option lives, so which jobs accept it follows
//! from it, and each binding's tests check their stubs against it.

use super::{AnalyzeOptions, HlsOptions, JobOptions, NormalizeOptions, TargetOptions};
use crate::encode::EncoderSettings;
use crate::error::{Error, Result};

/// A value as a binding hands it over. Bindings map their own types onto these five
/// (JavaScript numbers arrive as `Float`; whole floats are accepted where an integer is
/// expected). `None`/`undefined`/`null` is never mapped: an unset option keeps the core's
/// default.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<String>),
}

impl std::fmt::Display for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::Bool(b) => write!(f, "{b}"),
            OptionValue::Int(i) => write!(f, "{i}"),
            OptionValue::Float(x) => write!(f, "{x}"),
            OptionValue::Text(s) => write!(f, "{s:?}"),
            OptionValue::List(l) => write!(f, "{l:?}"),
        }
    }
}

/// The type an option takes, for stubs and help texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Bool,
    /// A whole number (JavaScript: a number).
    Int,
    /// A number.
    Float,
    /// A name (preset, mode, container...) or, for `bitrate`, also a rate such as `"192k"`.
    Text,
    /// A list of names (`allowed_formats`) or variants (`"high=128k@44100"`).
    List,
}

impl ValueKind {
    /// The lowercase name (`"bool"`, `"int"`, `"float"`, `"text"`, `"list"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Bool => "bool",
            ValueKind::Int => "int",
            ValueKind::Float => "float",
            ValueKind::Text => "text",
            ValueKind::List => "list",
        }
    }
}

/// The jobs, for [`OptionInfo::jobs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Analyze,
    Normalize,
    Hls,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [JobKind::Analyze, JobKind::Normalize, JobKind::Hls];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Analyze => "analyze",
            JobKind::Normalize => "normalize",
            JobKind::Hls => "hls",
        }
    }
}

type Apply<T> = fn(&mut T, &str, &OptionValue) -> Result<()>;

/// Which part of a job's options an option lives in; this decides the jobs that take it.
#[derive(Clone, Copy)]
enum Part {
    Job(Apply<JobOptions>),
    Target(Apply<TargetOptions>),
    Encoder(Apply<EncoderSettings>),
    Analyze(Apply<AnalyzeOptions>),
    Hls(Apply<HlsOptions>),
}

/// One option: its flat name (snake_case; camelCase in JavaScript, kebab-case as a CLI
/// flag), its type and what it means. Its default is the `Default` of the struct it lives in.
#[derive(Clone, Copy)]
pub struct OptionInfo {
    pub name: &'static str,
    pub kind: ValueKind,
    pub doc: &'static str,
    part: Part,
}

impl std::fmt::Debug for OptionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptionInfo")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("jobs", &self.jobs())
            .finish()
    }
}

impl OptionInfo {
    /// The jobs that accept this option.
    pub fn jobs(&self) -> &'static [JobKind] {
        match self.part {
            Part::Job(_) => &JobKind::ALL,
            Part::Target(_) => &[JobKind::Normalize, JobKind::Hls],
            Part::Encoder(_) => &[JobKind::Normalize],
            Part::Analyze(_) => &[JobKind::Analyze],
            Part::Hls(_) => &[JobKind::Hls],
        }
    }

    /// The options `job` accepts, in table order.
    pub fn for_job(job: JobKind) -> impl Iterator<Item = &'static OptionInfo> {
        OPTIONS.iter().filter(move |o| o.jobs().contains(&job))
    }
}

const fn opt(name: &'static str, kind: ValueKind, doc: &'static str, part: Part) -> OptionInfo {
    OptionInfo {
        name,
        kind,
        doc,
        part,
    }
}

use ValueKind::{Bool, Float, Int, List, Text};

/// Every option of every job. Their defaults are those of [`JobOptions`],
/// [`TargetOptions`], [`EncoderSettings`], [`AnalyzeOptions`] and [`HlsOptions`].
pub const OPTIONS: &[OptionInfo] = &[
    // Limits and decoding: every job.
    opt(
        "max_bytes",
        Int,
        "Largest input in bytes (default 4 GiB).",
        Part::Job(|o, n, v| {
            o.limits.max_bytes = Some(v.uint(n)?);
            Ok(())
        }),
    ),
    opt(
        "min_duration_s",
        Float,
        "Shortest accepted duration, seconds (default 0).",
        Part::Job(|o, n, v| {
            o.limits.min_duration_s = v.float(n)?;
            Ok(())
        }),
    ),
    opt(
        "max_duration_s",
        Float,
        "Longest accepted duration, seconds (default 24 hours).",
        Part::Job(|o, n, v| {
            o.limits.max_duration_s = Some(v.float(n)?);
            Ok(())
        }),
    ),
    opt(
        "max_channels",
        Int,
        "Most channels accepted (default 8).",
        Part::Job(|o, n, v| {
            o.limits.max_channels = v.uint(n)?;
            Ok(())
        }),
    ),
    opt(
        "min_sample_rate",
        Int,
        "Lowest sample rate accepted, Hz (default 8000).",
        Part::Job(|o, n, v| {
            o.limits.min_sample_rate = v.uint(n)?;
            Ok(())
        }),
    ),
    opt(
        "max_sample_rate",
        Int,
        "Highest sample rate accepted, Hz (default 192000).",
        Part::Job(|o, n, v| {
            o.limits.max_sample_rate = v.uint(n)?;
            Ok(())
        }),
    ),
    opt(
        "allowed_formats",
        List,
        "Containers accepted, judged by content: mp3, adts, mp4, flac, wav, ogg (default: all).",
        Part::Job(|o, n, v| {
            o.limits.allowed_formats = v
                .list(n)?
                .iter()
                .map(|f| f.parse())
                .collect::<std::result::Result<_, String>>()
                .map_err(|e| invalid(format!("{n}: {e}")))?;
            Ok(())
        }),
    ),
    opt(
        "strict",
        Bool,
        "Fail on the first damaged frame instead of skipping it (default false).",
        Part::Job(|o, n, v| {
            o.decode.strict = v.bool(n)?;
            Ok(())
        }),
    ),
    opt(
        "allow_truncated",
        Bool,
        "Accept an input that ends before its headers say, with a warning (default false).",
        Part::Job(|o, n, v| {
            o.decode.allow_truncated = v.bool(n)?;
            Ok(())
        }),
    ),
    opt(
        "threads",
        Int,
        "Decoder threads for this job, 1 to 8 (default 2).",
        Part::Job(|o, n, v| {
            o.decode.threads = v.uint(n)?;
            Ok(())
        }),
    ),
    // Analyze.
    opt(
        "curve",
        Bool,
        "Also return momentary and short-term loudness every 100 ms (default false).",
        Part::Analyze(|o, n, v| {
            o.curve = v.bool(n)?;
            Ok(())
        }),
    ),
    // Targets: normalize and hls.
    opt(
        "preset",
        Text,
        "A named target: spotify, apple-music, youtube, amazon, tidal, deezer, podcast, ebu-r128, atsc-a85.",
        Part::Target(|o, n, v| {
            o.preset = Some(v.parse(n)?);
            Ok(())
        }),
    ),
    opt(
        "target_lufs",
        Float,
        "Integrated loudness to reach, LUFS (default -14, or the preset's).",
        Part::Target(|o, n, v| {
            o.target_lufs = Some(v.float(n)?);
            Ok(())
        }),
    ),
    opt(
        "true_peak_dbtp",
        Float,
        "True-peak ceiling, dBTP (default -1, or the preset's).",
        Part::Target(|o, n, v| {
            o.true_peak_dbtp = Some(v.float(n)?);
            Ok(())
        }),
    ),
    opt(
        "lra_lu",
        Float,
        "Loudness-range target, LU, of dynamic mode (default 11 there; refused in linear mode).",
        Part::Target(|o, n, v| {
            o.lra_lu = Some(v.float(n)?);
            Ok(())
        }),
    ),
    opt(
        "mode",
        Text,
        "linear (default): one gain and the limiter; dynamic: a smooth gain curve also brings the loudness range to lra_lu. Never switched silently.",
        Part::Target(|o, n, v| {
            o.mode = v.parse(n)?;
            Ok(())
        }),
    ),
    opt(
        "gain_curve",
        Bool,
        "Report the gain applied every 100 ms, in dynamic mode (default false).",
        Part::Target(|o, n, v| {
            o.gain_curve = v.bool(n)?;
            Ok(())
        }),
    ),
    opt(
        "max_attempts",
        Int,
        "Renders allowed per output before giving up on the target (default 4).",
        Part::Target(|o, n, v| {
            o.max_attempts = Some(v.uint(n)?);
            Ok(())
        }),
    ),
    // Encoder settings: normalize's outputs (an HLS variant carries its own).
    opt(
        "bitrate",
        Int,
        "Constant bit rate of MP3/M4A outputs, bits/s or \"192k\" (default: MP3 VBR V0, M4A 128k per channel).",
        Part::Encoder(|o, n, v| {
            o.bitrate = Some(v.bitrate(n)?);
            Ok(())
        }),
    ),
    opt(
        "quality",
        Int,
        "MP3 VBR quality 0 (best) to 9; FLAC compression level 0-8.",
        Part::Encoder(|o, n, v| {
            o.quality = Some(v.uint(n)?);
            Ok(())
        }),
    ),
    opt(
        "bits_per_sample",
        Int,
        "PCM bits of WAV (16, 24, 32 = float) and FLAC (16, 24).",
        Part::Encoder(|o, n, v| {
            o.bits_per_sample = Some(v.uint(n)?);
            Ok(())
        }),
    ),
    opt(
        "sample_rate",
        Int,
        "Output sample rate, Hz (default: the input's).",
        Part::Encoder(|o, n, v| {
            o.sample_rate = Some(v.uint(n)?);
            Ok(())
        }),
    ),
    // The ladder.
    opt(
        "variants",
        List,
        "Rungs as [name=]bitrate@rate, e.g. high=128k@44100 (default 48k@24000, 64k@32000, 128k@44100).",
        Part::Hls(|o, n, v| {
            o.variants = v
                .list(n)?
                .iter()
                .map(|s| s.parse())
                .collect::<Result<_>>()?;
            Ok(())
        }),
    ),
    opt(
        "segment_seconds",
        Float,
        "Target segment duration, seconds (default 10).",
        Part::Hls(|o, n, v| {
            o.segment_seconds = v.float(n)?;
            Ok(())
        }),
    ),
    opt(
        "container",
        Text,
        "ts (default), packed or fmp4.",
        Part::Hls(|o, n, v| {
            o.container = v.parse(n)?;
            Ok(())
        }),
    ),
    opt(
        "codec",
        Text,
        "aac (AAC-LC, default) or mp3.",
        Part::Hls(|o, n, v| {
            o.codec = v.parse(n)?;
            Ok(())
        }),
    ),
    opt(
        "layout",
        Text,
        "nested (default: NAME/playlist.m3u8) or flat (NAME.m3u8).",
        Part::Hls(|o, n, v| {
            o.layout = v.parse(n)?;
            Ok(())
        }),
    ),
];

fn invalid(detail: String) -> Error {
    Error::InvalidOptions { detail }
}

fn lookup(job: JobKind, name: &str) -> Result<&'static OptionInfo> {
    let known = || {
        OptionInfo::for_job(job)
            .map(|o| o.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match OPTIONS.iter().find(|o| o.name == name) {
        Some(o) if o.jobs().contains(&job) => Ok(o),
        Some(o) => Err(invalid(format!(
            "option {name} does not apply to {} (it applies to {}){}",
            job.as_str(),
            o.jobs()
                .iter()
                .map(|j| j.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if matches!(o.part, Part::Encoder(_)) && job == JobKind::Hls {
                "; a ladder sets bit rate and sample rate per variant (e.g. 64k@32000)"
            } else {
                ""
            }
        ))),
        None => Err(invalid(format!(
            "unknown option {name:?} for {} (known: {})",
            job.as_str(),
            known()
        ))),
    }
}

impl AnalyzeOptions {
    /// Sets one option by its flat name.
    ///
    /// ```
    /// use loudcore::{AnalyzeOptions, OptionValue};
    /// let mut o = AnalyzeOptions::default();
    /// o.set("max_channels", OptionValue::Int(2))?;
    /// o.set("curve", OptionValue::Bool(true))?;
    /// assert!(o.curve && o.job.limits.max_channels == 2);
    /// assert!(o.set("target_lufs", OptionValue::Float(-14.0)).is_err());
    /// # Ok::<(), loudcore::Error>(())
    /// ```
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        match lookup(JobKind::Analyze, name)?.part {
            Part::Job(f) => f(&mut self.job, name, &value),
            Part::Analyze(f) => f(self, name, &value),
            _ => Err(not_here(name)),
        }
    }
}

impl NormalizeOptions {
    /// Sets one option by its flat name.
    ///
    /// ```
    /// use loudcore::{NormalizeOptions, OptionValue};
    /// let mut o = NormalizeOptions::default();
    /// o.set("target_lufs", OptionValue::Float(-16.0))?;
    /// o.set("bitrate", OptionValue::Text("192k".into()))?;
    /// assert_eq!((o.target.target_lufs, o.output.bitrate), (Some(-16.0), Some(192_000)));
    /// assert!(o.set("segment_seconds", OptionValue::Float(6.0)).is_err());
    /// # Ok::<(), loudcore::Error>(())
    /// ```
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        match lookup(JobKind::Normalize, name)?.part {
            Part::Job(f) => f(&mut self.job, name, &value),
            Part::Target(f) => f(&mut self.target, name, &value),
            Part::Encoder(f) => f(&mut self.output, name, &value),
            _ => Err(not_here(name)),
        }
    }
}

impl HlsOptions {
    /// Sets one option by its flat name.
    ///
    /// ```
    /// use loudcore::{HlsOptions, OptionValue};
    /// let mut o = HlsOptions::default();
    /// o.set("variants", OptionValue::List(vec!["high=128k@44100".into()]))?;
    /// o.set("segment_seconds", OptionValue::Float(6.0))?;
    /// assert_eq!((o.variants.len(), o.segment_seconds), (1, 6.0));
    /// assert!(o.set("bitrate", OptionValue::Int(128_000)).is_err());
    /// # Ok::<(), loudcore::Error>(())
    /// ```
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        match lookup(JobKind::Hls, name)?.part {
            Part::Job(f) => f(&mut self.job, name, &value),
            Part::Target(f) => f(&mut self.target, name, &value),
            Part::Hls(f) => f(self, name, &value),
            _ => Err(not_here(name)),
        }
    }
}

impl EncoderSettings {
    /// Sets one of the encoder options (`bitrate`, `quality`, `bits_per_sample`,
    /// `sample_rate`) by name: how bindings build an [`OutputSpec`](crate::OutputSpec)'s
    /// overrides.
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<()> {
        match lookup(JobKind::Normalize, name)?.part {
            Part::Encoder(f) => f(self, name, &value),
            _ => Err(invalid(format!(
                "option {name} is set for the whole job, not per output"
            ))),
        }
    }
}

// `lookup` checked the job; a part the job lacks means the table and `jobs()` disagree.
fn not_here(name: &str) -> Error {
    Error::Internal {
        file: String::new(),
        detail: format!("option {name} is listed for a job that has no place for it"),
    }
}

impl OptionValue {
    fn wrong(&self, name: &str, expected: &str) -> Error {
        invalid(format!("{name} must be {expected}, got {self}"))
    }

    fn bool(&self, name: &str) -> Result<bool> {
        match self {
            OptionValue::Bool(b) => Ok(*b),
            _ => Err(self.wrong(name, "true or false")),
        }
    }

    fn float(&self, name: &str) -> Result<f64> {
        match self {
            OptionValue::Int(i) => Ok(*i as f64),
            OptionValue::Float(x) => Ok(*x),
            _ => Err(self.wrong(name, "a number")),
        }
    }

    /// A whole number that fits `T` (a whole float does: JavaScript has no integers).
    fn uint<T: TryFrom<i64>>(&self, name: &str) -> Result<T> {
        let whole = match self {
            OptionValue::Int(i) => Some(*i),
            OptionValue::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(*x as i64),
            _ => None,
        };
        whole
            .and_then(|i| T::try_from(i).ok())
            .ok_or_else(|| self.wrong(name, "a whole number in range"))
    }

    fn text(&self, name: &str) -> Result<&str> {
        match self {
            OptionValue::Text(s) => Ok(s),
            _ => Err(self.wrong(name, "a name")),
        }
    }

    fn parse<T: std::str::FromStr<Err = Error>>(&self, name: &str) -> Result<T> {
        self.text(name)?.parse()
    }

    fn list(&self, name: &str) -> Result<&[String]> {
        match self {
            OptionValue::List(l) => Ok(l),
            _ => Err(self.wrong(name, "a list")),
        }
    }

    /// Bits per second, or a rate with a `k` suffix (`"192k"`).
    fn bitrate(&self, name: &str) -> Result<u32> {
        match self {
            OptionValue::Text(s) => crate::hls::parse_scaled(s)
                .ok_or_else(|| self.wrong(name, "a bit rate such as 192000 or \"192k\"")),
            _ => self.uint(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value of the option's kind that its setter accepts.
    fn sample(o: &OptionInfo) -> OptionValue {
        match (o.name, o.kind) {
            ("allowed_formats", _) => OptionValue::List(vec!["mp3".into()]),
            ("variants", _) => OptionValue::List(vec!["64k@32000".into()]),
            ("preset", _) => OptionValue::Text("spotify".into()),
            ("mode", _) => OptionValue::Text("linear".into()),
            ("container", _) => OptionValue::Text("fmp4".into()),
            ("codec", _) => OptionValue::Text("mp3".into()),
            ("layout", _) => OptionValue::Text("flat".into()),
            (_, Bool) => OptionValue::Bool(true),
            (_, Int) => OptionValue::Int(3),
            (_, Float) => OptionValue::Float(3.0),
            (_, Text | List) => unreachable!("every named option has a sample: {}", o.name),
        }
    }

    fn set(job: JobKind, name: &str, v: OptionValue) -> Result<()> {
        match job {
            JobKind::Analyze => AnalyzeOptions::default().set(name, v),
            JobKind::Normalize => NormalizeOptions::default().set(name, v),
            JobKind::Hls => HlsOptions::default().set(name, v),
        }
    }

    #[test]
    fn every_option_is_accepted_by_its_jobs_and_refused_by_the_others() {
        let mut names: Vec<_> = OPTIONS.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPTIONS.len(), "an option is listed twice");
        for o in OPTIONS {
            for job in JobKind::ALL {
                let r = set(job, o.name, sample(o));
                if o.jobs().contains(&job) {
                    assert!(r.is_ok(), "{} on {}: {r:?}", o.name, job.as_str());
                } else {
                    assert!(
                        matches!(r, Err(Error::InvalidOptions { .. })),
                        "{} on {}: {r:?}",
                        o.name,
                        job.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn values_of_the_wrong_type_or_range_are_refused_with_the_option_named() {
        let mut o = NormalizeOptions::default();
        let e = o
            .set("quality", OptionValue::Int(300))
            .expect_err("u8 range");
        assert!(e.to_string().contains("quality"), "{e}");
        assert!(
            o.set("target_lufs", OptionValue::Text("loud".into()))
                .is_err()
        );
        assert!(o.set("threads", OptionValue::Float(2.5)).is_err());
        o.set("threads", OptionValue::Float(4.0))
            .expect("a whole float");
        assert_eq!(o.job.decode.threads, 4);
        let e = o
            .set("target_lufz", OptionValue::Float(-14.0))
            .expect_err("typo");
        assert!(
            e.to_string().contains("target_lufs"),
            "lists the known names: {e}"
        );
        let mut h = HlsOptions::default();
        let e = h
            .set("sample_rate", OptionValue::Int(44_100))
            .expect_err("per variant");
        assert!(e.to_string().contains("per variant"), "{e}");
    }

    #[test]
    fn setting_an_option_changes_only_that_option() {
        let mut o = NormalizeOptions::default();
        o.set("max_bytes", OptionValue::Int(1000)).expect("set");
        let d = NormalizeOptions::default();
        assert_eq!(o.job.limits.max_bytes, Some(1000));
        assert_eq!(o.job.limits.max_channels, d.job.limits.max_channels);
        assert_eq!(o.job.decode, d.job.decode);
        assert_eq!(o.target, d.target);
        assert_eq!(o.output, d.output);
    }
}
