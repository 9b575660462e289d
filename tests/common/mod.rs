//! A small test harness: an engine, a clock in seconds, and the event log.
#![allow(dead_code)]

use std::time::Duration;

use switchboard::*;

/// The start of every test day.
pub const T0: i64 = 1_700_000_000_000;

pub struct Harness {
    pub engine: Engine,
    pub now: Timestamp,
    pub log: Vec<Event>,
    seen: usize,
}

impl Harness {
    pub fn new(config: EngineConfig) -> Self {
        Harness { engine: Engine::new(config), now: Timestamp::from_millis(T0), log: Vec::new(), seen: 0 }
    }

    /// Moves the clock to `secs` after the start, firing timers on the way.
    pub fn at(&mut self, secs: f64) -> &mut Self {
        self.now = Timestamp::from_millis(T0 + (secs * 1000.0).round() as i64);
        self.engine.handle_timeout(self.now).expect("harness time moves forward");
        self.drain();
        self
    }

    /// Moves the clock to an absolute time, firing timers on the way.
    pub fn at_time(&mut self, t: Timestamp) -> &mut Self {
        self.now = t;
        self.engine.handle_timeout(t).expect("harness time moves forward");
        self.drain();
        self
    }

    pub fn try_cmd(&mut self, command: Command) -> Result<(), CommandError> {
        let result = self.engine.handle(command, self.now);
        self.drain();
        result
    }

    #[track_caller]
    pub fn cmd(&mut self, command: Command) -> &mut Self {
        let shown = format!("{command:?}");
        if let Err(e) = self.try_cmd(command) {
            panic!("{shown} failed: {e}");
        }
        self
    }

    fn drain(&mut self) {
        while let Some(e) = self.engine.poll_event() {
            self.log.push(e);
        }
        if let Err(v) = self.engine.check_invariants() {
            panic!("{v}\nlog: {:#?}", self.log);
        }
    }

    /// Events since the last call.
    pub fn new_events(&mut self) -> Vec<EventKind> {
        let out = self.log[self.seen..].iter().map(|e| e.kind.clone()).collect();
        self.seen = self.log.len();
        out
    }

    /// Every offer made so far, in order.
    pub fn offers(&self) -> Vec<Offer> {
        self.log
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::InteractionOffered(o) => Some(o.clone()),
                _ => None,
            })
            .collect()
    }

    /// The latest offer of an interaction.
    #[track_caller]
    pub fn offer_of(&self, interaction: u64) -> Offer {
        self.offers()
            .into_iter()
            .rev()
            .find(|o| o.interaction == InteractionId(interaction))
            .expect("interaction was offered")
    }

    /// The (interaction, agent) pairs offered so far, in order.
    pub fn offer_pairs(&self) -> Vec<(u64, u64)> {
        self.offers().iter().map(|o| (o.interaction.0, o.agent.0)).collect()
    }

    /// Accepts the latest offer of an interaction.
    pub fn accept(&mut self, interaction: u64) -> &mut Self {
        let o = self.offer_of(interaction);
        self.cmd(Command::Accept { agent: o.agent, offer: o.id })
    }

    pub fn complete(&mut self, interaction: u64) -> &mut Self {
        let agent = match self.state(interaction) {
            Some(InteractionState::Connected { agent }) => agent,
            other => panic!("i{interaction} is not connected: {other:?}"),
        };
        self.cmd(Command::Complete { agent, interaction: InteractionId(interaction) })
    }

    pub fn state(&self, interaction: u64) -> Option<InteractionState> {
        self.engine.interaction(InteractionId(interaction)).map(|i| i.state())
    }

    pub fn presence(&self, agent: u64) -> Presence {
        self.engine.agent(AgentId(agent)).expect("agent exists").presence()
    }

    pub fn outcome(&self, interaction: u64) -> Option<Outcome> {
        self.log.iter().find_map(|e| match e.kind {
            EventKind::InteractionEnded { interaction: i, outcome, .. } if i == InteractionId(interaction) => {
                Some(outcome)
            }
            _ => None,
        })
    }

    pub fn arrive(&mut self, id: u64, channel: Channel, queue: u64) -> &mut Self {
        self.cmd(Command::Arrive(NewInteraction::new(InteractionId(id), channel, QueueId(queue), CustomerId(id))))
    }

    pub fn arrive_with(&mut self, new: NewInteraction) -> &mut Self {
        self.cmd(Command::Arrive(new))
    }

    /// Throws the engine away and carries on from its snapshot, through JSON (and, with the
    /// `compact` feature, checks that the compact form reads back the same).
    pub fn restart_from_snapshot(&mut self) -> &mut Self {
        let snapshot = self.engine.snapshot();
        #[cfg(feature = "compact")]
        assert_eq!(EngineSnapshot::from_compact(&snapshot.to_compact()).unwrap(), snapshot);
        let json = serde_json::to_string(&snapshot).unwrap();
        self.engine = Engine::restore(serde_json::from_str(&json).unwrap()).unwrap();
        self
    }

    pub fn add_agent(&mut self, config: AgentConfig) -> &mut Self {
        let id = config.id;
        self.cmd(Command::AddAgent(config)).cmd(Command::Login { agent: id })
    }
}

pub fn level(l: u8) -> Proficiency {
    Proficiency::new(l).expect("test levels are 1 to 5")
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// An agent with one channel at `max` concurrency serving the given queues.
pub fn agent(id: u64, channel: Channel, max: u32, queues: &[u64]) -> AgentConfig {
    let mut a = AgentConfig::new(AgentId(id), CapacityProfile::single(channel, max));
    for q in queues {
        a = a.with_queue(QueueMembership::new(QueueId(*q)));
    }
    a
}

/// An agent who takes one exclusive call, or up to three chats and two e-mails within 100 units.
pub fn blended_agent(id: u64, queues: &[u64]) -> AgentConfig {
    let cap = CapacityProfile::new(100)
        .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
        .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30))
        .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(20));
    let mut a = AgentConfig::new(AgentId(id), cap);
    for q in queues {
        a = a.with_queue(QueueMembership::new(QueueId(*q)));
    }
    a
}

pub fn queue(id: u64, channels: &[Channel]) -> QueueConfig {
    QueueConfig::new(QueueId(id), format!("q{id}"), channels.iter().copied())
}

/// A harness with the default config that never pauses agents on a missed offer.
pub fn harness() -> Harness {
    Harness::new(EngineConfig::builder().missed_offer_pause(None).build().unwrap())
}

/// A temporary directory for journal files, removed on drop.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("switchboard-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the temp dir is writable");
        TempDir(dir)
    }

    pub fn file(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A harness with statistics fed from every event, in order, right after each command.
pub struct Lab {
    pub h: Harness,
    pub stats: switchboard::stats::Statistics,
    fed: usize,
}

impl Lab {
    pub fn new(config: switchboard::stats::StatsConfig) -> Self {
        Lab { h: harness(), stats: switchboard::stats::Statistics::new(config), fed: 0 }
    }

    pub fn feed(&mut self) {
        for event in &self.h.log[self.fed..] {
            self.stats.observe(event, &self.h.engine);
        }
        self.fed = self.h.log.len();
    }

    /// Moves time forward: the engine fires its timers, and the statistics'
    /// clock follows even when no event happens (as a host's run loop does).
    pub fn at(&mut self, secs: f64) -> &mut Self {
        self.h.at(secs);
        self.feed();
        self.stats.advance(self.h.now);
        self
    }

    pub fn cmd(&mut self, command: Command) -> &mut Self {
        self.h.cmd(command);
        self.feed();
        self
    }

    pub fn accept(&mut self, id: u64) -> &mut Self {
        self.h.accept(id);
        self.feed();
        self
    }

    pub fn complete(&mut self, id: u64) -> &mut Self {
        self.h.complete(id);
        self.feed();
        self
    }

    pub fn abandon(&mut self, id: u64) -> &mut Self {
        self.cmd(Command::Abandon { interaction: InteractionId(id) })
    }

    pub fn reports(&mut self) -> Vec<switchboard::stats::IntervalReport> {
        std::iter::from_fn(|| self.stats.poll_report()).collect()
    }
}
