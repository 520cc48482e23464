//! Bad uploads: every one gets its typed error (variant and class), the message names the
//! file, and nothing panics. Also the tolerated kinds of damage (bit flips, truncation on
//! request), validation limits, silence, cancellation, progress, and bytes-vs-path.
//!
//! MP3 fixtures are encoded here from synthesised signals with the `lame` command (Debian
//! package `lame`). Without `lame` on PATH the MP3 tests fail when `CI` is set and are
//! skipped with a note otherwise.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use loudcore::{
    AnalyzeOptions, CancelToken, DecodeOptions, Error, ErrorClass, Format, Input, Limits,
    ProgressFn, Stage, analyze, analyze_with, probe,
};
use loudcore_testsignals::{Signal, WavFormat, music_like, silence, sine, wav_bytes, write_wav};

const NAME: &str = "upload.mp3";

/// Asserts that `$res` is an error matching `$pat`, of class `$class`, whose message names
/// `$name`; evaluates to the error.
macro_rules! assert_err {
    ($res:expr, $pat:pat, $class:expr, $name:expr) => {{
        match $res {
            Ok(v) => panic!(
                "expected {} for {}, got Ok({:?})",
                stringify!($pat),
                $name,
                v
            ),
            Err(e) => {
                let name: &str = &$name;
                assert!(
                    matches!(e, $pat),
                    "expected {} for {}, got {:?} ({})",
                    stringify!($pat),
                    $name,
                    e,
                    e
                );
                assert_eq!(e.class(), $class, "class of {e:?}");
                let msg = e.to_string();
                assert!(msg.contains(name), "message {msg:?} does not name {name:?}");
                assert_eq!(e.file(), Some(name), "file() of {e:?}");
                e
            }
        }
    }};
}

/// SplitMix64, so fixtures are the same on every machine.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

fn named(bytes: Vec<u8>, name: &str) -> Input {
    Input::bytes(bytes).named(name)
}

fn opts_with_limits(limits: Limits) -> AnalyzeOptions {
    AnalyzeOptions {
        job: loudcore::JobOptions {
            limits,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn opts_with_decode(strict: bool, allow_truncated: bool) -> AnalyzeOptions {
    AnalyzeOptions {
        job: loudcore::JobOptions {
            decode: DecodeOptions {
                strict,
                allow_truncated,
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------
// lame fixtures

fn lame_on_path() -> bool {
    Command::new("lame")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether MP3 tests can run: true with `lame`; without it, panics under CI and returns
/// false (after a note) elsewhere.
fn have_lame() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    let have = *HAVE.get_or_init(lame_on_path);
    if !have {
        if std::env::var_os("CI").is_some() {
            panic!(
                "the `lame` command is not on PATH; CI must install it (Debian package `lame`) \
                 so the MP3 fixtures of this test can be encoded"
            );
        }
        eprintln!("note: skipping this test: `lame` is not on PATH (apt-get install lame)");
    }
    have
}

/// Encodes `signal` (written as 16-bit WAV) to MP3 with `lame --quiet ARGS`.
fn lame(signal: &Signal, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = dir.path().join("in.wav");
    let mp3 = dir.path().join("out.mp3");
    write_wav(&wav, signal, WavFormat::Int16).expect("write wav");
    let out = Command::new("lame")
        .arg("--quiet")
        .args(args)
        .arg(&wav)
        .arg(&mp3)
        .output()
        .expect("run lame");
    assert!(
        out.status.success(),
        "lame {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&mp3).expect("read mp3")
}

/// 20 s of music (44.1 kHz stereo) and its CBR 128 kb/s MP3 with LAME's Info tag.
fn music_20s() -> &'static (Signal, Vec<u8>) {
    static FIXTURE: OnceLock<(Signal, Vec<u8>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let signal = music_like(44_100, 20.0, 7);
        let mp3 = lame(&signal, &["-b", "128"]);
        (signal, mp3)
    })
}

/// Whether the first MPEG frame after the start of `mp3` carries a Xing/Info/VBRI tag.
fn has_vbr_tag(mp3: &[u8]) -> bool {
    let first = &mp3[..mp3.len().min(1000)];
    [b"Xing", b"Info", b"VBRI"]
        .iter()
        .any(|t| first.windows(4).any(|w| w == *t))
}

/// Bit-rate indices of the MPEG-1 layer III frames of `mp3` (walking frame headers).
fn mpeg1_bitrate_indices(mp3: &[u8]) -> Vec<u8> {
    const KBPS: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    let mut pos = 0;
    let mut out = Vec::new();
    while pos + 4 <= mp3.len() {
        let h = &mp3[pos..pos + 4];
        if h[0] != 0xFF || h[1] & 0xFE != 0xFA {
            pos += 1;
            continue;
        }
        let idx = h[2] >> 4;
        let sr = [44_100u32, 48_000, 32_000, 0][usize::from((h[2] >> 2) & 3)];
        if idx == 0 || idx == 15 || sr == 0 {
            pos += 1;
            continue;
        }
        let len = 144 * KBPS[usize::from(idx)] * 1000 / sr + u32::from((h[2] >> 1) & 1);
        out.push(idx);
        pos += len as usize;
    }
    out
}

// ---------------------------------------------------------------------------------------
// Not audio at all

#[test]
fn empty_file() {
    assert_err!(
        analyze(&named(Vec::new(), NAME)),
        Error::Empty { .. },
        ErrorClass::CorruptInput,
        NAME
    );
    assert_err!(
        probe(&named(Vec::new(), NAME), &Limits::default()),
        Error::Empty { .. },
        ErrorClass::CorruptInput,
        NAME
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("empty.mp3");
    std::fs::write(&path, b"").expect("write");
    let name = path.display().to_string();
    assert_err!(
        analyze(&Input::from(path.as_path())),
        Error::Empty { .. },
        ErrorClass::CorruptInput,
        &name
    );
}

#[test]
fn text_file_named_mp3() {
    let text = b"Hello,\nthis is a note about my mix, not the mix itself.\n".repeat(20);
    let e = assert_err!(
        analyze(&named(text.clone(), NAME)),
        Error::UnsupportedFormat { .. },
        ErrorClass::UnsupportedFormat,
        NAME
    );
    assert!(e.to_string().contains("plain text"), "{e}");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.mp3");
    std::fs::write(&path, &text).expect("write");
    let name = path.display().to_string();
    assert_err!(
        analyze(&Input::from(path.as_path())),
        Error::UnsupportedFormat { .. },
        ErrorClass::UnsupportedFormat,
        &name
    );
}

#[test]
fn random_bytes() {
    for (seed, size) in [
        (1u64, 1usize),
        (2, 3),
        (3, 100),
        (4, 100_000),
        (5, 100_000),
        (6, 4096),
    ] {
        let bytes = Rng(seed).bytes(size);
        let name = format!("random-{size}-{seed}.mp3");
        assert_err!(
            analyze(&named(bytes.clone(), &name)),
            Error::UnsupportedFormat { .. },
            ErrorClass::UnsupportedFormat,
            &name
        );
        // probe is not wrapped in the analyze job's panic guard: it must not panic either.
        let p = std::panic::catch_unwind(|| probe(&named(bytes, &name), &Limits::default()));
        let r = p.unwrap_or_else(|_| panic!("probe panicked on {name}"));
        assert_err!(
            r,
            Error::UnsupportedFormat { .. },
            ErrorClass::UnsupportedFormat,
            &name
        );
    }
}

/// Random bytes behind a valid WAV or MP3 start: recognised, then damaged data. Any typed
/// error (or a tolerated decode) is fine; a panic or `Internal` is not.
#[test]
fn garbage_after_valid_headers_never_panics() {
    let wav = wav_bytes(&sine(44_100, 2, 1000.0, -20.0, 1.0), WavFormat::Int16);
    let mut rng = Rng(11);
    for cut in [12usize, 30, 44, 60] {
        let mut b = wav[..cut].to_vec();
        b.extend(rng.bytes(5000));
        let name = format!("garbage-wav-{cut}.wav");
        let r = std::panic::catch_unwind(|| {
            (
                analyze(&named(b.clone(), &name)),
                probe(&named(b.clone(), &name), &Limits::default()),
            )
        });
        let (a, p) = r.unwrap_or_else(|_| panic!("panicked on {name}"));
        for e in [a.err(), p.err()].into_iter().flatten() {
            assert_ne!(e.class(), ErrorClass::Internal, "{name}: {e}");
            assert!(e.to_string().contains(&name), "{e}");
        }
    }
}

#[test]
fn zip_archive() {
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend(b"mix-final.mp3");
    zip.extend(Rng(9).bytes(3000));
    let e = assert_err!(
        analyze(&named(zip, "mix.zip.mp3")),
        Error::UnsupportedFormat { .. },
        ErrorClass::UnsupportedFormat,
        "mix.zip.mp3"
    );
    assert!(e.to_string().contains("ZIP"), "{e}");
}

#[test]
fn missing_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("does-not-exist.mp3");
    let name = path.display().to_string();
    assert_err!(
        analyze(&Input::from(path.as_path())),
        Error::NotFound { .. },
        ErrorClass::NotFound,
        &name
    );
    assert_err!(
        probe(&Input::from(path.as_path()), &Limits::default()),
        Error::NotFound { .. },
        ErrorClass::NotFound,
        &name
    );
}

#[test]
fn directory_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = dir.path().display().to_string();
    assert_err!(
        analyze(&Input::from(dir.path())),
        Error::Io { .. },
        ErrorClass::Io,
        &name
    );
}

// ---------------------------------------------------------------------------------------
// Truncation

#[test]
fn truncated_mp3() {
    if !have_lame() {
        return;
    }
    let (signal, mp3) = music_20s();
    assert!(has_vbr_tag(mp3), "LAME should write an Info tag for CBR");
    let cut = mp3[..mp3.len() * 4 / 10].to_vec();
    let e = assert_err!(
        analyze(&named(cut.clone(), NAME)),
        Error::Truncated { .. },
        ErrorClass::CorruptInput,
        NAME
    );
    eprintln!("truncated mp3: {e}");

    let a =
        analyze_with(&named(cut, NAME), &opts_with_decode(false, true)).expect("allow_truncated");
    assert!(
        a.warnings.iter().any(|w| w.contains("truncated")),
        "allow_truncated should warn: {:?}",
        a.warnings
    );
    let want = signal.duration_s() * 0.4;
    assert!(
        (a.duration_s - want).abs() < 0.5,
        "decoded {} s of a 40% cut of 20 s",
        a.duration_s
    );
    assert!(a.integrated_lufs.is_some());
}

#[test]
fn truncated_wav() {
    let signal = music_like(44_100, 5.0, 3);
    let wav = wav_bytes(&signal, WavFormat::Int16);
    // Cut at 60% (on a sample frame) and at an odd byte (mid-sample).
    for cut in [wav.len() * 6 / 10 / 4 * 4, wav.len() * 6 / 10 / 4 * 4 + 1] {
        let bytes = wav[..cut].to_vec();
        let e = assert_err!(
            analyze(&named(bytes.clone(), "upload.wav")),
            Error::Truncated { .. },
            ErrorClass::CorruptInput,
            "upload.wav"
        );
        eprintln!("truncated wav ({cut} of {} bytes): {e}", wav.len());
        let a = analyze_with(&named(bytes, "upload.wav"), &opts_with_decode(false, true))
            .expect("allow_truncated");
        assert!(!a.warnings.is_empty(), "allow_truncated should warn");
        assert!(
            (a.duration_s - 3.0).abs() < 0.05,
            "decoded {} s of 60% of 5 s",
            a.duration_s
        );
    }
}

// ---------------------------------------------------------------------------------------
// Bit flips and VBR without a Xing header

/// `bytes` with one bit flipped at a random place in every 2 kB past the first 2 kB
/// (seeded); returns the damaged copy and the number of flips.
fn bit_flipped(bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut damaged = bytes.to_vec();
    let mut rng = Rng(2024);
    let mut flips = 0;
    let mut start = 2048;
    while start < damaged.len() {
        let end = (start + 2048).min(damaged.len());
        let i = start + rng.below(end - start);
        damaged[i] ^= 1 << rng.below(8);
        flips += 1;
        start = end;
    }
    (damaged, flips)
}

#[test]
fn bit_flipped_mp3() {
    if !have_lame() {
        return;
    }
    let (_, mp3) = music_20s();
    let intact = analyze(&named(mp3.clone(), NAME)).expect("intact mp3");
    assert_eq!(intact.skipped_frames, 0);
    assert!(intact.warnings.is_empty(), "{:?}", intact.warnings);

    let (damaged, flips) = bit_flipped(mp3);
    let a = analyze(&named(damaged.clone(), NAME)).expect("bit flips are tolerated by default");
    let (ii, ai) = (
        intact.integrated_lufs.expect("loud"),
        a.integrated_lufs.expect("loud"),
    );
    eprintln!(
        "{flips} bit flips: skipped {} frames, warnings {:?}; I {ai:.2} vs intact {ii:.2} LUFS",
        a.skipped_frames, a.warnings
    );
    assert!(
        a.skipped_frames > 0 || !a.warnings.is_empty(),
        "damage went unnoticed"
    );
    assert!((ai - ii).abs() <= 1.0, "I {ai} vs intact {ii}");

    assert_err!(
        analyze_with(&named(damaged, NAME), &opts_with_decode(true, false)),
        Error::CorruptInput { .. },
        ErrorClass::CorruptInput,
        NAME
    );
}

/// Encodes `signal` with `lame ARGS`, checks the stream is really VBR (and has a Xing/Info
/// tag unless `-t`), and returns (MPEG frames in the stream, probe duration, analyze
/// duration).
fn vbr_durations(signal: &Signal, args: &[&str], name: &str) -> (usize, f64, f64) {
    let mp3 = lame(signal, args);
    assert_eq!(
        has_vbr_tag(&mp3),
        !args.contains(&"-t"),
        "{name}: Xing/Info tag present?"
    );
    let rates = mpeg1_bitrate_indices(&mp3);
    let distinct: std::collections::BTreeSet<_> = rates.iter().collect();
    assert!(
        distinct.len() >= 3,
        "{name}: not VBR? bit-rate indices {distinct:?}"
    );
    let input = named(mp3, name);
    let p = probe(&input, &Limits::default()).expect("probe");
    let a = analyze(&input).unwrap_or_else(|e| panic!("analyze {name}: {e}"));
    eprintln!(
        "{name} (lame {args:?}): {} MPEG frames ({} samples); probe {} s, analyze {} s, source {} s; \
         skipped {}, warnings {:?}",
        rates.len(),
        rates.len() * 1152,
        p.duration_s,
        a.duration_s,
        signal.duration_s(),
        a.skipped_frames,
        a.warnings
    );
    (rates.len(), p.duration_s, a.duration_s)
}

/// Without the Xing/Info tag nothing says how much encoder delay and padding to trim, so
/// the decoded length is every frame: the source plus LAME's delay (576 + 529 decoder
/// delay) and the padding to a whole frame (< 1152). `probe` (which counts frame headers)
/// and `analyze` (which decodes) must agree exactly.
fn check_untagged_vbr(signal: &Signal, name: &str) {
    if !have_lame() {
        return;
    }
    let (frames, probe_s, analyze_s) = vbr_durations(signal, &["-V2", "-t"], name);
    let rate = f64::from(signal.sample_rate);
    let decoded = (analyze_s * rate).round() as i64;
    let source = signal.frames() as i64;
    assert_eq!(
        probe_s, analyze_s,
        "{name}: probe and decode disagree on the duration"
    );
    assert_eq!(
        decoded,
        frames as i64 * 1152,
        "{name}: decoded samples are not all the frames"
    );
    assert!(
        decoded >= source && decoded - source <= 1152 + 576 + 529,
        "{name}: decoded {decoded} samples, source {source}"
    );
}

#[test]
fn vbr_mp3_without_xing_header_gets_exact_duration() {
    check_untagged_vbr(&music_like(44_100, 12.0, 5), "vbr.mp3");
}

/// A loud start and a quiet rest: the first frames have the highest bit rates, so any
/// length estimate from them is far too short.
#[test]
fn vbr_mp3_without_xing_header_loud_start_quiet_end() {
    let mut quiet = music_like(44_100, 16.0, 6);
    quiet.apply_gain_db(-40.0);
    let s = loudcore_testsignals::concat(&[music_like(44_100, 4.0, 6), quiet]);
    check_untagged_vbr(&s, "vbr-fade.mp3");
}

/// With LAME's tag (frame count, encoder delay and padding) the decoded length is the
/// source length to the sample, and probe says the same.
#[test]
fn vbr_mp3_with_xing_header_is_gapless() {
    if !have_lame() {
        return;
    }
    let signal = music_like(44_100, 12.0, 5);
    let (_, probe_s, analyze_s) = vbr_durations(&signal, &["-V2"], "vbr-tagged.mp3");
    assert_eq!(probe_s, analyze_s);
    assert_eq!((analyze_s * 44_100.0).round() as usize, signal.frames());
}

// ---------------------------------------------------------------------------------------
// Limits

fn wav_input(signal: &Signal, name: &str) -> Input {
    named(wav_bytes(signal, WavFormat::Int16), name)
}

#[test]
fn too_large() {
    let bytes = wav_bytes(&sine(44_100, 2, 1000.0, -20.0, 1.0), WavFormat::Int16);
    let len = bytes.len() as u64;
    let limits = Limits {
        max_bytes: Some(len - 1),
        ..Default::default()
    };
    let e = assert_err!(
        analyze_with(
            &named(bytes.clone(), "big.wav"),
            &opts_with_limits(limits.clone())
        ),
        Error::TooLarge { .. },
        ErrorClass::InputLimit,
        "big.wav"
    );
    assert!(
        matches!(e, Error::TooLarge { bytes, limit, .. } if bytes == len && limit == len - 1),
        "{e:?}"
    );
    assert_err!(
        probe(&named(bytes.clone(), "big.wav"), &limits),
        Error::TooLarge { .. },
        ErrorClass::InputLimit,
        "big.wav"
    );
    // Exactly at the limit is fine.
    let ok = Limits {
        max_bytes: Some(len),
        ..Default::default()
    };
    analyze_with(&named(bytes, "big.wav"), &opts_with_limits(ok)).expect("at the limit");
}

#[test]
fn too_long_and_too_short() {
    let input = wav_input(&sine(44_100, 2, 1000.0, -20.0, 3.0), "long.wav");
    let limits = Limits {
        max_duration_s: Some(2.5),
        ..Default::default()
    };
    let e = assert_err!(
        analyze_with(&input, &opts_with_limits(limits)),
        Error::TooLong { .. },
        ErrorClass::InputLimit,
        "long.wav"
    );
    assert!(
        matches!(e, Error::TooLong { duration_s, limit_s, .. } if (duration_s - 3.0).abs() < 1e-9 && limit_s == 2.5),
        "{e:?}"
    );

    let input = wav_input(&sine(44_100, 2, 1000.0, -20.0, 1.0), "short.wav");
    let limits = Limits {
        min_duration_s: 2.0,
        ..Default::default()
    };
    let e = assert_err!(
        analyze_with(&input, &opts_with_limits(limits.clone())),
        Error::TooShort { .. },
        ErrorClass::InputLimit,
        "short.wav"
    );
    assert!(
        matches!(e, Error::TooShort { duration_s, .. } if (duration_s - 1.0).abs() < 1e-9),
        "{e:?}"
    );
    assert_err!(
        probe(&input, &limits),
        Error::TooShort { .. },
        ErrorClass::InputLimit,
        "short.wav"
    );
}

#[test]
fn too_many_channels() {
    let input = wav_input(&sine(48_000, 6, 1000.0, -20.0, 0.5), "surround.wav");
    let limits = Limits {
        max_channels: 2,
        ..Default::default()
    };
    let e = assert_err!(
        analyze_with(&input, &opts_with_limits(limits)),
        Error::TooManyChannels { .. },
        ErrorClass::InputLimit,
        "surround.wav"
    );
    assert!(
        matches!(
            e,
            Error::TooManyChannels {
                channels: 6,
                limit: 2,
                ..
            }
        ),
        "{e:?}"
    );
    // The default limit (8) accepts 5.1.
    assert_eq!(analyze(&input).expect("5.1 within defaults").channels, 6);
}

#[test]
fn sample_rate_out_of_range() {
    // hound writes a 4 kHz WAV; the default range is 8 kHz..=192 kHz.
    let input = wav_input(&sine(4_000, 1, 440.0, -20.0, 1.0), "phone.wav");
    let e = assert_err!(
        analyze(&input),
        Error::SampleRateOutOfRange { .. },
        ErrorClass::InputLimit,
        "phone.wav"
    );
    assert!(
        matches!(
            e,
            Error::SampleRateOutOfRange {
                sample_rate: 4_000,
                min: 8_000,
                max: 192_000,
                ..
            }
        ),
        "{e:?}"
    );
    let input = wav_input(&sine(200_000, 1, 440.0, -20.0, 0.2), "hires.wav");
    assert_err!(
        analyze(&input),
        Error::SampleRateOutOfRange {
            sample_rate: 200_000,
            ..
        },
        ErrorClass::InputLimit,
        "hires.wav"
    );
}

#[test]
fn format_not_allowed() {
    let input = wav_input(&sine(44_100, 2, 1000.0, -20.0, 1.0), "take.wav");
    let limits = Limits {
        allowed_formats: vec![Format::Mp3, Format::Flac],
        ..Default::default()
    };
    let e = assert_err!(
        analyze_with(&input, &opts_with_limits(limits)),
        Error::FormatNotAllowed { .. },
        ErrorClass::InputLimit,
        "take.wav"
    );
    assert!(
        matches!(&e, Error::FormatNotAllowed { format, .. } if format == "wav"),
        "{e:?}"
    );
}

#[test]
fn invalid_limits_are_invalid_options() {
    let input = wav_input(&sine(44_100, 2, 1000.0, -20.0, 1.0), "take.wav");
    for limits in [
        Limits {
            max_channels: 0,
            ..Default::default()
        },
        Limits {
            min_duration_s: -1.0,
            ..Default::default()
        },
        Limits {
            allowed_formats: vec![],
            ..Default::default()
        },
    ] {
        let e = analyze_with(&input, &opts_with_limits(limits)).expect_err("invalid limits");
        assert!(matches!(e, Error::InvalidOptions { .. }), "{e:?}");
        assert_eq!(e.class(), ErrorClass::InvalidOptions);
    }
}

#[test]
fn silence_is_not_an_error() {
    let a = analyze(&wav_input(&silence(48_000, 2, 5.0), "silence.wav")).expect("silence analyzes");
    assert_eq!(a.integrated_lufs, None);
    assert_eq!(a.true_peak_dbtp, None);
    assert_eq!(a.sample_peak_dbfs, None);
    assert_eq!(a.threshold_lufs, None);
    assert!((a.duration_s - 5.0).abs() < 1e-9);
    let json = serde_json::to_value(&a).expect("json");
    assert!(json["integrated_lufs"].is_null(), "{json}");
}

// ---------------------------------------------------------------------------------------
// Cancellation and progress

fn music_60s_wav() -> &'static Vec<u8> {
    static WAV: OnceLock<Vec<u8>> = OnceLock::new();
    WAV.get_or_init(|| wav_bytes(&music_like(48_000, 60.0, 1), WavFormat::Int16))
}

#[test]
fn cancelled_before_start() {
    let token = CancelToken::new();
    token.cancel();
    let opts = AnalyzeOptions {
        job: loudcore::JobOptions {
            cancel: Some(token),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_err!(
        analyze_with(&named(music_60s_wav().clone(), "long.wav"), &opts),
        Error::Cancelled { .. },
        ErrorClass::Cancelled,
        "long.wav"
    );
}

#[test]
fn cancelled_during_analysis() {
    let token = CancelToken::new();
    let seen = Arc::new(Mutex::new(Vec::<(Stage, f64)>::new()));
    let (t, s) = (token.clone(), seen.clone());
    let on_progress: ProgressFn = Arc::new(move |stage, f| {
        s.lock().expect("lock").push((stage, f));
        if f >= 0.3 {
            t.cancel();
        }
    });
    let opts = AnalyzeOptions {
        job: loudcore::JobOptions {
            cancel: Some(token),
            on_progress: Some(on_progress),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_err!(
        analyze_with(&named(music_60s_wav().clone(), "long.wav"), &opts),
        Error::Cancelled { .. },
        ErrorClass::Cancelled,
        "long.wav"
    );
    let seen = seen.lock().expect("lock");
    let last = seen.last().copied().expect("progress was reported");
    assert!(
        last.1 >= 0.3 && last.1 < 0.5,
        "cancelled at {last:?}, asked at 0.3"
    );
    assert!(seen.iter().all(|(st, _)| *st == Stage::Analyze), "{seen:?}");
}

#[test]
fn cancelled_from_another_thread() {
    let token = CancelToken::new();
    let started = Arc::new(AtomicBool::new(false));
    let st = started.clone();
    let on_progress: ProgressFn = Arc::new(move |_, f| {
        if f > 0.0 {
            st.store(true, Ordering::SeqCst);
            // Slow the job down so the other thread surely wins.
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    });
    let opts = AnalyzeOptions {
        job: loudcore::JobOptions {
            cancel: Some(token.clone()),
            on_progress: Some(on_progress),
            ..Default::default()
        },
        ..Default::default()
    };
    let job = std::thread::spawn(move || {
        analyze_with(&named(music_60s_wav().clone(), "long.wav"), &opts)
    });
    while !started.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
    token.cancel();
    let r = job.join().expect("job thread");
    assert_err!(
        r,
        Error::Cancelled { .. },
        ErrorClass::Cancelled,
        "long.wav"
    );
}

#[test]
fn progress_is_monotonic_and_ends_at_one() {
    let seen = Arc::new(Mutex::new(Vec::<(Stage, f64)>::new()));
    let s = seen.clone();
    let on_progress: ProgressFn =
        Arc::new(move |stage, f| s.lock().expect("lock").push((stage, f)));
    let opts = AnalyzeOptions {
        job: loudcore::JobOptions {
            cancel: Some(CancelToken::new()),
            on_progress: Some(on_progress),
            ..Default::default()
        },
        ..Default::default()
    };
    let a = analyze_with(&named(music_60s_wav().clone(), "long.wav"), &opts).expect("analyze");
    assert!((a.duration_s - 60.0).abs() < 1e-9);
    let seen = seen.lock().expect("lock");
    assert!(
        seen.len() >= 10,
        "only {} progress calls for 60 s: {seen:?}",
        seen.len()
    );
    for w in seen.windows(2) {
        assert!(
            w[1].1 >= w[0].1,
            "progress went backwards: {:?} then {:?}",
            w[0],
            w[1]
        );
    }
    assert!(
        seen.iter().all(|(_, f)| (0.0..=1.0).contains(f)),
        "{seen:?}"
    );
    assert_eq!(seen.first().map(|x| x.1), Some(0.0), "{seen:?}");
    assert_eq!(*seen.last().expect("calls"), (Stage::Done, 1.0));
    // Progress moves through the middle, not just 0 then 1.
    assert!(seen.iter().any(|(_, f)| *f > 0.4 && *f < 0.6), "{seen:?}");
}

// ---------------------------------------------------------------------------------------
// Bytes and paths

fn same_from_bytes_and_path(bytes: Vec<u8>, file: &str, dir: &Path) {
    let path = dir.join(file);
    std::fs::write(&path, &bytes).expect("write");
    let opts = AnalyzeOptions {
        curve: true,
        ..Default::default()
    };
    let from_path = analyze_with(&Input::from(path.as_path()), &opts).expect("path");
    let from_bytes = analyze_with(&named(bytes, file), &opts).expect("bytes");
    assert!(from_path.integrated_lufs.is_some());
    assert!(from_path.curve.as_ref().is_some_and(|c| !c.is_empty()));
    assert_eq!(from_path, from_bytes, "{file}: path and bytes differ");
}

#[test]
fn bytes_and_path_give_identical_analysis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let signal = music_like(44_100, 8.0, 4);
    same_from_bytes_and_path(wav_bytes(&signal, WavFormat::Int24), "take.wav", dir.path());
    if have_lame() {
        same_from_bytes_and_path(music_20s().1.clone(), "take.mp3", dir.path());
    }
}

/// DecodeOptions::threads: for MP3 and PCM "the output is bit-identical whatever the
/// count", also when frames are damaged and skipped. One thread decodes plainly in
/// sequence; more decode chunks in parallel, each warmed up on the packets before it.
#[test]
fn decoder_threads_give_identical_analysis() {
    let mut inputs = vec![(
        "take.wav",
        wav_bytes(&music_like(48_000, 10.0, 8), WavFormat::Float32),
    )];
    if have_lame() {
        let mp3 = music_20s().1.clone();
        inputs.push(("bitflips.mp3", bit_flipped(&mp3).0));
        inputs.push(("take.mp3", mp3));
    }
    for (name, bytes) in inputs {
        let input = named(bytes, name);
        let with = |threads: usize| {
            let opts = AnalyzeOptions {
                curve: true,
                job: loudcore::JobOptions {
                    decode: DecodeOptions {
                        threads,
                        ..Default::default()
                    },
                    ..Default::default()
                },
            };
            analyze_with(&input, &opts)
                .unwrap_or_else(|e| panic!("{name} with {threads} threads: {e}"))
        };
        let one = with(1);
        for threads in [2, 3, 8] {
            assert_eq!(
                with(threads),
                one,
                "{name}: {threads} threads differ from 1"
            );
        }
    }
}
