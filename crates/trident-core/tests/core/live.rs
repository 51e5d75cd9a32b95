//! What rollout and apply decide: nginx.conf with replicas out of rotation, and the
//! difference between a running stack's files and a new spec's.

use trident_core::live::{change, drained, nginx_with_down, program_sections};
use trident_core::{generate, validate, RenderedFile, Spec};

use crate::with;

fn files(spec: &Spec) -> Vec<RenderedFile> {
    generate(spec).unwrap().files
}

#[test]
fn drained_replicas_are_down_and_named() {
    let valid = validate(&Spec::default()).unwrap();
    let text = nginx_with_down(&valid, &[1]);
    assert_eq!(drained(&text), ["p1"]);
    assert_eq!(text.matches(" down;").count(), 1);
    assert!(
        text.contains("server 127.0.0.1:8081 max_fails=1 fail_timeout=10s down;"),
        "{text}"
    );
    // Nothing down: byte for byte the generated file.
    assert_eq!(
        nginx_with_down(&valid, &[]),
        files(&Spec::default())[2].contents
    );
    assert!(drained(&files(&Spec::default())[2].contents).is_empty());
}

#[test]
fn sections_split_at_headers() {
    let sup = &files(&Spec::default())[0].contents;
    let names: Vec<&str> = program_sections(sup).iter().map(|s| s.0).collect();
    assert_eq!(names, ["p0", "p1", "p2", "ngx"]);
    assert!(program_sections(sup)[1].1.starts_with("[program:p1]\n"));
}

#[test]
fn growing_shrinking_and_changing() {
    let three = files(&Spec::default());
    let five_spec = with(|s| s.replicas = 5);
    let five = validate(&five_spec).unwrap();
    let c = change(&three, &files(&five_spec), &five);
    assert_eq!(
        (c.added, c.removed, c.changed),
        (vec!["p3".into(), "p4".into()], vec![], vec![])
    );
    assert_eq!(c.kept.len(), 3);
    assert!(c.nginx && !c.control);

    let two_spec = with(|s| s.replicas = 2);
    let two = validate(&two_spec).unwrap();
    let c = change(&files(&five_spec), &files(&two_spec), &two);
    assert_eq!(c.removed, ["p2", "p3", "p4"]);
    assert!(c.added.is_empty() && c.changed.is_empty());

    // webapp.ini changes (threads): every replica restarts.
    let threads = with(|s| s.threads = 4);
    let c = change(&three, &files(&threads), &validate(&threads).unwrap());
    assert_eq!(c.changed, ["p0", "p1", "p2"]);
    assert!(!c.nginx, "only webapp.ini changed");

    // Nothing changed, and a reproduce line alone is no change either.
    let same = validate(&Spec::default()).unwrap();
    assert!(change(&three, &three, &same).is_empty());
    // supervisord's own socket moves: not appliable to a running supervisord.
    let moved = with(|s| s.run_dir = Some("/run/other".into()));
    assert!(change(&three, &files(&moved), &validate(&moved).unwrap()).control);
}
