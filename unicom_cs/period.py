"""Billing periods: calendar months in Beijing time, half-open `[start, end)`.

Unicom bills by natural month (自然月) in China Standard Time. A period is computed from its
month with `relativedelta(months=1)`, never by adding days, so periods tile the timeline with no
gap and no overlap. Instants in the core are timezone-aware; a naive time read from a file is
taken as Asia/Shanghai (`as_instant`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Final

import attrs
from dateutil import tz
from dateutil.relativedelta import relativedelta

from unicom_cs.errors import InvalidValue

_zone = tz.gettz("Asia/Shanghai")
assert _zone is not None, "the tz database has no Asia/Shanghai"
SHANGHAI: Final[tzinfo] = _zone

# China Standard Time as a fixed +08:00 offset: the same instants as Asia/Shanghai since China
# ended daylight saving in 1991, and fast. Used only to hand stored instants back; billing
# periods are always computed in SHANGHAI.
CST: Final[tzinfo] = timezone(timedelta(hours=8), "CST")

_MONTH = re.compile(r"^(\d{4})-(\d{2})\Z")


def as_instant(value: datetime) -> datetime:
    """A timezone-aware instant; a naive datetime is read as Beijing time."""
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


def in_cst(value: datetime) -> datetime:
    """The instant at China Standard Time's fixed +08:00 (a naive time is Beijing time): one
    spelling per instant, so that times written as text sort as they happened."""
    return as_instant(value).astimezone(CST)


def parse_instant(text: str) -> datetime:
    """Parse ISO 8601 (``2026-10-05T08:30:00``, with or without an offset).

    Raises:
        InvalidValue: text that is not an ISO 8601 date-time.
    """
    try:
        value = as_instant(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise InvalidValue("time", text, "expected ISO 8601 such as 2026-10-05T08:30:00") from None
    if not 1970 <= value.year <= 9000:
        raise InvalidValue("time", text, "outside the years 1970 to 9000")
    return value


@attrs.frozen(order=True)
class Month:
    """A billing period: one natural month in Beijing time."""

    year: int
    month: int = attrs.field()

    @month.validator
    def _check(self, _: attrs.Attribute[int], value: int) -> None:
        if not 1 <= value <= 12 or not 1 <= self.year <= 9998:
            raise InvalidValue("month", f"{self.year}-{value}", "not a calendar month")

    @classmethod
    def parse(cls, text: str) -> Month:
        """From ``YYYY-MM``."""
        m = _MONTH.match(text.strip())
        if not m:
            raise InvalidValue("month", text, "expected YYYY-MM")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, instant: datetime | date) -> Month:
        """The month an instant (read in Beijing time) or a calendar date falls in."""
        if isinstance(instant, datetime):
            instant = as_instant(instant).astimezone(SHANGHAI)
        return cls(instant.year, instant.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def start(self) -> datetime:
        """00:00 Beijing time on the 1st: the period's inclusive start."""
        return datetime(self.year, self.month, 1, tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """00:00 Beijing time on the 1st of the next month: the exclusive end."""
        end: datetime = self.start + relativedelta(months=1)
        return end

    def shift(self, months: int) -> Month:
        return Month.of(self.first_day + relativedelta(months=months))

    def next(self) -> Month:
        return self.shift(1)

    def previous(self) -> Month:
        return self.shift(-1)

    def contains(self, instant: datetime) -> bool:
        return self.start <= as_instant(instant) < self.end

    @property
    def key(self) -> int:
        """``YYYYMM`` as an integer: compact and ordered, for indexes."""
        return self.year * 100 + self.month

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(first: Month, last: Month) -> tuple[Month, ...]:
    """Every month from `first` to `last`, both included (empty when last < first)."""
    out: list[Month] = []
    m = first
    while m <= last:
        out.append(m)
        m = m.next()
    return tuple(out)
