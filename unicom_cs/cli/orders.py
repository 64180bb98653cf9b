"""The business-acceptance commands: service orders, their friendly verbs, and a line's history.

`ucs order submit NUMBER TYPE [PRODUCT]` takes any order; `ucs package change`, `ucs service
open|close`, `ucs pack order|cancel` and `ucs line suspend|resume|…` are the same orders under
the names an agent uses. Every order states its channel (`--channel`, hotline by default), and
carries what the channel checks: `--password` on the web and SMS channels, `--id-doc` at a
counter. The CLI draws the random parts (request ids, password salts); the core draws none.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from unicom_cs.cli.app import Env, emit_json, json_option, main, pass_env, table

if TYPE_CHECKING:
    from unicom_cs.orders import ServiceOrder
    from unicom_cs.service import OrderResult

F = TypeVar("F", bound=Callable[..., Any])

CHANNELS = ("hotline", "sms", "web", "counter")
STATES = (
    "acknowledged",
    "inProgress",
    "pending",
    "held",
    "completed",
    "rejected",
    "cancelled",
    "failed",
)


def order_options(f: F) -> F:
    """The options every order takes: channel, proof of identity, request id, who and why."""
    options = [
        click.option(
            "--channel",
            type=click.Choice(CHANNELS),
            default="hotline",
            show_default=True,
            help="Where the order comes from: the hotline needs no ID; the web and SMS "
            "check the service password; a counter verifies the identity document.",
        ),
        click.option(
            "--password",
            envvar="UCS_PASSWORD",
            help="The line's service password (web, SMS), or UCS_PASSWORD.",
        ),
        click.option("--id-doc", help="The holder's identity document (counter)."),
        click.option(
            "--request-id",
            help="The front-end's id for this request: a retry with the same id is the same "
            "order (default: a new id).",
        ),
        click.option("--by", default="", help="The agent taking the order."),
        click.option("--reason", default="", help="Why, in the customer's words."),
        json_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _submit(
    env: Env,
    number: str,
    order_type: str,
    product: str = "",
    *,
    channel: str,
    password: str | None,
    id_doc: str | None,
    request_id: str | None,
    by: str,
    reason: str,
    as_json: bool,
    immediate: bool = False,
    holder: str = "",
    new_password: str | None = None,
    new_id_doc: str | None = None,
) -> None:
    from unicom_cs import service
    from unicom_cs.identity import SALT_BYTES
    from unicom_cs.orders import Channel, Credentials, OrderRequest, OrderType

    try:
        kind = OrderType(order_type)
    except ValueError:
        known = ", ".join(t.value for t in OrderType)
        raise click.BadParameter(
            f"{order_type!r} is not an order type (one of: {known})", param_hint="TYPE"
        ) from None
    request = OrderRequest(
        request_id or f"cli-{uuid.uuid4()}",
        number,
        kind,
        Channel(channel),
        product.strip(),
        immediate,
        by,
        reason,
        holder,
    )
    credentials = Credentials(
        password,
        id_doc,
        new_password,
        new_id_doc,
        secrets.token_bytes(SALT_BYTES) if new_password is not None else b"",
    )
    result = service.submit_order(env.store(), request, env.now, credentials)
    _print_result(result, as_json)


def _print_result(result: OrderResult, as_json: bool) -> None:
    if as_json:
        from unicom_cs.cli.commands import bill_json

        emit_json(
            {
                "order": result.order,
                "repeated": result.repeated,
                "final_bills": [bill_json(b, "sent", None) for b in result.final_bills],
                "cancelled": [o.id for o in result.cancelled],
            }
        )
        return
    order = result.order
    again = " (already submitted with this request id)" if result.repeated else ""
    click.echo(f"{order.id} {order.type} {order.state}{again}: {order.summary}")
    if order.state == "pending":
        click.echo(f"  takes effect {order.effective_at.isoformat(timespec='minutes')}")
    for gone in result.cancelled:
        click.echo(f"  {gone.id} {gone.type} cancelled: {gone.reason}")
    for bill in result.final_bills:
        kind = "final bill" if bill.final else "bill"
        click.echo(f"  {kind} {bill.month}: {bill.total} yuan, due by {bill.due_date}")


def _print_order(order: ServiceOrder) -> None:
    r = order.request
    rows = [
        ("order", order.id),
        ("number", order.msisdn),
        ("type", order.type.value),
        ("product", r.product or "-"),
        ("state", order.state.value),
        ("what", order.summary or "-"),
        ("channel", r.channel.value),
        ("request id", r.request_id),
        ("submitted", order.submitted_at.isoformat(timespec="seconds")),
        ("effective", order.effective_at.isoformat(timespec="seconds")),
    ]
    if order.reason:
        rows.append(("reason", order.reason))
    for k, v in rows:
        click.echo(f"{k:>10}: {v}")
    click.echo("   history:")
    for step in order.transitions:
        why = f" ({step.reason})" if step.reason else ""
        click.echo(
            f"    {step.at.isoformat(timespec='seconds')}  {step.state.value:<12} "
            f"{step.channel.value}, by {step.by}{why}"
        )


# ------------------------------------------------------------------ ucs order


@main.group()
def order() -> None:
    """Service orders (业务受理): submit, show, list, cancel, and complete those due."""


@order.command("submit")
@click.argument("number")
@click.argument("order_type", metavar="TYPE")
@click.argument("product", required=False, default="")
@click.option("--immediate", is_flag=True, help="Data packs: this month (LJKT), not next (KT).")
@click.option("--holder", default="", help="change-holder: the new holder's name.")
@click.option("--new-password", help="set-password: the new six-digit service password.")
@click.option("--new-id-doc", help="change-holder: the new holder's identity document.")
@order_options
@pass_env
def order_submit(env: Env, /, number: str, order_type: str, product: str, **kw: Any) -> None:
    """Submit an order of TYPE for line NUMBER; PRODUCT is the service, pack or plan id.

    TYPE: service-open, service-close, pack-order, pack-cancel, package-change, suspend,
    resume, report-loss, lift-loss, roaming-open, roaming-close, close, change-holder,
    set-password, register-holder.
    """
    _submit(env, number, order_type, product, **kw)


@order.command("show")
@click.argument("order_id")
@json_option
@pass_env
def order_show(env: Env, order_id: str, as_json: bool) -> None:
    """Show an order and every step of its life (who, when, channel, why)."""
    from unicom_cs import service

    found = service.get_order(env.store(), order_id, env.now)
    if as_json:
        emit_json(found)
        return
    _print_order(found)


@order.command("list")
@click.argument("number", required=False)
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Repeatable.")
@json_option
@pass_env
def order_list(env: Env, number: str | None, states: tuple[str, ...], as_json: bool) -> None:
    """List orders (of one line), oldest first."""
    from unicom_cs import service
    from unicom_cs.orders import OrderState

    found = service.list_orders(env.store(), env.now, number, [OrderState(s) for s in states])
    if as_json:
        emit_json(found)
        return
    table(
        [
            [
                o.id,
                o.msisdn,
                o.type.value,
                o.request.product or "-",
                o.state.value,
                o.request.channel.value,
                o.submitted_at.isoformat(timespec="minutes"),
                o.effective_at.isoformat(timespec="minutes"),
            ]
            for o in found
        ],
        ["order", "number", "type", "product", "state", "channel", "submitted", "effective"],
    )


@order.command("cancel")
@click.argument("order_id")
@click.option("--channel", type=click.Choice(CHANNELS), default="hotline", show_default=True)
@click.option("--by", default="", help="The agent.")
@click.option("--reason", default="withdrawn by the customer", show_default=True)
@json_option
@pass_env
def order_cancel(
    env: Env, order_id: str, channel: str, by: str, reason: str, as_json: bool
) -> None:
    """Withdraw an order that has not taken effect (a pending package change, a KT pack…)."""
    from unicom_cs import service
    from unicom_cs.orders import Channel

    cancelled = service.withdraw_order(
        env.store(), order_id, env.now, by=by, channel=Channel(channel), reason=reason
    )
    if as_json:
        emit_json(cancelled)
        return
    click.echo(f"{cancelled.id} {cancelled.type} cancelled: {cancelled.summary}")


@order.command("run")
@json_option
@pass_env
def order_run(env: Env, as_json: bool) -> None:
    """Complete the pending orders whose time has come (run it at 00:00 on the 1st)."""
    from unicom_cs import service

    done = service.process_due_orders(env.store(), env.now)
    if as_json:
        emit_json(done)
        return
    for o in done:
        click.echo(f"{o.id} {o.type} completed: {o.summary}")
    click.echo(f"{len(done)} order(s) completed")


# ------------------------------------------------------------------ friendly verbs


@main.group()
def package() -> None:
    """Package (套餐) changes: they take effect at 00:00 on the 1st of next month."""


@package.command("change")
@click.argument("number")
@click.argument("plan_id")
@order_options
@pass_env
def package_change(env: Env, /, number: str, plan_id: str, **kw: Any) -> None:
    """Change line NUMBER to PLAN_ID from next month (one pending change per line)."""
    _submit(env, number, "package-change", plan_id, **kw)


@main.group()
def service() -> None:
    """Value-added services (增值业务): caller display, ring-back tone, mailbox…"""


@service.command("list")
@json_option
@pass_env
def service_list(env: Env, as_json: bool) -> None:
    """The catalog's value-added services and their monthly fees."""
    from unicom_cs.service import load_catalog

    catalog = load_catalog(env.store())
    if as_json:
        emit_json(list(catalog.services.values()))
        return
    table(
        [
            [s.id, s.kind.value, s.monthly_fee, f"{s.name} {s.name_zh}".strip()]
            for s in catalog.services.values()
        ],
        ["service", "kind", "fee/month", "name"],
        right=[2],
    )


@service.command("open")
@click.argument("number")
@click.argument("code")
@order_options
@pass_env
def service_open(env: Env, /, number: str, code: str, **kw: Any) -> None:
    """Open value-added service CODE on line NUMBER now (billed by the day this month)."""
    _submit(env, number, "service-open", code, **kw)


@service.command("close")
@click.argument("number")
@click.argument("code")
@order_options
@pass_env
def service_close(env: Env, /, number: str, code: str, **kw: Any) -> None:
    """Close value-added service CODE on line NUMBER now."""
    _submit(env, number, "service-close", code, **kw)


@main.group()
def pack() -> None:
    """Monthly data packs (流量包): ordered until cancelled, one order a month per group."""


@pack.command("order")
@click.argument("number")
@click.argument("pack_id")
@click.option("--immediate", is_flag=True, help="From this month (LJKT…), not next (KT…).")
@order_options
@pass_env
def pack_order(env: Env, /, number: str, pack_id: str, **kw: Any) -> None:
    """Order data pack PACK_ID on line NUMBER, from next month or, --immediate, this month."""
    _submit(env, number, "pack-order", pack_id, **kw)


@pack.command("cancel")
@click.argument("number")
@click.argument("pack_id")
@order_options
@pass_env
def pack_cancel(env: Env, /, number: str, pack_id: str, **kw: Any) -> None:
    """Cancel data pack PACK_ID on line NUMBER from next month (00:00 on the 1st)."""
    _submit(env, number, "pack-cancel", pack_id, **kw)


@main.group()
def line() -> None:
    """A line's status: suspend, resume, report a loss, close; roaming; holder; password."""


def _line_verb(name: str, order_type: str, doc: str) -> None:
    @line.command(name, help=doc)
    @click.argument("number")
    @order_options
    @pass_env
    def verb(env: Env, /, number: str, **kw: Any) -> None:
        _submit(env, number, order_type, **kw)


_line_verb("suspend", "suspend", "Suspend line NUMBER now (报停): the number is kept.")
_line_verb("resume", "resume", "Resume a suspended line NUMBER now (复机).")
_line_verb("report-loss", "report-loss", "Report line NUMBER lost (挂失): usage blocked at once.")
_line_verb(
    "lift-loss", "lift-loss", "Lift the loss report of line NUMBER (解挂; counter, with ID)."
)
_line_verb("close", "close", "Close line NUMBER (销户; counter, with ID): issues its final bill.")
_line_verb("roaming-open", "roaming-open", "Open international roaming on line NUMBER.")
_line_verb("roaming-close", "roaming-close", "Close international roaming on line NUMBER.")


@line.command("password")
@click.argument("number")
@click.option(
    "--new-password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The new six-digit service password (prompted when not given).",
)
@order_options
@pass_env
def line_password(env: Env, /, number: str, new_password: str, **kw: Any) -> None:
    """Set the service password of line NUMBER (counter, with the holder's ID)."""
    _submit(env, number, "set-password", new_password=new_password, **kw)


@line.command("register-holder")
@click.argument("number")
@click.option("--holder", required=True, help="The holder's name, as on the contract.")
@order_options
@pass_env
def line_register_holder(env: Env, /, number: str, holder: str, **kw: Any) -> None:
    """Register the holder of line NUMBER, which has none on record (real-name registration,
    实名登记; counter, with the holder's --id-doc)."""
    _submit(env, number, "register-holder", holder=holder, **kw)


@line.command("change-holder")
@click.argument("number")
@click.option("--holder", required=True, help="The new holder's name.")
@click.option("--new-id-doc", required=True, help="The new holder's identity document.")
@order_options
@pass_env
def line_change_holder(env: Env, /, number: str, holder: str, new_id_doc: str, **kw: Any) -> None:
    """Transfer line NUMBER to a new holder (过户; counter, with both documents)."""
    _submit(env, number, "change-holder", holder=holder, new_id_doc=new_id_doc, **kw)


# ------------------------------------------------------------------ history


@main.command()
@click.argument("number")
@json_option
@pass_env
def history(env: Env, number: str, as_json: bool) -> None:
    """The line's whole audit trail: orders and their steps, bills, payments, in time order."""
    from unicom_cs import service

    items = service.history(env.store(), number, env.now)
    if as_json:
        emit_json(items)
        return
    table(
        [[i.at.isoformat(timespec="minutes"), i.kind, i.ref, i.text] for i in items],
        ["when", "what", "ref", "details"],
    )
