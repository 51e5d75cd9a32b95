//! The equivalent `trident` command and the go-live steps for the current spec.

use trident_core::{
    https_steps, reproduce_command, shell_quote, user_step, Layout, Spec, ValidSpec, NFTABLES_CONF,
    NGINX_CONF, SUPERVISORD_CONF,
};
use yew::prelude::*;

// Plain view functions, not components: the spec they show changes with nearly every
// change, and each component costs the wasm its own lifecycle code.

/// The `trident generate` command that writes these files.
pub fn command(valid: &ValidSpec) -> Html {
    let (spec, layout) = (valid.spec(), valid.layout());
    // With hosts, --out gets one directory per host, to copy to each machine.
    let out = if layout.hosts.is_empty() {
        shell_quote(&layout.dirs.conf)
    } else {
        "trident-out".into()
    };
    let command = format!("{} --out {out}", reproduce_command(spec));
    html! {
        <div class="box">
            <h2>{ "Command" }</h2>
            <pre class="command" aria-label="Equivalent trident command">{ command }</pre>
        </div>
    }
}

/// The go-live steps with app hosts: per host what to copy where, the firewall, the start
/// order (app hosts first; nginx waits for their replicas).
fn hosts_text(spec: &Spec, layout: &Layout) -> String {
    let dirs = &layout.dirs;
    let conf = |name: &str| shell_quote(&layout.conf(name));
    let mkdir = format!(
        "mkdir -p {} {} {}",
        shell_quote(&dirs.app),
        shell_quote(&dirs.run),
        shell_quote(&dirs.log)
    );
    let sup = conf(SUPERVISORD_CONF);
    let mut text = format!(
        "# trident-out/HOST/ holds each host's files; copy them to {} on that host.",
        dirs.conf
    );
    push_user(&mut text, spec, "on every host");
    for h in &layout.hosts {
        text.push_str(&format!(
            "\n# 1. App host {} ({}): its files, your app in {}; as root the firewall first (it admits only {}), then the replicas:\nnft -f {}\n{mkdir}\nsupervisord -c {sup}",
            h.name,
            h.address,
            dirs.app,
            spec.lb_address.as_deref().unwrap_or("the load balancer"),
            conf(NFTABLES_CONF),
        ));
    }
    text.push_str(&format!(
        "\n# 2. Load balancer ({}): the lb/ files; check nginx, then start it (it waits for the app hosts' replicas):\n{mkdir}\n{} -t -p {} -c {}\nsupervisord -c {sup}\nsupervisorctl -c {sup} status\n# Keep the rules across reboots: include nftables.conf from /etc/nftables.conf on each app host.",
        spec.lb_address.as_deref().unwrap_or("?"),
        shell_quote(&spec.nginx_bin),
        shell_quote(&format!("{}/", dirs.run)),
        conf(NGINX_CONF),
    ));
    text
}

/// The commands that check and start the stack.
pub fn go_live_text(valid: &ValidSpec) -> String {
    let (spec, layout) = (valid.spec(), valid.layout());
    if !layout.hosts.is_empty() {
        let mut text = hosts_text(spec, layout);
        push_https(&mut text, spec, layout);
        return text;
    }
    let dirs = &layout.dirs;
    let conf = |name: &str| shell_quote(&layout.conf(name));
    let mut text = String::new();
    if push_user(&mut text, spec, "") {
        text.push('\n');
    }
    text.push_str(&format!(
        "mkdir -p {app} {run} {log}\n{nginx} -t -p {run_slash} -c {nginx_conf}\nsupervisord -c {sup}\nsupervisorctl -c {sup} status",
        app = shell_quote(&dirs.app),
        run = shell_quote(&dirs.run),
        log = shell_quote(&dirs.log),
        nginx = shell_quote(&spec.nginx_bin),
        run_slash = shell_quote(&format!("{}/", dirs.run)),
        nginx_conf = conf(NGINX_CONF),
        sup = conf(SUPERVISORD_CONF),
    ));
    let flags = reproduce_command(spec);
    let flags = flags.strip_prefix("trident generate").unwrap_or("");
    text.push_str(&format!(
        "\n# deploy new code, one replica at a time, no failed request:\ntrident rollout{flags}\n# after changing settings here, on the running stack:\ntrident apply{flags}"
    ));
    push_https(&mut text, spec, layout);
    text
}

/// Writes the step that creates the stack's user, when the spec names one; returns whether it
/// did. `where_` says where it runs (empty on one host).
fn push_user(text: &mut String, spec: &Spec, where_: &str) -> bool {
    let Some(step) = user_step(spec) else {
        return false;
    };
    let (user, _) = spec.run_as().unwrap_or_default();
    if !text.is_empty() {
        text.push('\n');
    }
    let sep = if where_.is_empty() { "" } else { " " };
    text.push_str(&format!(
        "# as root{sep}{where_}: the app and nginx's workers run as {user}, who writes none of these directories\n{step}"
    ));
    true
}

/// Appends the HTTPS steps: explanations as shell comments, commands as they are.
fn push_https(text: &mut String, spec: &Spec, layout: &Layout) {
    for line in https_steps(spec, layout) {
        text.push('\n');
        // Explanations as shell comments, commands as they are.
        match line.strip_prefix("  ") {
            Some(command) => text.push_str(command),
            None => {
                text.push_str("# ");
                text.push_str(&line);
            }
        }
    }
}

/// The go-live box.
pub fn go_live(valid: &ValidSpec) -> Html {
    let spec = valid.spec();
    html! {
        <div class="box">
            <h2>{ "Go live" }</h2>
            if spec.hosts.is_empty() {
                <p>{ "Put the three files in the config directory, then create the directories supervisord will not create, check, and start:" }</p>
            } else {
                <p>{ "Each host gets its own directory of files. Start the app hosts first, each behind its firewall, then the load balancer:" }</p>
            }
            <pre tabindex="0" aria-label="Go-live commands">{ go_live_text(valid) }</pre>
            <p class="small">{ "A stopped or crashed replica costs no request. A slow one is avoided by least_conn when clients are concurrent. No setting rescues the one request already sent to a replica that hangs: it waits for the read timeout, then a GET may run twice and a POST gets 504. See docs/guide.md for each option's cost." }</p>
        </div>
    }
}
