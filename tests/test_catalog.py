"""The tariff catalog: the bundled plans, and TOML files checked with every problem's key path."""

from __future__ import annotations

import pytest

from unicom_cs.catalog import (
    MB,
    Allowance,
    Catalog,
    DataBilling,
    DataPack,
    FirstMonth,
    Plan,
    RoamingZone,
    default_catalog,
    parse_catalog,
)
from unicom_cs.errors import CatalogError, NotFound
from unicom_cs.money import Money
from unicom_cs.number import LineKind

MOBILE_PLANS = [
    "3g-a-46",
    "3g-a-66",
    "4g-56",
    "4g-76",
    "4g-106",
    "4g-136",
    "4g-166",
    "4g-196",
    "4g-296",
    "4g-396",
    "4g-596",
    "3g-card-80",
    "3g-card-150",
    "3g-card-200",
    "3g-card-300",
]
PACKS = ["3g-pack-10", "3g-pack-20", "3g-pack-30"]
OTHER_PRODUCTS = {"fixed-basic": LineKind.FIXED, "bb-100m": LineKind.BROADBAND}


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return default_catalog()


def test_the_bundled_catalog_has_every_published_plan_pack_and_product(bundled: Catalog) -> None:
    for plan_id in MOBILE_PLANS:
        plan = bundled.plan(plan_id)
        assert plan.kind is LineKind.MOBILE
        assert plan.source.strip()
    for pack_id in PACKS:
        assert bundled.pack(pack_id).source.strip()
    for plan_id, kind in OTHER_PRODUCTS.items():
        assert bundled.plan(plan_id).kind is kind
        assert bundled.plan(plan_id).source.strip()
    for zone in bundled.roaming.values():
        assert zone.source.strip()


def test_every_entry_of_the_bundled_catalog_names_its_source(bundled: Catalog) -> None:
    entries: list[Plan | DataPack | RoamingZone] = [
        *bundled.plans.values(),
        *bundled.packs.values(),
        *bundled.roaming.values(),
    ]
    assert all(e.source.strip() for e in entries)


@pytest.mark.parametrize(
    ("plan_id", "fee", "voice", "data_mb"),
    [
        ("4g-56", "56", 100, 500),
        ("4g-76", "76", 200, 800),
        ("4g-106", "106", 300, 1024),
        ("4g-136", "136", 500, 1024),
        ("4g-166", "166", 500, 2048),
        ("4g-196", "196", 500, 3072),
        ("4g-296", "296", 1000, 4096),
        ("4g-396", "396", 2000, 6144),
        ("4g-596", "596", 3000, 11264),
    ],
)
def test_the_4g_tiers_match_the_published_table(
    bundled: Catalog, plan_id: str, fee: str, voice: int, data_mb: int
) -> None:
    plan = bundled.plan(plan_id)
    assert plan.monthly_fee == Money(fee)
    assert plan.allowance == Allowance(voice_minutes=voice, data_mb=data_mb)
    assert plan.voice_rate == Money("0.15") and plan.video_uses_voice_minutes
    assert plan.sms_rate == plan.mms_rate == Money("0.10")
    rule = plan.data
    assert rule is not None and rule.billing is DataBilling.MB_CUMULATIVE and rule.rollover
    # worry-free: 60 per GB, 0.30/MB for the first 200 MB of a part-GB, the rest free
    assert rule.overage_charge(1500) == Money("120.00")
    assert rule.overage_charge(100) == Money("30.00")


def test_the_3g_a_plans_match_the_published_table(bundled: Catalog) -> None:
    a46, a66 = bundled.plan("3g-a-46"), bundled.plan("3g-a-66")
    assert a46.monthly_fee == Money("46") and a66.monthly_fee == Money("66")
    assert a46.allowance == Allowance(50, 5, 0, 150)
    assert a66.allowance == Allowance(50, 10, 240, 300)
    assert (a46.voice_rate, a66.voice_rate) == (Money("0.25"), Money("0.20"))
    for plan in (a46, a66):
        assert plan.video_rate == Money("0.60") and plan.sms_rate == Money("0.10")
        assert not plan.video_uses_voice_minutes
        assert plan.first_month == (FirstMonth.FULL, FirstMonth.HALF, FirstMonth.PAY_PER_USE)
        rule = plan.data
        assert rule is not None and rule.billing is DataBilling.KB_PER_SESSION
        assert rule.rate == Money("0.0003")
        assert rule.fee_cap == Money("500") and rule.volume_cap_mb == 6 * 1024


def test_the_data_cards_upgrade_tier_by_tier_and_cut_off_at_15_gb(bundled: Catalog) -> None:
    chain = [
        ("3g-card-80", "80", 1),
        ("3g-card-150", "150", 3),
        ("3g-card-200", "200", 5),
        ("3g-card-300", "300", 10),
    ]
    for i, (plan_id, fee, gb) in enumerate(chain):
        plan = bundled.plan(plan_id)
        assert plan.monthly_fee == Money(fee)
        assert plan.allowance.data_mb == gb * 1024
        assert plan.half_month_from_day == 16
        assert plan.upgrade_to == (chain[i + 1][0] if i + 1 < len(chain) else None)
        assert plan.data is not None and plan.data.rate == Money("0.10")
        assert plan.data.volume_cap_mb == 15 * 1024


def test_the_data_packs_are_one_exclusive_group(bundled: Catalog) -> None:
    sizes = {p: (bundled.pack(p).fee, bundled.pack(p).data_mb) for p in PACKS}
    assert sizes == {
        "3g-pack-10": (Money("10"), 100),
        "3g-pack-20": (Money("20"), 300),
        "3g-pack-30": (Money("30"), 500),
    }
    assert {bundled.pack(p).group for p in PACKS} == {"3g-data-pack"}
    assert all(bundled.pack(p).carry_over for p in PACKS)


def test_roaming_zones_sell_5_or_3_mb_day_packs_up_to_16_a_day(bundled: Catalog) -> None:
    for country in ("HK", "MO", "TW", "JP", "KR", "US", "RU", "SG", "TH", "ID", "MY", "PH", "AU"):
        zone = bundled.zone_for(country)
        assert (zone.day_pack_fee, zone.day_pack_mb, zone.day_pack_max) == (Money("5"), 5, 16)
    for country in ("CA", "MX", "NZ", "GB", "FR", "DE", "IT", "ES", "BR"):
        zone = bundled.zone_for(country)
        assert (zone.day_pack_fee, zone.day_pack_mb, zone.day_pack_max) == (Money("5"), 3, 16)
    assert bundled.zone_for("BR").id == "roam-rest"  # no named zone: the default one


def test_service_numbers_are_free_at_home_and_only_the_hotlines_abroad(bundled: Catalog) -> None:
    assert {"10010", "10011", "10018", "13010199999"} <= bundled.free_numbers
    assert "13010199999" in bundled.roaming_free_numbers
    assert "10010" not in bundled.roaming_free_numbers


def test_looking_up_an_unknown_id_is_not_found(bundled: Catalog) -> None:
    with pytest.raises(NotFound):
        bundled.plan("4g-57")
    with pytest.raises(NotFound):
        bundled.pack("3g-pack-40")


# --------------------------------------------------------------------------- invalid files

GOOD_PLAN = """
[[plan]]
id = "my-plan"
name = "My plan"
monthly_fee = "30"
source = "test"
"""


def errors_of(text: str, base: Catalog | None = None) -> dict[str, str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "mine.toml", base)
    assert caught.value.source == "mine.toml"
    return {e.where: e.reason for e in caught.value.errors}


def test_a_good_minimal_plan_parses() -> None:
    catalog = parse_catalog(GOOD_PLAN)
    plan = catalog.plan("my-plan")
    assert plan.monthly_fee == Money("30.00")
    assert plan.kind is LineKind.MOBILE
    assert plan.first_month == (FirstMonth.FULL,)
    assert plan.data is None


def test_a_float_rate_is_refused_at_its_key_path() -> None:
    errors = errors_of(GOOD_PLAN + 'rates = { voice = 0.15, sms = "0.10" }\n')
    assert list(errors) == ["plan[0].rates.voice"]
    assert "not a float" in errors["plan[0].rates.voice"]


def test_a_float_monthly_fee_is_refused() -> None:
    text = GOOD_PLAN.replace('monthly_fee = "30"', "monthly_fee = 30.5")
    assert list(errors_of(text)) == ["plan[0].monthly_fee"]


def test_an_unknown_key_is_named_with_its_path() -> None:
    errors = errors_of(GOOD_PLAN + 'rates = { voice = "0.15", voise = "0.20" }\nfee = "1"\n')
    assert errors == {"plan[0].rates.voise": "unknown key", "plan[0].fee": "unknown key"}


def test_a_missing_required_key_is_named_with_its_path() -> None:
    text = GOOD_PLAN.replace('source = "test"\n', "")
    assert errors_of(text) == {"plan[0].source": "missing"}
    pack = '[[data_pack]]\nid = "p"\nname = "P"\nfee = "5"\nsource = "s"\n'
    assert errors_of(pack) == {"data_pack[0].data_mb": "missing"}


def test_an_upgrade_to_a_plan_that_does_not_exist_is_refused() -> None:
    errors = errors_of(GOOD_PLAN + 'upgrade_to = "4g-9999"\n')
    assert list(errors) == ["plan[0].upgrade_to"]
    assert "4g-9999" in errors["plan[0].upgrade_to"]


def test_an_upgrade_may_point_into_the_base_catalog() -> None:
    catalog = parse_catalog(GOOD_PLAN + 'upgrade_to = "4g-56"\n', base=default_catalog())
    assert catalog.plan("my-plan").upgrade_to == "4g-56"
    assert list(catalog.plans) == ["my-plan"]  # the result holds just the file's entries


def test_a_duplicate_id_is_refused_at_the_second_entry() -> None:
    errors = errors_of(GOOD_PLAN + GOOD_PLAN)
    assert list(errors) == ["plan[1].id"]
    assert "duplicate" in errors["plan[1].id"]


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = """
free_numbers = ["10010"]
colour = "red"

[[plan]]
id = "Bad Id"
name = "x"
kind = "satellite"
monthly_fee = "-1"
source = "s"
allowance = { voice_minutes = -5, data_mb = 1.5 }
data = { billing = "per-byte", rate = "0.1", block_units = 1024 }
first_month = ["half", "sometimes"]
half_month_from_day = 31

[[data_pack]]
id = "pk"
name = "Pack"
fee = 10.0
data_mb = 100
source = "s"
"""
    errors = errors_of(text)
    assert set(errors) == {
        "catalog.colour",
        "plan[0].id",
        "plan[0].kind",
        "plan[0].monthly_fee",
        "plan[0].allowance.voice_minutes",
        "plan[0].allowance.data_mb",
        "plan[0].data.billing",
        "plan[0].data",
        "plan[0].first_month",
        "plan[0].half_month_from_day",
        "data_pack[0].fee",
    }
    assert "negative" in errors["plan[0].monthly_fee"]
    assert "go together" in errors["plan[0].data"]


def test_text_that_is_not_toml_is_a_catalog_error() -> None:
    assert list(errors_of("[[plan]\nid = ")) == ["toml"]


def test_a_default_roaming_zone_must_exist() -> None:
    assert list(errors_of('default_roaming_zone = "roam-moon"\n')) == [
        "catalog.default_roaming_zone"
    ]


def test_the_error_message_lists_each_key_path() -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(GOOD_PLAN + "rates = { voice = 0.15 }\n", "mine.toml")
    assert str(caught.value).splitlines()[0] == "mine.toml: invalid catalog"
    assert "plan[0].rates.voice" in str(caught.value)


# --------------------------------------------------------------------------- every rule in TOML

EVERY_RULE = """
free_numbers = ["10010", "10011"]
roaming_free_numbers = ["13010199999"]
default_roaming_zone = "far"

[[plan]]  # §1: per-call minutes, KB per session, a 500-yuan data-fee cap, a 6 GB cut-off
id = "my-3g-a-46"
name = "3G A 46"
name_zh = "3G基本套餐A"
monthly_fee = "46"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §1"
allowance = { voice_minutes = 50, video_minutes = 5, sms = 0, data_mb = 150 }
rates = { voice = "0.25", video = "0.60", sms = "0.10", mms = "0.30" }
data = { billing = "kb-per-session", rate = "0.0003", fee_cap = "500", volume_cap_mb = 6144 }
incoming_free = true

[[plan]]  # §2: shared voice/video minutes, cumulative MB, worry-free blocks, rollover
id = "my-4g-56"
name = "4G 56"
monthly_fee = "56"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2"
allowance = { voice_minutes = 100, data_mb = 500 }

[plan.rates]  # tables of the plan above, for lines too long to write inline
voice = "0.15"
video = "0.15"
video_uses_voice_minutes = true
sms = "0.10"
mms = "0.10"

[plan.data]
billing = "mb-cumulative"
rate = "0.30"
block_units = 1024
block_fee = "60"
block_tail_units = 200
rollover = true

[[plan]]  # §3: data cards, half from the 16th, auto-upgrade, 15 GB cut-off
id = "my-card-80"
name = "Card 80"
monthly_fee = "80"
half_month_from_day = 16
upgrade_to = "my-card-150"
source = "tariff rules §3"
allowance = { data_mb = 1024 }
rates = { sms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.10", volume_cap_mb = 15360 }

[[plan]]
id = "my-card-150"
name = "Card 150"
monthly_fee = "150"
half_month_from_day = 16
source = "tariff rules §3"
allowance = { data_mb = 3072 }
data = { billing = "mb-cumulative", rate = "0.10", volume_cap_mb = 15360 }

[[plan]]
id = "my-fixed"
name = "Fixed line"
kind = "fixed"
monthly_fee = "20"
incoming_free = false
source = "illustrative"

[[data_pack]]  # §4: exclusive packs, carried over to the end of next month
id = "my-pack-30"
name = "30 yuan 500 MB"
fee = "30"
data_mb = 500
group = "my-packs"
carry_over = true
source = "tariff rules §4"

[[roaming_zone]]  # §5: per-minute rates, SMS to China, day packs up to 16 a day
id = "near"
name = "Japan"
countries = ["JP"]
voice_local = "0.86"
voice_receive = "1.86"
voice_to_china = "1.86"
sms_to_china = "0.86"
day_pack_fee = "5"
day_pack_mb = 5
day_pack_max = 16
source = "tariff rules §5"

[[roaming_zone]]
id = "far"
name = "Elsewhere"
countries = []
voice_local = "6.86"
voice_receive = "5.86"
voice_to_china = "25.86"
sms_to_china = "2.86"
day_pack_fee = "5"
day_pack_mb = 3
day_pack_max = 16
source = "tariff rules §5"
"""


def test_a_user_catalog_can_write_every_published_rule() -> None:
    catalog = parse_catalog(EVERY_RULE, "every-rule.toml")
    a46 = catalog.plan("my-3g-a-46")
    assert a46.data is not None
    assert a46.data.fee_cap == Money("500") and a46.data.volume_cap_mb == 6144
    assert a46.data.unit_bytes == 1024
    g56 = catalog.plan("my-4g-56")
    assert g56.data is not None and g56.data.rollover and g56.video_uses_voice_minutes
    assert g56.data.unit_bytes == MB
    assert g56.data.overage_charge(1500) == Money("120.00")
    card = catalog.plan("my-card-80")
    assert card.upgrade_to == "my-card-150" and card.half_month_from_day == 16
    assert catalog.plan("my-fixed").kind is LineKind.FIXED
    assert not catalog.plan("my-fixed").incoming_free
    assert catalog.pack("my-pack-30").group == "my-packs"
    assert catalog.zone_for("JP").id == "near"
    assert catalog.zone_for("PE").id == "far"
    assert catalog.free_numbers == frozenset({"10010", "10011"})
    assert catalog.roaming_free_numbers == frozenset({"13010199999"})


def test_a_user_catalog_merged_over_the_bundled_one_replaces_entries_by_id() -> None:
    base = default_catalog()
    mine = parse_catalog(GOOD_PLAN.replace("my-plan", "4g-56"), base=base)
    merged = base.merged(mine)
    assert merged.plan("4g-56").monthly_fee == Money("30")
    assert merged.plan("4g-76") == base.plan("4g-76")
    assert merged.free_numbers == base.free_numbers
