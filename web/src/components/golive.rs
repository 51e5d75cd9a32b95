//! The equivalent `trident` command and the go-live steps for the current spec.

use std::rc::Rc;

use trident_core::{
    https_steps, reproduce_command, shell_quote, Layout, Spec, NGINX_CONF, SUPERVISORD_CONF,
};
use yew::prelude::*;

/// Props of [`Command`] and [`GoLive`].
#[derive(Properties, PartialEq)]
pub struct SpecProps {
    /// The spec the files were rendered from.
    pub spec: Rc<Spec>,
}

/// The `trident generate` command that writes these files.
#[function_component(Command)]
pub fn command(props: &SpecProps) -> Html {
    let layout = Layout::new(&props.spec);
    let command = format!(
        "{} --out {}",
        reproduce_command(&props.spec),
        shell_quote(&layout.dirs.conf)
    );
    html! {
        <div class="box">
            <h2>{ "Command" }</h2>
            <pre class="command" aria-label="Equivalent trident command">{ command }</pre>
        </div>
    }
}

/// The commands that check and start the stack.
pub fn go_live_text(spec: &Spec) -> String {
    let layout = Layout::new(spec);
    let dirs = &layout.dirs;
    let conf = |name: &str| shell_quote(&layout.conf(name));
    let mut text = format!(
        "mkdir -p {app} {run} {log}\n{nginx} -t -p {run_slash} -c {nginx_conf}\nsupervisord -c {sup}\nsupervisorctl -c {sup} status",
        app = shell_quote(&dirs.app),
        run = shell_quote(&dirs.run),
        log = shell_quote(&dirs.log),
        nginx = shell_quote(&spec.nginx_bin),
        run_slash = shell_quote(&format!("{}/", dirs.run)),
        nginx_conf = conf(NGINX_CONF),
        sup = conf(SUPERVISORD_CONF),
    );
    let flags = reproduce_command(spec);
    let flags = flags.strip_prefix("trident generate").unwrap_or("");
    text.push_str(&format!(
        "\n# deploy new code, one replica at a time, no failed request:\ntrident rollout{flags}\n# after changing settings here, on the running stack:\ntrident apply{flags}"
    ));
    for line in https_steps(spec, &layout) {
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
    text
}

/// The go-live box.
#[function_component(GoLive)]
pub fn go_live(props: &SpecProps) -> Html {
    html! {
        <div class="box">
            <h2>{ "Go live" }</h2>
            <p>{ "Put the three files in the config directory, then create the directories supervisord will not create, check, and start:" }</p>
            <pre aria-label="Go-live commands">{ go_live_text(&props.spec) }</pre>
            <p class="small">{ "A stopped or crashed replica costs no request. A slow one is avoided by least_conn when clients are concurrent. No setting rescues the one request already sent to a replica that hangs: it waits for the read timeout, then a GET may run twice and a POST gets 504. See the README for each option's cost." }</p>
        </div>
    }
}
