"""Rate usage and compose a bill from plain Python objects: no store, no CLI, no clock.

This is how a front-end (an agent desktop, a web business hall, an IVR) embeds the core: it
brings its own data and `now`, and gets values back.

    python examples/pure_embedding.py
"""

from __future__ import annotations

from datetime import date, datetime

from unicom_cs import (
    SHANGHAI,
    Direction,
    Month,
    Service,
    UsageRecord,
    compose_bill,
    default_catalog,
    explain,
    new_subscriber,
)
from unicom_cs.serialization import to_json


def main() -> None:
    catalog = default_catalog()
    line = new_subscriber("18612345678", "4g-56", date(2026, 9, 1), catalog)
    october = Month(2026, 10)

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 10, day, hour, tzinfo=SHANGHAI)

    voice, data, out, inc = Service.VOICE, Service.DATA, Direction.OUT, Direction.IN
    peer = "13800138000"
    records = [
        # 100 included minutes; a 5,999 s call is 100 minutes, the 61 s call 2 more: 2 over
        UsageRecord("r1", line.msisdn, voice, out, at(2, 9), 5999, peer=peer),
        UsageRecord("r2", line.msisdn, voice, out, at(3, 9), 61, peer=peer),
        UsageRecord("r3", line.msisdn, voice, inc, at(3, 10), 600, peer=peer),
        # 1,600 MB of data: September's unused 500 MB carry in, plus October's 500 MB
        UsageRecord("r4", line.msisdn, data, out, at(5, 20), bytes=1600 * 2**20),
    ]
    bill, rated = compose_bill(line, october, records, catalog, carry_in_bytes=500 * 2**20)

    for text in explain(bill):
        print(text)
    for r in rated:
        print(f"  {r.record.id}: {r.units} {r.unit} -> {r.charge} ({r.note})")
    print(to_json(bill)[:120], "...")


if __name__ == "__main__":
    main()
