"""Properties of the store tools: a dump round-trips exactly between stores, whatever the store
holds; a checked store checks out; the shards of a bill run partition the accounts."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from unicom_cs import service, testing
from unicom_cs.account import EntryKind
from unicom_cs.billing import Bill
from unicom_cs.errors import ConcurrentUpdate
from unicom_cs.integrity import check_store
from unicom_cs.money import Money
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.service import Shard
from unicom_cs.store.memory import MemoryStore
from unicom_cs.store.sqlite import SCHEMA_VERSION, SQLiteStore
from unicom_cs.store.transfer import export_store, import_store
from unicom_cs.usage import ParsedCdrs

OCT, NOV = Month(2026, 10), Month(2026, 11)
BILLED = datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)  # October's bill run
NOW = datetime(2026, 11, 25, 10, tzinfo=SHANGHAI)
PLANS = ("4g-56", "4g-76", "3g-a-46", "3g-card-80")


@st.composite
def store_contents(draw: st.DrawFn) -> Callable[[Store], None]:
    """What to do to a store: open lines (some sharing an account), import a month of usage for
    each, bill October, take payments, post adjustments, write to the audit trail."""
    numbers = draw(st.lists(testing.msisdns(), min_size=1, max_size=4, unique=True))
    plans = [draw(st.sampled_from(PLANS)) for _ in numbers]
    shared = draw(st.booleans())
    usage = [draw(testing.usage_records(n, OCT, max_size=12)) for n in numbers]
    later = [draw(testing.usage_records(n, NOV, max_size=6, before=NOW)) for n in numbers]
    payments = draw(st.lists(testing.money("0.01", "500"), max_size=3))
    credits = draw(st.lists(testing.money("-50", "-0.01"), max_size=2))
    trail = draw(st.lists(testing.audit_entries(), max_size=3))

    def fill(store: Store) -> None:
        service.init_store(store)
        account = None
        for number, plan in zip(numbers, plans, strict=True):
            line = service.add_line(store, number, plan, date(2026, 10, 1), account_id=account)
            account = line.account_id if shared else None
        for records in (*usage, *later):
            service.import_usage(
                store, ParsedCdrs(tuple(records), (), len(records), source="t.csv")
            )
        list(service.run_bills(store, OCT, BILLED))
        for amount in payments:
            service.receive_money(store, numbers[0], amount, EntryKind.PAYMENT, NOW)
        for amount in credits:
            service.adjust(store, numbers[-1], NOV, amount, "goodwill", NOW)
        with store.transaction():
            for entry in trail:
                store.add_audit(entry)

    return fill


def dump(store: Store, directory: Path) -> dict[str, bytes]:
    export_store(store, directory, SCHEMA_VERSION)
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@settings(max_examples=25)
@given(fill=store_contents())
def test_a_dump_goes_from_store_to_store_and_back_byte_for_byte(
    fill: Callable[[Store], None],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        memory = MemoryStore()
        fill(memory)
        first = dump(memory, Path(tmp) / "one")
        sqlite = SQLiteStore(Path(tmp) / "s.db")
        try:
            import_store(sqlite, Path(tmp) / "one", SCHEMA_VERSION)
            assert dump(sqlite, Path(tmp) / "two") == first
            report = check_store(sqlite, service.load_catalog(sqlite))
            assert report.problems == ()
            assert report.bills == len(list(memory.all_bills())) >= 1  # every line billed
            again = MemoryStore()
            import_store(again, Path(tmp) / "two", SCHEMA_VERSION)
            assert dump(again, Path(tmp) / "three") == first
            for account in memory.accounts():  # versions survive the trip
                assert again.get_account(account.id) == account
        finally:
            sqlite.close()


@settings(max_examples=25)
@given(fill=store_contents(), extra=testing.money("0.01", "9.99"))
def test_check_finds_a_ledger_that_does_not_match_its_bills(
    fill: Callable[[Store], None], extra: Money
) -> None:
    store = MemoryStore()
    fill(store)
    assert check_store(store, service.load_catalog(store)).ok
    bill = next(store.all_bills())
    entry = next(e for e in store.all_entries() if e.ref == bill.id)
    store._t.entries[entry.id] = type(entry)(  # a posting tampered with below the port
        entry.id, entry.account_id, entry.at, entry.kind, entry.amount - extra, entry.ref
    )
    store._t.entries_by_account[entry.account_id][entry.id] = store._t.entries[entry.id]
    problems = check_store(store, service.load_catalog(store)).problems
    assert [p.subject for p in problems] == [f"bill {bill.id}"]
    assert "posted to the ledger as" in problems[0].reason


@given(accounts=st.lists(testing.account_ids(), unique=True), count=st.integers(1, 8))
def test_the_shards_of_a_run_partition_the_accounts(accounts: list[str], count: int) -> None:
    parts = [Shard(i, count) for i in range(1, count + 1)]
    for account in accounts:
        assert sum(part.owns(account) for part in parts) == 1


@given(shard=testing.shards())
def test_a_shard_reads_back_from_its_text(shard: Shard) -> None:
    assert Shard.parse(f"{shard.index}/{shard.count}") == shard


class _Racing(MemoryStore):
    """A store on which one line's bill always loses a race (as PostgreSQL would say)."""

    def __init__(self, loser: str) -> None:
        super().__init__()
        self.loser = loser

    def add_bill(self, bill: Bill) -> None:
        if bill.msisdn == self.loser:
            raise ConcurrentUpdate("test", "could not serialize access")
        super().add_bill(bill)


def test_a_line_that_loses_every_race_is_reported_unbilled_and_the_run_goes_on() -> None:
    numbers = ["18612345678", "13012345678", "18512345678"]
    store = _Racing(numbers[1])
    service.init_store(store)
    for number in numbers:
        service.add_line(store, number, "4g-56", date(2026, 10, 1))
    pauses: list[int] = []
    results = {r.msisdn: r for r in service.run_bills(store, OCT, BILLED, pause=pauses.append)}
    assert results[numbers[1]].skipped == service.UNBILLED_BY_RACE
    assert [results[n].bill is not None for n in (numbers[0], numbers[2])] == [True, True]
    assert pauses == list(range(1, service.ATTEMPTS))  # a pause between attempts, none after
    assert store.get_bill(numbers[1], OCT) is None
    assert len(store.entries(f"ACC-{numbers[1]}")) == 0  # the undone attempts left nothing
