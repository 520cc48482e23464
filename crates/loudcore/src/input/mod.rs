//! Inputs: where bytes come from, what format they hold, and the limits they must meet.

mod limits;
mod mp4_gapless;
mod probe;
mod sniff;
mod source;

pub use limits::Limits;
pub(crate) use probe::{Opened, open, open_error};
pub use probe::{Probe, Tags, probe};
pub use sniff::Format;
pub(crate) use sniff::parse_mpeg;
pub use source::Input;
