//! Harness for the end-to-end suite: builds the real `trident` binary, generates a spec into
//! a fresh temporary home, boots `supervisord -n` on it, talks HTTP to nginx, and stops every
//! process it started, by PID, even when a test fails.

pub mod webdriver;

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The Debian packages the suite runs.
pub const INSTALL: &str =
    "apt-get update && apt-get install -y nginx uwsgi uwsgi-plugin-python3 supervisor python3-django";

/// Fails loudly, naming the install command, when a real program is missing.
pub fn require_tools() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let needed = [
            ("/usr/sbin/nginx", "nginx"),
            ("/usr/bin/uwsgi", "uwsgi"),
            ("/usr/lib/uwsgi/plugins/python3_plugin.so", "uwsgi-plugin-python3"),
            ("/usr/bin/supervisord", "supervisor"),
            ("/usr/bin/supervisorctl", "supervisor"),
            ("/usr/lib/python3/dist-packages/django/__init__.py", "python3-django"),
            ("/usr/bin/python3", "python3"),
        ];
        let missing: Vec<String> = needed
            .iter()
            .filter(|(path, _)| !Path::new(path).exists())
            .map(|(path, pkg)| format!("{path} (package {pkg})"))
            .collect();
        assert!(
            missing.is_empty(),
            "the end-to-end suite needs real servers; missing: {}\ninstall them with: {INSTALL}\n(or run `cargo xtask test`, which does)",
            missing.join(", ")
        );
    });
}

/// Path of the real `trident` binary, built once per test run.
pub fn trident_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "trident-cli"])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build -p trident-cli failed");
        // target/debug/deps/e2e-HASH → target/debug/trident
        let exe = std::env::current_exe().expect("test path");
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join("trident");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}

/// Runs `trident` with `args`.
pub fn trident(args: &[&str]) -> Output {
    Command::new(trident_bin())
        .args(args)
        .output()
        .expect("run trident")
}

/// The fixture Django project (`app.wsgi:application`, plus `static/`).
pub fn django_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django")
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `n` consecutive free TCP ports on 127.0.0.1, plus one more free port apart from them.
pub fn free_ports(n: u16) -> (u16, u16) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seed = std::process::id() % 1000;
    loop {
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Spread test processes over 20000..60000; each try takes a fresh block.
        let base = 20_000 + ((seed * 37 + k * 97) % 400) as u16 * 100;
        let all_free = (base..base + n + 1).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok());
        if all_free {
            return (base, base + n);
        }
    }
}

/// True when something accepts on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// One HTTP exchange.
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status, or 0 when the connection failed or timed out.
    pub status: u16,
    /// Response body.
    pub body: String,
    /// Wall time of the exchange.
    pub took: Duration,
}

impl Reply {
    /// The replica that answered (`"replica": "..."` in the fixture's JSON).
    pub fn replica(&self) -> Option<String> {
        let start = self.body.find("\"replica\": \"")? + 12;
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_string())
    }
}

/// Sends one request to 127.0.0.1:`port` on a new connection (`Connection: close`).
pub fn http(method: &str, port: u16, path: &str, request_id: &str, timeout: Duration) -> Reply {
    let start = Instant::now();
    let fail = |start: Instant| Reply {
        status: 0,
        body: String::new(),
        took: start.elapsed(),
    };
    let Ok(mut s) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout) else {
        return fail(start);
    };
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    let body = if method == "POST" { "a=1&b=2" } else { "" };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Request-Id: {request_id}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return fail(start);
    }
    let mut raw = Vec::new();
    if s.read_to_end(&mut raw).is_err() {
        let _ = s.shutdown(Shutdown::Both);
        return fail(start);
    }
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Reply {
        status,
        body,
        took: start.elapsed(),
    }
}

/// Sends `n` requests through `clients` concurrent clients; returns them in request order.
pub fn load(
    port: u16,
    n: usize,
    clients: usize,
    method: &str,
    path: &str,
    tag: &str,
    timeout: Duration,
) -> Vec<Reply> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(vec![None; n]);
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = http(method, port, path, &format!("{tag}-{i}"), timeout);
                out.lock().unwrap()[i] = Some(r);
            });
        }
    });
    out.into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every request ran"))
        .collect()
}

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
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(format!("/proc/{p}/stat")) else {
                continue;
            };
            // The command name is in parentheses and may hold spaces; ppid follows the state.
            let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
                continue;
            };
            let mut fields = rest.split(' ');
            let state = fields.next().unwrap_or("");
            if state == "Z" {
                continue;
            }
            if let Some(ppid) = fields.next().and_then(|s| s.parse().ok()) {
                parents.push((p, ppid));
            }
        }
    }
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
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')))
        .unwrap_or(false)
}

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
}

impl Deployment {
    /// Generates the three files with the real `trident` binary into `HOME/etc`, creates the
    /// directories supervisord needs and copies the fixture app into `HOME/app`.
    /// `home_name` is the last path component of the home (it may hold a space).
    pub fn new(home_name: &str, replicas: u16, args: &[&str]) -> Deployment {
        require_tools();
        let dir = tempfile::Builder::new()
            .prefix("trident-e2e-")
            .tempdir()
            .unwrap();
        let home = dir.path().join(home_name);
        let (base_port, listen) = free_ports(replicas);
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
        // The fixture app appends one line per request here (see fixtures/django/app/urls.py).
        let request_log = format!(
            "TRIDENT_TEST_LOG={}",
            home.join("log/requests.log").display()
        );
        all.extend_from_slice(&["--env", &request_log]);
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
        // nginx workers run as nobody when the suite runs as root: let them traverse.
        let _ = Command::new("chmod")
            .args(["-R", "a+rX", dir.path().to_str().unwrap()])
            .status();
        Deployment {
            _dir: dir,
            home,
            base_port,
            listen,
            replicas,
            args: args.iter().map(|s| s.to_string()).collect(),
        }
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

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// A chromedriver started by a test, with the headless Chromium it drives. Dropping it kills
/// both, by PID.
pub struct ChromeDriver {
    child: Child,
    /// Its port.
    pub port: u16,
    _profile: tempfile::TempDir,
    /// A fresh `--user-data-dir` for Chromium.
    pub profile: PathBuf,
}

impl ChromeDriver {
    /// Starts `chromedriver` on a free port and waits (bounded) until it listens.
    pub fn start() -> ChromeDriver {
        for (path, pkg) in [
            ("/usr/bin/chromium", "chromium"),
            ("/usr/bin/chromedriver", "chromium-driver"),
        ] {
            assert!(Path::new(path).exists(), "{path} is missing: install it with apt-get install -y {pkg} (or run `cargo xtask test`)");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !listening(port) {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile_dir = tempfile::tempdir().unwrap();
        let profile = profile_dir.path().to_path_buf();
        ChromeDriver {
            child,
            port,
            _profile: profile_dir,
            profile,
        }
    }

    /// W3C capabilities for headless Chromium as root on a closed network.
    pub fn capabilities(&self, width: u32, height: u32) -> String {
        format!(
            r#"{{"browserName":"chrome","goog:chromeOptions":{{"binary":"/usr/bin/chromium","args":["--headless","--no-sandbox","--disable-gpu","--disable-dev-shm-usage","--disable-quic","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync","--window-size={width},{height}","--user-data-dir={}"]}},"goog:loggingPrefs":{{"browser":"ALL"}}}}"#,
            self.profile.display()
        )
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let mut pids = descendants(self.child.id());
        pids.push(self.child.id());
        signal("KILL", &pids);
        let _ = self.child.wait();
    }
}
