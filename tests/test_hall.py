"""The online business hall (`hall.BusinessHall`): query a bill after a password login, pay
without one, list the plans, change package and value-added services on the web channel.

Every answer must be plain values (str, bool, tuples of them or of plain views), ready for
`json.dumps(attrs.asdict(answer))`: each test passes what it gets through `plain`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import TypeVar

import attrs
import pytest

from unicom_cs import service
from unicom_cs.errors import AccessDenied, Conflict, InvalidValue, NotFound, OrderRejected
from unicom_cs.hall import BillLineView, BillView, BusinessHall, OrderView, PlanView, ReceiptView
from unicom_cs.money import Money
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store

N = "18612345678"  # 4G-56 from 1 October 2026, password PW
PW = "135790"
WRONG = "246801"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
OCT, NOV = Month(2026, 10), Month(2026, 11)

V = TypeVar("V", BillView, BillLineView, ReceiptView, OrderView, PlanView)


def plain(view: V) -> V:
    """Check that every field is a str or a bool, or a tuple of those or of plain views, and
    that the view goes through JSON as `attrs.asdict` gives it; return the view."""
    for name, value in attrs.asdict(view, recurse=False).items():
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, BillLineView):
                plain(item)
            else:
                assert isinstance(item, str | bool), (type(view).__name__, name, type(item))
    as_dict = attrs.asdict(view)
    assert json.loads(json.dumps(as_dict)) == lists(as_dict)
    return view


def lists(value: object) -> object:
    """`value` as JSON gives it back: tuples become lists."""
    if isinstance(value, dict):
        return {k: lists(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [lists(v) for v in value]
    return value


@pytest.fixture
def hall(store: Store) -> BusinessHall:
    service.add_line(
        store, N, "4g-56", date(2026, 10, 1), name="Li Wei", password=PW, salt=b"0" * 16
    )
    return BusinessHall(store)


def failures(hall: BusinessHall) -> int:
    return service.get_line(hall.store, N).password_failures


# ------------------------------------------------------------------------------------ bill


def test_the_bill_needs_the_service_password(hall: BusinessHall) -> None:
    view = plain(hall.bill(N, PW, NOW))
    # November so far: the 4G-56 fee alone; nothing issued, nothing paid
    assert view == BillView(
        msisdn=N,
        month="2026-11",
        plan="4g-56",
        issued=False,
        total="56.00",
        due_by="",
        lines=(BillLineView("Monthly fee 4g-56", "56.00"),),
        balance="0.00",
        arrears="0.00",
    )
    with pytest.raises(AccessDenied, match=r"wrong service password \(4 tries left\)"):
        hall.bill(N, WRONG, NOW)
    assert failures(hall) == 1
    with pytest.raises(AccessDenied, match=r"\(3 tries left\)"):
        hall.bill(N, "", NOW)
    assert failures(hall) == 2
    hall.bill(N, PW, NOW)  # a success resets the count
    assert failures(hall) == 0


def test_five_wrong_passwords_lock_the_hall_for_a_day(hall: BusinessHall) -> None:
    for left in ("4 tries", "3 tries", "2 tries", "1 try"):
        with pytest.raises(AccessDenied, match=f"{left} left"):
            hall.bill(N, WRONG, NOW)
    with pytest.raises(AccessDenied, match="5 times: locked until 2026-11-21T10:00"):
        hall.bill(N, WRONG, NOW)
    # locked: the right password is refused too, for the bill and for orders
    with pytest.raises(AccessDenied, match="locked until 2026-11-21T10:00"):
        hall.bill(N, PW, NOW + timedelta(hours=23, minutes=59))
    with pytest.raises(OrderRejected, match="locked until"):
        hall.change_service(N, PW, "caller-id", True, NOW + timedelta(hours=1), request_id="w1")
    assert hall.store.order_count() == 0
    # a day later the password works again
    assert plain(hall.bill(N, PW, NOW + timedelta(days=1))).total == "56.00"
    assert failures(hall) == 0


def test_wrong_passwords_on_orders_count_towards_the_lock(hall: BusinessHall) -> None:
    for _ in range(4):
        with pytest.raises(AccessDenied):
            hall.bill(N, WRONG, NOW)
    with pytest.raises(OrderRejected, match="5 times: locked"):
        hall.change_package(N, WRONG, "4g-76", NOW, request_id="w1")
    with pytest.raises(AccessDenied, match="locked"):
        hall.bill(N, PW, NOW)


def test_a_line_without_a_password_cannot_log_in(hall: BusinessHall) -> None:
    service.add_line(hall.store, "13012345678", "3g-a-46", date(2026, 10, 1))
    with pytest.raises(AccessDenied, match="no service password is set"):
        hall.bill("13012345678", "", NOW)
    with pytest.raises(NotFound):
        hall.bill("13112345678", PW, NOW)


def test_an_issued_bill_shows_its_due_date_balance_and_arrears(hall: BusinessHall) -> None:
    list(service.run_bills(hall.store, OCT, NOV.start))
    view = plain(hall.bill(N, PW, NOW, OCT))
    # October: 56.00, issued on 1 November, due by the end of November; not yet paid
    assert (view.month, view.issued, view.total, view.due_by) == (
        "2026-10",
        True,
        "56.00",
        "2026-11-30",
    )
    assert (view.balance, view.arrears) == ("-56.00", "0.00")
    overdue = plain(hall.bill(N, PW, datetime(2026, 12, 1, tzinfo=SHANGHAI), OCT))
    assert (overdue.balance, overdue.arrears) == ("-56.00", "56.00")


# ------------------------------------------------------------------------------------- pay


def test_anyone_may_pay_without_logging_in(hall: BusinessHall) -> None:
    receipt = plain(hall.pay("+86 186 1234 5678", Money.parse("50"), NOW))
    assert receipt == ReceiptView(
        entry_id=f"payment-ACC-{N}-1",
        msisdn=N,
        amount="50.00",
        at="2026-11-20T10:00:00+08:00",
        balance="50.00",
    )
    assert failures(hall) == 0  # no password was asked for
    # October's bill (56.00) issued: 50.00 − 56.00 = −6.00; paying 6.00 clears it
    list(service.run_bills(hall.store, OCT, NOV.start))
    assert plain(hall.bill(N, PW, NOW)).balance == "-6.00"
    later = plain(hall.pay(N, Money.parse("¥6"), NOW + timedelta(minutes=5)))
    assert (later.entry_id, later.amount, later.balance) == (f"payment-ACC-{N}-3", "6.00", "0.00")
    acc = service.get_line(hall.store, N).account_id
    # in time order: the bill issued on 1 November, then the two payments
    assert [str(e.amount) for e in hall.store.entries(acc)] == ["-56.00", "50.00", "6.00"]


def test_a_refused_payment_changes_nothing(hall: BusinessHall) -> None:
    for amount in ("0", "0.001", "-5"):
        with pytest.raises(InvalidValue):
            hall.pay(N, Money(amount), NOW)
    with pytest.raises(NotFound):
        hall.pay("13112345678", Money(5), NOW)
    assert hall.store.entries(service.get_line(hall.store, N).account_id) == []


# ----------------------------------------------------------------------------------- plans


def test_plans_are_the_lines_kind_and_family_with_the_current_one_marked(
    hall: BusinessHall,
) -> None:
    views = hall.plans(N, NOW)
    for v in views:
        plain(v)
    catalog = service.load_catalog(hall.store)
    mobile = [p.id for p in catalog.plans.values() if p.kind.value == "mobile"]
    voice = [p for p in mobile if not p.startswith("3g-card-")]  # data cards are another family
    assert [v.plan_id for v in views] == voice
    assert "fixed-basic" not in mobile and "bb-100m" not in mobile
    assert [v.plan_id for v in views if v.current] == ["4g-56"]
    (p76,) = [v for v in views if v.plan_id == "4g-76"]
    assert p76 == PlanView("4g-76", "4G/3G integrated national package, 76 yuan", "76.00", False)
    # a fixed line sees fixed plans only
    service.add_line(hall.store, "010-62345678", "fixed-basic", date(2026, 10, 1))
    assert hall.plans("01062345678", NOW) == (
        PlanView("fixed-basic", "Fixed line, basic rent", "20.00", True),
    )


def test_the_current_plan_moves_when_a_package_change_takes_effect(hall: BusinessHall) -> None:
    hall.change_package(N, PW, "4g-76", NOW, request_id="w1")
    assert [v.plan_id for v in hall.plans(N, NOW) if v.current] == ["4g-56"]
    dec = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert [v.plan_id for v in hall.plans(N, dec) if v.current] == ["4g-76"]


# ------------------------------------------------------------------------- change package


def test_change_package_is_pending_until_the_1st_and_idempotent(hall: BusinessHall) -> None:
    view = plain(hall.change_package(N, PW, "4g-76", NOW, request_id="web-0001"))
    assert view == OrderView(
        order_id="ORD-000001",
        type="package-change",
        state="pending",
        summary="change package 4g-56 → 4g-76 from 2026-12 (00:00 on the 1st)",
        effective_at="2026-12-01T00:00:00+08:00",
        repeated=False,
    )
    # the front-end retries: the same order, marked repeated, nothing new recorded
    retry = plain(
        hall.change_package(N, PW, "4g-76", NOW + timedelta(seconds=3), request_id="web-0001")
    )
    assert retry == attrs.evolve(view, repeated=True)
    assert hall.store.order_count() == 1
    # the same request id for another request is refused
    with pytest.raises(Conflict, match="web-0001"):
        hall.change_package(N, PW, "4g-106", NOW, request_id="web-0001")
    # a second change while one is pending is refused (withdraw it first)
    with pytest.raises(OrderRejected, match="is pending"):
        hall.change_package(N, PW, "4g-106", NOW, request_id="web-0002")
    assert hall.store.order_count() == 1
    # retried after the change took effect: the order as it is now
    dec = datetime(2026, 12, 2, tzinfo=SHANGHAI)
    late = plain(hall.change_package(N, PW, "4g-76", dec, request_id="web-0001"))
    assert (late.order_id, late.state, late.repeated) == ("ORD-000001", "completed", True)


def test_change_package_with_a_wrong_password_is_refused_and_counts(hall: BusinessHall) -> None:
    with pytest.raises(OrderRejected, match="wrong service password"):
        hall.change_package(N, WRONG, "4g-76", NOW, request_id="web-1")
    assert failures(hall) == 1
    assert hall.store.order_count() == 0
    assert service.get_line(hall.store, N).plan_changes == ()
    with pytest.raises(OrderRejected, match="fixed plan"):
        hall.change_package(N, PW, "fixed-basic", NOW, request_id="web-2")
    with pytest.raises(OrderRejected, match="already on 4g-56"):
        hall.change_package(N, PW, "4g-56", NOW, request_id="web-3")


def test_a_retried_request_still_needs_the_password(hall: BusinessHall) -> None:
    # Idempotency must not bypass the login: replaying a known request id with a wrong
    # password must be refused (and counted), not answered with the order.
    hall.change_package(N, PW, "4g-76", NOW, request_id="web-0001")
    with pytest.raises((OrderRejected, AccessDenied)):
        hall.change_package(N, WRONG, "4g-76", NOW, request_id="web-0001")
    assert failures(hall) == 1


# ------------------------------------------------------------------------- change service


def test_change_service_opens_and_closes_at_once_and_the_bill_shows_it(
    hall: BusinessHall,
) -> None:
    opened = plain(hall.change_service(N, PW, "caller-id", True, NOW, request_id="w1"))
    assert (opened.type, opened.state, opened.effective_at, opened.repeated) == (
        "service-open",
        "completed",
        "2026-11-20T10:00:00+08:00",
        False,
    )
    assert "caller-id" in opened.summary
    again = plain(hall.change_service(N, PW, "caller-id", True, NOW, request_id="w1"))
    assert again == attrs.evolve(opened, repeated=True)
    closed_at = datetime(2026, 11, 25, 18, tzinfo=SHANGHAI)
    closed = plain(hall.change_service(N, PW, "caller-id", False, closed_at, request_id="w2"))
    assert (closed.order_id, closed.type, closed.state) == (
        "ORD-000002",
        "service-close",
        "completed",
    )
    with pytest.raises(OrderRejected, match="not open"):
        hall.change_service(N, PW, "caller-id", False, closed_at, request_id="w3")
    # November: caller-id open from the 20th to the 25th = 6 days of 30: 6 × 6/30 = 1.20;
    # 56.00 + 1.20 = 57.20
    bill = plain(hall.bill(N, PW, datetime(2026, 11, 30, tzinfo=SHANGHAI)))
    assert bill.lines == (
        BillLineView("Monthly fee 4g-56", "56.00"),
        BillLineView("Caller display", "1.20"),
    )
    assert bill.total == "57.20"


def test_every_answer_goes_through_json(hall: BusinessHall) -> None:
    order = plain(hall.change_service(N, PW, "ringback", True, NOW, request_id="w1"))
    answers: list[dict[str, object]] = [
        attrs.asdict(plain(hall.bill(N, PW, NOW))),
        attrs.asdict(plain(hall.pay(N, Money(10), NOW))),
        attrs.asdict(order),
        *(attrs.asdict(plain(p)) for p in hall.plans(N, NOW)),
    ]
    for answer in answers:
        text = json.dumps(answer, ensure_ascii=False)
        assert json.loads(text) == lists(answer)
    bill, receipt, done, *plans = [json.loads(json.dumps(a)) for a in answers]
    # ring-back opened on 20 November at 10:00, charges so far on the 20th: 1 day of 30:
    # 5 × 1/30 = 0.1666… rounded down = 0.16
    assert bill["lines"][1] == {"label": "Ring-back tone", "amount": "0.16"}
    assert (receipt["amount"], receipt["balance"]) == ("10.00", "10.00")
    assert (done["type"], done["state"], done["repeated"]) == ("service-open", "completed", False)
    assert sum(p["current"] for p in plans) == 1
