"""Complaints (投诉) with first-question responsibility, a closed loop and time limits.

A complaint is a `Ticket` with TM Forum TMF621 trouble-ticket states:

    acknowledged → inProgress ⇄ pending (on the customer: the clocks pause) → resolved
    resolved → closed (only with a return-visit outcome) ; resolved/closed → inProgress (reopen)
    and rejected, cancelled, held as TMF621 allows (`TRANSITIONS`)

First-question responsibility (首问负责制, tariff rules §6): the agent who first accepts the
contact is the ticket's `owner` until it is closed, whether or not the matter is in their
remit. Assigning and transferring change the `assignee`, never the owner; no function here
takes an owner but `file_ticket`.

The closed loop: resolving makes a return visit due (`visits.Task`); the ticket closes only
with the visit's outcome — satisfied, or the documented number of failed attempts — and a
dissatisfied customer reopens it, with its history and owner.

A billing dispute names bill lines; their amounts are on hold (no arrears on them) while the
ticket is open (`held_amounts`), and its resolution may credit the account; a credit above the
configured limit needs a supervisor's approval.

Every function is pure: it takes the ticket and `now` and returns the ticket as it leaves it.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Final

import attrs

from unicom_cs.errors import Conflict, InvalidValue
from unicom_cs.money import ZERO, Money, round_line, total
from unicom_cs.period import as_instant
from unicom_cs.sla import REGULATORY_ANSWER, Clock, SlaPolicy, measure


class Category(enum.StrEnum):
    """What the 10010 guide lists: network conditions, call quality, roaming, billing
    disputes, service quality, and suggestions for improving the work."""

    NETWORK = "network"
    CALL_QUALITY = "call-quality"
    ROAMING = "roaming"
    BILLING = "billing-dispute"
    SERVICE = "service-quality"
    SUGGESTION = "suggestion"


class Priority(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ContactChannel(enum.StrEnum):
    """Where complaints come in: the guide accepts them on every channel."""

    PHONE = "phone"
    FAX = "fax"
    EMAIL = "email"
    LETTER = "letter"
    SMS = "sms"
    WEB = "web"


class TicketState(enum.StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    PENDING = "pending"
    HELD = "held"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class VisitOutcome(enum.StrEnum):
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"
    UNREACHABLE = "unreachable"  # a failed attempt


S = TicketState
TRANSITIONS: Final[dict[TicketState, frozenset[TicketState]]] = {
    S.ACKNOWLEDGED: frozenset(
        {S.IN_PROGRESS, S.PENDING, S.HELD, S.RESOLVED, S.REJECTED, S.CANCELLED}
    ),
    S.IN_PROGRESS: frozenset({S.PENDING, S.HELD, S.RESOLVED, S.CANCELLED}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.HELD: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
#: States in which a ticket is still being worked (its dispute holds money, its clocks run).
OPEN: Final = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING, S.HELD})
#: Failed return-visit attempts after which a resolved ticket closes as unreachable.
MAX_VISIT_ATTEMPTS: Final = 3
#: The fast lane: key customers and club members are handled at least at this priority.
FAST_LANE: Final = Priority.HIGH
_RANK: Final = {p: i for i, p in enumerate(Priority)}
#: A credit above this needs a supervisor's approval (the library's default; the store's
#: configuration may set another).
CREDIT_LIMIT: Final = Money.parse("100")


@attrs.frozen
class DisputedLine:
    """A bill line a billing dispute names, and the amount it puts on hold."""

    bill_id: str
    code: str  # the bill line's code (rating.LineCode value)
    amount: Money


@attrs.frozen
class Step:
    """One step of the ticket's life: state, who, when, why, and the assignee after it."""

    at: datetime
    state: TicketState
    previous: TicketState | None
    by: str
    assignee: str
    reason: str = ""


@attrs.frozen
class Note:
    at: datetime
    by: str
    text: str
    to_customer: bool = False  # an update given to the customer (counts for the clocks)


@attrs.frozen
class VisitRecord:
    at: datetime
    by: str
    outcome: VisitOutcome
    score: int | None = None  # satisfaction 1-5, when reached
    note: str = ""


@attrs.frozen
class Ticket:
    id: str
    category: Category
    priority: Priority
    channel: ContactChannel
    description: str
    owner: str  # first-question responsibility: never changes
    assignee: str
    state: TicketState
    created_at: datetime
    steps: tuple[Step, ...]
    msisdn: str = ""
    notes: tuple[Note, ...] = ()
    disputed: tuple[DisputedLine, ...] = ()
    key_customer: bool = False
    first_response_at: datetime | None = None
    last_update_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: str = ""
    credit: Money | None = None  # credited so far by its resolutions (a billing dispute)
    approved_by: str = ""  # the supervisor who approved credits above the limit
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()  # pending on the customer
    visits: tuple[VisitRecord, ...] = ()
    visits_before_resolution: int = 0  # visits of earlier resolutions (before a reopen)
    reopened: int = 0
    version: int = attrs.field(default=0, kw_only=True)  # optimistic concurrency: see ports

    @property
    def held(self) -> Money:
        """The disputed amount on hold while the ticket is open."""
        if self.state not in OPEN:
            return ZERO
        return total(d.amount for d in self.disputed)

    def closed_pauses(self, now: datetime) -> list[tuple[datetime, datetime]]:
        return [(a, b if b is not None else now) for a, b in self.pauses]


def _step(
    t: Ticket, to: TicketState, at: datetime, by: str, reason: str = "", assignee: str = ""
) -> Ticket:
    """The ticket moved to `to`, the step recorded.

    Raises:
        Conflict: a step TMF621 does not allow (naming the state and the step), or one dated
            before the ticket's last step.
    """
    at = as_instant(at)
    if to not in TRANSITIONS[t.state]:
        allowed = ", ".join(sorted(TRANSITIONS[t.state])) or "nothing: it is final"
        raise Conflict("ticket", t.id, f"is {t.state}: cannot go to {to} (allowed: {allowed})")
    if at < t.steps[-1].at:
        raise Conflict("ticket", t.id, f"its last step was at {t.steps[-1].at.isoformat()}")
    assignee = assignee or t.assignee
    step = Step(at, to, t.state, by, assignee, reason)
    pauses = t.pauses
    if t.state is S.PENDING and pauses and pauses[-1][1] is None:  # leaving pending: clocks run
        pauses = (*pauses[:-1], (pauses[-1][0], at))
    return attrs.evolve(t, state=to, assignee=assignee, steps=(*t.steps, step), pauses=pauses)


def _agent(name: str, what: str = "agent") -> str:
    name = name.strip()
    if not name:
        raise InvalidValue(what, name, "needs a name or staff id")
    return name


def file_ticket(
    ticket_id: str,
    category: Category,
    description: str,
    agent: str,
    now: datetime,
    *,
    channel: ContactChannel = ContactChannel.PHONE,
    priority: Priority = Priority.NORMAL,
    msisdn: str = "",
    disputed: Iterable[DisputedLine] = (),
    key_customer: bool = False,
) -> Ticket:
    """A new complaint, owned by the agent who accepted it (first-question responsibility).

    Key customers and club members take the fast lane: at least `FAST_LANE` priority.

    Raises:
        InvalidValue: no description or agent; disputed lines outside a billing dispute, or
            a disputed amount that is not positive.
    """
    now = as_instant(now)
    agent = _agent(agent)
    if not description.strip():
        raise InvalidValue("description", description, "a complaint needs the customer's words")
    lines = tuple(disputed)
    if lines and category is not Category.BILLING:
        raise InvalidValue("dispute", category.value, "only a billing dispute names bill lines")
    for d in lines:
        if not d.amount.amount > 0:
            raise InvalidValue("disputed amount", str(d.amount), "must be positive")
    if key_customer and _RANK[priority] > _RANK[FAST_LANE]:
        priority = FAST_LANE
    return Ticket(
        ticket_id,
        category,
        priority,
        channel,
        description.strip(),
        agent,
        agent,
        S.ACKNOWLEDGED,
        now,
        (Step(now, S.ACKNOWLEDGED, None, agent, agent, "filed"),),
        msisdn=msisdn,
        disputed=lines,
        key_customer=key_customer,
    )


def assign(t: Ticket, to: str, by: str, now: datetime, reason: str = "") -> Ticket:
    """Give the ticket to `to` to work on (the owner stays the owner)."""
    to = _agent(to, "assignee")
    state = S.IN_PROGRESS if t.state is S.ACKNOWLEDGED else t.state
    if t.state not in OPEN:
        raise Conflict("ticket", t.id, f"is {t.state}: reopen it first")
    if state is t.state:  # a transfer within the same state: record it as a step too
        step = Step(as_instant(now), t.state, t.state, _agent(by), to, reason or f"to {to}")
        if step.at < t.steps[-1].at:
            raise Conflict("ticket", t.id, f"its last step was at {t.steps[-1].at.isoformat()}")
        return attrs.evolve(t, assignee=to, steps=(*t.steps, step))
    return _step(t, state, now, _agent(by), reason or f"to {to}", assignee=to)


def transfer(t: Ticket, to: str, by: str, now: datetime, reason: str) -> Ticket:
    """Hand the ticket to another agent or team (转派): the assignee changes, the owner
    follows up."""
    if not reason.strip():
        raise InvalidValue("transfer reason", reason, "say why it is handed on")
    return assign(t, to, by, now, reason)


def add_note(t: Ticket, by: str, text: str, now: datetime, *, to_customer: bool = False) -> Ticket:
    """A note; `to_customer`: an update given to the customer (the first is the first
    response; each one restarts the next-update clock)."""
    now = as_instant(now)
    if not text.strip():
        raise InvalidValue("note", text, "is empty")
    if t.state in (S.REJECTED, S.CANCELLED):
        raise Conflict("ticket", t.id, f"is {t.state}")
    latest = max([t.steps[-1].at, *(n.at for n in t.notes)])
    if now < latest:
        raise Conflict("ticket", t.id, f"its last step was at {latest.isoformat()}")
    note = Note(now, _agent(by), text.strip(), to_customer)
    if not to_customer:
        return attrs.evolve(t, notes=(*t.notes, note))
    return attrs.evolve(
        t,
        notes=(*t.notes, note),
        first_response_at=t.first_response_at or now,
        last_update_at=now,
    )


def pend(t: Ticket, by: str, now: datetime, reason: str) -> Ticket:
    """Wait on the customer (more information, a test call…): the clocks pause."""
    if not reason.strip():
        raise InvalidValue("reason", reason, "say what the customer is to do")
    now = as_instant(now)
    t = _step(t, S.PENDING, now, _agent(by), reason.strip())
    return attrs.evolve(t, pauses=(*t.pauses, (now, None)))


def resume(t: Ticket, by: str, now: datetime, reason: str = "the customer answered") -> Ticket:
    now = as_instant(now)
    if t.state is not S.PENDING:
        raise Conflict("ticket", t.id, f"is {t.state}, not pending")
    return _step(t, S.IN_PROGRESS, now, _agent(by), reason)


def resolve(
    t: Ticket,
    by: str,
    now: datetime,
    resolution: str,
    *,
    credit: Money | None = None,
    approved_by: str = "",
    credit_limit: Money = CREDIT_LIMIT,
) -> Ticket:
    """Resolve: the answer given to the customer. A billing dispute may be credited, in all
    its resolutions together, up to the amount it disputes; credits above `credit_limit` in
    all need `approved_by`, a supervisor.

    Raises:
        InvalidValue: no resolution; a credit that is not positive or part-fen.
        Conflict: credits above the limit without a supervisor, or above the disputed amount;
            a credit outside a billing dispute.
    """
    now = as_instant(now)
    if not resolution.strip():
        raise InvalidValue("resolution", resolution, "say what was done")
    if credit is not None:
        if t.category is not Category.BILLING:
            raise Conflict("ticket", t.id, "only a billing dispute resolves with a credit")
        if not credit.amount > 0 or credit != round_line(credit):
            raise InvalidValue("credit", str(credit), "a positive whole number of fen")
        credited = credit + (t.credit or ZERO)
        disputed = total(d.amount for d in t.disputed)
        if credited > disputed:
            raise Conflict(
                "ticket",
                t.id,
                f"credits of {credited} in all would be more than the {disputed} disputed",
            )
        if approved_by.strip() and approved_by.strip() == by.strip():
            raise Conflict("ticket", t.id, "a supervisor other than the resolving agent approves")
        if credited > credit_limit and not approved_by.strip():
            raise Conflict(
                "ticket",
                t.id,
                f"credits of {credited} in all are above the {credit_limit} limit: "
                "a supervisor approves (--approved-by)",
            )
    t = _step(t, S.RESOLVED, now, _agent(by), resolution.strip())
    return attrs.evolve(
        t,
        resolved_at=now,
        resolution=resolution.strip(),
        credit=t.credit if credit is None else credit + (t.credit or ZERO),
        visits_before_resolution=len(t.visits),
        approved_by=approved_by.strip() or t.approved_by,
        first_response_at=t.first_response_at or now,
        last_update_at=now,
    )


def record_visit(
    t: Ticket,
    by: str,
    now: datetime,
    outcome: VisitOutcome,
    *,
    score: int | None = None,
    note: str = "",
    max_attempts: int = MAX_VISIT_ATTEMPTS,
) -> Ticket:
    """The return visit's outcome: satisfied closes the ticket; dissatisfied reopens it (same
    owner, history kept); a failed attempt is recorded, and the `max_attempts`th closes the
    ticket as unreachable.

    Raises:
        Conflict: the ticket is not resolved.
        InvalidValue: a score outside 1-5, or a score without reaching the customer.
    """
    now = as_instant(now)
    if t.state is not S.RESOLVED:
        raise Conflict("ticket", t.id, f"is {t.state}: a return visit follows a resolution")
    if t.resolved_at is not None and now < t.resolved_at:
        raise Conflict("ticket", t.id, f"was resolved at {t.resolved_at.isoformat()}")
    if score is not None and not 1 <= score <= 5:
        raise InvalidValue("satisfaction score", score, "expected 1 to 5")
    if outcome is VisitOutcome.UNREACHABLE and score is not None:
        raise InvalidValue("satisfaction score", score, "the customer was not reached")
    visit = VisitRecord(now, _agent(by), outcome, score, note.strip())
    t = attrs.evolve(t, visits=(*t.visits, visit))
    if outcome is VisitOutcome.SATISFIED:
        closed = _step(t, S.CLOSED, now, visit.by, "return visit: satisfied")
        return attrs.evolve(closed, closed_at=now)
    if outcome is VisitOutcome.DISSATISFIED:
        t = _step(t, S.IN_PROGRESS, now, visit.by, "return visit: dissatisfied, reopened")
        return attrs.evolve(t, reopened=t.reopened + 1, resolved_at=None)
    failed = sum(1 for v in _since_resolution(t) if v.outcome is VisitOutcome.UNREACHABLE)
    if failed >= max_attempts:
        why = f"return visit: unreachable after {failed} attempts"
        return attrs.evolve(_step(t, S.CLOSED, now, visit.by, why), closed_at=now)
    return t


def _since_resolution(t: Ticket) -> tuple[VisitRecord, ...]:
    return t.visits[t.visits_before_resolution :]


def reopen(t: Ticket, by: str, now: datetime, reason: str) -> Ticket:
    """The customer comes back on a resolved or closed ticket: worked again, same owner."""
    if not reason.strip():
        raise InvalidValue("reason", reason, "say why it is reopened")
    if t.state not in (S.RESOLVED, S.CLOSED):
        raise Conflict("ticket", t.id, f"is {t.state}: only a resolved or closed ticket reopens")
    t = _step(t, S.IN_PROGRESS, now, _agent(by), reason.strip())
    return attrs.evolve(t, reopened=t.reopened + 1, resolved_at=None, closed_at=None)


def reject(t: Ticket, by: str, now: datetime, reason: str) -> Ticket:
    """Not a complaint the operator can take (not its service, a duplicate…)."""
    if not reason.strip():
        raise InvalidValue("reason", reason, "say why")
    return _step(t, S.REJECTED, now, _agent(by), reason.strip())


def cancel(t: Ticket, by: str, now: datetime, reason: str = "withdrawn by the customer") -> Ticket:
    return _step(t, S.CANCELLED, now, _agent(by), reason)


def held_amounts(tickets: Iterable[Ticket]) -> dict[str, Money]:
    """Bill id → the amount open billing disputes hold on it."""
    lines: dict[tuple[str, str], Money] = {}
    for t in tickets:
        if t.state in OPEN:
            for d in t.disputed:  # a line two tickets dispute is held once
                lines[(d.bill_id, d.code)] = d.amount
    out: dict[str, Money] = {}
    for (bill, _), amount in lines.items():
        out[bill] = out.get(bill, ZERO) + amount
    return out


def clocks(t: Ticket, policy: SlaPolicy, now: datetime) -> tuple[Clock, ...]:
    """The ticket's time limits as of `now`: first response, next update, resolution (paused
    while pending on the customer, and, after a reopen, for the time it sat resolved; the next
    update runs from the reopen), and the regulator's 15-day answer (never paused, met by the
    first answer). A rejected or cancelled ticket's clocks stop with it."""
    now = as_instant(now)
    pauses = t.closed_pauses(now)
    done = t.resolved_at if t.state in (S.RESOLVED, S.CLOSED) else None
    if t.state in (S.REJECTED, S.CANCELLED):  # the clocks stop with the ticket
        done = t.steps[-1].at
    # time a ticket sat resolved before it was reopened is no time spent working it
    waiting = []
    resolved_at: datetime | None = None
    for step in t.steps:  # resolved (then perhaps closed) until reopened
        if step.state is S.RESOLVED:
            resolved_at = step.at
        elif step.state is S.IN_PROGRESS and resolved_at is not None:
            waiting.append((resolved_at, step.at))
            resolved_at = None
    reopened = [b for _, b in waiting]
    since_update = max([t.last_update_at or t.first_response_at or t.created_at, *reopened])
    first = t.first_response_at or done
    answered = next((s.at for s in t.steps if s.state is S.RESOLVED), done)
    worked = [*pauses, *waiting]
    return (
        measure("first response", policy.first_response, t.created_at, now, first, pauses),
        measure("next update", policy.next_update, since_update, now, done, worked),
        measure("resolution", policy.resolution, t.created_at, now, done, worked),
        measure("regulatory answer", REGULATORY_ANSWER, t.created_at, now, answered),
    )


def check_invariants(t: Ticket, first_owner: str | None = None) -> None:
    """The rules a ticket always keeps (the stateful tests call this)."""
    from unicom_cs.errors import InvariantBroken

    rules = (
        (first_owner is None or t.owner == first_owner, "the owner never changes"),
        (t.steps[0].by == t.owner, "the owner is who filed it"),
        (
            all(
                b.previous is None or b.state in TRANSITIONS[b.previous] or b.state is b.previous
                for b in t.steps
            ),
            "every step is a legal transition (or an assignment within a state)",
        ),
        (t.state is not S.CLOSED or bool(t.visits), "closed only with a return-visit outcome"),
        (all(a.at <= b.at for a, b in itertools.pairwise(t.steps)), "steps in time order"),
        (t.state is t.steps[-1].state, "the state is the last step's"),
    )
    for kept, rule in rules:
        if not kept:
            raise InvariantBroken("ticket", t.id, rule)


__all__ = [
    "MAX_VISIT_ATTEMPTS",
    "TRANSITIONS",
    "Category",
    "ContactChannel",
    "DisputedLine",
    "Note",
    "Priority",
    "Step",
    "Ticket",
    "TicketState",
    "VisitOutcome",
    "VisitRecord",
    "add_note",
    "assign",
    "cancel",
    "check_invariants",
    "clocks",
    "file_ticket",
    "held_amounts",
    "pend",
    "record_visit",
    "reject",
    "reopen",
    "resolve",
    "resume",
    "transfer",
]
