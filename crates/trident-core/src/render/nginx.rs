//! `nginx.conf`: a complete nginx config (no include of distribution files) that runs as an
//! ordinary user: pid, logs and temp paths live in the spec's directories.
//!
//! Grammar: nginx directives end at `;`, blocks at `}`, `#` starts a comment, `$` starts a
//! variable in some directives. Paths are written in double quotes; validated paths hold
//! none of `"` `\` `$` `;` `#` `{` `}`.

use std::fmt::Write as _;

use super::Context;
use crate::spec::{Balance, SocketKind};

/// Debian's `/etc/nginx/uwsgi_params`, inlined so the config includes no file that may be
/// missing (`include uwsgi_params;` resolves next to the `-c` file, and without the params
/// Django gets no `REQUEST_METHOD`).
const UWSGI_PARAMS: &[(&str, &str)] = &[
    ("QUERY_STRING", "$query_string"),
    ("REQUEST_METHOD", "$request_method"),
    ("CONTENT_TYPE", "$content_type"),
    ("CONTENT_LENGTH", "$content_length"),
    ("REQUEST_URI", "$request_uri"),
    ("PATH_INFO", "$document_uri"),
    ("DOCUMENT_ROOT", "$document_root"),
    ("SERVER_PROTOCOL", "$server_protocol"),
    ("REQUEST_SCHEME", "$scheme"),
    ("HTTPS", "$https if_not_empty"),
    ("REMOTE_ADDR", "$remote_addr"),
    ("REMOTE_PORT", "$remote_port"),
    ("SERVER_PORT", "$server_port"),
    ("SERVER_NAME", "$server_name"),
    // $host, not the raw client-supplied $http_host (Debian's security workaround).
    ("HTTP_HOST", "$host"),
];

/// MIME types for static files, so the config needs no `include mime.types`.
const TYPES: &[&str] = &[
    "text/html html htm",
    "text/css css",
    "text/plain txt",
    "text/xml xml",
    "application/javascript js mjs",
    "application/json json map",
    "application/wasm wasm",
    "application/pdf pdf",
    "image/png png",
    "image/jpeg jpg jpeg",
    "image/gif gif",
    "image/webp webp",
    "image/svg+xml svg svgz",
    "image/x-icon ico",
    "font/woff woff",
    "font/woff2 woff2",
];

/// Headers a client could use to lie to the app, each replaced by nginx's own view. A
/// `uwsgi_param` named like a header's `HTTP_` variable replaces the client's header (nginx
/// then does not pass it), so the app never sees what the client sent:
/// - uWSGI's Python plugin sets `wsgi.url_scheme` from `X-Forwarded-Proto` and
///   `X-Forwarded-Ssl`: measured, a plain-HTTP request with `X-Forwarded-Proto: https` made
///   Django's `request.is_secure()` true;
/// - `X-Forwarded-For` becomes the address nginx saw, so an app that reads it gets the truth;
/// - `Proxy` is emptied: libraries read `HTTP_PROXY` as their proxy setting ("httpoxy").
const CLIENT_HEADERS: &[(&str, &str)] = &[
    ("HTTP_X_FORWARDED_PROTO", "$scheme"),
    ("HTTP_X_FORWARDED_SSL", "\"\""),
    ("HTTP_X_FORWARDED_FOR", "$remote_addr"),
    ("HTTP_PROXY", "\"\""),
];

/// Connections per worker, and twice that as the open-file limit: each proxied request holds
/// a client and an upstream connection, plus files. An unprivileged nginx may raise its soft
/// limit up to the hard one (4096 by the kernel's default, more under systemd); above the
/// hard limit nginx logs an alert and keeps the limit it has.
const WORKER_CONNECTIONS: u32 = 1024;

pub(super) fn render(ctx: &Context<'_>) -> String {
    let spec = ctx.spec;
    let d = &ctx.dirs;
    let mut out = String::with_capacity(2048 + 64 * spec.replicas as usize);
    let o = &mut out;
    ctx.header(o, "#");
    let _ = writeln!(
        o,
        "# Check: {} -t -p '{}/' -c '{}'",
        spec.nginx_bin,
        d.run,
        ctx.conf(super::NGINX_CONF)
    );
    let _ = writeln!(o, "daemon off;");
    let _ = writeln!(o, "pid \"{}/nginx.pid\";", d.run);
    let _ = writeln!(o, "error_log stderr;");
    let _ = writeln!(o, "worker_rlimit_nofile {};", 2 * WORKER_CONNECTIONS);
    let _ = writeln!(o);
    let _ = writeln!(o, "events {{");
    let _ = writeln!(o, "    worker_connections {WORKER_CONNECTIONS};");
    let _ = writeln!(o, "}}");
    let _ = writeln!(o);
    let _ = writeln!(o, "http {{");
    let _ = writeln!(o, "    access_log \"{}/nginx-access.log\";", d.log);
    for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        let _ = writeln!(o, "    {kind}_temp_path \"{}/nginx-{kind}\";", d.run);
    }
    let _ = writeln!(o, "    server_tokens off;");
    let _ = writeln!(o, "    default_type application/octet-stream;");
    if d.static_files.is_some() {
        let _ = writeln!(o, "    types {{");
        for entry in TYPES {
            let _ = writeln!(o, "        {entry};");
        }
        let _ = writeln!(o, "    }}");
    }
    let _ = writeln!(o);
    upstream(ctx, o);
    let _ = writeln!(o);
    let _ = writeln!(o, "    server {{");
    let listen = if spec.listen_address.contains(':') {
        format!("[{}]:{}", spec.listen_address, spec.listen)
    } else {
        format!("{}:{}", spec.listen_address, spec.listen)
    };
    let _ = writeln!(o, "        listen {listen};");
    let _ = writeln!(o, "        server_name {};", spec.server_name);
    if let (Some(url), Some(dir)) = (&spec.static_url, &d.static_files) {
        let _ = writeln!(o);
        let _ = writeln!(o, "        location {url} {{");
        let _ = writeln!(o, "            alias \"{dir}/\";");
        let _ = writeln!(o, "        }}");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "        location / {{");
    let _ = writeln!(o, "            uwsgi_pass {};", spec.upstream);
    for (name, value) in UWSGI_PARAMS {
        let _ = writeln!(o, "            uwsgi_param {name:<16} {value};");
    }
    let _ = writeln!(
        o,
        "            # The client's word is not taken for these (scheme, address, proxy)."
    );
    for (name, value) in CLIENT_HEADERS {
        let _ = writeln!(o, "            uwsgi_param {name:<22} {value};");
    }
    let _ = writeln!(
        o,
        "            uwsgi_connect_timeout {}s;",
        spec.connect_timeout
    );
    let _ = writeln!(o, "            uwsgi_read_timeout {}s;", spec.read_timeout);
    let next: Vec<&str> = spec.next_upstream.iter().map(|n| n.as_str()).collect();
    let _ = writeln!(o, "            uwsgi_next_upstream {};", next.join(" "));
    let _ = writeln!(o, "        }}");
    let _ = writeln!(o, "    }}");
    let _ = writeln!(o, "}}");
    out
}

fn upstream(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let _ = writeln!(o, "    upstream {} {{", spec.upstream);
    // A shared zone makes failure state, max_conns and least_conn counts common to all
    // workers. About 1 KiB per server, 64 KiB at least.
    let zone_kib = (spec.replicas as usize).max(64);
    let _ = writeln!(o, "        zone {} {zone_kib}k;", spec.upstream);
    match spec.balance {
        Balance::RoundRobin => {}
        Balance::LeastConn => {
            let _ = writeln!(o, "        least_conn;");
        }
        Balance::IpHash => {
            let _ = writeln!(o, "        ip_hash;");
        }
        Balance::RandomTwoLeastConn => {
            let _ = writeln!(o, "        random two least_conn;");
        }
    }
    let mut params = format!(
        " max_fails={} fail_timeout={}s",
        spec.max_fails, spec.fail_timeout
    );
    if spec.max_conns > 0 {
        let _ = write!(params, " max_conns={}", spec.max_conns);
    }
    params.push_str(";\n");
    // One append per piece, not a formatted line per replica. Unix endpoints are quoted:
    // a run directory may hold spaces.
    let quote = if ctx.layout.socket == SocketKind::Unix {
        "\""
    } else {
        ""
    };
    for k in 0..spec.replicas {
        o.push_str("        server ");
        o.push_str(quote);
        ctx.layout.push_endpoint(o, k);
        o.push_str(quote);
        o.push_str(&params);
    }
    let _ = writeln!(o, "    }}");
}
