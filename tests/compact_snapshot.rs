//! The compact snapshot (feature `compact`): every state of a busy simulated
//! day survives the round trip exactly, restores, and is several times smaller
//! than the JSON form; bad bytes are typed errors, never panics.
#![cfg(all(feature = "compact", feature = "sim"))]

use switchboard::sim::{Scenario, Simulation};
use switchboard::{CompactSnapshotError, Engine, EngineSnapshot, Event};

#[test]
fn every_state_of_a_day_round_trips_and_restores() {
    let scenario = Scenario::builtin_day();
    let mut checked = 0;
    let mut events = 0u64;
    let mut largest_ratio = 0.0f64;
    let mut observe = |_: &Event, engine: &Engine| {
        events += 1;
        if events % 97 != 0 {
            return;
        }
        let snapshot = engine.snapshot();
        let compact = snapshot.to_compact();
        let back = EngineSnapshot::from_compact(&compact).expect("a compact snapshot decodes");
        assert_eq!(back, snapshot, "after {events} events");
        let restored = Engine::restore(back).expect("a decoded snapshot restores");
        assert_eq!(restored.snapshot(), snapshot);
        let json = serde_json::to_vec(&snapshot).unwrap();
        largest_ratio = largest_ratio.max(compact.len() as f64 / json.len() as f64);
        checked += 1;
    };
    Simulation::new(&scenario, 7).unwrap().run(&mut observe);
    assert!(checked > 20, "checked {checked} states");
    assert!(largest_ratio < 0.35, "compact is at most about a third of the JSON: {largest_ratio:.2}");
}

#[test]
fn bad_bytes_are_typed_errors() {
    let good = Engine::new(Default::default()).snapshot().to_compact();
    assert_eq!(EngineSnapshot::from_compact(b""), Err(CompactSnapshotError::BadHeader));
    assert_eq!(EngineSnapshot::from_compact(b"{\"config\":1}"), Err(CompactSnapshotError::BadHeader));
    for version in [1, 2, 3, 4, 5, 7] {
        // 1 to 5: before the fields of issues #11, #12 and #13 (3: steps, before eligibility
        // expressions; 4: before preferences and case owners; 5: before parallel offers and
        // scheduled callbacks);
        // 7: a format from the future.
        let mut other_version = good.clone();
        other_version[7] = version;
        assert_eq!(EngineSnapshot::from_compact(&other_version), Err(CompactSnapshotError::BadHeader));
    }
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(EngineSnapshot::from_compact(&longer), Err(CompactSnapshotError::TrailingBytes(1)));
    // Every truncation and every single-byte change decodes to an error or to a
    // snapshot that restore then judges; none panics.
    for cut in 0..good.len() {
        assert!(EngineSnapshot::from_compact(&good[..cut]).is_err(), "cut at {cut}");
    }
    for at in 8..good.len() {
        for byte in [0u8, 1, 0x7f, 0x80, 0xff] {
            let mut bent = good.clone();
            bent[at] = byte;
            if let Ok(snapshot) = EngineSnapshot::from_compact(&bent) {
                let _ = Engine::restore(snapshot);
            }
        }
    }
}
