"""Edge cases of the rating rules found in review, each worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unicom_cs.billing import compose_bill
from unicom_cs.catalog import MB, default_catalog, parse_catalog
from unicom_cs.errors import CatalogError
from unicom_cs.money import Money
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.rating import LineCode
from unicom_cs.subscriber import new_subscriber
from unicom_cs.usage import Direction, Service, UsageRecord

CATALOG = default_catalog()
OCT = Month(2026, 10)


def data(rid: str, msisdn: str, when: datetime, mb: int, location: str) -> UsageRecord:
    return UsageRecord(
        rid, msisdn, Service.DATA, Direction.OUT, when, bytes=mb * MB, location=location
    )


def amounts(bill_lines: object) -> dict[str, str]:
    return {line.code.value: str(line.amount) for line in bill_lines}  # type: ignore[attr-defined]


def test_roaming_charges_do_not_push_a_data_card_to_the_next_tier() -> None:
    # 3g-card-80 joined 1 October: full month. 16 day packs in Japan on one day = 80.00 of
    # roaming; no domestic overage. "Monthly fee plus overage" is 80.00 < 150: no upgrade.
    card = new_subscriber("18512340016", "3g-card-80", date(2026, 10, 1), CATALOG)
    when = datetime(2026, 10, 5, 9, tzinfo=SHANGHAI)
    bill, _ = compose_bill(card, OCT, [data("j1", card.msisdn, when, 80, "JP")], CATALOG)
    assert bill.plan_id == "3g-card-80"
    assert amounts(bill.lines) == {"monthly-fee": "80.00", "roaming-data": "80.00"}
    assert bill.total == Money("160.00")


def test_the_daily_limit_of_sixteen_packs_holds_across_zones() -> None:
    # 50 MB in Japan (5 MB packs: 10 packs), then 30 MB in Britain the same Beijing day
    # (3 MB packs): only 6 packs are left, 18 MB served; 16 packs × 5 = 80.00, then data is off.
    line = new_subscriber("18612345678", "4g-56", date(2026, 9, 1), CATALOG)
    morning = datetime(2026, 10, 5, 9, tzinfo=SHANGHAI)
    evening = datetime(2026, 10, 5, 20, tzinfo=SHANGHAI)
    records = [data("j", line.msisdn, morning, 50, "JP"), data("g", line.msisdn, evening, 30, "GB")]
    bill, rated = compose_bill(line, OCT, records, CATALOG)
    assert amounts(bill.lines)["roaming-data"] == "80.00"
    by_id = {r.record.id: r for r in rated}
    assert by_id["j"].units == 50 * 1024 and by_id["j"].charge == Money(50)
    assert by_id["g"].units == 18 * 1024 and by_id["g"].charge == Money(30)
    # the next day the limit starts again
    next_day = datetime(2026, 10, 6, 9, tzinfo=SHANGHAI)
    bill2, _ = compose_bill(
        line, OCT, [*records, data("n", line.msisdn, next_day, 1, "GB")], CATALOG
    )
    assert amounts(bill2.lines)["roaming-data"] == "85.00"


def test_hong_kong_written_as_a_province_is_international_roaming() -> None:
    from unicom_cs.usage import check_location

    assert check_location("CN-HK") == "HK"
    line = new_subscriber("18612345678", "4g-56", date(2026, 9, 1), CATALOG)
    when = datetime(2026, 10, 5, 9, tzinfo=SHANGHAI)
    bill, _ = compose_bill(
        line, OCT, [data("h", line.msisdn, when, 1, check_location("cn-hk"))], CATALOG
    )
    assert LineCode.ROAMING_DATA in {line.code for line in bill.lines}


@pytest.mark.parametrize(
    ("target", "reason"),
    [("loop", "not more than"), ("cheap", "not more than")],
)
def test_an_upgrade_must_go_to_a_dearer_plan(target: str, reason: str) -> None:
    text = f"""
[[plan]]
id = "loop"
name = "Loops to itself"
monthly_fee = "50"
source = "test"
upgrade_to = "{target}"

[[plan]]
id = "cheap"
name = "Cheaper"
monthly_fee = "30"
source = "test"
"""
    with pytest.raises(CatalogError) as e:
        parse_catalog(text)
    assert any(err.where == "plan[0].upgrade_to" and reason in err.reason for err in e.value.errors)


def test_a_country_belongs_to_one_zone_and_a_later_file_can_move_it() -> None:
    zone = """
[[roaming_zone]]
id = "{id}"
name = "Z"
countries = {countries}
voice_local = "1"
voice_to_china = "1"
voice_receive = "1"
sms_to_china = "1"
day_pack_fee = "5"
day_pack_mb = 5
day_pack_max = 16
source = "test"
"""
    twice = zone.format(id="a", countries='["JP"]') + zone.format(id="b", countries='["JP", "XK"]')
    with pytest.raises(CatalogError) as e:
        parse_catalog(twice)
    reasons = " ".join(err.reason for err in e.value.errors)
    assert "JP is already in a" in reasons
    mine = parse_catalog(zone.format(id="japan", countries='["JP"]'), base=CATALOG)
    merged = CATALOG.merged(mine)
    assert merged.zone_for("JP").id == "japan"
    assert "JP" not in merged.roaming["roam-asia-pacific-us"].countries


def test_fixed_line_calls_are_rated_at_the_fixed_line_rate() -> None:
    # fixed-basic: rent 20.00, calls 0.10/min; a 125 s call is 3 minutes: 0.30
    fixed = new_subscriber("010-6234 5678", "fixed-basic", date(2026, 9, 1), CATALOG)
    call = UsageRecord(
        "f1",
        fixed.msisdn,
        Service.VOICE,
        Direction.OUT,
        datetime(2026, 10, 5, 9, tzinfo=SHANGHAI),
        125,
        peer="13800138000",
    )
    bill, _ = compose_bill(fixed, OCT, [call], CATALOG)
    assert amounts(bill.lines) == {"monthly-fee": "20.00", "voice": "0.30"}


@settings(max_examples=60)
@given(
    plan=st.sampled_from(["3g-card-80", "3g-card-150", "3g-card-200"]),
    joined=st.integers(1, 28),
    sessions=st.lists(st.integers(0, 3000), min_size=1, max_size=8),
    messages=st.integers(0, 300),
)
def test_an_auto_upgrade_never_raises_a_data_card_bill(
    plan: str, joined: int, sessions: list[int], messages: int
) -> None:
    # Compare with the same month billed on the chosen tier, upgrades switched off.
    card = new_subscriber("18512340016", plan, date(2026, 10, joined), CATALOG)
    when = datetime(2026, 10, 28, 9, tzinfo=SHANGHAI)
    records = [data(f"d{i}", card.msisdn, when, mb, "CN-BJ") for i, mb in enumerate(sessions)]
    records += [
        UsageRecord(f"s{i}", card.msisdn, Service.SMS, Direction.OUT, when, peer="13800138000")
        for i in range(messages)
    ]
    no_upgrades = attrs.evolve(
        CATALOG,
        plans={k: attrs.evolve(p, upgrade_to=None) for k, p in CATALOG.plans.items()},
    )
    upgraded, _ = compose_bill(card, OCT, records, CATALOG)
    stayed, _ = compose_bill(card, OCT, records, no_upgrades)
    assert upgraded.total <= stayed.total
