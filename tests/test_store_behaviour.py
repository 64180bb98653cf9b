"""Store behaviour found in review, checked on both stores: transactions, order, safety."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from unicom_cs import service
from unicom_cs.account import EntryKind
from unicom_cs.errors import CatalogError, Conflict, NotInitialised
from unicom_cs.money import Money
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.store.sqlite import SQLiteStore
from unicom_cs.usage import COLUMNS, parse_cdrs

NOW = datetime(2026, 11, 25, 10, tzinfo=SHANGHAI)
ZONE = """
[[roaming_zone]]
id = "my-jp"
name = "Japan, dearer"
countries = ["JP"]
voice_local = "9.99"
voice_to_china = "9.99"
voice_receive = "9.99"
sms_to_china = "1"
day_pack_fee = "5"
day_pack_mb = 5
day_pack_max = 16
source = "test"
"""


def test_work_done_between_bill_run_results_is_kept(store: Store) -> None:
    service.add_line(store, "18612345678", "4g-56", date(2026, 10, 1))
    list(service.run_bills(store, Month(2026, 10), NOW))
    for result in service.run_bills(store, Month(2026, 10), NOW):
        assert result.skipped == "already issued"
        service.receive_money(store, result.msisdn, Money(100), EntryKind.PAYMENT, NOW)
        break  # the caller stops early: nothing of its own work may be rolled back
    kinds = [e.kind for e in store.entries("ACC-18612345678")]
    assert kinds == [EntryKind.BILL, EntryKind.PAYMENT]


def test_a_plan_a_line_can_upgrade_to_is_in_use(store: Store) -> None:
    service.add_line(store, "18512345678", "3g-card-80", date(2026, 10, 1))
    dearer = '[[plan]]\nid = "3g-card-150"\nname = "x"\nmonthly_fee = "900"\nsource = "t"\n'
    with pytest.raises(Conflict, match="3g-card-150"):
        service.add_tariffs(store, dearer, "up.toml")


def test_roaming_zones_do_not_change_under_existing_lines(store: Store) -> None:
    service.add_line(store, "18612345678", "4g-56", date(2026, 10, 1))
    with pytest.raises(Conflict, match="would lose JP"):
        service.add_tariffs(store, ZONE, "zone.toml")
    free = 'free_numbers = ["95588"]\n'
    with pytest.raises(Conflict, match="free number 95588"):
        service.add_tariffs(store, free, "free.toml")


def test_a_zone_may_move_a_country_while_no_line_exists(store: Store) -> None:
    service.add_tariffs(store, ZONE, "zone.toml")
    assert service.load_catalog(store).zone_for("JP").id == "my-jp"


def test_redefining_an_upgrade_target_cheaper_is_refused_on_the_whole_catalog(store: Store) -> None:
    cheap = '[[plan]]\nid = "3g-card-150"\nname = "x"\nmonthly_fee = "50"\nsource = "t"\n'
    with pytest.raises(CatalogError) as e:
        service.add_tariffs(store, cheap, "cheap.toml")
    assert e.value.errors[0].where == "plan '3g-card-80'.upgrade_to"


def test_adjustments_keep_the_order_they_were_posted_in(store: Store) -> None:
    service.add_line(store, "18612345678", "4g-56", date(2026, 10, 1))
    for n in range(1, 12):
        service.adjust(store, "18612345678", Month(2026, 11), Money(-n), f"n{n}", NOW)
    reasons = [a.reason for a in store.adjustments("18612345678", Month(2026, 11))]
    assert reasons == [f"n{n}" for n in range(1, 12)]


def test_a_line_separator_inside_a_field_does_not_split_the_row() -> None:
    header = ",".join(COLUMNS)
    rows = [
        "a,18612345678,sms,out,2026-11-02T10:00:00,,,10\u2028010,CN",
        "b,18612345678,sms,sideways,2026-11-02T10:00:00,,,1,CN",
    ]
    parsed = parse_cdrs("\n".join([header, *rows]).encode(), "f.csv")
    assert [r.id for r in parsed.records] == ["a"]
    assert [e.where for e in parsed.errors] == ["f.csv:3"]


def test_opening_a_foreign_sqlite_file_without_create_leaves_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE mine (x)")
    db.close()
    before = path.read_bytes()
    with pytest.raises(NotInitialised):
        SQLiteStore(path, create=False)
    assert path.read_bytes() == before
