//! The normalize job: measure, plan, calibrate the limiter, render every output from one
//! decode, verify each output by decoding the file written, correct and redo what missed,
//! and only then move the outputs into place.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::render::{self, ChainOut, ChainSpec, SinkSpec, Source, Written};
use super::report::{OutputReport, Report, Timings, VariantReport};
use crate::decode::DecodeOptions;
use crate::encode::{Encoded, EncoderSettings, OutputFormat, StreamSpec};
use crate::error::{Error, Result};
use crate::gain::plan::{self, Mode, Preset, Targets};
use crate::gain::sweep::Sweep;
use crate::hls::{Container, HlsCodec, Layout, TempLadder, VariantOut};
use crate::input::{Input, Limits};
use crate::job::{CancelToken, Control, ProgressFn, Stage};
use crate::loudness::{Meter, channel_weights};
use crate::packet_decode::PacketDecoder;

/// Options of a normalize job. Explicit targets override the preset, which overrides the
/// defaults (-14 LUFS, -1 dBTP).
///
/// ```
/// use loudcore::{NormalizeOptions, Preset};
/// let opts = NormalizeOptions { preset: Some(Preset::AppleMusic), true_peak_dbtp: Some(-1.5), ..Default::default() };
/// # let _ = opts;
/// ```
#[derive(Clone, Default)]
pub struct NormalizeOptions {
    /// Integrated loudness to reach, LUFS. Default -14 (or the preset's).
    pub target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP. Default -1 (or the preset's).
    pub true_peak_dbtp: Option<f64>,
    /// Loudness-range target (dynamic mode only).
    pub lra_lu: Option<f64>,
    /// A named target: `spotify`, `apple-music`, `youtube`, `amazon`, `tidal`, `deezer`,
    /// `podcast`, `ebu-r128`, `atsc-a85`.
    pub preset: Option<Preset>,
    /// `Linear` (default). `Dynamic` is not supported yet and is refused, never substituted.
    pub mode: Mode,
    /// Constant bit rate for lossy outputs, bits per second (MP3 default: VBR V0; M4A
    /// default: 128 kbit/s per channel).
    pub bitrate: Option<u32>,
    /// MP3 VBR quality 0 (best) to 9; FLAC compression level (refused for M4A, which is
    /// CBR).
    pub quality: Option<u8>,
    /// PCM bits for WAV (16, 24, 32 = float) and FLAC (16, 24).
    pub bits_per_sample: Option<u16>,
    /// Output sample rate; default: the input's.
    pub sample_rate: Option<u32>,
    /// Limits the input must meet.
    pub limits: Limits,
    /// How damaged input is treated.
    pub decode: DecodeOptions,
    /// Renders allowed per output before giving up on the target (default 4).
    pub max_attempts: Option<u32>,
    /// Stops the job from another thread.
    pub cancel: Option<CancelToken>,
    /// `(stage, fraction of the whole job)`, monotonic, ending at 1.0.
    pub on_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for NormalizeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NormalizeOptions")
            .field("target_lufs", &self.target_lufs)
            .field("true_peak_dbtp", &self.true_peak_dbtp)
            .field("lra_lu", &self.lra_lu)
            .field("preset", &self.preset)
            .field("mode", &self.mode)
            .field("bitrate", &self.bitrate)
            .field("quality", &self.quality)
            .field("bits_per_sample", &self.bits_per_sample)
            .field("sample_rate", &self.sample_rate)
            .field("limits", &self.limits)
            .field("decode", &self.decode)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// One output of a job: a destination (format from its extension) and settings that
/// override the job's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutputSpec {
    pub path: PathBuf,
    pub sample_rate: Option<u32>,
    pub bitrate: Option<u32>,
    pub quality: Option<u8>,
    pub bits_per_sample: Option<u16>,
}

impl<P: Into<PathBuf>> From<P> for OutputSpec {
    fn from(p: P) -> Self {
        OutputSpec {
            path: p.into(),
            ..Default::default()
        }
    }
}

/// How far under the ceiling our own meter must read an output: other meters (FFmpeg's
/// resamples to 192 kHz) read inter-sample peaks a few hundredths of a dB differently.
const TP_MARGIN_DB: f64 = 0.1;
/// Extra limiter headroom for lossless outputs: the limiter's detector and the meter's differ slightly.
const LIMITER_MARGIN_DB: f64 = 0.05;
/// Loudness error accepted on the decoded output (the contract says 0.1 LU; keep a margin
/// for other meters).
const LOUDNESS_TOLERANCE_LU: f64 = 0.05;
/// Decode passes calibration may spend per limiter setting.
const CALIBRATION_PASSES: usize = 3;
/// Furthest past its loudest calibration point a gain may be extrapolated.
const MAX_EXTRAPOLATION_DB: f64 = 0.2;
/// A limiter whose lowest gain stayed above this never engaged (rounding aside).
const UNLIMITED_GAIN: f32 = 0.9999;

/// Normalizes `input` into one output file (format from its extension).
///
/// ```no_run
/// use loudcore::{normalize, Input, NormalizeOptions};
/// let report = normalize(&Input::from("mix.mp3"), "mix.normalized.mp3", &NormalizeOptions::default())?;
/// assert!(report.outputs[0].verified);
/// # Ok::<(), loudcore::Error>(())
/// ```
pub fn normalize(
    input: &Input,
    output: impl AsRef<Path>,
    opts: &NormalizeOptions,
) -> Result<Report> {
    normalize_to(input, &[OutputSpec::from(output.as_ref())], opts)
}

/// Normalizes `input` into several outputs from one analysis and one decode per render.
pub fn normalize_to(
    input: &Input,
    outputs: &[OutputSpec],
    opts: &NormalizeOptions,
) -> Result<Report> {
    let file = input.name();
    super::guard(&file, || Job::new(input, outputs, opts)?.run())
}

/// What an output is.
pub(super) enum Kind {
    /// A file; its format comes from the extension.
    File {
        format: OutputFormat,
        settings: EncoderSettings,
    },
    /// One variant of an HLS ladder.
    Variant { name: String, bitrate: u32 },
}

/// A verified output, not yet in place.
enum Done {
    File(crate::output::TempOutput),
    Variant(VariantOut),
}

/// Where an HLS job writes its ladder, and how.
pub(super) struct Ladder {
    pub dest: PathBuf,
    pub temp: TempLadder,
    pub codec: HlsCodec,
    pub container: Container,
    pub layout: Layout,
    pub segment_seconds: f64,
}

/// An output in progress.
pub(super) struct Pending {
    /// For a variant: the final path of its media playlist and its sample rate.
    spec: OutputSpec,
    kind: Kind,
    out_rate: u32,
    gain_db: f64,
    limiter_ceiling: f64,
    /// Loudness the limited PCM must have so that the decoded output lands on target: the
    /// target, corrected by what the encoder was measured to add or take away.
    pcm_target: f64,
    attempts: u32,
    /// Lowest limiter gain of the latest render.
    min_gain: f32,
    /// The corrected gain of a redo whose previous render never limited.
    next_gain: Option<f64>,
    /// Encode with the codec's closer search (`HlsCodec::encoder`): set for redos.
    careful: bool,
    done: Option<(Done, OutputReport)>,
}

impl Pending {
    pub(super) fn variant(name: String, bitrate: u32, sample_rate: u32, playlist: PathBuf) -> Self {
        Pending::new(
            OutputSpec {
                path: playlist,
                sample_rate: Some(sample_rate),
                ..Default::default()
            },
            Kind::Variant { name, bitrate },
        )
    }

    fn new(spec: OutputSpec, kind: Kind) -> Self {
        Pending {
            spec,
            kind,
            out_rate: 0,
            gain_db: 0.0,
            limiter_ceiling: 0.0,
            pcm_target: 0.0,
            attempts: 0,
            min_gain: 1.0,
            next_gain: None,
            careful: false,
            done: None,
        }
    }

    fn is_lossy(&self) -> bool {
        match &self.kind {
            Kind::File { format, .. } => format.is_lossy(),
            Kind::Variant { .. } => true,
        }
    }
}

/// What verification measured on a written output.
struct Measured {
    integrated_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    lra_lu: f64,
    duration_s: f64,
    sample_rate: u32,
    channels: u32,
    bit_rate: Option<u64>,
}

pub(super) struct Job<'a> {
    input: &'a Input,
    opts: &'a NormalizeOptions,
    targets: Targets,
    outputs: Vec<Pending>,
    ladder: Option<Ladder>,
    ctl: Control,
    started: Instant,
    timings: Timings,
}

impl<'a> Job<'a> {
    fn new(input: &'a Input, outputs: &[OutputSpec], opts: &'a NormalizeOptions) -> Result<Self> {
        if outputs.is_empty() {
            return Err(Error::InvalidOptions {
                detail: "no output given".into(),
            });
        }
        let mut pending = Vec::with_capacity(outputs.len());
        for (i, spec) in outputs.iter().enumerate() {
            if outputs[..i].iter().any(|o| o.path == spec.path) {
                return Err(Error::InvalidOptions {
                    detail: format!("{} is given as an output twice", spec.path.display()),
                });
            }
            if let Some(inp) = input.as_path() {
                if same_file(inp, &spec.path) {
                    return Err(Error::InvalidOptions {
                        detail: format!(
                            "{}: the output would overwrite the input",
                            spec.path.display()
                        ),
                    });
                }
            }
            let format = OutputFormat::from_path(&spec.path)?;
            let settings = EncoderSettings {
                bitrate: spec.bitrate.or(opts.bitrate),
                quality: spec.quality.or(opts.quality),
                bits_per_sample: spec.bits_per_sample.or(opts.bits_per_sample),
            };
            pending.push(Pending::new(
                OutputSpec {
                    sample_rate: spec.sample_rate.or(opts.sample_rate),
                    ..spec.clone()
                },
                Kind::File { format, settings },
            ));
        }
        if let Some(r) = opts.sample_rate {
            if !(8_000..=384_000).contains(&r) {
                return Err(Error::InvalidOptions {
                    detail: format!("sample_rate {r} Hz is outside 8000..=384000"),
                });
            }
        }
        Job::with_outputs(input, pending, None, opts)
    }

    /// A job over outputs already checked by the caller, and the ladder variants belong to.
    pub(super) fn with_outputs(
        input: &'a Input,
        outputs: Vec<Pending>,
        ladder: Option<Ladder>,
        opts: &'a NormalizeOptions,
    ) -> Result<Self> {
        let targets = plan::resolve(
            opts.preset,
            opts.target_lufs,
            opts.true_peak_dbtp,
            opts.mode,
            opts.lra_lu,
        )?;
        let ctl = Control::new(input.name(), opts.cancel.clone(), opts.on_progress.clone());
        Ok(Job {
            input,
            opts,
            targets,
            outputs,
            ladder,
            ctl,
            started: Instant::now(),
            timings: Timings::default(),
        })
    }

    pub(super) fn run(mut self) -> Result<Report> {
        let file = self.input.name();
        let lossy = self.outputs.iter().any(Pending::is_lossy);
        // Progress weights follow where the time goes: a lossy encoder dwarfs decoding, and
        // the limiter sweep (below) adds about half to pass 1.
        let a = if lossy { 0.12 } else { 0.3 };
        self.ctl.stage(Stage::Analyze, 0.0, a);
        // Refuse impossible outputs (a 5.1 MP3, a bit rate LAME lacks) before any decoding.
        let headers = crate::input::probe(self.input, &self.opts.limits)?;
        for o in &self.outputs {
            let spec = StreamSpec {
                sample_rate: o.spec.sample_rate.unwrap_or(headers.sample_rate),
                channels: headers.channels as u16,
                channel_mask: headers.channel_mask,
                source_bits: headers.bits_per_sample,
                tags: headers.tags.clone(),
            };
            let checked = match (&o.kind, &self.ladder) {
                (Kind::File { format, settings }, _) => {
                    crate::encode::validate(*format, &spec, settings)
                }
                (Kind::Variant { bitrate, .. }, Some(l)) => l
                    .codec
                    .encoder(spec.sample_rate, spec.channels, *bitrate, false)
                    .map(drop),
                (Kind::Variant { .. }, None) => Err(Error::Internal {
                    file: file.clone(),
                    detail: "an HLS variant without a ladder".into(),
                }),
            };
            checked.map_err(|e| match e {
                Error::InvalidOptions { detail } => Error::InvalidOptions {
                    detail: format!("{}: {detail}", o.spec.path.display()),
                },
                other => other,
            })?;
        }
        // Where every output keeps the input's rate, pass 1 also sweeps the limiter over a
        // ladder of thresholds: the gain that lands on target after limiting then comes
        // from it, without a calibration pass (another decode). Resampled outputs lose
        // high frequencies, which K-weighting counts: they calibrate on their own rate.
        let mut sweep = self
            .outputs
            .iter()
            .all(|o| o.spec.sample_rate.is_none_or(|r| r == headers.sample_rate))
            .then(|| {
                let weights = channel_weights(headers.channels as usize, headers.channel_mask);
                Sweep::new(headers.sample_rate, weights)
            });
        let t0 = Instant::now();
        let (analysis, probe) = super::analyze::measure(
            self.input,
            &self.opts.limits,
            &self.opts.decode,
            false,
            sweep.as_mut(),
            &mut self.ctl,
        )?;
        let ladder = sweep.and_then(Sweep::finish);
        self.timings.analyze_s = t0.elapsed().as_secs_f64();
        self.timings.input_decodes += 1;
        let Some(measured) = analysis.integrated_lufs else {
            return Err(Error::SilentInput { file });
        };
        let t = self.targets;
        let planned_gain = t.target_lufs - measured;
        let src = Source {
            sample_rate: probe.sample_rate,
            channels: probe.channels as usize,
            channel_mask: probe.channel_mask,
            source_bits: probe.bits_per_sample,
            tags: probe.tags.clone(),
        };
        let codec = self.ladder.as_ref().map(|l| l.codec);
        for o in &mut self.outputs {
            let guess = EncoderGuess::of(&o.kind, codec, probe.channels, false);
            o.out_rate = o.spec.sample_rate.unwrap_or(probe.sample_rate);
            o.gain_db = planned_gain;
            o.pcm_target = t.target_lufs + guess.loss_lu;
            o.limiter_ceiling =
                t.ceiling_dbtp - TP_MARGIN_DB - LIMITER_MARGIN_DB - guess.overshoot_db;
        }

        let max_attempts = self.opts.max_attempts.unwrap_or(4).max(1);
        let mut round = 0u32;
        loop {
            let todo: Vec<usize> = (0..self.outputs.len())
                .filter(|&i| self.outputs[i].done.is_none())
                .collect();
            if todo.is_empty() {
                break;
            }
            // Plan each output's gain. Where the limiter will work it lowers loudness:
            // find the gain that lands on target after limiting, on the PCM, before
            // spending time on encoders.
            let mut limited = Vec::new();
            for &i in &todo {
                let o = &mut self.outputs[i];
                // A redo of an output whose limiter stayed idle, and stays idle at the
                // corrected gain, needs no calibration: loudness follows gain dB for dB.
                if let Some(g) = o.next_gain.take() {
                    if analysis
                        .true_peak_dbtp
                        .is_none_or(|tp| tp + g <= o.limiter_ceiling - 0.2)
                    {
                        o.gain_db = g;
                        continue;
                    }
                }
                // The sweep has the answer for outputs at the input's rate, limited or
                // not (it also knows what the absolute gate lets in at a high gain).
                let swept = ladder
                    .as_ref()
                    .filter(|_| o.out_rate == src.sample_rate)
                    .and_then(|l| l.gain_for(o.limiter_ceiling, o.pcm_target, measured));
                if let Some(g) = swept {
                    o.gain_db = g;
                    continue;
                }
                o.gain_db = o.pcm_target - measured;
                // Calibrate where the limiter will work, and where resampling to a lower
                // rate takes away high frequencies, which K-weighting counts.
                if analysis
                    .true_peak_dbtp
                    .is_some_and(|tp| tp + o.gain_db > o.limiter_ceiling)
                    || o.out_rate < src.sample_rate
                {
                    limited.push(i);
                }
            }
            // Progress: a round spans what is left before 0.99, split as the time goes (a
            // lossy encoder dwarfs the rest). A second round takes what the first left.
            let p = if round == 0 { a } else { self.ctl.fraction() };
            let left = (0.99 - p).max(0.0);
            let render_w = if lossy { 0.83 } else { 0.45 };
            let cal_w = match (limited.is_empty(), lossy) {
                (true, _) => 0.0,
                (false, true) => 0.05,
                (false, false) => 0.15,
            };
            let (cal_end, render_end) = (p + left * cal_w, p + left * (cal_w + render_w));
            if !limited.is_empty() {
                self.ctl.stage(Stage::Calibrate, p, cal_end);
                let t0 = Instant::now();
                self.calibrate(&src, &limited, measured, analysis.true_peak_dbtp)?;
                self.timings.calibrate_s += t0.elapsed().as_secs_f64();
            }
            self.ctl.stage(Stage::Render, cal_end, render_end);
            let verify_end = p + left;
            round += 1;
            let specs = todo
                .iter()
                .map(|&i| {
                    let o = &self.outputs[i];
                    let sink = match (&o.kind, &self.ladder) {
                        (Kind::File { format, settings }, _) => SinkSpec::Encode {
                            dest: o.spec.path.clone(),
                            format: *format,
                            settings: settings.clone(),
                        },
                        (Kind::Variant { name, bitrate }, Some(l)) => SinkSpec::Variant {
                            root: l.temp.path().to_path_buf(),
                            name: name.clone(),
                            codec: l.codec,
                            container: l.container,
                            layout: l.layout,
                            bitrate: *bitrate,
                            segment_seconds: l.segment_seconds,
                            careful: o.careful,
                        },
                        (Kind::Variant { .. }, None) => SinkSpec::Meter,
                    };
                    ChainSpec {
                        gain_db: o.gain_db,
                        ceiling_dbtp: o.limiter_ceiling,
                        out_rate: o.out_rate,
                        sink,
                    }
                })
                .collect();
            let t0 = Instant::now();
            let rendered = render::render(
                self.input,
                &self.opts.limits,
                &self.opts.decode,
                &mut self.ctl,
                &src,
                specs,
            )?;
            self.timings.render_s += t0.elapsed().as_secs_f64();
            self.timings.input_decodes += 1;
            let t0 = Instant::now();
            self.ctl.stage(Stage::Verify, render_end, verify_end);
            let dests: Vec<String> = todo
                .iter()
                .map(|&i| self.outputs[i].spec.path.display().to_string())
                .collect();
            let measured = self.measure_all(&rendered, &dests)?;
            for ((&i, out), m) in todo.iter().zip(rendered).zip(measured) {
                self.verify(i, out, m, &analysis, max_attempts)?;
            }
            self.timings.verify_s += t0.elapsed().as_secs_f64();
        }

        // Engaged means more than a rounding error of gain reduction.
        let limiter_active = self.outputs.iter().any(|o| o.min_gain < 0.999);
        let mut reports = Vec::with_capacity(self.outputs.len());
        let mut files = Vec::with_capacity(self.outputs.len());
        let mut variants = Vec::new();
        for o in self.outputs {
            let Some((done, report)) = o.done else {
                return Err(Error::Internal {
                    file,
                    detail: "an output was neither verified nor failed".into(),
                });
            };
            match done {
                Done::File(tmp) => files.push(tmp),
                Done::Variant(v) => variants.push(v),
            }
            reports.push(report);
        }
        // All outputs are good: only now replace anything at the destinations.
        let mut master_playlist = None;
        if let Some(l) = self.ladder {
            let target = crate::hls::target_duration(&variants);
            let mut bw = variants.iter().map(|v| crate::hls::bandwidth(v, target));
            for r in &mut reports {
                if let Some(vr) = r.variant.as_mut() {
                    if let Some(b) = bw.next() {
                        vr.bandwidth = b.peak;
                        vr.average_bandwidth = b.average;
                        r.bit_rate = Some(b.average);
                    }
                }
            }
            crate::hls::write_playlists(l.temp.path(), l.layout, &variants)?;
            self.ctl.check()?;
            l.temp.commit()?;
            master_playlist = Some(l.dest.join(crate::hls::MASTER).display().to_string());
        }
        for tmp in files {
            tmp.commit()?;
        }
        self.ctl.done();
        Ok(Report {
            input: analysis,
            target_lufs: t.target_lufs,
            true_peak_dbtp: t.ceiling_dbtp,
            gain_db: planned_gain,
            limiter_active,
            outputs: reports,
            master_playlist,
            elapsed_s: self.started.elapsed().as_secs_f64(),
            timings: self.timings,
        })
    }

    /// Finds, for each group of the given outputs sharing a limiter ceiling, rate and PCM
    /// target, the gain at which the limited (and resampled) signal measures on that
    /// target. Each pass decodes once and runs meter chains at several candidate gains
    /// for every group still open; the answer is interpolated between the two candidates
    /// that bracket the target, so one pass usually suffices.
    fn calibrate(
        &mut self,
        src: &Source,
        which: &[usize],
        measured: f64,
        input_tp: Option<f64>,
    ) -> Result<()> {
        type Key = (f64, u32, f64);
        let key = |o: &Pending| -> Key { (o.limiter_ceiling, o.out_rate, o.pcm_target) };
        struct Group {
            key: Key,
            points: Vec<(f64, f64)>,
            candidates: Vec<f64>,
            found: Option<f64>,
        }
        let mut groups: Vec<Group> = Vec::new();
        for &i in which {
            let k = key(&self.outputs[i]);
            if !groups.iter().any(|g| g.key == k) {
                // Limiting only ever lowers loudness, so the answer lies at or above the
                // linear gain. How far above grows with how deep the limiter must cut the
                // highest peak: 0.2-0.8 dB for cuts of 3-6 dB on the corpus's masters.
                // Spreading the candidates by it brackets the answer in one pass.
                let start = k.2 - measured;
                let cut = input_tp.map_or(0.0, |tp| tp + start - k.0);
                let step = (0.15 * cut).clamp(0.2, 1.0);
                groups.push(Group {
                    key: k,
                    points: Vec::new(),
                    candidates: vec![start, start + step / 2.0, start + step, start + 2.0 * step],
                    found: None,
                });
            }
        }
        for _ in 0..CALIBRATION_PASSES {
            let open: Vec<usize> = (0..groups.len())
                .filter(|&g| groups[g].found.is_none())
                .collect();
            if open.is_empty() {
                break;
            }
            let mut specs = Vec::new();
            for &g in &open {
                let (ceiling, rate, _) = groups[g].key;
                for &gain in &groups[g].candidates {
                    specs.push(ChainSpec {
                        gain_db: gain,
                        ceiling_dbtp: ceiling,
                        out_rate: rate,
                        sink: SinkSpec::Meter,
                    });
                }
            }
            let outs = render::render(
                self.input,
                &self.opts.limits,
                &self.opts.decode,
                &mut self.ctl,
                src,
                specs,
            )?;
            self.timings.input_decodes += 1;
            let mut outs = outs.into_iter();
            for &g in &open {
                let group = &mut groups[g];
                let target = group.key.2;
                // Where the limiter stayed idle, loudness moves dB for dB with gain (and
                // it stays idle at any lower gain): the highest idle point gives the exact
                // answer if that answer lies at or below it.
                let mut idle: Option<(f64, f64)> = None;
                for &gain in &group.candidates {
                    let Some(out) = outs.next() else { continue };
                    if let Some(i) = out.loudness.and_then(|l| l.integrated_lufs) {
                        group.points.push((gain, i));
                        if out.min_gain >= UNLIMITED_GAIN && idle.is_none_or(|p| gain > p.0) {
                            idle = Some((gain, i));
                        }
                    }
                }
                group.points.sort_by(|a, b| a.0.total_cmp(&b.0));
                // The limiter also stays idle wherever the input's true peak plus the gain
                // is clearly under its ceiling.
                let ceiling = group.key.0;
                let surely_idle = |g: f64| input_tp.is_none_or(|tp| tp + g <= ceiling - 0.2);
                group.found = match idle {
                    Some((g_idle, i_idle))
                        if target <= i_idle || surely_idle(g_idle + (target - i_idle)) =>
                    {
                        Some(g_idle + (target - i_idle))
                    }
                    _ => bracket(&group.points, target),
                };
                if group.found.is_none() {
                    // Not bracketed yet: step on from the loudest candidate, by its
                    // shortfall and a little more (the limiter takes back part of any
                    // added gain).
                    match (idle, group.points.last()) {
                        // Idle at the loudest point: the linear answer, then a little
                        // above it in case the limiter starts to work there.
                        (Some((g_idle, i_idle)), Some(&(g_hi, _))) if g_idle >= g_hi => {
                            let next = g_idle + (target - i_idle);
                            group.candidates = vec![next, next + 0.15, next + 0.5];
                        }
                        (_, Some(&(g_hi, i_hi))) => {
                            let next = g_hi + (target - i_hi).max(0.05) * 1.5;
                            group.candidates = vec![next, next + 0.25, next + 1.0];
                        }
                        (_, None) => {}
                    }
                }
            }
        }
        for group in groups {
            let target = group.key.2;
            let best = group.found.unwrap_or_else(|| {
                // Fall back to the closest measured point; verification has the last word.
                group
                    .points
                    .iter()
                    .min_by(|a, b| (a.1 - target).abs().total_cmp(&(b.1 - target).abs()))
                    .map_or(target - measured, |p| p.0)
            });
            for &i in which {
                if key(&self.outputs[i]) == group.key {
                    self.outputs[i].gain_db = best;
                }
            }
        }
        Ok(())
    }

    /// Judges a rendered output by what it measured: accepts it, or plans a corrected
    /// render.
    fn verify(
        &mut self,
        i: usize,
        out: ChainOut,
        measured: Measured,
        input: &crate::Analysis,
        max_attempts: u32,
    ) -> Result<()> {
        let t = self.targets;
        let dest = self.outputs[i].spec.path.display().to_string();
        let done = match out.written {
            Some(Written::File(encoded)) => Done::File(encoded.output),
            Some(Written::Variant(v)) => Done::Variant(v),
            None => {
                return Err(Error::Internal {
                    file: self.input.name(),
                    detail: "an encode chain produced no output".into(),
                });
            }
        };
        let o = &mut self.outputs[i];
        o.attempts += 1;
        o.min_gain = out.min_gain;
        let a = measured;
        let expected_s = input.duration_s;
        if (a.duration_s - expected_s).abs() > 0.001 + 1.0 / f64::from(o.out_rate) {
            return Err(Error::Internal {
                file: dest,
                detail: format!(
                    "the encoder wrote {:.4} s of audio for {:.4} s of input",
                    a.duration_s, expected_s
                ),
            });
        }
        let loud_err = a.integrated_lufs.map(|l| t.target_lufs - l);
        let tp_over = a
            .true_peak_dbtp
            .map_or(0.0, |tp| tp - (t.ceiling_dbtp - TP_MARGIN_DB));
        let on_target = loud_err.is_some_and(|e| e.abs() <= LOUDNESS_TOLERANCE_LU);
        if on_target && tp_over <= 0.0 {
            let (format, variant) = match (&o.kind, &done, &self.ladder) {
                (Kind::File { format, .. }, _, _) => (*format, None),
                (Kind::Variant { name, bitrate }, Done::Variant(v), Some(l)) => (
                    OutputFormat::Hls,
                    Some(VariantReport {
                        name: name.clone(),
                        container: l.container,
                        codec: l.codec,
                        codecs: v.codecs.clone(),
                        nominal_bit_rate: *bitrate,
                        // Set once every variant is done: the peak depends on the
                        // target duration, which all variants share.
                        bandwidth: 0,
                        average_bandwidth: 0,
                        segments: v.segments.len(),
                    }),
                ),
                _ => {
                    return Err(Error::Internal {
                        file: dest,
                        detail: "an output of the wrong kind".into(),
                    });
                }
            };
            let report = OutputReport {
                path: dest,
                format,
                sample_rate: a.sample_rate,
                channels: a.channels,
                bit_rate: a.bit_rate,
                duration_s: a.duration_s,
                integrated_lufs: a.integrated_lufs,
                true_peak_dbtp: a.true_peak_dbtp,
                lra_lu: a.lra_lu,
                verified: true,
                attempts: o.attempts,
                gain_db: o.gain_db,
                variant,
            };
            o.done = Some((done, report));
            return Ok(());
        }
        if o.attempts >= max_attempts {
            return Err(Error::TargetNotMet {
                file: dest,
                detail: format!(
                    "after {} renders the output measures {} LUFS / {} dBTP against {} LUFS / {} dBTP",
                    o.attempts,
                    a.integrated_lufs
                        .map_or("-inf".into(), |v| format!("{v:.2}")),
                    a.true_peak_dbtp
                        .map_or("-inf".into(), |v| format!("{v:.2}")),
                    t.target_lufs,
                    t.ceiling_dbtp
                ),
            });
        }
        // Correct and redo: lower the limiter by the overshoot (lossy encoders add peaks),
        // and move the gain by the loudness error.
        // The next round re-plans (and re-calibrates) the gain for the new ceiling and
        // PCM target, so both corrections land together.
        // A lossy encoder's overshoot is the worst of thousands of peaks and moves by
        // half a dB from one render to the next (FDK at 32 kbit/s per channel: 2.1 then
        // 2.5 dB), so its redo steps down further than the miss.
        if tp_over > 0.0 {
            o.limiter_ceiling -= tp_over + if o.is_lossy() { 0.5 } else { 0.15 };
        }
        // A variant is redone with the careful encoder, which takes away less loudness
        // than the fast one whose miss was just measured: trade one guess for the other.
        let mut switch = 0.0;
        if let (Kind::Variant { .. }, false) = (&o.kind, o.careful) {
            let codec = self.ladder.as_ref().map(|l| l.codec);
            let fast = EncoderGuess::of(&o.kind, codec, input.channels, false);
            let careful = EncoderGuess::of(&o.kind, codec, input.channels, true);
            switch = careful.loss_lu - fast.loss_lu;
            o.careful = true;
        }
        if let Some(e) = loud_err {
            o.pcm_target += e + switch;
            if tp_over <= 0.0 && o.min_gain >= UNLIMITED_GAIN {
                o.next_gain = Some(o.gain_db + e + switch);
            }
        }
        match done {
            // Dropping the temporary file removes it.
            Done::File(tmp) => drop(tmp),
            // The redo writes the same names: clear this attempt's segments first.
            Done::Variant(v) => {
                if let Some(l) = &self.ladder {
                    crate::hls::remove_variant(l.temp.path(), &v)?;
                }
            }
        }
        Ok(())
    }

    /// Decodes every rendered output from what was written to disk, all at once (each
    /// decode is single-threaded for variants, and a ladder has several), and measures it.
    fn measure_all(&mut self, rendered: &[ChainOut], dests: &[String]) -> Result<Vec<Measured>> {
        let root = self.ladder.as_ref().map(|l| l.temp.path().to_path_buf());
        let decode_threads = self.opts.decode.threads;
        let file = self.input.name();
        let cancel = self.opts.cancel.clone();
        let slots: Vec<Arc<AtomicU64>> = rendered
            .iter()
            .map(|_| Arc::new(AtomicU64::new(0f64.to_bits())))
            .collect();
        let ctl = &mut self.ctl;
        std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(rendered.len());
            for ((out, dest), slot) in rendered.iter().zip(dests).zip(&slots) {
                let slot = slot.clone();
                let on_progress: ProgressFn =
                    Arc::new(move |_, f: f64| slot.store(f.to_bits(), Ordering::Relaxed));
                let mut own = Control::new(file.clone(), cancel.clone(), Some(on_progress));
                let root = root.as_deref();
                handles.push(scope.spawn(move || -> Result<Measured> {
                    own.stage(Stage::Verify, 0.0, 1.0);
                    match (&out.written, root) {
                        (Some(Written::File(encoded)), _) => {
                            measure_file(encoded, dest, decode_threads, &mut own)
                        }
                        (Some(Written::Variant(v)), Some(root)) => {
                            measure_variant(root, v, dest, &mut own)
                        }
                        _ => Err(Error::Internal {
                            file: dest.clone(),
                            detail: "an output chain wrote nothing to verify".into(),
                        }),
                    }
                }));
            }
            // Progress is the mean over the outputs; a cancel reaches the measuring threads
            // through their own controls.
            let n = slots.len().max(1) as f64;
            while handles.iter().any(|h| !h.is_finished()) {
                std::thread::sleep(std::time::Duration::from_millis(40));
                let mean = slots
                    .iter()
                    .map(|s| f64::from_bits(s.load(Ordering::Relaxed)))
                    .sum::<f64>()
                    / n;
                // A cancel is reported by the threads themselves.
                let _ = ctl.tick(mean);
            }
            let mut measured = Vec::with_capacity(handles.len());
            let mut first_err = None;
            for h in handles {
                match h.join() {
                    Ok(Ok(m)) => measured.push(m),
                    Ok(Err(e)) => {
                        first_err.get_or_insert(e);
                    }
                    Err(p) => {
                        first_err.get_or_insert(Error::Internal {
                            file: file.clone(),
                            detail: crate::decode::panic_message(&p),
                        });
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(measured),
            }
        })
    }
}

/// Decodes a written file with loudcore's own decoder.
fn measure_file(
    encoded: &Encoded,
    dest: &str,
    threads: usize,
    ctl: &mut Control,
) -> Result<Measured> {
    let decode = DecodeOptions {
        strict: true,
        allow_truncated: false,
        threads,
    };
    let (a, _) = super::analyze::measure(
        &Input::from(encoded.output.temp_path().to_path_buf()),
        &Limits::default(),
        &decode,
        false,
        None,
        ctl,
    )
    .map_err(|e| match e {
        Error::Cancelled { .. } => e,
        e => Error::Internal {
            file: dest.to_string(),
            detail: format!("the written output does not decode: {e}"),
        },
    })?;
    let bit_rate =
        (a.duration_s > 0.0).then(|| (encoded.bytes as f64 * 8.0 / a.duration_s).round() as u64);
    Ok(Measured {
        integrated_lufs: a.integrated_lufs,
        true_peak_dbtp: a.true_peak_dbtp,
        lra_lu: a.lra_lu,
        duration_s: a.duration_s,
        sample_rate: a.sample_rate,
        channels: a.channels,
        bit_rate,
    })
}

/// Reads a variant's segments back from disk under the ladder's `root` (parsing the
/// container), decodes the frames and measures what a player would play: encoder priming
/// and end padding removed.
fn measure_variant(root: &Path, v: &VariantOut, dest: &str, ctl: &mut Control) -> Result<Measured> {
    let (info, frames) = (&v.info, v.input_frames);
    let channels = usize::from(info.channels);
    let weights = channel_weights(channels, None);
    let mut meter = Meter::new(info.sample_rate, weights, false);
    let mut decoder = PacketDecoder::new(info, dest)?;
    let mut pcm = Vec::new();
    let mut decoded = 0u64;
    let total = frames.max(1) as f64;
    crate::hls::read_variant(root, v, |frame| {
        pcm.clear();
        decoder.decode(frame, &mut pcm)?;
        let n = (pcm.len() / channels) as u64;
        let keep = n.min(frames.saturating_sub(decoded)) as usize;
        meter.push(&pcm[..keep * channels]);
        decoded += n;
        ctl.tick((decoded as f64 / total).min(1.0))
    })?;
    // Short by more than a frame means the writer lost audio; the padding after the last
    // input frame is at most one codec frame (two for some priming splits).
    if decoded < frames || decoded > frames + 2 * u64::from(info.frame_len) {
        return Err(Error::Internal {
            file: dest.to_string(),
            detail: format!("the segments decode to {decoded} frames for {frames} frames encoded"),
        });
    }
    let l = meter.finish();
    let duration_s = frames as f64 / f64::from(info.sample_rate);
    Ok(Measured {
        integrated_lufs: l.integrated_lufs,
        true_peak_dbtp: l.true_peak_dbtp,
        lra_lu: l.lra_lu,
        duration_s,
        sample_rate: info.sample_rate,
        channels: u32::from(info.channels),
        bit_rate: None,
    })
}

/// First guesses at what an output's encoder does to the signal it is given, so that the
/// first render usually lands: how far true peaks overshoot the limiter's ceiling once
/// decoded, and how much integrated loudness encoding takes away. Verification measures
/// both on the output and corrects a redo from the measurement; a good guess spares that
/// redo, which costs a whole encode.
struct EncoderGuess {
    overshoot_db: f64,
    loss_lu: f64,
}

impl EncoderGuess {
    /// `careful`: a variant's redo (`HlsCodec::encoder`).
    fn of(kind: &Kind, hls_codec: Option<HlsCodec>, channels: u32, careful: bool) -> EncoderGuess {
        let per_channel = |bitrate: u32| f64::from(bitrate) / f64::from(channels.max(1));
        match kind {
            Kind::File { format, settings } => match format {
                OutputFormat::Mp3 => EncoderGuess::mp3(settings.bitrate.map(per_channel)),
                // M4A defaults to 128 kbit/s per channel.
                OutputFormat::M4a => {
                    EncoderGuess::aac(settings.bitrate.map_or(128_000.0, per_channel), true)
                }
                OutputFormat::Wav | OutputFormat::Flac | OutputFormat::Hls => EncoderGuess {
                    overshoot_db: 0.0,
                    loss_lu: 0.0,
                },
            },
            Kind::Variant { bitrate, .. } => match hls_codec {
                Some(HlsCodec::Mp3) => EncoderGuess::mp3(Some(per_channel(*bitrate))),
                // Ladders encode without the afterburner until a redo
                // (`HlsCodec::encoder`).
                _ => EncoderGuess::aac(per_channel(*bitrate), careful),
            },
        }
    }

    /// AAC-LC (FDK), from the corpus's music (track.mp3, track-vbr.mp3,
    /// track-24bit48k.flac, mono-16k.mp3, mix-1h.mp3) on the default ladder. Peaks decode
    /// 0.4-0.9 dB over the limiter's ceiling at 64 kbit/s per channel (the more so the
    /// deeper the limiter cuts) and 1.0-2.5 dB at 24-32, where FDK cuts the bandwidth to
    /// 8-11 kHz and the band edge rings. Loudness comes out 0.03 LU low with the
    /// afterburner; without it 0.16 LU at 24-32 kbit/s per channel, 0.09-0.11 at 64, 0.02
    /// at 128.
    fn aac(bits_per_channel: f64, afterburner: bool) -> EncoderGuess {
        let b = bits_per_channel;
        let loss_lu = if afterburner {
            0.03
        } else if b < 64_000.0 {
            interpolate(b, (32_000.0, 0.16), (64_000.0, 0.10))
        } else {
            interpolate(b, (64_000.0, 0.10), (128_000.0, 0.03))
        };
        let overshoot_db = if b < 64_000.0 {
            interpolate(b, (32_000.0, 2.5), (64_000.0, 0.8))
        } else {
            interpolate(b, (64_000.0, 0.8), (128_000.0, 0.5))
        };
        EncoderGuess {
            overshoot_db,
            loss_lu,
        }
    }

    /// LAME: VBR V0 (or CBR rates LAME leaves near full bandwidth) overshoots 0.2-0.5 dB;
    /// low CBR rates, with LAME's lower low-pass, more.
    fn mp3(cbr_bits_per_channel: Option<f64>) -> EncoderGuess {
        EncoderGuess {
            overshoot_db: cbr_bits_per_channel
                .map_or(0.5, |b| interpolate(b, (32_000.0, 1.0), (64_000.0, 0.5))),
            loss_lu: 0.0,
        }
    }
}

/// `y` on the line through two points, held flat beyond them.
fn interpolate(x: f64, (x0, y0): (f64, f64), (x1, y1): (f64, f64)) -> f64 {
    let t = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0);
    y0 + (y1 - y0) * t
}

/// Whether two paths name the same file (the destination may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The gain at which loudness crosses `target`, interpolated between the two measured
/// points around it. Loudness rises with gain, even under limiting.
///
/// Just past the loudest point the line through the last two is still trusted, for up to
/// a quarter of their distance (at most `MAX_EXTRAPOLATION_DB`): loudness bends down
/// slowly as the limiter works harder, so that short reach errs by hundredths of an LU,
/// where another calibration pass would cost a decode.
fn bracket(points: &[(f64, f64)], target: f64) -> Option<f64> {
    let within = points.windows(2).find_map(|w| {
        let ((g0, i0), (g1, i1)) = (w[0], w[1]);
        if i0 <= target && target <= i1 && i1 > i0 {
            Some(g0 + (g1 - g0) * (target - i0) / (i1 - i0))
        } else if (i0 - target).abs() < 1e-6 {
            Some(g0)
        } else {
            None
        }
    });
    within.or_else(|| {
        let [.., (g0, i0), (g1, i1)] = *points else {
            return None;
        };
        if i1 <= i0 || target <= i1 {
            return None;
        }
        let g = g1 + (g1 - g0) * (target - i1) / (i1 - i0);
        (g - g1 <= (0.25 * (g1 - g0)).min(MAX_EXTRAPOLATION_DB)).then_some(g)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracket_interpolates_between_the_points_around_the_target() {
        let pts = [(0.0, -15.0), (0.5, -14.6), (1.0, -14.2)];
        let g = bracket(&pts, -14.4).expect("bracketed");
        assert!((g - 0.75).abs() < 1e-9, "{g}");
        assert_eq!(bracket(&pts, -15.0), Some(0.0));
    }

    #[test]
    fn bracket_reaches_a_little_past_the_loudest_point_and_no_further() {
        let pts = [(0.0, -15.0), (0.4, -14.6)];
        // 0.05 dB past the last point: a quarter of 0.4 allows it.
        let g = bracket(&pts, -14.55).expect("short extrapolation");
        assert!((g - 0.45).abs() < 1e-9, "{g}");
        // 0.2 dB past: beyond a quarter of the spacing, so another pass must measure.
        assert_eq!(bracket(&pts, -14.4), None);
        // Below the quietest point is never extrapolated: limiting only lowers loudness,
        // and the quietest candidate is the linear gain.
        assert_eq!(bracket(&pts, -15.2), None);
        // Wide spacing is capped at MAX_EXTRAPOLATION_DB.
        let wide = [(0.0, -16.0), (2.0, -14.0)];
        assert!(bracket(&wide, -13.85).is_some());
        assert_eq!(bracket(&wide, -13.7), None);
    }

    #[test]
    fn encoder_guesses_follow_the_bit_rate_per_channel() {
        let variant = |bitrate| Kind::Variant {
            name: "v".into(),
            bitrate,
        };
        let low = EncoderGuess::of(&variant(48_000), Some(HlsCodec::Aac), 2, false);
        let high = EncoderGuess::of(&variant(128_000), Some(HlsCodec::Aac), 2, false);
        assert!(low.overshoot_db > high.overshoot_db && low.loss_lu > high.loss_lu);
        // The same rung in mono has twice the bits per channel.
        let mono = EncoderGuess::of(&variant(48_000), Some(HlsCodec::Aac), 1, false);
        assert!(mono.overshoot_db < low.overshoot_db);
        let flac = Kind::File {
            format: OutputFormat::Flac,
            settings: EncoderSettings::default(),
        };
        let lossless = EncoderGuess::of(&flac, None, 2, false);
        assert_eq!((lossless.overshoot_db, lossless.loss_lu), (0.0, 0.0));
    }
}
