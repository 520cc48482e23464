//! Targets (presets, explicit values) and the gain plan derived from a measurement.

use crate::error::{Error, Result};

/// Loudness targets of common platforms and standards: (target LUFS, ceiling dBTP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    Spotify,
    AppleMusic,
    Youtube,
    Amazon,
    Tidal,
    Deezer,
    Podcast,
    EbuR128,
    AtscA85,
}

impl Preset {
    pub const ALL: [Preset; 9] = [
        Preset::Spotify,
        Preset::AppleMusic,
        Preset::Youtube,
        Preset::Amazon,
        Preset::Tidal,
        Preset::Deezer,
        Preset::Podcast,
        Preset::EbuR128,
        Preset::AtscA85,
    ];

    /// `(target_lufs, true_peak_dbtp)`.
    pub fn targets(self) -> (f64, f64) {
        match self {
            Preset::Spotify => (-14.0, -1.0),
            Preset::AppleMusic => (-16.0, -1.0),
            Preset::Youtube => (-14.0, -1.0),
            Preset::Amazon => (-14.0, -2.0),
            Preset::Tidal => (-14.0, -1.0),
            Preset::Deezer => (-15.0, -1.0),
            Preset::Podcast => (-16.0, -1.0),
            Preset::EbuR128 => (-23.0, -1.0),
            Preset::AtscA85 => (-24.0, -2.0),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Spotify => "spotify",
            Preset::AppleMusic => "apple-music",
            Preset::Youtube => "youtube",
            Preset::Amazon => "amazon",
            Preset::Tidal => "tidal",
            Preset::Deezer => "deezer",
            Preset::Podcast => "podcast",
            Preset::EbuR128 => "ebu-r128",
            Preset::AtscA85 => "atsc-a85",
        }
    }
}

impl std::str::FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        Preset::ALL
            .into_iter()
            .find(|p| p.as_str() == norm)
            .ok_or_else(|| Error::InvalidOptions {
                detail: format!(
                    "unknown preset {s:?} (known: {})",
                    Preset::ALL.map(|p| p.as_str()).join(", ")
                ),
            })
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How loudness is reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One gain for the whole file plus a true-peak limiter: dynamics are preserved.
    #[default]
    Linear,
    /// A smooth gain curve, planned over the whole input, brings its loudness range
    /// (EBU Tech 3342) to at or under `lra_lu`, then the same target, limiter and
    /// verification as linear. An input already within the range gets the linear result.
    Dynamic,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Linear => "linear",
            Mode::Dynamic => "dynamic",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linear" => Ok(Mode::Linear),
            "dynamic" => Ok(Mode::Dynamic),
            other => Err(Error::InvalidOptions {
                detail: format!("unknown mode {other:?} (known: linear, dynamic)"),
            }),
        }
    }
}

/// The targets a job aims for, after presets and explicit values are combined.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Targets {
    pub target_lufs: f64,
    pub ceiling_dbtp: f64,
    /// The loudness-range target of dynamic mode; `None` in linear mode.
    pub lra_lu: Option<f64>,
}

/// Default target and ceiling when neither a preset nor a value is given.
pub(crate) const DEFAULT_TARGET_LUFS: f64 = -14.0;
pub(crate) const DEFAULT_CEILING_DBTP: f64 = -1.0;
/// Loudness-range target of dynamic mode when none is given (what the services loudcore
/// replaces pass to FFmpeg's loudnorm).
pub const DEFAULT_LRA_LU: f64 = 11.0;

/// Explicit values override the preset, which overrides the defaults.
pub(crate) fn resolve(
    preset: Option<Preset>,
    target_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    mode: Mode,
    lra_lu: Option<f64>,
) -> Result<Targets> {
    let (pt, pc) = preset.map_or((DEFAULT_TARGET_LUFS, DEFAULT_CEILING_DBTP), Preset::targets);
    let t = Targets {
        target_lufs: target_lufs.unwrap_or(pt),
        ceiling_dbtp: true_peak_dbtp.unwrap_or(pc),
        lra_lu: (mode == Mode::Dynamic).then(|| lra_lu.unwrap_or(DEFAULT_LRA_LU)),
    };
    let bad = |detail: String| Err(Error::InvalidOptions { detail });
    if !(t.target_lufs.is_finite() && (-70.0..=0.0).contains(&t.target_lufs)) {
        return bad(format!(
            "target_lufs must be between -70 and 0 LUFS, got {}",
            t.target_lufs
        ));
    }
    if !(t.ceiling_dbtp.is_finite() && (-20.0..=0.0).contains(&t.ceiling_dbtp)) {
        return bad(format!(
            "true_peak_dbtp must be between -20 and 0 dBTP, got {}",
            t.ceiling_dbtp
        ));
    }
    if let Some(lra) = lra_lu {
        if !(lra.is_finite() && (1.0..=50.0).contains(&lra)) {
            return bad(format!("lra_lu must be between 1 and 50 LU, got {lra}"));
        }
    }
    // Linear mode keeps the input's range: a range target there would be ignored, or (as
    // FFmpeg's loudnorm does) switch modes behind the caller's back. Neither happens.
    if mode == Mode::Linear && lra_lu.is_some() {
        return bad(
            "lra_lu is a target of dynamic mode; linear mode keeps the input's loudness range \
             (pass mode \"dynamic\" to reach a range)"
                .into(),
        );
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_values_override_presets() {
        let t = resolve(Some(Preset::EbuR128), None, None, Mode::Linear, None).expect("ok");
        assert_eq!((t.target_lufs, t.ceiling_dbtp), (-23.0, -1.0));
        let t = resolve(Some(Preset::EbuR128), Some(-18.0), None, Mode::Linear, None).expect("ok");
        assert_eq!((t.target_lufs, t.ceiling_dbtp), (-18.0, -1.0));
        let t = resolve(None, None, None, Mode::Linear, None).expect("ok");
        assert_eq!((t.target_lufs, t.ceiling_dbtp), (-14.0, -1.0));
    }

    #[test]
    fn preset_names() {
        for p in Preset::ALL {
            assert_eq!(p.as_str().parse::<Preset>().expect("round trip"), p);
        }
        assert_eq!(
            "Apple_Music".parse::<Preset>().expect("lenient"),
            Preset::AppleMusic
        );
        assert!("loud".parse::<Preset>().is_err());
    }

    #[test]
    fn dynamic_takes_a_range_and_linear_refuses_one() {
        let t = resolve(None, None, None, Mode::Dynamic, None).expect("dynamic mode");
        assert_eq!(t.lra_lu, Some(DEFAULT_LRA_LU));
        let t = resolve(None, None, None, Mode::Dynamic, Some(7.0)).expect("dynamic mode");
        assert_eq!(t.lra_lu, Some(7.0));
        assert_eq!(
            resolve(None, None, None, Mode::Linear, None)
                .expect("ok")
                .lra_lu,
            None
        );
        let e = resolve(None, None, None, Mode::Linear, Some(11.0)).expect_err("linear + range");
        assert!(e.to_string().contains("dynamic"), "{e}");
        assert!(resolve(None, None, None, Mode::Dynamic, Some(0.5)).is_err());
    }
}
