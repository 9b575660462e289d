//! Scenario tests for wrap-up modes (issue #13 §6): optional, time-boxed, forced and untimed
//! wrap-up, a single extension, a default code at the limit, an agent's own rule, and wrap-up
//! holding the agent's capacity for every queue; hand-computed.

use crate::common;

use common::*;
use switchboard::*;

const CODE: &str = "no code given";

/// Queue 1 (voice) with a 60 s wrap-up in `mode`, 30 s of extension, a default code; agent 1.
fn desk(mode: WrapUpMode) -> Harness {
    let mut h = harness();
    let q =
        queue(1, &[Channel::Voice]).with_wrap_up(secs(60)).with_wrap_up_mode(mode, Some(secs(30)), Some(CODE.into()));
    h.cmd(Command::AddQueue(q));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h
}

/// Call 1 answered at 0 s and completed at 10 s: wrap-up from 10 s.
fn in_wrap_up(mode: WrapUpMode) -> Harness {
    let mut h = desk(mode);
    h.arrive(1, Channel::Voice, 1).accept(1);
    h.at(10.0).complete(1);
    h
}

fn end(h: &mut Harness) -> Result<(), CommandError> {
    h.try_cmd(Command::EndWrapUp { agent: AgentId(1), interaction: InteractionId(1) })
}

fn code(h: &mut Harness, code: &str) {
    h.cmd(Command::Disposition { agent: AgentId(1), interaction: InteractionId(1), code: code.into(), notes: None });
}

/// The codes recorded for call 1, and when its wrap-up ended.
fn codes_and_end(h: &Harness) -> (Vec<String>, Option<Timestamp>) {
    let codes = h
        .log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Disposition { code, .. } => Some(code.clone()),
            _ => None,
        })
        .collect();
    let ended = h.log.iter().find(|e| matches!(e.kind, EventKind::WrapUpEnded { .. })).map(|e| e.at);
    (codes, ended)
}

fn t(secs: f64) -> Timestamp {
    Timestamp::from_millis(T0 + (secs * 1000.0) as i64)
}

#[test]
fn each_mode_ends_as_its_table_says() {
    // (mode, the agent tries to end it at 20 s without a code, then with one, expected end, codes)
    type Case = (WrapUpMode, bool, bool, f64, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        // Optional: the agent may end (or skip) it without a code.
        (WrapUpMode::Optional, true, false, 20.0, vec![]),
        // Time-boxed: only once coded; left alone, it ends at the limit with the default code.
        (WrapUpMode::TimeBoxed, false, true, 20.0, vec!["sale"]),
        (WrapUpMode::TimeBoxed, false, false, 70.0, vec![CODE]),
        // Forced: never early, even coded; the default code only if none was given.
        (WrapUpMode::Forced, false, false, 70.0, vec![CODE]),
        // Untimed: no limit at all; ends when the agent ends it, once coded.
        (WrapUpMode::Untimed, false, true, 20.0, vec!["sale"]),
    ];
    for (mode, ends_uncoded, code_then_end, ended_at, want_codes) in cases {
        let mut h = in_wrap_up(mode);
        h.at(20.0);
        let before = h.engine.snapshot();
        match (end(&mut h), ends_uncoded) {
            (Ok(()), true) => {}
            (Err(CommandError::DispositionRequired(InteractionId(1))), false)
                if matches!(mode, WrapUpMode::TimeBoxed | WrapUpMode::Untimed) => {}
            (Err(CommandError::WrapUpForced { until, .. }), false) if mode == WrapUpMode::Forced => {
                assert_eq!(until, t(70.0));
            }
            (other, _) => panic!("{mode:?}: ending uncoded gave {other:?}"),
        }
        if !ends_uncoded {
            assert_eq!(h.engine.snapshot(), before, "{mode:?}: the refusal changed nothing");
        }
        if code_then_end {
            code(&mut h, "sale");
            end(&mut h).unwrap_or_else(|e| panic!("{mode:?}: coded, it ends: {e}"));
        }
        if mode == WrapUpMode::Forced {
            code(&mut h, "sale");
            assert!(matches!(end(&mut h), Err(CommandError::WrapUpForced { .. })), "forced, even coded");
        }
        h.at(200.0);
        let (codes, ended) = codes_and_end(&h);
        let want: Vec<String> = want_codes.iter().map(|c| c.to_string()).collect();
        let want = if mode == WrapUpMode::Forced { vec!["sale".to_string()] } else { want };
        assert_eq!(codes, want, "{mode:?}");
        assert_eq!(ended, Some(t(ended_at)), "{mode:?}");
        assert_eq!(h.presence(1), Presence::Available, "{mode:?}");
    }
}

#[test]
fn an_untimed_wrap_up_has_no_deadline_and_ends_with_a_logout() {
    let mut h = in_wrap_up(WrapUpMode::Untimed);
    let started = h.log.iter().find_map(|e| match e.kind {
        EventKind::WrapUpStarted { until, .. } => Some(until),
        _ => None,
    });
    assert_eq!(started, Some(None), "no end time");
    assert_eq!(h.engine.poll_timeout(), None, "no timer");
    h.at(86_400.0);
    assert_eq!(h.presence(1), Presence::WrapUp, "a day later, still in wrap-up");
    h.cmd(Command::Logout { agent: AgentId(1) });
    assert_eq!(h.outcome(1), Some(Outcome::Handled { agent: AgentId(1) }));
    assert_eq!(codes_and_end(&h).0, Vec::<String>::new(), "untimed records no default code");
}

#[test]
fn a_wrap_up_extends_once_by_the_queues_extension() {
    let mut h = in_wrap_up(WrapUpMode::Forced);
    h.at(50.0).cmd(Command::ExtendWrapUp { agent: AgentId(1), interaction: InteractionId(1) });
    assert!(h.log.iter().any(|e| matches!(e.kind, EventKind::WrapUpExtended { until, .. } if until == t(100.0))));
    let again = h.try_cmd(Command::ExtendWrapUp { agent: AgentId(1), interaction: InteractionId(1) });
    assert!(matches!(again, Err(CommandError::WrapUpNotExtendable { why: "it was extended once already", .. })));
    h.at(99.999);
    assert_eq!(h.presence(1), Presence::WrapUp);
    h.at(100.0);
    assert_eq!(codes_and_end(&h), (vec![CODE.to_string()], Some(t(100.0))));

    let mut untimed = in_wrap_up(WrapUpMode::Untimed);
    let refused = untimed.try_cmd(Command::ExtendWrapUp { agent: AgentId(1), interaction: InteractionId(1) });
    assert!(matches!(refused, Err(CommandError::WrapUpNotExtendable { why: "it is untimed", .. })));
    let mut plain = harness();
    plain.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_wrap_up(secs(60))));
    plain.add_agent(agent(1, Channel::Voice, 1, &[1]));
    plain.arrive(1, Channel::Voice, 1).accept(1).complete(1);
    let refused = plain.try_cmd(Command::ExtendWrapUp { agent: AgentId(1), interaction: InteractionId(1) });
    assert!(matches!(refused, Err(CommandError::WrapUpNotExtendable { why: "its queue allows no extension", .. })));
}

#[test]
fn an_agents_own_rule_replaces_the_queues() {
    let mut h = desk(WrapUpMode::Optional);
    h.add_agent(agent(2, Channel::Voice, 1, &[1]).with_wrap_up(WrapUpRule::new(WrapUpMode::Forced, secs(5))));
    h.cmd(Command::Logout { agent: AgentId(1) });
    h.arrive(1, Channel::Voice, 1);
    assert_eq!(h.offer_of(1).agent, AgentId(2));
    h.accept(1).complete(1);
    let early = h.try_cmd(Command::EndWrapUp { agent: AgentId(2), interaction: InteractionId(1) });
    assert!(matches!(early, Err(CommandError::WrapUpForced { .. })), "{early:?}");
    h.at(5.0);
    assert_eq!(codes_and_end(&h), (vec![CODE.to_string()], Some(t(5.0))), "the agent's 5 s, the queue's default code");
}

#[test]
fn a_wrap_up_holds_the_agent_for_every_queue() {
    // Agent 1 serves queues 1 and 2 on one exclusive voice line. Wrapping up a call of queue 1
    // (60 s), they are offered nothing from queue 2 until the wrap-up ends.
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_wrap_up(secs(60))));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Voice])));
    h.add_agent(agent(1, Channel::Voice, 1, &[1, 2]));
    h.arrive(1, Channel::Voice, 1).accept(1);
    h.at(10.0).complete(1);
    h.arrive(2, Channel::Voice, 2);
    h.at(69.999);
    assert_eq!(h.state(2), Some(InteractionState::Queued));
    h.at(70.0);
    assert_eq!(h.offer_of(2).agent, AgentId(1));
}

#[test]
fn a_snapshot_in_wrap_up_restores_into_the_same_future() {
    for mode in [WrapUpMode::TimeBoxed, WrapUpMode::Forced, WrapUpMode::Untimed] {
        let run = |restore: bool| {
            let mut h = in_wrap_up(mode);
            h.at(20.0);
            if mode != WrapUpMode::Untimed {
                h.cmd(Command::ExtendWrapUp { agent: AgentId(1), interaction: InteractionId(1) });
            }
            if restore {
                let json = serde_json::to_string(&h.engine.snapshot()).unwrap();
                h.engine = Engine::restore(serde_json::from_str(&json).unwrap()).unwrap();
            }
            h.at(30.0);
            let _ = end(&mut h);
            code(&mut h, "sale");
            h.at(40.0);
            let _ = end(&mut h);
            h.at(200.0);
            codes_and_end(&h)
        };
        let straight = run(false);
        assert!(straight.1.is_some(), "{mode:?} ended");
        assert_eq!(run(true), straight, "{mode:?}");
    }
}

#[test]
fn bad_wrap_up_settings_are_refused() {
    let mut h = harness();
    h.at(0.0);
    let cases: Vec<(&str, Command)> = vec![
        (
            "zero extension",
            Command::AddQueue(queue(1, &[Channel::Voice]).with_wrap_up_mode(WrapUpMode::Forced, Some(secs(0)), None)),
        ),
        (
            "a default code over the byte limit",
            Command::AddQueue(queue(1, &[Channel::Voice]).with_wrap_up_mode(
                WrapUpMode::Forced,
                None,
                Some("x".repeat(5_000)),
            )),
        ),
        (
            "an agent's sub-millisecond limit",
            Command::AddAgent(
                agent(1, Channel::Voice, 1, &[])
                    .with_wrap_up(WrapUpRule::new(WrapUpMode::TimeBoxed, std::time::Duration::from_micros(10))),
            ),
        ),
    ];
    for (name, command) in cases {
        let before = h.engine.snapshot();
        let error = h.try_cmd(command).expect_err(name);
        assert!(
            matches!(error, CommandError::InvalidSpan { .. } | CommandError::LimitReached { .. }),
            "{name}: {error}"
        );
        assert_eq!(h.engine.snapshot(), before, "{name}");
    }
}
