//! The Hosts section: app hosts behind one load balancer, a row each (name, address,
//! replicas), added and removed with buttons, and the load balancer's address.
//!
//! The rows edit the `hosts` field's text (one `NAME=ADDRESS[:REPLICAS[:BASE_PORT]]` per
//! line), so share links, the command and validation see exactly what the CLI sees.

use std::rc::Rc;

use trident_core::{Diagnostic, Host, FIELDS};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::field::{diag_lines, FieldControl};
use crate::state::Action;

/// What [`hosts`] shows.
pub struct HostsProps {
    /// Index of `hosts` in `FIELDS`.
    pub hosts: usize,
    /// Index of `lb_address` in `FIELDS`.
    pub lb_address: usize,
    /// The `hosts` text.
    pub text: AttrValue,
    /// The `lb_address` text.
    pub lb_text: AttrValue,
    /// Diagnostics about `hosts`.
    pub diags: Rc<Vec<Diagnostic>>,
    /// Diagnostics about `lb_address`.
    pub lb_diags: Rc<Vec<Diagnostic>>,
    /// Sends `Action::Set(index, new text)`.
    pub dispatch: Callback<Action>,
}

/// One row as the inputs show it: name, address, replicas, and a base port kept as typed.
fn row(line: &str) -> [String; 4] {
    match Host::parse(line) {
        Ok(h) => [
            h.name,
            h.address,
            h.replicas.map(|r| r.to_string()).unwrap_or_default(),
            h.base_port.map(|p| p.to_string()).unwrap_or_default(),
        ],
        Err(_) => {
            let (name, rest) = line.split_once('=').unwrap_or((line, ""));
            [name.into(), rest.into(), String::new(), String::new()]
        }
    }
}

/// The line for a row (what `--host` takes). Not `Host::to_text`: a row holds the numbers as
/// typed, and a number being typed (`1a`) must stay on screen until it is valid, so the line
/// is built from the texts; for a valid row it is what `Host::to_text` writes (a test says so).
fn line(r: &[String; 4]) -> String {
    let [name, address, replicas, base_port] = r;
    let mut out = format!("{name}=");
    if address.contains(':') && !address.starts_with('[') {
        out.push('[');
        out.push_str(address);
        out.push(']');
    } else {
        out.push_str(address);
    }
    if !replicas.is_empty() || !base_port.is_empty() {
        out.push(':');
        out.push_str(replicas);
    }
    if !base_port.is_empty() {
        out.push(':');
        out.push_str(base_port);
    }
    out
}

/// The Hosts section. A view function, not a component: each component costs the wasm its
/// own lifecycle code, and without hosts the section is one closed `<details>`.
pub fn hosts(props: &HostsProps) -> Html {
    let rows: Vec<[String; 4]> = props
        .text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(row)
        .collect();
    let rows = Rc::new(rows);
    let set_rows = {
        let (dispatch, i) = (props.dispatch.clone(), props.hosts);
        move |rows: &[[String; 4]]| {
            crate::browser::mark_input();
            let text: Vec<String> = rows.iter().map(line).collect();
            dispatch.emit(Action::Set(i, text.join("\n")));
        }
    };
    let on_add = {
        let (rows, set_rows) = (rows.clone(), set_rows.clone());
        let (dispatch, lb, lb_empty) = (
            props.dispatch.clone(),
            props.lb_address,
            props.lb_text.is_empty(),
        );
        Callback::from(move |_| {
            let mut n = rows.len() + 1;
            while rows.iter().any(|r| r[0] == format!("web{n}")) {
                n += 1;
            }
            let mut next = (*rows).clone();
            next.push([
                format!("web{n}"),
                format!("10.0.0.{}", 10 + n),
                String::new(),
                String::new(),
            ]);
            if lb_empty {
                dispatch.emit(Action::Set(lb, "10.0.0.10".into()));
            }
            set_rows(&next);
        })
    };
    let cell = |k: usize, part: usize, label: &str, numeric: bool| {
        let (all, set_rows) = (rows.clone(), set_rows.clone());
        let oninput = Callback::from(move |e: InputEvent| {
            let mut next = (*all).clone();
            next[k][part] = e.target_unchecked_into::<HtmlInputElement>().value();
            set_rows(&next);
        });
        let name = &rows[k][0];
        html! {
            <input type="text" spellcheck="false" inputmode={numeric.then_some("numeric")}
                placeholder={numeric.then_some("default")} value={rows[k][part].clone()}
                aria-label={format!("{label} of host {}", k + 1)} title={format!("{label} of {name}")} {oninput} />
        }
    };
    let body: Html = (0..rows.len())
        .map(|k| {
            let (all, set_rows) = (rows.clone(), set_rows.clone());
            let on_remove = Callback::from(move |_| {
                let mut next = (*all).clone();
                next.remove(k);
                set_rows(&next);
            });
            html! {
                <tr>
                    <td>{ cell(k, 0, "Name", false) }</td>
                    <td>{ cell(k, 1, "Address", false) }</td>
                    <td>{ cell(k, 2, "Replicas", true) }</td>
                    <td><button type="button" onclick={on_remove}
                        aria-label={format!("Remove host {}", rows[k][0])}>{ "Remove" }</button></td>
                </tr>
            }
        })
        .collect();
    let invalid = props.diags.iter().any(Diagnostic::is_error);
    // `~className`, not a computed `class=`: see the module docs of `components`.
    html! {
        <details class="hosts" open={!rows.is_empty()}>
            <summary>{ "Hosts" }</summary>
            <p class="small">{ FIELDS[props.hosts].help }{ ". With hosts, nginx runs on the load balancer and each app host runs its replicas on its own address, behind a firewall that admits only the load balancer." }</p>
            if !rows.is_empty() {
                <table ~className={if invalid { "host-rows invalid" } else { "host-rows" }} aria-label="App hosts">
                    <thead><tr><th>{ "Name" }</th><th>{ "Address" }</th><th>{ "Replicas" }</th><th><span class="visually-hidden">{ "Remove" }</span></th></tr></thead>
                    <tbody>{ body }</tbody>
                </table>
            }
            if !props.diags.is_empty() {
                <div class="diags" role="status">
                    { diag_lines(&props.diags) }
                </div>
            }
            <div class="box-row"><button type="button" onclick={on_add}>{ "Add host" }</button></div>
            <FieldControl index={props.lb_address} text={props.lb_text.clone()}
                diags={props.lb_diags.clone()} dispatch={props.dispatch.clone()} />
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_lines_round_trip() {
        for text in [
            "web1=10.0.0.11",
            "web1=10.0.0.11:4",
            "web2=[fd00::12]:2:9000",
            "web3=app3.internal::9100",
        ] {
            assert_eq!(line(&row(text)), text);
            // The same line the core writes for the host.
            assert_eq!(line(&row(text)), Host::parse(text).unwrap().to_text());
        }
        assert_eq!(
            line(&["w".into(), "fd00::1".into(), String::new(), String::new()]),
            "w=[fd00::1]"
        );
    }
}
