//! How spans look in serialised forms (journals, snapshots, checkpoints, events).
//!
//! The API speaks [`Duration`]; serialised forms speak whole milliseconds, the
//! engine's resolution: `"wrap_up": 30000`, not serde's default
//! `{"secs": 30, "nanos": 0}`. A span with a sub-millisecond part (which the
//! engine accepts and rounds down when it acts) keeps serde's `{secs, nanos}`
//! form, so that nothing is lost in a round trip. Both forms read back, so
//! files written before milliseconds (format 1) still read.
//!
//! Binary forms (the compact snapshot) keep serde's `(secs, nanos)` pair: they
//! are versioned by their own header and never written by hand.
//!
//! Time counters of the statistics (sums of talk, wrap-up, waits, presence
//! time; named `…_ms` in serialised forms) are the exception: they are whole
//! milliseconds in every format, binary ones included ([`counter_millis`]),
//! as they were when the API held them as `u64` milliseconds.

use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serde's own form of a [`Duration`], for the spans that milliseconds cannot hold exactly.
#[derive(Serialize, Deserialize)]
struct SecsNanos {
    secs: u64,
    nanos: u32,
}

/// The span in whole milliseconds, if it has no sub-millisecond part and fits a `u64`.
fn whole_millis(d: Duration) -> Option<u64> {
    (d.subsec_nanos() % 1_000_000 == 0).then(|| u64::try_from(d.as_millis()).ok()).flatten()
}

/// `#[serde(with = "crate::serde_forms::millis")]` for a [`Duration`] field.
pub(crate) mod millis {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        match whole_millis(*d) {
            Some(ms) if s.is_human_readable() => s.serialize_u64(ms),
            _ if s.is_human_readable() => SecsNanos { secs: d.as_secs(), nanos: d.subsec_nanos() }.serialize(s),
            _ => d.serialize(s),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        if d.is_human_readable() { d.deserialize_any(SpanVisitor) } else { Duration::deserialize(d) }
    }
}

/// A span in its serialised form ([`millis`]), for spans inside containers
/// (`Option`, a per-channel map) where a field attribute cannot reach.
#[derive(Clone, Copy)]
pub(crate) struct Millis(pub(crate) Duration);

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        millis::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        millis::deserialize(d).map(Millis)
    }
}

/// `#[serde(default, with = "crate::serde_forms::option_millis")]` for an `Option<Duration>`
/// field (`default`, because with `with` serde no longer treats a missing field as `None`).
pub(crate) mod option_millis {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        d.map(Millis).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<Millis>::deserialize(d)?.map(|m| m.0))
    }
}

/// `#[serde(with = "crate::serde_forms::counter_millis")]` for a time counter
/// of the statistics (a sum of talk, wrap-up or waiting time): a `u64` of
/// whole milliseconds in *every* format, binary ones included, so reports,
/// records and their compact forms are byte for byte what they were when the
/// field was a `u64` of milliseconds. The sums are whole milliseconds by
/// construction; a sub-millisecond part is dropped, and a sum beyond
/// `u64::MAX` milliseconds is written as `u64::MAX`.
pub(crate) mod counter_millis {
    use super::*;

    /// The most a time counter holds: what its serialised form can say.
    pub(crate) const MAX: Duration = Duration::from_millis(u64::MAX);

    /// The counter in whole milliseconds, saturating at `u64::MAX`.
    pub(crate) fn of(d: Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }

    /// `sum + more`, saturating at [`MAX`] as a `u64` of milliseconds did.
    pub(crate) fn add(sum: Duration, more: Duration) -> Duration {
        sum.saturating_add(more).min(MAX)
    }

    /// `skip_serializing_if` for a counter: true when it is written as 0.
    pub(crate) fn is_zero(d: &Duration) -> bool {
        d.as_millis() == 0
    }

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(of(*d))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Reads a span written as whole milliseconds or as serde's `{secs, nanos}`.
struct SpanVisitor;

impl<'de> Visitor<'de> for SpanVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a span in whole milliseconds, or {\"secs\": …, \"nanos\": …}")
    }

    fn visit_u64<E: de::Error>(self, ms: u64) -> Result<Duration, E> {
        Ok(Duration::from_millis(ms))
    }

    fn visit_i64<E: de::Error>(self, ms: i64) -> Result<Duration, E> {
        u64::try_from(ms)
            .map(Duration::from_millis)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(ms), &"a span of zero or more milliseconds"))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Duration, A::Error> {
        let SecsNanos { secs, nanos } = SecsNanos::deserialize(de::value::MapAccessDeserializer::new(map))?;
        if nanos >= 1_000_000_000 {
            return Err(de::Error::invalid_value(de::Unexpected::Unsigned(nanos.into()), &"nanos under 1 000 000 000"));
        }
        Ok(Duration::new(secs, nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Spans {
        #[serde(with = "millis")]
        wrap_up: Duration,
        #[serde(with = "option_millis")]
        timeout: Option<Duration>,
    }

    #[test]
    fn spans_are_whole_milliseconds_and_exact_otherwise() {
        let cases = [
            (Duration::ZERO, None, r#"{"wrap_up":0,"timeout":null}"#),
            (Duration::from_secs(30), Some(Duration::from_millis(1)), r#"{"wrap_up":30000,"timeout":1}"#),
            (
                Duration::from_micros(1_500),
                Some(Duration::MAX),
                r#"{"wrap_up":{"secs":0,"nanos":1500000},"timeout":{"secs":18446744073709551615,"nanos":999999999}}"#,
            ),
            (Duration::from_millis(u64::MAX), None, r#"{"wrap_up":18446744073709551615,"timeout":null}"#),
        ];
        for (wrap_up, timeout, json) in cases {
            let spans = Spans { wrap_up, timeout };
            assert_eq!(serde_json::to_string(&spans).unwrap(), json);
            assert_eq!(serde_json::from_str::<Spans>(json).unwrap(), spans, "{json}");
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Counter {
        #[serde(rename = "talk_ms", with = "counter_millis")]
        talk: Duration,
        #[serde(
            rename = "interrupted_ms",
            default,
            skip_serializing_if = "counter_millis::is_zero",
            with = "counter_millis"
        )]
        interrupted: Duration,
    }

    /// What a counter was before the API spoke `Duration`.
    #[derive(Serialize)]
    struct CounterInMs {
        talk_ms: u64,
        interrupted_ms: u64,
    }

    #[test]
    fn counters_are_u64_milliseconds_in_every_format() {
        let ms = Duration::from_millis;
        for (talk, interrupted, old) in [
            (ms(0), ms(1), (0, 1)),
            (ms(300_000), ms(55_000), (300_000, 55_000)),
            (ms(u64::MAX), ms(u64::MAX), (u64::MAX, u64::MAX)),
            // Beyond what the form can say: saturates; a sub-millisecond part is dropped.
            (Duration::MAX, Duration::from_micros(1_500), (u64::MAX, 1)),
        ] {
            let c = Counter { talk, interrupted };
            let old = CounterInMs { talk_ms: old.0, interrupted_ms: old.1 };
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, serde_json::to_string(&old).unwrap());
            let back = serde_json::from_str::<Counter>(&json).unwrap();
            assert_eq!((back.talk, back.interrupted), (ms(old.talk_ms), ms(old.interrupted_ms)));
            #[cfg(feature = "compact")]
            {
                let bytes = postcard::to_allocvec(&c).unwrap();
                assert_eq!(bytes, postcard::to_allocvec(&old).unwrap(), "{c:?}");
                assert_eq!(postcard::from_bytes::<Counter>(&bytes).unwrap(), back);
            }
        }
        let zero = Counter { talk: Duration::ZERO, interrupted: Duration::from_micros(999) };
        assert_eq!(serde_json::to_string(&zero).unwrap(), r#"{"talk_ms":0}"#, "written as 0, so left out");
        assert_eq!(serde_json::from_str::<Counter>(r#"{"talk_ms":0}"#).unwrap().interrupted, Duration::ZERO);
        assert_eq!(counter_millis::add(Duration::MAX, ms(1)), counter_millis::MAX);
        assert_eq!(counter_millis::of(Duration::MAX), u64::MAX);
        for bad in [r#"{"talk_ms":-1}"#, r#"{"talk_ms":1.5}"#, r#"{"talk_ms":{"secs":1,"nanos":0}}"#] {
            assert!(serde_json::from_str::<Counter>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn format_1_spans_still_read_and_nonsense_is_refused() {
        let old = r#"{"wrap_up":{"secs":30,"nanos":0},"timeout":{"secs":0,"nanos":5000000}}"#;
        let read = serde_json::from_str::<Spans>(old).unwrap();
        assert_eq!(read, Spans { wrap_up: Duration::from_secs(30), timeout: Some(Duration::from_millis(5)) });
        for bad in [
            r#"{"wrap_up":-1,"timeout":null}"#,
            r#"{"wrap_up":1.5,"timeout":null}"#,
            r#"{"wrap_up":"30s","timeout":null}"#,
            r#"{"wrap_up":{"secs":0,"nanos":1000000000},"timeout":null}"#,
            r#"{"wrap_up":{"secs":0},"timeout":null}"#,
        ] {
            assert!(serde_json::from_str::<Spans>(bad).is_err(), "{bad}");
        }
    }
}
