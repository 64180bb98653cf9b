"""Order rules decided after review: plan families, and lifting a loss report."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from unicom_cs import service
from unicom_cs.errors import OrderRejected
from unicom_cs.orders import Channel, Credentials, OrderRequest, OrderType
from unicom_cs.period import SHANGHAI
from unicom_cs.ports import Store
from unicom_cs.subscriber import LineStatus

N = "18612345678"
ID_DOC = "11010519491231002X"
NOW = datetime(2026, 11, 10, 10, tzinfo=SHANGHAI)


def submit(store: Store, n: int, kind: OrderType, product: str = "", **kw: object) -> None:
    channel = Channel.COUNTER if kind is OrderType.LIFT_LOSS else Channel.HOTLINE
    request = OrderRequest(f"r{n}", N, kind, channel, product)
    when = NOW.replace(minute=n)
    service.submit_order(store, request, when, Credentials(document=ID_DOC))


def test_a_voice_line_cannot_change_to_a_data_card_plan_or_back(store: Store) -> None:
    service.add_line(store, N, "4g-56", date(2026, 10, 1))
    before = store.events()
    with pytest.raises(OrderRejected, match="own family"):
        submit(store, 1, OrderType.PACKAGE_CHANGE, "3g-card-80")
    assert store.events() == before
    service.add_line(store, "18612340000", "3g-card-80", date(2026, 10, 1))
    request = OrderRequest("c1", "18612340000", OrderType.PACKAGE_CHANGE, Channel.HOTLINE, "4g-56")
    with pytest.raises(OrderRejected, match="own family"):
        service.submit_order(store, request, NOW)
    ok = OrderRequest("c2", "18612340000", OrderType.PACKAGE_CHANGE, Channel.HOTLINE, "3g-card-150")
    assert service.submit_order(store, ok, NOW).order.state == "pending"


@pytest.mark.parametrize("suspended", [False, True])
def test_lifting_a_loss_report_returns_the_line_to_its_status_before(
    store: Store, suspended: bool
) -> None:
    service.add_line(store, N, "4g-56", date(2026, 10, 1), id_document=ID_DOC)
    if suspended:
        submit(store, 1, OrderType.SUSPEND)
    submit(store, 2, OrderType.REPORT_LOSS)
    assert service.get_line(store, N).status is LineStatus.LOST
    submit(store, 3, OrderType.LIFT_LOSS)
    expected = LineStatus.SUSPENDED if suspended else LineStatus.ACTIVE
    assert service.get_line(store, N).status is expected


def test_a_suspended_line_reported_lost_still_pays_only_the_retention_fee(store: Store) -> None:
    service.add_line(store, N, "4g-56", date(2026, 10, 1), id_document=ID_DOC)
    submit(store, 1, OrderType.SUSPEND)  # 10 November
    submit(store, 2, OrderType.REPORT_LOSS)  # the suspended phone is lost
    december = datetime(2026, 12, 31, 12, tzinfo=SHANGHAI)
    bill, _ = service.bill_for(store, N, december)
    # suspended, then lost, all of December: out of service every day, so 停机保号 5.00
    assert [(line.label, str(line.amount)) for line in bill.lines] == [
        ("Number retention fee", "5.00")
    ]


def test_a_service_the_plan_includes_costs_nothing() -> None:
    import attrs as _attrs

    from unicom_cs.billing import service_charges
    from unicom_cs.catalog import default_catalog, parse_catalog
    from unicom_cs.errors import CatalogError
    from unicom_cs.period import Month
    from unicom_cs.subscriber import ServicePeriod, new_subscriber

    catalog = default_catalog()
    sub = new_subscriber(N, "4g-56", date(2026, 10, 1), catalog)
    sub = _attrs.evolve(sub, services=(ServicePeriod("caller-id", NOW),))
    # opened 10 November, 21 days of 30: 6 × 21/30 = 4.20 when the plan does not include it
    assert [str(c.amount) for c in service_charges(sub, Month(2026, 11), catalog)] == ["4.20"]
    including = _attrs.evolve(catalog.plans["4g-56"], included_services=frozenset({"caller-id"}))
    with_it = _attrs.evolve(catalog, plans={**catalog.plans, "4g-56": including})
    assert service_charges(sub, Month(2026, 11), with_it) == []
    text = """
[[plan]]
id = "mine"
name = "Mine"
kind = "mobile"
monthly_fee = "10"
source = "test"
included_services = ["caller-id", "no-such"]
"""
    with pytest.raises(CatalogError, match="included_services: no value-added service 'no-such'"):
        parse_catalog(text, "mine.toml", catalog)
    assert parse_catalog(text.replace(', "no-such"', ""), "mine.toml", catalog).plans[
        "mine"
    ].included_services == frozenset({"caller-id"})
