//! Hostile text in every text field is either rejected with an error naming that field, or
//! written so that each file keeps exactly the structure of a benign spec: the same sections,
//! keys, directives, and the same expansions (`%`, `$(..)`, `$var`) in the same places.

use trident_core::fields::default_values;
use trident_core::{generate, Field, Kind, Spec, FIELDS};

const HOSTILE: &[&str] = &[
    "\n[program:evil]\ncommand=/bin/sh",
    "x\r\ny",
    "a\0b",
    "x; evil",
    "x { evil }",
    "x}",
    "#x",
    "x # y",
    "x ; y",
    "'x'",
    "\"x\"",
    "%(ENV_HOME)s",
    "%s",
    "$(HOME)",
    "@(/etc/passwd)",
    "\\",
    "`id`",
    "x,y=z",
    " x ",
    "/srv/a b",
    "/srv/50%",
    "/srv/50%%(here)s",
    "/srv/[x]",
    "/srv/é",
    "/srv/a=b,c",
    "/srv/a\tb",
    "/static/;/",
    "x.y:z\nplugins = evil",
    "127.0.0.1;",
    "_ evil;",
];

/// Text fields, where hostile text is tried. Numbers and enumerations are parsed.
fn text_fields() -> impl Iterator<Item = &'static Field> {
    FIELDS
        .iter()
        .filter(|f| matches!(f.kind, Kind::Text | Kind::Entries))
}

/// The spec a hostile case starts from: the defaults, plus what `f` needs to be rendered.
fn base(f: &Field) -> Spec {
    let mut spec = Spec::default();
    match f.name {
        "static_dir" => spec.static_url = Some("/static/".into()),
        "tls_cert" => spec.tls_key = Some("/srv/tls/key.pem".into()),
        "tls_key" => spec.tls_cert = Some("/srv/tls/cert.pem".into()),
        "hosts" => spec.lb_address = Some("10.0.0.10".into()),
        "lb_address" => spec.hosts = vec![trident_core::Host::parse("web1=10.0.0.11").unwrap()],
        "group" => spec.user = Some("webapp".into()),
        _ => {}
    }
    spec
}

/// The text tried for `hostile` in `f`: env takes it as a value, other fields as is.
fn entry(f: &Field, hostile: &str) -> String {
    if f.name == "env" {
        format!("EVIL={hostile}")
    } else if f.name == "hosts" {
        format!("web1={hostile}")
    } else {
        hostile.to_string()
    }
}

/// A plain, valid text for `f`: its default, or for an unset option the first plain value
/// it accepts.
fn benign(f: &Field) -> String {
    let i = FIELDS.iter().position(|g| g.name == f.name).unwrap();
    match f.name {
        "env" => return "EVIL=plain".into(),
        "trusted_proxy" => return "10.0.0.0/8".into(),
        "hosts" => return "web1=10.0.0.11".into(),
        "lb_address" => return "10.0.0.10".into(),
        "user" => return "webapp".into(),
        "group" => return "www-data".into(),
        _ => {}
    }
    match default_values()[i].first() {
        Some(text) if !text.is_empty() => text.clone(),
        _ => ["/srv/plain", "/plain/"]
            .into_iter()
            .find(|text| {
                let mut spec = base(f);
                f.set(&mut spec, text).is_ok() && generate(&spec).is_ok()
            })
            .unwrap_or_else(|| panic!("no plain value renders for {}", f.name))
            .to_string(),
    }
}

#[test]
fn every_text_field_is_tried() {
    let names: Vec<&str> = text_fields().map(|f| f.name).collect();
    for name in [
        "listen_address",
        "server_name",
        "module",
        "home",
        "app_dir",
        "conf_dir",
        "run_dir",
        "log_dir",
        "static_url",
        "static_dir",
        "uwsgi_bin",
        "nginx_bin",
        "bind",
        "lang",
        "env",
        "upstream",
        "program_prefix",
        "nginx_program",
        "hosts",
        "lb_address",
        "user",
        "group",
    ] {
        assert!(names.contains(&name), "{name} is not tried: {names:?}");
    }
}

#[test]
fn hostile_text_is_rejected_by_field_or_kept_inert() {
    let mut tried = 0;
    let mut accepted = Vec::new();
    for f in text_fields() {
        let mut twin = base(f);
        f.set(&mut twin, &benign(f)).unwrap();
        let benign = generate(&twin).expect("benign twin renders");
        for hostile in HOSTILE {
            let mut spec = base(f);
            let text = entry(f, hostile);
            if f.set(&mut spec, &text).is_err() {
                continue;
            }
            tried += 1;
            match generate(&spec) {
                Err(diags) => {
                    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
                    assert!(
                        errors.iter().all(|d| d.top_field() == f.name),
                        "{} = {hostile:?}: an error names another field: {errors:#?}",
                        f.name
                    );
                }
                Ok(out) => {
                    accepted.push(format!("{}={hostile:?}", f.name));
                    for (got, want) in out.files.iter().zip(&benign.files) {
                        assert_eq!(
                            structure(got.name, &got.contents),
                            structure(want.name, &want.contents),
                            "{} = {hostile:?} changed the structure of {}:\n{}",
                            f.name,
                            got.name,
                            got.contents
                        );
                    }
                }
            }
        }
    }
    assert!(tried > 200, "only {tried} cases ran");
    // Some hostile-looking values are legitimate and must stay accepted.
    for must in [
        "home=\"/srv/a b\"",
        "home=\"/srv/50%\"",
        "env=\"x,y=z\"",
        "home=\"/srv/é\"",
    ] {
        assert!(
            accepted.iter().any(|a| a == must),
            "{must} was rejected; accepted: {accepted:?}"
        );
    }
}

/// The skeleton of a file: section and key names for the INI files, directive names and
/// nesting for nginx, and in both every expansion the reader will perform. Other text in
/// values is dropped.
fn structure(name: &str, text: &str) -> Vec<String> {
    if name == "nginx.conf" {
        nginx_structure(text)
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
            .map(|l| match l.split_once(" = ") {
                Some((key, value)) => {
                    // supervisord and configparser end a value at " ;" or " #"; INI
                    // readers keep the rest of the line. Either way the key must be plain.
                    assert!(
                        !value.contains(" ;") && !value.contains(" #"),
                        "inline comment in {l:?}"
                    );
                    format!("key {key} {}", expansions(name, value))
                }
                None => format!("line {l}"),
            })
            .collect()
    }
}

/// Tokenises nginx's grammar (quotes, `;`, `{`, `}`, `#` comments) into directive names.
fn nginx_structure(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut words: Vec<String> = Vec::new();
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    let flush = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    let mut dollars = 0;
    while let Some(c) = chars.next() {
        if c == '$' {
            dollars += 1;
        }
        match c {
            '#' if word.is_empty() => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            '"' => {
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    if c == '$' {
                        dollars += 1;
                    }
                    assert_ne!(c, '\\', "escape inside a quoted nginx string");
                    word.push(c);
                }
                word.push('"');
            }
            ';' | '{' | '}' => {
                flush(&mut word, &mut words);
                if c != '}' {
                    out.push(format!(
                        "{}{} {}/{} ${dollars}",
                        "  ".repeat(depth),
                        words.first().cloned().unwrap_or_default(),
                        words.len(),
                        c
                    ));
                }
                words.clear();
                dollars = 0;
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.checked_sub(1).expect("unbalanced }"),
                    _ => {}
                }
            }
            c if c.is_whitespace() => flush(&mut word, &mut words),
            c => word.push(c),
        }
    }
    assert_eq!(depth, 0, "unbalanced braces");
    out
}

/// The expansions the reader of `file` performs in an INI value: each `%` not written as
/// `%%` (supervisord and uWSGI), and each `$(` and `@(` (uWSGI only). A value whose `%` was
/// not escaped differs from its twin here.
fn expansions(file: &str, value: &str) -> String {
    let lone = value.replace("%%", "").matches('%').count();
    if file == "webapp.ini" {
        format!(
            "%{lone} $({} @({}",
            value.matches("$(").count(),
            value.matches("@(").count()
        )
    } else {
        format!("%{lone}")
    }
}
