"""Identity: the service password (scrypt hash, rules, lock) and the resident identity number.

Hashes in the property tests use a tiny scrypt cost (`testing.TEST_SCRYPT_N`): the scheme is the
same, and a check costs microseconds instead of the real cost's ~50 ms.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import testing
from unicom_cs.errors import Conflict, InvalidValue
from unicom_cs.identity import (
    LOCK_TIME,
    MAX_FAILURES,
    SCRYPT_N,
    check_password,
    check_password_rules,
    check_resident_id,
    hash_password,
    mask_id,
    password_matches,
    verify_id,
)
from unicom_cs.period import SHANGHAI
from unicom_cs.subscriber import Subscriber

N = testing.TEST_SCRYPT_N
SALT = bytes(range(16))
NOW = datetime(2026, 10, 5, 9, 30, tzinfo=SHANGHAI)
LINE = Subscriber("13012345678", "4g-56", date(2026, 1, 5), "ACC-13012345678")
# GB 11643-1999's own example, and one with the check character 0-9
STANDARD_ID = "11010519491231002X"
OTHER_ID = "440524188001010014"


def with_password(password: str, **changes: Any) -> Subscriber:
    return attrs.evolve(LINE, password=hash_password(password, SALT, n=N), **changes)


# ------------------------------------------------------------------ the password hash


@given(testing.service_passwords(), testing.salts())
def test_a_hashed_password_verifies_and_keeps_no_trace_of_the_password(
    password: str, salt: bytes
) -> None:
    stored = hash_password(password, salt, n=N)
    assert password_matches(password, stored)
    assert password not in stored
    scheme, n, r, p, salt64, digest64 = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(N), "8", "1")
    assert base64.b64decode(salt64) == salt
    # a real scrypt (RFC 7914) digest of the password under that salt, not some other hash
    expected = hashlib.scrypt(password.encode(), salt=salt, n=N, r=8, p=1, dklen=32)
    assert base64.b64decode(digest64) == expected


@given(testing.service_passwords(), testing.service_passwords(), testing.salts())
def test_only_the_password_itself_verifies(password: str, other: str, salt: bytes) -> None:
    stored = hash_password(password, salt, n=N)
    assert password_matches(other, stored) is (other == password)


@given(testing.service_passwords(), testing.salts(), testing.salts())
def test_the_salt_makes_each_hash_different(password: str, salt: bytes, other: bytes) -> None:
    a, b = hash_password(password, salt, n=N), hash_password(password, other, n=N)
    assert (a == b) is (salt == other)
    assert password_matches(password, a) and password_matches(password, b)


def test_the_default_cost_is_the_interactive_login_recommendation() -> None:
    stored = hash_password("135790", SALT)
    assert stored.startswith(f"scrypt${2**14}$8$1$") and SCRYPT_N == 2**14
    assert password_matches("135790", stored)
    assert not password_matches("135791", stored)


def test_a_longer_salt_is_accepted_and_a_short_one_refused() -> None:
    assert password_matches("135790", hash_password("135790", SALT * 2, n=N))
    with pytest.raises(InvalidValue, match="16 random bytes"):
        hash_password("135790", SALT[:15], n=N)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-135790",
        "md5$16$8$1$AAAA$AAAA",
        "scrypt$16$8$1$not base64!$AAAA",
        "scrypt$x$8$1$AAAA$AAAA",
        "scrypt$16$8$1$AAAA",
        "scrypt$16$8$1$AAECAwQFBgcICQoLDA0ODw==$AAAA$extra",
    ],
)
def test_a_malformed_stored_hash_never_matches_and_never_raises(stored: str) -> None:
    assert password_matches("135790", stored) is False


# ------------------------------------------------------------------ the password rules


def simple(password: str) -> bool:
    """The rule as the 10010 guide states it: one digit repeated, or six digits in a row."""
    runs = {"012345", "123456", "234567", "345678", "456789"}
    return len(set(password)) == 1 or password in runs or password[::-1] in runs


@given(st.integers(0, 999_999).map(lambda n: f"{n:06d}"))
def test_six_digits_are_accepted_unless_repeated_or_a_run(password: str) -> None:
    if simple(password):
        with pytest.raises(InvalidValue, match="too simple"):
            check_password_rules(password)
    else:
        check_password_rules(password)


@pytest.mark.parametrize(
    "password", ["000000", "888888", "123456", "654321", "012345", "987654", "456789"]
)
def test_simple_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidValue, match="too simple") as e:
        check_password_rules(password)
    assert password not in str(e.value)  # the password is never repeated back


@pytest.mark.parametrize(
    "password", ["", "13579", "1357902", "13579a", " 135790", "１３５７９０", "135 790", "135790\n"]
)
def test_anything_but_six_ascii_digits_is_refused(password: str) -> None:
    with pytest.raises(InvalidValue, match="exactly six digits") as e:
        check_password_rules(password)
    assert e.value.value == "******"


@pytest.mark.parametrize("password", ["135790", "112233", "123457", "024680", "000001"])
def test_ordinary_passwords_pass_the_rules(password: str) -> None:
    check_password_rules(password)


def test_a_password_that_breaks_the_rules_is_not_hashed() -> None:
    with pytest.raises(InvalidValue, match="too simple"):
        hash_password("123456", SALT, n=N)


@given(testing.service_passwords())
def test_the_shipped_passwords_all_pass_the_rules(password: str) -> None:
    check_password_rules(password)
    assert not simple(password)


# ------------------------------------------------------------------ checking a password


def test_no_password_set_is_refused_and_not_counted() -> None:
    check = check_password(LINE, "135790", NOW)
    assert not check.ok and "no service password is set" in check.problem
    assert check.line == LINE


def test_the_right_password_passes_and_clears_earlier_failures() -> None:
    line = with_password("135790", password_failures=3)
    check = check_password(line, "135790", NOW)
    assert check.ok and check.problem == ""
    assert check.line.password_failures == 0 and check.line.locked_until is None


def test_a_wrong_password_counts_as_a_failure() -> None:
    line = with_password("135790")
    check = check_password(line, "246801", NOW)
    assert not check.ok and f"({MAX_FAILURES - 1} tries left)" in check.problem
    assert check.line == attrs.evolve(line, password_failures=1)


def test_no_password_given_is_refused_but_not_counted() -> None:
    line = with_password("135790", password_failures=2)
    check = check_password(line, None, NOW)
    assert not check.ok and "password is needed" in check.problem
    assert check.line == line


@given(st.lists(st.booleans(), max_size=12))
def test_the_fifth_wrong_password_in_a_row_locks_for_a_day(attempts: list[bool]) -> None:
    """A model of the lock: right resets the count; the 5th wrong in a row locks for 24 h;
    while locked even the right password is refused and nothing is counted."""
    line = with_password("135790")
    now = NOW
    failures, locked_until = 0, None
    for right in attempts:
        now += timedelta(minutes=1)
        check = check_password(line, "135790" if right else "246801", now)
        if locked_until is not None and now < locked_until:
            assert not check.ok and "locked until" in check.problem
            assert check.line == line
        elif right:  # (a missing password, never drawn here, would count nothing)
            assert check.ok
            failures, locked_until = 0, None
        else:
            assert not check.ok
            failures += 1
            if failures == MAX_FAILURES:
                failures, locked_until = 0, now + LOCK_TIME
                assert f"{MAX_FAILURES} times" in check.problem
        line = check.line
        assert (line.password_failures, line.locked_until) == (failures, locked_until)


def test_the_lock_lifts_after_lock_time() -> None:
    line = with_password("135790")
    for _ in range(MAX_FAILURES):
        line = check_password(line, "246801", NOW).line
    assert line.locked_until == NOW + LOCK_TIME == NOW + timedelta(hours=24)
    assert not check_password(line, "135790", NOW + LOCK_TIME - timedelta(seconds=1)).ok
    check = check_password(line, "135790", NOW + LOCK_TIME)
    assert check.ok and check.line.locked_until is None


# ------------------------------------------------------------------ the resident identity number


@pytest.mark.parametrize("number", [STANDARD_ID, OTHER_ID])
def test_published_examples_pass_the_check(number: str) -> None:
    assert check_resident_id(number) == number


def test_a_lower_case_x_and_spaces_around_are_accepted_and_normalised() -> None:
    assert check_resident_id(" 11010519491231002x ") == STANDARD_ID


@given(testing.resident_ids())
def test_every_shipped_number_passes_the_check(number: str) -> None:
    assert check_resident_id(number) == number


@given(testing.resident_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught_by_the_check_character(
    number: str, position: int, change: int
) -> None:
    """ISO 7064 MOD 11-2 catches every single-digit substitution."""
    digit = (int(number[position]) + change) % 10
    if position == 0 and digit == 0:
        digit = 1 if number[0] != "1" else 2
    typo = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(InvalidValue, match="check character") as e:
        check_resident_id(typo)
    assert typo not in str(e.value)  # the full number is never repeated back


@given(testing.resident_ids(), st.sampled_from("0123456789X"))
def test_exactly_one_check_character_fits(number: str, check: str) -> None:
    candidate = number[:17] + check
    if check == number[17]:
        assert check_resident_id(candidate) == number
    else:
        with pytest.raises(InvalidValue, match="check character"):
            check_resident_id(candidate)


@pytest.mark.parametrize(
    "number",
    ["", "1101051949123100", "11010519491231002XX", "01010519491231002X", "1101051949123100X2"],
)
def test_a_malformed_number_is_refused(number: str) -> None:
    with pytest.raises(InvalidValue, match="17 digits"):
        check_resident_id(number)


def test_the_mask_keeps_the_region_and_the_last_four_only() -> None:
    assert mask_id(STANDARD_ID) == "110105********002X"
    assert mask_id("11010519491231002x") == "110105********002X"
    assert mask_id("1234567890") == "**********"
    assert mask_id("") == ""


@given(testing.resident_ids())
def test_the_mask_never_shows_the_birth_date(number: str) -> None:
    masked = mask_id(number)
    assert len(masked) == 18
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert masked[6:14] == "*" * 8
    assert mask_id(masked) == masked


def test_a_counter_checks_the_document_against_the_masked_record() -> None:
    with pytest.raises(InvalidValue, match="needs the holder's document"):
        verify_id(LINE, None)
    with pytest.raises(InvalidValue, match="check character"):
        verify_id(LINE, STANDARD_ID[:17] + "1")
    # no holder on record: any valid document, returned masked to be recorded
    assert verify_id(LINE, STANDARD_ID) == mask_id(STANDARD_ID)
    held = attrs.evolve(LINE, holder_id=mask_id(STANDARD_ID))
    assert verify_id(held, STANDARD_ID.lower()) == held.holder_id
    with pytest.raises(Conflict, match="not the holder's"):
        verify_id(held, OTHER_ID)
