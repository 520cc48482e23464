//! Validation limits a service applies to uploads before spending CPU on them.

use crate::error::{Error, Result};
use crate::input::Format;
use crate::input::probe::Probe;

/// Limits checked on every input. The defaults accept any sane audio file: a service
/// tightens them (say 300 MB and 4 hours for DJ mixes).
///
/// ```
/// let limits = loudcore::Limits { max_bytes: Some(300 << 20), max_duration_s: Some(4.0 * 3600.0), ..Default::default() };
/// assert_eq!(limits.max_channels, 8);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest input in bytes. Default 4 GiB.
    pub max_bytes: Option<u64>,
    /// Shortest accepted duration in seconds. Default 0 (anything with at least one sample).
    pub min_duration_s: f64,
    /// Longest accepted duration in seconds. Default 24 hours.
    pub max_duration_s: Option<f64>,
    /// Most channels accepted. Default 8 (7.1).
    pub max_channels: u32,
    /// Lowest sample rate accepted in Hz. Default 8000.
    pub min_sample_rate: u32,
    /// Highest sample rate accepted in Hz. Default 192000.
    pub max_sample_rate: u32,
    /// Containers accepted. Default: all that loudcore reads.
    pub allowed_formats: Vec<Format>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: Some(4 << 30),
            min_duration_s: 0.0,
            max_duration_s: Some(24.0 * 3600.0),
            max_channels: 8,
            min_sample_rate: 8_000,
            max_sample_rate: 192_000,
            allowed_formats: Format::ALL.to_vec(),
        }
    }
}

impl Limits {
    pub(crate) fn check_options(&self) -> Result<()> {
        let bad = |detail: String| Err(Error::InvalidOptions { detail });
        if !(self.min_duration_s >= 0.0 && self.min_duration_s.is_finite()) {
            return bad(format!(
                "min_duration_s must be >= 0, got {}",
                self.min_duration_s
            ));
        }
        if let Some(max) = self.max_duration_s {
            if max.is_nan() || max <= 0.0 || max < self.min_duration_s {
                return bad(format!(
                    "max_duration_s must be > 0 and >= min_duration_s, got {max}"
                ));
            }
        }
        if self.max_channels == 0 {
            return bad("max_channels must be at least 1".into());
        }
        if self.min_sample_rate > self.max_sample_rate {
            return bad("min_sample_rate is above max_sample_rate".into());
        }
        if self.allowed_formats.is_empty() {
            return bad("allowed_formats is empty".into());
        }
        Ok(())
    }

    pub(crate) fn check_bytes(&self, file: &str, bytes: u64) -> Result<()> {
        match self.max_bytes {
            Some(limit) if bytes > limit => Err(Error::TooLarge {
                file: file.into(),
                bytes,
                limit,
            }),
            _ => Ok(()),
        }
    }

    pub(crate) fn check_format(&self, file: &str, format: Format) -> Result<()> {
        if self.allowed_formats.contains(&format) {
            return Ok(());
        }
        let allowed = self
            .allowed_formats
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        Err(Error::FormatNotAllowed {
            file: file.into(),
            format: format.to_string(),
            allowed,
        })
    }

    pub(crate) fn check_stream(&self, file: &str, p: &Probe) -> Result<()> {
        if p.channels > self.max_channels {
            return Err(Error::TooManyChannels {
                file: file.into(),
                channels: p.channels,
                limit: self.max_channels,
            });
        }
        if p.sample_rate < self.min_sample_rate || p.sample_rate > self.max_sample_rate {
            return Err(Error::SampleRateOutOfRange {
                file: file.into(),
                sample_rate: p.sample_rate,
                min: self.min_sample_rate,
                max: self.max_sample_rate,
            });
        }
        self.check_duration(file, p.duration_s)
    }

    pub(crate) fn check_duration(&self, file: &str, duration_s: f64) -> Result<()> {
        if let Some(limit_s) = self.max_duration_s {
            if duration_s > limit_s {
                return Err(Error::TooLong {
                    file: file.into(),
                    duration_s,
                    limit_s,
                });
            }
        }
        if duration_s < self.min_duration_s {
            return Err(Error::TooShort {
                file: file.into(),
                duration_s,
                limit_s: self.min_duration_s,
            });
        }
        Ok(())
    }
}
