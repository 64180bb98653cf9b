"""The customer club (10018): who is rated, the score arithmetic, levels, privileges, quotas.

Worked examples use the bundled rules (`DEFAULT_CLUB_RULES_TOML`): spend score 1 under 50 yuan,
2 from 50, 3 from 100, 4 from 200, 5 from 300, 6 from 500; age score 1.0 under 12 months, 1.2
from 12, 1.5 from 36, 2.0 from 60; levels from 1 (一星), 2 (二星), 3 (三星), 4.5 (四星),
6 (忠诚), 7.5 (贵宾), 9 (五星).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unicom_cs import club
from unicom_cs.club import (
    DEFAULT_CLUB_RULES_TOML,
    ClubStanding,
    StarLevel,
    check_special_request,
    club_standing,
    default_club_rules,
    fast_lane,
    parse_club_rules,
)
from unicom_cs.errors import CatalogError, Conflict, InvalidValue, NotFound
from unicom_cs.money import Money
from unicom_cs.number import LineKind
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.subscriber import LineStatus, StatusChange, Subscriber

RULES = default_club_rules()


def line(
    activated: date,
    kind: LineKind = LineKind.MOBILE,
    statuses: tuple[StatusChange, ...] = (),
) -> Subscriber:
    return Subscriber(
        msisdn="18612345678",
        plan_id="plan",
        activated=activated,
        account_id="ACC-1",
        kind=kind,
        statuses=statuses,
    )


def bills(first: Month, last: Month, amount: str) -> dict[Month, Money]:
    """The same issued total every month from `first` to `last`."""
    out = {}
    month = first
    while month <= last:
        out[month] = Money(amount)
        month = month.next()
    return out


def standing(
    sub: Subscriber,
    totals: Mapping[Month, Money],
    now: str,
    *,
    data_only: bool = False,
) -> ClubStanding:
    return club_standing(sub, totals, data_only, Month.parse(now), RULES)


# ------------------------------------------------------------------ levels and the bundled rules


def test_the_levels_rise_in_the_order_the_club_publishes_them_high_to_low() -> None:
    high_to_low = sorted(StarLevel, reverse=True)
    assert [level.zh for level in high_to_low] == [
        "五星",
        "贵宾",
        "忠诚",
        "四星",
        "三星",
        "二星",
        "一星",
    ]
    assert StarLevel.ONE < StarLevel.TWO < StarLevel.FOUR < StarLevel.LOYAL < StarLevel.FIVE
    assert str(StarLevel.VIP) == "贵宾 (VIP)"


def test_the_bundled_rules_parse_and_every_rated_line_is_at_least_one_star() -> None:
    assert parse_club_rules(DEFAULT_CLUB_RULES_TOML) == RULES
    least = RULES.spend_bands[0].score * RULES.age_bands[0].score
    assert RULES.level_for(least) is StarLevel.ONE


def test_one_star_has_the_published_privileges_and_five_star_adds_reconnection_and_roaming() -> (
    None
):
    one = {p.code for p in RULES.privileges_of(StarLevel.ONE)}
    five = {p.code for p in RULES.privileges_of(StarLevel.FIVE)}
    assert one == {"priority-queue", "birthday-sms", "broadband-repair"}
    assert {"emergency-reconnection", "roaming-no-deposit", "dedicated-agent"} <= five
    assert one < five
    assert RULES.privilege("emergency-reconnection").special


# ------------------------------------------------------------------ worked examples


def test_156_yuan_a_month_for_40_months_scores_3_times_1_5_which_is_four_star() -> None:
    # Activated 2022-01; reviewed 2025-05: tenure is Jan 2022 .. Apr 2025 = 40 months (age 1.5).
    # Window 2024-05 .. 2025-04, 12 bills of 156 yuan: average 156, from 100 → spend 3.
    # Score 3 × 1.5 = 4.5, the least of 四星.
    sub = line(date(2022, 1, 20))
    s = standing(sub, bills(Month(2021, 1), Month(2025, 6), "156.00"), "2025-05")
    assert s.tenure_months == 40
    assert s.window == (Month(2024, 5), Month(2025, 4))
    assert s.billed_months == 12
    assert s.average_spend == Money("156.00")
    assert (s.spend_score, s.age_score, s.score) == (Decimal(3), Decimal("1.5"), Decimal("4.5"))
    assert s.level is StarLevel.FOUR
    assert s.reason == ""
    assert s.next_review == Month(2025, 6)
    assert fast_lane(s.level)


def test_a_young_line_is_averaged_over_its_billed_months_only() -> None:
    # Activated 2025-03, reviewed 2025-10: window 2024-10 .. 2025-09, billed from 2025-03, so
    # 7 months: 5 at 40 yuan and 2 at 120 → 440 / 7 = 62.857… ≥ 50 → spend 2.
    # Tenure Mar .. Sep = 7 months → age 1.0. Score 2 × 1.0 = 2: 二星.
    sub = line(date(2025, 3, 31))
    totals = {
        **bills(Month(2024, 10), Month(2025, 7), "40"),  # months before activation: ignored
        **bills(Month(2025, 8), Month(2025, 9), "120"),
    }
    s = standing(sub, totals, "2025-10")
    assert s.window == (Month(2025, 3), Month(2025, 9))
    assert s.billed_months == 7
    assert s.average_spend == Money("62.86")
    assert (s.spend_score, s.age_score, s.score) == (Decimal(2), Decimal("1.0"), Decimal("2.0"))
    assert s.level is StarLevel.TWO


def test_an_average_of_exactly_a_band_bound_takes_the_higher_band_and_a_fen_less_does_not() -> None:
    sub = line(date(2020, 1, 1))  # 64 months in 2025-05: age 2.0
    exactly = standing(sub, bills(Month(2024, 5), Month(2025, 4), "300.00"), "2025-05")
    assert (exactly.spend_score, exactly.score, exactly.level) == (
        Decimal(5),
        Decimal("10.0"),
        StarLevel.FIVE,
    )
    # Eleven months at 300 and one at 299.99: the average is 299.99916…, under 300 → spend 4.
    totals = bills(Month(2024, 5), Month(2025, 4), "300.00")
    totals[Month(2025, 4)] = Money("299.99")
    under = standing(sub, totals, "2025-05")
    assert under.average_spend == Money("300.00")  # displayed rounded to the fen…
    assert (under.spend_score, under.score, under.level) == (  # …but banded exactly
        Decimal(4),
        Decimal("8.0"),
        StarLevel.VIP,
    )


def test_520_yuan_for_36_months_is_five_star_with_its_special_services() -> None:
    # 520 ≥ 500 → spend 6; 36 months → age 1.5; 6 × 1.5 = 9 = the least of 五星.
    sub = line(date(2022, 5, 1))
    s = standing(sub, bills(Month(2022, 5), Month(2025, 4), "520"), "2025-05")
    assert s.tenure_months == 36
    assert (s.score, s.level) == (Decimal("9.0"), StarLevel.FIVE)
    assert "emergency-reconnection" in {p.code for p in s.privileges}


# ------------------------------------------------------------------ who is rated


@pytest.mark.parametrize(
    ("activated", "last_unrated", "first_rated"),
    [
        (date(2025, 3, 1), "2025-08", "2025-09"),
        (date(2025, 3, 31), "2025-08", "2025-09"),  # the day in the month does not matter
        (date(2024, 12, 15), "2025-05", "2025-06"),  # across the new year
    ],
)
def test_a_line_is_rated_from_its_7th_natural_month_counting_the_activation_month_as_1(
    activated: date, last_unrated: str, first_rated: str
) -> None:
    sub = line(activated)
    totals = bills(Month.of(activated), Month(2026, 1), "80")
    before = standing(sub, totals, last_unrated)
    assert before.level is None
    assert before.reason == f"rated from {first_rated}"
    assert before.next_review == Month.parse(first_rated)
    assert before.privileges == ()
    assert not fast_lane(before.level)
    after = standing(sub, totals, first_rated)
    assert after.level is StarLevel.TWO  # 80 → spend 2, 6 months → age 1.0
    assert after.tenure_months == 6
    assert after.billed_months == 6
    assert club.first_rated_month(sub) == Month.parse(first_rated)


def test_a_line_reviewed_before_it_was_activated_is_not_rated() -> None:
    s = standing(line(date(2025, 3, 1)), {}, "2024-12")
    assert (s.level, s.reason, s.tenure_months) == (None, "rated from 2025-09", 0)


def test_data_only_lines_are_not_rated() -> None:
    sub = line(date(2020, 1, 1))
    s = standing(sub, bills(Month(2020, 1), Month(2025, 4), "600"), "2025-05", data_only=True)
    assert (s.level, s.reason, s.next_review) == (None, "data-only line", None)


@pytest.mark.parametrize("kind", [LineKind.FIXED, LineKind.BROADBAND])
def test_fixed_and_broadband_lines_are_not_rated(kind: LineKind) -> None:
    sub = line(date(2020, 1, 1), kind=kind)
    s = standing(sub, bills(Month(2020, 1), Month(2025, 4), "600"), "2025-05")
    assert s.level is None
    assert s.reason == f"{kind.value} line: the club rates mobile lines"
    assert s.next_review is None


def test_a_line_closed_before_or_during_the_month_of_review_is_not_rated() -> None:
    closed = (StatusChange(datetime(2025, 5, 10, 9, tzinfo=SHANGHAI), LineStatus.CLOSED),)
    sub = line(date(2020, 1, 1), statuses=closed)
    totals = bills(Month(2020, 1), Month(2025, 5), "600")
    assert standing(sub, totals, "2025-05").reason == "line closed"
    assert standing(sub, totals, "2025-07").reason == "line closed"
    assert standing(sub, totals, "2025-04").level is StarLevel.FIVE  # still open then


def test_a_suspended_line_is_not_rated_but_a_loss_reported_one_is() -> None:
    at = datetime(2025, 4, 3, tzinfo=SHANGHAI)
    totals = bills(Month(2020, 1), Month(2025, 4), "600")
    suspended = line(date(2020, 1, 1), statuses=(StatusChange(at, LineStatus.SUSPENDED),))
    s = standing(suspended, totals, "2025-05")
    assert (s.level, s.reason) == (None, "line suspended at the start of 2025-05")
    lost = line(date(2020, 1, 1), statuses=(StatusChange(at, LineStatus.LOST),))
    assert standing(lost, totals, "2025-05").level is StarLevel.FIVE


def test_a_line_without_an_issued_bill_in_the_window_is_not_rated_yet() -> None:
    s = standing(line(date(2020, 1, 1)), {}, "2025-05")
    assert (s.level, s.reason) == (None, "no issued bill in 2024-05 to 2025-04")
    assert s.next_review == Month(2025, 6)


# ------------------------------------------------------------------ properties

activations = st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 6, 30))
amounts = st.integers(min_value=0, max_value=90_000).map(Money.fen)
REVIEW = Month(2026, 1)


def window_totals() -> st.SearchStrategy[dict[Month, Money]]:
    months = [REVIEW.shift(-i) for i in range(1, 13)]
    return st.lists(amounts, min_size=12, max_size=12).map(
        lambda xs: dict(zip(months, xs, strict=True))
    )


@settings(max_examples=40)
@given(activations, window_totals(), st.data())
def test_the_level_never_falls_when_every_month_s_spend_rises(
    activated: date, totals: dict[Month, Money], data: st.DataObject
) -> None:
    sub = line(activated)
    rises = data.draw(st.lists(amounts, min_size=len(totals), max_size=len(totals)))
    more = {m: t + extra for (m, t), extra in zip(totals.items(), rises, strict=True)}
    low = club_standing(sub, totals, False, REVIEW, RULES)
    high = club_standing(sub, more, False, REVIEW, RULES)
    assert low.level is not None
    assert high.level is not None
    assert high.score >= low.score
    assert high.level >= low.level
    assert {p.code for p in low.privileges} <= {p.code for p in high.privileges}


@settings(max_examples=40)
@given(activations, activations, window_totals())
def test_the_level_never_falls_with_more_tenure_on_the_same_bills(
    a: date, b: date, totals: dict[Month, Money]
) -> None:
    older, younger = line(min(a, b)), line(max(a, b))
    # The same issued bills for both: only the younger line's months are billed.
    billed = {m: t for m, t in totals.items() if m >= younger.first_billed_month}
    young = club_standing(younger, billed, False, REVIEW, RULES)
    old = club_standing(older, billed, False, REVIEW, RULES)
    assert old.tenure_months >= young.tenure_months
    if young.level is None:
        return
    assert old.level is not None
    assert old.spend_score == young.spend_score
    assert old.level >= young.level


@settings(max_examples=60)
@given(activations, window_totals())
def test_the_score_is_exactly_spend_score_times_age_score_and_picks_the_highest_level_reached(
    activated: date, totals: dict[Month, Money]
) -> None:
    s = club_standing(line(activated), totals, False, REVIEW, RULES)
    assert s.level is not None
    assert s.score == s.spend_score * s.age_score
    assert s.spend_score in {b.score for b in RULES.spend_bands}
    assert s.age_score == RULES.age_score(s.tenure_months)
    reached = [r.level for r in RULES.levels if r.min_score <= s.score]
    assert s.level == max(reached)
    assert s.privileges == RULES.privileges_of(s.level)
    assert s.window is not None
    assert s.window[0] == max(Month.of(activated), REVIEW.shift(-12))
    assert s.window[1] == REVIEW.previous()


# ------------------------------------------------------------------ special services


def rated(level: StarLevel) -> ClubStanding:
    s = standing(line(date(2020, 1, 1)), bills(Month(2020, 1), Month(2025, 4), "600"), "2025-05")
    return attrs.evolve(s, level=level, privileges=RULES.privileges_of(level))


def test_a_special_service_may_be_requested_until_the_year_s_quota_is_used() -> None:
    five = rated(StarLevel.FIVE)
    for used in range(3):
        check_special_request(five, "emergency-reconnection", used, RULES)
    with pytest.raises(Conflict, match="quota used up: 3 of 3 this year"):
        check_special_request(five, "emergency-reconnection", 3, RULES)


def test_a_level_inherits_the_quota_of_the_level_below_when_it_states_none() -> None:
    assert RULES.quota(StarLevel.LOYAL, "card-delivery") == 2  # stated by 四星
    check_special_request(rated(StarLevel.LOYAL), "card-delivery", 1, RULES)
    with pytest.raises(Conflict, match="2 of 2"):
        check_special_request(rated(StarLevel.LOYAL), "card-delivery", 2, RULES)


def test_a_level_without_the_service_is_refused_and_told_the_level_it_needs() -> None:
    with pytest.raises(Conflict, match=r"needs 忠诚 \(Loyal\) or above; the line is 四星") as e:
        check_special_request(rated(StarLevel.FOUR), "airport-lounge", 0, RULES)
    assert e.value.key == "18612345678"


def test_an_unrated_line_may_request_no_special_service() -> None:
    young = standing(line(date(2025, 3, 1)), {}, "2025-05")
    with pytest.raises(Conflict, match=r"not rated in the club \(rated from 2025-09\)"):
        check_special_request(young, "card-delivery", 0, RULES)


def test_an_unknown_or_ordinary_privilege_is_not_a_special_request() -> None:
    five = rated(StarLevel.FIVE)
    with pytest.raises(NotFound, match="unknown club privilege 'spa-day'"):
        check_special_request(five, "spa-day", 0, RULES)
    with pytest.raises(InvalidValue, match="not a service one requests"):
        check_special_request(five, "birthday-sms", 0, RULES)
    with pytest.raises(InvalidValue, match="times used this year"):
        check_special_request(five, "airport-lounge", -1, RULES)


def test_the_fast_lane_threshold_comes_from_the_rules() -> None:
    assert not fast_lane(None)
    assert all(fast_lane(level) for level in StarLevel)
    stricter = DEFAULT_CLUB_RULES_TOML.replace(
        'fast_lane_from = "one-star"', 'fast_lane_from = "four-star"'
    )
    rules = parse_club_rules(stricter)
    assert [fast_lane(level, rules) for level in StarLevel] == [
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]


# ------------------------------------------------------------------ parse errors


def errors_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as e:
        parse_club_rules(text, "club.toml")
    assert e.value.source == "club.toml"
    assert e.value.kind == "club rules"
    return [str(r) for r in e.value.errors]


def wheres(text: str) -> list[str]:
    return [e.split(":")[0] for e in errors_of(text)]


def edit(old: str, new: str) -> str:
    assert old in DEFAULT_CLUB_RULES_TOML
    return DEFAULT_CLUB_RULES_TOML.replace(old, new, 1)


def test_a_float_score_is_refused_and_named_by_its_key() -> None:
    errs = errors_of(
        edit('{ from_months = 12, score = "1.2" }', "{ from_months = 12, score = 1.2 }")
    )
    assert errs == ['age_score[1].score: 1.2 is a float: write it as a string, "1.2"']


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('min_score = "4.5"', 'min_score = "2.5"', "levels.four-star.min_score"),  # < 三星's 3
        ('min_score = "4.5"', 'min_score = "lots"', "levels.four-star.min_score"),
        ('{ from = "0", score = "1" }', '{ from = "10", score = "1" }', "spend_score[0].from"),
        ('{ from = "200", score = "4" }', '{ from = "200", score = "2" }', "spend_score[3].score"),
        ('{ from = "300", score = "5" }', '{ from = "150", score = "5" }', "spend_score[4].from"),
        ("{ from_months = 36,", '{ from_months = "36",', "age_score[2].from_months"),
        ('adds = ["hall-priority"]', 'adds = ["hall-priorty"]', "levels.two-star.adds"),
        ('adds = ["hall-vip-room"]', 'adds = ["card-delivery"]', "levels.vip.adds"),  # twice
        ("quota = { card-delivery = 1 }", "", "levels.three-star.quota.card-delivery"),
        (
            "quota = { card-delivery = 2 }",
            "quota = { card-delivery = 0 }",
            "levels.four-star.quota.card-delivery",
        ),
        (
            "quota = { airport-lounge = 2 }",
            "quota = { birthday-sms = 2, airport-lounge = 2 }",
            "levels.loyal.quota.birthday-sms",
        ),
        ('fast_lane_from = "one-star"', 'fast_lane_from = "six-star"', "fast_lane_from"),
        ("window_months = 12", "window_months = 0", "window_months"),
        ("[levels.vip]", "[levels.gold]", "levels.gold"),
        ('zh = "专席客服"', 'zn = "专席客服"', "privileges.dedicated-agent.zn"),
        ("special = true", 'special = "yes"', "privileges.card-delivery.special"),
        ("window_months = 12", "window_months = 12\nwindow = 3", "window"),
    ],
)
def test_a_bad_rule_is_named_by_its_key_path(old: str, new: str, where: str) -> None:
    assert where in wheres(edit(old, new))


def test_a_missing_level_is_named() -> None:
    text = edit('[levels.vip]             # 贵宾\nmin_score = "7.5"\n', "")
    text = text.replace('adds = ["hall-vip-room"]\nquota = { airport-lounge = 4 }\n', "")
    assert wheres(text) == ["levels.vip"]


def test_text_that_is_not_toml_is_one_error() -> None:
    assert wheres("levels = [") == ["toml"]
