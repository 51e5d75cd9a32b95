//! What rollout and apply decide: nginx.conf with replicas out of rotation, and the
//! difference between a running stack's files and a new spec's.

use trident_core::live::{change, drained, nginx_with_down, program_names};
use trident_core::{generate, validate, RenderedFile, Spec};

use crate::with;

fn files(spec: &Spec) -> Vec<RenderedFile> {
    generate(spec).unwrap().files
}

#[test]
fn drained_replicas_are_down_and_named() {
    let valid = validate(&Spec::default()).unwrap();
    let text = nginx_with_down(&valid, &[1]);
    assert_eq!(drained(&valid, &text), [1]);
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
    assert!(drained(&valid, &files(&Spec::default())[2].contents).is_empty());
    // The marks are the truth, not the comment: a hand-written `down` counts, a comment alone
    // does not.
    let by_hand = files(&Spec::default())[2].contents.replace(
        "127.0.0.1:8082 max_fails=1 fail_timeout=10s;",
        "127.0.0.1:8082 down max_fails=1 fail_timeout=10s;",
    );
    assert_eq!(drained(&valid, &by_hand), [2]);
    let comment_only = text.replace(" down;", ";");
    assert!(drained(&valid, &comment_only).is_empty());
}

#[test]
fn program_names_in_file_order() {
    let sup = &files(&Spec::default())[0].contents;
    assert_eq!(program_names(sup), ["p0", "p1", "p2", "ngx"]);
}

#[test]
fn a_file_reformatted_by_hand_is_no_change() {
    // What the servers read is compared, not the text: comments, spacing, and `key: value`
    // read the same.
    let three = files(&Spec::default());
    let valid = validate(&Spec::default()).unwrap();
    let mut edited = three.clone();
    edited[0].contents = edited[0]
        .contents
        .replace(
            "autorestart = true",
            "; restart it\nautorestart:true   ; inline",
        )
        .replace("stopsignal = QUIT", "stopsignal   =  QUIT  ; why");
    edited[1].contents = edited[1]
        .contents
        .replace("\n[uwsgi]\n", "\n# mine\n[uwsgi]\n");
    edited[2].contents = edited[2].contents.replace("events {", "# mine\nevents\n{");
    assert_ne!(edited, three);
    let c = change(&three, &edited, &valid);
    assert!(c.is_empty(), "{c:?}");
    // A real edit is one.
    edited[0].contents = edited[0]
        .contents
        .replacen("autorestart:true", "autorestart:false", 1);
    assert_eq!(change(&three, &edited, &valid).changed, ["p0"]);
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
