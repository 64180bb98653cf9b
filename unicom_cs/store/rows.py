"""How the database stores keep a usage record and an instant in columns: integer codes for
service and direction, epoch microseconds for times. PostgreSQL's usage table (and SQLite's up
to schema version 5) has these columns; SQLite's since version 6 packs them tighter, from
these rows (`store.sqlite`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, Final

from unicom_cs.period import CST
from unicom_cs.usage import Direction, Service, UsageRecord

#: The usage table's columns (PostgreSQL; SQLite to version 5), in the order of `usage_row`.
USAGE_COLUMNS: Final = "id, msisdn, start, service, direction, duration, bytes, peer, location"

_SERVICES: Final = tuple(Service)
_SERVICE_CODE: Final = {s: i for i, s in enumerate(_SERVICES)}
_DIRECTIONS: Final = tuple(Direction)
_DIRECTION_CODE: Final = {d: i for i, d in enumerate(_DIRECTIONS)}
#: A usage row's sort key for the (msisdn, start) index.
by_line_and_start: Final = itemgetter(1, 2)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_CST: Final = _EPOCH.astimezone(CST)


def micros(instant: datetime) -> int:
    """An instant as microseconds since 1970-01-01 UTC (exact integer arithmetic)."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def instant(value: int) -> datetime:
    """A stored instant, in China Standard Time (fixed +08:00: fast, and exact since 1991)."""
    return _EPOCH_CST + timedelta(microseconds=value)


def usage_row(r: UsageRecord) -> tuple[Any, ...]:
    return (
        r.id,
        r.msisdn,
        micros(r.start),
        _SERVICE_CODE[r.service],
        _DIRECTION_CODE[r.direction],
        r.duration_s,
        r.bytes,
        r.peer,
        r.location,
    )


def instant_at(seconds: int, microseconds: int) -> datetime:
    """A stored instant from its whole seconds and microseconds since the epoch, in CST."""
    return _EPOCH_CST + timedelta(seconds=seconds, microseconds=microseconds)


def coded_record(
    rid: str,
    msisdn: str,
    start: datetime,
    service: int,
    direction: int,
    duration: int,
    nbytes: int,
    peer: str,
    location: str,
) -> UsageRecord:
    """A record from its stored columns (service and direction as codes), its start decoded."""
    return UsageRecord(
        rid,
        msisdn,
        _SERVICES[service],
        _DIRECTIONS[direction],
        start,
        duration,
        nbytes,
        peer,
        location,
    )


def usage_record(row: tuple[Any, ...]) -> UsageRecord:
    """A record from a row of `USAGE_COLUMNS`."""
    rid, msisdn, start, service, direction, duration, nbytes, peer, location = row
    return coded_record(
        rid, msisdn, instant(start), service, direction, duration, nbytes, peer, location
    )
