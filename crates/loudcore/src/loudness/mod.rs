//! Loudness measurement: K-weighting, gating, true peak, and the meter that ties them.

pub(crate) mod gating;
pub(crate) mod kweight;
pub(crate) mod meter;
pub(crate) mod true_peak;

pub use meter::CurvePoint;
pub(crate) use meter::{KPower, Loudness, Meter, channel_weights};
pub(crate) mod analysis;
pub use analysis::Analysis;
