"""The contact-center commands: `ucs contact import` and `ucs kpi report|staff`.

`kpi report` prints the period's KPIs with their counts and goals, then the daily (or weekly)
series as one sparkline per KPI; `--plot FILE.png` draws the series with matplotlib, an
optional extra (``pip install 'unicom_cs[plot]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from unicom_cs.cli.app import DATE, Env, emit_json, fail, json_option, main, pass_env, table

if TYPE_CHECKING:
    from unicom_cs.kpi import KpiReport, KpiValues, Mean, Ratio
    from unicom_cs.service import ImportReport

PLOT_HINT = "pip install 'unicom_cs[plot]'"


# ------------------------------------------------------------------ contacts


@main.group()
def contact() -> None:
    """Contact records (calls, messages, chats) from the call-center logs."""


@contact.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-bad",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Import the good rows and write the bad ones, with reasons, to this CSV.",
)
@pass_env
def contact_import(env: Env, file: Path, rejects_path: Path | None) -> None:
    """Import a call-center log (id,channel,queue,offered_at,answered_at,ended_at,answered_by,
    agent,abandoned,msisdn,ticket_id,topic).

    A file with any bad row is rejected whole unless --skip-bad is given; importing a file
    again changes nothing.
    """
    from unicom_cs.care_contacts import import_contacts
    from unicom_cs.cli.commands import run_import
    from unicom_cs.contacts import parse_contacts

    def take(data: bytes, skip_bad: bool) -> ImportReport:
        return import_contacts(env.store(), parse_contacts(data, str(file)), skip_bad=skip_bad)

    run_import(file, rejects_path, take)


# ------------------------------------------------------------------ KPIs


@main.group()
def kpi() -> None:
    """Service-commitment KPIs and Erlang C staffing."""


#: The KPIs as shown: field of `KpiValues`, label, and how a value reads.
RATIOS = (
    ("manual_connection", "manual connection rate"),
    ("service_level", "service level"),
    ("abandonment", "abandonment rate"),
    ("consultations_in_5_min", "consultations within 5 min"),
    ("hours_with_service", "hours with service"),
    ("first_contact_resolution", "first-contact resolution"),
    ("complaint_sla", "complaint SLA compliance"),
    ("satisfied", "satisfied (score 4-5)"),
)
MEANS = (
    ("speed_of_answer_s", "average speed of answer", " s"),
    ("handle_time_s", "average handle time", " s"),
    ("satisfaction", "satisfaction (1-5)", ""),
)
ORDER = (
    "manual_connection",
    "service_level",
    "speed_of_answer_s",
    "abandonment",
    "handle_time_s",
    "consultations_in_5_min",
    "hours_with_service",
    "first_contact_resolution",
    "complaint_sla",
    "satisfaction",
    "satisfied",
)
_LABELS = dict(RATIOS) | {k: v for k, v, _ in MEANS}
_UNITS = {k: u for k, _, u in MEANS}
BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[Decimal | None]) -> str:
    """One character per value, from ▁ (the lowest) to █ (the highest); ▄ throughout when
    they are all equal; · for no value."""
    found = [v for v in values if v is not None]
    lo, hi = min(found, default=Decimal(0)), max(found, default=Decimal(0))
    top = len(BARS) - 1
    out = []
    for v in values:
        if v is None:
            out.append("·")
        elif hi == lo:
            out.append(BARS[top // 2])
        else:
            out.append(BARS[int(((v - lo) / (hi - lo) * top).to_integral_value(ROUND_HALF_UP))])
    return "".join(out)


def _value(values: KpiValues, name: str) -> Decimal | None:
    """The KPI's value as shown: a mean's value, a ratio's percentage."""
    item = getattr(values, name)
    value: Decimal | None = item.value if name in _UNITS else item.percent
    return value


def _reading(values: KpiValues, name: str) -> tuple[str, str]:
    """(the value as shown, what it was counted from)."""
    if name in _UNITS:
        m: Mean = getattr(values, name)
        shown = "-" if m.value is None else f"{m.value}{_UNITS[name]}"
        return shown, f"{m.total} / {m.count}"
    r: Ratio = getattr(values, name)
    return ("-" if r.percent is None else f"{r.percent}%"), f"{r.part} / {r.whole}"


def print_report(report: KpiReport) -> None:
    t = report.totals
    days = (report.end - report.start).days
    click.echo(
        f"KPIs {report.start} to {report.end - timedelta(days=1)} ({days} day(s)): "
        f"{t.offered} contact(s) offered, {t.answered_by_agent} answered by an agent, "
        f"{t.answered_by_ivr} by the IVR, {t.abandoned} abandoned, {t.unanswered} unanswered"
        + ("" if report.final else " (provisional: repeats may still come)")
    )
    goals = {g.kpi: g for g in report.goals}
    rows = []
    for name in ORDER:
        shown, counted = _reading(t, name)
        label = _LABELS[name]
        if name == "service_level":
            label = f"service level ({report.answer_within_s} s)"
        goal = goals.get(name)
        mark = ""
        if goal is not None:
            met = goal.met(getattr(t, name))
            mark = f"{goal} " + {True: "met", False: "MISSED", None: "-"}[met]
        rows.append([label, shown, counted, mark])
    table(rows, ["KPI", "value", "counted", "goal"], right=(1, 2))
    if len(report.series) < 2:
        return
    first, last = report.series[0].start, report.series[-1].start
    click.echo(
        f"\nBy {report.by}, {first} to {last} (one mark a {report.by}, "
        "▁ the lowest to █ the highest; · nothing counted):"
    )
    width = max(len(_LABELS[n]) for n in ORDER)
    for name in ORDER:
        series = [_value(s, name) for s in report.series]
        found = [v for v in series if v is not None]
        span = f"  {min(found)} to {max(found)}{_UNITS.get(name, '%')}" if found else ""
        click.echo(f"{_LABELS[name]:<{width}}  {sparkline(series)}{span}")


def plot_report(report: KpiReport, path: Path) -> None:
    """The series as a PNG: rates (%), times (s) and satisfaction, one panel each."""
    import importlib

    # imported by name: an optional extra, which mypy need not find installed
    importlib.import_module("matplotlib").use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")

    days = [s.start for s in report.series]
    fig, (rates, times, scores) = plt.subplots(3, 1, figsize=(10, 10), sharex=True)
    for name, label in RATIOS:
        rates.plot(days, [_float(_value(s, name)) for s in report.series], marker="o", label=label)
    rates.set_ylabel("%")
    rates.set_ylim(0, 105)
    rates.legend(fontsize="small", ncol=2)
    for name, label, _ in MEANS[:2]:
        times.plot(days, [_float(_value(s, name)) for s in report.series], marker="o", label=label)
    times.set_ylabel("seconds")
    times.legend(fontsize="small")
    scores.plot(days, [_float(_value(s, "satisfaction")) for s in report.series], marker="o")
    scores.set_ylabel("satisfaction (1-5)")
    scores.set_ylim(0, 5.2)
    dates = importlib.import_module("matplotlib.dates")
    scores.xaxis.set_major_formatter(dates.DateFormatter("%Y-%m-%d"))
    if len(days) <= 31:
        scores.set_xticks(days)
    end = report.end - timedelta(days=1)
    fig.suptitle(f"Contact-center KPIs by {report.by}, {report.start} to {end}")
    fig.autofmt_xdate()
    try:
        fig.savefig(path, dpi=100)
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    finally:
        plt.close(fig)


def _float(v: Decimal | None) -> float:
    return float("nan") if v is None else float(v)


@kpi.command("report")
@click.option("--from", "first", type=DATE, required=True, help="The first day, YYYY-MM-DD.")
@click.option("--to", "last", type=DATE, required=True, help="The last day (included).")
@click.option(
    "--by",
    type=click.Choice(["day", "week"]),
    default="day",
    show_default=True,
    help="The series: each day, or each ISO week (Monday to Sunday).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Also draw the series to this PNG (needs matplotlib: {PLOT_HINT}).",
)
@json_option
@pass_env
def kpi_report(
    env: Env, first: date, last: date, by: str, plot: Path | None, as_json: bool
) -> None:
    """The service-commitment KPIs of the days --from to --to, with their daily or weekly
    series (see docs/kpi.md for each formula)."""
    if last < first:
        raise click.BadParameter(f"{last} is before --from {first}", param_hint="'--to'")
    if plot is not None:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            fail(f"--plot needs matplotlib, which is not installed: {PLOT_HINT}")
    from unicom_cs.care_contacts import kpi_report as compute

    report = compute(env.store(), first, last + timedelta(days=1), by, env.now)
    if plot is not None:
        plot_report(report, plot)
    if as_json:
        emit_json(report)
        return
    print_report(report)
    if plot is not None:
        click.echo(f"\nplot written to {plot}")


@kpi.command("staff")
@click.option(
    "--calls-per-hour",
    type=click.FloatRange(min=0),
    required=True,
    help="Contacts offered per hour.",
)
@click.option(
    "--aht",
    type=click.FloatRange(min=0, min_open=True),
    required=True,
    help="Average handle time, seconds.",
)
@click.option(
    "--target",
    type=click.FloatRange(0, 100, min_open=True, max_open=True),
    required=True,
    help="The service level to meet, % (85 for 85%).",
)
@click.option(
    "--within",
    type=click.FloatRange(min=0),
    default=20,
    show_default=True,
    help="Answered within this many seconds.",
)
@json_option
def kpi_staff(
    calls_per_hour: float, aht: float, target: float, within: float, as_json: bool
) -> None:
    """How many agents meet a service level, by Erlang C (no store needed)."""
    from unicom_cs import kpi as k

    plan = k.staffing(calls_per_hour, aht, target, within)
    if as_json:
        emit_json(plan)
        return
    click.echo(
        f"{_g(calls_per_hour)} calls/hour × {_g(aht)} s = {plan.traffic_erlangs:.2f} erlangs: "
        f"{plan.agents} agent(s) answer {_g(target)}% within {_g(within)} s"
    )
    if plan.agents == 0:
        return
    rows: list[list[Any]] = []
    low = max(1, int(plan.traffic_erlangs) + 1, plan.agents - 4)
    for n in range(low, plan.agents + 3):
        sl = 100 * k.service_level(plan.traffic_erlangs, n, plan.aht_s, within)
        asa = k.average_speed_of_answer(plan.traffic_erlangs, n, plan.aht_s)
        rows.append(
            [
                f"{n}{' <' if n == plan.agents else ''}",
                f"{sl:.2f}%",
                f"{100 * k.erlang_c(plan.traffic_erlangs, n):.2f}%",
                f"{asa:.1f} s",
                f"{100 * plan.traffic_erlangs / n:.1f}%",
                "█" * round(sl / 5),
            ]
        )
    table(
        rows,
        ["agents", "service level", "P(wait)", "avg speed of answer", "occupancy", ""],
        right=(1, 2, 3, 4),
    )


def _g(x: float) -> str:
    return f"{x:g}"
