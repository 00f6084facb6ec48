//! CPU time (getrusage) and memory (`/proc/self/status`) of this process.

use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeValLike as _;

fn cpu_of(who: UsageWho) -> Duration {
    let usage = getrusage(who).expect("getrusage cannot fail for this process or thread");
    let micros = usage.user_time().num_microseconds() + usage.system_time().num_microseconds();
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

/// User + system CPU time of the whole process so far, including threads that have exited
/// (ureq's DNS threads, for one).
pub(crate) fn process_cpu() -> Duration {
    cpu_of(UsageWho::RUSAGE_SELF)
}

/// User + system CPU time of the calling thread so far.
pub(crate) fn thread_cpu() -> Duration {
    cpu_of(UsageWho::RUSAGE_THREAD)
}

/// A `kB` field of `/proc/self/status` (`VmHWM`: peak resident set; `VmRSS`: current), in
/// bytes; 0 when it cannot be read (not Linux).
pub(crate) fn status_bytes(field: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            let kb = rest.trim().strip_suffix("kB")?.trim();
            kb.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}
