use super::*;
use std::io::Cursor;

const RATES: [u32; 2] = [44_100, 48_000];

const REQUIRED_IDS: [&str; 21] = [
    "3341-1", "3341-2", "3341-3", "3341-4", "3341-5", "3341-6", "3341-9", "3341-12", "3341-15",
    "3341-16", "3341-17", "3341-18", "3341-19", "3341-20", "3341-21", "3341-22", "3341-23",
    "3342-1", "3342-2", "3342-3", "3342-4",
];

fn case(id: &str, sr: u32) -> Case {
    case_by_id(id, sr).unwrap_or_else(|| panic!("no case {id}"))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// 10·log10 of the (channel-weighted) sum of mean squares: for 1 kHz tones this equals the
/// BS.1770 loudness in LUFS to within a few hundredths (the K-filter gain at 1 kHz and the
/// −0.691 dB constant cancel).
fn tone_energy_db(s: &Signal, start: usize, end: usize, weights: &[f64]) -> f64 {
    let ms = s.slice_frames(start, end).channel_mean_squares();
    10.0 * ms
        .iter()
        .zip(weights)
        .map(|(m, w)| m * w)
        .sum::<f64>()
        .log10()
}

#[test]
fn every_required_case_is_present_once_and_in_order() {
    assert_eq!(case_ids(), REQUIRED_IDS.to_vec());
    let ids: Vec<_> = all_cases(8_000).iter().map(|c| c.id).collect();
    assert_eq!(ids, REQUIRED_IDS.to_vec());
    assert_eq!(ebu_3341_cases(8_000).len(), 17);
    assert_eq!(ebu_3342_cases(8_000).len(), 4);
    assert!(case_by_id("3341-7", 48_000).is_none());
    assert!(case_by_id("3341-11", 48_000).is_none());
    assert_eq!(case(" 3341-1".trim(), 48_000).id, "3341-1");
}

#[test]
fn every_case_specifies_something_and_ids_match() {
    for sr in RATES {
        for id in REQUIRED_IDS {
            let c = case(id, sr);
            assert_eq!(c.id, id);
            assert!(!c.description.is_empty());
            let e = c.expected;
            let any = [
                e.integrated_lufs,
                e.max_momentary_lufs,
                e.max_short_term_lufs,
                e.lra_lu,
                e.true_peak_dbtp,
            ]
            .iter()
            .any(Option::is_some);
            assert!(any, "{id} has no expectation");
            assert_eq!(c.signal.sample_rate, sr);
            assert_eq!(c.signal.samples.len() % usize::from(c.signal.channels), 0);
            assert!(c.signal.samples.iter().all(|s| s.is_finite()));
        }
    }
}

#[test]
fn durations_and_channel_counts() {
    let expected: [(&str, f64, u16, u32); 21] = [
        ("3341-1", 20.0, 2, 0x3),
        ("3341-2", 20.0, 2, 0x3),
        ("3341-3", 80.0, 2, 0x3),
        ("3341-4", 100.0, 2, 0x3),
        ("3341-5", 60.1, 2, 0x3),
        ("3341-6", 20.0, 5, 0x37),
        ("3341-9", 15.0, 2, 0x3),
        ("3341-12", 10.0, 2, 0x3),
        ("3341-15", 3.2, 2, 0x3),
        ("3341-16", 3.2, 2, 0x3),
        ("3341-17", 3.2, 2, 0x3),
        ("3341-18", 3.2, 2, 0x3),
        ("3341-19", 3.2, 2, 0x3),
        ("3341-20", 3.2, 2, 0x3),
        ("3341-21", 3.2, 2, 0x3),
        ("3341-22", 3.2, 2, 0x3),
        ("3341-23", 3.2, 2, 0x3),
        ("3342-1", 40.0, 2, 0x3),
        ("3342-2", 40.0, 2, 0x3),
        ("3342-3", 40.0, 2, 0x3),
        ("3342-4", 100.0, 2, 0x3),
    ];
    for sr in RATES {
        for (id, secs, ch, mask) in expected {
            let c = case(id, sr);
            let mut frames = frames_for(sr, secs);
            if ["3341-20", "3341-21", "3341-22", "3341-23"].contains(&id) {
                frames += 4; // the inserted single period of fs/4
            }
            assert_eq!(c.signal.frames(), frames, "{id} @ {sr}");
            // All durations are whole numbers of samples at both rates.
            assert!(close(
                secs * f64::from(sr),
                frames_for(sr, secs) as f64,
                1e-6
            ));
            assert_eq!(c.signal.channels, ch, "{id}");
            assert_eq!(c.signal.channel_mask, mask, "{id}");
        }
    }
}

/// Checks the sample peak of each `(level, seconds)` segment of a 1 kHz tone sequence.
fn check_segments(id: &str, sr: u32, segments: &[(f64, f64)]) {
    let s = case(id, sr).signal;
    let mut t = 0.0;
    for &(db, secs) in segments {
        let (a, b) = (frames_for(sr, t), frames_for(sr, t + secs));
        t += secs;
        let peaks = s.slice_frames(a, b).channel_sample_peaks();
        let want = db_to_amplitude(db);
        for p in peaks {
            assert!(
                close(f64::from(p), want, want * 1e-4),
                "{id} @ {sr}: segment at {db} dBFS has peak {p}, want {want}"
            );
        }
    }
    assert_eq!(s.frames(), frames_for(sr, t));
}

#[test]
fn loudness_case_levels() {
    for sr in RATES {
        check_segments("3341-1", sr, &[(-23.0, 20.0)]);
        check_segments("3341-2", sr, &[(-33.0, 20.0)]);
        check_segments("3341-3", sr, &[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]);
        check_segments(
            "3341-4",
            sr,
            &[
                (-72.0, 10.0),
                (-36.0, 10.0),
                (-23.0, 60.0),
                (-36.0, 10.0),
                (-72.0, 10.0),
            ],
        );
        check_segments("3341-5", sr, &[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]);
        let p9: Vec<_> = [(-20.0, 1.34), (-30.0, 1.66)].repeat(5);
        check_segments("3341-9", sr, &p9);
        let p12: Vec<_> = [(-20.0, 0.18), (-30.0, 0.22)].repeat(25);
        check_segments("3341-12", sr, &p12);
        check_segments("3342-1", sr, &[(-20.0, 20.0), (-30.0, 20.0)]);
        check_segments("3342-2", sr, &[(-20.0, 20.0), (-15.0, 20.0)]);
        check_segments("3342-3", sr, &[(-40.0, 20.0), (-20.0, 20.0)]);
        check_segments(
            "3342-4",
            sr,
            &[
                (-50.0, 20.0),
                (-35.0, 20.0),
                (-20.0, 20.0),
                (-35.0, 20.0),
                (-50.0, 20.0),
            ],
        );

        let c6 = case("3341-6", sr).signal;
        let peaks = c6.channel_sample_peaks();
        for (p, db) in peaks.iter().zip(ebu3341::CASE_6_LEVELS_DBFS) {
            let want = db_to_amplitude(db);
            assert!(
                close(f64::from(*p), want, want * 1e-4),
                "3341-6 {p} vs {want}"
            );
        }
        // All five channels in phase.
        for frame in c6.samples.chunks_exact(5).take(1000) {
            let s0 = f64::from(frame[0]).signum();
            assert!(
                frame
                    .iter()
                    .all(|v| *v == 0.0 || f64::from(*v).signum() == s0)
            );
        }
    }
}

#[test]
fn tone_sequence_is_phase_continuous() {
    // The 1 kHz tone never restarts: sample n is A(n)·sin(2π·1000·n/fs).
    for sr in RATES {
        let s = case("3341-12", sr).signal;
        let n = frames_for(sr, 0.18) + 3;
        let want = db_to_amplitude(-30.0)
            * (std::f64::consts::TAU * 1000.0 * n as f64 / f64::from(sr)).sin();
        assert!(close(f64::from(s.samples[2 * n]), want, 1e-6));
        // Left and right are identical.
        assert!(s.samples.chunks_exact(2).all(|f| f[0] == f[1]));
    }
}

#[test]
fn expected_loudness_values_follow_from_the_energy() {
    for sr in RATES {
        let st = [1.0, 1.0];
        let c1 = case("3341-1", sr).signal;
        assert!(close(
            tone_energy_db(&c1, 0, c1.frames(), &st),
            -23.0,
            0.005
        ));
        let c2 = case("3341-2", sr).signal;
        assert!(close(
            tone_energy_db(&c2, 0, c2.frames(), &st),
            -33.0,
            0.005
        ));

        // 5.0 with the BS.1770 weights (1, 1, 1, 1.41, 1.41): -23.02.
        let c6 = case("3341-6", sr).signal;
        let e6 = tone_energy_db(&c6, 0, c6.frames(), &[1.0, 1.0, 1.0, 1.41, 1.41]);
        assert!(close(e6, -23.02, 0.01), "3341-6 energy {e6}");
        assert!(Expect::loudness(-23.0).check(e6));

        // Case 5 (nothing gated): the energy mean over the whole signal is -23.0.
        let c5 = case("3341-5", sr).signal;
        let e5 = tone_energy_db(&c5, 0, c5.frames(), &st);
        assert!(close(e5, -23.0, 0.01), "3341-5 energy {e5}");

        // Case 9: every full 3 s window (any position) -> -22.99; case 12: every full
        // 400 ms window -> -22.97. Both within the ±0.1 of -23.0.
        for (id, win, want) in [("3341-9", 3.0, -22.993), ("3341-12", 0.4, -22.967)] {
            let s = case(id, sr).signal;
            let w = frames_for(sr, win);
            let hop = frames_for(sr, 0.01);
            let mut start = 0;
            let mut count = 0;
            while start + w <= s.frames() {
                let e = tone_energy_db(&s, start, start + w, &st);
                assert!(close(e, want, 0.005), "{id} @ {sr}: window at {start}: {e}");
                assert!(Expect::loudness(-23.0).check(e));
                start += hop;
                count += 1;
            }
            assert!(count > 10);
        }
    }
}

#[test]
fn true_peak_case_samples() {
    let a = ebu3341::AMPLITUDE_0_50;
    let deg = |d: f64| d.to_radians().sin();
    let cases = [
        ("3341-15", a),
        ("3341-16", a * deg(45.0)),
        ("3341-17", a * deg(60.0)),
        ("3341-18", a * deg(67.5)),
        ("3341-19", ebu3341::AMPLITUDE_1_41 * deg(45.0)),
    ];
    for sr in RATES {
        for (id, peak) in cases {
            let s = case(id, sr).signal;
            assert!(
                close(f64::from(s.sample_peak()), peak, 1e-6),
                "{id}: sample peak {} want {peak}",
                s.sample_peak()
            );
            assert!(s.samples.chunks_exact(2).all(|f| f[0] == f[1]));
            // Faded in and out.
            assert_eq!(s.samples[0], 0.0);
            assert_eq!(*s.samples.last().expect("samples"), 0.0);
        }
        // 19 does not clip: all samples below full scale.
        assert!(case("3341-19", sr).signal.sample_peak() < 0.999);
    }
    assert!(close(amplitude_to_db(ebu3341::AMPLITUDE_0_50), -6.0, 1e-12));
    assert!(close(amplitude_to_db(ebu3341::AMPLITUDE_1_41), 3.0, 1e-12));

    // Bursts: sample peaks depend on the offset (values of the EBU 48 kHz files:
    // 0.9851, 0.9480, 0.7493, 0.9480).
    for sr in RATES {
        for (id, peak) in [
            ("3341-20", 0.9851),
            ("3341-21", 0.9480),
            ("3341-22", 0.7493),
            ("3341-23", 0.9480),
        ] {
            let p = f64::from(case(id, sr).signal.sample_peak());
            assert!(close(p, peak, 1.5e-3), "{id} @ {sr}: sample peak {p}");
        }
    }
}

/// The true-peak signals are the same sample sequence at every rate (frequencies are
/// fractions of fs), so the inter-sample peak is too.
#[test]
fn true_peak_cases_are_rate_independent_in_samples() {
    for id in ["3341-15", "3341-16", "3341-17", "3341-18", "3341-19"] {
        let a = case(id, 44_100).signal;
        let b = case(id, 48_000).signal;
        // Away from the fades, frame n is the same at both rates.
        let range = 1_000..100_000;
        assert_eq!(
            a.samples[2 * range.start..2 * range.end],
            b.samples[2 * range.start..2 * range.end],
            "{id}"
        );
    }
    for id in ["3341-20", "3341-21", "3341-22", "3341-23"] {
        let a = case(id, 44_100).signal;
        let b = case(id, 48_000).signal;
        let burst = |s: &Signal| {
            let f = frames_for(s.sample_rate, ebu3341::TRUE_PEAK_SIGNAL_S);
            (f / 2) / 6 * 6
        };
        let (ba, bb) = (burst(&a), burst(&b));
        for k in 0..400 {
            let (ia, ib) = (ba - 200 + k, bb - 200 + k);
            let (x, y) = (a.samples[2 * ia], b.samples[2 * ib]);
            assert!(
                close(f64::from(x), f64::from(y), 1e-6),
                "{id} frame {k}: {x} vs {y}"
            );
        }
    }
}

/// A band-limited (windowed-sinc, 16× oversampled) estimate of the waveform peak around
/// the burst: it must match the expected 0 dBTP of cases 20–23 within tolerance, and be
/// the same for the four offsets.
#[test]
fn burst_band_limited_peak_is_about_zero_dbtp() {
    for sr in RATES {
        let mut peaks = Vec::new();
        for id in ["3341-20", "3341-21", "3341-22", "3341-23"] {
            let s = case(id, sr).signal;
            let x: Vec<f64> = s.channel(0).map(f64::from).collect();
            let centre = (frames_for(sr, ebu3341::TRUE_PEAK_SIGNAL_S) / 2) / 6 * 6;
            let half = 100usize;
            let mut best = 0f64;
            for n in centre - 8..centre + 12 {
                for sub in 0..16 {
                    let t = n as f64 + f64::from(sub) / 16.0;
                    let mut acc = 0.0;
                    for (j, xj) in x.iter().enumerate().take(n + half + 1).skip(n - half) {
                        let m = t - j as f64;
                        let sinc = if m == 0.0 {
                            1.0
                        } else {
                            (std::f64::consts::PI * m).sin() / (std::f64::consts::PI * m)
                        };
                        let w = 0.5 + 0.5 * (std::f64::consts::PI * m / (half as f64 + 1.0)).cos();
                        acc += xj * sinc * w;
                    }
                    best = best.max(acc.abs());
                }
            }
            let dbtp = amplitude_to_db(best);
            assert!(
                Expect::true_peak(0.0).check(dbtp),
                "{id} @ {sr}: {dbtp} dBTP"
            );
            peaks.push(dbtp);
        }
        let (lo, hi) = peaks
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), p| (l.min(*p), h.max(*p)));
        assert!(hi - lo < 0.02, "burst peaks differ by offset: {peaks:?}");
    }
}

#[test]
fn expect_check_is_inclusive_and_asymmetric() {
    let e = Expect::true_peak(-6.0);
    assert!(e.check(-6.0));
    assert!(e.check(-5.8));
    assert!(e.check(-6.4));
    assert!(!e.check(-5.79));
    assert!(!e.check(-6.41));
    assert!(!e.check(f64::NAN));
    let l = Expect::loudness(-23.0);
    assert!(l.check(-23.1) && l.check(-22.9) && !l.check(-22.89) && !l.check(-23.11));
    let r = Expect::lra(10.0);
    assert!(r.check(9.0) && r.check(11.0) && !r.check(11.01));
    assert_eq!(format!("{e}"), "-6.0 +0.2/-0.4");
    assert_eq!(format!("{l}"), "-23.0 ±0.1");
}

#[test]
fn building_blocks() {
    for sr in RATES {
        let s = sine(sr, 1, 997.0, -3.0, 1.5);
        assert_eq!(s.channels, 1);
        assert_eq!(s.channel_mask, 0x4);
        assert_eq!(s.frames(), frames_for(sr, 1.5));
        assert!(close(s.duration_s(), 1.5, 1e-9));
        assert!(close(
            f64::from(s.sample_peak()),
            db_to_amplitude(-3.0),
            1e-4
        ));
        assert_eq!(s.samples[0], 0.0);

        let z = silence(sr, 2, 0.5);
        assert_eq!(z.frames(), frames_for(sr, 0.5));
        assert!(z.samples.iter().all(|v| *v == 0.0));

        let c = concat(&[sine(sr, 2, 1000.0, -20.0, 1.0), silence(sr, 2, 0.5)]);
        assert_eq!(c.frames(), frames_for(sr, 1.0) + frames_for(sr, 0.5));
        assert!(close(c.duration_s(), 1.5, 1e-9));

        let p = sine_with_phase(sr, 2, f64::from(sr) / 4.0, 0.0, 90.0, 0.01);
        assert!(close(f64::from(p.samples[0]), 1.0, 1e-7));
    }
    let mut f = sine(48_000, 2, 1000.0, 0.0, 1.0);
    f.apply_linear_fades(0.1, 0.1);
    assert_eq!(f.samples[0], 0.0);
    assert_eq!(f.samples[f.samples.len() - 1], 0.0);
    let mut g = sine(48_000, 2, 1000.0, -10.0, 1.0);
    g.apply_gain_db(-10.0);
    assert!(close(g.sample_peak_dbfs(), -20.0, 1e-3));
    assert_eq!(default_channel_mask(5), 0x37);
    assert_eq!(default_channel_mask(6), 0x3F);
}

#[test]
#[should_panic(expected = "sample rates differ")]
fn concat_panics_on_different_rates() {
    concat(&[silence(44_100, 2, 0.1), silence(48_000, 2, 0.1)]);
}

#[test]
#[should_panic(expected = "channel counts differ")]
fn concat_panics_on_different_channels() {
    concat(&[silence(48_000, 1, 0.1), silence(48_000, 2, 0.1)]);
}

fn hound_read(bytes: &[u8]) -> (hound::WavSpec, Vec<i32>, Vec<f32>) {
    let r = hound::WavReader::new(Cursor::new(bytes)).expect("hound reads it");
    let spec = r.spec();
    match spec.sample_format {
        hound::SampleFormat::Int => {
            let v = r
                .into_samples::<i32>()
                .collect::<Result<Vec<_>, _>>()
                .expect("samples");
            (spec, v, Vec::new())
        }
        hound::SampleFormat::Float => {
            let v = r
                .into_samples::<f32>()
                .collect::<Result<Vec<_>, _>>()
                .expect("samples");
            (spec, Vec::new(), v)
        }
    }
}

#[test]
fn wav_bytes_round_trips_through_hound() {
    let mut s = music_like(44_100, 0.5, 3);
    // Include the extremes and out-of-range values to check rounding and clamping.
    s.samples[0] = 1.0;
    s.samples[1] = -1.0;
    s.samples[2] = 1.5;
    s.samples[3] = -1.5;
    for format in WavFormat::ALL {
        let bytes = wav_bytes(&s, format);
        let (spec, ints, floats) = hound_read(&bytes);
        assert_eq!(spec.channels, 2);
        assert_eq!(spec.sample_rate, 44_100);
        assert_eq!(spec.bits_per_sample, format.bits());
        match format {
            WavFormat::Float32 => {
                assert_eq!(spec.sample_format, hound::SampleFormat::Float);
                assert_eq!(floats, s.samples);
            }
            _ => {
                let bits = u32::from(format.bits());
                let scale = f64::from(1u32 << (bits - 1));
                let max = (scale - 1.0) as i32;
                let min = -(scale as i64) as i32;
                assert_eq!(ints.len(), s.samples.len());
                assert_eq!(&ints[..4], &[max, min, max, min]);
                for (q, x) in ints.iter().zip(&s.samples).skip(4) {
                    let want = (f64::from(*x) * scale).round() as i32;
                    assert_eq!(*q, want);
                }
            }
        }
        // And through our own reader.
        let back = signal_from_wav_bytes(&bytes).expect("decodes");
        assert_eq!(back.frames(), s.frames());
        assert_eq!(back.channel_mask, 0x3);
        let lsb = 1.0 / f64::from(1u32 << (format.bits() - 1));
        for (a, b) in back.samples.iter().zip(&s.samples).skip(4) {
            assert!(close(f64::from(*a), f64::from(*b), lsb * 0.5 + 1e-7));
        }
    }
    // Stereo 16-bit: plain PCM header; 24-bit: WAVE_FORMAT_EXTENSIBLE with mask 0x3.
    let b16 = wav_bytes(&s, WavFormat::Int16);
    assert_eq!(&b16[20..22], &1u16.to_le_bytes());
    assert_eq!(wav::channel_mask_of(&b16), None);
    let b24 = wav_bytes(&s, WavFormat::Int24);
    assert_eq!(&b24[20..22], &0xFFFEu16.to_le_bytes());
    assert_eq!(wav::channel_mask_of(&b24), Some(0x3));
}

#[test]
fn five_channel_wav_has_the_5_0_mask() {
    let c = case("3341-6", 8_000);
    for format in WavFormat::ALL {
        let bytes = wav_bytes(&c.signal, format);
        assert_eq!(wav::channel_mask_of(&bytes), Some(0x37), "{format:?}");
        let (spec, ..) = hound_read(&bytes);
        assert_eq!(spec.channels, 5);
        let back = signal_from_wav_bytes(&bytes).expect("decodes");
        assert_eq!(back.channel_mask, 0x37);
        assert_eq!(back.channels, 5);
    }
    let mono = wav_bytes(&sine(8_000, 1, 100.0, -6.0, 0.1), WavFormat::Float32);
    assert_eq!(wav::channel_mask_of(&mono), Some(0x4));
}

#[test]
fn write_wav_writes_a_file() {
    let dir = std::env::temp_dir().join(format!("loudcore-testsignals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("case-3341-16.wav");
    let c = case("3341-16", 48_000);
    write_wav(&path, &c.signal, WavFormat::Int24).expect("written");
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(bytes, wav_bytes(&c.signal, WavFormat::Int24));
    let back = read_wav(&path).expect("decodes");
    assert_eq!(back.frames(), c.signal.frames());
    assert!(close(
        f64::from(back.sample_peak()),
        f64::from(c.signal.sample_peak()),
        1e-6
    ));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn wav_format_parses() {
    for f in WavFormat::ALL {
        assert_eq!(f.name().parse::<WavFormat>(), Ok(f));
    }
    assert_eq!("F32".parse::<WavFormat>(), Ok(WavFormat::Float32));
    assert!("int8".parse::<WavFormat>().is_err());
}

#[test]
fn music_like_is_deterministic_stereo_and_limited() {
    let a = music_like(44_100, 6.0, 7);
    let b = music_like(44_100, 6.0, 7);
    let c = music_like(44_100, 6.0, 8);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.channels, 2);
    assert_eq!(a.channel_mask, 0x3);
    assert_eq!(a.frames(), frames_for(44_100, 6.0));
    assert!(a.sample_peak() <= 0.8911);
    // Not mono: the channels differ.
    assert!(
        a.samples
            .chunks_exact(2)
            .any(|f| (f[0] - f[1]).abs() > 1e-3)
    );
    // A longer piece starts like the shorter one would, away from the noise (the score is
    // the same; only the normalisation gain differs), so check correlation.
    let long = music_like(44_100, 12.0, 7);
    let n = frames_for(44_100, 6.0) * 2;
    let dot: f64 = a.samples[..n]
        .iter()
        .zip(&long.samples[..n])
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.samples[..n].iter().map(|x| f64::from(*x).powi(2)).sum();
    let nb: f64 = long.samples[..n]
        .iter()
        .map(|x| f64::from(*x).powi(2))
        .sum();
    assert!(dot / (na * nb).sqrt() > 0.95);
    assert!(music_like(48_000, 0.0, 1).samples.is_empty());
}
