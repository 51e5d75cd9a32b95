//! `trident rollout` and `trident apply`: progress on stderr, a summary at the end, Ctrl+C
//! stops at the next safe point. The work is `trident_live`'s.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anstream::{eprintln, println};
use anstyle::{AnsiColor, Style};
use trident_core::Generated;
use trident_live::stack::{self, Event, Failure, Stack};

use crate::error::Error;

const STEP: Style = AnsiColor::Cyan.on_default();
const DONE: Style = AnsiColor::Green.on_default();

/// Which command.
#[derive(Clone, Copy)]
pub enum Command {
    /// Restart every replica in turn.
    Rollout,
    /// Bring the stack to a changed spec.
    Apply,
}

fn secs(d: std::time::Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Runs `command` for `valid` (whose files are `generated`).
pub fn run(generated: &Generated, command: Command, dry_run: bool) -> Result<ExitCode, Error> {
    if dry_run {
        return plan(generated, command);
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // The first Ctrl+C (or SIGTERM) asks for a stop at the next safe point; a second one
        // ends the process at once.
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("stopping at the next safe point (Ctrl+C again to quit now)");
        });
    }
    let start = Instant::now();
    let mut report = |e: Event| match e {
        Event::Step { who, what } => {
            eprintln!("{}{who:>8}{} {what}", STEP.render(), STEP.render_reset())
        }
        Event::Done { who, what, took } => eprintln!(
            "{}{who:>8}{} {what} ({})",
            DONE.render(),
            DONE.render_reset(),
            secs(took)
        ),
        Event::Note(text) => eprintln!("{:>8} {text}", "note"),
    };
    let mut s = Stack::new(generated, &interrupted, &mut report);
    let result = match command {
        Command::Rollout => stack::rollout(&mut s).map(|rolled| (rolled, None)),
        Command::Apply => stack::apply(&mut s).map(|a| (a.rolled, Some(a.change))),
    };
    match result {
        Ok((rolled, change)) => {
            if let Some(c) = change {
                eprintln!(
                    "applied: {} added, {} removed, {} restarted, nginx {}",
                    c.added.len(),
                    c.removed.len(),
                    c.changed.len(),
                    if c.nginx { "reloaded" } else { "unchanged" }
                );
            }
            if !rolled.is_empty() {
                eprintln!("replica   out of rotation   restart   answers");
                for r in &rolled {
                    eprintln!(
                        "{:<9} {:>15}   {:>7}   {:>7}",
                        r.name,
                        secs(r.drain),
                        secs(r.restart),
                        secs(r.ready)
                    );
                }
            }
            eprintln!("done in {}", secs(start.elapsed()));
            Ok(ExitCode::SUCCESS)
        }
        Err(Failure::Refused(m)) => Err(Error::Live(format!("{m}\n  nothing was changed"), 1)),
        Err(Failure::Failed(m)) => Err(Error::Live(m, 1)),
        Err(Failure::Interrupted(m)) => Err(Error::Live(m, 130)),
    }
}

/// `--dry-run`: the plan the command would run, step by step, refused as it would be.
fn plan(generated: &Generated, command: Command) -> Result<ExitCode, Error> {
    let valid = &generated.valid;
    let refused = |m: String| Error::Live(format!("{m}\n  nothing was changed"), 1);
    let plan = match command {
        Command::Rollout => {
            println!("trident rollout would restart the replicas one at a time:");
            trident_core::plan::rollout(valid).map_err(refused)?
        }
        Command::Apply => {
            let conf = Path::new(&valid.layout().dirs.conf);
            let on_disk = stack::files_on_disk(conf).map_err(|m| Error::Live(m, 1))?;
            let (change, _) = stack::planned_change(valid, &generated.files, &on_disk)
                .map_err(|f| refused(f.to_string()))?;
            let plan = trident_core::plan::apply(valid, &change).map_err(refused)?;
            if plan.is_empty() {
                println!(
                    "trident apply: the files in {} are this spec's; nothing to do",
                    conf.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!("trident apply would, in this order:");
            plan
        }
    };
    for line in plan.describe(valid) {
        println!("  {line}");
    }
    Ok(ExitCode::SUCCESS)
}
