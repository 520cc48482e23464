//! Ladders built from real AAC (FFmpeg's encoder, split from ADTS) and MP3 (our LAME packet
//! encoder) packets, checked against RFC 8216 with `m3u8-rs`, walked packet by packet, and
//! decoded by FFmpeg as a client would.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use m3u8_rs::Playlist;

use super::adts::adts_frame;
use super::timeline::Clock;
use super::*;
use crate::codec::{Codec, Packet, StreamInfo};
use crate::encode::encode_tone;
use crate::input::parse_mpeg;

const SECONDS: u32 = 25;
const SEGMENT_SECONDS: f64 = 6.0;

/// Interleaved frames FFmpeg decodes from `input` (with `args` before `-i`), counted from
/// its raw float output.
pub(crate) fn ffmpeg_frames(input: &Path, channels: u16, args: &[&str]) -> u64 {
    ffmpeg_frames_mapped(input, channels, args, &[])
}

/// The interleaved samples FFmpeg decodes from `input`.
pub(crate) fn ffmpeg_decode(input: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(input)
        .args(["-f", "f32le", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn ffmpeg_frames_mapped(input: &Path, channels: u16, args: &[&str], map: &[&str]) -> u64 {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin"])
        .args(args)
        .arg("-i")
        .arg(input)
        .args(map)
        .args(["-f", "f32le", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "ffmpeg failed on {}: {}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout.len() / 4 / usize::from(channels)) as u64
}

/// A stream and its packets, with the number of input frames they encode.
#[derive(Clone)]
struct Encoded {
    info: StreamInfo,
    packets: Vec<Packet>,
    input_frames: u64,
}

/// AAC-LC stereo from FFmpeg's encoder at each default variant's rate, split from ADTS.
fn aac(rate: u32, bitrate: u32) -> Encoded {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<(u32, u32), Encoded>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(e) = cache.lock().unwrap().get(&(rate, bitrate)) {
        return e.clone();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.aac");
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-f", "lavfi", "-i"])
        .arg(format!("sine=f=440:d={SECONDS}:sample_rate={rate}"))
        .args(["-ac", "2", "-c:a", "aac", "-b:a"])
        .arg(bitrate.to_string())
        .args(["-f", "adts"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success());
    let bytes = std::fs::read(&path).unwrap();
    let mut packets = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let (len, header) = adts_frame(&bytes[pos..]).expect("ADTS frame");
        packets.push(Packet {
            data: bytes[pos + header..pos + len].to_vec(),
            frames: 1024,
        });
        pos += len;
    }
    // ASC from the first header: object type, rate index, channel configuration.
    let h = &bytes[..7];
    let aot = (h[2] >> 6) + 1;
    let sf = (h[2] >> 2) & 0xF;
    let ch = ((h[2] & 1) << 2) | (h[3] >> 6);
    let asc = vec![(aot << 3) | (sf >> 1), ((sf & 1) << 7) | (ch << 3)];
    let e = Encoded {
        info: StreamInfo {
            codec: Codec::Aac {
                asc,
                object_type: aot,
            },
            sample_rate: rate,
            channels: 2,
            frame_len: 1024,
            priming: 1024, // FFmpeg's AAC encoder delay
            bit_rate: bitrate,
        },
        packets,
        input_frames: u64::from(rate * SECONDS),
    };
    cache.lock().unwrap().insert((rate, bitrate), e.clone());
    e
}

fn mp3(rate: u32, bitrate: u32) -> Encoded {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<(u32, u32), Encoded>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(e) = cache.lock().unwrap().get(&(rate, bitrate)) {
        return e.clone();
    }
    let (info, packets, input_frames) =
        encode_tone(rate, 2, bitrate / 1000, (rate * SECONDS) as usize);
    let e = Encoded {
        info,
        packets,
        input_frames,
    };
    cache.lock().unwrap().insert((rate, bitrate), e.clone());
    e
}

struct Ladder {
    dir: tempfile::TempDir,
    variants: Vec<VariantOut>,
    inputs: Vec<Encoded>,
}

impl Ladder {
    fn root(&self) -> PathBuf {
        self.dir.path().join("hls")
    }
}

/// Builds the default ladder, one thread per variant as the pipeline will, in a
/// [`TempLadder`] that is committed.
fn build(container: Container, layout: Layout, codec: HlsCodec) -> Ladder {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("hls");
    let variants = default_variants();
    let names = variant_names(&variants).unwrap();
    let inputs: Vec<Encoded> = variants
        .iter()
        .map(|v| match codec {
            HlsCodec::Aac => aac(v.sample_rate, v.bitrate),
            HlsCodec::Mp3 => mp3(v.sample_rate, v.bitrate),
        })
        .collect();
    let ladder = TempLadder::create(&dest).unwrap();
    let root = ladder.path().to_path_buf();
    let outs: Vec<VariantOut> = std::thread::scope(|s| {
        let handles: Vec<_> = names
            .iter()
            .zip(&inputs)
            .map(|(name, input)| {
                let root = &root;
                s.spawn(move || {
                    let mut w = VariantWriter::new(
                        root,
                        name,
                        layout,
                        container,
                        &input.info,
                        SEGMENT_SECONDS,
                    )
                    .unwrap();
                    for p in &input.packets {
                        w.push(p).unwrap();
                    }
                    w.finish(input.input_frames).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    write_playlists(&root, layout, &outs).unwrap();
    ladder.commit().unwrap();
    Ladder {
        dir,
        variants: outs,
        inputs,
    }
}

const ALL: [(Container, Layout, HlsCodec); 6] = [
    (Container::Ts, Layout::Nested, HlsCodec::Aac),
    (Container::Packed, Layout::Flat, HlsCodec::Aac),
    (Container::Fmp4, Layout::Nested, HlsCodec::Aac),
    (Container::Ts, Layout::Flat, HlsCodec::Mp3),
    (Container::Packed, Layout::Nested, HlsCodec::Mp3),
    (Container::Fmp4, Layout::Flat, HlsCodec::Mp3),
];

fn parse(path: &Path) -> Playlist {
    let bytes = std::fs::read(path).unwrap();
    m3u8_rs::parse_playlist_res(&bytes).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

/// The peak segment bit rate of RFC 8216 §4.1, from file sizes and parsed durations.
fn peak_rate(segs: &[(f64, u64)], target: u64) -> u64 {
    let mut best = 0;
    for i in 0..segs.len() {
        for j in i..segs.len() {
            let d: f64 = segs[i..=j].iter().map(|s| s.0).sum();
            let b: u64 = segs[i..=j].iter().map(|s| s.1).sum();
            if d >= 0.5 * target as f64 && d <= 1.5 * target as f64 {
                best = best.max((b as f64 * 8.0 / d).ceil() as u64);
            }
        }
    }
    best
}

#[test]
fn playlists_follow_rfc_8216() {
    for (container, layout, codec) in ALL {
        let l = build(container, layout, codec);
        let root = l.root();
        let what = format!("{container}/{layout}/{codec}");
        let master_text = std::fs::read_to_string(root.join("master.m3u8")).unwrap();
        let Playlist::MasterPlaylist(master) = parse(&root.join("master.m3u8")) else {
            panic!("{what}: master is not a master playlist");
        };
        let want_version = if container == Container::Fmp4 { 6 } else { 3 };
        assert_eq!(master.version, Some(want_version), "{what}");
        assert!(master.independent_segments, "{what}");
        assert_eq!(master.variants.len(), 3);
        let mut targets = Vec::new();
        for (i, vs) in master.variants.iter().enumerate() {
            let out = &l.variants[i];
            let input = &l.inputs[i];
            // Order as given: 48k, 64k, 128k; names by rank.
            let name = ["low", "med", "high"][i];
            let want_uri = match layout {
                Layout::Nested => format!("{name}/playlist.m3u8"),
                Layout::Flat => format!("{name}.m3u8"),
            };
            assert_eq!(vs.uri, want_uri, "{what}");
            let want_codecs = match codec {
                HlsCodec::Aac => "mp4a.40.2",
                HlsCodec::Mp3 => "mp4a.40.34",
            };
            assert_eq!(vs.codecs.as_deref(), Some(want_codecs), "{what}");

            let pl_path = root.join(&vs.uri);
            let Playlist::MediaPlaylist(media) = parse(&pl_path) else {
                panic!("{what}: not a media playlist");
            };
            assert_eq!(media.version, Some(want_version), "{what}");
            assert_eq!(media.media_sequence, 0);
            assert!(media.end_list, "{what}");
            assert_eq!(media.playlist_type, Some(m3u8_rs::MediaPlaylistType::Vod));
            targets.push(media.target_duration);
            let base = pl_path.parent().unwrap();
            let mut segs = Vec::new();
            for (k, seg) in media.segments.iter().enumerate() {
                assert!(
                    (seg.duration.round() as u64) <= media.target_duration,
                    "{what}: EXTINF {} over target {}",
                    seg.duration,
                    media.target_duration
                );
                assert!(!seg.uri.contains('/') || layout == Layout::Nested);
                let ext = match (container, codec) {
                    (Container::Ts, _) => "ts",
                    (Container::Packed, HlsCodec::Aac) => "aac",
                    (Container::Packed, HlsCodec::Mp3) => "mp3",
                    (Container::Fmp4, _) => "m4s",
                };
                let want = match layout {
                    Layout::Nested => format!("segment_{k:05}.{ext}"),
                    Layout::Flat => format!("{name}_{k:03}.{ext}"),
                };
                assert_eq!(seg.uri, want, "{what}");
                let bytes = std::fs::metadata(base.join(&seg.uri)).unwrap().len();
                segs.push((f64::from(seg.duration), bytes));
                if k == 0 && container == Container::Fmp4 {
                    let map = seg.map.as_ref().expect("EXT-X-MAP on the first segment");
                    let init = match layout {
                        Layout::Nested => "init.mp4".to_string(),
                        Layout::Flat => format!("{name}_init.mp4"),
                    };
                    assert_eq!(map.uri, init);
                    assert!(base.join(&map.uri).is_file());
                }
            }
            assert!(segs.len() >= 4, "{what}: {} segments", segs.len());
            // EXTINF values add up to the real duration: every decoded frame for TS and
            // packed audio; without the priming the edit list removes for fMP4.
            let mut decoded = 0u64;
            read_variant(&root, out, |_| {
                decoded += u64::from(input.info.frame_len);
                Ok(())
            })
            .unwrap();
            if container == Container::Fmp4 {
                decoded -= u64::from(input.info.priming);
            }
            let real = decoded as f64 / f64::from(input.info.sample_rate);
            let sum: f64 = segs.iter().map(|s| s.0).sum();
            assert!(
                (sum - real).abs() < 0.001,
                "{what}: EXTINF sum {sum}, real {real}"
            );

            // BANDWIDTH: our own computation from the files on disk.
            let total: u64 = segs.iter().map(|s| s.1).sum();
            let average = (total as f64 * 8.0 / sum).ceil() as u64;
            let avg_declared = vs.average_bandwidth.expect("AVERAGE-BANDWIDTH");
            assert!(
                avg_declared.abs_diff(average) <= 1,
                "{what}: {avg_declared} vs {average}"
            );
            let peak = peak_rate(&segs, media.target_duration).max(average);
            assert_eq!(vs.bandwidth, peak, "{what}");
            assert!(vs.bandwidth >= avg_declared);
            // Overhead counts: the declared figure exceeds the codec's nominal rate.
            assert!(
                vs.bandwidth > u64::from(input.info.bit_rate),
                "{what}: BANDWIDTH {} vs nominal {}",
                vs.bandwidth,
                input.info.bit_rate
            );
        }
        assert!(
            targets.iter().all(|&t| t == targets[0]),
            "{what}: {targets:?}"
        );
        assert!(master_text.contains("#EXT-X-INDEPENDENT-SEGMENTS"));
        eprintln!("{what}:\n{master_text}");
    }
}

/// One transport packet's header fields.
struct TsPacket<'a> {
    pid: u16,
    unit_start: bool,
    cc: u8,
    has_payload: bool,
    random_access: bool,
    pcr: Option<u64>,
    payload: &'a [u8],
}

fn ts_packets(b: &[u8]) -> Vec<TsPacket<'_>> {
    assert_eq!(b.len() % 188, 0);
    b.chunks_exact(188)
        .map(|p| {
            assert_eq!(p[0], 0x47, "sync byte");
            let afc = (p[3] >> 4) & 3;
            let mut at = 4;
            let (mut random_access, mut pcr) = (false, None);
            if afc & 2 != 0 {
                let len = usize::from(p[4]);
                if len > 0 {
                    random_access = p[5] & 0x40 != 0;
                    if p[5] & 0x10 != 0 {
                        let b = &p[6..12];
                        pcr = Some(
                            (u64::from(b[0]) << 25)
                                | (u64::from(b[1]) << 17)
                                | (u64::from(b[2]) << 9)
                                | (u64::from(b[3]) << 1)
                                | u64::from(b[4] >> 7),
                        );
                    }
                }
                at += 1 + len;
            }
            TsPacket {
                pid: (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]),
                unit_start: p[1] & 0x40 != 0,
                cc: p[3] & 0x0F,
                has_payload: afc & 1 != 0,
                random_access,
                pcr,
                payload: &p[at..],
            }
        })
        .collect()
}

#[test]
fn ts_segments_are_valid_and_continuous() {
    for codec in [HlsCodec::Aac, HlsCodec::Mp3] {
        let l = build(Container::Ts, Layout::Nested, codec);
        for (out, input) in l.variants.iter().zip(&l.inputs) {
            let info = &input.info;
            let clock = Clock::new(info.sample_rate, info.priming);
            let want_type = match (codec, info.sample_rate >= 32_000) {
                (HlsCodec::Aac, _) => 0x0F,
                (HlsCodec::Mp3, true) => 0x03,
                (HlsCodec::Mp3, false) => 0x04,
            };
            let mut cc: HashMap<u16, u8> = HashMap::new();
            // Decoded-frame position of the next PES, from the frames inside the PES.
            let mut pos = 0u64;
            let mut pes: Option<Vec<u8>> = None;
            let check_pes = |pes: &[u8], pos: &mut u64| {
                assert_eq!(&pes[..4], &[0, 0, 1, 0xC0]);
                let pts = super::ts::parse_pts(&pes[9..14]);
                assert_eq!(pts, clock.ticks(*pos), "PTS from cumulative samples");
                let mut es = &pes[9 + usize::from(pes[8])..];
                let mut frames = 0;
                while !es.is_empty() {
                    let (len, n) = match codec {
                        HlsCodec::Aac => (adts_frame(es).unwrap().0, 1024),
                        HlsCodec::Mp3 => {
                            let h = parse_mpeg(es).unwrap();
                            (h.len, h.samples)
                        }
                    };
                    es = &es[len..];
                    frames += n;
                }
                assert!(
                    f64::from(frames) / f64::from(info.sample_rate) <= 0.1 + 1e-9,
                    "PES of {frames} frames"
                );
                *pos += u64::from(frames);
            };
            for seg in &out.segments {
                let bytes = std::fs::read(l.root().join(&seg.file)).unwrap();
                let packets = ts_packets(&bytes);
                assert_eq!(packets[0].pid, 0, "PAT first");
                assert_eq!(packets[1].pid, 0x1000, "PMT second");
                // PMT: stream type of the first elementary stream, on the audio PID.
                let pmt = &packets[1].payload[1..];
                assert_eq!(pmt[0], 0x02);
                assert_eq!(pmt[12], want_type, "stream type");
                assert_eq!((u16::from(pmt[13] & 0x1F) << 8) | u16::from(pmt[14]), 0x100);
                let first_audio = &packets[2];
                assert!(first_audio.unit_start && first_audio.random_access);
                assert!(first_audio.pcr.is_some(), "PCR at the segment's first PES");
                for p in &packets {
                    if p.has_payload {
                        if let Some(prev) = cc.get(&p.pid) {
                            assert_eq!(p.cc, (prev + 1) & 0x0F, "continuity on PID {}", p.pid);
                        }
                        cc.insert(p.pid, p.cc);
                    }
                    if p.pid != 0x100 {
                        continue;
                    }
                    if p.unit_start {
                        if let Some(done) = pes.take() {
                            check_pes(&done, &mut pos);
                        }
                        let pcr = p.pcr.expect("PCR on every PES start");
                        assert!(p.random_access);
                        let pts = super::ts::parse_pts(&p.payload[9..14]);
                        assert!(pcr <= pts);
                        pes = Some(Vec::new());
                    }
                    pes.as_mut()
                        .expect("PES started")
                        .extend_from_slice(p.payload);
                }
            }
            if let Some(done) = pes.take() {
                check_pes(&done, &mut pos);
            }
            let total: u64 = input.packets.iter().map(|p| u64::from(p.frames)).sum();
            assert_eq!(pos, total);
            // PTS are monotonic and continuous across segments.
            let mut all = Vec::new();
            for seg in &out.segments {
                let pts = super::read::ts_pts(&std::fs::read(l.root().join(&seg.file)).unwrap());
                all.extend(pts);
            }
            assert!(all.windows(2).all(|w| w[0] < w[1]));
        }
    }
}

#[test]
fn read_variant_gives_back_the_packets() {
    for (container, layout, codec) in ALL {
        let l = build(container, layout, codec);
        for (out, input) in l.variants.iter().zip(&l.inputs) {
            let mut got = Vec::new();
            read_variant(&l.root(), out, |f| {
                got.push(f.to_vec());
                Ok(())
            })
            .unwrap();
            assert_eq!(got.len(), input.packets.len(), "{container}/{codec}");
            assert!(
                got.iter().zip(&input.packets).all(|(a, b)| *a == b.data),
                "{container}/{codec}"
            );
        }
    }
}

#[test]
fn ffmpeg_decodes_every_variant() {
    let mut report = String::new();
    for (container, layout, codec) in ALL {
        let l = build(container, layout, codec);
        let master = l.root().join("master.m3u8");
        for (i, (out, input)) in l.variants.iter().zip(&l.inputs).enumerate() {
            let map = format!("0:a:{i}");
            let decoded =
                ffmpeg_frames_mapped(&master, 2, &["-allowed_extensions", "ALL"], &["-map", &map]);
            let info = &input.info;
            let packets = input.packets.len() as u64 * u64::from(info.frame_len);
            let n = input.input_frames;
            report += &format!(
                "{container}/{codec} {}@{}: input {n}, packets {packets} (priming {}, padding \
                 {}), ffmpeg {decoded} ({:+} vs input)\n",
                info.bit_rate,
                info.sample_rate,
                info.priming,
                out.padding,
                decoded as i64 - n as i64
            );
            if container == Container::Fmp4 {
                // FFmpeg 5.1 ignores edit lists in fragmented MP4 (through HLS and as one
                // file alike; its own fragmented output does not even write the priming),
                // so it cannot check the elst: the decoded length is reported, and the
                // box is checked directly.
                let init = std::fs::read(l.root().join(&out.init.as_ref().unwrap().file)).unwrap();
                let elst = ["moov", "trak", "edts", "elst"]
                    .iter()
                    .try_fold(&init[..], |b, k| {
                        crate::mp4box::child(b, k.as_bytes().try_into().unwrap())
                    });
                let elst = elst.expect("moov/trak/edts/elst");
                assert_eq!(crate::mp4box::be_u32(elst, 4), Some(1), "one edit");
                assert_eq!(
                    crate::mp4box::be_u32(elst, 12),
                    Some(info.priming),
                    "media_time = priming"
                );
                let mdhd = ["moov", "trak", "mdia", "mdhd"]
                    .iter()
                    .try_fold(&init[..], |b, k| {
                        crate::mp4box::child(b, k.as_bytes().try_into().unwrap())
                    });
                assert_eq!(
                    crate::mp4box::be_u32(mdhd.unwrap(), 12),
                    Some(info.sample_rate),
                    "timescale"
                );
                let whole = l.dir.path().join(format!("{i}.mp4"));
                let mut bytes =
                    std::fs::read(l.root().join(&out.init.as_ref().unwrap().file)).unwrap();
                for seg in &out.segments {
                    bytes.extend(std::fs::read(l.root().join(&seg.file)).unwrap());
                }
                std::fs::write(&whole, bytes).unwrap();
                let trimmed = ffmpeg_frames(&whole, 2, &[]);
                report += &format!(
                    "    init+segments as one .mp4: ffmpeg {trimmed} ({:+} vs input)\n",
                    trimmed as i64 - n as i64
                );
                assert_eq!(trimmed, packets, "{report}");
            }
            // Never short of the input, never more than priming + one frame over it.
            assert!(decoded >= n, "{report}");
            assert!(
                decoded <= n + u64::from(info.priming) + u64::from(info.frame_len),
                "{report}"
            );
        }
    }
    eprintln!("{report}");
}

#[test]
fn writer_rejects_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let info = aac(32_000, 64_000).info;
    for s in [0.0, f64::NAN, 1e9] {
        assert!(
            VariantWriter::new(dir.path(), "a", Layout::Nested, Container::Ts, &info, s).is_err()
        );
    }
    assert!(
        VariantWriter::new(dir.path(), "../x", Layout::Flat, Container::Ts, &info, 6.0).is_err()
    );
    let w = VariantWriter::new(dir.path(), "a", Layout::Flat, Container::Ts, &info, 6.0).unwrap();
    assert!(w.finish(0).is_err(), "no packets");
}

#[test]
fn a_short_tail_joins_the_last_segment() {
    // 1024-frame packets at 32 kHz with 1024 frames of priming: packet i starts at
    // presentation frame (i - 1) * 1024, so packet 126 is the first at or past 4 s.
    let info = aac(32_000, 64_000).info;
    let packet = aac(32_000, 64_000).packets[10].clone();
    let cases: [(f64, usize, usize); 5] = [
        // (segment seconds, packets, segments expected)
        (2.0, 127, 2),      // one packet past 4 s: joins the segment before
        (2.0, 126 + 31, 2), // 0.99 s past: still joins
        (2.0, 126 + 32, 3), // 1.02 s past: a segment of its own
        (1.0, 126 + 1, 4),  // 1 s segments: every segment is as long as the tail minimum
        (1.0, 126 + 40, 5),
    ];
    for container in [Container::Ts, Container::Packed, Container::Fmp4] {
        for (seconds, n, want) in cases {
            let dir = tempfile::tempdir().unwrap();
            let mut w =
                VariantWriter::new(dir.path(), "v", Layout::Flat, container, &info, seconds)
                    .unwrap();
            for _ in 0..n {
                w.push(&packet).unwrap();
            }
            let out = w.finish(n as u64 * 1024 - 1024 - 100).unwrap();
            let what = format!("{container:?}, {seconds} s segments, {n} packets");
            assert_eq!(out.segments.len(), want, "{what}: {:?}", out.segments);
            assert_eq!(
                out.segments.iter().map(|s| s.frames).sum::<u64>(),
                n as u64 * 1024
            );
            for (k, seg) in out.segments.iter().enumerate() {
                let path = dir.path().join(&seg.file);
                assert_eq!(std::fs::metadata(&path).unwrap().len(), seg.bytes, "{what}");
                let d = seg.frames as f64 / 32_000.0;
                if k + 1 < out.segments.len() {
                    assert!(d < seconds + 0.2, "{what}: segment {k} lasts {d} s");
                } else {
                    assert!(d >= 1.0 && d < seconds + 1.1, "{what}: last lasts {d} s");
                }
            }
        }
    }
}
