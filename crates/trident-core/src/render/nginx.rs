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

/// Headers a client could use to lie to the app, each replaced by nginx's own view: (param,
/// value without trusted proxies, value with them). A `uwsgi_param` named like a header's
/// `HTTP_` variable replaces the client's header (nginx then does not pass it), so the app
/// never sees what an untrusted client sent:
/// - uWSGI's Python plugin sets `wsgi.url_scheme` from `X-Forwarded-Proto` and
///   `X-Forwarded-Ssl`: measured, a plain-HTTP request with `X-Forwarded-Proto: https` made
///   Django's `request.is_secure()` true;
/// - `X-Forwarded-For` becomes the address nginx saw (with trusted proxies: their chain);
/// - `Proxy` is emptied: libraries read `HTTP_PROXY` as their proxy setting ("httpoxy").
const CLIENT_HEADERS: &[(&str, &str, &str)] = &[
    ("HTTP_X_FORWARDED_PROTO", "$scheme", "$trident_scheme"),
    ("HTTP_X_FORWARDED_SSL", "\"\"", "$trident_forwarded_ssl"),
    (
        "HTTP_X_FORWARDED_FOR",
        "$remote_addr",
        "$trident_forwarded_for",
    ),
    ("HTTP_PROXY", "\"\"", "\"\""),
];

/// Connections per worker, and twice that as the open-file limit: each proxied request holds
/// a client and an upstream connection, plus files. An unprivileged nginx may raise its soft
/// limit up to the hard one (4096 by the kernel's default, more under systemd); above the
/// hard limit nginx logs an alert and keeps the limit it has.
const WORKER_CONNECTIONS: u32 = 1024;

/// Mozilla's "intermediate" TLS profile (guideline 5.7). The DHE suites take effect only
/// with an `ssl_dhparam` file, which Trident does not write: clients negotiate ECDHE.
const TLS_CIPHERS: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

/// Text types nginx compresses besides text/html (which it always does).
const GZIP_TYPES: &str = "text/css text/plain text/xml text/javascript application/javascript application/json application/xml image/svg+xml";

/// The comment line above the `down` marks of replicas out of rotation, for a reader of the
/// file. Nothing reads it back: the drained set is the servers marked `down`
/// ([`crate::read::NginxConf::upstream_servers`]).
const DRAIN_NOTE: &str =
    "# Out of rotation (trident rollout/apply at work; run it again if it was interrupted):";

pub(super) fn render(ctx: &Context<'_>) -> String {
    let spec = ctx.spec;
    let mut out = String::with_capacity(4096 + 64 * spec.replicas as usize);
    let o = &mut out;
    ctx.header(o, "#");
    let _ = writeln!(
        o,
        "# Check: {} -t -p '{}/' -c '{}'",
        spec.nginx_bin,
        ctx.dirs.run,
        ctx.conf(crate::files::NGINX_CONF)
    );
    certificate_steps(ctx, o);
    if !ctx.down.is_empty() {
        o.push_str(DRAIN_NOTE);
        for &k in ctx.down {
            o.push(' ');
            ctx.layout.push_program(o, k);
        }
        o.push('\n');
    }
    main_context(ctx, o);
    let _ = writeln!(o, "http {{");
    http_settings(ctx, o);
    if !spec.trusted_proxy.is_empty() {
        trusted_proxies(ctx, o);
    }
    let _ = writeln!(o);
    upstream(ctx, o);
    plain_server(ctx, o);
    if ctx.layout.tls {
        tls_server(ctx, o);
    }
    status_server(ctx, o);
    let _ = writeln!(o, "}}");
    out
}

/// nginx's own counters for `trident status`, on a unix socket in the run directory's
/// status directory (mode 0700, the stack user's): no port, so no other user or host
/// reaches them.
fn status_server(ctx: &Context<'_>, o: &mut String) {
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "    # trident status reads nginx's counters here; only the stack's user reaches {}.",
        ctx.layout.status_dir()
    );
    let _ = writeln!(o, "    server {{");
    let _ = writeln!(
        o,
        "        listen \"unix:{}\";",
        ctx.layout.nginx_status_socket()
    );
    let _ = writeln!(o, "        access_log off;");
    let _ = writeln!(
        o,
        "        location = {} {{ stub_status; }}",
        crate::layout::NGINX_STATUS_PATH
    );
    let _ = writeln!(o, "        location / {{ return 404; }}");
    let _ = writeln!(o, "    }}");
}

/// The go-live steps for HTTPS, as comments, when the spec uses ACME or TLS.
fn certificate_steps(ctx: &Context<'_>, o: &mut String) {
    for line in crate::golive::https_steps(ctx.spec, ctx.layout) {
        let _ = writeln!(o, "# {line}");
    }
}

/// Everything outside `http {}`.
fn main_context(ctx: &Context<'_>, o: &mut String) {
    // The master keeps root (ports below 1024, the TLS key); its workers, which talk to
    // clients, run as the stack's user. nginx ignores this, with a warning, when not root.
    if let Some((user, group)) = ctx.spec.run_as() {
        let _ = writeln!(o, "user {user} {group};");
    }
    let _ = writeln!(o, "daemon off;");
    let _ = writeln!(o, "pid \"{}/nginx.pid\";", ctx.dirs.run);
    let _ = writeln!(o, "error_log stderr;");
    let _ = writeln!(o, "worker_rlimit_nofile {};", 2 * WORKER_CONNECTIONS);
    let _ = writeln!(o);
    let _ = writeln!(o, "events {{");
    let _ = writeln!(o, "    worker_connections {WORKER_CONNECTIONS};");
    let _ = writeln!(o, "}}");
    let _ = writeln!(o);
}

/// Logs, temp paths, types, request limits and compression.
fn http_settings(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let d = ctx.dirs;
    // To supervisord, which writes it to LOG_DIR/nginx-access.log and rotates it at
    // log_max_mb: a plain file here would grow until the disk is full.
    let _ = writeln!(o, "    access_log /dev/stdout;");
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
    // nginx's default is 1m: larger uploads get 413.
    let _ = writeln!(o, "    client_max_body_size {};", spec.max_body);
    // A header block nginx accepts must fit uWSGI's buffer-size, or the replica logs "invalid
    // request block size" and the client gets 502: one large buffer (one header line at most
    // that long, the whole block about that long), 4 KiB below buffer-size for the variables
    // nginx adds.
    let _ = writeln!(
        o,
        "    large_client_header_buffers 1 {}k;",
        ctx.layout.header_buffer_kib
    );
    if spec.gzip {
        let _ = writeln!(o, "    gzip on;");
        let _ = writeln!(o, "    gzip_vary on;");
        let _ = writeln!(o, "    gzip_proxied any;");
        let _ = writeln!(o, "    gzip_min_length 1024;");
        let _ = writeln!(o, "    gzip_comp_level 5;");
        let _ = writeln!(o, "    gzip_types {GZIP_TYPES};");
    }
}

/// Who may tell nginx the client's address and scheme: only the trusted proxies.
fn trusted_proxies(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "    # Only these proxies may name the client (X-Forwarded-For) and the scheme"
    );
    let _ = writeln!(
        o,
        "    # (X-Forwarded-Proto, X-Forwarded-Ssl); from anyone else both are ignored."
    );
    for cidr in &spec.trusted_proxy {
        let _ = writeln!(o, "    set_real_ip_from {cidr};");
    }
    let _ = writeln!(o, "    real_ip_header X-Forwarded-For;");
    let _ = writeln!(o, "    real_ip_recursive on;");
    let _ = writeln!(o, "    geo $realip_remote_addr $trident_trusted {{");
    let _ = writeln!(o, "        default 0;");
    for cidr in &spec.trusted_proxy {
        let _ = writeln!(o, "        {cidr} 1;");
    }
    let _ = writeln!(o, "    }}");
    let _ = writeln!(
        o,
        "    map $trident_trusted$http_x_forwarded_proto $trident_scheme {{"
    );
    let _ = writeln!(o, "        default $scheme;");
    let _ = writeln!(o, "        1https https;");
    let _ = writeln!(o, "        1http http;");
    let _ = writeln!(o, "    }}");
    let _ = writeln!(o, "    map $trident_trusted $trident_forwarded_ssl {{");
    let _ = writeln!(o, "        default \"\";");
    let _ = writeln!(o, "        1 $http_x_forwarded_ssl;");
    let _ = writeln!(o, "    }}");
    let _ = writeln!(o, "    map $trident_trusted $trident_forwarded_for {{");
    let _ = writeln!(o, "        default $remote_addr;");
    let _ = writeln!(o, "        1 $http_x_forwarded_for;");
    let _ = writeln!(o, "    }}");
}

/// `ADDRESS:PORT` as `listen` takes it (IPv6 in brackets).
fn listen_on(address: &str, port: u32) -> String {
    format!("{}:{port}", crate::layout::bracket_v6(address))
}

/// The plain-HTTP server: the app itself, or with TLS only the ACME challenge and a redirect.
fn plain_server(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let _ = writeln!(o);
    let _ = writeln!(o, "    server {{");
    let _ = writeln!(
        o,
        "        listen {};",
        listen_on(&spec.listen_address, spec.listen)
    );
    let _ = writeln!(o, "        server_name {};", spec.server_name);
    if let Some(acme) = &spec.acme_dir {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "        # certbot --webroot writes its tokens here; served without a redirect."
        );
        let _ = writeln!(o, "        location ^~ /.well-known/acme-challenge/ {{");
        let _ = writeln!(o, "            root \"{acme}\";");
        let _ = writeln!(o, "            default_type text/plain;");
        let _ = writeln!(o, "        }}");
    }
    if ctx.layout.tls {
        let port = if spec.https_port == 443 {
            String::new()
        } else {
            format!(":{}", spec.https_port)
        };
        let _ = writeln!(o);
        let _ = writeln!(o, "        location / {{");
        let _ = writeln!(o, "            return 301 https://$host{port}$request_uri;");
        let _ = writeln!(o, "        }}");
    } else {
        app_locations(ctx, o);
    }
    let _ = writeln!(o, "    }}");
}

/// The HTTPS server: Mozilla's intermediate profile, HTTP/2, HSTS when asked, the app.
fn tls_server(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let (Some(cert), Some(key)) = (&spec.tls_cert, &spec.tls_key) else {
        return;
    };
    let listen = listen_on(&spec.listen_address, spec.https_port);
    let _ = writeln!(o);
    let _ = writeln!(o, "    server {{");
    if ctx.layout.http2_directive() {
        let _ = writeln!(o, "        listen {listen} ssl;");
        let _ = writeln!(o, "        http2 on;");
    } else {
        // Before nginx 1.25.1 HTTP/2 is a parameter of listen.
        let _ = writeln!(o, "        listen {listen} ssl http2;");
    }
    let _ = writeln!(o, "        server_name {};", spec.server_name);
    let _ = writeln!(o, "        ssl_certificate \"{cert}\";");
    let _ = writeln!(o, "        ssl_certificate_key \"{key}\";");
    let _ = writeln!(o, "        # Mozilla intermediate: TLS 1.2 and 1.3.");
    let _ = writeln!(o, "        ssl_protocols TLSv1.2 TLSv1.3;");
    let _ = writeln!(o, "        ssl_ecdh_curve X25519:prime256v1:secp384r1;");
    let _ = writeln!(o, "        ssl_ciphers {TLS_CIPHERS};");
    let _ = writeln!(o, "        ssl_prefer_server_ciphers off;");
    let _ = writeln!(o, "        ssl_session_timeout 1d;");
    let _ = writeln!(o, "        ssl_session_cache shared:TridentTLS:10m;");
    let _ = writeln!(o, "        ssl_session_tickets off;");
    let _ = writeln!(
        o,
        "        # No OCSP stapling: Let's Encrypt has ended its OCSP service."
    );
    if spec.hsts > 0 {
        let _ = writeln!(
            o,
            "        add_header Strict-Transport-Security \"max-age={}\" always;",
            spec.hsts
        );
    }
    app_locations(ctx, o);
    let _ = writeln!(o, "    }}");
}

/// Static files, then everything else to the replicas.
fn app_locations(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let trusted = !spec.trusted_proxy.is_empty();
    if let (Some(url), Some(dir)) = (&spec.static_url, &ctx.dirs.static_files) {
        let _ = writeln!(o);
        let _ = writeln!(o, "        location {url} {{");
        let _ = writeln!(o, "            alias \"{dir}/\";");
        if spec.static_max_age > 0 {
            // expires writes Cache-Control: max-age too; add_header here would drop HSTS.
            let _ = writeln!(o, "            expires {}s;", spec.static_max_age);
        }
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
    for (name, plain, via_proxy) in CLIENT_HEADERS {
        let value = if trusted { via_proxy } else { plain };
        let _ = writeln!(o, "            uwsgi_param {name:<22} {value};");
    }
    let _ = writeln!(
        o,
        "            uwsgi_connect_timeout {}s;",
        ctx.layout.connect_timeout
    );
    let _ = writeln!(o, "            uwsgi_read_timeout {}s;", spec.read_timeout);
    let next: Vec<&str> = spec.next_upstream.iter().map(|n| n.as_str()).collect();
    let _ = writeln!(o, "            uwsgi_next_upstream {};", next.join(" "));
    let _ = writeln!(o, "        }}");
    error_pages(o);
}

/// nginx's own 502, 503 and 504 pages end in `<hr><center>nginx</center>` even with
/// `server_tokens off`; these name no software. The app's own error answers pass through
/// untouched (`uwsgi_intercept_errors` stays off).
const ERROR_PAGES: &str = "502 Bad Gateway|503 Service Unavailable|504 Gateway Timeout";

fn error_pages(o: &mut String) {
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "        # nginx's own error pages name nginx; these name no software."
    );
    for page in ERROR_PAGES.split('|') {
        let code = &page[..3];
        let _ = writeln!(o, "        error_page {code} @trident_{code};");
    }
    for page in ERROR_PAGES.split('|') {
        let code = &page[..3];
        let _ = writeln!(o, "        location @trident_{code} {{");
        let _ = writeln!(o, "            default_type text/html;");
        let _ = writeln!(
            o,
            "            return {code} \"<!doctype html><title>{page}</title><h1>{page}</h1>\";"
        );
        let _ = writeln!(o, "        }}");
    }
}

fn upstream(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let _ = writeln!(o, "    upstream {} {{", spec.upstream);
    // A shared zone makes failure state, max_conns and least_conn counts common to all
    // workers. Measured with nginx 1.22: 64 servers do not fit 64 KiB (a worker logs
    // "ngx_slab_alloc() failed: no memory in upstream zone" and nginx never answers), 64
    // unix-socket servers with 80-character paths need more than 72 KiB; 1,024 and 10,000
    // servers fit N + 8 KiB. Twice the servers in KiB plus 32 KiB leaves room for long paths.
    let servers: u32 = if ctx.layout.hosts.is_empty() {
        spec.replicas
    } else {
        ctx.layout.hosts.iter().map(|h| h.replicas).sum()
    };
    let zone_kib = (2 * servers as usize + 32).max(64);
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
    if !ctx.layout.hosts.is_empty() {
        for host in &ctx.layout.hosts {
            let _ = writeln!(o, "        # {} ({})", host.name, host.address);
            for k in 0..host.replicas {
                o.push_str("        server ");
                host.push_endpoint(o, k);
                o.push_str(&params);
            }
        }
        let _ = writeln!(o, "    }}");
        return;
    }
    let down_params = params.replace(';', " down;");
    for k in 0..spec.replicas {
        o.push_str("        server ");
        o.push_str(quote);
        ctx.layout.push_endpoint(o, k);
        o.push_str(quote);
        o.push_str(if ctx.down.contains(&k) {
            &down_params
        } else {
            &params
        });
    }
    let _ = writeln!(o, "    }}");
}
