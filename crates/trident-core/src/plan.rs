//! The deploy plan: what `trident rollout` and `trident apply` do to a running stack, as a
//! list of typed steps decided without I/O. `--dry-run` prints it; `trident-live` runs it one
//! step at a time; tests assert it.

use std::fmt;

use crate::live::Change;
use crate::validate::ValidSpec;

/// One step of a deploy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Write `webapp.ini` and `supervisord.conf`; supervisord rereads them (nothing restarts)
    /// and must read the change as the plan does, or the old files go back.
    WriteAndReread,
    /// Add replica K's program and start it; wait until it answers through its own socket.
    /// nginx sends it nothing yet.
    Start(u32),
    /// Write nginx.conf with every replica in rotation and reload nginx; wait until its old
    /// workers, which hold every request sent before, have finished (at most the grace).
    Reload,
    /// Stop a program that is out of rotation since the last reload, and remove it.
    StopAndRemove(String),
    /// Replica K out of rotation (a reload with it `down`), its requests finished, restarted
    /// (with `readd`, removed and added again, so supervisord takes its new settings), and
    /// asked through its own socket. It stays out until the next step's reload.
    Roll {
        /// The replica.
        replica: u32,
        /// Remove and add its program again instead of stop and start.
        readd: bool,
    },
    /// Something the plan cannot do and the user should know.
    Note(String),
}

/// A deploy: its steps in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The steps, run in this order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The replicas the plan restarts, in order.
    pub fn rolls(&self) -> impl Iterator<Item = u32> + '_ {
        self.steps.iter().filter_map(|s| match s {
            Step::Roll { replica, .. } => Some(*replica),
            _ => None,
        })
    }

    /// The plan's steps as lines for a person, one per step.
    pub fn describe<'a>(&'a self, valid: &'a ValidSpec) -> impl Iterator<Item = String> + 'a {
        self.steps.iter().map(move |s| Shown(s, valid).to_string())
    }
}

/// Restarts every replica in turn, then puts every one back in rotation. Refused with one
/// replica: a restart cannot keep serving.
pub fn rollout(valid: &ValidSpec) -> Result<Plan, String> {
    let replicas = valid.spec().replicas;
    if replicas < 2 {
        return Err("with one replica a restart cannot keep serving; first run trident apply --replicas 2 (and the same options)".into());
    }
    let mut steps: Vec<Step> = (0..replicas)
        .map(|replica| Step::Roll {
            replica,
            readd: false,
        })
        .collect();
    steps.push(Step::Reload);
    Ok(Plan { steps })
}

/// Brings a stack from its files to `valid`'s, given how they differ: the new files, new
/// replicas started and answering before nginx knows them, one reload that takes removed
/// replicas out and adds new ones, removed ones stopped once nothing is in flight, changed
/// ones rolled one at a time. Refused when supervisord's own settings change (a running
/// supervisord cannot take them).
pub fn apply(valid: &ValidSpec, change: &Change) -> Result<Plan, String> {
    if change.control {
        return Err(format!(
            "supervisord's own settings (socket, logs, pid file) change: a running supervisord cannot take them. Stop the stack (supervisorctl -c {} shutdown), write the files with trident generate --out, and start it again",
            valid.layout().conf(crate::files::SUPERVISORD_CONF)
        ));
    }
    let mut steps = Vec::new();
    if change.is_empty() {
        return Ok(Plan { steps });
    }
    let layout = valid.layout();
    steps.push(Step::WriteAndReread);
    steps.extend(
        change
            .added
            .iter()
            .filter_map(|name| layout.replica_of_program(name))
            .map(Step::Start),
    );
    steps.push(Step::Reload);
    steps.extend(change.removed.iter().cloned().map(Step::StopAndRemove));
    let rolls: Vec<Step> = change
        .changed
        .iter()
        .filter_map(|name| layout.replica_of_program(name))
        .map(|replica| Step::Roll {
            replica,
            readd: true,
        })
        .collect();
    if !rolls.is_empty() {
        steps.extend(rolls);
        steps.push(Step::Reload);
    }
    if change.nginx_program {
        steps.push(Step::Note(format!(
            "nginx's program settings in supervisord.conf changed; they apply at its next start (a restart of {} drops connections; nginx's own config is already live)",
            valid.spec().nginx_program
        )));
    }
    Ok(Plan { steps })
}

/// A step with the spec it is for, printable.
struct Shown<'a>(&'a Step, &'a ValidSpec);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layout = self.1.layout();
        match self.0 {
            Step::WriteAndReread => write!(
                f,
                "write webapp.ini and supervisord.conf in {}, supervisord rereads it",
                layout.dirs.conf
            ),
            Step::Start(k) => {
                let mut endpoint = String::new();
                layout.push_endpoint(&mut endpoint, *k);
                write!(
                    f,
                    "{}: start, wait until it answers through {endpoint} (nginx sends it nothing yet)",
                    layout.program(*k)
                )
            }
            Step::Reload => f.write_str("nginx: new nginx.conf, every replica in rotation, reload"),
            Step::StopAndRemove(name) => write!(
                f,
                "{name}: out of rotation since that reload; stop once nginx's old workers finish, remove"
            ),
            Step::Roll { replica, .. } => {
                let mut endpoint = String::new();
                layout.push_endpoint(&mut endpoint, *replica);
                write!(
                    f,
                    "{}: out of nginx's rotation (reload), its requests finish (at most {} s), restart, wait until it answers through {endpoint}",
                    layout.program(*replica),
                    self.1.spec().grace
                )
            }
            Step::Note(text) => write!(f, "note: {text}"),
        }
    }
}
