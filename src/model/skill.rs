//! Skills, proficiency levels and requirements.

use std::collections::BTreeMap;

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
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Proficiency(u8);

impl Proficiency {
    /// The lowest level.
    pub const MIN: Proficiency = Proficiency(1);
    /// The highest level.
    pub const MAX: Proficiency = Proficiency(5);

    /// A level from 1 to 5, or `None` outside that range.
    pub const fn new(level: u8) -> Option<Proficiency> {
        if level >= 1 && level <= 5 { Some(Proficiency(level)) } else { None }
    }

    /// The level, from 1 to 5.
    pub const fn level(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Proficiency {
    type Error = String;
    fn try_from(level: u8) -> Result<Self, Self::Error> {
        Proficiency::new(level).ok_or_else(|| format!("proficiency must be 1 to 5, got {level}"))
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
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Requirements(Vec<SkillRequirement>);

impl Requirements {
    /// No requirements: any agent of the queue qualifies.
    pub const fn none() -> Self {
        Requirements(Vec::new())
    }

    /// Builds a set from (skill, minimum level) pairs; when a skill appears
    /// twice, the higher level wins.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (SkillId, Proficiency)>) -> Self {
        let mut set = Requirements::none();
        for (skill, min_level) in pairs {
            set.insert(SkillRequirement { skill, min_level });
        }
        set
    }

    /// Adds a requirement; if the skill is already required, keeps the higher level.
    pub fn insert(&mut self, req: SkillRequirement) {
        match self.0.binary_search_by_key(&req.skill, |r| r.skill) {
            Ok(i) => self.0[i].min_level = self.0[i].min_level.max(req.min_level),
            Err(i) => self.0.insert(i, req),
        }
    }

    /// The union of two sets (the stricter level per skill).
    pub fn union(&self, other: &Requirements) -> Requirements {
        let mut out = self.clone();
        for r in &other.0 {
            out.insert(*r);
        }
        out
    }

    /// The requirements, sorted by skill.
    pub fn iter(&self) -> impl Iterator<Item = &SkillRequirement> {
        self.0.iter()
    }

    /// Number of skills required.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing is required.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The skills an agent holds, each at a level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillSet(BTreeMap<SkillId, Proficiency>);

impl SkillSet {
    /// Builds a skill set; a skill listed twice keeps the last level.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (SkillId, Proficiency)>) -> Self {
        SkillSet(pairs.into_iter().collect())
    }

    /// The agent's level in `skill`, if they hold it.
    pub fn level(&self, skill: SkillId) -> Option<Proficiency> {
        self.0.get(&skill).copied()
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
        self.0.iter().map(|(s, l)| (*s, *l))
    }

    /// Number of skills held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the agent holds no skill.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
