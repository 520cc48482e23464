//! MP3 outputs long enough to be encoded in chunks by several LAME instances and spliced
//! (inputs over about 10 s): checked like every output (FFmpeg's loudness within 0.1 LU
//! of the target, true peak under the ceiling, duration), and beyond that decoded by
//! FFmpeg with `-xerror` without a single warning (a splice that broke the bit reservoir
//! shows as "invalid main_data_begin" or an overread) to exactly the input's sample count.
//!
//! Needs `ffmpeg`/`ffprobe`: fails when `CI` is set and they are missing, skipped with a
//! note otherwise.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Expect, check_output, have_ffmpeg, print_table};
use loudcore::{Input, NormalizeOptions, OutputSpec, normalize_to};
use loudcore_testsignals::{WavFormat, music_like, write_wav};

/// FFmpeg's decoded sample count (per channel) for `path`, asserting it decodes cleanly.
fn strict_decoded_frames(path: &Path, channels: usize) -> u64 {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "warning", "-xerror", "-i"])
        .arg(path)
        .args(["-f", "s16le", "-"])
        .output()
        .expect("run ffmpeg");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{}: {stderr}",
        path.display()
    );
    (out.stdout.len() / (2 * channels)) as u64
}

#[test]
fn long_mp3_outputs_are_spliced_cleanly_and_land_on_target() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // 47 s: four boundaries between five chunks of about 10 s.
    let signal = music_like(44_100, 47.3, 21);
    let input = dir.path().join("input-long.wav");
    write_wav(&input, &signal, WavFormat::Int16).expect("write input");
    let vbr = OutputSpec::from(dir.path().join("long-v0.mp3"));
    let cbr = OutputSpec {
        settings: loudcore::EncoderSettings {
            bitrate: Some(192_000),
            ..Default::default()
        },
        ..OutputSpec::from(dir.path().join("long-cbr192.mp3"))
    };
    let report = normalize_to(
        &Input::from(input.as_path()),
        &[vbr, cbr],
        &NormalizeOptions::default(),
    )
    .expect("normalize");
    let expect = Expect {
        target_lufs: -14.0,
        ceiling_dbtp: -1.0,
        duration_s: signal.duration_s(),
        sample_rate: 44_100,
        channels: 2,
    };
    let mut failures = Vec::new();
    let rows: Vec<_> = report
        .outputs
        .iter()
        .filter_map(|o| check_output("long", o, &expect, dir.path(), &mut failures))
        .map(|m| m.row(&expect))
        .collect();
    print_table(&rows);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for o in &report.outputs {
        let frames = strict_decoded_frames(Path::new(&o.path), 2);
        assert_eq!(frames, signal.frames() as u64, "{}", o.path);
    }
}
