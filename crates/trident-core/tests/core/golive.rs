//! The go-live steps: one typed list, printed the same in the supervisord.conf preamble,
//! the page's script and the guide.

use trident_core::golive::{commands, script, steps, Line};
use trident_core::{generate, validate, Spec};

use crate::with;

#[test]
fn one_list_feeds_the_preamble_the_script_and_the_guide() {
    let spec = Spec::default();
    let valid = validate(&spec).unwrap();
    let c = commands(valid.spec(), valid.layout());
    let text = script(&steps(&valid));
    let sup = &generate(&spec).unwrap().files[0].contents;
    for command in [&c.mkdir, &c.start, &c.trident_status] {
        assert!(
            text.lines().any(|l| l == command),
            "script lacks {command}:\n{text}"
        );
    }
    for command in [&c.mkdir, &c.start, &c.status] {
        assert!(sup.contains(command.as_str()), "preamble lacks {command}");
    }
    assert!(text.contains(&c.check_nginx) && text.contains("trident rollout"));
    let guide = include_str!("../../../../docs/guide.md");
    for command in [
        &c.mkdir,
        &c.check_nginx,
        &c.start,
        &c.status,
        &c.trident_status,
    ] {
        assert!(
            guide.contains(command.as_str()),
            "docs/guide.md lacks `{command}`"
        );
    }
}

#[test]
fn paths_are_quoted_one_way_everywhere() {
    let spec = with(|s| s.home = "/home/web app/site".into());
    let valid = validate(&spec).unwrap();
    let c = commands(valid.spec(), valid.layout());
    assert!(
        c.mkdir.starts_with("mkdir -p '/home/web app/site/app' "),
        "{}",
        c.mkdir
    );
    let sup = &generate(&spec).unwrap().files[0].contents;
    assert!(sup.contains(&c.mkdir) && sup.contains(&c.start));
    // Every command line of the script is a command of the list; every other line a comment.
    for line in script(&steps(&valid)).lines() {
        let is_run = steps(&valid)
            .iter()
            .any(|l| matches!(l, Line::Run(r) if r == line));
        assert!(is_run || line.starts_with("# "), "{line}");
    }
}
