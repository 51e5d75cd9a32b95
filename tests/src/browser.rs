//! chromedriver and the headless Chromium it drives.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{descendants, listening, signal};

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
