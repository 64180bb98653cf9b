"""Bills across service-order boundaries, worked out by hand and reproduced through the services.

Every expected amount is derived in the comments from the bundled catalog's figures (4G-56: 56
a month, 100 min and 500 MB included, voice 0.15 a minute, SMS 0.10, data 0.30 a MB over;
4G-76: 76 a month, 200 min and 800 MB; caller-id 6 a month, ring-back and mailbox 5; the
retention fee 5; packs 10, 20 and 30), never copied from the code's output. Orders go through
`service.submit_order`, usage through `service.import_usage`, bills through `service.bill_for`
and `service.run_bills`, on every store. Rule PRORATE: a value-added service open part of a
month costs fee × days ÷ days in the month, rounded DOWN to the fen. Every bill is checked with
`billing.check_invariants` (its lines add up to its total, among other rules).
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime

import pytest

from unicom_cs import service
from unicom_cs.billing import Bill, check_invariants
from unicom_cs.errors import BatchRejected, Conflict, OrderRejected
from unicom_cs.money import total
from unicom_cs.orders import Channel, Credentials, OrderRequest, OrderState, OrderType
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.rating import LineCode, RatedRecord
from unicom_cs.service import OrderResult
from unicom_cs.subscriber import LineStatus
from unicom_cs.usage import COLUMNS, parse_cdrs

N = "18612345678"  # 4G-56 unless a test says otherwise
ID_DOC = "11010519491231002X"  # the holder's resident identity card
FRIEND = "13800138000"  # a China Mobile number: an ordinary domestic call
MB = 1024 * 1024
OCT, NOV, DEC, JAN = Month(2026, 10), Month(2026, 11), Month(2026, 12), Month(2027, 1)
FEE, PACK, SERVICE = LineCode.MONTHLY_FEE, LineCode.DATA_PACK, LineCode.SERVICE
VOICE, SMS, DATA = LineCode.VOICE, LineCode.SMS, LineCode.DATA


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


# ------------------------------------------------------------------------------ helpers


def line(store: Store, activated: date = date(2026, 10, 1)) -> None:
    service.add_line(store, N, "4g-56", activated, id_document=ID_DOC)


def order(
    store: Store,
    kind: OrderType,
    when: datetime,
    product: str = "",
    *,
    immediate: bool = False,
    channel: Channel = Channel.HOTLINE,
    document: str | None = None,
) -> OrderResult:
    request = OrderRequest(
        f"{kind}-{product}-{when.isoformat()}", N, kind, channel, product, immediate
    )
    return service.submit_order(store, request, when, Credentials(document=document))


def call(rid: str, when: datetime, seconds: int, peer: str = FRIEND, where: str = "CN-BJ") -> str:
    return f"{rid},{N},voice,out,{when.isoformat()},{seconds},,{peer},{where}"


def data(rid: str, when: datetime, nbytes: int, where: str = "CN-BJ") -> str:
    return f"{rid},{N},data,out,{when.isoformat()},,{nbytes},,{where}"


def sms(rid: str, when: datetime) -> str:
    return f"{rid},{N},sms,out,{when.isoformat()},,,{FRIEND},CN-BJ"


def use(store: Store, *rows: str) -> None:
    text = "\n".join([",".join(COLUMNS), *rows]) + "\n"
    report = service.import_usage(store, parse_cdrs(text.encode(), "cdrs.csv"))
    assert report.imported == len(rows)


def checked(bill: Bill) -> Bill:
    check_invariants(bill)
    assert bill.total == total(x.amount for x in bill.lines)
    return bill


def bill_of(store: Store, month: Month, now: datetime) -> tuple[Bill, tuple[RatedRecord, ...]]:
    bill, rated = service.bill_for(store, N, now, month)
    return checked(bill), rated


def amounts(bill: Bill) -> list[tuple[LineCode, str]]:
    return [(x.code, str(x.amount)) for x in bill.lines]


def run(store: Store, month: Month) -> Bill:
    """Issue `month` for every line at the month's end; N's bill, checked."""
    (result,) = [r for r in service.run_bills(store, month, month.end) if r.msisdn == N]
    assert result.bill is not None, result.skipped
    for earlier in result.earlier:
        checked(earlier)
    return checked(result.bill)


def blocked(rated: tuple[RatedRecord, ...]) -> dict[str, tuple[str, str]]:
    """The records charged nothing because the line could not use them: id → (charge, note)."""
    return {r.record.id: (str(r.charge), r.note) for r in rated if "not charged" in r.note}


# ------------------------------------------------------------------ (a) package change


@pytest.fixture
def changing(store: Store) -> Store:
    """N joins 4G-56 on 1 November and orders 4G-76 on 15 November at 10:00.

    November's usage, all after the order: one call of 9,000 s (150 min) on the 20th and
    500 MB of data on the 21st. December's: 150 min on the 10th and 600 MB on the 11th."""
    line(store, activated=date(2026, 11, 1))
    result = order(store, OrderType.PACKAGE_CHANGE, at(2026, 11, 15, 10), "4g-76")
    assert result.order.state is OrderState.PENDING
    assert result.order.effective_at == DEC.start
    use(
        store,
        call("n1", at(2026, 11, 20, 9), 9000),
        data("n2", at(2026, 11, 21, 9), 500 * MB),
        call("d1", at(2026, 12, 10, 9), 9000),
        data("d2", at(2026, 12, 11, 9), 600 * MB),
    )
    return store


def test_a_package_change_bills_november_on_the_old_plan_and_december_on_the_new(
    changing: Store,
) -> None:
    store = changing
    (change,) = service.list_orders(store, at(2026, 11, 30, 23, 59), N)
    assert change.state is OrderState.PENDING
    # November is still 4G-56, although the change was ordered before the usage: 150 min − 100
    # included = 50 min × 0.15 = 7.50; 500 MB = the 500 included: 0.00 (and nothing to carry).
    # 56.00 + 7.50 + 0.00 = 63.50
    november = run(store, NOV)
    assert november.plan_id == "4g-56"
    assert amounts(november) == [(FEE, "56.00"), (VOICE, "7.50"), (DATA, "0.00")]
    assert str(november.total) == "63.50"
    assert november.carry_out_bytes == 0
    # the scheduler completes the change at 00:00 on 1 December, as the system
    (done,) = service.process_due_orders(store, DEC.start)
    assert done.id == change.id and done.state is OrderState.COMPLETED
    last = done.transitions[-1]
    assert (last.at, last.by, last.previous) == (DEC.start, "system", OrderState.PENDING)
    assert service.process_due_orders(store, DEC.start) == []
    with pytest.raises(Conflict):  # it took effect: too late to withdraw
        service.withdraw_order(store, change.id, at(2026, 12, 2))
    # December is 4G-76: 150 min of the 200 included and 600 MB of the 800 included fit, which
    # on 4G-56 they would not (see the withdrawn case below): 76.00 + 0.00 + 0.00 = 76.00
    december = run(store, DEC)
    assert december.plan_id == "4g-76"
    assert amounts(december) == [(FEE, "76.00"), (VOICE, "0.00"), (DATA, "0.00")]
    assert str(december.total) == "76.00"
    # January is 4G-76 too: the fee alone
    assert amounts(run(store, JAN)) == [(FEE, "76.00")]


def test_a_withdrawn_package_change_leaves_december_on_the_old_plan(changing: Store) -> None:
    store = changing
    (change,) = service.list_orders(store, at(2026, 11, 20), N)
    withdrawn = service.withdraw_order(store, change.id, at(2026, 11, 20, 12))
    assert withdrawn.state is OrderState.CANCELLED
    assert service.get_line(store, N).plan_changes == ()
    assert service.process_due_orders(store, DEC.start) == []
    assert str(run(store, NOV).total) == "63.50"  # as above
    # December stays on 4G-56: 150 min − 100 = 50 min × 0.15 = 7.50; 600 MB − 500 included
    # (November carried nothing) = 100 MB × 0.30 = 30.00. 56.00 + 7.50 + 30.00 = 93.50
    december = run(store, DEC)
    assert december.plan_id == "4g-56"
    assert amounts(december) == [(FEE, "56.00"), (VOICE, "7.50"), (DATA, "30.00")]
    assert str(december.total) == "93.50"
    steps = [h.text for h in service.history(store, N, at(2027, 1, 1)) if h.kind == "order"]
    assert [s.split(" — ")[0] for s in steps] == [
        "package-change acknowledged: submitted",
        "package-change inProgress",
        "package-change pending: takes effect 2026-12-01T00:00+08:00",
        "package-change cancelled: withdrawn by the customer",
    ]


def test_the_current_months_charges_so_far_follow_the_plan_in_force(changing: Store) -> None:
    # on 5 December, before any scheduler ran: December's charges so far are on 4G-76 (the
    # timeline, not the order's state, decides): 76.00; the call on the 10th is not in yet
    so_far, _ = bill_of(changing, DEC, at(2026, 12, 5))
    assert (so_far.plan_id, str(so_far.total)) == ("4g-76", "76.00")
    assert so_far.as_of == at(2026, 12, 5)


# --------------------------------------------------------------- (b) value-added services


def test_value_added_services_are_prorated_by_the_day_and_rounded_down(store: Store) -> None:
    line(store)
    # 10 November: mailbox opened at 09:00 and closed at 17:00; caller-id opened at 10:00
    order(store, OrderType.SERVICE_OPEN, at(2026, 11, 10, 9), "mailbox")
    opened = order(store, OrderType.SERVICE_OPEN, at(2026, 11, 10, 10), "caller-id")
    assert opened.order.state is OrderState.COMPLETED
    order(store, OrderType.SERVICE_CLOSE, at(2026, 11, 10, 17), "mailbox")
    # 17 December (a 31-day month): ring-back opened
    order(store, OrderType.SERVICE_OPEN, at(2026, 12, 17, 8), "ringback")
    # 5 January 2027: caller-id closed at 10:00
    order(store, OrderType.SERVICE_CLOSE, at(2027, 1, 5, 10), "caller-id")

    # November (30 days): caller-id open 10th to 30th = 21 days: 6 × 21/30 = 4.20 exactly;
    # mailbox open one day: 5 × 1/30 = 0.1666… → 0.16 (down, not half-up 0.17).
    # 56.00 + 4.20 + 0.16 = 60.36
    november = run(store, NOV)
    assert [(x.label, str(x.amount), str(x.exact)) for x in november.lines[1:]] == [
        ("Caller display", "4.20", "4.20"),
        ("Mobile mailbox", "0.16", "0.16"),
    ]
    assert str(november.total) == "60.36"
    assert "6.00 a month × 21/30 days open" in november.lines[1].explanation
    # December (31 days): caller-id open all month: the full 6.00; ring-back from the 17th to
    # the 31st = 15 days: 5 × 15/31 = 2.4193… → 2.41. 56.00 + 6.00 + 2.41 = 64.41
    december = run(store, DEC)
    assert amounts(december) == [(FEE, "56.00"), (SERVICE, "6.00"), (SERVICE, "2.41")]
    assert [x.label for x in december.lines[1:]] == ["Caller display", "Ring-back tone"]
    assert str(december.total) == "64.41"
    # January (31 days): caller-id 1st to 5th = 5 days: 6 × 5/31 = 0.9677… → 0.96; ring-back
    # all month 5.00. 56.00 + 0.96 + 5.00 = 61.96
    january = run(store, JAN)
    assert amounts(january) == [(FEE, "56.00"), (SERVICE, "0.96"), (SERVICE, "5.00")]
    assert str(january.total) == "61.96"
    # February: ring-back alone, whole month. 56.00 + 5.00 = 61.00
    assert str(run(store, Month(2027, 2)).total) == "61.00"


def test_a_service_opened_on_the_17th_of_a_31_day_month(store: Store) -> None:
    line(store)
    order(store, OrderType.SERVICE_OPEN, at(2026, 12, 17, 23, 59), "ringback")
    # opened one minute before midnight: the 17th counts. 17th to 31st = 15 days:
    # 5 × 15 ÷ 31 = 75 ÷ 31 = 2.419354… rounded down = 2.41. 56.00 + 2.41 = 58.41
    bill, _ = bill_of(store, DEC, at(2027, 1, 1))
    (svc,) = [x for x in bill.lines if x.code is SERVICE]
    assert (str(svc.amount), str(bill.total)) == ("2.41", "58.41")
    assert "5.00 a month × 15/31 days open, rounded down to the fen = 2.41" in svc.explanation


def test_a_service_cannot_be_opened_twice_or_closed_when_not_open(store: Store) -> None:
    line(store)
    order(store, OrderType.SERVICE_OPEN, at(2026, 11, 10, 10), "caller-id")
    with pytest.raises(OrderRejected, match="already open"):
        order(store, OrderType.SERVICE_OPEN, at(2026, 11, 11, 10), "caller-id")
    with pytest.raises(OrderRejected, match="not open"):
        order(store, OrderType.SERVICE_CLOSE, at(2026, 11, 11, 10), "ringback")
    assert str(bill_of(store, NOV, at(2026, 12, 1))[0].total) == "60.20"  # 56.00 + 4.20


# ------------------------------------------------------------------------ (c) suspension


def test_suspension_full_fee_that_month_retention_fee_all_month_full_fee_on_resumption(
    store: Store,
) -> None:
    line(store)
    order(store, OrderType.SERVICE_OPEN, at(2026, 11, 5, 10), "caller-id")
    order(store, OrderType.PACK_ORDER, at(2026, 11, 6, 10), "3g-pack-10", immediate=True)
    suspended = order(store, OrderType.SUSPEND, at(2026, 11, 15, 10))
    assert suspended.line.status is LineStatus.SUSPENDED
    with pytest.raises(OrderRejected, match="suspended since 2026-11-15T10:00"):
        order(store, OrderType.SERVICE_OPEN, at(2026, 11, 20), "ringback")
    use(
        store,
        call("n1", at(2026, 11, 10, 9), 4800),  # 80 min, before the suspension
        call("n2", at(2026, 11, 16, 9), 3000),  # 50 min, while suspended
        data("n3", at(2026, 11, 16, 10), 10 * MB),  # while suspended
        call("d1", at(2026, 12, 10, 9), 600),  # suspended all December
        call("j1", at(2027, 1, 5, 9), 3000),  # 50 min, still suspended
        call("j2", at(2027, 1, 15, 9), 6000),  # 100 min, after the resumption
    )
    # November: in service 1st to 15th, so the full plan fee 56.00 and the pack 10.00;
    # caller-id open 5th to 15th while in service = 11 days: 6 × 11/30 = 2.20. Voice: the 80
    # min before the suspension are within the 100 included: 0.00; the 50 min after it are
    # blocked, charged 0 and draw nothing (had they drawn, 30 min over × 0.15 = 4.50); the
    # blocked data session makes no data line. 56.00 + 10.00 + 2.20 + 0.00 = 68.20
    november, rated = bill_of(store, NOV, at(2026, 12, 1))
    assert amounts(november) == [
        (FEE, "56.00"),
        (PACK, "10.00"),
        (SERVICE, "2.20"),
        (VOICE, "0.00"),
    ]
    assert str(november.total) == "68.20"
    why = "line suspended since 2026-11-15 10:00: usage blocked, not charged"
    assert blocked(rated) == {"n2": ("0.00", why), "n3": ("0.00", why)}
    assert [r.record.id for r in rated] == ["n1", "n2", "n3"]  # listed, in time order
    # December: not a day in service: only the retention fee, 5.00 (no pack, no caller-id,
    # the call blocked)
    december, rated = bill_of(store, DEC, at(2027, 1, 1))
    assert [(x.label, str(x.amount)) for x in december.lines] == [("Number retention fee", "5.00")]
    assert (december.plan_id, str(december.total)) == ("4g-56", "5.00")
    assert blocked(rated) == {"d1": ("0.00", why)}
    # January: resumed on the 10th at 10:00: the full fee again, 56.00, and the pack 10.00;
    # caller-id 10th to 31st = 22 days: 6 × 22/31 = 4.2580… → 4.25. Voice: the 50 min on
    # the 5th are blocked; the 100 min on the 15th are all included: 0.00 (had the blocked
    # call drawn, 50 min over × 0.15 = 7.50). 56.00 + 10.00 + 4.25 + 0.00 = 70.25
    resumed = order(store, OrderType.RESUME, at(2027, 1, 10, 10))
    assert resumed.line.status is LineStatus.ACTIVE
    january, rated = bill_of(store, JAN, at(2027, 2, 1))
    assert amounts(january) == [(FEE, "56.00"), (PACK, "10.00"), (SERVICE, "4.25"), (VOICE, "0.00")]
    assert str(january.total) == "70.25"
    assert list(blocked(rated)) == ["j1"]
    # the bill run issues the same three bills
    assert [str(run(store, m).total) for m in (NOV, DEC, JAN)] == ["68.20", "5.00", "70.25"]


def test_a_line_suspended_from_00_00_on_the_1st_pays_the_retention_fee_that_month(
    store: Store,
) -> None:
    line(store)
    order(store, OrderType.SUSPEND, NOV.start)
    # not a moment of November in service: 5.00; December likewise
    assert amounts(run(store, NOV)) == [(FEE, "5.00")]
    assert amounts(run(store, DEC)) == [(FEE, "5.00")]
    # resumed at 23:59 on 31 January: January had a day in service: the full 56.00
    order(store, OrderType.RESUME, at(2027, 1, 31, 23, 59))
    assert amounts(run(store, JAN)) == [(FEE, "56.00")]


# ------------------------------------------------------------------------ (d) loss report


def test_a_loss_report_blocks_usage_but_the_monthly_fee_is_charged(store: Store) -> None:
    line(store)
    order(store, OrderType.REPORT_LOSS, at(2026, 11, 10, 12))
    use(
        store,
        call("n1", at(2026, 11, 3, 9), 6000),  # 100 min, before the report
        call("n2", at(2026, 11, 11, 9), 1200),  # 20 min, lost
        sms("n3", at(2026, 11, 11, 10)),  # lost
        call("d1", at(2026, 12, 10, 9), 600),  # lost all December
        call("j1", at(2027, 1, 3, 9), 1800),  # 30 min, still lost
        call("j2", at(2027, 1, 6, 9), 6600),  # 110 min, after the report was lifted
    )
    with pytest.raises(OrderRejected, match="visit a China Unicom business hall counter"):
        order(store, OrderType.LIFT_LOSS, at(2026, 11, 20))  # not on the hotline
    with pytest.raises(OrderRejected, match="not the holder's"):
        order(
            store,
            OrderType.LIFT_LOSS,
            at(2026, 11, 20),
            channel=Channel.COUNTER,
            document="110105194912310038",  # a valid card, someone else's
        )
    # November: 100 min before the report use the 100 included: 0.00; the 20-min call and the
    # SMS after it are blocked (had the call drawn, 20 min × 0.15 = 3.00 over; the SMS 0.10).
    # The fee is still charged. 56.00 + 0.00 = 56.00
    november, rated = bill_of(store, NOV, at(2026, 12, 1))
    assert amounts(november) == [(FEE, "56.00"), (VOICE, "0.00")]
    why = "line loss-reported since 2026-11-10 12:00: usage blocked, not charged"
    assert blocked(rated) == {"n2": ("0.00", why), "n3": ("0.00", why)}
    # December, lost throughout: a lost line is in service, so the plan fee, not the
    # retention fee: 56.00
    december, _ = bill_of(store, DEC, at(2027, 1, 1))
    assert amounts(december) == [(FEE, "56.00")]
    # 5 January: the holder lifts the report at a counter with the identity card
    lifted = order(
        store, OrderType.LIFT_LOSS, at(2027, 1, 5, 10), channel=Channel.COUNTER, document=ID_DOC
    )
    assert lifted.order.state is OrderState.COMPLETED
    assert lifted.line.status is LineStatus.ACTIVE
    # January: the 30 min on the 3rd are blocked; the 110 min on the 6th are rated again:
    # 110 − 100 included = 10 min × 0.15 = 1.50. 56.00 + 1.50 = 57.50
    january, rated = bill_of(store, JAN, at(2027, 2, 1))
    assert amounts(january) == [(FEE, "56.00"), (VOICE, "1.50")]
    assert str(january.total) == "57.50"
    assert list(blocked(rated)) == ["j1"]
    assert [str(r.charge) for r in rated if r.record.id == "j2"] == ["1.50"]


# ---------------------------------------------------------------- (e) international roaming


def test_roaming_closed_blocks_records_abroad_from_then_on(store: Store) -> None:
    line(store)
    use(
        store,
        # Tokyo, a local call of 180 s: 3 min × 2.86 (Japan's zone) = 8.58
        call("r1", at(2026, 11, 5, 10), 180, peer="0312345678", where="JP"),
        call("r2", at(2026, 11, 12, 10), 300, peer="0312345678", where="JP"),
        data("r3", at(2026, 11, 12, 11), MB, where="JP"),
        call("h1", at(2026, 11, 13, 9), 60),  # at home: rated as ever
    )
    closed = order(store, OrderType.ROAMING_CLOSE, at(2026, 11, 10, 8))
    assert closed.order.state is OrderState.COMPLETED
    # after the close: the 5-min call (would be 5 × 2.86 = 14.30) and the data (a 5.00 day
    # pack) abroad are blocked; the call at home is 1 min of the 100 included.
    # 56.00 + 0.00 + 8.58 = 64.58
    bill, rated = bill_of(store, NOV, at(2026, 12, 1))
    assert amounts(bill) == [(FEE, "56.00"), (VOICE, "0.00"), (LineCode.ROAMING_VOICE, "8.58")]
    assert str(bill.total) == "64.58"
    why = "international roaming closed since 2026-11-10 08:00: not charged"
    assert blocked(rated) == {"r2": ("0.00", why), "r3": ("0.00", why)}
    # opened again (hotline): abroad is rated again
    order(store, OrderType.ROAMING_OPEN, at(2026, 11, 20, 8))
    use(store, call("r4", at(2026, 11, 21, 10), 60, peer="0312345678", where="JP"))
    # + 1 min × 2.86: roaming 8.58 + 2.86 = 11.44; 56.00 + 11.44 = 67.44
    assert str(bill_of(store, NOV, at(2026, 12, 1))[0].total) == "67.44"


# ---------------------------------------------------------------------- (f) close the line


def test_closing_a_line_at_a_counter_issues_its_final_bill_at_once(store: Store) -> None:
    line(store)
    order(store, OrderType.SERVICE_OPEN, at(2026, 11, 1, 9), "caller-id")
    change = order(store, OrderType.PACKAGE_CHANGE, at(2026, 11, 12), "4g-76")
    assert change.order.state is OrderState.PENDING
    use(
        store,
        call("n1", at(2026, 11, 5, 9), 6600),  # 110 min
        sms("n2", at(2026, 11, 20, 14)),  # an hour before the closure
    )
    with pytest.raises(OrderRejected, match="needs the holder's identity document"):
        order(store, OrderType.CLOSE, at(2026, 11, 20, 15))  # not on the hotline
    closure = at(2026, 11, 20, 15)
    result = order(store, OrderType.CLOSE, closure, channel=Channel.COUNTER, document=ID_DOC)
    assert result.order.state is OrderState.COMPLETED
    assert result.line.status is LineStatus.CLOSED and result.line.closed_at == closure
    # the pending package change lapses with the line
    (cancelled,) = result.cancelled
    assert (cancelled.id, cancelled.state) == (change.order.id, OrderState.CANCELLED)
    assert result.line.plan_changes == ()
    # October had never been billed: it is issued first, 56.00 (the fee alone). November is
    # the final bill, up to the closure: the full fee 56.00; caller-id 1st to 20th = 20 days:
    # 6 × 20/30 = 4.00; 110 min − 100 = 10 min × 0.15 = 1.50; one SMS (4G-56 includes none)
    # 0.10. 56.00 + 4.00 + 1.50 + 0.10 = 61.60
    october, final = result.final_bills
    assert (october.month, str(october.total), october.final) == (OCT, "56.00", False)
    assert (final.month, final.final, final.issued_at, final.as_of) == (NOV, True, closure, closure)
    assert amounts(final) == [(FEE, "56.00"), (SERVICE, "4.00"), (VOICE, "1.50"), (SMS, "0.10")]
    assert str(final.total) == "61.60"
    for bill in result.final_bills:
        assert bill.issued_at == closure
        checked(bill)
    assert store.get_bill(N, NOV) == final
    # asked for later, the line's bill is its final bill
    assert service.bill_for(store, N, at(2026, 12, 5))[0] == final
    acc = result.line.account_id
    assert [(e.ref, str(e.amount), e.at) for e in store.entries(acc)] == [
        (f"{N}-202610", "-56.00", closure),
        (f"{N}-202611", "-61.60", closure),
    ]
    assert any(
        h.text == "final bill 2026-11 issued: 61.60 yuan, due by 2026-12-31"
        for h in service.history(store, N, at(2027, 1, 1))
    )
    # later bill runs skip the line
    (nov,) = [r for r in service.run_bills(store, NOV, DEC.start) if r.msisdn == N]
    assert (nov.bill, nov.skipped) == (None, "already issued")
    (dec,) = [r for r in service.run_bills(store, DEC, JAN.start) if r.msisdn == N]
    assert (dec.bill, dec.skipped) == (None, "closed (final bill 2026-11)")
    assert [b.month for b in store.bills(acc)] == [OCT, NOV]
    # usage after the closure is rejected, and so is late usage of the closed period
    with pytest.raises(BatchRejected, match="after the line was closed"):
        use(store, sms("late1", at(2026, 11, 20, 16)))
    with pytest.raises(BatchRejected, match="billed up to 2026-11"):
        use(store, sms("late2", at(2026, 11, 20, 14, 30)))
    assert store.usage_by_ids(["late1", "late2"]) == {}
    # and no order is taken any more
    with pytest.raises(OrderRejected, match="was closed at 2026-11-20T15:00"):
        order(store, OrderType.SERVICE_OPEN, at(2026, 11, 21), "ringback")
    with pytest.raises(Conflict):
        service.bill_for(store, N, at(2027, 1, 5), DEC)


def test_closing_a_suspended_line_bills_the_retention_fee_in_its_last_month(store: Store) -> None:
    line(store)
    order(store, OrderType.SUSPEND, at(2026, 10, 20))
    result = order(
        store, OrderType.CLOSE, at(2026, 12, 3, 11), channel=Channel.COUNTER, document=ID_DOC
    )
    # October: in service to the 20th: 56.00; November, suspended all month: 5.00;
    # December up to the closure, suspended throughout: 5.00
    assert [(b.month, str(b.total), b.final) for b in result.final_bills] == [
        (OCT, "56.00", False),
        (NOV, "5.00", False),
        (DEC, "5.00", True),
    ]
    for bill in result.final_bills:
        checked(bill)


def test_a_line_closed_at_the_instant_it_was_activated_has_no_bill(store: Store) -> None:
    # Closing at 00:00 on the activation day: the line was never in service for a moment, so
    # its last billed month is before its first. The closure must still be taken.
    line(store, activated=date(2026, 11, 1))
    result = order(store, OrderType.CLOSE, NOV.start, channel=Channel.COUNTER, document=ID_DOC)
    assert result.order.state is OrderState.COMPLETED
    assert result.final_bills == ()
    (nov,) = [r for r in service.run_bills(store, NOV, DEC.start) if r.msisdn == N]
    assert nov.bill is None


# --------------------------------------------------------------------------- (g) data packs


def pack_lines(bill: Bill) -> list[tuple[str, str]]:
    return [(x.label, str(x.amount)) for x in bill.lines if x.code is PACK]


P10 = "Data pack National 3G data pack, 10 yuan / 100 MB"
P20 = "Data pack National 3G data pack, 20 yuan / 300 MB"
P30 = "Data pack National 3G data pack, 30 yuan / 500 MB"


def test_packs_ljkt_now_kt_next_month_and_cancel_from_next_month(store: Store) -> None:
    line(store)
    # 10 November: LJKT 20 (this month, at once); 12 November: KT 30 (from December, which
    # ends the 20 at the end of November: one pack of a group a month); 5 December: cancel
    # the 30 (from January)
    ljkt = order(store, OrderType.PACK_ORDER, at(2026, 11, 10), "3g-pack-20", immediate=True)
    assert (ljkt.order.state, ljkt.order.effective_at) == (OrderState.COMPLETED, at(2026, 11, 10))
    kt = order(store, OrderType.PACK_ORDER, at(2026, 11, 12), "3g-pack-30")
    assert (kt.order.state, kt.order.effective_at) == (OrderState.PENDING, DEC.start)
    cancel = order(store, OrderType.PACK_CANCEL, at(2026, 12, 5), "3g-pack-30")
    assert (cancel.order.state, cancel.order.effective_at) == (OrderState.PENDING, JAN.start)
    # the KT was completed at 00:00 on 1 December by the read above (orders catch up)
    assert service.get_order(store, kt.order.id, at(2026, 12, 5)).state is OrderState.COMPLETED
    # the pack's whole fee is charged in a month it is in force, whatever the day it started:
    # November 56.00 + 20.00 = 76.00; December 56.00 + 30.00 = 86.00; January 56.00
    bills = {m: run(store, m) for m in (NOV, DEC, JAN)}
    assert {m: pack_lines(b) for m, b in bills.items()} == {
        NOV: [(P20, "20.00")],
        DEC: [(P30, "30.00")],
        JAN: [],
    }
    assert {m: str(b.total) for m, b in bills.items()} == {
        NOV: "76.00",
        DEC: "86.00",
        JAN: "56.00",
    }
    (cancel_done,) = service.process_due_orders(store, JAN.start)
    assert cancel_done.id == cancel.order.id


def test_a_kt_pack_shows_only_from_next_month_and_a_withdrawn_kt_leaves_the_old_pack(
    store: Store,
) -> None:
    line(store)
    order(store, OrderType.PACK_ORDER, at(2026, 11, 2), "3g-pack-20", immediate=True)
    kt = order(store, OrderType.PACK_ORDER, at(2026, 11, 12), "3g-pack-10")
    assert service.get_line(store, N).packs_for(DEC) == ("3g-pack-10",)
    # withdrawn before December: the 20 runs on
    service.withdraw_order(store, kt.order.id, at(2026, 11, 13))
    assert service.get_line(store, N).packs_for(DEC) == ("3g-pack-20",)
    kt2 = order(store, OrderType.PACK_ORDER, at(2026, 11, 14), "3g-pack-10")
    assert kt2.order.state is OrderState.PENDING
    # November: 56.00 + 20.00 = 76.00 (the KT 10 is not in force yet); December: the 10
    # replaced the 20: 56.00 + 10.00 = 66.00
    assert pack_lines(run(store, NOV)) == [(P20, "20.00")]
    december = run(store, DEC)
    assert (pack_lines(december), str(december.total)) == ([(P10, "10.00")], "66.00")


def test_an_ljkt_after_a_kt_never_leaves_two_packs_of_a_group_in_a_month(store: Store) -> None:
    # Packs of a group are mutually exclusive (subscriber.py). A KT 10 for December, then an
    # LJKT 20 for November: whether the LJKT is refused or ends before December, no month
    # may bill two 3G data packs.
    line(store)
    order(store, OrderType.PACK_ORDER, at(2026, 11, 5), "3g-pack-10")
    with contextlib.suppress(OrderRejected):
        order(store, OrderType.PACK_ORDER, at(2026, 11, 6), "3g-pack-20", immediate=True)
    sub = service.get_line(store, N)
    for month in (NOV, DEC, JAN):
        assert len(sub.packs_for(month)) <= 1, (month, sub.packs_for(month))
    assert len(pack_lines(run(store, DEC))) == 1


def test_a_pack_cannot_be_ordered_twice_in_a_month_nor_cancelled_before_it_starts(
    store: Store,
) -> None:
    line(store)
    kt = order(store, OrderType.PACK_ORDER, at(2026, 11, 5), "3g-pack-10")
    with pytest.raises(OrderRejected, match="one 3g-data-pack order a month"):
        order(store, OrderType.PACK_ORDER, at(2026, 11, 6), "3g-pack-30")
    with pytest.raises(OrderRejected, match=f"withdraw its order {kt.order.id} instead"):
        order(store, OrderType.PACK_CANCEL, at(2026, 11, 7), "3g-pack-10")
    assert service.get_line(store, N).packs_for(DEC) == ("3g-pack-10",)
    assert str(run(store, DEC).total) == "66.00"  # 56.00 + 10.00 (November is issued first)
