//! HLS ladders through the public API, checked by independent parties: every playlist
//! parsed by `m3u8-rs` against RFC 8216's rules, the TS segments walked packet by packet,
//! every variant decoded by FFmpeg (loudness, true peak, length), and the whole ladder
//! played by hls.js in headless Chromium (`LOUDCORE_PLAYER`, see tests/hls-player).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use loudcore::{CancelToken, Container, Error, HlsCodec, HlsOptions, Input, Layout, Report};
use loudcore_testsignals::{WavFormat, music_like_with_level, write_wav};
use m3u8_rs::{MasterPlaylist, MediaPlaylist, Playlist};

const SECONDS: f64 = 25.0;
const TARGET: f64 = -14.0;
const CEILING: f64 = -1.0;

/// 25 s of music-like stereo at about -24 LUFS: +10 dB of gain pushes its peaks into the
/// limiter, so every variant is limited, resampled, encoded and verified.
fn input(dir: &Path) -> PathBuf {
    let p = dir.join("input.wav");
    let s = music_like_with_level(44_100, SECONDS, 21, -24.0);
    write_wav(&p, &s, WavFormat::Int16).unwrap();
    p
}

fn parse(path: &Path) -> Playlist {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    m3u8_rs::parse_playlist_res(&bytes)
        .unwrap_or_else(|e| panic!("{} does not parse: {e:?}", path.display()))
}

fn master(dir: &Path) -> MasterPlaylist {
    match parse(&dir.join("master.m3u8")) {
        Playlist::MasterPlaylist(m) => m,
        Playlist::MediaPlaylist(_) => panic!("master.m3u8 is a media playlist"),
    }
}

fn media(path: &Path) -> MediaPlaylist {
    match parse(path) {
        Playlist::MediaPlaylist(m) => m,
        Playlist::MasterPlaylist(_) => panic!("{} is a master playlist", path.display()),
    }
}

fn version_line(path: &Path) -> u32 {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("#EXT-X-VERSION:"))
        .unwrap_or_else(|| panic!("{}: no EXT-X-VERSION", path.display()))
        .trim()
        .parse()
        .unwrap()
}

/// One ladder per configuration, shared by the tests that check it.
struct Ladder {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    report: Report,
    input: PathBuf,
}

fn ladder(container: Container, codec: HlsCodec, layout: Layout, variants: &[&str]) -> Ladder {
    let tmp = tempfile::tempdir().unwrap();
    let input = input(tmp.path());
    let dir = tmp.path().join("ladder");
    let opts = HlsOptions {
        variants: variants.iter().map(|v| v.parse().unwrap()).collect(),
        container,
        codec,
        layout,
        ..Default::default()
    };
    let report = loudcore::hls(&Input::from(input.as_path()), &dir, &opts)
        .unwrap_or_else(|e| panic!("hls {container:?} {codec:?}: {e}"));
    Ladder {
        _tmp: tmp,
        dir,
        report,
        input,
    }
}

fn ts_aac() -> &'static Ladder {
    static L: OnceLock<Ladder> = OnceLock::new();
    L.get_or_init(|| ladder(Container::Ts, HlsCodec::Aac, Layout::Nested, &[]))
}
fn packed_aac_flat() -> &'static Ladder {
    static L: OnceLock<Ladder> = OnceLock::new();
    L.get_or_init(|| {
        ladder(
            Container::Packed,
            HlsCodec::Aac,
            Layout::Flat,
            &["high=128k@44100", "low=64k@32000"],
        )
    })
}
fn fmp4_aac() -> &'static Ladder {
    static L: OnceLock<Ladder> = OnceLock::new();
    L.get_or_init(|| ladder(Container::Fmp4, HlsCodec::Aac, Layout::Nested, &[]))
}
fn ts_mp3() -> &'static Ladder {
    static L: OnceLock<Ladder> = OnceLock::new();
    L.get_or_init(|| {
        ladder(
            Container::Ts,
            HlsCodec::Mp3,
            Layout::Nested,
            &["64k@22050", "128k@44100"],
        )
    })
}

/// Every rule of the issue on the playlists of a ladder.
fn check_playlists(l: &Ladder, expect_version: u32, codecs: &str) {
    let m = master(&l.dir);
    assert!(
        m.independent_segments,
        "master lacks EXT-X-INDEPENDENT-SEGMENTS"
    );
    assert_eq!(m.variants.len(), l.report.outputs.len());
    let mut targets = Vec::new();
    for (v, out) in m.variants.iter().zip(&l.report.outputs) {
        let vr = out.variant.as_ref().expect("variant report");
        assert_eq!(v.codecs.as_deref(), Some(codecs));
        assert_eq!(vr.codecs, codecs);
        let playlist = l.dir.join(&v.uri);
        assert_eq!(
            Path::new(&out.path),
            playlist,
            "report path = the master's URI"
        );
        assert_eq!(version_line(&playlist), expect_version, "{}", v.uri);
        let p = media(&playlist);
        assert_eq!(
            p.playlist_type,
            Some(m3u8_rs::MediaPlaylistType::Vod),
            "{}",
            v.uri
        );
        assert!(p.end_list, "{}: no EXT-X-ENDLIST", v.uri);
        targets.push(p.target_duration);
        let base = playlist.parent().unwrap();
        let mut total_s = 0.0;
        let mut sizes = Vec::new();
        for s in &p.segments {
            let rounded = s.duration.round() as u64;
            assert!(
                rounded <= p.target_duration,
                "{}: EXTINF {} rounds above TARGETDURATION {}",
                v.uri,
                s.duration,
                p.target_duration
            );
            let bytes = std::fs::metadata(base.join(&s.uri))
                .unwrap_or_else(|e| panic!("{}: {e}", s.uri))
                .len();
            total_s += f64::from(s.duration);
            sizes.push((f64::from(s.duration), bytes));
        }
        // EXTINF adds up to what the segments hold: the input, plus the encoder's priming
        // and padding where the container cannot trim them (at most a few codec frames).
        assert!(
            (SECONDS - 0.001..=SECONDS + 0.2).contains(&total_s),
            "{}: EXTINF total {total_s}",
            v.uri
        );
        // BANDWIDTH: the peak bit rate of any run of segments lasting 0.5 to 1.5 target
        // durations (RFC 8216 §4.1), never below the average; AVERAGE-BANDWIDTH: all
        // bytes over all time. Computed here independently from file sizes.
        let (lo, hi) = (
            0.5 * p.target_duration as f64,
            1.5 * p.target_duration as f64,
        );
        let total_bytes: u64 = sizes.iter().map(|s| s.1).sum();
        let average = (total_bytes as f64 * 8.0 / total_s).ceil() as u64;
        let mut peak = 0u64;
        for i in 0..sizes.len() {
            let (mut secs, mut bytes) = (0.0, 0u64);
            for &(d, b) in &sizes[i..] {
                secs += d;
                bytes += b;
                if secs > hi {
                    break;
                }
                if secs >= lo {
                    peak = peak.max((bytes as f64 * 8.0 / secs).ceil() as u64);
                }
            }
        }
        let peak = peak.max(average);
        let declared_avg = v.average_bandwidth.expect("AVERAGE-BANDWIDTH");
        assert!(
            declared_avg.abs_diff(average) <= average / 1000 + 1,
            "{}: AVERAGE-BANDWIDTH {declared_avg}, measured {average}",
            v.uri
        );
        assert!(
            v.bandwidth.abs_diff(peak) <= peak / 1000 + 1,
            "{}: BANDWIDTH {}, measured peak {peak}",
            v.uri,
            v.bandwidth
        );
        assert!(v.bandwidth >= declared_avg);
        assert!(
            v.bandwidth > u64::from(vr.nominal_bit_rate),
            "{}: BANDWIDTH {} under the nominal {}",
            v.uri,
            v.bandwidth,
            vr.nominal_bit_rate
        );
        assert_eq!(vr.bandwidth, v.bandwidth);
    }
    assert!(
        targets.windows(2).all(|w| w[0] == w[1]),
        "TARGETDURATION differs between variants: {targets:?}"
    );
}

/// Decodes variant `n` with FFmpeg through the master playlist: on target, under the
/// ceiling, and as long as the input plus at most the priming and one codec frame.
fn check_decoded(l: &Ladder, n: usize, priming_and_frame: u64) {
    let out = &l.report.outputs[n];
    let rate = out.sample_rate;
    let wav = l.dir.parent().unwrap().join(format!("variant{n}.wav"));
    let master = l.dir.join("master.m3u8");
    common::ffmpeg(&[
        "-allowed_extensions",
        "ALL",
        "-i",
        master.to_str().unwrap(),
        "-map",
        &format!("0:a:{n}"),
        "-c:a",
        "pcm_f32le",
        wav.to_str().unwrap(),
    ])
    .unwrap();
    let ff = common::ffmpeg_ebur128(&wav, l.dir.parent().unwrap()).unwrap();
    let i = ff.integrated_lufs.expect("loudness");
    assert!(
        (i - TARGET).abs() <= common::MAX_TARGET_ERROR_LU,
        "variant {n}: FFmpeg reads {i:.3} LUFS"
    );
    assert!(
        ff.true_peak_floor_dbtp <= CEILING,
        "variant {n}: FFmpeg reads {:.3} dBTP",
        ff.true_peak_dbtp
    );
    let input_frames = (SECONDS * f64::from(rate)).round() as u64;
    assert!(
        ff.samples >= input_frames && ff.samples <= input_frames + priming_and_frame,
        "variant {n}: FFmpeg decodes {} frames for {input_frames} ({} over)",
        ff.samples,
        ff.samples as i64 - input_frames as i64
    );
    // loudcore's own reading of the same variant, in the report.
    assert!(out.verified);
    assert!((out.integrated_lufs.unwrap() - TARGET).abs() <= 0.05);
    assert!(out.true_peak_dbtp.unwrap() <= CEILING - 0.1);
    assert!((out.duration_s - SECONDS).abs() <= 0.001);
}

/// Plays the ladder with hls.js in headless Chromium: every level switched to, `ended`
/// reached, no error.
fn check_plays(l: &Ladder) {
    let player = std::env::var_os("LOUDCORE_PLAYER");
    if !common::require(
        player.is_some(),
        "LOUDCORE_PLAYER is not set (scripts/test-all.sh sets it after scripts/test-player.sh)",
    ) {
        return;
    }
    let out = Command::new("node")
        .arg(player.unwrap())
        .arg(&l.dir)
        .arg("--json")
        .output()
        .expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "hls.js did not play {}: {text}\n{}",
        l.dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("\"ended\":true"), "{text}");
}

/// TS segments packet by packet: sync, PAT then PMT first in every segment, the stream
/// type, PCR on the audio PID, continuity counters and PTS continuing across segments.
fn check_ts(l: &Ladder, stream_type: u8) {
    for out in &l.report.outputs {
        let playlist = PathBuf::from(&out.path);
        let p = media(&playlist);
        let base = playlist.parent().unwrap();
        let mut cc: std::collections::HashMap<u16, u8> = Default::default();
        let mut first_pts = None;
        let mut elapsed = 0.0;
        let mut last_pts = None;
        for seg in &p.segments {
            let b = std::fs::read(base.join(&seg.uri)).unwrap();
            assert_eq!(b.len() % 188, 0, "{}: not whole TS packets", seg.uri);
            let pkts: Vec<&[u8]> = b.chunks(188).collect();
            assert!(pkts.iter().all(|p| p[0] == 0x47), "{}: lost sync", seg.uri);
            let pid = |p: &[u8]| (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
            assert_eq!(pid(pkts[0]), 0, "{}: PAT is not first", seg.uri);
            // PAT: program 1 -> PMT PID.
            let pat = &pkts[0][5..];
            let pmt_pid = (u16::from(pat[10] & 0x1F) << 8) | u16::from(pat[11]);
            assert_eq!(pid(pkts[1]), pmt_pid, "{}: PMT is not second", seg.uri);
            let pmt = &pkts[1][5..];
            let pcr_pid = (u16::from(pmt[8] & 0x1F) << 8) | u16::from(pmt[9]);
            let info_len = (usize::from(pmt[10] & 0x0F) << 8) | usize::from(pmt[11]);
            let es = &pmt[12 + info_len..];
            assert_eq!(es[0], stream_type, "{}: stream type", seg.uri);
            let audio = (u16::from(es[1] & 0x1F) << 8) | u16::from(es[2]);
            assert_eq!(pcr_pid, audio, "{}: PCR is not on the audio PID", seg.uri);
            let mut pcr_seen = false;
            let mut seg_first_pts = None;
            for p in &pkts {
                let id = pid(p);
                let afc = (p[3] >> 4) & 3;
                if afc & 1 == 1 {
                    let c = p[3] & 0x0F;
                    if let Some(prev) = cc.insert(id, c) {
                        assert_eq!(c, (prev + 1) & 0x0F, "{}: CC jump on PID {id:#x}", seg.uri);
                    }
                }
                if id != audio {
                    continue;
                }
                let mut off = 4;
                if afc & 2 == 2 {
                    let len = usize::from(p[4]);
                    if len > 0 && p[5] & 0x10 != 0 {
                        pcr_seen = true;
                    }
                    off += 1 + len;
                }
                if p[1] & 0x40 != 0 && afc & 1 == 1 {
                    let pes = &p[off..];
                    assert_eq!(&pes[..3], &[0, 0, 1], "{}: PES start code", seg.uri);
                    let h = &pes[9..14];
                    let pts = (u64::from(h[0] >> 1 & 7) << 30)
                        | (u64::from(h[1]) << 22)
                        | (u64::from(h[2] >> 1) << 15)
                        | (u64::from(h[3]) << 7)
                        | u64::from(h[4] >> 1);
                    if let Some(lp) = last_pts {
                        assert!(pts > lp, "{}: PTS {pts} after {lp}", seg.uri);
                    }
                    last_pts = Some(pts);
                    seg_first_pts.get_or_insert(pts);
                }
            }
            assert!(pcr_seen, "{}: no PCR", seg.uri);
            let pts = seg_first_pts.expect("a PES in every segment");
            let first = *first_pts.get_or_insert(pts);
            // PTS continue across segments: each segment starts where the EXTINF before it
            // say it should (90 kHz, within the rounding of six decimals).
            let expected = first as f64 + elapsed * 90_000.0;
            assert!(
                (pts as f64 - expected).abs() <= 2.0,
                "{}: first PTS {pts}, expected {expected:.0}",
                seg.uri
            );
            elapsed += f64::from(seg.duration);
        }
    }
}

#[test]
fn ts_ladder_playlists_follow_rfc_8216() {
    if !common::have_ffmpeg() {
        return;
    }
    let l = ts_aac();
    check_playlists(l, 3, "mp4a.40.2");
    let names: Vec<&str> = l
        .report
        .outputs
        .iter()
        .map(|o| o.variant.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["low", "med", "high"]);
    for (o, rate) in l.report.outputs.iter().zip([24_000, 32_000, 44_100]) {
        assert_eq!(o.sample_rate, rate);
        assert!(
            l.dir
                .join(o.variant.as_ref().unwrap().name.clone())
                .join("segment_00000.ts")
                .is_file()
        );
    }
    assert_eq!(
        l.report.master_playlist.as_deref(),
        Some(l.dir.join("master.m3u8").to_str().unwrap())
    );
}

#[test]
fn ts_segments_are_well_formed() {
    check_ts(ts_aac(), 0x0F);
}

#[test]
fn ts_variants_decode_on_target() {
    if !common::have_ffmpeg() {
        return;
    }
    let l = ts_aac();
    for n in 0..3 {
        // FDK's priming (2048) and the last frame's padding stay in TS.
        check_decoded(l, n, 2048 + 1024);
    }
}

#[test]
fn ts_ladder_plays_in_hls_js() {
    check_plays(ts_aac());
}

#[test]
fn packed_flat_ladder_has_the_documented_names_and_timestamps() {
    if !common::have_ffmpeg() {
        return;
    }
    let l = packed_aac_flat();
    for f in [
        "master.m3u8",
        "high.m3u8",
        "high_000.aac",
        "low.m3u8",
        "low_000.aac",
    ] {
        assert!(l.dir.join(f).is_file(), "{f} is missing");
    }
    check_playlists(l, 3, "mp4a.40.2");
    // Every segment starts with an ID3 PRIV transportStreamTimestamp.
    let p = media(&l.dir.join("high.m3u8"));
    for s in &p.segments {
        let b = std::fs::read(l.dir.join(&s.uri)).unwrap();
        assert_eq!(&b[..3], b"ID3", "{}", s.uri);
        let owner = b"com.apple.streaming.transportStreamTimestamp\0";
        assert!(
            b.windows(owner.len()).any(|w| w == owner),
            "{}: no PRIV timestamp",
            s.uri
        );
    }
    for n in 0..2 {
        check_decoded(l, n, 2048 + 1024);
    }
}

#[test]
fn packed_ladder_plays_in_hls_js() {
    check_plays(packed_aac_flat());
}

#[test]
fn fmp4_ladder_has_an_init_segment_and_decodes_on_target() {
    if !common::have_ffmpeg() {
        return;
    }
    let l = fmp4_aac();
    // EXT-X-MAP in a media playlist without I-frames needs version 6 (RFC 8216 §7).
    check_playlists(l, 6, "mp4a.40.2");
    for o in &l.report.outputs {
        let text = std::fs::read_to_string(&o.path).unwrap();
        let map = text
            .lines()
            .find_map(|l| l.strip_prefix("#EXT-X-MAP:URI=\""))
            .expect("EXT-X-MAP");
        let init = Path::new(&o.path)
            .parent()
            .unwrap()
            .join(map.trim_end_matches('"'));
        let b = std::fs::read(&init).unwrap();
        assert_eq!(&b[4..8], b"ftyp");
        for tag in [b"moov", b"mvex", b"elst", b"esds"] {
            assert!(
                b.windows(4).any(|w| w == tag),
                "init lacks {}",
                String::from_utf8_lossy(tag)
            );
        }
    }
    for n in 0..3 {
        check_decoded(l, n, 2048 + 1024);
    }
}

#[test]
fn fmp4_ladder_plays_in_hls_js() {
    check_plays(fmp4_aac());
}

#[test]
fn mp3_ts_ladder_uses_mpeg_audio_stream_types_and_plays() {
    if !common::have_ffmpeg() {
        return;
    }
    let l = ts_mp3();
    check_playlists(l, 3, "mp4a.40.34");
    // 22.05 kHz is MPEG-2 layer III (0x04); check_ts reads the stream type per variant.
    let low = Ladder {
        _tmp: tempfile::tempdir().unwrap(),
        dir: l.dir.clone(),
        report: Report {
            outputs: vec![l.report.outputs[0].clone()],
            ..l.report.clone()
        },
        input: l.input.clone(),
    };
    check_ts(&low, 0x04);
    let high = Ladder {
        _tmp: tempfile::tempdir().unwrap(),
        dir: l.dir.clone(),
        report: Report {
            outputs: vec![l.report.outputs[1].clone()],
            ..l.report.clone()
        },
        input: l.input.clone(),
    };
    check_ts(&high, 0x03);
    for n in 0..2 {
        // LAME's priming (1105) and padding stay in TS.
        check_decoded(l, n, 1105 + 1152);
    }
    check_plays(l);
}

#[test]
fn a_failed_or_cancelled_job_leaves_an_existing_ladder_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ladder");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("master.m3u8"), b"previous").unwrap();
    let silent = tmp.path().join("silence.wav");
    let s = loudcore_testsignals::Signal::new(44_100, 2, vec![0.0; 44_100 * 2 * 3]);
    write_wav(&silent, &s, WavFormat::Int16).unwrap();
    let e = loudcore::hls(&Input::from(silent.as_path()), &dir, &HlsOptions::default())
        .expect_err("silence cannot be normalized");
    assert!(matches!(e, Error::SilentInput { .. }), "{e:?}");
    let token = CancelToken::new();
    token.cancel();
    let opts = HlsOptions {
        job: loudcore::JobOptions {
            cancel: Some(token),
            ..Default::default()
        },
        ..Default::default()
    };
    let music = input(tmp.path());
    let e = loudcore::hls(&Input::from(music.as_path()), &dir, &opts).expect_err("cancelled");
    assert!(matches!(e, Error::Cancelled { .. }), "{e:?}");
    assert_eq!(std::fs::read(dir.join("master.m3u8")).unwrap(), b"previous");
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["input.wav", "ladder", "silence.wav"],
        "temporary files left behind"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "the existing ladder gained files"
    );
}

#[test]
fn bad_options_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let music = input(tmp.path());
    let dir = tmp.path().join("ladder");
    let bad: Vec<(&str, HlsOptions)> = vec![
        (
            "a variant name that escapes the directory",
            HlsOptions {
                variants: vec![loudcore::Variant {
                    name: Some("../x".into()),
                    bitrate: 64_000,
                    sample_rate: 32_000,
                }],
                ..Default::default()
            },
        ),
        (
            "a rate AAC lacks",
            HlsOptions {
                variants: vec!["64k@12345".parse().unwrap()],
                ..Default::default()
            },
        ),
        (
            "a segment duration of 0",
            HlsOptions {
                segment_seconds: 0.0,
                ..Default::default()
            },
        ),
    ];
    for (what, opts) in bad {
        let e = loudcore::hls(&Input::from(music.as_path()), &dir, &opts).expect_err(what);
        assert!(matches!(e, Error::InvalidOptions { .. }), "{what}: {e:?}");
        assert!(!dir.exists(), "{what}: the ladder directory was created");
    }
    assert!("48k".parse::<loudcore::Variant>().is_err());
    assert!("x=48k@".parse::<loudcore::Variant>().is_err());
}

#[test]
fn a_round_duration_ends_without_a_sliver_segment_and_plays() {
    // 20 s at 10 s segments: the encoder's priming and padding end a frame or two past
    // the 20 s boundary. That sliver joins the segment before (hls.js stalled before
    // `ended` on a one-frame final MP3 segment).
    if !common::have_ffmpeg() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input.wav");
    let s = music_like_with_level(44_100, 20.0, 5, -20.0);
    write_wav(&input, &s, WavFormat::Int16).unwrap();
    let dir = tmp.path().join("ladder");
    let opts = HlsOptions {
        variants: vec!["64k@22050".parse().unwrap(), "128k@44100".parse().unwrap()],
        container: Container::Packed,
        codec: HlsCodec::Mp3,
        ..Default::default()
    };
    let report = loudcore::hls(&Input::from(input.as_path()), &dir, &opts).unwrap();
    for out in &report.outputs {
        let p = media(Path::new(&out.path));
        let durations: Vec<f32> = p.segments.iter().map(|s| s.duration).collect();
        assert_eq!(durations.len(), 2, "{}: {durations:?}", out.path);
        assert!(
            durations.iter().all(|&d| d >= 9.9),
            "{}: {durations:?}",
            out.path
        );
        assert!((out.duration_s - 20.0).abs() <= 0.001);
    }
    let l = Ladder {
        _tmp: tmp,
        dir,
        report,
        input,
    };
    check_plays(&l);
}
