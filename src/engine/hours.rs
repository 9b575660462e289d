//! Business hours: calendars, and queues that open and close by them.
//!
//! A queue that follows a calendar is closed exactly when the calendar says
//! so at the engine's time: one [`TimerKind::BusinessHours`] timer per
//! calendar waits for its next change, and the router keeps the set of
//! closed queues, whose interactions no decision offers. Closing routes the
//! queue's waiting interactions once more, which is where real-time work
//! meets the queue's [`WhenClosed`] rule (and work that arrives, is
//! transferred in or re-queued while closed meets it the same way); opening
//! routes them again.

use super::lifecycle::limit;
use super::{Engine, TimerKind, Work};
use crate::error::{CommandError, Limit};
use crate::event::EventKind;
use crate::ids::{CalendarId, InteractionId, QueueId};
use crate::model::calendar::BusinessHours;
use crate::model::channel::ChannelMode;
use crate::model::interaction::Outcome;
use crate::model::queue::{QueueConfig, WhenClosed};
use crate::time::Timestamp;

impl Engine {
    pub(super) fn add_calendar(
        &mut self,
        id: CalendarId,
        hours: BusinessHours,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if self.calendars.contains_key(&id) {
            return Err(CommandError::DuplicateCalendar(id));
        }
        // At most one calendar per queue is ever useful.
        let max = self.config.limits().max_queues;
        if self.calendars.len() >= max as usize {
            return Err(limit(Limit::Calendars, max));
        }
        let calendar = hours.check().map_err(|error| CommandError::BadCalendar { calendar: id, error })?;
        self.calendars.insert(id, calendar);
        self.arm_business_hours(id, now);
        Ok(())
    }

    pub(super) fn set_calendar(
        &mut self,
        id: CalendarId,
        hours: BusinessHours,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if !self.calendars.contains_key(&id) {
            return Err(CommandError::UnknownCalendar(id));
        }
        let calendar = hours.check().map_err(|error| CommandError::BadCalendar { calendar: id, error })?;
        self.calendars.insert(id, calendar);
        self.business_hours_changed(now);
        Ok(())
    }

    /// A queue's calendar exists, and its [`WhenClosed::Move`] target is
    /// another existing queue that takes all its channels (so such moves form
    /// no loop).
    pub(super) fn check_business_hours(&self, queue: &QueueConfig) -> Result<(), CommandError> {
        if let Some(calendar) = queue.calendar {
            if !self.calendars.contains_key(&calendar) {
                return Err(CommandError::UnknownCalendar(calendar));
            }
        }
        if let WhenClosed::Move(target) = queue.when_closed {
            if let Some(problem) = self.move_target_problem(queue, target) {
                return Err(CommandError::BadClosedTarget { queue: queue.id, target, problem });
            }
        }
        Ok(())
    }

    /// Whether `queue`'s calendar says it is closed at `at`.
    pub(super) fn closed_by_calendar(&self, queue: &QueueConfig, at: Timestamp) -> bool {
        queue.calendar.and_then(|c| self.calendars.get(&c)).is_some_and(|c| !c.is_open(at))
    }

    /// Sets the calendar's timer for its next change after `now`, if any.
    pub(super) fn arm_business_hours(&mut self, id: CalendarId, now: Timestamp) {
        match self.calendars.get(&id).and_then(|c| c.next_change(now)) {
            Some(due) => self.timers.set(TimerKind::BusinessHours(id), due),
            None => self.timers.cancel(TimerKind::BusinessHours(id)),
        }
    }

    /// A calendar opened or closed (its timer fired, or its hours were
    /// replaced, or a queue's calendar changed): every queue that follows a
    /// calendar opens or closes to match it at `at` (in queue order), a
    /// closed queue that no longer follows one opens, and every calendar's
    /// timer moves to its next change. All calendars at once, so that two
    /// calendars changing at the same instant are both applied before
    /// anything is routed at that instant.
    pub(super) fn business_hours_changed(&mut self, at: Timestamp) {
        // Every queue that follows a calendar, and every queue still closed
        // whose calendar was taken away (`UpdateQueue`): it opens.
        let following: Vec<(QueueId, Option<CalendarId>)> = self
            .queues
            .values()
            .filter(|q| q.calendar.is_some() || self.router.is_closed(q.id))
            .map(|q| (q.id, q.calendar))
            .collect();
        for (queue, calendar) in following {
            let next = calendar.and_then(|c| self.calendars.get(&c)).and_then(|c| c.next_change(at));
            let closed = self.closed_by_calendar(&self.queues[&queue], at);
            if closed == self.router.is_closed(queue) {
                continue;
            }
            self.router.set_closed(queue, closed);
            if closed {
                self.emit(at, EventKind::QueueClosed { queue, opens_at: next });
                // Agents held back or draining for its real-time work look again.
                let mut members: Vec<_> = self
                    .agents
                    .values()
                    .filter(|a| a.config.queues.iter().any(|m| m.queue == queue))
                    .map(|a| a.id())
                    .collect();
                members.sort_unstable();
                self.work.extend(members.into_iter().map(Work::Agent));
            } else {
                self.emit(at, EventKind::QueueOpened { queue, closes_at: next });
            }
            // Closed: its real-time work meets the rule; open: everything is routed again.
            self.rewake_queue(queue);
        }
        let calendars: Vec<CalendarId> = self.calendars.keys().copied().collect();
        for id in calendars {
            self.arm_business_hours(id, at);
        }
    }

    /// Real-time work waiting in a closed queue follows the queue's rule:
    /// it waits, ends [`Outcome::Closed`], or moves keeping its place (and
    /// waits if the target cannot take it now). Called when routing it.
    pub(super) fn when_closed(&mut self, iid: InteractionId, at: Timestamp) {
        let i = &self.interactions[&iid];
        if self.config.channel_mode(i.channel) != Some(ChannelMode::RealTime) {
            return;
        }
        let from = i.queue;
        match self.queues[&from].when_closed {
            WhenClosed::Wait => {}
            WhenClosed::End => {
                self.leave_queue(iid);
                self.end_interaction(iid, Outcome::Closed, at);
            }
            WhenClosed::Move(to) => {
                let target = &self.queues[&to];
                let sets = self
                    .check_entry(target, &i.own_requirements, &target.steps, &i.attributes, Some(iid))
                    .and_then(|sets| self.check_room_in_queue(target).map(|()| sets));
                if let Ok(sets) = sets {
                    self.leave_queue(iid);
                    self.move_to_queue(iid, from, to, sets, at);
                }
            }
        }
    }
}
