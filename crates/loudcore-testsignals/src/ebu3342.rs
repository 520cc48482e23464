//! EBU Tech 3342, Table 1 "Minimum requirements test signals": the synthesisable cases.
//!
//! Source: EBU Tech 3342 "Loudness Range: A measure to supplement EBU R 128 loudness
//! normalization" (V3 January 2016, V4 November 2023 editorial), Table 1. Cases 5 and 6 are
//! the authentic programmes of Tech 3341 cases 7 and 8 and are not synthesisable. The spec
//! adds: "In all the above test cases, the expected response is unchanged if the test
//! signal is repeated one or more times in its full length. The loudness meter shall be
//! reset before each measurement." Tolerance: LRA ±1 LU.
//!
//! The tones are one continuous 1000 Hz sine whose per-channel peak level steps (see
//! [`crate::tone_sequence`]), identical in both channels.

use crate::{Case, Expect, Expected, tone_sequence};

pub(crate) const CASES: &[(&str, crate::CaseFn)] = &[
    ("3342-1", case_1),
    ("3342-2", case_2),
    ("3342-3", case_3),
    ("3342-4", case_4),
];

fn lra_case(
    id: &'static str,
    description: &'static str,
    sample_rate: u32,
    levels_dbfs: &[f64],
    lra: f64,
) -> Case {
    let segments: Vec<(f64, f64)> = levels_dbfs.iter().map(|&db| (db, 20.0)).collect();
    Case {
        id,
        description,
        signal: tone_sequence(sample_rate, 2, 1000.0, &segments),
        expected: Expected {
            lra_lu: Some(Expect::lra(lra)),
            ..Expected::default()
        },
    }
}

/// **3342-1.** "Stereo sine wave, 1000 Hz, −20.0 dBFS (per-channel peak level); signal
/// applied in phase to both channels simultaneous, 20 s duration; followed immediately by
/// the same signal at −30.0 dBFS (i.e. the tones are 10 dB apart)."
///
/// Expected: LRA = 10 ±1 LU.
pub fn case_1(sample_rate: u32) -> Case {
    lra_case(
        "3342-1",
        "Stereo sine wave, 1000 Hz, -20.0 dBFS (per-channel peak level); signal applied in phase to both channels simultaneous, 20 s duration; followed immediately by the same signal at -30.0 dBFS",
        sample_rate,
        &[-20.0, -30.0],
        10.0,
    )
}

/// **3342-2.** "As #1, with the 2 tones at −20.0 dBFS and −15.0 dBFS, respectively"
/// (20 s each).
///
/// Expected: LRA = 5 ±1 LU.
pub fn case_2(sample_rate: u32) -> Case {
    lra_case(
        "3342-2",
        "As #1, with the 2 tones at -20.0 dBFS and -15.0 dBFS, respectively",
        sample_rate,
        &[-20.0, -15.0],
        5.0,
    )
}

/// **3342-3.** "As #1, with the 2 tones at −40.0 dBFS and −20.0 dBFS, respectively"
/// (20 s each).
///
/// Expected: LRA = 20 ±1 LU.
pub fn case_3(sample_rate: u32) -> Case {
    lra_case(
        "3342-3",
        "As #1, with the 2 tones at -40.0 dBFS and -20.0 dBFS, respectively",
        sample_rate,
        &[-40.0, -20.0],
        20.0,
    )
}

/// **3342-4.** "As #1, but with 5 tone-segments at −50.0 dBFS, −35.0 dBFS, −20.0 dBFS,
/// −35.0 dBFS, and −50.0 dBFS, respectively; 20 s duration each tone."
///
/// Expected: LRA = 15 ±1 LU (the −50 dBFS parts fall below the −20 LU relative gate).
pub fn case_4(sample_rate: u32) -> Case {
    lra_case(
        "3342-4",
        "As #1, but with 5 tone-segments at -50.0 dBFS, -35.0 dBFS, -20.0 dBFS, -35.0 dBFS, and -50.0 dBFS, respectively; 20 s duration each tone",
        sample_rate,
        &[-50.0, -35.0, -20.0, -35.0, -50.0],
        15.0,
    )
}
