//! Breakdowns of contact figures by host attributes (region, segment, language, …).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::figures::{ContactCounters, ServiceLevelReading};
use crate::model::attributes::Attributes;
use crate::sla::ServiceLevelFormula;
use crate::time::Timestamp;

/// One value of a breakdown attribute.
///
/// Values are bounded per attribute and interval: once
/// [`StatsConfigBuilder::max_breakdown_values`](crate::stats::StatsConfigBuilder::max_breakdown_values)
/// distinct values are seen, further new values are counted together as [`BreakdownValue::Other`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum BreakdownValue {
    /// Contacts without the attribute.
    #[serde(alias = "Missing")]
    Missing,
    /// Contacts with this value.
    #[serde(alias = "Value")]
    Value(String),
    /// Contacts with values beyond the limit.
    #[serde(alias = "Other")]
    Other,
}

/// Counts, ASA, service level and abandonment for one attribute value,
/// **since the start of the interval**.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BreakdownFigures {
    /// The attribute key.
    pub key: String,
    /// The value.
    pub value: BreakdownValue,
    /// When the interval started.
    pub interval_start: Timestamp,
    /// The counters (see [`ContactCounters`] for ASA, abandon rate and more).
    pub counters: ContactCounters,
    /// The service level: each contact judged against its queue's primary
    /// definition, under the statistics' default formula.
    pub service_level: ServiceLevelReading,
}

/// The tallies of every configured breakdown key, bounded per key.
#[derive(Clone, Debug, Default)]
pub(crate) struct Breakdowns {
    /// Keys in configuration order, each with its values and how many of them are real values.
    keys: Vec<(String, BTreeMap<BreakdownValue, ContactCounters>, usize)>,
    max_values: usize,
}

impl Breakdowns {
    pub(crate) fn new(keys: &[String], max_values: usize) -> Self {
        Breakdowns { keys: keys.iter().map(|k| (k.clone(), BTreeMap::new(), 0)).collect(), max_values }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The values of a new contact's attributes, one per configured key, in key order.
    pub(crate) fn values_of(&self, attributes: &Attributes) -> Vec<BreakdownValue> {
        self.keys
            .iter()
            .map(|(key, _, _)| match attributes.get(key) {
                Some(v) => BreakdownValue::Value(v.to_owned()),
                None => BreakdownValue::Missing,
            })
            .collect()
    }

    /// Applies `f` to the counters of each of a contact's values.
    pub(crate) fn apply(&mut self, values: &[BreakdownValue], mut f: impl FnMut(&mut ContactCounters)) {
        let max = self.max_values;
        for ((_, tallies, real_values), value) in self.keys.iter_mut().zip(values) {
            let counters = if let Some(c) = tallies.get_mut(value) {
                c
            } else {
                let slot = match value {
                    BreakdownValue::Value(_) if *real_values >= max => BreakdownValue::Other,
                    BreakdownValue::Value(v) => {
                        *real_values += 1;
                        BreakdownValue::Value(v.clone())
                    }
                    other => other.clone(),
                };
                tallies.entry(slot).or_default()
            };
            f(counters);
        }
    }

    /// The figures of one key, by value.
    pub(crate) fn figures(
        &self,
        key: &str,
        formula: ServiceLevelFormula,
        interval_start: Timestamp,
    ) -> Vec<BreakdownFigures> {
        self.keys
            .iter()
            .filter(|(k, _, _)| k == key)
            .flat_map(|(k, tallies, _)| {
                tallies.iter().map(move |(value, counters)| BreakdownFigures {
                    key: k.clone(),
                    value: value.clone(),
                    interval_start,
                    counters: counters.clone(),
                    service_level: ServiceLevelReading::new(formula, None, counters.service_level),
                })
            })
            .collect()
    }

    /// The figures of every key, keys in configuration order.
    pub(crate) fn all_figures(&self, formula: ServiceLevelFormula, interval_start: Timestamp) -> Vec<BreakdownFigures> {
        self.keys.iter().flat_map(|(k, _, _)| self.figures(k, formula, interval_start)).collect()
    }

    /// Starts a new interval.
    pub(crate) fn reset(&mut self) {
        self.keys.iter_mut().for_each(|(_, t, n)| {
            t.clear();
            *n = 0;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_bounded_per_key() {
        let mut b = Breakdowns::new(&["region".to_owned()], 2);
        for region in ["north", "south", "east", "west", "north"] {
            let values = b.values_of(&Attributes::new().with("region", region));
            b.apply(&values, |c| c.offered += 1);
        }
        let values = b.values_of(&Attributes::new());
        b.apply(&values, |c| c.offered += 1);
        let got: Vec<(BreakdownValue, u64)> = b
            .figures("region", ServiceLevelFormula::OfOffered, Timestamp::EPOCH)
            .into_iter()
            .map(|f| (f.value, f.counters.offered))
            .collect();
        assert_eq!(
            got,
            vec![
                (BreakdownValue::Missing, 1),
                (BreakdownValue::Value("north".into()), 2),
                (BreakdownValue::Value("south".into()), 1),
                (BreakdownValue::Other, 2),
            ]
        );
        b.reset();
        assert!(b.all_figures(ServiceLevelFormula::OfOffered, Timestamp::EPOCH).is_empty());
    }
}
