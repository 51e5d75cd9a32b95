//! Command-line types. The spec flags are not written out here: they come from the core's
//! field table, so every spec field has a flag and the names cannot drift.

use std::path::PathBuf;

use clap::{
    Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Parser, Subcommand, ValueEnum,
};
use trident_core::fields::Group;
use trident_core::{Field, Kind, FIELDS};

const EXAMPLES: &str = "\
Examples:
  trident generate                               print the three files for the seed's setup
  trident generate --replicas 8 --base-port 9000 --out /srv/webapp/etc
  trident generate --spec deploy.toml --only nginx.conf
  trident check --base-port 65534 --format json
  trident spec > deploy.toml                     start a spec file from the defaults

A blocked replica (measured with the real servers):
  - stopped or crashed: nginx retries elsewhere; no request fails.
  - slow, concurrent clients: least_conn (the default) sends new requests to the others.
  - slow, one client at a time: only --read-timeout routes around it; a GET may run twice.
  - hung (SIGSTOP, deadlock): the request already queued on it waits --read-timeout (60 s);
    then a GET is retried (it may run twice) and a POST gets 504 yet still runs. No setting
    avoids this; --max-conns, --listen-backlog with --connect-timeout, and --harakiri each
    trade something (see docs/guide.md).
  - non_idempotent in --next-upstream resends POSTs; it is never on by default.

Exit status:
  0  success (check: the spec is valid)
  1  invalid input: the spec has errors, or a file would be overwritten without --force
  2  usage or I/O error";

const LIVE: &str = "\
Both talk only to the stack's own supervisord (the unix socket in RUN_DIR) and, through it, to
nginx; run them as the user who owns the stack. They refuse, changing nothing, when the stack
is not running or is not the one the spec describes. Ctrl+C stops at the next safe point with
every replica in rotation; running the same command again finishes the job.

Exit status:
  0  done
  1  refused (nothing changed), or a replica failed (it stays out of rotation; the others serve)
  2  usage or I/O error
  130 interrupted";

const STATUS: &str = "\
Examples:
  trident status --home /srv/webapp             one row per replica, a summary line
  trident status --spec deploy.toml --json      the same as JSON (schema: docs/status.schema.json)
  trident status --watch                        redraw every 2 s until Ctrl+C

Words: serving; blocked (every worker slot busy, with requests in its queue or for
--blocked-after seconds); drained (marked down in nginx.conf: a rollout or apply at work, or stopped there);
failing (answers 5xx, or its socket refuses while supervisord runs it); restarting (STARTING,
BACKOFF); down (not running). Run it as the stack's user (or root): the stats sockets are in
RUN_DIR/status, which only that user enters.

Exit status:
  0  every replica serves
  1  degraded: some replica does not serve, or nginx does not run
  2  the stack is not running, or is not the one the spec describes";

const LINT: &str = "\
Examples:
  trident lint /srv/webapp/etc                  every file of the stack, found by content
  trident lint supervisord.conf webapp.ini nginx.conf --format json
  trident lint etc/ --allow uwsgi/no-plugin     pip's uwsgi needs no plugin
  trident lint --rules                          every rule, with why it matters

Exit status:
  0  no finding at error level (warnings may be printed)
  1  findings at error level
  2  usage error, or an input that cannot be read";

const IMPORT: &str = "\
Examples:
  trident import /srv/webapp/etc > deploy.toml && trident generate --spec deploy.toml
  trident import etc/ --diff                    what regenerating would change, file by file

Exit status:
  0  the spec was written (the report names what could not be mapped)
  1  the spec was written but needs an edit before generate takes it (each problem named)
  2  usage error, or no supervisord, uWSGI or nginx file among the inputs";

/// Trident: one deployment spec in, matching supervisord.conf, webapp.ini (uWSGI) and
/// nginx.conf out.
#[derive(Debug, Parser)]
#[command(name = "trident", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Cmd,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Validate the spec and print or write supervisord.conf, webapp.ini and nginx.conf.
    #[command(after_help = EXAMPLES)]
    Generate {
        /// Spec options.
        #[command(flatten)]
        input: Input,
        /// Write the files into DIR (created if missing): all of them or none. With hosts,
        /// one directory per host: DIR/lb/ and DIR/HOST/.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Only this file (supervisord.conf, webapp.ini or nginx.conf; with hosts also
        /// HOST/NAME, e.g. web1/webapp.ini); one file is printed without header.
        #[arg(long, value_name = "NAME")]
        only: Option<String>,
        /// Replace files in DIR whose content differs.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Validate the spec and print every diagnostic.
    #[command(after_help = EXAMPLES)]
    Check {
        /// Spec options.
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Print the effective spec (defaults, then --spec, then flags), to start a spec file from.
    Spec {
        /// Spec options.
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t = SpecFormat::Toml)]
        format: SpecFormat,
    },
    /// Restart every replica in turn on a running stack, without a failed request: each is
    /// taken out of nginx's rotation, finishes what it serves (at most --grace), restarts,
    /// answers through its own socket, and goes back. For a code deploy.
    #[command(after_help = LIVE)]
    Rollout {
        /// Spec options (the ones the stack was generated with).
        #[command(flatten)]
        input: Input,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Bring a running stack to a changed spec without a failed request: write the files,
    /// start new replicas before nginx sends them anything, take removed ones out of nginx
    /// before they stop, roll changed ones. For a spec change (replicas, settings).
    #[command(after_help = LIVE)]
    Apply {
        /// Spec options (the new spec).
        #[command(flatten)]
        input: Input,
        /// Print what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show each replica of a running stack: serving, blocked, drained, failing, restarting
    /// or down, with supervisord's, nginx's and uWSGI's numbers behind the word.
    #[command(after_help = STATUS)]
    Status {
        /// Spec options (the ones the stack was generated with).
        #[command(flatten)]
        input: Input,
        /// Print the report as JSON (versioned: its `schema` member).
        #[arg(long)]
        json: bool,
        /// Redraw every SECS seconds until Ctrl+C (in place on a terminal).
        #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "2")]
        watch: Option<f64>,
        /// Seconds every worker slot must have been busy for a replica to count as blocked.
        #[arg(long, value_name = "SECS", default_value_t = trident_core::status::BLOCKED_AFTER)]
        blocked_after: u64,
    },
    /// Check hand-written (or generated) supervisord, uWSGI and nginx files, each on its own
    /// and against each other: every finding with file:line:column, rule, hint and why.
    #[command(after_help = LINT)]
    Lint {
        /// The files, or directories searched for them by content.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Report findings at this level and above.
        #[arg(long, value_enum, default_value_t = Level::Warning)]
        severity: Level,
        /// Accept a rule's findings (repeatable), e.g. --allow uwsgi/no-plugin.
        #[arg(long, value_name = "RULE")]
        allow: Vec<String>,
        /// Where relative nginx includes resolve, as nginx's conf prefix [default: the
        /// directory of the nginx file nothing includes].
        #[arg(long, value_name = "DIR")]
        prefix: Option<PathBuf>,
        /// The stack runs on this machine: also check that its commands and the directories
        /// supervisord needs exist here.
        #[arg(long)]
        this_host: bool,
        /// Print the rule table and exit.
        #[arg(long, exclusive = true)]
        rules: bool,
    },
    /// Read hand-written files and print the Trident spec that describes the same stack,
    /// with a report (on stderr) of what was mapped and what could not be.
    #[command(after_help = IMPORT)]
    Import {
        /// The files, or directories searched for them by content.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format of the spec.
        #[arg(long, value_enum, default_value_t = SpecFormat::Toml)]
        format: SpecFormat,
        /// Show, file by file, what the regenerated files change against the input.
        #[arg(long)]
        diff: bool,
        /// Where relative nginx includes resolve (see lint).
        #[arg(long, value_name = "DIR")]
        prefix: Option<PathBuf>,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Format of `trident check`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CheckFormat {
    /// Human-readable, coloured on a terminal.
    Text,
    /// One JSON object with every diagnostic.
    Json,
}

/// The lowest severity `trident lint` reports.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Level {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warning,
}

/// Format of `trident spec`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SpecFormat {
    /// TOML, as read by --spec.
    Toml,
    /// JSON, as read by --spec.
    Json,
}

/// Where the spec comes from: a file, then flags on top.
#[derive(Debug, Clone)]
pub struct Input {
    /// `--spec FILE` (`-` for stdin).
    pub spec: Option<PathBuf>,
    /// Spec flags in field-table order, each with its raw text.
    pub flags: Vec<(&'static Field, String)>,
}

fn heading(group: Group) -> &'static str {
    match group {
        Group::Basics => "Spec",
        Group::Paths => "Spec: paths",
        Group::Uwsgi => "Spec: uWSGI",
        Group::Failover => "Spec: load balancing and failover",
        Group::Names => "Spec: names",
        Group::Edge => "Spec: public edge (HTTPS, limits, compression, proxies)",
        Group::Hosts => "Spec: app hosts behind one load balancer",
    }
}

/// A flag's help: the field's help, its choices and its default, as clap shows them. The
/// values are parsed by the core (not clap), so its aliases and messages apply, and a default
/// shown here does not override a spec file.
fn help(f: &Field, default: &[String]) -> String {
    let mut text = f.help.to_string();
    if !f.choices.is_empty() && f.kind != Kind::Switch {
        text.push_str(&format!(" [possible values: {}]", f.choices.join(", ")));
    }
    if let Some(r) = f.range {
        text.push_str(&format!(" [range: {}-{}]", r.lo, r.hi));
    }
    let default = default.join(",");
    if !default.is_empty() {
        text.push_str(&format!(" [default: {default}]"));
    }
    text
}

impl Args for Input {
    fn augment_args(cmd: Command) -> Command {
        let cmd = cmd.arg(
            Arg::new("spec")
                .long("spec")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("read the spec from a TOML or JSON file (- for stdin); flags override it"),
        );
        let defaults = trident_core::fields::default_values();
        FIELDS.iter().zip(defaults).fold(cmd, |cmd, (f, default)| {
            cmd.arg(
                Arg::new(f.name)
                    .long(f.flag())
                    .value_name(f.value_name)
                    .help(help(f, default))
                    .help_heading(heading(f.group))
                    .allow_hyphen_values(true)
                    .action(if f.repeatable() {
                        ArgAction::Append
                    } else {
                        ArgAction::Set
                    }),
            )
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for Input {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = Vec::new();
        for f in FIELDS {
            if let Some(values) = m.get_many::<String>(f.name) {
                flags.extend(values.map(|v| (f, v.clone())));
            }
        }
        Ok(Input {
            spec: m.get_one::<PathBuf>("spec").cloned(),
            flags,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}
