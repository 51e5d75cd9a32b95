//! `trident rollout` and `trident apply`: progress on stderr, a summary at the end, Ctrl+C
//! stops at the next safe point. The work is `trident_live`'s.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anstream::{eprintln, println};
use anstyle::{AnsiColor, Style};
use trident_core::live::{change, replica_programs};
use trident_core::{Generated, ValidSpec};
use trident_live::stack::{self, Event, Failure, Stack};

use crate::app::Error;

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
pub fn run(
    (valid, generated): &(ValidSpec, Generated),
    command: Command,
    dry_run: bool,
) -> Result<ExitCode, Error> {
    if dry_run {
        return plan(valid, generated, command);
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
        Event::Step(who, what) => {
            eprintln!("{}{who:>8}{} {what}", STEP.render(), STEP.render_reset())
        }
        Event::Done(who, what, took) => eprintln!(
            "{}{who:>8}{} {what} ({})",
            DONE.render(),
            DONE.render_reset(),
            secs(took)
        ),
        Event::Note(text) => eprintln!("{:>8} {text}", "note"),
    };
    let mut s = Stack::new(valid, generated, &interrupted, &mut report);
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

/// `--dry-run`: what the command would do.
fn plan(valid: &ValidSpec, generated: &Generated, command: Command) -> Result<ExitCode, Error> {
    let layout = valid.layout();
    let grace = valid.spec().grace;
    let each = |name: &str, k: u32| {
        let mut endpoint = String::new();
        layout.push_endpoint(&mut endpoint, k);
        println!("  {name}: out of nginx's rotation (reload), its requests finish (at most {grace} s), restart, wait until it answers through {endpoint}, back in rotation");
    };
    match command {
        Command::Rollout => {
            println!("trident rollout would restart the replicas one at a time:");
            for (k, name) in replica_programs(valid).iter().enumerate() {
                each(name, k as u32);
            }
        }
        Command::Apply => {
            let conf = Path::new(&layout.dirs.conf);
            let on_disk = stack::files_on_disk(conf).map_err(|m| Error::Live(m, 1))?;
            let c = change(&on_disk, &generated.files, valid);
            if c.is_empty() {
                println!(
                    "trident apply: the files in {} are this spec's; nothing to do",
                    conf.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!("trident apply would, in this order:");
            println!(
                "  write webapp.ini and supervisord.conf in {}, supervisord rereads it",
                conf.display()
            );
            for name in &c.added {
                println!("  {name}: start, wait until it answers (nginx sends it nothing yet)");
            }
            println!("  nginx: new nginx.conf, reload");
            for name in &c.removed {
                println!("  {name}: out of rotation with that reload; stop once nginx's old workers finish");
            }
            for name in &c.changed {
                let k = layout.replica_of_program(name).unwrap_or(0);
                each(name, k);
            }
            if c.control {
                println!(
                    "  refuse: supervisord's own settings change (socket, logs); restart the stack"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
