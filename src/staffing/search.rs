//! The staffing searches: the smallest number of agents meeting a
//! [`ServiceTarget`] under Erlang C or Erlang A.

use std::time::Duration;

use super::erlang_a::AbandonQueue;
use super::erlang_b::{erlang_b_step, ln_erlang_b_step};
use super::erlang_c::{erlang_c_from_b, erlang_c_occupancy, erlang_c_service_level};
use super::validation::{fraction, patience as validated_patience, secs, validated_load};
use super::{ErlangA, ErlangC, MAX_AGENTS, StaffingError};

/// What a staffing search must achieve: at least `fraction` of offered calls
/// answered within `threshold`, and optionally an occupancy and an
/// abandonment ceiling.
///
/// Comparisons are made on the computed `f64` values, so a `fraction` of
/// exactly 1 is met once the shortfall rounds away (well within the search
/// bound) rather than reported as unreachable.
///
/// Under Erlang A, very impatient callers relieve the queue by hanging up:
/// with a service-level target alone the answer can then be *below* the
/// offered load, with many calls abandoned. Set `max_abandon_fraction` to
/// rule that out.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use switchboard::staffing::ServiceTarget;
///
/// // 80/20, agents at most 85% busy, at most 5% of callers hang up.
/// let target = ServiceTarget::new(0.8, Duration::from_secs(20))
///     .with_max_occupancy(0.85)
///     .with_max_abandon_fraction(0.05);
/// assert_eq!(target.threshold, Duration::from_secs(20));
/// assert_eq!(target.max_occupancy, Some(0.85));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ServiceTarget {
    /// Required fraction of offered calls answered within the threshold, in
    /// `[0, 1]` (0.8 for "80/20").
    pub fraction: f64,
    /// The answer-time threshold (20 s for "80/20"). [`Duration::MAX`] is
    /// infinite: "answered at all".
    pub threshold: Duration,
    /// Highest acceptable agent occupancy, in `(0, 1]`.
    pub max_occupancy: Option<f64>,
    /// Highest acceptable fraction of offered calls abandoning, in `[0, 1]`.
    /// Only Erlang A predicts abandonment; Erlang C always meets it.
    pub max_abandon_fraction: Option<f64>,
}

impl ServiceTarget {
    /// A service-level target with no occupancy or abandonment ceiling.
    #[must_use]
    pub const fn new(fraction: f64, threshold: Duration) -> Self {
        Self { fraction, threshold, max_occupancy: None, max_abandon_fraction: None }
    }

    /// Also require occupancy at most `max_occupancy`.
    #[must_use]
    pub const fn with_max_occupancy(mut self, max_occupancy: f64) -> Self {
        self.max_occupancy = Some(max_occupancy);
        self
    }

    /// Also require the abandoned fraction of offered calls to be at most
    /// `max_abandon_fraction`.
    #[must_use]
    pub const fn with_max_abandon_fraction(mut self, max_abandon_fraction: f64) -> Self {
        self.max_abandon_fraction = Some(max_abandon_fraction);
        self
    }

    fn validate(&self) -> Result<(), StaffingError> {
        fraction("fraction", self.fraction)?;
        if let Some(max) = self.max_occupancy {
            if !(max > 0.0 && max <= 1.0) {
                return Err(StaffingError::InvalidInput {
                    name: "max_occupancy",
                    value: max,
                    expected: "a fraction in (0, 1]",
                });
            }
        }
        if let Some(max) = self.max_abandon_fraction {
            fraction("max_abandon_fraction", max)?;
        }
        Ok(())
    }

    fn is_met(&self, service_level: f64, abandon_fraction: f64, occupancy: f64) -> bool {
        service_level >= self.fraction
            && self.max_abandon_fraction.is_none_or(|max| abandon_fraction <= max)
            && self.max_occupancy.is_none_or(|max| occupancy <= max)
    }
}

/// Upper end of the staffing search. `A + 10·√A + 100` agents leave an
/// Erlang C waiting probability below e⁻⁵⁰ (in Halfin–Whitt terms β ≥ 10), so
/// any service level below 1 is met there; an occupancy ceiling needs at
/// least `A / max_occupancy` agents, so that replaces `A` in the bound.
fn search_limit(load: f64, target: &ServiceTarget) -> u32 {
    let base = load.max(load / target.max_occupancy.unwrap_or(1.0));
    let limit = (base + 10.0 * load.sqrt() + 100.0).ceil();
    if limit >= f64::from(MAX_AGENTS) {
        MAX_AGENTS
    } else {
        // In range and integral, so the conversion is exact.
        limit as u32
    }
}

impl ErlangC {
    /// The smallest number of agents whose Erlang C service level reaches
    /// `target.fraction` within `target.threshold` and whose occupancy
    /// does not exceed `target.max_occupancy` (if set). Erlang C predicts no
    /// abandonment, so `target.max_abandon_fraction` is always met.
    ///
    /// Agents are tried upward from 0 (each step is one Erlang B recursion
    /// step, so this is cheap) up to `max(A, A / max_occupancy) + 10·√A + 100`,
    /// at most [`MAX_AGENTS`].
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for invalid traffic or target values;
    /// [`StaffingError::TargetUnreachable`] if no number of agents up to the
    /// bound meets the target.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use switchboard::staffing::{ErlangC, ServiceTarget};
    ///
    /// let aht = Duration::from_secs(180);
    /// let target = ServiceTarget::new(0.8, Duration::from_secs(20));
    /// assert_eq!(ErlangC::agents_for_service_level(200.0, aht, &target)?, 14);
    /// // Capping occupancy at 70% needs 10 / 0.7 = 14.3, so 15 agents.
    /// let capped = target.with_max_occupancy(0.7);
    /// assert_eq!(ErlangC::agents_for_service_level(200.0, aht, &capped)?, 15);
    /// # Ok::<(), switchboard::staffing::StaffingError>(())
    /// ```
    pub fn agents_for_service_level(
        calls_per_hour: f64,
        aht: Duration,
        target: &ServiceTarget,
    ) -> Result<u32, StaffingError> {
        let load = validated_load(calls_per_hour, aht)?;
        target.validate()?;
        let (aht_secs, threshold_secs) = (secs(aht), secs(target.threshold));
        let limit = search_limit(load, target);
        let mut b = 1.0;
        for n in 0..=limit {
            if n > 0 {
                b = erlang_b_step(n, load, b);
            }
            let c = erlang_c_from_b(n, load, b);
            let sl = erlang_c_service_level(n, load, c, aht_secs, threshold_secs);
            if target.is_met(sl, 0.0, erlang_c_occupancy(n, load)) {
                return Ok(n);
            }
        }
        Err(StaffingError::TargetUnreachable { max_agents: limit })
    }
}

impl ErlangA {
    /// The smallest number of agents meeting `target` under Erlang A: service
    /// level (answered within the threshold ÷ offered) at least
    /// `target.fraction`, and optionally occupancy and abandoned fraction at
    /// most their ceilings.
    ///
    /// Answered calls cannot outnumber what `N` agents can handle, so
    /// `SL ≤ 1 − P(abandon) ≤ N / A`; the search therefore starts at
    /// `⌊fraction·A⌋` agents — no smaller number can succeed — and walks upward
    /// to `max(A, A / max_occupancy) + 10·√A + 100`, at most [`MAX_AGENTS`].
    /// The first number meeting every condition is returned, so no
    /// monotonicity assumption is needed. An infinite patience
    /// ([`Duration::MAX`]) gives the Erlang C answer.
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for invalid traffic, patience or target
    /// values; [`StaffingError::TargetUnreachable`] when no number of agents
    /// up to the bound meets the target; [`StaffingError::OutOfRange`] for a
    /// patience millions of times the handle time.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use switchboard::staffing::{ErlangA, ErlangC, ServiceTarget};
    ///
    /// let (aht, patience) = (Duration::from_secs(180), Duration::from_secs(120));
    /// let target = ServiceTarget::new(0.8, Duration::from_secs(20));
    /// let a = ErlangA::agents_for_service_level(200.0, aht, patience, &target)?;
    /// let c = ErlangC::agents_for_service_level(200.0, aht, &target)?;
    /// assert!(a <= c);
    /// // Capping abandonment at 1% may need more agents.
    /// let strict = target.with_max_abandon_fraction(0.01);
    /// let a_strict = ErlangA::agents_for_service_level(200.0, aht, patience, &strict)?;
    /// assert!(a_strict >= a);
    /// let q = ErlangA::new(200.0, aht, patience, a_strict);
    /// assert!(q.prob_abandon()? <= 0.01);
    /// // Callers who never hang up: the Erlang C answer.
    /// assert_eq!(ErlangA::agents_for_service_level(200.0, aht, Duration::MAX, &target)?, c);
    /// # Ok::<(), switchboard::staffing::StaffingError>(())
    /// ```
    pub fn agents_for_service_level(
        calls_per_hour: f64,
        aht: Duration,
        patience: Duration,
        target: &ServiceTarget,
    ) -> Result<u32, StaffingError> {
        let load = validated_load(calls_per_hour, aht)?;
        let patience_secs = validated_patience(patience)?;
        target.validate()?;
        if patience_secs == f64::INFINITY {
            return ErlangC::agents_for_service_level(calls_per_hour, aht, target);
        }
        let (aht_secs, threshold_secs) = (secs(aht), secs(target.threshold));
        if load == 0.0 {
            // No calls: SL 1, no abandonment, occupancy 0 — nobody is needed.
            return Ok(0);
        }
        let limit = search_limit(load, target);
        // Saturating float-to-int conversion; `fraction·A ≥ 0` here.
        let start = ((target.fraction * load).floor() as u32).min(limit);
        let ln_load = load.ln();
        let mut ln_b = 0.0;
        for n in 1..=start {
            ln_b = ln_erlang_b_step(n, ln_load, ln_b);
        }
        for n in start..=limit {
            if n > start {
                ln_b = ln_erlang_b_step(n, ln_load, ln_b);
            }
            let met = if n == 0 {
                // No agents: nothing answered, everyone abandons.
                target.is_met(0.0, 1.0, 1.0)
            } else {
                let q = AbandonQueue::new(n, load, aht_secs, patience_secs, ln_b)?;
                let p_abandon = q.prob_abandon();
                target.is_met(q.served_within(threshold_secs)?, p_abandon, q.occupancy(load, n))
            };
            if met {
                return Ok(n);
            }
        }
        Err(StaffingError::TargetUnreachable { max_agents: limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A span of `secs` seconds (exact for the values below).
    fn s(secs: f64) -> Duration {
        Duration::from_secs_f64(secs)
    }

    /// The search returns the first N meeting the target: N meets it, N − 1
    /// does not. Loads up to 5,000 Erlangs.
    #[test]
    fn erlang_c_staffing_is_minimal() {
        let cases = [
            // calls/h, AHT s, fraction, threshold s
            (200.0, 180.0, 0.8, 20.0),
            (30.0, 300.0, 0.9, 15.0),
            (1_000.0, 240.0, 0.95, 10.0),
            (60_000.0, 300.0, 0.8, 20.0), // 5,000 Erlangs
            (60_000.0, 300.0, 0.99, 5.0),
            (10.0, 60.0, 0.5, 0.0),
        ];
        for (calls, aht, fraction, t) in cases {
            let target = ServiceTarget::new(fraction, s(t));
            let n = ErlangC::agents_for_service_level(calls, s(aht), &target).unwrap();
            let sl = ErlangC::new(calls, s(aht), n).service_level(s(t)).unwrap();
            assert!(sl >= fraction, "{calls}/{aht}: SL {sl} with {n}");
            let below = ErlangC::new(calls, s(aht), n - 1).service_level(s(t)).unwrap();
            assert!(below < fraction, "{calls}/{aht}: {} also meets it", n - 1);
        }
    }

    #[test]
    fn erlang_c_staffing_respects_occupancy_and_limits() {
        // 80/20 needs 14; an 0.7 occupancy ceiling needs ceil(10/0.7) = 15.
        let t = ServiceTarget::new(0.8, s(20.0)).with_max_occupancy(0.7);
        assert_eq!(ErlangC::agents_for_service_level(200.0, s(180.0), &t).unwrap(), 15);
        // A loose SL with a 50% occupancy cap at 5,000 Erlangs: 10,000 agents.
        let t = ServiceTarget::new(0.5, s(20.0)).with_max_occupancy(0.5);
        assert_eq!(ErlangC::agents_for_service_level(60_000.0, s(300.0), &t).unwrap(), 10_000);
        // Erlang C predicts no abandonment, so any ceiling is met.
        let t = ServiceTarget::new(0.8, s(20.0)).with_max_abandon_fraction(0.0);
        assert_eq!(ErlangC::agents_for_service_level(200.0, s(180.0), &t).unwrap(), 14);
        // No traffic needs nobody.
        assert_eq!(ErlangC::agents_for_service_level(0.0, s(180.0), &t).unwrap(), 0);
        // A load beyond MAX_AGENTS cannot be staffed.
        let huge = ErlangC::agents_for_service_level(1e9, s(3600.0), &ServiceTarget::new(0.8, s(20.0)));
        assert_eq!(huge, Err(StaffingError::TargetUnreachable { max_agents: MAX_AGENTS }));
        // "Answered at all" (an infinite threshold): any stable staffing, N > A.
        let t = ServiceTarget::new(0.999, Duration::MAX);
        assert_eq!(ErlangC::agents_for_service_level(200.0, s(180.0), &t).unwrap(), 11);
    }

    #[test]
    fn erlang_a_staffing_is_minimal() {
        let cases = [
            // calls/h, AHT, patience, fraction, threshold, max abandon
            (200.0, 180.0, 120.0, 0.8, 20.0, None),
            (200.0, 180.0, 120.0, 0.8, 20.0, Some(0.01)),
            (200.0, 180.0, 15.0, 0.9, 30.0, None),
            (60_000.0, 300.0, 180.0, 0.8, 20.0, None), // 5,000 Erlangs
            (60_000.0, 300.0, 180.0, 0.8, 20.0, Some(0.001)),
            (60_000.0, 300.0, 30.0, 0.95, 10.0, None),
        ];
        for (calls, aht, patience, fraction, t, max_ab) in cases {
            let mut target = ServiceTarget::new(fraction, s(t));
            target.max_abandon_fraction = max_ab;
            let n = ErlangA::agents_for_service_level(calls, s(aht), s(patience), &target).unwrap();
            let meets = |agents: u32| {
                let q = ErlangA::new(calls, s(aht), s(patience), agents);
                q.service_level(s(t)).unwrap() >= fraction && max_ab.is_none_or(|m| q.prob_abandon().unwrap() <= m)
            };
            assert!(meets(n), "{calls}/{aht}/{patience}: {n} fails");
            assert!(!meets(n - 1), "{calls}/{aht}/{patience}: {} also meets it", n - 1);
        }
        // A load beyond MAX_AGENTS cannot be staffed.
        let target = ServiceTarget::new(0.8, s(20.0));
        assert_eq!(
            ErlangA::agents_for_service_level(1e9, s(3_600.0), s(120.0), &target),
            Err(StaffingError::TargetUnreachable { max_agents: MAX_AGENTS })
        );
    }

    #[test]
    fn erlang_a_staffing_with_occupancy_cap() {
        let (aht, patience) = (s(180.0), s(120.0));
        let target = ServiceTarget::new(0.5, s(20.0)).with_max_occupancy(0.75);
        let n = ErlangA::agents_for_service_level(200.0, aht, patience, &target).unwrap();
        assert!(ErlangA::new(200.0, aht, patience, n).occupancy().unwrap() <= 0.75);
        assert!(ErlangA::new(200.0, aht, patience, n - 1).occupancy().unwrap() > 0.75);
        assert_eq!(ErlangA::agents_for_service_level(0.0, aht, patience, &target).unwrap(), 0);
    }
}
