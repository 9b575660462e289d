//! Seeded random numbers for the simulator.
//!
//! The generator is PCG (`rand_pcg::Pcg64`, a named algorithm whose output
//! the crate keeps stable), with one *stream* per purpose so that changing
//! how one thing is drawn does not shift every other draw. Sampling from a
//! distribution is written out here, from uniform draws by inverse transform
//! or Box–Muller, rather than taken from a distributions crate: replaying a
//! simulation must give the same numbers after a dependency upgrade. The
//! logarithm, exponential and cosine come from `libm`, not from `f64`'s
//! methods: those call the platform's C library, whose last bits differ
//! between systems, so a seed would give another day on another machine.
//! (`sqrt` and the arithmetic are exactly rounded by IEEE 754 everywhere.)

use std::fmt;

use rand_core::Rng;
use rand_pcg::Pcg64;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::scenario::MAX_DURATION_SECS;

/// A seeded random stream.
#[derive(Clone, Debug)]
pub struct SimRng(Pcg64);

impl SimRng {
    /// Stream `stream` of the generator seeded with `seed`. Different streams
    /// of one seed are independent; the same (seed, stream) always gives the same numbers.
    pub fn new(seed: u64, stream: u64) -> Self {
        // Spread the 64-bit seed over the 128-bit state with a fixed odd multiplier.
        let state = u128::from(seed).wrapping_mul(0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645) ^ 0x5851_F42D_4C95_7F2D;
        SimRng(Pcg64::new(state, u128::from(stream)))
    }

    /// A uniform draw in [0, 1), with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform draw in (0, 1], safe to take the logarithm of.
    fn uniform_open0(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    /// A uniform integer in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: unbiased enough for simulation (bias < n / 2^64).
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// An exponential draw with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.uniform_open0())
    }

    /// A standard normal draw (Box–Muller; one of the pair is used, so each
    /// call consumes exactly two uniforms and streams stay aligned).
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform();
        (-2.0 * libm::log(u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2)
    }

    /// A log-normal draw with the given mean and standard deviation of the
    /// variable itself (not of its logarithm).
    pub fn log_normal(&mut self, mean: f64, sd: f64) -> f64 {
        let sigma2 = libm::log(1.0 + (sd * sd) / (mean * mean));
        let mu = libm::log(mean) - sigma2 / 2.0;
        libm::exp(mu + sigma2.sqrt() * self.standard_normal())
    }
}

/// A distribution of durations, in seconds.
///
/// # Example
/// ```
/// use switchboard::sim::{Distribution, SimRng};
///
/// let mut rng = SimRng::new(42, 0);
/// let aht = Distribution::Exponential { mean_secs: 300.0 };
/// let n = 100_000;
/// let mean = (0..n).map(|_| aht.sample(&mut rng)).sum::<f64>() / n as f64;
/// assert!((mean - 300.0).abs() < 5.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// Always the same value.
    Fixed {
        /// The value.
        secs: f64,
    },
    /// Exponential (memoryless), as queueing theory assumes.
    Exponential {
        /// The mean.
        mean_secs: f64,
    },
    /// Log-normal, the usual shape of real handle times.
    LogNormal {
        /// The mean.
        mean_secs: f64,
        /// The standard deviation.
        sd_secs: f64,
    },
    /// One of the given samples, each equally likely (e.g. last month's handle times).
    Samples {
        /// The samples.
        secs: Vec<f64>,
    },
}

impl Distribution {
    /// One draw, in seconds (never negative).
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        let x = match self {
            Distribution::Fixed { secs } => *secs,
            Distribution::Exponential { mean_secs } => rng.exponential(*mean_secs),
            Distribution::LogNormal { mean_secs, sd_secs } => rng.log_normal(*mean_secs, *sd_secs),
            Distribution::Samples { secs } => secs.get(rng.below(secs.len() as u64) as usize).copied().unwrap_or(0.0),
        };
        x.max(0.0)
    }

    /// The mean, in seconds.
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Fixed { secs } => *secs,
            Distribution::Exponential { mean_secs } | Distribution::LogNormal { mean_secs, .. } => *mean_secs,
            Distribution::Samples { secs } if !secs.is_empty() => secs.iter().sum::<f64>() / secs.len() as f64,
            Distribution::Samples { .. } => 0.0,
        }
    }

    /// Why the distribution is unusable, if it is: the parameter's field
    /// name and the problem. Every value is finite, at least 0 and at most a
    /// year; means of exponential and log-normal distributions are at least a
    /// millisecond, since the simulator counts in milliseconds and a smaller
    /// mean would make nearly every draw zero.
    pub(crate) fn problem(&self) -> Option<(String, String)> {
        let max = MAX_DURATION_SECS as f64;
        let value = |x: f64| {
            (!x.is_finite() || !(0.0..=max).contains(&x))
                .then(|| format!("{} must be 0 to {max} s (a year)", number(x)))
        };
        let mean = |x: f64| {
            (!x.is_finite() || !(MIN_MEAN_SECS..=max).contains(&x))
                .then(|| format!("{} must be {MIN_MEAN_SECS} to {max} s (a millisecond to a year)", number(x)))
        };
        let named = |field: &str, problem: Option<String>| problem.map(|p| (field.to_string(), p));
        match self {
            Distribution::Fixed { secs } => named("secs", value(*secs)),
            Distribution::Exponential { mean_secs } => named("mean_secs", mean(*mean_secs)),
            Distribution::LogNormal { mean_secs, sd_secs } => {
                named("mean_secs", mean(*mean_secs)).or_else(|| named("sd_secs", value(*sd_secs)))
            }
            Distribution::Samples { secs } if secs.is_empty() => {
                Some(("secs".to_string(), "needs at least one sample".to_string()))
            }
            Distribution::Samples { secs } => {
                secs.iter().enumerate().find_map(|(i, x)| named(&format!("secs[{i}]"), value(*x)))
            }
        }
    }
}

/// A number for an error message: plain when it reads well, else in
/// scientific notation (`1e300`, not three hundred digits).
pub(crate) fn number(x: f64) -> String {
    if x == 0.0 || (1e-4..1e15).contains(&x.abs()) || !x.is_finite() { x.to_string() } else { format!("{x:e}") }
}

/// The smallest mean of an exponential or log-normal distribution: the
/// simulator's (and the engine's) resolution, a millisecond.
const MIN_MEAN_SECS: f64 = 0.001;

/// Deserialised by hand rather than derived: a derived internally tagged enum
/// buffers the object before choosing the variant, so an error in a value
/// (`"mean_secs": "x"`) would name only the distribution, not the field.
/// Reading the fields one by one keeps the path
/// (`arrivals[0].handle.mean_secs`) for the error.
impl<'de> Deserialize<'de> for Distribution {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("Distribution", FIELDS, DistributionVisitor)
    }
}

const FIELDS: &[&str] = &["kind", "secs", "mean_secs", "sd_secs"];

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Fixed,
    Exponential,
    LogNormal,
    Samples,
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Fixed => "fixed",
            Kind::Exponential => "exponential",
            Kind::LogNormal => "log_normal",
            Kind::Samples => "samples",
        }
    }

    /// The fields a distribution of this kind has.
    fn fields(&self) -> &'static [&'static str] {
        match self {
            Kind::Fixed | Kind::Samples => &["kind", "secs"],
            Kind::Exponential => &["kind", "mean_secs"],
            Kind::LogNormal => &["kind", "mean_secs", "sd_secs"],
        }
    }

    fn takes(&self, field: &Field) -> bool {
        self.fields().contains(&field.name())
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    Kind,
    Secs,
    MeanSecs,
    SdSecs,
}

impl Field {
    fn name(&self) -> &'static str {
        match self {
            Field::Kind => "kind",
            Field::Secs => "secs",
            Field::MeanSecs => "mean_secs",
            Field::SdSecs => "sd_secs",
        }
    }
}

/// The value of a field that a distribution of this kind does not have: refused.
struct Stray {
    field: &'static str,
    kind: &'static str,
    fields: &'static [&'static str],
}

impl<'de> de::DeserializeSeed<'de> for Stray {
    type Value = Distribution;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Distribution, D::Error> {
        Err(de::Error::custom(format_args!(
            "`{}` is not a field of a distribution of kind `{}`; its fields are {}",
            self.field,
            self.kind,
            self.fields.join(", ")
        )))
    }
}

/// `secs` is one number for `fixed` and a list for `samples`; which one is
/// known from the JSON itself, so `kind` may come before or after it.
enum Secs {
    One(f64),
    Many(Vec<f64>),
}

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Secs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds, or a list of them")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Secs, E> {
                Ok(Secs::One(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Secs, E> {
                Ok(Secs::One(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Secs, E> {
                Ok(Secs::One(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Secs, A::Error> {
                let mut all = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4_096));
                while let Some(x) = seq.next_element::<f64>()? {
                    all.push(x);
                }
                Ok(Secs::Many(all))
            }
        }
        deserializer.deserialize_any(V)
    }
}

struct DistributionVisitor;

impl<'de> Visitor<'de> for DistributionVisitor {
    type Value = Distribution;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a distribution: {\"kind\": \"fixed\" | \"exponential\" | \"log_normal\" | \"samples\", …}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Distribution, A::Error> {
        let (mut kind, mut secs, mut mean, mut sd): (Option<Kind>, Option<Secs>, Option<f64>, Option<f64>) =
            (None, None, None, None);
        while let Some(field) = map.next_key::<Field>()? {
            // Refused while reading its value, so that the error's path names the field.
            if let Some(k) = kind.as_ref().filter(|k| !k.takes(&field)) {
                return map.next_value_seed(Stray { field: field.name(), kind: k.name(), fields: k.fields() });
            }
            match field {
                Field::Kind if kind.is_some() => return Err(de::Error::duplicate_field("kind")),
                Field::Kind => kind = Some(map.next_value::<Kind>()?),
                Field::Secs if secs.is_some() => return Err(de::Error::duplicate_field("secs")),
                Field::Secs => secs = Some(map.next_value::<Secs>()?),
                Field::MeanSecs if mean.is_some() => return Err(de::Error::duplicate_field("mean_secs")),
                Field::MeanSecs => mean = Some(map.next_value::<f64>()?),
                Field::SdSecs if sd.is_some() => return Err(de::Error::duplicate_field("sd_secs")),
                Field::SdSecs => sd = Some(map.next_value::<f64>()?),
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        // A field that belongs to another kind is as wrong as a misspelt one.
        let stray =
            |name: &'static str, expected: &'static [&'static str]| Err(de::Error::unknown_field(name, expected));
        match kind {
            Kind::Fixed => match (secs, mean, sd) {
                (_, Some(_), _) => stray("mean_secs", &["kind", "secs"]),
                (_, _, Some(_)) => stray("sd_secs", &["kind", "secs"]),
                (Some(Secs::One(secs)), None, None) => Ok(Distribution::Fixed { secs }),
                (Some(Secs::Many(_)), ..) => Err(de::Error::custom("`secs` of a fixed distribution is one number")),
                (None, ..) => Err(de::Error::missing_field("secs")),
            },
            Kind::Exponential => match (secs, mean, sd) {
                (Some(_), ..) => stray("secs", &["kind", "mean_secs"]),
                (_, _, Some(_)) => stray("sd_secs", &["kind", "mean_secs"]),
                (None, Some(mean_secs), None) => Ok(Distribution::Exponential { mean_secs }),
                (None, None, None) => Err(de::Error::missing_field("mean_secs")),
            },
            Kind::LogNormal => match (secs, mean, sd) {
                (Some(_), ..) => stray("secs", &["kind", "mean_secs", "sd_secs"]),
                (None, Some(mean_secs), Some(sd_secs)) => Ok(Distribution::LogNormal { mean_secs, sd_secs }),
                (None, None, _) => Err(de::Error::missing_field("mean_secs")),
                (None, _, None) => Err(de::Error::missing_field("sd_secs")),
            },
            Kind::Samples => match (secs, mean, sd) {
                (_, Some(_), _) => stray("mean_secs", &["kind", "secs"]),
                (_, _, Some(_)) => stray("sd_secs", &["kind", "secs"]),
                (Some(Secs::Many(secs)), None, None) => Ok(Distribution::Samples { secs }),
                (Some(Secs::One(_)), ..) => Err(de::Error::custom("`secs` of a samples distribution is a list")),
                (None, ..) => Err(de::Error::missing_field("secs")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(d: &Distribution, n: usize) -> (f64, f64) {
        let mut rng = SimRng::new(7, 3);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, var.sqrt())
    }

    #[test]
    fn samples_have_the_documented_moments() {
        // (distribution, mean, sd); 200k draws put the sample mean within ~1% at 4 sigma.
        let cases = [
            (Distribution::Fixed { secs: 12.0 }, 12.0, 0.0),
            (Distribution::Exponential { mean_secs: 180.0 }, 180.0, 180.0),
            (Distribution::LogNormal { mean_secs: 300.0, sd_secs: 150.0 }, 300.0, 150.0),
            (Distribution::Samples { secs: vec![10.0, 20.0, 30.0] }, 20.0, (200.0f64 / 3.0).sqrt()),
        ];
        for (d, mean, sd) in cases {
            let (m, s) = moments(&d, 200_000);
            assert!((m - mean).abs() <= 0.01 * mean + 1e-9, "{d:?}: mean {m}");
            assert!((s - sd).abs() <= 0.03 * sd + 1e-9, "{d:?}: sd {s}");
            assert!((d.mean() - mean).abs() < 1e-9);
        }
    }

    #[test]
    fn streams_are_reproducible_and_independent() {
        let draw = |seed, stream| {
            let mut r = SimRng::new(seed, stream);
            (0..4).map(|_| r.uniform()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1, 1), draw(1, 1));
        assert_ne!(draw(1, 1), draw(1, 2));
        assert_ne!(draw(1, 1), draw(2, 1));
    }

    /// The first five draws of each sampler from seed 2026, stream 0, as
    /// exact literals (Rust prints the shortest decimal that reads back to
    /// the same bits). If one changes, every recorded simulation changes:
    /// the generator (uniform, below), libm (exponential, normal, log-normal)
    /// or the sampling code moved. Treat it as a breaking change.
    #[test]
    fn known_first_draws_pin_the_generator_and_the_samplers() {
        type Draw = fn(&mut SimRng) -> f64;
        let cases: [(&str, Draw, [f64; 5]); 6] = [
            (
                "uniform",
                |r| r.uniform(),
                [0.04600575370778848, 0.37051060898272514, 0.12810420106531695, 0.6054016497562367, 0.688508810655035],
            ),
            ("below(1000)", |r| r.below(1_000) as f64, [46.0, 370.0, 128.0, 605.0, 688.0]),
            (
                "exponential(180)",
                |r| r.exponential(180.0),
                [8.477574964609936, 83.3123301606521, 24.675364592637635, 167.37963592215294, 209.94916063707004],
            ),
            (
                "standard_normal",
                |r| r.standard_normal(),
                [
                    -0.21081275590207188,
                    -0.4129243263514748,
                    -0.09357129596905615,
                    0.2675450454545821,
                    0.3606114663960524,
                ],
            ),
            (
                "log_normal(300, 150)",
                |r| r.log_normal(300.0, 150.0),
                [242.89440852597187, 220.7770139483987, 256.72601383246484, 304.4764737002371, 318.16070147621525],
            ),
            (
                "samples [10, 20, 30]",
                |r| Distribution::Samples { secs: vec![10.0, 20.0, 30.0] }.sample(r),
                [10.0, 20.0, 10.0, 20.0, 30.0],
            ),
        ];
        for (name, draw, expected) in cases {
            let mut r = SimRng::new(2026, 0);
            for (k, want) in expected.iter().enumerate() {
                let got = draw(&mut r);
                assert_eq!(got.to_bits(), want.to_bits(), "{name}, draw {k}: {got:?}, pinned {want:?}");
            }
        }
    }
}
