//! A running stack and the two commands made of its operations: [`rollout`] and [`apply`].

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use trident_core::live::{change, nginx_with_down, replica_programs, Change};
use trident_core::plan::{self, Plan, Step};
use trident_core::{
    Generated, RenderedFile, ValidSpec, FILE_NAMES, NGINX_CONF, SUPERVISORD_CONF, UWSGI_INI,
};

use crate::atomic::write_atomic;
use crate::probe::{self, Endpoint};
use crate::supervisor::{Fault, Process, Reread, State, Supervisor};

/// How long a replica may take from `start` to answering through its socket.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this many rounds of probes warm a restarted replica's workers.
const WARM_ROUNDS: usize = 10;
/// How long nginx may take to start its new workers after a reload.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// What a command reports as it goes, for the user to watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A step starts.
    Step {
        /// The program it is about (`nginx` for nginx's reloads).
        who: String,
        /// What it does or waits for.
        what: String,
    },
    /// A step is done.
    Done {
        /// The program it is about.
        who: String,
        /// What was done.
        what: String,
        /// How long it took.
        took: Duration,
    },
    /// Something worth knowing that is no failure.
    Note(String),
}

impl Event {
    fn step(who: impl Into<String>, what: impl Into<String>) -> Event {
        Event::Step {
            who: who.into(),
            what: what.into(),
        }
    }

    fn done(who: impl Into<String>, what: impl Into<String>, took: Duration) -> Event {
        Event::Done {
            who: who.into(),
            what: what.into(),
            took,
        }
    }
}

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// The stack is not the one the spec describes, or not running: nothing was changed.
    Refused(String),
    /// A step failed; what the stack looks like now is in the message.
    Failed(String),
    /// Ctrl+C or SIGTERM: stopped at a safe point.
    Interrupted(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(m) | Failure::Failed(m) | Failure::Interrupted(m) => f.write_str(m),
        }
    }
}

/// One replica's timings in a rollout.
#[derive(Clone, Debug)]
pub struct Rolled {
    /// Program name.
    pub name: String,
    /// From the reload that took it out of rotation until nginx's old workers had finished.
    pub drain: Duration,
    /// Stop and start through supervisord.
    pub restart: Duration,
    /// From RUNNING until it answered through its own socket.
    pub ready: Duration,
}

/// A running stack described by a valid spec.
pub struct Stack<'a> {
    valid: &'a ValidSpec,
    files: &'a [RenderedFile],
    sup: Supervisor,
    conf: PathBuf,
    grace: Duration,
    interrupted: &'a AtomicBool,
    report: &'a mut dyn FnMut(Event),
}

impl<'a> Stack<'a> {
    /// The stack of `valid`, whose files are `generated`. `interrupted` is set by a signal
    /// handler; `report` receives progress.
    pub fn new(
        generated: &'a Generated,
        interrupted: &'a AtomicBool,
        report: &'a mut dyn FnMut(Event),
    ) -> Stack<'a> {
        let valid = &generated.valid;
        let layout = valid.layout();
        Stack {
            valid,
            files: &generated.files,
            sup: Supervisor::new(Path::new(&layout.supervisor_socket())),
            conf: PathBuf::from(&layout.dirs.conf),
            grace: Duration::from_secs(u64::from(valid.spec().grace)),
            interrupted,
            report,
        }
    }

    fn say(&mut self, e: Event) {
        (self.report)(e);
    }

    fn file(&self, name: &str) -> &str {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.as_str())
            .unwrap_or("")
    }

    fn nginx_program(&self) -> &str {
        &self.valid.spec().nginx_program
    }

    fn log_of(&self, program: &str) -> String {
        format!("{}/{program}.log", self.valid.layout().dirs.log)
    }

    /// supervisord's programs, or a refusal saying the stack is not running.
    fn running(&self) -> Result<Vec<Process>, Failure> {
        self.sup.processes().map_err(|e| {
            Failure::Refused(format!(
                "{e}; start it with supervisord -c {}",
                self.conf.join(SUPERVISORD_CONF).display()
            ))
        })
    }

    /// Refuses unless supervisord runs exactly `want` replicas plus nginx. Waits (at most
    /// [`READY_TIMEOUT`]) while programs are still STARTING.
    fn expect_programs(&self, want: &[String], hint: &str) -> Result<(), Failure> {
        let t = Instant::now();
        let mut running = self.running()?;
        while running.iter().any(|p| p.state == State::Starting) && t.elapsed() < READY_TIMEOUT {
            std::thread::sleep(Duration::from_millis(100));
            running = self.running()?;
        }
        let names: BTreeSet<&str> = running.iter().map(|p| p.name.as_str()).collect();
        let mut expected: BTreeSet<&str> = want.iter().map(String::as_str).collect();
        expected.insert(self.nginx_program());
        if names != expected {
            return Err(Failure::Refused(format!(
                "this stack is not the one the spec describes: supervisord runs {} but the spec has {}; {hint}",
                join(names.iter().copied()),
                join(expected.iter().copied())
            )));
        }
        match running.iter().find(|p| p.name == self.nginx_program()) {
            Some(p) if p.state == State::Running && p.pid > 0 => Ok(()),
            found => Err(Failure::Refused(format!(
                "nginx ({}) is not RUNNING ({}); start it with supervisorctl -c {} start {}",
                self.nginx_program(),
                found.map_or("absent", |p| p.state.name()),
                self.conf.join(SUPERVISORD_CONF).display(),
                self.nginx_program()
            ))),
        }
    }

    /// Writes `text` to the conf directory's `name`, atomically.
    fn write(&self, name: &str, text: &str) -> Result<(), Failure> {
        let path = self.conf.join(name);
        write_atomic(&path, text)
            .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", path.display())))
    }

    /// Writes nginx.conf with `down` out of rotation and reloads nginx: returns once nginx's
    /// old workers (which hold every request sent before) have exited, or after the grace.
    fn route(&mut self, down: &[u32]) -> Result<Duration, Failure> {
        self.write(NGINX_CONF, &nginx_with_down(self.valid, down))?;
        self.reload()
    }

    /// HUPs nginx and waits for its old workers to finish.
    fn reload(&mut self) -> Result<Duration, Failure> {
        let t = Instant::now();
        let nginx = self.nginx_program().to_string();
        let master = self
            .sup
            .process(&nginx)
            .map_err(|e| Failure::Failed(e.to_string()))?
            .map(|p| p.pid)
            .filter(|&pid| pid > 0)
            .ok_or_else(|| Failure::Failed(format!("{nginx} is not running")))?;
        let old = crate::nginx::workers(master);
        self.sup
            .signal(&nginx, "HUP")
            .map_err(|e| Failure::Failed(e.to_string()))?;
        // New workers mean the new config was read; an invalid config keeps the old ones.
        let deadline = Instant::now() + RELOAD_TIMEOUT;
        while crate::nginx::workers(master).is_subset(&old) {
            if Instant::now() > deadline {
                return Err(Failure::Failed(format!(
                    "nginx did not reload within {RELOAD_TIMEOUT:?} (its log: {})",
                    self.log_of(&nginx)
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let deadline = Instant::now() + self.grace;
        while crate::nginx::workers(master)
            .iter()
            .any(|p| old.contains(p))
        {
            if Instant::now() > deadline {
                self.say(Event::Note(format!(
                    "nginx's old workers still serve after the grace of {:?}; going on",
                    self.grace
                )));
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(t.elapsed())
    }

    /// Waits until replica `k` answers `GET /` through its own socket with a status below
    /// 500, failing when supervisord gives up on it or after [`READY_TIMEOUT`].
    fn ready(&mut self, k: u32) -> Result<Duration, Failure> {
        let t = Instant::now();
        let layout = self.valid.layout();
        let name = layout.program(k);
        let mut endpoint = String::new();
        layout.push_endpoint(&mut endpoint, k);
        let endpoint = Endpoint::parse(&endpoint);
        let host = self
            .valid
            .spec()
            .primary_server_name()
            .unwrap_or("localhost")
            .to_string();
        self.say(Event::step(
            name.clone(),
            format!("waiting until it answers through {endpoint}"),
        ));
        let mut last;
        loop {
            match probe::status(&endpoint, &host, Duration::from_secs(10)) {
                Ok(status) if status < 500 => {
                    self.warm(k, &endpoint, &host);
                    return Ok(t.elapsed());
                }
                Ok(status) => last = format!("it answered {status}"),
                Err(e) => last = e,
            }
            let state = self
                .sup
                .process(&name)
                .ok()
                .flatten()
                .map_or(State::Unknown, |p| p.state);
            if state.is_down() || t.elapsed() > READY_TIMEOUT {
                return Err(Failure::Failed(format!(
                    "{name} did not come back ({state}, {last}); see its log: {}",
                    self.log_of(&name)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Asks replica `k` until each of its workers has served a request, as its stats show:
    /// a worker's first request pays the app's lazy start-up (measured with the fixture
    /// Django app: a rollout's p99 was 34 ms against 4 ms steady, from the first request of
    /// each restarted replica's second worker; each ingredient of a rollout alone stayed
    /// under 5 ms). Probes go out `slots` at a time so the workers share them; at most
    /// [`WARM_ROUNDS`] rounds. Without readable stats (a stack from before the stats
    /// socket), nothing more is asked.
    fn warm(&self, k: u32, endpoint: &Endpoint, host: &str) {
        let socket = self.valid.layout().stats_socket(k);
        for _ in 0..WARM_ROUNDS {
            let Ok(stats) = crate::status::stats_of(&socket) else {
                return;
            };
            let cold = stats.workers.iter().filter(|w| w.requests == 0).count();
            if cold == 0 {
                return;
            }
            let slots = stats
                .workers
                .iter()
                .map(|w| w.cores.len().max(1))
                .sum::<usize>();
            std::thread::scope(|s| {
                for _ in 0..slots {
                    s.spawn(|| probe::status(endpoint, host, Duration::from_secs(10)));
                }
            });
        }
    }

    /// After Ctrl+C or SIGTERM: every replica back in rotation, then stop.
    fn stop_if_interrupted(&mut self, what: &str) -> Result<(), Failure> {
        if !self.interrupted.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.route(&[])?;
        Err(Failure::Interrupted(format!(
            "interrupted {what}; every replica is back in rotation. Run the same command again to finish."
        )))
    }

    /// Takes replica `k` out of rotation, restarts it, waits until it answers, and leaves it
    /// out (the caller puts it back, together with the next step's reload).
    fn roll(
        &mut self,
        k: u32,
        restart: &mut dyn FnMut(&Supervisor, &str) -> Result<(), crate::supervisor::Error>,
    ) -> Result<Rolled, Failure> {
        let name = self.valid.layout().program(k);
        self.say(Event::step(
            name.clone(),
            "out of rotation: nginx reloads, its old workers finish what they serve",
        ));
        let drain = self.route(&[k])?;
        self.say(Event::done(
            name.clone(),
            "out of rotation, nothing in flight",
            drain,
        ));
        self.say(Event::step(name.clone(), "restarting through supervisord"));
        let t = Instant::now();
        restart(&self.sup, &name).map_err(|e| {
            Failure::Failed(format!(
                "{name} did not restart: {e}; it stays out of nginx's rotation, every other replica serves. See its log: {}",
                self.log_of(&name)
            ))
        })?;
        let restart = t.elapsed();
        self.say(Event::done(name.clone(), "restarted", restart));
        let ready = self.ready(k).map_err(|f| match f {
            Failure::Failed(m) => Failure::Failed(format!(
                "{m}. It stays out of nginx's rotation; every other replica serves."
            )),
            other => other,
        })?;
        self.say(Event::done(
            name.clone(),
            "answers through its own socket",
            ready,
        ));
        Ok(Rolled {
            name,
            drain,
            restart,
            ready,
        })
    }
}

fn join<'s>(names: impl Iterator<Item = &'s str>) -> String {
    let v: Vec<&str> = names.collect();
    if v.is_empty() {
        "nothing".into()
    } else {
        v.join(", ")
    }
}

/// Reads the files a stack runs from its conf directory.
pub fn files_on_disk(conf: &Path) -> Result<Vec<RenderedFile>, String> {
    FILE_NAMES
        .iter()
        .map(|&name| {
            fs::read_to_string(conf.join(name))
                .map(|contents| RenderedFile {
                    host: String::new(),
                    name,
                    contents,
                })
                .map_err(|e| format!("cannot read {}: {e}", conf.join(name).display()))
        })
        .collect()
}

/// The replicas an apply still has to restart, one program name per line in
/// `run/trident-apply.pending`: an apply interrupted between two replicas leaves the rest
/// there, and the next apply restarts them even though their files on disk are already new.
struct Pending {
    path: PathBuf,
}

impl Pending {
    fn of(valid: &ValidSpec) -> Pending {
        Pending {
            path: PathBuf::from(&valid.layout().dirs.run).join("trident-apply.pending"),
        }
    }

    /// What an earlier apply left; nothing when there is no file.
    fn load(&self) -> Result<Vec<String>, Failure> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(text
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(Failure::Refused(format!(
                "cannot read {}: {e}; it lists the replicas an interrupted apply had still to restart. Fix its permissions, or remove it if every replica already runs the new files",
                self.path.display()
            ))),
        }
    }

    /// Records `left` (removes the file when nothing is left).
    fn save(&self, left: &[String]) -> Result<(), Failure> {
        let result = if left.is_empty() {
            match fs::remove_file(&self.path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        } else {
            write_atomic(&self.path, &(left.join("\n") + "\n"))
        };
        result.map_err(|e| {
            Failure::Failed(format!(
                "cannot record the replicas still to restart ({}) in {}: {e}; run the same command again once it is writable",
                left.join(", "),
                self.path.display()
            ))
        })
    }
}

/// Holds supervisord's reading of the new supervisord.conf against the plan: the same
/// programs added and removed, and none changed that the plan keeps. A disagreement means
/// the files on disk are not what the plan was made from (edited by hand, another apply).
fn check_reread(seen: &Reread, ch: &Change, nginx_program: &str) -> Result<(), String> {
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<String>>();
    let mut may_change = set(&ch.changed);
    if ch.nginx_program {
        may_change.insert(nginx_program.to_string());
    }
    let mut wrong = Vec::new();
    if set(&seen.added) != set(&ch.added) {
        wrong.push(format!(
            "it adds {} where the plan adds {}",
            join(seen.added.iter().map(String::as_str)),
            join(ch.added.iter().map(String::as_str))
        ));
    }
    if set(&seen.removed) != set(&ch.removed) {
        wrong.push(format!(
            "it removes {} where the plan removes {}",
            join(seen.removed.iter().map(String::as_str)),
            join(ch.removed.iter().map(String::as_str))
        ));
    }
    let unplanned: Vec<&str> = seen
        .changed
        .iter()
        .filter(|n| !may_change.contains(*n))
        .map(String::as_str)
        .collect();
    if !unplanned.is_empty() {
        wrong.push(format!(
            "it sees {} changed, which the plan keeps",
            join(unplanned.into_iter())
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

/// Stops `name`; one that is not running (FATAL after a failed release) counts as stopped.
fn stop(sup: &Supervisor, name: &str) -> Result<(), crate::supervisor::Error> {
    match sup.stop(name) {
        Err(e) if e.fault() == Some(Fault::NotRunning) => Ok(()),
        other => other,
    }
}

/// Starts `name` and waits until RUNNING; one that autostart already started counts.
fn start(sup: &Supervisor, name: &str) -> Result<(), crate::supervisor::Error> {
    match sup.start(name) {
        Err(e) if e.fault() == Some(Fault::AlreadyStarted) => Ok(()),
        other => other,
    }
}

fn stop_start(sup: &Supervisor, name: &str) -> Result<(), crate::supervisor::Error> {
    stop(sup, name)?;
    start(sup, name)
}

/// Adds a program's group (new in the config, or changed and removed) and starts it.
fn add_start(sup: &Supervisor, name: &str) -> Result<(), crate::supervisor::Error> {
    sup.add(name)?;
    start(sup, name)
}

/// Restarts every replica in turn with nothing lost: each one out of nginx's rotation, its
/// requests finished (at most the grace), restarted, asked through its own socket, put back.
/// The files on disk must be the spec's (nginx.conf may carry the marks of an interrupted
/// run); they are again when it returns, unless a replica failed, which then stays out.
pub fn rollout(stack: &mut Stack<'_>) -> Result<Vec<Rolled>, Failure> {
    let conf = stack.conf.clone();
    let on_disk = files_on_disk(&conf).map_err(Failure::Refused)?;
    let ch = change(&on_disk, stack.files, stack.valid);
    if !ch.is_empty() {
        return Err(Failure::Refused(format!(
            "the files in {} are not this spec's; for a spec change run trident apply with the same options",
            conf.display()
        )));
    }
    let plan = plan::rollout(stack.valid).map_err(Failure::Refused)?;
    stack.expect_programs(
        &replica_programs(stack.valid),
        "run trident apply with the options the stack was generated with, or check --home",
    )?;
    run(stack, &plan, None)
}

/// What [`apply`] did.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// The difference it applied.
    pub change: Change,
    /// Replicas it restarted.
    pub rolled: Vec<Rolled>,
}

/// What an apply's steps need besides the stack: the files it replaces (put back when
/// supervisord reads the change otherwise), the change, and the record of what is left.
struct Applying {
    on_disk: Vec<RenderedFile>,
    change: Change,
    pending: Pending,
    pending_before: Vec<String>,
}

/// The change from the files a stack runs (`on_disk`) to `files`, those of `valid`, with the
/// replicas an interrupted apply left to restart counted as changed; and that record.
pub fn planned_change(
    valid: &ValidSpec,
    files: &[RenderedFile],
    on_disk: &[RenderedFile],
) -> Result<(Change, Vec<String>), Failure> {
    let mut ch = change(on_disk, files, valid);
    let pending = Pending::of(valid).load()?;
    for name in &pending {
        if ch.kept.contains(name) {
            ch.kept.retain(|n| n != name);
            ch.changed.push(name.clone());
        }
    }
    Ok((ch, pending))
}

/// Brings a running stack from the files on disk to `stack`'s spec by running the plan of
/// [`plan::apply`]: writes the new files, starts new replicas and waits until they answer
/// before nginx sends them anything, takes removed replicas out of nginx before they stop,
/// and rolls changed ones.
pub fn apply(stack: &mut Stack<'_>) -> Result<Applied, Failure> {
    let conf = stack.conf.clone();
    let on_disk = files_on_disk(&conf).map_err(Failure::Refused)?;
    let (ch, pending) = planned_change(stack.valid, stack.files, &on_disk)?;
    let plan = plan::apply(stack.valid, &ch).map_err(Failure::Refused)?;
    // The running programs must be the ones on disk.
    let on_disk_names = trident_core::live::program_names(&on_disk[0].contents);
    let running = stack.running()?;
    let names: BTreeSet<&str> = running.iter().map(|p| p.name.as_str()).collect();
    let on_disk_names: BTreeSet<&str> = on_disk_names.iter().map(String::as_str).collect();
    if names != on_disk_names {
        return Err(Failure::Refused(format!(
            "supervisord runs {running} but {conf} describes {described}; reread it first (supervisorctl -c {conf} update) or check --home",
            running = join(names.iter().copied()),
            conf = conf.join(SUPERVISORD_CONF).display(),
            described = join(on_disk_names.iter().copied())
        )));
    }
    if stack.valid.spec().replicas < 2 && !ch.changed.is_empty() {
        stack.say(Event::Note(
            "with one replica, restarting it cannot keep serving: requests wait or fail meanwhile"
                .into(),
        ));
    }
    if plan.is_empty() {
        stack.say(Event::Note(
            "the stack already runs this spec: nothing to do".into(),
        ));
        return Ok(Applied {
            change: ch,
            rolled: Vec::new(),
        });
    }
    let applying = Applying {
        on_disk,
        change: ch,
        pending: Pending::of(stack.valid),
        pending_before: pending,
    };
    // Remember what is still to restart, so an interrupted apply can finish it.
    applying.pending.save(&applying.change.changed)?;
    let rolled = run(stack, &plan, Some(&applying))?;
    Ok(Applied {
        change: applying.change,
        rolled,
    })
}

/// Runs `plan`'s steps in order, one function each; stops at the first failure.
fn run(
    stack: &mut Stack<'_>,
    plan: &Plan,
    applying: Option<&Applying>,
) -> Result<Vec<Rolled>, Failure> {
    let mut rolled = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        match step {
            Step::WriteAndReread => write_and_reread(stack, applying)?,
            Step::Start(k) => start_new(stack, *k)?,
            Step::Reload => reload_all(stack)?,
            Step::StopAndRemove(name) => stop_and_remove(stack, name)?,
            Step::Roll { replica, readd } => {
                let name = stack.valid.layout().program(*replica);
                stack.stop_if_interrupted(&format!("before {name}"))?;
                rolled.push(if *readd {
                    stack.roll(*replica, &mut readd_start)?
                } else {
                    stack.roll(*replica, &mut stop_start)?
                });
                if let Some(applying) = applying {
                    let left: Vec<String> = plan.steps[i + 1..]
                        .iter()
                        .filter_map(|s| match s {
                            Step::Roll { replica, .. } => {
                                Some(stack.valid.layout().program(*replica))
                            }
                            _ => None,
                        })
                        .collect();
                    applying.pending.save(&left)?;
                }
            }
            Step::Note(text) => stack.say(Event::Note(text.clone())),
        }
    }
    Ok(rolled)
}

/// [`Step::WriteAndReread`]: on disagreement the old files go back and the apply refuses.
fn write_and_reread(stack: &mut Stack<'_>, applying: Option<&Applying>) -> Result<(), Failure> {
    stack.write(UWSGI_INI, stack.file(UWSGI_INI))?;
    stack.write(SUPERVISORD_CONF, stack.file(SUPERVISORD_CONF))?;
    let seen = stack
        .sup
        .reread()
        .map_err(|e| Failure::Failed(e.to_string()))?;
    let Some(applying) = applying else {
        return Ok(());
    };
    if let Err(why) = check_reread(&seen, &applying.change, stack.nginx_program()) {
        for f in applying.on_disk.iter().filter(|f| f.name != NGINX_CONF) {
            stack.write(f.name, &f.contents)?;
        }
        stack
            .sup
            .reread()
            .map_err(|e| Failure::Failed(e.to_string()))?;
        applying.pending.save(&applying.pending_before)?;
        return Err(Failure::Refused(format!(
            "supervisord reads the new {} differently from Trident's plan: {why}. The old files are back and nothing restarted; check that nothing else edits {}",
            SUPERVISORD_CONF,
            stack.conf.display()
        )));
    }
    Ok(())
}

/// [`Step::Start`].
fn start_new(stack: &mut Stack<'_>, k: u32) -> Result<(), Failure> {
    let name = stack.valid.layout().program(k);
    stack.say(Event::step(
        name.clone(),
        "starting (nginx sends it nothing yet)",
    ));
    let t = Instant::now();
    add_start(&stack.sup, &name).map_err(|e| {
        Failure::Failed(format!(
            "{name} did not start: {e}; nginx sends it nothing, the other replicas serve. See its log: {}",
            stack.log_of(&name)
        ))
    })?;
    stack.say(Event::done(name.clone(), "started", t.elapsed()));
    let ready = stack.ready(k)?;
    stack.say(Event::done(name, "answers through its own socket", ready));
    Ok(())
}

/// [`Step::Reload`].
fn reload_all(stack: &mut Stack<'_>) -> Result<(), Failure> {
    stack.say(Event::step(
        "nginx",
        "reloading with every replica in rotation",
    ));
    let t = stack.route(&[])?;
    stack.say(Event::done("nginx", "every replica in rotation", t));
    Ok(())
}

/// [`Step::StopAndRemove`]: nothing is in flight any more (the old workers are gone).
fn stop_and_remove(stack: &mut Stack<'_>, name: &str) -> Result<(), Failure> {
    stack.say(Event::step(
        name.to_string(),
        "stopping (out of rotation, nothing in flight)",
    ));
    let t = Instant::now();
    stop(&stack.sup, name)
        .and_then(|()| stack.sup.remove(name))
        .map_err(|e| Failure::Failed(format!("{name} could not be removed: {e}")))?;
    stack.say(Event::done(
        name.to_string(),
        "stopped and removed",
        t.elapsed(),
    ));
    Ok(())
}

/// A changed program takes its new settings when its group is added again.
fn readd_start(sup: &Supervisor, name: &str) -> Result<(), crate::supervisor::Error> {
    stop(sup, name)?;
    sup.remove(name)?;
    add_start(sup, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn supervisords_reading_must_match_the_plan() {
        let ch = Change {
            added: names(&["p3"]),
            removed: names(&["p0"]),
            changed: names(&["p1"]),
            kept: names(&["p2"]),
            nginx_program: true,
            ..Change::default()
        };
        let seen = |a: &[&str], c: &[&str], r: &[&str]| Reread {
            added: names(a),
            changed: names(c),
            removed: names(r),
        };
        // A replica whose webapp.ini alone changed is not changed for supervisord: fine.
        assert_eq!(
            check_reread(&seen(&["p3"], &[], &["p0"]), &ch, "ngx"),
            Ok(())
        );
        assert_eq!(
            check_reread(&seen(&["p3"], &["p1", "ngx"], &["p0"]), &ch, "ngx"),
            Ok(())
        );
        let e = check_reread(&seen(&["p3"], &["p2"], &["p0"]), &ch, "ngx").unwrap_err();
        assert!(e.contains("p2 changed, which the plan keeps"), "{e}");
        let e = check_reread(&seen(&[], &[], &["p0"]), &ch, "ngx").unwrap_err();
        assert!(e.contains("adds nothing where the plan adds p3"), "{e}");
        let e = check_reread(&seen(&["p3"], &[], &[]), &ch, "ngx").unwrap_err();
        assert!(e.contains("removes") && e.contains("p0"), "{e}");
        // nginx's own section counts only when the plan changes it.
        let quiet = Change {
            nginx_program: false,
            ..ch.clone()
        };
        assert!(check_reread(&seen(&["p3"], &["ngx"], &["p0"]), &quiet, "ngx").is_err());
    }

    #[test]
    fn pending_work_round_trips_and_every_write_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = Pending {
            path: dir.path().join("trident-apply.pending"),
        };
        assert_eq!(p.load().unwrap(), Vec::<String>::new());
        p.save(&names(&["p1", "p2"])).unwrap();
        assert_eq!(p.load().unwrap(), names(&["p1", "p2"]));
        p.save(&names(&["p2"])).unwrap();
        assert_eq!(p.load().unwrap(), names(&["p2"]));
        p.save(&[]).unwrap();
        assert!(!p.path.exists());
        p.save(&[]).unwrap();
        // A run directory that is not there (or not writable) is an error, not a lost list.
        let gone = Pending {
            path: dir.path().join("missing/trident-apply.pending"),
        };
        let Err(Failure::Failed(e)) = gone.save(&names(&["p1"])) else {
            panic!("an unwritable pending file must fail");
        };
        assert!(e.contains("p1") && e.contains("missing"), "{e}");
        // Unreadable (here: a directory) refuses rather than forgetting the work.
        let dir_path = Pending {
            path: dir.path().to_path_buf(),
        };
        assert!(matches!(dir_path.load(), Err(Failure::Refused(_))));
    }
}
