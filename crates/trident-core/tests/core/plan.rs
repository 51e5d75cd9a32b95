//! The deploy plans `--dry-run` prints and trident-live runs, as typed steps.

use trident_core::live::change;
use trident_core::plan::{apply, rollout, Step};
use trident_core::{generate, validate, Spec};

use crate::with;

fn roll(replica: u32, readd: bool) -> Step {
    Step::Roll { replica, readd }
}

#[test]
fn rollout_rolls_each_replica_then_reloads_once_more() {
    let valid = validate(&Spec::default()).unwrap();
    let plan = rollout(&valid).unwrap();
    assert_eq!(
        plan.steps,
        [roll(0, false), roll(1, false), roll(2, false), Step::Reload]
    );
    let lines: Vec<String> = plan.describe(&valid).collect();
    assert!(
        lines[1].starts_with("p1: out of nginx's rotation"),
        "{lines:?}"
    );
    assert!(lines[1].contains("127.0.0.1:8081") && lines[1].contains("at most 30 s"));
    let one = validate(&with(|s| s.replicas = 1)).unwrap();
    assert!(rollout(&one).unwrap_err().contains("--replicas 2"));
}

#[test]
fn apply_orders_its_steps_so_nothing_in_flight_is_lost() {
    let three = generate(&Spec::default()).unwrap().files;
    // Grow: the new replicas answer before the reload that gives them traffic.
    let five = with(|s| s.replicas = 5);
    let valid = validate(&five).unwrap();
    let plan = apply(
        &valid,
        &change(&three, &generate(&five).unwrap().files, &valid),
    )
    .unwrap();
    // nginx's program waits for every replica's port before it starts: its command changed,
    // which applies at its next start only, and the plan says so.
    assert!(matches!(plan.steps.last(), Some(Step::Note(n)) if n.contains("next start")));
    assert_eq!(
        plan.steps[..4],
        [
            Step::WriteAndReread,
            Step::Start(3),
            Step::Start(4),
            Step::Reload
        ]
    );
    // Shrink: the reload takes them out before they stop.
    let two = with(|s| s.replicas = 2);
    let valid = validate(&two).unwrap();
    let plan = apply(
        &valid,
        &change(&three, &generate(&two).unwrap().files, &valid),
    )
    .unwrap();
    assert_eq!(
        plan.steps,
        [
            Step::WriteAndReread,
            Step::Reload,
            Step::StopAndRemove("p2".into()),
            plan.steps[3].clone()
        ]
    );
    // A changed webapp.ini: every replica rolled with its new settings, then all back.
    let threads = with(|s| s.threads = 4);
    let valid = validate(&threads).unwrap();
    let plan = apply(
        &valid,
        &change(&three, &generate(&threads).unwrap().files, &valid),
    )
    .unwrap();
    assert_eq!(
        plan.steps,
        [
            Step::WriteAndReread,
            Step::Reload,
            roll(0, true),
            roll(1, true),
            roll(2, true),
            Step::Reload
        ]
    );
    assert_eq!(plan.rolls().collect::<Vec<_>>(), [0, 1, 2]);
    // Nothing changed: nothing to do.
    let valid = validate(&Spec::default()).unwrap();
    assert!(apply(&valid, &change(&three, &three, &valid))
        .unwrap()
        .is_empty());
    // supervisord's own socket moves: refused, naming what to do instead.
    let moved = with(|s| s.run_dir = Some("/run/other".into()));
    let valid = validate(&moved).unwrap();
    let why = apply(
        &valid,
        &change(&three, &generate(&moved).unwrap().files, &valid),
    )
    .unwrap_err();
    assert!(
        why.contains("shutdown") && why.contains("trident generate --out"),
        "{why}"
    );
}
