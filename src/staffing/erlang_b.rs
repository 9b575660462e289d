//! Erlang B, the loss system M/M/N/N, and the recursion that Erlang C and
//! Erlang A build on.

use super::StaffingError;
use super::special_functions::log_add_exp;
use super::validation::finite_non_negative;

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

pub(super) fn erlang_b_recursion(agents: u32, load: f64) -> f64 {
    let mut b = 1.0;
    for n in 1..=agents {
        b = erlang_b_step(n, load, b);
    }
    b
}

/// One step of the Erlang B recursion: `B(n)` from `B(n − 1)`. Every term is
/// positive, so no cancellation can occur.
pub(super) fn erlang_b_step(n: u32, load: f64, previous: f64) -> f64 {
    let ab = load * previous;
    ab / (f64::from(n) + ab)
}

/// The same recursion on logarithms, `ln B(n)` from `ln B(n − 1)`, so that
/// B can be far below the smallest `f64` (many agents, little load) without
/// becoming 0 — Erlang A divides by quantities proportional to it.
pub(super) fn ln_erlang_b_step(n: u32, ln_load: f64, ln_previous: f64) -> f64 {
    let ln_ab = ln_load + ln_previous;
    ln_ab - log_add_exp(f64::from(n).ln(), ln_ab)
}

#[cfg(test)]
mod tests {
    use super::super::assert_close;
    use super::*;

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
}
