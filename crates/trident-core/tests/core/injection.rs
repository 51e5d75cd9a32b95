//! Hostile text in every text field is either rejected with an error naming that field, or
//! written so that each file keeps exactly the structure of a benign spec.

use trident_core::{generate, Spec, FIELDS};

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

/// Text fields and where hostile text is tried. Numbers and enumerations are parsed.
fn text_fields() -> impl Iterator<Item = &'static trident_core::Field> {
    FIELDS.iter().filter(|f| {
        let probe = f.set(&mut Spec::default(), "x%;").is_ok();
        probe || f.name == "env"
    })
}

#[test]
fn hostile_text_is_rejected_by_field_or_kept_inert() {
    let mut tried = 0;
    let mut accepted = Vec::new();
    for f in text_fields() {
        for hostile in HOSTILE {
            let mut spec = Spec::default();
            if f.name == "static_dir" {
                spec.static_url = Some("/static/".into());
            }
            let text = if f.name == "env" {
                format!("EVIL={hostile}")
            } else {
                hostile.to_string()
            };
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
                    let benign = generate(&benign_twin(&spec)).expect("benign twin renders");
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

/// The same spec with every text field replaced by a plain value of the same role.
fn benign_twin(spec: &Spec) -> Spec {
    let mut twin = spec.clone();
    let d = Spec::default();
    twin.home = d.home.clone();
    for dir in [
        &mut twin.app_dir,
        &mut twin.conf_dir,
        &mut twin.run_dir,
        &mut twin.log_dir,
        &mut twin.static_dir,
    ] {
        if dir.is_some() {
            *dir = Some("/srv/plain".into());
        }
    }
    twin.uwsgi_bin = d.uwsgi_bin.clone();
    twin.nginx_bin = d.nginx_bin.clone();
    for v in twin.env.values_mut() {
        *v = "plain".into();
    }
    twin
}

/// The skeleton of a file: section and key names for the INI files, directive names and
/// nesting for nginx. Values are dropped.
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
                    format!("key {key}")
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
    while let Some(c) = chars.next() {
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
                    assert_ne!(c, '\\', "escape inside a quoted nginx string");
                    word.push(c);
                }
                word.push('"');
            }
            ';' | '{' | '}' => {
                flush(&mut word, &mut words);
                if c != '}' {
                    out.push(format!(
                        "{}{} {}/{}",
                        "  ".repeat(depth),
                        words.first().cloned().unwrap_or_default(),
                        words.len(),
                        c
                    ));
                }
                words.clear();
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
