//! Input validation. Every public entry point validates before computing, so
//! NaN or nonsense never reaches the numerics (which would otherwise loop or
//! return NaN); and the conversions between the API's [`Duration`]s and the
//! `f64` seconds the numerics work in.

use std::time::Duration;

use super::{SECS_PER_HOUR, StaffingError};

/// Seconds in `span`, as the numerics use them: [`Duration::MAX`] stands for
/// an infinite span (see the module's "Units"), every other span is exact to
/// the nanosecond.
pub(super) fn secs(span: Duration) -> f64 {
    if span == Duration::MAX { f64::INFINITY } else { span.as_secs_f64() }
}

/// A computed number of seconds as a span, rounded to the nearest
/// nanosecond: infinity, and anything too long for a [`Duration`], become
/// [`Duration::MAX`]; a negative result (rounding below an exact zero)
/// becomes zero. NaN cannot come out of validated inputs, but if it did it
/// would be [`StaffingError::OutOfRange`] rather than a panic or a made-up
/// span.
pub(super) fn span(quantity: &'static str, secs: f64) -> Result<Duration, StaffingError> {
    if secs.is_nan() {
        Err(StaffingError::OutOfRange { quantity })
    } else if secs <= 0.0 {
        Ok(Duration::ZERO)
    } else {
        Ok(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
    }
}

pub(super) fn finite_non_negative(name: &'static str, value: f64) -> Result<f64, StaffingError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name, value, expected: "a finite number >= 0" })
    }
}

fn finite_positive_span(name: &'static str, span: Duration) -> Result<f64, StaffingError> {
    let value = secs(span);
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name, value, expected: "a span > 0, not Duration::MAX" })
    }
}

pub(super) fn fraction(name: &'static str, value: f64) -> Result<f64, StaffingError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name, value, expected: "a fraction in [0, 1]" })
    }
}

/// Infinite patience ([`Duration::MAX`]) is allowed and means "nobody
/// abandons" (Erlang C); zero is not.
pub(super) fn patience(patience: Duration) -> Result<f64, StaffingError> {
    let value = secs(patience);
    if value > 0.0 {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput {
            name: "patience",
            value,
            expected: "a span > 0 (Duration::MAX for no abandonment)",
        })
    }
}

/// Offered load in Erlangs from validated inputs. The handle time must be
/// positive and finite: neither zero nor [`Duration::MAX`].
pub(super) fn validated_load(calls_per_hour: f64, aht: Duration) -> Result<f64, StaffingError> {
    let calls_per_hour = finite_non_negative("calls_per_hour", calls_per_hour)?;
    let aht_secs = finite_positive_span("aht", aht)?;
    // The product can overflow even when both factors are finite.
    finite_non_negative("offered load", calls_per_hour * aht_secs / SECS_PER_HOUR)
}

#[cfg(test)]
mod tests {
    use super::super::{ErlangA, ErlangC, ServiceTarget, erlang_b, erlang_c};
    use super::*;

    const AHT: Duration = Duration::from_secs(180);
    const PATIENCE: Duration = Duration::from_secs(60);
    const T20: Duration = Duration::from_secs(20);

    #[test]
    fn invalid_inputs_are_errors_not_panics() {
        let bad_numbers = [f64::NAN, -1.0, f64::INFINITY, f64::NEG_INFINITY];
        for bad in bad_numbers {
            assert!(erlang_b(3, bad).is_err());
            assert!(erlang_c(3, bad).is_err());
            assert!(ErlangC::new(bad, AHT, 3).prob_wait().is_err());
            assert!(ErlangC::new(bad, AHT, 3).asa().is_err());
            assert!(ErlangA::new(bad, AHT, PATIENCE, 3).prob_abandon().is_err());
            assert!(ErlangA::new(bad, AHT, PATIENCE, 3).mean_wait().is_err());
            let target = ServiceTarget::new(bad, T20);
            assert!(ErlangC::agents_for_service_level(100.0, AHT, &target).is_err());
            assert!(ErlangA::agents_for_service_level(100.0, AHT, PATIENCE, &target).is_err());
        }
        // Zero handle time, and an infinite one (Duration::MAX); zero patience.
        // (Negative or NaN spans cannot be written any more.)
        for aht in [Duration::ZERO, Duration::MAX] {
            assert!(ErlangC::new(100.0, aht, 3).asa().is_err());
            assert!(ErlangC::new(100.0, aht, 3).service_level(T20).is_err());
            assert!(ErlangA::new(100.0, aht, PATIENCE, 3).service_level(T20).is_err());
            assert!(ErlangA::new(100.0, aht, Duration::MAX, 3).asa().is_err());
            let target = ServiceTarget::new(0.8, T20);
            assert!(ErlangC::agents_for_service_level(100.0, aht, &target).is_err());
            assert!(ErlangA::agents_for_service_level(100.0, aht, PATIENCE, &target).is_err());
        }
        assert!(ErlangA::new(100.0, AHT, Duration::ZERO, 3).prob_wait().is_err());
        assert!(ErlangA::new(100.0, AHT, Duration::ZERO, 3).mean_wait().is_err());
        let target = ServiceTarget::new(0.8, T20);
        assert!(ErlangA::agents_for_service_level(100.0, AHT, Duration::ZERO, &target).is_err());
        // A nanosecond is a valid handle time and patience, if an odd one.
        assert!(ErlangC::new(100.0, Duration::from_nanos(1), 3).asa().is_ok());
        assert!(ErlangA::new(100.0, AHT, Duration::from_nanos(1), 3).asa().is_ok());
        // Overflowing load: the longest finite handle time at the largest rate.
        let longest = Duration::MAX - Duration::from_nanos(1);
        assert!(ErlangC::new(f64::MAX, longest, 3).prob_wait().is_err());
        // Bad target parts.
        for target in [
            ServiceTarget::new(1.5, T20),
            ServiceTarget::new(0.8, T20).with_max_occupancy(0.0),
            ServiceTarget::new(0.8, T20).with_max_occupancy(f64::NAN),
            ServiceTarget::new(0.8, T20).with_max_abandon_fraction(-0.1),
        ] {
            assert!(matches!(
                ErlangC::agents_for_service_level(100.0, AHT, &target),
                Err(StaffingError::InvalidInput { .. })
            ));
            assert!(matches!(
                ErlangA::agents_for_service_level(100.0, AHT, PATIENCE, &target),
                Err(StaffingError::InvalidInput { .. })
            ));
        }
        // Errors render a readable message, naming the parameter.
        let message = erlang_b(3, f64::NAN).unwrap_err().to_string();
        assert!(message.contains("offered_load_erlangs"), "{message}");
        let message = ErlangC::new(100.0, Duration::ZERO, 3).asa().unwrap_err().to_string();
        assert!(message.contains("aht = 0"), "{message}");
        let message = ErlangA::new(100.0, AHT, Duration::ZERO, 3).asa().unwrap_err().to_string();
        assert!(message.contains("patience = 0"), "{message}");
    }

    /// Spans to seconds and back: `Duration::MAX` is infinity both ways,
    /// anything else is exact going in and rounded to the nanosecond coming
    /// out; nothing panics.
    #[test]
    fn spans_and_seconds() {
        assert_eq!(secs(Duration::MAX), f64::INFINITY);
        assert_eq!(secs(Duration::from_millis(180_500)), 180.5);
        assert_eq!(secs(Duration::from_micros(1)), 1e-6);
        let span = |x| span("test", x);
        assert_eq!(span(f64::INFINITY), Ok(Duration::MAX));
        assert_eq!(span(1e30), Ok(Duration::MAX));
        assert_eq!(span(f64::MAX), Ok(Duration::MAX));
        assert_eq!(span(0.0), Ok(Duration::ZERO));
        assert_eq!(span(-0.0), Ok(Duration::ZERO));
        assert_eq!(span(-1e-18), Ok(Duration::ZERO));
        assert_eq!(span(f64::NEG_INFINITY), Ok(Duration::ZERO));
        assert_eq!(span(7.835_937_011_777_243), Ok(Duration::from_nanos(7_835_937_012)));
        assert_eq!(span(f64::NAN), Err(StaffingError::OutOfRange { quantity: "test" }));
    }
}
