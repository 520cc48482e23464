//! The job that normalize and HLS share, sequencing the stages of the data flow:
//!
//! 1. check the outputs against the input's headers (nothing decoded yet);
//! 2. pass 1: decode and meter the input (`analyze::measure`), sweeping the limiter over
//!    its thresholds where every output keeps the input's rate;
//! 3. plan each output's aim and gain (`plan`);
//! 4. calibrate by another decode, only where the sweep cannot answer (`calibrate`);
//! 5. pass 2: decode once into every output chain (`render`);
//! 6. verify every written output by decoding it (`measure`), and judge it (`verify`):
//!    what missed goes back to 3 for another render;
//! 7. commit: write the ladder's playlists, move every output into place, report.

use std::time::Instant;

use super::analyze::{Keep, Pass1};
use super::calibrate::calibrate;
use super::measure::{ToMeasure, measure_all};
use super::outputs::{Done, Kind, Ladder, Pending};
use super::plan;
use super::render::{self, ChainOut, ChainSpec, SinkSpec, Source};
use super::report::{DynamicReport, Report, Timings};
use super::verify::judge;
use crate::error::{Error, Result};
use crate::gain::Mode;
use crate::gain::dynamic::{self, DynamicPlan};
use crate::gain::sweep::{LimiterResponse, Sweep};
use crate::gain::targets::Targets;
use crate::input::{Input, Probe};
use crate::job::{Control, Stage};
use crate::loudness::{Analysis, channel_weights};
use crate::options::{JobOptions, TargetOptions};

pub(super) struct Job<'a> {
    input: &'a Input,
    opts: &'a JobOptions,
    targets: Targets,
    max_attempts: u32,
    /// Report the applied gain every 100 ms (dynamic mode).
    gain_curve: bool,
    outputs: Vec<Pending>,
    /// Where the variants among `outputs` go, if any.
    ladder: Option<Ladder>,
    ctl: Control,
    started: Instant,
    timings: Timings,
}

/// Where the time of a job goes, as shares of its progress bar.
struct Shares {
    lossy: bool,
}

impl Shares {
    /// Pass 1's share: a lossy encoder dwarfs decoding, and the limiter sweep adds about
    /// half to pass 1.
    fn analyze(&self) -> f64 {
        if self.lossy { 0.12 } else { 0.3 }
    }

    /// A round spans what is left from `from` to 0.99, split as the time goes (a lossy
    /// encoder dwarfs the rest); a second round takes what the first left. Returns where
    /// calibration, rendering and verification end.
    fn round(&self, from: f64, calibrates: bool) -> (f64, f64, f64) {
        let left = (0.99 - from).max(0.0);
        let render = if self.lossy { 0.83 } else { 0.45 };
        let calibrate = match (calibrates, self.lossy) {
            (false, _) => 0.0,
            (true, true) => 0.05,
            (true, false) => 0.15,
        };
        (
            from + left * calibrate,
            from + left * (calibrate + render),
            from + left,
        )
    }
}

impl<'a> Job<'a> {
    pub(super) fn new(
        input: &'a Input,
        outputs: Vec<Pending>,
        ladder: Option<Ladder>,
        target: &TargetOptions,
        opts: &'a JobOptions,
    ) -> Result<Self> {
        let targets = crate::gain::targets::resolve(
            target.preset,
            target.target_lufs,
            target.true_peak_dbtp,
            target.mode,
            target.lra_lu,
        )?;
        let ctl = Control::new(input.name(), opts.cancel.clone(), opts.on_progress.clone());
        Ok(Job {
            input,
            opts,
            targets,
            max_attempts: target.attempts(),
            gain_curve: target.gain_curve,
            outputs,
            ladder,
            ctl,
            started: Instant::now(),
            timings: Timings::default(),
        })
    }

    pub(super) fn run(mut self) -> Result<Report> {
        let shares = Shares {
            lossy: self.outputs.iter().any(Pending::is_lossy),
        };
        self.ctl.stage(Stage::Analyze, 0.0, shares.analyze());
        let headers = crate::input::probe(self.input, &self.opts.limits)?;
        for o in &self.outputs {
            o.check(&headers)?;
        }
        let (pass, response) = self.pass1(&headers)?;
        let (analysis, probe) = (pass.analysis, pass.probe);
        let Some(input_lufs) = analysis.integrated_lufs else {
            return Err(Error::SilentInput {
                file: self.input.name(),
            });
        };
        // Dynamic mode: the gain curve, planned from pass 1. The input after the curve is
        // what every later stage plans for: its loudness, and a bound on its peaks. Without
        // a curve (the input's range is within the target) it is the linear job, sweep
        // included.
        let plan = self
            .targets
            .lra_lu
            .map(|lra| dynamic::plan(pass.subblocks.as_deref().unwrap_or_default(), lra));
        let curve = plan.as_ref().and_then(|p| p.curve.clone());
        let (measured, true_peak, response) = match (&plan, &curve) {
            (Some(p), Some(c)) => (
                p.lufs.unwrap_or(input_lufs),
                analysis.true_peak_dbtp.map(|tp| tp + c.range_db().1),
                None,
            ),
            _ => (input_lufs, analysis.true_peak_dbtp, response),
        };
        let src = Source {
            sample_rate: probe.sample_rate,
            channels: probe.channels as usize,
            channel_mask: probe.channel_mask,
            source_bits: probe.bits_per_sample,
            tags: probe.tags.clone(),
            curve,
        };
        plan::aim(
            &mut self.outputs,
            self.targets,
            measured,
            probe.sample_rate,
            probe.channels,
        );
        let planned = plan::Input {
            lufs: measured,
            true_peak_dbtp: true_peak,
            sample_rate: probe.sample_rate,
            response: response.as_ref(),
        };
        let mut from = shares.analyze();
        loop {
            let todo: Vec<usize> = (0..self.outputs.len())
                .filter(|&i| self.outputs[i].done.is_none())
                .collect();
            if todo.is_empty() {
                break;
            }
            let to_calibrate = plan::gains(&mut self.outputs, &todo, planned);
            let (cal_end, render_end, verify_end) = shares.round(from, !to_calibrate.is_empty());
            if !to_calibrate.is_empty() {
                self.ctl.stage(Stage::Calibrate, from, cal_end);
                self.calibrate(&src, &to_calibrate, true_peak, measured)?;
            }
            self.ctl.stage(Stage::Render, cal_end, render_end);
            let rendered = self.render(&src, &todo)?;
            self.ctl.stage(Stage::Verify, render_end, verify_end);
            self.verify(&todo, rendered, &analysis)?;
            from = self.ctl.fraction();
        }
        let dynamic = plan.map(|p| self.dynamic_report(p, src.curve.as_ref()));
        self.commit(analysis, measured, dynamic)
    }

    fn dynamic_report(&self, p: DynamicPlan, curve: Option<&dynamic::GainCurve>) -> DynamicReport {
        let (lo, hi) = curve.map_or((0.0, 0.0), dynamic::GainCurve::range_db);
        let base = self.targets.target_lufs - p.lufs.unwrap_or(self.targets.target_lufs);
        DynamicReport {
            lra_target_lu: self.targets.lra_lu.unwrap_or(dynamic::LRA_MARGIN_LU),
            curve_applied: curve.is_some(),
            planned_lra_lu: p.lra_lu,
            gain_min_db: base + lo,
            gain_max_db: base + hi,
            max_gain_step_db: curve.map_or(0.0, dynamic::GainCurve::max_step_db),
            gain_curve_db: self.gain_curve.then(|| {
                let base = base as f32;
                curve.map_or_else(
                    || vec![base; p.frames],
                    |c| c.db().iter().map(|g| base + g).collect(),
                )
            }),
        }
    }

    /// Pass 1: decodes and meters the input. Where every output keeps the input's rate it
    /// also sweeps the limiter over a ladder of thresholds, so that the gain that lands on
    /// target after limiting comes without a calibration decode. Resampled outputs lose
    /// high frequencies, which K-weighting counts: they calibrate on their own rate.
    fn pass1(&mut self, headers: &Probe) -> Result<(Pass1, Option<LimiterResponse>)> {
        let mut sweep = self
            .outputs
            .iter()
            .all(|o| o.sample_rate.is_none_or(|r| r == headers.sample_rate))
            .then(|| {
                let weights = channel_weights(headers.channels as usize, headers.channel_mask);
                Sweep::new(headers.sample_rate, weights)
            });
        let t0 = Instant::now();
        // Dynamic mode plans its curve from the energy of every 100 ms.
        let keep = Keep {
            curve: false,
            subblocks: self.targets.lra_lu.is_some(),
        };
        let pass = super::analyze::measure(
            self.input,
            &self.opts.limits,
            &self.opts.decode,
            keep,
            sweep.as_mut(),
            &mut self.ctl,
        )?;
        self.timings.analyze_s = t0.elapsed().as_secs_f64();
        self.timings.input_decodes += 1;
        Ok((pass, sweep.and_then(Sweep::finish)))
    }

    /// Calibration: decodes the input into meter chains until the gains that land on
    /// target after limiting are found.
    fn calibrate(
        &mut self,
        src: &Source,
        which: &[usize],
        true_peak: Option<f64>,
        measured: f64,
    ) -> Result<()> {
        let t0 = Instant::now();
        let (input, opts) = (self.input, self.opts);
        let (ctl, timings) = (&mut self.ctl, &mut self.timings);
        calibrate(
            &mut self.outputs,
            which,
            measured,
            true_peak,
            |specs: Vec<ChainSpec>| {
                timings.input_decodes += 1;
                render::render(input, &opts.limits, &opts.decode, ctl, src, specs)
            },
        )?;
        self.timings.calibrate_s += t0.elapsed().as_secs_f64();
        Ok(())
    }

    /// Pass 2: one decode into the chain of every output in `todo`.
    fn render(&mut self, src: &Source, todo: &[usize]) -> Result<Vec<ChainOut>> {
        let specs = todo
            .iter()
            .map(|&i| {
                let o = &self.outputs[i];
                let sink = match &o.kind {
                    Kind::File { format, settings } => SinkSpec::Encode {
                        dest: o.path.clone(),
                        format: *format,
                        settings: settings.clone(),
                    },
                    Kind::Variant {
                        name,
                        bitrate,
                        ladder,
                    } => SinkSpec::Variant {
                        root: ladder.root.clone(),
                        name: name.clone(),
                        codec: ladder.codec,
                        container: ladder.container,
                        layout: ladder.layout,
                        bitrate: *bitrate,
                        segment_seconds: ladder.segment_seconds,
                        careful: o.careful,
                    },
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
            src,
            specs,
        )?;
        self.timings.render_s += t0.elapsed().as_secs_f64();
        self.timings.input_decodes += 1;
        Ok(rendered)
    }

    /// Verification: measures every rendered output as written, then accepts it or plans
    /// its redo.
    fn verify(&mut self, todo: &[usize], rendered: Vec<ChainOut>, input: &Analysis) -> Result<()> {
        let t0 = Instant::now();
        let items: Vec<ToMeasure<'_>> = todo
            .iter()
            .zip(&rendered)
            .map(|(&i, out)| {
                let o = &self.outputs[i];
                ToMeasure {
                    out,
                    dest: o.dest(),
                    root: match &o.kind {
                        Kind::Variant { ladder, .. } => Some(ladder.root.as_path()),
                        Kind::File { .. } => None,
                    },
                }
            })
            .collect();
        let measured = measure_all(
            &items,
            &self.input.name(),
            self.opts.decode.threads,
            self.opts.cancel.as_ref(),
            &mut self.ctl,
        )?;
        drop(items);
        for ((&i, out), m) in todo.iter().zip(rendered).zip(measured) {
            let o = &mut self.outputs[i];
            judge(o, out, m, self.targets, input, self.max_attempts)?;
        }
        self.timings.verify_s += t0.elapsed().as_secs_f64();
        Ok(())
    }

    /// Every output is verified: only now write the ladder's playlists and replace
    /// anything at the destinations.
    fn commit(
        mut self,
        analysis: Analysis,
        measured: f64,
        dynamic: Option<DynamicReport>,
    ) -> Result<Report> {
        // Engaged means more than a rounding error of gain reduction.
        let limiter_active = self.outputs.iter().any(|o| o.min_gain < 0.999);
        let mut reports = Vec::with_capacity(self.outputs.len());
        let mut files = Vec::with_capacity(self.outputs.len());
        let mut variants = Vec::new();
        for o in self.outputs {
            let Some((done, report)) = o.done else {
                return Err(Error::Internal {
                    file: self.input.name(),
                    detail: "an output was neither verified nor failed".into(),
                });
            };
            match done {
                Done::File(tmp) => files.push(tmp),
                Done::Variant(v) => variants.push(v),
            }
            reports.push(report);
        }
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
            crate::hls::write_playlists(l.temp.path(), l.shape.layout, &variants)?;
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
            target_lufs: self.targets.target_lufs,
            true_peak_dbtp: self.targets.ceiling_dbtp,
            mode: if dynamic.is_some() {
                Mode::Dynamic
            } else {
                Mode::Linear
            },
            gain_db: self.targets.target_lufs - measured,
            dynamic,
            limiter_active,
            outputs: reports,
            master_playlist,
            elapsed_s: self.started.elapsed().as_secs_f64(),
            timings: self.timings,
        })
    }
}
