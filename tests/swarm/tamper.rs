//! Tampered snapshots: a real checkpoint's snapshot, edited as JSON the way a bad disk, a bad
//! migration or a hostile operator might, then restored.
//!
//! * `CorruptSnapshot`: states that break a documented invariant; restore must refuse them.
//! * `ForgedSnapshot` (known bug (e)): states that keep the invariants restore checks but that
//!   no sequence of commands can produce; restore should refuse them too.
//! * `CounterOverflow` (known bug (d)): counters at their maximum; restore may refuse them, but
//!   if it accepts, the engine must keep working without a panic.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard::*;

use crate::classes::{Class, Classes};
use crate::rng::Rng;

/// An id no snapshot uses.
const GHOST: u64 = 999_999_999;

type Edit = fn(&mut Value, &mut Rng) -> Option<()>;

/// Every tampering, by class. An edit returns `None` when the snapshot has nothing to edit.
const EDITS: &[(Class, &str, Edit)] = &[
    (Class::CorruptSnapshot, "an agent listed twice", |s, r| push_copy(s, "agents", r)),
    (Class::CorruptSnapshot, "a skill listed twice", |s, r| push_copy(s, "skills", r)),
    (Class::CorruptSnapshot, "a queue listed twice", |s, r| push_copy(s, "queues", r)),
    (Class::CorruptSnapshot, "an interaction listed twice", |s, r| push_copy(s, "interactions", r)),
    (Class::CorruptSnapshot, "an agent serving an unknown queue", |s, r| {
        let m = json!({"queue": GHOST, "priority": null, "delay": 0});
        any(s, "agents", r)?["config"]["queues"].as_array_mut()?.push(m);
        Some(())
    }),
    (Class::CorruptSnapshot, "an agent holding an unregistered skill", |s, r| {
        any(s, "agents", r)?["config"]["skills"].as_object_mut()?.insert(GHOST.to_string(), json!(3));
        Some(())
    }),
    (Class::CorruptSnapshot, "an interaction in an unknown queue", |s, r| {
        any(s, "interactions", r)?["queue"] = json!(GHOST);
        Some(())
    }),
    (Class::CorruptSnapshot, "the arrival counter behind an interaction", |s, r| {
        let seq = any(s, "interactions", r)?["seq"].clone();
        s["next_seq"] = seq;
        Some(())
    }),
    (Class::CorruptSnapshot, "the offer counter behind an offer", |s, r| {
        let id = any(s, "offers", r)?["id"].clone();
        s["next_offer"] = id;
        Some(())
    }),
    (Class::CorruptSnapshot, "the timer counter behind a timer", |s, r| {
        let seq = any(s, "timers", r)?["seq"].clone();
        s["next_timer_seq"] = seq;
        Some(())
    }),
    (Class::CorruptSnapshot, "a timer for an offer that does not exist", |s, _| {
        let due = s["now"].as_i64().unwrap_or(0);
        s["timers"].as_array_mut()?.push(json!({"due": due, "kind": {"offer_timeout": GHOST}, "seq": 0}));
        Some(())
    }),
    (Class::CorruptSnapshot, "an offer without its timeout", |s, r| {
        let id = any(s, "offers", r)?["id"].clone();
        s["timers"].as_array_mut()?.retain(|t| t["kind"]["offer_timeout"] != id);
        Some(())
    }),
    (Class::CorruptSnapshot, "totals that do not add up", |s, _| {
        s["totals"]["arrived"] = json!(s["totals"]["arrived"].as_u64()? + 1);
        Some(())
    }),
    (Class::CorruptSnapshot, "a load without the work", |s, r| {
        let load = &mut any(s, "agents", r)?["load"];
        load["items"] = json!(load["items"].as_u64()? + 1);
        Some(())
    }),
    (Class::CorruptSnapshot, "a presence reported wrongly", |s, r| {
        let a = any(s, "agents", r)?;
        a["reported_presence"] =
            json!(if a["reported_presence"] == json!("available") { "offline" } else { "available" });
        Some(())
    }),
    (Class::CorruptSnapshot, "a logged-out agent holding an offer", |s, r| {
        let holders: Vec<usize> = indexes(s, "agents", |a| a["offers"].as_array().is_some_and(|o| !o.is_empty()));
        let k = *r.pick(&holders)?;
        s["agents"][k]["logged_in"] = json!(false);
        Some(())
    }),
    (Class::CorruptSnapshot, "a connected interaction held by two agents", |s, r| {
        let connected: Vec<usize> = indexes(s, "interactions", |i| i["state"].get("connected").is_some());
        let k = *r.pick(&connected)?;
        let id = s["interactions"][k]["id"].clone();
        let holder = s["interactions"][k]["state"]["connected"]["agent"].clone();
        let others: Vec<usize> = indexes(s, "agents", |a| a["config"]["id"] != holder);
        let other = *r.pick(&others)?;
        s["agents"][other]["connected"].as_array_mut()?.push(id);
        Some(())
    }),
    (Class::CorruptSnapshot, "an unknown agent blend-blocked", |s, _| {
        s["blend_blocked"].as_array_mut()?.push(json!(GHOST));
        Some(())
    }),
    (Class::CounterOverflow, "the offer counter at u64::MAX", |s, _| set(s, "next_offer", json!(u64::MAX))),
    (Class::CounterOverflow, "the arrival counter at u64::MAX", |s, _| set(s, "next_seq", json!(u64::MAX))),
    (Class::CounterOverflow, "the timer counter at u64::MAX", |s, _| set(s, "next_timer_seq", json!(u64::MAX))),
    (Class::CounterOverflow, "an agent's contacts at u64::MAX", |s, r| {
        any(s, "agents", r)?["contacts"] = json!(u64::MAX);
        Some(())
    }),
    (Class::CounterOverflow, "an interaction's offers at u32::MAX", |s, r| {
        any(s, "interactions", r)?["offers"] = json!(u32::MAX);
        Some(())
    }),
    (Class::CounterOverflow, "arrivals at u64::MAX", |s, _| {
        let live = s["interactions"].as_array()?.len() as u64;
        let t = &mut s["totals"];
        let declined = t["declined"].as_u64().unwrap_or(0);
        let handled = u64::MAX - live - t["abandoned"].as_u64()? - t["cancelled"].as_u64()? - declined;
        t["arrived"] = json!(u64::MAX);
        t["handled"] = json!(handled);
        Some(())
    }),
    (Class::ForgedSnapshot, "decliners unsorted and repeated", |s, r| {
        let agents: Vec<Value> = s["agents"].as_array()?.iter().map(|a| a["config"]["id"].clone()).collect();
        let a = r.pick(&agents)?.clone();
        any(s, "interactions", r)?["declined_by"] = json!([a.clone(), a]);
        Some(())
    }),
    (Class::ForgedSnapshot, "a place in line in the future", |s, r| {
        let later = s["now"].as_i64()?.checked_add(86_400_000)?;
        any(s, "interactions", r)?["queue_entered_at"] = json!(later);
        Some(())
    }),
    (Class::ForgedSnapshot, "an arrival after entering the queue", |s, r| {
        let i = any(s, "interactions", r)?;
        i["arrived_at"] = json!(i["queue_entered_at"].as_i64()?.checked_add(1)?);
        Some(())
    }),
    (Class::ForgedSnapshot, "an offer whose expiry disagrees with its timer", |s, r| {
        let o = any(s, "offers", r)?;
        o["expires_at"] = json!(o["expires_at"].as_i64()?.checked_sub(1)?);
        Some(())
    }),
    (Class::ForgedSnapshot, "live work and no time", |s, _| {
        s["interactions"].as_array().filter(|i| !i.is_empty())?;
        s["now"] = Value::Null;
        Some(())
    }),
    (Class::ForgedSnapshot, "an agent idle since the future", |s, r| {
        let later = s["now"].as_i64()?.checked_add(86_400_000)?;
        any(s, "agents", r)?["idle_since"] = json!(later);
        Some(())
    }),
];

fn any<'a>(s: &'a mut Value, list: &str, r: &mut Rng) -> Option<&'a mut Value> {
    let items = s[list].as_array_mut()?;
    let k = r.below(items.len() as u64) as usize;
    items.get_mut(k)
}

fn push_copy(s: &mut Value, list: &str, r: &mut Rng) -> Option<()> {
    let copy = any(s, list, r)?.clone();
    s[list].as_array_mut()?.push(copy);
    Some(())
}

fn set(s: &mut Value, field: &str, v: Value) -> Option<()> {
    s[field] = v;
    Some(())
}

fn indexes(s: &Value, list: &str, f: impl Fn(&Value) -> bool) -> Vec<usize> {
    s[list].as_array().map(|a| a.iter().enumerate().filter(|(_, v)| f(v)).map(|(k, _)| k).collect()).unwrap_or_default()
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default()
}

/// Tampers with `snapshot` a few times, by the classes switched on, and checks each restore.
///
/// # Errors
/// What restore (or the restored engine) got wrong.
pub fn check(snapshot: &EngineSnapshot, rng: &mut Rng, classes: &Classes) -> Result<(), String> {
    let original = serde_json::to_value(snapshot).map_err(|e| e.to_string())?;
    let edits: Vec<&(Class, &str, Edit)> = EDITS.iter().filter(|(c, _, _)| classes.on(*c)).collect();
    for _ in 0..3 {
        let Some(&&(class, name, edit)) = rng.pick(&edits) else { return Ok(()) };
        let mut value = original.clone();
        if edit(&mut value, rng).is_none() {
            continue;
        }
        let tampered: EngineSnapshot =
            serde_json::from_value(value).map_err(|e| format!("tampering with {name} broke the JSON: {e}"))?;
        let restored = catch_unwind(AssertUnwindSafe(|| Engine::restore(tampered)))
            .map_err(|p| format!("restore of a snapshot with {name} panicked: {}", panic_message(p)))?;
        match (class, restored) {
            (Class::CounterOverflow, Ok(mut engine)) => catch_unwind(AssertUnwindSafe(|| exercise(&mut engine)))
                .map_err(|p| format!("an engine restored with {name} panicked: {}", panic_message(p)))?
                .map_err(|e| format!("an engine restored with {name}: {e}"))?,
            (Class::CounterOverflow, Err(_)) | (_, Err(_)) => {}
            (_, Ok(_)) => return Err(format!("restore accepted a snapshot with {name}")),
        }
    }
    Ok(())
}

/// Works a restored engine a little: everyone ready, one arrival per queue, every offer
/// accepted and every conversation completed; then its snapshot must restore.
fn exercise(engine: &mut Engine) -> Result<(), String> {
    let now = engine.now().unwrap_or(Timestamp::EPOCH) + Duration::from_secs(1);
    let agents: Vec<AgentId> = engine.agents().map(|a| a.id()).collect();
    for agent in &agents {
        let _ = engine.handle(Command::Login { agent: *agent }, now);
        let _ = engine.handle(Command::Resume { agent: *agent }, now);
    }
    let queues: Vec<(QueueId, Channel)> = engine.queues().map(|q| (q.id, q.channels[0])).collect();
    for (n, (queue, channel)) in queues.into_iter().enumerate() {
        let new = NewInteraction::new(InteractionId(u64::MAX - n as u64), channel, queue, CustomerId(1));
        let _ = engine.handle(Command::Arrive(new), now);
    }
    let offers: Vec<(AgentId, OfferId)> = engine.offers().map(|o| (o.agent, o.id)).collect();
    for (agent, offer) in offers {
        let _ = engine.handle(Command::Accept { agent, offer }, now);
    }
    let connected: Vec<(AgentId, InteractionId)> =
        engine.agents().flat_map(|a| a.connected().map(move |i| (a.id(), i))).collect();
    for (agent, interaction) in connected {
        let _ = engine.handle(Command::Complete { agent, interaction }, now);
    }
    while engine.poll_event().is_some() {}
    engine.check_invariants().map_err(|v| v.to_string())?;
    Engine::restore(engine.snapshot()).map(|_| ()).map_err(|e| format!("its own snapshot does not restore: {e}"))
}
