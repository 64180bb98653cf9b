"""Edge cases of CDR import, packs and adjustments found in review."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from unicom_cs import service
from unicom_cs.errors import Conflict, InvalidValue, OrderRejected
from unicom_cs.money import Money
from unicom_cs.orders import Channel, OrderRequest, OrderType
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.store.memory import MemoryStore
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import COLUMNS, parse_cdrs

NOW = datetime(2026, 11, 25, 10, tzinfo=SHANGHAI)


def cdrs(*rows: str) -> bytes:
    return (",".join(COLUMNS) + "\n" + "".join(r + "\n" for r in rows)).encode()


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    service.init_store(s)
    service.add_line(s, "18612345678", "4g-56", date(2026, 9, 1))
    service.add_line(s, "01062345678", "fixed-basic", date(2026, 9, 1))
    return s


def test_the_counts_of_an_import_add_up_to_its_rows(store: MemoryStore) -> None:
    row = "a,18612345678,sms,out,2026-11-02T10:00:00,,,13800138000,CN-BJ"
    first = service.import_usage(store, parse_cdrs(cdrs(row), "one.csv"))
    report = service.import_usage(
        store,
        parse_cdrs(
            cdrs(
                row,
                "b,18612345678,sms,out,2026-11-02T11:00:00,,,1,CN-BJ",
                "b,18612345678,sms,out,2026-11-02T11:00:00,,,1,CN-BJ",
                "c,13012345678,sms,out,2026-11-02T11:00:00,,,1,CN-BJ",
            ),
            "f.csv",
        ),
        skip_bad=True,
    )
    assert first.imported == 1
    assert (report.rows, report.imported, report.already_imported, report.repeated) == (4, 1, 1, 1)
    assert len(report.rejected) == 1
    assert report.rows == (
        report.imported + report.already_imported + report.repeated + len(report.rejected)
    )
    # a row rejected by the store checks keeps its content for the rejects file
    assert report.rejected[0].where == "f.csv:5"
    assert report.rejected[0].text.startswith("c,13012345678,sms,out,")


def test_a_fixed_line_s_calls_can_be_imported(store: MemoryStore) -> None:
    report = service.import_usage(
        store,
        parse_cdrs(cdrs("f,01062345678,voice,out,2026-11-02T10:00:00,125,,13800138000,CN-BJ")),
    )
    assert report.imported == 1
    bill, _ = service.bill_for(store, "010-62345678", NOW)
    assert str(bill.total) == "20.30"  # rent 20.00 + 3 minutes × 0.10


def test_a_quoted_field_with_a_line_break_is_a_bad_row() -> None:
    parsed = parse_cdrs(
        cdrs('a,18612345678,sms,out,2026-11-02T10:00:00,,,"100\n10",CN-BJ'), "m.csv"
    )
    assert [(e.where, e.reason) for e in parsed.errors] == [
        ("m.csv:2", "a quoted field spans several lines")
    ]


def test_an_unknown_country_code_is_a_bad_row() -> None:
    parsed = parse_cdrs(cdrs("a,18612345678,sms,out,2026-11-02T10:00:00,,,1,XX"), "x.csv")
    assert "invalid location 'XX'" in parsed.errors[0].reason


def test_a_pack_order_starts_this_month_or_next_and_runs_until_cancelled(
    store: MemoryStore,
) -> None:
    def order(pack_id: str, request_id: str, *, immediate: bool) -> Subscriber:
        request = OrderRequest(
            request_id, "18612345678", OrderType.PACK_ORDER, Channel.HOTLINE, pack_id, immediate
        )
        return service.submit_order(store, request, NOW).line

    sub = order("3g-pack-20", "r1", immediate=True)  # LJKT: this month
    assert sub.packs_for(Month(2026, 11)) == ("3g-pack-20",)
    assert sub.packs_for(Month(2027, 3)) == ("3g-pack-20",)
    assert sub.packs_for(Month(2026, 10)) == ()
    sub = order("3g-pack-30", "r2", immediate=False)  # KT: replaces the tier from next month
    assert sub.packs_for(Month(2026, 11)) == ("3g-pack-20",)
    assert sub.packs_for(Month(2026, 12)) == ("3g-pack-30",)
    with pytest.raises(OrderRejected, match="one 3g-data-pack order a month"):
        order("3g-pack-10", "r3", immediate=False)


def test_an_adjustment_is_a_whole_number_of_fen(store: MemoryStore) -> None:
    with pytest.raises(InvalidValue, match="whole number of fen"):
        service.adjust(store, "18612345678", Month(2026, 11), Money("-0.005"), "goodwill", NOW)
    adj = service.adjust(store, "18612345678", Month(2026, 11), Money("-5"), "goodwill", NOW)
    bill, _ = service.bill_for(store, "18612345678", NOW)
    assert str(bill.total) == "51.00" and adj.amount == Money(-5)


def test_money_takes_format_specs() -> None:
    assert f"{Money('5'):>8}" == "    5.00"


def test_a_tariff_in_use_cannot_be_redefined_but_a_new_id_can_be_added(store: MemoryStore) -> None:
    changed = '[[plan]]\nid = "4g-56"\nname = "Dearer"\nmonthly_fee = "99"\nsource = "test"\n'
    with pytest.raises(Conflict, match=r"4g-56.*in use by 18612345678"):
        service.add_tariffs(store, changed, "changed.toml")
    assert service.load_catalog(store).plan("4g-56").monthly_fee == Money(56)
    fresh = changed.replace('id = "4g-56"', 'id = "4g-56-2027"')
    assert list(service.add_tariffs(store, fresh, "new.toml").plans) == ["4g-56-2027"]


def test_the_store_keeps_the_catalog_it_was_initialised_with() -> None:
    from unicom_cs.default_catalog import DEFAULT_CATALOG_TOML

    s = MemoryStore()
    # as if this store had been initialised by a release whose 4g-56 cost 55
    old = DEFAULT_CATALOG_TOML.replace('monthly_fee = "56"', 'monthly_fee = "55"')
    s.add_catalog_source(service.BUNDLED, old)
    assert service.load_catalog(s).plan("4g-56").monthly_fee == Money(55)
    assert service.init_store(s) is False


@pytest.mark.parametrize(
    ("activated", "ok"), [(date(1989, 12, 31), False), (date(1990, 1, 1), True)]
)
def test_activation_dates_are_bounded(activated: date, ok: bool) -> None:
    s = MemoryStore()
    service.init_store(s)
    if ok:
        service.add_line(s, "18612345678", "4g-56", activated)
    else:
        with pytest.raises(InvalidValue, match="outside 1990 to 2999"):
            service.add_line(s, "18612345678", "4g-56", activated)


def test_a_fixed_line_does_not_roam_abroad() -> None:
    parsed = parse_cdrs(cdrs("f,01062345678,voice,out,2026-11-02T10:00:00,60,,1,JP"), "f.csv")
    assert parsed.records == ()
    assert "a fixed line does not roam abroad" in parsed.errors[0].reason


def test_undecodable_lines_count_as_rows() -> None:
    data = cdrs("a,18612345678,sms,out,2026-11-02T10:00:00,,,1,CN") + b"\xff\xfe,x\n"
    parsed = parse_cdrs(data, "u.csv")
    assert (parsed.rows, len(parsed.records), len(parsed.errors)) == (2, 1, 1)


def test_a_bill_issued_late_by_a_catch_up_run_is_not_overdue_at_once(store: MemoryStore) -> None:
    # joined 1 September, first billed on 25 November: September's bill was due by the end of
    # October, but the customer gets 15 days from issue
    (result,) = [
        r for r in service.run_bills(store, Month(2026, 10), NOW) if r.msisdn == "18612345678"
    ]
    september = result.earlier[0]
    assert september.month == Month(2026, 9)
    # issued on 25 November: due by the end of 10 December
    assert september.due_at == datetime(2026, 12, 11, tzinfo=SHANGHAI)
    assert service.line_status(store, "18612345678", NOW).arrears == Money(0)
    # both bills were issued on 25 November: both are due by the end of 10 December
    assert service.line_status(
        store, "18612345678", datetime(2026, 12, 10, 23, tzinfo=SHANGHAI)
    ).arrears == Money(0)
    later = datetime(2026, 12, 11, tzinfo=SHANGHAI)
    assert service.line_status(store, "18612345678", later).arrears == Money(112)


def test_a_row_with_a_nul_character_is_rejected_with_its_place() -> None:
    """No database text column holds NUL (PostgreSQL refuses it), so no store may get one."""
    header = "id,msisdn,service,direction,start,duration_s,bytes,peer,location"
    row = "r1,18612345678,voice,out,2026-10-05T08:30:00,60,,1380013\x008000,CN-BJ"
    parsed = parse_cdrs(f"{header}\n{row}\n".encode(), "nul.csv")
    assert parsed.records == ()
    assert [(e.where, e.reason) for e in parsed.errors] == [
        ("nul.csv:2", "contains a NUL character")
    ]
