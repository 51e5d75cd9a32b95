//! Processes by PID: signals, descendants and liveness, read from /proc.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

/// Sends a signal with `kill(1)` to each PID.
pub fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

/// Every live descendant of `pid`, from /proc.
pub fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = trident_live::procfs::all()
        .into_iter()
        .filter(|s| s.is_live())
        .map(|s| (s.pid, s.ppid))
        .collect();
    let mut out = BTreeSet::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for &(child, parent) in &parents {
            if parent == p && out.insert(child) {
                frontier.push(child);
            }
        }
    }
    out.into_iter().collect()
}

/// True when `pid` is alive and not a zombie.
pub fn alive(pid: u32) -> bool {
    trident_live::procfs::stat(pid).is_some_and(|s| s.is_live())
}
