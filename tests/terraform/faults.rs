//! The complete example under injected faults: 429s, 5xx before handling, and answers lost after
//! the write committed. Applies are repeated until one succeeds; then nothing is duplicated,
//! nothing is orphaned, and the plan converges (a few rounds of the chaos check of ARCHITECTURE.md,
//! "Reliability").

use crate::complete::{complete_example, two_orgs};
use maskinporten_sim::Faults;

fn active(state: &serde_json::Value, kind: &str) -> usize {
    state[kind].as_array().into_iter().flatten().filter(|x| x["active"] == true).count()
}

#[test]
fn the_complete_example_converges_under_faults_without_duplicates() {
    for seed in [1u64, 7, 42] {
        let sim = two_orgs();
        let mut ex = complete_example(&sim, "1.15");
        ex.provider.env("MASKINPORTEN_MAX_RETRIES", "8");
        ex.consumer.env("MASKINPORTEN_MAX_RETRIES", "8");
        sim.sim.set_faults(Faults {
            rate_429: 0.1,
            retry_after_secs: 0,
            rate_5xx: 0.15,
            rate_lost_after_commit: 0.1,
            seed,
            ..Faults::default()
        });
        let mut failures = vec![];
        for half in ex.halves() {
            let mut ok = false;
            for _ in 0..8 {
                let run = half.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
                if run.code == 0 {
                    ok = true;
                    break;
                }
                failures.push(run.flat_text());
            }
            assert!(ok, "seed {seed}: no apply succeeded in 8 attempts:\n{}", failures.join("\n\n"));
        }
        let injected = sim.sim.set_faults(Faults::default());
        assert!(injected > 0, "seed {seed}: faults were injected");
        eprintln!("seed {seed}: {injected} faults injected, {} failed applies before success", failures.len());
        ex.assert_converged();
        let state = sim.state();
        let counts = (active(&state, "scopes"), active(&state, "accesses"), active(&state, "clients"));
        assert_eq!(counts, (1, 1, 1), "seed {seed}: exactly one of each, no duplicate, no orphan");
        let keys: usize =
            state["keys"].as_object().map_or(0, |m| m.values().map(|v| v.as_array().map_or(0, Vec::len)).sum());
        assert_eq!(keys, 1, "seed {seed}: one key");
        ex.destroy();
        let state = sim.state();
        assert_eq!(
            (active(&state, "scopes"), active(&state, "accesses"), active(&state, "clients")),
            (0, 0, 0),
            "seed {seed}: destroyed"
        );
    }
}

/// Digdir's read side lagging behind its writes (the simulator's consistency fault: each write
/// reaches reads 0–2 s later, in order): the complete example applies at the first attempt, a
/// read right after our own write is not taken for drift, and nothing is made twice.
#[test]
fn the_complete_example_converges_while_reads_lag_behind_writes() {
    let sim = two_orgs();
    let ex = complete_example(&sim, "1.15");
    sim.sim.set_faults(Faults { consistency_delay_ms: 2000, seed: 3, ..Faults::default() });
    for half in ex.halves() {
        half.apply();
    }
    ex.assert_converged();
    assert!(sim.sim.stale_reads() > 0, "reads were answered from the lagging side");
    let state = sim.state();
    let counts = (active(&state, "scopes"), active(&state, "accesses"), active(&state, "clients"));
    assert_eq!(counts, (1, 1, 1), "exactly one of each");
    ex.destroy();
    let state = sim.state();
    assert_eq!((active(&state, "scopes"), active(&state, "accesses"), active(&state, "clients")), (0, 0, 0));
}
