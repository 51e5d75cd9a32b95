//! supervisord's control interface, over the unix socket its `[unix_http_server]` names:
//! XML-RPC encoded and decoded by `serde_xmlrpc` (entities, `nil`, base64 and faults
//! included), carried by a short HTTP/1.0 exchange on the socket.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_xmlrpc::Value;

/// supervisord's fault codes (`supervisor/xmlrpc.py`, class `Faults`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `UNKNOWN_METHOD (1)`.
    UnknownMethod,
    /// `INCORRECT_PARAMETERS (2)`.
    IncorrectParameters,
    /// `BAD_ARGUMENTS (3)`.
    BadArguments,
    /// `SIGNATURE_UNSUPPORTED (4)`.
    SignatureUnsupported,
    /// `SHUTDOWN_STATE (6): supervisord is shutting down`.
    ShutdownState,
    /// `BAD_NAME (10): no such program or group`.
    BadName,
    /// `BAD_SIGNAL (11)`.
    BadSignal,
    /// `NO_FILE (20)`.
    NoFile,
    /// `NOT_EXECUTABLE (21)`.
    NotExecutable,
    /// `FAILED (30)`.
    Failed,
    /// `ABNORMAL_TERMINATION (40)`.
    AbnormalTermination,
    /// `SPAWN_ERROR (50): the program would not start`.
    SpawnError,
    /// `ALREADY_STARTED (60)`.
    AlreadyStarted,
    /// `NOT_RUNNING (70)`.
    NotRunning,
    /// `SUCCESS (80)`.
    Success,
    /// `ALREADY_ADDED (90)`.
    AlreadyAdded,
    /// `STILL_RUNNING (91)`.
    StillRunning,
    /// `CANT_REREAD (92): the config file does not parse`.
    CantReread,
    /// A code this list does not know.
    Other(i32),
}

impl Fault {
    /// The fault of `code`.
    pub fn from_code(code: i32) -> Fault {
        match code {
            1 => Fault::UnknownMethod,
            2 => Fault::IncorrectParameters,
            3 => Fault::BadArguments,
            4 => Fault::SignatureUnsupported,
            6 => Fault::ShutdownState,
            10 => Fault::BadName,
            11 => Fault::BadSignal,
            20 => Fault::NoFile,
            21 => Fault::NotExecutable,
            30 => Fault::Failed,
            40 => Fault::AbnormalTermination,
            50 => Fault::SpawnError,
            60 => Fault::AlreadyStarted,
            70 => Fault::NotRunning,
            80 => Fault::Success,
            90 => Fault::AlreadyAdded,
            91 => Fault::StillRunning,
            92 => Fault::CantReread,
            other => Fault::Other(other),
        }
    }
}

/// A process state (`supervisor/states.py`, `ProcessStates`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Stopped, or never started.
    Stopped,
    /// Starting: not yet up for `startsecs`.
    Starting,
    /// Running.
    Running,
    /// Exited too soon; supervisord retries.
    Backoff,
    /// Being stopped.
    Stopping,
    /// Exited on its own after it was running.
    Exited,
    /// Could not be started; supervisord gave up.
    Fatal,
    /// A state this list does not know.
    Unknown,
}

impl State {
    /// The state of supervisord's numeric `state`.
    pub fn from_code(code: i64) -> State {
        match code {
            0 => State::Stopped,
            10 => State::Starting,
            20 => State::Running,
            30 => State::Backoff,
            40 => State::Stopping,
            100 => State::Exited,
            200 => State::Fatal,
            _ => State::Unknown,
        }
    }

    /// The name `supervisorctl status` shows.
    pub fn name(self) -> &'static str {
        match self {
            State::Stopped => "STOPPED",
            State::Starting => "STARTING",
            State::Running => "RUNNING",
            State::Backoff => "BACKOFF",
            State::Stopping => "STOPPING",
            State::Exited => "EXITED",
            State::Fatal => "FATAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// True when supervisord has stopped trying (or nobody asked it to run).
    pub fn is_down(self) -> bool {
        matches!(
            self,
            State::Fatal | State::Backoff | State::Exited | State::Stopped
        )
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What went wrong talking to supervisord.
#[derive(Debug)]
pub enum Error {
    /// Nothing answers on the socket: the stack is not running (or runs elsewhere).
    NotRunning(PathBuf, std::io::Error),
    /// supervisord answered a call with a fault.
    Fault {
        /// The method called.
        method: String,
        /// Which fault.
        fault: Fault,
        /// supervisord's text.
        text: String,
    },
    /// The answer was not the XML-RPC expected.
    Protocol(String),
}

impl Error {
    /// The fault, when supervisord answered with one.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            Error::Fault { fault, .. } => Some(*fault),
            _ => None,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NotRunning(sock, e) => write!(
                f,
                "no supervisord answers on {} ({e}): the stack is not running",
                sock.display()
            ),
            Error::Fault {
                method,
                fault,
                text,
            } => write!(f, "supervisord refused {method}: {text} ({fault:?})"),
            Error::Protocol(text) => write!(f, "supervisord's answer is unreadable: {text}"),
        }
    }
}

/// One program as supervisord reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    /// Program name.
    pub name: String,
    /// Its state.
    pub state: State,
    /// Its PID (0 when not running).
    pub pid: u32,
}

/// `getProcessInfo`'s struct, the members Trident reads.
#[derive(Deserialize)]
struct ProcessInfo {
    name: String,
    state: i64,
    pid: i64,
}

impl From<ProcessInfo> for Process {
    fn from(p: ProcessInfo) -> Process {
        Process {
            name: p.name,
            state: State::from_code(p.state),
            pid: u32::try_from(p.pid).unwrap_or(0),
        }
    }
}

/// `getAllProcessInfo`'s members that `trident status` reads.
#[derive(Deserialize)]
struct FullInfo {
    name: String,
    statename: String,
    pid: i64,
    #[serde(default)]
    start: i64,
    #[serde(default)]
    now: i64,
    #[serde(default)]
    exitstatus: i64,
    #[serde(default)]
    spawnerr: Option<String>,
}

impl From<FullInfo> for trident_core::status::Program {
    fn from(p: FullInfo) -> Self {
        trident_core::status::Program {
            name: p.name,
            state: p.statename,
            pid: u32::try_from(p.pid).unwrap_or(0),
            start: u64::try_from(p.start).unwrap_or(0),
            now: u64::try_from(p.now).unwrap_or(0),
            exitstatus: p.exitstatus,
            spawnerr: p.spawnerr.unwrap_or_default(),
        }
    }
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

/// The body of a call of `supervisor.METHOD` with `params`.
pub fn request(method: &str, params: Vec<Value>) -> Result<String, Error> {
    serde_xmlrpc::request_to_string(&format!("supervisor.{method}"), params)
        .map_err(|e| Error::Protocol(e.to_string()))
}

/// Decodes a response body into `T`, or the fault it carries.
pub fn response<T: DeserializeOwned>(method: &str, body: &str) -> Result<T, Error> {
    serde_xmlrpc::response_from_str::<T>(body).map_err(|e| match e {
        serde_xmlrpc::Error::Fault(f) => Error::Fault {
            method: format!("supervisor.{method}"),
            fault: Fault::from_code(f.fault_code),
            text: f.fault_string,
        },
        other => Error::Protocol(other.to_string()),
    })
}

impl Supervisor {
    /// A client for the supervisord listening on `socket`.
    pub fn new(socket: &Path) -> Supervisor {
        Supervisor {
            socket: socket.to_path_buf(),
        }
    }

    /// Calls `supervisor.METHOD` with `params` and decodes the answer as `T`.
    pub fn call<T: DeserializeOwned>(&self, method: &str, params: Vec<Value>) -> Result<T, Error> {
        let body = request(method, params)?;
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
        response(method, body)
    }

    /// Every program, in supervisord's order.
    pub fn processes(&self) -> Result<Vec<Process>, Error> {
        let all: Vec<ProcessInfo> = self.call("getAllProcessInfo", Vec::new())?;
        Ok(all.into_iter().map(Process::from).collect())
    }

    /// Every program with what `trident status` reads of it.
    pub fn programs(&self) -> Result<Vec<trident_core::status::Program>, Error> {
        let all: Vec<FullInfo> = self.call("getAllProcessInfo", Vec::new())?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// One program.
    pub fn process(&self, name: &str) -> Result<Option<Process>, Error> {
        Ok(self.processes()?.into_iter().find(|p| p.name == name))
    }

    /// Stops `name` and waits until it has stopped.
    pub fn stop(&self, name: &str) -> Result<(), Error> {
        self.call::<bool>("stopProcess", vec![name.into(), true.into()])
            .map(drop)
    }

    /// Starts `name` and waits until it is RUNNING (its `startsecs`).
    pub fn start(&self, name: &str) -> Result<(), Error> {
        self.call::<bool>("startProcess", vec![name.into(), true.into()])
            .map(drop)
    }

    /// Sends `signal` (such as `HUP`) to `name`.
    pub fn signal(&self, name: &str, signal: &str) -> Result<(), Error> {
        self.call::<bool>("signalProcess", vec![name.into(), signal.into()])
            .map(drop)
    }

    /// Rereads the config file: the group names it adds, changes and removes.
    pub fn reread(&self) -> Result<Reread, Error> {
        // `reloadConfig` answers `[[added, changed, removed]]`.
        let lists: Vec<(Vec<String>, Vec<String>, Vec<String>)> =
            self.call("reloadConfig", Vec::new())?;
        let (added, changed, removed) = lists.into_iter().next().unwrap_or_default();
        Ok(Reread {
            added,
            changed,
            removed,
        })
    }

    /// Adds (and, with autostart, starts) the group of a program new in the config.
    pub fn add(&self, name: &str) -> Result<(), Error> {
        self.call::<bool>("addProcessGroup", vec![name.into()])
            .map(drop)
    }

    /// Removes the group of a stopped program.
    pub fn remove(&self, name: &str) -> Result<(), Error> {
        self.call::<bool>("removeProcessGroup", vec![name.into()])
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_supervisor_answers() {
        // As supervisord 4.2.5 writes getAllProcessInfo (abridged), with an entity and nil.
        let body = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n<member>\n<name>name</name>\n<value><string>p0</string></value>\n</member>\n<member>\n<name>group</name>\n<value><string>p0</string></value>\n</member>\n<member>\n<name>description</name>\n<value><string>pid 42, uptime 0:00:03 &amp; more</string></value>\n</member>\n<member>\n<name>state</name>\n<value><int>20</int></value>\n</member>\n<member>\n<name>pid</name>\n<value><int>42</int></value>\n</member>\n<member>\n<name>spawnerr</name>\n<value><nil/></value>\n</member>\n</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
        let full: Vec<FullInfo> = response("getAllProcessInfo", &body.replace("<name>state</name>", "<name>statename</name>\n<value><string>RUNNING</string></value>\n</member>\n<member>\n<name>state</name>")).unwrap();
        let status = trident_core::status::Program::from(full.into_iter().next().unwrap());
        assert_eq!(
            (status.state.as_str(), status.pid, status.spawnerr.as_str()),
            ("RUNNING", 42, "")
        );
        let all: Vec<ProcessInfo> = response("getAllProcessInfo", body).unwrap();
        let p = Process::from(all.into_iter().next().unwrap());
        assert_eq!(
            p,
            Process {
                name: "p0".into(),
                state: State::Running,
                pid: 42
            }
        );
        let reread = "<?xml version='1.0'?><methodResponse><params><param><value><array><data><value><array><data><value><array><data><value><string>p3</string></value></data></array></value><value><array><data></data></array></value><value><array><data><value><string>p2</string></value></data></array></value></data></array></value></data></array></value></param></params></methodResponse>";
        let lists: Vec<(Vec<String>, Vec<String>, Vec<String>)> =
            response("reloadConfig", reread).unwrap();
        assert_eq!(lists[0], (vec!["p3".into()], vec![], vec!["p2".into()]));
    }

    #[test]
    fn reads_faults() {
        let body = "<?xml version='1.0'?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>70</int></value></member><member><name>faultString</name><value><string>NOT_RUNNING: p1</string></value></member></struct></value></fault></methodResponse>";
        let e = response::<bool>("stopProcess", body).unwrap_err();
        assert_eq!(e.fault(), Some(Fault::NotRunning));
        assert!(e.to_string().contains("NOT_RUNNING: p1"), "{e}");
        assert!(matches!(
            response::<bool>("x", "<html>no</html>"),
            Err(Error::Protocol(_))
        ));
    }

    #[test]
    fn writes_calls_with_escaped_text() {
        let body = request("startProcess", vec!["a<&>b".into(), true.into()]).unwrap();
        assert!(
            body.contains("<methodName>supervisor.startProcess</methodName>"),
            "{body}"
        );
        assert!(body.contains("a&lt;&amp;&gt;b"), "{body}");
        assert!(body.contains("<boolean>1</boolean>"), "{body}");
    }
}
