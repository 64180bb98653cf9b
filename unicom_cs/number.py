"""Numbers: Chinese mobile numbers (MSISDN), fixed-line numbers and broadband accounts.

Validation, carrier and home province come from `phonenumbers` (Google's libphonenumber data),
not from a hand-written prefix table: numbers are portable since 2019 and the segments change.
Looking a number up costs tens of microseconds, so `mobile_info` caches by the 7-digit segment
(号段 + HLR code), which is what the carrier and geocoding data are keyed on: a month of CDRs
parses each segment once, not each record.

Provinces are named by ISO 3166-2:CN codes (CN-BJ, CN-GD...), the same codes CDR locations use.
"""

from __future__ import annotations

import enum
import re
from functools import lru_cache
from typing import Final

import attrs
import phonenumbers

from unicom_cs.errors import InvalidValue

# ISO 3166-2:CN (2017 revision) by the English province name phonenumbers' geocoder prints.
PROVINCES: Final[dict[str, str]] = {
    "Beijing": "CN-BJ",
    "Tianjin": "CN-TJ",
    "Hebei": "CN-HE",
    "Shanxi": "CN-SX",
    "Inner Mongolia": "CN-NM",
    "Liaoning": "CN-LN",
    "Jilin": "CN-JL",
    "Heilongjiang": "CN-HL",
    "Shanghai": "CN-SH",
    "Jiangsu": "CN-JS",
    "Zhejiang": "CN-ZJ",
    "Anhui": "CN-AH",
    "Fujian": "CN-FJ",
    "Jiangxi": "CN-JX",
    "Shandong": "CN-SD",
    "Henan": "CN-HA",
    "Hubei": "CN-HB",
    "Hunan": "CN-HN",
    "Guangdong": "CN-GD",
    "Guangxi": "CN-GX",
    "Hainan": "CN-HI",
    "Chongqing": "CN-CQ",
    "Sichuan": "CN-SC",
    "Guizhou": "CN-GZ",
    "Yunnan": "CN-YN",
    "Tibet": "CN-XZ",
    "Shaanxi": "CN-SN",
    "Gansu": "CN-GS",
    "Qinghai": "CN-QH",
    "Ningxia": "CN-NX",
    "Xinjiang": "CN-XJ",
    "Taiwan": "CN-TW",
    "Hong Kong": "CN-HK",
    "Macau": "CN-MO",
}
PROVINCE_CODES: Final = frozenset(PROVINCES.values())
# For a mainland line, Hong Kong, Macau and Taiwan are international roaming (港澳台漫游).
ROAMING_REGIONS: Final = {"CN-HK": "HK", "CN-MO": "MO", "CN-TW": "TW"}
# ISO 3166-1 alpha-2 codes, from the numbering-plan data ("001" is not a country).
COUNTRY_CODES: Final = frozenset(r for r in phonenumbers.SUPPORTED_REGIONS if r.isalpha())

_MOBILE = re.compile(r"^(?:\+?86)?(1\d{10})\Z")
_FIXED = re.compile(r"^(?:\+?86)?(0\d{9,11})\Z")
_BROADBAND = re.compile(r"^[A-Za-z]{1,4}\d{6,16}\Z")
_SEPARATORS = re.compile(r"[\s\-()]")


class LineKind(enum.StrEnum):
    """What a line is: the 10010 guide's mobile, fixed and broadband services."""

    MOBILE = "mobile"
    FIXED = "fixed"
    BROADBAND = "broadband"


@attrs.frozen
class MobileInfo:
    """What the numbering plan says about a mobile number's segment."""

    carrier: str  # "China Unicom", "China Mobile", ...; "" when unknown
    province: str | None  # ISO 3166-2:CN code, None for nationwide segments (166, 196...)


@lru_cache(maxsize=65536)
def _valid_segment(segment: str) -> bool:
    """Whether a 7-digit segment is a Chinese mobile segment (the numbering plan's metadata).

    The segment is completed with zeros to a full number: validity, like the carrier and
    geocoding tables, is decided by at most the first 7 digits of a +86 mobile number.
    """
    parsed = phonenumbers.parse(segment + "0000", "CN")
    return phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


@lru_cache(maxsize=65536)
def _segment_info(segment: str) -> MobileInfo:
    """Carrier and home province of a valid 7-digit segment."""
    # The carrier and geocoding tables take a quarter of a second to load: only on first use,
    # so validating a number (every command) does not pay for them.
    from phonenumbers import carrier, geocoder

    parsed = phonenumbers.parse(segment + "0000", "CN")
    where = geocoder.description_for_number(parsed, "en")
    province = PROVINCES.get(where.rsplit(",", 1)[-1].strip())
    return MobileInfo(carrier=carrier.name_for_number(parsed, "en"), province=province)


def _mobile(number: str) -> str:
    """The 11 digits of a valid Chinese mobile number (+86 and separators removed)."""
    m = _MOBILE.match(_SEPARATORS.sub("", number.strip()))
    if m is None or not _valid_segment(m.group(1)[:7]):
        raise InvalidValue("mobile number", number, "not a valid Chinese mobile number")
    return m.group(1)


def mobile_info(msisdn: str) -> MobileInfo:
    """Carrier and home province of an 11-digit mobile number (cached by segment).

    Raises:
        InvalidValue: not a valid Chinese mobile number.
    """
    return _segment_info(_mobile(msisdn)[:7])


@lru_cache(maxsize=65536)
def normalize(number: str, kind: LineKind = LineKind.MOBILE) -> str:
    """The canonical form of a line's number: 11 digits for mobile, 0+area+number for fixed.

    Cached: a month of CDRs names the same few numbers over and over.

    Raises:
        InvalidValue: the number does not fit the line kind.
    """
    if kind is LineKind.MOBILE:
        return _mobile(number)
    raw = _SEPARATORS.sub("", number.strip())
    if kind is LineKind.FIXED:
        m = _FIXED.match(raw)
        if m:
            parsed = phonenumbers.parse(m.group(1), "CN")
            if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE:
                return m.group(1)
        raise InvalidValue("fixed-line number", number, "expected area code and number, 010…")
    if _BROADBAND.match(raw):
        return raw.upper()
    raise InvalidValue("broadband account", number, "expected letters then digits, e.g. KD0108888")


@lru_cache(maxsize=65536)
def usage_number(number: str) -> str:
    """The line a usage record names: a mobile number, or a fixed line (0 + area code + number).

    Raises:
        InvalidValue: neither.
    """
    try:
        return normalize(number, LineKind.MOBILE)
    except InvalidValue:
        pass
    try:
        return normalize(number, LineKind.FIXED)
    except InvalidValue:
        raise InvalidValue("number", number, "not a valid mobile or fixed-line number") from None


def canonical(number: str) -> str:
    """The canonical form of a number typed by a person, whatever its kind, for look-ups.

    Tries mobile, fixed line and broadband in turn; text that fits none is returned stripped,
    so that the look-up fails with the number as the person typed it.
    """
    for kind in LineKind:
        try:
            return normalize(number, kind)
        except InvalidValue:
            continue
    return number.strip()


def is_unicom(msisdn: str) -> bool:
    """Whether the numbering plan assigns this mobile number to China Unicom.

    A prefix does not prove the operator since number portability (2019): this is the
    numbering plan's answer, which is what the hotline uses to greet a caller, nothing more.
    """
    return mobile_info(msisdn).carrier == "China Unicom"
