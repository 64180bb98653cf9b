"""Billing periods: natural months in Beijing time, half-open, tiling the timeline."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import testing
from unicom_cs.errors import InvalidValue
from unicom_cs.period import SHANGHAI, Month, as_instant, months_between, parse_instant

BEIJING = timezone(timedelta(hours=8))


@given(testing.months(), st.integers(1, 36))
def test_consecutive_months_meet_with_no_gap_and_no_overlap(first: Month, n: int) -> None:
    run = months_between(first, first.shift(n))
    assert len(run) == n + 1
    for earlier, later in itertools.pairwise(run):
        assert earlier.end == later.start
        assert later == earlier.next()
        assert earlier < later


@given(testing.instants())
def test_every_instant_belongs_to_exactly_one_month(instant: datetime) -> None:
    home = Month.of(instant)
    assert home.contains(instant)
    for other in (home.previous(), home.next(), home.shift(-12), home.shift(12)):
        assert not other.contains(instant)


@given(
    st.datetimes(min_value=datetime(2009, 1, 1), max_value=datetime(2035, 12, 31)),
    st.integers(-12, 14),
)
def test_an_instant_in_any_zone_is_in_the_month_of_its_beijing_time(
    naive: datetime, offset_hours: int
) -> None:
    instant = naive.replace(tzinfo=timezone(timedelta(hours=offset_hours)))
    beijing = instant.astimezone(BEIJING)
    month = Month.of(instant)
    assert (month.year, month.month) == (beijing.year, beijing.month)
    assert month.contains(instant)


def test_a_month_runs_from_midnight_on_the_first_to_midnight_on_the_next_first() -> None:
    october = Month(2026, 10)
    assert october.start == datetime(2026, 10, 1, tzinfo=BEIJING)
    assert october.end == datetime(2026, 11, 1, tzinfo=BEIJING)
    assert october.contains(datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=BEIJING))
    assert not october.contains(datetime(2026, 11, 1, tzinfo=BEIJING))
    # 16:00 UTC on 30 September is already midnight 1 October in Beijing
    assert october.contains(datetime(2026, 9, 30, 16, 0, tzinfo=UTC))
    assert not october.contains(datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC))


def test_february_and_december_end_where_the_calendar_says() -> None:
    assert Month(2024, 2).end == datetime(2024, 3, 1, tzinfo=BEIJING)  # leap year: 29 days
    assert Month(2024, 2).end - Month(2024, 2).start == timedelta(days=29)
    assert Month(2026, 2).end - Month(2026, 2).start == timedelta(days=28)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert Month(2026, 1).shift(-13) == Month(2024, 12)


def test_naive_times_are_read_as_beijing_time() -> None:
    naive = datetime(2026, 10, 1, 0, 0)
    assert as_instant(naive) == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert Month.of(naive) == Month(2026, 10)
    assert Month(2026, 10).contains(naive)
    assert not Month(2026, 9).contains(naive)
    assert parse_instant("2026-10-05T08:30:00") == datetime(2026, 10, 5, 0, 30, tzinfo=UTC)
    assert parse_instant("2026-10-05T08:30:00+00:00") == datetime(2026, 10, 5, 8, 30, tzinfo=UTC)


def test_an_aware_time_keeps_its_own_offset() -> None:
    aware = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    assert as_instant(aware) is aware
    assert as_instant(aware).tzinfo is UTC


def test_the_month_of_a_date_is_its_calendar_month() -> None:
    assert Month.of(date(2026, 10, 31)) == Month(2026, 10)


def test_month_parse_reads_yyyy_mm_and_prints_it_back() -> None:
    assert Month.parse("2026-10") == Month(2026, 10)
    assert Month.parse(" 2026-01 ") == Month(2026, 1)
    assert str(Month(2026, 1)) == "2026-01"
    assert Month(2026, 10).key == 202610
    assert Month(2026, 10).first_day == date(2026, 10, 1)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "October 2026", "", "0000-01"]
)
def test_month_parse_refuses_anything_but_a_calendar_month(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Month.parse(text)
    assert caught.value.what == "month"


@pytest.mark.parametrize("text", ["yesterday", "2026-10-32T00:00", "", "10/05/2026"])
def test_parse_instant_refuses_text_that_is_not_iso_8601(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_instant(text)


@given(testing.months())
def test_a_month_printed_and_parsed_is_the_same_month(month: Month) -> None:
    assert Month.parse(str(month)) == month
    assert Month.of(month.start) == month
    assert Month.of(month.end - timedelta(microseconds=1)) == month
    assert month.start.tzinfo is SHANGHAI


@given(testing.months(), testing.months())
def test_months_between_lists_every_month_in_order_or_none(a: Month, b: Month) -> None:
    run = months_between(a, b)
    if b < a:
        assert run == ()
    else:
        assert run[0] == a
        assert run[-1] == b
        assert list(run) == sorted(set(run))
        assert len(run) == (b.year - a.year) * 12 + b.month - a.month + 1
