"""Return visits and outbound work (回访, 外呼): tasks an agent calls a customer about.

A complaint's resolution makes a follow-up visit due; retention and maintenance calls,
telemarketing and the welcome call of a new line are tasks of the same shape: a due time,
attempts, an outcome, a satisfaction score (1-5) and notes. Pure values and functions.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Final

import attrs

from unicom_cs.errors import Conflict, InvalidValue
from unicom_cs.period import as_instant


class TaskKind(enum.StrEnum):
    COMPLAINT_FOLLOW_UP = "complaint-follow-up"
    RETENTION = "retention"
    MAINTENANCE = "maintenance"
    TELEMARKETING = "telemarketing"
    WELCOME = "welcome"


class AttemptOutcome(enum.StrEnum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"


@attrs.frozen
class Attempt:
    at: datetime
    by: str
    outcome: AttemptOutcome
    score: int | None = None
    note: str = ""


@attrs.frozen
class Task:
    id: str
    kind: TaskKind
    msisdn: str
    due_at: datetime
    created_at: datetime
    ticket_id: str = ""
    attempts: tuple[Attempt, ...] = ()
    outcome: str = ""  # set when done: the visit outcome, or what the call achieved
    done_at: datetime | None = None
    note: str = ""
    version: int = attrs.field(default=0, kw_only=True)  # optimistic concurrency: see ports

    @property
    def score(self) -> int | None:
        """The satisfaction score of the last attempt that reached the customer."""
        scores = [a.score for a in self.attempts if a.score is not None]
        return scores[-1] if scores else None

    def overdue(self, now: datetime) -> bool:
        return self.done_at is None and as_instant(now) > self.due_at


#: A complaint's return visit is due this long after its resolution (the library's choice).
FOLLOW_UP_AFTER: Final = timedelta(days=1)


def new_task(
    task_id: str,
    kind: TaskKind,
    msisdn: str,
    due_at: datetime,
    now: datetime,
    *,
    ticket_id: str = "",
    note: str = "",
) -> Task:
    if kind is TaskKind.COMPLAINT_FOLLOW_UP and not ticket_id:
        raise InvalidValue("task", kind.value, "a complaint follow-up names its ticket")
    return Task(
        task_id, kind, msisdn, as_instant(due_at), as_instant(now), ticket_id, note=note.strip()
    )


def record_attempt(
    task: Task,
    by: str,
    now: datetime,
    outcome: AttemptOutcome,
    *,
    score: int | None = None,
    note: str = "",
    result: str = "",
    done: bool = True,
) -> Task:
    """An attempt at the call. Reaching the customer with `done` ends the task with `result`.

    Raises:
        Conflict: the task is done.
        InvalidValue: a score outside 1-5, or one without reaching the customer; no agent.
    """
    now = as_instant(now)
    if task.done_at is not None:
        raise Conflict("task", task.id, f"was done at {task.done_at.isoformat()}")
    if not by.strip():
        raise InvalidValue("agent", by, "needs a name or staff id")
    if score is not None and not 1 <= score <= 5:
        raise InvalidValue("satisfaction score", score, "expected 1 to 5")
    if score is not None and outcome is not AttemptOutcome.REACHED:
        raise InvalidValue("satisfaction score", score, "the customer was not reached")
    if task.attempts and now < task.attempts[-1].at:
        raise Conflict("task", task.id, "attempts are recorded in time order")
    attempt = Attempt(now, by.strip(), outcome, score, note.strip())
    task = attrs.evolve(task, attempts=(*task.attempts, attempt))
    if done and (outcome is AttemptOutcome.REACHED or result):
        return attrs.evolve(task, done_at=now, outcome=result or outcome.value)
    return task
