"""The tariff catalog: plans, add-on data packs, roaming zones and free service numbers, as data.

Every published rule in `published-tariff-rules.md` is a field here, not code per plan: per-class
allowances and overage rates, per-call minute and per-session KB round-up or monthly cumulative
MB round-up, the "worry-free" (放心用) data blocks, the data-fee cap and volume cut-off, the
first-month options, auto-upgrade to the next tier, and carry-over of unused data.

A catalog is written in TOML (see `docs/catalog.md` and `default_catalog.DEFAULT_CATALOG_TOML`)
and read with `parse_catalog`, which collects every problem with its key path before it fails.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, TypeVar

import attrs

from unicom_cs.errors import CatalogError, InvalidValue, NotFound, RowError
from unicom_cs.money import ZERO, D, Money
from unicom_cs.number import COUNTRY_CODES, LineKind

# Bounds on catalog money: enough for any tariff (rates to a millionth of a yuan, fees up to a
# million), and small enough that every bill stays exact in the money context.
MAX_AMOUNT: Final = Money(1_000_000)
RATE_PRECISION: Final = Decimal("0.000001")

BUNDLED_SOURCE: Final = "<bundled catalog>"  # the source name of the bundled catalog

KB: Final = 1024
MB: Final = 1024 * KB
_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{0,40}\Z")


class DataBilling(enum.StrEnum):
    """How data is measured for charging."""

    KB_PER_SESSION = "kb-per-session"  # 3G: each session's part-KB rounds up; rate per KB
    MB_CUMULATIVE = "mb-cumulative"  # 4G: the month's cumulative part-MB rounds up; rate per MB


class FirstMonth(enum.StrEnum):
    """First-month options (首月资费) for the month a line is activated."""

    FULL = "full"  # full fee, full allowance
    HALF = "half"  # half fee (rounded down), half allowance (rounded up): 套餐减半
    PAY_PER_USE = "pay-per-use"  # no fee, no allowance, every unit at the overage rate


@attrs.frozen
class Allowance:
    """What a month's fee includes. Voice and video minutes are domestic outgoing minutes."""

    voice_minutes: int = 0
    video_minutes: int = 0
    sms: int = 0
    data_mb: int = 0

    def halved(self) -> Allowance:
        """Half allowance, each half rounded up in the customer's favour (5 minutes → 3)."""
        return Allowance(*(-(-n // 2) for n in attrs.astuple(self)))


@attrs.frozen
class DataRule:
    """How a plan charges data beyond its allowance.

    For n units of overage (KB or MB as `billing` says): with a block rule, the charge is
    `block_fee × ⌊n / block_units⌋ + rate × min(n mod block_units, block_tail_units)` (the
    worry-free 60 yuan/GB rule: block 1024 MB for 60 yuan, 0.30 yuan/MB for the first 200 MB of
    a part-GB, nothing above); otherwise `rate × n`. `fee_cap` bounds that charge; above
    `volume_cap_mb` of use in the month data is switched off.
    """

    billing: DataBilling
    rate: Money
    block_units: int | None = None
    block_fee: Money | None = None
    block_tail_units: int | None = None
    fee_cap: Money | None = None
    volume_cap_mb: int | None = None
    rollover: bool = False  # unused plan data carries to the end of next month

    @property
    def unit_bytes(self) -> int:
        return KB if self.billing is DataBilling.KB_PER_SESSION else MB

    def overage_charge(self, units: int) -> Money:
        """The uncapped charge for `units` of overage (KB or MB)."""
        if self.block_units is None or self.block_fee is None:
            return self.rate.times(units)
        blocks, tail = divmod(units, self.block_units)
        if self.block_tail_units is not None:
            tail = min(tail, self.block_tail_units)
        return self.block_fee.times(blocks) + self.rate.times(tail)


@attrs.frozen
class Plan:
    """A tariff plan (套餐) or a monthly-fee product (fixed line, broadband)."""

    id: str
    name: str
    kind: LineKind
    monthly_fee: Money
    source: str
    allowance: Allowance = Allowance()
    voice_rate: Money = ZERO
    video_rate: Money = ZERO
    video_uses_voice_minutes: bool = False  # 4G: "minutes cover voice and video calls"
    sms_rate: Money = ZERO
    mms_rate: Money = ZERO
    data: DataRule | None = None
    incoming_free: bool = True
    first_month: tuple[FirstMonth, ...] = (FirstMonth.FULL,)
    half_month_from_day: int | None = None  # data cards: joining on/after the 16th → half
    upgrade_to: str | None = None  # auto-upgrade target when fee + overage reaches its fee
    name_zh: str = ""
    included_services: frozenset[str] = frozenset()  # value-added services the fee includes


@attrs.frozen
class DataPack:
    """An add-on data pack (流量包), drawn after the plan's own data."""

    id: str
    name: str
    fee: Money
    data_mb: int
    source: str
    group: str = "3g-data-pack"  # packs in one group are mutually exclusive, one order a month
    carry_over: bool = True  # unused pack data carries over to the end of the next month
    sms_code: str = ""  # what follows KT / LJKT / QX in an SMS to 10010 (3GLL30)


@attrs.frozen
class ValueAddedService:
    """A value-added service (增值业务) with a monthly fee, opened and closed by service order
    (caller display 来电显示, ring-back tone 彩铃, mobile mailbox 手机邮箱…)."""

    id: str
    name: str
    monthly_fee: Money
    source: str
    kind: LineKind = LineKind.MOBILE
    name_zh: str = ""
    sms_code: str = ""  # what follows KT / QX in an SMS to 10010 (LDXS)


@attrs.frozen
class RoamingZone:
    """International roaming rates for a group of destinations (per minute, per message)."""

    id: str
    name: str
    countries: frozenset[str]
    voice_local: Money
    voice_to_china: Money
    voice_receive: Money
    sms_to_china: Money
    day_pack_fee: Money
    day_pack_mb: int
    day_pack_max: int
    source: str


@attrs.frozen
class Catalog:
    """Plans, packs, roaming zones and free numbers, by id."""

    plans: Mapping[str, Plan] = attrs.field(factory=dict)
    packs: Mapping[str, DataPack] = attrs.field(factory=dict)
    roaming: Mapping[str, RoamingZone] = attrs.field(factory=dict)
    default_zone: str | None = None
    free_numbers: frozenset[str] = frozenset()  # free to call at home (10010, 10011...)
    roaming_free_numbers: frozenset[str] = frozenset()  # free to call abroad (roaming hotline)
    services: Mapping[str, ValueAddedService] = attrs.field(factory=dict)
    retention_fee: Money | None = None  # 停机保号: a month suspended throughout pays this

    def plan(self, plan_id: str) -> Plan:
        try:
            return self.plans[plan_id]
        except KeyError:
            raise NotFound("plan", plan_id) from None

    def pack(self, pack_id: str) -> DataPack:
        try:
            return self.packs[pack_id]
        except KeyError:
            raise NotFound("data pack", pack_id) from None

    def service(self, code: str) -> ValueAddedService:
        try:
            return self.services[code]
        except KeyError:
            raise NotFound("value-added service", code) from None

    def zone_for(self, country: str) -> RoamingZone:
        """The roaming zone of a country (ISO 3166-1 alpha-2); the default zone otherwise."""
        for zone in self.roaming.values():
            if country in zone.countries:
                return zone
        if self.default_zone is None:
            raise NotFound("roaming zone for", country)
        return self.roaming[self.default_zone]

    def merged(self, other: Catalog) -> Catalog:
        """This catalog with `other`'s entries added; an entry with the same id is replaced,
        and a country listed by one of `other`'s roaming zones leaves the zone it was in."""
        claimed = frozenset().union(*(z.countries for z in other.roaming.values()))
        kept = {
            zid: attrs.evolve(zone, countries=zone.countries - claimed)
            for zid, zone in self.roaming.items()
            if zid not in other.roaming
        }
        return Catalog(
            plans={**self.plans, **other.plans},
            packs={**self.packs, **other.packs},
            roaming={**kept, **other.roaming},
            default_zone=other.default_zone or self.default_zone,
            free_numbers=self.free_numbers | other.free_numbers,
            roaming_free_numbers=self.roaming_free_numbers | other.roaming_free_numbers,
            services={**self.services, **other.services},
            retention_fee=other.retention_fee
            if other.retention_fee is not None
            else self.retention_fee,
        )


# --------------------------------------------------------------------------- parsing

T = TypeVar("T")


class _Reader:
    """Reads typed fields out of TOML tables, collecting errors with their key paths."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def fail(self, path: str, reason: str) -> None:
        self.errors.append(RowError(path, reason))

    def get(
        self,
        table: Mapping[str, Any],
        path: str,
        key: str,
        convert: Callable[[Any], T],
        default: T | None = None,
        *,
        required: bool = False,
    ) -> T | None:
        if key not in table:
            if required:
                self.fail(f"{path}.{key}", "missing")
            return default
        try:
            return convert(table[key])
        except (InvalidValue, ValueError, TypeError, KeyError) as e:
            reason = e.reason if isinstance(e, InvalidValue) else str(e) or type(e).__name__
            self.fail(f"{path}.{key}", reason)
            return default

    def unknown_keys(self, table: Mapping[str, Any], path: str, known: Iterable[str]) -> None:
        for key in sorted(set(table) - set(known)):
            self.fail(f"{path}.{key}", "unknown key")


def _money(value: Any) -> Money:
    if isinstance(value, float):
        raise InvalidValue("amount", value, 'write money as a string such as "0.15", not a float')
    if not isinstance(value, str | int):
        raise InvalidValue("amount", value, "expected a decimal string")
    result = Money(D(value))
    if result.is_negative():
        raise InvalidValue("amount", value, "must not be negative")
    if result > MAX_AMOUNT:
        raise InvalidValue("amount", value, f"more than {MAX_AMOUNT}")
    if result.amount != result.amount.quantize(RATE_PRECISION):
        raise InvalidValue("amount", value, "more than 6 decimal places")
    return result


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidValue("list", value, "expected a list, [ … ]")
    return value


#: The largest count a catalog may give (units, MB, minutes, messages): far above any tariff,
#: and small enough that a count times a rate stays exact in the money context.
MAX_COUNT: Final = 10**12


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValue("count", value, "expected a whole number ≥ 0")
    if value > MAX_COUNT:
        raise InvalidValue("count", str(value)[:30], f"larger than {MAX_COUNT}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("text", value, "expected a non-empty string")
    return value.strip()


def _ident(value: Any) -> str:
    text = _text(value)
    if not _ID.match(text):
        raise InvalidValue("id", value, "lower-case letters, digits, '-' and '.', at most 41")
    return text


def _idents(value: Any) -> frozenset[str]:
    return frozenset(_ident(x) for x in _list(value))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue("flag", value, "expected true or false")
    return value


def _enum(kind: type[enum.StrEnum]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(m.value for m in kind)
            raise InvalidValue(kind.__name__, value, f"expected one of {choices}") from None

    return convert


def _table(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InvalidValue("table", value, "expected a table")
    return value


def _tables(r: _Reader, doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        r.fail(key, f"expected an array of tables, [[{key}]]")
        return []
    return value


_PLAN_KEYS = (
    "id",
    "name",
    "name_zh",
    "kind",
    "monthly_fee",
    "source",
    "allowance",
    "rates",
    "data",
    "first_month",
    "half_month_from_day",
    "upgrade_to",
    "incoming_free",
    "included_services",
)
_ALLOWANCE_KEYS = ("voice_minutes", "video_minutes", "sms", "data_mb")
_RATE_KEYS = ("voice", "video", "video_uses_voice_minutes", "sms", "mms")
_DATA_KEYS = (
    "billing",
    "rate",
    "block_units",
    "block_fee",
    "block_tail_units",
    "fee_cap",
    "volume_cap_mb",
    "rollover",
)


def _parse_plan(r: _Reader, t: Mapping[str, Any], path: str) -> Plan | None:
    r.unknown_keys(t, path, _PLAN_KEYS)
    before = len(r.errors)
    zero = ZERO
    pid = r.get(t, path, "id", _ident, required=True)
    name = r.get(t, path, "name", _text, required=True)
    kind = r.get(t, path, "kind", _enum(LineKind), LineKind.MOBILE)
    fee = r.get(t, path, "monthly_fee", _money, required=True)
    source = r.get(t, path, "source", _text, required=True)
    a = r.get(t, path, "allowance", _table) or {}
    r.unknown_keys(a, f"{path}.allowance", _ALLOWANCE_KEYS)
    allowance = Allowance(
        *(r.get(a, f"{path}.allowance", k, _count, 0) or 0 for k in _ALLOWANCE_KEYS)
    )
    rt = r.get(t, path, "rates", _table) or {}
    rp = f"{path}.rates"
    r.unknown_keys(rt, rp, _RATE_KEYS)
    data = None
    if "data" in t:
        d = r.get(t, path, "data", _table) or {}
        dp = f"{path}.data"
        r.unknown_keys(d, dp, _DATA_KEYS)
        billing = r.get(d, dp, "billing", _enum(DataBilling), required=True)
        rate = r.get(d, dp, "rate", _money, required=True)
        block = tuple(k in d for k in ("block_units", "block_fee"))
        if any(block) and not all(block):
            r.fail(dp, "block_units and block_fee go together")
        block_units = r.get(d, dp, "block_units", _count)
        block_fee = r.get(d, dp, "block_fee", _money)
        tail_units = r.get(d, dp, "block_tail_units", _count)
        if block_units == 0:
            r.fail(f"{dp}.block_units", "must be at least 1")
        elif block_units is not None and tail_units is not None and tail_units > block_units:
            r.fail(f"{dp}.block_tail_units", f"more than block_units ({block_units})")
        elif block_units is not None and block_fee is not None and rate is not None:
            # A block must cost at least the units it replaces, or more use would cost less.
            most = rate.times(block_units if tail_units is None else tail_units)
            if block_fee < most:
                r.fail(f"{dp}.block_fee", f"less than the {most} its units cost at the rate")
        if billing is not None and rate is not None:
            data = DataRule(
                billing=billing,
                rate=rate,
                block_units=block_units,
                block_fee=block_fee,
                block_tail_units=tail_units,
                fee_cap=r.get(d, dp, "fee_cap", _money),
                volume_cap_mb=r.get(d, dp, "volume_cap_mb", _count),
                rollover=r.get(d, dp, "rollover", _flag, False) or False,
            )
    first = r.get(
        t, path, "first_month", lambda v: tuple(_enum(FirstMonth)(x) for x in _list(v)), None
    ) or (FirstMonth.FULL,)
    half_day = r.get(t, path, "half_month_from_day", _count)
    if half_day is not None and not 2 <= half_day <= 28:
        r.fail(f"{path}.half_month_from_day", "expected a day of the month from 2 to 28")
    voice = r.get(rt, rp, "voice", _money, zero) or zero
    video = r.get(rt, rp, "video", _money, zero) or zero
    video_shares = r.get(rt, rp, "video_uses_voice_minutes", _flag, False) or False
    sms = r.get(rt, rp, "sms", _money, zero) or zero
    mms = r.get(rt, rp, "mms", _money, zero) or zero
    name_zh = r.get(t, path, "name_zh", _text, "") or ""
    incoming_free = r.get(t, path, "incoming_free", _flag, True) is not False
    included: frozenset[str] | None = r.get(t, path, "included_services", _idents)
    upgrade_to = r.get(t, path, "upgrade_to", _ident)
    plan = None
    if len(r.errors) == before:
        assert pid and name and kind and fee is not None and source
        plan = Plan(
            id=pid,
            name=name,
            name_zh=name_zh,
            kind=kind,
            monthly_fee=fee,
            source=source,
            allowance=allowance,
            voice_rate=voice,
            video_rate=video,
            video_uses_voice_minutes=video_shares,
            sms_rate=sms,
            mms_rate=mms,
            data=data,
            incoming_free=incoming_free,
            first_month=first,
            half_month_from_day=half_day,
            upgrade_to=upgrade_to,
            included_services=included or frozenset(),
        )
    return plan


def _parse_pack(r: _Reader, t: Mapping[str, Any], path: str) -> DataPack | None:
    r.unknown_keys(
        t, path, ("id", "name", "fee", "data_mb", "source", "group", "carry_over", "sms_code")
    )
    before = len(r.errors)
    fields: dict[str, Any] = {
        "id": r.get(t, path, "id", _ident, required=True),
        "name": r.get(t, path, "name", _text, required=True),
        "fee": r.get(t, path, "fee", _money, required=True),
        "data_mb": r.get(t, path, "data_mb", _count, required=True),
        "source": r.get(t, path, "source", _text, required=True),
        "group": r.get(t, path, "group", _ident, "3g-data-pack"),
        "carry_over": r.get(t, path, "carry_over", _flag, True),
        "sms_code": r.get(t, path, "sms_code", _sms_code, ""),
    }
    return DataPack(**fields) if len(r.errors) == before else None


def _parse_service(r: _Reader, t: Mapping[str, Any], path: str) -> ValueAddedService | None:
    r.unknown_keys(t, path, ("id", "name", "name_zh", "monthly_fee", "source", "kind", "sms_code"))
    before = len(r.errors)
    fields: dict[str, Any] = {
        "id": r.get(t, path, "id", _ident, required=True),
        "name": r.get(t, path, "name", _text, required=True),
        "name_zh": r.get(t, path, "name_zh", _text, ""),
        "monthly_fee": r.get(t, path, "monthly_fee", _money, required=True),
        "source": r.get(t, path, "source", _text, required=True),
        "kind": r.get(t, path, "kind", _enum(LineKind), LineKind.MOBILE),
        "sms_code": r.get(t, path, "sms_code", _sms_code, ""),
    }
    return ValueAddedService(**fields) if len(r.errors) == before else None


def _sms_code(value: Any) -> str:
    """An SMS product code: 2 to 12 ASCII capital letters and digits (3GLL30, LDXS)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z0-9]{2,12}", value):
        raise InvalidValue("sms_code", value, "expected 2 to 12 capital letters and digits")
    return value


_ZONE_MONEY = ("voice_local", "voice_to_china", "voice_receive", "sms_to_china", "day_pack_fee")


def _countries(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(
        isinstance(c, str) and c in COUNTRY_CODES and c != "CN" for c in value
    ):
        raise InvalidValue("countries", value, "expected ISO 3166-1 alpha-2 codes other than CN")
    return frozenset(value)


def _parse_zone(r: _Reader, t: Mapping[str, Any], path: str) -> RoamingZone | None:
    keys = ("id", "name", "countries", "source", "day_pack_mb", "day_pack_max", *_ZONE_MONEY)
    r.unknown_keys(t, path, keys)
    before = len(r.errors)
    fields: dict[str, Any] = {
        "id": r.get(t, path, "id", _ident, required=True),
        "name": r.get(t, path, "name", _text, required=True),
        "countries": r.get(t, path, "countries", _countries, frozenset()),
        "source": r.get(t, path, "source", _text, required=True),
        "day_pack_mb": r.get(t, path, "day_pack_mb", _count, required=True),
        "day_pack_max": r.get(t, path, "day_pack_max", _count, required=True),
    }
    for key in _ZONE_MONEY:
        fields[key] = r.get(t, path, key, _money, required=True)
    if fields["day_pack_mb"] == 0 or fields["day_pack_max"] == 0:
        r.fail(path, "day_pack_mb and day_pack_max must be at least 1")
    return RoamingZone(**fields) if len(r.errors) == before else None


def _index(
    r: _Reader, items: list[tuple[str, T | None]], key: str
) -> tuple[dict[str, T], dict[str, str]]:
    """The valid entries by id, and the key path each came from (for later messages)."""
    out: dict[str, T] = {}
    paths: dict[str, str] = {}
    for path, item in items:
        if item is None:
            continue
        item_id: str = getattr(item, "id")  # noqa: B009 - every catalog entry has an id
        if item_id in out:
            r.fail(f"{path}.id", f"duplicate {key} id {item_id!r}")
        out[item_id] = item
        paths[item_id] = path
    return out, paths


def parse_catalog(text: str, source: str = "<catalog>", base: Catalog | None = None) -> Catalog:
    """Parse a catalog written in TOML, checked against itself and an optional base catalog.

    Args:
        text: the TOML document (``[[plan]]``, ``[[data_pack]]``, ``[[roaming_zone]]`` tables,
            and an optional top-level ``free_numbers`` list and ``default_roaming_zone``).
        source: a name for messages, such as the file's path.
        base: the catalog the new entries join; ``upgrade_to`` may point into it.

    Returns:
        A catalog holding just the entries of `text`.

    Raises:
        CatalogError: with one entry per problem, each naming its key path.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(source, (RowError("toml", str(e)),)) from None
    except ValueError as e:  # an integer of more than 4,300 digits
        raise CatalogError(source, (RowError("toml", f"unreadable: {e}"[:200]),)) from None
    except RecursionError:  # arrays nested a thousand deep
        raise CatalogError(source, (RowError("toml", "nested too deeply"),)) from None
    r = _Reader()
    r.unknown_keys(
        doc,
        "catalog",
        (
            "plan",
            "data_pack",
            "roaming_zone",
            "free_numbers",
            "roaming_free_numbers",
            "default_roaming_zone",
            "service",
            "retention_fee",
        ),
    )
    plans, plan_paths = _index(
        r,
        [
            (f"plan[{i}]", _parse_plan(r, t, f"plan[{i}]"))
            for i, t in enumerate(_tables(r, doc, "plan"))
        ],
        "plan",
    )
    packs, _ = _index(
        r,
        [
            (f"data_pack[{i}]", _parse_pack(r, t, f"data_pack[{i}]"))
            for i, t in enumerate(_tables(r, doc, "data_pack"))
        ],
        "data pack",
    )
    zones, zone_paths = _index(
        r,
        [
            (f"roaming_zone[{i}]", _parse_zone(r, t, f"roaming_zone[{i}]"))
            for i, t in enumerate(_tables(r, doc, "roaming_zone"))
        ],
        "roaming zone",
    )

    services, _ = _index(
        r,
        [
            (f"service[{i}]", _parse_service(r, t, f"service[{i}]"))
            for i, t in enumerate(_tables(r, doc, "service"))
        ],
        "service",
    )
    retention_fee = r.get(doc, "catalog", "retention_fee", _money)

    def numbers(value: Any) -> frozenset[str]:
        return frozenset(_text(x) for x in _list(value))

    free = r.get(doc, "catalog", "free_numbers", numbers)
    roaming_free = r.get(doc, "catalog", "roaming_free_numbers", numbers)
    default_zone = r.get(doc, "catalog", "default_roaming_zone", _ident)
    known_plans = {**(base.plans if base else {}), **plans}
    for plan in plans.values():
        if plan.upgrade_to is not None and plan.upgrade_to not in known_plans:
            r.fail(
                f"{plan_paths[plan.id]}.upgrade_to", f"no plan {plan.upgrade_to!r} in the catalog"
            )
    for plan_id, why in upgrade_problems(Catalog(plans=known_plans)).items():
        if plan_id in plans:
            r.fail(f"{plan_paths[plan_id]}.upgrade_to", why)
    known_services = {**(base.services if base else {}), **services}
    for plan in plans.values():
        for code in sorted(plan.included_services - set(known_services)):
            where = f"{plan_paths[plan.id]}.included_services"
            r.fail(where, f"no value-added service {code!r} in the catalog")
    owner: dict[str, str] = {}
    for zone in zones.values():
        for country in sorted(zone.countries):
            if country in owner:
                where = f"{zone_paths[zone.id]}.countries"
                r.fail(where, f"{country} is already in {owner[country]}")
            owner[country] = zone.id
    known_zones = {**(base.roaming if base else {}), **zones}
    if default_zone is not None and default_zone not in known_zones:
        r.fail("catalog.default_roaming_zone", f"no roaming zone {default_zone!r}")
    if r.errors:
        raise CatalogError(source, tuple(r.errors))
    return Catalog(
        plans,
        packs,
        zones,
        default_zone,
        free or frozenset(),
        roaming_free or frozenset(),
        services,
        retention_fee,
    )


def upgrade_problems(catalog: Catalog) -> dict[str, str]:
    """Upgrades that do not go to a dearer plan: plan id → what is wrong.

    An upgrade goes to a dearer tier: this also rules out loops (a → b → a). Checked on a whole
    catalog, so that redefining an upgrade's target is checked too.
    """
    out = {}
    for plan in catalog.plans.values():
        target = catalog.plans.get(plan.upgrade_to) if plan.upgrade_to is not None else None
        if target is not None and target.monthly_fee <= plan.monthly_fee:
            out[plan.id] = (
                f"{target.id} costs {target.monthly_fee}, not more than {plan.monthly_fee}"
            )
    return out


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The bundled catalog: the published China Unicom plans of `published-tariff-rules.md`.

    Parsed once and shared: treat it (like every catalog) as read-only.
    """
    from unicom_cs.default_catalog import DEFAULT_CATALOG_TOML

    return parse_catalog(DEFAULT_CATALOG_TOML, BUNDLED_SOURCE)


__all__ = [
    "KB",
    "MB",
    "Allowance",
    "Catalog",
    "DataBilling",
    "DataPack",
    "DataRule",
    "FirstMonth",
    "Plan",
    "RoamingZone",
    "ValueAddedService",
    "default_catalog",
    "parse_catalog",
]
