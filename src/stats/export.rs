//! Exporting interaction records: JSON lines (feature `json`) and CSV
//! (feature `csv`), for a host's database or BI tool.
//!
//! Records also implement serde's `Serialize`, so any other serde format works too.

#[cfg(feature = "csv")]
use super::record::OfferResult;
#[cfg(any(feature = "json", feature = "csv"))]
use super::{error::ExportError, record::InteractionRecord};
#[cfg(feature = "csv")]
use crate::model::interaction::Outcome;
#[cfg(feature = "csv")]
use crate::serde_forms::counter_millis;
#[cfg(feature = "csv")]
use crate::time::Timestamp;

/// Writes records as JSON lines: one JSON object per line, every field of
/// the record (attributes and disposition notes included: they may be
/// personal data).
///
/// # Errors
/// [`ExportError`] when writing or encoding fails.
///
/// # Example
/// ```
/// # use switchboard::stats::*;
/// # use switchboard::*;
/// # fn records() -> Vec<InteractionRecord> { Vec::new() }
/// let mut out = Vec::new();
/// write_json_lines(&records(), &mut out)?;
/// # Ok::<(), ExportError>(())
/// ```
#[cfg(feature = "json")]
pub fn write_json_lines<'a, W: std::io::Write>(
    records: impl IntoIterator<Item = &'a InteractionRecord>,
    mut writer: W,
) -> Result<(), ExportError> {
    for record in records {
        serde_json::to_writer(&mut writer, record)?;
        writer.write_all(b"\n")?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(feature = "csv")]
fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

#[cfg(feature = "csv")]
fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(feature = "csv")]
fn outcome(o: Option<Outcome>) -> &'static str {
    match o {
        None => "",
        Some(Outcome::Handled { .. }) => "handled",
        Some(Outcome::Abandoned { while_offered: false }) => "abandoned",
        Some(Outcome::Abandoned { while_offered: true }) => "abandoned_while_offered",
        Some(Outcome::Cancelled) => "cancelled",
        Some(Outcome::Declined) => "declined",
        Some(Outcome::Expired) => "expired",
        Some(Outcome::Closed) => "closed",
        Some(Outcome::Diverted(crate::Diversion::Voicemail)) => "diverted_voicemail",
        Some(Outcome::Diverted(crate::Diversion::Callback)) => "diverted_callback",
        Some(Outcome::Diverted(crate::Diversion::Message)) => "diverted_message",
        Some(Outcome::Diverted(_)) => "diverted_disconnect",
        Some(Outcome::SelfServed(_)) => "self_served",
        Some(Outcome::CallbackFailed(_)) => "callback_failed",
    }
}

/// The columns of [`write_records_csv`], before the attribute columns.
#[cfg(feature = "csv")]
pub const RECORD_CSV_COLUMNS: [&str; 24] = [
    "interaction",
    "customer",
    "case",
    "channel",
    "priority",
    "arrived_at",
    "first_queue",
    "last_queue",
    "queues",
    "visits",
    "offers",
    "transfers",
    "answered_at",
    "answered_by",
    "answered_in",
    "wait_ms",
    "talk_ms",
    "wrap_ms",
    "handle_ms",
    "ended_at",
    "outcome",
    "handled_by",
    "disposition",
    "cost",
];

/// Writes records as CSV (RFC 4180, with a header row), one row per
/// interaction. Ids are the host's numbers; times are RFC 3339 in UTC;
/// `queues` lists the queue ids visited, separated by `|`. Disposition
/// notes are left out; `attribute_columns` adds one column per named
/// attribute (they may be personal data: name only those you mean to export).
///
/// # Errors
/// [`ExportError`] when writing or encoding fails.
///
/// # Example
/// ```
/// # use switchboard::stats::*;
/// # use switchboard::*;
/// # fn records() -> Vec<InteractionRecord> { Vec::new() }
/// let mut out = Vec::new();
/// write_records_csv(&records(), &mut out, &["region"])?;
/// assert!(String::from_utf8(out).unwrap().starts_with("interaction,customer,case,channel"));
/// # Ok::<(), ExportError>(())
/// ```
#[cfg(feature = "csv")]
pub fn write_records_csv<'a, W: std::io::Write>(
    records: impl IntoIterator<Item = &'a InteractionRecord>,
    writer: W,
    attribute_columns: &[&str],
) -> Result<(), ExportError> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(RECORD_CSV_COLUMNS.iter().copied().chain(attribute_columns.iter().copied()))?;
    for r in records {
        let queues: Vec<String> = r.visits.iter().map(|v| v.queue.0.to_string()).collect();
        let mut row = vec![
            r.interaction.0.to_string(),
            r.customer.0.to_string(),
            opt(r.case.map(|c| c.0)),
            r.channel.to_string(),
            r.priority.to_string(),
            r.arrived_at.to_string(),
            opt(r.visits.first().map(|v| v.queue.0)),
            opt(r.last_queue.map(|q| q.0)),
            queues.join("|"),
            r.visit_count.to_string(),
            r.offer_count.to_string(),
            r.transfer_count.to_string(),
            time(r.answered_at),
            opt(r.answered_by.map(|a| a.0)),
            opt(r.answered_in.map(|q| q.0)),
            opt(r.wait().map(|w| w.as_millis())),
            counter_millis::of(r.talk).to_string(),
            counter_millis::of(r.wrap).to_string(),
            r.handle_time().as_millis().to_string(),
            time(r.ended_at),
            outcome(r.outcome).to_owned(),
            opt(r.handled_by().map(|a| a.0)),
            r.disposition.as_ref().map(|d| d.code.clone()).unwrap_or_default(),
            opt(r.cost),
        ];
        row.extend(attribute_columns.iter().map(|k| r.attributes.get(k).unwrap_or_default().to_owned()));
        csv.write_record(&row)?;
    }
    csv.flush()?;
    Ok(())
}

/// Writes every listed offer of the records as CSV, one row per offer:
/// `interaction, offer, agent, queue, offered_at, ended_at, ring_ms, result`
/// (`result` is `accepted`, `rejected`, `timed_out`, `pending` or
/// `withdrawn_<reason>`). Queue visits are in [`write_records_csv`]'s
/// `queues` column.
///
/// # Errors
/// [`ExportError`] when writing or encoding fails.
#[cfg(feature = "csv")]
pub fn write_offers_csv<'a, W: std::io::Write>(
    records: impl IntoIterator<Item = &'a InteractionRecord>,
    writer: W,
) -> Result<(), ExportError> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(["interaction", "offer", "agent", "queue", "offered_at", "ended_at", "ring_ms", "result"])?;
    for r in records {
        for o in &r.offers {
            let result = match o.result {
                OfferResult::Pending => "pending".to_owned(),
                OfferResult::Accepted => "accepted".to_owned(),
                OfferResult::Rejected => "rejected".to_owned(),
                OfferResult::TimedOut => "timed_out".to_owned(),
                OfferResult::Withdrawn(reason) => format!("withdrawn_{}", withdraw_reason(reason)),
            };
            csv.write_record([
                r.interaction.0.to_string(),
                o.offer.0.to_string(),
                o.agent.0.to_string(),
                o.queue.0.to_string(),
                o.offered_at.to_string(),
                time(o.ended_at),
                opt(o.ring_time().map(|d| d.as_millis())),
                result,
            ])?;
        }
    }
    csv.flush()?;
    Ok(())
}

#[cfg(feature = "csv")]
fn withdraw_reason(reason: crate::event::WithdrawReason) -> &'static str {
    use crate::event::WithdrawReason as W;
    match reason {
        W::AgentPaused => "agent_paused",
        W::AgentLoggedOut => "agent_logged_out",
        W::CustomerAbandoned => "customer_abandoned",
        W::Cancelled => "cancelled",
        W::Transferred => "transferred",
        W::Expired => "expired",
        W::Diverted => "diverted",
        W::ConvertedToCallback => "converted_to_callback",
        W::Rescinded => "rescinded",
    }
}

#[cfg(all(test, feature = "csv", feature = "json"))]
mod tests {
    use super::*;
    use crate::ids::{AgentId, CustomerId, InteractionId, OfferId, QueueId};
    use crate::model::attributes::Attributes;
    use crate::model::channel::Channel;
    use crate::stats::record::{OfferRecord, QueueVisit, VisitExit};

    fn record() -> InteractionRecord {
        let t = Timestamp::from_secs(1_700_000_000);
        let mut r = InteractionRecord::new(InteractionId(1), CustomerId(2), Channel::Voice, QueueId(3), t);
        r.attributes = Attributes::new().with("region", "north, \"east\"");
        r.visits.push(QueueVisit {
            queue: QueueId(3),
            entered_at: t,
            left_at: Some(t),
            exit: VisitExit::Answered { agent: AgentId(4) },
        });
        r.offers.push(OfferRecord {
            offer: OfferId(9),
            agent: AgentId(4),
            queue: QueueId(3),
            offered_at: t,
            ended_at: Some(Timestamp::from_millis(t.as_millis() + 1_500)),
            result: OfferResult::Accepted,
        });
        r.outcome = Some(Outcome::Handled { agent: AgentId(4) });
        r.ended_at = Some(t);
        r
    }

    #[test]
    fn csv_quotes_and_json_round_trips() {
        let records = [record()];
        let mut out = Vec::new();
        write_records_csv(&records, &mut out, &["region"]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().ends_with(",cost,region"));
        let row = lines.next().unwrap();
        assert!(row.starts_with("1,2,,voice,0,2023-11-14T22:13:20.000Z,3,3,3,0,0,0,"), "{row}");
        assert!(row.ends_with(",handled,4,,,\"north, \"\"east\"\"\""), "{row}");
        let mut out = Vec::new();
        write_offers_csv(&records, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap().lines().nth(1).unwrap(),
            "1,9,4,3,2023-11-14T22:13:20.000Z,2023-11-14T22:13:21.500Z,1500,accepted"
        );
        let mut out = Vec::new();
        write_json_lines(&records, &mut out).unwrap();
        let back: InteractionRecord = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, records[0]);
    }
}
