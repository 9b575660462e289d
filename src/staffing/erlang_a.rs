//! Erlang A, the M/M/N+M queue in which waiting callers hang up: the public
//! model with its degenerate cases, and the closed forms for the general one.

use std::time::Duration;

use super::erlang_b::ln_erlang_b_step;
use super::special_functions::{ln_1p_exp, ln_a_function, log_add_exp, upper_gamma_continued_fraction};
use super::validation::{patience, secs, span, validated_load};
use super::{ErlangC, SECS_PER_HOUR, StaffingError};

/// Largest `x = N·patience/AHT` or `y = A·patience/AHT` the Erlang A
/// evaluation accepts: the series and continued fraction need about
/// `10·√max(x, y)` steps near `x ≈ y`, so this bounds the work per evaluation
/// to about 10⁷ steps. Reaching it needs a mean patience millions of times the
/// handle time, where Erlang C is the better model anyway.
const MAX_GAMMA_ARG: f64 = 1e12;

/// The ASA series walks through every queue length up to past the most likely
/// one; beyond this many steps we refuse rather than spin.
const MAX_SERIES_STEPS: f64 = 2e8;

/// An M/M/N+M queue: Erlang C plus callers who hang up after an exponential
/// patience with mean `patience` (Erlang A, Palm's model).
///
/// The fields are plain data; every method validates them and returns
/// [`StaffingError::InvalidInput`] for a negative or non-finite rate, a
/// handle time of zero or [`Duration::MAX`], or a zero patience.
///
/// A patience of [`Duration::MAX`] is infinite: nobody abandons, and every
/// result is exactly that of [`ErlangC`] (an unstable queue's ASA and mean
/// wait included: [`Duration::MAX`], never). With zero agents every caller
/// abandons.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use switchboard::staffing::{ErlangA, ErlangC};
///
/// // 10 Erlangs, 14 agents, callers wait 2 minutes on average before hanging up.
/// let (aht, patience) = (Duration::from_secs(180), Duration::from_secs(120));
/// let q = ErlangA::new(200.0, aht, patience, 14);
/// let p_ab = q.prob_abandon()?;
/// assert!((p_ab - 0.0228).abs() < 1e-4);
/// // Abandonment shortens the queue, so more calls are answered quickly than
/// // Erlang C predicts, even though the abandoned ones count as failures.
/// let t = Duration::from_secs(20);
/// let sl_a = q.service_level(t)?;
/// let sl_c = ErlangC::new(200.0, aht, 14).service_level(t)?;
/// assert!(sl_a > sl_c);
/// // Unlike Erlang C, an overloaded queue is still stable...
/// let overloaded = ErlangA::new(200.0, aht, patience, 8);
/// assert!(overloaded.asa()? < Duration::MAX);
/// // ...unless callers never hang up: then it is Erlang C, and never answers.
/// let patient = ErlangA::new(200.0, aht, Duration::MAX, 8);
/// assert_eq!(patient.asa()?, Duration::MAX);
/// # Ok::<(), switchboard::staffing::StaffingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ErlangA {
    /// Arrival rate in calls per hour.
    pub calls_per_hour: f64,
    /// Average handle time: positive, and not [`Duration::MAX`].
    pub aht: Duration,
    /// Mean patience (time a caller is willing to wait): positive; the
    /// abandonment rate of each waiting caller is `1 / patience`.
    /// [`Duration::MAX`] is infinite patience: nobody abandons (Erlang C).
    pub patience: Duration,
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
    /// time, mean patience ([`Duration::MAX`] for callers who never hang
    /// up) and number of agents.
    #[must_use]
    pub const fn new(calls_per_hour: f64, aht: Duration, patience: Duration, agents: u32) -> Self {
        Self { calls_per_hour, aht, patience, agents }
    }

    /// The offered load `A = λ·AHT` in Erlangs. Not validated.
    #[must_use]
    pub fn offered_load(&self) -> f64 {
        self.calls_per_hour * secs(self.aht) / SECS_PER_HOUR
    }

    fn regime(&self) -> Result<Regime, StaffingError> {
        let load = validated_load(self.calls_per_hour, self.aht)?;
        let patience_secs = patience(self.patience)?;
        if load == 0.0 {
            return Ok(Regime::NoTraffic);
        }
        if patience_secs == f64::INFINITY {
            return Ok(Regime::NoAbandonment(ErlangC::new(self.calls_per_hour, self.aht, self.agents)));
        }
        if self.agents == 0 {
            return Ok(Regime::NoAgents { patience_secs });
        }
        let ln_load = load.ln();
        let mut ln_b = 0.0;
        for n in 1..=self.agents {
            ln_b = ln_erlang_b_step(n, ln_load, ln_b);
        }
        AbandonQueue::new(self.agents, load, secs(self.aht), patience_secs, ln_b).map(Regime::Queue)
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
    /// `threshold` of arriving; with [`Duration::MAX`], all who ever
    /// abandon ([`ErlangA::prob_abandon`]).
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_wait`].
    pub fn prob_abandon_within(&self, threshold: Duration) -> Result<f64, StaffingError> {
        let t = secs(threshold);
        match self.regime()? {
            Regime::NoTraffic | Regime::NoAbandonment(_) => Ok(0.0),
            Regime::NoAgents { patience_secs } => Ok(-(-t / patience_secs).exp_m1()),
            Regime::Queue(q) => q.abandoned_within(t),
        }
    }

    /// Service level: the fraction of *offered* calls (abandoned ones
    /// included in the denominator) answered within `threshold`.
    /// This is the definition staffing searches use. A threshold of
    /// [`Duration::MAX`] is infinite: the fraction ever answered.
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_abandon_within`].
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use switchboard::staffing::ErlangA;
    ///
    /// let q = ErlangA::new(200.0, Duration::from_secs(180), Duration::from_secs(120), 14);
    /// // With a zero threshold only calls answered at once count.
    /// assert!((q.service_level(Duration::ZERO)? - (1.0 - q.prob_wait()?)).abs() < 1e-12);
    /// // With an infinite one, every call that does not abandon counts.
    /// let answered = 1.0 - q.prob_abandon()?;
    /// assert!((q.service_level(Duration::MAX)? - answered).abs() < 1e-12);
    /// # Ok::<(), switchboard::staffing::StaffingError>(())
    /// ```
    pub fn service_level(&self, threshold: Duration) -> Result<f64, StaffingError> {
        let t = secs(threshold);
        match self.regime()? {
            Regime::NoTraffic => Ok(1.0),
            Regime::NoAbandonment(c) => c.service_level(threshold),
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
    pub fn service_level_excluding_short_abandons(&self, threshold: Duration) -> Result<f64, StaffingError> {
        let t = secs(threshold);
        match self.regime()? {
            Regime::NoTraffic => Ok(1.0),
            Regime::NoAbandonment(c) => c.service_level(threshold),
            Regime::NoAgents { .. } => Ok(0.0),
            Regime::Queue(q) => {
                let answered = q.served_within(t)?;
                let counted = 1.0 - q.abandoned_within(t)?;
                // `counted >= P(no wait) > 0` whenever there is an agent.
                Ok(if counted > 0.0 { (answered / counted).clamp(0.0, 1.0) } else { 0.0 })
            }
        }
    }

    /// Average speed of answer: the mean wait of *answered* calls (those
    /// answered at once included), rounded to the nanosecond.
    ///
    /// [`Duration::MAX`] means **never**: with zero agents no call is ever
    /// answered, and with infinite patience an unstable queue
    /// (`N <= A`, as in [`ErlangC::asa`]) never answers its callers either.
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_wait`]; [`StaffingError::OutOfRange`] also when
    /// the queue is so overloaded, and callers so patient, that the mean queue
    /// length exceeds about 10⁸.
    pub fn asa(&self) -> Result<Duration, StaffingError> {
        let secs = match self.regime()? {
            Regime::NoTraffic => 0.0,
            Regime::NoAbandonment(c) => c.asa_secs()?,
            Regime::NoAgents { .. } => f64::INFINITY,
            Regime::Queue(q) => q.asa_secs()?,
        };
        span("Erlang A average speed of answer", secs)
    }

    /// Mean time in queue of *all* arrivals, counting callers who abandon up
    /// to the moment they hang up, rounded to the nanosecond. Equals
    /// `P(abandon)·patience` (Little's law applied to the queue and to the
    /// abandonment flow).
    ///
    /// With infinite patience nobody abandons and the mean wait is the ASA:
    /// [`Duration::MAX`] (never) for an unstable queue.
    ///
    /// # Errors
    ///
    /// As for [`ErlangA::prob_wait`].
    pub fn mean_wait(&self) -> Result<Duration, StaffingError> {
        let secs = match self.regime()? {
            Regime::NoTraffic => 0.0,
            // Everyone is eventually answered, so the mean wait is the ASA.
            Regime::NoAbandonment(c) => c.asa_secs()?,
            // Everyone waits for as long as their patience lasts.
            Regime::NoAgents { .. } => return Ok(self.patience),
            Regime::Queue(q) => q.prob_abandon() * q.patience_secs,
        };
        span("Erlang A mean wait", secs)
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
pub(super) struct AbandonQueue {
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
    pub(super) fn new(
        agents: u32,
        load: f64,
        aht_secs: f64,
        patience_secs: f64,
        ln_b: f64,
    ) -> Result<Self, StaffingError> {
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
    pub(super) fn prob_abandon(&self) -> f64 {
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
    pub(super) fn served_within(&self, t: f64) -> Result<f64, StaffingError> {
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

    pub(super) fn occupancy(&self, load: f64, agents: u32) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::super::{ServiceTarget, assert_close, erlang_b};
    use super::*;

    /// A span of `secs` seconds (exact for the values below).
    fn s(secs: f64) -> Duration {
        Duration::from_secs_f64(secs)
    }

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
            let q = ErlangA::new(calls, s(aht), s(patience), agents);
            let bf = brute_force(calls, aht, patience, agents as usize, t, cap);
            let what = format!("{calls}/h AHT {aht} patience {patience} N {agents}");
            assert_close(q.prob_wait().unwrap(), bf.p_wait, 1e-11, &format!("P(wait) {what}"));
            assert_close(q.prob_abandon().unwrap(), bf.p_abandon, 1e-11, &format!("P(ab) {what}"));
            assert_close(q.mean_wait().unwrap().as_secs_f64(), bf.mean_wait_secs, 1e-8, &format!("W {what}"));
            assert_close(q.service_level(s(t)).unwrap(), bf.service_level, 1e-10, &format!("SL {what}"));
            assert_close(
                q.prob_abandon_within(s(t)).unwrap(),
                bf.abandoned_within,
                1e-10,
                &format!("ab within {what}"),
            );
            assert_close(q.asa().unwrap().as_secs_f64(), bf.asa_secs, 1e-8, &format!("ASA {what}"));
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
        let q = ErlangA::new(200.0, s(180.0), s(120.0), 14);
        assert_close(q.prob_wait().unwrap(), GOLDEN_P_WAIT, 1e-12, "P(wait)");
        assert_close(q.prob_abandon().unwrap(), GOLDEN_P_ABANDON, 1e-12, "P(abandon)");
        assert_close(q.service_level(s(20.0)).unwrap(), GOLDEN_SL_20, 1e-12, "SL");
    }
    const GOLDEN_P_WAIT: f64 = 0.126_976_340_079_795_37;
    const GOLDEN_P_ABANDON: f64 = 0.022_839_286_531_818_77;
    const GOLDEN_SL_20: f64 = 0.932_729_580_698_059_7;

    #[test]
    fn erlang_a_identities() {
        for agents in [1, 5, 9, 10, 11, 14, 20] {
            let q = ErlangA::new(200.0, s(180.0), s(90.0), agents);
            let p_wait = q.prob_wait().unwrap();
            let p_ab = q.prob_abandon().unwrap();
            assert_close(q.service_level(Duration::ZERO).unwrap(), 1.0 - p_wait, 1e-13, "SL(0)");
            assert_close(q.service_level(Duration::MAX).unwrap(), 1.0 - p_ab, 1e-13, "SL(∞)");
            assert_close(q.prob_abandon_within(Duration::MAX).unwrap(), p_ab, 1e-13, "ab(∞)");
            assert_eq!(q.prob_abandon_within(Duration::ZERO).unwrap(), 0.0);
            for t in [5.0, 20.0, 60.0] {
                let sl = q.service_level(s(t)).unwrap();
                let sl_ex = q.service_level_excluding_short_abandons(s(t)).unwrap();
                let ab_t = q.prob_abandon_within(s(t)).unwrap();
                assert!(sl_ex >= sl && ab_t <= p_ab, "N {agents} t {t}");
                assert_close(sl_ex, sl / (1.0 - ab_t), 1e-13, "SL excluding short abandons");
            }
            // The mean wait is a span, rounded to the nanosecond.
            assert_close(q.mean_wait().unwrap().as_secs_f64(), p_ab * 90.0, 0.5e-9 + 1e-12, "E[W]");
        }
    }

    /// Patience → ∞ converges to Erlang C; infinite patience is Erlang C.
    #[test]
    fn erlang_a_with_long_patience_is_erlang_c() {
        for agents in [11, 14, 20] {
            let c = ErlangC::new(200.0, s(180.0), agents);
            let exact = ErlangA::new(200.0, s(180.0), Duration::MAX, agents);
            assert_eq!(exact.prob_wait().unwrap(), c.prob_wait().unwrap());
            assert_eq!(exact.service_level(s(20.0)).unwrap(), c.service_level(s(20.0)).unwrap());
            assert_eq!(exact.prob_abandon().unwrap(), 0.0);
            assert_eq!(exact.asa().unwrap(), c.asa().unwrap());
            assert_eq!(exact.mean_wait().unwrap(), c.asa().unwrap());
            // Mean patience 10⁹ s: abandonment of order ASA/patience ≈ 10⁻⁷.
            // (At 10⁷ s the ASA of answered calls with 11 agents is already
            // 0.05 s shorter: 122.727 s, confirmed by brute-force summation.)
            let a = ErlangA::new(200.0, s(180.0), s(1e9), agents);
            assert_close(a.prob_wait().unwrap(), c.prob_wait().unwrap(), 1e-4, "P(wait)");
            assert_close(a.service_level(s(20.0)).unwrap(), c.service_level(s(20.0)).unwrap(), 1e-4, "SL");
            assert_close(a.asa().unwrap().as_secs_f64(), c.asa().unwrap().as_secs_f64(), 1e-2, "ASA");
            assert!(a.prob_abandon().unwrap() < 1e-6);
        }
        // Unstable without abandonment, as in Erlang C: callers wait for ever.
        for agents in [0, 10] {
            let never = ErlangA::new(200.0, s(180.0), Duration::MAX, agents);
            assert_eq!(never.prob_wait().unwrap(), 1.0);
            assert_eq!(never.prob_abandon().unwrap(), 0.0);
            assert_eq!(never.asa().unwrap(), Duration::MAX);
            assert_eq!(never.mean_wait().unwrap(), Duration::MAX);
        }
        let target = ServiceTarget::new(0.8, s(20.0));
        assert_eq!(ErlangA::agents_for_service_level(200.0, s(180.0), Duration::MAX, &target).unwrap(), 14);
        assert_eq!(ErlangA::agents_for_service_level(200.0, s(180.0), s(1e9), &target).unwrap(), 14);
    }

    /// Patience → 0: whoever finds all agents busy leaves at once, the loss
    /// system of Erlang B, so P(wait) and P(abandon) both tend to B(N, A).
    #[test]
    fn erlang_a_with_no_patience_is_erlang_b() {
        for agents in [1, 5, 10, 14] {
            let b = erlang_b(agents, 10.0).unwrap();
            let q = ErlangA::new(200.0, s(180.0), s(1e-6), agents);
            assert_close(q.prob_wait().unwrap(), b, 1e-6, "P(wait)");
            assert_close(q.prob_abandon().unwrap(), b, 1e-6, "P(abandon)");
            assert_close(q.service_level(s(20.0)).unwrap(), 1.0 - b, 1e-6, "SL");
            assert!(q.asa().unwrap().as_secs_f64() < 1e-6);
        }
    }

    #[test]
    fn erlang_a_is_monotone_in_agents() {
        let mut previous: Option<(f64, f64, f64, f64, f64)> = None;
        for agents in 1..=45 {
            let q = ErlangA::new(1_200.0, s(60.0), s(45.0), agents); // 20 Erlangs
            let now = (
                q.prob_wait().unwrap(),
                q.prob_abandon().unwrap(),
                q.service_level(s(20.0)).unwrap(),
                q.asa().unwrap().as_secs_f64(),
                q.mean_wait().unwrap().as_secs_f64(),
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
        let idle = ErlangA::new(0.0, s(180.0), s(60.0), 5);
        assert_eq!(idle.prob_wait().unwrap(), 0.0);
        assert_eq!(idle.service_level(s(20.0)).unwrap(), 1.0);
        assert_eq!(idle.asa().unwrap(), Duration::ZERO);
        assert_eq!(idle.mean_wait().unwrap(), Duration::ZERO);
        assert_eq!(idle.occupancy().unwrap(), 0.0);
        let nobody = ErlangA::new(100.0, s(180.0), s(60.0), 0);
        assert_eq!(nobody.prob_wait().unwrap(), 1.0);
        assert_eq!(nobody.prob_abandon().unwrap(), 1.0);
        assert_eq!(nobody.service_level(s(20.0)).unwrap(), 0.0);
        // Nobody is ever answered: the ASA is infinite, Duration::MAX; every
        // caller waits out their patience.
        assert_eq!(nobody.asa().unwrap(), Duration::MAX);
        assert_eq!(nobody.mean_wait().unwrap(), s(60.0));
        assert_close(nobody.prob_abandon_within(s(60.0)).unwrap(), 1.0 - (-1.0_f64).exp(), 1e-15, "ab");
        // Absurdly long patience is refused rather than computed for minutes.
        let extreme = ErlangA::new(3_600.0, s(1.0), s(1e15), 10);
        assert!(matches!(extreme.prob_wait(), Err(StaffingError::OutOfRange { .. })));
    }

    /// N = 10,000 with 9,800 Erlangs (and overloaded with 9,000): every value
    /// finite and every probability in [0, 1].
    #[test]
    fn erlang_a_is_stable_for_many_agents() {
        for (agents, patience) in [(10_000, 60.0), (10_000, 3_600.0), (9_000, 60.0), (9_000, 36_000.0)] {
            let q = ErlangA::new(98_000.0, s(360.0), s(patience), agents);
            for p in [
                q.prob_wait().unwrap(),
                q.prob_abandon().unwrap(),
                q.service_level(s(20.0)).unwrap(),
                q.service_level_excluding_short_abandons(s(20.0)).unwrap(),
                q.prob_abandon_within(s(20.0)).unwrap(),
                q.occupancy().unwrap(),
            ] {
                assert!((0.0..=1.0).contains(&p), "N {agents} patience {patience}: {p}");
            }
            assert!(q.asa().unwrap() < Duration::MAX);
            assert!(q.mean_wait().unwrap() < Duration::MAX);
        }
        // Overloaded by 800 Erlangs, every agent is busy and the excess
        // abandons: P(abandon) → 800/9,800.
        let q = ErlangA::new(98_000.0, s(360.0), s(60.0), 9_000);
        assert_close(q.prob_abandon().unwrap(), 800.0 / 9_800.0, 1e-3, "overload abandonment");
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
                        let q = ErlangA::new(calls, s(aht), s(patience), agents);
                        let what = format!("{calls}/h AHT {aht} patience {patience} N {agents}");
                        let p_wait = q.prob_wait().unwrap();
                        let p_ab = q.prob_abandon().unwrap();
                        let sl10 = q.service_level(s(10.0)).unwrap();
                        let sl60 = q.service_level(s(60.0)).unwrap();
                        let ex = q.service_level_excluding_short_abandons(s(10.0)).unwrap();
                        let ab10 = q.prob_abandon_within(s(10.0)).unwrap();
                        for p in [p_wait, p_ab, sl10, sl60, ex, ab10, q.occupancy().unwrap()] {
                            assert!((0.0..=1.0).contains(&p), "{what}: {p}");
                        }
                        assert!(p_ab <= p_wait + 1e-12, "{what}");
                        assert!(sl10 <= sl60 + 1e-12 && sl60 <= 1.0 - p_ab + 1e-12, "{what}");
                        assert!(sl10 >= 1.0 - p_wait - 1e-12 && ex >= sl10 - 1e-12, "{what}");
                        let asa = q.asa().unwrap();
                        let wait = q.mean_wait().unwrap();
                        assert!(asa < Duration::MAX, "{what}: ASA {asa:?}");
                        assert!(wait < Duration::MAX, "{what}: wait {wait:?}");
                    }
                }
            }
        }
    }
}
