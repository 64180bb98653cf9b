"""JSON for every public value, through one private cattrs converter (kept out of the model).

Money and other Decimals become strings ("85.76": never a float), months "YYYY-MM", instants
ISO 8601 with their offset, dates ISO 8601, durations ISO 8601 in days and seconds
("P1DT7200S"). `to_json` / `from_json` round-trip exactly:
``from_json(to_json(x), type(x)) == x`` for every public value, which the tests check.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, get_origin

import cattrs

from unicom_cs.money import D, Money
from unicom_cs.period import Month, parse_instant

T = TypeVar("T")

_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_unstructure_hook(Decimal, lambda d: f"{d:f}")
_converter.register_structure_hook(Decimal, lambda v, _: D(v))
_converter.register_unstructure_hook(Money, lambda m: str(m))
_converter.register_structure_hook(Money, lambda v, _: Money(D(v)))
_converter.register_unstructure_hook(Month, str)
_converter.register_structure_hook(Month, lambda v, _: Month.parse(v))
_converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
_converter.register_structure_hook(datetime, lambda v, _: parse_instant(v))
_converter.register_unstructure_hook(date, lambda d: d.isoformat())
_converter.register_structure_hook(date, lambda v, _: date.fromisoformat(v))


def _duration(delta: timedelta) -> str:
    """ISO 8601 duration, days and seconds: ``P1DT7200S`` (exact, and parsed back)."""
    return f"P{delta.days}DT{delta.seconds + delta.microseconds / 1_000_000:g}S"


def _parse_duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like P1DT7200S")
    return timedelta(days=int(match[1]), seconds=float(match[2]))


_DURATION = re.compile(r"P(-?\d+)DT(\d+(?:\.\d+)?)S")
_converter.register_unstructure_hook(timedelta, _duration)
_converter.register_structure_hook(timedelta, lambda v, _: _parse_duration(v))


def _is_frozenset(t: Any) -> bool:
    return bool(t is frozenset or get_origin(t) is frozenset)


_converter.register_unstructure_hook_func(
    _is_frozenset, lambda s: sorted(_converter.unstructure(x) for x in s)
)


def unstructure(value: Any) -> Any:
    """Plain JSON-ready data (dicts, lists, strings, ints, bools, None) for a value."""
    return _converter.unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """The value of type `cls` that `unstructure` turned into `data`."""
    return _converter.structure(data, cls)


def to_json(value: Any, *, indent: int | None = None) -> str:
    return json.dumps(unstructure(value), ensure_ascii=False, indent=indent, sort_keys=False)


def from_json(text: str, cls: type[T]) -> T:
    return structure(json.loads(text), cls)
