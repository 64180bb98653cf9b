"""Numbers: mobile (MSISDN), fixed-line and broadband, checked against the numbering plan."""

from __future__ import annotations

import pytest
from hypothesis import given

from unicom_cs import testing
from unicom_cs.errors import InvalidValue, UnicomError
from unicom_cs.number import LineKind, canonical, is_unicom, mobile_info, normalize


@pytest.mark.parametrize(
    ("number", "carrier", "province"),
    [
        ("13112345678", "China Unicom", "CN-GD"),
        ("18612345678", "China Unicom", "CN-BJ"),
        ("13800138000", "China Mobile", "CN-BJ"),
    ],
)
def test_the_numbering_plan_gives_carrier_and_home_province(
    number: str, carrier: str, province: str
) -> None:
    info = mobile_info(number)
    assert info.carrier == carrier
    assert info.province == province


def test_a_nationwide_segment_has_no_home_province() -> None:
    # 166 numbers are assigned nationally, not per province
    info = mobile_info("16612345678")
    assert info.carrier == "China Unicom"
    assert info.province is None


@pytest.mark.parametrize(
    "typed",
    [
        "13112345678",
        "+8613112345678",
        "8613112345678",
        "131 1234 5678",
        "131-1234-5678",
        " (131) 1234 5678 ",
        "+86 131 1234 5678",
    ],
)
def test_a_mobile_number_typed_any_usual_way_normalises_to_11_digits(typed: str) -> None:
    assert normalize(typed) == "13112345678"
    assert canonical(typed) == "13112345678"


@pytest.mark.parametrize(
    "number",
    [
        "1311234567",
        "131123456789",
        "23112345678",
        "10010",
        "",
        "abcdefghijk",
        "+1 650 253 0000",
        "12012345678",
        "+8713112345678",
    ],
)
def test_a_number_that_is_not_a_chinese_mobile_is_invalid(number: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalize(number)
    assert isinstance(caught.value, UnicomError)
    assert "not a valid Chinese mobile number" in str(caught.value)


def test_china_unicom_is_told_from_other_operators() -> None:
    assert is_unicom("13112345678")
    assert is_unicom("18612345678")
    assert not is_unicom("13800138000")  # China Mobile
    assert not is_unicom("18912345678")  # China Telecom


@given(testing.msisdns())
def test_generated_numbers_are_valid_unicom_mobiles_in_canonical_form(msisdn: str) -> None:
    assert normalize(msisdn) == msisdn
    assert is_unicom(msisdn)
    assert normalize(f"+86 {msisdn[:3]} {msisdn[3:7]} {msisdn[7:]}") == msisdn


@pytest.mark.parametrize(
    ("typed", "canonical_form"),
    [
        ("010-62345678", "01062345678"),
        ("01062345678", "01062345678"),
        ("+86 10 6234 5678", None),  # without the trunk 0 it is not a fixed-line form we read
        ("020-87654321", "02087654321"),
        ("+86 020 8765 4321", "02087654321"),
    ],
)
def test_fixed_line_numbers_normalise_to_trunk_zero_area_code_and_number(
    typed: str, canonical_form: str | None
) -> None:
    if canonical_form is None:
        with pytest.raises(InvalidValue):
            normalize(typed, LineKind.FIXED)
    else:
        assert normalize(typed, LineKind.FIXED) == canonical_form


@pytest.mark.parametrize("number", ["13112345678", "62345678", "0106234", "abc"])
def test_a_mobile_or_short_number_is_not_a_fixed_line(number: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalize(number, LineKind.FIXED)
    assert caught.value.what == "fixed-line number"


@pytest.mark.parametrize(
    ("typed", "account"),
    [
        ("kd0108888", "KD0108888"),
        ("KD01062345678", "KD01062345678"),
        (" kd 010 8888 ", "KD0108888"),
    ],
)
def test_broadband_accounts_normalise_to_upper_case(typed: str, account: str) -> None:
    assert normalize(typed, LineKind.BROADBAND) == account


@pytest.mark.parametrize("number", ["0108888", "KDKDK0108888", "KD123", "KD-", ""])
def test_a_malformed_broadband_account_is_invalid(number: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalize(number, LineKind.BROADBAND)
    assert caught.value.what == "broadband account"


def test_canonical_tries_mobile_then_fixed_then_broadband() -> None:
    assert canonical("131 1234 5678") == "13112345678"
    assert canonical("010-62345678") == "01062345678"
    assert canonical("kd0108888") == "KD0108888"
    assert canonical("  no such thing  ") == "no such thing"
