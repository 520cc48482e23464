//! Variant names, which become file and directory names under the output directory.

use super::Variant;
use super::playlist::MASTER;
use crate::error::{Error, Result};

const MAX_NAME_CHARS: usize = 64;

/// The file name of each variant, in the order given.
///
/// A variant's own name is kept; the others are named by their rank in ascending bit rate
/// (ties keep the given order): one variant is `main`; two are `low`, `high`; three are
/// `low`, `med`, `high`; more are `v1`..`vN`. Names must be 1 to 64 of `[A-Za-z0-9_-]`
/// and unique, so that nothing can be written outside the output directory (no `..`, no
/// separators) and no two variants share files.
pub(crate) fn variant_names(variants: &[Variant]) -> Result<Vec<String>> {
    if variants.is_empty() {
        return Err(invalid("an HLS ladder needs at least one variant".into()));
    }
    let mut by_rate: Vec<usize> = (0..variants.len()).collect();
    by_rate.sort_by_key(|&i| variants[i].bitrate);
    let defaults: &[&str] = match variants.len() {
        1 => &["main"],
        2 => &["low", "high"],
        3 => &["low", "med", "high"],
        _ => &[],
    };
    let mut names = vec![String::new(); variants.len()];
    for (rank, &i) in by_rate.iter().enumerate() {
        names[i] = match &variants[i].name {
            Some(n) => n.clone(),
            None => defaults
                .get(rank)
                .map_or_else(|| format!("v{}", rank + 1), |d| (*d).to_string()),
        };
    }
    for (i, n) in names.iter().enumerate() {
        check_name(n)?;
        // Case-insensitive: on macOS and Windows `Low` and `low` are the same directory.
        if names[..i].iter().any(|m| m.eq_ignore_ascii_case(n)) {
            return Err(invalid(format!(
                "two HLS variants are named {n:?}; give each variant its own name"
            )));
        }
    }
    Ok(names)
}

pub(super) fn check_name(n: &str) -> Result<()> {
    if n.is_empty() || n.len() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "HLS variant name {n:?} must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if let Some(c) = n
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(invalid(format!(
            "HLS variant name {n:?} contains {c:?}; use only letters, digits, '_' and '-'"
        )));
    }
    // The master playlist's stem would collide with it in the flat layout (NAME.m3u8).
    let master = MASTER.strip_suffix(".m3u8").unwrap_or(MASTER);
    if n.eq_ignore_ascii_case(master) {
        return Err(invalid(format!(
            "HLS variant name {master:?} is reserved for the master playlist"
        )));
    }
    Ok(())
}

fn invalid(detail: String) -> Error {
    Error::InvalidOptions { detail }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn v(spec: &str) -> Variant {
        spec.parse().unwrap()
    }

    #[test]
    fn default_names_follow_the_bitrate_rank() {
        let names = variant_names(&[v("128k@44100"), v("48k@24000"), v("64k@32000")]).unwrap();
        assert_eq!(names, ["high", "low", "med"]);
        assert_eq!(variant_names(&[v("64k@32000")]).unwrap(), ["main"]);
        assert_eq!(
            variant_names(&[v("96k@44100"), v("32k@22050")]).unwrap(),
            ["high", "low"]
        );
        let four = [v("1k@8000"), v("4k@8000"), v("3k@8000"), v("2k@8000")];
        assert_eq!(variant_names(&four).unwrap(), ["v1", "v4", "v3", "v2"]);
        assert_eq!(
            variant_names(&[v("hi-fi_2=128k@44100"), v("48k@24000")]).unwrap(),
            ["hi-fi_2", "low"]
        );
    }

    #[test]
    fn unsafe_empty_or_duplicate_names_are_rejected() {
        for bad in [
            "..",
            "../x",
            "a/b",
            "a\\b",
            "x y",
            "é",
            "master",
            &"n".repeat(65),
        ] {
            let mut variant = v("64k@32000");
            variant.name = Some(bad.to_string());
            let e = variant_names(&[variant]).unwrap_err();
            assert!(matches!(e, Error::InvalidOptions { .. }), "{bad}: {e:?}");
        }
        let mut empty = v("64k@32000");
        empty.name = Some(String::new());
        assert!(variant_names(&[empty]).is_err());
        // A given name colliding with a default one.
        let e = variant_names(&[v("low=128k@44100"), v("48k@24000")]).unwrap_err();
        assert!(e.to_string().contains("\"low\""), "{e}");
        assert!(variant_names(&[v("a=1k@8000"), v("A=2k@8000")]).is_err());
        assert!(variant_names(&[]).is_err());
    }
}
