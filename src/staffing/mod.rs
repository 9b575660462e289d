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
//!   of 0 and an ASA of `Duration::MAX` (never; see "Units"). See [`ErlangC`].
//! * **Erlang A** (M/M/N+M, Palm's model with impatience): like Erlang C, but
//!   each waiting caller hangs up after an exponentially distributed patience
//!   with mean `patience` (= 1/θ) if not answered first. Abandonment
//!   keeps the queue stable for every `N`, including `N <= A`. See [`ErlangA`].
//!
//! # Units
//!
//! Every span is a [`Duration`](std::time::Duration): the average handle time
//! (`aht`), the mean patience (`patience`), the service-level threshold
//! (`threshold`) and every waiting time computed (ASA, mean wait). Arrival
//! rates are `f64` calls per hour (`calls_per_hour`), loads are `f64`
//! Erlangs, and every probability, service level or occupancy is an `f64`
//! fraction in `[0, 1]` (0.8, not 80).
//!
//! **[`Duration::MAX`](std::time::Duration::MAX) stands for an infinite
//! span**, in both directions:
//!
//! * as a mean patience it means callers never hang up, so [`ErlangA`] gives
//!   exactly the figures of [`ErlangC`];
//! * as a threshold it means "answered at all" (so `service_level` is the
//!   fraction of calls ever answered);
//! * as a result it means **never**: the ASA and mean wait of an unstable
//!   Erlang C queue (`N <= A`, the queue grows without bound), and the ASA of
//!   an Erlang A queue with no agents (no call is ever answered). A finite
//!   result too long for a `Duration` (over 584 billion years) saturates to
//!   the same value.
//!
//! The orderings stay right: an infinite wait is longer than any target, so
//! `asa <= target` is false for it, as it should be. A handle time must be
//! positive and finite (neither zero nor `Duration::MAX`), and a patience
//! positive.
//!
//! The numerics work in `f64` seconds (`Duration::as_secs_f64`), so a span
//! given in whole nanoseconds enters them exactly; computed spans are rounded
//! to the nearest nanosecond.
//!
//! # Service level definitions
//!
//! "Service level within T" is the fraction of *offered* calls (all arrivals)
//! answered within the threshold `T`. In Erlang C nobody abandons, so that is
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
//! # Examples
//!
//!
//! ```
//! use std::time::Duration;
//! use switchboard::staffing::{ErlangC, ServiceTarget};
//!
//! // 100 calls per half hour, 3 minute handle time: 10 Erlangs.
//! let aht = Duration::from_secs(180);
//! let target = ServiceTarget::new(0.8, Duration::from_secs(20)); // 80% answered within 20 s
//! let agents = ErlangC::agents_for_service_level(200.0, aht, &target)?;
//! assert_eq!(agents, 14);
//! let q = ErlangC::new(200.0, aht, agents);
//! assert!((q.service_level(Duration::from_secs(20))? - 0.8884).abs() < 1e-4);
//! assert!((q.asa()?.as_secs_f64() - 7.836).abs() < 1e-3);
//!
//! // With no more agents than Erlangs the queue grows without bound: the
//! // ASA is `Duration::MAX`, "never", longer than any target.
//! let unstable = ErlangC::new(200.0, aht, 10);
//! assert_eq!(unstable.asa()?, Duration::MAX);
//! assert!(unstable.asa()? > Duration::from_secs(20));
//! # Ok::<(), switchboard::staffing::StaffingError>(())
//! ```
//!
//! The same traffic and staffing under the three models. Erlang B and
//! Erlang C are the two limits of Erlang A: callers with no patience at all
//! are lost, callers with unlimited patience all wait, so the chance of
//! finding every agent busy lies between the two.
//!
//! ```
//! use std::time::Duration;
//! use switchboard::staffing::{ErlangA, ErlangC, erlang_b};
//!
//! // 200 calls an hour, 3 minute handle time (10 Erlangs), 14 agents.
//! let aht = Duration::from_secs(180);
//! let lost = erlang_b(14, 10.0)?; // nobody waits: a busy signal
//! let impatient = ErlangA::new(200.0, aht, Duration::from_secs(120), 14); // 2 minute mean patience
//! let patient = ErlangC::new(200.0, aht, 14); // nobody hangs up
//! // Unlimited patience is Erlang C exactly.
//! let never_hang_up = ErlangA::new(200.0, aht, Duration::MAX, 14);
//! assert_eq!(never_hang_up.prob_wait()?, patient.prob_wait()?);
//! assert!((lost - 0.0568).abs() < 1e-4);
//! assert!((impatient.prob_wait()? - 0.1270).abs() < 1e-4);
//! assert!((patient.prob_wait()? - 0.1741).abs() < 1e-4);
//! // Erlang A's shorter queue is paid for in callers who hang up.
//! assert!((impatient.prob_abandon()? - 0.0228).abs() < 1e-4);
//! # Ok::<(), switchboard::staffing::StaffingError>(())
//! ```

// One file per thing computed: each model with its own closed forms, the
// searches over agent counts, and the numerics they share. The files are
// private; everything public is re-exported here so that every path stays
// `switchboard::staffing::X`.
mod erlang_a;
mod erlang_b;
mod erlang_c;
mod search;
mod special_functions;
mod validation;

pub use erlang_a::ErlangA;
pub use erlang_b::erlang_b;
pub use erlang_c::{ErlangC, erlang_c};
pub use search::ServiceTarget;

/// The largest number of agents a staffing search will consider.
pub const MAX_AGENTS: u32 = 100_000;

const SECS_PER_HOUR: f64 = 3600.0;

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
        /// The value passed; a span in seconds (`Duration::MAX` as
        /// infinity).
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

#[cfg(test)]
fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!((actual - expected).abs() <= tolerance, "{what}: got {actual}, expected {expected} ± {tolerance}");
}
