//! A day in the life of a contact center, through the real engine.
//!
//! `cargo run --release --example simulate` runs the built-in blended day
//! (voice in two skills and two languages, multitasking chat, an e-mail
//! backlog, two peaks and lunch breaks) and prints what a manager wants to
//! see. `--help` lists the options: a scenario file, the seed, replications,
//! JSON/CSV/SVG outputs, what-if comparisons, and `--raise-limits` for a
//! scenario bigger than the simulator's default limits allow.

use std::path::PathBuf;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use switchboard::sim::{
    BUILTIN_DAY, CallbackOfferSpec, IntervalRow, Replications, RunOptions, Scenario, ScenarioError, SimLimits,
    SimReport, SummaryRow, WhatIf,
};
use switchboard::{AgentSelection, Blending, Engine, Event};

#[derive(Parser, Debug)]
#[command(about = "Simulate a contact-center period through the switchboard engine")]
struct Args {
    /// Scenario file (JSON); the built-in day when absent.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Print the built-in scenario as JSON (a starting point for your own) and exit.
    #[arg(long)]
    print_scenario: bool,
    /// Seed of the first replication.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replications (seeds seed, seed+1, …), summarised with 95% confidence intervals.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    replications: u64,
    /// Multiply every simulation limit (`SimLimits`: period length, expected
    /// arrivals, backlog, agents, report size, steps, …) by FACTOR, for a
    /// scenario bigger than the defaults allow; the run may then take long.
    #[arg(long, value_name = "FACTOR", value_parser = clap::value_parser!(u64).range(1..))]
    raise_limits: Option<u64>,
    /// Write the (first) run's report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the (first) run's interval table as CSV here.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Draw service level (with each queue's target) and waiting interactions
    /// per interval as SVG here; deferrable backlogs get their own scale.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// What-if: every queue's strategy (longest-idle, most-proficient, least-occupied, round-robin,
    /// fewest-contacts, least-talk-time, linear, most-available, random, weighted-random).
    #[arg(long)]
    what_if_strategy: Option<String>,
    /// What-if: chats per chat agent.
    #[arg(long)]
    what_if_chat_capacity: Option<u32>,
    /// What-if: offer timeout in seconds.
    #[arg(long)]
    what_if_offer_timeout: Option<u64>,
    /// What-if: agents added to every group (negative removes).
    #[arg(long, allow_hyphen_values = true)]
    what_if_extra_agents: Option<i32>,
    /// What-if: blending (real-time-first, service-level)
    #[arg(long)]
    what_if_blending: Option<String>,
    /// What-if: offer callers a queued callback after SECS of waiting; TAKE_UP (0 to 1) of them take it.
    #[arg(long, value_name = "SECS:TAKE_UP")]
    what_if_callback: Option<String>,
}

fn callback(text: &str) -> Result<CallbackOfferSpec, String> {
    let (secs, take_up) = text.split_once(':').ok_or("--what-if-callback wants SECS:TAKE_UP, e.g. 60:0.5")?;
    let after_secs = secs.parse().map_err(|e| format!("--what-if-callback seconds {secs:?}: {e}"))?;
    let take_up = take_up.parse().map_err(|e| format!("--what-if-callback take-up {take_up:?}: {e}"))?;
    Ok(CallbackOfferSpec { after_secs, take_up })
}

fn strategy(name: &str) -> Result<AgentSelection, String> {
    Ok(match name {
        "longest-idle" => AgentSelection::LongestIdle,
        "most-proficient" => AgentSelection::MostProficient,
        "least-occupied" => AgentSelection::LeastOccupied,
        "round-robin" => AgentSelection::RoundRobin,
        "fewest-contacts" => AgentSelection::FewestContacts,
        "least-talk-time" => AgentSelection::LeastTalkTime,
        "linear" => AgentSelection::Linear,
        "most-available" => AgentSelection::MostAvailable,
        "random" => AgentSelection::Random,
        "weighted-random" => AgentSelection::WeightedRandom,
        other => return Err(format!("unknown strategy {other}")),
    })
}

fn blending(name: &str) -> Result<Blending, String> {
    Ok(match name {
        "real-time-first" => Blending::RealTimeFirst,
        "service-level" => Blending::ServiceLevel,
        other => return Err(format!("unknown blending {other} (real-time-first, service-level)")),
    })
}

fn main() {
    // Errors are printed with their messages (which name the field and the fix), not their Debug form.
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        if matches!(e.downcast_ref(), Some(ScenarioError::OverLimit { .. } | ScenarioError::OutOfSteps { .. })) {
            eprintln!("(here: --raise-limits FACTOR multiplies every limit)");
        }
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.print_scenario {
        print!("{BUILTIN_DAY}");
        return Ok(());
    }
    let scenario = match &args.scenario {
        Some(path) => Scenario::from_json(&std::fs::read_to_string(path)?)?,
        None => Scenario::builtin_day(),
    };
    let limits = SimLimits::default().scaled(args.raise_limits.unwrap_or(1));
    let options = RunOptions::new().limits(limits);
    // Wrapping: seeds near u64::MAX go round to 0 rather than overflow.
    let seeds: Vec<u64> = (0..args.replications.max(1)).map(|i| args.seed.wrapping_add(i)).collect();

    // A progress bar over simulated time; indicatif draws nothing when stderr is not a terminal.
    let period_ms = u64::from(scenario.duration_min) * 60_000;
    let bar = ProgressBar::new(period_ms.saturating_mul(seeds.len() as u64));
    bar.set_style(ProgressStyle::with_template("{spinner} simulating {msg} [{bar:30}] {percent}%")?);
    let start = switchboard::Timestamp::from(scenario.start);
    let mut done_ms = 0u64;
    let mut reports: Vec<SimReport> = Vec::new();
    for (i, seed) in seeds.iter().enumerate() {
        bar.set_message(format!("seed {seed}"));
        let mut tick = |e: &Event, _: &Engine| {
            let t = u64::try_from(e.at.millis_since(start)).unwrap_or(0).min(period_ms);
            bar.set_position(done_ms.saturating_add(t));
        };
        reports.push(options.simulate_with(&scenario, *seed, &mut tick)?);
        done_ms = period_ms.saturating_mul(i as u64 + 1);
    }
    bar.finish_and_clear();

    let first = &reports[0];
    print!("{}", first.to_text());
    if seeds.len() > 1 {
        println!("\n{}", Replications::from_reports(reports.clone()).to_text());
    }

    let what_if = WhatIf {
        strategy: args.what_if_strategy.as_deref().map(strategy).transpose()?,
        chat_capacity: args.what_if_chat_capacity,
        offer_timeout_secs: args.what_if_offer_timeout,
        extra_agents_per_group: args.what_if_extra_agents,
        blending: args.what_if_blending.as_deref().map(blending).transpose()?,
        callback: args.what_if_callback.as_deref().map(callback).transpose()?,
        ..WhatIf::named("what-if")
    };
    if what_if != WhatIf::named("what-if") {
        let mut name = Vec::new();
        if let Some(s) = &args.what_if_strategy {
            name.push(format!("strategy {s}"));
        }
        if let Some(c) = args.what_if_chat_capacity {
            name.push(format!("{c} chats per agent"));
        }
        if let Some(t) = args.what_if_offer_timeout {
            name.push(format!("offer timeout {t}s"));
        }
        if let Some(n) = args.what_if_extra_agents {
            name.push(format!("{n:+} agents per group"));
        }
        if let Some(b) = &args.what_if_blending {
            name.push(format!("{b} blending"));
        }
        if let Some(c) = &args.what_if_callback {
            name.push(format!("callbacks {c}"));
        }
        let what_if = WhatIf { name: name.join(", "), ..what_if };
        println!("\n{}", options.compare(&scenario, &what_if, &seeds)?.to_text());
    }

    if let Some(path) = &args.json {
        std::fs::write(path, first.to_json())?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.csv {
        std::fs::write(path, first.intervals_csv()?)?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.svg {
        chart(first, path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The report's clock: the simulator's statistics align intervals on UTC and
/// its times are UTC, so the axes say so rather than leave a reader to guess
/// their local time.
const TIME_ZONE: &str = "UTC";

/// Two panels over the day: service level per queue against its target, and
/// interactions waiting at each interval's end, deferrable backlogs (e-mail)
/// on their own scale at the right so that the calls' few waiting are not
/// flattened against hundreds of e-mails.
fn chart(report: &SimReport, path: &PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let mut queues: Vec<&SummaryRow> = report.queues.iter().collect();
    queues.sort_by(|a, b| a.name.cmp(&b.name));
    let starts: Vec<&str> = {
        let mut s: Vec<&str> = report.intervals.iter().map(|r| r.start.as_str()).collect();
        s.dedup();
        s
    };
    let n = starts.len().max(2);
    let root = SVGBackend::new(path, (1000, 760)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(380);
    let label = |i: &usize| starts.get(*i).and_then(|s| s.get(11..16)).unwrap_or("").to_string();
    let x_desc = format!("interval start ({TIME_ZONE})");
    let series = |q: &str, pick: fn(&IntervalRow) -> Option<f64>| -> Vec<(usize, f64)> {
        report
            .intervals
            .iter()
            .filter(|r| r.queue == q)
            .enumerate()
            .filter_map(|(i, r)| pick(r).map(|v| (i, v)))
            .collect()
    };
    let color = |k: usize| Palette99::pick(k).to_rgba();

    let mut sl = ChartBuilder::on(&top)
        .caption("Service level per interval, against each queue's target", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .right_y_label_area_size(50)
        .build_cartesian_2d(0usize..n - 1, 0.0..100.0)?;
    sl.configure_mesh()
        .x_labels(12)
        .x_label_formatter(&label)
        .x_desc(x_desc.as_str())
        .y_desc("service level (%)")
        .draw()?;
    for (k, q) in queues.iter().enumerate() {
        let c = color(k);
        sl.draw_series(LineSeries::new(series(&q.name, |r| r.figures.service_level_pct), c.stroke_width(2)))?
            .label(q.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    for (target, names) in targets(&queues) {
        let line = DashedLineSeries::new(vec![(0, target), (n - 1, target)], 8, 5, BLACK.mix(0.6).stroke_width(1));
        sl.draw_series(line)?
            .label(format!("target {target}%: {names}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6).stroke_width(1)));
    }
    sl.configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;

    let waiting = |r: &IntervalRow| Some(r.waiting_at_end as f64);
    let max_of = |deferrable: bool| {
        let names: Vec<&str> = queues.iter().filter(|q| q.deferrable == deferrable).map(|q| q.name.as_str()).collect();
        let max = report.intervals.iter().filter(|r| names.contains(&r.queue.as_str())).map(|r| r.waiting_at_end);
        max.max().unwrap_or(0).max(1) as f64 * 1.1
    };
    let mut backlog = ChartBuilder::on(&bottom)
        .caption("Interactions waiting at interval end", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .right_y_label_area_size(50)
        .build_cartesian_2d(0usize..n - 1, 0.0..max_of(false))?
        .set_secondary_coord(0usize..n - 1, 0.0..max_of(true));
    backlog
        .configure_mesh()
        .x_labels(12)
        .x_label_formatter(&label)
        .x_desc(x_desc.as_str())
        .y_desc("real-time waiting (left)")
        .draw()?;
    backlog.configure_secondary_axes().y_desc("deferrable backlog (right, dashed)").draw()?;
    for (k, q) in queues.iter().enumerate() {
        let c = color(k);
        let points = series(&q.name, waiting);
        if q.deferrable {
            backlog
                .draw_secondary_series(DashedLineSeries::new(points, 8, 5, c.stroke_width(2)))?
                .label(format!("{} (right)", q.name))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        } else {
            backlog
                .draw_series(LineSeries::new(points, c.stroke_width(2)))?
                .label(q.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
    }
    backlog.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// Each distinct service-level target and the queues that have it, in
/// ascending order of target: one dashed line each, not one per queue.
fn targets(queues: &[&SummaryRow]) -> Vec<(f64, String)> {
    let mut by_target: Vec<(f64, Vec<&str>)> = Vec::new();
    for q in queues {
        let Some(t) = q.target_pct else { continue };
        match by_target.iter_mut().find(|(x, _)| *x == t) {
            Some((_, names)) => names.push(&q.name),
            None => by_target.push((t, vec![&q.name])),
        }
    }
    by_target.sort_by(|a, b| a.0.total_cmp(&b.0));
    by_target.into_iter().map(|(t, names)| (t, names.join(", "))).collect()
}
