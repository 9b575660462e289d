//! Staffing mathematics for a single contact-centre queue: Erlang B, Erlang C
//! and Erlang A, plus "how many agents do I need?" searches.
//!
//! # Models and assumptions
//!
//! All three models assume calls arrive as a Poisson process (rate λ), that
//! handle times are exponentially distributed (mean AHT = 1/μ), that the `N`
//! agents are identical and serve one call at a time, and that the queue is
//! first come, first served. The *offered load* is `A = λ·AHT` Erlangs: the
//! average number of agents that would be busy if every call were answered.
//! The formulas are steady-state results; they describe an interval (say 30
//! minutes) in which the arrival rate is roughly constant.
//!
//! * **Erlang B** (M/M/N/N, a loss system): a call that finds all `N` agents
//!   busy is lost at once. [`erlang_b`] is the probability of that.
//! * **Erlang C** (M/M/N): calls that find all agents busy wait, forever if
//!   need be. Only meaningful when `N > A`; with `N <= A` the queue grows
//!   without bound, so we report a waiting probability of 1, a service level
//!   of 0 and an infinite ASA. See [`ErlangC`].
//! * **Erlang A** (M/M/N+M, Palm's model with impatience): like Erlang C, but
//!   each waiting caller hangs up after an exponentially distributed patience
//!   with mean `patience_secs` (= 1/θ) if not answered first. Abandonment
//!   keeps the queue stable for every `N`, including `N <= A`. See [`ErlangA`].
//!
//! # Units
//!
//! Arrival rates are in calls per hour (`calls_per_hour`), every duration is
//! in seconds (`aht_secs`, `patience_secs`, `threshold_secs`), loads are in
//! Erlangs, and every probability or service level is a fraction in `[0, 1]`
//! (0.8, not 80).
//!
//! # Service level definitions
//!
//! "Service level within T" is the fraction of *offered* calls (all arrivals)
//! answered within `T` seconds. In Erlang C nobody abandons, so that is
//! `1 − P(wait > T)`. In Erlang A, calls that abandon count as not answered
//! within `T` ([`ErlangA::service_level`]); the variant that removes calls
//! abandoning within `T` from the denominator is
//! [`ErlangA::service_level_excluding_short_abandons`]. Staffing searches use
//! the stricter first definition.
//!
//! # How the numbers are computed
//!
//! * Erlang B uses the recursion `B(0) = 1`, `B(n) = A·B(n−1) / (n + A·B(n−1))`,
//!   which involves no factorials or powers and is stable for any number of
//!   agents (internally the same recursion is also run on logarithms so that
//!   tiny values do not underflow).
//! * Erlang C follows from Erlang B: `C = N·B / (N − A·(1 − B))` for `N > A`;
//!   `SL(T) = 1 − C·e^{−(N−A)·T/AHT}`; `ASA = C·AHT / (N − A)`;
//!   occupancy `= A / N`.
//! * Erlang A uses the closed forms of Mandelbaum & Zeltyn, "The M/M/n+G
//!   queue: summary of performance measures" (2009), and Garnett, Mandelbaum &
//!   Reiman, "Designing a call center with impatient customers" (2002). With
//!   `x = Nμ/θ`, `y = λ/θ` and `E = B(N, A)` they are built on
//!
//!   `A(x, y) = Σ_{j≥0} yʲ / ((x+1)(x+2)⋯(x+j)) = x·eʸ·y^{−x}·γ(x, y)`,
//!
//!   where `γ` is the lower incomplete gamma function:
//!   `P(wait) = A(x,y)·E / (1 + (A(x,y) − 1)·E)` and
//!   `P(abandon | wait) = 1 + 1/(ρ·A(x,y)) − 1/ρ` with `ρ = λ/(Nμ)`.
//!   For the service level we derived the fraction answered within `T` from
//!   the same birth–death chain: a caller who finds `k` callers ahead is
//!   answered after a sum of exponential stages with rates `Nμ + jθ`
//!   (`j = k, …, 0`), so `e^{−θ·wait}` is Beta(x, k+1) distributed; weighting
//!   by the steady-state probabilities and racing the caller's own patience
//!   gives (see `AbandonQueue::waited_and_served_within`)
//!
//!   `P(answered within T) = [(1−E) + E·x/(x+1)·(A(x+1,y) − A(x+1,yz)·e^{y(1−z)}·z^{x+1})] / (1 − E + E·A(x,y))`
//!
//!   with `z = e^{−θT}`. The function `A` is evaluated with the power series of
//!   the incomplete gamma function when `y < x + 1` and with its continued
//!   fraction (modified Lentz) otherwise, as in Numerical Recipes'
//!   `gammp`/`gammq`, with `ln Γ` from a Lanczos approximation (Stirling's
//!   series for large arguments). Everything is combined as logarithms, so
//!   thousands of agents and heavy overload neither overflow nor underflow.
//!   The ASA of answered calls has no incomplete-gamma closed form and is
//!   summed state by state (see `ln_served_wait_sums`).
//!
//! # Example
//!
//! ```
//! use switchboard::staffing::{ErlangC, ServiceTarget};
//!
//! // 100 calls per half hour, 3 minute handle time: 10 Erlangs.
//! let target = ServiceTarget::new(0.8, 20.0); // 80% answered within 20 s
//! let agents = ErlangC::agents_for_service_level(200.0, 180.0, &target)?;
//! assert_eq!(agents, 14);
//! let sl = ErlangC::new(200.0, 180.0, agents).service_level(20.0)?;
//! assert!((sl - 0.8884).abs() < 1e-4);
//! # Ok::<(), switchboard::staffing::StaffingError>(())
//! ```

use std::f64::consts::PI;

/// The largest number of agents a staffing search will consider.
pub const MAX_AGENTS: u32 = 100_000;

const SECS_PER_HOUR: f64 = 3600.0;

/// Largest `x = N·patience/AHT` or `y = A·patience/AHT` the Erlang A
/// evaluation accepts: the series and continued fraction need about
/// `10·√max(x, y)` steps near `x ≈ y`, so this bounds the work per evaluation
/// to about 10⁷ steps. Reaching it needs a mean patience millions of times the
/// handle time, where Erlang C is the better model anyway.
const MAX_GAMMA_ARG: f64 = 1e12;

/// The ASA series walks through every queue length up to past the most likely
/// one; beyond this many steps we refuse rather than spin.
const MAX_SERIES_STEPS: f64 = 2e8;

/// Why a staffing calculation could not produce a number.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StaffingError {
    /// An input was NaN, infinite where a finite value is needed, or outside
    /// its domain (for example a zero handle time or a negative rate).
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidInput {
        /// The parameter's name, as spelled in this module.
        name: &'static str,
        /// The value passed.
        value: f64,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// No number of agents up to the search bound meets every part of the
    /// target (for example when the load or an occupancy ceiling needs more
    /// than [`MAX_AGENTS`] agents).
    #[error("no staffing of at most {max_agents} agents meets the target")]
    TargetUnreachable {
        /// The largest number of agents tried.
        max_agents: u32,
    },
    /// The parameters are so extreme (typically a mean patience millions of
    /// times the handle time) that the quantity cannot be evaluated in bounded
    /// time; use Erlang C instead.
    #[error("{quantity} cannot be evaluated for such extreme parameters; use Erlang C")]
    OutOfRange {
        /// What was being computed.
        quantity: &'static str,
    },
}

// ---------------------------------------------------------------------------
// Input validation. Every public entry point validates before computing, so
// NaN or nonsense never reaches the numerics (which would otherwise loop or
// return NaN).

fn finite_non_negative(name: &'static str, value: f64) -> Result<f64, StaffingError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name, value, expected: "a finite number >= 0" })
    }
}

fn finite_positive(name: &'static str, value: f64) -> Result<f64, StaffingError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name, value, expected: "a finite number > 0" })
    }
}

fn fraction(name: &'static str, value: f64) -> Result<f64, StaffingError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name, value, expected: "a fraction in [0, 1]" })
    }
}

/// Thresholds may be infinite ("answered at all"), but not negative or NaN.
fn threshold(value: f64) -> Result<f64, StaffingError> {
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name: "threshold_secs", value, expected: "a number of seconds >= 0" })
    }
}

/// Infinite patience is allowed and means "nobody abandons" (Erlang C).
fn patience(value: f64) -> Result<f64, StaffingError> {
    if value > 0.0 {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput {
            name: "patience_secs",
            value,
            expected: "a number of seconds > 0 (infinite for no abandonment)",
        })
    }
}

/// Offered load in Erlangs from validated inputs.
fn validated_load(calls_per_hour: f64, aht_secs: f64) -> Result<f64, StaffingError> {
    let calls_per_hour = finite_non_negative("calls_per_hour", calls_per_hour)?;
    let aht_secs = finite_positive("aht_secs", aht_secs)?;
    // The product can overflow even when both factors are finite.
    finite_non_negative("offered load", calls_per_hour * aht_secs / SECS_PER_HOUR)
}

// ---------------------------------------------------------------------------
// Erlang B and C.

/// Erlang B: the probability that a call finds all `agents` busy in a loss
/// system (M/M/N/N) offered `offered_load_erlangs` Erlangs.
///
/// Computed with the recursion `B(0) = 1`, `B(n) = A·B(n−1) / (n + A·B(n−1))`,
/// which is stable for any number of agents. With no load the result is 0
/// (for at least one agent).
///
/// # Errors
///
/// [`StaffingError::InvalidInput`] if the load is negative, NaN or infinite.
///
/// # Example
///
/// ```
/// use switchboard::staffing::erlang_b;
///
/// // Standard Erlang B tables: 10 Erlangs on 10 trunks block 21.46% of calls.
/// let b = erlang_b(10, 10.0)?;
/// assert!((b - 0.2146).abs() < 1e-4);
/// # Ok::<(), switchboard::staffing::StaffingError>(())
/// ```
pub fn erlang_b(agents: u32, offered_load_erlangs: f64) -> Result<f64, StaffingError> {
    let load = finite_non_negative("offered_load_erlangs", offered_load_erlangs)?;
    Ok(erlang_b_recursion(agents, load))
}

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

fn erlang_b_recursion(agents: u32, load: f64) -> f64 {
    let mut b = 1.0;
    for n in 1..=agents {
        b = erlang_b_step(n, load, b);
    }
    b
}

/// One step of the Erlang B recursion: `B(n)` from `B(n − 1)`. Every term is
/// positive, so no cancellation can occur.
fn erlang_b_step(n: u32, load: f64, previous: f64) -> f64 {
    let ab = load * previous;
    ab / (f64::from(n) + ab)
}

/// The same recursion on logarithms, `ln B(n)` from `ln B(n − 1)`, so that
/// B can be far below the smallest `f64` (many agents, little load) without
/// becoming 0 — Erlang A divides by quantities proportional to it.
fn ln_erlang_b_step(n: u32, ln_load: f64, ln_previous: f64) -> f64 {
    let ln_ab = ln_load + ln_previous;
    ln_ab - log_add_exp(f64::from(n).ln(), ln_ab)
}

fn erlang_c_from_b(agents: u32, load: f64, b: f64) -> f64 {
    let n = f64::from(agents);
    if load == 0.0 {
        0.0
    } else if n <= load {
        1.0
    } else {
        (n * b / (n - load * (1.0 - b))).clamp(0.0, 1.0)
    }
}

fn erlang_c_service_level(agents: u32, load: f64, c: f64, aht_secs: f64, t_secs: f64) -> f64 {
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

fn erlang_c_occupancy(agents: u32, load: f64) -> f64 {
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
/// the handle time is not a finite positive number. When `agents` does not
/// exceed the offered load the queue is unstable: every call waits, the
/// service level is 0, the ASA infinite and the occupancy 1.
///
/// # Example
///
/// ```
/// use switchboard::staffing::ErlangC;
///
/// // 100 calls in 30 minutes, 180 s handle time, 14 agents.
/// let q = ErlangC::new(200.0, 180.0, 14);
/// assert!((q.offered_load() - 10.0).abs() < 1e-12);
/// assert!((q.prob_wait()? - 0.1741).abs() < 1e-4);
/// assert!((q.service_level(20.0)? - 0.8884).abs() < 1e-4);
/// assert!((q.asa_secs()? - 7.836).abs() < 1e-3);
/// assert!((q.occupancy()? - 10.0 / 14.0).abs() < 1e-12);
/// # Ok::<(), switchboard::staffing::StaffingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ErlangC {
    /// Arrival rate in calls per hour.
    pub calls_per_hour: f64,
    /// Average handle time in seconds.
    pub aht_secs: f64,
    /// Number of agents answering the queue.
    pub agents: u32,
}

impl ErlangC {
    /// A queue with the given arrival rate (calls per hour), average handle
    /// time (seconds) and number of agents.
    #[must_use]
    pub const fn new(calls_per_hour: f64, aht_secs: f64, agents: u32) -> Self {
        Self { calls_per_hour, aht_secs, agents }
    }

    /// The offered load `A = λ·AHT` in Erlangs. Not validated: garbage in
    /// gives garbage (possibly NaN) out.
    #[must_use]
    pub fn offered_load(&self) -> f64 {
        self.calls_per_hour * self.aht_secs / SECS_PER_HOUR
    }

    /// The probability that a call waits at all (Erlang C formula).
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for an invalid rate or handle time.
    pub fn prob_wait(&self) -> Result<f64, StaffingError> {
        let load = validated_load(self.calls_per_hour, self.aht_secs)?;
        Ok(erlang_c_from_b(self.agents, load, erlang_b_recursion(self.agents, load)))
    }

    /// The fraction of calls answered within `threshold_secs`:
    /// `1 − C·e^{−(N−A)·T/AHT}`.
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for an invalid rate, handle time or a
    /// negative or NaN threshold.
    pub fn service_level(&self, threshold_secs: f64) -> Result<f64, StaffingError> {
        let t = threshold(threshold_secs)?;
        let c = self.prob_wait()?;
        Ok(erlang_c_service_level(self.agents, self.offered_load(), c, self.aht_secs, t))
    }

    /// Average speed of answer in seconds over all calls, those answered at
    /// once included: `C·AHT / (N − A)`; infinite when `N <= A`.
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for an invalid rate or handle time.
    pub fn asa_secs(&self) -> Result<f64, StaffingError> {
        let c = self.prob_wait()?;
        Ok(erlang_c_asa_secs(self.agents, self.offered_load(), c, self.aht_secs))
    }

    /// Agent occupancy `A / N`, capped at 1 (reached when `N <= A`).
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for an invalid rate or handle time.
    pub fn occupancy(&self) -> Result<f64, StaffingError> {
        let load = validated_load(self.calls_per_hour, self.aht_secs)?;
        Ok(erlang_c_occupancy(self.agents, load))
    }

    /// The smallest number of agents whose Erlang C service level reaches
    /// `target.fraction` within `target.threshold_secs` and whose occupancy
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
    /// use switchboard::staffing::{ErlangC, ServiceTarget};
    ///
    /// let target = ServiceTarget::new(0.8, 20.0);
    /// assert_eq!(ErlangC::agents_for_service_level(200.0, 180.0, &target)?, 14);
    /// // Capping occupancy at 70% needs 10 / 0.7 = 14.3, so 15 agents.
    /// let capped = target.with_max_occupancy(0.7);
    /// assert_eq!(ErlangC::agents_for_service_level(200.0, 180.0, &capped)?, 15);
    /// # Ok::<(), switchboard::staffing::StaffingError>(())
    /// ```
    pub fn agents_for_service_level(
        calls_per_hour: f64,
        aht_secs: f64,
        target: &ServiceTarget,
    ) -> Result<u32, StaffingError> {
        let load = validated_load(calls_per_hour, aht_secs)?;
        target.validate()?;
        let limit = search_limit(load, target);
        let mut b = 1.0;
        for n in 0..=limit {
            if n > 0 {
                b = erlang_b_step(n, load, b);
            }
            let c = erlang_c_from_b(n, load, b);
            let sl = erlang_c_service_level(n, load, c, aht_secs, target.threshold_secs);
            if target.is_met(sl, 0.0, erlang_c_occupancy(n, load)) {
                return Ok(n);
            }
        }
        Err(StaffingError::TargetUnreachable { max_agents: limit })
    }
}

// ---------------------------------------------------------------------------
// Staffing targets.

/// What a staffing search must achieve: at least `fraction` of offered calls
/// answered within `threshold_secs`, and optionally an occupancy and an
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
/// use switchboard::staffing::ServiceTarget;
///
/// // 80/20, agents at most 85% busy, at most 5% of callers hang up.
/// let target = ServiceTarget::new(0.8, 20.0)
///     .with_max_occupancy(0.85)
///     .with_max_abandon_fraction(0.05);
/// assert_eq!(target.max_occupancy, Some(0.85));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ServiceTarget {
    /// Required fraction of offered calls answered within the threshold, in
    /// `[0, 1]` (0.8 for "80/20").
    pub fraction: f64,
    /// The answer-time threshold in seconds (20 for "80/20").
    pub threshold_secs: f64,
    /// Highest acceptable agent occupancy, in `(0, 1]`.
    pub max_occupancy: Option<f64>,
    /// Highest acceptable fraction of offered calls abandoning, in `[0, 1]`.
    /// Only Erlang A predicts abandonment; Erlang C always meets it.
    pub max_abandon_fraction: Option<f64>,
}

impl ServiceTarget {
    /// A service-level target with no occupancy or abandonment ceiling.
    #[must_use]
    pub const fn new(fraction: f64, threshold_secs: f64) -> Self {
        Self { fraction, threshold_secs, max_occupancy: None, max_abandon_fraction: None }
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
        threshold(self.threshold_secs)?;
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

// ---------------------------------------------------------------------------
// Erlang A.

/// An M/M/N+M queue: Erlang C plus callers who hang up after an exponential
/// patience with mean `patience_secs` (Erlang A, Palm's model).
///
/// The fields are plain data; every method validates them and returns
/// [`StaffingError::InvalidInput`] for a negative or non-finite rate, a
/// handle time that is not a finite positive number, or a patience that is
/// not positive. An infinite patience means nobody abandons: results are then
/// exactly those of [`ErlangC`]. With zero agents every caller abandons.
///
/// # Example
///
/// ```
/// use switchboard::staffing::{ErlangA, ErlangC};
///
/// // 10 Erlangs, 14 agents, callers wait 2 minutes on average before hanging up.
/// let q = ErlangA::new(200.0, 180.0, 120.0, 14);
/// let p_ab = q.prob_abandon()?;
/// assert!((p_ab - 0.0228).abs() < 1e-4);
/// // Abandonment shortens the queue, so more calls are answered quickly than
/// // Erlang C predicts, even though the abandoned ones count as failures.
/// let sl_a = q.service_level(20.0)?;
/// let sl_c = ErlangC::new(200.0, 180.0, 14).service_level(20.0)?;
/// assert!(sl_a > sl_c);
/// // Unlike Erlang C, an overloaded queue is still stable.
/// let overloaded = ErlangA::new(200.0, 180.0, 120.0, 8);
/// assert!(overloaded.asa_secs()?.is_finite());
/// # Ok::<(), switchboard::staffing::StaffingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ErlangA {
    /// Arrival rate in calls per hour.
    pub calls_per_hour: f64,
    /// Average handle time in seconds.
    pub aht_secs: f64,
    /// Mean patience (time a caller is willing to wait) in seconds; the
    /// abandonment rate of each waiting caller is `1 / patience_secs`.
    pub patience_secs: f64,
    /// Number of agents answering the queue.
    pub agents: u32,
}

/// Which formulas apply; the degenerate cases have trivial answers that the
/// general formulas would reach only through 0/0 or ∞·0.
enum Regime {
    NoTraffic,
    NoAbandonment(ErlangC),
    NoAgents { patience_secs: f64 },
    Queue(AbandonQueue),
}

impl ErlangA {
    /// A queue with the given arrival rate (calls per hour), average handle
    /// time (seconds), mean patience (seconds) and number of agents.
    #[must_use]
    pub const fn new(calls_per_hour: f64, aht_secs: f64, patience_secs: f64, agents: u32) -> Self {
        Self { calls_per_hour, aht_secs, patience_secs, agents }
    }

    /// The offered load `A = λ·AHT` in Erlangs. Not validated.
    #[must_use]
    pub fn offered_load(&self) -> f64 {
        self.calls_per_hour * self.aht_secs / SECS_PER_HOUR
    }

    fn regime(&self) -> Result<Regime, StaffingError> {
        let load = validated_load(self.calls_per_hour, self.aht_secs)?;
        let patience_secs = patience(self.patience_secs)?;
        if load == 0.0 {
            return Ok(Regime::NoTraffic);
        }
        if patience_secs == f64::INFINITY {
            return Ok(Regime::NoAbandonment(ErlangC::new(self.calls_per_hour, self.aht_secs, self.agents)));
        }
        if self.agents == 0 {
            return Ok(Regime::NoAgents { patience_secs });
        }
        let ln_load = load.ln();
        let mut ln_b = 0.0;
        for n in 1..=self.agents {
            ln_b = ln_erlang_b_step(n, ln_load, ln_b);
        }
        AbandonQueue::new(self.agents, load, self.aht_secs, patience_secs, ln_b).map(Regime::Queue)
    }

    /// The probability that a call finds every agent busy and has to wait.
    ///
    /// # Errors
    ///
    /// [`StaffingError::InvalidInput`] for invalid fields;
    /// [`StaffingError::OutOfRange`] for a patience millions of times the
    /// handle time.
    pub fn prob_wait(&self) -> Result<f64, StaffingError> {
        Ok(match self.regime()? {
            Regime::NoTraffic => 0.0,
            Regime::NoAbandonment(c) => c.prob_wait()?,
            Regime::NoAgents { .. } => 1.0,
            Regime::Queue(q) => q.prob_wait(),
        })
    }

    /// The fraction of offered calls that abandon before being answered.
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_wait`].
    pub fn prob_abandon(&self) -> Result<f64, StaffingError> {
        Ok(match self.regime()? {
            Regime::NoTraffic | Regime::NoAbandonment(_) => 0.0,
            Regime::NoAgents { .. } => 1.0,
            Regime::Queue(q) => q.prob_abandon(),
        })
    }

    /// The fraction of offered calls (all arrivals) that abandon within
    /// `threshold_secs` of arriving.
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_wait`], and [`StaffingError::InvalidInput`] for
    /// a negative or NaN threshold.
    pub fn prob_abandon_within(&self, threshold_secs: f64) -> Result<f64, StaffingError> {
        let t = threshold(threshold_secs)?;
        match self.regime()? {
            Regime::NoTraffic | Regime::NoAbandonment(_) => Ok(0.0),
            Regime::NoAgents { patience_secs } => Ok(-(-t / patience_secs).exp_m1()),
            Regime::Queue(q) => q.abandoned_within(t),
        }
    }

    /// Service level: the fraction of *offered* calls (abandoned ones
    /// included in the denominator) answered within `threshold_secs`.
    /// This is the definition staffing searches use.
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_abandon_within`].
    ///
    /// # Example
    ///
    /// ```
    /// use switchboard::staffing::ErlangA;
    ///
    /// let q = ErlangA::new(200.0, 180.0, 120.0, 14);
    /// // With a zero threshold only calls answered at once count.
    /// assert!((q.service_level(0.0)? - (1.0 - q.prob_wait()?)).abs() < 1e-12);
    /// // With an infinite one, every call that does not abandon counts.
    /// let answered = 1.0 - q.prob_abandon()?;
    /// assert!((q.service_level(f64::INFINITY)? - answered).abs() < 1e-12);
    /// # Ok::<(), switchboard::staffing::StaffingError>(())
    /// ```
    pub fn service_level(&self, threshold_secs: f64) -> Result<f64, StaffingError> {
        let t = threshold(threshold_secs)?;
        match self.regime()? {
            Regime::NoTraffic => Ok(1.0),
            Regime::NoAbandonment(c) => c.service_level(t),
            Regime::NoAgents { .. } => Ok(0.0),
            Regime::Queue(q) => q.served_within(t),
        }
    }

    /// Service level that ignores "short abandons": answered within `T`
    /// divided by offered calls minus those that abandoned within `T`. Many
    /// ACD reports use this; it is never below [`ErlangA::service_level`].
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_abandon_within`].
    pub fn service_level_excluding_short_abandons(&self, threshold_secs: f64) -> Result<f64, StaffingError> {
        let t = threshold(threshold_secs)?;
        match self.regime()? {
            Regime::NoTraffic => Ok(1.0),
            Regime::NoAbandonment(c) => c.service_level(t),
            Regime::NoAgents { .. } => Ok(0.0),
            Regime::Queue(q) => {
                let answered = q.served_within(t)?;
                let counted = 1.0 - q.abandoned_within(t)?;
                // `counted >= P(no wait) > 0` whenever there is an agent.
                Ok(if counted > 0.0 { (answered / counted).clamp(0.0, 1.0) } else { 0.0 })
            }
        }
    }

    /// Average speed of answer in seconds: the mean wait of *answered* calls
    /// (those answered at once included). Infinite with zero agents, since no
    /// call is ever answered.
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_wait`]; [`StaffingError::OutOfRange`] also when
    /// the queue is so overloaded, and callers so patient, that the mean queue
    /// length exceeds about 10⁸.
    pub fn asa_secs(&self) -> Result<f64, StaffingError> {
        match self.regime()? {
            Regime::NoTraffic => Ok(0.0),
            Regime::NoAbandonment(c) => c.asa_secs(),
            Regime::NoAgents { .. } => Ok(f64::INFINITY),
            Regime::Queue(q) => q.asa_secs(),
        }
    }

    /// Mean time in queue of *all* arrivals, counting callers who abandon up
    /// to the moment they hang up. Equals `P(abandon)·patience_secs` (Little's
    /// law applied to the queue and to the abandonment flow).
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_wait`].
    pub fn mean_wait_secs(&self) -> Result<f64, StaffingError> {
        match self.regime()? {
            Regime::NoTraffic => Ok(0.0),
            // Everyone is eventually answered, so the mean wait is the ASA.
            Regime::NoAbandonment(c) => c.asa_secs(),
            Regime::NoAgents { patience_secs } => Ok(patience_secs),
            Regime::Queue(q) => Ok(q.prob_abandon() * q.patience_secs),
        }
    }

    /// Agent occupancy: carried load `A·(1 − P(abandon))` over `N`, at most 1.
    /// Taken to be 1 with zero agents and some traffic.
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_wait`].
    pub fn occupancy(&self) -> Result<f64, StaffingError> {
        match self.regime()? {
            Regime::NoTraffic => Ok(0.0),
            Regime::NoAbandonment(c) => c.occupancy(),
            Regime::NoAgents { .. } => Ok(1.0),
            Regime::Queue(q) => Ok(q.occupancy(self.offered_load(), self.agents)),
        }
    }

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
    /// monotonicity assumption is needed. An infinite patience gives the
    /// Erlang C answer.
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
    /// use switchboard::staffing::{ErlangA, ErlangC, ServiceTarget};
    ///
    /// let target = ServiceTarget::new(0.8, 20.0);
    /// let a = ErlangA::agents_for_service_level(200.0, 180.0, 120.0, &target)?;
    /// let c = ErlangC::agents_for_service_level(200.0, 180.0, &target)?;
    /// assert!(a <= c);
    /// // Capping abandonment at 1% may need more agents.
    /// let strict = target.with_max_abandon_fraction(0.01);
    /// let a_strict = ErlangA::agents_for_service_level(200.0, 180.0, 120.0, &strict)?;
    /// assert!(a_strict >= a);
    /// let q = ErlangA::new(200.0, 180.0, 120.0, a_strict);
    /// assert!(q.prob_abandon()? <= 0.01);
    /// # Ok::<(), switchboard::staffing::StaffingError>(())
    /// ```
    pub fn agents_for_service_level(
        calls_per_hour: f64,
        aht_secs: f64,
        patience_secs: f64,
        target: &ServiceTarget,
    ) -> Result<u32, StaffingError> {
        let load = validated_load(calls_per_hour, aht_secs)?;
        let patience_secs = patience(patience_secs)?;
        target.validate()?;
        if patience_secs == f64::INFINITY {
            return ErlangC::agents_for_service_level(calls_per_hour, aht_secs, target);
        }
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
                target.is_met(q.served_within(target.threshold_secs)?, p_abandon, q.occupancy(load, n))
            };
            if met {
                return Ok(n);
            }
        }
        Err(StaffingError::TargetUnreachable { max_agents: limit })
    }
}

/// One M/M/N+M system with `N >= 1` and traffic, in the dimensionless
/// variables of Mandelbaum & Zeltyn: `x = Nμ/θ`, `y = λ/θ`.
///
/// Steady state: `π_i ∝ Aⁱ/i!` for `i <= N` and
/// `π_{N+k} = π_N·w_k`, `w_k = Π_{j=1..k} y/(x+j)`, so `Σ_k w_k = A(x, y)`.
/// Every probability is a ratio with the normaliser, which relative to
/// `π_N / E` (E = Erlang B) is `D = (1 − E) + E·A(x, y)`. All of these are
/// kept as logarithms because `A(x, y)` grows exponentially in `y − x` in
/// overload.
#[derive(Clone, Copy, Debug)]
struct AbandonQueue {
    x: f64,
    y: f64,
    patience_secs: f64,
    /// `ln E`, Erlang B for `N` agents and load `A`.
    ln_b: f64,
    /// `ln(1 − E)`.
    ln_1mb: f64,
    /// `ln A(x+1, y)`.
    ln_a1: f64,
    /// `ln A(x, y)`.
    ln_a: f64,
    /// `ln D`.
    ln_d: f64,
}

impl AbandonQueue {
    fn new(agents: u32, load: f64, aht_secs: f64, patience_secs: f64, ln_b: f64) -> Result<Self, StaffingError> {
        // μ/θ: only the ratio of patience to handle time matters.
        let ratio = patience_secs / aht_secs;
        let x = f64::from(agents) * ratio;
        let y = load * ratio;
        if !(x <= MAX_GAMMA_ARG && y <= MAX_GAMMA_ARG) {
            return Err(StaffingError::OutOfRange { quantity: "Erlang A" });
        }
        // Only A(x+1, ·) is evaluated directly; A(x, y) = 1 + y/(x+1)·A(x+1, y)
        // (peel off the first term of the series) keeps the two consistent
        // and keeps the incomplete gamma argument at least 1.
        let ln_a1 = ln_a_function(x + 1.0, y)?;
        let ln_a = ln_1p_exp((y / (x + 1.0)).ln() + ln_a1);
        let ln_1mb = (-ln_b.exp()).ln_1p();
        let ln_d = log_add_exp(ln_1mb, ln_b + ln_a);
        Ok(Self { x, y, patience_secs, ln_b, ln_1mb, ln_a1, ln_a, ln_d })
    }

    /// `P(wait) = E·A(x,y) / D`.
    fn prob_wait(&self) -> f64 {
        (self.ln_b + self.ln_a - self.ln_d).exp().clamp(0.0, 1.0)
    }

    /// `P(abandon) = E·[A(x,y) − x/(x+1)·A(x+1,y)] / D`: waiting callers minus
    /// those eventually served (see `waited_and_served_within`, T = ∞). With
    /// `A(x,y) = 1 + y/(x+1)·A(x+1,y)` the bracket is
    /// `1 + (y−x)/(x+1)·A(x+1,y)`, a sum of positive terms when `y >= x`
    /// (overload, where it is huge). For `y < x` it is a difference of
    /// numbers below 1, so the absolute error stays near machine epsilon.
    fn prob_abandon(&self) -> f64 {
        let (x, y) = (self.x, self.y);
        let ln_weight = if y >= x {
            ln_1p_exp(((y - x) / (x + 1.0)).ln() + self.ln_a1)
        } else {
            // Here A(x+1, y) < (x+2)/(x+2−y), so the exponential is finite.
            let w = 1.0 - (x - y) / (x + 1.0) * self.ln_a1.exp();
            if w > 0.0 { w.ln() } else { f64::NEG_INFINITY }
        };
        (self.ln_b + ln_weight - self.ln_d).exp().clamp(0.0, 1.0)
    }

    /// For `z = e^{−θt}` returns `(ln g, ln h)` with
    /// `h = e^{y(1−z)}·z^{x+1}` and `g = A(x+1, yz)·h`. Written out without
    /// `z` itself so that a long `t` (z → 0) gives `−∞` rather than `0·∞`.
    fn ln_tail_terms(&self, t: f64) -> Result<(f64, f64), StaffingError> {
        let theta_t = t / self.patience_secs;
        let yz = self.y * (-theta_t).exp();
        let ln_h = self.y * -(-theta_t).exp_m1() - (self.x + 1.0) * theta_t;
        let ln_g = ln_a_function(self.x + 1.0, yz)? + ln_h;
        Ok((ln_g, ln_h))
    }

    /// The probability that a call waits and is then answered within `t`.
    ///
    /// Derivation. A caller who arrives to find `k` callers waiting is
    /// answered after `Σ_{j=0..k} Exp(θ(x+j))` (the queue ahead shrinks by
    /// service completions and by abandonment), so `U = e^{−θ·wait}` is
    /// Beta(x, k+1) distributed (its Mellin transform
    /// `Π_{j=0..k} (x+j)/(x+j+s)` matches). The caller's own patience must
    /// outlast the wait, which happens with probability `U`. Hence, with
    /// `z = e^{−θt}`,
    ///
    /// `Σ_k w_k·E[U; U ≥ z] = x·eʸ ∫_z^1 uˣ e^{−yu} du
    ///  = x/(x+1)·[A(x+1,y) − A(x+1,yz)·e^{y(1−z)}·z^{x+1}]`,
    ///
    /// because the mixture of Beta densities collapses:
    /// `Σ_k w_k·u^{x−1}(1−u)^k / B(x, k+1) = x·u^{x−1}·e^{y(1−u)}`. At `t = ∞` this is `x/(x+1)·A(x+1, y)`, reproducing
    /// Mandelbaum & Zeltyn's `P(abandon | wait) = 1 + 1/(ρA) − 1/ρ`.
    ///
    /// In overload `ln A(x+1, ·)` is of order `y − x`, and for short `t` the
    /// two terms in the bracket nearly cancel, losing `ε·(y − x)` in absolute
    /// terms. When `yz >= x + 2` both lie in the continued-fraction region, so
    /// we rewrite the bracket with upper incomplete gammas, written as
    /// `Γ(x+1, w) = e^{−w}·w^{x+1}·c(w)` with `c` from the continued fraction:
    ///
    /// `x·eʸ·y^{−x−1}·[Γ(x+1, yz) − Γ(x+1, y)] = x·[e^{ln_h}·c(yz) − c(y)]`,
    ///
    /// where `ln_h = y(1−z) − (x+1)θt` is small when `t` is, and nothing
    /// large cancels any more.
    fn waited_and_served_within(&self, t: f64) -> Result<f64, StaffingError> {
        let theta_t = t / self.patience_secs;
        let a = self.x + 1.0;
        let yz = self.y * (-theta_t).exp();
        let ln_served = if yz >= a + 1.0 {
            let ln_h = self.y * -(-theta_t).exp_m1() - a * theta_t;
            let max_steps = 1000.0 + 50.0 * self.y.sqrt();
            let c_y = upper_gamma_continued_fraction(a, self.y, max_steps)?;
            let c_yz = upper_gamma_continued_fraction(a, yz, max_steps)?;
            // ln(c(y) / (e^{ln_h}·c(yz))) ≤ 0; rounding aside.
            let ln_ratio = ((c_y / c_yz).ln() - ln_h).min(0.0);
            self.x.ln() + ln_h + c_yz.ln() + (-ln_ratio.exp_m1()).ln()
        } else {
            let (ln_g, _) = self.ln_tail_terms(t)?;
            // ln(served later than t / served eventually) ≤ 0; rounding aside.
            let ln_later = (ln_g - self.ln_a1).min(0.0);
            (self.x / a).ln() + self.ln_a1 + (-ln_later.exp_m1()).ln()
        };
        Ok((self.ln_b + ln_served - self.ln_d).exp().clamp(0.0, 1.0))
    }

    /// Fraction of offered calls answered within `t`: those answered at once,
    /// `(1 − E)/D`, plus those that wait and are answered in time.
    fn served_within(&self, t: f64) -> Result<f64, StaffingError> {
        let at_once = (self.ln_1mb - self.ln_d).exp();
        Ok((at_once + self.waited_and_served_within(t)?).clamp(0.0, 1.0))
    }

    /// The probability that a call is still waiting `t` after arriving:
    /// offered wait beyond `t` and patience beyond `t`. From the same mixture,
    /// `Σ_k w_k P(U < z)·z = A(x, yz)·e^{y(1−z)}·z^{x+1}`.
    fn still_waiting_at(&self, t: f64) -> Result<f64, StaffingError> {
        let (ln_g, ln_h) = self.ln_tail_terms(t)?;
        // A(x, yz)·h = h + yz/(x+1)·A(x+1, yz)·h = h + yz/(x+1)·g.
        let ln_yz = self.y.ln() - t / self.patience_secs;
        let ln_weight = log_add_exp(ln_h, ln_yz - (self.x + 1.0).ln() + ln_g);
        Ok((self.ln_b + ln_weight - self.ln_d).exp().clamp(0.0, 1.0))
    }

    /// Abandoned within `t` = waited − answered within `t` after waiting −
    /// still waiting at `t`. Each term is a probability, so the absolute
    /// error is a few machine epsilons.
    fn abandoned_within(&self, t: f64) -> Result<f64, StaffingError> {
        if t == 0.0 {
            // Exact, rather than a difference that rounds to ±ε.
            return Ok(0.0);
        }
        let abandoned = self.prob_wait() - self.waited_and_served_within(t)? - self.still_waiting_at(t)?;
        Ok(abandoned.clamp(0.0, self.prob_abandon()))
    }

    /// Mean wait of answered calls: `E[wait; answered] / P(answered)`.
    fn asa_secs(&self) -> Result<f64, StaffingError> {
        let (ln_num, ln_served_after_wait) = ln_served_wait_sums(self.x, self.y)?;
        // The normaliser D cancels: both are relative to π_N/E.
        let ln_answered = log_add_exp(self.ln_1mb, self.ln_b + ln_served_after_wait);
        Ok((self.ln_b + ln_num + self.patience_secs.ln() - ln_answered).exp())
    }

    fn occupancy(&self, load: f64, agents: u32) -> f64 {
        (load * (1.0 - self.prob_abandon()) / f64::from(agents)).min(1.0)
    }
}

/// `(ln Σ_k w_k·s_k·h_k, ln Σ_k w_k·s_k)` for the ASA of answered calls.
///
/// A caller finding `k` ahead passes stages `j = k, …, 0`, each left at total
/// rate `θ(x+j+1)` (progress at `θ(x+j)`, own abandonment at `θ`). It is
/// served with probability `s_k = Π_j (x+j)/(x+j+1) = x/(x+k+1)`, and since
/// the time spent in a stage does not depend on how the stage is left,
/// `E[wait; served] = s_k·h_k/θ` with `h_k = Σ_{j=0..k} 1/(x+j+1)`.
///
/// The terms grow until `k ≈ y − x` and then fall geometrically; after the
/// peak each term's ratio `r = y/(x+k+1)` bounds all later ratios, so the
/// tail is below `term/(1 − r)`, and `s_k·h_k ≤ 1`, `s_k ≤ 1` bound the tails
/// of both sums by that of `Σ w_k`. Terms are kept scaled by a running power
/// of 10²⁵⁰ so that overload (huge `w_k`) cannot overflow.
fn ln_served_wait_sums(x: f64, y: f64) -> Result<(f64, f64), StaffingError> {
    const RESCALE: f64 = 1e250;
    if x <= 0.0 {
        // Vanishing patience relative to handle time: nobody waiting is served.
        return Ok((f64::NEG_INFINITY, f64::NEG_INFINITY));
    }
    let max_steps = 1000.0 + (y - x).max(0.0) + 60.0 * x.max(y).sqrt();
    if max_steps > MAX_SERIES_STEPS {
        return Err(StaffingError::OutOfRange { quantity: "Erlang A average speed of answer" });
    }
    let mut ln_scale = 0.0;
    let mut term = 1.0; // w_k / e^{ln_scale}
    let mut harmonic = 0.0; // h_k
    let mut num = 0.0;
    let mut den = 0.0;
    let mut k = 0.0_f64;
    while k <= max_steps {
        let rate = x + k + 1.0;
        harmonic += 1.0 / rate;
        let served = x / rate;
        num += term * served * harmonic;
        den += term * served;
        term *= y / rate; // w_{k+1}
        if term > RESCALE {
            term /= RESCALE;
            num /= RESCALE;
            den /= RESCALE;
            ln_scale += RESCALE.ln();
        }
        k += 1.0;
        let r = y / (x + k + 1.0);
        if r < 1.0 {
            let tail = term / (1.0 - r);
            if tail <= 1e-17 * num && tail <= 1e-17 * den {
                return Ok((num.ln() + ln_scale, den.ln() + ln_scale));
            }
        }
    }
    Err(StaffingError::OutOfRange { quantity: "Erlang A average speed of answer" })
}

// ---------------------------------------------------------------------------
// Special functions.

/// `ln A(a, y)` where `A(a, y) = Σ_{j≥0} yʲ / ((a+1)⋯(a+j)) = a·eʸ·y^{−a}·γ(a, y)`
/// and `γ` is the lower incomplete gamma function. Needs `a >= 1`, `y >= 0`.
///
/// For `y < a + 1` the series is summed directly: it is exactly the series
/// Numerical Recipes' `gser` uses for `γ`, without the prefactor. Every ratio
/// `y/(a+j)` is below 1, and the current ratio bounds all later ones, which
/// gives a rigorous tail bound.
///
/// For `y >= a + 1` the series would have to climb over a huge peak, so we use
/// `A = a·eʸ·y^{−a}·(Γ(a) − Γ(a, y)) = e^{L}·(1 − Q(a, y))` with
/// `L = ln(Γ(a+1)·eʸ·y^{−a})` and the upper incomplete gamma `Γ(a, y)` from its
/// continued fraction (NR's `gcf`). In this region `Q < 1/2`, so `1 − Q` does
/// not cancel.
fn ln_a_function(a: f64, y: f64) -> Result<f64, StaffingError> {
    if y <= 0.0 {
        return Ok(0.0);
    }
    // Both expansions need O(√a) steps near y ≈ a; this allows plenty.
    let max_steps = 1000.0 + 50.0 * a.max(y).sqrt();
    if y < a + 1.0 {
        let mut sum = 1.0;
        let mut term = 1.0;
        let mut j = 1.0_f64;
        while j <= max_steps {
            let denom = a + j;
            term *= y / denom;
            sum += term;
            let r = y / (denom + 1.0);
            if term * r / (1.0 - r) <= 0.5 * f64::EPSILON * sum {
                return Ok(sum.ln());
            }
            j += 1.0;
        }
    } else {
        let h = upper_gamma_continued_fraction(a, y, max_steps)?;
        let ln_prefactor = ln_gamma1p_exp_y_over_y_pow(a, y);
        // Q(a, y) = Γ(a, y)/Γ(a) = a·h / e^{L}.
        let q = (a.ln() + h.ln() - ln_prefactor).exp();
        if (0.0..1.0).contains(&q) {
            return Ok(ln_prefactor + (-q).ln_1p());
        }
    }
    Err(StaffingError::OutOfRange { quantity: "incomplete gamma function" })
}

/// `h` such that `Γ(a, y) = e^{−y}·yᵃ·h`, from the continued fraction
/// `1/(y+1−a− 1·(1−a)/(y+3−a− 2·(2−a)/(y+5−a− ⋯)))` evaluated by the modified
/// Lentz method. Converges quickly for `y >= a + 1`.
fn upper_gamma_continued_fraction(a: f64, y: f64, max_steps: f64) -> Result<f64, StaffingError> {
    // Stand-in for zero denominators, as in Lentz's method.
    const TINY: f64 = 1e-300;
    let mut b = y + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    let mut i = 1.0_f64;
    while i <= max_steps {
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() <= f64::EPSILON {
            return Ok(h);
        }
        i += 1.0;
    }
    Err(StaffingError::OutOfRange { quantity: "incomplete gamma function" })
}

/// `L = ln Γ(a+1) + y − a·ln y`, the log of `Γ(a+1)·eʸ / yᵃ`.
///
/// For large `a` the three parts are each about `a·ln a` and cancel to
/// something much smaller, so we use Stirling's series and group the large
/// terms as `a·(d − ln(1+d))` with `d = (y−a)/a`, which keeps the absolute
/// error near `ε·|y−a|` instead of `ε·a·ln a`.
fn ln_gamma1p_exp_y_over_y_pow(a: f64, y: f64) -> f64 {
    if a >= 15.0 {
        let d = (y - a) / a;
        a * (d - d.ln_1p()) + 0.5 * (2.0 * PI * a).ln() + stirling_correction(a)
    } else {
        ln_gamma(a + 1.0) + y - a * y.ln()
    }
}

/// `ln Γ(a+1) − (a·ln a − a + ½·ln(2πa))` for `a >= 15`, from Stirling's
/// series `1/(12a) − 1/(360a³) + 1/(1260a⁵) − 1/(1680a⁷) + 1/(1188a⁹)`; the
/// next term is below 3·10⁻¹⁶ at `a = 15`.
fn stirling_correction(a: f64) -> f64 {
    let inv = 1.0 / a;
    let inv2 = inv * inv;
    inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0 - inv2 / 1188.0))))
}

/// Lanczos coefficients for g = 7, nine terms (relative error of Γ about 10⁻¹⁵).
const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// `ln Γ(x)` for `x > 0` by the Lanczos approximation.
fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        // Γ(x) = Γ(x+1)/x keeps the approximation in its accurate range.
        return ln_gamma(x + 1.0) - x.ln();
    }
    let x = x - 1.0;
    let mut sum = LANCZOS[0];
    let mut k = 1.0;
    for &coefficient in &LANCZOS[1..] {
        sum += coefficient / (x + k);
        k += 1.0;
    }
    let t = x + LANCZOS_G + 0.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// `ln(eᵃ + eᵇ)` without overflow; `−∞` operands are handled exactly.
fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// `ln(1 + eᵗ)`.
fn ln_1p_exp(t: f64) -> f64 {
    log_add_exp(0.0, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
        assert!((actual - expected).abs() <= tolerance, "{what}: got {actual}, expected {expected} ± {tolerance}");
    }

    // ----- special functions -------------------------------------------------

    /// Exact values: Γ(1) = Γ(2) = 1, Γ(1/2) = √π, Γ(10) = 9!, and
    /// ln Γ(100) = 359.134205369575398776… (Abramowitz & Stegun; also
    /// mpmath.loggamma).
    #[test]
    fn ln_gamma_matches_known_values() {
        let cases = [
            (1.0, 0.0),
            (2.0, 0.0),
            (0.5, 0.5 * PI.ln()),
            (10.0, 362_880.0_f64.ln()),
            (0.1, 2.252_712_651_734_206),
            (100.0, 359.134_205_369_575_4),
        ];
        for (x, expected) in cases {
            assert_close(ln_gamma(x), expected, 1e-13 * expected.abs().max(1.0), "ln_gamma");
        }
    }

    #[test]
    fn stirling_prefactor_agrees_with_lanczos() {
        for a in [15.0, 20.0, 37.5, 100.0, 1000.0] {
            for y in [a + 1.0, 1.5 * a, 3.0 * a] {
                let lanczos = ln_gamma(a + 1.0) + y - a * f64::ln(y);
                let stirling = ln_gamma1p_exp_y_over_y_pow(a, y);
                assert_close(stirling, lanczos, 1e-12 * lanczos.abs().max(1.0), "prefactor");
            }
        }
    }

    /// Closed forms: γ(1, y) = 1 − e^{−y} gives A(1, y) = (eʸ − 1)/y, and
    /// γ(2, y) = 1 − e^{−y}(1 + y) gives A(2, y) = 2(eʸ − 1 − y)/y².
    /// The y values cover both the series (y < a+1) and the continued fraction.
    #[test]
    fn a_function_matches_closed_forms() {
        for y in [1e-8_f64, 0.3, 1.0, 1.999, 2.0, 2.5, 5.0, 30.0, 300.0] {
            let exact1 = (y.exp_m1() / y).ln();
            assert_close(ln_a_function(1.0, y).unwrap(), exact1, 1e-13 * exact1.abs().max(1.0), "A(1, y)");
            // e^y − 1 − y without cancellation for small y.
            let em1my = if y < 1e-3 { y * y / 2.0 * (1.0 + y / 3.0) } else { y.exp_m1() - y };
            let exact2 = (2.0 * em1my / (y * y)).ln();
            assert_close(ln_a_function(2.0, y).unwrap(), exact2, 1e-12 * exact2.abs().max(1.0), "A(2, y)");
        }
    }

    /// Brute force: sum the series term by term in log space well past the
    /// peak, and compare with the incomplete-gamma evaluation, across the
    /// switch between series and continued fraction and for large arguments.
    #[test]
    fn a_function_matches_brute_force_series() {
        let cases = [
            (1.0, 0.5),
            (3.7, 4.6),
            (3.7, 4.8),
            (11.0, 30.0),
            (20.0, 20.5),
            (20.0, 21.5),
            (501.0, 480.0),
            (5001.0, 5000.0),
            (5001.0, 5002.5),
            (5001.0, 5300.0),
            (100_001.0, 99_000.0),
            (100_001.0, 101_000.0),
        ];
        for (a, y) in cases {
            let mut ln_terms = vec![0.0_f64];
            let mut ln_t = 0.0;
            let mut j = 1.0;
            // Far past the peak at j ≈ y − a, until terms are e^{-60} of it.
            loop {
                ln_t += f64::ln(y / (a + j));
                ln_terms.push(ln_t);
                if j > y - a && ln_t < ln_terms.iter().cloned().fold(f64::MIN, f64::max) - 60.0 {
                    break;
                }
                j += 1.0;
            }
            let max = ln_terms.iter().cloned().fold(f64::MIN, f64::max);
            let sum: f64 = ln_terms.iter().map(|t| (t - max).exp()).sum();
            let brute = max + sum.ln();
            let got = ln_a_function(a, y).unwrap();
            assert_close(got, brute, 1e-10 * brute.abs().max(1.0), &format!("ln A({a}, {y})"));
        }
    }

    // ----- Erlang B ----------------------------------------------------------

    /// Reference values from exact rational summation Σ Aⁱ/i! (mpmath, 40
    /// digits); 10 Erlangs on 10 trunks = 0.2146 is also in every Erlang B
    /// table.
    #[test]
    fn erlang_b_matches_tables() {
        let cases = [
            (10, 10.0, 0.214_582_343_107_347_34),
            (5, 2.0, 0.036_697_247_706_422_02),
            (14, 10.0, 0.056_819_143_386_520_86),
            (1, 1.0, 0.5),
            (0, 7.0, 1.0),
            (3, 0.0, 0.0),
        ];
        for (n, a, expected) in cases {
            assert_close(erlang_b(n, a).unwrap(), expected, 1e-14, &format!("B({n}, {a})"));
        }
    }

    /// Second method: direct summation with factorials, which f64 can do for
    /// small N.
    #[test]
    fn erlang_b_recursion_matches_direct_summation() {
        for n in 0..=30_u32 {
            for a in [0.5, 3.0, 12.5, 29.0] {
                let mut term = 1.0;
                let mut sum = 1.0;
                for i in 1..=n {
                    term *= a / f64::from(i);
                    sum += term;
                }
                let direct = term / sum;
                assert_close(erlang_b(n, a).unwrap(), direct, 1e-13, "direct B");
            }
        }
    }

    #[test]
    fn erlang_b_is_stable_for_many_agents() {
        let b = erlang_b(10_000, 9_800.0).unwrap();
        assert!(b > 0.0 && b < 1.0 && b.is_finite(), "B = {b}");
        // The log recursion agrees with the plain one.
        let ln_load = 9_800.0_f64.ln();
        let mut ln_b = 0.0;
        for n in 1..=10_000 {
            ln_b = ln_erlang_b_step(n, ln_load, ln_b);
        }
        assert_close(ln_b.exp(), b, 1e-12, "log-space B");
        // Tiny values underflow to 0 in f64 but never become NaN.
        assert_eq!(erlang_b(100_000, 1.0).unwrap(), 0.0);
        assert!(erlang_b(100_000, 1e9).unwrap() > 0.99);
    }

    // ----- Erlang C ----------------------------------------------------------

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
            let q = ErlangC::new(200.0, 180.0, agents);
            assert_close(q.offered_load(), 10.0, 1e-12, "load");
            assert_close(q.prob_wait().unwrap(), p_wait, 1e-12, "P(wait)");
            assert_close(erlang_c(agents, 10.0).unwrap(), p_wait, 1e-12, "erlang_c");
            assert_close(q.service_level(20.0).unwrap(), sl, 1e-12, "SL");
            assert_close(q.asa_secs().unwrap(), asa, 1e-9, "ASA");
            assert_close(q.occupancy().unwrap(), 10.0 / f64::from(agents), 1e-15, "occupancy");
        }
        let target = ServiceTarget::new(0.8, 20.0);
        assert_eq!(ErlangC::agents_for_service_level(200.0, 180.0, &target).unwrap(), 14);
    }

    #[test]
    fn erlang_c_unstable_and_degenerate_cases() {
        let unstable = ErlangC::new(200.0, 180.0, 10);
        assert_eq!(unstable.prob_wait().unwrap(), 1.0);
        assert_eq!(unstable.service_level(20.0).unwrap(), 0.0);
        assert_eq!(unstable.asa_secs().unwrap(), f64::INFINITY);
        assert_eq!(unstable.occupancy().unwrap(), 1.0);
        let idle = ErlangC::new(0.0, 180.0, 3);
        assert_eq!(idle.prob_wait().unwrap(), 0.0);
        assert_eq!(idle.service_level(0.0).unwrap(), 1.0);
        assert_eq!(idle.asa_secs().unwrap(), 0.0);
        assert_eq!(idle.occupancy().unwrap(), 0.0);
        let q = ErlangC::new(200.0, 180.0, 14);
        assert_close(q.service_level(0.0).unwrap(), 1.0 - q.prob_wait().unwrap(), 1e-15, "SL(0)");
        assert_eq!(q.service_level(f64::INFINITY).unwrap(), 1.0);
    }

    #[test]
    fn erlang_c_is_stable_for_many_agents() {
        // 9,800 Erlangs as calls per hour with a 360 s AHT.
        let q = ErlangC::new(98_000.0, 360.0, 10_000);
        assert_close(q.offered_load(), 9_800.0, 1e-9, "load");
        for v in [q.prob_wait().unwrap(), q.service_level(20.0).unwrap(), q.occupancy().unwrap()] {
            assert!((0.0..=1.0).contains(&v), "{v}");
        }
        assert!(q.asa_secs().unwrap().is_finite());
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
            let target = ServiceTarget::new(fraction, t);
            let n = ErlangC::agents_for_service_level(calls, aht, &target).unwrap();
            let sl = ErlangC::new(calls, aht, n).service_level(t).unwrap();
            assert!(sl >= fraction, "{calls}/{aht}: SL {sl} with {n}");
            let below = ErlangC::new(calls, aht, n - 1).service_level(t).unwrap();
            assert!(below < fraction, "{calls}/{aht}: {} also meets it", n - 1);
        }
    }

    #[test]
    fn erlang_c_staffing_respects_occupancy_and_limits() {
        // 80/20 needs 14; an 0.7 occupancy ceiling needs ceil(10/0.7) = 15.
        let t = ServiceTarget::new(0.8, 20.0).with_max_occupancy(0.7);
        assert_eq!(ErlangC::agents_for_service_level(200.0, 180.0, &t).unwrap(), 15);
        // A loose SL with a 50% occupancy cap at 5,000 Erlangs: 10,000 agents.
        let t = ServiceTarget::new(0.5, 20.0).with_max_occupancy(0.5);
        assert_eq!(ErlangC::agents_for_service_level(60_000.0, 300.0, &t).unwrap(), 10_000);
        // Erlang C predicts no abandonment, so any ceiling is met.
        let t = ServiceTarget::new(0.8, 20.0).with_max_abandon_fraction(0.0);
        assert_eq!(ErlangC::agents_for_service_level(200.0, 180.0, &t).unwrap(), 14);
        // No traffic needs nobody.
        assert_eq!(ErlangC::agents_for_service_level(0.0, 180.0, &t).unwrap(), 0);
        // A load beyond MAX_AGENTS cannot be staffed.
        let huge = ErlangC::agents_for_service_level(1e9, 3600.0, &ServiceTarget::new(0.8, 20.0));
        assert_eq!(huge, Err(StaffingError::TargetUnreachable { max_agents: MAX_AGENTS }));
    }

    #[test]
    fn invalid_inputs_are_errors_not_panics() {
        let bad_numbers = [f64::NAN, -1.0, f64::INFINITY, f64::NEG_INFINITY];
        for bad in bad_numbers {
            assert!(erlang_b(3, bad).is_err());
            assert!(erlang_c(3, bad).is_err());
            assert!(ErlangC::new(bad, 180.0, 3).prob_wait().is_err());
            assert!(ErlangC::new(100.0, bad, 3).service_level(20.0).is_err());
            assert!(ErlangA::new(bad, 180.0, 60.0, 3).prob_abandon().is_err());
            assert!(ErlangA::new(100.0, bad, 60.0, 3).service_level(20.0).is_err());
            let target = ServiceTarget::new(bad, 20.0);
            assert!(ErlangC::agents_for_service_level(100.0, 180.0, &target).is_err());
            assert!(ErlangA::agents_for_service_level(100.0, 180.0, 60.0, &target).is_err());
        }
        // Zero handle time, zero or NaN patience, negative or NaN thresholds.
        assert!(ErlangC::new(100.0, 0.0, 3).asa_secs().is_err());
        assert!(ErlangA::new(100.0, 180.0, 0.0, 3).prob_wait().is_err());
        assert!(ErlangA::new(100.0, 180.0, f64::NAN, 3).prob_wait().is_err());
        assert!(ErlangA::new(100.0, 180.0, -5.0, 3).prob_wait().is_err());
        assert!(ErlangC::new(100.0, 180.0, 3).service_level(-1.0).is_err());
        assert!(ErlangA::new(100.0, 180.0, 60.0, 3).service_level(f64::NAN).is_err());
        // Overflowing load.
        assert!(ErlangC::new(f64::MAX, 1e10, 3).prob_wait().is_err());
        // Bad target parts.
        for target in [
            ServiceTarget::new(0.8, -1.0),
            ServiceTarget::new(1.5, 20.0),
            ServiceTarget::new(0.8, 20.0).with_max_occupancy(0.0),
            ServiceTarget::new(0.8, 20.0).with_max_occupancy(f64::NAN),
            ServiceTarget::new(0.8, 20.0).with_max_abandon_fraction(-0.1),
        ] {
            assert!(matches!(
                ErlangC::agents_for_service_level(100.0, 180.0, &target),
                Err(StaffingError::InvalidInput { .. })
            ));
            assert!(matches!(
                ErlangA::agents_for_service_level(100.0, 180.0, 60.0, &target),
                Err(StaffingError::InvalidInput { .. })
            ));
        }
        // Errors render a readable message.
        let message = erlang_b(3, f64::NAN).unwrap_err().to_string();
        assert!(message.contains("offered_load_erlangs"), "{message}");
    }

    // ----- Erlang A ----------------------------------------------------------

    /// Independent brute-force evaluation of M/M/N+M: the birth–death chain
    /// truncated at N + K waiting positions, and the service level by
    /// uniformization of the tagged caller's Markov chain (stages "j callers
    /// ahead", absorbing in "answered" or "abandoned"). Shares no formula
    /// with the implementation.
    struct BruteForce {
        p_wait: f64,
        p_abandon: f64,
        mean_wait_secs: f64,
        service_level: f64,
        abandoned_within: f64,
        asa_secs: f64,
    }

    fn brute_force(
        calls_per_hour: f64,
        aht: f64,
        patience: f64,
        agents: usize,
        t: f64,
        queue_cap: usize,
    ) -> BruteForce {
        let lambda = calls_per_hour / 3600.0;
        let mu = 1.0 / aht;
        let theta = 1.0 / patience;
        let n = agents as f64;
        let mut ln_pi = vec![0.0_f64; agents + queue_cap + 1];
        for i in 1..=agents {
            ln_pi[i] = ln_pi[i - 1] + (lambda / (i as f64 * mu)).ln();
        }
        for k in 1..=queue_cap {
            ln_pi[agents + k] = ln_pi[agents + k - 1] + (lambda / (n * mu + k as f64 * theta)).ln();
        }
        let max = ln_pi.iter().cloned().fold(f64::MIN, f64::max);
        let mut pi: Vec<f64> = ln_pi.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = pi.iter().sum();
        pi.iter_mut().for_each(|p| *p /= total);
        assert!(pi[agents + queue_cap] < 1e-18, "truncation too early");
        let queue = &pi[agents..];
        let p_wait: f64 = queue.iter().sum();
        let mean_queue: f64 = queue.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
        let p_abandon = theta * mean_queue / lambda;
        let mean_wait_secs = mean_queue / lambda; // Little's law

        // Uniformization: every stage leaves at rate ≤ Λ; self-loops fill up.
        let big_lambda = n * mu + (queue_cap as f64 + 1.0) * theta;
        let mut stage = queue.to_vec();
        let (mut answered, mut abandoned) = (0.0, 0.0);
        let mut weight = (-big_lambda * t).exp();
        let (mut sl, mut ab_t, mut cumulative) = (0.0, 0.0, 0.0);
        let mut m = 0.0;
        loop {
            sl += weight * answered;
            ab_t += weight * abandoned;
            cumulative += weight;
            if cumulative > 1.0 - 1e-15 && m > big_lambda * t {
                break;
            }
            let mut next = vec![0.0; stage.len()];
            for (j, &p) in stage.iter().enumerate() {
                let progress = n * mu + j as f64 * theta;
                if j == 0 {
                    answered += p * progress / big_lambda;
                } else {
                    next[j - 1] += p * progress / big_lambda;
                }
                abandoned += p * theta / big_lambda;
                next[j] += p * (1.0 - (progress + theta) / big_lambda);
            }
            stage = next;
            m += 1.0;
            weight *= big_lambda * t / m;
        }
        let service_level = (1.0 - p_wait) + sl;

        // ASA by first-step analysis per stage: E[time; answered] from stage j
        // is P(answered from j)/rate_j + P(advance)·(the same from j − 1).
        let mut served_wait = 0.0;
        let (mut p_served, mut time_served) = (1.0, 0.0);
        for (j, &p) in queue.iter().enumerate() {
            let progress = n * mu + j as f64 * theta;
            let rate = progress + theta;
            let advance = progress / rate;
            p_served *= advance;
            time_served = p_served / rate + advance * time_served;
            served_wait += p * time_served;
        }
        BruteForce {
            p_wait,
            p_abandon,
            mean_wait_secs,
            service_level,
            abandoned_within: ab_t,
            asa_secs: served_wait / (1.0 - p_abandon),
        }
    }

    /// Erlang A against the brute force, under-, critically and over-loaded,
    /// patient and impatient callers.
    #[test]
    fn erlang_a_matches_brute_force() {
        let cases = [
            // calls/h, AHT, patience, agents, threshold, queue cap
            (200.0, 180.0, 120.0, 14, 20.0, 400),
            (200.0, 180.0, 120.0, 10, 20.0, 400),
            (200.0, 180.0, 120.0, 8, 20.0, 400),
            (200.0, 180.0, 600.0, 12, 30.0, 600),
            (200.0, 180.0, 10.0, 11, 5.0, 200),
            (50.0, 240.0, 30.0, 1, 10.0, 200),
            (360.0, 300.0, 200.0, 25, 20.0, 800),
            (3_600.0, 120.0, 90.0, 110, 15.0, 900),
            // Overloaded and patient: SL through the upper-gamma branch.
            (200.0, 180.0, 600.0, 8, 20.0, 600),
            (3_600.0, 120.0, 300.0, 100, 15.0, 1_500),
        ];
        for (calls, aht, patience, agents, t, cap) in cases {
            let q = ErlangA::new(calls, aht, patience, agents);
            let bf = brute_force(calls, aht, patience, agents as usize, t, cap);
            let what = format!("{calls}/h AHT {aht} patience {patience} N {agents}");
            assert_close(q.prob_wait().unwrap(), bf.p_wait, 1e-11, &format!("P(wait) {what}"));
            assert_close(q.prob_abandon().unwrap(), bf.p_abandon, 1e-11, &format!("P(ab) {what}"));
            assert_close(q.mean_wait_secs().unwrap(), bf.mean_wait_secs, 1e-8, &format!("W {what}"));
            assert_close(q.service_level(t).unwrap(), bf.service_level, 1e-10, &format!("SL {what}"));
            assert_close(q.prob_abandon_within(t).unwrap(), bf.abandoned_within, 1e-10, &format!("ab within {what}"));
            assert_close(q.asa_secs().unwrap(), bf.asa_secs, 1e-8, &format!("ASA {what}"));
            let occupancy = q.offered_load() * (1.0 - bf.p_abandon) / agents as f64;
            assert_close(q.occupancy().unwrap(), occupancy.min(1.0), 1e-11, &format!("occ {what}"));
        }
    }

    /// Golden values for 10 Erlangs (200 calls/h, AHT 180 s), mean patience
    /// 120 s, 14 agents, threshold 20 s, computed independently with mpmath
    /// at 40 digits by birth–death summation (P(wait), P(abandon)) and, for
    /// the SL, both by mpmath's own incomplete gamma function in the closed
    /// form and by the matrix exponential of the tagged caller's chain (the
    /// two agree to 40 digits).
    #[test]
    fn erlang_a_golden_values() {
        let q = ErlangA::new(200.0, 180.0, 120.0, 14);
        assert_close(q.prob_wait().unwrap(), GOLDEN_P_WAIT, 1e-12, "P(wait)");
        assert_close(q.prob_abandon().unwrap(), GOLDEN_P_ABANDON, 1e-12, "P(abandon)");
        assert_close(q.service_level(20.0).unwrap(), GOLDEN_SL_20, 1e-12, "SL");
    }
    const GOLDEN_P_WAIT: f64 = 0.126_976_340_079_795_37;
    const GOLDEN_P_ABANDON: f64 = 0.022_839_286_531_818_77;
    const GOLDEN_SL_20: f64 = 0.932_729_580_698_059_7;

    #[test]
    fn erlang_a_identities() {
        for agents in [1, 5, 9, 10, 11, 14, 20] {
            let q = ErlangA::new(200.0, 180.0, 90.0, agents);
            let p_wait = q.prob_wait().unwrap();
            let p_ab = q.prob_abandon().unwrap();
            assert_close(q.service_level(0.0).unwrap(), 1.0 - p_wait, 1e-13, "SL(0)");
            assert_close(q.service_level(f64::INFINITY).unwrap(), 1.0 - p_ab, 1e-13, "SL(∞)");
            assert_close(q.prob_abandon_within(f64::INFINITY).unwrap(), p_ab, 1e-13, "ab(∞)");
            assert_eq!(q.prob_abandon_within(0.0).unwrap(), 0.0);
            for t in [5.0, 20.0, 60.0] {
                let sl = q.service_level(t).unwrap();
                let sl_ex = q.service_level_excluding_short_abandons(t).unwrap();
                let ab_t = q.prob_abandon_within(t).unwrap();
                assert!(sl_ex >= sl && ab_t <= p_ab, "N {agents} t {t}");
                assert_close(sl_ex, sl / (1.0 - ab_t), 1e-13, "SL excluding short abandons");
            }
            assert_close(q.mean_wait_secs().unwrap(), p_ab * 90.0, 1e-12, "E[W]");
        }
    }

    /// Patience → ∞ converges to Erlang C; infinite patience is Erlang C.
    #[test]
    fn erlang_a_with_long_patience_is_erlang_c() {
        for agents in [11, 14, 20] {
            let c = ErlangC::new(200.0, 180.0, agents);
            let exact = ErlangA::new(200.0, 180.0, f64::INFINITY, agents);
            assert_eq!(exact.prob_wait().unwrap(), c.prob_wait().unwrap());
            assert_eq!(exact.service_level(20.0).unwrap(), c.service_level(20.0).unwrap());
            assert_eq!(exact.prob_abandon().unwrap(), 0.0);
            // Mean patience 10⁹ s: abandonment of order ASA/patience ≈ 10⁻⁷.
            // (At 10⁷ s the ASA of answered calls with 11 agents is already
            // 0.05 s shorter: 122.727 s, confirmed by brute-force summation.)
            let a = ErlangA::new(200.0, 180.0, 1e9, agents);
            assert_close(a.prob_wait().unwrap(), c.prob_wait().unwrap(), 1e-4, "P(wait)");
            assert_close(a.service_level(20.0).unwrap(), c.service_level(20.0).unwrap(), 1e-4, "SL");
            assert_close(a.asa_secs().unwrap(), c.asa_secs().unwrap(), 1e-2, "ASA");
            assert!(a.prob_abandon().unwrap() < 1e-6);
        }
        let target = ServiceTarget::new(0.8, 20.0);
        assert_eq!(ErlangA::agents_for_service_level(200.0, 180.0, f64::INFINITY, &target).unwrap(), 14);
        assert_eq!(ErlangA::agents_for_service_level(200.0, 180.0, 1e9, &target).unwrap(), 14);
    }

    /// Patience → 0: whoever finds all agents busy leaves at once, the loss
    /// system of Erlang B, so P(wait) and P(abandon) both tend to B(N, A).
    #[test]
    fn erlang_a_with_no_patience_is_erlang_b() {
        for agents in [1, 5, 10, 14] {
            let b = erlang_b(agents, 10.0).unwrap();
            let q = ErlangA::new(200.0, 180.0, 1e-6, agents);
            assert_close(q.prob_wait().unwrap(), b, 1e-6, "P(wait)");
            assert_close(q.prob_abandon().unwrap(), b, 1e-6, "P(abandon)");
            assert_close(q.service_level(20.0).unwrap(), 1.0 - b, 1e-6, "SL");
            assert!(q.asa_secs().unwrap() < 1e-6);
        }
    }

    #[test]
    fn erlang_a_is_monotone_in_agents() {
        let mut previous: Option<(f64, f64, f64, f64, f64)> = None;
        for agents in 1..=45 {
            let q = ErlangA::new(1_200.0, 60.0, 45.0, agents); // 20 Erlangs
            let now = (
                q.prob_wait().unwrap(),
                q.prob_abandon().unwrap(),
                q.service_level(20.0).unwrap(),
                q.asa_secs().unwrap(),
                q.mean_wait_secs().unwrap(),
            );
            if let Some(before) = previous {
                assert!(now.0 <= before.0, "P(wait) rose at {agents}");
                assert!(now.1 <= before.1, "P(abandon) rose at {agents}");
                assert!(now.2 >= before.2, "SL fell at {agents}");
                assert!(now.3 <= before.3, "ASA rose at {agents}");
                assert!(now.4 <= before.4, "mean wait rose at {agents}");
            }
            previous = Some(now);
        }
    }

    #[test]
    fn erlang_a_degenerate_cases() {
        let idle = ErlangA::new(0.0, 180.0, 60.0, 5);
        assert_eq!(idle.prob_wait().unwrap(), 0.0);
        assert_eq!(idle.service_level(20.0).unwrap(), 1.0);
        assert_eq!(idle.asa_secs().unwrap(), 0.0);
        assert_eq!(idle.occupancy().unwrap(), 0.0);
        let nobody = ErlangA::new(100.0, 180.0, 60.0, 0);
        assert_eq!(nobody.prob_wait().unwrap(), 1.0);
        assert_eq!(nobody.prob_abandon().unwrap(), 1.0);
        assert_eq!(nobody.service_level(20.0).unwrap(), 0.0);
        assert_eq!(nobody.asa_secs().unwrap(), f64::INFINITY);
        assert_eq!(nobody.mean_wait_secs().unwrap(), 60.0);
        assert_close(nobody.prob_abandon_within(60.0).unwrap(), 1.0 - (-1.0_f64).exp(), 1e-15, "ab");
        // Absurdly long patience is refused rather than computed for minutes.
        let extreme = ErlangA::new(3_600.0, 1.0, 1e15, 10);
        assert!(matches!(extreme.prob_wait(), Err(StaffingError::OutOfRange { .. })));
    }

    /// N = 10,000 with 9,800 Erlangs (and overloaded with 9,000): every value
    /// finite and every probability in [0, 1].
    #[test]
    fn erlang_a_is_stable_for_many_agents() {
        for (agents, patience) in [(10_000, 60.0), (10_000, 3_600.0), (9_000, 60.0), (9_000, 36_000.0)] {
            let q = ErlangA::new(98_000.0, 360.0, patience, agents);
            for p in [
                q.prob_wait().unwrap(),
                q.prob_abandon().unwrap(),
                q.service_level(20.0).unwrap(),
                q.service_level_excluding_short_abandons(20.0).unwrap(),
                q.prob_abandon_within(20.0).unwrap(),
                q.occupancy().unwrap(),
            ] {
                assert!((0.0..=1.0).contains(&p), "N {agents} patience {patience}: {p}");
            }
            assert!(q.asa_secs().unwrap().is_finite());
            assert!(q.mean_wait_secs().unwrap().is_finite());
        }
        // Overloaded by 800 Erlangs, every agent is busy and the excess
        // abandons: P(abandon) → 800/9,800.
        let q = ErlangA::new(98_000.0, 360.0, 60.0, 9_000);
        assert_close(q.prob_abandon().unwrap(), 800.0 / 9_800.0, 1e-3, "overload abandonment");
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
            let mut target = ServiceTarget::new(fraction, t);
            target.max_abandon_fraction = max_ab;
            let n = ErlangA::agents_for_service_level(calls, aht, patience, &target).unwrap();
            let meets = |agents: u32| {
                let q = ErlangA::new(calls, aht, patience, agents);
                q.service_level(t).unwrap() >= fraction && max_ab.is_none_or(|m| q.prob_abandon().unwrap() <= m)
            };
            assert!(meets(n), "{calls}/{aht}/{patience}: {n} fails");
            assert!(!meets(n - 1), "{calls}/{aht}/{patience}: {} also meets it", n - 1);
        }
        // A load beyond MAX_AGENTS cannot be staffed.
        let target = ServiceTarget::new(0.8, 20.0);
        assert_eq!(
            ErlangA::agents_for_service_level(1e9, 3_600.0, 120.0, &target),
            Err(StaffingError::TargetUnreachable { max_agents: MAX_AGENTS })
        );
    }

    /// A grid from one call a day to 10,000 Erlangs, from 1 s to 10 days of
    /// patience and from 1 to 12,000 agents: no panic, no NaN, every
    /// probability in [0, 1], and the orderings that must hold.
    #[test]
    fn erlang_a_sweep_stays_in_range() {
        for calls in [1.0 / 24.0, 3.0, 200.0, 5_000.0, 120_000.0] {
            for aht in [30.0, 300.0] {
                for patience in [1.0, 60.0, 900.0, 864_000.0] {
                    for agents in [1, 2, 7, 40, 300, 3_000, 12_000] {
                        let q = ErlangA::new(calls, aht, patience, agents);
                        let what = format!("{calls}/h AHT {aht} patience {patience} N {agents}");
                        let p_wait = q.prob_wait().unwrap();
                        let p_ab = q.prob_abandon().unwrap();
                        let sl10 = q.service_level(10.0).unwrap();
                        let sl60 = q.service_level(60.0).unwrap();
                        let ex = q.service_level_excluding_short_abandons(10.0).unwrap();
                        let ab10 = q.prob_abandon_within(10.0).unwrap();
                        for p in [p_wait, p_ab, sl10, sl60, ex, ab10, q.occupancy().unwrap()] {
                            assert!((0.0..=1.0).contains(&p), "{what}: {p}");
                        }
                        assert!(p_ab <= p_wait + 1e-12, "{what}");
                        assert!(sl10 <= sl60 + 1e-12 && sl60 <= 1.0 - p_ab + 1e-12, "{what}");
                        assert!(sl10 >= 1.0 - p_wait - 1e-12 && ex >= sl10 - 1e-12, "{what}");
                        let asa = q.asa_secs().unwrap();
                        let wait = q.mean_wait_secs().unwrap();
                        assert!(asa.is_finite() && asa >= 0.0, "{what}: ASA {asa}");
                        assert!(wait.is_finite() && wait >= 0.0, "{what}: wait {wait}");
                    }
                }
            }
        }
    }

    #[test]
    fn erlang_a_staffing_with_occupancy_cap() {
        let target = ServiceTarget::new(0.5, 20.0).with_max_occupancy(0.75);
        let n = ErlangA::agents_for_service_level(200.0, 180.0, 120.0, &target).unwrap();
        assert!(ErlangA::new(200.0, 180.0, 120.0, n).occupancy().unwrap() <= 0.75);
        assert!(ErlangA::new(200.0, 180.0, 120.0, n - 1).occupancy().unwrap() > 0.75);
        assert_eq!(ErlangA::agents_for_service_level(0.0, 180.0, 120.0, &target).unwrap(), 0);
    }
}
