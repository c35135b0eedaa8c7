"""The bot's own digest schedule: every week at a configured local day and time, it sends
last week's digest to each team's managers (idempotent, so several replicas may all try)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from ledger_core.metrics import Period, week_period

from .settings import Schedule

log = logging.getLogger("opledger.slack.schedule")


def next_run(now: datetime, schedule: Schedule) -> datetime:
    """The first scheduled moment strictly after ``now`` (aware), in the schedule's zone."""
    local = now.astimezone(schedule.zone)
    day = local.date() + timedelta(days=(schedule.weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, schedule.at, tzinfo=schedule.zone)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=7), schedule.at, tzinfo=schedule.zone)
    return candidate


def week_before(moment: datetime, schedule: Schedule) -> Period:
    """The last complete ISO week before the local date of ``moment``."""
    year, week, _ = (moment.astimezone(schedule.zone).date() - timedelta(days=7)).isocalendar()
    return week_period(f"{year}-W{week:02d}")


class DigestScheduler(threading.Thread):
    def __init__(self, schedule: Schedule, send: Callable[[Period], None], clock: Callable[[], datetime]) -> None:
        super().__init__(name="digest-schedule", daemon=True)
        self.schedule, self.send, self.clock = schedule, send, clock
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            due = next_run(self.clock(), self.schedule)
            log.info("next digest at %s", due.isoformat())
            if self.stopped.wait(max(0.0, (due - self.clock()).total_seconds())):
                return
            try:
                self.send(week_before(due, self.schedule))
            except Exception:  # a failed week must not stop next week's digest
                log.exception("scheduled digest failed")

    def stop(self) -> None:
        self.stopped.set()
