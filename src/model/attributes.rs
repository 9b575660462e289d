//! Free-form host attributes carried by an interaction.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Free-form attributes of an interaction (segment, region, language, …),
/// set by the host and carried unchanged into events.
///
/// Attribute values may be personal data, so `Debug` prints only the keys;
/// read a value with [`Attributes::get`] when you mean to.
///
/// # Example
/// ```
/// use switchboard::Attributes;
///
/// let attrs = Attributes::new().with("region", "north").with("segment", "vip");
/// assert_eq!(attrs.get("region"), Some("north"));
/// assert_eq!(format!("{attrs:?}"), "Attributes { region: <redacted>, segment: <redacted> }");
/// ```
// The box is the point: an empty map is 24 bytes inline, the box 8.
#[allow(clippy::box_collection)]
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Attributes(
    /// Boxed, and `None` exactly when there are none (so that each set of
    /// attributes has one representation): every waiting interaction
    /// carries a set, most of them empty, and an empty map took 24 of an
    /// interaction's 168 bytes.
    Option<Box<BTreeMap<String, String>>>,
);

/// Serialised as the map (it was a transparent one).
impl Serialize for Attributes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::deserialize(d)?;
        Ok(Attributes((!map.is_empty()).then(|| Box::new(map))))
    }
}

/// What an interaction without attributes has.
static NO_ATTRIBUTES: BTreeMap<String, String> = BTreeMap::new();

impl Attributes {
    /// No attributes.
    pub fn new() -> Self {
        Attributes(None)
    }

    fn map(&self) -> &BTreeMap<String, String> {
        self.0.as_deref().unwrap_or(&NO_ATTRIBUTES)
    }

    /// Adds or replaces one attribute.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Adds or replaces one attribute.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.get_or_insert_with(Box::default).insert(key.into(), value.into());
    }

    /// One attribute's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map().get(key).map(String::as_str)
    }

    /// All attributes, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map().iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Bytes of keys and values, for enforcing the configured limit.
    pub(crate) fn byte_len(&self) -> usize {
        self.map().iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Attributes { ")?;
        for (i, key) in self.map().keys().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{key}: <redacted>")?;
        }
        f.write_str(" }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One representation per set: none is the empty set however it came
    /// to be, so equality, hashing and both serialised forms agree with the
    /// plain map this was.
    #[test]
    fn empty_is_one_value_and_forms_are_the_maps() {
        let read: Attributes = serde_json::from_str("{}").expect("an empty map reads");
        assert_eq!(read, Attributes::new());
        assert!(read.0.is_none(), "an empty map read holds no box");
        let some = Attributes::new().with("region", "north").with("lang", "de");
        let map: BTreeMap<String, String> =
            [("region", "north"), ("lang", "de")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for (attrs, plain) in [(Attributes::new(), BTreeMap::new()), (some, map)] {
            let json = serde_json::to_string(&attrs).expect("writes");
            assert_eq!(json, serde_json::to_string(&plain).expect("writes"));
            assert_eq!(serde_json::from_str::<Attributes>(&json).expect("reads"), attrs);
        }
    }
}
