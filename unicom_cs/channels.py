"""Self-service channels over a store: the SMS commands, the IVR's figures, notifications, the
customer club. Application services in the manner of `unicom_cs.service`: they take a `Store`
and `now` and return values; the decisions are the pure modules' (`sms`, `ivr`, `notify`,
`club`, `roaming`).

The rule every channel keeps: **a sender only ever sees or changes its own line.** SMS
commands carry no number; the reply is built from the sending line's `LineFacts` only, and a
number this store does not serve gets a reply with no data and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import attrs

from unicom_cs.account import BillState, PaymentMode
from unicom_cs.catalog import Catalog
from unicom_cs.club import (
    ClubRules,
    ClubStanding,
    check_special_request,
    club_standing,
    default_club_rules,
    parse_club_rules,
)
from unicom_cs.errors import Conflict, InvalidValue, NotFound, OrderRejected, UnicomError
from unicom_cs.events import LineOpened, UsageImported
from unicom_cs.money import Money
from unicom_cs.notify import (
    Draft,
    Message,
    MessageState,
    OpenBill,
    drafts_for_event,
    mark,
    message,
    reminder_drafts,
    welcome_drafts,
)
from unicom_cs.number import LineKind, mobile_info
from unicom_cs.orders import OrderRequest, OrderType, ServiceOrder, data_only
from unicom_cs.period import Month, as_instant
from unicom_cs.ports import Store
from unicom_cs.rating import Remaining
from unicom_cs.roaming import destination
from unicom_cs.service import (
    _compose_pending,
    account_status,
    get_line,
    load_catalog,
    settlements,
    submit_order,
)
from unicom_cs.sms import (
    BILL_NUMBER,
    SERVICE_NUMBER,
    BillSummary,
    Intent,
    LineFacts,
    OrderOutcome,
    SmsCommand,
    bill_month,
    canonical,
    codebook,
    order_request,
    parse,
    reply,
    segments,
    unknown_sender_text,
)
from unicom_cs.subscriber import Subscriber

CLUB_RULES_SETTING = "club-rules"
NOTIFY_CURSOR_SETTING = "notify:cursor"

# ---------------------------------------------------------------------------- the club


def club_rules(store: Store) -> ClubRules:
    """The center's club rules: its own (`ucs club rules FILE`) or the bundled ones."""
    text = store.setting(CLUB_RULES_SETTING)
    return default_club_rules() if text is None else parse_club_rules(text, "stored club rules")


def standing(
    store: Store, msisdn: str, now: datetime, catalog: Catalog | None = None
) -> ClubStanding:
    """A line's customer-club standing this month, from its issued bills.

    Raises:
        NotFound: unknown number.
    """
    now = as_instant(now)
    sub = get_line(store, msisdn)
    catalog = catalog or load_catalog(store)
    month = Month.of(now)
    totals = {b.month: b.total for b in store.bills(sub.account_id) if b.msisdn == sub.msisdn}
    plan = catalog.plan(sub.plan_on(min(month, sub.last_billed_month or month)))
    return club_standing(sub, totals, data_only(plan), month, club_rules(store))


def club_requests_this_year(store: Store, msisdn: str, code: str, now: datetime) -> int:
    """How many special-service requests of `code` the line had this calendar year (those not
    withdrawn or rejected)."""
    year = Month.of(now).year
    return len(
        [
            o
            for o in store.orders(msisdn)
            if o.type is OrderType.CLUB_SERVICE
            and o.request.product == code
            and o.state.value not in ("cancelled", "rejected", "failed")
            and Month.of(o.submitted_at).year == year
        ]
    )


def check_club_request(
    store: Store, request: OrderRequest, line: Subscriber, now: datetime, catalog: Catalog
) -> None:
    """Whether the line's star level gives the special service a club-service order names,
    with quota left this year.

    Raises:
        OrderRejected: it does not, in the club's words.
    """
    rules = club_rules(store)
    try:
        used = club_requests_this_year(store, line.msisdn, request.product, now)
        check_special_request(
            standing(store, line.msisdn, now, catalog), request.product, used, rules
        )
    except UnicomError as e:
        raise OrderRejected(request.type.value, line.msisdn, e.message()) from None


# ---------------------------------------------------------------------------- line facts


def line_facts(
    store: Store,
    msisdn: str,
    now: datetime,
    *,
    month: Month | None = None,
    locale: str = "zh-CN",
    catalog: Catalog | None = None,
) -> LineFacts:
    """What the SMS and IVR replies may say about one line: balance, this month's charges and
    units left, a bill (last month's, or `month`'s), the star level.

    Raises:
        NotFound: unknown number.
    """
    now = as_instant(now)
    sub = get_line(store, msisdn)
    catalog = catalog or load_catalog(store)
    status = account_status(store, sub.account_id, now, catalog)
    current = Month.of(now)
    spend, left = Money.zero(), Remaining()
    if sub.last_billed_month is None or sub.last_billed_month >= current:
        composed = _compose_pending(store, sub, catalog, current, now)[-1]
        spend, left = composed.bill.total, composed.left
    wanted = month or current.previous()
    bill = store.get_bill(sub.msisdn, wanted)
    summary = None
    if bill is not None:
        state = {s.bill_id: s.state for s in settlements(store, sub.account_id)}
        paid = state.get(bill.id) is BillState.SETTLED
        summary = BillSummary(bill.month, bill.total, bill.due_date, paid)
    level = standing(store, sub.msisdn, now, catalog).level
    star = None if level is None else (level.en if locale == "en" else level.zh)
    return LineFacts(sub.msisdn, now, status.balance, spend, status.arrears, left, summary, star)


# ---------------------------------------------------------------------------- orders


def submit_quietly(
    store: Store, request: OrderRequest, now: datetime
) -> tuple[OrderOutcome, ServiceOrder | None]:
    """Submit an order from a self-service channel; a refusal is an outcome, not an error."""
    try:
        result = submit_order(store, request, now)
    except OrderRejected as e:
        return OrderOutcome(False, reason=e.reason), None
    except Conflict as e:  # a request id used for another request, an order step out of time
        return OrderOutcome(False, reason=e.message()), None
    order = result.order
    return OrderOutcome(True, order.id, order.effective_at), order


# ---------------------------------------------------------------------------- SMS


@attrs.frozen
class SmsResult:
    """The reply to one message, and the order it made, if any."""

    sender: str
    to: str
    command: SmsCommand | None  # None: the sender is not a line of this store
    text: str
    parts: tuple[str, ...]
    locale: str
    order: ServiceOrder | None = None


def handle_sms(
    store: Store,
    sender: str,
    text: str,
    now: datetime,
    *,
    to: str = SERVICE_NUMBER,
    locale: str | None = None,
    message_id: str = "",
) -> SmsResult:
    """Answer a text from `sender` to 10010 or 10901, and take the order it asks for.

    Args:
        sender: the number the network says sent it (the line whose data the reply shows).
        locale: "zh-CN" or "en" for this reply; default the line's own (`EN`/`ZW` set it).
        message_id: the gateway's id of the message: the order's request id, so a message
            delivered twice orders once. Default: sender, time and text.

    Raises:
        InvalidValue: `to` is not 10010 or 10901.
    """
    now = as_instant(now)
    if to not in (SERVICE_NUMBER, BILL_NUMBER):
        raise InvalidValue("to", to, f"SMS commands go to {SERVICE_NUMBER} or {BILL_NUMBER}")
    line = _sender_line(store, sender)
    if line is None:
        words = unknown_sender_text(locale or "zh-CN")
        return SmsResult(sender, to, None, words, segments(words), locale or "zh-CN")
    command = parse(text, to)
    lang = locale or line.locale
    if command.intent is Intent.LANGUAGE:
        with store.transaction():
            store.update_subscriber(attrs.evolve(get_line(store, line.msisdn), locale=command.code))
        lang = locale or command.code
        words = reply(command, None, lang)
        return SmsResult(line.msisdn, to, command, words, segments(words), lang)
    order = None
    request_id = message_id or f"sms-{line.msisdn}-{now.isoformat()}-{canonical(command)}"
    if command.intent in (Intent.ORDER, Intent.CANCEL, Intent.REOPEN_ROAMING_DATA):
        if to == BILL_NUMBER:
            words = (
                "10901 answers bill queries: send orders to 10010."
                if lang == "en"
                else "10901仅提供账单查询,办理业务请发送到10010。"
            )
            return SmsResult(line.msisdn, to, command, words, segments(words), lang)
        catalog = load_catalog(store)
        book = codebook(catalog)
        request = order_request(command, line.msisdn, book, request_id)
        product = book.get(command.code)
        outcome = None
        if request is not None:
            outcome, order = submit_quietly(store, request, now)
        words = reply(command, None, lang, product, outcome)
        return SmsResult(line.msisdn, to, command, words, segments(words), lang, order)
    facts = line_facts(store, line.msisdn, now, month=bill_month(command), locale=lang)
    words = reply(command, facts, lang)
    return SmsResult(line.msisdn, to, command, words, segments(words), lang)


def _sender_line(store: Store, sender: str) -> Subscriber | None:
    """The sending line, if this store serves it and it is not closed."""
    try:
        line = get_line(store, sender)
    except (NotFound, InvalidValue):
        return None
    if line.kind is not LineKind.MOBILE or line.closed_at is not None:
        return None
    return line


# ---------------------------------------------------------------------------- notifications


@attrs.frozen
class NotifyRun:
    events: int  # events read
    made: tuple[Message, ...]  # messages added to the outbox


def _home(msisdn: str) -> str | None:
    try:
        return mobile_info(msisdn).province
    except InvalidValue:
        return None


def _countries(codes: set[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for code in codes:
        try:
            d = destination(code)
        except InvalidValue:
            continue
        out[code] = (d.name, d.name_zh)
    return out


def run_notifications(store: Store, now: datetime) -> NotifyRun:
    """Add to the outbox what is due: messages for the events since the last run (welcome
    call and SMS, bill notices, receipts, order and complaint updates), the welcome SMS of each
    place a line's usage first shows it in, and the payment reminders, arrears notices and
    low-balance warnings due at `now`. Idempotent: a message is made once per key."""
    now = as_instant(now)
    with store.transaction():
        catalog = load_catalog(store)
        cursor = int(store.setting(NOTIFY_CURSOR_SETTING) or 0)
        events = store.events(after=cursor)
        drafts: list[Draft] = []
        roamed: set[str] = set()
        for _, event in events:
            if isinstance(event, LineOpened):
                plan = catalog.plans.get(event.plan_id)
                name = plan.name if plan else event.plan_id
                zh = (plan.name_zh if plan else "") or name
                call = plan is None or not data_only(plan)  # a data card takes no call
                drafts.extend(
                    d
                    for d in drafts_for_event(event, name, zh)
                    if call or d.template != "welcome-call"
                )
            elif isinstance(event, UsageImported):
                roamed.update(event.msisdns)
            else:
                drafts.extend(drafts_for_event(event))
        for msisdn in sorted(roamed):
            sub = store.get_subscriber(msisdn)
            if sub is None or sub.kind is not LineKind.MOBILE:
                continue
            records = store.usage(msisdn, sub.active_from, now + timedelta(days=366))
            codes = {r.location for r in records if not r.location.startswith("CN")}
            drafts.extend(welcome_drafts(msisdn, _home(msisdn), records, _countries(codes)))
        drafts.extend(_reminders(store, now, catalog))
        made = []
        for draft in drafts:
            sub = _reachable(store, draft.recipient)
            if sub is None:
                continue  # no mobile line to text: the paper bill and the hall remain
            draft = attrs.evolve(draft, recipient=sub.msisdn)
            locale = sub.locale
            msg = message(draft, f"MSG-{store.message_count() + 1:06d}", locale, draft.at)
            if store.add_message(msg):
                made.append(msg)
        if events:
            store.set_setting(NOTIFY_CURSOR_SETTING, str(events[-1][0]))
    return NotifyRun(len(events), tuple(made))


def _reachable(store: Store, msisdn: str) -> Subscriber | None:
    """The mobile line that receives a line's messages: itself, or for a fixed line or a
    broadband account the account's first mobile line in service; None when there is none."""
    sub = store.get_subscriber(msisdn)
    if sub is None or sub.kind is LineKind.MOBILE:
        return sub
    mobiles = (
        s
        for s in store.subscribers(sub.account_id)
        if s.kind is LineKind.MOBILE and s.closed_at is None
    )
    return next(mobiles, None)


def _reminders(store: Store, now: datetime, catalog: Catalog) -> Iterator[Draft]:
    accounts = sorted({s.account_id for s in store.subscribers()})
    for account_id in accounts:
        subs = list(store.subscribers(account_id))
        bills = {b.id: b for b in store.bills(account_id)}
        open_bills = [
            OpenBill(s.bill_id, b.msisdn, str(b.month), s.unpaid, b.due_at)
            for s in settlements(store, account_id)
            if s.state is not BillState.SETTLED
            for b in (bills[s.bill_id],)
        ]
        prepaid = None
        account = store.get_account(account_id)
        mobiles = [s for s in subs if s.kind is LineKind.MOBILE and s.closed_at is None]
        if account is not None and account.mode is PaymentMode.PREPAID and mobiles:
            balance = account_status(store, account_id, now, catalog).balance
            prepaid = (mobiles[0].msisdn, balance)
        yield from reminder_drafts(open_bills, now, prepaid)


def outbox(store: Store, pending: bool = False) -> list[Message]:
    """The outbox in the order its messages were made (by id; each is dated by its cause);
    `pending`: only messages not sent yet (TMF681 initial)."""
    return store.messages(states=(MessageState.INITIAL,) if pending else None)


def mark_message(
    store: Store, message_id: str, now: datetime, *, failed: bool = False, reason: str = ""
) -> Message:
    """Record that the gateway sent a message (completed) or could not (failed).

    Raises:
        NotFound: no such message.
        Conflict: the message was already sent.
    """
    now = as_instant(now)
    with store.transaction():
        msg = store.get_message(message_id)
        if msg is None:
            raise NotFound("message", message_id)
        state = MessageState.FAILED if failed else MessageState.COMPLETED
        try:
            done = mark(msg, state, now, reason)  # `mark` keeps the rule: sent is final
        except ValueError:
            raise Conflict("message", message_id, "already sent (completed)") from None
        store.update_message(done)
    return done


__all__ = [
    "CLUB_RULES_SETTING",
    "NotifyRun",
    "SmsResult",
    "check_club_request",
    "club_requests_this_year",
    "club_rules",
    "handle_sms",
    "line_facts",
    "mark_message",
    "outbox",
    "run_notifications",
    "standing",
    "submit_quietly",
]
