//! The equivalent `trident` command and the go-live steps for the current spec.

use trident_core::{reproduce_command, shell_quote, ValidSpec};
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

/// The commands that check and start the stack, from the core's go-live steps.
pub fn go_live_text(valid: &ValidSpec) -> String {
    trident_core::golive::script(&trident_core::golive::steps(valid))
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
