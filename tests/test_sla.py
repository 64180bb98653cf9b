"""SLA clocks: calendar and PRC working-day arithmetic, pauses, deadlines, states, policies.

The working-day facts below are the published 2026 calendar as the `chinesecalendar` package
has it (each date is checked against the package too, so a data fix upstream shows up here):

- National Day / Mid-Autumn 2026: Fri 25 Sep is Mid-Autumn, 1-7 Oct are off; Sun 20 Sep and
  Sat 10 Oct are make-up working days (调休); Thu 8 Oct is the first working day after.
- Spring Festival 2026: 15-23 Feb are off; Sat 14 Feb and Sat 28 Feb are make-up working days.
- 2027: the package has no data (1.11), so working days are Mon-Fri and clocks say `estimated`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import care, sla
from unicom_cs.complaints import Category, Priority
from unicom_cs.errors import CatalogError, InvalidValue
from unicom_cs.period import SHANGHAI
from unicom_cs.sla import ClockKind, Target, TargetState, deadline, elapsed, measure
from unicom_cs.store.memory import MemoryStore

CAL = ClockKind.CALENDAR
WORK = ClockKind.WORKING
H = timedelta(hours=1)
D = timedelta(days=1)


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=SHANGHAI)


# ------------------------------------------------------------------ the 2026 calendar

WORKING_DAYS_2026 = [
    # National Day and Mid-Autumn 2026
    (date(2026, 9, 19), False),  # Sat: an ordinary weekend day
    (date(2026, 9, 20), True),  # Sun: make-up working day for National Day
    (date(2026, 9, 24), True),  # Thu
    (date(2026, 9, 25), False),  # Fri: Mid-Autumn Festival
    (date(2026, 9, 26), False),  # Sat: Mid-Autumn holiday
    (date(2026, 9, 28), True),  # Mon
    (date(2026, 9, 30), True),  # Wed: last working day before National Day
    (date(2026, 10, 1), False),  # Thu: National Day
    (date(2026, 10, 2), False),  # Fri
    (date(2026, 10, 3), False),  # Sat
    (date(2026, 10, 4), False),  # Sun
    (date(2026, 10, 5), False),  # Mon: National Day holiday
    (date(2026, 10, 6), False),  # Tue
    (date(2026, 10, 7), False),  # Wed: last day off
    (date(2026, 10, 8), True),  # Thu: back to work
    (date(2026, 10, 9), True),  # Fri
    (date(2026, 10, 10), True),  # Sat: make-up working day for National Day
    (date(2026, 10, 11), False),  # Sun: an ordinary weekend day
    (date(2026, 10, 12), True),  # Mon
    # Spring Festival 2026
    (date(2026, 2, 13), True),  # Fri
    (date(2026, 2, 14), True),  # Sat: make-up working day for Spring Festival
    (date(2026, 2, 15), False),  # Sun: Spring Festival holiday begins
    (date(2026, 2, 16), False),  # Mon
    (date(2026, 2, 17), False),  # Tue: the first day of the lunar new year
    (date(2026, 2, 20), False),  # Fri
    (date(2026, 2, 23), False),  # Mon: last day off
    (date(2026, 2, 24), True),  # Tue: back to work
    (date(2026, 2, 28), True),  # Sat: make-up working day for Spring Festival
    (date(2026, 3, 1), False),  # Sun
]


@pytest.mark.parametrize(("day", "working"), WORKING_DAYS_2026, ids=str)
def test_2026_working_days_follow_the_published_calendar(day: date, working: bool) -> None:
    assert chinese_calendar.is_workday(day) is working  # the package agrees with the comment
    assert sla.is_working_day(day) is working
    assert sla.calendar_known(day)


def test_the_2026_make_up_days_are_weekend_days_and_the_holidays_weekdays() -> None:
    make_up = [d for d, w in WORKING_DAYS_2026 if w and d.weekday() >= 5]
    assert make_up == [date(2026, 9, 20), date(2026, 10, 10), date(2026, 2, 14), date(2026, 2, 28)]
    off_weekdays = [d for d, w in WORKING_DAYS_2026 if not w and d.weekday() < 5]
    assert date(2026, 10, 5) in off_weekdays and date(2026, 2, 23) in off_weekdays


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 1, 1), True),  # Fri: New Year's Day in reality, but no data: Mon-Fri
        (date(2027, 1, 2), False),  # Sat
        (date(2027, 1, 3), False),  # Sun
        (date(2027, 1, 4), True),  # Mon
        (date(2027, 2, 8), True),  # Mon: around Spring Festival 2027, still only Mon-Fri
    ],
    ids=str,
)
def test_a_year_without_data_falls_back_to_monday_to_friday(day: date, working: bool) -> None:
    with pytest.raises(NotImplementedError):  # the package really has no 2027 data
        chinese_calendar.is_workday(day)
    assert sla.is_working_day(day) is working
    assert not sla.calendar_known(day)


# ------------------------------------------------------------------ working-day arithmetic


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Wed 30 Sep noon → Thu 8 Oct noon: half of 30 Sep and half of 8 Oct; 1-7 Oct are off
        (at(2026, 9, 30, 12), at(2026, 10, 8, 12), D),
        # the whole National Day week counts nothing
        (at(2026, 10, 1), at(2026, 10, 8), timedelta()),
        # Fri 9 Oct → Mon 12 Oct: Fri and Sat 10 Oct (make-up) count, Sun 11 Oct does not
        (at(2026, 10, 9), at(2026, 10, 12), 2 * D),
        # Sat 19 Sep → Mon 21 Sep: only Sun 20 Sep (make-up) counts
        (at(2026, 9, 19), at(2026, 9, 21), D),
        # Mid-Autumn: Thu 24 Sep → Mon 28 Sep: only Thu counts (Fri-Sun off)
        (at(2026, 9, 24), at(2026, 9, 28), D),
        # Spring Festival: Sat 14 Feb (make-up) → Tue 24 Feb: only 14 Feb counts
        (at(2026, 2, 14), at(2026, 2, 24), D),
        # Tue 24 Feb → Sun 1 Mar: Tue-Fri and Sat 28 Feb (make-up)
        (at(2026, 2, 24), at(2026, 3, 1), 5 * D),
        # 2027 fallback: Thu 31 Dec 2026 → Mon 4 Jan 2027: 31 Dec and Fri 1 Jan (Mon-Fri)
        (at(2026, 12, 31), at(2027, 1, 4), 2 * D),
    ],
)
def test_working_day_elapsed_on_real_dates(
    start: datetime, end: datetime, expected: timedelta
) -> None:
    assert elapsed(start, end, WORK) == expected
    assert elapsed(start, end, CAL) == end - start


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        # one working day from Wed 30 Sep noon ends at Thu 8 Oct noon
        (at(2026, 9, 30, 12), D, at(2026, 10, 8, 12)),
        # two from Fri 9 Oct 09:00: 15 h of Fri, Sat 10 Oct (make-up), 9 h of Mon 12 Oct
        (at(2026, 10, 9, 9), 2 * D, at(2026, 10, 12, 9)),
        # started on a holiday, the clock waits for Thu 8 Oct
        (at(2026, 10, 3, 15), 4 * H, at(2026, 10, 8, 4)),
        # one from Fri 13 Feb 09:00 ends on the make-up Saturday 14 Feb
        (at(2026, 2, 13, 9), D, at(2026, 2, 14, 9)),
        # two: the rest of 13 Feb, all of 14 Feb, then nothing until Tue 24 Feb
        (at(2026, 2, 13, 9), 2 * D, at(2026, 2, 24, 9)),
        # 2027 fallback: Fri 1 Jan 2027 counts, the weekend does not
        (at(2026, 12, 31, 12), 2 * D, at(2027, 1, 4, 12)),
    ],
)
def test_working_day_deadlines_on_real_dates(
    start: datetime, limit: timedelta, expected: datetime
) -> None:
    assert deadline(start, limit, WORK) == expected
    assert elapsed(start, expected, WORK) == limit


def test_a_calendar_deadline_ignores_holidays() -> None:
    assert deadline(at(2026, 9, 30, 12), D, CAL) == at(2026, 10, 1, 12)
    assert deadline(at(2026, 9, 30, 12), timedelta(), WORK) == at(2026, 9, 30, 12)


def test_a_working_clock_into_2027_is_estimated_and_one_in_2026_is_not() -> None:
    t = Target(2 * D, WORK)
    into_2027 = measure("resolution", t, at(2026, 12, 31, 12), at(2027, 1, 1, 12))
    assert into_2027.estimated
    assert into_2027.due_at == at(2027, 1, 4, 12)  # Fri 1 Jan counts, Sat-Sun do not
    assert into_2027.used == D
    in_2026 = measure("resolution", t, at(2026, 10, 9, 9), at(2026, 10, 9, 10))
    assert not in_2026.estimated
    # the same span on a calendar clock is never estimated
    assert not measure("x", Target(2 * D), at(2026, 12, 31, 12), at(2027, 1, 1, 12)).estimated


def test_a_working_clock_that_ends_before_2027_is_not_estimated() -> None:
    # 30 Dec 09:00 + 1 working day = 31 Dec 09:00: every day the clock touches is in 2026
    c = measure("resolution", Target(D, WORK), at(2026, 12, 30, 9), at(2026, 12, 30, 10))
    assert c.due_at == at(2026, 12, 31, 9)
    assert not c.estimated


# ------------------------------------------------------------------ properties of elapsed

BASE = at(2026, 1, 1)
SPAN = int((at(2027, 3, 1) - BASE).total_seconds())


def instants() -> st.SearchStrategy[datetime]:
    """Instants to the second from 1 Jan 2026 to 1 Mar 2027 (both calendars: known and not)."""
    return st.integers(0, SPAN).map(lambda s: BASE + timedelta(seconds=s))


def near(start: datetime, max_days: int = 40) -> st.SearchStrategy[datetime]:
    return st.integers(0, max_days * 86400).map(lambda s: start + timedelta(seconds=s))


@st.composite
def pauses(draw: st.DrawFn, around: datetime) -> list[tuple[datetime, datetime]]:
    """Up to 4 pauses near `around`, possibly overlapping or outside the measured span."""
    out = []
    for _ in range(draw(st.integers(0, 4))):
        start = around + timedelta(seconds=draw(st.integers(-3 * 86400, 30 * 86400)))
        out.append((start, start + timedelta(seconds=draw(st.integers(0, 6 * 86400)))))
    return out


def _working(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def reference_elapsed(
    start: datetime, end: datetime, kind: ClockKind, paused: list[tuple[datetime, datetime]]
) -> timedelta:
    """Day by day: each Beijing day the clock counts, less the paused part of it."""
    used = timedelta()
    day = start.astimezone(SHANGHAI).date()
    while (day_start := datetime.combine(day, time(), SHANGHAI)) < end:
        day_end = day_start + D
        a, b = max(start, day_start), min(end, day_end)
        if a < b and (kind is CAL or _working(day)):
            covered = timedelta()
            for p, q in merge(paused):
                covered += max(timedelta(), min(b, q) - max(a, p))
            used += (b - a) - covered
        day += timedelta(days=1)
    return used


def merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif a < b:
            out.append((a, b))
    return out


kinds = st.sampled_from(ClockKind)


@given(st.data(), instants(), kinds)
def test_elapsed_matches_a_day_by_day_count(
    data: st.DataObject, start: datetime, kind: ClockKind
) -> None:
    end = data.draw(near(start))
    paused = data.draw(pauses(start))
    assert elapsed(start, end, kind, paused) == reference_elapsed(start, end, kind, paused)


@given(st.data(), instants(), kinds)
def test_elapsed_adds_up_over_a_split(data: st.DataObject, a: datetime, kind: ClockKind) -> None:
    b = data.draw(near(a, 20))
    c = data.draw(near(b, 20))
    paused = data.draw(pauses(a))
    assert elapsed(a, c, kind, paused) == elapsed(a, b, kind, paused) + elapsed(b, c, kind, paused)


@given(st.data(), instants(), kinds)
def test_pauses_only_reduce_and_paused_time_never_counts(
    data: st.DataObject, start: datetime, kind: ClockKind
) -> None:
    end = data.draw(near(start))
    paused = data.draw(pauses(start))
    extra = data.draw(pauses(start))
    whole = elapsed(start, end, kind)
    with_pauses = elapsed(start, end, kind, paused)
    assert timedelta() <= with_pauses <= whole
    assert elapsed(start, end, kind, paused + extra) <= with_pauses
    # what the pauses take away is exactly the counted time inside them
    inside = sum((elapsed(max(start, p), min(end, q), kind) for p, q in merge(paused)), timedelta())
    assert with_pauses + inside == whole


@given(st.data(), instants(), kinds, st.integers(0, 20 * 86400))
def test_deadline_is_the_inverse_of_elapsed(
    data: st.DataObject, start: datetime, kind: ClockKind, seconds: int
) -> None:
    limit = timedelta(seconds=seconds)
    paused = data.draw(pauses(start))
    due = deadline(start, limit, kind, paused)
    assert due >= start
    assert elapsed(start, due, kind, paused) == limit
    if limit > timedelta():  # and it is the first such instant
        assert elapsed(start, due - timedelta(microseconds=1), kind, paused) < limit


# ------------------------------------------------------------------ measure

T = Target(2 * H, CAL, warn_before=timedelta(minutes=30), escalate_every=H)
S = at(2026, 10, 20, 9)


@pytest.mark.parametrize(
    ("now", "state", "escalation"),
    [
        (S, TargetState.RUNNING, 0),
        (S + H, TargetState.RUNNING, 0),
        (S + timedelta(minutes=89, seconds=59), TargetState.RUNNING, 0),
        (S + timedelta(minutes=90), TargetState.WARNING, 0),  # 30 min left: the warning
        (S + 2 * H - timedelta(seconds=1), TargetState.WARNING, 0),
        (S + 2 * H, TargetState.BREACHED, 1),  # exactly at the limit
        (S + 3 * H - timedelta(seconds=1), TargetState.BREACHED, 1),
        (S + 3 * H, TargetState.BREACHED, 2),  # one escalate_every later
        (S + 5 * H + timedelta(minutes=30), TargetState.BREACHED, 4),
    ],
)
def test_measure_runs_warns_and_breaches_at_the_limit(
    now: datetime, state: TargetState, escalation: int
) -> None:
    c = measure("first response", T, S, now)
    assert (c.state, c.escalation) == (state, escalation)
    assert c.due_at == S + 2 * H
    assert c.used == now - S and c.limit == 2 * H and not c.estimated


def test_measure_of_a_done_target_is_met_within_the_limit_and_never_escalates() -> None:
    met = measure("x", T, S, S + 10 * H, done_at=S + 2 * H)
    assert (met.state, met.used, met.escalation) == (TargetState.MET, 2 * H, 0)
    late = measure("x", T, S, S + 10 * H, done_at=S + 2 * H + timedelta(seconds=1))
    assert (late.state, late.escalation) == (TargetState.BREACHED, 0)


def test_a_pause_moves_the_deadline_and_the_breach() -> None:
    paused = [(S + timedelta(minutes=30), S + H)]
    c = measure("x", T, S, S + 2 * H, pauses=paused)
    assert (c.used, c.state, c.due_at) == (
        timedelta(minutes=90),
        TargetState.WARNING,
        S + 150 * H / 60,
    )
    assert measure("x", T, S, S + 150 * H / 60, pauses=paused).state is TargetState.BREACHED
    # an open pause (pending on the customer now) stops the clock until now
    pending = [(S + H, S + 5 * H)]
    c = measure("x", T, S, S + 5 * H, pauses=pending)
    assert (c.used, c.state) == (H, TargetState.RUNNING)


def test_a_working_day_clock_breaches_after_the_holiday() -> None:
    t = Target(D, WORK, warn_before=4 * H)
    start = at(2026, 9, 30, 12)
    assert measure("r", t, start, at(2026, 10, 7, 23, 59)).state is TargetState.RUNNING
    assert measure("r", t, start, at(2026, 10, 8, 8)).state is TargetState.WARNING
    assert measure("r", t, start, at(2026, 10, 8, 11, 59, 59)).state is TargetState.WARNING
    c = measure("r", t, start, at(2026, 10, 8, 12))
    assert (c.state, c.escalation, c.due_at) == (TargetState.BREACHED, 1, at(2026, 10, 8, 12))


@given(
    limit=st.integers(1, 10 * 86400),
    warn=st.integers(0, 10 * 86400),
    every=st.integers(60, 3 * 86400),
    used=st.integers(0, 30 * 86400),
)
def test_measure_state_and_escalation_follow_the_used_time(
    limit: int, warn: int, every: int, used: int
) -> None:
    sec = timedelta(seconds=1)
    target = Target(limit * sec, CAL, warn * sec, every * sec)
    c = measure("x", target, S, S + used * sec)
    assert c.used == used * sec and c.due_at == S + limit * sec
    if used >= limit:
        assert c.state is TargetState.BREACHED
        assert c.escalation == 1 + (used - limit) // every
    else:
        assert c.state is (TargetState.WARNING if limit - used <= warn else TargetState.RUNNING)
        assert c.escalation == 0


# ------------------------------------------------------------------ policies as data

TARGETS = """
first_response = { limit = "1h" }
next_update = { limit = "1d" }
resolution = { limit = "5d", clock = "working-days" }
"""


def policy(header: str, first: str = "1h") -> str:
    targets = TARGETS.replace('"1h"', f'"{first}"')
    return f"[[policy]]\n{header}\n{targets}\n"


def errors_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as e:
        sla.parse_policies(text, "sla.toml")
    assert e.value.source == "sla.toml"
    return [str(r) for r in e.value.errors]


def test_the_bundled_policy_parses_and_covers_every_ticket() -> None:
    rules = sla.default_policies()
    for category in Category:
        for priority in Priority:
            p = rules.for_ticket(category.value, priority.value)
            assert p.resolution.clock is WORK
    assert rules.for_ticket("network", "urgent").first_response.limit == timedelta(minutes=30)
    assert rules.for_ticket("network", "low").resolution.limit == 10 * D


def test_a_missing_target_is_named_by_its_key_path() -> None:
    text = policy('priority = "urgent"') + '[[policy]]\nfirst_response = { limit = "1h" }\n'
    errs = errors_of(text)
    assert [e.split(":")[0] for e in errs] == ["policy[1].next_update", "policy[1].resolution"]


@pytest.mark.parametrize(
    ("target", "bad", "where"),
    [
        ('first_response = { limit = "5x" }', "5x", "policy[0].first_response"),
        ('first_response = { limit = "1.5h" }', "1.5h", "policy[0].first_response"),
        (
            'first_response = { limit = "1h", warn_before = "soon" }',
            "soon",
            "policy[0].first_response",
        ),
        ('first_response = { warn_before = "1h" }', "limit", "policy[0].first_response"),
        ('first_response = { limit = "1h", clock = "weeks" }', "weeks", "policy[0].first_response"),
        ('first_response = "1h"', "missing", "policy[0].first_response"),
    ],
)
def test_a_bad_target_is_named_by_its_key_path(target: str, bad: str, where: str) -> None:
    text = "[[policy]]\n" + target + "\n" + TARGETS.split("\n", 2)[2]
    errs = errors_of(text)
    assert len(errs) == 1
    assert errs[0].startswith(where + ":") and bad in errs[0]


def test_every_problem_is_reported_at_once() -> None:
    text = policy("", first="0.5h") + policy('category = "roaming"', first="x") + "[[policy]]\n"
    errs = errors_of(text)
    assert [e.split(":")[0] for e in errs] == [
        "policy[0].first_response",
        "policy[1].first_response",
        "policy[2].first_response",
        "policy[2].next_update",
        "policy[2].resolution",
    ]


def test_broken_toml_is_a_catalog_error() -> None:
    assert errors_of("[[policy]\n")[0].startswith("toml:")


@pytest.mark.parametrize(
    "text",
    [
        "policy = 3\n",  # not an array of tables
        '[policy]\nfirst_response = { limit = "1h" }\n',  # one table, not [[policy]]
        'policy = ["urgent"]\n',
    ],
)
def test_a_policy_that_is_not_an_array_of_tables_is_a_catalog_error(text: str) -> None:
    errs = errors_of(text)
    assert errs and errs[0].startswith("policy")


CATEGORIES = [x.value for x in Category]
PRIORITIES = [x.value for x in Priority]


@pytest.mark.parametrize(
    ("header", "where"),
    [
        ('category = "billing"', "policy[0].category"),  # the category is "billing-dispute"
        ('priority = "hgih"', "policy[0].priority"),
    ],
)
def test_an_unknown_category_or_priority_is_named(header: str, where: str) -> None:
    # a rule for a category no ticket has would never match: it is a mistake in the file
    text = policy(header) + policy("")
    with pytest.raises(CatalogError) as e:
        sla.parse_policies(text, "sla.toml", categories=CATEGORIES, priorities=PRIORITIES)
    assert [r.where for r in e.value.errors] == [where]
    assert e.value.kind == "SLA policy"
    with pytest.raises(CatalogError) as e:  # the center's policy is checked the same way
        care.set_policy(MemoryStore(), text, "sla.toml")
    assert [r.where for r in e.value.errors] == [where]


def test_an_unknown_key_of_a_policy_is_named() -> None:
    errs = errors_of(policy('categroy = "network"'))
    assert [e.split(":")[0] for e in errs] == ["policy[0].categroy"]


def test_an_unknown_key_of_a_target_is_named_like_in_the_catalog() -> None:
    # a misspelt warn_before would silently mean no warning at all
    text = "[[policy]]\n" + TARGETS.replace('limit = "1h"', 'limit = "1h", warn_befor = "10m"')
    errs = errors_of(text)
    assert [e.split(":")[0] for e in errs] == ["policy[0].first_response.warn_befor"]


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ('{ limit = "0m" }', "more than 0"),
        ('{ limit = "1h", escalate_every = "0h" }', "more than 0"),
        ('{ limit = "1h", warn_before = "1h" }', "shorter than the limit"),
        ('{ limit = "1h", warn_before = "2h" }', "shorter than the limit"),
        ('{ limit = "²h" }', "duration"),  # a digit str.isdigit accepts and int() refuses
    ],
)
def test_limits_that_make_no_sense_are_named(target: str, why: str) -> None:
    text = "[[policy]]\n" + TARGETS.replace('{ limit = "1h" }', target)
    errs = errors_of(text)
    assert len(errs) == 1 and errs[0].startswith("policy[0].first_response:") and why in errs[0]


def test_a_policy_file_without_policies_is_refused() -> None:
    assert errors_of("# nothing\n")[0].startswith("policy:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", 30 * timedelta(minutes=1)), ("4h", 4 * H), ("5d", 5 * D), (" 2h ", 2 * H)],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert sla.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "h", "30", "1.5h", "-1h", "+1h", "1w", "1 h", "²h", "1H"])
def test_a_bad_duration_is_an_invalid_value(text: str) -> None:
    with pytest.raises(InvalidValue, match="duration"):
        sla.parse_duration(text)


def test_the_most_specific_policy_wins_wherever_it_is_in_the_file() -> None:
    text = (
        policy("", first="9h")
        + policy('priority = "urgent"', first="2h")
        + policy('category = "network"', first="3h")
        + policy('category = "network"\npriority = "urgent"', first="1m")
    )
    rules = sla.parse_policies(text)

    def first(cat: str, pri: str) -> timedelta:
        return rules.for_ticket(cat, pri).first_response.limit

    assert first("network", "urgent") == timedelta(minutes=1)  # category and priority
    assert first("network", "low") == 3 * H  # category
    assert first("roaming", "urgent") == 2 * H  # priority
    assert first("roaming", "low") == 9 * H  # catch-all
    # the bundled policy: a suggestion's category rule beats the urgent priority rule
    assert sla.default_policies().for_ticket("suggestion", "urgent").resolution.limit == 10 * D


def test_no_matching_policy_is_an_invalid_value() -> None:
    rules = sla.parse_policies(policy('priority = "urgent"'))
    with pytest.raises(InvalidValue, match="network/low"):
        rules.for_ticket("network", "low")


def test_set_policy_refuses_a_policy_that_leaves_tickets_without_one() -> None:
    store = MemoryStore()
    with pytest.raises(CatalogError, match="no rule for network / high"):
        care.set_policy(store, policy('priority = "urgent"'), "partial.toml")
    assert store.setting(care.SLA_POLICY) is None
    assert care.policies(store) == sla.default_policies()
    text = policy("", first="7h")
    assert (
        care.set_policy(store, text, "all.toml").for_ticket("roaming", "low").first_response.limit
        == 7 * H
    )
    assert care.policies(store).for_ticket("network", "urgent").first_response.limit == 7 * H
