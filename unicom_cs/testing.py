"""Hypothesis strategies for the library's values, so that embedding code can property-test too.

Each function returns a `hypothesis` strategy (a generator of examples) for one kind of value:

- `amounts` / `money`: exact yuan amounts as `Decimal` / `Money`, never floats;
- `months`, `instants`: billing periods and timezone-aware instants (Asia/Shanghai) within them;
- `msisdns`: valid China Unicom 11-digit mobile numbers (segments 130, 131, 132, 155, 156, 185,
  186, whose every 7-digit block the numbering plan assigns to China Unicom);
- `plan_ids`, `plans`: plans of the bundled catalog (`default_catalog()`), mobile by default;
- `subscribers`: lines made with `new_subscriber`, with a first-month option the plan allows;
- `usage_records`: one line's records for one month, unique ids, a realistic mix of voice,
  video, SMS, MMS and data, in and out, some abroad (JP, GB, BR...) and some to free numbers;
- `usage_months`: a line, a month it is active in and that month's records (`LineMonth`);
- `bills`: bills composed from those with `compose_bill`, issued or not;
- `accounts`, `ledger_entries`, `adjustments`, `catalogs`: the other public values;
- `service_passwords`, `resident_ids`: service passwords the rules accept and resident identity
  numbers with their right check character;
- `order_requests`, `credentials`: service orders as a front-end submits them, and what the
  customer proves with them;
- `line_orders`, `service_orders`: a line and the orders `orders.accept` took on it (its
  timelines filled in), and those orders (completed, pending, cancelled or rejected);
- `sms_commands`, `sms_texts`: SMS commands, and texts that mean them as a phone may send them
  (any case, spaces, full-width letters and digits);
- `trip_usages`: expected daily usage on a trip abroad (`roaming.estimate_trip`).

The module is pure like the core: it imports only hypothesis, attrs, the standard library and
`unicom_cs`, reads no file and no clock. Usage::

    from hypothesis import given
    from unicom_cs import testing

    @given(testing.bills())
    def test_a_bill_adds_up(bill): ...
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Final

import attrs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from unicom_cs.account import Account, EntryKind, LedgerEntry, PaymentMode
from unicom_cs.audit import Actor, AuditEntry, Role, audit
from unicom_cs.billing import Adjustment, Bill, compose_bill, issue
from unicom_cs.catalog import KB, MB, Catalog, Plan, default_catalog
from unicom_cs.club import default_club_rules
from unicom_cs.identity import SALT_BYTES, hash_password, mask_id
from unicom_cs.money import Money
from unicom_cs.number import LineKind
from unicom_cs.orders import (
    COUNTER_ONLY,
    OPEN,
    PRODUCT,
    SYSTEM,
    Channel,
    Credentials,
    OrderRequest,
    OrderState,
    OrderType,
    ServiceOrder,
    accept,
    complete_due,
    transition,
    withdraw,
)
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.roaming import TripUsage
from unicom_cs.service import Shard
from unicom_cs.sms import RESERVED_CODES, Intent, SmsCommand, canonical
from unicom_cs.subscriber import Subscriber, new_subscriber, order_pack
from unicom_cs.usage import Direction, Service, UsageRecord

#: China Unicom mobile segments (号段) whose every 7-digit block is Unicom's in the numbering plan.
UNICOM_SEGMENTS: Final = ("130", "131", "132", "155", "156", "185", "186")

#: Numbers a line calls at home: other operators' mobiles, a Beijing fixed line, Unicom mobiles.
DOMESTIC_PEERS: Final = ("13800138000", "13912345678", "18912345678", "01062345678", "13112345678")
#: The operator's free service numbers (customer service 10010, recharge 10011).
FREE_PEERS: Final = ("10010", "10011")
#: Numbers dialled abroad: China in international form, a Tokyo and a London number, the
#: roaming hotline (free from the roaming line) and +86 10010 (charged at roaming rates).
ROAMING_PEERS: Final = (
    "+8613800138000",
    "+81312345678",
    "+442079460958",
    "+8613010199999",
    "+8610010",
)
#: Where a line is: home provinces (and "CN" unknown), then countries abroad. JP is in the
#: 5-MB day-pack zone, GB in the 3-MB zone, BR in no named zone (the catalog's default zone).
PROVINCES: Final = ("CN", "CN-BJ", "CN-GD", "CN-SH", "CN-SC")
COUNTRIES: Final = ("JP", "GB", "BR", "HK", "US")

_FIRST_MONTH: Final = Month(2009, 10)  # 3G commercial launch (tariff rules §1)
_LAST_MONTH: Final = Month(2035, 12)
_FIRST_ACTIVATION: Final = Month(2010, 1)
_LAST_ACTIVATION: Final = Month(2030, 12)
_NAMES: Final = ("", "Li Wei", "Wang Fang", "张敏", "陈杰")


@lru_cache(maxsize=1)
def _bundled() -> Catalog:
    return default_catalog()


# ------------------------------------------------------------------------------------- money


def amounts(
    min_value: str | int | Decimal = "-100000",
    max_value: str | int | Decimal = "100000",
    places: int = 2,
) -> SearchStrategy[Decimal]:
    """Finite `Decimal` amounts between the bounds with `places` decimals (2: whole fen).

    Never floats, NaN or infinities. The default range, ±100,000 yuan, is the largest single
    payment the library accepts.
    """
    return st.decimals(
        min_value=Decimal(min_value),
        max_value=Decimal(max_value),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


def money(
    min_value: str | int | Decimal = "-100000",
    max_value: str | int | Decimal = "100000",
    places: int = 2,
) -> SearchStrategy[Money]:
    """`Money` values of `amounts(min_value, max_value, places)`; places=4 gives rated amounts."""
    return amounts(min_value, max_value, places).map(Money)


# ------------------------------------------------------------------------------------- time


def _month_index(m: Month) -> int:
    return m.year * 12 + m.month - 1


def months(
    min_value: Month = _FIRST_MONTH, max_value: Month = _LAST_MONTH
) -> SearchStrategy[Month]:
    """Billing months from `min_value` to `max_value` (default October 2009 to December 2035)."""
    return st.integers(_month_index(min_value), _month_index(max_value)).map(
        lambda i: Month(i // 12, i % 12 + 1)
    )


def instants(
    month: Month | None = None,
    *,
    after: datetime | None = None,
    before: datetime | None = None,
) -> SearchStrategy[datetime]:
    """Timezone-aware instants in Asia/Shanghai, to the second, inside `month` (any month if
    None), and at or after `after` / before `before` when given.

    Raises (when drawn):
        ValueError: the bounds leave no second inside the month.
    """
    month_strategy = months() if month is None else st.just(month)

    @st.composite
    def draw_instant(draw: st.DrawFn) -> datetime:
        m = draw(month_strategy)
        start = m.start.astimezone(UTC)
        end = m.end.astimezone(UTC)
        if after is not None:
            start = max(start, after.astimezone(UTC))
        if before is not None:
            end = min(end, before.astimezone(UTC))
        seconds = -(-(end - start) // timedelta(seconds=1))
        if seconds <= 0:
            raise ValueError(f"no instant in {m} between {after} and {before}")
        offset = draw(st.integers(0, seconds - 1))
        return (start + timedelta(seconds=offset)).astimezone(SHANGHAI)

    return draw_instant()


def dates(
    min_value: Month = _FIRST_ACTIVATION, max_value: Month = _LAST_ACTIVATION
) -> SearchStrategy[date]:
    """Calendar dates in the months from `min_value` to `max_value`."""
    return months(min_value, max_value).flatmap(
        lambda m: st.integers(0, (m.next().first_day - m.first_day).days - 1).map(
            lambda d: m.first_day + timedelta(days=d)
        )
    )


# ------------------------------------------------------------------------------------- numbers


def msisdns(segments: Sequence[str] = UNICOM_SEGMENTS) -> SearchStrategy[str]:
    """Canonical 11-digit China Unicom mobile numbers that `number.normalize` accepts as they are.

    Args:
        segments: 3-digit segments to build from; each of their 7-digit blocks must be valid.
    """
    return st.builds(
        lambda segment, rest: f"{segment}{rest:08d}",
        st.sampled_from(tuple(segments)),
        st.integers(0, 99_999_999),
    )


# ------------------------------------------------------------------------------------- catalog


def plan_ids(
    kind: LineKind | None = LineKind.MOBILE, catalog: Catalog | None = None
) -> SearchStrategy[str]:
    """Ids of the catalog's plans of one kind (default: the bundled catalog's mobile plans)."""
    cat = catalog or _bundled()
    ids = sorted(p.id for p in cat.plans.values() if kind is None or p.kind is kind)
    return st.sampled_from(ids)


def plans(
    kind: LineKind | None = LineKind.MOBILE, catalog: Catalog | None = None
) -> SearchStrategy[Plan]:
    """The plans named by `plan_ids(kind, catalog)`: 3G A, 4G, data cards by default."""
    cat = catalog or _bundled()
    return plan_ids(kind, cat).map(cat.plan)


def catalogs() -> SearchStrategy[Catalog]:
    """Sub-catalogs of the bundled one: some of its plans, packs and roaming zones.

    A plan whose `upgrade_to` target is left out keeps it (a `Catalog` value does not check
    references; `parse_catalog` does), so these are for values-level tests such as JSON.
    """
    cat = _bundled()
    return st.builds(
        lambda plans_, packs, zones, free: Catalog(
            plans={p: cat.plans[p] for p in sorted(plans_)},
            packs={p: cat.packs[p] for p in sorted(packs)},
            roaming={z: cat.roaming[z] for z in sorted(zones)},
            default_zone=cat.default_zone if cat.default_zone in zones else None,
            free_numbers=cat.free_numbers if free else frozenset(),
            roaming_free_numbers=cat.roaming_free_numbers if free else frozenset(),
        ),
        st.sets(st.sampled_from(sorted(cat.plans))),
        st.sets(st.sampled_from(sorted(cat.packs))),
        st.sets(st.sampled_from(sorted(cat.roaming))),
        st.booleans(),
    )


# ------------------------------------------------------------------------------------- lines


def subscribers(
    plan_id: str | None = None,
    *,
    msisdn: str | None = None,
    activated: date | None = None,
    catalog: Catalog | None = None,
) -> SearchStrategy[Subscriber]:
    """Mobile lines made with `new_subscriber` (so valid by construction).

    Args:
        plan_id: the plan; any bundled mobile plan when None.
        msisdn: the number; any `msisdns()` when None.
        activated: the activation date; any date 2010–2030 when None.
        catalog: where the plan is (default: the bundled catalog).

    The first-month option is drawn among those the plan offers; data cards get the one their
    activation day decides (half from the 16th).
    """
    cat = catalog or _bundled()

    @st.composite
    def draw_subscriber(draw: st.DrawFn) -> Subscriber:
        pid = plan_id or draw(plan_ids(LineKind.MOBILE, cat))
        plan = cat.plan(pid)
        number = msisdn or draw(msisdns())
        day = activated or draw(dates())
        option = None
        if plan.half_month_from_day is None:
            option = draw(st.sampled_from(plan.first_month))
        return new_subscriber(
            number,
            pid,
            day,
            cat,
            first_month=option,
            name=draw(st.sampled_from(_NAMES)),
        )

    return draw_subscriber()


# ------------------------------------------------------------------------------------- usage

# A line's month as an operator sees it: calls and data sessions dominate, video is rare.
_SERVICE_MIX: Final = (
    *(Service.VOICE,) * 7,
    Service.VIDEO,
    *(Service.SMS,) * 4,
    Service.MMS,
    *(Service.DATA,) * 7,
)


def _durations() -> SearchStrategy[int]:
    # mostly short calls, some long ones, now and then a call that never connected
    return st.one_of(st.integers(1, 180), st.integers(1, 3600), st.just(0))


def _data_bytes() -> SearchStrategy[int]:
    # mostly small sessions, some large downloads, rarely a huge one (to reach caps and cut-offs)
    return st.one_of(
        st.integers(0, 2 * MB),
        st.integers(0, 200 * MB),
        st.integers(0, 1536 * MB),
        st.sampled_from((1, KB, KB + 1, MB, MB + 1)),
    )


@st.composite
def _record(
    draw: st.DrawFn,
    msisdn: str,
    month: Month,
    after: datetime | None,
    before: datetime | None,
    abroad: bool,
) -> UsageRecord:
    service = draw(st.sampled_from(_SERVICE_MIX))
    direction = Direction.OUT
    if service is not Service.DATA:
        direction = draw(st.sampled_from((Direction.OUT, Direction.OUT, Direction.IN)))
    away = abroad and draw(st.integers(0, 9)) == 0
    location = draw(st.sampled_from(COUNTRIES if away else PROVINCES))
    start = draw(instants(month, after=after, before=before))
    duration = bytes_ = 0
    peer = ""
    if service in (Service.VOICE, Service.VIDEO):
        duration = draw(_durations())
    if service is Service.DATA:
        bytes_ = draw(_data_bytes())
    elif away:
        peer = draw(st.sampled_from(ROAMING_PEERS))
    else:
        peer = draw(st.sampled_from((*DOMESTIC_PEERS, *DOMESTIC_PEERS, *FREE_PEERS)))
    return UsageRecord(
        id="",  # numbered by `usage_records`
        msisdn=msisdn,
        service=service,
        direction=direction,
        start=start,
        duration_s=duration,
        bytes=bytes_,
        peer=peer,
        location=location,
    )


def usage_records(
    msisdn: str,
    month: Month,
    *,
    min_size: int = 0,
    max_size: int = 25,
    id_prefix: str | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
    abroad: bool = True,
) -> SearchStrategy[list[UsageRecord]]:
    """Lists of one line's usage records in one month, each id unique.

    A realistic mix: voice and data sessions most, then SMS, some video and MMS; two in three
    outgoing; about one in ten abroad (JP, GB, BR, HK, US) when `abroad`; peers include other
    operators' numbers, a fixed line and the free service numbers 10010 / 10011, and abroad
    numbers in China, local numbers, the roaming hotline and +86 10010.

    Args:
        msisdn: the line.
        month: the billing month every record starts in.
        min_size, max_size: how many records.
        id_prefix: ids are ``{id_prefix}{n:04d}``; default ``{msisdn}-{YYYYMM}-``.
        after, before: narrow the start times (e.g. to the activation time, or to `now`).
        abroad: whether some records are abroad.
    """
    prefix = f"{msisdn}-{month.key}-" if id_prefix is None else id_prefix
    return st.lists(
        _record(msisdn, month, after, before, abroad), min_size=min_size, max_size=max_size
    ).map(lambda rs: [attrs.evolve(r, id=f"{prefix}{i:04d}") for i, r in enumerate(rs)])


@attrs.frozen
class LineMonth:
    """A line, a month it is active in, that month's records and data carried in to it."""

    subscriber: Subscriber
    month: Month
    records: tuple[UsageRecord, ...]
    carry_in_bytes: int = 0


def usage_months(
    subscriber: SearchStrategy[Subscriber] | None = None,
    *,
    catalog: Catalog | None = None,
    max_records: int = 25,
    packs: bool = True,
) -> SearchStrategy[LineMonth]:
    """A line (`subscribers()` by default), one of its first four months, and its usage.

    Records start at or after the line's activation. When `packs`, the line sometimes has a
    3G data pack for the month; a plan with rollover sometimes has data carried in.
    """
    cat = catalog or _bundled()
    lines = subscribers(catalog=cat) if subscriber is None else subscriber

    @st.composite
    def draw_line_month(draw: st.DrawFn) -> LineMonth:
        sub = draw(lines)
        month = sub.first_billed_month.shift(draw(st.integers(0, 3)))
        if packs and cat.packs and draw(st.integers(0, 3)) == 0:
            sub = order_pack(sub, draw(st.sampled_from(sorted(cat.packs))), month, cat)
        records = draw(
            usage_records(sub.msisdn, month, max_size=max_records, after=sub.active_from)
        )
        data = cat.plan(sub.plan_id).data
        carry = 0
        if month > sub.first_billed_month and data is not None and data.rollover:
            carry = draw(st.sampled_from((0, 0, 100 * MB, 300 * MB + 5)))
        return LineMonth(sub, month, tuple(records), carry)

    return draw_line_month()


def adjustments(
    msisdn: str | None = None, month: Month | None = None
) -> SearchStrategy[Adjustment]:
    """Customer-care credits (negative) and debits (positive), whole fen, never zero."""
    return st.builds(
        Adjustment,
        id=st.integers(1, 999).map(lambda n: f"ADJ-{n}"),
        msisdn=st.just(msisdn) if msisdn is not None else msisdns(),
        month=st.just(month) if month is not None else months(),
        amount=money("-200", "200").filter(lambda m: not m.is_zero()),
        reason=st.sampled_from(("goodwill credit", "network outage", "misdialled 10010", "补扣")),
    )


def bills(
    line_months: SearchStrategy[LineMonth] | None = None, *, catalog: Catalog | None = None
) -> SearchStrategy[Bill]:
    """Bills composed with `compose_bill` from `usage_months()`; some carry an adjustment and
    some are issued (at or after the month's end)."""
    cat = catalog or _bundled()
    source = usage_months(catalog=cat) if line_months is None else line_months

    @st.composite
    def draw_bill(draw: st.DrawFn) -> Bill:
        lm = draw(source)
        adj = draw(st.lists(adjustments(lm.subscriber.msisdn, lm.month), max_size=1))
        bill, _ = compose_bill(
            lm.subscriber,
            lm.month,
            lm.records,
            cat,
            carry_in_bytes=lm.carry_in_bytes,
            adjustments=adj,
        )
        if draw(st.booleans()):
            bill = issue(bill, draw(instants(lm.month.next())))
        return bill

    return draw_bill()


# ------------------------------------------------------------------------------------- accounts


def account_ids() -> SearchStrategy[str]:
    """Account ids as `new_subscriber` makes them (``ACC-`` + number) or chosen by an agent."""
    return st.one_of(msisdns().map(lambda n: f"ACC-{n}"), st.sampled_from(("ACC-LIWEI", "ACC-1")))


def accounts() -> SearchStrategy[Account]:
    """Prepaid and postpaid accounts."""
    return st.builds(
        Account, id=account_ids(), mode=st.sampled_from(PaymentMode), name=st.sampled_from(_NAMES)
    )


def ledger_entries(account_id: str | None = None) -> SearchStrategy[LedgerEntry]:
    """Ledger postings: payments, recharges and adjustments are credits, bills debits."""

    @st.composite
    def draw_entry(draw: st.DrawFn) -> LedgerEntry:
        kind = draw(st.sampled_from(EntryKind))
        amount = draw(money("0.01", "5000"))
        if kind is EntryKind.BILL:
            amount = -amount
        return LedgerEntry(
            id=f"{kind.value}-{draw(st.integers(1, 9999))}",
            account_id=account_id or draw(account_ids()),
            at=draw(instants()),
            kind=kind,
            amount=amount,
            ref=draw(st.sampled_from(("", "10011", "alipay", "13012345678-202610"))),
            note=draw(st.sampled_from(("", "payment for 13012345678", "账单"))),
        )

    return draw_entry()


# ------------------------------------------------------------------------------------- identity

#: Region codes (行政区划代码) the resident identity numbers are drawn from: districts of
#: Beijing, Shanghai, Shenzhen, Chengdu, Hangzhou and Wuhan.
RESIDENT_REGIONS: Final = ("110101", "310104", "440305", "510107", "330106", "420102")
#: The scrypt cost of the passwords `line_orders` puts on its lines: tiny, so that checking one
#: costs microseconds. Test values only: a real line's password uses `identity.SCRYPT_N`.
TEST_SCRYPT_N: Final = 2**4


def _id_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 over 17 digits: weights 2**(17-i) mod 11, check (12 - sum) mod 11."""
    value = (12 - sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17)) % 11) % 11
    return "X" if value == 10 else str(value)


def resident_ids(regions: Sequence[str] = RESIDENT_REGIONS) -> SearchStrategy[str]:
    """Valid 18-character PRC resident identity numbers (GB 11643-1999): a region code, a birth
    date from 1930 to 2008, a 3-digit sequence number and the right check character (0-9 or X),
    as `identity.check_resident_id` accepts them."""

    def build(region: str, born: date, seq: int) -> str:
        first17 = f"{region}{born:%Y%m%d}{seq:03d}"
        return first17 + _id_check_character(first17)

    return st.builds(
        build,
        st.sampled_from(tuple(regions)),
        st.dates(date(1930, 1, 1), date(2008, 12, 31)),
        st.integers(0, 999),
    )


def _wrong_check(number: str) -> str:
    """The number with another check character: malformed, as a mistyped document is."""
    return number[:17] + ("0" if number[17] != "0" else "1")


def _simple(password: str) -> bool:
    """One digit repeated, or a run up or down (123456, 987654): too easy to guess."""
    return len(set(password)) == 1 or password in "0123456789" or password in "9876543210"


def _not_simple(password: str) -> str:
    """The password, or, when it is simple, the same with its last digit moved on by two
    (000000 → 000002, 123456 → 123458): never simple, and no draw is thrown away."""
    if not _simple(password):
        return password
    return password[:5] + str((int(password[5]) + 2) % 10)


def service_passwords() -> SearchStrategy[str]:
    """Six-digit service passwords that `identity.check_password_rules` accepts: not one digit
    repeated (888888), not a run up or down (123456, 654321)."""
    return st.integers(0, 999_999).map(lambda n: _not_simple(f"{n:06d}"))


def salts() -> SearchStrategy[bytes]:
    """Random salts of `identity.SALT_BYTES` bytes, as a front-end draws with `secrets`."""
    return st.binary(min_size=SALT_BYTES, max_size=SALT_BYTES)


def credentials(
    password: str | None = None, document: str | None = None
) -> SearchStrategy[Credentials]:
    """What a customer proves with a submission, each field present or not.

    Args:
        password: the line's service password: offered most of the time when given, otherwise
            a wrong one or none, so password checks both pass and fail.
        document: the holder's identity document: offered most of the time when given,
            otherwise another valid number, a malformed one or none.

    A new password (set-password) and a new holder's document (change-holder) are drawn too,
    with a salt of the right size.
    """
    right_password = [st.just(password)] * 6 if password else []
    right_document = [st.just(document)] * 6 if document else []
    return st.builds(
        Credentials,
        password=st.one_of(*right_password, st.none(), service_passwords()),
        document=st.one_of(
            *right_document, st.none(), resident_ids(), resident_ids().map(_wrong_check)
        ),
        new_password=st.one_of(st.none(), service_passwords()),
        new_document=st.one_of(st.none(), resident_ids()),
        salt=salts(),
    )


# ------------------------------------------------------------------------------------- orders

_REQUEST_NAMES: Final = ("Li Wei", "Wang Fang", "张敏", "陈杰")


def _products(kind: OrderType, catalog: Catalog) -> SearchStrategy[str]:
    what = PRODUCT.get(kind)
    if what == "service":
        return st.sampled_from(sorted(s.id for s in catalog.services.values()))
    if what == "pack":
        return st.sampled_from(sorted(catalog.packs))
    if what == "plan":
        return plan_ids(LineKind.MOBILE, catalog)
    if what == "privilege":
        rules = default_club_rules()
        return st.sampled_from(sorted(p.code for p in rules.privileges if p.special))
    return st.just("")


def order_requests(
    msisdn: str | None = None,
    *,
    types: Sequence[OrderType] | None = None,
    channels: Sequence[Channel] | None = None,
    catalog: Catalog | None = None,
) -> SearchStrategy[OrderRequest]:
    """Service order requests as a front-end submits them, on any channel.

    Each names the product its type takes (`orders.PRODUCT`): a value-added service, a data
    pack or a mobile plan of the catalog, and nothing for the other types. Pack orders are for
    this month (LJKT) or the next (KT); change-holder orders name the new holder. Whether the
    order can be accepted depends on the line, the channel and the credentials.

    Args:
        msisdn: the line; any `msisdns()` when None.
        types, channels: what to draw from (default: every order type, every channel).
        catalog: where products come from (default: the bundled catalog).
    """
    cat = catalog or _bundled()
    kinds = st.sampled_from(tuple(OrderType) if types is None else tuple(types))
    ways = st.sampled_from(tuple(Channel) if channels is None else tuple(channels))
    products = {kind: _products(kind, cat) for kind in OrderType}
    numbers = st.just(msisdn) if msisdn else msisdns()
    request_ids = st.integers(1, 10**9).map(lambda n: f"REQ-{n}")
    holders = st.sampled_from(_REQUEST_NAMES)

    @st.composite
    def draw_request(draw: st.DrawFn) -> OrderRequest:
        kind = draw(kinds)
        return OrderRequest(
            request_id=draw(request_ids),
            msisdn=draw(numbers),
            type=kind,
            channel=draw(ways),
            product=draw(products[kind]),
            immediate=kind is OrderType.PACK_ORDER and draw(st.booleans()),
            holder=draw(holders) if kind is OrderType.CHANGE_HOLDER else "",
        )

    return draw_request()


@attrs.frozen
class LineOrders:
    """A line, the orders taken on it (oldest first) and the line as they left it.

    `password` and `document` are what the holder can prove at the end ("" for none): the
    service password in clear and the identity document whose masked form is on record.
    """

    subscriber: Subscriber
    orders: tuple[ServiceOrder, ...]
    password: str = ""
    document: str = ""


def line_orders(
    subscriber: SearchStrategy[Subscriber] | None = None,
    *,
    catalog: Catalog | None = None,
    min_orders: int = 0,
    max_orders: int = 8,
) -> SearchStrategy[LineOrders]:
    """A line (`subscribers()` by default) and service orders taken on it with `orders.accept`,
    at increasing instants from its activation over about three months: so its timelines (plan
    changes, packs, services, statuses, roaming, password failures) are real.

    The line sometimes has a service password (hashed at `TEST_SCRYPT_N`) and an identity
    document on record; requests come on every channel with credentials that are mostly right.
    Pending orders complete when their time comes (`orders.complete_due`), some are withdrawn
    (`orders.withdraw`), and closing the line cancels those still open, as
    `service.submit_order` does. Rejected orders are kept too (a front-end sees them).
    """
    cat = catalog or _bundled()
    lines = subscribers(catalog=cat) if subscriber is None else subscriber
    requests = order_requests("0", catalog=cat)  # the line's number is put in after the draw
    proofs: dict[tuple[str, str], SearchStrategy[Credentials]] = {}
    ids = resident_ids()

    @st.composite
    def draw_line_orders(draw: st.DrawFn) -> LineOrders:
        line = draw(lines)
        password = draw(st.sampled_from(("", "x", "x", "x")))
        password = password and draw(service_passwords())
        document = draw(st.one_of(st.just(""), ids))
        if password:
            line = attrs.evolve(
                line, password=hash_password(password, draw(salts()), n=TEST_SCRYPT_N)
            )
        if document:
            line = attrs.evolve(line, holder_id=mask_id(document))
        now = line.active_from + timedelta(seconds=draw(st.integers(0, 40 * 24 * 3600)))
        taken: list[ServiceOrder] = []
        for i in range(draw(st.integers(min_orders, max_orders))):
            now += timedelta(seconds=draw(st.integers(1, 20 * 24 * 3600)))
            for j, order in enumerate(taken):
                done = complete_due(order, now)
                if done is not None:
                    taken[j] = done
            pending = [j for j, o in enumerate(taken) if o.state is OrderState.PENDING]
            if pending and draw(st.integers(0, 4)) == 0:
                j = draw(st.sampled_from(pending))
                taken[j], line, _ = withdraw(taken[j], line, now, "customer", Channel.HOTLINE)
                continue
            request = attrs.evolve(draw(requests), msisdn=line.msisdn, request_id=f"REQ-{i + 1}")
            if request.type in COUNTER_ONLY and draw(st.integers(0, 3)) > 0:
                request = attrs.evolve(request, channel=Channel.COUNTER)
            if (password, document) not in proofs:
                proofs[password, document] = credentials(password or None, document or None)
            creds = draw(proofs[password, document])
            if not document and request.channel is Channel.COUNTER and not creds.document:
                creds = attrs.evolve(creds, document=draw(ids))
            acceptance = accept(request, f"ORD-{i + 1:06d}", line, cat, now, creds)
            line = acceptance.line
            if acceptance.accepted and request.type is OrderType.CLOSE:  # as the service does
                taken = [
                    transition(o, OrderState.CANCELLED, now, SYSTEM, request.channel, "line closed")
                    if o.state in OPEN
                    else o
                    for o in taken
                ]
            taken.append(acceptance.order)
            if acceptance.accepted and request.type is OrderType.SET_PASSWORD:
                password = creds.new_password or ""
            if acceptance.accepted and request.type is OrderType.CHANGE_HOLDER:
                password, document = "", creds.new_document or ""
            if not document and creds.document and line.holder_id == mask_id(creds.document):
                document = creds.document.upper()  # a counter recorded the holder's document
        return LineOrders(line, tuple(taken), password, document)

    return draw_line_orders()


def service_orders(
    subscriber: SearchStrategy[Subscriber] | None = None, *, catalog: Catalog | None = None
) -> SearchStrategy[ServiceOrder]:
    """Service orders as `orders.accept` made them on a line (`line_orders`): completed,
    pending, cancelled or rejected, each with its transitions."""
    return line_orders(subscriber, catalog=catalog, min_orders=1).flatmap(
        lambda lo: st.sampled_from(lo.orders)
    )


# ------------------------------------------------------------------------------- SMS, roaming

_SMS_CODES: Final = st.from_regex(r"[A-Z0-9]{2,12}", fullmatch=True).filter(
    lambda c: c not in RESERVED_CODES
)


@st.composite
def sms_commands(draw: st.DrawFn) -> SmsCommand:
    """Every kind of SMS command: queries, KT / LJKT / QX with a product code, ZD with or
    without a month, EN / ZW, KTSJLL, help."""
    intent = draw(st.sampled_from(list(Intent)))
    if intent in (Intent.ORDER, Intent.CANCEL):
        immediate = intent is Intent.ORDER and draw(st.booleans())
        return SmsCommand(intent, draw(_SMS_CODES), immediate)
    if intent is Intent.LANGUAGE:
        return SmsCommand(intent, draw(st.sampled_from(["en", "zh-CN"])))
    if intent is Intent.LAST_BILL and draw(st.booleans()):
        m = draw(months())
        return SmsCommand(intent, f"{m.year:04d}{m.month:02d}")
    return SmsCommand(intent)


def _full_width(c: str) -> str:
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c


@st.composite
def sms_texts(draw: st.DrawFn, command: SmsCommand | None = None) -> str:
    """A text meaning `command` (any command when None) as a phone may send it: letters in
    either case, some characters full-width (Chinese input methods), spaces anywhere."""
    text = canonical(command if command is not None else draw(sms_commands()))
    out = []
    for c in text:
        if draw(st.booleans()):
            c = c.lower()
        if draw(st.integers(0, 3)) == 0:
            c = _full_width(c)
        out.append(c)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from([" ", "\u3000", "\t"])))
    return "".join(out)


@st.composite
def trip_usages(draw: st.DrawFn, max_days: int = 30) -> TripUsage:
    """A trip's expected daily usage: minutes, messages and data a day, for 1 to `max_days`."""
    small = st.integers(0, 120)
    return TripUsage(
        days=draw(st.integers(1, max_days)),
        local_minutes=draw(small),
        to_china_minutes=draw(small),
        received_minutes=draw(small),
        sms=draw(st.integers(0, 30)),
        data_mb=draw(st.integers(0, 400)),
    )


def actors() -> SearchStrategy[Actor]:
    """Agents and supervisors, as a front-end passes them in."""
    return st.builds(
        Actor,
        name=st.sampled_from(("A1001", "A1002", "S01", "ivr", "web")),
        role=st.sampled_from(Role),
    )


def audit_entries() -> SearchStrategy[AuditEntry]:
    """Audit-trail entries: reveals and adjustments by an actor, at an instant."""
    return st.builds(
        audit,
        actor=actors(),
        at=instants(),
        action=st.sampled_from(("adjustment", "reveal")),
        subject=msisdns(),
        detail=st.text(max_size=40),
    )


def shards(max_count: int = 8) -> SearchStrategy[Shard]:
    """Parts I of N of a bill run."""
    return st.integers(1, max_count).flatmap(
        lambda n: st.builds(Shard, index=st.integers(1, n), count=st.just(n))
    )


__all__ = [
    "COUNTRIES",
    "DOMESTIC_PEERS",
    "FREE_PEERS",
    "PROVINCES",
    "RESIDENT_REGIONS",
    "ROAMING_PEERS",
    "TEST_SCRYPT_N",
    "UNICOM_SEGMENTS",
    "LineMonth",
    "LineOrders",
    "account_ids",
    "accounts",
    "actors",
    "adjustments",
    "amounts",
    "audit_entries",
    "bills",
    "catalogs",
    "credentials",
    "dates",
    "instants",
    "ledger_entries",
    "line_orders",
    "money",
    "months",
    "msisdns",
    "order_requests",
    "plan_ids",
    "plans",
    "resident_ids",
    "salts",
    "service_orders",
    "service_passwords",
    "shards",
    "sms_commands",
    "sms_texts",
    "subscribers",
    "trip_usages",
    "usage_months",
    "usage_records",
]
