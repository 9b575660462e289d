//! A discrete-event simulator that drives the real engine through a
//! contact-center period (feature `sim`, on by default).
//!
//! The simulator's only model of routing is [`Engine`](crate::Engine)
//! itself: it feeds commands with simulated time and reacts to the events it
//! polls, as customers and agents' desktops would. Arrivals, handle times,
//! patience and attributes come from seeded [`SimRng`] streams, one per
//! purpose, so the same scenario and seed give the same run on any machine,
//! and two routing configurations run with one seed see the same customers
//! (common random numbers).
//!
//! A scenario is untrusted data: [`Scenario::from_json`] refuses unknown
//! fields and names the path of any bad value, [`Scenario::validate`] refuses
//! nonsense values, and every run first checks the work the scenario asks for
//! against [`SimLimits`] (defaults generous for a real month; raise them
//! through [`RunOptions`]), so an accepted scenario finishes in bounded time.

mod calendar;
mod compare;
mod customers;
mod limits;
mod random;
mod report;
mod rules;
mod run;
mod scenario;
mod student;

pub use compare::{
    Comparison, ComparisonRow, Estimate, QueueEstimates, Replications, WhatIf, compare, replicate, replicate_with,
};
pub use limits::{RunOptions, SimLimit, SimLimits};
pub use random::{Distribution, SimRng};
pub use report::{Figures, IntervalRow, SimReport, SummaryRow, simulate, simulate_with};
pub use rules::{
    ActionSpec, AdmissionRuleSpec, AgentAttributeSpec, CalendarSpec, ExceptionRuleSpec, GroupAttributeSpec,
    TriggerSpec, WhenEmptySpec,
};
pub use run::{BREAK_REASON, Observer, RunSummary, Simulation};
pub use scenario::{
    AgentGroupSpec, ArrivalSpec, AttributeSpec, AttributeValueSpec, BUILTIN_DAY, BreakSpec, CallbackOfferSpec,
    ChannelCapacitySpec, MembershipSpec, OverflowSpec, QueueSpec, RepeatSpec, Scenario, ScenarioError, SkillLevel,
    SkillSpec, SlaSpec, StepSpec,
};
