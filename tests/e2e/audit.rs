//! A peer's audit: gixy-ng, a maintained nginx security analyzer, over the nginx.conf of every
//! golden snapshot (so each fixture the core's golden tests pin, and each one added later, is
//! audited). No MEDIUM or HIGH finding is accepted without a written reason here.

use std::path::Path;
use std::process::Command;

use trident_e2e::workspace;

/// Why a finding may pass.
///
/// `hsts_header` asks for HSTS on every HTTPS server. Trident sends it only when the spec
/// sets `hsts` (off by default, on purpose: a browser that saw it refuses plain HTTP for
/// max-age, so a broken certificate locks visitors out that long); the finding passes only for
/// a fixture whose spec leaves `hsts` unset.
///
/// `nginx_cves` compares the nginx *version* with CVE ranges (it
/// is told 1.22.1, the tested package, so its version-gated checks run); Debian backports
/// fixes without changing the version. Such a finding is about the binary, not the config, and
/// passes only when the installed package's changelog.Debian names that CVE as fixed. Every
/// other MEDIUM or HIGH finding fails the test.
fn accepted(check: &str, reason: &str, spec: &str) -> bool {
    if check == "hsts_header" {
        return reason.starts_with("No Strict-Transport-Security header")
            && !spec.lines().any(|l| l.starts_with("hsts ="));
    }
    let Some(cve) = reason
        .split(|c: char| c.is_whitespace() || c == ':')
        .find(|w| w.starts_with("CVE-"))
    else {
        return false;
    };
    check == "nginx_cves"
        && Command::new("zgrep")
            .args(["-q", cve, "/usr/share/doc/nginx/changelog.Debian.gz"])
            .status()
            .is_ok_and(|s| s.success())
}

/// The nginx.conf part of a golden snapshot (`==> nginx.conf <==` to the end).
fn nginx_conf_of(snapshot: &str) -> Option<&str> {
    let start = snapshot.find("==> nginx.conf <==\n")? + "==> nginx.conf <==\n".len();
    Some(&snapshot[start..])
}

#[test]
fn gixy_finds_nothing_medium_or_high_in_any_golden_nginx_conf() {
    let gixy = workspace().join("target/tools/gixy/bin/gixy");
    assert!(
        gixy.exists(),
        "{} is missing: install gixy-ng 0.2.59 with `cargo xtask setup` (it makes a python3 venv there and pip-installs gixy-ng==0.2.59)",
        gixy.display()
    );
    let snapshots = workspace().join("crates/trident-core/tests/core/snapshots");
    let dir = tempfile::tempdir().unwrap();
    let mut audited = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&snapshots)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "snap"))
        .collect();
    entries.sort();
    let mut findings = Vec::new();
    for snap in &entries {
        let text = std::fs::read_to_string(snap).unwrap();
        let Some(conf) = nginx_conf_of(&text) else {
            continue;
        };
        let name = snap.file_name().unwrap().to_string_lossy().into_owned();
        let path = dir.path().join(format!("{name}.conf"));
        std::fs::write(&path, conf).unwrap();
        findings.extend(
            audit(&gixy, &path)
                .into_iter()
                .filter(|(_, severity, _)| matches!(severity.as_str(), "MEDIUM" | "HIGH"))
                .filter(|(check, _, reason)| !accepted(check, reason, &text))
                .map(|(check, severity, reason)| format!("{name}: {severity} {check}: {reason}")),
        );
        audited += 1;
    }
    assert!(audited >= 8, "only {audited} golden nginx.conf audited");
    assert!(
        findings.is_empty(),
        "gixy-ng findings without a written reason:\n{}",
        findings.join("\n")
    );
}

/// gixy's findings for one file: (check, severity, reason).
fn audit(gixy: &Path, conf: &Path) -> Vec<(String, String, String)> {
    let o = Command::new(gixy)
        .args(["--format", "json", "--nginx-version", "1.22.1"])
        .arg(conf)
        .output()
        .expect("run gixy");
    let out = String::from_utf8_lossy(&o.stdout);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| {
        panic!(
            "gixy did not print JSON for {} ({e}):\n{out}\n{}",
            conf.display(),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    report
        .as_array()
        .unwrap_or_else(|| panic!("gixy JSON is not a list: {report}"))
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("plugin"), s("severity"), s("reason"))
        })
        .collect()
}
