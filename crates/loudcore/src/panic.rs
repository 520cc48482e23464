//! Panics caught at thread and API boundaries are reported as errors, not re-raised: a
//! binding's host process must survive a bug in one job.

/// The text of a caught panic payload.
pub(crate) fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}
