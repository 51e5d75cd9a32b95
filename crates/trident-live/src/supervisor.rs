//! supervisord's control interface, over the unix socket its `[unix_http_server]` names.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::xmlrpc::{self, Param, Value};

/// What went wrong talking to supervisord.
#[derive(Debug)]
pub enum Error {
    /// Nothing answers on the socket: the stack is not running (or runs elsewhere).
    NotRunning(PathBuf, std::io::Error),
    /// supervisord answered with a fault (`BAD_NAME`, `SPAWN_ERROR`, ...).
    Fault(String, i64, String),
    /// The answer was not XML-RPC.
    Protocol(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NotRunning(sock, e) => write!(
                f,
                "no supervisord answers on {} ({e}): the stack is not running",
                sock.display()
            ),
            Error::Fault(method, code, text) => {
                write!(f, "supervisord refused {method}: {text} (fault {code})")
            }
            Error::Protocol(text) => write!(f, "supervisord's answer is unreadable: {text}"),
        }
    }
}

/// One program as supervisord reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    /// Program name.
    pub name: String,
    /// `RUNNING`, `STOPPED`, `STARTING`, `BACKOFF`, `FATAL`, ...
    pub state: String,
    /// Its PID (0 when not running).
    pub pid: u32,
}

/// What a reread of supervisord's config found, by group name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reread {
    /// New groups.
    pub added: Vec<String>,
    /// Groups whose settings changed (they take them when added again).
    pub changed: Vec<String>,
    /// Groups no longer in the config.
    pub removed: Vec<String>,
}

/// A client of one supervisord.
pub struct Supervisor {
    socket: PathBuf,
}

impl Supervisor {
    /// A client for the supervisord listening on `socket`.
    pub fn new(socket: &Path) -> Supervisor {
        Supervisor {
            socket: socket.to_path_buf(),
        }
    }

    /// Calls `supervisor.METHOD` with `params`.
    pub fn call(&self, method: &str, params: &[Param<'_>]) -> Result<Value, Error> {
        let full = format!("supervisor.{method}");
        let body = xmlrpc::request(&full, params);
        let mut s = UnixStream::connect(&self.socket)
            .map_err(|e| Error::NotRunning(self.socket.clone(), e))?;
        // Start and stop calls wait for the program (startsecs, stopwaitsecs): be generous.
        let _ = s.set_read_timeout(Some(Duration::from_secs(120)));
        let head = format!(
            "POST /RPC2 HTTP/1.0\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes())
            .and_then(|()| s.write_all(body.as_bytes()))
            .map_err(|e| Error::NotRunning(self.socket.clone(), e))?;
        let mut raw = String::new();
        s.read_to_string(&mut raw)
            .map_err(|e| Error::Protocol(e.to_string()))?;
        let body = raw
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .ok_or_else(|| Error::Protocol(raw.clone()))?;
        xmlrpc::response(body).map_err(|(code, text)| {
            if code == 0 {
                Error::Protocol(text)
            } else {
                Error::Fault(full, code, text)
            }
        })
    }

    /// Every program, in supervisord's order.
    pub fn processes(&self) -> Result<Vec<Process>, Error> {
        let v = self.call("getAllProcessInfo", &[])?;
        Ok(v.as_array()
            .iter()
            .map(|p| Process {
                name: p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                state: p
                    .get("statename")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                pid: p
                    .get("pid")
                    .and_then(Value::as_int)
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
            })
            .collect())
    }

    /// One program.
    pub fn process(&self, name: &str) -> Result<Option<Process>, Error> {
        Ok(self.processes()?.into_iter().find(|p| p.name == name))
    }

    /// Stops `name` and waits until it has stopped.
    pub fn stop(&self, name: &str) -> Result<(), Error> {
        self.call("stopProcess", &[Param::Str(name), Param::Bool(true)])
            .map(drop)
    }

    /// Starts `name` and waits until it is RUNNING (its `startsecs`).
    pub fn start(&self, name: &str) -> Result<(), Error> {
        self.call("startProcess", &[Param::Str(name), Param::Bool(true)])
            .map(drop)
    }

    /// Sends `signal` (such as `HUP`) to `name`.
    pub fn signal(&self, name: &str, signal: &str) -> Result<(), Error> {
        self.call("signalProcess", &[Param::Str(name), Param::Str(signal)])
            .map(drop)
    }

    /// Rereads the config file: the group names it adds, changes and removes.
    pub fn reread(&self) -> Result<Reread, Error> {
        let v = self.call("reloadConfig", &[])?;
        let names = |v: Option<&Value>| -> Vec<String> {
            v.map(|v| {
                v.as_array()
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
        };
        let lists = v.as_array().first().map(Value::as_array).unwrap_or(&[]);
        Ok(Reread {
            added: names(lists.first()),
            changed: names(lists.get(1)),
            removed: names(lists.get(2)),
        })
    }

    /// Adds (and, with autostart, starts) the group of a program new in the config.
    pub fn add(&self, name: &str) -> Result<(), Error> {
        self.call("addProcessGroup", &[Param::Str(name)]).map(drop)
    }

    /// Removes the group of a stopped program.
    pub fn remove(&self, name: &str) -> Result<(), Error> {
        self.call("removeProcessGroup", &[Param::Str(name)])
            .map(drop)
    }
}
