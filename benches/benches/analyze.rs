//! Decode and metering throughput, one iteration = one minute of audio.
//!
//! The input is 60 s of synthesised music (`loudcore_testsignals::music_like`, 44.1 kHz
//! stereo), so the time criterion reports per iteration is the time per minute of audio:
//!
//! - `analyze_wav_per_minute`: `loudcore::analyze` on a 16-bit WAV held in memory. PCM
//!   decoding is trivial, so this is mostly the meter (K-weighting, gating blocks, LRA,
//!   4x oversampled true peak).
//! - `decode_mp3_per_minute`: symphonia (the decoder loudcore uses) decoding the same
//!   minute encoded by LAME at 320 kb/s CBR into interleaved f32, without metering.
//! - `analyze_mp3_per_minute`: `loudcore::analyze` on that MP3: decode + meter (which
//!   loudcore overlaps on several threads).
//!
//! The MP3 is encoded once with the `lame` command; without `lame` the MP3 benches are
//! skipped with a note. Run with `cargo bench -p loudcore-benches`.

use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use loudcore_testsignals::{WavFormat, music_like, wav_bytes};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

const SAMPLE_RATE: u32 = 44_100;
const SECONDS: f64 = 60.0;
const SEED: u64 = 7;

/// Encodes `wav` with `lame -b 320` in a temporary directory, or says why it could not.
fn lame_mp3(wav: &[u8]) -> Result<Vec<u8>, String> {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("loudcore-benches-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (src, dst) = (dir.join("minute.wav"), dir.join("minute.mp3"));
    let result = (|| {
        std::fs::write(&src, wav).map_err(|e| format!("cannot write {}: {e}", src.display()))?;
        let status = Command::new("lame")
            .args(["--quiet", "-b", "320"])
            .arg(&src)
            .arg(&dst)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| {
                format!("cannot run `lame` ({e}); install it (Debian: apt-get install lame)")
            })?;
        if !status.success() {
            return Err(format!("`lame` failed: {status}"));
        }
        std::fs::read(&dst).map_err(|e| format!("cannot read {}: {e}", dst.display()))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Decodes a whole MP3 held in memory to interleaved f32, as loudcore's decoder does,
/// and returns the number of sample frames.
fn decode_mp3(bytes: &Arc<[u8]>) -> u64 {
    let mss = MediaSourceStream::new(
        Box::new(Cursor::new(Arc::clone(bytes))),
        MediaSourceStreamOptions::default(),
    );
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .expect("probe the MP3");
    let track = reader
        .default_track(TrackType::Audio)
        .expect("an audio track")
        .clone();
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .expect("audio codec parameters")
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .expect("an MP3 decoder");
    let mut scratch: Vec<f32> = Vec::new();
    let mut frames = 0u64;
    while let Some(packet) = reader.next_packet().expect("read a packet") {
        if packet.track_id != track.id {
            continue;
        }
        let buf = decoder.decode(&packet).expect("decode a packet");
        buf.copy_to_vec_interleaved(&mut scratch);
        frames += buf.frames() as u64;
        black_box(&scratch);
    }
    frames
}

fn benches(c: &mut Criterion) {
    let signal = music_like(SAMPLE_RATE, SECONDS, SEED);
    let wav: Arc<[u8]> = wav_bytes(&signal, WavFormat::Int16).into();

    let mut group = c.benchmark_group("loudcore");
    // An iteration takes 50-300 ms: few samples of a fixed iteration count each, so the
    // three benches finish in well under a minute on 2 cores.
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));

    group.bench_function("analyze_wav_per_minute", |b| {
        b.iter(|| {
            let input = loudcore::Input::bytes(Arc::clone(&wav)).named("minute.wav");
            black_box(loudcore::analyze(&input).expect("analyze the WAV"))
        })
    });

    match lame_mp3(&wav) {
        Ok(mp3) => {
            let mp3: Arc<[u8]> = mp3.into();
            let frames = decode_mp3(&mp3);
            assert!(
                frames >= (SECONDS * f64::from(SAMPLE_RATE)) as u64,
                "the MP3 decodes to {frames} frames, less than a minute"
            );
            group.bench_function("decode_mp3_per_minute", |b| {
                b.iter(|| black_box(decode_mp3(&mp3)))
            });
            group.bench_function("analyze_mp3_per_minute", |b| {
                b.iter(|| {
                    let input = loudcore::Input::bytes(Arc::clone(&mp3)).named("minute.mp3");
                    black_box(loudcore::analyze(&input).expect("analyze the MP3"))
                })
            });
        }
        Err(why) => {
            eprintln!("note: skipping decode_mp3_per_minute and analyze_mp3_per_minute: {why}")
        }
    }
    group.finish();
}

criterion_group!(analyze, benches);
criterion_main!(analyze);
