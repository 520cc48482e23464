//! Python mirrors of the core's result types: read-only attributes with the contract's
//! names, a readable `repr`, and `to_dict()` (the same keys as the CLI's `--json`).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;

use loudcore::JobKind;

use crate::run::py_bool;

/// `to_dict()` of every result type: serialise as the core does, then `json.loads`.
fn to_dict<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyDict>> {
    let json = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(py
        .import("json")?
        .call_method1("loads", (json,))?
        .cast_into::<PyDict>()?)
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "None".to_string(), |v| format!("{v:.2}"))
}

/// Loudness and stream facts of one input, measured on its decoded audio.
#[pyclass(module = "loudcore", name = "Analysis", frozen, get_all)]
#[derive(Clone, Serialize)]
pub(crate) struct Analysis {
    integrated_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    sample_peak_dbfs: Option<f64>,
    lra_lu: f64,
    threshold_lufs: Option<f64>,
    max_momentary_lufs: Option<f64>,
    max_short_term_lufs: Option<f64>,
    duration_s: f64,
    sample_rate: u32,
    channels: u32,
    codec: String,
    format: String,
    bit_rate: Option<u64>,
    skipped_frames: u64,
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    curve: Option<Vec<CurvePoint>>,
}

impl From<loudcore::Analysis> for Analysis {
    fn from(a: loudcore::Analysis) -> Self {
        Analysis {
            integrated_lufs: a.integrated_lufs,
            true_peak_dbtp: a.true_peak_dbtp,
            sample_peak_dbfs: a.sample_peak_dbfs,
            lra_lu: a.lra_lu,
            threshold_lufs: a.threshold_lufs,
            max_momentary_lufs: a.max_momentary_lufs,
            max_short_term_lufs: a.max_short_term_lufs,
            duration_s: a.duration_s,
            sample_rate: a.sample_rate,
            channels: a.channels,
            codec: a.codec,
            format: a.format.as_str().to_string(),
            bit_rate: a.bit_rate,
            skipped_frames: a.skipped_frames,
            warnings: a.warnings,
            curve: a
                .curve
                .map(|c| c.into_iter().map(CurvePoint::from).collect()),
        }
    }
}

#[pymethods]
impl Analysis {
    /// The analysis as a dict of plain values (the CLI's `--json` object).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self)
    }

    fn __repr__(&self) -> String {
        format!(
            "Analysis(integrated_lufs={}, true_peak_dbtp={}, lra_lu={:.2}, duration_s={:.3}, \
             sample_rate={}, channels={}, codec={:?}, format={:?})",
            opt(self.integrated_lufs),
            opt(self.true_peak_dbtp),
            self.lra_lu,
            self.duration_s,
            self.sample_rate,
            self.channels,
            self.codec,
            self.format,
        )
    }
}

/// Momentary and short-term loudness at one instant (every 100 ms, with `curve=True`).
#[pyclass(module = "loudcore", name = "CurvePoint", frozen, get_all)]
#[derive(Clone, Serialize)]
pub(crate) struct CurvePoint {
    t_s: f64,
    momentary_lufs: Option<f64>,
    short_term_lufs: Option<f64>,
}

impl From<loudcore::CurvePoint> for CurvePoint {
    fn from(p: loudcore::CurvePoint) -> Self {
        CurvePoint {
            t_s: p.t_s,
            momentary_lufs: p.momentary_lufs,
            short_term_lufs: p.short_term_lufs,
        }
    }
}

#[pymethods]
impl CurvePoint {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self)
    }

    fn __repr__(&self) -> String {
        format!(
            "CurvePoint(t_s={:.1}, momentary_lufs={}, short_term_lufs={})",
            self.t_s,
            opt(self.momentary_lufs),
            opt(self.short_term_lufs)
        )
    }
}

/// One written output, measured by decoding the file that was written.
#[pyclass(module = "loudcore", name = "OutputReport", frozen, get_all)]
#[derive(Clone, Serialize)]
pub(crate) struct OutputReport {
    path: String,
    format: String,
    sample_rate: u32,
    channels: u32,
    bit_rate: Option<u64>,
    duration_s: f64,
    integrated_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    lra_lu: f64,
    verified: bool,
    attempts: u32,
    gain_db: f64,
    variant: Option<VariantReport>,
}

/// One variant of an HLS ladder, as its master playlist entry describes it.
#[pyclass(module = "loudcore", name = "VariantReport", frozen, get_all)]
#[derive(Clone, Serialize)]
pub(crate) struct VariantReport {
    name: String,
    container: String,
    codec: String,
    codecs: String,
    nominal_bit_rate: u32,
    bandwidth: u64,
    average_bandwidth: u64,
    segments: usize,
}

impl From<loudcore::VariantReport> for VariantReport {
    fn from(v: loudcore::VariantReport) -> Self {
        VariantReport {
            name: v.name,
            container: v.container.as_str().to_string(),
            codec: v.codec.as_str().to_string(),
            codecs: v.codecs,
            nominal_bit_rate: v.nominal_bit_rate,
            bandwidth: v.bandwidth,
            average_bandwidth: v.average_bandwidth,
            segments: v.segments,
        }
    }
}

#[pymethods]
impl VariantReport {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self)
    }

    fn __repr__(&self) -> String {
        format!(
            "VariantReport(name={:?}, codecs={:?}, bandwidth={}, average_bandwidth={}, segments={})",
            self.name, self.codecs, self.bandwidth, self.average_bandwidth, self.segments
        )
    }
}

impl From<loudcore::OutputReport> for OutputReport {
    fn from(o: loudcore::OutputReport) -> Self {
        OutputReport {
            path: o.path,
            format: o.format.as_str().to_string(),
            sample_rate: o.sample_rate,
            channels: o.channels,
            bit_rate: o.bit_rate,
            duration_s: o.duration_s,
            integrated_lufs: o.integrated_lufs,
            true_peak_dbtp: o.true_peak_dbtp,
            lra_lu: o.lra_lu,
            verified: o.verified,
            attempts: o.attempts,
            gain_db: o.gain_db,
            variant: o.variant.map(VariantReport::from),
        }
    }
}

#[pymethods]
impl OutputReport {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self)
    }

    fn __repr__(&self) -> String {
        format!(
            "OutputReport(path={:?}, format={:?}, integrated_lufs={}, true_peak_dbtp={}, \
             sample_rate={}, verified={})",
            self.path,
            self.format,
            opt(self.integrated_lufs),
            opt(self.true_peak_dbtp),
            self.sample_rate,
            py_bool(self.verified),
        )
    }
}

/// Wall time per stage of a normalize job, in seconds.
#[pyclass(module = "loudcore", name = "Timings", frozen, get_all)]
#[derive(Clone, Serialize)]
pub(crate) struct Timings {
    analyze_s: f64,
    calibrate_s: f64,
    render_s: f64,
    verify_s: f64,
    input_decodes: u32,
}

impl From<loudcore::Timings> for Timings {
    fn from(t: loudcore::Timings) -> Self {
        Timings {
            analyze_s: t.analyze_s,
            calibrate_s: t.calibrate_s,
            render_s: t.render_s,
            verify_s: t.verify_s,
            input_decodes: t.input_decodes,
        }
    }
}

#[pymethods]
impl Timings {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self)
    }

    fn __repr__(&self) -> String {
        format!(
            "Timings(analyze_s={:.3}, calibrate_s={:.3}, render_s={:.3}, verify_s={:.3}, input_decodes={})",
            self.analyze_s, self.calibrate_s, self.render_s, self.verify_s, self.input_decodes
        )
    }
}

/// What dynamic mode planned (gains before the true-peak limiter: the Report's `gain_db`
/// plus the curve).
#[pyclass(module = "loudcore", name = "DynamicReport", frozen, get_all)]
#[derive(Clone, Serialize)]
pub(crate) struct DynamicReport {
    lra_target_lu: f64,
    curve_applied: bool,
    planned_lra_lu: f64,
    gain_min_db: f64,
    gain_max_db: f64,
    max_gain_step_db: f64,
    gain_curve_db: Option<Vec<f32>>,
}

impl From<loudcore::DynamicReport> for DynamicReport {
    fn from(d: loudcore::DynamicReport) -> Self {
        DynamicReport {
            lra_target_lu: d.lra_target_lu,
            curve_applied: d.curve_applied,
            planned_lra_lu: d.planned_lra_lu,
            gain_min_db: d.gain_min_db,
            gain_max_db: d.gain_max_db,
            max_gain_step_db: d.max_gain_step_db,
            gain_curve_db: d.gain_curve_db,
        }
    }
}

#[pymethods]
impl DynamicReport {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self)
    }

    fn __repr__(&self) -> String {
        format!(
            "DynamicReport(lra_target_lu={:.1}, curve_applied={}, planned_lra_lu={:.2}, \
             gain_min_db={:.2}, gain_max_db={:.2}, max_gain_step_db={:.2})",
            self.lra_target_lu,
            py_bool(self.curve_applied),
            self.planned_lra_lu,
            self.gain_min_db,
            self.gain_max_db,
            self.max_gain_step_db,
        )
    }
}

/// What a normalize job did and measured.
#[pyclass(module = "loudcore", name = "Report", frozen, get_all)]
#[derive(Clone, Serialize)]
pub(crate) struct Report {
    input: Analysis,
    target_lufs: f64,
    true_peak_dbtp: f64,
    mode: String,
    gain_db: f64,
    dynamic: Option<DynamicReport>,
    limiter_active: bool,
    outputs: Vec<OutputReport>,
    master_playlist: Option<String>,
    elapsed_s: f64,
    timings: Timings,
}

impl From<loudcore::Report> for Report {
    fn from(r: loudcore::Report) -> Self {
        Report {
            input: r.input.into(),
            target_lufs: r.target_lufs,
            true_peak_dbtp: r.true_peak_dbtp,
            mode: r.mode.as_str().to_string(),
            gain_db: r.gain_db,
            dynamic: r.dynamic.map(DynamicReport::from),
            limiter_active: r.limiter_active,
            outputs: r.outputs.into_iter().map(OutputReport::from).collect(),
            master_playlist: r.master_playlist,
            elapsed_s: r.elapsed_s,
            timings: r.timings.into(),
        }
    }
}

#[pymethods]
impl Report {
    /// The report as a dict of plain values (the CLI's `--json` object).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self)
    }

    fn __repr__(&self) -> String {
        let outputs: Vec<String> = self.outputs.iter().map(OutputReport::__repr__).collect();
        format!(
            "Report(target_lufs={:.2}, true_peak_dbtp={:.2}, mode={:?}, gain_db={:.2}, \
             limiter_active={}, input_lufs={}, outputs=[{}], elapsed_s={:.3})",
            self.target_lufs,
            self.true_peak_dbtp,
            self.mode,
            self.gain_db,
            py_bool(self.limiter_active),
            opt(self.input.integrated_lufs),
            outputs.join(", "),
            self.elapsed_s,
        )
    }
}

/// One output of `normalize_to`: a destination (format from its extension) and settings
/// that override the job's. The settings are the core's per-output options, set by name.
#[pyclass(module = "loudcore", name = "OutputSpec", frozen)]
#[derive(Clone)]
pub(crate) struct OutputSpec(loudcore::OutputSpec);

impl OutputSpec {
    pub(crate) fn to_core(&self) -> loudcore::OutputSpec {
        self.0.clone()
    }
}

#[pymethods]
impl OutputSpec {
    #[new]
    #[pyo3(signature = (path, **settings))]
    fn new(path: PathBuf, settings: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut spec = loudcore::OutputSpec::from(path);
        crate::options::apply(JobKind::Normalize, "OutputSpec", settings, |n, v| {
            spec.settings.set(n, v)
        })?;
        Ok(OutputSpec(spec))
    }

    #[getter]
    fn path(&self) -> PathBuf {
        self.0.path.clone()
    }

    #[getter]
    fn sample_rate(&self) -> Option<u32> {
        self.0.settings.sample_rate
    }

    #[getter]
    fn bitrate(&self) -> Option<u32> {
        self.0.settings.bitrate
    }

    #[getter]
    fn quality(&self) -> Option<u8> {
        self.0.settings.quality
    }

    #[getter]
    fn bits_per_sample(&self) -> Option<u16> {
        self.0.settings.bits_per_sample
    }

    fn __repr__(&self) -> String {
        let s = &self.0.settings;
        let mut out = format!("OutputSpec({:?}", self.0.path.display().to_string());
        for (k, v) in [
            ("sample_rate", s.sample_rate),
            ("bitrate", s.bitrate),
            ("quality", s.quality.map(u32::from)),
            ("bits_per_sample", s.bits_per_sample.map(u32::from)),
        ] {
            if let Some(v) = v {
                out.push_str(&format!(", {k}={v}"));
            }
        }
        out.push(')');
        out
    }
}
