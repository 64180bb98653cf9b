"""The self-service channel commands: `ucs sms`, `ucs ivr`, `ucs hotline`, `ucs notify`,
`ucs roaming` and `ucs club`.

`ucs sms NUMBER TEXT` is what an SMS gateway does with one message: it prints the reply (each
part of a long reply on its own line) and takes the order the text asks for. `ucs ivr` plays
the 10010 voice menu in the terminal, reading key presses from stdin, so a call can be
scripted: ``printf '1\\n1\\n' | ucs ivr --caller 13012345678``.
"""

from __future__ import annotations

import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from unicom_cs.cli.app import Env, emit_json, json_option, main, pass_env, table

if TYPE_CHECKING:
    from unicom_cs.notify import Message

NEEDS = (
    "bill",
    "balance",
    "recharge",
    "package-change",
    "service-order",
    "suspend-or-loss",
    "complaint",
    "consultation",
    "roaming",
    "club",
    "manual",
)


# ------------------------------------------------------------------ ucs sms


@main.command()
@click.argument("number")
@click.argument("text")
@click.option(
    "--to",
    type=click.Choice(["10010", "10901"]),
    default="10010",
    show_default=True,
    help="10010 takes every command; 10901 answers bill queries.",
)
@click.option(
    "--lang", type=click.Choice(["zh-CN", "en"]), help="Reply language (default: the line's)."
)
@click.option("--id", "message_id", default="", help="The gateway's message id (idempotency).")
@json_option
@pass_env
def sms(
    env: Env, number: str, text: str, to: str, lang: str | None, message_id: str, as_json: bool
) -> None:
    """Answer TEXT sent by line NUMBER to 10010 (or 10901), as the SMS gateway would.

    Commands: YE balance, HF this month's charges, YL minutes/SMS/data left, ZD last month's
    bill (ZD202610 a month's), XJ star level, KT<code> order from next month, LJKT<code> order
    now, QX<code> cancel, KTSJLL roaming data back on, EN / ZW reply language, BZ help.
    """
    from unicom_cs.channels import handle_sms

    result = handle_sms(
        env.store(), number, text, env.now, to=to, locale=lang, message_id=message_id
    )
    if as_json:
        emit_json(result)
        return
    for part in result.parts:
        click.echo(part)


# ------------------------------------------------------------------ ucs ivr


def _keys(stream: Any) -> Any:
    """Key presses from a stream: each non-space character of each line is one key."""
    for line in stream:
        for ch in line.strip():
            if not ch.isspace():
                yield ch


@main.command()
@click.option("--caller", default="", help="The calling number (default: withheld).")
@click.option("--lang", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
@click.option("--abroad", is_flag=True, help="The caller is roaming abroad.")
@click.option("--key-customer", is_flag=True, help="The caller is a key customer.")
@pass_env
def ivr(env: Env, caller: str, lang: str, abroad: bool, key_customer: bool) -> None:
    """Play the 10010 voice menu: keys from stdin (1-9 choose, 0 agent, * back, # repeat).

    Read-outs are the caller's own line's figures; an order is taken on the hotline channel
    (no ID needed); a transfer prints the queue and ends the call. End of input hangs up.
    """
    from unicom_cs import ivr as menu_mod
    from unicom_cs.channels import line_facts, standing, submit_quietly
    from unicom_cs.club import fast_lane
    from unicom_cs.errors import InvalidValue, NotFound
    from unicom_cs.hotline import CallerProfile
    from unicom_cs.service import get_line, load_catalog

    store = env.store()
    catalog = load_catalog(store)
    menu = menu_mod.build_menu(catalog)
    msisdn = ""
    fast = False
    if caller:
        try:
            line = get_line(store, caller)
        except (NotFound, InvalidValue):
            line = None
        if line is not None and line.closed_at is None:
            msisdn = line.msisdn
            fast = fast_lane(standing(store, msisdn, env.now, catalog).level)
    profile = CallerProfile(
        msisdn, abroad=abroad, key_customer=key_customer, fast_lane=fast, locale=lang
    )
    call_id = uuid.uuid4().hex[:12]  # the switch's call id: order request ids derive from it
    turn = menu_mod.start(menu, call_id, profile)
    _say(turn.say)
    for key in _keys(sys.stdin):
        click.echo(f"> {key}")
        facts = line_facts(store, msisdn, env.now, catalog=catalog) if msisdn else None
        if facts is not None and turn.session.locale == "en":
            facts = line_facts(store, msisdn, env.now, catalog=catalog, locale="en")
        turn = menu_mod.step(menu, turn.session, key, facts)
        _say(turn.say)
        if turn.order is not None:
            outcome, _ = submit_quietly(store, turn.order, env.now)
            turn = menu_mod.order_said(menu, turn.session, outcome, turn.label)
            _say(turn.say)
        if turn.transfer is not None:
            r = turn.transfer
            click.echo(
                f"[transfer] {r.number} queue={r.queue} priority={r.priority} "
                f"self-service={'yes' if r.self_service else 'no'} ({r.why})"
            )
            return
    click.echo("[hang up]")


def _say(lines: tuple[str, ...]) -> None:
    for text in lines:
        click.echo(f"IVR: {text}")


# ------------------------------------------------------------------ ucs hotline


@main.group()
def hotline() -> None:
    """The hotlines: who serves what, what a call costs, where a caller is routed."""


@hotline.command("list")
@json_option
def hotline_list(as_json: bool) -> None:
    """The service numbers and what each serves."""
    from unicom_cs.hotline import HOTLINES

    if as_json:
        emit_json(list(HOTLINES))
        return
    table(
        [
            [h.number, h.name_zh, h.name, ", ".join(sorted(n.value for n in h.needs)), h.hours]
            for h in HOTLINES
        ],
        ["number", "名称", "name", "serves", "hours"],
    )


@hotline.command("cost")
@click.argument("number")
@click.option("--other-carrier", is_flag=True, help="The caller is not a China Unicom line.")
@click.option("--abroad", is_flag=True, help="The caller is roaming abroad.")
def hotline_cost(number: str, other_carrier: bool, abroad: bool) -> None:
    """Whether calling NUMBER (10010, 02110010, +86 13010199999…) is free."""
    from unicom_cs.hotline import Caller, call_cost

    caller = Caller.OTHER_CARRIER if other_carrier else Caller.UNICOM
    cost = call_cost(number, caller, abroad)
    click.echo(f"{'free' if cost.free else 'charged'}: {cost.why}")


@hotline.command("route")
@click.argument("need", type=click.Choice(NEEDS))
@click.option("--caller", default="", help="The calling number.")
@click.option("--abroad", is_flag=True)
@click.option("--key-customer", is_flag=True)
@click.option("--lang", type=click.Choice(["zh-CN", "en"]), default="zh-CN")
@json_option
@pass_env
def hotline_route(
    env: Env, need: str, caller: str, abroad: bool, key_customer: bool, lang: str, as_json: bool
) -> None:
    """Where a caller with NEED goes: the number, the queue, the priority."""
    from unicom_cs.channels import standing
    from unicom_cs.club import fast_lane
    from unicom_cs.errors import InvalidValue, NotFound
    from unicom_cs.hotline import Caller, CallerProfile, Need, route
    from unicom_cs.number import is_unicom
    from unicom_cs.service import get_line

    msisdn, fast, who = "", False, Caller.UNICOM
    if caller:
        try:
            msisdn = get_line(env.store(), caller).msisdn
            fast = fast_lane(standing(env.store(), msisdn, env.now).level)
        except (NotFound, InvalidValue):
            try:
                who = Caller.UNICOM if is_unicom(caller) else Caller.OTHER_CARRIER
            except InvalidValue:
                who = Caller.OTHER_CARRIER
    profile = CallerProfile(msisdn, who, abroad, key_customer, fast, lang)
    r = route(Need(need), profile)
    if as_json:
        emit_json(r)
        return
    click.echo(
        f"{r.number} queue={r.queue} priority={r.priority} "
        f"self-service={'yes' if r.self_service else 'no'} ({r.why})"
    )


# ------------------------------------------------------------------ ucs notify


@main.group()
def notify() -> None:
    """The notification outbox: welcome calls and SMS, bill notices, reminders, updates."""


@notify.command("run")
@json_option
@pass_env
def notify_run(env: Env, as_json: bool) -> None:
    """Add what is due to the outbox: messages for new events, first-visit welcomes, payment
    reminders, arrears notices and low-balance warnings at --now. Safe to repeat."""
    from unicom_cs.channels import run_notifications

    result = run_notifications(env.store(), env.now)
    if as_json:
        emit_json(result)
        return
    click.echo(f"{result.events} event(s) read, {len(result.made)} message(s) added")
    for m in result.made:
        click.echo(f"  {m.id} {m.template} → {m.recipient}: {m.text}")


@notify.command("outbox")
@click.option("--pending", is_flag=True, help="Only messages not sent yet.")
@json_option
@pass_env
def notify_outbox(env: Env, pending: bool, as_json: bool) -> None:
    """The outbox, oldest first (run `ucs notify run` to fill it)."""
    from unicom_cs.channels import outbox

    messages = outbox(env.store(), pending)
    if as_json:
        emit_json(messages)
        return
    _messages_table(messages)


def _messages_table(messages: list[Message]) -> None:
    table(
        [[m.id, _minute(m.created_at), m.medium, m.recipient, m.state, m.text] for m in messages],
        ["id", "at", "via", "to", "state", "text"],
    )


def _minute(instant: datetime) -> str:
    return instant.isoformat(timespec="minutes")


@notify.command("mark-sent")
@click.argument("message_id")
@click.option("--failed", "failure", metavar="REASON", help="The gateway could not send it.")
@pass_env
def notify_mark_sent(env: Env, message_id: str, failure: str | None) -> None:
    """Record that message MESSAGE_ID was sent (completed), or failed with --failed REASON."""
    from unicom_cs.channels import mark_message

    done = mark_message(
        env.store(), message_id, env.now, failed=failure is not None, reason=failure or ""
    )
    click.echo(f"{done.id} {done.state}")


# ------------------------------------------------------------------ ucs roaming


@main.group()
def roaming() -> None:
    """International roaming: destinations, rates, trip estimates (+86 13010199999)."""


@roaming.command("info")
@click.argument("country")
@json_option
@pass_env
def roaming_info(env: Env, country: str, as_json: bool) -> None:
    """Operators, coverage, rates, day packs and dialling for COUNTRY (JP, US, GB, HK…)."""
    from unicom_cs.roaming import destination_info
    from unicom_cs.service import load_catalog

    info = destination_info(country, load_catalog(env.store()))
    if as_json:
        emit_json(info)
        return
    d, z = info.destination, info.zone
    rows = [
        ("destination", f"{d.name} ({d.name_zh}, {d.country})"),
        ("zone", f"{z.id}: {z.name}"),
        ("operators", ", ".join(d.operators)),
        ("coverage", d.coverage),
        ("activation", d.activation),
        ("local calls", f"{info.voice_local}/min"),
        ("calls to China", f"{info.voice_to_china}/min"),
        ("receiving calls", f"{info.voice_receive}/min"),
        ("SMS to China", f"{info.sms_to_china} each; receiving free"),
        (
            "data",
            f"{info.day_pack_fee} a day pack of {info.day_pack_mb} MB, up to "
            f"{info.day_pack_max} a day ({info.daily_cap}), then off until KTSJLL",
        ),
        ("call China", d.dialling.to_china),
        ("call locally", d.dialling.local),
        ("hotlines", "; ".join(d.dialling.hotlines)),
        ("local numbers", "; ".join(f"{k} {v}" for k, v in d.local_service_numbers)),
    ]
    for k, v in rows:
        click.echo(f"{k:>15}: {v}")
    click.echo("Calls are rounded up to the minute per call; days are Beijing days.")


@roaming.command("estimate")
@click.argument("country")
@click.option("--days", type=click.IntRange(1, 366), required=True)
@click.option("--local-min", type=click.IntRange(0), default=0, help="Local minutes a day.")
@click.option("--to-china-min", type=click.IntRange(0), default=0, help="Minutes to China a day.")
@click.option("--received-min", type=click.IntRange(0), default=0, help="Received minutes a day.")
@click.option("--sms", type=click.IntRange(0), default=0, help="SMS to China a day.")
@click.option("--data-mb", type=click.IntRange(0), default=0, help="MB of data a day.")
@json_option
@pass_env
def roaming_estimate(
    env: Env,
    country: str,
    days: int,
    local_min: int,
    to_china_min: int,
    received_min: int,
    sms: int,
    data_mb: int,
    as_json: bool,
) -> None:
    """What a trip to COUNTRY will cost, with the daily data-cap warning."""
    from unicom_cs.roaming import TripUsage, estimate_trip
    from unicom_cs.service import load_catalog

    usage = TripUsage(
        days=days,
        local_minutes=local_min,
        to_china_minutes=to_china_min,
        received_minutes=received_min,
        sms=sms,
        data_mb=data_mb,
    )
    est = estimate_trip(country, usage, load_catalog(env.store()))
    if as_json:
        emit_json(est)
        return
    d = est.destination
    click.echo(f"{d.name} ({d.name_zh}), {est.days} day(s), zone {est.zone.id}")
    table(
        [[x.label, x.quantity, x.unit, x.rate, x.amount] for x in est.lines]
        + [["total", "", "", "", est.total]],
        ["item", "qty", "unit", "rate", "amount"],
        right=(1, 3, 4),
    )
    for w in est.warnings:
        click.echo(f"warning: {w}")


# ------------------------------------------------------------------ ucs club


@main.group()
def club() -> None:
    """The customer club (10018): star levels, privileges, special services."""


@club.command("show")
@click.argument("number")
@json_option
@pass_env
def club_show(env: Env, number: str, as_json: bool) -> None:
    """The line's star level, how it was reached, and its privileges."""
    from unicom_cs.channels import standing

    s = standing(env.store(), number, env.now)
    if as_json:
        emit_json(s)
        return
    level = str(s.level) if s.level is not None else f"not rated ({s.reason})"
    click.echo(f"{s.msisdn}: {level}")
    if s.level is not None and s.window is not None:
        click.echo(
            f"  score {s.score} = spend score {s.spend_score} (average {s.average_spend} "
            f"over {s.billed_months} month(s), {s.window[0]}–{s.window[1]}) × network-age "
            f"score {s.age_score} ({s.tenure_months} months)"
        )
    if s.next_review is not None:
        click.echo(f"  next review: {s.next_review}")
    for p in s.privileges:
        mark = " (request with `ucs club request`)" if p.special else ""
        click.echo(f"  - {p.zh} / {p.en}{mark}")


@club.command("request")
@click.argument("number")
@click.argument("code")
@click.option("--request-id", help="The front-end's id (a retry is the same request).")
@click.option("--by", default="", help="The 10018 agent.")
@json_option
@pass_env
def club_request(
    env: Env, number: str, code: str, request_id: str | None, by: str, as_json: bool
) -> None:
    """Request special service CODE (airport-lounge, card-delivery…) for line NUMBER."""
    from unicom_cs.cli.orders import _submit

    _submit(
        env,
        number,
        "club-service",
        code,
        channel="hotline",
        password=None,
        id_doc=None,
        request_id=request_id,
        by=by or "10018 agent",
        reason="customer club special service",
        as_json=as_json,
    )


@club.command("rules")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@pass_env
def club_rules_cmd(env: Env, file: Path | None) -> None:
    """Print the club rules (TOML), or replace them with FILE's."""
    from unicom_cs.channels import CLUB_RULES_SETTING, club_rules
    from unicom_cs.club import DEFAULT_CLUB_RULES_TOML, parse_club_rules

    store = env.store()
    if file is None:
        club_rules(store)  # the stored rules still parse
        click.echo(store.setting(CLUB_RULES_SETTING) or DEFAULT_CLUB_RULES_TOML, nl=False)
        return
    from unicom_cs.cli.commands import read_text

    text = read_text(file)
    parse_club_rules(text, str(file))
    with store.transaction():
        store.set_setting(CLUB_RULES_SETTING, text)
    click.echo(f"club rules from {file} in force")
