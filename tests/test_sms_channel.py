"""SMS commands over a store (`channels.handle_sms`), run against every store: memory and SQLite.

The rule under test: a sender only ever sees or changes its own line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from unicom_cs import service, testing
from unicom_cs.account import EntryKind
from unicom_cs.channels import SmsResult, handle_sms
from unicom_cs.errors import InvalidValue, NotFound
from unicom_cs.money import Money
from unicom_cs.orders import Channel, Credentials, OrderRequest, OrderState, OrderType
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.sms import (
    BILL_NUMBER,
    SERVICE_NUMBER,
    Intent,
    SmsCommand,
    help_text,
    normalize,
    unknown_sender_text,
)
from unicom_cs.usage import COLUMNS, parse_cdrs

A = "13012345678"  # 3G A-46, joined 10 September 2026
B = "18612345678"  # 4G-56, joined 1 August 2026
C = "13112345678"  # 3G A-46, joined 1 September 2026
ID_DOC = "11010519491231002X"  # a valid resident identity card number
PAID = {A: Money("1234.56"), B: Money("2345.67"), C: Money("3456.78")}
LINES = (A, B, C)


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


NOW = at(2026, 10, 15, 12)
NEXT_MONTH = at(2026, 11, 1)


def csv(*rows: str) -> bytes:
    return ("\n".join([",".join(COLUMNS), *rows]) + "\n").encode()


def populate(store: Store) -> Store:
    """Three lines on three accounts, each paid a distinct amount, A with some October usage."""
    service.add_line(store, A, "3g-a-46", date(2026, 9, 10))
    service.add_line(store, B, "4g-56", date(2026, 8, 1))
    service.add_line(store, C, "3g-a-46", date(2026, 9, 1))
    for msisdn, amount in PAID.items():
        service.receive_money(store, msisdn, amount, EntryKind.PAYMENT, at(2026, 10, 1, 9))
    usage = [
        f"a1,{A},voice,out,2026-10-05T09:00:00,61,,13800138000,CN-BJ",
        f"a2,{A},data,out,2026-10-06T09:00:00,,1048576,,CN-BJ",
        f"a3,{A},sms,out,2026-10-07T09:00:00,,,13800138000,CN-BJ",
        f"b1,{B},voice,out,2026-10-05T10:00:00,600,,13800138000,CN-BJ",
    ]
    service.import_usage(store, parse_cdrs(csv(*usage)))
    return store


@pytest.fixture
def lines(store: Store) -> Store:
    return populate(store)


def state(store: Store) -> tuple[int, list[object], int]:
    return store.order_count(), list(store.subscribers()), len(store.events())


def sms(store: Store, sender: str, text: str, now: datetime = NOW, **kw: str) -> SmsResult:
    return handle_sms(store, sender, text, now, **kw)


# --------------------------------------------------------------------------- own line only

query_texts = st.sampled_from(
    ["YE", "HF", "YL", "ZD", "XJ", "BZ", "余额", "话费", "流量", "ZD202609", "cx ye", "", "?"]
)
order_texts = st.sampled_from(["KT3GLL30", "LJKT3GLL10", "QX3GLL30", "KTLDXS", "KTSJLL", "EN"])
any_text = query_texts | order_texts | st.text(max_size=30)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_sender_only_ever_sees_its_own_line(
    kind: str, tmp_path: Path, open_store: Callable[[str, Path], Store]
) -> None:
    store = populate(open_store(kind, tmp_path))

    @settings(max_examples=100)
    @given(st.sampled_from(LINES), any_text, st.sampled_from([SERVICE_NUMBER, BILL_NUMBER]))
    def check(sender: str, text: str, to: str) -> None:
        result = sms(store, sender, text, to=to)
        assert result.sender == sender
        assert "".join(result.parts) == result.text
        if result.order is not None:
            assert result.order.msisdn == sender
        for other in LINES:
            if other == sender:
                continue
            # an unknown code is echoed back: only a number the sender typed may appear
            if other not in normalize(text):
                assert other not in result.text
            assert str(PAID[other]) not in result.text
        if result.command == SmsCommand(Intent.BALANCE):
            assert str(PAID[sender]) in result.text

    try:
        check()
    finally:
        store.close()


def test_each_line_reads_its_own_balance(lines: Store) -> None:
    for msisdn, paid in PAID.items():
        text = sms(lines, msisdn, "YE").text
        assert f"{paid}元" in text
        assert all(str(p) not in text for m, p in PAID.items() if m != msisdn)


def test_a_sender_typed_with_the_country_code_is_its_line(lines: Store) -> None:
    result = sms(lines, "+86 130 1234 5678", "YE")
    assert result.sender == A
    assert f"{PAID[A]}元" in result.text


# --------------------------------------------------------------------------- unknown senders

unknown_senders = testing.msisdns() | st.text(max_size=20)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_an_unknown_sender_gets_no_data_and_changes_nothing(
    kind: str, tmp_path: Path, open_store: Callable[[str, Path], Store]
) -> None:
    store = populate(open_store(kind, tmp_path))

    @settings(max_examples=100)
    @given(
        unknown_senders,
        any_text,
        st.sampled_from([SERVICE_NUMBER, BILL_NUMBER]),
        st.sampled_from([None, "en", "zh-CN"]),
    )
    def check(sender: str, text: str, to: str, locale: str | None) -> None:
        try:
            service.get_line(store, sender)
        except (NotFound, InvalidValue):
            pass
        else:
            assume(False)  # the sender is one of the store's lines
        before = state(store)
        result = handle_sms(store, sender, text, NOW, to=to, locale=locale)
        assert result.command is None
        assert result.order is None
        assert result.text == unknown_sender_text(locale or "zh-CN")
        assert state(store) == before

    try:
        check()
    finally:
        store.close()


def test_an_unknown_number_ordering_a_pack_orders_nothing(lines: Store) -> None:
    before = state(lines)
    result = sms(lines, "13212345678", "LJKT3GLL30")
    assert result.text == unknown_sender_text()
    assert state(lines) == before


def test_a_closed_line_is_an_unknown_sender(store: Store) -> None:
    service.add_line(store, C, "3g-a-46", date(2026, 9, 1), id_document=ID_DOC)
    close = OrderRequest("close-c", C, OrderType.CLOSE, Channel.COUNTER)
    service.submit_order(store, close, at(2026, 10, 2), Credentials(document=ID_DOC))
    assert service.get_line(store, C).closed_at is not None
    before = state(store)
    assert sms(store, C, "YE").text == unknown_sender_text()
    assert sms(store, C, "LJKT3GLL30").order is None
    assert state(store) == before


def test_a_message_to_another_number_is_refused(lines: Store) -> None:
    with pytest.raises(InvalidValue):
        sms(lines, A, "YE", to="10086")


# --------------------------------------------------------------------------- orders


def test_kt_orders_a_pack_from_the_first_of_next_month(lines: Store) -> None:
    result = sms(lines, A, "KT3GLL30")
    assert result.command == SmsCommand(Intent.ORDER, "3GLL30")
    order = result.order
    assert order is not None
    assert (order.msisdn, order.type, order.request.product) == (
        A,
        OrderType.PACK_ORDER,
        "3g-pack-30",
    )
    assert order.request.channel is Channel.SMS
    assert order.state is OrderState.PENDING
    assert order.effective_at == NEXT_MONTH
    assert "3GLL30" in result.text and "11月1日00:00" in result.text
    assert lines.order_count() == 1
    packs = service.get_line(lines, A).packs
    assert [(p.pack_id, p.month) for p in packs] == [("3g-pack-30", Month(2026, 11))]


def test_ljkt_orders_a_pack_at_once(lines: Store) -> None:
    result = sms(lines, C, "LJKT3GLL30")
    order = result.order
    assert order is not None
    assert order.state is OrderState.COMPLETED
    assert order.effective_at == NOW
    assert order.request.immediate
    packs = service.get_line(lines, C).packs
    assert [(p.pack_id, p.month) for p in packs] == [("3g-pack-30", Month(2026, 10))]


def test_the_same_message_delivered_twice_orders_once(lines: Store) -> None:
    first = sms(lines, A, "KT3GLL30", message_id="gw-1")
    again = sms(lines, A, "KT3GLL30", at(2026, 10, 15, 12, 1), message_id="gw-1")
    assert first.order is not None and again.order is not None
    assert again.order.id == first.order.id
    assert lines.order_count() == 1
    assert len(service.get_line(lines, A).packs) == 1


def test_qx_cancels_a_pack_from_next_month(lines: Store) -> None:
    sms(lines, C, "LJKT3GLL30", at(2026, 10, 10))
    result = sms(lines, C, "QX3GLL30")
    order = result.order
    assert order is not None
    assert order.type is OrderType.PACK_CANCEL
    assert order.effective_at == NEXT_MONTH
    assert "退订" in result.text
    (pack,) = service.get_line(lines, C).packs
    assert pack.end == Month(2026, 11)


def test_kt_and_qx_open_and_close_a_value_added_service(lines: Store) -> None:
    opened = sms(lines, B, "KTLDXS", at(2026, 10, 10))
    assert opened.order is not None and opened.order.type is OrderType.SERVICE_OPEN
    assert service.get_line(lines, B).has_service("caller-id", at(2026, 10, 11))
    closed = sms(lines, B, "qx ldxs")
    assert closed.order is not None and closed.order.type is OrderType.SERVICE_CLOSE
    assert not service.get_line(lines, B).has_service("caller-id", at(2026, 10, 16))


def test_an_unknown_code_is_named_in_the_reply_and_orders_nothing(lines: Store) -> None:
    before = state(lines)
    for text in ["KTZZZZ9", "LJKTZZZZ9", "QXZZZZ9"]:
        result = sms(lines, A, text)
        assert result.order is None
        assert "ZZZZ9" in result.text
    assert state(lines) == before


def test_orders_sent_to_10901_are_refused_and_nothing_is_ordered(lines: Store) -> None:
    before = state(lines)
    for text in ["KT3GLL30", "LJKT3GLL30", "QX3GLL30", "KTSJLL"]:
        result = sms(lines, A, text, to=BILL_NUMBER)
        assert result.order is None
        assert "10010" in result.text
    assert state(lines) == before
    assert service.get_line(lines, A).packs == ()


def test_a_refused_order_replies_with_the_reason(lines: Store) -> None:
    sms(lines, A, "KT3GLL30", at(2026, 10, 10))
    before = state(lines)
    result = sms(lines, A, "KT3GLL20")  # one 3G pack order a month
    assert result.order is None
    assert result.text.startswith("办理失败:")
    assert "one 3g-data-pack order a month" in result.text
    assert state(lines) == before


# --------------------------------------------------------------------------- language


def test_en_switches_the_replies_to_english_until_zw(lines: Store) -> None:
    switched = sms(lines, A, "EN")
    assert switched.locale == "en"
    assert switched.text.startswith("Replies will be in English")
    assert service.get_line(lines, A).locale == "en"
    balance = sms(lines, A, "YE")
    assert balance.locale == "en"
    assert balance.text.startswith(f"Balance CNY {PAID[A]}")
    assert sms(lines, A, "BZ").text == help_text("en")
    assert sms(lines, B, "YE").locale == "zh-CN"  # only the sender's line changed
    back = sms(lines, A, "zw")
    assert back.locale == "zh-CN"
    assert service.get_line(lines, A).locale == "zh-CN"
    assert sms(lines, A, "YE").text.startswith("您的账户余额")


def test_a_locale_asked_for_one_reply_does_not_change_the_line(lines: Store) -> None:
    result = handle_sms(lines, A, "YE", NOW, locale="en")
    assert result.text.startswith("Balance CNY")
    assert service.get_line(lines, A).locale == "zh-CN"


# --------------------------------------------------------------------------- the figures


def test_ye_shows_the_balance_line_status_shows(lines: Store) -> None:
    for msisdn in LINES:
        status = service.line_status(lines, msisdn, NOW)
        assert f"余额{status.balance}元" in sms(lines, msisdn, "YE").text


def test_hf_shows_this_months_charges_so_far(lines: Store) -> None:
    for msisdn in LINES:
        bill, _ = service.bill_for(lines, msisdn, NOW)
        assert bill.month == Month(2026, 10)
        assert f"话费{bill.total}元" in sms(lines, msisdn, "HF").text


def test_zd_shows_last_months_issued_bill_after_the_bill_run(lines: Store) -> None:
    assert "尚未出账" in sms(lines, A, "ZD").text
    list(service.run_bills(lines, Month(2026, 9), at(2026, 10, 1)))
    for msisdn in LINES:
        issued = lines.get_bill(msisdn, Month(2026, 9))
        assert issued is not None
        expected = f"2026年9月账单{issued.total}元"
        assert expected in sms(lines, msisdn, "ZD").text
        assert expected in sms(lines, msisdn, "ZD202609").text
        assert expected in sms(lines, msisdn, "", to=BILL_NUMBER).text
        status = service.line_status(lines, msisdn, NOW)
        assert f"余额{status.balance}元" in sms(lines, msisdn, "YE").text


def test_yl_shows_the_units_left(lines: Store) -> None:
    text = sms(lines, A, "YL").text
    assert text.startswith("本月剩余语音")
    assert text == sms(lines, A, "余量").text == sms(lines, A, "ｃｘｌｌ").text


# --------------------------------------------------------------------------- full width


def test_a_full_width_order_behaves_exactly_like_ascii(
    store: Store, tmp_path: Path, open_store: Callable[[str, Path], Store]
) -> None:
    kind = "memory" if "Memory" in type(store).__name__ else "sqlite"
    (tmp_path / "twin").mkdir()
    twin = open_store(kind, tmp_path / "twin")
    try:
        populate(store)
        populate(twin)
        ascii_ = sms(store, A, "KT3GLL30", message_id="m")
        wide = sms(twin, A, "ＫＴ３ＧＬＬ３０", message_id="m")
        assert wide.command == ascii_.command
        assert wide.text == ascii_.text
        assert wide.order == ascii_.order
        assert service.get_line(twin, A) == service.get_line(store, A)
    finally:
        twin.close()


# --------------------------------------------------------------------------- KTSJLL


def test_ktsjll_is_refused_naming_the_reason_when_roaming_is_closed(lines: Store) -> None:
    close = OrderRequest("close-roaming", A, OrderType.ROAMING_CLOSE, Channel.HOTLINE)
    service.submit_order(lines, close, at(2026, 10, 10))
    before = state(lines)
    result = sms(lines, A, "KTSJLL")
    assert result.command == SmsCommand(Intent.REOPEN_ROAMING_DATA)
    assert result.order is None
    assert result.text.startswith("办理失败:")
    assert "roaming is closed" in result.text
    assert state(lines) == before
    assert service.get_line(lines, A).data_reopens == ()


def test_ktsjll_reopens_roaming_data_when_roaming_is_open(lines: Store) -> None:
    result = sms(lines, B, "kt sjll")
    order = result.order
    assert order is not None
    assert order.type is OrderType.ROAMING_DATA_REOPEN
    assert order.state is OrderState.COMPLETED
    assert "国际漫游数据已恢复" in result.text
    assert service.get_line(lines, B).data_reopens == (NOW,)
