//! End-to-end tests of the encoders: encode synthesised signals to real files, then check
//! them with loudcore's own decoder and meter and with independent tools (FFmpeg's
//! ffprobe and decoder, hound, an MD5 of FFmpeg's decoded PCM, the LAME tag's fields).

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use loudcore_testsignals::{Signal, WavFormat, music_like, signal_from_wav_bytes, sine, wav_bytes};
use md5::{Digest, Md5};

use super::*;
use crate::output::TempOutput;
use crate::{Analysis, Input, Tags, analyze};

const LOSSLESS_LU: f64 = 0.05;
const MP3_LU: f64 = 0.2;
const DURATION_S: f64 = 0.001;

// ---------------------------------------------------------------------------------------
// helpers

fn spec_of(s: &Signal) -> StreamSpec {
    StreamSpec {
        sample_rate: s.sample_rate,
        channels: s.channels,
        channel_mask: Some(u64::from(s.channel_mask)),
        source_bits: None,
        tags: Tags::default(),
    }
}

fn tags() -> Tags {
    Tags {
        title: Some("Ünïcødé title — テスト".into()),
        artist: Some("The Artist".into()),
        album: Some("Album, Vol. 1".into()),
    }
}

/// Feeds `signal` in uneven pieces (crossing codec block boundaries) and finishes.
fn feed<W: Sink + 'static>(enc: &mut Box<dyn Encoder<W>>, signal: &Signal) {
    let ch = usize::from(signal.channels);
    let sizes = [1usize, 1000, 4095, 4097, 12_345, 333];
    let (mut pos, mut i) = (0, 0);
    while pos < signal.frames() {
        let n = sizes[i % sizes.len()].min(signal.frames() - pos);
        enc.write(&signal.samples[pos * ch..(pos + n) * ch])
            .expect("write");
        pos += n;
        i += 1;
    }
}

/// Encodes `signal` to `dir/name` through a committed [`TempOutput`].
fn encode_file(
    dir: &Path,
    name: &str,
    spec: &StreamSpec,
    settings: &EncoderSettings,
    signal: &Signal,
) -> PathBuf {
    let dest = dir.join(name);
    let format = OutputFormat::from_path(&dest).expect("format");
    let out = TempOutput::create(&dest).expect("temp output");
    let mut enc = new_encoder(format, spec, settings, out).expect("encoder");
    feed(&mut enc, signal);
    let encoded = enc.finish().expect("finish");
    assert_eq!(encoded.frames, signal.frames() as u64);
    encoded.output.commit().expect("commit");
    assert_eq!(
        std::fs::metadata(&dest).expect("meta").len(),
        encoded.bytes,
        "{name}: byte count"
    );
    dest
}

/// loudcore's analysis of the input itself (as a float WAV in memory).
fn reference(signal: &Signal) -> Analysis {
    analyze(&Input::from(wav_bytes(signal, WavFormat::Float32))).expect("analyze input")
}

/// Decodes `path` with loudcore and compares with the input: duration within 1 ms, same
/// rate and channels, integrated loudness within `tol_lu`.
fn check_decoded(path: &Path, signal: &Signal, input: &Analysis, tol_lu: f64) -> Analysis {
    let name = path.display();
    let a = analyze(&Input::from(path)).unwrap_or_else(|e| panic!("analyze {name}: {e}"));
    let dt = a.duration_s - signal.duration_s();
    let (ia, ii) = (
        a.integrated_lufs.expect("loud output"),
        input.integrated_lufs.expect("loud input"),
    );
    eprintln!(
        "{name}: loudcore decodes {:.6} s (input {:.6} s, {:+.0} samples), I {ia:.3} vs {ii:.3} LUFS ({:+.3} LU)",
        a.duration_s,
        signal.duration_s(),
        dt * f64::from(signal.sample_rate),
        ia - ii
    );
    assert_eq!(a.sample_rate, signal.sample_rate, "{name}: sample rate");
    assert_eq!(a.channels, u32::from(signal.channels), "{name}: channels");
    assert!(
        dt.abs() <= DURATION_S,
        "{name}: duration {} vs input {}",
        a.duration_s,
        signal.duration_s()
    );
    assert!(
        (ia - ii).abs() <= tol_lu,
        "{name}: I {ia} vs input {ii} LUFS (tolerance {tol_lu} LU)"
    );
    a
}

/// Whether FFmpeg's tools are here; without them the checks are skipped with a note, except
/// under CI, where that is a failure.
fn have_ffmpeg() -> bool {
    let ok = ["ffprobe", "ffmpeg"].iter().all(|t| {
        Command::new(t)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "ffprobe/ffmpeg are required under CI"
        );
        eprintln!("note: ffprobe/ffmpeg not found: skipping the FFmpeg checks");
    }
    ok
}

struct Probed {
    codec: String,
    sample_rate: u32,
    channels: u32,
    duration_s: f64,
    bits: Option<u32>,
    layout: String,
    bit_rate: Option<u64>,
    tags: serde_json::Map<String, serde_json::Value>,
}

fn ffprobe(path: &Path) -> Probed {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,sample_rate,channels,duration,bits_per_raw_sample,channel_layout,bit_rate:format_tags",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ffprobe json");
    let s = &v["streams"][0];
    let num = |x: &serde_json::Value| {
        x.as_str()
            .and_then(|t| t.parse::<f64>().ok())
            .or_else(|| x.as_f64())
    };
    Probed {
        codec: s["codec_name"].as_str().unwrap_or_default().to_string(),
        sample_rate: num(&s["sample_rate"]).unwrap_or(0.0) as u32,
        channels: s["channels"].as_u64().unwrap_or(0) as u32,
        duration_s: num(&s["duration"]).unwrap_or(f64::NAN),
        bits: num(&s["bits_per_raw_sample"]).map(|b| b as u32),
        layout: s["channel_layout"].as_str().unwrap_or_default().to_string(),
        bit_rate: num(&s["bit_rate"]).map(|b| b as u64),
        tags: v["format"]["tags"].as_object().cloned().unwrap_or_default(),
    }
}

/// FFmpeg's decoded PCM as `fmt` (`s16le`, `s24le`), with gapless trimming applied.
fn ffmpeg_pcm(path: &Path, fmt: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", fmt, "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ffmpeg_frames(path: &Path, channels: u16) -> u64 {
    ffmpeg_pcm(path, "s16le").len() as u64 / (2 * u64::from(channels))
}

fn tag<'a>(p: &'a Probed, key: &str) -> Option<&'a str> {
    p.tags
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
}

/// loudcore's own probe reads the tags back (the pipeline copies them from input to output).
fn assert_probe_tags(path: &Path) {
    let p = crate::probe(&Input::from(path), &crate::Limits::default()).expect("probe");
    assert_eq!(
        p.tags,
        tags(),
        "{}: tags read back by loudcore",
        path.display()
    );
}

fn assert_tags(p: &Probed, name: &str) {
    let t = tags();
    assert_eq!(
        tag(p, "title"),
        t.title.as_deref(),
        "{name}: title in {:?}",
        p.tags
    );
    assert_eq!(tag(p, "artist"), t.artist.as_deref(), "{name}: artist");
    assert_eq!(tag(p, "album"), t.album.as_deref(), "{name}: album");
}

/// The FFmpeg checks shared by the lossless formats: stream facts, duration within 1 ms,
/// and FFmpeg decoding exactly the input's number of frames.
fn check_ffmpeg_lossless(path: &Path, signal: &Signal, codec: &str, bits: u32) -> Probed {
    let p = ffprobe(path);
    let frames = ffmpeg_frames(path, signal.channels);
    eprintln!(
        "{}: ffprobe {} {} Hz {} ch {:?} bits '{}' {:.6} s; ffmpeg decodes {frames} frames (input {})",
        path.display(),
        p.codec,
        p.sample_rate,
        p.channels,
        p.bits,
        p.layout,
        p.duration_s,
        signal.frames()
    );
    assert_eq!(p.codec, codec);
    assert_eq!(p.sample_rate, signal.sample_rate);
    assert_eq!(p.channels, u32::from(signal.channels));
    assert_eq!(p.bits.unwrap_or(bits), bits, "bits_per_raw_sample");
    assert!(
        (p.duration_s - signal.duration_s()).abs() <= DURATION_S,
        "ffprobe duration {}",
        p.duration_s
    );
    assert_eq!(frames, signal.frames() as u64, "frames decoded by ffmpeg");
    p
}

/// A 5.1 signal (FL FR FC LFE BL BR) made of three music-like pieces.
fn surround(rate: u32, seconds: f64) -> Signal {
    let (a, b, c) = (
        music_like(rate, seconds, 11),
        music_like(rate, seconds, 12),
        music_like(rate, seconds, 13),
    );
    let mut samples = Vec::with_capacity(a.frames() * 6);
    for i in 0..a.frames() {
        samples.extend_from_slice(&[
            a.samples[2 * i],
            a.samples[2 * i + 1],
            b.samples[2 * i],
            b.samples[2 * i + 1] * 0.3,
            c.samples[2 * i],
            c.samples[2 * i + 1],
        ]);
    }
    Signal::new(rate, 6, samples)
}

fn mono(s: &Signal) -> Signal {
    Signal::new(
        s.sample_rate,
        1,
        s.samples.iter().step_by(2).copied().collect(),
    )
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".loudcore-"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// OutputFormat and settings

#[test]
fn output_format_from_path() {
    for (p, f) in [
        ("a.mp3", OutputFormat::Mp3),
        ("dir.x/B.MP3", OutputFormat::Mp3),
        ("c.Wav", OutputFormat::Wav),
        ("/tmp/d.FLAC", OutputFormat::Flac),
        ("e.M4A", OutputFormat::M4a),
    ] {
        assert_eq!(OutputFormat::from_path(Path::new(p)).expect(p), f, "{p}");
    }
    for p in ["song.ogg", "song", "song.mp3.part", ".flac", "flac"] {
        let e = OutputFormat::from_path(Path::new(p)).expect_err(p);
        assert!(matches!(e, Error::InvalidOptions { .. }), "{p}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains(p) && msg.contains(".mp3, .m4a, .wav, .flac"),
            "{msg}"
        );
    }
    assert_eq!(
        [
            OutputFormat::Mp3,
            OutputFormat::M4a,
            OutputFormat::Wav,
            OutputFormat::Flac
        ]
        .map(|f| (f.as_str(), f.is_lossy())),
        [
            ("mp3", true),
            ("m4a", true),
            ("wav", false),
            ("flac", false)
        ]
    );
    assert_eq!(
        serde_json::to_string(&OutputFormat::Flac).expect("json"),
        "\"flac\""
    );
    assert_eq!(
        serde_json::from_str::<OutputFormat>("\"mp3\"").expect("json"),
        OutputFormat::Mp3
    );
    let s: EncoderSettings = serde_json::from_str(r#"{"quality":2}"#).expect("partial settings");
    assert_eq!(
        s,
        EncoderSettings {
            quality: Some(2),
            ..Default::default()
        }
    );
}

#[test]
fn invalid_settings_are_rejected() {
    let stereo = |rate| StreamSpec {
        sample_rate: rate,
        channels: 2,
        ..Default::default()
    };
    let with = |bitrate, quality, bits| EncoderSettings {
        bitrate,
        quality,
        bits_per_sample: bits,
        ..Default::default()
    };
    let cases: Vec<(OutputFormat, StreamSpec, EncoderSettings, &str)> = vec![
        (
            OutputFormat::Mp3,
            StreamSpec {
                channels: 3,
                ..stereo(48_000)
            },
            with(None, None, None),
            "mono or stereo",
        ),
        (
            OutputFormat::Mp3,
            stereo(96_000),
            with(None, None, None),
            "sample rate",
        ),
        (
            OutputFormat::Mp3,
            stereo(44_100),
            with(None, Some(10), None),
            "quality",
        ),
        (
            OutputFormat::Mp3,
            stereo(44_100),
            with(Some(100_000), None, None),
            "bit rate",
        ),
        (
            OutputFormat::Mp3,
            stereo(44_100),
            with(Some(128_001), None, None),
            "bit rate",
        ),
        // 320 kbit/s exists for MPEG-1 only, 144 for MPEG-2 only.
        (
            OutputFormat::Mp3,
            stereo(22_050),
            with(Some(320_000), None, None),
            "bit rate",
        ),
        (
            OutputFormat::Mp3,
            stereo(44_100),
            with(Some(144_000), None, None),
            "bit rate",
        ),
        (
            OutputFormat::Wav,
            stereo(44_100),
            with(Some(128_000), None, None),
            "bit rate",
        ),
        (
            OutputFormat::Wav,
            stereo(44_100),
            with(None, None, Some(20)),
            "16, 24 or 32",
        ),
        (
            OutputFormat::Flac,
            stereo(44_100),
            with(Some(128_000), None, None),
            "bit rate",
        ),
        (
            OutputFormat::Flac,
            stereo(44_100),
            with(None, None, Some(32)),
            "16 or 24",
        ),
        (
            OutputFormat::Flac,
            stereo(44_100),
            with(None, Some(9), None),
            "0 to 8",
        ),
        (
            OutputFormat::Flac,
            StreamSpec {
                channels: 9,
                ..stereo(48_000)
            },
            with(None, None, None),
            "8 channels",
        ),
        (
            OutputFormat::Flac,
            stereo(2_000_000),
            with(None, None, None),
            "FLAC cannot store",
        ),
        (
            OutputFormat::Wav,
            StreamSpec {
                channels: 0,
                ..stereo(48_000)
            },
            with(None, None, None),
            "channel",
        ),
        (
            OutputFormat::Wav,
            stereo(0),
            with(None, None, None),
            "sample rate",
        ),
    ];
    for (format, spec, settings, needle) in cases {
        let e = validate(format, &spec, &settings).expect_err(needle);
        assert!(
            matches!(e, Error::InvalidOptions { .. }),
            "{format} {settings:?}: {e:?}"
        );
        assert!(e.to_string().contains(needle), "{format} {settings:?}: {e}");
    }
    for (format, spec, settings) in [
        (
            OutputFormat::Mp3,
            stereo(44_100),
            with(Some(320_000), Some(9), Some(24)),
        ),
        (
            OutputFormat::Mp3,
            stereo(16_000),
            with(Some(144_000), None, None),
        ),
        (
            OutputFormat::Mp3,
            stereo(48_000),
            with(Some(56_000), None, None),
        ),
        (
            OutputFormat::Mp3,
            StreamSpec {
                channels: 1,
                ..stereo(8_000)
            },
            with(None, Some(9), None),
        ),
        (
            OutputFormat::Wav,
            stereo(192_000),
            with(None, Some(3), Some(32)),
        ),
        (
            OutputFormat::Flac,
            stereo(96_000),
            with(None, Some(0), Some(16)),
        ),
        (
            OutputFormat::Flac,
            StreamSpec {
                channels: 8,
                ..stereo(48_000)
            },
            with(None, Some(8), None),
        ),
    ] {
        validate(format, &spec, &settings).unwrap_or_else(|e| panic!("{format} {settings:?}: {e}"));
    }
}

#[test]
fn mp3_of_three_channels_is_invalid_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("three.mp3");
    let spec = StreamSpec {
        sample_rate: 48_000,
        channels: 3,
        ..Default::default()
    };
    let out = TempOutput::create(&dest).expect("temp");
    let e = new_encoder(OutputFormat::Mp3, &spec, &EncoderSettings::default(), out)
        .err()
        .expect("error");
    assert!(matches!(e, Error::InvalidOptions { .. }), "{e:?}");
    assert!(
        e.to_string().contains(".flac"),
        "suggests a format that holds the channels: {e}"
    );
    assert!(!dest.exists());
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn default_bits_follow_the_source() {
    let spec = |bits| StreamSpec {
        sample_rate: 48_000,
        channels: 2,
        source_bits: bits,
        ..Default::default()
    };
    let d = EncoderSettings::default();
    for (bits, want) in [
        (None, 24),
        (Some(8), 16),
        (Some(16), 16),
        (Some(24), 24),
        (Some(32), 24),
    ] {
        assert_eq!(
            flac::FlacConfig::resolve(&spec(bits), &d)
                .expect("flac")
                .bits,
            want,
            "{bits:?}"
        );
        let wav = wav::WavConfig::resolve(&spec(bits), &d).expect("wav");
        let want = if want == 16 {
            wav::WavSample::I16
        } else {
            wav::WavSample::I24
        };
        assert_eq!(wav.sample, want, "{bits:?}");
    }
}

// ---------------------------------------------------------------------------------------
// WAV

#[test]
fn wav_16bit_stereo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = music_like(44_100, 8.0123, 1);
    let spec = StreamSpec {
        tags: tags(),
        ..spec_of(&signal)
    };
    let settings = EncoderSettings {
        bits_per_sample: Some(16),
        ..Default::default()
    };
    let path = encode_file(dir.path(), "stereo16.wav", &spec, &settings, &signal);
    // (Not read back with loudcore's probe: its symphonia build has no RIFF INFO reader.
    // FFmpeg checks the LIST/INFO chunk below.)
    check_decoded(&path, &signal, &reference(&signal), LOSSLESS_LU);

    // hound, an independent reader: same samples within the dither (±1 LSB) and rounding.
    let back = signal_from_wav_bytes(&std::fs::read(&path).expect("read")).expect("hound reads it");
    assert_eq!(
        (back.channels, back.sample_rate, back.frames()),
        (2, 44_100, signal.frames())
    );
    let worst = back
        .samples
        .iter()
        .zip(&signal.samples)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        worst <= 1.5 / 32768.0,
        "largest error {} LSB",
        worst * 32768.0
    );

    // Plain PCM header for 16-bit stereo (no need for the extensible one).
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(
        u16::from_le_bytes([bytes[20], bytes[21]]),
        1,
        "WAVE_FORMAT_PCM"
    );
    if have_ffmpeg() {
        let p = check_ffmpeg_lossless(&path, &signal, "pcm_s16le", 16);
        assert_tags(&p, "stereo16.wav");
    }
}

#[test]
fn wav_24bit_5_1_and_float_side_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = surround(48_000, 5.0);
    // Default depth with an unknown source depth: 24 bits.
    let path = encode_file(
        dir.path(),
        "surround.wav",
        &spec_of(&signal),
        &EncoderSettings::default(),
        &signal,
    );
    check_decoded(&path, &signal, &reference(&signal), LOSSLESS_LU);
    let back = signal_from_wav_bytes(&std::fs::read(&path).expect("read")).expect("hound");
    assert_eq!(back.channel_mask, 0x3F);
    let worst = back
        .samples
        .iter()
        .zip(&signal.samples)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        worst <= 0.51 / 8_388_608.0,
        "24-bit is rounded, not dithered: {} LSB",
        worst * 8_388_608.0
    );

    // 32-bit float keeps the samples exactly, and the caller's "5.1(side)" mask.
    let side = signal.clone().with_channel_mask(0x60F);
    let settings = EncoderSettings {
        bits_per_sample: Some(32),
        ..Default::default()
    };
    let fpath = encode_file(dir.path(), "side.wav", &spec_of(&side), &settings, &side);
    let back = signal_from_wav_bytes(&std::fs::read(&fpath).expect("read")).expect("hound");
    assert_eq!(back.channel_mask, 0x60F);
    assert!(back.samples == side.samples, "float WAV is bit-exact");

    if have_ffmpeg() {
        let p = check_ffmpeg_lossless(&path, &signal, "pcm_s24le", 24);
        assert_eq!(p.layout, "5.1");
        let p = check_ffmpeg_lossless(&fpath, &side, "pcm_f32le", 32);
        assert_eq!(p.layout, "5.1(side)");
    }
}

#[test]
fn wav_odd_data_size_is_padded_and_16bit_output_is_deterministic() {
    // 24-bit mono with an odd frame count: odd data size, so a RIFF pad byte.
    let s = sine(22_050, 1, 1000.0, -6.0, 0.5).slice_frames(0, 11_025);
    let spec = spec_of(&s);
    let run = |settings: &EncoderSettings| {
        let mut enc =
            new_encoder(OutputFormat::Wav, &spec, settings, Cursor::new(Vec::new())).expect("enc");
        feed(&mut enc, &s);
        let e = enc.finish().expect("finish");
        let bytes = e.output.into_inner();
        assert_eq!(bytes.len() as u64, e.bytes);
        bytes
    };
    let b24 = run(&EncoderSettings {
        bits_per_sample: Some(24),
        ..Default::default()
    });
    let riff = u32::from_le_bytes([b24[4], b24[5], b24[6], b24[7]]) as usize;
    assert_eq!(riff + 8, b24.len());
    assert_eq!(b24.len() % 2, 0);
    let back = signal_from_wav_bytes(&b24).expect("hound");
    assert_eq!(back.frames(), 11_025);

    let b16 = run(&EncoderSettings {
        bits_per_sample: Some(16),
        ..Default::default()
    });
    assert_eq!(
        b16,
        run(&EncoderSettings {
            bits_per_sample: Some(16),
            ..Default::default()
        })
    );
}

#[test]
fn wav_larger_than_4_gib_is_an_error_not_a_corrupt_header() {
    let s = sine(8_000, 2, 1000.0, -6.0, 1.0);
    let spec = spec_of(&s);
    let config = wav::WavConfig::resolve(&spec, &EncoderSettings::default()).expect("config");
    // The real limit is u32::MAX; a 20 kB one shows the same path without writing 4 GiB.
    let mut enc =
        wav::WavEncoder::with_limit(config, &spec, Cursor::new(Vec::new()), 20_000).expect("enc");
    enc.write(&s.samples[..2 * 2000]).expect("12 kB fits");
    let e = enc
        .write(&s.samples[..2 * 2000])
        .expect_err("24 kB does not");
    assert!(matches!(e, Error::InvalidOptions { .. }), "{e:?}");
    assert!(e.to_string().contains("4 GiB"), "{e}");
}

// ---------------------------------------------------------------------------------------
// FLAC

/// STREAMINFO's total samples and MD5.
fn streaminfo(path: &Path) -> (u64, [u8; 16]) {
    let b = std::fs::read(path).expect("read");
    assert_eq!(&b[..4], b"fLaC");
    assert_eq!(b[4] & 0x7F, 0, "STREAMINFO first");
    let si = &b[8..42];
    let total = (u64::from(si[13] & 0x0F) << 32)
        | u64::from(u32::from_be_bytes([si[14], si[15], si[16], si[17]]));
    let mut md5 = [0u8; 16];
    md5.copy_from_slice(&si[18..34]);
    (total, md5)
}

fn md5_of(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

#[test]
fn flac_24bit_48k_stereo_with_tags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = music_like(48_000, 8.0007, 2);
    let spec = StreamSpec {
        source_bits: Some(24),
        tags: tags(),
        ..spec_of(&signal)
    };
    let path = encode_file(
        dir.path(),
        "hires.flac",
        &spec,
        &EncoderSettings::default(),
        &signal,
    );
    assert_probe_tags(&path);
    check_decoded(&path, &signal, &reference(&signal), LOSSLESS_LU);
    let (total, md5) = streaminfo(&path);
    assert_eq!(total, signal.frames() as u64);
    if have_ffmpeg() {
        let p = check_ffmpeg_lossless(&path, &signal, "flac", 24);
        assert_tags(&p, "hires.flac");
        // The STREAMINFO MD5 is that of the decoded samples, 3 bytes each.
        assert_eq!(md5_of(&ffmpeg_pcm(&path, "s24le")), md5, "STREAMINFO MD5");
    }
}

#[test]
fn flac_16bit_5_1_from_a_16bit_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = surround(44_100, 5.0);
    assert_ne!(signal.frames() % 4096, 0, "a short last block");
    let spec = StreamSpec {
        source_bits: Some(16),
        ..spec_of(&signal)
    };
    let path = encode_file(
        dir.path(),
        "surround.flac",
        &spec,
        &EncoderSettings::default(),
        &signal,
    );
    check_decoded(&path, &signal, &reference(&signal), LOSSLESS_LU);
    let (_, md5) = streaminfo(&path);
    if have_ffmpeg() {
        let p = check_ffmpeg_lossless(&path, &signal, "flac", 16);
        // Spelled out in a Vorbis comment: FFmpeg alone would take 6 channels as 5.1(side).
        assert_eq!(p.layout, "5.1");
        assert_eq!(md5_of(&ffmpeg_pcm(&path, "s16le")), md5, "STREAMINFO MD5");
    }
}

#[test]
fn flac_side_layout_is_kept_in_a_channel_mask_comment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = surround(48_000, 1.0).with_channel_mask(0x60F);
    let path = encode_file(
        dir.path(),
        "side.flac",
        &spec_of(&signal),
        &EncoderSettings::default(),
        &signal,
    );
    let bytes = std::fs::read(&path).expect("read");
    let needle = b"WAVEFORMATEXTENSIBLE_CHANNEL_MASK=0x060F";
    assert!(bytes.windows(needle.len()).any(|w| w == needle));
    if have_ffmpeg() {
        assert_eq!(ffprobe(&path).layout, "5.1(side)");
    }
}

#[test]
fn flac_lengths_around_block_boundaries_are_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ffmpeg = have_ffmpeg();
    for (frames, level) in [
        (0usize, 5u8),
        (1, 0),
        (17, 8),
        (4096, 3),
        (4097, 5),
        (8191, 1),
    ] {
        let s = sine(44_100, 2, 440.0, -10.0, 0.2).slice_frames(0, frames);
        let settings = EncoderSettings {
            quality: Some(level),
            bits_per_sample: Some(16),
            ..Default::default()
        };
        let name = format!("len{frames}.flac");
        let path = encode_file(dir.path(), &name, &spec_of(&s), &settings, &s);
        assert_eq!(streaminfo(&path).0, frames as u64, "{name}");
        if ffmpeg && frames > 0 {
            assert_eq!(ffmpeg_frames(&path, 2), frames as u64, "{name}");
            assert_eq!(
                md5_of(&ffmpeg_pcm(&path, "s16le")),
                streaminfo(&path).1,
                "{name}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// MP3

struct LameTag {
    /// "Xing" (VBR) or "Info" (CBR).
    kind: String,
    mpeg_frames: u64,
    delay: u64,
    padding: u64,
}

/// Skips the ID3v2 tag and reads the Xing/Info and LAME fields of the first frame.
fn lame_tag(bytes: &[u8]) -> (usize, LameTag) {
    let mut start = 0;
    if bytes.starts_with(b"ID3") {
        let s = &bytes[6..10];
        start = 10
            + ((s[0] as usize) << 21
                | (s[1] as usize) << 14
                | (s[2] as usize) << 7
                | s[3] as usize);
    }
    assert_eq!(bytes[start], 0xFF, "an MPEG frame right after the ID3 tag");
    let frame = &bytes[start..start + 400];
    let at = frame
        .windows(4)
        .position(|w| w == b"Xing" || w == b"Info")
        .expect("Xing/Info tag in the first frame");
    let flags = u32::from_be_bytes(frame[at + 4..at + 8].try_into().expect("4"));
    assert_ne!(flags & 1, 0, "frame count present");
    let mpeg_frames = u64::from(u32::from_be_bytes(
        frame[at + 8..at + 12].try_into().expect("4"),
    ));
    let lame = frame
        .windows(4)
        .position(|w| w == b"LAME")
        .expect("LAME tag");
    let d = &frame[lame + 21..lame + 24];
    let delay = (u64::from(d[0]) << 4) | (u64::from(d[1]) >> 4);
    let padding = (u64::from(d[1] & 0x0F) << 8) | u64::from(d[2]);
    let kind = String::from_utf8_lossy(&frame[at..at + 4]).into_owned();
    (
        start,
        LameTag {
            kind,
            mpeg_frames,
            delay,
            padding,
        },
    )
}

/// Checks an MP3 against its input: the LAME tag accounts for every sample, loudcore and
/// FFmpeg decode the input's length, loudness within 0.2 LU.
fn check_mp3(
    path: &Path,
    signal: &Signal,
    samples_per_frame: u64,
    kind: &str,
    tagged: bool,
) -> Option<Probed> {
    let bytes = std::fs::read(path).expect("read");
    let (audio_start, t) = lame_tag(&bytes);
    assert_eq!(audio_start > 0, tagged, "ID3v2 tag present");
    let playable = t.mpeg_frames * samples_per_frame - t.delay - t.padding;
    eprintln!(
        "{}: {} tag: {} frames x {samples_per_frame} - delay {} - padding {} = {playable} (input {})",
        path.display(),
        t.kind,
        t.mpeg_frames,
        t.delay,
        t.padding,
        signal.frames()
    );
    assert_eq!(t.kind, kind);
    assert_eq!(
        playable,
        signal.frames() as u64,
        "LAME tag accounts for exactly the input"
    );
    check_decoded(path, signal, &reference(signal), MP3_LU);
    if !have_ffmpeg() {
        return None;
    }
    let p = ffprobe(path);
    let frames = ffmpeg_frames(path, signal.channels);
    eprintln!(
        "{}: ffprobe {} {} Hz {} ch {:.6} s {:?} b/s; ffmpeg decodes {frames} frames (input {})",
        path.display(),
        p.codec,
        p.sample_rate,
        p.channels,
        p.duration_s,
        p.bit_rate,
        signal.frames()
    );
    assert_eq!(
        (p.codec.as_str(), p.sample_rate, p.channels),
        ("mp3", signal.sample_rate, u32::from(signal.channels))
    );
    let diff_s = (frames as f64 - signal.frames() as f64) / f64::from(signal.sample_rate);
    assert!(
        diff_s.abs() <= DURATION_S,
        "ffmpeg decodes {frames} frames, input {}",
        signal.frames()
    );
    Some(p)
}

#[test]
fn mp3_v0_stereo_with_tags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = music_like(44_100, 8.0, 3);
    let spec = StreamSpec {
        tags: tags(),
        ..spec_of(&signal)
    };
    let path = encode_file(
        dir.path(),
        "v0.mp3",
        &spec,
        &EncoderSettings::default(),
        &signal,
    );
    assert_probe_tags(&path);
    if let Some(p) = check_mp3(&path, &signal, 1152, "Xing", true) {
        assert_tags(&p, "v0.mp3");
    }
}

#[test]
fn mp3_mono_16k_cbr_and_vbr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = mono(&music_like(16_000, 6.0, 4));
    let cbr = EncoderSettings {
        bitrate: Some(64_000),
        ..Default::default()
    };
    let path = encode_file(dir.path(), "mono16k.mp3", &spec_of(&signal), &cbr, &signal);
    // MPEG-2 layer III: 576 samples per frame.
    if let Some(p) = check_mp3(&path, &signal, 576, "Info", false) {
        assert_eq!(p.bit_rate, Some(64_000));
    }
    let vbr = EncoderSettings {
        quality: Some(4),
        ..Default::default()
    };
    let path = encode_file(
        dir.path(),
        "mono16k-v4.mp3",
        &spec_of(&signal),
        &vbr,
        &signal,
    );
    check_mp3(&path, &signal, 576, "Xing", false);
}

#[test]
fn mp3_cbr_48k() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = music_like(48_000, 4.0, 5);
    let settings = EncoderSettings {
        bitrate: Some(128_000),
        ..Default::default()
    };
    let path = encode_file(dir.path(), "cbr.mp3", &spec_of(&signal), &settings, &signal);
    if let Some(p) = check_mp3(&path, &signal, 1152, "Info", false) {
        assert_eq!(p.bit_rate, Some(128_000));
    }
}

// ---------------------------------------------------------------------------------------
// atomic output and errors

#[test]
fn dropped_encoder_leaves_nothing_and_keeps_an_existing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = music_like(44_100, 2.0, 6);
    for name in ["a.mp3", "a.wav", "a.flac"] {
        let dest = dir.path().join(name);
        let format = OutputFormat::from_path(&dest).expect("format");

        // No destination before: none after.
        let mut enc = new_encoder(
            format,
            &spec_of(&signal),
            &EncoderSettings::default(),
            TempOutput::create(&dest).expect("temp"),
        )
        .expect("enc");
        feed(&mut enc, &signal);
        drop(enc);
        assert!(!dest.exists(), "{name}");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{name}: {:?}",
            leftovers(dir.path())
        );

        // An existing destination stays byte-identical, also after finish without commit.
        let previous: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&dest, &previous).expect("write");
        let mut enc = new_encoder(
            format,
            &spec_of(&signal),
            &EncoderSettings::default(),
            TempOutput::create(&dest).expect("temp"),
        )
        .expect("enc");
        feed(&mut enc, &signal);
        drop(enc);
        let mut enc = new_encoder(
            format,
            &spec_of(&signal),
            &EncoderSettings::default(),
            TempOutput::create(&dest).expect("temp"),
        )
        .expect("enc");
        feed(&mut enc, &signal);
        let finished = enc.finish().expect("finish");
        assert!(finished.output.temp_path().exists());
        drop(finished);
        assert_eq!(std::fs::read(&dest).expect("read"), previous, "{name}");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{name}: {:?}",
            leftovers(dir.path())
        );
    }
}

#[test]
fn partial_frames_are_an_internal_error() {
    let spec = StreamSpec {
        sample_rate: 44_100,
        channels: 2,
        ..Default::default()
    };
    for format in OutputFormat::ALL {
        let mut enc = new_encoder(
            *format,
            &spec,
            &EncoderSettings::default(),
            Cursor::new(Vec::new()),
        )
        .expect("enc");
        let e = enc.write(&[0.0; 3]).expect_err("3 samples of stereo");
        assert!(matches!(e, Error::Internal { .. }), "{format}: {e:?}");
    }
}

#[test]
fn empty_input_gives_a_valid_empty_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ffmpeg = have_ffmpeg();
    let silence = Signal::new(44_100, 2, Vec::new());
    for name in ["empty.wav", "empty.flac", "empty.mp3"] {
        let path = encode_file(
            dir.path(),
            name,
            &spec_of(&silence),
            &EncoderSettings::default(),
            &silence,
        );
        let len = std::fs::metadata(&path).expect("meta").len();
        eprintln!("{name}: {len} bytes");
        if name.ends_with(".mp3") {
            let (_, t) = lame_tag(&std::fs::read(&path).expect("read"));
            assert_eq!(
                t.mpeg_frames * 1152,
                t.delay + t.padding,
                "{name}: no playable samples"
            );
        }
        // (An empty MP3 is an info frame and one short silent frame, the same 521 bytes that
        // `lame -V0` makes of an empty WAV; FFmpeg rejects both, so only the tag is checked.)
        if ffmpeg && !name.ends_with(".mp3") {
            assert_eq!(ffmpeg_frames(&path, 2), 0, "{name}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// M4A (AAC-LC)

/// FFmpeg's decode of `path` as interleaved f32 (edit list applied).
fn ffmpeg_f32(path: &Path) -> Vec<f32> {
    ffmpeg_pcm(path, "f32le")
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Normalised cross-correlation of `a` and `b` at zero lag, per channel.
fn correlations(a: &[f32], b: &[f32], channels: usize) -> Vec<f64> {
    (0..channels)
        .map(|c| {
            let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
            for (x, y) in a
                .iter()
                .skip(c)
                .step_by(channels)
                .zip(b.iter().skip(c).step_by(channels))
            {
                let (x, y) = (f64::from(*x), f64::from(*y));
                ab += x * y;
                aa += x * x;
                bb += y * y;
            }
            ab / (aa.sqrt() * bb.sqrt()).max(1e-30)
        })
        .collect()
}

/// The FFmpeg checks of an M4A: AAC, rate, channels, duration within 1 ms, FFmpeg decoding
/// exactly the input's frame count (it honours the edit list), and PCM that matches the
/// input sample-aligned (a real encode with the priming trimmed, not silence or a shift).
fn check_ffmpeg_m4a(path: &Path, signal: &Signal, min_corr: f64) -> Probed {
    let p = ffprobe(path);
    let pcm = ffmpeg_f32(path);
    let ch = usize::from(signal.channels);
    let frames = pcm.len() / ch;
    let corr = correlations(&pcm, &signal.samples, ch);
    eprintln!(
        "{}: ffprobe {} {} Hz {} ch {:?} b/s {:.6} s; ffmpeg decodes {frames} frames (input {}), correlation {corr:.4?}",
        path.display(),
        p.codec,
        p.sample_rate,
        p.channels,
        p.bit_rate,
        p.duration_s,
        signal.frames()
    );
    assert_eq!(p.codec, "aac");
    assert_eq!(p.sample_rate, signal.sample_rate);
    assert_eq!(p.channels, u32::from(signal.channels));
    assert!(
        (p.duration_s - signal.duration_s()).abs() <= DURATION_S,
        "ffprobe duration {} vs {}",
        p.duration_s,
        signal.duration_s()
    );
    // FFmpeg (5.1 at least) applies the edit's start but decodes the last packet whole:
    // up to 1023 frames of padding beyond the edit, as with its own M4A files.
    assert!(
        frames >= signal.frames() && frames < signal.frames() + 1024,
        "ffmpeg decodes {frames} frames for {} input frames",
        signal.frames()
    );
    for (c, &r) in corr.iter().enumerate() {
        // AAC's LFE channel is band-limited (to ~120 Hz), and our test LFE is full range.
        let min_corr = if ch == 6 && c == 3 { 0.5 } else { min_corr };
        assert!(r >= min_corr, "channel {c}: correlation {r} < {min_corr}");
    }
    p
}

#[test]
fn m4a_stereo_44k_default_bitrate_with_tags() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = music_like(44_100, 7.3, 21);
    let spec = StreamSpec {
        tags: tags(),
        ..spec_of(&signal)
    };
    let path = encode_file(
        dir.path(),
        "a.m4a",
        &spec,
        &EncoderSettings::default(),
        &signal,
    );
    let p = check_ffmpeg_m4a(&path, &signal, 0.99);
    assert_tags(&p, "a.m4a");
    assert_probe_tags(&path);
    // loudcore reads its own M4A back gaplessly (edit list), at the input's loudness,
    // sample-aligned with the input.
    check_decoded(&path, &signal, &reference(&signal), MP3_LU);
    let input = Input::from(path.as_path());
    let opened = crate::input::open(&input, &crate::Limits::default()).expect("open");
    let mut ctl = crate::job::Control::new(input.name(), None, None);
    let mut pcm = Vec::new();
    let opts = crate::decode::DecodeOptions {
        threads: 3,
        ..Default::default()
    };
    crate::decode::stream(opened, "a.m4a", &opts, &mut ctl, |b| {
        pcm.extend_from_slice(b);
        Ok(())
    })
    .expect("decode");
    assert_eq!(pcm.len(), signal.samples.len());
    let corr = correlations(&pcm, &signal.samples, 2);
    assert!(
        corr.iter().all(|&c| c > 0.99),
        "loudcore decode correlation {corr:?}"
    );
    let br = p.bit_rate.expect("bit rate");
    assert!((200_000..=300_000).contains(&br), "bit rate {br}");
    // ffprobe shows the gapless comment with the priming, padding and frame count.
    let smpb = tag(&p, "iTunSMPB").expect("iTunSMPB");
    let fields: Vec<&str> = smpb.split_whitespace().collect();
    assert_eq!(fields[1], "00000800", "{smpb}");
    assert_eq!(
        u64::from_str_radix(fields[3], 16).expect("hex"),
        signal.frames() as u64
    );
}

#[test]
fn m4a_mono_lengths_around_frame_boundaries_are_exact() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let base = mono(&music_like(48_000, 1.2, 22));
    // Around the 1024-frame packet and the 2048-frame priming.
    for n in [1023usize, 1024, 1025, 2047, 2048, 3072, 48_000, 57_599] {
        let signal = Signal::new(48_000, 1, base.samples[..n].to_vec());
        let settings = EncoderSettings {
            bitrate: Some(96_000),
            ..Default::default()
        };
        let path = encode_file(
            dir.path(),
            &format!("m{n}.m4a"),
            &spec_of(&signal),
            &settings,
            &signal,
        );
        check_ffmpeg_m4a(&path, &signal, if n >= 3072 { 0.98 } else { 0.5 });
        let a = analyze(&Input::from(path.as_path())).expect("analyze");
        assert!(
            (a.duration_s - signal.duration_s()).abs() < 0.5 / 48_000.0,
            "{n} frames: loudcore decodes {} s",
            a.duration_s
        );
    }
}

#[test]
fn m4a_5_1_48k() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = surround(48_000, 3.0);
    let path = encode_file(
        dir.path(),
        "s.m4a",
        &spec_of(&signal),
        &EncoderSettings::default(),
        &signal,
    );
    let p = check_ffmpeg_m4a(&path, &signal, 0.98);
    assert!(p.layout.starts_with("5.1"), "layout {}", p.layout);
}

#[test]
fn m4a_rejects_impossible_settings_before_encoding() {
    let stereo = StreamSpec {
        sample_rate: 44_100,
        channels: 2,
        ..Default::default()
    };
    for (spec, settings) in [
        (
            stereo.clone(),
            EncoderSettings {
                quality: Some(2),
                ..Default::default()
            },
        ),
        (
            stereo.clone(),
            EncoderSettings {
                bitrate: Some(1_000),
                ..Default::default()
            },
        ),
        (
            StreamSpec {
                sample_rate: 44_000,
                ..stereo.clone()
            },
            EncoderSettings::default(),
        ),
        (
            StreamSpec {
                channels: 4,
                channel_mask: Some(0x33),
                ..stereo.clone()
            },
            EncoderSettings::default(),
        ),
    ] {
        let e = validate(OutputFormat::M4a, &spec, &settings).expect_err("invalid");
        assert!(matches!(e, Error::InvalidOptions { .. }), "{e}");
        eprintln!("{e}");
    }
    validate(OutputFormat::M4a, &stereo, &EncoderSettings::default()).expect("valid");
}
