"""Deterministic demo data: a few customers and a realistic month of usage, from a seed.

Used by `ucs demo`, the examples and the benchmarks. The mix per line and month follows what an
operator sees on an ordinary smartphone line: about 150 calls, 60 messages and 300 data sessions,
a few of them abroad. Pure: the same seed, month and lines always give the same records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import attrs

from unicom_cs.account import PaymentMode
from unicom_cs.catalog import FirstMonth
from unicom_cs.period import Month
from unicom_cs.usage import Direction, Service, UsageRecord


@attrs.frozen
class DemoLine:
    number: str
    plan_id: str
    activated: date
    mode: PaymentMode = PaymentMode.POSTPAID
    first_month: FirstMonth | None = None
    name: str = ""
    account_id: str | None = None
    usage: bool = True  # fixed and broadband lines get no mobile usage


def demo_lines(month: Month) -> tuple[DemoLine, ...]:
    """Demo customers whose lines were activated on the 1st of `month` (billed in full)."""
    before = month.first_day
    return (
        DemoLine("18612345678", "4g-76", before, name="Li Wei", account_id="ACC-LIWEI"),
        DemoLine(
            "01062345678", "fixed-basic", before, name="Li Wei", account_id="ACC-LIWEI", usage=False
        ),
        DemoLine(
            "KD01062345678", "bb-100m", before, name="Li Wei", account_id="ACC-LIWEI", usage=False
        ),
        DemoLine("13012345678", "3g-a-46", before, name="Wang Fang"),
        DemoLine("15512345678", "4g-56", before, PaymentMode.PREPAID, name="Zhang Min"),
        DemoLine("18512345678", "3g-card-80", before, name="Chen Jie"),
    )


_PEERS = ("13800138000", "13912345678", "18911112222", "13112345678", "18688886666", "10010")
_ABROAD = ("JP", "HK", "US", "GB")


def demo_usage(
    msisdn: str,
    month: Month,
    seed: int = 10010,
    *,
    calls: int = 150,
    messages: int = 60,
    sessions: int = 300,
    abroad_share: float = 0.03,
    until: datetime | None = None,
) -> Iterator[UsageRecord]:
    """A month of records for one line, ids ``{msisdn}-{YYYYMM}-{n}``, in time order.

    Args:
        until: stop before this instant (for a month still in progress).
    """
    rng = random.Random(f"{seed}:{msisdn}:{month}")
    span = int((month.end - month.start).total_seconds())
    events: list[tuple[int, Service]] = []
    events += [
        (rng.randrange(span), rng.choice((Service.VOICE,) * 19 + (Service.VIDEO,)))
        for _ in range(calls)
    ]
    events += [
        (rng.randrange(span), rng.choice((Service.SMS,) * 9 + (Service.MMS,)))
        for _ in range(messages)
    ]
    events += [(rng.randrange(span), Service.DATA) for _ in range(sessions)]
    events.sort()
    trip_start = rng.randrange(span)
    trip = (trip_start, trip_start + int(span * abroad_share))
    country = rng.choice(_ABROAD)
    for n, (offset, service) in enumerate(events, 1):
        start = month.start + timedelta(seconds=offset)
        if until is not None and start >= until:
            return
        location = country if trip[0] <= offset < trip[1] else "CN-BJ"
        direction = Direction.IN if rng.random() < 0.45 else Direction.OUT
        duration = 0
        nbytes = 0
        peer = rng.choice(_PEERS)
        if service in (Service.VOICE, Service.VIDEO):
            duration = int(rng.expovariate(1 / 150))
        elif service is Service.DATA:
            direction = Direction.OUT
            peer = ""
            nbytes = int(rng.lognormvariate(14.2, 1.6))
        yield UsageRecord(
            f"{msisdn}-{month.key}-{n}",
            msisdn,
            service,
            direction,
            start,
            duration,
            nbytes,
            peer,
            location,
        )
