"""Domain events: recorded with the change they report, in order, on every store."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from unicom_cs import service
from unicom_cs.account import EntryKind
from unicom_cs.errors import BatchRejected
from unicom_cs.events import BillIssued, LineOpened, PaymentReceived, UsageImported
from unicom_cs.money import Money
from unicom_cs.number import LineKind
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.serialization import from_json, to_json
from unicom_cs.usage import COLUMNS, parse_cdrs

NOW = datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)
ROW = "a,18612345678,sms,out,2026-10-02T10:00:00,,,13800138000,CN-BJ"


def cdrs(*rows: str) -> bytes:
    return ("\n".join([",".join(COLUMNS), *rows]) + "\n").encode()


def test_each_change_records_its_event_in_order(store: Store) -> None:
    service.add_line(store, "18612345678", "4g-56", date(2026, 10, 1))
    service.import_usage(store, parse_cdrs(cdrs(ROW), "oct.csv"))
    list(service.run_bills(store, Month(2026, 10), NOW))
    service.receive_money(store, "18612345678", Money(20), EntryKind.PAYMENT, NOW, "web")
    found = store.events()
    assert [seq for seq, _ in found] == [1, 2, 3, 4]
    opened, imported, issued, paid = (e for _, e in found)
    assert opened == LineOpened(
        "18612345678", LineKind.MOBILE, "4g-56", "ACC-18612345678", date(2026, 10, 1)
    )
    assert imported == UsageImported("oct.csv", 1, ("18612345678",))
    assert isinstance(issued, BillIssued) and issued.total == Money("56.10")  # 56 + one SMS
    assert isinstance(paid, PaymentReceived) and paid.amount == Money(20)
    assert store.events(after=2, limit=1) == [found[2]]
    for _, event in found:
        assert from_json(to_json(event), type(event)) == event


def test_a_change_that_fails_records_no_event(store: Store) -> None:
    service.add_line(store, "18612345678", "4g-56", date(2026, 10, 1))
    before = store.events()
    with pytest.raises(BatchRejected):
        service.import_usage(
            store, parse_cdrs(cdrs(ROW, "b,13012345678,sms,out,2026-10-02,,,1,CN"))
        )
    assert store.events() == before
    again = service.import_usage(store, parse_cdrs(cdrs(ROW)))
    assert again.imported == 1 and len(store.events()) == len(before) + 1
    service.import_usage(store, parse_cdrs(cdrs(ROW)))  # nothing new: no event
    assert len(store.events()) == len(before) + 1
