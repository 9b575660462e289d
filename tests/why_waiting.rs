//! "Why is it still waiting?" (issue #12, §7): the view names the queues its agents serve first
//! and its place in its own queue, beside the step, closing and blending reasons other tests cover.

use crate::common;

use common::*;
use switchboard::*;

/// One agent serves queue 1 at priority 2 and queue 2 at priority 1, and is busy. A call in queue
/// 2 waits behind queue 1 (which has a call too) and behind the older call of its own queue.
#[test]
fn it_names_the_queues_served_first_and_its_place_in_line() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Voice])));
    let busy = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1))
        .with_queue(QueueMembership::new(QueueId(1)).with_priority(2))
        .with_queue(QueueMembership::new(QueueId(2)).with_priority(1));
    h.add_agent(busy);
    h.arrive(100, Channel::Voice, 1).accept(100);
    h.at(1.0).arrive(1, Channel::Voice, 2);
    h.at(2.0).arrive(2, Channel::Voice, 2);
    // Nothing waits in queue 1 yet: nothing is served first.
    let why = h.engine.why_waiting(InteractionId(2)).unwrap();
    assert_eq!((why.ahead_in_queue, why.behind_queues.clone()), (1, vec![]), "{why:?}");
    h.at(3.0).arrive(3, Channel::Voice, 1);
    let why = h.engine.why_waiting(InteractionId(1)).unwrap();
    assert_eq!((why.ahead_in_queue, why.behind_queues.clone()), (0, vec![QueueId(1)]), "{why:?}");
    assert_eq!((why.logged_in, why.ready), (1, 0), "the member is logged in but busy");
    // And the agent, freed, takes queue 1's call first, as the view said.
    h.at(10.0).complete(100);
    assert_eq!(h.offers().last().unwrap().interaction, InteractionId(3));
}
