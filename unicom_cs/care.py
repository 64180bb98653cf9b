"""Complaint and return-visit use cases: each a function of a store, its inputs and `now`.

Like `service`, every function works inside one `store.transaction()` and returns values; a
failure leaves the store as it was. Tickets are numbered ``CMP-000001`` and tasks
``VIS-000001`` in the order they are made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

import attrs
from dateutil.relativedelta import relativedelta

from unicom_cs import complaints as c
from unicom_cs.account import EntryKind, LedgerEntry
from unicom_cs.audit import SYSTEM_ACTOR, Actor, Role, audit
from unicom_cs.complaints import Category, ContactChannel, DisputedLine, Priority, Ticket
from unicom_cs.errors import Conflict, InvalidValue, NotFound, StaleVersion
from unicom_cs.events import PaymentReceived, TicketChanged
from unicom_cs.money import Money, total
from unicom_cs.period import Month, as_instant
from unicom_cs.ports import Store
from unicom_cs.service import get_line
from unicom_cs.sla import Clock, SlaPolicies, default_policies, parse_policies
from unicom_cs.visits import (
    FOLLOW_UP_AFTER,
    AttemptOutcome,
    Task,
    TaskKind,
    new_task,
    record_attempt,
)

#: Settings keys (`Store.setting`): the SLA policy TOML, and the credit a supervisor approves.
SLA_POLICY: Final = "sla-policy"
CREDIT_LIMIT: Final = "credit-limit"
#: Billing disputes are raised within 5 months of the bill (tariff rules §6; the 2 years for
#: other complaints run from an incident the library is not told of, so are not checked).
DISPUTE_WINDOW: Final = relativedelta(months=5)


def policies(store: Store) -> SlaPolicies:
    """The center's SLA policy: the one loaded (`set_policy`), else the bundled default."""
    text = store.setting(SLA_POLICY)
    return default_policies() if text is None else _parse(text, "stored SLA policy")


def _parse(text: str, source: str) -> SlaPolicies:
    return parse_policies(
        text,
        source,
        categories=[x.value for x in Category],
        priorities=[x.value for x in Priority],
    )


def set_policy(store: Store, text: str, source: str) -> SlaPolicies:
    """Validate an SLA policy file and make it the center's.

    Raises:
        CatalogError: every problem, with its key path; nothing changes.
    """
    from unicom_cs.errors import CatalogError, RowError

    parsed = _parse(text, source)
    for category in Category:  # every ticket must find a policy
        for priority in Priority:
            try:
                parsed.for_ticket(category.value, priority.value)
            except InvalidValue:
                why = f"no rule for {category.value} / {priority.value}: add a catch-all"
                raise CatalogError(source, (RowError("policy", why),), "SLA policy") from None
    with store.transaction():
        store.set_setting(SLA_POLICY, text)
    return parsed


def credit_limit(store: Store) -> Money:
    text = store.setting(CREDIT_LIMIT)
    return c.CREDIT_LIMIT if text is None else Money.parse(text)


def set_credit_limit(store: Store, limit: Money, now: datetime, actor: Actor) -> None:
    """Set the credit (and adjustment) above which a supervisor approves; a supervisor's act,
    written to the audit trail.

    Raises:
        InvalidValue: a negative limit.
        AccessDenied: the actor is not a supervisor.
    """
    if limit.is_negative():
        raise InvalidValue("credit limit", str(limit), "must not be negative")
    actor.require(Role.SUPERVISOR, "setting the credit limit")
    with store.transaction():
        before = credit_limit(store)
        store.set_setting(CREDIT_LIMIT, str(limit))
        store.add_audit(audit(actor, now, "credit-limit", "center", f"{before} -> {limit}"))


def _publish(store: Store, t: Ticket) -> None:
    last = t.steps[-1]
    store.add_event(
        TicketChanged(t.id, t.msisdn, t.category.value, t.state.value, last.at, last.by, t.assignee)
    )


def get_ticket(store: Store, ticket_id: str, expected_version: int | None = None) -> Ticket:
    """A ticket; with `expected_version`, only if it is still at the version the agent saw.

    Raises:
        NotFound: unknown ticket.
        StaleVersion: someone else changed it since (optimistic concurrency: a front-end
            passes the version it showed, so one of two agents working the same ticket wins
            and the other is told, instead of one silently undoing the other).
    """
    ticket = store.get_ticket(ticket_id.strip().upper())
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    if expected_version is not None and ticket.version != expected_version:
        raise StaleVersion(
            "ticket",
            ticket.id,
            f"you saw version {expected_version}, it is now at version {ticket.version}"
            " (see `ucs complaint show`): read it again",
        )
    return ticket


def file_complaint(
    store: Store,
    category: Category,
    description: str,
    agent: str,
    now: datetime,
    *,
    channel: ContactChannel = ContactChannel.PHONE,
    priority: Priority = Priority.NORMAL,
    msisdn: str = "",
    disputed: Sequence[tuple[Month, str]] = (),
    key_customer: bool = False,
) -> Ticket:
    """File a complaint; the agent who takes it owns it.

    A billing dispute names bill lines as (month, line code) of the line's issued bills; their
    amounts are held (no arrears on them) until the ticket is resolved. It must come within
    5 months of the bill; other complaints within 2 years.

    Raises:
        NotFound: unknown number; a month without an issued bill; a code not on that bill.
        InvalidValue: see `complaints.file_ticket`; a billing dispute without a number or
            lines.
        Conflict: a dispute raised too late.
    """
    now = as_instant(now)
    with store.transaction():
        number = get_line(store, msisdn).msisdn if msisdn else ""
        lines: list[DisputedLine] = []
        if category is Category.BILLING and not (number and disputed):
            raise InvalidValue("billing dispute", "", "needs the number and the bill lines")
        for month, code in disputed:
            bill = store.get_bill(number, month)
            if bill is None:
                issued = sorted(m for _, m in store.issued_months([number]))
                have = ", ".join(str(m) for m in issued) or "none yet"
                raise NotFound(f"issued bill (bills issued for {number}: {have})", str(month))
            if bill.issued_at is not None and now > bill.issued_at + DISPUTE_WINDOW:
                raise Conflict(
                    "bill",
                    bill.id,
                    "billing disputes are raised within 5 months of the bill (tariff rules §6)",
                )
            amount = total(x.amount for x in bill.lines if x.code.value == code)
            if not any(x.code.value == code for x in bill.lines):
                codes = ", ".join(sorted({x.code.value for x in bill.lines}))
                raise NotFound(f"bill line (bill {bill.id} has {codes})", code)
            for other in store.tickets(number):  # once: a resolved dispute is reopened
                if other.state in (c.TicketState.REJECTED, c.TicketState.CANCELLED):
                    continue
                if any((d.bill_id, d.code) == (bill.id, code) for d in other.disputed):
                    raise Conflict(
                        "bill",
                        bill.id,
                        f"its {code} line is disputed in {other.id} ({other.state}): "
                        "reopen that ticket",
                    )
            lines.append(DisputedLine(bill.id, code, amount))
        ticket = c.file_ticket(
            f"CMP-{store.ticket_count() + 1:06d}",
            category,
            description,
            agent,
            now,
            channel=channel,
            priority=priority,
            msisdn=number,
            disputed=lines,
            key_customer=key_customer,
        )
        store.add_ticket(ticket)
        _publish(store, ticket)
    return ticket


def _change(
    store: Store,
    ticket_id: str,
    change: Callable[[Ticket], Ticket],
    expected_version: int | None = None,
) -> Ticket:
    with store.transaction():
        before = get_ticket(store, ticket_id, expected_version)
        after = store.update_ticket(change(before))
        if after.steps != before.steps:
            _publish(store, after)
    return after


def assign(
    store: Store,
    ticket_id: str,
    to: str,
    by: str,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> Ticket:
    return _change(store, ticket_id, lambda t: c.assign(t, to, by, now), expected_version)


def transfer(
    store: Store,
    ticket_id: str,
    to: str,
    by: str,
    now: datetime,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Ticket:
    return _change(store, ticket_id, lambda t: c.transfer(t, to, by, now, reason), expected_version)


def note(
    store: Store,
    ticket_id: str,
    by: str,
    text: str,
    now: datetime,
    *,
    to_customer: bool,
    expected_version: int | None = None,
) -> Ticket:
    return _change(
        store,
        ticket_id,
        lambda t: c.add_note(t, by, text, now, to_customer=to_customer),
        expected_version,
    )


def pend(
    store: Store,
    ticket_id: str,
    by: str,
    now: datetime,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Ticket:
    return _change(store, ticket_id, lambda t: c.pend(t, by, now, reason), expected_version)


def resume(
    store: Store,
    ticket_id: str,
    by: str,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> Ticket:
    return _change(store, ticket_id, lambda t: c.resume(t, by, now), expected_version)


def reject(
    store: Store,
    ticket_id: str,
    by: str,
    now: datetime,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Ticket:
    return _change(store, ticket_id, lambda t: c.reject(t, by, now, reason), expected_version)


def cancel(
    store: Store,
    ticket_id: str,
    by: str,
    now: datetime,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Ticket:
    return _change(store, ticket_id, lambda t: c.cancel(t, by, now, reason), expected_version)


def reopen(
    store: Store,
    ticket_id: str,
    by: str,
    now: datetime,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Ticket:
    """Work a resolved or closed ticket again; its open return visit is called off (the next
    resolution makes a new one)."""
    with store.transaction():
        ticket = _change(store, ticket_id, lambda t: c.reopen(t, by, now, reason), expected_version)
        for task in store.tasks(ticket.id):
            if task.done_at is None:
                store.update_task(
                    attrs.evolve(task, done_at=as_instant(now), outcome="called off: reopened")
                )
    return ticket


@attrs.frozen
class Resolution:
    ticket: Ticket
    visit: Task  # the return visit now due
    adjustment_id: str = ""  # the ledger credit posted, for a billing dispute


def resolve(
    store: Store,
    ticket_id: str,
    by: str,
    now: datetime,
    resolution: str,
    *,
    credit: Money | None = None,
    approved_by: str = "",
    expected_version: int | None = None,
    actor: Actor = SYSTEM_ACTOR,
) -> Resolution:
    """Resolve a ticket; a return visit becomes due `visits.FOLLOW_UP_AFTER` later. A billing
    dispute's credit is a credit to the account's ledger (like a payment, it pays the
    account's oldest unpaid bill first); its resolutions together credit at most the disputed
    amount, and each credit that takes them above the center's credit limit needs
    `approved_by` (a supervisor other than `by`).
    """
    now = as_instant(now)
    if approved_by.strip():  # the front-end vouches for the approver's role
        actor.require(Role.SUPERVISOR, "approving a credit above the limit (--approved-by)")
    with store.transaction():
        ticket = get_ticket(store, ticket_id, expected_version)
        done = c.resolve(
            ticket,
            by,
            now,
            resolution,
            credit=credit,
            approved_by=approved_by,
            credit_limit=credit_limit(store),
        )
        adjustment_id = ""
        if credit is not None:
            line = get_line(store, done.msisdn)
            who = f", approved by {done.approved_by}" if done.approved_by else ""
            n = sum(
                1
                for e in store.entries(line.account_id)
                if e.kind is EntryKind.CREDIT and e.ref == done.id
            )
            entry = LedgerEntry(
                f"credit-{done.id}-{n + 1}",
                line.account_id,
                now,
                EntryKind.CREDIT,
                credit,
                done.id,
                f"billing dispute {done.id} resolved{who}",
            )
            store.add_entry(entry)
            store.add_event(
                PaymentReceived(
                    entry.id, entry.account_id, line.msisdn, EntryKind.CREDIT, credit, now
                )
            )
            store.add_audit(audit(actor, now, "credit", line.msisdn, f"{entry.id} {credit}{who}"))
            adjustment_id = entry.id
        done = store.update_ticket(done)
        _publish(store, done)
        visit = new_task(
            f"VIS-{store.task_count() + 1:06d}",
            TaskKind.COMPLAINT_FOLLOW_UP,
            done.msisdn,
            now + FOLLOW_UP_AFTER,
            now,
            ticket_id=done.id,
        )
        store.add_task(visit)
    return Resolution(done, visit, adjustment_id)


def add_task(
    store: Store,
    kind: TaskKind,
    msisdn: str,
    due_at: datetime,
    now: datetime,
    note_text: str = "",
) -> Task:
    """An outbound task: retention, maintenance, telemarketing or a welcome call."""
    if kind is TaskKind.COMPLAINT_FOLLOW_UP:
        raise InvalidValue("task kind", kind.value, "a complaint's visit comes with its resolution")
    with store.transaction():
        number = get_line(store, msisdn).msisdn
        task = new_task(
            f"VIS-{store.task_count() + 1:06d}", kind, number, due_at, now, note=note_text
        )
        store.add_task(task)
    return task


def get_task(store: Store, task_id: str) -> Task:
    task = store.get_task(task_id.strip().upper())
    if task is None:
        raise NotFound("task", task_id)
    return task


def record_visit(
    store: Store,
    task_id: str,
    by: str,
    now: datetime,
    outcome: c.VisitOutcome,
    *,
    score: int | None = None,
    note_text: str = "",
    expected_version: int | None = None,
) -> tuple[Task, Ticket | None]:
    """Record a call of a task. For a complaint's return visit the outcome drives the ticket:
    satisfied closes it, dissatisfied reopens it (and ends this visit: a new one comes with the
    next resolution), unreachable is a failed attempt (the ticket closes after
    `complaints.MAX_VISIT_ATTEMPTS`). `expected_version`: the ticket's, as for `get_ticket`."""
    now = as_instant(now)
    reached = outcome is not c.VisitOutcome.UNREACHABLE
    attempt = AttemptOutcome.REACHED if reached else AttemptOutcome.UNREACHABLE
    with store.transaction():
        task = get_task(store, task_id)
        ticket = None
        if task.kind is TaskKind.COMPLAINT_FOLLOW_UP:
            before = get_ticket(store, task.ticket_id, expected_version)
            ticket = c.record_visit(before, by, now, outcome, score=score, note=note_text)
            ticket = store.update_ticket(ticket)
            if ticket.steps != before.steps:
                _publish(store, ticket)
            result = outcome.value if ticket.state is not c.TicketState.RESOLVED else ""
        else:
            result = outcome.value if reached else ""
        task = record_attempt(
            task, by, now, attempt, score=score, note=note_text, result=result, done=bool(result)
        )
        task = store.update_task(task)
    return task, ticket


def list_tasks(store: Store, now: datetime, *, open_only: bool = True) -> list[Task]:
    """Tasks by due time (the open ones by default)."""
    tasks = [t for t in store.tasks() if not open_only or t.done_at is None]
    return sorted(tasks, key=lambda t: (t.due_at, t.id))


@attrs.frozen
class TicketClocks:
    ticket: Ticket
    clocks: tuple[Clock, ...]


def ticket_clocks(store: Store, ticket_id: str, now: datetime) -> TicketClocks:
    ticket = get_ticket(store, ticket_id)
    policy = policies(store).for_ticket(ticket.category.value, ticket.priority.value)
    return TicketClocks(ticket, c.clocks(ticket, policy, now))


def list_tickets(
    store: Store,
    now: datetime,
    *,
    msisdn: str | None = None,
    states: Sequence[c.TicketState] = (),
    owner: str | None = None,
    assignee: str | None = None,
) -> list[TicketClocks]:
    """Tickets in filing order, each with its clocks as of `now`."""
    number = get_line(store, msisdn).msisdn if msisdn else None
    rules = policies(store)
    out = []
    for t in store.tickets(number, set(states) if states else None):
        if owner is not None and t.owner != owner:
            continue
        if assignee is not None and t.assignee != assignee:
            continue
        policy = rules.for_ticket(t.category.value, t.priority.value)
        out.append(TicketClocks(t, c.clocks(t, policy, now)))
    return out


def held_for(store: Store, msisdns: Sequence[str]) -> dict[str, Money]:
    """Bill id → the amount open billing disputes hold on it, for these lines."""
    return c.held_amounts(t for m in msisdns for t in store.tickets(m, c.OPEN))
