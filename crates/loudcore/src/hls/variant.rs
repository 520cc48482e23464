//! The public HLS option types: containers, codecs, layouts and variants.

use std::str::FromStr;

pub use crate::encode::HlsCodec;
use crate::error::{Error, Result};

/// How segments are packaged.
///
/// ```
/// let c: loudcore::Container = serde_json::from_str(r#""fmp4""#).expect("known name");
/// assert_eq!(c, loudcore::Container::Fmp4);
/// assert_eq!(loudcore::Container::default(), loudcore::Container::Ts);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// MPEG-2 transport stream segments (`.ts`), which every HLS client plays.
    #[default]
    Ts,
    /// Packed audio: ADTS (`.aac`) or MP3 (`.mp3`) frames after an ID3 timestamp tag.
    Packed,
    /// Fragmented MP4 / CMAF (`init.mp4` + `.m4s`), which signals the encoder delay exactly.
    Fmp4,
}

impl Container {
    /// The lowercase name (`"ts"`, `"packed"`, `"fmp4"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Ts => "ts",
            Container::Packed => "packed",
            Container::Fmp4 => "fmp4",
        }
    }
}

/// Where the files of each variant go under the output directory.
///
/// `nested`: `<name>/playlist.m3u8` and `<name>/segment_00000.ts`; `flat`: `<name>.m3u8`
/// and `<name>_000.ts`. Both put `master.m3u8` at the top.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    #[default]
    Nested,
    Flat,
}

impl Layout {
    /// The lowercase name (`"nested"`, `"flat"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Nested => "nested",
            Layout::Flat => "flat",
        }
    }
}

macro_rules! parse_by_name {
    ($t:ty, $what:literal, [$($v:expr),+]) => {
        impl FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                [$($v),+]
                    .into_iter()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| Error::InvalidOptions {
                        detail: format!(
                            concat!("unknown HLS ", $what, " {:?}; use one of {}"),
                            s,
                            [$($v.as_str()),+].join(", ")
                        ),
                    })
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
parse_by_name!(
    Container,
    "container",
    [Container::Ts, Container::Packed, Container::Fmp4]
);
parse_by_name!(HlsCodec, "codec", [HlsCodec::Aac, HlsCodec::Mp3]);
parse_by_name!(Layout, "layout", [Layout::Nested, Layout::Flat]);

/// One rendition of the ladder: bit rate and sample rate, and optionally its name (which
/// names its playlist and segment files; by default `low`/`med`/`high` and so on).
///
/// Parses from `[name=]bitrate@sample_rate`, where the bit rate is in bits/s or with a `k`
/// suffix (kbit/s) and the sample rate in Hz (or kHz with `k`):
///
/// ```
/// let v: loudcore::Variant = "high=128k@44100".parse()?;
/// assert_eq!((v.name.as_deref(), v.bitrate, v.sample_rate), (Some("high"), 128_000, 44_100));
/// let v: loudcore::Variant = "64000@32k".parse()?;
/// assert_eq!((v.name, v.bitrate, v.sample_rate), (None, 64_000, 32_000));
/// assert!("128k".parse::<loudcore::Variant>().is_err());
/// # Ok::<(), loudcore::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Variant {
    /// Name of the variant's files; `None`: chosen from the variant's rank by bit rate.
    #[serde(default)]
    pub name: Option<String>,
    /// Target bit rate of the codec, bits/s.
    pub bitrate: u32,
    /// Sample rate of the encoded audio, Hz.
    pub sample_rate: u32,
}

/// The default ladder: 48 kbit/s at 24 kHz, 64 kbit/s at 32 kHz and 128 kbit/s at 44.1 kHz.
pub fn default_variants() -> Vec<Variant> {
    [(48_000, 24_000), (64_000, 32_000), (128_000, 44_100)]
        .into_iter()
        .map(|(bitrate, sample_rate)| Variant {
            name: None,
            bitrate,
            sample_rate,
        })
        .collect()
}

impl FromStr for Variant {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidOptions {
            detail: format!(
                "HLS variant {s:?}: {why} (expected [name=]bitrate@sample_rate, e.g. \
                 128k@44100 or high=128k@44100)"
            ),
        };
        let (name, spec) = match s.split_once('=') {
            Some((n, rest)) => {
                let n = n.trim();
                if n.is_empty() {
                    return Err(bad("the name before '=' is empty"));
                }
                (Some(n.to_string()), rest)
            }
            None => (None, s),
        };
        let (br, sr) = spec
            .split_once('@')
            .ok_or_else(|| bad("no '@' between bit rate and sample rate"))?;
        let bitrate = parse_scaled(br).ok_or_else(|| bad("the bit rate is not a number"))?;
        let sample_rate = parse_scaled(sr).ok_or_else(|| bad("the sample rate is not a number"))?;
        if bitrate == 0 {
            return Err(bad("the bit rate must be above 0"));
        }
        if sample_rate == 0 {
            return Err(bad("the sample rate must be above 0"));
        }
        Ok(Variant {
            name,
            bitrate,
            sample_rate,
        })
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(n) = &self.name {
            write!(f, "{n}=")?;
        }
        if self.bitrate.is_multiple_of(1000) {
            write!(f, "{}k@{}", self.bitrate / 1000, self.sample_rate)
        } else {
            write!(f, "{}@{}", self.bitrate, self.sample_rate)
        }
    }
}

/// `"128k"` → 128000, `"44.1k"` → 44100, `"64000"` → 64000; `None` for anything else,
/// including values that are not whole numbers or do not fit in a `u32`.
pub(crate) fn parse_scaled(s: &str) -> Option<u32> {
    let s = s.trim();
    let (digits, scale) = match s.strip_suffix(['k', 'K']) {
        Some(d) => (d, 1000u64),
        None => (s, 1),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 3 {
        return None;
    }
    // Fixed point in thousandths, so "44.1k" is exact.
    let int: u64 = int.parse().ok()?;
    let frac_milli: u64 = format!("{frac:0<3}").parse().ok()?;
    let milli = int.checked_mul(1000)?.checked_add(frac_milli)?;
    let value = milli.checked_mul(scale)?;
    if value % 1000 != 0 {
        return None;
    }
    u32::try_from(value / 1000).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let v: Variant = "48k@24000".parse().unwrap();
        assert_eq!((v.bitrate, v.sample_rate, v.name), (48_000, 24_000, None));
        let v: Variant = "high=128k@44100".parse().unwrap();
        assert_eq!(v.name.as_deref(), Some("high"));
        let v: Variant = "64000@32000".parse().unwrap();
        assert_eq!((v.bitrate, v.sample_rate), (64_000, 32_000));
        let v: Variant = "96k@44.1k".parse().unwrap();
        assert_eq!(v.sample_rate, 44_100);
        assert_eq!(v.to_string(), "96k@44100");
    }

    #[test]
    fn rejects_malformed_variants_with_a_clear_message() {
        for bad in [
            "",
            "128k",
            "@44100",
            "128k@",
            "x@44100",
            "0@44100",
            "=1k@8000",
            "1.5@8000",
            "99999999k@8000",
        ] {
            let e = bad.parse::<Variant>().unwrap_err();
            assert!(matches!(e, Error::InvalidOptions { .. }), "{bad}: {e:?}");
            assert!(e.to_string().contains("bitrate@sample_rate"), "{e}");
        }
    }

    #[test]
    fn enums_parse_and_serialise_lowercase() {
        assert_eq!("TS".parse::<Container>().unwrap(), Container::Ts);
        assert_eq!("flat".parse::<Layout>().unwrap(), Layout::Flat);
        assert!(
            "mp4"
                .parse::<Container>()
                .unwrap_err()
                .to_string()
                .contains("ts, packed, fmp4")
        );
        assert_eq!(
            serde_json::to_string(&Container::Packed).unwrap(),
            r#""packed""#
        );
        assert_eq!(serde_json::to_string(&HlsCodec::Mp3).unwrap(), r#""mp3""#);
        assert_eq!(
            serde_json::to_string(&Layout::Nested).unwrap(),
            r#""nested""#
        );
        let v: Variant = serde_json::from_str(r#"{"bitrate":64000,"sample_rate":32000}"#).unwrap();
        assert_eq!(v, default_variants()[1]);
    }
}
