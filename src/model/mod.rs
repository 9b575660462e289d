//! The contact-center data model: channels, skills, capacity, agents, queues, interactions.

pub(crate) mod agent;
pub(crate) mod attributes;
pub(crate) mod calendar;
pub(crate) mod capacity;
pub(crate) mod channel;
pub(crate) mod expression;
pub(crate) mod interaction;
pub(crate) mod preference;
pub(crate) mod queue;
pub(crate) mod skill;
pub(crate) mod step;
pub(crate) mod vecmap;
pub(crate) mod wrap_up;
