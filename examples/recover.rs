//! Crash and recovery: run a contact-center morning with a JSON-lines journal and a checkpoint,
//! "crash" two thirds of the way through — in the middle of a journal write — then recover from
//! the checkpoint plus the journal's tail and carry on. The recovered run ends in exactly the
//! state, with exactly the journal, of a run that never crashed.
//!
//! Run with `cargo run --example recover` (needs the `json` feature, on by default).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use switchboard::host::*;
use switchboard::*;

/// Agents' desktops: every offer pops up and is accepted at once. Stateless, so a recovered host
/// behaves exactly like the original.
struct Desktops;

impl ChannelAdapter for Desktops {
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        // Agent 3 does not answer calls: the offer rings until it times out.
        if offer.agent != AgentId(3) || offer.channel != Channel::Voice {
            ctx.report(Command::Accept { agent: offer.agent, offer: offer.id });
        }
        Ok(())
    }
}

const START: Timestamp = Timestamp::from_secs(1_767_258_000); // 2026-01-01 09:00 UTC
const STEP: Duration = Duration::from_secs(5);
const STEPS: u32 = 240; // twenty minutes

/// The host's side of the morning at step `n`: the commands it submits then. It reads the
/// engine (which customers are done talking), so it is a function of the state, as a real host is.
fn host_commands(n: u32, engine: &Engine) -> Vec<Command> {
    let mut commands = Vec::new();
    if n == 0 {
        commands.push(Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Voice, Channel::Chat])));
        for a in 1..=4 {
            let cap = CapacityProfile::new(100)
                .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
                .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(50));
            commands.push(Command::AddAgent(
                AgentConfig::new(AgentId(a), cap).with_queue(QueueMembership::new(QueueId(1))),
            ));
            commands.push(Command::Login { agent: AgentId(a) });
        }
        return commands;
    }
    // A customer every 15 s, alternating voice and chat.
    if n % 3 == 0 {
        let id = u64::from(n / 3);
        let channel = if id % 2 == 0 { Channel::Voice } else { Channel::Chat };
        commands.push(Command::Arrive(NewInteraction::new(
            InteractionId(id),
            channel,
            QueueId(1),
            CustomerId(id % 17),
        )));
    }
    // Conversations last 70 to 130 s from arrival.
    let now = START + STEP * n;
    for i in engine.interactions() {
        if let InteractionState::Connected { agent } = i.state() {
            let talk = Duration::from_secs(70 + 20 * (i.id().0 % 4));
            if i.arrived_at() + talk <= now {
                commands.push(Command::Complete { agent, interaction: i.id() });
            }
        }
    }
    // Agent 3 misses offers and gets paused; the supervisor makes them ready again now and then.
    if n % 24 == 0 && matches!(engine.agent(AgentId(3)).map(|a| a.presence()), Some(Presence::Paused(_))) {
        commands.push(Command::Resume { agent: AgentId(3) });
    }
    commands
}

/// Runs steps `from..to` on a driver.
fn run(driver: &mut Driver, clock: &ManualClock, from: u32, to: u32) -> Result<(), DriverError> {
    for n in from..to {
        clock.set(START + STEP * n);
        let commands = host_commands(n, driver.engine());
        let report = driver.submit_batch(commands)?;
        for error in report.results.into_iter().filter_map(Result::err) {
            println!("  refused at step {n}: {error}");
        }
        driver.tick()?;
    }
    Ok(())
}

fn driver(
    engine: Engine,
    clock: &ManualClock,
    journal: JsonLinesJournal,
    last_seq: u64,
) -> Result<Driver, DriverError> {
    Driver::builder(engine)
        .clock(clock.clone())
        .adapter([Channel::Voice, Channel::Chat], Desktops)
        .journal(journal)
        .resume_after(last_seq)
        .build()
}

/// Writes a checkpoint so that a crash never leaves half of one: a temporary file, then a rename.
fn store_checkpoint(checkpoint: &Checkpoint, path: &Path) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = fs::File::create(&tmp)?;
    file.write_all(&serde_json::to_vec(checkpoint).map_err(std::io::Error::other)?)?;
    file.sync_all()?;
    fs::rename(tmp, path)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir: PathBuf = std::env::temp_dir().join(format!("switchboard-recover-example-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let result = scenario(&dir);
    fs::remove_dir_all(&dir)?;
    result
}

fn scenario(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let config = EngineConfig::default();

    // 1. The reference: the whole morning, no crash.
    let reference_path = dir.join("reference.jsonl");
    let clock = ManualClock::new(START);
    let journal = JsonLinesJournal::create(&reference_path, JsonLinesOptions::new())?;
    let mut reference = driver(Engine::new(config.clone()), &clock, journal, 0)?;
    run(&mut reference, &clock, 0, STEPS)?;
    println!("reference run: {} commands journaled, totals {:?}", reference.last_seq(), reference.engine().totals());

    // 2. The same morning, with a checkpoint at a third, and a crash at two thirds.
    let journal_path = dir.join("journal.jsonl");
    let checkpoint_path = dir.join("checkpoint.json");
    let clock = ManualClock::new(START);
    let options = JsonLinesOptions::new().with_flush(FlushPolicy::EveryBatch);
    let journal = JsonLinesJournal::create(&journal_path, options)?;
    let mut first = driver(Engine::new(config.clone()), &clock, journal, 0)?;
    run(&mut first, &clock, 0, STEPS / 3)?;
    let checkpoint = first.checkpoint();
    store_checkpoint(&checkpoint, &checkpoint_path)?;
    println!("checkpoint at step {}: contains journal entries up to {}", STEPS / 3, checkpoint.last_seq);
    let crash = STEPS * 2 / 3;
    run(&mut first, &clock, STEPS / 3, crash)?;
    println!("crash at step {crash}, after journal entry {}, in the middle of writing the next one", first.last_seq());
    drop(first);
    let half_a_line =
        br#"{"crc32c":"6c2e4f1a","entry":{"seq":9999,"at":1767258800000,"command":{"accept":{"agent":2,"off"#;
    fs::OpenOptions::new().append(true).open(&journal_path)?.write_all(half_a_line)?;

    // 3. Recovery: the checkpoint, the journal (its torn last line cut off), the tail replayed.
    let checkpoint: Checkpoint = serde_json::from_slice(&fs::read(&checkpoint_path)?)?;
    let (journal, recovered) = JsonLinesJournal::open(&journal_path, options)?;
    println!("journal: {}", recovered.report);
    let (engine, replayed) = checkpoint.recover(recovered.entries, |_event| {})?;
    println!(
        "replay: skipped {} entries already in the checkpoint, applied {}, engine now at entry {}",
        replayed.skipped, replayed.applied, replayed.last_seq
    );
    let mut second = driver(engine, &clock, journal, replayed.last_seq)?;
    // The host's clock is where it was at the crash; it carries on from there.
    run(&mut second, &clock, crash, STEPS)?;

    // 4. The recovered run continued identically.
    let same_state = second.engine().snapshot() == reference.engine().snapshot();
    let same_journal =
        JsonLinesJournal::read(&journal_path)?.entries == JsonLinesJournal::read(&reference_path)?.entries;
    println!("recovered run: {} commands journaled, totals {:?}", second.last_seq(), second.engine().totals());
    println!("same final state as the reference: {same_state}");
    println!("same journal as the reference: {same_journal}");
    if !(same_state && same_journal) {
        return Err("the recovered run diverged".into());
    }
    Ok(())
}
