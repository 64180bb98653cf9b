"""The complaint and return-visit commands: `ucs complaint …`, `ucs visit …`.

Every step names the agent taking it (`--by`, or UCS_AGENT); the agent who files a complaint
owns it until it is closed (first-question responsibility).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from unicom_cs.cli.app import MONEY, Env, emit_json, json_option, main, pass_env, table

if TYPE_CHECKING:
    from unicom_cs.care import TicketClocks
    from unicom_cs.complaints import Ticket
    from unicom_cs.money import Money
    from unicom_cs.visits import Task

F = TypeVar("F", bound=Callable[..., Any])

CATEGORIES = (
    "network",
    "call-quality",
    "roaming",
    "billing-dispute",
    "service-quality",
    "suggestion",
)
PRIORITIES = ("urgent", "high", "normal", "low")
CHANNELS = ("phone", "fax", "email", "letter", "sms", "web")
STATES = (
    "acknowledged",
    "inProgress",
    "pending",
    "held",
    "resolved",
    "closed",
    "rejected",
    "cancelled",
)
TASK_KINDS = ("retention", "maintenance", "telemarketing", "welcome")


def by_option(f: F) -> F:
    return click.option(
        "--by", envvar="UCS_AGENT", required=True, help="The agent (staff id), or UCS_AGENT."
    )(f)


def _dispute(text: str) -> tuple[Any, str]:
    from unicom_cs.period import Month

    month, sep, code = text.partition(":")
    if not sep or not code:
        raise click.BadParameter(
            f"{text!r}: expected YYYY-MM:LINE-CODE (2026-10:data)", param_hint="'--dispute'"
        )
    try:
        return Month.parse(month), code.strip()
    except Exception as e:
        raise click.BadParameter(f"{text!r}: {e}", param_hint="'--dispute'") from None


def _clock_text(clock: Any) -> str:
    used = clock.used
    hours = used.days * 24 + used.seconds // 3600
    mark = " (estimated calendar)" if clock.estimated else ""
    level = f", escalation level {clock.escalation}" if clock.escalation else ""
    return (
        f"{clock.name:<18} {clock.state.value:<9} due {clock.due_at.isoformat(timespec='minutes')}"
        f"  used {hours}h{(used.seconds // 60) % 60:02d}m{level}{mark}"
    )


def _print_ticket(tc: TicketClocks) -> None:
    t = tc.ticket
    rows = [
        ("ticket", t.id),
        ("category", t.category.value),
        ("priority", t.priority.value + (" (key customer)" if t.key_customer else "")),
        ("channel", t.channel.value),
        ("number", t.msisdn or "-"),
        ("state", t.state.value),
        ("version", str(t.version)),
        ("owner", t.owner),
        ("assignee", t.assignee),
        ("filed", t.created_at.isoformat(timespec="minutes")),
        ("description", t.description),
    ]
    for d in t.disputed:
        rows.append(("disputed", f"{d.bill_id} {d.code} {d.amount} (on hold while open)"))
    if t.resolution:
        rows.append(("resolution", t.resolution))
    if t.credit is not None:
        rows.append(
            ("credit", f"{t.credit}" + (f" approved by {t.approved_by}" if t.approved_by else ""))
        )
    for key, value in rows:
        click.echo(f"{key:>11}: {value}")
    click.echo("     clocks:")
    for clock in tc.clocks:
        click.echo(f"    {_clock_text(clock)}")
    click.echo("    history:")
    for s in t.steps:
        why = f" ({s.reason})" if s.reason else ""
        click.echo(
            f"    {s.at.isoformat(timespec='minutes')}  {s.state.value:<12} by {s.by}, "
            f"assignee {s.assignee}{why}"
        )
    for n in t.notes:
        to = " [to customer]" if n.to_customer else ""
        click.echo(f"    {n.at.isoformat(timespec='minutes')}  note by {n.by}{to}: {n.text}")
    for v in t.visits:
        score = f", score {v.score}" if v.score is not None else ""
        click.echo(f"    {v.at.isoformat(timespec='minutes')}  visit by {v.by}: {v.outcome}{score}")


def _done(ticket: Ticket, as_json: bool, what: str = "") -> None:
    if as_json:
        emit_json(ticket)
        return
    extra = f": {what}" if what else ""
    click.echo(
        f"{ticket.id} {ticket.state} (owner {ticket.owner}, assignee {ticket.assignee}){extra}"
    )


# ------------------------------------------------------------------ ucs complaint


@main.group()
def complaint() -> None:
    """Complaints (投诉): first-question responsibility, time limits, a closed loop."""


@complaint.command("file")
@click.option("--category", type=click.Choice(CATEGORIES), required=True)
@click.option("--description", "-d", required=True, help="The customer's words.")
@click.option("--number", default="", help="The line it is about.")
@click.option("--channel", type=click.Choice(CHANNELS), default="phone", show_default=True)
@click.option("--priority", type=click.Choice(PRIORITIES), default="normal", show_default=True)
@click.option(
    "--dispute",
    "disputes",
    multiple=True,
    metavar="YYYY-MM:CODE",
    help="A billing dispute's bill line (repeatable), e.g. 2026-10:data.",
)
@click.option("--key-customer", is_flag=True, help="A key customer or club member: fast lane.")
@by_option
@json_option
@pass_env
def complaint_file(
    env: Env,
    category: str,
    description: str,
    number: str,
    channel: str,
    priority: str,
    disputes: tuple[str, ...],
    key_customer: bool,
    by: str,
    as_json: bool,
) -> None:
    """File a complaint; the agent taking it (--by) owns it until it is closed."""
    from unicom_cs import care
    from unicom_cs.complaints import Category, ContactChannel, Priority

    ticket = care.file_complaint(
        env.store(),
        Category(category),
        description,
        by,
        env.now,
        channel=ContactChannel(channel),
        priority=Priority(priority),
        msisdn=number,
        disputed=[_dispute(d) for d in disputes],
        key_customer=key_customer,
    )
    held = sum((d.amount.amount for d in ticket.disputed), start=0)
    _done(
        ticket,
        as_json,
        f"{ticket.priority} {ticket.category}"
        + (f", {held:.2f} on hold" if ticket.disputed else ""),
    )


@complaint.command("show")
@click.argument("ticket_id")
@json_option
@pass_env
def complaint_show(env: Env, ticket_id: str, as_json: bool) -> None:
    """A ticket with its clocks (first response, next update, resolution, the regulator's 15
    days) and its whole history."""
    from unicom_cs import care

    tc = care.ticket_clocks(env.store(), ticket_id, env.now)
    if as_json:
        emit_json({"ticket": tc.ticket, "clocks": list(tc.clocks)})
        return
    _print_ticket(tc)


@complaint.command("list")
@click.option("--number", help="One line's tickets.")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES))
@click.option("--owner")
@click.option("--assignee")
@click.option("--breaching", is_flag=True, help="Only tickets with a clock in warning or breached.")
@json_option
@pass_env
def complaint_list(
    env: Env,
    number: str | None,
    states: tuple[str, ...],
    owner: str | None,
    assignee: str | None,
    breaching: bool,
    as_json: bool,
) -> None:
    """Tickets in filing order, with their worst clock."""
    from unicom_cs import care
    from unicom_cs.complaints import OPEN, TicketState
    from unicom_cs.sla import TargetState

    found = care.list_tickets(
        env.store(),
        env.now,
        msisdn=number,
        states=[TicketState(s) for s in states],
        owner=owner,
        assignee=assignee,
    )
    order = [TargetState.BREACHED, TargetState.WARNING, TargetState.RUNNING, TargetState.MET]

    def worst(tc: TicketClocks) -> Any:
        return min(tc.clocks, key=lambda c: order.index(c.state))

    if breaching:
        alarm = (TargetState.BREACHED, TargetState.WARNING)
        found = [tc for tc in found if tc.ticket.state in OPEN and worst(tc).state in alarm]
    if as_json:
        emit_json([{"ticket": tc.ticket, "clocks": list(tc.clocks)} for tc in found])
        return
    table(
        [
            [
                tc.ticket.id,
                tc.ticket.category.value,
                tc.ticket.priority.value,
                tc.ticket.state.value,
                tc.ticket.msisdn or "-",
                tc.ticket.owner,
                tc.ticket.assignee,
                f"{worst(tc).name}: {worst(tc).state.value}",
            ]
            for tc in found
        ],
        ["ticket", "category", "priority", "state", "number", "owner", "assignee", "worst clock"],
    )


def if_version_option(f: Any) -> Any:
    return click.option(
        "--if-version",
        type=click.IntRange(min=0),
        help="Change it only if it is still at this version (the one you were shown); "
        "otherwise nothing changes and the command fails.",
    )(f)


def _simple(name: str, help_text: str, needs_reason: bool) -> None:
    def run(
        env: Env, /, ticket_id: str, by: str, reason: str, if_version: int | None, as_json: bool
    ) -> None:
        from unicom_cs import care

        fn = getattr(care, name)
        args = (env.store(), ticket_id, by, env.now) + ((reason,) if needs_reason else ())
        _done(fn(*args, expected_version=if_version), as_json, reason)

    cmd: Any = click.argument("ticket_id")(run)  # decorators applied by hand, in a loop's stead
    cmd = by_option(cmd)
    cmd = if_version_option(cmd)
    if needs_reason:
        cmd = click.option("--reason", required=True, help="Why.")(cmd)
    else:
        cmd = click.option("--reason", default="", help="Why (optional).")(cmd)
    cmd = json_option(cmd)
    cmd = pass_env(cmd)
    complaint.command(name, help=help_text)(cmd)


_simple("pend", "Wait on the customer: the clocks pause until `resume`.", True)
_simple("resume", "The customer answered: the clocks run again.", False)
_simple("reopen", "Work a resolved or closed ticket again (same owner).", True)
_simple("reject", "Not a complaint the operator takes (not its service, a duplicate).", True)
_simple("cancel", "The customer withdrew the complaint.", True)


@complaint.command("assign")
@click.argument("ticket_id")
@click.argument("agent")
@by_option
@if_version_option
@json_option
@pass_env
def complaint_assign(
    env: Env, ticket_id: str, agent: str, by: str, if_version: int | None, as_json: bool
) -> None:
    """Give the ticket to AGENT to work on (the owner stays the owner)."""
    from unicom_cs import care

    ticket = care.assign(env.store(), ticket_id, agent, by, env.now, expected_version=if_version)
    _done(ticket, as_json)


@complaint.command("transfer")
@click.argument("ticket_id")
@click.argument("agent")
@click.option("--reason", required=True)
@by_option
@if_version_option
@json_option
@pass_env
def complaint_transfer(
    env: Env,
    ticket_id: str,
    agent: str,
    reason: str,
    by: str,
    if_version: int | None,
    as_json: bool,
) -> None:
    """Hand the ticket on to AGENT or a team (转派); the owner follows up."""
    from unicom_cs import care

    ticket = care.transfer(
        env.store(), ticket_id, agent, by, env.now, reason, expected_version=if_version
    )
    _done(ticket, as_json, reason)


@complaint.command("note")
@click.argument("ticket_id")
@click.argument("text")
@click.option("--to-customer", is_flag=True, help="An update given to the customer.")
@by_option
@if_version_option
@json_option
@pass_env
def complaint_note(
    env: Env,
    ticket_id: str,
    text: str,
    to_customer: bool,
    by: str,
    if_version: int | None,
    as_json: bool,
) -> None:
    """Add a note; --to-customer: an update the customer was given (the clocks count it)."""
    from unicom_cs import care

    ticket = care.note(
        env.store(),
        ticket_id,
        by,
        text,
        env.now,
        to_customer=to_customer,
        expected_version=if_version,
    )
    _done(ticket, as_json, "update to the customer" if to_customer else "note")


@complaint.command("resolve")
@click.argument("ticket_id")
@click.option("--resolution", required=True, help="What was done, as told to the customer.")
@click.option("--credit", type=MONEY, help="A billing dispute's credit to the account.")
@click.option(
    "--approved-by", default="", help="The supervisor approving a credit above the limit."
)
@by_option
@if_version_option
@json_option
@pass_env
def complaint_resolve(
    env: Env,
    ticket_id: str,
    resolution: str,
    credit: Money | None,
    approved_by: str,
    by: str,
    if_version: int | None,
    as_json: bool,
) -> None:
    """Resolve the ticket; a return visit becomes due (see `ucs visit list`)."""
    from unicom_cs import care

    done = care.resolve(
        env.store(),
        ticket_id,
        by,
        env.now,
        resolution,
        credit=credit,
        approved_by=approved_by,
        expected_version=if_version,
        actor=env.actor,
    )
    if as_json:
        emit_json({"ticket": done.ticket, "visit": done.visit, "adjustment": done.adjustment_id})
        return
    _done(done.ticket, False, resolution)
    if done.adjustment_id:
        click.echo(f"  credit {credit} posted as {done.adjustment_id}")
    click.echo(
        f"  return visit {done.visit.id} due {done.visit.due_at.isoformat(timespec='minutes')}"
    )


@complaint.command("close")
@click.argument("ticket_id")
@click.option(
    "--outcome",
    type=click.Choice(("satisfied", "dissatisfied", "unreachable")),
    required=True,
    help="The return visit's outcome: a ticket closes only with one.",
)
@click.option("--score", type=click.IntRange(1, 5), help="Satisfaction 1-5 (when reached).")
@click.option("--note", "note_text", default="")
@by_option
@if_version_option
@json_option
@pass_env
def complaint_close(
    env: Env,
    ticket_id: str,
    outcome: str,
    score: int | None,
    note_text: str,
    by: str,
    if_version: int | None,
    as_json: bool,
) -> None:
    """Record the return visit of a resolved ticket: satisfied closes it, dissatisfied
    reopens it, unreachable counts a failed attempt (the third closes it)."""
    from unicom_cs import care
    from unicom_cs.complaints import VisitOutcome
    from unicom_cs.errors import Conflict

    store = env.store()
    open_visits = [
        t for t in store.tasks(care.get_ticket(store, ticket_id).id) if t.done_at is None
    ]
    if not open_visits:
        raise Conflict("ticket", ticket_id, "has no return visit due: resolve it first")
    task, ticket = care.record_visit(
        store,
        open_visits[-1].id,
        by,
        env.now,
        VisitOutcome(outcome),
        score=score,
        note_text=note_text,
        expected_version=if_version,
    )
    assert ticket is not None
    _done(ticket, as_json, f"return visit {task.id}: {outcome}")


@complaint.group("policy")
def policy() -> None:
    """The SLA policy: time limits per category and priority, as TOML data."""


@policy.command("show")
@pass_env
def policy_show(env: Env) -> None:
    """Print the policy in force (the bundled one until you load your own)."""
    from unicom_cs import care
    from unicom_cs.sla import DEFAULT_SLA_TOML

    click.echo((env.store().setting(care.SLA_POLICY) or DEFAULT_SLA_TOML).strip())


@policy.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@pass_env
def policy_load(env: Env, file: Path) -> None:
    """Make FILE the center's SLA policy (checked whole first)."""
    from unicom_cs import care
    from unicom_cs.cli.commands import read_text

    parsed = care.set_policy(env.store(), read_text(file), str(file))
    click.echo(f"{file}: {len(parsed.rules)} policy rule(s) loaded")


@complaint.command("credit-limit")
@click.argument("amount", type=MONEY, required=False)
@pass_env
def complaint_credit_limit(env: Env, amount: Money | None) -> None:
    """Show, or set (`ucs --role supervisor`), the credit above which a supervisor approves."""
    from unicom_cs import care

    if amount is not None:
        care.set_credit_limit(env.store(), amount, env.now, env.actor)
    click.echo(f"credit limit {care.credit_limit(env.store())}")


# ------------------------------------------------------------------ ucs visit


@main.group()
def visit() -> None:
    """Return visits and outbound calls (回访, 外呼)."""


def _task_row(t: Task, now: datetime) -> list[object]:
    late = "overdue" if t.overdue(now) else ""
    return [
        t.id,
        t.kind.value,
        t.msisdn or "-",
        t.ticket_id or "-",
        t.due_at.isoformat(timespec="minutes"),
        len(t.attempts),
        t.outcome or late or "open",
        t.score if t.score is not None else "-",
    ]


@visit.command("list")
@click.option("--all", "show_all", is_flag=True, help="Done tasks too.")
@json_option
@pass_env
def visit_list(env: Env, show_all: bool, as_json: bool) -> None:
    """Tasks by due time: the open ones, or --all."""
    from unicom_cs import care

    tasks = care.list_tasks(env.store(), env.now, open_only=not show_all)
    if as_json:
        emit_json(tasks)
        return
    table(
        [_task_row(t, env.now) for t in tasks],
        ["task", "kind", "number", "ticket", "due", "attempts", "outcome", "score"],
    )


@visit.command("add")
@click.argument("kind", type=click.Choice(TASK_KINDS))
@click.argument("number")
@click.option("--due", required=True, help="When to call, ISO 8601 (naive = Beijing time).")
@click.option("--note", "note_text", default="")
@json_option
@pass_env
def visit_add(env: Env, kind: str, number: str, due: str, note_text: str, as_json: bool) -> None:
    """Plan an outbound call: retention, maintenance, telemarketing or a welcome call."""
    from unicom_cs import care
    from unicom_cs.errors import InvalidValue
    from unicom_cs.period import parse_instant
    from unicom_cs.visits import TaskKind

    try:
        due_at = parse_instant(due)
    except InvalidValue as e:
        raise click.BadParameter(str(e), param_hint="'--due'") from None
    task = care.add_task(env.store(), TaskKind(kind), number, due_at, env.now, note_text)
    if as_json:
        emit_json(task)
        return
    click.echo(
        f"{task.id} {task.kind} for {task.msisdn} due {task.due_at.isoformat(timespec='minutes')}"
    )


@visit.command("record")
@click.argument("task_id")
@click.option(
    "--outcome",
    type=click.Choice(("satisfied", "dissatisfied", "unreachable")),
    required=True,
)
@click.option("--score", type=click.IntRange(1, 5))
@click.option("--note", "note_text", default="")
@by_option
@json_option
@pass_env
def visit_record(
    env: Env,
    task_id: str,
    outcome: str,
    score: int | None,
    note_text: str,
    by: str,
    as_json: bool,
) -> None:
    """Record a call of a task (for a complaint's visit, the outcome drives the ticket)."""
    from unicom_cs import care
    from unicom_cs.complaints import VisitOutcome

    task, ticket = care.record_visit(
        env.store(), task_id, by, env.now, VisitOutcome(outcome), score=score, note_text=note_text
    )
    if as_json:
        emit_json({"task": task, "ticket": ticket})
        return
    state = "done" if task.done_at else f"open, {len(task.attempts)} attempt(s)"
    click.echo(f"{task.id} {state}" + (f"; {ticket.id} {ticket.state}" if ticket else ""))
