"""Properties every bill keeps, whatever the usage, and JSON that round-trips every public value."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import testing
from unicom_cs.account import Account, LedgerEntry
from unicom_cs.billing import Adjustment, Bill, compose_bill
from unicom_cs.catalog import MB, Catalog, Plan, default_catalog
from unicom_cs.errors import InvalidValue
from unicom_cs.money import Money, round_line, total
from unicom_cs.orders import ServiceOrder
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.rating import LINE_ORDER, LineCode, RatedRecord
from unicom_cs.serialization import from_json, to_json
from unicom_cs.subscriber import Subscriber, new_subscriber
from unicom_cs.usage import Direction, Service, UsageRecord

CATALOG: Catalog = default_catalog()


@st.composite
def heavy_months(draw: st.DrawFn) -> testing.LineMonth:
    """A 3G A plan or a data card with gigabytes of data: data-fee caps, cut-offs, upgrades."""
    plan_id = draw(st.sampled_from(["3g-a-46", "3g-a-66", "3g-card-80", "3g-card-150"]))
    lm = draw(testing.usage_months(testing.subscribers(plan_id), max_records=8))
    big = draw(st.lists(st.integers(200 * MB, 2048 * MB), min_size=1, max_size=8))
    start = max(lm.month.start, lm.subscriber.active_from)
    sessions = [
        UsageRecord(f"big-{i}", lm.subscriber.msisdn, Service.DATA, Direction.OUT, start, bytes=n)
        for i, n in enumerate(big)
    ]
    return attrs.evolve(lm, records=(*lm.records, *sessions))


def line_months() -> st.SearchStrategy[testing.LineMonth]:
    """Ordinary months most of the time, heavy ones often enough to reach every rule."""
    return st.one_of(testing.usage_months(), heavy_months())


def compose(lm: testing.LineMonth, records: list[UsageRecord] | None = None) -> Bill:
    bill, _ = compose_bill(
        lm.subscriber,
        lm.month,
        list(lm.records) if records is None else records,
        CATALOG,
        carry_in_bytes=lm.carry_in_bytes,
    )
    return bill


@given(testing.bills())
def test_a_bills_lines_add_up_to_its_total(bill: Bill) -> None:
    assert bill.total == total(line.amount for line in bill.lines)
    for line in bill.lines:
        assert line.amount == round_line(line.exact)
        assert line.amount.amount == line.amount.amount.quantize(Decimal("0.01"))
    assert [LINE_ORDER[x.code] for x in bill.lines] == sorted(
        LINE_ORDER[x.code] for x in bill.lines
    )
    assert bill.lines[0].code is LineCode.MONTHLY_FEE


@given(line_months(), st.data())
def test_more_usage_never_lowers_a_bill(lm: testing.LineMonth, data: st.DataObject) -> None:
    extra = data.draw(
        testing.usage_records(
            lm.subscriber.msisdn,
            lm.month,
            min_size=1,
            max_size=10,
            id_prefix="extra-",
            after=lm.subscriber.active_from,
        ),
        label="extra",
    )
    before = compose(lm)
    after = compose(lm, [*lm.records, *extra])
    assert after.total >= before.total


@given(line_months(), st.data())
def test_the_order_of_records_never_changes_a_bill(
    lm: testing.LineMonth, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(lm.records), label="shuffled")
    bill, rated = compose_bill(
        lm.subscriber, lm.month, list(lm.records), CATALOG, carry_in_bytes=lm.carry_in_bytes
    )
    again, rated_again = compose_bill(
        lm.subscriber, lm.month, list(shuffled), CATALOG, carry_in_bytes=lm.carry_in_bytes
    )
    assert again == bill
    assert rated_again == rated


@given(line_months())
def test_each_lines_record_charges_sum_to_its_exact_amount(lm: testing.LineMonth) -> None:
    bill, rated = compose_bill(
        lm.subscriber, lm.month, list(lm.records), CATALOG, carry_in_bytes=lm.carry_in_bytes
    )
    assert sorted(r.record.id for r in rated) == sorted(r.id for r in lm.records)
    sums: dict[LineCode, Money] = defaultdict(Money.zero)
    for r in rated:
        sums[r.line] = sums[r.line] + r.charge
    exact = {line.code: line.exact for line in bill.lines}
    for code, amount in sums.items():
        assert exact[code] == amount, code


@given(
    plan=st.sampled_from(["3g-a-46", "3g-a-66"]),
    sessions=st.lists(st.integers(1, 1_500_000_000), min_size=1, max_size=6),
)
def test_the_data_cap_line_brings_data_back_to_the_cap_exactly(
    plan: str, sessions: list[int]
) -> None:
    # 500 yuan at 0.0003/KB is 1,666,667 KB (about 1.6 GB) of overage: 2 GB more than the
    # allowance always reaches the cap, and stays under the 6 GB cut-off.
    line = new_subscriber("13012345678", plan, date(2026, 9, 1), default_catalog())
    when = datetime(2026, 10, 3, 9, tzinfo=SHANGHAI)
    heavy = 2 * 1024 * MB
    records = [
        UsageRecord(f"d{i}", line.msisdn, Service.DATA, Direction.OUT, when, bytes=b)
        for i, b in enumerate([heavy, *sessions])
    ]
    bill, rated = compose_bill(line, Month(2026, 10), records, default_catalog())
    (data,) = [x for x in bill.lines if x.code is LineCode.DATA]
    (cap,) = [x for x in bill.lines if x.code is LineCode.DATA_CAP]
    assert cap.amount.is_negative()
    assert data.amount + cap.amount == Money("500")
    assert total(r.charge for r in rated) == data.exact  # records add up to the uncapped line


@given(testing.bills(), st.integers(-10_000, 10_000).filter(lambda n: n != 0))
def test_a_bill_with_a_total_its_lines_do_not_add_up_to_is_refused(bill: Bill, fen: int) -> None:
    with pytest.raises(InvalidValue):
        attrs.evolve(bill, total=bill.total + Money.fen(fen))


# --------------------------------------------------------------------------- JSON


def no_floats(node: Any, path: str = "$") -> None:
    assert not isinstance(node, float), f"{path} is a JSON float: {node!r}"
    if isinstance(node, dict):
        for k, v in node.items():
            no_floats(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            no_floats(v, f"{path}[{i}]")


def strings_at(node: Any, keys: set[str]) -> list[Any]:
    """Every value under one of `keys`, anywhere in the parsed JSON."""
    found: list[Any] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in keys:
                found.append(v)
            found.extend(strings_at(v, keys))
    elif isinstance(node, list):
        for v in node:
            found.extend(strings_at(v, keys))
    return found


@given(testing.bills())
def test_money_in_a_bills_json_is_never_a_float(bill: Bill) -> None:
    parsed = json.loads(to_json(bill))
    no_floats(parsed)
    money_values = strings_at(parsed, {"amount", "exact", "total"})
    assert money_values and all(isinstance(v, str) for v in money_values)
    assert parsed["total"] == str(bill.total)


@given(testing.usage_months())
def test_money_in_rated_records_json_is_never_a_float(lm: testing.LineMonth) -> None:
    _, rated = compose_bill(lm.subscriber, lm.month, list(lm.records), CATALOG)
    parsed = json.loads(to_json(list(rated)))
    no_floats(parsed)
    assert all(isinstance(v, str) for v in strings_at(parsed, {"charge"}))


def test_money_in_the_catalogs_json_is_never_a_float() -> None:
    parsed = json.loads(to_json(CATALOG))
    no_floats(parsed)
    assert parsed["plans"]["3g-a-46"]["data"]["rate"] == "0.0003"


def round_trips(value: object) -> None:
    assert from_json(to_json(value), type(value)) == value


@given(testing.money("-100000", "100000", places=4))
def test_money_round_trips_through_json(value: Money) -> None:
    round_trips(value)


@given(testing.months())
def test_a_month_round_trips_through_json(value: Month) -> None:
    round_trips(value)
    assert to_json(value) == f'"{value}"'


@given(testing.plans(kind=None))
def test_a_plan_round_trips_through_json(value: Plan) -> None:
    round_trips(value)


@given(testing.catalogs())
def test_a_catalog_round_trips_through_json(value: Catalog) -> None:
    round_trips(value)


def test_the_bundled_catalog_round_trips_through_json() -> None:
    round_trips(CATALOG)


@given(testing.subscribers())
def test_a_subscriber_round_trips_through_json(value: Subscriber) -> None:
    round_trips(value)


@given(testing.usage_months())
def test_a_subscriber_with_packs_usage_and_rated_records_round_trip_through_json(
    lm: testing.LineMonth,
) -> None:
    round_trips(lm.subscriber)
    _, rated = compose_bill(lm.subscriber, lm.month, list(lm.records), CATALOG)
    for record in lm.records:
        round_trips(record)
    for rr in rated:
        round_trips(rr)
        assert isinstance(rr, RatedRecord)


@given(testing.bills())
def test_a_bill_round_trips_through_json(value: Bill) -> None:
    round_trips(value)


@given(testing.accounts())
def test_an_account_round_trips_through_json(value: Account) -> None:
    round_trips(value)


@given(testing.ledger_entries())
def test_a_ledger_entry_round_trips_through_json(value: LedgerEntry) -> None:
    round_trips(value)


@given(testing.adjustments())
def test_an_adjustment_round_trips_through_json(value: Adjustment) -> None:
    round_trips(value)


@given(testing.service_orders())
def test_a_service_order_round_trips_through_json(value: ServiceOrder) -> None:
    round_trips(value)
    no_floats(json.loads(to_json(value)))


@given(testing.line_orders(min_orders=1))
def test_a_line_with_its_timelines_round_trips_through_json(value: testing.LineOrders) -> None:
    """Plan changes, packs, services, statuses, roaming, the password lock and the holder."""
    round_trips(value.subscriber)
    parsed = json.loads(to_json(value.subscriber))
    # the password is kept only as its scrypt hash (its six digits may well occur elsewhere in
    # the JSON, in the number say, so only the stored field is looked at)
    assert value.password == "" or (
        parsed["password"].startswith("scrypt$") and value.password not in parsed["password"]
    )
    for order in value.orders:
        round_trips(order)
