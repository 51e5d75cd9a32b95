//! Golden tests: each fixture spec and every file rendered from it, in one snapshot.
//! Review a change with `INSTA_UPDATE=always cargo test -p trident-core` and `git diff`.

use std::fmt::Write as _;

use trident_core::{generate, Spec};

#[test]
fn fixtures() {
    insta::glob!("../fixtures", "*.toml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let spec: Spec =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let out = generate(&spec).unwrap_or_else(|d| panic!("{}: {d:#?}", path.display()));
        let mut snap = format!("==> spec <==\n{text}");
        for w in out.warnings() {
            let _ = writeln!(snap, "==> warning <==\n{w}");
        }
        for f in &out.files {
            let _ = write!(snap, "==> {} <==\n{}", f.path(), f.contents);
        }
        insta::assert_snapshot!(snap);
    });
}
