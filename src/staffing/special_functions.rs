//! Special functions the Erlang A closed forms are built on (the incomplete
//! gamma function and `ln Γ`), and log-space addition, which the Erlang B
//! recursion on logarithms shares.

use std::f64::consts::PI;

use super::StaffingError;

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
pub(super) fn ln_a_function(a: f64, y: f64) -> Result<f64, StaffingError> {
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
pub(super) fn upper_gamma_continued_fraction(a: f64, y: f64, max_steps: f64) -> Result<f64, StaffingError> {
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
pub(super) fn log_add_exp(a: f64, b: f64) -> f64 {
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
pub(super) fn ln_1p_exp(t: f64) -> f64 {
    log_add_exp(0.0, t)
}

#[cfg(test)]
mod tests {
    use super::super::assert_close;
    use super::*;

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
}
