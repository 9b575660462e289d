//! Erlang C, the M/M/N queue in which nobody abandons: the probability of
//! waiting, service level, ASA and occupancy.

use std::time::Duration;

use super::erlang_b::erlang_b_recursion;
use super::validation::{finite_non_negative, secs, span, validated_load};
use super::{SECS_PER_HOUR, StaffingError};

/// Erlang C: the probability that a call has to wait in an M/M/N queue
/// offered `offered_load_erlangs` Erlangs.
///
/// Computed from Erlang B as `C = N·B / (N − A·(1 − B))` when `N > A`. When
/// `N <= A` the queue is unstable and every call waits: the result is 1. With
/// no load nobody waits and the result is 0.
///
/// # Errors
///
/// [`StaffingError::InvalidInput`] if the load is negative, NaN or infinite.
///
/// # Example
///
/// ```
/// use switchboard::staffing::erlang_c;
///
/// let c = erlang_c(14, 10.0)?;
/// assert!((c - 0.1741).abs() < 1e-4);
/// assert_eq!(erlang_c(10, 10.0)?, 1.0); // unstable: everyone waits
/// # Ok::<(), switchboard::staffing::StaffingError>(())
/// ```
pub fn erlang_c(agents: u32, offered_load_erlangs: f64) -> Result<f64, StaffingError> {
    let load = finite_non_negative("offered_load_erlangs", offered_load_erlangs)?;
    Ok(erlang_c_from_b(agents, load, erlang_b_recursion(agents, load)))
}

pub(super) fn erlang_c_from_b(agents: u32, load: f64, b: f64) -> f64 {
    let n = f64::from(agents);
    if load == 0.0 {
        0.0
    } else if n <= load {
        1.0
    } else {
        (n * b / (n - load * (1.0 - b))).clamp(0.0, 1.0)
    }
}

pub(super) fn erlang_c_service_level(agents: u32, load: f64, c: f64, aht_secs: f64, t_secs: f64) -> f64 {
    let n = f64::from(agents);
    if load == 0.0 {
        1.0
    } else if n <= load {
        0.0
    } else {
        // P(wait > t) = C·e^{−(N−A)·t/AHT}; an infinite t gives e^{−∞} = 0.
        (1.0 - c * (-(n - load) * t_secs / aht_secs).exp()).clamp(0.0, 1.0)
    }
}

fn erlang_c_asa_secs(agents: u32, load: f64, c: f64, aht_secs: f64) -> f64 {
    let n = f64::from(agents);
    if load == 0.0 {
        0.0
    } else if n <= load {
        f64::INFINITY
    } else {
        c * aht_secs / (n - load)
    }
}

pub(super) fn erlang_c_occupancy(agents: u32, load: f64) -> f64 {
    let n = f64::from(agents);
    if load == 0.0 {
        0.0
    } else if n <= load {
        1.0
    } else {
        load / n
    }
}

/// An M/M/N queue without abandonment (Erlang C).
///
/// The fields are plain data; every method validates them and returns
/// [`StaffingError::InvalidInput`] if the rate is negative or not finite or
/// the handle time is zero or [`Duration::MAX`]. When `agents` does not
/// exceed the offered load the queue is unstable: every call waits, the
/// service level is 0, the ASA is [`Duration::MAX`] (never) and the
/// occupancy 1.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use switchboard::staffing::ErlangC;
///
/// // 100 calls in 30 minutes, 180 s handle time, 14 agents.
/// let q = ErlangC::new(200.0, Duration::from_secs(180), 14);
/// assert!((q.offered_load() - 10.0).abs() < 1e-12);
/// assert!((q.prob_wait()? - 0.1741).abs() < 1e-4);
/// assert!((q.service_level(Duration::from_secs(20))? - 0.8884).abs() < 1e-4);
/// assert!((q.asa()?.as_secs_f64() - 7.836).abs() < 1e-3);
/// assert!((q.occupancy()? - 10.0 / 14.0).abs() < 1e-12);
/// // Ten agents for ten Erlangs: unstable, calls wait for ever.
/// assert_eq!(ErlangC::new(200.0, Duration::from_secs(180), 10).asa()?, Duration::MAX);
/// # Ok::<(), switchboard::staffing::StaffingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ErlangC {
    /// Arrival rate in calls per hour.
    pub calls_per_hour: f64,
    /// Average handle time: positive, and not [`Duration::MAX`].
    pub aht: Duration,
    /// Number of agents answering the queue.
    pub agents: u32,
}

impl ErlangC {
    /// A queue with the given arrival rate (calls per hour), average handle
    /// time and number of agents.
    #[must_use]
    pub const fn new(calls_per_hour: f64, aht: Duration, agents: u32) -> Self {
        Self { calls_per_hour, aht, agents }
    }

    /// The offered load `A = λ·AHT` in Erlangs. Not validated: garbage in
    /// gives garbage (possibly NaN) out.
    #[must_use]
    pub fn offered_load(&self) -> f64 {
        self.calls_per_hour * secs(self.aht) / SECS_PER_HOUR
    }

    /// The probability that a call waits at all (Erlang C formula).
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for an invalid rate or handle time.
    pub fn prob_wait(&self) -> Result<f64, StaffingError> {
        let load = validated_load(self.calls_per_hour, self.aht)?;
        Ok(erlang_c_from_b(self.agents, load, erlang_b_recursion(self.agents, load)))
    }

    /// The fraction of calls answered within `threshold`:
    /// `1 − C·e^{−(N−A)·T/AHT}`. A threshold of [`Duration::MAX`] is
    /// infinite: the fraction ever answered (1 when `N > A`).
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for an invalid rate or handle time.
    pub fn service_level(&self, threshold: Duration) -> Result<f64, StaffingError> {
        let c = self.prob_wait()?;
        Ok(erlang_c_service_level(self.agents, self.offered_load(), c, secs(self.aht), secs(threshold)))
    }

    /// Average speed of answer over all calls, those answered at once
    /// included: `C·AHT / (N − A)`, rounded to the nanosecond.
    ///
    /// When `N <= A` the queue grows without bound and the ASA is infinite:
    /// it is returned as [`Duration::MAX`], meaning **never**.
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for an invalid rate or handle time.
    pub fn asa(&self) -> Result<Duration, StaffingError> {
        span("Erlang C average speed of answer", self.asa_secs()?)
    }

    /// [`ErlangC::asa`] in `f64` seconds, infinite when `N <= A`.
    pub(super) fn asa_secs(&self) -> Result<f64, StaffingError> {
        let c = self.prob_wait()?;
        Ok(erlang_c_asa_secs(self.agents, self.offered_load(), c, secs(self.aht)))
    }

    /// Agent occupancy `A / N`, capped at 1 (reached when `N <= A`).
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for an invalid rate or handle time.
    pub fn occupancy(&self) -> Result<f64, StaffingError> {
        let load = validated_load(self.calls_per_hour, self.aht)?;
        Ok(erlang_c_occupancy(self.agents, load))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ServiceTarget, assert_close};
    use super::*;

    const AHT: Duration = Duration::from_secs(180);
    const T20: Duration = Duration::from_secs(20);

    /// Classic worked example (callcentrehelper.com "Erlang C formula made
    /// simple"): 100 calls in 30 minutes, AHT 180 s → 10 Erlangs; 80/20 target.
    /// Values recomputed independently with mpmath (40 digits) from
    /// C = (Aᴺ/N!·N/(N−A)) / (Σ_{i<N} Aⁱ/i! + Aᴺ/N!·N/(N−A)).
    /// For 14 agents this gives P(wait) 0.1741, SL 0.8884 and ASA 7.84 s; the
    /// 0.8862 sometimes quoted for this example does not follow from its own
    /// numbers (1 − 0.1741·e^{−4·20/180} = 0.8884).
    #[test]
    fn erlang_c_worked_example() {
        let cases = [
            // agents, P(wait), SL within 20 s, ASA seconds
            (11, 0.682_118_204_689_332_4, 0.389_613_811_729_153_4, 122.781_276_844_079_83),
            (12, 0.449_388_224_298_270_9, 0.640_158_040_374_006_6, 40.444_940_186_844_38),
            (13, 0.285_270_453_036_493, 0.795_594_788_417_783_1, 17.116_227_182_189_576),
            (14, 0.174_131_933_595_049_84, 0.888_350_019_179_466_9, 7.835_937_011_777_243),
            (15, 0.102_042_367_007_988, 0.941_452_842_869_022_3, 3.673_525_212_287_568),
        ];
        for (agents, p_wait, sl, asa) in cases {
            let q = ErlangC::new(200.0, AHT, agents);
            assert_close(q.offered_load(), 10.0, 1e-12, "load");
            assert_close(q.prob_wait().unwrap(), p_wait, 1e-12, "P(wait)");
            assert_close(erlang_c(agents, 10.0).unwrap(), p_wait, 1e-12, "erlang_c");
            assert_close(q.service_level(T20).unwrap(), sl, 1e-12, "SL");
            assert_close(q.asa_secs().unwrap(), asa, 1e-9, "ASA");
            // The span is the same number, rounded to the nanosecond.
            assert_close(q.asa().unwrap().as_secs_f64(), asa, 0.5e-9 + 1e-12, "ASA span");
            assert_close(q.occupancy().unwrap(), 10.0 / f64::from(agents), 1e-15, "occupancy");
        }
        let target = ServiceTarget::new(0.8, T20);
        assert_eq!(ErlangC::agents_for_service_level(200.0, AHT, &target).unwrap(), 14);
    }

    #[test]
    fn erlang_c_unstable_and_degenerate_cases() {
        // Unstable, with as many agents as Erlangs and with fewer: the ASA is
        // infinite, returned as Duration::MAX ("never").
        for agents in [0, 9, 10] {
            let unstable = ErlangC::new(200.0, AHT, agents);
            assert_eq!(unstable.prob_wait().unwrap(), 1.0);
            assert_eq!(unstable.service_level(T20).unwrap(), 0.0);
            assert_eq!(unstable.service_level(Duration::MAX).unwrap(), 0.0);
            assert_eq!(unstable.asa().unwrap(), Duration::MAX);
            assert_eq!(unstable.occupancy().unwrap(), 1.0);
        }
        let idle = ErlangC::new(0.0, AHT, 3);
        assert_eq!(idle.prob_wait().unwrap(), 0.0);
        assert_eq!(idle.service_level(Duration::ZERO).unwrap(), 1.0);
        assert_eq!(idle.asa().unwrap(), Duration::ZERO);
        assert_eq!(idle.occupancy().unwrap(), 0.0);
        let q = ErlangC::new(200.0, AHT, 14);
        assert_close(q.service_level(Duration::ZERO).unwrap(), 1.0 - q.prob_wait().unwrap(), 1e-15, "SL(0)");
        // Duration::MAX as a threshold is infinite: every call is answered.
        assert_eq!(q.service_level(Duration::MAX).unwrap(), 1.0);
        // Sub-second spans enter the numerics exactly.
        let half = ErlangC::new(200.0, Duration::from_millis(180_500), 14);
        assert_eq!(half.offered_load(), 200.0 * 180.5 / 3600.0);
    }

    #[test]
    fn erlang_c_is_stable_for_many_agents() {
        // 9,800 Erlangs as calls per hour with a 360 s AHT.
        let q = ErlangC::new(98_000.0, Duration::from_secs(360), 10_000);
        assert_close(q.offered_load(), 9_800.0, 1e-9, "load");
        for v in [q.prob_wait().unwrap(), q.service_level(T20).unwrap(), q.occupancy().unwrap()] {
            assert!((0.0..=1.0).contains(&v), "{v}");
        }
        assert!(q.asa().unwrap() < Duration::MAX);
    }
}
