"""Service-level clocks: time limits that run on the calendar or on Chinese working days.

A complaint's time limits (first response, next update, resolution, the regulator's 15-day
answer limit) are data: an `SlaPolicy` per category and priority, each `Target` a duration on
a clock. A `CALENDAR` clock counts every second; a `WORKING` clock counts only the seconds of
working days on the PRC public-holiday calendar, make-up working days (调休) included, from the
maintained `chinesecalendar` package. For a year that package has no data for yet, working
days are Monday to Friday and the answer says so (`estimated`).

Time the ticket spends pending on the customer is paused: it never counts. `now` is the
caller's; nothing here reads a clock.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final

import attrs
import chinese_calendar

from unicom_cs.errors import InvalidValue
from unicom_cs.period import SHANGHAI, as_instant


class ClockKind(enum.StrEnum):
    CALENDAR = "calendar"
    WORKING = "working-days"


@lru_cache(maxsize=4096)
def _workday(day: date) -> tuple[bool, bool]:
    """(is a working day, known from the published calendar)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:  # a year the package has no data for
        return day.weekday() < 5, False


def is_working_day(day: date) -> bool:
    """A working day on the PRC calendar: weekdays that are not public holidays, and the
    weekend days made working days (调休)."""
    return _workday(day)[0]


def calendar_known(day: date) -> bool:
    return _workday(day)[1]


Interval = tuple[datetime, datetime]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _counted(start: datetime, end: datetime, kind: ClockKind) -> list[Interval]:
    """The parts of [start, end) the clock counts."""
    if end <= start:
        return []
    if kind is ClockKind.CALENDAR:
        return [(start, end)]
    out = []
    day = start.astimezone(SHANGHAI).date()
    while True:
        day_start = datetime.combine(day, time(), SHANGHAI)
        if day_start >= end:
            break
        day_end = datetime.combine(day + timedelta(days=1), time(), SHANGHAI)
        if is_working_day(day):
            out.append((max(start, day_start), min(end, day_end)))
        day += timedelta(days=1)
    return out


def _subtract(parts: list[Interval], pauses: list[Interval]) -> list[Interval]:
    out = []
    for start, end in parts:
        cursor = start
        for p_start, p_end in pauses:
            if p_end <= cursor or p_start >= end:
                continue
            if p_start > cursor:
                out.append((cursor, p_start))
            cursor = max(cursor, p_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def elapsed(
    start: datetime, end: datetime, kind: ClockKind, pauses: Sequence[Interval] = ()
) -> timedelta:
    """How much of [start, end) the clock counts, pauses left out."""
    start, end = as_instant(start), as_instant(end)
    parts = _subtract(_counted(start, end, kind), _merge(pauses))
    return sum((b - a for a, b in parts), timedelta())


def deadline(
    start: datetime, duration: timedelta, kind: ClockKind, pauses: Sequence[Interval] = ()
) -> datetime:
    """The instant at which `duration` of counted time has run from `start`."""
    start = as_instant(start)
    if duration <= timedelta():
        return start
    merged = _merge(pauses)
    left = duration
    cursor = start
    step = timedelta(days=1) if kind is ClockKind.WORKING else max(duration, timedelta(hours=1))
    for _ in range(100_000):
        window_end = cursor + step
        for a, b in _subtract(_counted(cursor, window_end, kind), merged):
            if b - a >= left:
                return a + left
            left -= b - a
        cursor = window_end
    raise InvalidValue("time limit", str(duration), "does not end within 100,000 steps")


@attrs.frozen
class Target:
    """A time limit: `limit` of counted time on `clock`, a warning `warn_before` its end, and
    escalation levels every `escalate_every` after a breach (level 1 at the breach)."""

    limit: timedelta
    clock: ClockKind = ClockKind.CALENDAR
    warn_before: timedelta = timedelta()
    escalate_every: timedelta = timedelta(hours=24)


@attrs.frozen
class SlaPolicy:
    """The time limits of one category and priority."""

    first_response: Target
    next_update: Target
    resolution: Target


class TargetState(enum.StrEnum):
    MET = "met"  # done within the limit
    RUNNING = "running"
    WARNING = "warning"  # running, within `warn_before` of the limit
    BREACHED = "breached"  # done late, or running past the limit


@attrs.frozen
class Clock:
    """One time limit as of `now`."""

    name: str
    due_at: datetime  # with the pauses so far; moves later if the ticket is paused again
    used: timedelta
    limit: timedelta
    state: TargetState
    escalation: int  # 0 until breached; 1 at the breach, +1 every `escalate_every`
    estimated: bool  # a working-day clock over a year without a published calendar


def measure(
    name: str,
    target: Target,
    start: datetime,
    now: datetime,
    done_at: datetime | None = None,
    pauses: Sequence[Interval] = (),
) -> Clock:
    """Where a time limit stands at `now` (or stood when it was met at `done_at`)."""
    start, now = as_instant(start), as_instant(now)
    end = as_instant(done_at) if done_at is not None else now
    closed_pauses = [(a, min(b, end)) for a, b in pauses if a < end]
    used = elapsed(start, end, target.clock, closed_pauses)
    due = deadline(start, target.limit, target.clock, closed_pauses)
    first_day = start.astimezone(SHANGHAI).date()
    last_day = max(due, end).astimezone(SHANGHAI).date()
    estimated = target.clock is ClockKind.WORKING and not all(
        calendar_known(first_day + timedelta(days=i))
        for i in range((last_day - first_day).days + 1)
    )
    if done_at is not None:
        state = TargetState.MET if used <= target.limit else TargetState.BREACHED
    elif used > target.limit or (used == target.limit and target.limit > timedelta()):
        state = TargetState.BREACHED
    elif target.limit - used <= target.warn_before:
        state = TargetState.WARNING
    else:
        state = TargetState.RUNNING
    escalation = 0
    if state is TargetState.BREACHED and done_at is None:
        over = elapsed(due, now, ClockKind.CALENDAR, closed_pauses)
        every = target.escalate_every
        escalation = 1 + (over // every if every > timedelta() else 0)
    return Clock(name, due, used, target.limit, state, escalation, estimated)


#: The regulator's limit: an operator answers a complaint within 15 days (tariff rules §6).
REGULATORY_ANSWER: Final = Target(timedelta(days=15), ClockKind.CALENDAR, timedelta(days=3))


# ------------------------------------------------------------------------- policies as data

_DURATION: Final = re.compile(r"[0-9]+[mhd]")
_UNITS: Final = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``4h``, ``5d``.

    Raises:
        InvalidValue: anything else.
    """
    t = text.strip()
    if not _DURATION.fullmatch(t):
        raise InvalidValue("duration", text, "expected a whole number and m, h or d (30m, 4h, 5d)")
    return _UNITS[t[-1]] * int(t[:-1])


#: The library's default policy (the sources set only the regulator's 15 days): urgent and key
#: customers answered fastest; resolution counted in working days, updates on the calendar.
DEFAULT_SLA_TOML: Final = """
[[policy]]
priority = "urgent"
first_response = { limit = "30m", warn_before = "10m", escalate_every = "2h" }
next_update = { limit = "4h", warn_before = "1h", escalate_every = "4h" }
resolution = { limit = "1d", clock = "working-days", warn_before = "4h", escalate_every = "1d" }

[[policy]]
priority = "high"
first_response = { limit = "1h", warn_before = "15m", escalate_every = "4h" }
next_update = { limit = "8h", warn_before = "2h", escalate_every = "8h" }
resolution = { limit = "2d", clock = "working-days", warn_before = "4h", escalate_every = "1d" }

[[policy]]
priority = "normal"
first_response = { limit = "2h", warn_before = "30m", escalate_every = "8h" }
next_update = { limit = "1d", warn_before = "4h", escalate_every = "1d" }
resolution = { limit = "5d", clock = "working-days", warn_before = "1d", escalate_every = "1d" }

[[policy]]
priority = "low"
first_response = { limit = "4h", warn_before = "1h", escalate_every = "1d" }
next_update = { limit = "2d", warn_before = "4h", escalate_every = "1d" }
resolution = { limit = "10d", clock = "working-days", warn_before = "2d", escalate_every = "2d" }

# Suggestions are answered, not fixed: ten working days whatever the priority.
[[policy]]
category = "suggestion"
first_response = { limit = "1d", warn_before = "4h" }
next_update = { limit = "5d", warn_before = "1d" }
resolution = { limit = "10d", clock = "working-days", warn_before = "2d", escalate_every = "2d" }
"""


@attrs.frozen
class SlaPolicies:
    """Policies by (category, priority); "*" matches any. The most specific match wins:
    category and priority, then category, then priority, then the catch-all."""

    rules: tuple[tuple[str, str, SlaPolicy], ...]

    def for_ticket(self, category: str, priority: str) -> SlaPolicy:
        for want in ((category, priority), (category, "*"), ("*", priority), ("*", "*")):
            for cat, pri, policy in self.rules:
                if (cat, pri) == want:
                    return policy
        raise InvalidValue("SLA policy", f"{category}/{priority}", "no policy matches")


def parse_policies(
    text: str,
    source: str = "<sla>",
    *,
    categories: Collection[str] = (),
    priorities: Collection[str] = (),
) -> SlaPolicies:
    """SLA policies from TOML: ``[[policy]]`` tables with an optional ``category`` and
    ``priority`` (checked against `categories` and `priorities` when given) and three targets,
    each ``{ limit, clock, warn_before, escalate_every }``.

    Raises:
        CatalogError: every problem, with its key path.
    """
    import tomllib

    from unicom_cs.errors import CatalogError, RowError

    def fail(problems: list[RowError]) -> CatalogError:
        return CatalogError(source, tuple(problems), "SLA policy")

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise fail([RowError("toml", str(e))]) from None
    errors: list[RowError] = []
    tables = doc.get("policy", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise fail([RowError("policy", "expected [[policy]] tables")])
    if not tables:
        raise fail([RowError("policy", "no [[policy]] table: nothing would have a time limit")])
    clocks = ", ".join(k.value for k in ClockKind)
    rules = []
    for i, table in enumerate(tables):
        path = f"policy[{i}]"
        for key in set(table) - {"category", "priority", *_TARGETS}:
            errors.append(RowError(f"{path}.{key}", "unknown key"))
        for key, known in (("category", categories), ("priority", priorities)):
            value = str(table.get(key, "*"))
            if known and value != "*" and value not in known:
                errors.append(
                    RowError(f"{path}.{key}", f"unknown {key} {value!r}: one of {', '.join(known)}")
                )
        targets = {}
        for name in _TARGETS:
            spec = table.get(name)
            where = f"{path}.{name}"
            if not isinstance(spec, dict) or "limit" not in spec:
                errors.append(
                    RowError(where, 'missing: a table with a limit, like { limit = "2h" }')
                )
                continue
            for key in set(spec) - {"limit", "clock", "warn_before", "escalate_every"}:
                errors.append(RowError(f"{where}.{key}", "unknown key"))
            try:
                clock = str(spec.get("clock", "calendar"))
                if clock not in {k.value for k in ClockKind}:
                    raise InvalidValue("clock", clock, f"one of {clocks}")
                target = Target(
                    parse_duration(str(spec["limit"])),
                    ClockKind(clock),
                    parse_duration(str(spec.get("warn_before", "0m"))),
                    parse_duration(str(spec.get("escalate_every", "1d"))),
                )
            except InvalidValue as e:
                errors.append(RowError(where, str(e)))
                continue
            if target.limit <= timedelta() or target.escalate_every <= timedelta():
                errors.append(RowError(where, "limit and escalate_every must be more than 0"))
            elif target.warn_before >= target.limit:
                errors.append(RowError(where, "warn_before must be shorter than the limit"))
            else:
                targets[name] = target
        if len(targets) == 3:
            rules.append(
                (
                    str(table.get("category", "*")),
                    str(table.get("priority", "*")),
                    SlaPolicy(**targets),
                )
            )
    if errors:
        raise fail(errors)
    return SlaPolicies(tuple(rules))


_TARGETS: Final = ("first_response", "next_update", "resolution")


@lru_cache(maxsize=1)
def default_policies() -> SlaPolicies:
    return parse_policies(DEFAULT_SLA_TOML, "<bundled SLA policy>")
