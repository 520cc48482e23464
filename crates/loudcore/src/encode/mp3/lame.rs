//! LAME's configuration: which rates and modes an MP3 output may use, and a LAME builder
//! set up for them. The file encoder, the chunked encoder's workers and the packet encoder
//! all start LAME from here, so it sits below them.

use std::num::NonZeroU32;

use mp3lame_encoder::{Builder, Quality, VbrMode};

use crate::encode::{EncoderSettings, StreamSpec, invalid};
use crate::error::{Error, Result};

/// Sample rates LAME encodes without resampling (MPEG-1, MPEG-2 and MPEG-2.5).
const SAMPLE_RATES: [u32; 9] = [
    8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000,
];
/// MPEG-1 layer III bit rates (32 to 48 kHz), kbit/s.
const MPEG1_KBPS: [u32; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
/// MPEG-2 and 2.5 layer III bit rates (8 to 24 kHz), kbit/s.
const MPEG2_KBPS: [u32; 14] = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mp3Mode {
    /// Variable bit rate, LAME's `-V` quality 0..=9 (new VBR, `vbr_mtrh`).
    Vbr { quality: u8 },
    /// Constant bit rate in kbit/s.
    Cbr { kbps: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mp3Config {
    pub channels: u8,
    pub sample_rate: u32,
    pub mode: Mp3Mode,
}

impl Mp3Config {
    pub(crate) fn resolve(spec: &StreamSpec, settings: &EncoderSettings) -> Result<Mp3Config> {
        let channels = match spec.channels {
            1 => 1u8,
            2 => 2u8,
            n => {
                return Err(invalid(format!(
                    "MP3 holds mono or stereo, and this stream has {n} channels; write .flac or \
                     .wav to keep every channel"
                )));
            }
        };
        let rate = spec.sample_rate;
        if !SAMPLE_RATES.contains(&rate) {
            let list: Vec<String> = SAMPLE_RATES.iter().map(|r| r.to_string()).collect();
            return Err(invalid(format!(
                "MP3 supports sample rates of {} Hz, not {rate} Hz; set the output sample_rate \
                 (e.g. 44100 or 48000) to resample",
                list.join(", ")
            )));
        }
        if let Some(q) = settings.quality.filter(|&q| q > 9) {
            return Err(invalid(format!("MP3 quality is 0 (best) to 9, not {q}")));
        }
        let mode = match settings.bitrate {
            None => Mp3Mode::Vbr {
                quality: settings.quality.unwrap_or(0),
            },
            Some(bps) => {
                let table = if rate >= 32_000 {
                    &MPEG1_KBPS
                } else {
                    &MPEG2_KBPS
                };
                let kbps = bps / 1000;
                if bps % 1000 != 0 || !table.contains(&kbps) {
                    let list: Vec<String> = table.iter().map(|k| format!("{}", k * 1000)).collect();
                    return Err(invalid(format!(
                        "MP3 at {rate} Hz takes a constant bit rate of {} bits/s, not {bps}",
                        list.join(", ")
                    )));
                }
                Mp3Mode::Cbr { kbps }
            }
        };
        Ok(Mp3Config {
            channels,
            sample_rate: rate,
            mode,
        })
    }
}

pub(crate) fn lame_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal {
        file: String::new(),
        detail: format!("LAME {what}: {e}"),
    }
}

fn vbr_quality(q: u8) -> Quality {
    match q {
        0 => Quality::Best,
        1 => Quality::SecondBest,
        2 => Quality::NearBest,
        3 => Quality::VeryNice,
        4 => Quality::Nice,
        5 => Quality::Good,
        6 => Quality::Decent,
        7 => Quality::Ok,
        8 => Quality::SecondWorst,
        _ => Quality::Worst,
    }
}

/// A LAME builder set up for `config`; `info_tag`: reserve the first frame for the
/// Xing/LAME tag (files), or not (packet streams, where it would be a silent extra frame).
pub(crate) fn configure_lame(config: &Mp3Config, info_tag: bool) -> Result<Builder> {
    let mut b = Builder::new().ok_or_else(|| lame_error("init", "out of memory"))?;
    b.set_num_channels(config.channels)
        .map_err(|e| lame_error("channels", e))?;
    b.set_sample_rate(config.sample_rate)
        .map_err(|e| lame_error("sample rate", e))?;
    // Without this LAME picks its own output rate and resamples, e.g. to 32 kHz for low
    // VBR qualities; the pipeline owns resampling, and the rate was checked above.
    b.set_output_sample_rate(NonZeroU32::new(config.sample_rate))
        .map_err(|e| lame_error("output sample rate", e))?;
    // The Xing/LAME tag carries the encoder delay and padding: exact decoded length.
    b.set_to_write_vbr_tag(info_tag)
        .map_err(|e| lame_error("info tag", e))?;
    match config.mode {
        Mp3Mode::Vbr { quality } => {
            // `lame -V n` uses the new VBR code (mtrh) with VBR quality n.
            b.set_vbr_mode(VbrMode::Mtrh)
                .map_err(|e| lame_error("VBR mode", e))?;
            b.set_vbr_quality(vbr_quality(quality))
                .map_err(|e| lame_error("VBR quality", e))?;
        }
        Mp3Mode::Cbr { kbps } => {
            b.set_vbr_mode(VbrMode::Off)
                .map_err(|e| lame_error("CBR mode", e))?;
            let kbps = std::ffi::c_int::try_from(kbps).map_err(|e| lame_error("bit rate", e))?;
            // The crate's `Bitrate` enum lacks 56 and 144 kbit/s, which LAME supports, so
            // the rate goes to LAME directly.
            // SAFETY: `as_ptr` gives the live `lame_global_flags` owned by `b`, which
            // outlives this call; lame_set_brate only stores an int in it.
            let rc = unsafe { mp3lame_encoder::ffi::lame_set_brate(b.as_ptr(), kbps) };
            if rc < 0 {
                return Err(lame_error("bit rate", format!("error code {rc}")));
            }
            // LAME's CBR/ABR presets quietly scale the input by 0.95 at 160 kbit/s and below
            // (0.97 at 192, 0.98 at 224) for clipping headroom: -0.45 dB that would make
            // every normalized CBR file miss its loudness target. Headroom is the limiter's
            // job here (true-peak ceiling), so cancel the preset's factor exactly.
            let undo = 1.0 / lame_cbr_preset_scale(kbps);
            // SAFETY: as above; lame_set_scale only stores a float in the struct.
            let rc = unsafe { mp3lame_encoder::ffi::lame_set_scale(b.as_ptr(), undo) };
            if rc < 0 {
                return Err(lame_error("scale", format!("error code {rc}")));
            }
        }
    }
    Ok(b)
}

/// The `scale` column of LAME 3.100's `abr_switch_map` (presets.c) for a CBR rate, which
/// `lame_init_params` multiplies into the user's scale. LAME picks the nearest table row;
/// every rate this encoder accepts up to 160 kbit/s (including 144) lands on a 0.95 row.
fn lame_cbr_preset_scale(kbps: std::ffi::c_int) -> f32 {
    match kbps {
        ..=176 => 0.95,
        177..=208 => 0.97,
        209..=240 => 0.98,
        _ => 1.0,
    }
}
