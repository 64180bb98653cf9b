"""The roaming desk: destinations, their rates, and trip estimates that agree with rating.

Expected amounts are worked out in the comments from published-tariff-rules.md §5 and the
bundled catalog's zones (JP: local 2.86, receiving 2.86, to China 3.86, SMS 1.86, 5 MB packs;
GB: 3 MB packs; every zone: 5 yuan a pack, at most 16 a day).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unicom_cs.catalog import MB, Catalog, default_catalog
from unicom_cs.errors import InvalidValue
from unicom_cs.money import Money, total
from unicom_cs.number import COUNTRY_CODES
from unicom_cs.period import SHANGHAI
from unicom_cs.rating import LineCode, Terms, rate_usage
from unicom_cs.roaming import (
    ANY_PARTNER,
    GLOBAL_HOTLINE,
    ROAMING_HOTLINE,
    SHIPPED_COUNTRIES,
    EstimateLine,
    TripUsage,
    destination,
    destination_info,
    estimate_trip,
)
from unicom_cs.usage import Direction, Service, UsageRecord

CATALOG: Catalog = default_catalog()
# The published day-pack groups (§5): 5 MB for 5 yuan, and 3 MB for 5 yuan.
FIVE_MB = ("HK", "MO", "TW", "JP", "KR", "US", "RU", "SG", "TH", "ID", "MY", "PH", "AU")
THREE_MB = ("CA", "MX", "NZ", "GB", "FR", "DE", "IT", "ES")


def amounts(lines: tuple[EstimateLine, ...]) -> dict[str, str]:
    return {line.label: str(line.amount) for line in lines}


# ----------------------------------------------------------------------------- destinations


def test_every_required_destination_is_shipped_with_partner_networks_and_local_numbers() -> None:
    assert {*FIVE_MB, *THREE_MB} <= set(SHIPPED_COUNTRIES)
    for code in SHIPPED_COUNTRIES:
        d = destination(code)
        assert d.country == code
        assert code in COUNTRY_CODES
        assert d.name and d.name_zh and d.coverage and d.source
        assert d.operators and ANY_PARTNER not in d.operators
        assert d.local_service_numbers
        assert d.dialling.hotlines == (ROAMING_HOTLINE, GLOBAL_HOTLINE)
        assert "+86" in d.dialling.to_china


def test_japan_lists_its_partner_networks_and_emergency_numbers() -> None:
    jp = destination("JP")
    assert (jp.name, jp.name_zh) == ("Japan", "日本")
    assert {"NTT DOCOMO", "SoftBank"} <= set(jp.operators)
    numbers = dict(jp.local_service_numbers)
    assert numbers["Police"] == "110"
    assert numbers["Fire and ambulance"] == "119"
    assert "010 86 130 1234 5678" in jp.dialling.to_china  # Japan's international prefix
    assert "+81" in jp.dialling.local


def test_the_hotline_is_free_from_the_roaming_line_and_the_global_hotline_is_listed() -> None:
    hotlines = destination("FR").dialling.hotlines
    assert "+86 13010199999 (free from your roaming line)" in hotlines
    assert "+86 18618610010" in hotlines


def test_activation_says_prepaid_opens_automatically_and_postpaid_must_open_roaming() -> None:
    text = destination("US").activation
    assert "Prepaid" in text and "automatically" in text and "no deposit" in text
    assert "roaming-open" in text and "5-star" in text


def test_every_shipped_destination_is_rated_in_the_zone_the_catalog_names() -> None:
    for code in SHIPPED_COUNTRIES:
        info = destination_info(code, CATALOG)
        assert info.zone == CATALOG.zone_for(code)
        assert info.zone.id != "roam-rest", code  # every shipped country has a named zone


def test_the_zones_group_the_destinations_as_the_published_day_packs_do() -> None:
    assert {destination_info(c, CATALOG).day_pack_mb for c in FIVE_MB} == {5}
    assert {destination_info(c, CATALOG).day_pack_mb for c in THREE_MB} == {3}


def test_destination_info_carries_the_zone_rates_and_the_daily_cap() -> None:
    info = destination_info("jp", CATALOG)
    assert str(info.voice_local) == "2.86"
    assert str(info.voice_to_china) == "3.86"
    assert str(info.voice_receive) == "2.86"
    assert str(info.sms_to_china) == "1.86"
    assert info.sms_receive == Money(0)  # receiving messages abroad is free
    assert (str(info.day_pack_fee), info.day_pack_mb, info.day_pack_max) == ("5.00", 5, 16)
    assert str(info.daily_cap) == "80.00"  # 16 × 5


@pytest.mark.parametrize("code", ["CN-HK", " cn-hk ", "hk"])
def test_hong_kong_is_found_under_its_province_style_code(code: str) -> None:
    info = destination_info(code, CATALOG)
    assert info.destination.country == "HK"
    assert info.zone.id == "roam-hmt"


def test_a_country_without_a_shipped_entry_gets_the_generic_one_in_the_default_zone() -> None:
    br = destination_info("br", CATALOG)
    assert (br.destination.country, br.destination.name) == ("BR", "Brazil")
    assert br.destination.operators == (ANY_PARTNER,)
    assert br.zone.id == "roam-rest"
    xk = destination("XK")  # a valid code with no name in the table is named by itself
    assert xk.name == "XK"


@pytest.mark.parametrize("code", ["ZZ", "", "JPN", "12", "CN-ZZ"])
def test_a_code_that_is_not_a_country_is_rejected(code: str) -> None:
    with pytest.raises(InvalidValue, match="country code"):
        destination_info(code, CATALOG)


@pytest.mark.parametrize("code", ["CN", "cn", "CN-BJ", "cn-gd"])
def test_the_mainland_is_rejected_because_roaming_is_abroad_only(code: str) -> None:
    with pytest.raises(InvalidValue, match="mainland"):
        estimate_trip(code, TripUsage(days=1, local_minutes=1), CATALOG)


# ----------------------------------------------------------------------------- trip estimates


def test_three_days_in_japan_worked_out_by_hand() -> None:
    """Per day: 10 local min, 5 min to China, 2 SMS to China, 20 MB of data.

    Local calls        3 × 10 = 30 min × 2.86 = 85.80
    Calls to China     3 × 5  = 15 min × 3.86 = 57.90
    Messages to China  3 × 2  =  6 msg × 1.86 = 11.16
    Data               ⌈20 / 5⌉ = 4 packs a day × 3 days = 12 packs × 5.00 = 60.00
    Total              85.80 + 57.90 + 11.16 + 60.00 = 214.86
    """
    usage = TripUsage(days=3, local_minutes=10, to_china_minutes=5, sms=2, data_mb=20)
    est = estimate_trip("JP", usage, CATALOG)
    assert amounts(est.lines) == {
        "Local calls": "85.80",
        "Calls to China": "57.90",
        "Messages to China": "11.16",
        "Data day packs (5 MB each)": "60.00",
    }
    assert [(line.quantity, line.unit) for line in est.lines] == [
        (30, "min"),
        (15, "min"),
        (6, "msg"),
        (12, "day pack"),
    ]
    assert str(est.total) == "214.86"
    assert isinstance(est.total.amount, Decimal)
    assert (est.packs_per_day, str(est.daily_data_cost)) == (4, "20.00")
    assert est.data_mb_served_per_day == 20
    assert not est.capped_days
    assert any("rounded up to the whole minute" in w for w in est.warnings)
    assert not any("KTSJLL" in w for w in est.warnings)


def test_received_calls_cost_the_receiving_rate_and_received_messages_are_free() -> None:
    """Japan, 2 days: 7 min received a day → 14 × 2.86 = 40.04; 5 messages received: 0.00."""
    est = estimate_trip("JP", TripUsage(days=2, received_minutes=7, received_sms=5), CATALOG)
    assert amounts(est.lines) == {"Calls received": "40.04", "Messages received (free)": "0.00"}
    assert str(est.total) == "40.04"


def test_two_hundred_mb_a_day_in_europe_hits_the_daily_cap() -> None:
    """GB, 2 days, 200 MB a day: ⌈200 / 3⌉ = 67 packs wanted, 16 bought (16 × 5 = 80.00 a
    day), serving 16 × 3 = 48 MB; the other 152 MB are not served. 2 days: 160.00."""
    est = estimate_trip("GB", TripUsage(days=2, data_mb=200), CATALOG)
    assert est.zone.id == "roam-europe-americas"
    assert (est.packs_per_day, str(est.daily_data_cost)) == (16, "80.00")
    assert est.data_mb_served_per_day == 48
    assert est.capped_days
    assert str(est.total) == "160.00"
    (cap,) = [w for w in est.warnings if "daily cap" in w]
    assert "80.00 yuan (16 day packs × 5.00)" in cap
    assert "KTSJLL" in cap and "10010" in cap
    assert "48 MB of the 200 MB" in cap


def test_data_just_under_the_cap_is_not_capped() -> None:
    """GB, 45 MB a day: 15 packs = 75.00, all served; the 16th pack is never bought."""
    est = estimate_trip("GB", TripUsage(days=1, data_mb=45), CATALOG)
    assert (est.packs_per_day, str(est.total), est.capped_days) == (15, "75.00", False)


def test_a_trip_without_usage_costs_nothing_and_has_no_lines() -> None:
    est = estimate_trip("TH", TripUsage(days=5), CATALOG)
    assert (est.lines, est.total, est.warnings) == ((), Money(0), ())


@pytest.mark.parametrize(
    "fields",
    [
        {"days": 0},
        {"days": 1, "sms": -1},
        {"days": 1, "local_minutes": 1441},  # a day has 1,440 minutes
        {"days": 1, "data_mb": True},
        {"days": 1, "to_china_minutes": "5"},
    ],
)
def test_impossible_usage_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidValue):
        TripUsage(**fields)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- against rating

LOCAL_PEER = "0312345678"  # a local-looking number abroad
CHINA_PEER = "+8613012345678"


def trip_records(country: str, usage: TripUsage) -> list[UsageRecord]:
    """The usage an estimate expects, as the network would record it: each day at noon Beijing
    time, calls of whole minutes, messages one record each, data in two sessions of whole MB."""
    msisdn = "13012345678"
    records: list[UsageRecord] = []

    def add(
        service: Service,
        direction: Direction,
        when: datetime,
        peer: str = "",
        seconds: int = 0,
        nbytes: int = 0,
    ) -> None:
        rid = f"r{len(records):05d}"
        records.append(
            UsageRecord(rid, msisdn, service, direction, when, seconds, nbytes, peer, country)
        )

    first = datetime(2026, 10, 1, 12, tzinfo=SHANGHAI)
    for day in range(usage.days):
        noon = first + timedelta(days=day)
        if usage.local_minutes:
            add(
                Service.VOICE,
                Direction.OUT,
                noon,
                seconds=usage.local_minutes * 60,
                peer=LOCAL_PEER,
            )
        if usage.to_china_minutes:
            add(
                Service.VOICE,
                Direction.OUT,
                noon,
                seconds=usage.to_china_minutes * 60,
                peer=CHINA_PEER,
            )
        if usage.received_minutes:
            add(
                Service.VOICE,
                Direction.IN,
                noon,
                seconds=usage.received_minutes * 60,
                peer=CHINA_PEER,
            )
        for _ in range(usage.sms):
            add(Service.SMS, Direction.OUT, noon, peer=CHINA_PEER)
        for _ in range(usage.received_sms):
            add(Service.SMS, Direction.IN, noon, peer=CHINA_PEER)
        half = usage.data_mb // 2
        for size in (half, usage.data_mb - half):
            if size:
                add(Service.DATA, Direction.OUT, noon, nbytes=size * MB)
    return records


ROAMING = (LineCode.ROAMING_VOICE, LineCode.ROAMING_SMS, LineCode.ROAMING_DATA)


def trip_usages() -> st.SearchStrategy[TripUsage]:
    minutes = st.integers(0, 90)
    return st.builds(
        TripUsage,
        days=st.integers(1, 7),
        local_minutes=minutes,
        to_china_minutes=minutes,
        received_minutes=minutes,
        sms=st.integers(0, 6),
        received_sms=st.integers(0, 3),
        data_mb=st.integers(0, 120),
    )


@settings(max_examples=50)
@given(st.sampled_from([*SHIPPED_COUNTRIES, "BR", "VN"]), trip_usages())
def test_an_estimate_equals_what_rating_charges_for_the_same_usage_to_the_fen(
    country: str, usage: TripUsage
) -> None:
    est = estimate_trip(country, usage, CATALOG)
    rating = rate_usage(trip_records(country, usage), Terms.of(CATALOG.plan("3g-a-46")), CATALOG)
    by_code = {c.code: c.amount for c in rating.charges if c.code in ROAMING}
    assert total(by_code.values()) == est.total
    assert est.total == total(line.amount for line in est.lines)
    data = sum((ln.amount for ln in est.lines if ln.unit == "day pack"), Money(0))
    assert by_code.get(LineCode.ROAMING_DATA, Money(0)) == data
    served_kb = sum(r.units for r in rating.records if r.line is LineCode.ROAMING_DATA)
    assert served_kb == est.data_mb_served_per_day * 1024 * usage.days
