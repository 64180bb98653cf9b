"""Money: exact yuan amounts over `Decimal`, with every rounding rule named.

The trade's rules (published-tariff-rules.md §9): rated amounts keep full precision; each bill
line is rounded half-up to the fen (0.01 yuan); halved monthly fees round down to the fen. Those
two rules are `round_line` and `halve_fee` here and nowhere else. Dividing money goes through
`allocate`, whose parts always add up to the whole. Floats are refused at every door.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Final

import attrs

from unicom_cs.errors import InvalidValue

CURRENCY: Final = "CNY"
FEN: Final = Decimal("0.01")

# Money arithmetic runs in this context: 34 significant digits are far more than any bill needs
# (catalog amounts have at most 6 decimals and 7 integer digits), and a result that would not
# be exact, or is not a number, is an error rather than a silent rounding or a NaN.
_CONTEXT: Final = decimal.Context(
    prec=34,
    rounding=ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Overflow],
)


def D(value: str | int | Decimal) -> Decimal:
    """The one door into Decimal: str, int or Decimal; never float.

    Raises:
        InvalidValue: a float, or text that is not a finite decimal number.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidValue("amount", value, "use str, int or Decimal, never float")
    try:
        result = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except decimal.InvalidOperation:
        raise InvalidValue("amount", value, "not a decimal number") from None
    if not result.is_finite():
        raise InvalidValue("amount", value, "not a finite number")
    return result


@attrs.frozen(order=True)
class Money:
    """An amount of yuan (CNY). Immutable; arithmetic returns new values, exactly."""

    amount: Decimal = attrs.field(converter=D)

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse a customer-typed amount such as "85.76", "85.76 元" or "¥85.76"."""
        cleaned = text.strip().removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
        return cls(D(cleaned))

    @classmethod
    def zero(cls) -> Money:
        return cls(Decimal(0))

    @classmethod
    def fen(cls, fen: int) -> Money:
        """From an integer number of fen (hundredths of a yuan)."""
        return cls(Decimal(fen).scaleb(-2))

    @classmethod
    def _exact(cls, amount: Decimal) -> Money:
        """A Money from a Decimal the arithmetic below produced: already checked, so the
        converter is skipped (rating adds and multiplies money for every record)."""
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        return money

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money._exact(_CONTEXT.add(self.amount, other.amount))

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money._exact(_CONTEXT.subtract(self.amount, other.amount))

    def __neg__(self) -> Money:
        return Money._exact(-self.amount)

    def times(self, factor: int | Decimal) -> Money:
        """Multiply by a count of units or an exact rate factor."""
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise InvalidValue("factor", factor, "use int or Decimal")
        if isinstance(factor, Decimal) and not factor.is_finite():
            raise InvalidValue("factor", factor, "not a finite number")
        return Money._exact(_CONTEXT.multiply(self.amount, factor))

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def to_fen(self) -> int:
        """Exact integer fen; the amount must already be a whole number of fen."""
        scaled = self.amount.scaleb(2)
        if scaled != scaled.to_integral_value():
            raise InvalidValue("amount", str(self.amount), "not a whole number of fen")
        return int(scaled)

    def __format__(self, spec: str) -> str:
        """Format specs apply to the printed amount: ``f"{m:>10}"``."""
        return format(str(self), spec)

    def __str__(self) -> str:
        """Two decimals for whole-fen amounts (bill lines); full precision otherwise (rates)."""
        amount = self.amount.copy_abs() if self.amount.is_zero() else self.amount  # no "-0.00"
        if amount == amount.quantize(FEN, rounding=ROUND_DOWN):
            return f"{amount.quantize(FEN):f}"
        return f"{amount.normalize():f}"


ZERO: Final = Money(Decimal(0))


def total(amounts: Iterable[Money]) -> Money:
    """The exact sum of some amounts (zero for none)."""
    result = Decimal(0)
    for m in amounts:
        result = _CONTEXT.add(result, m.amount)
    return Money._exact(result)


def lines_add_up(what: str) -> Callable[[Any, attrs.Attribute[Money], Money], None]:
    """An attrs validator for a `total` field: it must be the exact sum of the value's
    `lines`' amounts (a bill, a trip estimate). `what` names the value in the error."""

    def check(value: Any, _: attrs.Attribute[Money], stated: Money) -> None:
        expected = total(line.amount for line in value.lines)
        if stated != expected:
            raise InvalidValue(f"{what} total", str(stated), f"lines add up to {expected}")

    return check


def round_line(amount: Money) -> Money:
    """Rounding rule LINE: a bill line is rounded half-up to the fen (tariff rules §9)."""
    return Money(amount.amount.quantize(FEN, rounding=ROUND_HALF_UP))


def halve_fee(fee: Money) -> Money:
    """Rounding rule HALF-FEE: a halved monthly fee rounds down to the fen (customer's favour)."""
    return Money((fee.amount / 2).quantize(FEN, rounding=ROUND_DOWN))


def prorate_fee(fee: Money, days: int, days_in_month: int) -> Money:
    """Rounding rule PRORATE: a monthly fee for part of a month is fee × days ÷ days in the
    month, rounded down to the fen (the customer's favour, like HALF-FEE).

    Raises:
        InvalidValue: days outside 0 to `days_in_month`.
    """
    if not 0 <= days <= days_in_month or days_in_month <= 0:
        raise InvalidValue("days", days, f"expected 0 to {days_in_month}")
    return Money((fee.amount * 100 * days // days_in_month) / 100)


def allocate(whole: Money, weights: Sequence[int]) -> tuple[Money, ...]:
    """Split a whole-fen amount in proportion to integer weights; the parts sum to the whole.

    Largest-remainder method on fen: each part gets the floor of its share, and the fen left
    over go one each to the parts with the largest remainders (the earliest part on a tie).

    Raises:
        InvalidValue: no weights, a negative weight, all weights zero, or a part-fen whole.
    """
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise InvalidValue("weights", tuple(weights), "need one or more non-negative, not all 0")
    fen = whole.to_fen()
    sign = -1 if fen < 0 else 1
    fen = abs(fen)
    weight_sum = sum(weights)
    floors = [fen * w // weight_sum for w in weights]
    remainders = [fen * w % weight_sum for w in weights]
    left = fen - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return tuple(Money.fen(sign * f) for f in floors)
