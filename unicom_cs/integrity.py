"""`ucs store check`: the store agrees with itself, recomputed from its sources.

Everything the library keeps that could be derived is derived again and compared:

- every issued bill is composed again from the line, its usage, its adjustments, the catalog
  and the carry from the month before, and must equal the stored bill exactly (every line, to
  the fen, and the total);
- every bill is posted to its account's ledger once, as a debit of its total, and every bill
  posting names a stored bill;
- every payment or recharge posting has its `PaymentReceived` event and the other way round;
  every credit posting names a ticket, and a ticket's credits add up to what it says it
  credited. A balance is the sum of its ledger, so a ledger whose every posting is reproduced
  from its source reproduces the balance;
- every line's account, every usage record's line, every order's and ticket's line exist;
  every adjustment falls in a month its line is billed for; every account's version counts
  its ledger postings.

It reads only through the `Store` port, so it runs on every adapter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import attrs

from unicom_cs.account import EntryKind, LedgerEntry
from unicom_cs.billing import Bill, compose_month
from unicom_cs.catalog import Catalog
from unicom_cs.events import PaymentReceived
from unicom_cs.money import Money, total
from unicom_cs.ports import Store


@attrs.frozen
class Problem:
    """One disagreement: what it concerns and how it disagrees."""

    subject: str
    reason: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.reason}"


@attrs.frozen
class CheckReport:
    bills: int
    entries: int
    usage: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_store(store: Store, catalog: Catalog) -> CheckReport:
    """Check the whole store (read in one consistent view that does not hold writers back)."""
    with store.reading():
        counts: dict[str, int] = defaultdict(int)
        problems = list(_check(store, catalog, counts))
    return CheckReport(counts["bills"], counts["entries"], counts["usage"], tuple(problems))


def _check(store: Store, catalog: Catalog, counts: dict[str, int]) -> Iterator[Problem]:
    accounts = {a.id for a in store.accounts()}
    lines = {s.msisdn: s for s in store.subscribers()}
    for sub in lines.values():
        if sub.account_id not in accounts:
            yield Problem(f"line {sub.msisdn}", f"its account {sub.account_id} does not exist")
    for rec in store.all_usage():
        counts["usage"] += 1
        if rec.msisdn not in lines:
            yield Problem(f"usage {rec.id}", f"its number {rec.msisdn} is not a line")

    entries = list(store.all_entries())
    counts["entries"] = len(entries)
    postings: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in entries:
        if e.account_id not in accounts:
            yield Problem(f"ledger entry {e.id}", f"its account {e.account_id} does not exist")
        if e.kind is EntryKind.BILL:
            postings[e.ref].append(e)

    bill_ids = set()
    for bill in store.all_bills():
        counts["bills"] += 1
        bill_ids.add(bill.id)
        line = lines.get(bill.msisdn)
        if line is None:
            yield Problem(f"bill {bill.id}", f"its number {bill.msisdn} is not a line")
            continue
        before = store.get_bill(bill.msisdn, bill.month.previous())
        composed = compose_month(
            line,
            bill.month,
            store.usage(line.msisdn, bill.month.start, bill.month.end),
            catalog,
            carry_in_bytes=before.carry_out_bytes if before is not None else 0,
            adjustments=store.adjustments(line.msisdn, bill.month),
        ).bill
        again = attrs.evolve(composed, issued_at=bill.issued_at)
        if again != bill:
            yield Problem(f"bill {bill.id}", _difference(bill, again))
        posted = postings.get(bill.id, [])
        if [(p.amount, p.account_id) for p in posted] != [(-bill.total, bill.account_id)]:
            amounts = ", ".join(f"{p.amount} to {p.account_id}" for p in posted) or "nothing"
            yield Problem(
                f"bill {bill.id}",
                f"posted to the ledger as {amounts}, expected {-bill.total} to {bill.account_id}",
            )
    for ref, posted in postings.items():
        if ref not in bill_ids:
            yield Problem(f"ledger entry {posted[0].id}", f"posts bill {ref}, which is not stored")

    yield from _check_money_sources(store, entries)
    per_account: dict[str, int] = defaultdict(int)
    for e in entries:
        per_account[e.account_id] += 1
    for account in store.accounts():  # an account changes only by postings to its ledger
        if account.version != per_account[account.id]:
            yield Problem(
                f"account {account.id}",
                f"at version {account.version}, but its ledger has {per_account[account.id]}"
                " posting(s)",
            )
    for adj in store.all_adjustments():
        line = lines.get(adj.msisdn)
        last = None if line is None else line.last_billed_month
        if (
            line is None
            or adj.month < line.first_billed_month
            or (last is not None and adj.month > last)
        ):
            yield Problem(f"adjustment {adj.id}", f"no bill of its line can hold {adj.month}")
    for order in store.orders():
        if order.msisdn not in lines:
            yield Problem(f"order {order.id}", f"its number {order.msisdn} is not a line")
    for ticket in store.tickets():
        if ticket.msisdn and ticket.msisdn not in lines:
            yield Problem(f"ticket {ticket.id}", f"its number {ticket.msisdn} is not a line")


def _check_money_sources(store: Store, entries: list[LedgerEntry]) -> Iterator[Problem]:
    """Payments against their events; credits against their tickets."""
    received = {
        e.entry_id: e for _, e in store.events() if isinstance(e, PaymentReceived)
    }  # credits are announced as PaymentReceived too
    credits: dict[str, list[Money]] = defaultdict(list)
    for entry in entries:
        if entry.kind is EntryKind.BILL:
            continue
        event = received.pop(entry.id, None)
        if event is None or (event.amount, event.kind) != (entry.amount, entry.kind):
            yield Problem(f"ledger entry {entry.id}", "has no matching PaymentReceived event")
        if entry.kind is EntryKind.CREDIT:
            credits[entry.ref].append(entry.amount)
    for entry_id in received:
        yield Problem(f"event for {entry_id}", "announces a posting the ledger does not hold")
    for ticket_id, amounts in credits.items():
        ticket = store.get_ticket(ticket_id)
        if ticket is None:
            yield Problem(f"ticket {ticket_id}", "credited in the ledger but not stored")
        elif ticket.credit != total(amounts):
            yield Problem(
                f"ticket {ticket_id}",
                f"credited {total(amounts)} in the ledger, the ticket says {ticket.credit}",
            )


def _difference(stored: Bill, again: Bill) -> str:
    """The first field where a stored bill and its recomputation differ, in words."""
    for field in attrs.fields(Bill):
        a, b = getattr(stored, field.name), getattr(again, field.name)
        if a != b:
            return f"does not reproduce from its usage: {field.name} is {a}, recomputed {b}"
    return "does not reproduce from its usage"
