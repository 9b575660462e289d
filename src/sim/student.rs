//! Student's t quantiles, computed rather than looked up.
//!
//! A table stops somewhere (the old one at 30 degrees of freedom, then 1.96,
//! which made intervals over 31 to 120 replications 2–4 % too narrow) and
//! rounds to three decimals. Here the upper tail of the t distribution is
//! written with the regularised incomplete beta function,
//!
//! ```text
//! P(T > t) = ½ · I_x(df/2, ½),   x = df / (df + t²),
//! ```
//!
//! evaluated by its continued fraction (modified Lentz), and inverted by
//! bisection, which cannot fail to converge: the tail falls monotonically in
//! t. The result is good to about 1e-12 relative for any degrees of freedom.
//! Transcendental functions come from `libm`, so a report's intervals are the
//! same bits on every platform, like its draws.

/// Relative width at which bisection stops: a few ulps above the precision
/// the tail itself is computed to.
const BISECTION_TOLERANCE: f64 = 1e-15;

/// Bisection halves the bracket this often at most; 200 halvings of any
/// finite bracket reach the tolerance.
const BISECTION_STEPS: u32 = 200;

/// The continued fraction converges in O(√df) terms; this bounds a
/// pathological input, far above the ~1,000 terms of a million degrees of freedom.
const FRACTION_TERMS: u32 = 100_000;

/// Below this, `libm::lgamma` itself is accurate to ~1e-15; above it, the
/// difference of two large log-gammas would cancel digits, so Stirling's
/// series of the difference is used instead.
const LARGE_SHAPE: f64 = 50.0;

/// The `p` quantile of Student's t distribution with `df` degrees of
/// freedom: the t with P(T ≤ t) = p. `None` unless 0 < p < 1 and df is
/// positive and finite.
pub(crate) fn t_quantile(p: f64, df: f64) -> Option<f64> {
    let valid = p > 0.0 && p < 1.0 && df > 0.0 && df.is_finite();
    if !valid {
        return None;
    }
    if p == 0.5 {
        return Some(0.0);
    }
    // Symmetric about zero: find the positive t whose upper tail is the smaller side.
    let tail = p.min(1.0 - p);
    let t = positive_t_with_upper_tail(tail, df);
    Some(if p > 0.5 { t } else { -t })
}

/// The t > 0 with P(T > t) = `tail` (0 < tail < ½), by bisection.
fn positive_t_with_upper_tail(tail: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    // Widen until the tail at `hi` is below the target; f64 runs out long before the loop would.
    while upper_tail(hi, df) > tail && hi < f64::MAX / 2.0 {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..BISECTION_STEPS {
        let mid = lo + (hi - lo) / 2.0;
        if upper_tail(mid, df) > tail {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= BISECTION_TOLERANCE * hi {
            break;
        }
    }
    lo + (hi - lo) / 2.0
}

/// P(T > t) for t ≥ 0.
fn upper_tail(t: f64, df: f64) -> f64 {
    let t2 = t * t;
    // Both x and 1 − x computed directly: 1 − x by subtraction would lose
    // most of its digits when t² is small beside df.
    let x = df / (df + t2);
    let one_minus_x = t2 / (df + t2);
    0.5 * regularised_beta_half(x, one_minus_x, df / 2.0)
}

/// I_x(a, ½), the regularised incomplete beta function with b = ½, given
/// x and 1 − x separately.
fn regularised_beta_half(x: f64, one_minus_x: f64, a: f64) -> f64 {
    let b = 0.5;
    if x <= 0.0 {
        return 0.0;
    }
    if one_minus_x <= 0.0 {
        return 1.0;
    }
    // x^a (1−x)^b / B(a, b), in logs: B(a, ½) = Γ(a) Γ(½) / Γ(a + ½).
    let ln_beta = -ln_gamma_ratio_half(a) + 0.5 * libm::log(std::f64::consts::PI);
    let ln_front = a * libm::log(x) + b * libm::log(one_minus_x) - ln_beta;
    let front = libm::exp(ln_front);
    // The fraction converges fast on this side of the mean; the other side by symmetry.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(one_minus_x, b, a) / b
    }
}

/// ln Γ(a + ½) − ln Γ(a), without cancelling digits when a is large.
fn ln_gamma_ratio_half(a: f64) -> f64 {
    if a < LARGE_SHAPE {
        return libm::lgamma(a + 0.5) - libm::lgamma(a);
    }
    // Stirling: ln Γ(z) = (z − ½) ln z − z + ½ ln 2π + S(z). The difference's
    // main terms are a·ln(1 + 1/(2a)) + ½ ln a − ½, with log1p keeping the
    // small part exact.
    let main = a * libm::log1p(0.5 / a) + 0.5 * libm::log(a) - 0.5;
    main + stirling_series(a + 0.5) - stirling_series(a)
}

/// S(z) = 1/(12z) − 1/(360z³) + 1/(1260z⁵) − 1/(1680z⁷): the next term is
/// below 1e-18 for z ≥ 50.
fn stirling_series(z: f64) -> f64 {
    let z2 = z * z;
    (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1_260.0 - 1.0 / (1_680.0 * z2)) / z2) / z2) / z
}

/// The continued fraction of I_x(a, b) (Numerical Recipes' `betacf`,
/// modified Lentz), for x below the mean (a + 1)/(a + b + 2).
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    // Keeps a denominator that happens to be zero from dividing by zero.
    const TINY: f64 = 1e-300;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=FRACTION_TERMS {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        // Even step.
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / nonzero(1.0 + aa * d);
        c = nonzero(1.0 + aa / c);
        h *= d * c;
        // Odd step.
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / nonzero(1.0 + aa * d);
        c = nonzero(1.0 + aa / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < f64::EPSILON {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_published_values() {
        // (p, df, t): the incomplete beta inverted by bisection in mpmath at
        // 40 significant digits, written as the nearest f64.
        let cases = [
            (0.975, 1.0, 12.706204736174693),
            (0.975, 2.0, 4.302652729749462),
            (0.975, 3.0, 3.182446305283708),
            (0.975, 5.0, 2.5705818356363148),
            (0.975, 10.0, 2.2281388519862742),
            (0.975, 30.0, 2.0422724563012379),
            (0.975, 31.0, 2.039513446396408),
            (0.975, 60.0, 2.00029782201426),
            (0.975, 100.0, 1.9839715185235519),
            (0.975, 120.0, 1.9799304050824405),
            (0.975, 1_000.0, 1.962339080826408),
            (0.975, 99_999.0, 1.9599877077718444),
            (0.9995, 19.0, 3.883405852592131),
            (0.995, 4.0, 4.604094871349992),
            (0.9, 7.0, 1.4149239276505086),
            (0.6, 3.0, 0.27667066233268985),
        ];
        for (p, df, t) in cases {
            let got = t_quantile(p, df).unwrap();
            assert!((got - t).abs() <= 1e-12 * t, "t({p}, {df}) = {got}, want {t}");
            let below = t_quantile(1.0 - p, df).unwrap();
            assert!((below + t).abs() <= 1e-12 * t, "symmetric: t({}, {df}) = {below}", 1.0 - p);
        }
    }

    #[test]
    fn closed_forms_agree_to_twelve_digits() {
        // df = 1 is Cauchy: t = tan(π(p − ½)); df = 2: t = (2p − 1) / √(2p(1 − p)).
        for p in [0.55, 0.75, 0.9, 0.975, 0.995, 0.9995] {
            let cauchy = libm::tan(std::f64::consts::PI * (p - 0.5));
            let two = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
            for (df, want) in [(1.0, cauchy), (2.0, two)] {
                let got = t_quantile(p, df).unwrap();
                assert!((got - want).abs() <= 1e-12 * want, "t({p}, {df}) = {got}, closed form {want}");
            }
        }
    }

    #[test]
    fn large_degrees_of_freedom_approach_the_normal() {
        let mut previous = f64::INFINITY;
        for df in [1.0, 2.0, 10.0, 31.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e8] {
            let t = t_quantile(0.975, df).unwrap();
            assert!(t < previous && t > 1.959_963_984_540_054_2, "df {df}: {t} after {previous}");
            previous = t;
        }
        assert!((previous - 1.959_963_984_540_054_2).abs() < 1e-7);
    }

    #[test]
    fn bad_arguments_give_none() {
        for (p, df) in [(0.0, 5.0), (1.0, 5.0), (f64::NAN, 5.0), (0.9, 0.0), (0.9, -1.0), (0.9, f64::INFINITY)] {
            assert_eq!(t_quantile(p, df), None, "p {p}, df {df}");
        }
        assert_eq!(t_quantile(0.5, 3.0), Some(0.0));
    }
}
