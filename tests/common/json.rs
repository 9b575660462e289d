//! Editing scenario JSON in tests, shared by the simulator's test files
//! (included with `#[path]`, since they do not use the engine harness).

use serde_json::Value;

/// Sets the value at a JSON pointer (`/queues/0/calendar`), creating the last key if needed.
pub fn set(v: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match v.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent}")) {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(list) => match key.parse::<usize>().unwrap() {
            k if k == list.len() => list.push(value),
            k => list[k] = value,
        },
        other => panic!("{parent} is {other}"),
    }
}

/// `base` with each (pointer, value) of `changes` set.
#[allow(dead_code)]
pub fn with(base: Value, changes: &[(&str, Value)]) -> Value {
    let mut v = base;
    for (pointer, value) in changes {
        set(&mut v, pointer, value.clone());
    }
    v
}

/// The scenario a test's JSON describes, read as a host would read a file; panics with the error.
#[allow(dead_code)]
pub fn load(v: &Value) -> switchboard::sim::Scenario {
    switchboard::sim::Scenario::from_json(&v.to_string()).unwrap_or_else(|e| panic!("{e}"))
}
