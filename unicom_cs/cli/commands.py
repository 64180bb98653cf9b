"""The `ucs` commands: NOUN VERB, each parsing its arguments, calling a service and printing."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from unicom_cs.cli.app import (
    DATE,
    MONEY,
    Env,
    emit_json,
    fail,
    json_option,
    main,
    month_option,
    pass_env,
    pause,
    table,
)

if TYPE_CHECKING:
    from unicom_cs.billing import Bill
    from unicom_cs.money import Money
    from unicom_cs.period import Month
    from unicom_cs.rating import RatedRecord
    from unicom_cs.service import AccountStatus, ImportReport


# ------------------------------------------------------------------ store


@main.command()
@pass_env
def init(env: Env) -> None:
    """Create the store with the bundled catalog (safe to run again)."""
    from unicom_cs import service

    created = service.init_store(env.store(create=True, migrate=True))
    catalog = service.load_catalog(env.store())
    state = "created" if created else "already initialised"
    click.echo(
        f"store {env.shown_location}: {state}; {len(catalog.plans)} plans, "
        f"{len(catalog.packs)} data packs, {len(catalog.roaming)} roaming zones, "
        f"{len(catalog.services)} value-added services"
    )


@main.command()
@month_option("The month to bill (default: last month).")
@pass_env
def demo(env: Env, month: Month | None) -> None:
    """Build a demo store (customers, a month of usage), issue the bills and show one."""
    from unicom_cs import service
    from unicom_cs.account import EntryKind, PaymentMode
    from unicom_cs.demo import demo_lines, demo_usage
    from unicom_cs.money import Money
    from unicom_cs.period import Month as M
    from unicom_cs.usage import ParsedCdrs

    now = env.now
    month = month or M.of(now).previous()
    if month >= M.of(now):
        fail(f"--month {month} has not ended (now is {now.isoformat()})")
    store = env.store(create=True)
    service.init_store(store)
    for line in demo_lines(month):
        if store.get_subscriber(line.number.upper()) is None:
            service.add_line(
                store,
                line.number,
                line.plan_id,
                line.activated,
                mode=line.mode,
                first_month=line.first_month,
                name=line.name,
                account_id=line.account_id,
            )
        if line.mode is PaymentMode.PREPAID and not store.entries(f"ACC-{line.number}"):
            service.receive_money(
                store, line.number, Money(500), EntryKind.RECHARGE, month.start, "demo"
            )
    imported = 0
    for line in demo_lines(month):
        if not line.usage:
            continue
        for m, until in ((month, None), (month.next(), now)):
            records = tuple(demo_usage(line.number, m, until=until))
            report = service.import_usage(
                store, ParsedCdrs(records, (), len(records), source="demo"), skip_bad=True
            )
            imported += report.imported
    issued = sum(len(r.earlier) + 1 for r in service.run_bills(store, month, now) if r.bill)
    click.echo(
        f"demo store {env.shown_location}: {len(demo_lines(month))} lines, "
        f"{imported} usage records imported, {issued} bills issued for {month}\n"
    )
    bill, _ = service.bill_for(store, demo_lines(month)[0].number, now, month, rated=False)
    _print_bill(bill, _state(store, bill))
    click.echo("\nTry: ucs bill explain 18612345678 --month " + str(month))


# ------------------------------------------------------------------ tariffs


@main.group()
def tariff() -> None:
    """The catalog: plans, data packs, roaming zones."""


@tariff.command("list")
@json_option
@pass_env
def tariff_list(env: Env, as_json: bool) -> None:
    """List plans and data packs."""
    from unicom_cs import service

    catalog = service.load_catalog(env.store())
    if as_json:
        emit_json(
            {"plans": list(catalog.plans.values()), "data_packs": list(catalog.packs.values())}
        )
        return
    rows: list[list[object]] = []
    for p in catalog.plans.values():
        a = p.allowance
        rows.append([p.id, p.kind.value, p.monthly_fee, a.voice_minutes, _mb(a.data_mb), p.name])
    for k in catalog.packs.values():
        rows.append([k.id, "data-pack", k.fee, "", _mb(k.data_mb), k.name])
    table(rows, ["id", "kind", "fee", "minutes", "data", "name"], right=(2, 3, 4))


def _mb(mb: int) -> str:
    return "" if not mb else f"{mb // 1024} GB" if mb % 1024 == 0 else f"{mb} MB"


@tariff.command("show")
@click.argument("plan_id")
@json_option
@pass_env
def tariff_show(env: Env, plan_id: str, as_json: bool) -> None:
    """Show one plan, data pack or value-added service with all its rules."""
    from unicom_cs import service
    from unicom_cs.serialization import unstructure

    catalog = service.load_catalog(env.store())
    entry: Any
    if plan_id in catalog.packs:
        entry = catalog.packs[plan_id]
    elif plan_id in catalog.services:
        entry = catalog.services[plan_id]
    else:
        entry = catalog.plan(plan_id)
    if as_json:
        emit_json(entry)
        return
    _print_tree(unstructure(entry))


def _print_tree(data: dict[str, Any], indent: int = 0) -> None:
    """Nested fields, leaving out those that are unset (0, empty, false)."""
    for key, value in data.items():
        if isinstance(value, dict):
            if any(_is_set(v) for v in value.values()):
                click.echo(" " * indent + f"{key}:")
                _print_tree(value, indent + 2)
        elif _is_set(value) or key == "monthly_fee":
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            click.echo(" " * indent + f"{key}: {shown}")


def _is_set(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_is_set(v) for v in value.values())
    return value not in (None, "", [], False, 0, "0.00")


@tariff.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_env
def tariff_load(env: Env, file: Path) -> None:
    """Add the plans, packs and zones of a TOML catalog file (validated first)."""
    from unicom_cs import service

    text = read_text(file)
    entries = service.add_tariffs(env.store(), text, str(file))
    click.echo(
        f"{file}: loaded {len(entries.plans)} plan(s), {len(entries.packs)} data pack(s), "
        f"{len(entries.roaming)} roaming zone(s), {len(entries.services)} value-added "
        "service(s)"
        + (f", retention fee {entries.retention_fee}" if entries.retention_fee is not None else "")
    )


def read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        fail(f"{file}: not UTF-8 (byte {e.start + 1})")
    except OSError as e:
        fail(f"{file}: {e.strerror}")
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ subscribers


@main.group()
def subscriber() -> None:
    """Lines (mobile, fixed, broadband) and their accounts."""


@subscriber.command("add")
@click.argument("number")
@click.option("--plan", "plan_id", required=True, help="Plan id, see `ucs tariff list`.")
@click.option("--activated", type=DATE, required=True, help="Activation date, YYYY-MM-DD.")
@click.option(
    "--first-month",
    type=click.Choice(["full", "half", "pay-per-use"]),
    help="First-month option (data cards decide by the day: half from the 16th).",
)
@click.option("--prepaid/--postpaid", default=False, help="Payment mode (default postpaid).")
@click.option("--name", default="", help="The customer's name.")
@click.option("--account", "account_id", help="Join an existing account (default: a new one).")
@click.option(
    "--password", envvar="UCS_PASSWORD", help="The six-digit service password, or UCS_PASSWORD."
)
@click.option("--id-doc", help="The holder's identity document (kept masked).")
@json_option
@pass_env
def subscriber_add(
    env: Env,
    number: str,
    plan_id: str,
    activated: Any,
    first_month: str | None,
    prepaid: bool,
    name: str,
    account_id: str | None,
    password: str | None,
    id_doc: str | None,
    as_json: bool,
) -> None:
    """Open a line NUMBER on a plan."""
    import secrets

    from unicom_cs import service
    from unicom_cs.account import PaymentMode
    from unicom_cs.catalog import FirstMonth
    from unicom_cs.identity import SALT_BYTES

    sub = service.add_line(
        env.store(),
        number,
        plan_id,
        activated,
        mode=PaymentMode.PREPAID if prepaid else PaymentMode.POSTPAID,
        first_month=FirstMonth(first_month) if first_month else None,
        name=name,
        account_id=account_id,
        password=password,
        salt=secrets.token_bytes(SALT_BYTES) if password is not None else b"",
        id_document=id_doc,
    )
    if as_json:
        emit_json(sub.redacted())
        return
    click.echo(
        f"line {sub.msisdn} opened on {sub.plan_id} from {sub.activated} "
        f"(first month: {sub.first_month.value}), account {sub.account_id}"
    )


def reveal_option(f: Any) -> Any:
    return click.option(
        "--reveal",
        is_flag=True,
        help="Show the holder's name and identity number unmasked (written to the audit trail).",
    )(f)


def _revealed(env: Env, reveal: bool, subject: str) -> bool:
    if reveal:
        from unicom_cs import service

        service.record_reveal(env.store(), env.actor, subject, env.now)
    return reveal


@subscriber.command("show")
@click.argument("number")
@reveal_option
@json_option
@pass_env
def subscriber_show(env: Env, number: str, reveal: bool, as_json: bool) -> None:
    """Show a line, its account and what the numbering plan says about it.

    The holder's name and identity number are masked unless --reveal is given.
    """
    from unicom_cs import service
    from unicom_cs.errors import InvalidValue
    from unicom_cs.number import LineKind, mobile_info
    from unicom_cs.period import Month

    store = env.store()
    line = service.get_line(store, number)
    shown = _revealed(env, reveal, line.msisdn)
    sub = line.redacted(reveal=shown)  # what this command shows of the line
    account = service.get_account(store, sub.account_id).redacted(reveal=shown)
    carrier = province = None
    if sub.kind is LineKind.MOBILE:
        try:
            info = mobile_info(sub.msisdn)
            carrier, province = info.carrier, info.province
        except InvalidValue:
            pass
    if as_json:
        emit_json(
            {
                "line": sub,
                "status": sub.status.value,
                "plan_now": sub.plan_on(Month.of(env.now)),
                "pending_plan": (
                    None
                    if (change := sub.pending_change(env.now)) is None
                    else {"plan_id": change.plan_id, "from": str(change.month)}
                ),
                "roaming_open": sub.roaming_open_at(env.now),
                "account": account,
                "carrier": carrier,
                "home_province": province,
            },
            reveal=shown,
        )
        return
    now = env.now
    this = Month.of(now)
    pending = sub.pending_change(now)
    status = sub.status.value + (
        f" since {sub.statuses[-1].at.isoformat(timespec='minutes')}" if sub.statuses else ""
    )
    rows = [
        ("number", sub.msisdn),
        ("kind", sub.kind.value),
        ("status", status),
        (
            "plan",
            sub.plan_on(this) + (f" (→ {pending.plan_id} from {pending.month})" if pending else ""),
        ),
        ("activated", sub.activated),
        ("first month", sub.first_month.value),
        ("name", sub.name or "-"),
        ("holder id", sub.holder_id or "-"),
        ("password", "set" if sub.password else "not set"),
        ("account", f"{account.id} ({account.mode.value})"),
    ]
    if carrier is not None:
        rows += [("carrier", carrier or "-"), ("home province", province or "nationwide")]
    packs = [
        f"{p.pack_id} from {p.month}" + (f" to {p.end.previous()}" if p.end else "")
        for p in sub.packs
        if p.end is None or p.end > this
    ]
    services = sorted({p.code for p in sub.services if p.end is None or p.end > now})
    rows += [
        ("data packs", ", ".join(packs) or "-"),
        ("services", ", ".join(services) or "-"),
        ("roaming", "open" if sub.roaming_open_at(now) else "closed"),
    ]
    for k, v in rows:
        click.echo(f"{k:>14}: {v}")


def _line_row(s: Any, month: Month) -> list[object]:
    return [
        s.msisdn,
        s.kind.value,
        s.plan_on(month),
        s.status.value,
        s.activated,
        s.account_id,
        s.name,
    ]


@subscriber.command("list")
@reveal_option
@json_option
@pass_env
def subscriber_list(env: Env, reveal: bool, as_json: bool) -> None:
    """List every line (holders' names masked unless --reveal)."""
    from unicom_cs.period import Month

    shown = _revealed(env, reveal, "every line")
    subs = [s.redacted(reveal=shown) for s in env.store().subscribers()]
    if as_json:
        emit_json(subs, reveal=shown)
        return
    this = Month.of(env.now)
    table(
        [_line_row(s, this) for s in subs],
        ["number", "kind", "plan", "status", "activated", "account", "name"],
    )


# ------------------------------------------------------------------ usage


@main.group()
def usage() -> None:
    """Call detail records."""


@usage.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-bad",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Import the good rows and write the bad ones, with reasons, to this CSV.",
)
@pass_env
def usage_import(env: Env, file: Path, rejects_path: Path | None) -> None:
    """Import a CDR CSV file (id,msisdn,service,direction,start,duration_s,bytes,peer,location).

    A file with any bad row is rejected whole unless --skip-bad is given; importing a file
    again changes nothing.
    """
    from unicom_cs import service
    from unicom_cs.usage import parse_cdrs

    def take(data: bytes, skip_bad: bool) -> ImportReport:
        return service.import_usage(env.store(), parse_cdrs(data, str(file)), skip_bad=skip_bad)

    run_import(file, rejects_path, take)


def run_import(
    file: Path, rejects_path: Path | None, take: Callable[[bytes, bool], ImportReport]
) -> None:
    """Read FILE, import it with `take(data, skip_bad)`, write the rejects (when asked) and
    print the report: the shared shape of `usage import` and `contact import`."""
    from unicom_cs.errors import BatchRejected

    try:
        data = file.read_bytes()
    except OSError as e:
        fail(f"{file}: {e.strerror}")
    rejects = None if rejects_path is None else open_rejects(rejects_path, file)
    with rejects or contextlib.nullcontext():
        try:
            report = take(data, rejects is not None)
        except BatchRejected as e:  # a file with no rows at all: still list why in the rejects
            if rejects is not None:
                write_rejects(rejects, e.errors)
            raise
        if rejects is not None:
            write_rejects(rejects, report.rejected)
    click.echo(
        f"{file}: {report.rows} row(s): {report.imported} imported, "
        f"{report.already_imported} already imported, {report.repeated} repeated in the file, "
        f"{len(report.rejected)} rejected"
        + (f" (written to {rejects.name})" if report.rejected and rejects else "")
    )
    for err in report.rejected:
        click.echo(f"  {err}", err=True)


def open_rejects(path: Path, cdrs: Path) -> TextIO:
    """The rejects file, opened before the import: if it cannot be written, nothing is stored.

    It must not be the CDR file itself, which opening it for writing would empty.
    """
    hint = "'--skip-bad'"
    if path.resolve() == cdrs.resolve():
        raise click.BadParameter("is the file being imported", param_hint=hint)
    try:
        return path.open("w", encoding="utf-8", newline="")
    except OSError as e:
        raise click.BadParameter(f"{path}: {e.strerror}", param_hint=hint) from None


def write_rejects(out: TextIO, errors: Any) -> None:
    import csv

    w = csv.writer(out, lineterminator="\n")
    w.writerow(["where", "reason", "row"])
    for e in errors:
        w.writerow([e.where, e.reason, e.text])


@usage.command("list")
@click.argument("number")
@month_option("The month (default: this month).")
@json_option
@pass_env
def usage_list(env: Env, number: str, month: Month | None, as_json: bool) -> None:
    """List a line's usage records for a month."""
    from unicom_cs import service
    from unicom_cs.period import SHANGHAI
    from unicom_cs.period import Month as M

    records = service.list_usage(env.store(), number, month or M.of(env.now))
    if as_json:
        emit_json(records)
        return
    table(
        [
            [
                r.id,
                r.start.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                r.service.value,
                r.direction.value,
                r.duration_s or "",
                r.bytes or "",
                r.peer,
                r.location,
            ]
            for r in records
        ],
        ["id", "start", "service", "dir", "seconds", "bytes", "peer", "location"],
        right=(4, 5),
    )


# ------------------------------------------------------------------ bills


@main.group()
def bill() -> None:
    """Bill inquiry, explanation and the monthly bill run."""


def _state(store: Any, bill: Bill) -> str:
    """TMF678 state of an issued bill; "unbilled" (charges so far) or "new" otherwise."""
    from unicom_cs import service

    if not bill.is_issued:
        return "unbilled" if bill.as_of < bill.month.end else "new"
    found = (
        s.state.value for s in service.settlements(store, bill.account_id) if s.bill_id == bill.id
    )
    return next(found, "sent")


def _print_bill(bill: Bill, state: str, records: tuple[RatedRecord, ...] = ()) -> None:
    from unicom_cs.period import SHANGHAI

    as_of = bill.as_of.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    head = f"Bill {bill.msisdn} {bill.month} ({state}; plan {bill.plan_id}"
    if bill.is_issued:
        head += f"; due by {bill.due_date})"
    else:
        head += f"; charges to {as_of})"
    click.echo(head)
    table(
        [[line.label, line.amount] for line in bill.lines]
        + [["Total", f"{bill.total} {bill.currency}"]],
        ["line", "amount"],
        right=(1,),
    )
    if records:
        click.echo("")
        table(
            [
                [
                    r.record.id,
                    r.record.start.astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
                    r.record.service.value,
                    r.record.direction.value,
                    f"{r.units:,} {r.unit}",
                    r.charge,
                    r.note,
                ]
                for r in records
            ],
            ["id", "start", "service", "dir", "units", "charge", "how"],
            right=(4, 5),
        )


def bill_json(bill: Bill, state: str, records: tuple[RatedRecord, ...] | None) -> dict[str, Any]:
    from unicom_cs.serialization import unstructure

    data: dict[str, Any] = unstructure(bill)
    data["id"] = bill.id
    data["state"] = state
    data["due_at"] = bill.due_at.isoformat() if bill.is_issued else None
    if records is not None:
        data["records"] = unstructure(list(records))
    return data


@bill.command("show")
@click.argument("number", required=False)
@click.option("--account", "account_id", help="Every line of an account instead of one line.")
@month_option("A past month's bill (default: this month so far).")
@click.option("--detail", is_flag=True, help="Itemise every record with its charge.")
@json_option
@pass_env
def bill_show(
    env: Env,
    number: str | None,
    account_id: str | None,
    month: Month | None,
    detail: bool,
    as_json: bool,
) -> None:
    """Show a line's bill: this month's charges so far, or a month's bill."""
    from unicom_cs import service
    from unicom_cs.money import total

    if (number is None) == (account_id is None):
        raise click.UsageError("give either a NUMBER or --account ACCOUNT")
    store, now = env.store(), env.now
    if account_id is not None:
        bills = service.account_bills(store, account_id, now, month)
        if as_json:
            emit_json(
                {
                    "account_id": account_id,
                    "month": str(month) if month else None,
                    "bills": [bill_json(b, _state(store, b), None) for b in bills],
                    "total": str(total(b.total for b in bills)),
                    "currency": "CNY",
                }
            )
            return
        for b in bills:
            _print_bill(b, _state(store, b))
            click.echo("")
        click.echo(f"Account {account_id} total: {total(b.total for b in bills)} CNY")
        return
    assert number is not None
    the_bill, records = service.bill_for(store, number, now, month, rated=detail)
    state = _state(store, the_bill)
    if as_json:
        emit_json(bill_json(the_bill, state, records if detail else None))
        return
    _print_bill(the_bill, state, records if detail else ())


@bill.command("explain")
@click.argument("number")
@month_option("The month (default: this month so far).")
@json_option
@pass_env
def bill_explain(env: Env, number: str, month: Month | None, as_json: bool) -> None:
    """Explain how every line of a bill was computed, in words to read to the customer."""
    from unicom_cs import service
    from unicom_cs.billing import explain

    the_bill, _ = service.bill_for(env.store(), number, env.now, month, rated=False)
    if as_json:
        emit_json(
            {
                "msisdn": the_bill.msisdn,
                "month": str(the_bill.month),
                "lines": [
                    {
                        "code": line.code.value,
                        "amount": str(line.amount),
                        "exact": str(line.exact),
                        "explanation": line.explanation,
                    }
                    for line in the_bill.lines
                ],
                "total": str(the_bill.total),
                "currency": the_bill.currency,
            }
        )
        return
    click.echo(f"Bill {the_bill.msisdn} {the_bill.month}, plan {the_bill.plan_id}:")
    for n, text in enumerate(explain(the_bill), 1):
        click.echo(
            click.wrap_text(text, width=96, initial_indent=f"{n}. ", subsequent_indent="   ")
        )


@bill.command("run", retry=False)  # each line is retried on its own
@month_option("The month to bill.", required=True)
@click.option(
    "--shard",
    metavar="I/N",
    help="Bill only part I of N (by account), so that N workers share one store.",
)
@json_option
@pass_env
def bill_run(env: Env, month: Month, shard: str | None, as_json: bool) -> None:
    """Issue the month's bills for every line (new → sent); lines already billed are skipped.

    With --shard I/N, N workers (processes or machines on one PostgreSQL store) each run part
    I of N; the parts are disjoint by account and no bill is ever issued twice.
    """
    from unicom_cs import service
    from unicom_cs.errors import InvalidValue
    from unicom_cs.money import ZERO, total

    try:
        part = service.Shard.parse(shard) if shard is not None else None
    except InvalidValue as e:
        raise click.BadParameter(e.reason, param_hint="'--shard'") from None

    store = env.store()
    lines = service.lines_to_bill(store, part)
    issued = skipped = 0
    amount = ZERO  # a running total: the run keeps no bill once it is issued
    results = service.run_bills(store, month, env.now, part, pause, lines)
    stderr = sys.stderr
    with click.progressbar(length=len(lines), label=f"billing {month}", file=stderr) as bar:
        unbilled = []
        for r in results:
            bar.update(1)
            if r.skipped == service.UNBILLED_BY_RACE:
                unbilled.append(r.msisdn)
            elif r.bill is None:
                skipped += 1
            else:
                issued += 1 + len(r.earlier)
                amount = total((amount, r.bill.total, *(b.total for b in r.earlier)))
    if as_json:
        emit_json(
            {
                "month": str(month),
                "issued": issued,
                "skipped": skipped,
                "unbilled": unbilled,
                "total": str(amount),
                "currency": "CNY",
            }
        )
    else:
        click.echo(f"{month}: {issued} bill(s) issued, total {amount} CNY; {skipped} skipped")
    if unbilled:
        fail(
            f"{len(unbilled)} line(s) not billed, concurrent changes won every attempt: "
            f"{', '.join(unbilled[:5])}{'…' if len(unbilled) > 5 else ''}; run the month again"
        )


@bill.command("adjust")
@click.argument("number")
@click.argument("amount", type=MONEY)
@month_option("The month the adjustment is for.", required=True)
@click.option("--reason", required=True, help="Why (shown on the bill).")
@pass_env
def bill_adjust(env: Env, number: str, amount: Money, month: Month, reason: str) -> None:
    """Post an adjustment to a line's open month; a negative AMOUNT is a credit.

    Put the options first and a negative amount after `--`:
    ucs bill adjust 18612345678 --month 2026-11 --reason "dropped calls" -- -5.00

    Every adjustment goes to the audit trail; one above the credit limit needs
    `ucs --role supervisor`.
    """
    from unicom_cs import service

    adj = service.adjust(env.store(), number, month, amount, reason, env.now, actor=env.actor)
    click.echo(f"{adj.id}: {adj.amount} on {adj.msisdn} {adj.month} ({adj.reason})")


# ------------------------------------------------------------------ money


def _print_status(st: AccountStatus) -> None:
    rows = [
        ("account", f"{st.account.id} ({st.account.mode.value})"),
        ("lines", ", ".join(st.lines)),
        ("balance", f"{st.balance} CNY"),
        ("unbilled charges", f"{st.unbilled} CNY"),
        ("arrears", f"{st.arrears} CNY"),
    ]
    for k, v in rows:
        click.echo(f"{k:>16}: {v}")
    if st.bills:
        click.echo("")
        table(
            [[s.bill_id, s.amount, s.paid, s.state.value] for s in st.bills],
            ["bill", "amount", "paid", "state"],
            right=(1, 2),
        )


@main.command()
@click.argument("number")
@json_option
@pass_env
def balance(env: Env, number: str, as_json: bool) -> None:
    """Balance, unbilled charges, arrears and bills of a line's account."""
    from unicom_cs import service

    st = service.line_status(env.store(), number, env.now)
    if as_json:
        emit_json(st)
        return
    _print_status(st)


def _receive(env: Env, number: str, amount: Money, kind_name: str) -> None:
    from unicom_cs import service
    from unicom_cs.account import EntryKind

    store = env.store()
    entry = service.receive_money(store, number, amount, EntryKind(kind_name), env.now, "ucs")
    st = service.account_status(store, entry.account_id, env.now)
    click.echo(
        f"{kind_name} {entry.amount} CNY to {entry.account_id} ({entry.id}); "
        f"balance {st.balance} CNY, arrears {st.arrears} CNY"
    )


@main.command()
@click.argument("number")
@click.argument("amount", type=MONEY)
@pass_env
def pay(env: Env, number: str, amount: Money) -> None:
    """Pay AMOUNT yuan to a line's account (settles the oldest bills first)."""
    _receive(env, number, amount, "payment")


@main.command()
@click.argument("number")
@click.argument("amount", type=MONEY)
@pass_env
def recharge(env: Env, number: str, amount: Money) -> None:
    """Recharge AMOUNT yuan (the 10011 recharge line)."""
    _receive(env, number, amount, "recharge")


@main.command()
@click.argument("number", required=False)
@json_option
@pass_env
def arrears(env: Env, number: str | None, as_json: bool) -> None:
    """Accounts in arrears (欠费), or one line's account."""
    from unicom_cs import service

    rows = service.arrears(env.store(), env.now, number)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no arrears")
        return
    table(
        [[r.account_id, r.mode.value, ", ".join(r.lines), r.arrears] for r in rows],
        ["account", "mode", "lines", "arrears"],
        right=(3,),
    )


# ------------------------------------------------------------------ events


@main.command()
@click.option(
    "--after", type=click.IntRange(min=0), default=0, help="Only events after this number."
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many events.")
@json_option
@pass_env
def events(env: Env, after: int, limit: int | None, as_json: bool) -> None:
    """Domain events in the order they happened (lines opened, bills issued, payments...).

    A notification gateway polls `ucs events --after N --json` for welcome SMS, bill SMS and
    receipts; N is the last number it handled.
    """
    from unicom_cs.serialization import unstructure

    found = env.store().events(after, limit)
    if as_json:
        emit_json([{"seq": seq, "type": type(e).__name__, **unstructure(e)} for seq, e in found])
        return
    rows = []
    for seq, event in found:
        fields = unstructure(event)
        summary = ", ".join(f"{k}={v}" for k, v in fields.items() if not isinstance(v, list | dict))
        rows.append([seq, type(event).__name__, summary])
    table(rows, ["#", "event", "what"], right=(0,))
