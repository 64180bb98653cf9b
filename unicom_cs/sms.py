"""SMS commands to 10010 and 10901: the grammar, the codebook of products, the replies.

A customer texts a short command from their own line (发送短信到10010): ``YE`` for the balance,
``KT3GLL30`` to order the 30-yuan data pack from next month, ``LJKT3GLL30`` to order it at once,
``QX3GLL30`` to cancel it, ``KTSJLL`` to switch roaming data back on after the daily cap
(tariff rules §4, §5). 10901 answers bill queries (guide §2.5). The grammar is versioned
(`GRAMMAR_VERSION`); docs/sms.md lists it.

Text is read the way a phone keyboard may send it: case-insensitive, full-width letters and
digits (``ＫＴ３ＧＬＬ３０``, from Chinese input methods) read as ASCII (Unicode NFKC), spaces
anywhere ignored. Every command has one canonical text and `parse` of it gives the command
back; no text parses as two commands (each keyword is a whole text, and the product codes of a
codebook may not collide with ``SJLL``).

Replies are the billing core's numbers (`LineFacts`, which the caller builds for the sending
line only) in Simplified Chinese, or English on request, each made to fit one SMS: 70
characters in UCS-2, 160 in the GSM 7-bit alphabet. `segments` splits a longer text into the
parts of a concatenated SMS (67 / 153 characters each).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Final

import attrs

from unicom_cs.catalog import Catalog
from unicom_cs.errors import CatalogError, RowError
from unicom_cs.money import Money
from unicom_cs.orders import Channel, OrderRequest, OrderType
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.rating import Remaining

GRAMMAR_VERSION: Final = "1"
SERVICE_NUMBER: Final = "10010"
BILL_NUMBER: Final = "10901"
LOCALES: Final = ("zh-CN", "en")


class Intent(enum.StrEnum):
    BALANCE = "balance"  # YE: account balance (and arrears)
    SPEND = "spend"  # HF: this month's charges so far
    REMAINING = "remaining"  # YL: minutes, messages and data left this month
    LAST_BILL = "last-bill"  # ZD: last month's bill (10901)
    STAR_LEVEL = "star-level"  # XJ: customer club star level
    ORDER = "order"  # KT<code> from next month, LJKT<code> at once
    CANCEL = "cancel"  # QX<code>
    REOPEN_ROAMING_DATA = "reopen-roaming-data"  # KTSJLL
    LANGUAGE = "language"  # EN / ZW: reply in English / Chinese from now on
    HELP = "help"  # BZ, or any text that is not a command


@attrs.frozen
class SmsCommand:
    """One parsed command. `code` is the product code (ORDER, CANCEL) or the locale
    (LANGUAGE); `immediate` marks LJKT."""

    intent: Intent
    code: str = ""
    immediate: bool = False


# Keywords by intent: the canonical one first. Pinyin initials as China Unicom uses them, and
# the Chinese words a customer may type instead.
KEYWORDS: Final[Mapping[Intent, tuple[str, ...]]] = {
    Intent.BALANCE: ("YE", "CXYE", "余额"),
    Intent.SPEND: ("HF", "CXHF", "话费"),
    Intent.REMAINING: ("YL", "CXYL", "CXLL", "余量", "流量"),
    Intent.LAST_BILL: ("ZD", "CXZD", "账单"),
    Intent.STAR_LEVEL: ("XJ", "CXXJ", "星级"),
    Intent.REOPEN_ROAMING_DATA: ("KTSJLL",),
    Intent.HELP: ("BZ", "HELP", "?", "帮助"),
}
LANGUAGE_WORDS: Final[Mapping[str, str]] = {
    "EN": "en",
    "ENGLISH": "en",
    "ZW": "zh-CN",
    "中文": "zh-CN",
}
_BY_WORD: Final = {word: intent for intent, words in KEYWORDS.items() for word in words}
_PREFIXES: Final = (("LJKT", Intent.ORDER, True), ("KT", Intent.ORDER, False))
_CODE: Final = re.compile(r"[A-Z0-9]{2,12}")
_BILL_MONTH: Final = re.compile(r"(?:ZD|CXZD)([0-9]{6})")
#: Codes a codebook may not use: KT + the code would read as another command.
RESERVED_CODES: Final = frozenset({"SJLL"})


def normalize(text: str) -> str:
    """The text as the grammar reads it: NFKC (full-width → ASCII), upper case, no spaces."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(folded.split())


def parse(text: str, to: str = SERVICE_NUMBER) -> SmsCommand:
    """The command a text sent to `to` (10010 or 10901) means; HELP when it means none.

    At 10901 an empty text asks for last month's bill, as dialling 10901 does.
    ``ZD202610`` asks for the bill of that month.
    """
    t = normalize(text)
    if not t:
        return SmsCommand(Intent.LAST_BILL if to == BILL_NUMBER else Intent.HELP)
    if t in _BY_WORD:
        return SmsCommand(_BY_WORD[t])
    if t in LANGUAGE_WORDS:
        return SmsCommand(Intent.LANGUAGE, LANGUAGE_WORDS[t])
    m = _BILL_MONTH.fullmatch(t)
    if m and _month_key(m.group(1)) is not None:
        return SmsCommand(Intent.LAST_BILL, m.group(1))
    for prefix, intent, immediate in _PREFIXES:
        code = t.removeprefix(prefix)
        if code != t and _CODE.fullmatch(code) and code not in RESERVED_CODES:
            return SmsCommand(intent, code, immediate)
    code = t.removeprefix("QX")
    if code != t and _CODE.fullmatch(code):
        return SmsCommand(Intent.CANCEL, code)
    return SmsCommand(Intent.HELP)


def canonical(command: SmsCommand) -> str:
    """The text that means `command`: `parse(canonical(c)) == c` for every command."""
    i = command.intent
    if i is Intent.ORDER:
        return ("LJKT" if command.immediate else "KT") + command.code
    if i is Intent.CANCEL:
        return "QX" + command.code
    if i is Intent.LANGUAGE:
        return "EN" if command.code == "en" else "ZW"
    if i is Intent.LAST_BILL and command.code:
        return "ZD" + command.code
    return KEYWORDS[i][0]


def _month_key(digits: str) -> Month | None:
    year, month = int(digits[:4]), int(digits[4:])
    if not 1 <= month <= 12 or not 2000 <= year <= 9000:
        return None
    return Month(year, month)


def bill_month(command: SmsCommand) -> Month | None:
    """The month a ``ZDyyyymm`` command names; None for ``ZD`` (last month)."""
    return _month_key(command.code) if command.intent is Intent.LAST_BILL and command.code else None


# ------------------------------------------------------------------------------ codebook


@attrs.frozen
class Product:
    """What an SMS product code names: a data pack or a value-added service."""

    code: str
    kind: str  # "pack" or "service"
    id: str
    name: str
    fee: Money


# Codes of the bundled catalog's entries, for stores made before catalogs carried `sms_code`.
_BUNDLED_CODES: Final = {
    "3g-pack-10": "3GLL10",
    "3g-pack-20": "3GLL20",
    "3g-pack-30": "3GLL30",
    "caller-id": "LDXS",
    "ringback": "CL",
    "mailbox": "SJYX",
}


def _code_for(entry_id: str, declared: str) -> str:
    """The declared code; the bundled code; else the id in capitals without punctuation."""
    return declared or _BUNDLED_CODES.get(entry_id) or re.sub(r"[^A-Z0-9]", "", entry_id.upper())


def codebook(catalog: Catalog) -> dict[str, Product]:
    """Every data pack and value-added service of `catalog` by its SMS code.

    Raises:
        CatalogError: two entries share a code, or an entry uses a reserved code.
    """
    book: dict[str, Product] = {}
    errors: list[RowError] = []
    entries = [("pack", p.id, p.name, p.fee, p.sms_code) for p in catalog.packs.values()]
    entries += [
        ("service", s.id, s.name, s.monthly_fee, s.sms_code) for s in catalog.services.values()
    ]
    for kind, entry_id, name, fee, declared in entries:
        code = _code_for(entry_id, declared)
        where = f"{kind} {entry_id!r}.sms_code"
        if code in RESERVED_CODES or not _CODE.fullmatch(code):
            errors.append(RowError(where, f"{code!r} cannot be an SMS code"))
        elif code in book:
            other = book[code]
            errors.append(
                RowError(where, f"{code!r} is already the code of {other.kind} {other.id}")
            )
        else:
            book[code] = Product(code, kind, entry_id, name, fee)
    if errors:
        raise CatalogError("SMS codes", tuple(errors))
    return book


def order_request(
    command: SmsCommand, msisdn: str, book: Mapping[str, Product], request_id: str
) -> OrderRequest | None:
    """The service order an ORDER, CANCEL or KTSJLL command makes for the sending line; None
    for a query, or a product code the codebook does not know."""
    if command.intent is Intent.REOPEN_ROAMING_DATA:
        return OrderRequest(request_id, msisdn, OrderType.ROAMING_DATA_REOPEN, Channel.SMS)
    if command.intent not in (Intent.ORDER, Intent.CANCEL):
        return None
    product = book.get(command.code)
    if product is None:
        return None
    ordering = command.intent is Intent.ORDER
    if product.kind == "pack":
        kind = OrderType.PACK_ORDER if ordering else OrderType.PACK_CANCEL
    else:
        kind = OrderType.SERVICE_OPEN if ordering else OrderType.SERVICE_CLOSE
    immediate = command.immediate and kind is OrderType.PACK_ORDER
    return OrderRequest(request_id, msisdn, kind, Channel.SMS, product.id, immediate)


# ------------------------------------------------------------------------------ replies


@attrs.frozen
class BillSummary:
    month: Month
    total: Money
    due: date  # the last day to pay (`Bill.due_date`)
    paid: bool


@attrs.frozen
class LineFacts:
    """What the replies may say about one line: built by the caller for the sender's own line.

    Args:
        balance: the account balance (credits − bills; prepaid: − charges so far).
        spend: this month's charges so far.
        arrears: overdue and unpaid.
        left: the month's included units left.
        bill: the bill asked for (last month's, or the month named), if issued.
        star: the club level's name in the reply's language, or None (not rated).
    """

    msisdn: str
    as_of: datetime
    balance: Money
    spend: Money
    arrears: Money
    left: Remaining
    bill: BillSummary | None = None
    star: str | None = None


@attrs.frozen
class OrderOutcome:
    """What became of the order a command made: taken (completed or pending until
    `effective`) or refused, with the reason."""

    accepted: bool
    order_id: str = ""
    effective: datetime | None = None
    reason: str = ""


_SIGN: Final = {"zh-CN": "【联通】", "en": " -China Unicom"}


def _when(instant: datetime, locale: str) -> str:
    t = instant.astimezone(SHANGHAI)
    if locale == "en":
        return t.strftime("%d %b %H:%M")
    return f"{t.month}月{t.day}日{t:%H:%M}"


def _mb(nbytes: int) -> str:
    """Data left, rounded down (never tell a customer more than they have)."""
    mb = (Decimal(nbytes) / Decimal(1024 * 1024)).quantize(Decimal("0.01"), ROUND_FLOOR)
    if mb >= 1024:
        gb = (mb / 1024).quantize(Decimal("0.01"), ROUND_FLOOR)
        return f"{gb}GB"
    return f"{mb}MB"


def _yuan(m: Money, locale: str) -> str:
    return f"{m}元" if locale == "zh-CN" else f"CNY {m}"


def help_text(locale: str = "zh-CN") -> str:
    if locale == "en":
        return (
            "Text 10010: YE balance, HF spend, YL allowance left, ZD bill, XJ star level, "
            "KT/LJKT/QX+code order/now/cancel (KT3GLL30), KTSJLL roaming data, ZW Chinese."
        )
    return "回复YE查余额,HF查话费,YL查余量,ZD查账单,XJ查星级;KT/LJKT/QX+代码订/立即/退订;EN英文"


def unknown_sender_text(locale: str = "zh-CN") -> str:
    """The reply to a number this center does not serve: no data, nothing changed."""
    if locale == "en":
        return "This service is for China Unicom customers of this center. Call 10010 for help."
    return "您好,本服务仅面向本中心联通用户。如需帮助请拨打10010。"


def reply(
    command: SmsCommand,
    facts: LineFacts | None,
    locale: str = "zh-CN",
    product: Product | None = None,
    outcome: OrderOutcome | None = None,
) -> str:
    """The answer to `command` for the sending line, from its `facts`.

    Args:
        facts: the line's figures; a query needs them, an order or EN / ZW does not.
        product: the product an ORDER or CANCEL named (None: the code is unknown).
        outcome: what became of the order the command made.

    Raises:
        ValueError: a query without `facts`.
    """
    en = locale == "en"
    i = command.intent
    if i is Intent.LANGUAGE:
        return (
            "Replies will be in English. Text ZW for Chinese."
            if command.code == "en"
            else "已切换为中文回复。"
        )
    if i in (Intent.ORDER, Intent.CANCEL, Intent.REOPEN_ROAMING_DATA):
        return _order_reply(command, product, outcome, locale)
    if i is Intent.HELP:
        return help_text(locale)
    if facts is None:
        raise ValueError(f"a {i} reply needs the line's figures")
    at = _when(facts.as_of, locale)
    if i is Intent.BALANCE:
        if en:
            text = f"Balance {_yuan(facts.balance, locale)}"
            if facts.arrears.amount > 0:
                text += f", overdue {_yuan(facts.arrears, locale)}"
            return f"{text}, as of {at}."
        text = f"您的账户余额{_yuan(facts.balance, locale)}"
        if facts.arrears.amount > 0:
            text += f",欠费{_yuan(facts.arrears, locale)}"
        return f"{text}(截至{at})。{_SIGN[locale]}"
    if i is Intent.SPEND:
        if en:
            return f"Charges this month so far {_yuan(facts.spend, locale)}, as of {at}."
        return f"您本月已产生话费{_yuan(facts.spend, locale)}(截至{at})。{_SIGN[locale]}"
    if i is Intent.REMAINING:
        return _remaining(facts.left, at, en)
    if i is Intent.LAST_BILL:
        b = facts.bill
        if b is None:
            return "No issued bill for that month yet." if en else "该月账单尚未出账。"
        due = b.due
        if en:
            state = "paid" if b.paid else f"due {due:%d %b %Y}"
            return f"Bill {b.month}: {_yuan(b.total, locale)}, {state}."
        state = "已缴清" if b.paid else f"缴费截止{due.month}月{due.day}日"
        return f"您{b.month.year}年{b.month.month}月账单{_yuan(b.total, locale)},{state}。"
    if i is Intent.STAR_LEVEL:
        if facts.star is None:
            return "Your line has no star level yet." if en else "您的号码暂未评定星级。"
        return f"Your star level: {facts.star}." if en else f"您的星级为{facts.star}。"
    raise AssertionError(f"no reply for {i}")  # every intent is answered above


def _remaining(left: Remaining, at: str, en: bool) -> str:
    data = None if left.data_bytes is None else _mb(left.data_bytes)
    if en:
        parts = [f"{left.voice_minutes} min", f"{left.sms} SMS"]
        if left.video_minutes:
            parts.append(f"{left.video_minutes} video min")
        if data is not None:
            parts.append(f"data {data}")
        return f"Left this month: {', '.join(parts)}, as of {at}."
    parts = [f"语音{left.voice_minutes}分钟", f"短信{left.sms}条"]
    if left.video_minutes:
        parts.append(f"视频{left.video_minutes}分钟")
    if data is not None:
        parts.append(f"流量{data}")
    return f"本月剩余{','.join(parts)}(截至{at})。"


def _order_reply(
    command: SmsCommand, product: Product | None, outcome: OrderOutcome | None, locale: str
) -> str:
    en = locale == "en"
    if command.intent is not Intent.REOPEN_ROAMING_DATA and product is None:
        if en:
            return f"Unknown code {command.code}. Text BZ to 10010 for help."
        return f"代码{command.code}不存在,发送BZ到10010查看帮助。"
    if outcome is None or not outcome.accepted:
        why = outcome.reason if outcome is not None else ""
        if en:
            return f"Not done: {why}"
        return f"办理失败:{why}"
    assert outcome.effective is not None
    when = _when(outcome.effective, locale)
    if command.intent is Intent.REOPEN_ROAMING_DATA:
        if en:
            return "Roaming data is back on: day packs can be bought again today."
        return "国际漫游数据已恢复,当日可继续按天包使用。"
    assert product is not None
    if en:
        verb = "ordered" if command.intent is Intent.ORDER else "cancelled"
        return f"{product.name} {verb}, effective {when}. Order {outcome.order_id}."
    verb = "订购" if command.intent is Intent.ORDER else "退订"
    return f"您已{verb}{product.code}({product.fee}元/月),{when}生效。"


# ------------------------------------------------------------------------------ segments

# GSM 03.38: the basic 7-bit alphabet, and the extension table (each costs two septets).
_GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED: Final = frozenset("^{}\\[~]|€\f")
SINGLE_LIMITS: Final = {"gsm7": 160, "ucs2": 70}
PART_LIMITS: Final = {"gsm7": 153, "ucs2": 67}


def encoding(text: str) -> str:
    """ "gsm7" when every character is in the GSM 7-bit alphabet, else "ucs2"."""
    return "gsm7" if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text) else "ucs2"


def _cost(c: str, enc: str) -> int:
    if enc == "gsm7":
        return 2 if c in _GSM_EXTENDED else 1
    return 2 if ord(c) > 0xFFFF else 1  # UTF-16 code units


def length(text: str) -> int:
    """The text's length in its encoding's units (septets, or UTF-16 code units)."""
    enc = encoding(text)
    return sum(_cost(c, enc) for c in text)


def segments(text: str) -> tuple[str, ...]:
    """The SMS parts that carry `text`: itself when it fits one message (160 GSM / 70 UCS-2),
    else parts of at most 153 / 67 units each (the rest is the concatenation header); a
    character is never split."""
    enc = encoding(text)
    if length(text) <= SINGLE_LIMITS[enc]:
        return (text,)
    limit = PART_LIMITS[enc]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for c in text:
        cost = _cost(c, enc)
        if used + cost > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(c)
        used += cost
    parts.append("".join(current))
    return tuple(parts)


__all__ = [
    "BILL_NUMBER",
    "GRAMMAR_VERSION",
    "KEYWORDS",
    "LANGUAGE_WORDS",
    "LOCALES",
    "RESERVED_CODES",
    "SERVICE_NUMBER",
    "BillSummary",
    "Intent",
    "LineFacts",
    "OrderOutcome",
    "Product",
    "SmsCommand",
    "bill_month",
    "canonical",
    "codebook",
    "encoding",
    "help_text",
    "length",
    "normalize",
    "order_request",
    "parse",
    "reply",
    "segments",
    "unknown_sender_text",
]
