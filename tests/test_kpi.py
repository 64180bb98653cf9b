"""The KPIs, each recounted by hand on a small contact set (the arithmetic is in the comments),
and Erlang C against published values, an exact oracle and its monotonicity."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from unicom_cs import complaints as c
from unicom_cs import kpi
from unicom_cs.complaints import Category, Ticket
from unicom_cs.contacts import AnsweredBy, ContactRecord, check_contact
from unicom_cs.errors import InvalidValue
from unicom_cs.kpi import Mean, Ratio
from unicom_cs.period import SHANGHAI
from unicom_cs.sla import parse_policies
from unicom_cs.visits import AttemptOutcome, Task, TaskKind, new_task, record_attempt

S = timedelta(seconds=1)


def at(m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(2026, m, d, h, mi, s, tzinfo=SHANGHAI)


def contact(
    cid: str,
    offered: datetime,
    how: str = "agent",
    *,
    wait: int = 0,
    talk: int = 0,
    queue: str = "business",
    msisdn: str = "",
    topic: str = "",
) -> ContactRecord:
    """A checked contact: answered by an agent or the IVR after `wait` s and `talk` s long, or
    abandoned / unanswered `wait` s after it was offered."""
    answered = offered + wait * S if how in ("agent", "ivr") else None
    by = {"agent": AnsweredBy.AGENT, "ivr": AnsweredBy.IVR}.get(how, AnsweredBy.NONE)
    return check_contact(
        ContactRecord(
            cid,
            "phone",
            queue,
            offered,
            answered,
            (answered + talk * S) if answered else offered + wait * S,
            by,
            "A01" if how == "agent" else "",
            how == "abandoned",
            msisdn,
            "",
            topic,
        )
    )


A, B, C, D, E = "18600000001", "18600000002", "18600000003", "18600000004", "18600000005"
# The period: Monday 12 to Wednesday 14 October 2026 (Beijing time), 72 hours.
C1 = contact("c1", at(10, 12, 9), wait=10, talk=120, queue="consultation", msisdn=A, topic="bal")
C2 = contact("c2", at(10, 12, 9, 30), wait=20, talk=300, msisdn=B, topic="plan")
C3 = contact("c3", at(10, 12, 10), wait=45, talk=600, queue="complaint", msisdn=C, topic="net")
C4 = contact("c4", at(10, 12, 10, 10), "abandoned", wait=5, queue="consultation", msisdn=D)
C5 = contact("c5", at(10, 12, 11), "ivr", wait=1, talk=60, queue="consultation", msisdn=E)
C6 = contact("c6", at(10, 14, 8), wait=5, talk=400, queue="consultation", msisdn=A, topic="BAL")
C7 = contact("c7", at(10, 12, 23, 30), "unanswered", wait=300, msisdn=E)
# After the period: only a repeat to look for. C3's number and topic, 8 days on.
C8 = contact("c8", at(10, 20, 10), wait=3, talk=30, queue="complaint", msisdn=C, topic="net")
PERIOD = [C1, C2, C3, C4, C5, C6, C7]
# Answered by an agent: c1 c2 c3 c6 (4). IVR: c5. Abandoned: c4. Unanswered: c7.
# Asked for an agent: everything but c5, 6.


def test_manual_connection_rate_is_agent_answers_over_contacts_that_asked_for_one() -> None:
    # 4 answered by an agent ÷ 6 not answered by the IVR = 66.67%
    assert kpi.manual_connection(PERIOD) == Ratio(4, 6, Decimal("66.67"))


def test_service_level_counts_abandoned_contacts_in_the_denominator_only() -> None:
    # in time (≤ 20 s): c1 10 s, c2 20 s (exactly at the threshold), c6 5 s = 3; c3 (45 s) not.
    # denominator: 4 agent answers + 1 abandoned (c4, after only 5 s) = 5; c5 IVR, c7 out.
    assert kpi.answered_in_time(PERIOD) == Ratio(3, 5, Decimal("60.00"))
    # with 10 s: c1, c6 = 2 of 5
    assert kpi.answered_in_time(PERIOD, 10) == Ratio(2, 5)


def test_average_speed_of_answer_is_the_mean_wait_of_agent_answers() -> None:
    # (10 + 20 + 45 + 5) ÷ 4 = 80 ÷ 4 = 20 s; the IVR's 1 s does not count
    assert kpi.speed_of_answer(PERIOD) == Mean(Decimal(80), 4, Decimal("20.00"))


def test_abandonment_rate_is_abandoned_over_contacts_that_asked_for_an_agent() -> None:
    # 1 (c4) ÷ 6 = 16.67%
    assert kpi.abandonment(PERIOD) == Ratio(1, 6, Decimal("16.67"))


def test_average_handle_time_is_the_mean_of_answered_to_ended_for_agents() -> None:
    # (120 + 300 + 600 + 400) ÷ 4 = 1420 ÷ 4 = 355 s
    assert kpi.handle_time(PERIOD) == Mean(Decimal(1420), 4, Decimal("355.00"))


def test_consultations_count_if_answered_and_ended_within_5_minutes_of_the_offer() -> None:
    # consultation queue: c1 (10 + 120 = 130 s ✓), c4 (abandoned ✗), c5 (IVR, 61 s ✓),
    # c6 (5 + 400 = 405 s ✗) → 2 ÷ 4
    assert kpi.consultations_in_time(PERIOD) == Ratio(2, 4, Decimal("50.00"))


def test_a_consultation_ending_exactly_at_5_minutes_is_in_time() -> None:
    exact = contact("x", at(10, 12, 9), wait=60, talk=240, queue="consultation")
    late = contact("y", at(10, 12, 9), wait=60, talk=241, queue="consultation")
    assert kpi.consultations_in_time([exact, late]) == Ratio(1, 2)


def test_hours_with_service_are_the_clock_hours_in_which_an_agent_answered() -> None:
    # agent answers at 12th 09:00:10 and 09:30:20 (one hour), 10:00:45, 14th 08:00:05: 3 of 72
    assert kpi.hours_with_service(PERIOD, at(10, 12), at(10, 15)) == Ratio(3, 72, Decimal("4.17"))
    # the IVR's answer (c5, 11:00:01) and an abandoned contact do not give service
    assert kpi.hours_with_service([C4, C5], at(10, 12), at(10, 13)) == Ratio(0, 24)
    # only whole hours: 09:30 to 11:15 holds the hour 10-11 alone
    assert kpi.hours_with_service(PERIOD, at(10, 12, 9, 30), at(10, 12, 11, 15)) == Ratio(1, 1)


def test_first_contact_resolution_looks_for_a_repeat_within_7_days() -> None:
    # judged: agent answers with a number and a topic: c1 c2 c3 c6.
    # c1 (A, "bal"): c6 is A, "BAL" (same topic, any case) 2 days later → a repeat ✗
    # c2 ✓; c3: its repeat c8 comes 8 days later ✓; c6 ✓ → 3 ÷ 4
    assert kpi.first_contact_resolution(PERIOD, [*PERIOD, C8]) == Ratio(3, 4, Decimal("75.00"))


def test_a_repeat_exactly_7_days_later_counts_and_any_outcome_is_a_repeat() -> None:
    later = contact("r", C3.offered_at + timedelta(days=7), "abandoned", msisdn=C, topic="net")
    assert kpi.first_contact_resolution([C3], [C3, later]) == Ratio(0, 1)
    just_after = contact("s", later.offered_at + S, "abandoned", msisdn=C, topic="net")
    assert kpi.first_contact_resolution([C3], [C3, just_after]) == Ratio(1, 1)


def test_contacts_without_a_number_or_topic_are_not_judged_for_fcr() -> None:
    assert kpi.first_contact_resolution([C4, C5, C7]) == Ratio(0, 0, None)


def test_an_empty_set_has_no_values_rather_than_zeros() -> None:
    assert kpi.manual_connection([]).percent is None
    assert kpi.speed_of_answer([]).value is None


# ------------------------------------------------------------------------------ the report


def test_the_report_totals_and_daily_series_recount_the_same_records() -> None:
    report = kpi.report(
        [C8, *reversed(PERIOD)], [], [], date(2026, 10, 12), date(2026, 10, 15), now=at(10, 30)
    )
    t = report.totals
    assert (t.offered, t.answered_by_agent, t.answered_by_ivr, t.abandoned, t.unanswered) == (
        7,
        4,
        1,
        1,
        1,
    )
    assert t.manual_connection == Ratio(4, 6)
    assert t.service_level == Ratio(3, 5)
    assert t.speed_of_answer_s == Mean(Decimal(80), 4)
    assert t.handle_time_s == Mean(Decimal(1420), 4)
    assert t.hours_with_service == Ratio(3, 72)
    assert t.first_contact_resolution == Ratio(3, 4)  # c8 found though outside the period
    assert t.complaint_sla == Ratio(0, 0) and t.satisfaction == Mean(Decimal(0), 0)
    assert [(s.start, s.end, s.offered) for s in report.series] == [
        (date(2026, 10, 12), date(2026, 10, 13), 6),
        (date(2026, 10, 13), date(2026, 10, 14), 0),
        (date(2026, 10, 14), date(2026, 10, 15), 1),
    ]
    monday, tuesday, _ = report.series
    # Monday: agent c1 c2 c3 of asked c1 c2 c3 c4 c7; in time c1 c2 of c1 c2 c3 c4
    assert (monday.manual_connection, monday.service_level) == (Ratio(3, 5), Ratio(2, 4))
    assert tuesday.manual_connection.percent is None
    assert report.final  # 30 October is 7 days after the end
    assert [(g.kpi, g.met(getattr(t, g.kpi))) for g in report.goals] == [
        ("manual_connection", False),
        ("service_level", False),
        ("hours_with_service", False),
    ]


def test_the_goals_compare_the_exact_ratio() -> None:
    above = kpi.Goal("manual_connection", Decimal(85), strict=True)
    assert above.met(Ratio(17, 20)) is False  # exactly 85% is not above 85%
    assert above.met(Ratio(171, 200)) is True  # 85.5%
    assert above.met(Ratio(0, 0)) is None
    assert kpi.Goal("service_level", Decimal(80)).met(Ratio(4, 5)) is True  # 80% is at least 80%
    assert str(above) == "> 85%"


def test_weeks_run_monday_to_sunday_cut_at_the_period_ends() -> None:
    report = kpi.report(
        PERIOD, [], [], date(2026, 10, 8), date(2026, 10, 20), "week", now=at(11, 1)
    )
    assert [(s.start, s.end) for s in report.series] == [
        (date(2026, 10, 8), date(2026, 10, 12)),  # Thursday to Sunday
        (date(2026, 10, 12), date(2026, 10, 19)),
        (date(2026, 10, 19), date(2026, 10, 20)),
    ]
    assert [s.offered for s in report.series] == [0, 7, 0]


def test_a_report_before_the_period_is_over_counts_only_hours_gone_by_and_is_not_final() -> None:
    report = kpi.report(
        PERIOD, [], [], date(2026, 10, 12), date(2026, 10, 13), now=at(10, 12, 10, 30)
    )
    # whole hours by 10:30: 00-01 … 09-10 = 10; with an agent answer: 09-10 (c3's is at 10:00:45)
    assert report.totals.hours_with_service == Ratio(1, 10)
    assert not report.final


@pytest.mark.parametrize(
    ("start", "end", "by", "within", "message"),
    [
        (date(2026, 10, 12), date(2026, 10, 12), "day", 20, "the end must be after the start"),
        (date(2026, 10, 12), date(2026, 10, 13), "month", 20, "invalid series 'month'"),
        (date(2026, 10, 12), date(2026, 10, 13), "day", -1, "must not be negative"),
    ],
)
def test_a_bad_report_request_names_what_is_wrong(
    start: date, end: date, by: str, within: int, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        kpi.report([], [], [], start, end, by, now=at(11, 1), answer_within_s=within)


# ----------------------------------------------------------- complaints and return visits


def resolved(
    filed: datetime,
    done: datetime,
    *,
    pause: tuple[datetime, datetime] | None = None,
    tid: str = "t",
) -> Ticket:
    t = c.file_ticket(tid, Category.NETWORK, "no signal", "A01", filed)
    if pause is not None:
        t = c.resume(c.pend(t, "A01", pause[0], "a test call"), "A01", pause[1])
    return c.resolve(t, "A01", done, "fixed")


def test_complaint_sla_compliance_counts_tickets_resolved_in_the_period() -> None:
    # Normal priority: 5 working days (120 h of working-day time). November 2026 has no holiday.
    met = resolved(at(11, 2, 9), at(11, 6, 12), tid="t1")  # Mon 9:00 → Fri 12:00 = 99 h ✓
    late = resolved(at(11, 2, 9), at(11, 11, 10), tid="t2")  # due Mon 9 Nov 9:00 ✗
    paused = resolved(  # 1 h, then pending a week (not counted), then 23 h = 24 h ✓
        at(11, 2, 9), at(11, 10, 9), pause=(at(11, 2, 10), at(11, 9, 10)), tid="t3"
    )
    reopened = c.reopen(resolved(at(11, 2, 9), at(11, 3, 9), tid="t4"), "A01", at(11, 4), "again")
    outside = resolved(at(11, 2, 9), at(11, 20, 9), tid="t5")  # resolved after the period
    open_ = c.file_ticket("t6", Category.NETWORK, "slow data", "A01", at(11, 3))
    tickets = [met, late, paused, reopened, outside, open_]
    # resolved in [2 Nov, 16 Nov): t1 ✓ t2 ✗ t3 ✓ → 2 ÷ 3
    assert kpi.complaint_sla(tickets, at(11, 2), at(11, 16), at(11, 30)) == Ratio(2, 3)
    closed = c.record_visit(met, "A02", at(11, 7), c.VisitOutcome.SATISFIED, score=5)
    assert kpi.complaint_sla([closed], at(11, 2), at(11, 16), at(11, 30)) == Ratio(1, 1)


def test_complaint_sla_follows_the_policy_it_is_given() -> None:
    one_day = parse_policies(
        '[[policy]]\nfirst_response = { limit = "1h" }\nnext_update = { limit = "1d" }\n'
        'resolution = { limit = "1d", clock = "working-days" }\n'
    )
    met = resolved(at(11, 2, 9), at(11, 6, 12))  # 99 h > 24 h
    assert kpi.complaint_sla([met], at(11, 2), at(11, 16), at(11, 30), one_day) == Ratio(0, 1)


def visit(tid: str, *calls: tuple[datetime, int | None]) -> Task:
    task = new_task(tid, TaskKind.COMPLAINT_FOLLOW_UP, A, at(11, 2), at(11, 1), ticket_id="t")
    for n, (when, score) in enumerate(calls, 1):
        outcome = AttemptOutcome.UNREACHABLE if score is None else AttemptOutcome.REACHED
        task = record_attempt(task, "A02", when, outcome, score=score, done=n == len(calls))
    return task


def test_satisfaction_is_the_mean_score_and_the_share_of_4_and_5() -> None:
    tasks = [
        visit("v1", (at(11, 3), 5)),
        visit("v2", (at(11, 3), 1), (at(11, 4), 4)),  # the last score counts: 4, on the 4th
        visit("v3", (at(11, 5), 2)),
        visit("v4", (at(11, 20), 3)),  # after the period
        visit("v5", (at(11, 5), None)),  # never reached: no score
    ]
    # (5 + 4 + 2) ÷ 3 = 3.67; 4-5: v1, v2 → 2 ÷ 3
    assert kpi.satisfaction(tasks, at(11, 2), at(11, 16)) == Mean(Decimal(11), 3, Decimal("3.67"))
    assert kpi.satisfied_share(tasks, at(11, 2), at(11, 16)) == Ratio(2, 3, Decimal("66.67"))
    report = kpi.report([], [], tasks, date(2026, 11, 2), date(2026, 11, 16), "week", now=at(12, 1))
    assert [s.satisfaction.count for s in report.series] == [3, 0]


# ------------------------------------------------------------------------------ properties

OFFERS = st.builds(
    lambda n, minute, how, wait, talk, who, topic: contact(
        f"x{n}",
        at(10, 12) + timedelta(minutes=minute),
        how,
        wait=wait,
        talk=talk,
        queue="consultation" if n % 2 else "business",
        msisdn=who,
        topic=topic,
    ),
    st.integers(0, 10**6),
    st.integers(0, 60 * 24 * 12),
    st.sampled_from(["agent", "ivr", "abandoned", "unanswered"]),
    st.integers(0, 120),
    st.integers(0, 900),
    st.sampled_from([A, B, ""]),
    st.sampled_from(["bal", "plan", ""]),
)


@given(st.lists(OFFERS, max_size=40, unique_by=lambda x: x.id), st.sampled_from(["day", "week"]))
def test_the_series_adds_up_to_the_totals(records: list[ContactRecord], by: str) -> None:
    report = kpi.report(records, [], [], date(2026, 10, 12), date(2026, 10, 22), by, now=at(11, 1))
    fields = [f.name for f in attrs.fields(kpi.KpiValues)]
    for name in fields:
        total = getattr(report.totals, name)
        parts = [getattr(s, name) for s in report.series]
        if isinstance(total, Ratio):
            assert (total.part, total.whole) == (
                sum(p.part for p in parts),
                sum(p.whole for p in parts),
            ), name
        elif isinstance(total, Mean):
            assert (total.total, total.count) == (
                sum((p.total for p in parts), Decimal(0)),
                sum(p.count for p in parts),
            ), name
        elif isinstance(total, int):
            assert total == sum(parts), name


# ------------------------------------------------------------------------------ Erlang C


# The classic worked example: 10 erlangs (100 calls in half an hour, 3-minute AHT) against
# published Erlang C tables: P(wait) 0.6821, 0.4494, 0.2853, 0.1741, 0.1020 for 11-15 agents;
# 80% in 20 s needs 14 agents (88.84%; 13 give 79.56%), ASA 7.8 s.
@pytest.mark.parametrize(
    ("agents", "wait", "level"),
    [
        (11, 0.6821, 0.3896),
        (12, 0.4494, 0.6402),
        (13, 0.2853, 0.7956),
        (14, 0.1741, 0.8884),
        (15, 0.1020, 0.9415),
    ],
)
def test_erlang_c_matches_the_published_10_erlang_table(
    agents: int, wait: float, level: float
) -> None:
    assert kpi.erlang_c(10, agents) == pytest.approx(wait, abs=5e-5)
    assert kpi.service_level(10, agents, 180, 20) == pytest.approx(level, abs=5e-5)


def test_the_classic_example_needs_14_agents() -> None:
    assert kpi.agents_needed(200, 180, 80) == 14
    assert kpi.average_speed_of_answer(10, 14, 180) == pytest.approx(7.84, abs=5e-3)
    plan = kpi.staffing(200, 180, 80)
    assert (plan.agents, plan.traffic_erlangs) == (14, 10.0)
    assert plan.one_fewer_service_level_percent == pytest.approx(79.56, abs=5e-3)
    assert plan.occupancy_percent == pytest.approx(100 * 10 / 14)


def exact_erlang_c(a: Fraction, n: int) -> Fraction:
    """The textbook formula in exact fractions: (Aⁿ/n!)·n/(n−A) ÷ (Σₖ<ₙ Aᵏ/k! + that)."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@given(st.fractions(Fraction(1, 100), 60, max_denominator=100), st.integers(1, 80))
def test_erlang_c_agrees_with_the_exact_textbook_formula(a: Fraction, n: int) -> None:
    assume(n > a)
    assert kpi.erlang_c(float(a), n) == pytest.approx(float(exact_erlang_c(a, n)), rel=1e-9)


def test_an_overloaded_queue_always_waits_and_no_traffic_never_does() -> None:
    assert kpi.erlang_c(10, 10) == 1.0 and kpi.service_level(10, 9, 180) == 0.0
    assert kpi.average_speed_of_answer(10, 10, 180) == math.inf
    assert kpi.erlang_c(0, 1) == 0.0
    assert kpi.agents_needed(0, 180, 80) == 0
    assert kpi.staffing(0, 180, 80).agents == 0


def test_large_traffic_is_computed_without_overflow() -> None:
    # 5000 erlangs: Aⁿ/n! would overflow a float; the recurrence does not
    n = kpi.agents_needed(60_000, 300, 80)
    assert 5000 < n < 5200
    assert 0 < kpi.erlang_c(5000, n) < 1


TRAFFIC = st.floats(0.01, 300, allow_nan=False)


@given(TRAFFIC, st.integers(1, 400), st.floats(1, 1800), st.floats(0, 120))
def test_the_service_level_never_falls_with_one_more_agent(
    a: float, n: int, aht: float, within: float
) -> None:
    assert kpi.service_level(a, n + 1, aht, within) >= kpi.service_level(a, n, aht, within)
    assert kpi.erlang_c(a, n + 1) <= kpi.erlang_c(a, n)


@given(
    st.floats(1, 2000),
    st.floats(10, 1200),
    st.floats(1, 99.9),
    st.floats(0, 120),
)
def test_agents_needed_meets_the_target_and_one_fewer_does_not(
    calls: float, aht: float, target: float, within: float
) -> None:
    n = kpi.agents_needed(calls, aht, target, within)
    traffic = calls * aht / 3600
    assert kpi.service_level(traffic, n, aht, within) * 100 >= target
    if n > 1:
        assert kpi.service_level(traffic, n - 1, aht, within) * 100 < target


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: kpi.erlang_c(-1, 3), "invalid traffic (erlangs) -1: expected from 0"),
        (lambda: kpi.erlang_c(math.nan, 3), "expected a finite number"),
        (lambda: kpi.erlang_c(2, 0), "invalid agents 0: expected a whole number from 1 to"),
        (lambda: kpi.erlang_c(2, 10**7), "invalid agents 10000000"),
        (lambda: kpi.service_level(2, 3, 0), "invalid AHT"),
        (lambda: kpi.service_level(2, 3, 180, -5), "invalid answer within"),
        (lambda: kpi.agents_needed(-10, 180, 80), "invalid calls per hour -10"),
        (lambda: kpi.agents_needed(100, 180, 100), "invalid target"),
        (lambda: kpi.agents_needed(100, 180, 0), "more than 0 and less than 100"),
        (lambda: kpi.agents_needed(10**9, 3600, 80), "above 100000 erlangs"),
    ],
)
def test_bad_staffing_inputs_name_what_is_wrong(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidValue, match=re.escape(message)):
        call()
