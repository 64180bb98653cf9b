"""Notifications: the welcome service and reminders, as TMF681 communication messages.

The guide's welcome service (§3.4): when a new line is activated the system calls it ("Dear
customer, welcome to China Unicom"), and when a line enters a province for the first time it
gets an SMS ("welcome to … province"). Tariff rules §5 add the welcome SMS at the first
roaming abroad, with the free roaming hotline. The center also sends bill notices, payment
reminders, low-balance warnings, arrears notices, receipts, and order and complaint updates.

Everything here is pure: functions from domain events, usage records and account figures to
`Draft` messages. Each draft has a `key` that names what it announces (the line's welcome, a
province entered, a bill overdue…); the store keeps one message per key, so a message is made
exactly once however often, and in whatever order, its cause is seen. The store's outbox holds
the messages; a gateway sends them and marks them completed or failed (TMF681 states).

Templates are data in zh-CN, en and es; a line's `locale` picks one (zh-CN by default).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Final

import attrs

from unicom_cs.events import (
    BillIssued,
    Event,
    LineOpened,
    OrderStateChanged,
    PaymentReceived,
    TicketChanged,
)
from unicom_cs.money import Money
from unicom_cs.number import PROVINCES
from unicom_cs.period import SHANGHAI
from unicom_cs.usage import UsageRecord

ROAMING_HOTLINE: Final = "+86 13010199999"
#: Days after a bill's due date before the arrears notice (欠费停机提醒) goes out.
ARREARS_NOTICE_DAYS: Final = 15
#: A prepaid balance below this gets the low-balance warning (once a month).
LOW_BALANCE: Final = Money(10)


class MessageState(enum.StrEnum):
    """TMF681 CommunicationMessage states the outbox uses."""

    INITIAL = "initial"
    COMPLETED = "completed"
    FAILED = "failed"


class Medium(enum.StrEnum):
    SMS = "sms"
    VOICE = "voice"  # an automatic call (the welcome call)


# Template texts by id and locale; {name} fields come from the draft's params.
TEMPLATES: Final[Mapping[str, Mapping[str, str]]] = {
    "welcome-call": {
        "zh-CN": "尊敬的用户,欢迎您成为中国联通{plan_zh}用户。",
        "en": "Dear customer, welcome to China Unicom {plan}.",
        "es": "Estimado usuario, bienvenido a China Unicom {plan}.",
    },
    "welcome-sms": {
        "zh-CN": "尊敬的用户,欢迎使用中国联通!查话费发YE到10010,客服热线10010。",
        "en": "Welcome to China Unicom! Text YE to 10010 for your balance; hotline 10010.",
        "es": "Bienvenido a China Unicom. Envie YE al 10010 para su saldo; linea 10010.",
    },
    "welcome-province": {
        "zh-CN": "尊敬的用户,欢迎您来到{place_zh}!",
        "en": "Dear customer, welcome to {place}!",
        "es": "Estimado usuario, bienvenido a {place}.",
    },
    "welcome-abroad": {
        "zh-CN": "欢迎来到{place_zh}!漫游热线{hotline}(本机拨打免费)。",
        "en": "Welcome to {place}! Roaming hotline {hotline}, free from this line.",
        "es": "Bienvenido a {place}. Linea de roaming {hotline}, gratis desde esta linea.",
    },
    "bill-issued": {
        "zh-CN": "您{line}的{month}账单{total}元,缴费截止{due}。",
        "en": "Your {month} bill for {line} is CNY {total}, due by {due}.",
        "es": "Su factura de {month} de {line} es CNY {total}, vence el {due}.",
    },
    "payment-reminder": {
        "zh-CN": "您{line}的{month}账单尚欠{unpaid}元已逾期,请及时缴纳。",
        "en": "Your {month} bill for {line} has CNY {unpaid} overdue. Please pay.",
        "es": "Su factura de {month} de {line} tiene CNY {unpaid} vencidos. Pague por favor.",
    },
    "arrears-notice": {
        "zh-CN": "您已欠费{unpaid}元超过{days}天,请尽快缴纳以免停机。",
        "en": "CNY {unpaid} overdue for over {days} days: pay now to avoid suspension.",
        "es": "CNY {unpaid} vencidos hace mas de {days} dias: pague para evitar la suspension.",
    },
    "low-balance": {
        "zh-CN": "您的余额{balance}元,已低于{threshold}元,请拨10011充值。",
        "en": "Balance CNY {balance}, below CNY {threshold}. Recharge at 10011.",
        "es": "Saldo CNY {balance}, menos de CNY {threshold}. Recargue en el 10011.",
    },
    "payment-received": {
        "zh-CN": "您已成功{what_zh}{amount}元,感谢使用。",
        "en": "We received your {what} of CNY {amount}. Thank you.",
        "es": "Recibimos su {what} de CNY {amount}. Gracias.",
    },
    "order-update": {
        "zh-CN": "您的{type}业务(订单{order}){state_zh},{when}生效。",
        "en": "Your {type} order {order} is {state}, effective {when}.",
        "es": "Su pedido {type} {order} esta {state}, efectivo el {when}.",
    },
    "complaint-update": {
        "zh-CN": "您的投诉{ticket}{state_zh}。如有疑问请拨10010。",
        "en": "Your complaint {ticket} is {state}. Call 10010 with any question.",
        "es": "Su queja {ticket} esta {state}. Llame al 10010 si tiene dudas.",
    },
}
LOCALES: Final = ("zh-CN", "en", "es")

_ORDER_STATE_ZH: Final = {
    "completed": "已办理",
    "pending": "已受理",
    "rejected": "未能办理",
    "cancelled": "已撤销",
}
_TICKET_STATE_ZH: Final = {
    "acknowledged": "已受理",
    "inProgress": "正在处理",
    "pending": "等待您的回复",
    "resolved": "已处理完毕",
    "closed": "已结案",
}
_PAYMENT_ZH: Final = {"payment": "缴费", "recharge": "充值", "credit": "获得退费"}

PROVINCE_ZH: Final[Mapping[str, str]] = {
    "CN-BJ": "北京",
    "CN-TJ": "天津",
    "CN-HE": "河北",
    "CN-SX": "山西",
    "CN-NM": "内蒙古",
    "CN-LN": "辽宁",
    "CN-JL": "吉林",
    "CN-HL": "黑龙江",
    "CN-SH": "上海",
    "CN-JS": "江苏",
    "CN-ZJ": "浙江",
    "CN-AH": "安徽",
    "CN-FJ": "福建",
    "CN-JX": "江西",
    "CN-SD": "山东",
    "CN-HA": "河南",
    "CN-HB": "湖北",
    "CN-HN": "湖南",
    "CN-GD": "广东",
    "CN-GX": "广西",
    "CN-HI": "海南",
    "CN-CQ": "重庆",
    "CN-SC": "四川",
    "CN-GZ": "贵州",
    "CN-YN": "云南",
    "CN-XZ": "西藏",
    "CN-SN": "陕西",
    "CN-GS": "甘肃",
    "CN-QH": "青海",
    "CN-NX": "宁夏",
    "CN-XJ": "新疆",
}
PROVINCE_EN: Final[Mapping[str, str]] = {code: name for name, code in PROVINCES.items()}


@attrs.frozen
class Draft:
    """A message to make: what it announces (`key`), to whom, which template and values."""

    key: str
    recipient: str
    medium: Medium
    template: str
    params: tuple[tuple[str, str], ...]
    at: datetime  # when its cause happened


@attrs.frozen
class Message:
    """A TMF681 CommunicationMessage in the outbox."""

    id: str
    key: str
    recipient: str
    medium: Medium
    template: str
    locale: str
    text: str
    created_at: datetime
    state: MessageState = MessageState.INITIAL
    state_at: datetime | None = None
    reason: str = ""  # why it failed


def _params(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return pairs


def render(template: str, locale: str, params: Iterable[tuple[str, str]]) -> str:
    """The template's text in `locale` (zh-CN when it has none) with its fields filled."""
    texts = TEMPLATES[template]
    return texts.get(locale, texts["zh-CN"]).format(**dict(params))


def message(draft: Draft, message_id: str, locale: str, now: datetime) -> Message:
    """The outbox message for a draft, rendered in the recipient's language."""
    text = render(draft.template, locale, draft.params)
    return Message(
        message_id, draft.key, draft.recipient, draft.medium, draft.template, locale, text, now
    )


def mark(msg: Message, state: MessageState, now: datetime, reason: str = "") -> Message:
    """A sent message completed, or failed with a reason. A final message is not re-marked.

    Raises:
        ValueError: the message is already completed, or `state` is initial.
    """
    if msg.state is MessageState.COMPLETED or state is MessageState.INITIAL:
        raise ValueError(f"message {msg.id} is {msg.state}: cannot mark it {state}")
    return attrs.evolve(msg, state=state, state_at=now, reason=reason)


def _last_day(due_at: datetime) -> str:
    """The last day to pay: the day before the instant payment falls due (00:00)."""
    return (due_at.astimezone(SHANGHAI) - timedelta(microseconds=1)).date().isoformat()


def drafts_for_event(
    event: Event, plan_name: str = "", plan_name_zh: str = ""
) -> tuple[Draft, ...]:
    """The messages a domain event makes: the welcome call and SMS of a new mobile line, the
    bill notice, the receipt, order and complaint updates."""
    if isinstance(event, LineOpened):
        if event.kind.value != "mobile":
            return ()
        at = datetime.combine(event.activated, datetime.min.time(), SHANGHAI)
        plan = (("plan", plan_name or event.plan_id), ("plan_zh", plan_name_zh or plan_name))
        return (
            Draft(
                f"welcome-call:{event.msisdn}", event.msisdn, Medium.VOICE, "welcome-call", plan, at
            ),
            Draft(f"welcome-sms:{event.msisdn}", event.msisdn, Medium.SMS, "welcome-sms", (), at),
        )
    if isinstance(event, BillIssued):
        params = _params(
            ("month", str(event.month)),
            ("total", str(event.total)),
            ("due", _last_day(event.due_at)),
            ("line", event.msisdn),
        )
        return (
            Draft(
                f"bill:{event.bill_id}", event.msisdn, Medium.SMS, "bill-issued", params, event.at
            ),
        )
    if isinstance(event, PaymentReceived):
        kind = event.kind.value
        params = _params(
            ("what", kind),
            ("what_zh", _PAYMENT_ZH.get(kind, kind)),
            ("amount", str(event.amount)),
        )
        return (
            Draft(
                f"receipt:{event.entry_id}",
                event.msisdn,
                Medium.SMS,
                "payment-received",
                params,
                event.at,
            ),
        )
    if isinstance(event, OrderStateChanged):
        if event.state not in _ORDER_STATE_ZH:
            return ()
        when = event.effective_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        params = _params(
            ("type", event.order_type),
            ("order", event.order_id),
            ("state", event.state),
            ("state_zh", _ORDER_STATE_ZH[event.state]),
            ("when", when),
        )
        return (
            Draft(
                f"order:{event.order_id}:{event.state}",
                event.msisdn,
                Medium.SMS,
                "order-update",
                params,
                event.at,
            ),
        )
    if isinstance(event, TicketChanged):
        if event.state not in ("acknowledged", "resolved", "closed"):
            return ()  # the customer hears of the filing and the outcome, not internal steps
        params = _params(
            ("ticket", event.ticket_id),
            ("state", event.state),
            ("state_zh", _TICKET_STATE_ZH[event.state]),
        )
        return (
            Draft(
                f"ticket:{event.ticket_id}:{event.state}",
                event.msisdn,
                Medium.SMS,
                "complaint-update",
                params,
                event.at,
            ),
        )
    return ()


def place_names(location: str, countries: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """(English, Chinese) name of a CDR location: a province, or a country by `countries`."""
    if location in PROVINCE_EN:
        return PROVINCE_EN[location], PROVINCE_ZH.get(location, PROVINCE_EN[location])
    return countries.get(location, (location, location))


def welcome_drafts(
    msisdn: str,
    home: str | None,
    records: Iterable[UsageRecord],
    countries: Mapping[str, tuple[str, str]] = {},
) -> tuple[Draft, ...]:
    """One welcome per place a line's records show it in, other than its home province: a
    province of the mainland (guide §3.4) or a country or region abroad (tariff rules §5).

    Each is dated by the line's earliest record there among `records`; the key names the line
    and the place, so the outbox keeps one per place whatever the records' order or how often
    they are seen. "CN" (province unknown) welcomes nobody.

    Args:
        home: the line's home province (ISO 3166-2:CN), None when unknown: then no province
            welcome is made (a home cannot be told from a visit), only those abroad.
        countries: (English, Chinese) names of countries by code.
    """
    first: dict[str, datetime] = {}
    for rec in records:
        loc = rec.location
        if rec.msisdn != msisdn or loc == "CN" or loc == home:
            continue
        if loc.startswith("CN-") and home is None:
            continue
        if loc not in first or rec.start < first[loc]:
            first[loc] = rec.start
    out = []
    for loc, at in sorted(first.items(), key=lambda kv: (kv[1], kv[0])):
        en, zh = place_names(loc, countries)
        if loc.startswith("CN-"):
            params = _params(("place", en), ("place_zh", zh))
            template = "welcome-province"
        else:
            params = _params(
                ("place", en),
                ("place_zh", zh),
                ("hotline", ROAMING_HOTLINE),
            )
            template = "welcome-abroad"
        out.append(Draft(f"welcome:{msisdn}:{loc}", msisdn, Medium.SMS, template, params, at))
    return tuple(out)


@attrs.frozen
class OpenBill:
    """An issued bill with what is still unpaid (`service.settlements`)."""

    bill_id: str
    msisdn: str
    month: str
    unpaid: Money
    due_at: datetime


def reminder_drafts(
    bills: Iterable[OpenBill],
    now: datetime,
    prepaid_balance: tuple[str, Money] | None = None,
) -> tuple[Draft, ...]:
    """The reminders due at `now`: a payment reminder for each bill past its due date, an
    arrears notice `ARREARS_NOTICE_DAYS` after it, and for a prepaid line whose balance is
    below `LOW_BALANCE`, one low-balance warning a month.

    Args:
        bills: the account's unpaid (or part-paid) issued bills; an amount on hold for a
            billing dispute is not counted as unpaid by the caller.
        prepaid_balance: (the line to warn, the balance), for a prepaid account.
    """
    out = []
    for b in bills:
        if b.unpaid.amount <= 0 or now < b.due_at:
            continue
        params = _params(("month", b.month), ("unpaid", str(b.unpaid)), ("line", b.msisdn))
        out.append(
            Draft(
                f"reminder:{b.bill_id}", b.msisdn, Medium.SMS, "payment-reminder", params, b.due_at
            )
        )
        notice_at = b.due_at + timedelta(days=ARREARS_NOTICE_DAYS)
        if now >= notice_at:
            params = _params(
                ("unpaid", str(b.unpaid)),
                ("days", str(ARREARS_NOTICE_DAYS)),
            )
            out.append(
                Draft(
                    f"arrears:{b.bill_id}",
                    b.msisdn,
                    Medium.SMS,
                    "arrears-notice",
                    params,
                    notice_at,
                )
            )
    if prepaid_balance is not None:
        msisdn, balance = prepaid_balance
        if balance < LOW_BALANCE:
            month = now.astimezone(SHANGHAI).strftime("%Y-%m")
            params = _params(
                ("balance", str(balance)),
                ("threshold", str(LOW_BALANCE)),
            )
            out.append(
                Draft(
                    f"low-balance:{msisdn}:{month}", msisdn, Medium.SMS, "low-balance", params, now
                )
            )
    return tuple(out)


__all__ = [
    "ARREARS_NOTICE_DAYS",
    "LOCALES",
    "LOW_BALANCE",
    "PROVINCE_EN",
    "PROVINCE_ZH",
    "ROAMING_HOTLINE",
    "TEMPLATES",
    "Draft",
    "Medium",
    "Message",
    "MessageState",
    "OpenBill",
    "drafts_for_event",
    "mark",
    "message",
    "place_names",
    "reminder_drafts",
    "render",
    "welcome_drafts",
]
