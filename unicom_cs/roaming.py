"""The international roaming desk: what the roaming hotline (+86 13010199999) knows about a
destination, and what a trip there is likely to cost.

Rules from published-tariff-rules.md (section numbers refer to it):

- §5: the roaming hotline +86 13010199999 is free when dialled from the roaming line; the later
  global hotline is +86 18618610010; +86 10010 from abroad is charged at roaming rates. Prepaid
  lines open roaming automatically at first roaming, without a deposit. Calls are charged per
  minute, each call rounded up; received messages are free; data is sold in day packs (5 yuan
  buys 5 MB or 3 MB by zone), renewed up to 16 times a Beijing day (the 80-yuan daily cap),
  after which data is off until the customer reopens it (SMS "KTSJLL" to 10010, or the hotline).
- §7: 5-star club members roam without a deposit.

Rates are never held here: they are the catalog's `RoamingZone` (whose per-zone values are
themselves the library's choice within §5's published ranges), so an estimate always agrees with
`rating.rate_usage`. The library's choices in this module:

- partner operators, network coverage, dialling examples and local service numbers are
  illustrative data, not published by the sources; dialling examples come from the numbering-plan
  data of `phonenumbers`;
- a code with no shipped entry gets a generic destination: its name from a small table, or the
  code itself;
- a trip estimate assumes the same usage every day at one destination, calls lasting whole
  minutes, and data left off once the daily cap is reached (not reopened);
- per-day bounds on `TripUsage` (a day has 1,440 minutes; at most 10,000 messages and 1 TB a
  day; a trip of at most 366 days) keep every amount exact.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Final

import attrs
import phonenumbers

from unicom_cs.catalog import Catalog, RoamingZone
from unicom_cs.errors import InvalidValue
from unicom_cs.money import ZERO, Money, lines_add_up, total
from unicom_cs.number import COUNTRY_CODES, PROVINCE_CODES, ROAMING_REGIONS

ROAMING_HOTLINE: Final = "+86 13010199999 (free from your roaming line)"
GLOBAL_HOTLINE: Final = "+86 18618610010"
REOPEN_DATA_SMS: Final = "KTSJLL"  # sent to 10010, reopens roaming data after the daily cap
ANY_PARTNER: Final = "(any partner network)"

_CONSULAR = ("Consular protection hotline (China's Ministry of Foreign Affairs)", "+86 10 12308")
ACTIVATION: Final = (
    "Prepaid lines: roaming opens automatically at the first roaming, no deposit (§5). "
    "Postpaid lines: international roaming must be opened first (`ucs line roaming-open "
    "NUMBER`, or at 10010); 5-star club members need no deposit (§7)."
)
SOURCE: Final = (
    "tariff rules §5 (hotlines, activation, zone rates and day packs) and §7 (5-star: no "
    "deposit); partner operators, coverage and local numbers are the library's illustrative "
    "choice, not published by the sources"
)


@attrs.frozen
class Dialling:
    """How to dial from the destination: home to China, locally, and the roaming hotlines."""

    to_china: str
    local: str
    hotlines: tuple[str, ...] = (ROAMING_HOTLINE, GLOBAL_HOTLINE)
    note: str = "+86 10010 dialled from abroad is charged at roaming rates; the hotline is free."


@attrs.frozen
class Destination:
    """What the roaming desk tells a customer about a country before a trip."""

    country: str  # ISO 3166-1 alpha-2
    name: str
    name_zh: str
    operators: tuple[str, ...]  # partner networks
    coverage: str
    dialling: Dialling
    local_service_numbers: tuple[tuple[str, str], ...]  # (label, number)
    activation: str = ACTIVATION
    source: str = SOURCE


# country: (name, name_zh, partner operators, coverage, local service numbers)
_Entry = tuple[str, str, tuple[str, ...], str, tuple[tuple[str, str], ...]]
_GSM_LTE = "GSM/WCDMA/LTE"
_SHIPPED: Final[dict[str, _Entry]] = {
    "HK": (
        "Hong Kong",
        "香港",
        ("CSL", "SmarTone", "3 Hong Kong", "China Mobile Hong Kong"),
        _GSM_LTE,
        (("Emergency (police, fire, ambulance)", "999"),),
    ),
    "MO": (
        "Macau",
        "澳门",
        ("CTM", "3 Macau", "SmarTone Macau", "China Telecom (Macau)"),
        _GSM_LTE,
        (("Emergency (police, fire, ambulance)", "999"),),
    ),
    "TW": (
        "Taiwan",
        "台湾",
        ("Chunghwa Telecom", "Taiwan Mobile", "FarEasTone"),
        "WCDMA/LTE",
        (("Police", "110"), ("Fire and ambulance", "119")),
    ),
    "JP": (
        "Japan",
        "日本",
        ("NTT DOCOMO", "SoftBank", "KDDI au"),
        "WCDMA/LTE (Japan has no GSM network)",
        (("Police", "110"), ("Fire and ambulance", "119"), ("Coast guard", "118")),
    ),
    "KR": (
        "South Korea",
        "韩国",
        ("SK Telecom", "KT", "LG U+"),
        "WCDMA/LTE (Korea has no GSM network)",
        (("Police", "112"), ("Fire and ambulance", "119"), ("Tourist information", "1330")),
    ),
    "US": (
        "United States",
        "美国",
        ("AT&T", "T-Mobile US"),
        "WCDMA/LTE",
        (("Emergency (police, fire, ambulance)", "911"),),
    ),
    "RU": (
        "Russia",
        "俄罗斯",
        ("MTS", "MegaFon", "Beeline", "Tele2"),
        _GSM_LTE,
        (("Emergency", "112"), ("Fire", "101"), ("Police", "102"), ("Ambulance", "103")),
    ),
    "SG": (
        "Singapore",
        "新加坡",
        ("Singtel", "StarHub", "M1"),
        "WCDMA/LTE",
        (("Police", "999"), ("Fire and ambulance", "995")),
    ),
    "TH": (
        "Thailand",
        "泰国",
        ("AIS", "TrueMove H", "dtac"),
        _GSM_LTE,
        (("Police", "191"), ("Tourist police", "1155"), ("Ambulance", "1669"), ("Fire", "199")),
    ),
    "ID": (
        "Indonesia",
        "印度尼西亚",
        ("Telkomsel", "Indosat Ooredoo", "XL Axiata"),
        _GSM_LTE,
        (("Emergency", "112"), ("Police", "110"), ("Ambulance", "118"), ("Fire", "113")),
    ),
    "MY": (
        "Malaysia",
        "马来西亚",
        ("Maxis", "CelcomDigi", "U Mobile"),
        _GSM_LTE,
        (("Emergency (police, fire, ambulance)", "999"), ("Emergency from a mobile", "112")),
    ),
    "PH": (
        "Philippines",
        "菲律宾",
        ("Smart", "Globe"),
        _GSM_LTE,
        (("Emergency (police, fire, ambulance)", "911"),),
    ),
    "AU": (
        "Australia",
        "澳大利亚",
        ("Telstra", "Optus", "Vodafone Australia"),
        "WCDMA/LTE",
        (("Emergency (police, fire, ambulance)", "000"), ("Emergency from a mobile", "112")),
    ),
    "CA": (
        "Canada",
        "加拿大",
        ("Rogers", "Bell", "TELUS"),
        "WCDMA/LTE",
        (("Emergency (police, fire, ambulance)", "911"),),
    ),
    "MX": (
        "Mexico",
        "墨西哥",
        ("Telcel", "AT&T Mexico", "Movistar"),
        _GSM_LTE,
        (("Emergency (police, fire, ambulance)", "911"),),
    ),
    "NZ": (
        "New Zealand",
        "新西兰",
        ("One NZ", "Spark", "2degrees"),
        "WCDMA/LTE",
        (("Emergency (police, fire, ambulance)", "111"),),
    ),
    "GB": (
        "United Kingdom",
        "英国",
        ("EE", "Vodafone UK", "O2", "Three"),
        _GSM_LTE,
        (("Emergency (police, fire, ambulance)", "999"), ("Medical advice (NHS)", "111")),
    ),
    "FR": (
        "France",
        "法国",
        ("Orange", "SFR", "Bouygues Telecom"),
        _GSM_LTE,
        (("Emergency", "112"), ("Ambulance (SAMU)", "15"), ("Police", "17"), ("Fire", "18")),
    ),
    "DE": (
        "Germany",
        "德国",
        ("Telekom", "Vodafone", "O2 (Telefónica)"),
        _GSM_LTE,
        (("Emergency (fire, ambulance)", "112"), ("Police", "110")),
    ),
    "IT": (
        "Italy",
        "意大利",
        ("TIM", "Vodafone Italia", "WindTre"),
        _GSM_LTE,
        (("Emergency", "112"), ("Police", "113"), ("Fire", "115"), ("Ambulance", "118")),
    ),
    "ES": (
        "Spain",
        "西班牙",
        ("Movistar", "Vodafone España", "Orange España"),
        _GSM_LTE,
        (("Emergency (police, fire, ambulance)", "112"),),
    ),
}
SHIPPED_COUNTRIES: Final = tuple(_SHIPPED)

# Names for common destinations without a shipped entry; any other code is named by itself.
_NAMES: Final[dict[str, tuple[str, str]]] = {
    "AE": ("United Arab Emirates", "阿联酋"),
    "AR": ("Argentina", "阿根廷"),
    "AT": ("Austria", "奥地利"),
    "BE": ("Belgium", "比利时"),
    "BR": ("Brazil", "巴西"),
    "CH": ("Switzerland", "瑞士"),
    "CZ": ("Czechia", "捷克"),
    "DK": ("Denmark", "丹麦"),
    "EG": ("Egypt", "埃及"),
    "FI": ("Finland", "芬兰"),
    "GR": ("Greece", "希腊"),
    "IE": ("Ireland", "爱尔兰"),
    "IN": ("India", "印度"),
    "KH": ("Cambodia", "柬埔寨"),
    "KZ": ("Kazakhstan", "哈萨克斯坦"),
    "LA": ("Laos", "老挝"),
    "LK": ("Sri Lanka", "斯里兰卡"),
    "MM": ("Myanmar", "缅甸"),
    "MN": ("Mongolia", "蒙古"),
    "MV": ("Maldives", "马尔代夫"),
    "NL": ("Netherlands", "荷兰"),
    "NO": ("Norway", "挪威"),
    "NP": ("Nepal", "尼泊尔"),
    "PK": ("Pakistan", "巴基斯坦"),
    "PT": ("Portugal", "葡萄牙"),
    "SA": ("Saudi Arabia", "沙特阿拉伯"),
    "SE": ("Sweden", "瑞典"),
    "TR": ("Türkiye", "土耳其"),
    "VN": ("Vietnam", "越南"),
    "ZA": ("South Africa", "南非"),
}

_CHINA_MOBILE_EXAMPLE = "+8613012345678"  # a China Unicom mobile
_CHINA_FIXED_EXAMPLE = "+861012345678"  # a Beijing fixed line, area code 010


def _dialling(country: str) -> Dialling:
    """Dialling instructions from the numbering-plan data (the same for every destination but
    the examples: a mobile reaches China with + and 86 from anywhere)."""
    fmt = phonenumbers.PhoneNumberFormat
    mobile = phonenumbers.parse(_CHINA_MOBILE_EXAMPLE)
    fixed = phonenumbers.parse(_CHINA_FIXED_EXAMPLE)
    to_china = (
        f"+86 and the number: a mobile {phonenumbers.format_number(mobile, fmt.INTERNATIONAL)}, "
        f"a fixed line {phonenumbers.format_number(fixed, fmt.INTERNATIONAL)} (the area code "
        "without its 0)"
    )
    landline = str(phonenumbers.format_out_of_country_calling_number(mobile, country))
    if not landline.startswith("+"):  # a country with one international prefix
        to_china += f"; from a local landline {landline}"
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is None:
        code = phonenumbers.country_code_for_region(country)
        full = f" (+{code} and the number)" if code else ""
        local = f"as a local would dial it, or in full{full}"
    else:
        national = str(phonenumbers.format_number(example, fmt.NATIONAL))
        full = str(phonenumbers.format_number(example, fmt.INTERNATIONAL))
        local = f"as a local would dial it, e.g. {national}, or in full {full}"
    return Dialling(to_china=to_china, local=local)


def _normalise(country: str) -> str:
    """An ISO 3166-1 alpha-2 code outside the mainland, upper-case; CN-HK reads as HK.

    Raises:
        InvalidValue: not a country code, or mainland China (roaming is abroad only).
    """
    code = country.strip().upper()
    code = ROAMING_REGIONS.get(code, code)
    if code == "CN" or code in PROVINCE_CODES:
        raise InvalidValue(
            "country", country, "mainland China is not international roaming: roaming is abroad"
        )
    if code not in COUNTRY_CODES:
        raise InvalidValue("country", country, "expected an ISO 3166-1 country code such as JP")
    return code


@lru_cache(maxsize=256)
def _destination(code: str) -> Destination:
    entry = _SHIPPED.get(code)
    if entry is not None:
        name, name_zh, operators, coverage, numbers = entry
        return Destination(
            code,
            name,
            name_zh,
            operators,
            coverage,
            _dialling(code),
            (*numbers, _CONSULAR),
        )
    name, name_zh = _NAMES.get(code, (code, code))
    return Destination(
        code,
        name,
        name_zh,
        (ANY_PARTNER,),
        "depends on the partner network",
        _dialling(code),
        (("Emergency on most mobile networks", "112"), _CONSULAR),
    )


def destination(country: str) -> Destination:
    """The roaming desk's entry for a country: shipped data, or a generic entry.

    Args:
        country: an ISO 3166-1 alpha-2 code, any case; CN-HK, CN-MO and CN-TW are read as HK,
            MO and TW.

    Raises:
        InvalidValue: not a country code, or mainland China.
    """
    return _destination(_normalise(country))


@attrs.frozen
class DestinationInfo:
    """A destination with the roaming zone that rates it."""

    destination: Destination
    zone: RoamingZone

    @property
    def voice_local(self) -> Money:
        """Per minute, a call to a local number."""
        return self.zone.voice_local

    @property
    def voice_to_china(self) -> Money:
        """Per minute, a call to China."""
        return self.zone.voice_to_china

    @property
    def voice_receive(self) -> Money:
        """Per minute, a call received."""
        return self.zone.voice_receive

    @property
    def sms_to_china(self) -> Money:
        """Per message sent."""
        return self.zone.sms_to_china

    @property
    def sms_receive(self) -> Money:
        """Receiving a message abroad is free (§5)."""
        return ZERO

    @property
    def day_pack_fee(self) -> Money:
        return self.zone.day_pack_fee

    @property
    def day_pack_mb(self) -> int:
        return self.zone.day_pack_mb

    @property
    def day_pack_max(self) -> int:
        return self.zone.day_pack_max

    @property
    def daily_cap(self) -> Money:
        """The most data can cost in a Beijing day: the pack fee × the packs a day."""
        return self.zone.day_pack_fee.times(self.zone.day_pack_max)


def destination_info(country: str, catalog: Catalog) -> DestinationInfo:
    """What the hotline tells a customer about a country: the destination and its rates.

    Args:
        country: an ISO 3166-1 alpha-2 code, any case (CN-HK reads as HK).
        catalog: for the roaming zone (`Catalog.zone_for`).

    Raises:
        InvalidValue: not a country code, or mainland China.
        NotFound: the catalog has no zone for the country and no default zone.
    """
    dest = destination(country)
    return DestinationInfo(dest, catalog.zone_for(dest.country))


# --------------------------------------------------------------------------- trip estimates


def _bounded(most: int, least: int = 0) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(_: object, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise InvalidValue(attribute.name, value, f"expected a whole number {least} to {most}")

    return check


MINUTES_A_DAY: Final = 24 * 60


@attrs.frozen(kw_only=True)
class TripUsage:
    """Expected usage on each day of a trip (the same every day), and the trip's length."""

    days: int = attrs.field(validator=_bounded(366, least=1))
    local_minutes: int = attrs.field(default=0, validator=_bounded(MINUTES_A_DAY))
    to_china_minutes: int = attrs.field(default=0, validator=_bounded(MINUTES_A_DAY))
    received_minutes: int = attrs.field(default=0, validator=_bounded(MINUTES_A_DAY))
    sms: int = attrs.field(default=0, validator=_bounded(10_000))  # sent to China
    received_sms: int = attrs.field(default=0, validator=_bounded(10_000))
    data_mb: int = attrs.field(default=0, validator=_bounded(1024 * 1024))


@attrs.frozen
class EstimateLine:
    """One line of an estimate: quantity over the whole trip × rate = amount."""

    label: str
    quantity: int
    unit: str  # "min", "msg", "day pack"
    rate: Money
    amount: Money


@attrs.frozen
class TripEstimate:
    """What a trip is expected to cost; the lines always add up to the total, exactly."""

    destination: Destination
    zone: RoamingZone
    days: int
    lines: tuple[EstimateLine, ...]
    total: Money = attrs.field(validator=lines_add_up("estimate"))
    packs_per_day: int
    daily_data_cost: Money
    data_mb_served_per_day: int
    capped_days: bool  # the daily cap is reached every day: data is then off for the day
    warnings: tuple[str, ...]


def estimate_trip(country: str, usage: TripUsage, catalog: Catalog) -> TripEstimate:
    """Estimate the roaming charges of a trip, as `rating.rate_usage` would rate that usage.

    Calls are charged per minute at the zone's rates (whole minutes expected), messages sent
    at the zone's rate, received messages free; each day's data buys
    ⌈data_mb / pack MB⌉ day packs, at most the zone's maximum, and the data above
    maximum × pack MB is not served.

    Args:
        country: an ISO 3166-1 alpha-2 code, any case (CN-HK reads as HK).
        usage: expected usage per day and the number of days.
        catalog: for the roaming zone.

    Returns:
        The lines of usage that costs or is free (nothing for a class not used), the exact
        total, the data per day, and warnings for the customer.

    Raises:
        InvalidValue: not a country code, or mainland China.
        NotFound: the catalog has no zone for the country and no default zone.
    """
    info = destination_info(country, catalog)
    zone = info.zone
    days = usage.days
    wanted_packs = -(-usage.data_mb // zone.day_pack_mb) if zone.day_pack_mb else 0
    packs = min(wanted_packs, zone.day_pack_max)
    served_mb = min(usage.data_mb, packs * zone.day_pack_mb)
    capped = usage.data_mb > 0 and packs == zone.day_pack_max

    rows = (
        ("Local calls", usage.local_minutes, "min", zone.voice_local),
        ("Calls to China", usage.to_china_minutes, "min", zone.voice_to_china),
        ("Calls received", usage.received_minutes, "min", zone.voice_receive),
        ("Messages to China", usage.sms, "msg", zone.sms_to_china),
        ("Messages received (free)", usage.received_sms, "msg", ZERO),
        (f"Data day packs ({zone.day_pack_mb} MB each)", packs, "day pack", zone.day_pack_fee),
    )
    lines = tuple(
        EstimateLine(label, per_day * days, unit, rate, rate.times(per_day * days))
        for label, per_day, unit, rate in rows
        if per_day
    )

    warnings: list[str] = []
    if capped:
        cap = zone.day_pack_fee.times(zone.day_pack_max)
        reach = (
            f"only {served_mb} MB of the {usage.data_mb} MB expected a day is served"
            if served_mb < usage.data_mb
            else f"the {served_mb} MB a day is served, but no more"
        )
        warnings.append(
            f"Daily cap: {usage.data_mb} MB a day reaches the daily cap of {cap} yuan "
            f"({zone.day_pack_max} day packs × {zone.day_pack_fee}): {reach}; data is "
            f"then off for the rest of that Beijing day unless reopened by sending "
            f"{REOPEN_DATA_SMS} to 10010 (or by calling the roaming hotline)."
        )
    if usage.local_minutes or usage.to_china_minutes or usage.received_minutes:
        warnings.append(
            "Calls are charged per call, each rounded up to the whole minute: this estimate "
            "counts whole minutes, so calls ending part-way through a minute cost more "
            "(a 61-second call is charged as 2 minutes)."
        )
    if usage.data_mb:
        warnings.append(
            "Day packs run by the Beijing day (00:00 to 24:00, UTC+8), not the local day; "
            "unused data does not carry over to the next day."
        )
    return TripEstimate(
        destination=info.destination,
        zone=zone,
        days=days,
        lines=lines,
        total=total(line.amount for line in lines),
        packs_per_day=packs,
        daily_data_cost=zone.day_pack_fee.times(packs),
        data_mb_served_per_day=served_mb,
        capped_days=capped,
        warnings=tuple(warnings),
    )


__all__ = [
    "ACTIVATION",
    "ANY_PARTNER",
    "GLOBAL_HOTLINE",
    "MINUTES_A_DAY",
    "REOPEN_DATA_SMS",
    "ROAMING_HOTLINE",
    "SHIPPED_COUNTRIES",
    "Destination",
    "DestinationInfo",
    "Dialling",
    "EstimateLine",
    "TripEstimate",
    "TripUsage",
    "destination",
    "destination_info",
    "estimate_trip",
]
