"""Identity: the service password (服务密码) and the holder's identity document.

The password is kept only as a salted hash from a real key-derivation function (scrypt, RFC
7914, from `hashlib`); the salt comes from the caller (the core draws no randomness), so a
front-end passes `secrets.token_bytes(SALT_BYTES)`. Verification compares in constant time.
After `MAX_FAILURES` wrong passwords in a row the password is locked for `LOCK_TIME`.

The identity document is a PRC resident identity card number (GB 11643-1999: 17 digits and an
ISO 7064 MOD 11-2 check character). It is stored masked (`mask_id`): the counter checks the
document the customer shows against the masked form on record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
from datetime import datetime, timedelta
from typing import Final

import attrs

from unicom_cs.errors import Conflict, InvalidValue
from unicom_cs.subscriber import Subscriber

SALT_BYTES: Final = 16
#: scrypt cost: n = 2**14, r = 8, p = 1 (16 MiB, tens of milliseconds): the parameters
#: recommended for interactive logins, stored with each hash so they can be raised later.
SCRYPT_N: Final = 2**14
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
MAX_FAILURES: Final = 5
LOCK_TIME: Final = timedelta(hours=24)

_PASSWORD = re.compile(r"^[0-9]{6}\Z")
_RESIDENT_ID = re.compile(r"^[1-9][0-9]{16}[0-9X]\Z")
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"


def check_password_rules(password: str) -> None:
    """A service password is six digits, not all the same and not a run (123456, 654321).

    Raises:
        InvalidValue: naming the rule it breaks (the password itself is not repeated).
    """
    if not _PASSWORD.fullmatch(password):
        raise InvalidValue("service password", "******", "must be exactly six digits")
    steps = {int(b) - int(a) for a, b in itertools.pairwise(password)}
    if steps in ({0}, {1}, {-1}):
        raise InvalidValue("service password", "******", "too simple (repeated or in a run)")


def hash_password(password: str, salt: bytes, *, n: int = SCRYPT_N) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64), for `Subscriber.password`.

    Raises:
        InvalidValue: a password that breaks the rules, or a salt shorter than 16 bytes.
    """
    check_password_rules(password)
    if len(salt) < SALT_BYTES:
        raise InvalidValue("salt", len(salt), f"needs at least {SALT_BYTES} random bytes")
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


@attrs.frozen
class PasswordCheck:
    """The outcome of a password check: the line with its failure count updated, and why the
    check failed ("" when it passed)."""

    line: Subscriber
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def check_password(line: Subscriber, password: str | None, now: datetime) -> PasswordCheck:
    """Check the service password given for `line` at `now`.

    A success resets the failure count; a failure adds one, and the `MAX_FAILURES`th in a row
    locks the password until `now + LOCK_TIME`. The caller keeps the returned line either way
    (a failed attempt must count).
    """
    if not line.password:
        return PasswordCheck(line, "no service password is set: set one at a counter")
    if line.locked_until is not None and now < line.locked_until:
        until = line.locked_until.isoformat(timespec="minutes")
        return PasswordCheck(line, f"the service password is locked until {until}")
    if password is None:  # nothing was tried: nothing counts
        return PasswordCheck(line, "the service password is needed")
    if password_matches(password, line.password):
        return PasswordCheck(attrs.evolve(line, password_failures=0, locked_until=None))
    failures = line.password_failures + 1
    if failures >= MAX_FAILURES:
        locked = attrs.evolve(line, password_failures=0, locked_until=now + LOCK_TIME)
        until = locked.locked_until.isoformat(timespec="minutes") if locked.locked_until else ""
        return PasswordCheck(
            locked, f"wrong service password {MAX_FAILURES} times: locked until {until}"
        )
    left = MAX_FAILURES - failures
    tries = "1 try" if left == 1 else f"{left} tries"
    return PasswordCheck(
        attrs.evolve(line, password_failures=failures), f"wrong service password ({tries} left)"
    )


def check_resident_id(number: str) -> str:
    """The resident identity number, upper-cased and checked (length, digits, check character).

    Raises:
        InvalidValue: not 18 characters of the right form, or a wrong check character.
    """
    text = number.strip().upper()
    if not _RESIDENT_ID.fullmatch(text):
        raise InvalidValue("identity document", mask_id(text), "expected 17 digits and 0-9 or X")
    check = _ID_CHECK[sum(int(c) * w for c, w in zip(text, _ID_WEIGHTS, strict=False)) % 11]
    if text[-1] != check:
        raise InvalidValue("identity document", mask_id(text), "check character does not match")
    return text


def mask_id(number: str) -> str:
    """The form kept on record: region code and last four, the birth date starred out."""
    text = number.strip().upper()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def verify_id(line: Subscriber, document: str | None) -> str:
    """Check the document shown at a counter against the line's record.

    Returns:
        The masked document (to record when the line had none on record).

    Raises:
        InvalidValue: no document, or a malformed one.
        Conflict: it does not match the holder on record.
    """
    if not document:
        raise InvalidValue("identity document", "", "a counter order needs the holder's document")
    masked = mask_id(check_resident_id(document))
    if line.holder_id and masked != line.holder_id:
        raise Conflict("line", line.msisdn, "the document shown is not the holder's on record")
    return masked
