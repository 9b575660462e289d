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
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attributes(BTreeMap<String, String>);

impl Attributes {
    /// No attributes.
    pub fn new() -> Self {
        Attributes(BTreeMap::new())
    }

    /// Adds or replaces one attribute.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Adds or replaces one attribute.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    /// One attribute's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// All attributes, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Bytes of keys and values, for enforcing the configured limit.
    pub(crate) fn byte_len(&self) -> usize {
        self.0.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Attributes { ")?;
        for (i, key) in self.0.keys().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{key}: <redacted>")?;
        }
        f.write_str(" }")
    }
}
