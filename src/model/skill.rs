//! Skills, proficiency levels and requirements.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::SkillId;

/// How well an agent masters a skill, from 1 (novice) to 5 (expert).
///
/// # Example
/// ```
/// use switchboard::Proficiency;
///
/// assert_eq!(Proficiency::new(4).map(Proficiency::level), Some(4));
/// assert!(Proficiency::new(0).is_none());
/// assert!(Proficiency::new(6).is_none());
/// // In ordinary code, the named levels need no unwrap; from input, `TryFrom` says what was wrong.
/// assert_eq!(Proficiency::FOUR.level(), 4);
/// assert_eq!(Proficiency::try_from(9).unwrap_err().to_string(), "proficiency must be 1 to 5, got 9");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Proficiency(u8);

impl Proficiency {
    /// The lowest level.
    pub const MIN: Proficiency = Proficiency(1);
    /// The highest level.
    pub const MAX: Proficiency = Proficiency(5);
    /// Level 1, a novice.
    pub const ONE: Proficiency = Proficiency(1);
    /// Level 2.
    pub const TWO: Proficiency = Proficiency(2);
    /// Level 3.
    pub const THREE: Proficiency = Proficiency(3);
    /// Level 4.
    pub const FOUR: Proficiency = Proficiency(4);
    /// Level 5, an expert.
    pub const FIVE: Proficiency = Proficiency(5);

    /// A level from 1 to 5, or `None` outside that range.
    pub const fn new(level: u8) -> Option<Proficiency> {
        if level >= 1 && level <= 5 { Some(Proficiency(level)) } else { None }
    }

    /// The level, from 1 to 5.
    pub const fn level(self) -> u8 {
        self.0
    }
}

/// A proficiency level outside 1 to 5 ([`Proficiency`]'s `TryFrom<u8>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("proficiency must be 1 to 5, got {0}")]
pub struct InvalidProficiency(pub u8);

impl TryFrom<u8> for Proficiency {
    type Error = InvalidProficiency;
    fn try_from(level: u8) -> Result<Self, Self::Error> {
        Proficiency::new(level).ok_or(InvalidProficiency(level))
    }
}

impl From<Proficiency> for u8 {
    fn from(p: Proficiency) -> u8 {
        p.0
    }
}

/// One requirement: a skill at a minimum level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SkillRequirement {
    /// The skill required.
    pub skill: SkillId,
    /// The lowest acceptable level.
    pub min_level: Proficiency,
}

/// A set of requirements, at most one per skill, kept sorted by skill.
///
/// Two interactions with equal requirements share a *signature*, which the
/// router uses to index waiting work and qualified agents.
///
/// # Example
/// ```
/// use switchboard::{Proficiency, Requirements, SkillId, SkillSet};
///
/// let p = |l| Proficiency::new(l).unwrap();
/// let needs = Requirements::from_pairs([(SkillId(1), p(3))]);
/// let agent = SkillSet::from_pairs([(SkillId(1), p(4)), (SkillId(2), p(1))]);
/// assert!(agent.satisfies(&needs));
/// assert!(!SkillSet::from_pairs([(SkillId(1), p(2))]).satisfies(&needs));
/// ```
///
/// Deserialising sorts the list and refuses a skill listed twice, so a set
/// read from a file or snapshot is the same set the constructors build.
///
/// A set is immutable once built and cheap to clone: clones share one
/// allocation, so the many interactions waiting with one requirement set
/// (and the routing index's entry for it) hold it once. A set is one
/// pointer wide (eight bytes; the list's length is in the shared block):
/// every interaction holds two and the routing index one per set.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "Vec<SkillRequirement>")]
pub struct Requirements(
    /// `None` for the empty set, so that no requirements allocate nothing
    /// and each set has one representation (derived equality and order).
    /// A boxed list in the shared block rather than the list itself: an
    /// `Arc<[_]>` is a pointer and a length, sixteen bytes, and this is
    /// eight, for one more small allocation per distinct set.
    Option<Arc<Box<[SkillRequirement]>>>,
);

impl Serialize for Requirements {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

impl TryFrom<Vec<SkillRequirement>> for Requirements {
    type Error = String;
    fn try_from(mut list: Vec<SkillRequirement>) -> Result<Self, String> {
        list.sort_unstable();
        if let Some(pair) = list.windows(2).find(|pair| pair[0].skill == pair[1].skill) {
            return Err(format!("skill {} is required twice", pair[0].skill));
        }
        Ok(Requirements::from_sorted(list))
    }
}

impl Requirements {
    /// No requirements: any agent of the queue qualifies.
    pub const fn none() -> Self {
        Requirements(None)
    }

    /// A set from a list sorted by skill with each skill once.
    fn from_sorted(list: Vec<SkillRequirement>) -> Self {
        Requirements((!list.is_empty()).then(|| Arc::new(list.into_boxed_slice())))
    }

    fn as_slice(&self) -> &[SkillRequirement] {
        self.0.as_deref().map_or(&[], |list| list)
    }

    /// Builds a set from (skill, minimum level) pairs; when a skill appears
    /// twice, the higher level wins.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (SkillId, Proficiency)>) -> Self {
        let mut list: Vec<SkillRequirement> = Vec::new();
        for (skill, min_level) in pairs {
            insert_sorted(&mut list, SkillRequirement { skill, min_level });
        }
        Requirements::from_sorted(list)
    }

    /// Adds a requirement; if the skill is already required, keeps the higher level.
    pub fn insert(&mut self, req: SkillRequirement) {
        let mut list = self.as_slice().to_vec();
        insert_sorted(&mut list, req);
        *self = Requirements::from_sorted(list);
    }

    /// The union of two sets (the stricter level per skill). When one side
    /// is empty the result shares the other's allocation.
    pub fn union(&self, other: &Requirements) -> Requirements {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        let mut list = self.as_slice().to_vec();
        for r in other.iter() {
            insert_sorted(&mut list, *r);
        }
        Requirements::from_sorted(list)
    }

    /// The requirements, sorted by skill.
    pub fn iter(&self) -> impl Iterator<Item = &SkillRequirement> {
        self.as_slice().iter()
    }

    /// Number of skills required.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when nothing is required.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

/// Adds `req` to a list sorted by skill; a skill already there keeps the higher level.
fn insert_sorted(list: &mut Vec<SkillRequirement>, req: SkillRequirement) {
    match list.binary_search_by_key(&req.skill, |r| r.skill) {
        Ok(i) => list[i].min_level = list[i].min_level.max(req.min_level),
        Err(i) => list.insert(i, req),
    }
}

/// The skills an agent holds, each at a level.
///
/// Serialised as a map from skill to level; deserialising refuses a skill
/// listed twice (which a plain map would silently collapse to one).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SkillSet {
    /// The skills held, sorted, each once. Two boxed slices rather than an
    /// ordered map: every agent holds a set, and a B-tree leaf for eight
    /// skills took 112 bytes where these take 72.
    skills: Box<[SkillId]>,
    /// The level in each skill, in the same order.
    levels: Box<[Proficiency]>,
}

/// As the map it is serialised as (and once was).
impl std::fmt::Debug for SkillSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Levels<'a>(&'a SkillSet);
        impl std::fmt::Debug for Levels<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_map().entries(self.0.iter()).finish()
            }
        }
        f.debug_tuple("SkillSet").field(&Levels(self)).finish()
    }
}

impl Serialize for SkillSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for SkillSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Levels;
        impl<'de> serde::de::Visitor<'de> for Levels {
            type Value = SkillSet;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map from skill id to proficiency level")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut entries: A) -> Result<SkillSet, A::Error> {
                let mut map = BTreeMap::new();
                while let Some((skill, level)) = entries.next_entry::<SkillId, Proficiency>()? {
                    if map.insert(skill, level).is_some() {
                        return Err(serde::de::Error::custom(format_args!("skill {skill} is held twice")));
                    }
                }
                Ok(SkillSet::from_sorted(map))
            }
        }
        d.deserialize_map(Levels)
    }
}

impl SkillSet {
    /// Builds a skill set; a skill listed twice keeps the last level.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (SkillId, Proficiency)>) -> Self {
        SkillSet::from_sorted(pairs.into_iter().collect())
    }

    fn from_sorted(map: BTreeMap<SkillId, Proficiency>) -> Self {
        SkillSet { skills: map.keys().copied().collect(), levels: map.into_values().collect() }
    }

    /// The agent's level in `skill`, if they hold it.
    pub fn level(&self, skill: SkillId) -> Option<Proficiency> {
        self.skills.binary_search(&skill).ok().map(|i| self.levels[i])
    }

    /// True when every requirement is met at or above its minimum level.
    pub fn satisfies(&self, reqs: &Requirements) -> bool {
        reqs.iter().all(|r| self.level(r.skill).is_some_and(|l| l >= r.min_level))
    }

    /// Sum of the agent's levels over the required skills (the "most
    /// proficient" score); zero for a skill the agent lacks.
    pub fn score(&self, reqs: &Requirements) -> u32 {
        reqs.iter().map(|r| self.level(r.skill).map_or(0, |l| u32::from(l.level()))).sum()
    }

    /// The skills and levels, sorted by skill.
    pub fn iter(&self) -> impl Iterator<Item = (SkillId, Proficiency)> + '_ {
        self.skills.iter().copied().zip(self.levels.iter().copied())
    }

    /// Number of skills held.
    pub fn len(&self) -> usize {
        self.skills.len()
    }

    /// True when the agent holds no skill.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }
}

impl FromIterator<(SkillId, Proficiency)> for Requirements {
    /// As [`Requirements::from_pairs`]: when a skill appears twice, the higher level wins.
    fn from_iter<I: IntoIterator<Item = (SkillId, Proficiency)>>(pairs: I) -> Self {
        Requirements::from_pairs(pairs)
    }
}

impl FromIterator<(SkillId, Proficiency)> for SkillSet {
    /// As [`SkillSet::from_pairs`].
    fn from_iter<I: IntoIterator<Item = (SkillId, Proficiency)>>(pairs: I) -> Self {
        SkillSet::from_pairs(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_levels_collecting_and_typed_level_errors() {
        let levels = [Proficiency::ONE, Proficiency::TWO, Proficiency::THREE, Proficiency::FOUR, Proficiency::FIVE];
        assert_eq!(levels.map(Proficiency::level), [1, 2, 3, 4, 5]);
        for bad in [0u8, 6, u8::MAX] {
            assert_eq!(Proficiency::try_from(bad), Err(InvalidProficiency(bad)));
        }
        let needs: Requirements =
            [(SkillId(2), Proficiency::ONE), (SkillId(1), Proficiency::THREE)].into_iter().collect();
        assert_eq!(needs, Requirements::from_pairs([(SkillId(1), Proficiency::THREE), (SkillId(2), Proficiency::ONE)]));
        let twice: Requirements =
            [(SkillId(1), Proficiency::TWO), (SkillId(1), Proficiency::FOUR)].into_iter().collect();
        assert_eq!(twice, Requirements::from_pairs([(SkillId(1), Proficiency::FOUR)]), "the higher level wins");
        let held: SkillSet = [(SkillId(1), Proficiency::FIVE)].into_iter().collect();
        assert!(held.satisfies(&twice));
    }

    #[test]
    fn deserialising_normalises_or_refuses() {
        let unsorted: Requirements =
            serde_json::from_str(r#"[{"skill":2,"min_level":1},{"skill":1,"min_level":3}]"#).unwrap();
        let p = |l| Proficiency::new(l).unwrap();
        assert_eq!(unsorted, Requirements::from_pairs([(SkillId(1), p(3)), (SkillId(2), p(1))]));
        let twice = serde_json::from_str::<Requirements>(r#"[{"skill":1,"min_level":1},{"skill":1,"min_level":3}]"#);
        assert!(twice.unwrap_err().to_string().contains("required twice"));
        let set: SkillSet = serde_json::from_str(r#"{"1":4,"2":1}"#).unwrap();
        assert_eq!(set, SkillSet::from_pairs([(SkillId(1), p(4)), (SkillId(2), p(1))]));
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"{"1":4,"2":1}"#, "the map form is kept");
        let held_twice = serde_json::from_str::<SkillSet>(r#"{"1":4,"1":1}"#);
        assert!(held_twice.unwrap_err().to_string().contains("held twice"));
        assert!(serde_json::from_str::<SkillSet>(r#"{"1":9}"#).is_err(), "levels stay 1 to 5");
    }

    /// Sorted slices now, the ordered map they replaced in every outward form.
    #[test]
    fn skill_sets_look_like_the_map_they_were() {
        let p = |l| Proficiency::new(l).unwrap();
        let pairs = [(SkillId(9), p(2)), (SkillId(1), p(4)), (SkillId(5), p(1)), (SkillId(1), p(5))];
        let set = SkillSet::from_pairs(pairs);
        let map: BTreeMap<SkillId, Proficiency> = pairs.into_iter().collect();
        assert_eq!(set.iter().collect::<Vec<_>>(), map.iter().map(|(s, l)| (*s, *l)).collect::<Vec<_>>());
        assert_eq!(format!("{set:?}"), format!("SkillSet({map:?})"));
        assert_eq!(serde_json::to_string(&set).unwrap(), serde_json::to_string(&map).unwrap());
        assert_eq!(
            (set.level(SkillId(1)), set.level(SkillId(5)), set.level(SkillId(2))),
            (Some(p(5)), Some(p(1)), None)
        );
        assert_eq!((set.len(), SkillSet::default().is_empty()), (3, true));
    }

    /// Clones and one-sided unions share one allocation; every way of
    /// building a set gives one representation, so equality, order and
    /// the serialised form are those of the plain list they replaced.
    #[test]
    fn sets_share_their_list_and_keep_one_form() {
        let p = |l| Proficiency::new(l).unwrap();
        assert_eq!(std::mem::size_of::<Requirements>(), 8, "a set is one pointer wide");
        let set = Requirements::from_pairs([(SkillId(2), p(1)), (SkillId(1), p(3)), (SkillId(2), p(4))]);
        let shared = |a: &Requirements, b: &Requirements| match (&a.0, &b.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        assert!(shared(&set, &set.clone()), "a clone shares the list");
        assert!(shared(&set, &set.union(&Requirements::none())), "a union with nothing shares it");
        assert!(shared(&set, &Requirements::none().union(&set)), "either way round");

        let mut inserted = Requirements::none();
        inserted.insert(SkillRequirement { skill: SkillId(1), min_level: p(3) });
        inserted.insert(SkillRequirement { skill: SkillId(2), min_level: p(4) });
        inserted.insert(SkillRequirement { skill: SkillId(2), min_level: p(2) });
        let read: Requirements =
            serde_json::from_str(r#"[{"skill":2,"min_level":4},{"skill":1,"min_level":3}]"#).unwrap();
        for (how, built) in [("from pairs", &set), ("inserted", &inserted), ("read", &read)] {
            assert_eq!(built, &set, "{how}");
            assert_eq!(
                serde_json::to_string(built).unwrap(),
                r#"[{"skill":1,"min_level":3},{"skill":2,"min_level":4}]"#,
                "{how}: the plain sorted list"
            );
        }
        let empty: Requirements = serde_json::from_str("[]").unwrap();
        assert_eq!((empty.0.is_none(), empty.is_empty(), empty.len()), (true, true, 0), "nothing allocates nothing");
        assert_eq!(empty, Requirements::none());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "[]");
        assert!(Requirements::none() < set, "the empty set orders first, as the empty list did");
    }
}
