//! A generated deployment in a fresh home, and the stack running it under `supervisord -n`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{
    alive, app_writable, copy_tree, descendants, django_fixture, free_ports, http, load,
    require_tools, signal, stack_user_flags, trident,
};

/// A generated deployment in a fresh temporary home.
pub struct Deployment {
    /// Keeps the temporary directory alive.
    _dir: tempfile::TempDir,
    /// The spec's `home`.
    pub home: PathBuf,
    /// First replica port (TCP) .
    pub base_port: u16,
    /// nginx's port.
    pub listen: u16,
    /// Number of replicas.
    pub replicas: u16,
    /// The flags it was generated with (beyond home, ports and out).
    pub args: Vec<String>,
    /// Every spec flag it was generated with (home, replicas, ports, env and `args`).
    pub spec_flags: Vec<String>,
}

/// Runs the `mkdir -p ...` line of a supervisord.conf preamble, as an admin would.
pub fn make_dirs(supervisord_conf: &str) {
    let line = supervisord_conf
        .lines()
        .find_map(|l| l.strip_prefix(";   mkdir -p "))
        .expect("the preamble names the directories to create");
    let o = Command::new("sh")
        .args(["-c", &format!("mkdir -p {line}")])
        .output()
        .unwrap();
    assert!(o.status.success(), "mkdir -p {line}: {o:?}");
}

/// Creates `dir` as the go-live step does for `run/status`: 0700, the stack user's when the
/// suite runs as root.
pub fn status_dir(dir: &Path) {
    let mut cmd = Command::new("install");
    cmd.args(["-d", "-m", "0700"]);
    if crate::account::running_as_root() {
        cmd.args(["-o", crate::STACK_USER, "-g", crate::STACK_GROUP]);
    }
    let o = cmd.arg(dir).output().unwrap();
    assert!(o.status.success(), "install -d {}: {o:?}", dir.display());
}

impl Deployment {
    /// Generates the three files with the real `trident` binary into `HOME/etc`, creates the
    /// directories supervisord needs and copies the fixture app into `HOME/app`.
    /// `home_name` is the last path component of the home (it may hold a space).
    pub fn new(home_name: &str, replicas: u16, args: &[&str]) -> Deployment {
        Deployment::with_room(home_name, replicas, replicas, args)
    }

    /// [`Deployment::new`] with free ports for `room` replicas (at least `replicas`), so the
    /// replica count can grow later.
    pub fn with_room(home_name: &str, replicas: u16, room: u16, args: &[&str]) -> Deployment {
        require_tools();
        let dir = tempfile::Builder::new()
            .prefix("trident-e2e-")
            .tempdir()
            .unwrap();
        let home = dir.path().join(home_name);
        let (base_port, listen) = free_ports(room.max(replicas));
        let (b, l, r) = (
            base_port.to_string(),
            listen.to_string(),
            replicas.to_string(),
        );
        let mut all: Vec<&str> = vec![
            "generate",
            "--home",
            home.to_str().unwrap(),
            "--replicas",
            &r,
            "--base-port",
            &b,
            "--listen",
            &l,
        ];
        all.extend_from_slice(args);
        // Started as root, a stack needs a user to run the app as (an explicit `--user ""`
        // asks for none).
        if !args.contains(&"--user") {
            all.extend_from_slice(stack_user_flags());
        }
        // The fixture app appends one line per request here (see fixtures/django/app/urls.py).
        let request_log = format!(
            "TRIDENT_TEST_LOG={}",
            home.join("log/requests.log").display()
        );
        all.extend_from_slice(&["--env", &request_log]);
        let spec_flags: Vec<String> = all[1..].iter().map(|s| s.to_string()).collect();
        let etc = home.join("etc");
        let etc_s = etc.to_str().unwrap().to_string();
        all.extend_from_slice(&["--out", &etc_s]);
        let o = trident(&all);
        assert!(
            o.status.success(),
            "trident {all:?} failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        for sub in ["run", "log"] {
            fs::create_dir_all(home.join(sub)).unwrap();
        }
        copy_tree(&django_fixture(), &home.join("app"));
        app_writable(&home.join("log/requests.log"));
        // nginx workers run as nobody when the suite runs as root: let them traverse.
        let _ = Command::new("chmod")
            .args(["-R", "a+rX", dir.path().to_str().unwrap()])
            .status();
        // Then the go-live step itself (the preamble's mkdir line): it creates run/status,
        // 0700 and the stack user's.
        make_dirs(&fs::read_to_string(etc.join("supervisord.conf")).unwrap());
        Deployment {
            _dir: dir,
            home,
            base_port,
            listen,
            replicas,
            args: args.iter().map(|s| s.to_string()).collect(),
            spec_flags,
        }
    }

    /// The spec flags with `flag` set to `value` (added when it was not given).
    pub fn flags_with(&self, flag: &str, value: &str) -> Vec<String> {
        let mut out = self.spec_flags.clone();
        match out.iter().position(|f| f == flag) {
            Some(i) => out[i + 1] = value.to_string(),
            None => out.extend([flag.to_string(), value.to_string()]),
        }
        out
    }

    /// A path under the home.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.home.join(rel)
    }

    /// Contents of a generated file.
    pub fn file(&self, name: &str) -> String {
        fs::read_to_string(self.path(&format!("etc/{name}"))).unwrap()
    }

    /// `supervisorctl -c <generated> ARGS`.
    pub fn ctl(&self, args: &[&str]) -> Output {
        Command::new("/usr/bin/supervisorctl")
            .arg("-c")
            .arg(self.path("etc/supervisord.conf"))
            .args(args)
            .output()
            .unwrap()
    }

    /// Requests the app completed: `(request id, replica, start, end)` (Unix seconds).
    pub fn completed(&self) -> Vec<(String, String, f64, f64)> {
        fs::read_to_string(self.path("log/requests.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut f = l.split(' ');
                Some((
                    f.next()?.to_string(),
                    f.next()?.to_string(),
                    f.next()?.parse().ok()?,
                    f.next()?.parse().ok()?,
                ))
            })
            .collect()
    }

    /// How many times the app completed each request whose id starts with `tag`.
    pub fn runs(&self, tag: &str) -> std::collections::BTreeMap<String, usize> {
        let mut runs = std::collections::BTreeMap::new();
        for c in self
            .completed()
            .into_iter()
            .filter(|c| c.0.starts_with(tag))
        {
            *runs.entry(c.0).or_default() += 1;
        }
        runs
    }

    /// Starts `supervisord -n` on the generated config.
    pub fn start(&self) -> Running<'_> {
        let log = fs::File::create(self.path("log/supervisord.stdout")).unwrap();
        let mut cmd = Command::new("/usr/bin/supervisord");
        cmd.arg("-n")
            .arg("-c")
            .arg(self.path("etc/supervisord.conf"));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start supervisord");
        Running {
            dep: self,
            child: Some(child),
            started: Instant::now(),
            known: BTreeSet::new(),
        }
    }
}

/// A running stack. Dropping it stops supervisord and, if anything survives, kills every
/// process it started, by PID.
pub struct Running<'a> {
    /// The deployment it runs.
    pub dep: &'a Deployment,
    child: Option<Child>,
    /// When `supervisord` was spawned.
    pub started: Instant,
    known: BTreeSet<u32>,
}

impl Running<'_> {
    /// supervisord's PID.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Remembers every current descendant, so they can be killed even if re-parented.
    pub fn track(&mut self) -> Vec<u32> {
        let d = descendants(self.pid());
        self.known.extend(d.iter().copied());
        d
    }

    /// Polls `GET /` until nginx answers 200; returns the time since supervisord started.
    pub fn wait_ready(&mut self, limit: Duration) -> Duration {
        let deadline = Instant::now() + limit;
        loop {
            let r = http("GET", self.dep.listen, "/", "ready", Duration::from_secs(2));
            if r.status == 200 {
                self.track();
                return self.started.elapsed();
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "supervisord exited with {status} before nginx answered:\n{}",
                    self.logs()
                );
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not answer 200 within {limit:?}:\n{}",
                self.logs()
            );
            self.track();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls `supervisorctl status` until all `programs` are RUNNING; returns its output.
    pub fn wait_running(&self, programs: usize, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let o = self.dep.ctl(&["status"]);
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            if text.matches("RUNNING").count() == programs {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "not all {programs} programs RUNNING within {limit:?}:\n{text}{}",
                String::from_utf8_lossy(&o.stderr)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for nginx, then sends 3 requests per replica so every replica has loaded the
    /// app and forked its workers before a test measures anything.
    pub fn warm_up(&mut self) {
        self.wait_ready(Duration::from_secs(30));
        let n = 3 * usize::from(self.dep.replicas);
        let warm = load(
            self.dep.listen,
            n,
            1,
            "GET",
            "/",
            "warm",
            Duration::from_secs(10),
        );
        assert!(
            warm.iter().all(|r| r.status == 200),
            "warm-up failed:\n{}",
            self.logs()
        );
        self.track();
    }

    /// Sends SIGSTOP to every process of `program` (master and workers); returns their PIDs
    /// for the SIGCONT. Dropping the stack resumes them too.
    pub fn freeze(&mut self, program: &str) -> Vec<u32> {
        let pids = self.program_pids(program);
        self.track();
        signal("STOP", &pids);
        pids
    }

    /// PIDs of one program: its main process and every descendant.
    pub fn program_pids(&self, program: &str) -> Vec<u32> {
        let o = self.dep.ctl(&["pid", program]);
        let pid: u32 = String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no pid for {program}: {o:?}"));
        let mut all = vec![pid];
        all.extend(descendants(pid));
        all
    }

    /// The tail of every log, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = fs::read_dir(self.dep.path("log")) {
            let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                let text = fs::read_to_string(&p).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                out.push_str(&format!("--- {}\n", p.display()));
                for l in tail.into_iter().rev() {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// Stops the stack through supervisord (SIGTERM) and waits, bounded, for it to exit.
    /// Returns how long it took, and every process that was still alive afterwards.
    pub fn shutdown(&mut self) -> (Duration, Vec<u32>) {
        self.track();
        let t = Instant::now();
        let Some(mut child) = self.child.take() else {
            return (Duration::ZERO, vec![]);
        };
        signal("TERM", &[child.id()]);
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let took = t.elapsed();
        let survivors: Vec<u32> = self
            .known
            .iter()
            .copied()
            .chain([child.id()])
            .filter(|&p| alive(p))
            .collect();
        signal("KILL", &survivors);
        let _ = child.kill();
        let _ = child.wait();
        (took, survivors)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if self.child.is_some() {
            // Resume anything a test stopped, so it can exit.
            let stopped: Vec<u32> = self
                .known
                .iter()
                .copied()
                .chain(descendants(self.pid()))
                .collect();
            signal("CONT", &stopped);
            self.shutdown();
        }
    }
}
