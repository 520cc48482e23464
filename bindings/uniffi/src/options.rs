//! Option records: every field optional (`None` keeps the core's default, which is never
//! written here), named as the core names the option, and mapped field by field to
//! `(name, OptionValue)` through the core's `set`. A new core option reaches Kotlin and
//! Swift by one field in the record of its part.

use loudcore::OptionValue;

/// Where a record's fields go: the core's `set` of one job's options.
pub(crate) type Setter<'a> = dyn FnMut(&str, OptionValue) -> loudcore::Result<()> + 'a;

/// A field's value: an option's value, or a record of options.
pub(crate) trait Field {
    fn set(self, name: &str, set: &mut Setter<'_>) -> loudcore::Result<()>;
}

macro_rules! scalar {
    ($($t:ty => |$v:ident| $e:expr;)*) => {$(
        impl Field for $t {
            fn set(self, name: &str, set: &mut Setter<'_>) -> loudcore::Result<()> {
                let $v = self;
                set(name, $e)
            }
        }
    )*};
}

scalar! {
    bool => |v| OptionValue::Bool(v);
    u8 => |v| OptionValue::Int(v.into());
    u16 => |v| OptionValue::Int(v.into());
    u32 => |v| OptionValue::Int(v.into());
    // Beyond i64 as a float, which the core refuses where it wants a whole number.
    u64 => |v| i64::try_from(v).map_or(OptionValue::Float(v as f64), OptionValue::Int);
    f64 => |v| OptionValue::Float(v);
    String => |v| OptionValue::Text(v);
    Vec<String> => |v| OptionValue::List(v);
}

/// A record of options: every field `Option<T>` with `None` as its default.
macro_rules! options_record {
    (
        $(#[$m:meta])*
        pub struct $name:ident {
            $( $(#[$fm:meta])* pub $f:ident: $t:ty, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
        pub struct $name {
            $( $(#[$fm])* #[uniffi(default = None)] pub $f: Option<$t>, )*
        }

        impl Field for $name {
            fn set(self, _: &str, set: &mut Setter<'_>) -> loudcore::Result<()> {
                $( if let Some(v) = self.$f { Field::set(v, stringify!($f), set)?; } )*
                Ok(())
            }
        }

        #[cfg(test)]
        impl tests::Sample for $name {
            fn sample() -> Self {
                $name { $( $f: Some(tests::Sample::sample()), )* }
            }
        }
    };
    // A record with one required field first (not an option), then options.
    (
        $(#[$m:meta])*
        pub struct $name:ident {
            $(#[$rm:meta])* pub $r:ident: $rt:ty;
            $( $(#[$fm:meta])* pub $f:ident: $t:ty, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, uniffi::Record)]
        pub struct $name {
            $(#[$rm])* pub $r: $rt,
            $( $(#[$fm])* #[uniffi(default = None)] pub $f: Option<$t>, )*
        }

        impl Field for $name {
            fn set(self, _: &str, set: &mut Setter<'_>) -> loudcore::Result<()> {
                $( if let Some(v) = self.$f { Field::set(v, stringify!($f), set)?; } )*
                Ok(())
            }
        }

        #[cfg(test)]
        impl tests::Sample for $name {
            fn sample() -> Self {
                $name { $r: tests::Sample::sample(), $( $f: Some(tests::Sample::sample()), )* }
            }
        }
    };
}

/// Hands every field that is set to `set`.
pub(crate) fn apply(record: impl Field, set: &mut Setter<'_>) -> loudcore::Result<()> {
    record.set("", set)
}

options_record! {
    /// Limits checked on every input. `None` keeps the core's default (see
    /// `default_limits()`): the defaults accept any sane audio file.
    pub struct Limits {
        /// Largest input in bytes. Default 4 GiB.
        pub max_bytes: u64,
        /// Shortest accepted duration in seconds. Default 0.
        pub min_duration_s: f64,
        /// Longest accepted duration in seconds. Default 24 hours.
        pub max_duration_s: f64,
        /// Most channels accepted. Default 8.
        pub max_channels: u32,
        /// Lowest sample rate accepted in Hz. Default 8000.
        pub min_sample_rate: u32,
        /// Highest sample rate accepted in Hz. Default 192000.
        pub max_sample_rate: u32,
        /// Containers accepted (`"mp3"`, `"adts"`, `"mp4"`, `"flac"`, `"wav"`, `"ogg"`).
        /// Default: all that loudcore reads.
        pub allowed_formats: Vec<String>,
    }
}

options_record! {
    /// How decoding treats damaged data, and how many threads it may use.
    pub struct DecodeOptions {
        /// Fail on the first damaged frame instead of skipping it and counting it. Default false.
        pub strict: bool,
        /// Accept an input that ends before its headers say it should. Default false.
        pub allow_truncated: bool,
        /// Decoder threads for one job (1 to 8). Default 2.
        pub threads: u32,
    }
}

options_record! {
    /// Options of `analyze`. Every field is optional: `None` keeps the core's default.
    pub struct AnalyzeOptions {
        /// Limits the input must meet.
        pub limits: Limits,
        /// How damaged data is treated.
        pub decode: DecodeOptions,
        /// Also return momentary and short-term loudness every 100 ms in `Analysis.curve`.
        pub curve: bool,
    }
}

options_record! {
    /// Options of `normalize` and `normalize_to`. Every field is optional: `None` keeps the
    /// core's default. Explicit targets override the preset, which overrides the defaults
    /// (-14 LUFS, -1 dBTP). The output format comes from the output's extension (`.mp3`,
    /// `.m4a`, `.wav`, `.flac`).
    pub struct NormalizeOptions {
        /// Integrated loudness to reach, LUFS. Default: the preset's, else -14.
        pub target_lufs: f64,
        /// True-peak ceiling, dBTP. Default: the preset's, else -1.
        pub true_peak_dbtp: f64,
        /// Loudness-range target of dynamic mode, LU. Default 11 there; refused in linear
        /// mode, which keeps the input's range.
        pub lra_lu: f64,
        /// A named target: `spotify`, `apple-music`, `youtube`, `amazon`, `tidal`, `deezer`,
        /// `podcast`, `ebu-r128`, `atsc-a85`.
        pub preset: String,
        /// `linear` (default): one gain and the true-peak limiter. `dynamic`: a smooth gain
        /// curve also brings the loudness range to `lra_lu`. Never switched silently.
        pub mode: String,
        /// Report the gain applied every 100 ms (`Report.dynamic`, dynamic mode).
        pub gain_curve: bool,
        /// Constant bit rate for lossy outputs, bits per second (MP3 default: VBR V0).
        pub bitrate: u32,
        /// MP3 VBR quality 0 (best) to 9; FLAC compression level.
        pub quality: u8,
        /// PCM bits for WAV (16, 24, 32 = float) and FLAC (16, 24).
        pub bits_per_sample: u16,
        /// Output sample rate. Default: the input's.
        pub sample_rate: u32,
        /// Limits the input must meet.
        pub limits: Limits,
        /// How damaged input is treated.
        pub decode: DecodeOptions,
        /// Renders allowed per output before giving up on the target. Default 4.
        pub max_attempts: u32,
    }
}

options_record! {
    /// Options of `hls`: the ladder (`variants`, `segment_seconds`, `container`, `codec`,
    /// `layout`) and the loudness targets and input checks of `normalize`. Bit rate and
    /// sample rate are set per variant. Every field is optional: `None` keeps the core's
    /// default.
    pub struct HlsOptions {
        /// The rungs, `[name=]bitrate@sample_rate` (`"48k@24000"`, `"high=128k@44100"`).
        /// Default: 48k@24000, 64k@32000 and 128k@44100.
        pub variants: Vec<String>,
        /// Target segment duration in seconds (1 to 60). Default 10.
        pub segment_seconds: f64,
        /// Segment container: `"ts"` (MPEG-TS, default), `"packed"` (raw ADTS/MP3 with ID3
        /// timestamps) or `"fmp4"`.
        pub container: String,
        /// Codec of every rung: `"aac"` (AAC-LC, default) or `"mp3"`.
        pub codec: String,
        /// `"nested"` (default: `name/playlist.m3u8` + `name/segment_00000.ts`) or `"flat"`
        /// (`name.m3u8` + `name_000.aac`).
        pub layout: String,
        /// Integrated loudness to reach, LUFS. Default: the preset's, else -14.
        pub target_lufs: f64,
        /// True-peak ceiling, dBTP. Default: the preset's, else -1.
        pub true_peak_dbtp: f64,
        /// Loudness-range target of dynamic mode, LU. Default 11 there; refused in linear
        /// mode, which keeps the input's range.
        pub lra_lu: f64,
        /// A named target: `spotify`, `apple-music`, `youtube`, `amazon`, `tidal`, `deezer`,
        /// `podcast`, `ebu-r128`, `atsc-a85`.
        pub preset: String,
        /// `linear` (default): one gain and the true-peak limiter. `dynamic`: a smooth gain
        /// curve also brings the loudness range to `lra_lu`. Never switched silently.
        pub mode: String,
        /// Report the gain applied every 100 ms (`Report.dynamic`, dynamic mode).
        pub gain_curve: bool,
        /// Limits the input must meet.
        pub limits: Limits,
        /// How damaged input is treated.
        pub decode: DecodeOptions,
        /// Renders allowed per variant before giving up on the target. Default 4.
        pub max_attempts: u32,
    }
}

options_record! {
    /// One output of `normalize_to`: a destination (format from its extension: `.mp3`,
    /// `.m4a`, `.wav`, `.flac`) and settings that override the job's (`NormalizeOptions`)
    /// field by field; `None` keeps the job's.
    pub struct OutputSpec {
        /// Where the output is written.
        pub path: String;
        /// Constant bit rate for lossy outputs, bits per second.
        pub bitrate: u32,
        /// MP3 VBR quality 0 (best) to 9; FLAC compression level.
        pub quality: u8,
        /// PCM bits for WAV (16, 24, 32 = float) and FLAC (16, 24).
        pub bits_per_sample: u16,
        /// Output sample rate.
        pub sample_rate: u32,
    }
}

impl OutputSpec {
    pub(crate) fn into_core(self) -> loudcore::Result<loudcore::OutputSpec> {
        let mut spec = loudcore::OutputSpec::from(self.path.as_str());
        apply(self, &mut |n, v| spec.settings.set(n, v))?;
        Ok(spec)
    }
}

impl From<loudcore::Limits> for Limits {
    fn from(l: loudcore::Limits) -> Self {
        Limits {
            max_bytes: l.max_bytes,
            min_duration_s: Some(l.min_duration_s),
            max_duration_s: l.max_duration_s,
            max_channels: Some(l.max_channels),
            min_sample_rate: Some(l.min_sample_rate),
            max_sample_rate: Some(l.max_sample_rate),
            allowed_formats: Some(
                l.allowed_formats
                    .iter()
                    .map(|f| f.as_str().to_string())
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use loudcore::{JobKind, OptionInfo};

    /// A value for every field, to see which names a record hands over.
    pub(crate) trait Sample {
        fn sample() -> Self;
    }
    macro_rules! sample {
        ($($t:ty = $v:expr;)*) => {$( impl Sample for $t { fn sample() -> Self { $v } } )*};
    }
    sample! {
        bool = true; u8 = 1; u16 = 1; u32 = 1; u64 = 1; f64 = 1.0;
        String = String::new(); Vec<String> = Vec::new();
    }

    fn names(record: impl Field) -> Vec<String> {
        let mut out = Vec::new();
        apply(record, &mut |n, _| {
            out.push(n.to_string());
            Ok(())
        })
        .expect("recording names");
        out.sort();
        out
    }

    fn core(job: JobKind) -> Vec<String> {
        let mut out: Vec<_> = OptionInfo::for_job(job)
            .map(|o| o.name.to_string())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_record_field_is_an_option_of_its_job_and_every_option_has_a_field() {
        assert_eq!(names(AnalyzeOptions::sample()), core(JobKind::Analyze));
        assert_eq!(names(NormalizeOptions::sample()), core(JobKind::Normalize));
        assert_eq!(names(HlsOptions::sample()), core(JobKind::Hls));
    }

    #[test]
    fn output_spec_fields_are_per_output_options() {
        let mut s = loudcore::EncoderSettings::default();
        for n in names(OutputSpec::sample()) {
            s.set(&n, OptionValue::Int(16)).expect(&n);
        }
        assert_eq!(s.bits_per_sample, Some(16));
    }

    #[test]
    fn unset_fields_are_not_handed_over() {
        assert!(names(NormalizeOptions::default()).is_empty());
        let o = NormalizeOptions {
            limits: Some(Limits {
                max_sample_rate: Some(32_000),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(names(o), ["max_sample_rate"]);
    }
}
