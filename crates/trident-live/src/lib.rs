//! Drives a running stack to its spec without a failed request: `trident rollout` restarts
//! the replicas one at a time (each taken out of nginx's rotation first, its requests left to
//! finish, restarted, asked through its own socket, put back), and `trident apply` brings a
//! running stack to a changed spec (new replicas ready before nginx sends them anything,
//! removed ones out of nginx before they stop, changed ones rolled).
//!
//! It talks only to the stack's own supervisord (XML-RPC on the unix socket of its
//! `[unix_http_server]`), which also signals nginx, and to the replicas' sockets. What to do
//! is decided by the pure `trident_core::live`; this crate does the I/O.

pub mod atomic;
pub mod nginx;
pub mod probe;
pub mod procfs;
pub mod stack;
pub mod status;
pub mod supervisor;
