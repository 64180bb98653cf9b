"""`ucs store export|import|check|audit`, roles and masking: what a user sees, and that a dump
round-trips exactly between every kind of store (PostgreSQL with UCS_TEST_POSTGRES_DSN)."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result

from unicom_cs import service
from unicom_cs.cli import main
from unicom_cs.contacts import COLUMNS
from unicom_cs.errors import Conflict
from unicom_cs.integrity import check_store
from unicom_cs.money import Money
from unicom_cs.orders import ServiceOrder
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.store.memory import MemoryStore
from unicom_cs.store.sqlite import SCHEMA_VERSION
from unicom_cs.subscriber import LineStatus, StatusChange

NOW = "2026-11-25T10:00:00"
NUMBER = "18612345678"
CONTACTS = [
    ",".join(COLUMNS),
    "k1,phone,consultation,2026-10-12T09:00:00,2026-10-12T09:00:10,2026-10-12T09:02:10,"
    "agent,A01,false,18612345678,,balance",
    "k2,phone,consultation,2026-10-12T10:10:00,,2026-10-12T10:10:05,,,true,18612345670,,",
]
DSN = os.environ.get("UCS_TEST_POSTGRES_DSN")
needs_postgres = pytest.mark.skipif(
    not DSN, reason="UCS_TEST_POSTGRES_DSN not set: PostgreSQL store tests skipped"
)

Ucs = Callable[..., Result]


def runner_for(store: str) -> Ucs:
    runner = CliRunner()

    def run(*args: str, code: int = 0, now: str = NOW) -> Result:
        result = runner.invoke(main, ["--store", store, "--now", now, *args])
        assert "Traceback" not in result.output + result.stderr
        assert result.exit_code == code, (args, result.output, result.stderr)
        return result

    return run


def fill(ucs: Ucs, tmp_path: Path) -> None:
    """A store with something of every kind: lines, usage, bills, payments, an adjustment, an
    order, a resolved billing dispute with its visit, contacts, messages, settings, audit."""
    ucs("demo", "--month", "2026-10")
    ucs("pay", NUMBER, "50")
    adjust = ("bill", "adjust", NUMBER, "--month", "2026-11", "--reason", "x", "--", "-150")
    ucs("--role", "supervisor", *adjust)
    ucs("service", "open", NUMBER, "caller-id")
    filed = ucs(
        "complaint", "file", "--category", "billing-dispute", "-d", "data charged twice",
        "--number", NUMBER, "--dispute", "2026-10:data", "--by", "A01", "--json",
    )  # fmt: skip
    ticket = json.loads(filed.stdout)["id"]
    ucs(
        "complaint",
        "resolve",
        ticket,
        "--resolution",
        "refunded",
        "--credit",
        "1.00",
        "--by",
        "A01",
    )
    log = tmp_path / "contacts.csv"
    log.write_text("\n".join(CONTACTS) + "\n", encoding="utf-8")
    ucs("contact", "import", str(log))
    ucs("--role", "supervisor", "complaint", "credit-limit", "200")
    ucs("notify", "run")
    ucs("subscriber", "show", NUMBER, "--reveal")


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    return str(tmp_path / "a.sqlite3")


@pytest.fixture
def postgres_store() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    if not DSN:
        pytest.skip("UCS_TEST_POSTGRES_DSN not set: PostgreSQL store tests skipped")
    import psycopg
    from psycopg import sql

    name = f"ucs_t_{uuid.uuid4().hex[:12]}"
    admin = DSN.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield DSN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_export_import_export_is_byte_for_byte_the_same(tmp_path: Path, sqlite_store: str) -> None:
    ucs = runner_for(sqlite_store)
    fill(ucs, tmp_path)
    first, second = tmp_path / "one", tmp_path / "two"
    out = ucs("store", "export", str(first)).stdout
    assert out.startswith("exported ") and str(first) in out
    manifest = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert all(n > 0 for n in manifest["counts"].values()), manifest["counts"]  # all covered
    copy = runner_for(str(tmp_path / "b.sqlite3"))
    copy("store", "import", str(first))
    copy("store", "check")
    copy("store", "export", str(second))
    assert files(first) == files(second)
    # and the copy behaves like the original
    assert (
        copy("bill", "show", NUMBER, "--month", "2026-10").stdout
        == ucs("bill", "show", NUMBER, "--month", "2026-10").stdout
    )


@needs_postgres
def test_a_sqlite_store_moves_to_postgresql_and_back_exactly(
    tmp_path: Path, sqlite_store: str, postgres_store: str
) -> None:
    ucs = runner_for(sqlite_store)
    fill(ucs, tmp_path)
    ucs("store", "export", str(tmp_path / "one"))
    pg = runner_for(postgres_store)
    shown = pg("store", "import", str(tmp_path / "one")).stdout
    assert "postgresql://" in shown
    pg("store", "check")
    pg("store", "export", str(tmp_path / "two"))
    assert files(tmp_path / "one") == files(tmp_path / "two")
    for args in (("bill", "show", NUMBER, "--month", "2026-10"), ("balance", NUMBER)):
        assert pg(*args).stdout == ucs(*args).stdout
    # and it takes new work, as the SQLite store does
    pg("pay", NUMBER, "10")
    ucs("pay", NUMBER, "10")
    assert pg("balance", NUMBER).stdout == ucs("balance", NUMBER).stdout


def test_a_bad_row_rejects_the_whole_import_and_names_its_place(
    tmp_path: Path, sqlite_store: str
) -> None:
    ucs = runner_for(sqlite_store)
    fill(ucs, tmp_path)
    dump = tmp_path / "dump"
    ucs("store", "export", str(dump))
    ledger = (dump / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    ledger[1] = ledger[1].replace('"amount":"', '"amount":"1.2.3')
    (dump / "ledger.jsonl").write_text("\n".join(ledger) + "\n", encoding="utf-8")
    target = tmp_path / "new.sqlite3"
    failed = runner_for(str(target))("store", "import", str(dump), code=1)
    assert "ledger.jsonl:2: not a valid row" in failed.stderr
    assert "nothing imported" in failed.stderr
    assert not target.exists()  # the file this import created is gone again


def test_an_import_is_refused_into_a_store_that_is_not_empty(
    tmp_path: Path, sqlite_store: str
) -> None:
    ucs = runner_for(sqlite_store)
    fill(ucs, tmp_path)
    ucs("store", "export", str(tmp_path / "dump"))
    before = ucs("store", "export", str(tmp_path / "before")).stdout
    failed = ucs("store", "import", str(tmp_path / "dump"), code=1)
    assert "is not empty: import into a new store" in failed.stderr
    assert ucs("store", "export", str(tmp_path / "after")).stdout == before.replace(
        "before", "after"
    )
    assert files(tmp_path / "before") == files(tmp_path / "after")


def test_an_interrupted_export_or_a_short_file_is_refused(
    tmp_path: Path, sqlite_store: str
) -> None:
    ucs = runner_for(sqlite_store)
    ucs("demo", "--month", "2026-10")
    dump = tmp_path / "dump"
    ucs("store", "export", str(dump))
    usage = (dump / "usage.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (dump / "usage.jsonl").write_text("".join(usage[:-3]), encoding="utf-8")
    short = runner_for(str(tmp_path / "x.sqlite3"))("store", "import", str(dump), code=1)
    assert f"usage.jsonl: {len(usage) - 3} rows, the manifest says {len(usage)}" in short.stderr
    (dump / "manifest.json").unlink()
    gone = runner_for(str(tmp_path / "y.sqlite3"))("store", "import", str(dump), code=1)
    assert "no manifest.json: not a complete export" in gone.stderr
    again = ucs("store", "export", str(dump), code=1)  # never over an earlier dump
    assert f"export directory '{dump}': is not empty: use a new one" in again.stderr


def test_store_check_finds_a_bill_that_does_not_reproduce_and_a_lost_posting(
    tmp_path: Path, sqlite_store: str
) -> None:
    ucs = runner_for(sqlite_store)
    ucs("demo", "--month", "2026-10")
    assert "0 problem(s)" in ucs("store", "check").stdout
    with sqlite3.connect(sqlite_store) as db:  # a usage record changed after billing…
        db.execute(
            "UPDATE usage SET duration = duration + 600 WHERE id = ("
            " SELECT id FROM usage WHERE msisdn = ? AND service = 0 ORDER BY id LIMIT 1)",
            (NUMBER,),
        )
        # …and another line's bill posting lost
        db.execute("DELETE FROM ledger WHERE ref = '13012345678-202610'")
    failed = ucs("store", "check", code=1)
    assert "3 problem(s)" in failed.stdout  # the lost posting also leaves its account's version
    assert f"bill {NUMBER}-202610: does not reproduce from its usage" in failed.stderr
    assert "bill 13012345678-202610: posted to the ledger as nothing" in failed.stderr
    report = json.loads(ucs("store", "check", "--json", code=1).stdout)
    assert sorted(p["subject"] for p in report["problems"]) == [
        "account ACC-13012345678",
        "bill 13012345678-202610",
        f"bill {NUMBER}-202610",
    ]


def test_an_adjustment_above_the_limit_needs_a_supervisor_and_is_audited(
    sqlite_store: str,
) -> None:
    ucs = runner_for(sqlite_store)
    ucs("demo", "--month", "2026-10")
    args = ("bill", "adjust", NUMBER, "--month", "2026-11", "--reason", "goodwill", "--")
    refused = ucs("--agent", "A07", *args, "-100.01", code=1)
    assert refused.stderr == (
        "error: A07: an adjustment above 100.00 yuan needs the supervisor role (this is agent)\n"
    )
    ucs("--agent", "A07", *args, "-100.00")  # at the limit: an agent may
    ucs("--agent", "S01", "--role", "supervisor", *args, "-300")
    trail = json.loads(ucs("store", "audit", "--json").stdout)
    assert [(e["actor"], e["role"], e["action"], e["detail"]) for e in trail] == [
        ("A07", "agent", "adjustment", f"ADJ-{NUMBER}-202611-1 -100.00"),
        ("S01", "supervisor", "adjustment", f"ADJ-{NUMBER}-202611-2 -300.00"),
    ]


def test_names_and_identity_numbers_are_masked_unless_revealed_and_a_reveal_is_audited(
    sqlite_store: str,
) -> None:
    ucs = runner_for(sqlite_store)
    ucs("init")
    ucs(
        "subscriber", "add", NUMBER, "--plan", "4g-56", "--activated", "2026-10-01",
        "--name", "李伟", "--id-doc", "11010519491231002X",
    )  # fmt: skip
    shown = ucs("subscriber", "show", NUMBER).stdout
    assert "李伟" not in shown and "李*" in shown
    assert "110***********002X" in shown
    assert "李伟" not in ucs("subscriber", "list").stdout
    line = json.loads(ucs("subscriber", "show", NUMBER, "--json").stdout)
    assert (line["line"]["name"], line["account"]["name"]) == ("李*", "李*")
    balance = json.loads(ucs("balance", NUMBER, "--json").stdout)
    assert balance["account"]["name"] == "李*"  # every JSON output, not only `subscriber`
    assert json.loads(ucs("store", "audit", "--json").stdout) == []
    revealed = ucs("--agent", "A07", "subscriber", "show", NUMBER, "--reveal").stdout
    assert "李伟" in revealed and "110105********002X" in revealed
    trail = json.loads(ucs("store", "audit", "--json").stdout)
    assert [(e["actor"], e["action"], e["subject"]) for e in trail] == [("A07", "reveal", NUMBER)]


def test_store_check_finds_a_posting_to_the_wrong_account_by_the_account_versions(
    sqlite_store: str,
) -> None:
    ucs = runner_for(sqlite_store)
    ucs("demo", "--month", "2026-10")
    with sqlite3.connect(sqlite_store) as db:
        db.execute("UPDATE account SET version = version + 1 WHERE id = 'ACC-13012345678'")
        db.execute("UPDATE ledger SET account_id = 'ACC-LIWEI' WHERE ref = '18512345678-202610'")
    report = json.loads(ucs("store", "check", "--json", code=1).stdout)
    reasons = {p["subject"]: p["reason"] for p in report["problems"]}
    assert reasons["account ACC-13012345678"] == "at version 2, but its ledger has 1 posting(s)"
    assert reasons["bill 18512345678-202610"] == (
        "posted to the ledger as -194.96 to ACC-LIWEI, expected -194.96 to ACC-18512345678"
    )
    assert reasons["account ACC-LIWEI"] == "at version 3, but its ledger has 4 posting(s)"


def test_a_closed_line_takes_no_adjustment_after_its_final_bill() -> None:
    store = MemoryStore()
    service.init_store(store)
    line = service.add_line(store, NUMBER, "4g-56", date(2026, 9, 1))
    closed = datetime(2026, 10, 20, 12, tzinfo=SHANGHAI)
    store.update_subscriber(attrs.evolve(line, statuses=(StatusChange(closed, LineStatus.CLOSED),)))
    now = datetime(2026, 11, 25, 10, tzinfo=SHANGHAI)
    with pytest.raises(Conflict, match="has no open bill for 2026-11"):
        service.adjust(store, NUMBER, Month(2026, 11), Money(-1), "goodwill", now)
    service.adjust(store, NUMBER, Month(2026, 10), Money(-1), "goodwill", now)  # its last month
    assert check_store(store, service.load_catalog(store)).problems == ()


def test_redact_masks_people_however_deep_and_leaves_everything_else_as_it_is() -> None:
    from unicom_cs.audit import redact
    from unicom_cs.orders import Channel, OrderRequest, OrderType
    from unicom_cs.service import OrderResult

    store = MemoryStore()
    service.init_store(store)
    line = service.add_line(store, NUMBER, "4g-56", date(2026, 10, 1), name="李伟")
    request = OrderRequest("r1", NUMBER, OrderType.CHANGE_HOLDER, Channel.COUNTER, holder="张三")
    order = attrs.evolve(store_order(store), request=request)
    shown: dict[str, Any] = redact({"results": [OrderResult(order, line)], "n": 1})
    [result] = shown["results"]
    assert shown["n"] == 1
    assert (result.line.name, result.order.request.holder) == ("李*", "张*")
    assert (line.name, order.request.holder) == ("李伟", "张三")  # the values themselves stay
    bill, rated = service.bill_for(
        store, NUMBER, datetime(2026, 11, 25, tzinfo=SHANGHAI), Month(2026, 10)
    )
    assert (
        redact(bill) is bill and redact(rated) is rated
    )  # nothing personal in a bill: not even copied


def store_order(store: MemoryStore) -> ServiceOrder:
    from unicom_cs.orders import Channel, OrderRequest, OrderType

    request = OrderRequest("r0", NUMBER, OrderType.SERVICE_OPEN, Channel.HOTLINE, "caller-id")
    return service.submit_order(store, request, datetime(2026, 11, 25, tzinfo=SHANGHAI)).order
