//! Harness for the end-to-end suite: builds the real `trident` binary, generates a spec into
//! a fresh temporary home, boots `supervisord -n` on it, talks HTTP to nginx, and stops every
//! process it started, by PID, even when a test fails.

mod account;
mod browser;
mod deployment;
mod http;
pub mod netns;
mod process;
mod tools;
pub mod webdriver;

use std::path::{Path, PathBuf};

pub use account::{
    app_writable, as_user, running_as_root, stack_id, stack_user_flags, STACK_GROUP, STACK_USER,
};
pub use browser::ChromeDriver;
pub use deployment::{make_dirs, status_dir, Deployment, Running};
pub use http::{
    fast_latency, free_ports, http, http_at, http_with, listening, load, Reply, Steady,
};
pub use process::{alive, descendants, signal};
pub use tools::{copy_tree, django_fixture, require_tools, trident, trident_bin, INSTALL};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}
