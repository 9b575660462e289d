//! The `snapshot` target: bytes to `EngineSnapshot` to `Engine::restore`.
//!
//! Two decoders:
//!
//! * **JSON** (the input starts with `{`): the bytes are a snapshot as serde writes it.
//! * **Structured** (anything else): the first byte says how many operations of the
//!   `commands` interpreter build a real engine from the bytes that follow (the second byte
//!   is its configuration, as for `commands`); its snapshot, as a
//!   JSON tree, then takes one edit per 4 remaining bytes (a leaf set to 0, 1, a neighbour's
//!   value or an extreme; an element of a list dropped, doubled or swapped). Edits of real
//!   snapshots are what find the impossible states a restore must refuse.
//!
//! Whatever `restore` accepts must pass `check_invariants`, snapshot back to a fixed point,
//! and take a workout of commands and timeouts without panicking.

use serde_json::Value;
use switchboard::{Engine, EngineSnapshot};

use crate::harness::bytes::Bytes;
use crate::harness::exercise::exercise;
use crate::harness::guards::{self, Bug};
use crate::harness::run::Run;
use crate::harness::{Mode, Outcome, commands};

/// Most operations that build the engine in structured mode.
pub const MAX_BUILD_OPS: usize = 40;
/// Most edits in structured mode.
pub const MAX_EDITS: usize = 8;

/// Runs one input of the `snapshot` target.
pub fn run(data: &[u8], mode: Mode) -> Outcome {
    let value = if data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        match serde_json::from_slice::<Value>(data) {
            Ok(v) => v,
            Err(_) => return Outcome::default(),
        }
    } else {
        match edited(data, mode) {
            Ok(v) => v,
            // Building hit a guard: the snapshot would not be the strict run's.
            Err(bug) => return Outcome::guarded(bug),
        }
    };
    if mode == Mode::Guarded {
        if let Err(bug) = guards::snapshot_json(&value) {
            return Outcome::guarded(bug);
        }
    }
    let Ok(snapshot) = serde_json::from_value::<EngineSnapshot>(value) else {
        return Outcome::default();
    };
    check(snapshot, mode)
}

/// Restores a snapshot and, if it is accepted, holds the engine to its promises.
pub fn check(snapshot: EngineSnapshot, mode: Mode) -> Outcome {
    let Ok(engine) = Engine::restore(snapshot) else {
        return Outcome { parsed: true, ..Outcome::default() };
    };
    if mode == Mode::Guarded {
        if let Err(bug) = guards::engine(&engine) {
            return Outcome::guarded(bug);
        }
    }
    if let Err(v) = engine.check_invariants() {
        panic!("restore accepted a snapshot that breaks an invariant: {v}");
    }
    if let Err(e) = crate::harness::run::check_time(&engine) {
        if mode == Mode::Guarded {
            return Outcome::guarded(Bug::ImpossibleRestore);
        }
        panic!("restore accepted an impossible state: {e}");
    }
    let mut run = Run::new(engine, mode);
    run.outcome.parsed = true;
    run.outcome.restored = true;
    run.restore_roundtrip();
    exercise(&mut run);
    run.finish()
}

/// Structured mode: a real engine's snapshot, edited; the bug if building it hit a guard.
fn edited(data: &[u8], mode: Mode) -> Result<Value, Bug> {
    let mut b = Bytes::new(data);
    let ops = b.below(MAX_BUILD_OPS + 1);
    let flags = b.u8();
    let config = commands::config(flags, &mut b).unwrap_or_default();
    if mode == Mode::Guarded {
        guards::config(&config)?;
    }
    let mut run = Run::new(Engine::new(config), mode);
    if flags & 0x40 != 0 {
        commands::bootstrap(&mut run);
    }
    for _ in 0..ops {
        commands::op(&mut run, &mut b);
    }
    if let Some(bug) = run.outcome.guard {
        return Err(bug);
    }
    let mut value = serde_json::to_value(run.engine.snapshot()).expect("a snapshot encodes");
    for _ in 0..MAX_EDITS {
        if b.is_empty() {
            break;
        }
        edit(&mut value, &mut b);
    }
    Ok(value)
}

/// Interesting numbers for a leaf.
const NUMBERS: [i128; 10] =
    [0, 1, 2, -1, 1_700_000_000_000, u64::MAX as i128, u64::MAX as i128 - 1, i64::MAX as i128, i64::MIN as i128, 5];

fn edit(root: &mut Value, b: &mut Bytes) {
    let mut paths = Vec::new();
    collect(root, &mut Vec::new(), &mut paths);
    let Some(path) = b.choose(&paths).cloned() else { return };
    let action = b.u8();
    let donor = b.choose(&paths).and_then(|p| get(root, p).cloned());
    let Some(node) = get_mut(root, &path) else { return };
    match node {
        Value::Array(items) if !items.is_empty() => {
            let i = usize::from(action >> 2) % items.len();
            match action & 3 {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    items.push(copy);
                }
                2 => items.swap(0, i),
                _ => items.clear(),
            }
        }
        _ => {
            *node = match action % 4 {
                0 => donor.unwrap_or(Value::Null),
                1 => Value::Null,
                _ => {
                    let n = NUMBERS[usize::from(action >> 2) % NUMBERS.len()];
                    match node.as_i64().map(i128::from).or_else(|| node.as_u64().map(i128::from)) {
                        Some(old) if action & 0x80 != 0 => number(old.saturating_add(n.signum())),
                        _ => number(n),
                    }
                }
            };
        }
    }
}

fn number(n: i128) -> Value {
    if let Ok(u) = u64::try_from(n) {
        Value::from(u)
    } else if let Ok(i) = i64::try_from(n) {
        Value::from(i)
    } else {
        Value::Null
    }
}

/// A step into a JSON tree.
#[derive(Clone, Debug)]
enum Step {
    Index(usize),
    Key(String),
}

/// Every node's path, in pre-order.
fn collect(node: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match node {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                prefix.push(Step::Index(i));
                collect(item, prefix, out);
                prefix.pop();
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                prefix.push(Step::Key(k.clone()));
                collect(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn get<'v>(mut node: &'v Value, path: &[Step]) -> Option<&'v Value> {
    for step in path {
        node = match step {
            Step::Index(i) => node.get(*i)?,
            Step::Key(k) => node.get(k.as_str())?,
        };
    }
    Some(node)
}

fn get_mut<'v>(mut node: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    for step in path {
        node = match step {
            Step::Index(i) => node.get_mut(*i)?,
            Step::Key(k) => node.get_mut(k.as_str())?,
        };
    }
    Some(node)
}
