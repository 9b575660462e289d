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
