//! Input validation. Every public entry point validates before computing, so
//! NaN or nonsense never reaches the numerics (which would otherwise loop or
//! return NaN).

use super::{SECS_PER_HOUR, StaffingError};

pub(super) fn finite_non_negative(name: &'static str, value: f64) -> Result<f64, StaffingError> {
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

pub(super) fn fraction(name: &'static str, value: f64) -> Result<f64, StaffingError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name, value, expected: "a fraction in [0, 1]" })
    }
}

/// Thresholds may be infinite ("answered at all"), but not negative or NaN.
pub(super) fn threshold(value: f64) -> Result<f64, StaffingError> {
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(StaffingError::InvalidInput { name: "threshold_secs", value, expected: "a number of seconds >= 0" })
    }
}

/// Infinite patience is allowed and means "nobody abandons" (Erlang C).
pub(super) fn patience(value: f64) -> Result<f64, StaffingError> {
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
pub(super) fn validated_load(calls_per_hour: f64, aht_secs: f64) -> Result<f64, StaffingError> {
    let calls_per_hour = finite_non_negative("calls_per_hour", calls_per_hour)?;
    let aht_secs = finite_positive("aht_secs", aht_secs)?;
    // The product can overflow even when both factors are finite.
    finite_non_negative("offered load", calls_per_hour * aht_secs / SECS_PER_HOUR)
}

#[cfg(test)]
mod tests {
    use super::super::{ErlangA, ErlangC, ServiceTarget, erlang_b, erlang_c};
    use super::*;

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
}
