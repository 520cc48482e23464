//! Gain planning and the true-peak limiter.

pub(crate) mod limiter;
pub(crate) mod plan;
pub(crate) mod sweep;

pub(crate) use limiter::{Detector, Limiter};
pub use plan::{Mode, Preset};
