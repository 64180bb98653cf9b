"""Money: the one door into Decimal, the named rounding rules, and allocation that sums exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import testing
from unicom_cs.errors import InvalidValue
from unicom_cs.money import D, Money, allocate, halve_fee, round_line, total


@pytest.mark.parametrize("value", [0.1, 1.0, float("nan"), True, False, None, [1]])
def test_d_refuses_floats_bools_and_other_types(value: object) -> None:
    with pytest.raises(InvalidValue):
        D(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["NaN", "nan", "sNaN", "Infinity", "-inf", "", "12,30", "¥1", "1.2.3"]
)
def test_d_refuses_text_that_is_not_a_finite_decimal(text: str) -> None:
    with pytest.raises(InvalidValue):
        D(text)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_d_refuses_non_finite_decimals(value: Decimal) -> None:
    with pytest.raises(InvalidValue):
        D(value)


def test_d_accepts_str_int_and_decimal_exactly() -> None:
    assert D(" 85.76 ") == Decimal("85.76")
    assert D(46) == Decimal(46)
    assert D(Decimal("0.0003")) == Decimal("0.0003")


def test_money_refuses_a_float_amount() -> None:
    with pytest.raises(InvalidValue):
        Money(85.76)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["85.76", "¥85.76", "￥85.76", "85.76 元", "85.76元", " ¥ 85.76 ", "85.760"]
)
def test_money_parse_reads_the_forms_a_customer_types(text: str) -> None:
    assert Money.parse(text) == Money("85.76")


@pytest.mark.parametrize("text", ["", "元", "¥", "eighty", "85.76 USD", "8 5"])
def test_money_parse_refuses_text_that_is_not_an_amount(text: str) -> None:
    with pytest.raises(InvalidValue):
        Money.parse(text)


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [
        ("3.0150", "3.02"),  # a tie rounds up
        ("3.0149", "3.01"),
        ("0.005", "0.01"),
        ("0.0049999", "0.00"),
        ("1841.3568", "1841.36"),
        ("46", "46.00"),
        # negative lines (credits, the data-fee cap) round half away from zero, the mirror image
        ("-0.005", "-0.01"),
        ("-0.0049", "0.00"),
        ("-1341.3568", "-1341.36"),
        ("-734.565", "-734.57"),
    ],
)
def test_round_line_rounds_half_up_to_the_fen(exact: str, rounded: str) -> None:
    assert round_line(Money(exact)).amount == Decimal(rounded)
    assert str(round_line(Money(exact))) == rounded  # a credit that rounds away is "0.00"


@given(testing.money("-10000", "10000", places=6))
def test_round_line_is_symmetric_so_a_line_and_its_negation_cancel(m: Money) -> None:
    assert round_line(-m) == -round_line(m)


@given(
    testing.money("0", "10000", places=6),
    testing.money("0", "10000", places=0),
    st.sampled_from([1, -1]),
)
def test_round_line_commutes_with_adding_whole_yuan_of_the_same_sign(
    m: Money, y: Money, sign: int
) -> None:
    # why the 500-yuan cap line and the data line it cuts always add up to exactly 500.00
    m, y = m.times(sign), y.times(sign)
    assert round_line(m + y) == round_line(m) + y


@pytest.mark.parametrize(
    ("fee", "half"),
    [("46", "23.00"), ("75", "37.50"), ("46.01", "23.00"), ("0.03", "0.01"), ("150", "75.00")],
)
def test_halve_fee_rounds_down_to_the_fen_in_the_customers_favour(fee: str, half: str) -> None:
    assert halve_fee(Money(fee)).amount == Decimal(half)


@given(testing.money("0", "10000"))
def test_halve_fee_never_charges_more_than_half(fee: Money) -> None:
    half = halve_fee(fee)
    assert half + half <= fee
    assert fee - (half + half) < Money("0.02")


@given(
    testing.money("-100000", "100000"),
    st.lists(st.integers(0, 1000), min_size=1, max_size=12).filter(lambda ws: sum(ws) > 0),
)
def test_allocate_parts_always_sum_to_the_whole(whole: Money, weights: list[int]) -> None:
    parts = allocate(whole, weights)
    assert len(parts) == len(weights)
    assert total(parts) == whole


@given(
    testing.money("-100000", "100000"),
    st.lists(st.integers(0, 1000), min_size=1, max_size=12).filter(lambda ws: sum(ws) > 0),
)
def test_allocate_gives_each_part_its_share_to_within_one_fen(
    whole: Money, weights: list[int]
) -> None:
    for part, w in zip(allocate(whole, weights), weights, strict=True):
        share = whole.amount * w / sum(weights)
        assert abs(part.amount - share) < Decimal("0.01")
        if w == 0:
            assert part.is_zero()


def test_allocate_gives_the_left_over_fen_to_the_largest_remainders_then_the_earliest() -> None:
    # 1.00 in three: 33 fen each and 1 fen left; all remainders tie, so the first part gets it
    assert allocate(Money("1.00"), [1, 1, 1]) == (Money("0.34"), Money("0.33"), Money("0.33"))
    # 0.10 by 1:2:2 → 2, 4, 4 fen exactly
    assert allocate(Money("0.10"), [1, 2, 2]) == (Money("0.02"), Money("0.04"), Money("0.04"))
    # 0.05 by 1:3 → 1.25 and 3.75 fen: floors 1 and 3, the 0.75 remainder takes the left-over fen
    assert allocate(Money("0.05"), [1, 3]) == (Money("0.01"), Money("0.04"))
    assert allocate(Money("-1.00"), [1, 1, 1]) == (Money("-0.34"), Money("-0.33"), Money("-0.33"))


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_allocate_refuses_weights_that_cannot_divide(weights: list[int]) -> None:
    with pytest.raises(InvalidValue):
        allocate(Money("1.00"), weights)


def test_allocate_refuses_a_part_fen_whole() -> None:
    with pytest.raises(InvalidValue):
        allocate(Money("1.005"), [1, 1])


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("85.76", "85.76"),
        ("46", "46.00"),
        ("0", "0.00"),
        ("-1341.36", "-1341.36"),
        ("1E+2", "100.00"),
        ("0.0003", "0.0003"),  # a rate keeps its precision
        ("3.0150", "3.015"),
        ("-0.5", "-0.50"),
        ("-0", "0.00"),  # never "-0.00" on a bill
        ("-0.000", "0.00"),
    ],
)
def test_money_prints_two_decimals_for_whole_fen_and_full_precision_otherwise(
    amount: str, text: str
) -> None:
    assert str(Money(amount)) == text


@given(testing.money())
def test_printed_money_parses_back_to_the_same_amount(m: Money) -> None:
    assert Money.parse(str(m)) == m
    assert Money.parse(f"¥{m}") == m


def test_money_arithmetic_is_exact() -> None:
    assert Money("0.1") + Money("0.2") == Money("0.3")
    assert Money("0.0003").times(6_137_856) == Money("1841.3568")
    assert Money("1").times(Decimal("0.5")) == Money("0.50")
    assert Money.fen(8576) == Money("85.76")
    assert Money("85.76").to_fen() == 8576
    with pytest.raises(InvalidValue):
        Money("0.001").to_fen()
    with pytest.raises(InvalidValue):
        Money("1").times(0.5)  # type: ignore[arg-type]
