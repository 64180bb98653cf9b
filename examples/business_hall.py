"""A web business hall session (网上营业厅) on an in-memory store: what a web front-end calls.

The customer logs in with the service password, reads this month's charges, changes package
from next month, opens caller display, and pays. The front-end brings `now` and the random
salt; the library reads no clock and draws no randomness.

    python examples/business_hall.py
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime

import attrs

from unicom_cs import BusinessHall, Money
from unicom_cs import service as svc
from unicom_cs.errors import AccessDenied
from unicom_cs.identity import SALT_BYTES
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.store.memory import MemoryStore


def main() -> None:
    store = MemoryStore()
    svc.init_store(store)
    svc.add_line(
        store,
        "18612345678",
        "4g-56",
        date(2026, 10, 1),
        name="Li Wei",
        password="135790",
        salt=secrets.token_bytes(SALT_BYTES),
    )
    hall = BusinessHall(store)
    now = datetime(2026, 11, 10, 9, 30, tzinfo=SHANGHAI)

    try:
        hall.bill("18612345678", "000000", now)
    except AccessDenied as e:
        print(f"login refused: {e}")

    bill = hall.bill("18612345678", "135790", now)
    print(f"{bill.month} so far: {bill.total} yuan ({len(bill.lines)} lines)")

    change = hall.change_package("18612345678", "135790", "4g-76", now, request_id="web-0001")
    print(f"{change.order_id} {change.state}: {change.summary}")
    again = hall.change_package("18612345678", "135790", "4g-76", now, request_id="web-0001")
    print(f"sent twice, one order: {again.order_id} (repeated={again.repeated})")

    opened = hall.change_service("18612345678", "135790", "caller-id", True, now, request_id="w2")
    print(f"{opened.order_id} {opened.state}: {opened.summary}")

    receipt = hall.pay("18612345678", Money.parse("100"), now)
    print(f"paid {receipt.amount}, balance {receipt.balance}")

    december = hall.bill("18612345678", "135790", datetime(2026, 12, 2, tzinfo=SHANGHAI))
    print(f"{december.month}: plan {december.plan}")
    november = hall.bill(
        "18612345678", "135790", datetime(2026, 12, 2, tzinfo=SHANGHAI), Month(2026, 11)
    )
    print(json.dumps(attrs.asdict(november), ensure_ascii=False))


if __name__ == "__main__":
    main()
