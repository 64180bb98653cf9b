"""The contact center's service commitments as KPIs, and Erlang C staffing.

The 10010 guide commits the center to 24-hour service, inquiries handled at once,
consultations within 5 minutes, a time limit for a manual answer and an average manual
connection rate above 85%. Each KPI here is a function over records — contacts
(`contacts.ContactRecord`), tickets (`complaints.Ticket`) and return-visit tasks
(`visits.Task`) — with its formula in its docstring, so that anyone can recount it by hand from
the same records. `report` computes them all for a period and as a daily or weekly series.

How contacts are classified (every contact is exactly one of these):

- *answered by the IVR*: self-service; the customer never asked for an agent;
- *answered by an agent*;
- *abandoned*: the customer left before any answer;
- *unanswered*: ended without an answer and not left by the customer (the system ended it:
  queue full, out of hours, dropped).

A contact **asked for an agent** unless the IVR answered it: a customer who reached the
agent queue was answered by an agent, abandoned, or was ended unanswered — the IVR never
answered them. (A customer who uses the IVR and then asks for an agent is logged as one
contact, answered by the agent or not at all.)

Counts are exact integers (`Ratio`) and means exact decimals (`Mean`); percentages are
rounded half-up to 2 places for display only. Erlang C works in floats: its results are
probabilities and agent counts, never money.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import attrs

from unicom_cs.complaints import Ticket, TicketState, clocks
from unicom_cs.contacts import AnsweredBy, ContactRecord
from unicom_cs.errors import InvalidValue
from unicom_cs.period import SHANGHAI, as_instant
from unicom_cs.sla import SlaPolicies, TargetState, default_policies
from unicom_cs.visits import Task

#: The queue whose contacts are consultations (咨询), for the 5-minute commitment.
CONSULTATION: Final = "consultation"
CONSULTATION_LIMIT: Final = timedelta(minutes=5)
#: A contact from the same number on the same topic this soon after is a repeat (FCR).
REPEAT_WINDOW: Final = timedelta(days=7)
#: The service level's threshold and target: 80% answered within 20 seconds ("80/20").
ANSWER_WITHIN_S: Final = 20
SERVICE_LEVEL_TARGET: Final = Decimal(80)
#: The guide's goal: an average manual connection rate above 85%.
CONNECTION_GOAL: Final = Decimal(85)
_HOUR: Final = timedelta(hours=1)
_CENT: Final = Decimal("0.01")


def _rounded(part: Decimal, whole: int) -> Decimal | None:
    return None if whole == 0 else (part / whole).quantize(_CENT, ROUND_HALF_UP)


@attrs.frozen
class Ratio:
    """``part ÷ whole``, as counted. `percent` is ``100 × part ÷ whole`` rounded half-up to
    2 places, None when there was nothing to count (whole = 0)."""

    part: int
    whole: int
    percent: Decimal | None = attrs.field(
        default=attrs.Factory(lambda r: _rounded(Decimal(100 * r.part), r.whole), takes_self=True)
    )


@attrs.frozen
class Mean:
    """``total ÷ count``, as summed. `value` is rounded half-up to 2 places, None when there
    was nothing to average (count = 0)."""

    total: Decimal
    count: int
    value: Decimal | None = attrs.field(
        default=attrs.Factory(lambda m: _rounded(m.total, m.count), takes_self=True)
    )


def _mean(values: Iterable[Decimal]) -> Mean:
    total, count = Decimal(0), 0
    for v in values:
        total += v
        count += 1
    return Mean(total, count)


def _ratio(items: Iterable[bool]) -> Ratio:
    """How many of `items` are true, of how many."""
    part = whole = 0
    for ok in items:
        whole += 1
        part += ok
    return Ratio(part, whole)


def seconds(td: timedelta) -> Decimal:
    """A duration in seconds, exactly (microseconds kept)."""
    whole = Decimal(td.days * 86400 + td.seconds)
    return whole + Decimal(td.microseconds).scaleb(-6) if td.microseconds else whole


# ------------------------------------------------------------------ who answered


def asked_for_agent(c: ContactRecord) -> bool:
    """Every contact the IVR did not answer (see the module docstring)."""
    return c.answered_by is not AnsweredBy.IVR


def by_agent(c: ContactRecord) -> bool:
    return c.answered_by is AnsweredBy.AGENT


# ------------------------------------------------------------------ the contact KPIs


def manual_connection(contacts: Iterable[ContactRecord]) -> Ratio:
    """Manual connection rate (人工接通率); the guide's goal is above 85%.

    ``answered by an agent ÷ asked for an agent``, where a contact asked for an agent unless
    the IVR answered it: the denominator is agent-answered + abandoned + unanswered contacts.
    """
    return _ratio(by_agent(c) for c in contacts if asked_for_agent(c))


def answered_in_time(contacts: Iterable[ContactRecord], within_s: float = ANSWER_WITHIN_S) -> Ratio:
    """Service level: ``answered by an agent within `within_s` seconds ÷ (answered by an
    agent + abandoned)``; the usual target is 80% within 20 s.

    The contact-center convention of the tariff rules (§6): a contact answered at exactly
    `within_s` seconds (wait = answered_at − offered_at) is in time. An abandoned contact
    counts in the denominator however soon it was abandoned — even within the threshold —
    and never in the numerator. Unanswered contacts (ended by the system) and IVR answers are
    not counted.
    """
    limit = timedelta(seconds=within_s)
    return _ratio(
        c.wait is not None and c.wait <= limit for c in contacts if by_agent(c) or c.abandoned
    )


def speed_of_answer(contacts: Iterable[ContactRecord]) -> Mean:
    """Average speed of answer (ASA), in seconds: the mean of ``answered_at − offered_at``
    over the contacts answered by an agent."""
    return _mean(seconds(c.wait) for c in contacts if by_agent(c) and c.wait is not None)


def abandonment(contacts: Iterable[ContactRecord]) -> Ratio:
    """Abandonment rate: ``abandoned ÷ asked for an agent`` (the manual connection rate's
    denominator)."""
    return _ratio(c.abandoned for c in contacts if asked_for_agent(c))


def handle_time(contacts: Iterable[ContactRecord]) -> Mean:
    """Average handle time (AHT), in seconds: the mean of ``ended_at − answered_at`` over the
    contacts answered by an agent (talk and hold; the log has no after-call work)."""
    return _mean(
        seconds(c.handle_time) for c in contacts if by_agent(c) and c.handle_time is not None
    )


def consultations_in_time(
    contacts: Iterable[ContactRecord], limit: timedelta = CONSULTATION_LIMIT
) -> Ratio:
    """Consultations finished within 5 minutes: of the contacts in the ``consultation``
    queue, those answered (by the IVR or an agent) and ended at most `limit` after they were
    offered (``ended_at − offered_at ≤ 5 min``, the wait included). An abandoned or
    unanswered consultation counts in the denominator: the customer had no answer.
    """
    return _ratio(
        c.answered_by is not AnsweredBy.NONE
        and c.ended_at is not None
        and c.ended_at - c.offered_at <= limit
        for c in contacts
        if c.queue == CONSULTATION
    )


def _hour(instant: datetime) -> int:
    """The clock hour an instant falls in, as hours since the epoch. Beijing time's offset
    is a whole number of hours, so its clock hours are these."""
    return math.floor(as_instant(instant).timestamp() / 3600)


def _served_hours(contacts: Iterable[ContactRecord]) -> frozenset[int]:
    return frozenset(_hour(c.answered_at) for c in contacts if by_agent(c) and c.answered_at)


def _hours_ratio(served: frozenset[int], start: datetime, end: datetime) -> Ratio:
    first, last = _hour(start), _hour(end)  # hours [first, last): those that ended by `end`
    if as_instant(start).timestamp() % 3600:
        first += 1  # only whole hours count
    hours = range(first, max(first, last))
    return Ratio(sum(1 for h in hours if h in served), len(hours))


def hours_with_service(contacts: Iterable[ContactRecord], start: datetime, end: datetime) -> Ratio:
    """The 24-hour commitment: ``hours with service ÷ hours``, over the whole clock hours
    (Beijing time) between `start` and `end`. An hour has service when at least one contact
    was answered by an agent in it (its answered_at falls in the hour). An hour in which
    nobody called counts as without service: the KPI shows the hours the records prove
    staffed.
    """
    return _hours_ratio(_served_hours(contacts), start, end)


def _topic_key(c: ContactRecord) -> tuple[str, str] | None:
    return (c.msisdn, c.topic.casefold()) if c.msisdn and c.topic else None


class _Repeats:
    """The contacts' offer times by (number, topic), to find repeats with a binary search."""

    def __init__(self, contacts: Iterable[ContactRecord]) -> None:
        index: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        for c in contacts:
            key = _topic_key(c)
            if key is not None:
                index[key].append(as_instant(c.offered_at))
        for times in index.values():
            times.sort()
        self._index = index

    def repeated(self, c: ContactRecord, within: timedelta) -> bool:
        key = _topic_key(c)
        times = self._index.get(key, []) if key is not None else []
        at = as_instant(c.offered_at)
        i = bisect.bisect_right(times, at)
        return i < len(times) and times[i] <= at + within


def _fcr(judged: Iterable[ContactRecord], repeats: _Repeats, within: timedelta) -> Ratio:
    return _ratio(
        not repeats.repeated(c, within) for c in judged if by_agent(c) and _topic_key(c) is not None
    )


def first_contact_resolution(
    judged: Iterable[ContactRecord],
    everything: Iterable[ContactRecord] | None = None,
    within: timedelta = REPEAT_WINDOW,
) -> Ratio:
    """First-contact resolution (FCR): of the contacts answered by an agent that name a
    number (msisdn) and a topic, those after which no contact from the same number on the
    same topic (compared case-insensitively) was offered within 7 days —
    ``offered_at < repeat.offered_at ≤ offered_at + 7 days``. A repeat counts whatever became
    of it (answered, abandoned, IVR). Contacts without a number or topic cannot be judged
    and are left out.

    Args:
        judged: the contacts to judge (say, one day's).
        everything: where to look for repeats (default: `judged`); include the 7 days after
            the period, or the last days' FCR is too high.
    """
    judged = list(judged)
    return _fcr(judged, _Repeats(judged if everything is None else everything), within)


# ------------------------------------------------------------------ complaints and visits


def complaint_sla(
    tickets: Iterable[Ticket],
    start: datetime,
    end: datetime,
    now: datetime,
    policies: SlaPolicies | None = None,
) -> Ratio:
    """Complaint SLA compliance: ``tickets resolved within their resolution target ÷ tickets
    resolved``, over the tickets resolved (or resolved and closed) with resolved_at in
    [start, end), as they stand at `now` (a ticket reopened since is not resolved).

    The target is the ticket's category and priority's `resolution` clock
    (`complaints.clocks`, pauses on the customer left out) under `policies`, the bundled
    `sla.default_policies()` by default; it is met when that clock says ``met``.
    """
    rules = policies or default_policies()
    start, end = as_instant(start), as_instant(end)
    met = []
    for t in tickets:
        done = t.resolved_at
        if t.state not in (TicketState.RESOLVED, TicketState.CLOSED) or done is None:
            continue
        if not start <= done < end:
            continue
        policy = rules.for_ticket(t.category.value, t.priority.value)
        resolution = next(c for c in clocks(t, policy, now) if c.name == "resolution")
        met.append(resolution.state is TargetState.MET)
    return _ratio(met)


def _scores(tasks: Iterable[Task], start: datetime, end: datetime) -> Iterator[int]:
    """Each task's satisfaction score (its last scored attempt's) given in [start, end)."""
    start, end = as_instant(start), as_instant(end)
    for t in tasks:
        scored = [a for a in t.attempts if a.score is not None]
        if scored and start <= scored[-1].at < end and scored[-1].score is not None:
            yield scored[-1].score


def satisfaction(tasks: Iterable[Task], start: datetime, end: datetime) -> Mean:
    """Satisfaction: the mean score (1-5) of the return visits and outbound calls scored in
    [start, end). A task's score is its last scored attempt's (`visits.Task.score`), dated
    by that attempt."""
    return _mean(Decimal(s) for s in _scores(tasks, start, end))


def satisfied_share(tasks: Iterable[Task], start: datetime, end: datetime) -> Ratio:
    """The share of those scores that are 4 or 5: ``scores of 4-5 ÷ scores``."""
    return _ratio(s >= 4 for s in _scores(tasks, start, end))


# ------------------------------------------------------------------ the report


@attrs.frozen
class Goal:
    """A commitment a KPI is held to: `percent` at least, or above it when `strict`."""

    kpi: str
    percent: Decimal
    strict: bool = False

    def met(self, r: Ratio) -> bool | None:
        """Whether the exact ratio meets the goal (None with nothing counted)."""
        if r.whole == 0:
            return None
        share, bar = Decimal(100 * r.part), self.percent * r.whole
        return share > bar if self.strict else share >= bar

    def __str__(self) -> str:
        return f"{'>' if self.strict else '≥'} {self.percent}%"


@attrs.frozen
class KpiValues:
    """Every KPI over one span of days [start, end) in Beijing time."""

    start: date
    end: date
    offered: int
    answered_by_agent: int
    answered_by_ivr: int
    abandoned: int
    unanswered: int
    manual_connection: Ratio
    service_level: Ratio
    speed_of_answer_s: Mean
    abandonment: Ratio
    handle_time_s: Mean
    consultations_in_5_min: Ratio
    hours_with_service: Ratio
    first_contact_resolution: Ratio
    complaint_sla: Ratio
    satisfaction: Mean
    satisfied: Ratio


@attrs.frozen
class KpiReport:
    """The KPIs of the days [start, end) (Beijing time): the period's totals and a series by
    day or by ISO week (Monday to Sunday, cut at the period's ends).

    `final` is False while later records could still change it: until 7 days after the end
    (a repeat contact would lower FCR) — the hours with service count only hours already
    over at `now`.
    """

    start: date
    end: date
    by: str
    answer_within_s: int
    goals: tuple[Goal, ...]
    totals: KpiValues
    series: tuple[KpiValues, ...]
    final: bool


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


def _spans(start: date, end: date, by: str) -> list[tuple[date, date]]:
    out = []
    day = start
    while day < end:
        step = 1 if by == "day" else 7 - day.weekday()
        nxt = min(day + timedelta(days=step), end)
        out.append((day, nxt))
        day = nxt
    return out


def report(
    contacts: Iterable[ContactRecord],
    tickets: Iterable[Ticket],
    tasks: Iterable[Task],
    start: date,
    end: date,
    by: str = "day",
    *,
    now: datetime,
    answer_within_s: int = ANSWER_WITHIN_S,
    service_level_target: Decimal = SERVICE_LEVEL_TARGET,
    policies: SlaPolicies | None = None,
) -> KpiReport:
    """Every KPI for the days [start, end) and for each day (or week) of them.

    A contact belongs to the day it was offered (Beijing time), a ticket to the day it was
    resolved, a score to the day it was given. Contacts offered after the end are used only to
    find repeats (FCR); pass the 7 days after `end` too.

    Raises:
        InvalidValue: an empty or reversed period; `by` other than day or week; a negative
            threshold.
    """
    if end <= start:
        raise InvalidValue("period", f"{start} to {end}", "the end must be after the start")
    if by not in ("day", "week"):
        raise InvalidValue("series", by, "expected day or week")
    if answer_within_s < 0:
        raise InvalidValue("answer within", answer_within_s, "must not be negative (seconds)")
    now = as_instant(now)
    everything = sorted(contacts, key=lambda c: as_instant(c.offered_at))
    offered = [as_instant(c.offered_at) for c in everything]
    tickets, tasks = list(tickets), list(tasks)
    repeats = _Repeats(everything)
    served = _served_hours(everything)
    rules = policies or default_policies()

    def values(first: date, stop: date) -> KpiValues:
        a, b = _midnight(first), _midnight(stop)
        span = everything[bisect.bisect_left(offered, a) : bisect.bisect_left(offered, b)]
        agent = sum(1 for c in span if by_agent(c))
        ivr = sum(1 for c in span if c.answered_by is AnsweredBy.IVR)
        dropped = sum(1 for c in span if c.abandoned)
        return KpiValues(
            start=first,
            end=stop,
            offered=len(span),
            answered_by_agent=agent,
            answered_by_ivr=ivr,
            abandoned=dropped,
            unanswered=len(span) - agent - ivr - dropped,
            manual_connection=manual_connection(span),
            service_level=answered_in_time(span, answer_within_s),
            speed_of_answer_s=speed_of_answer(span),
            abandonment=abandonment(span),
            handle_time_s=handle_time(span),
            consultations_in_5_min=consultations_in_time(span),
            hours_with_service=_hours_ratio(served, a, min(b, max(a, now))),
            first_contact_resolution=_fcr(span, repeats, REPEAT_WINDOW),
            complaint_sla=complaint_sla(tickets, a, b, now, rules),
            satisfaction=satisfaction(tasks, a, b),
            satisfied=satisfied_share(tasks, a, b),
        )

    goals = (
        Goal("manual_connection", CONNECTION_GOAL, strict=True),
        Goal("service_level", Decimal(service_level_target)),
        Goal("hours_with_service", Decimal(100)),
    )
    return KpiReport(
        start=start,
        end=end,
        by=by,
        answer_within_s=answer_within_s,
        goals=goals,
        totals=values(start, end),
        series=tuple(values(a, b) for a, b in _spans(start, end, by)),
        final=now >= _midnight(end) + REPEAT_WINDOW,
    )


# ------------------------------------------------------------------ Erlang C staffing

#: The largest offered traffic the staffing functions take (a very large center).
MAX_TRAFFIC: Final = 100_000.0
#: The most agents the functions count up to (ten times the largest traffic).
MAX_AGENTS: Final = 1_000_000


def _number(what: str, value: float, *, low: float, high: float = math.inf) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidValue(what, value, "expected a finite number")
    if not low <= value <= high:
        bound = f"from {low:g} to {high:g}" if math.isfinite(high) else f"at least {low:g}"
        raise InvalidValue(what, value, f"expected {bound}")
    return float(value)


def _agents(agents: int) -> int:
    if not isinstance(agents, int) or isinstance(agents, bool) or not 1 <= agents <= MAX_AGENTS:
        raise InvalidValue("agents", agents, f"expected a whole number from 1 to {MAX_AGENTS:,}")
    return agents


def _erlang_b(traffic: float) -> Iterator[tuple[int, float]]:
    """(n, Erlang B for n servers) for n = 1, 2, …: B₀ = 1, Bₙ = A·Bₙ₋₁ ÷ (n + A·Bₙ₋₁).
    The recurrence never forms Aⁿ or n!, so it neither overflows nor loses precision."""
    b, n = 1.0, 0
    while True:
        n += 1
        b = traffic * b / (n + traffic * b)
        yield n, b


def _erlang_c_from_b(traffic: float, n: int, b: float) -> float:
    if n <= traffic:
        return 1.0
    return n * b / (n - traffic * (1 - b))


def _service_level(traffic: float, n: int, c: float, aht: float, within: float) -> float:
    if n <= traffic:
        return 0.0
    return 1 - c * math.exp(-(n - traffic) * within / aht)


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """Erlang C: the probability that a contact has to wait, with `agents` agents and
    `traffic_erlangs` erlangs offered (calls per hour × AHT in hours).

    ``C = N·B ÷ (N − A·(1 − B))`` with B the Erlang B blocking probability for N servers,
    computed by its stable recurrence (`_erlang_b`). With N ≤ A the queue grows without
    bound and every contact waits: 1.0. In floats (a probability, not money).

    Raises:
        InvalidValue: traffic negative, not finite or above `MAX_TRAFFIC`; agents < 1.
    """
    a = _number("traffic (erlangs)", traffic_erlangs, low=0, high=MAX_TRAFFIC)
    n = _agents(agents)
    for i, b in _erlang_b(a):
        if i == n:
            return _erlang_c_from_b(a, n, b)
    raise AssertionError("unreachable")  # pragma: no cover


def service_level(
    traffic_erlangs: float, agents: int, aht_seconds: float, answer_within_s: float = 20
) -> float:
    """The share (0 to 1) of contacts answered within `answer_within_s` seconds:
    ``SL = 1 − C·e^(−(N − A)·t ÷ AHT)``; 0.0 when N ≤ A (the queue never empties).

    Raises:
        InvalidValue: as `erlang_c`; AHT not positive; a negative threshold.
    """
    aht = _number("AHT (seconds)", aht_seconds, low=1e-9)
    within = _number("answer within (seconds)", answer_within_s, low=0)
    c = erlang_c(traffic_erlangs, agents)
    return _service_level(float(traffic_erlangs), agents, c, aht, within)


def average_speed_of_answer(traffic_erlangs: float, agents: int, aht_seconds: float) -> float:
    """The mean wait in seconds, ``C·AHT ÷ (N − A)``; infinite when N ≤ A."""
    aht = _number("AHT (seconds)", aht_seconds, low=1e-9)
    c = erlang_c(traffic_erlangs, agents)
    return math.inf if agents <= traffic_erlangs else c * aht / (agents - traffic_erlangs)


def _traffic(calls_per_hour: float, aht_seconds: float) -> tuple[float, float]:
    calls = _number("calls per hour", calls_per_hour, low=0)
    aht = _number("AHT (seconds)", aht_seconds, low=1e-9, high=86_400)
    traffic = calls * aht / 3600
    if traffic > MAX_TRAFFIC:
        raise InvalidValue(
            "traffic", f"{traffic:g} erlangs", f"above {MAX_TRAFFIC:g} erlangs: too large"
        )
    return traffic, aht


def agents_needed(
    calls_per_hour: float,
    aht_seconds: float,
    target_percent: float,
    answer_within_s: float = 20,
) -> int:
    """The fewest agents whose Erlang C service level (`service_level`) is at least
    `target_percent` % within `answer_within_s` seconds. Traffic A = calls per hour × AHT ÷
    3600 erlangs; no calls need no agents.

    Raises:
        InvalidValue: calls negative; AHT not positive or above a day; a target outside
            (0, 100); a negative threshold.
    """
    traffic, aht = _traffic(calls_per_hour, aht_seconds)
    target = _number("target (%)", target_percent, low=0)
    if not 0 < target < 100:
        raise InvalidValue("target (%)", target_percent, "expected more than 0 and less than 100")
    within = _number("answer within (seconds)", answer_within_s, low=0)
    if traffic == 0:
        return 0
    for n, b in _erlang_b(traffic):
        sl = _service_level(traffic, n, _erlang_c_from_b(traffic, n, b), aht, within)
        if sl * 100 >= target:
            return n
    raise AssertionError("unreachable")  # pragma: no cover: SL tends to 1


@attrs.frozen
class Staffing:
    """What `agents_needed` found, with the figures an agent plan shows (floats)."""

    calls_per_hour: float
    aht_s: float
    target_percent: float
    answer_within_s: float
    traffic_erlangs: float
    agents: int
    service_level_percent: float
    wait_probability: float
    average_speed_of_answer_s: float
    occupancy_percent: float
    one_fewer_service_level_percent: float | None  # None with 0 or 1 agents


def staffing(
    calls_per_hour: float,
    aht_seconds: float,
    target_percent: float,
    answer_within_s: float = 20,
) -> Staffing:
    """`agents_needed`, and its service level, wait probability, ASA and occupancy (A ÷ N)."""
    n = agents_needed(calls_per_hour, aht_seconds, target_percent, answer_within_s)
    traffic, aht = _traffic(calls_per_hour, aht_seconds)
    if n == 0:
        return Staffing(
            calls_per_hour, aht, target_percent, answer_within_s, 0.0, 0, 100.0, 0.0, 0.0, 0.0, None
        )
    fewer = None if n == 1 else 100 * service_level(traffic, n - 1, aht, answer_within_s)
    return Staffing(
        calls_per_hour=calls_per_hour,
        aht_s=aht,
        target_percent=target_percent,
        answer_within_s=answer_within_s,
        traffic_erlangs=traffic,
        agents=n,
        service_level_percent=100 * service_level(traffic, n, aht, answer_within_s),
        wait_probability=erlang_c(traffic, n),
        average_speed_of_answer_s=average_speed_of_answer(traffic, n, aht),
        occupancy_percent=100 * traffic / n,
        one_fewer_service_level_percent=fewer,
    )
