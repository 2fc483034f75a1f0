//! Ctrl-C, SIGTERM and SIGHUP (the terminal or SSH session went away), as one flag that long-running work polls: the work
//! stops at a safe point and goes through its normal cleanup (temporary
//! files removed, server-side statements cancelled) instead of dying midway.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Starts catching SIGINT, SIGTERM and SIGHUP. Call it once, at the start of a
/// command that must clean up; commands that only read need not.
pub fn install() -> std::io::Result<()> {
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(signal, Arc::clone(flag()))?;
    }
    Ok(())
}

/// Whether the operator (or the service manager) asked maint to stop.
pub fn requested() -> bool {
    flag().load(Ordering::Relaxed)
}

/// Raises the flag from within, as a deadline (`--max-duration`) does.
pub fn request() {
    flag().store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_flag_is_raised_by_a_real_signal() {
        super::install().unwrap();
        assert!(!super::requested());
        rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TERM)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(super::requested());
        // The flag is process-wide: other tests in this binary must not see it raised.
        super::flag().store(false, std::sync::atomic::Ordering::Relaxed);
    }
}
