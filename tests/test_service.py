"""The application services (the 10010 use cases), run against every store: memory and SQLite."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unicom_cs import service, testing
from unicom_cs.account import BillState, EntryKind, PaymentMode, check_payment
from unicom_cs.errors import BatchRejected, Conflict, InvalidValue, NotFound, NotInitialised
from unicom_cs.integrity import check_store
from unicom_cs.money import Money
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.rating import LineCode
from unicom_cs.store.memory import MemoryStore
from unicom_cs.store.postgres import PostgresStore
from unicom_cs.store.sqlite import SQLiteStore
from unicom_cs.usage import COLUMNS, UsageRecord, format_cdrs, parse_cdrs

STORES = ["memory", "sqlite"]

A = "13012345678"  # 3G A-46, postpaid, joined 10 September 2026
B = "18612345678"  # 4G-56, postpaid, joined 1 August 2026


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=SHANGHAI)


@pytest.fixture
def lines(store: Store) -> Store:
    service.add_line(store, A, "3g-a-46", date(2026, 9, 10))
    service.add_line(store, B, "4g-56", date(2026, 8, 1))
    return store


def csv(*rows: str) -> bytes:
    return ("\n".join([",".join(COLUMNS), *rows]) + "\n").encode()


def snapshot(store: Store, ids: Sequence[str] = ()) -> dict[str, Any]:
    """Everything the store holds that the services can read back."""
    subs = list(store.subscribers())
    accounts = sorted({s.account_id for s in subs})
    far_past, far_future = at(2000, 1, 1), at(2100, 1, 1)
    months = [Month(2026, m) for m in range(1, 13)]
    return {
        "sources": store.catalog_sources(),
        "lines": subs,
        "accounts": [store.get_account(a) for a in accounts],
        "usage": {
            s.msisdn: sorted(store.usage(s.msisdn, far_past, far_future), key=lambda r: r.id)
            for s in subs
        },
        "usage_by_id": store.usage_by_ids(list(ids)),
        "bills": {a: sorted(store.bills(a), key=lambda b: b.id) for a in accounts},
        "entries": {a: sorted(store.entries(a), key=lambda e: e.id) for a in accounts},
        "adjustments": {
            (s.msisdn, m): store.adjustments(s.msisdn, m) for s in subs for m in months
        },
    }


def raw_state(store: Store) -> object:
    """Everything the store holds, read below the port: the tables or the database dump."""
    if isinstance(store, MemoryStore):
        return copy.deepcopy(store._t)
    if isinstance(store, PostgresStore):
        db = store._conn
        tables = db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        ).fetchall()
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for (t,) in tables}
    assert isinstance(store, SQLiteStore)
    return list(store._db.iterdump())


# --------------------------------------------------------------------------- store and lines


def test_init_is_idempotent(store: Store) -> None:
    assert service.init_store(store) is False  # the fixture has run it once already
    assert service.init_store(store) is False
    assert [name for name, _ in store.catalog_sources()] == [service.BUNDLED]
    assert "4g-56" in service.load_catalog(store).plans


def test_an_empty_store_has_no_catalog_until_init() -> None:
    empty = MemoryStore()
    with pytest.raises(NotInitialised, match="run `ucs init` first"):
        service.load_catalog(empty)
    assert service.init_store(empty) is True


def test_add_line_opens_a_line_on_a_new_account(store: Store) -> None:
    sub = service.add_line(store, "+86 130-1234-5678", "3g-a-46", date(2026, 9, 10), name="Wang")
    assert sub.msisdn == A
    assert service.get_line(store, "130 1234 5678") == sub
    assert service.get_account(store, sub.account_id).mode is PaymentMode.POSTPAID


def test_add_line_refuses_an_unknown_plan(store: Store) -> None:
    with pytest.raises(NotFound):
        service.add_line(store, A, "4g-57", date(2026, 9, 10))
    assert list(store.subscribers()) == []


def test_add_line_refuses_a_number_that_is_taken_however_it_is_typed(lines: Store) -> None:
    with pytest.raises(Conflict):
        service.add_line(lines, "+86 130 1234 5678", "4g-56", date(2026, 10, 1))
    assert service.get_line(lines, A).plan_id == "3g-a-46"


@pytest.mark.parametrize("number", ["12345", "23012345678", "010-62345678"])
def test_add_line_refuses_a_number_that_does_not_fit_the_plan(store: Store, number: str) -> None:
    with pytest.raises(InvalidValue):
        service.add_line(store, number, "4g-56", date(2026, 9, 10))


def test_a_second_line_joins_an_account_only_with_the_same_payment_mode(lines: Store) -> None:
    acc = service.get_line(lines, A).account_id
    service.add_line(lines, "13112345678", "4g-76", date(2026, 9, 1), account_id=acc)
    assert [s.msisdn for s in lines.subscribers(acc)] == [A, "13112345678"]
    with pytest.raises(Conflict):
        service.add_line(
            lines,
            "13212345678",
            "4g-76",
            date(2026, 9, 1),
            account_id=acc,
            mode=PaymentMode.PREPAID,
        )


def test_an_unknown_number_is_not_found(lines: Store) -> None:
    with pytest.raises(NotFound):
        service.get_line(lines, "13112345678")


# --------------------------------------------------------------------------- usage import

GOOD_A = f"a1,{A},voice,out,2026-10-05T09:00:00,61,,13800138000,CN-BJ"
GOOD_B = f"b1,{B},data,out,2026-10-06T09:00:00,,1048576,,CN-BJ"


@pytest.fixture
def issued_september(lines: Store) -> Store:
    """A record of A's in September is stored, and September is billed."""
    service.import_usage(lines, parse_cdrs(csv(f"old1,{A},sms,out,2026-09-15T10:00:00,,,1,CN")))
    list(service.run_bills(lines, Month(2026, 9), at(2026, 10, 1)))
    return lines


BAD_FILE = [
    GOOD_A,  # line 2
    "x1,13112345678,voice,out,2026-10-05T09:00:00,60,,1,CN",  # 3: unknown number
    f"x2,{B},voice,out,2026-07-31T23:59:59,60,,1,CN",  # 4: before activation (1 August)
    f"old1,{A},sms,out,2026-09-15T10:00:00,,,2,CN",  # 5: stored with other content
    f"x3,{A},voice,out,2026-09-20T09:00:00,60,,1,CN",  # 6: September is billed: closed
    GOOD_B,  # 7
    f"x4,{A},voice,out,2026-10-32T09:00:00,60,,1,CN",  # 8: not a date
]
BAD_IDS = ["a1", "x1", "x2", "old1", "x3", "b1", "x4"]


def test_a_file_with_bad_rows_is_rejected_whole_and_changes_nothing(
    issued_september: Store,
) -> None:
    store = issued_september
    before, raw = snapshot(store, BAD_IDS), raw_state(store)
    with pytest.raises(BatchRejected) as caught:
        service.import_usage(store, parse_cdrs(csv(*BAD_FILE), "oct.csv"))
    errors = {e.where: e.reason for e in caught.value.errors}
    assert list(errors) == ["oct.csv:3", "oct.csv:4", "oct.csv:5", "oct.csv:6", "oct.csv:8"]
    assert "unknown number" in errors["oct.csv:3"]
    assert "before the line was activated" in errors["oct.csv:4"]
    assert "other content" in errors["oct.csv:5"]
    assert "billed up to 2026-09: that period is closed" in errors["oct.csv:6"]
    assert "start" in errors["oct.csv:8"]
    assert snapshot(store, BAD_IDS) == before
    assert raw_state(store) == raw


def test_skip_bad_imports_the_good_rows_and_reports_the_bad(issued_september: Store) -> None:
    store = issued_september
    report = service.import_usage(store, parse_cdrs(csv(*BAD_FILE), "oct.csv"), skip_bad=True)
    assert (report.rows, report.imported, report.already_imported) == (7, 2, 0)
    assert [e.where for e in report.rejected] == [f"oct.csv:{n}" for n in (3, 4, 5, 6, 8)]
    assert sorted(store.usage_by_ids(BAD_IDS)) == ["a1", "b1", "old1"]
    assert store.usage_by_ids(["old1"])["old1"].peer == "1"  # the stored record is kept


def test_importing_a_file_again_changes_nothing(lines: Store) -> None:
    parsed = parse_cdrs(csv(GOOD_A, GOOD_B), "oct.csv")
    first = service.import_usage(lines, parsed)
    assert (first.imported, first.already_imported) == (2, 0)
    before, raw = snapshot(lines, ["a1", "b1"]), raw_state(lines)
    again = service.import_usage(lines, parsed)
    assert (again.imported, again.already_imported, again.rejected) == (0, 2, ())
    assert snapshot(lines, ["a1", "b1"]) == before
    assert raw_state(lines) == raw


@pytest.mark.parametrize("kind", STORES)
@settings(max_examples=20)
@given(
    records=testing.usage_records(A, Month(2026, 10), max_size=12),
    split=st.integers(0, 12),
)
def test_importing_a_file_in_two_parts_gives_the_same_bill_as_importing_it_once(
    kind: str,
    tmp_path_factory: pytest.TempPathFactory,
    open_store: Callable[[str, Path], Store],
    records: list[UsageRecord],
    split: int,
) -> None:
    k = min(split, len(records))
    now = at(2026, 11, 2)
    bills = []
    for parts in ([records], [records[:k], records[k:]]):
        store = open_store(kind, tmp_path_factory.mktemp("split"))
        service.add_line(store, A, "3g-a-46", date(2026, 9, 10))
        for i, part in enumerate(parts):
            service.import_usage(store, parse_cdrs(format_cdrs(part).encode(), f"part{i}.csv"))
        composed, _ = service.bill_for(store, A, now, Month(2026, 10))
        (issued,) = [r.bill for r in service.run_bills(store, Month(2026, 10), now)]
        assert issued is not None
        bills.append((composed, issued))
        store.close()
    assert bills[0] == bills[1]


# --------------------------------------------------------------------------- bill runs


class _SomethingHappensMidRun(MemoryStore):
    """A store on which, once, something happens just after a bill run has composed a line
    from its snapshot and before it writes the bills: what another agent or worker may do at
    that moment on a shared store."""

    def __init__(self, meanwhile: Callable[[Store], object]) -> None:
        super().__init__()
        self.meanwhile: Callable[[Store], object] | None = meanwhile

    @contextmanager
    def reading(self, *, safe: bool = True) -> Iterator[None]:
        with super().reading(safe=safe):
            yield
        change, self.meanwhile = self.meanwhile, None
        if change is not None:
            change(self)


LATE_MMS = f"late,{B},mms,out,2026-10-20T09:00:00,,,13800138000,CN-BJ"


def _late_import(store: Store) -> object:
    return service.import_usage(store, parse_cdrs(csv(LATE_MMS)))


def _late_adjustment(store: Store) -> object:
    return service.adjust(store, B, Month(2026, 10), Money("-3"), "goodwill", at(2026, 11, 1))


def _another_run(store: Store) -> object:
    return list(service.run_bills(store, Month(2026, 10), at(2026, 11, 1)))


@pytest.mark.parametrize(
    ("meanwhile", "expect"),
    [(_late_import, LineCode.MMS), (_late_adjustment, LineCode.ADJUSTMENT), (_another_run, None)],
)
def test_a_bill_run_composes_again_what_changed_after_its_snapshot(
    meanwhile: Callable[[Store], object], expect: LineCode | None
) -> None:
    store = _SomethingHappensMidRun(meanwhile)
    service.init_store(store)
    service.add_line(store, B, "4g-56", date(2026, 8, 1))
    service.import_usage(store, parse_cdrs(csv(GOOD_B)))
    (result,) = service.run_bills(store, Month(2026, 10), at(2026, 11, 1))
    issued = store.get_bill(B, Month(2026, 10))
    assert issued is not None
    # every issued bill composed again from the store equals the stored one
    assert check_store(store, service.load_catalog(store)).ok
    if expect is None:  # the other run issued it meanwhile: this one says so, issues nothing
        assert (result.bill, result.skipped) == (None, "already issued")
        refs = [e.ref for e in store.entries(issued.account_id)]
        assert refs.count(issued.id) == 1  # posted once, by the run that issued it
    else:
        assert result.bill == issued
        assert expect in [line.code for line in issued.lines]


def test_a_bill_run_issues_each_line_once_and_can_be_repeated(lines: Store) -> None:
    service.import_usage(lines, parse_cdrs(csv(GOOD_A, GOOD_B)))
    now = at(2026, 11, 1)
    first = {r.msisdn: r for r in service.run_bills(lines, Month(2026, 10), now)}
    assert {m: r.skipped for m, r in first.items()} == {A: "", B: ""}
    bill_a = first[A].bill
    assert bill_a is not None and bill_a.issued_at == now
    # 46 fee; the 61 s call (2 min) is within the 50 minutes
    assert str(bill_a.total) == "46.00"
    again = {r.msisdn: r for r in service.run_bills(lines, Month(2026, 10), at(2026, 11, 2))}
    assert {m: (r.bill, r.skipped) for m, r in again.items()} == {
        A: (None, "already issued"),
        B: (None, "already issued"),
    }
    assert lines.get_bill(A, Month(2026, 10)) == bill_a
    # A joined on 10 September and September was never billed: the run issues it first
    assert [b.month for b in first[A].earlier] == [Month(2026, 9)]
    acc = bill_a.account_id
    assert [(e.kind, e.amount, e.ref) for e in lines.entries(acc)] == [
        (EntryKind.BILL, Money("-46.00"), f"{A}-202609"),
        (EntryKind.BILL, Money("-46.00"), f"{A}-202610"),
    ]


def test_a_bill_run_skips_lines_not_yet_active(lines: Store) -> None:
    results = {
        r.msisdn: r.skipped for r in service.run_bills(lines, Month(2026, 8), at(2026, 9, 1))
    }
    assert results == {A: "not active", B: ""}


def test_a_month_cannot_be_billed_before_it_ends(lines: Store) -> None:
    with pytest.raises(Conflict):
        list(service.run_bills(lines, Month(2026, 10), at(2026, 10, 31, 23, 59, 59)))
    assert lines.get_bill(A, Month(2026, 10)) is None


def test_an_issued_bill_is_shown_as_issued_even_if_usage_arrives_late(lines: Store) -> None:
    list(service.run_bills(lines, Month(2026, 10), at(2026, 11, 1)))
    with pytest.raises(BatchRejected):
        service.import_usage(lines, parse_cdrs(csv(GOOD_A)))
    bill, _ = service.bill_for(lines, A, at(2026, 11, 5), Month(2026, 10))
    assert bill.is_issued and str(bill.total) == "46.00"


def test_4g_rollover_carries_into_the_next_months_bill_through_the_store(lines: Store) -> None:
    """B (4G-56) joined on 1 August and used no data then: August's 500 MB carry into
    September. September's 200 MB are drawn from those first (the other 300 expire), so
    September's own 500 MB carry into October. October uses 1,100 MB: 500 carried + 500 own
    = 1,000 included, 100 MB over × 0.30 = 30.00; total 86.00. (Without the carry-in: 600 MB
    over, 0.30 × 200 = 60.00, total 116.00.)"""
    mb = 1024 * 1024
    rows = [
        f"s1,{B},data,out,2026-09-10T09:00:00,,{200 * mb},,CN",
        f"o1,{B},data,out,2026-10-10T09:00:00,,{1100 * mb},,CN",
    ]
    service.import_usage(lines, parse_cdrs(csv(*rows)))
    unissued, _ = service.bill_for(lines, B, at(2026, 11, 1), Month(2026, 10))
    assert str(unissued.total) == "86.00"
    bill_months(lines, Month(2026, 8), Month(2026, 9))  # now carried from the issued bills
    assert lines.get_bill(B, Month(2026, 8)).carry_out_bytes == 500 * mb  # type: ignore[union-attr]
    assert lines.get_bill(B, Month(2026, 9)).carry_out_bytes == 500 * mb  # type: ignore[union-attr]
    issued, _ = service.bill_for(lines, B, at(2026, 11, 1), Month(2026, 10))
    assert str(issued.total) == "86.00"


# --------------------------------------------------------------------------- money


def bill_months(store: Store, *months: Month) -> None:
    for m in months:
        list(service.run_bills(store, m, m.end))


def states(store: Store, msisdn: str) -> list[tuple[str, str, str]]:
    acc = service.get_line(store, msisdn).account_id
    return [(str(s.amount), str(s.paid), s.state.value) for s in service.settlements(store, acc)]


def test_payments_settle_the_oldest_bill_first(lines: Store) -> None:
    """B's August and September bills are 56.00 each (no usage). Paying 30, then 50, then 32:
    30 → August partly paid; 80 → August settled, September 24 of 56; 112 → both settled."""
    bill_months(lines, Month(2026, 8), Month(2026, 9))
    assert states(lines, B) == [("56.00", "0.00", "sent"), ("56.00", "0.00", "sent")]
    service.receive_money(lines, B, Money("30"), EntryKind.PAYMENT, at(2026, 10, 2))
    assert states(lines, B) == [("56.00", "30.00", "partiallyPaid"), ("56.00", "0.00", "sent")]
    service.receive_money(lines, B, Money("50"), EntryKind.PAYMENT, at(2026, 10, 3))
    assert states(lines, B) == [
        ("56.00", "56.00", "settled"),
        ("56.00", "24.00", "partiallyPaid"),
    ]
    service.receive_money(lines, B, Money("32"), EntryKind.PAYMENT, at(2026, 10, 4))
    assert [s[2] for s in states(lines, B)] == [BillState.SETTLED.value] * 2


def test_an_unpaid_bill_is_in_arrears_from_the_end_of_the_next_month(lines: Store) -> None:
    """August's bill (56.00) is due at the end of September: 1 October 00:00 Beijing time."""
    bill_months(lines, Month(2026, 8))
    acc = service.get_line(lines, B).account_id
    just_before = service.account_status(lines, acc, at(2026, 9, 30, 23, 59, 59))
    assert just_before.arrears == Money(0)
    assert just_before.balance == Money("-56.00")
    due = service.account_status(lines, acc, at(2026, 10, 1))
    assert due.arrears == Money("56.00")
    assert [(r.account_id, str(r.arrears)) for r in service.arrears(lines, at(2026, 10, 1))] == [
        (acc, "56.00")
    ]
    bill_months(lines, Month(2026, 9))
    service.receive_money(lines, B, Money("30"), EntryKind.PAYMENT, at(2026, 10, 2))
    # August 26.00 still unpaid and overdue; September (56.00) is not due until 1 November
    assert service.account_status(lines, acc, at(2026, 10, 31)).arrears == Money("26.00")
    assert service.account_status(lines, acc, at(2026, 11, 1)).arrears == Money("82.00")


def test_a_prepaid_balance_takes_the_months_fee_on_the_1st_and_usage_as_rated(
    store: Store,
) -> None:
    """Prepaid 4G-56 from 1 October; recharge 100. The fee (56) is taken on the 1st: 44.00.
    A 6,600 s call (110 min) on 5 October at 10:00 is 10 min over × 0.15 = 1.50: 42.50 after
    it. On 1 November, before any bill run, November's fee is taken too: 100 − 57.50 − 56 =
    −13.50, which is arrears."""
    c = "15512345678"
    service.add_line(store, c, "4g-56", date(2026, 10, 1), mode=PaymentMode.PREPAID)
    acc = service.get_line(store, c).account_id
    service.receive_money(store, c, Money("100"), EntryKind.RECHARGE, at(2026, 10, 1, 8))
    service.import_usage(
        store, parse_cdrs(csv(f"c1,{c},voice,out,2026-10-05T10:00:00,6600,,13800138000,CN"))
    )
    first = service.account_status(store, acc, at(2026, 10, 1, 9))
    assert (first.balance, first.unbilled, first.arrears) == (Money("44"), Money("56"), Money(0))
    assert service.account_status(store, acc, at(2026, 10, 5, 9)).balance == Money("44.00")
    after_call = service.account_status(store, acc, at(2026, 10, 5, 12))
    assert after_call.balance == Money("42.50")
    november = service.account_status(store, acc, at(2026, 11, 1))
    assert november.balance == Money("-13.50")
    assert november.arrears == Money("13.50")


def test_an_adjustment_is_a_line_on_the_months_bill(lines: Store) -> None:
    adj = service.adjust(lines, B, Month(2026, 10), Money("-5"), "network outage", at(2026, 10, 20))
    bill, _ = service.bill_for(lines, B, at(2026, 10, 21))
    (line,) = [x for x in bill.lines if x.code is LineCode.ADJUSTMENT]
    assert (str(line.amount), adj.id in line.label) == ("-5.00", True)
    assert str(bill.total) == "51.00"  # 56.00 − 5.00
    assert bill.lines[-1] == line


def test_an_adjustment_needs_an_amount_a_reason_and_an_open_month(lines: Store) -> None:
    with pytest.raises(InvalidValue):
        service.adjust(lines, B, Month(2026, 10), Money(0), "nothing", at(2026, 10, 20))
    with pytest.raises(InvalidValue):
        service.adjust(lines, B, Month(2026, 10), Money(1), "  ", at(2026, 10, 20))
    with pytest.raises(Conflict):  # a future month
        service.adjust(lines, B, Month(2026, 11), Money(1), "later", at(2026, 10, 20))
    bill_months(lines, Month(2026, 9))
    with pytest.raises(Conflict):  # an issued month
        service.adjust(lines, B, Month(2026, 9), Money(1), "late", at(2026, 10, 20))
    assert lines.adjustments(B, Month(2026, 9)) == []


@pytest.mark.parametrize("amount", ["0", "-1", "0.001", "12.345", "100000.01"])
def test_check_payment_refuses_zero_negative_part_fen_and_too_much(amount: str) -> None:
    with pytest.raises(InvalidValue):
        check_payment(Money(amount))


@pytest.mark.parametrize("amount", ["0.01", "50", "100000"])
def test_check_payment_accepts_whole_fen_up_to_100000(amount: str) -> None:
    assert check_payment(Money(amount)) == Money(amount)


def test_a_refused_payment_records_nothing(lines: Store) -> None:
    before, raw = snapshot(lines), raw_state(lines)
    for amount in ("0", "-5", "0.005"):
        with pytest.raises(InvalidValue):
            service.receive_money(lines, B, Money(amount), EntryKind.PAYMENT, at(2026, 10, 2))
    with pytest.raises(InvalidValue):  # a bill is not money received
        service.receive_money(lines, B, Money(5), EntryKind.BILL, at(2026, 10, 2))
    assert snapshot(lines) == before
    assert raw_state(lines) == raw
