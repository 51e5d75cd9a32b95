//! nginx's workers, read from /proc: after a reload, the old workers finish what they serve
//! and exit; when none of them is left, no request nginx sent before the reload is in flight.

use std::collections::BTreeSet;
use std::fs;

/// PIDs of the live children of `master`.
pub fn workers(master: u32) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The name is in parentheses and may hold spaces; state and ppid follow it.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let mut f = rest.split(' ');
        let state = f.next().unwrap_or("");
        if state != "Z" && f.next().and_then(|p| p.parse::<u32>().ok()) == Some(master) {
            out.insert(pid);
        }
    }
    out
}
