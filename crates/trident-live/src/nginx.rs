//! nginx's workers, read from /proc: after a reload, the old workers finish what they serve
//! and exit; when none of them is left, no request nginx sent before the reload is in flight.

use std::collections::BTreeSet;

use crate::procfs;

/// PIDs of the live children of `master`.
pub fn workers(master: u32) -> BTreeSet<u32> {
    procfs::all()
        .into_iter()
        .filter(|s| s.is_live() && s.ppid == master)
        .map(|s| s.pid)
        .collect()
}
