"""Notifications: the pure drafts (welcome, events, reminders, templates, marking) and the outbox
over every store (run_notifications, mark_message, outbox), with a stateful test of the outbox.

Lines used: 13012345678 (home Chongqing, CN-CQ), 18612345678 (home Beijing, CN-BJ) and
15512345678 (home Hebei, CN-HE), as the numbering plan gives them (`number.mobile_info`).
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from unicom_cs import service, testing
from unicom_cs.account import EntryKind, PaymentMode
from unicom_cs.channels import mark_message, outbox, run_notifications
from unicom_cs.errors import Conflict, NotFound
from unicom_cs.events import (
    BillIssued,
    LineOpened,
    OrderStateChanged,
    PaymentReceived,
    TariffsLoaded,
    TicketChanged,
    UsageImported,
)
from unicom_cs.money import Money
from unicom_cs.notify import (
    ARREARS_NOTICE_DAYS,
    LOCALES,
    LOW_BALANCE,
    ROAMING_HOTLINE,
    TEMPLATES,
    Draft,
    Medium,
    Message,
    MessageState,
    OpenBill,
    drafts_for_event,
    mark,
    message,
    reminder_drafts,
    render,
    welcome_drafts,
)
from unicom_cs.number import LineKind, mobile_info
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.store.memory import MemoryStore
from unicom_cs.usage import COLUMNS, Direction, Service, UsageRecord, format_cdrs, parse_cdrs

A = "13012345678"  # home CN-CQ
B = "18612345678"  # home CN-BJ
C = "15512345678"  # home CN-HE
HOMES = {A: "CN-CQ", B: "CN-BJ", C: "CN-HE"}
STORES = ["memory", "sqlite"]


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=SHANGHAI)


def rec(rid: str, msisdn: str, location: str, start: datetime) -> UsageRecord:
    return UsageRecord(rid, msisdn, Service.SMS, Direction.OUT, start, peer="1", location=location)


def csv(*rows: str) -> bytes:
    return ("\n".join([",".join(COLUMNS), *rows]) + "\n").encode()


def keys(messages: list[Message]) -> list[str]:
    return [m.key for m in messages]


def test_the_test_numbers_have_the_home_provinces_the_numbering_plan_gives() -> None:
    assert {n: mobile_info(n).province for n in HOMES} == HOMES


# ============================================================================ pure: welcome


def test_a_line_gets_one_welcome_per_place_away_from_home_dated_by_its_first_record() -> None:
    records = [
        rec("1", A, "CN-SH", at(2026, 10, 5, 9)),
        rec("2", A, "CN-SH", at(2026, 10, 3, 9)),  # earlier, listed later
        rec("3", A, "CN-CQ", at(2026, 10, 1)),  # home: no welcome
        rec("4", A, "JP", at(2026, 10, 7)),
        rec("5", A, "JP", at(2026, 10, 8)),
        rec("6", A, "CN", at(2026, 10, 2)),  # province unknown: nobody
        rec("7", B, "CN-GD", at(2026, 10, 2)),  # another line's record
    ]
    drafts = welcome_drafts(A, "CN-CQ", records, {"JP": ("Japan", "日本")})
    assert [(d.key, d.at, d.template) for d in drafts] == [
        (f"welcome:{A}:CN-SH", at(2026, 10, 3, 9), "welcome-province"),
        (f"welcome:{A}:JP", at(2026, 10, 7), "welcome-abroad"),
    ]
    sh, jp = drafts
    assert (sh.recipient, sh.medium) == (A, Medium.SMS)
    assert dict(sh.params) == {"place": "Shanghai", "place_zh": "上海"}
    assert dict(jp.params) == {"place": "Japan", "place_zh": "日本", "hotline": ROAMING_HOTLINE}


def test_cn_with_no_province_welcomes_nobody_even_without_a_home() -> None:
    records = [rec("1", A, "CN", at(2026, 10, 1)), rec("2", A, "CN", at(2026, 10, 2))]
    assert welcome_drafts(A, "CN-CQ", records) == ()
    assert welcome_drafts(A, None, records) == ()


def test_without_a_known_home_no_province_is_welcomed_but_countries_abroad_still_are() -> None:
    records = [
        rec("1", A, "CN-SH", at(2026, 10, 1)),
        rec("2", A, "CN-BJ", at(2026, 10, 2)),
        rec("3", A, "GB", at(2026, 10, 3)),
        rec("4", A, "HK", at(2026, 10, 4)),
    ]
    drafts = welcome_drafts(A, None, records)
    assert [d.key for d in drafts] == [f"welcome:{A}:GB", f"welcome:{A}:HK"]
    # a country the caller did not name is called by its code
    assert dict(drafts[0].params)["place"] == "GB"


@settings(max_examples=40)
@given(
    data=st.data(),
    records=testing.usage_records(A, Month(2026, 10), max_size=20)
    .flatmap(
        lambda own: testing.usage_records(B, Month(2026, 10), max_size=5, id_prefix="b").map(
            lambda other: own + other
        )
    )
    .filter(bool),
    home=st.sampled_from(["CN-BJ", "CN-SH", "CN-CQ", None]),
)
def test_welcome_drafts_are_the_same_whatever_the_order_of_the_records(
    data: st.DataObject, records: list[UsageRecord], home: str | None
) -> None:
    shuffled = data.draw(st.permutations(records))
    drafts = welcome_drafts(A, home, records)
    assert welcome_drafts(A, home, shuffled) == drafts
    expected: dict[str, datetime] = {}
    for r in records:
        if r.msisdn != A or r.location in ("CN", home):
            continue
        if home is None and r.location.startswith("CN-"):
            continue
        expected[r.location] = min(r.start, expected.get(r.location, r.start))
    assert {d.key: d.at for d in drafts} == {f"welcome:{A}:{p}": t for p, t in expected.items()}
    assert len({d.key for d in drafts}) == len(drafts)


# ============================================================================ pure: events

NOW = at(2026, 11, 1, 8)


def test_a_new_mobile_line_gets_the_welcome_call_and_the_welcome_sms() -> None:
    event = LineOpened(A, LineKind.MOBILE, "4g-56", "ACC-1", date(2026, 10, 3))
    call, sms = drafts_for_event(event, "4G 56", "4G 56元")
    assert (call.key, call.medium, call.template) == (
        f"welcome-call:{A}",
        Medium.VOICE,
        "welcome-call",
    )
    assert (sms.key, sms.medium, sms.template) == (f"welcome-sms:{A}", Medium.SMS, "welcome-sms")
    assert call.at == sms.at == at(2026, 10, 3)
    assert dict(call.params) == {"plan": "4G 56", "plan_zh": "4G 56元"}
    assert (
        render(call.template, "en", call.params) == "Dear customer, welcome to China Unicom 4G 56."
    )


def test_a_new_line_without_a_plan_name_is_welcomed_with_its_plan_id() -> None:
    event = LineOpened(A, LineKind.MOBILE, "4g-56", "ACC-1", date(2026, 10, 3))
    call, _ = drafts_for_event(event)
    assert dict(call.params)["plan"] == "4g-56"


@pytest.mark.parametrize("kind", [LineKind.FIXED, LineKind.BROADBAND])
def test_a_new_fixed_line_or_broadband_account_gets_no_welcome(kind: LineKind) -> None:
    event = LineOpened("01062345678", kind, "fixed-basic", "ACC-1", date(2026, 10, 3))
    assert drafts_for_event(event) == ()


def test_an_issued_bill_makes_a_bill_notice_with_the_last_day_to_pay_in_beijing_time() -> None:
    due = at(2026, 12, 1).astimezone(UTC)  # the same instant, in UTC
    event = BillIssued(f"{A}-202610", A, "ACC-1", Month(2026, 10), Money("56.3"), due, NOW)
    (draft,) = drafts_for_event(event)
    assert (draft.key, draft.recipient, draft.template, draft.at) == (
        f"bill:{A}-202610",
        A,
        "bill-issued",
        NOW,
    )
    # due at 00:00 on 1 December: the last day to pay is 30 November
    assert dict(draft.params) == {
        "month": "2026-10",
        "total": "56.30",
        "due": "2026-11-30",
        "line": A,
    }


@pytest.mark.parametrize(
    ("kind", "zh"),
    [(EntryKind.PAYMENT, "缴费"), (EntryKind.RECHARGE, "充值"), (EntryKind.CREDIT, "获得退费")],
)
def test_money_received_makes_a_receipt(kind: EntryKind, zh: str) -> None:
    event = PaymentReceived("E-1", "ACC-1", A, kind, Money(50), NOW)
    (draft,) = drafts_for_event(event)
    assert (draft.key, draft.template) == ("receipt:E-1", "payment-received")
    assert dict(draft.params) == {"what": kind.value, "what_zh": zh, "amount": "50.00"}


@pytest.mark.parametrize("state", ["completed", "pending", "rejected", "cancelled"])
def test_an_order_reaching_a_state_the_customer_hears_of_makes_an_update(state: str) -> None:
    event = OrderStateChanged("ORD-1", A, "pack-order", state, NOW, "sms", at(2026, 12, 1))
    (draft,) = drafts_for_event(event)
    assert (draft.key, draft.template) == (f"order:ORD-1:{state}", "order-update")
    assert dict(draft.params)["when"] == "2026-12-01 00:00"


@pytest.mark.parametrize("state", ["acknowledged", "inProgress", "held", "failed"])
def test_an_order_step_the_customer_does_not_hear_of_makes_nothing(state: str) -> None:
    event = OrderStateChanged("ORD-1", A, "pack-order", state, NOW, "sms", NOW)
    assert drafts_for_event(event) == ()


@pytest.mark.parametrize(
    ("state", "made"),
    [
        ("acknowledged", True),
        ("resolved", True),
        ("closed", True),
        ("inProgress", False),
        ("pending", False),
        ("assigned", False),
    ],
)
def test_a_complaint_update_is_sent_only_on_filing_resolution_and_closing(
    state: str, made: bool
) -> None:
    event = TicketChanged("CMP-1", A, "bill", state, NOW, "agent", "")
    drafts = drafts_for_event(event)
    assert [d.key for d in drafts] == ([f"ticket:CMP-1:{state}"] if made else [])


# ============================================================================ pure: reminders

DUE = at(2026, 12, 1)
OPEN = OpenBill(f"{A}-202610", A, "2026-10", Money("56"), DUE)


def test_no_reminder_before_the_due_date() -> None:
    assert reminder_drafts([OPEN], DUE - timedelta(seconds=1)) == ()


def test_a_payment_reminder_from_the_due_date() -> None:
    (draft,) = reminder_drafts([OPEN], DUE)
    assert (draft.key, draft.template, draft.at) == (
        f"reminder:{A}-202610",
        "payment-reminder",
        DUE,
    )
    assert dict(draft.params) == {"month": "2026-10", "unpaid": "56.00", "line": A}


def test_an_arrears_notice_after_arrears_notice_days() -> None:
    notice = DUE + timedelta(days=ARREARS_NOTICE_DAYS)
    assert [d.key for d in reminder_drafts([OPEN], notice - timedelta(seconds=1))] == [
        f"reminder:{A}-202610"
    ]
    drafts = reminder_drafts([OPEN], notice)
    assert [(d.key, d.at) for d in drafts] == [
        (f"reminder:{A}-202610", DUE),
        (f"arrears:{A}-202610", notice),
    ]
    assert dict(drafts[1].params) == {"unpaid": "56.00", "days": str(ARREARS_NOTICE_DAYS)}


def test_a_bill_with_nothing_unpaid_gets_no_reminder() -> None:
    paid = attrs.evolve(OPEN, unpaid=Money(0))
    assert reminder_drafts([paid], DUE + timedelta(days=40)) == ()


def test_a_low_balance_warning_once_a_month_below_the_threshold() -> None:
    low = Money("9.99")
    assert reminder_drafts([], NOW, (A, LOW_BALANCE)) == ()  # at the threshold: not below
    (first,) = reminder_drafts([], at(2026, 11, 1, 0, 0, 1), (A, low))
    (later,) = reminder_drafts([], at(2026, 11, 30, 23), (A, Money(-3)))
    (december,) = reminder_drafts([], at(2026, 12, 1), (A, low))
    assert first.key == later.key == f"low-balance:{A}:2026-11"
    assert december.key == f"low-balance:{A}:2026-12"
    assert dict(first.params) == {"balance": "9.99", "threshold": "10.00"}


def test_the_low_balance_month_is_the_beijing_month() -> None:
    utc_evening = at(2026, 12, 1, 1).astimezone(UTC)
    (draft,) = reminder_drafts([], utc_evening, (A, Money(1)))
    assert draft.key == f"low-balance:{A}:2026-12"


# ============================================================================ pure: templates


def every_draft() -> list[Draft]:
    """One draft of each kind, made by the draft functions themselves."""
    opened = LineOpened(A, LineKind.MOBILE, "4g-56", "ACC-1", date(2026, 10, 3))
    bill = BillIssued("b", A, "ACC-1", Month(2026, 10), Money(56), DUE, NOW)
    paid = PaymentReceived("e", "ACC-1", A, EntryKind.PAYMENT, Money(50), NOW)
    order = OrderStateChanged("o", A, "pack-order", "completed", NOW, "sms", NOW)
    ticket = TicketChanged("t", A, "bill", "resolved", NOW, "agent", "")
    places = [rec("1", A, "CN-SH", NOW), rec("2", A, "JP", NOW)]
    return [
        *drafts_for_event(opened, "4G", "4G"),
        *drafts_for_event(bill),
        *drafts_for_event(paid),
        *drafts_for_event(order),
        *drafts_for_event(ticket),
        *welcome_drafts(A, "CN-CQ", places, {"JP": ("Japan", "日本")}),
        *reminder_drafts([OPEN], DUE + timedelta(days=30), (A, Money(1))),
    ]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_draft_functions_make_every_template() -> None:
    assert {d.template for d in every_draft()} == set(TEMPLATES)


def test_every_template_has_every_locale_with_only_the_fields_its_drafts_give() -> None:
    for draft in every_draft():
        texts = TEMPLATES[draft.template]
        assert set(texts) == set(LOCALES), draft.template
        for locale in LOCALES:
            assert fields(texts[locale]) <= {k for k, _ in draft.params}, (draft.template, locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_draft_renders_in_every_locale(locale: str) -> None:
    for draft in every_draft():
        text = render(draft.template, locale, draft.params)
        assert text and "{" not in text, (draft.template, text)
        msg = message(draft, "MSG-1", locale, NOW)
        assert (msg.text, msg.locale, msg.state) == (text, locale, MessageState.INITIAL)


def test_an_unknown_locale_falls_back_to_chinese() -> None:
    (sms,) = [d for d in every_draft() if d.template == "welcome-sms"]
    assert render("welcome-sms", "fr", sms.params) == render("welcome-sms", "zh-CN", sms.params)


def test_the_welcome_abroad_text_names_the_place_and_the_free_hotline() -> None:
    (jp,) = [d for d in every_draft() if d.template == "welcome-abroad"]
    assert render(jp.template, "zh-CN", jp.params) == (
        "欢迎来到日本!漫游热线+86 13010199999(本机拨打免费)。"
    )
    assert "Japan" in render(jp.template, "en", jp.params)


# ============================================================================ pure: marking


def a_message() -> Message:
    return message(every_draft()[0], "MSG-1", "zh-CN", NOW)


@pytest.mark.parametrize("state", [MessageState.COMPLETED, MessageState.FAILED])
def test_an_initial_message_is_marked_completed_or_failed(state: MessageState) -> None:
    later = NOW + timedelta(minutes=1)
    done = mark(a_message(), state, later, "no signal" if state is MessageState.FAILED else "")
    assert (done.state, done.state_at) == (state, later)
    assert done.text == a_message().text


def test_a_failed_message_may_be_sent_again_but_a_completed_one_is_never_re_marked() -> None:
    failed = mark(a_message(), MessageState.FAILED, NOW, "busy")
    sent = mark(failed, MessageState.COMPLETED, NOW + timedelta(minutes=5))
    assert sent.state is MessageState.COMPLETED
    for state in (MessageState.COMPLETED, MessageState.FAILED):
        with pytest.raises(ValueError, match="completed"):
            mark(sent, state, NOW + timedelta(minutes=6))


def test_a_message_cannot_be_marked_back_to_initial() -> None:
    with pytest.raises(ValueError):
        mark(a_message(), MessageState.INITIAL, NOW)


# ============================================================================ over a store


def welcomes(store: Store, msisdn: str) -> list[str]:
    return [m.key for m in outbox(store) if m.key.startswith(f"welcome:{msisdn}:")]


@pytest.fixture
def lines(store: Store) -> Store:
    service.add_line(store, A, "3g-a-46", date(2026, 9, 10))
    service.add_line(store, B, "4g-56", date(2026, 8, 1))
    return store


def test_a_new_line_is_welcomed_by_a_call_and_an_sms(lines: Store) -> None:
    run = run_notifications(lines, at(2026, 9, 10, 9))
    assert sorted(keys(list(run.made))) == sorted(
        f"{kind}:{n}" for kind in ("welcome-call", "welcome-sms") for n in (A, B)
    )
    (call,) = [m for m in run.made if m.key == f"welcome-call:{A}"]
    assert call.text == "尊敬的用户,欢迎您成为中国联通3G基本套餐A 46元用户。"
    assert call.created_at == at(2026, 9, 10)


def test_running_notifications_again_adds_nothing(lines: Store) -> None:
    service.import_usage(
        lines,
        parse_cdrs(
            csv(
                f"a1,{A},sms,out,2026-10-05T09:00:00,,,1,CN-SH",
                f"a2,{A},sms,out,2026-10-06T09:00:00,,,1,JP",
                f"b1,{B},sms,out,2026-10-06T09:00:00,,,1,CN-BJ",
            )
        ),
    )
    list(service.run_bills(lines, Month(2026, 10), at(2026, 11, 1)))
    service.receive_money(lines, B, Money("20"), EntryKind.PAYMENT, at(2026, 11, 2))
    now = at(2026, 12, 20)
    first = run_notifications(lines, now)
    assert first.made
    before = outbox(lines)
    again = run_notifications(lines, now)
    assert (again.events, again.made) == (0, ())
    assert outbox(lines) == before
    assert run_notifications(lines, now + timedelta(days=1)).made == ()
    made = set(keys(before))
    assert {f"welcome:{A}:CN-SH", f"welcome:{A}:JP", f"bill:{A}-202610"} <= made
    assert f"welcome:{B}:CN-BJ" not in made  # B's home
    assert {f"reminder:{A}-202610", f"arrears:{A}-202610", f"reminder:{B}-202610"} <= made


def test_a_welcome_is_written_in_the_lines_language(lines: Store) -> None:
    sub = service.get_line(lines, A)
    lines.update_subscriber(attrs.evolve(sub, locale="en"))
    service.import_usage(lines, parse_cdrs(csv(f"a1,{A},sms,out,2026-10-05T09:00:00,,,1,JP")))
    run_notifications(lines, at(2026, 10, 6))
    (jp,) = [m for m in outbox(lines) if m.key == f"welcome:{A}:JP"]
    assert (jp.locale, jp.created_at) == ("en", at(2026, 10, 5, 9))
    assert jp.text == "Welcome to Japan! Roaming hotline +86 13010199999, free from this line."


def test_reminders_go_out_through_the_store_when_they_are_due(lines: Store) -> None:
    list(service.run_bills(lines, Month(2026, 10), at(2026, 11, 1)))
    run_notifications(lines, at(2026, 11, 30))
    october = [f"{kind}:{n}-202610" for kind in ("reminder", "arrears") for n in (A, B)]
    assert not set(october) & set(keys(outbox(lines)))
    assert f"reminder:{B}-202609" in keys(outbox(lines))  # the caught-up September is due
    run_notifications(lines, at(2026, 12, 1))
    assert f"reminder:{B}-202610" in keys(outbox(lines))
    assert f"arrears:{B}-202610" not in keys(outbox(lines))
    run_notifications(lines, at(2026, 12, 1 + ARREARS_NOTICE_DAYS))
    assert f"arrears:{B}-202610" in keys(outbox(lines))


def test_fixed_line_bill_notices_go_to_the_accounts_mobile_line(store: Store) -> None:
    mobile = service.add_line(store, A, "3g-a-46", date(2026, 10, 1))
    fixed = service.add_line(
        store, "010-62345678", "fixed-basic", date(2026, 10, 1), account_id=mobile.account_id
    )
    alone = service.add_line(store, "KD0108888", "bb-100m", date(2026, 10, 1))
    list(service.run_bills(store, Month(2026, 10), at(2026, 11, 1)))
    run_notifications(store, at(2026, 11, 2))
    by_key = {m.key: m for m in outbox(store)}
    notice = by_key[f"bill:{fixed.msisdn}-202610"]
    assert notice.recipient == A
    assert "20.00" in notice.text  # the fixed line's own bill
    assert f"bill:{alone.msisdn}-202610" not in by_key  # no mobile on that account
    assert all(m.recipient == A for m in by_key.values())
    assert not [k for k in by_key if fixed.msisdn in k and k.startswith("welcome")]


def test_marking_an_unknown_message_is_not_found(lines: Store) -> None:
    with pytest.raises(NotFound):
        mark_message(lines, "MSG-999999", at(2026, 10, 1))


def test_a_sent_message_cannot_be_marked_again_and_pending_shows_only_unsent(
    lines: Store,
) -> None:
    run_notifications(lines, at(2026, 9, 10, 9))
    first, second, third, *_ = outbox(lines)
    assert outbox(lines, pending=True) == outbox(lines)
    done = mark_message(lines, first.id, at(2026, 9, 10, 10))
    assert done.state is MessageState.COMPLETED
    with pytest.raises(Conflict):
        mark_message(lines, first.id, at(2026, 9, 10, 11))
    with pytest.raises(Conflict):
        mark_message(lines, first.id, at(2026, 9, 10, 11), failed=True, reason="late")
    failed = mark_message(lines, second.id, at(2026, 9, 10, 10), failed=True, reason="busy")
    assert (failed.state, failed.reason) == (MessageState.FAILED, "busy")
    assert lines.get_message(first.id) == done
    pending = outbox(lines, pending=True)
    assert first.id not in {m.id for m in pending} and second.id not in {m.id for m in pending}
    assert third in pending
    assert all(m.state is MessageState.INITIAL for m in pending)
    resent = mark_message(lines, second.id, at(2026, 9, 10, 12))
    assert resent.state is MessageState.COMPLETED


def test_notifications_on_the_29th_of_february_do_not_crash(store: Store) -> None:
    """channels.run_notifications reads a roaming line's usage up to
    `now.replace(year=now.year + 1)`, which raises ValueError on 29 February."""
    service.add_line(store, A, "3g-a-46", date(2028, 2, 1))
    service.import_usage(store, parse_cdrs(csv(f"a1,{A},sms,out,2028-02-10T10:00:00,,,1,JP")))
    run_notifications(store, at(2028, 2, 29, 12))
    assert f"welcome:{A}:JP" in keys(outbox(store))


# ------------------------------------------------------------ property: welcome once per place

PLACES = ("CN", "CN-BJ", "CN-CQ", "CN-HE", "CN-SH", "CN-GD", "JP", "GB", "BR", "HK")


@st.composite
def cdr_batches(draw: st.DrawFn) -> list[list[UsageRecord]]:
    """Records of A, B and C in October 2026 in several places (their homes among them), cut
    into batches in a random order."""
    n = draw(st.integers(1, 24))
    records = []
    for i in range(n):
        msisdn = draw(st.sampled_from(tuple(HOMES)))
        place = draw(st.sampled_from(PLACES))
        start = draw(testing.instants(Month(2026, 10)))
        records.append(rec(f"r{i:03d}", msisdn, place, start))
    shuffled = draw(st.permutations(records))
    cuts = sorted(draw(st.lists(st.integers(1, max(1, n - 1)), max_size=4)))
    bounds = [0, *cuts, n]
    return [shuffled[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@pytest.mark.parametrize("kind", STORES)
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=cdr_batches())
def test_each_line_is_welcomed_exactly_once_per_place_whatever_the_cdr_order(
    kind: str,
    tmp_path_factory: pytest.TempPathFactory,
    open_store: Callable[[str, Path], Store],
    batches: list[list[UsageRecord]],
) -> None:
    store = open_store(kind, tmp_path_factory.mktemp("welcome"))
    try:
        for n in HOMES:
            service.add_line(store, n, "4g-56", date(2026, 9, 1))
        seen: list[UsageRecord] = []
        first_at: dict[str, datetime] = {}  # key -> its date when first made
        for i, batch in enumerate(batches):
            service.import_usage(store, parse_cdrs(format_cdrs(batch).encode(), f"b{i}.csv"))
            seen.extend(batch)
            run_notifications(store, at(2026, 11, 1))
            for r in seen:
                key = f"welcome:{r.msisdn}:{r.location}"
                if r.location in ("CN", HOMES[r.msisdn]) or key in first_at:
                    continue
                first_at[key] = min(
                    s.start for s in seen if (s.msisdn, s.location) == (r.msisdn, r.location)
                )
        messages = outbox(store)
        assert len({m.key for m in messages}) == len(messages)
        for n, home in HOMES.items():
            places = {r.location for batch in batches for r in batch if r.msisdn == n}
            expected = sorted(f"welcome:{n}:{p}" for p in places - {"CN", home})
            assert sorted(welcomes(store, n)) == expected
        made = {m.key: m for m in messages if m.key.startswith("welcome:")}
        assert {k: m.created_at for k, m in made.items()} == first_at
        assert all(m.recipient == m.key.split(":")[1] for m in made.values())
    finally:
        store.close()


# ------------------------------------------------------------ stateful: the outbox

NUMBERS = (A, B, C, "13112345678")


class OutboxMachine(RuleBasedStateMachine):
    """Lines, usage, payments and notification runs in any order, with the gateway marking
    messages sent or failed; the outbox only grows, keeps one message per key, never changes a
    sent message and welcomes a line only to places its usage shows."""

    ids = Bundle("message_ids")

    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        service.init_store(self.store)
        self.lines: set[str] = set()
        self.n = 0
        self.count = 0
        self.completed: dict[str, Message] = {}
        self.now = at(2026, 10, 1)

    @initialize()
    def first_line(self) -> None:
        service.add_line(self.store, A, "4g-56", date(2026, 9, 1))
        self.lines.add(A)

    @rule(number=st.sampled_from(NUMBERS))
    def add_line(self, number: str) -> None:
        if number in self.lines:
            with pytest.raises(Conflict):
                service.add_line(self.store, number, "3g-a-46", date(2026, 9, 1))
            return
        service.add_line(self.store, number, "3g-a-46", date(2026, 9, 1))
        self.lines.add(number)

    @rule(
        data=st.data(),
        size=st.integers(1, 5),
    )
    def import_batch(self, data: st.DataObject, size: int) -> None:
        batch = []
        for _ in range(size):
            self.n += 1
            number = data.draw(st.sampled_from(sorted(self.lines)))
            place = data.draw(st.sampled_from(PLACES))
            start = data.draw(testing.instants(Month(2026, 10)))
            batch.append(rec(f"s{self.n:04d}", number, place, start))
        service.import_usage(self.store, parse_cdrs(format_cdrs(batch).encode()))

    @rule(amount=st.integers(1, 100))
    def pay(self, amount: int) -> None:
        self.now += timedelta(hours=1)
        service.receive_money(self.store, A, Money(amount), EntryKind.RECHARGE, self.now)

    @rule(target=ids)
    def notify(self) -> MultipleResults[str]:
        run = run_notifications(self.store, at(2026, 11, 1))
        return multiple(*(m.id for m in run.made))

    @rule(message_id=ids, failed=st.booleans())
    def mark(self, message_id: str, failed: bool) -> None:
        msg = self.store.get_message(message_id)
        if msg is None:
            with pytest.raises(NotFound):
                mark_message(self.store, message_id, self.now, failed=failed)
        elif msg.state is MessageState.COMPLETED:
            with pytest.raises(Conflict):
                mark_message(self.store, message_id, self.now, failed=failed)
        else:
            done = mark_message(self.store, message_id, self.now, failed=failed, reason="x")
            if done.state is MessageState.COMPLETED:
                self.completed[done.id] = done

    @rule(index=st.integers(0, 200), failed=st.booleans())
    def mark_any(self, index: int, failed: bool) -> None:
        messages = outbox(self.store)
        if messages:
            self.mark(messages[index % len(messages)].id, failed)

    @invariant()
    def keys_are_unique(self) -> None:
        messages = outbox(self.store)
        assert len({m.key for m in messages}) == len(messages)
        assert len({m.id for m in messages}) == len(messages)

    @invariant()
    def the_outbox_never_shrinks(self) -> None:
        count = len(outbox(self.store))
        assert count >= self.count
        self.count = count

    @invariant()
    def sent_messages_never_change(self) -> None:
        for message_id, msg in self.completed.items():
            assert self.store.get_message(message_id) == msg

    @invariant()
    def welcomes_name_only_places_the_line_was_in(self) -> None:
        far = (at(2000, 1, 1), at(2100, 1, 1))
        for msg in outbox(self.store):
            if not msg.key.startswith("welcome:"):
                continue
            _, number, place = msg.key.split(":")
            assert place not in ("CN", HOMES.get(number, mobile_info(number).province))
            assert place in {r.location for r in self.store.usage(number, *far)}


OutboxMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
TestTheOutbox = OutboxMachine.TestCase


def test_events_that_concern_no_customer_make_no_message() -> None:
    loaded = TariffsLoaded("bundled", ("4g-56",), (), ())
    imported = UsageImported("oct.csv", 3, (A,))
    assert drafts_for_event(loaded) == drafts_for_event(imported) == ()


def test_a_prepaid_line_below_the_threshold_is_warned_once_a_month(store: Store) -> None:
    """Prepaid 4G-56 from 1 October, recharged 60: the fee (56) leaves 4.00, below 10.00."""
    service.add_line(store, C, "4g-56", date(2026, 10, 1), mode=PaymentMode.PREPAID)
    service.receive_money(store, C, Money(60), EntryKind.RECHARGE, at(2026, 10, 1, 8))
    run_notifications(store, at(2026, 10, 2))
    run_notifications(store, at(2026, 10, 20))
    warnings = [m for m in outbox(store) if m.key.startswith("low-balance:")]
    assert [(m.key, m.recipient) for m in warnings] == [(f"low-balance:{C}:2026-10", C)]
    assert "4.00" in warnings[0].text
    assert "receipt:" in " ".join(keys(outbox(store)))


def test_a_fixed_lines_usage_makes_no_welcome(store: Store) -> None:
    mobile = service.add_line(store, A, "3g-a-46", date(2026, 10, 1))
    fixed = service.add_line(
        store, "010-62345678", "fixed-basic", date(2026, 10, 1), account_id=mobile.account_id
    )
    row = f"f1,{fixed.msisdn},voice,out,2026-10-05T09:00:00,60,,13800138000,CN-SH"
    service.import_usage(store, parse_cdrs(csv(row)))
    run_notifications(store, at(2026, 10, 6))
    assert not [k for k in keys(outbox(store)) if k.startswith("welcome:")]
