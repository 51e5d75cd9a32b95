//! `trident status`: the table (or JSON) of `trident_core::status::assess` over what
//! `trident_live::status::observe` gathered; `--watch` redraws it.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use trident_core::status::{assess, Health, Report, Row};
use trident_core::ValidSpec;

use super::out_err;
use crate::error::Error;

const BAD: Style = AnsiColor::Red.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default();
const DIM: Style = AnsiColor::Cyan.on_default();

/// Runs `trident status`.
pub fn run(
    valid: &ValidSpec,
    json: bool,
    watch: Option<f64>,
    blocked_after: u64,
) -> Result<ExitCode, Error> {
    let Some(every) = watch else {
        let (text, code) = once(valid, json, blocked_after)?;
        let mut out = anstream::stdout().lock();
        out.write_all(text.as_bytes()).map_err(out_err)?;
        return Ok(code);
    };
    if !(every.is_finite() && (0.1..=3600.0).contains(&every)) {
        return Err(Error::Usage(format!(
            "--watch {every}: give seconds between 0.1 and 3600"
        )));
    }
    let tty = std::io::stdout().is_terminal();
    loop {
        // A stack that stops while watched is shown as such, not the end of the watch.
        let text = match once(valid, json, blocked_after) {
            Ok((text, _)) => text,
            Err(e) => format!("{e}\n"),
        };
        let mut out = anstream::stdout().lock();
        if tty {
            // Home, the report, then clear what the last one left below it: no flicker, no
            // scrolling.
            let redrawn = text.replace('\n', "\x1b[K\n");
            write!(out, "\x1b[H{redrawn}\x1b[J").map_err(out_err)?;
        } else {
            out.write_all(text.as_bytes()).map_err(out_err)?;
            if !json {
                writeln!(out).map_err(out_err)?;
            }
        }
        out.flush().map_err(out_err)?;
        drop(out);
        std::thread::sleep(Duration::from_secs_f64(every));
    }
}

/// One observation, as text or JSON, with its exit status.
fn once(valid: &ValidSpec, json: bool, blocked_after: u64) -> Result<(String, ExitCode), Error> {
    let seen = trident_live::status::observe(valid).map_err(|e| Error::Live(e.0, 2))?;
    let report = assess(valid, &seen, blocked_after);
    let code = if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    let text = if json {
        let mut t = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::Live(format!("cannot write JSON: {e}"), 2))?;
        t.push('\n');
        t
    } else {
        table(&report)
    };
    Ok((text, code))
}

fn word_style(h: Health) -> Style {
    match h {
        Health::Serving => GOOD,
        Health::Blocked | Health::Drained | Health::Restarting => WARN,
        Health::Failing | Health::Down => BAD,
    }
}

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}

/// `1h02m`, `3m05s`, `42s`.
fn duration(secs: u64) -> String {
    match secs {
        s if s >= 86_400 => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_048_576.0)
}

/// The columns of one row, as text.
fn cells(r: &Row) -> Vec<String> {
    let mut c = vec![r.replica.clone()];
    if let Some(h) = &r.host {
        c.push(h.clone());
    }
    c.extend([
        r.health.word().to_string(),
        or_dash(r.pid),
        r.uptime_s.map_or("-".into(), duration),
        or_dash(r.restarts),
        if r.in_rotation { "in" } else { "out" }.to_string(),
        match (r.busy, r.slots) {
            (Some(b), Some(s)) => format!("{b}/{s}"),
            _ => "-".into(),
        },
        or_dash(r.queue),
        r.longest_s.map_or("-".into(), duration),
        or_dash(r.requests),
        r.rss_bytes.map_or("-".into(), megabytes),
        r.probe.clone().unwrap_or_else(|| "-".into()),
    ]);
    c
}

/// The report as a table: a row per replica, why and what to do under each that does not
/// serve, nginx's line and the summary.
pub fn table(report: &Report) -> String {
    let hosts = report.replicas.iter().any(|r| r.host.is_some());
    let mut head = vec!["REPLICA"];
    if hosts {
        head.push("HOST");
    }
    head.extend([
        "STATE", "PID", "UP", "RESTARTS", "ROTATION", "BUSY", "QUEUE", "LONGEST", "REQUESTS",
        "MEMORY", "GET /",
    ]);
    let rows: Vec<Vec<String>> = report.replicas.iter().map(cells).collect();
    let mut widths: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let state_col = if hosts { 2 } else { 1 };
    let mut out = String::new();
    let line = |out: &mut String, cols: &[String], style: Option<Style>| {
        for (i, (c, w)) in cols.iter().zip(&widths).enumerate() {
            let pad = w - c.chars().count();
            let sep = if i + 1 == cols.len() { "" } else { "  " };
            match style.filter(|_| i == state_col) {
                Some(s) => {
                    let _ = write!(out, "{}{c}{}{:pad$}{sep}", s.render(), s.render_reset(), "");
                }
                None => {
                    let _ = write!(out, "{c}{:pad$}{sep}", "");
                }
            }
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    };
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    line(&mut out, &head, None);
    for (r, cols) in report.replicas.iter().zip(&rows) {
        line(&mut out, cols, Some(word_style(r.health)));
        if r.health != Health::Serving {
            let _ = writeln!(out, "  {}: {}", r.health.word(), r.reason);
            let _ = writeln!(
                out,
                "  {}hint{}: {}",
                DIM.render(),
                DIM.render_reset(),
                r.hint
            );
        } else if let Some(e) = &r.stats_error {
            let _ = writeln!(out, "  stats unread: {e}");
        }
    }
    let n = &report.nginx;
    let _ = write!(out, "nginx: {}", n.state);
    if let Some(pid) = n.pid {
        let _ = write!(out, ", pid {pid}");
    }
    match (&n.counters, &n.error) {
        (Some(c), _) => {
            let _ = write!(
                out,
                ", {} connection{} ({} reading, {} writing, {} idle), {} requests since start",
                c.active,
                if c.active == 1 { "" } else { "s" },
                c.reading,
                c.writing,
                c.waiting,
                c.requests
            );
        }
        (None, Some(e)) => {
            let _ = write!(out, ", counters unread: {e}");
        }
        (None, None) => {}
    }
    let _ = writeln!(out, "; log: {}", n.log);
    let style = if report.healthy() { GOOD } else { BAD };
    let _ = writeln!(
        out,
        "{}{}{}",
        style.render(),
        report.summary_line(),
        style.render_reset()
    );
    out
}
