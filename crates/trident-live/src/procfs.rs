//! Processes as Linux's /proc shows them: the one reader of `/proc/PID/stat` that the
//! reload wait and the test harness share, and of a process's resident memory for status.

use std::fs;

/// What `/proc/PID/stat` says of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Its PID.
    pub pid: u32,
    /// Its state letter: `R`, `S`, `Z` (a zombie), ...
    pub state: char,
    /// Its parent's PID.
    pub ppid: u32,
}

impl Stat {
    /// Parses a stat line. The command name is in parentheses and may hold spaces and `)`,
    /// so the fields are read after its last `) `.
    pub fn parse(pid: u32, line: &str) -> Option<Stat> {
        let (_, rest) = line.rsplit_once(") ")?;
        let mut fields = rest.split(' ');
        let state = fields.next()?.chars().next()?;
        let ppid = fields.next()?.parse().ok()?;
        Some(Stat { pid, state, ppid })
    }

    /// True unless it is a zombie.
    pub fn is_live(&self) -> bool {
        self.state != 'Z'
    }
}

/// One process, if it exists.
pub fn stat(pid: u32) -> Option<Stat> {
    Stat::parse(pid, &fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// A process's resident memory in bytes (`VmRSS` of `/proc/PID/status`).
pub fn rss(pid: u32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Every process that could be read.
pub fn all() -> Vec<Stat> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_with_spaces_and_parentheses() {
        let s = Stat::parse(7, "7 (nginx: worker (x) ) S 6 7 7 0 -1").unwrap();
        assert_eq!((s.state, s.ppid), ('S', 6));
        assert!(!Stat::parse(8, "8 (z) Z 1 8").unwrap().is_live());
        assert_eq!(Stat::parse(9, "garbage"), None);
        let me = stat(std::process::id()).unwrap();
        assert!(me.is_live() && me.ppid > 0);
    }
}
