//! Test hosts on one machine: Linux network namespaces joined by a bridge, each with its own
//! address, its own mount view of the deployment's home, and the processes it runs.
//!
//! Everything is created under unique names and removed on drop, even when a test fails:
//! processes are killed by PID (with every descendant), then the namespaces are deleted,
//! which deletes their links. Nothing is added to the machine's own network namespace: the
//! bridge lives in a namespace of its own ("hub").

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::{alive, descendants, signal};

/// What the multi-host test needs besides the servers.
pub const NETNS_NEEDS: &str = "root (CAP_NET_ADMIN and CAP_SYS_ADMIN), iproute2 (`ip netns`), nftables (`nft`) and util-linux (`mount --bind`); install with: apt-get install -y iproute2 nftables (or run `cargo xtask test`, which does)";

/// Runs `cmd`, panicking with its output (and `what` it was for) when it fails.
fn run(what: &str, cmd: &mut Command) -> Output {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}\nneeds {NETNS_NEEDS}"));
    assert!(
        o.status.success(),
        "{what}: {cmd:?} failed ({}):\n{}{}\nneeds {NETNS_NEEDS}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// One test host: a network namespace with one link to the hub's bridge.
pub struct Host {
    /// Its role (`lb`, `web1`, `client`).
    pub role: String,
    /// The namespace's name (unique to this test run).
    pub ns: String,
    /// Its address on the bridge.
    pub address: String,
    /// Name of its link's end in the hub (set down to cut the host off).
    pub hub_link: String,
}

/// A bridge in its own namespace and the hosts linked to it.
pub struct Net {
    hub: String,
    /// The hosts, in creation order.
    pub hosts: Vec<Host>,
    procs: Vec<(String, Child)>,
}

impl Net {
    /// Creates the hub and one host per `(role, address)` on `prefix_len` (addresses without
    /// the prefix). Panics, naming what is missing, when namespaces cannot be created.
    pub fn new(hosts: &[(&str, &str)], prefix_len: u8) -> Net {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let id = format!(
            "trident-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let hub = format!("{id}-hub");
        let mut net = Net {
            hub: hub.clone(),
            hosts: Vec::new(),
            procs: Vec::new(),
        };
        run(
            "create the hub namespace (the multi-host test needs root)",
            Command::new("ip").args(["netns", "add", &hub]),
        );
        run(
            "create the bridge",
            Command::new("ip").args(["-n", &hub, "link", "add", "br0", "type", "bridge"]),
        );
        run(
            "bring the bridge up",
            Command::new("ip").args(["-n", &hub, "link", "set", "br0", "up"]),
        );
        for (i, (role, address)) in hosts.iter().enumerate() {
            let ns = format!("{id}-{role}");
            // The namespace is recorded before anything can fail, so drop removes it.
            net.hosts.push(Host {
                role: role.to_string(),
                ns: ns.clone(),
                address: address.to_string(),
                hub_link: format!("v{i}"),
            });
            let host = net.hosts.last().unwrap();
            run(
                "create a host namespace",
                Command::new("ip").args(["netns", "add", &ns]),
            );
            run(
                "link the host to the hub",
                Command::new("ip").args([
                    "-n",
                    &hub,
                    "link",
                    "add",
                    &host.hub_link,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "eth0",
                    "netns",
                    &ns,
                ]),
            );
            for args in [
                vec!["-n", &hub, "link", "set", &host.hub_link, "master", "br0"],
                vec!["-n", &hub, "link", "set", &host.hub_link, "up"],
                vec!["-n", &ns, "link", "set", "lo", "up"],
                vec!["-n", &ns, "link", "set", "eth0", "up"],
            ] {
                run("set up a link", Command::new("ip").args(&args));
            }
            let cidr = format!("{address}/{prefix_len}");
            run(
                "address a host",
                Command::new("ip").args(["-n", &ns, "addr", "add", &cidr, "dev", "eth0"]),
            );
        }
        net
    }

    /// The host with `role`.
    pub fn host(&self, role: &str) -> &Host {
        self.hosts
            .iter()
            .find(|h| h.role == role)
            .unwrap_or_else(|| panic!("no host {role}"))
    }

    /// Runs `args` inside `role`'s namespace and returns its output (not checked).
    pub fn exec(&self, role: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.host(role).ns])
            .args(args)
            .output()
            .expect("run ip netns exec")
    }

    /// [`Net::exec`], panicking when the command fails.
    pub fn exec_ok(&self, role: &str, what: &str, args: &[&str]) -> Output {
        run(
            what,
            Command::new("ip")
                .args(["netns", "exec", &self.host(role).ns])
                .args(args),
        )
    }

    /// `sh -c SCRIPT` in `role`'s namespace, `root` mounted on `home` first, `args` exec'd
    /// (each quoted for the shell). `ip netns exec` enters a new mount namespace (mounts do
    /// not propagate back) and execs the shell, so the child's PID is the shell's, then the
    /// command's.
    fn mounted(&self, role: &str, root: &Path, home: &Path, args: &[&str]) -> Command {
        let quoted: Vec<String> = args
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
            .collect();
        let script = format!(
            "mount --bind '{}' '{}' && exec {}",
            root.display(),
            home.display(),
            quoted.join(" ")
        );
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &self.host(role).ns,
            "/bin/sh",
            "-c",
            &script,
        ]);
        cmd
    }

    /// Runs `args` in `role`'s namespace with `root` mounted on `home`, as
    /// [`Net::start_supervisord`] sees the host's files; returns its output, whatever its
    /// exit status.
    pub fn exec_mounted(&self, role: &str, root: &Path, home: &Path, args: &[&str]) -> Output {
        self.mounted(role, root, home, args)
            .output()
            .expect("run ip netns exec")
    }

    /// Starts `supervisord -n -c HOME/etc/supervisord.conf` in `role`'s namespace with
    /// `root` mounted on `home` in a mount namespace of its own: each host sees the same
    /// paths, as on separate machines. Output goes to `root/log/supervisord.stdout`.
    pub fn start_supervisord(&mut self, role: &str, root: &Path, home: &Path) {
        let log = fs::File::create(root.join("log/supervisord.stdout")).unwrap();
        let conf = home.join("etc/supervisord.conf");
        let child = self
            .mounted(
                role,
                root,
                home,
                &["/usr/bin/supervisord", "-n", "-c", conf.to_str().unwrap()],
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start supervisord in a namespace");
        self.procs.push((role.to_string(), child));
    }

    /// Stops `role`'s supervisord (SIGTERM, which stops its programs) and waits for every
    /// process it started to exit, at most `limit`.
    pub fn stop_supervisord(&mut self, role: &str, limit: Duration) {
        let Some(i) = self.procs.iter().position(|(r, _)| r == role) else {
            return;
        };
        let (_, mut child) = self.procs.remove(i);
        let all: Vec<u32> = std::iter::once(child.id())
            .chain(descendants(child.id()))
            .collect();
        signal("TERM", &[child.id()]);
        let deadline = Instant::now() + limit;
        while all.iter().any(|&p| alive(p)) && Instant::now() < deadline {
            let _ = child.try_wait();
            std::thread::sleep(Duration::from_millis(20));
        }
        let left: Vec<u32> = all.iter().copied().filter(|&p| alive(p)).collect();
        signal("KILL", &left);
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            left.is_empty(),
            "{role}: processes outlived supervisord: {left:?}"
        );
    }

    /// True while `role`'s supervisord runs.
    pub fn running(&mut self, role: &str) -> bool {
        self.procs
            .iter_mut()
            .find(|(r, _)| r == role)
            .is_some_and(|(_, c)| c.try_wait().ok().flatten().is_none())
    }

    /// Cuts `role` off the network: its link's end in the hub goes down, so packets to it
    /// are dropped without an answer (a pulled cable, a host that froze).
    pub fn cut(&self, role: &str) {
        let link = &self.host(role).hub_link;
        run(
            "cut a host off",
            Command::new("ip").args(["-n", &self.hub, "link", "set", link, "down"]),
        );
    }

    /// Runs `f` on a thread inside `role`'s network namespace (threads it spawns stay there).
    pub fn on<T: Send>(&self, role: &str, f: impl FnOnce() -> T + Send) -> T {
        let path = PathBuf::from("/run/netns").join(&self.host(role).ns);
        std::thread::scope(|s| {
            s.spawn(|| {
                let file = fs::File::open(&path)
                    .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
                nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap_or_else(
                    |e| panic!("setns into {}: {e}; needs {NETNS_NEEDS}", path.display()),
                );
                f()
            })
            .join()
            .expect("the thread in the namespace panicked")
        })
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for (_, child) in &mut self.procs {
            let all: Vec<u32> = std::iter::once(child.id())
                .chain(descendants(child.id()))
                .collect();
            signal("CONT", &all);
            signal("KILL", &all);
            let _ = child.kill();
            let _ = child.wait();
        }
        for h in &self.hosts {
            let _ = Command::new("ip").args(["netns", "del", &h.ns]).status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.hub])
            .status();
    }
}
