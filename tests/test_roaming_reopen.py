"""Roaming data day packs and the reopen (KTSJLL), worked out to the fen.

Japan is in the bundled catalog's zone of 5 MB day packs at 5 yuan, at most 16 a Beijing day
(published-tariff-rules.md §5): 80 MB and 80.00 yuan, then data is off. A reopen (KTSJLL)
after the day reached the cap lets it buy up to 16 packs again; a reopen while data is still
on changes nothing, and a reopen on another day does nothing to this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import attrs
import pytest

from unicom_cs import service
from unicom_cs.catalog import MB, Catalog, default_catalog
from unicom_cs.money import Money
from unicom_cs.orders import Channel, OrderRequest, OrderType
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.rating import LineCode, Rating, Terms, rate_usage
from unicom_cs.usage import Direction, Service, UsageRecord, format_cdrs, parse_cdrs

CATALOG: Catalog = default_catalog()
PLAN = CATALOG.plan("3g-a-46")
A = "13012345678"


def at(d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, 10, d, tzinfo=SHANGHAI) + timedelta(hours=h, minutes=mi)


def data(rid: str, start: datetime, mb: int, where: str = "JP") -> UsageRecord:
    return UsageRecord(rid, A, Service.DATA, Direction.OUT, start, bytes=mb * MB, location=where)


# 100 MB on 5 October before noon: ten sessions of 10 MB, every 15 minutes from 08:00
MORNING = [data(f"m{i}", at(5, 8, 15 * i), 10) for i in range(10)]
# 30 MB after noon: three sessions of 10 MB at 13:00, 14:00, 15:00
AFTERNOON = [data(f"p{i}", at(5, 13 + i), 10) for i in range(3)]


def rate(records: Sequence[UsageRecord], reopens: Sequence[datetime] = ()) -> Rating:
    terms = attrs.evolve(Terms.of(PLAN), data_reopens=tuple(reopens))
    return rate_usage(records, terms, CATALOG)


def roaming_data(rating: Rating) -> Money:
    (charge,) = [c for c in rating.charges if c.code is LineCode.ROAMING_DATA]
    return charge.amount


def served_kb(rating: Rating) -> int:
    return sum(r.units for r in rating.records if r.line is LineCode.ROAMING_DATA)


def test_japan_is_in_the_five_mb_zone_at_five_yuan_sixteen_packs_a_day() -> None:
    zone = CATALOG.zone_for("JP")
    assert (zone.day_pack_mb, zone.day_pack_fee, zone.day_pack_max) == (5, Money(5), 16)


def test_a_day_of_100_mb_buys_16_packs_then_data_is_off() -> None:
    """100 MB wanted; 16 packs × 5 MB = 80 MB served (81,920 KB), 16 × 5.00 = 80.00; the
    sessions from the ninth on (80 MB reached) are served nothing."""
    rating = rate(MORNING)
    assert roaming_data(rating) == Money("80.00")
    assert served_kb(rating) == 80 * 1024
    by_id = {r.record.id: r for r in rating.records}
    assert [by_id[f"m{i}"].units for i in range(10)] == [10 * 1024] * 8 + [0, 0]
    assert [by_id[f"m{i}"].charge for i in range(10)] == [Money(10)] * 8 + [Money(0)] * 2
    assert "data off after 16 day packs" in by_id["m8"].note
    assert "KTSJLL" in by_id["m9"].note


def test_without_a_reopen_the_afternoon_is_served_nothing() -> None:
    rating = rate(MORNING + AFTERNOON)
    assert roaming_data(rating) == Money("80.00")
    assert served_kb(rating) == 80 * 1024


def test_a_reopen_at_noon_after_the_cap_buys_packs_for_the_afternoon() -> None:
    """After the reopen at 12:00, 30 MB = 6 packs more: 6 × 5.00 = 30.00; 80.00 + 30.00 =
    110.00, and 110 MB served."""
    rating = rate(MORNING + AFTERNOON, [at(5, 12)])
    assert roaming_data(rating) == Money("110.00")
    assert served_kb(rating) == 110 * 1024
    afternoon = [r for r in rating.records if r.record.id.startswith("p")]
    assert [r.charge for r in afternoon] == [Money(10)] * 3
    assert [r.units for r in afternoon] == [10 * 1024] * 3


def test_the_records_order_does_not_change_the_reopened_day() -> None:
    records = list(reversed(MORNING + AFTERNOON))
    assert roaming_data(rate(records, [at(5, 12)])) == Money("110.00")


def test_a_reopen_before_the_cap_changes_nothing() -> None:
    """At 09:00 only 50 MB had been used (data still on): the day still stops at 80.00."""
    for when in (at(5, 9), at(5, 0), at(5, 8)):
        rating = rate(MORNING + AFTERNOON, [when])
        assert roaming_data(rating) == Money("80.00"), when
        assert served_kb(rating) == 80 * 1024


def test_a_reopen_before_the_cap_does_not_count_for_a_later_cap_the_same_day() -> None:
    """One reopen at 09:00 (data on) and none after the cap: 80.00. With another at 12:00:
    110.00 as if the first had not been made."""
    assert roaming_data(rate(MORNING + AFTERNOON, [at(5, 9)])) == Money("80.00")
    assert roaming_data(rate(MORNING + AFTERNOON, [at(5, 9), at(5, 12)])) == Money("110.00")


@pytest.mark.parametrize("when", [at(4, 23, 59), at(6, 0), at(6, 12), at(1, 12)])
def test_a_reopen_on_another_day_does_not_affect_this_day(when: datetime) -> None:
    rating = rate(MORNING + AFTERNOON, [when])
    assert roaming_data(rating) == Money("80.00")


def test_a_reopen_the_day_before_reopens_that_day_only() -> None:
    """4 October: 90 MB before noon (16 packs, 80.00), a reopen at 12:00, 10 MB at 13:00 (2
    packs, 10.00). 5 October: the 100 MB morning, capped at 80.00. Total 170.00."""
    day4 = [data(f"d{i}", at(4, 8, 10 * i), 10) for i in range(9)] + [data("d9", at(4, 13), 10)]
    rating = rate(day4 + MORNING, [at(4, 12)])
    assert roaming_data(rating) == Money("170.00")
    assert served_kb(rating) == (90 + 80) * 1024


def test_two_reopens_after_one_cap_reopen_it_once() -> None:
    """Reopens at 12:00 and 12:30 with no data between: the day may buy 16 packs more, not
    32. 100 MB in the afternoon: 80 MB served, 16 × 5.00 = 80.00; the day 160.00."""
    afternoon = [data(f"q{i}", at(5, 13, 5 * i), 10) for i in range(10)]
    rating = rate(MORNING + afternoon, [at(5, 12), at(5, 12, 30)])
    assert roaming_data(rating) == Money("160.00")
    assert served_kb(rating) == 160 * 1024


def test_the_sixteen_packs_are_counted_across_zones_of_one_day() -> None:
    """60 MB in Japan (12 packs, 60.00), then 20 MB in Britain (3 MB packs): 4 packs left
    for the day, 12 MB served, 20.00. The day: 80.00."""
    records = [data("j", at(5, 8), 60), data("g", at(5, 9), 20, "GB")]
    rating = rate(records)
    assert roaming_data(rating) == Money("80.00")
    assert served_kb(rating) == (60 + 12) * 1024


# ------------------------------------------------------------------- through billing


def reopen(store: Store, when: datetime, request_id: str = "r1") -> None:
    request = OrderRequest(request_id, A, OrderType.ROAMING_DATA_REOPEN, Channel.SMS, by="customer")
    service.submit_order(store, request, when)


def bill_total(store: Store) -> tuple[Money, Money]:
    bill, _ = service.bill_for(store, A, datetime(2026, 11, 1, tzinfo=SHANGHAI), Month(2026, 10))
    (line,) = [x for x in bill.lines if x.code is LineCode.ROAMING_DATA]
    return line.amount, bill.total


@pytest.fixture
def roamer(store: Store) -> Store:
    service.add_line(store, A, "3g-a-46", date(2026, 9, 10))
    cdrs = format_cdrs(MORNING + AFTERNOON).encode()
    service.import_usage(store, parse_cdrs(cdrs, "jp.csv"))
    return store


def test_the_bill_of_a_line_with_no_reopen_stops_at_the_daily_cap(roamer: Store) -> None:
    assert bill_total(roamer) == (Money("80.00"), Money("126.00"))  # 46 fee + 80


def test_an_accepted_reopen_order_shows_on_the_bill(roamer: Store) -> None:
    reopen(roamer, at(5, 12))
    (order,) = roamer.orders(A)
    assert order.type is OrderType.ROAMING_DATA_REOPEN
    assert order.state.value == "completed"
    assert service.get_line(roamer, A).data_reopens == (at(5, 12),)
    assert bill_total(roamer) == (Money("110.00"), Money("156.00"))  # 46 fee + 110


def test_a_reopen_order_before_the_cap_leaves_the_bill_as_it_was(roamer: Store) -> None:
    reopen(roamer, at(5, 9))
    assert bill_total(roamer) == (Money("80.00"), Money("126.00"))


def test_the_issued_bill_keeps_the_reopen(roamer: Store) -> None:
    reopen(roamer, at(5, 12))
    (result,) = [
        r
        for r in service.run_bills(roamer, Month(2026, 10), datetime(2026, 11, 1, tzinfo=SHANGHAI))
        if r.msisdn == A
    ]
    assert result.bill is not None and result.bill.total == Money("156.00")
    assert bill_total(roamer) == (Money("110.00"), Money("156.00"))
