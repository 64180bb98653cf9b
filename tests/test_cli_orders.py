"""`ucs order|package|service|pack|line|history`: service orders end to end through the CLI.

Each test runs `ucs` with click's CliRunner on a temporary SQLite store at a fixed `--now`, and
checks both what the agent sees and what the store holds afterwards (read back through
`ucs order list --json`, `ucs subscriber show --json`, `ucs bill show --json`, `ucs events`).
A rejected order must leave the store as it was, with one line on stderr and no traceback; no
output ever carries the service password's hash.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from unicom_cs.cli import main
from unicom_cs.orders import OrderType

NOW = "2026-11-25T10:00:00"  # a Wednesday; Beijing time
LATER = "2026-11-25T11:00:00"
NEXT_MONTH = "2026-12-01T00:00:00"  # when next-month orders take effect
NUMBER = "18612345678"
ID_DOC = "11010519491231002X"  # the holder's resident identity card (GB 11643 check char X)
NEW_ID_DOC = "440524188001010014"  # another person's
PASSWORD = "135790"
COUNTER = ("--channel", "counter", "--id-doc", ID_DOC)

Ucs = Callable[..., Result]


@pytest.fixture
def ucs(tmp_path: Path) -> Ucs:
    # No variable of the caller's environment leaks in (UCS_PASSWORD would answer the web's check).
    runner = CliRunner(
        env={"UCS_STORE": None, "UCS_NOW": None, "UCS_PASSWORD": None, "UCS_DEBUG": None}
    )
    store = str(tmp_path / "store.sqlite3")

    def run(
        *args: str,
        code: int = 0,
        now: str = NOW,
        input: str | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> Result:
        result = runner.invoke(main, ["--store", store, "--now", now, *args], input=input, env=env)
        seen = result.output + result.stderr
        assert "Traceback" not in seen
        assert "scrypt$" not in seen, "a password hash reached the output"
        assert result.exit_code == code, (args, result.output, result.stderr)
        if code == 0:
            assert result.exception is None or isinstance(result.exception, SystemExit)
        else:
            assert result.stderr.strip(), "a failure must say why on stderr"
        return result

    return run


def js(ucs: Ucs, *args: str, now: str = NOW) -> Any:
    """A command's --json output, parsed."""
    return json.loads(ucs(*args, "--json", now=now).stdout)


def snapshot(ucs: Ucs, number: str = NUMBER, now: str = NOW) -> tuple[str, str, str]:
    """What a rejected command must not change: the orders, the events and the line."""
    return (
        ucs("order", "list", "--json", now=now).stdout,
        ucs("events", "--json", now=now).stdout,
        ucs("subscriber", "show", number, "--json", now=now).stdout,
    )


def error_line(result: Result) -> str:
    """The one line a failure prints on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def orders(ucs: Ucs, *args: str, now: str = NOW) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = js(ucs, "order", "list", *args, now=now)
    return found


def line_json(ucs: Ucs, now: str = NOW) -> dict[str, Any]:
    shown: dict[str, Any] = js(ucs, "subscriber", "show", NUMBER, "--reveal", now=now)
    return shown


def bill_lines(ucs: Ucs, now: str = NOW, *args: str) -> dict[str, str]:
    bill = js(ucs, "bill", "show", NUMBER, *args, now=now)
    return {ln["code"]: ln["amount"] for ln in bill["lines"]}


def field(show_output: str, name: str) -> str:
    """One `name: value` row of `ucs subscriber show` / `ucs order show`."""
    for row in show_output.splitlines():
        key, sep, value = row.partition(": ")
        if sep and key.strip() == name:
            return value
    raise AssertionError(f"no {name!r} row in:\n{show_output}")


@pytest.fixture
def line(ucs: Ucs) -> str:
    """A postpaid 4G 56 line since 3 September, its holder's document on record, no password."""
    ucs("init")
    ucs(
        "subscriber",
        "add",
        NUMBER,
        "--plan",
        "4g-56",
        "--activated",
        "2026-09-03",
        "--name",
        "张三",
        "--id-doc",
        ID_DOC,
    )
    return NUMBER


@pytest.fixture
def with_password(ucs: Ucs, line: str) -> str:
    """The line with its service password set at a counter."""
    ucs("line", "password", line, "--new-password", PASSWORD, *COUNTER)
    return line


# ------------------------------------------------------------------ package change, order run


def test_a_package_change_is_pending_and_shown_by_subscriber_show(ucs: Ucs, line: str) -> None:
    out = ucs("package", "change", line, "4g-76").stdout
    assert out.splitlines() == [
        "ORD-000001 package-change pending: change package 4g-56 → 4g-76 from 2026-12 "
        "(00:00 on the 1st)",
        "  takes effect 2026-12-01T00:00+08:00",
    ]
    shown = ucs("subscriber", "show", line).stdout
    assert field(shown, "plan") == "4g-56 (→ 4g-76 from 2026-12)"
    data = line_json(ucs)
    assert data["plan_now"] == "4g-56"
    assert data["line"]["plan_changes"] == [
        {"month": "2026-12", "plan_id": "4g-76", "order_id": "ORD-000001"}
    ]
    [order] = orders(ucs, line)
    assert order["id"] == "ORD-000001" and order["state"] == "pending"
    assert order["request"]["product"] == "4g-76" and order["request"]["channel"] == "hotline"
    assert order["effective_at"] == "2026-12-01T00:00:00+08:00"
    assert [t["state"] for t in order["transitions"]] == ["acknowledged", "inProgress", "pending"]
    text = ucs("order", "show", "ORD-000001").stdout
    assert field(text, "state") == "pending" and field(text, "product") == "4g-76"
    assert "pending      hotline, by hotline agent (takes effect 2026-12-01T00:00+08:00)" in text
    # this month is still billed on the old plan
    assert bill_lines(ucs)["monthly-fee"] == "56.00"


def test_order_run_completes_the_orders_whose_time_has_come(ucs: Ucs, line: str) -> None:
    ucs("package", "change", line, "4g-76")
    assert ucs("order", "run").stdout == "0 order(s) completed\n"
    done = ucs("order", "run", now=NEXT_MONTH).stdout
    assert done.splitlines() == [
        "ORD-000001 package-change completed: change package 4g-56 → 4g-76 from 2026-12 "
        "(00:00 on the 1st)",
        "1 order(s) completed",
    ]
    assert js(ucs, "order", "run", now=NEXT_MONTH) == []  # nothing left to do
    order = js(ucs, "order", "show", "ORD-000001", now=NEXT_MONTH)
    assert order["state"] == "completed"
    last = order["transitions"][-1]
    assert (last["at"], last["by"], last["previous"]) == (
        "2026-12-01T00:00:00+08:00",
        "system",
        "pending",
    )
    assert line_json(ucs, now=NEXT_MONTH)["plan_now"] == "4g-76"
    assert "(→" not in field(ucs("subscriber", "show", line, now=NEXT_MONTH).stdout, "plan")
    assert bill_lines(ucs, "2026-12-02T09:00:00")["monthly-fee"] == "76.00"


def test_a_later_now_completes_a_due_order_without_order_run(ucs: Ucs, line: str) -> None:
    ucs("package", "change", line, "4g-76")
    later = "2026-12-02T09:00:00"
    [order] = orders(ucs, line, now=later)
    assert order["state"] == "completed"
    assert order["transitions"][-1]["at"] == "2026-12-01T00:00:00+08:00"
    assert field(ucs("order", "show", "ORD-000001", now=later).stdout, "state") == "completed"
    assert [o["id"] for o in orders(ucs, "--state", "completed", now=later)] == ["ORD-000001"]
    assert orders(ucs, "--state", "pending", now=later) == []


def test_order_cancel_withdraws_a_pending_package_change(ucs: Ucs, line: str) -> None:
    ucs("package", "change", line, "4g-76")
    out = ucs("order", "cancel", "ORD-000001", now=LATER).stdout
    assert out == (
        "ORD-000001 package-change cancelled: change package 4g-56 → 4g-76 from 2026-12 "
        "(00:00 on the 1st)\n"
    )
    assert field(ucs("subscriber", "show", line, now=LATER).stdout, "plan") == "4g-56"
    assert line_json(ucs, now=LATER)["line"]["plan_changes"] == []
    [order] = orders(ucs, line, now=LATER)
    assert order["state"] == "cancelled" and order["reason"] == "withdrawn by the customer"
    # December is billed on the plan the line kept
    assert bill_lines(ucs, "2026-12-02T09:00:00")["monthly-fee"] == "56.00"
    # a cancelled order stays cancelled; the line may take a new change
    again = ucs("order", "cancel", "ORD-000001", now=LATER, code=1)
    assert "ORD-000001" in error_line(again) and "cancelled" in error_line(again)
    assert "pending" in ucs("package", "change", line, "4g-106", now=LATER).stdout


def test_a_second_package_change_waits_for_the_first_to_be_withdrawn(ucs: Ucs, line: str) -> None:
    ucs("package", "change", line, "4g-76")
    before = snapshot(ucs)
    err = error_line(ucs("package", "change", line, "4g-106", code=1))
    assert "a change to 4g-76 from 2026-12 is pending (order ORD-000001)" in err
    assert "withdraw it first" in err
    assert snapshot(ucs) == before


def test_cancelling_an_order_that_has_taken_effect_says_to_submit_the_opposite_order(
    ucs: Ucs, line: str
) -> None:
    ucs("package", "change", line, "4g-76")
    result = ucs("order", "cancel", "ORD-000001", now="2026-12-01T00:00:01", code=1)
    # orders.withdraw has this message for exactly this case; the CLI should reach it
    assert "took effect at 2026-12-01T00:00+08:00: submit the opposite order" in error_line(result)
    assert line_json(ucs, now="2026-12-01T00:00:01")["plan_now"] == "4g-76"


# ------------------------------------------------------------------ value-added services


def test_service_list_shows_the_catalog_services_and_fees(ucs: Ucs, line: str) -> None:
    out = ucs("service", "list").stdout
    assert out.splitlines()[0].split() == ["service", "kind", "fee/month", "name"]
    assert "caller-id  mobile       6.00  Caller display 来电显示" in out
    listed = js(ucs, "service", "list")
    assert {s["id"]: s["monthly_fee"] for s in listed} == {
        "caller-id": "6.00",
        "ringback": "5.00",
        "mailbox": "5.00",
    }


def test_service_open_adds_a_prorated_line_to_the_bill_and_close_ends_it(
    ucs: Ucs, line: str
) -> None:
    out = ucs("service", "open", line, "caller-id").stdout
    assert out == (
        "ORD-000001 service-open completed: open caller-id "
        "(Caller display, 6.00/month, by the day this month)\n"
    )
    assert field(ucs("subscriber", "show", line).stdout, "services") == "caller-id"
    bill = js(ucs, "bill", "show", line)
    vas = [ln for ln in bill["lines"] if ln["code"] == "value-added-service"]
    # charges so far count the days begun: open on 25 November, now the 25th: 1/30 of 6.00
    assert [(ln["label"], ln["amount"]) for ln in vas] == [("Caller display", "0.20")]
    assert "1/30 days" in vas[0]["explanation"]
    assert bill["total"] == "56.20"
    # by the month's end, open 25-30 November: 6 of 30 days of 6.00 = 1.20
    month_end = js(ucs, "bill", "show", line, now="2026-11-30T23:00:00")
    assert month_end["total"] == "57.20"
    assert (
        "Caller display          1.20" in ucs("bill", "show", line, now="2026-11-30T23:00").stdout
    )

    closed = ucs("service", "close", line, "caller-id", now=LATER).stdout
    assert closed == "ORD-000002 service-close completed: close caller-id\n"
    assert field(ucs("subscriber", "show", line, now=LATER).stdout, "services") == "-"
    [period] = line_json(ucs, now=LATER)["line"]["services"]
    assert period == {
        "code": "caller-id",
        "start": "2026-11-25T10:00:00+08:00",
        "end": "2026-11-25T11:00:00+08:00",
    }
    # open on the 25th only: 1 day of 30
    assert bill_lines(ucs, LATER)["value-added-service"] == "0.20"
    assert [(o["request"]["type"], o["state"]) for o in orders(ucs, now=LATER)] == [
        ("service-open", "completed"),
        ("service-close", "completed"),
    ]


def test_a_service_cannot_be_opened_twice(ucs: Ucs, line: str) -> None:
    ucs("service", "open", line, "caller-id")
    before = snapshot(ucs, now=LATER)
    err = error_line(ucs("service", "open", line, "caller-id", now=LATER, code=1))
    assert err == (
        "error: service-open for 18612345678 rejected: caller-id is already open on 18612345678"
    )
    assert snapshot(ucs, now=LATER) == before


# ------------------------------------------------------------------ data packs


def test_an_immediate_pack_is_in_force_and_billed_this_month(ucs: Ucs, line: str) -> None:
    out = ucs("pack", "order", line, "3g-pack-10", "--immediate").stdout
    assert out == (
        "ORD-000001 pack-order completed: data pack 3g-pack-10 (10.00/month) this month (LJKT), "
        "until cancelled\n"
    )
    assert field(ucs("subscriber", "show", line).stdout, "data packs") == "3g-pack-10 from 2026-11"
    assert bill_lines(ucs)["data-pack"] == "10.00"
    [order] = orders(ucs)
    assert order["state"] == "completed" and order["request"]["immediate"] is True


def test_a_next_month_pack_is_pending_and_billed_from_next_month(ucs: Ucs, line: str) -> None:
    out = ucs("pack", "order", line, "3g-pack-20").stdout
    assert out.splitlines() == [
        "ORD-000001 pack-order pending: data pack 3g-pack-20 (20.00/month) from 2026-12 (KT), "
        "until cancelled",
        "  takes effect 2026-12-01T00:00+08:00",
    ]
    assert field(ucs("subscriber", "show", line).stdout, "data packs") == "3g-pack-20 from 2026-12"
    assert "data-pack" not in bill_lines(ucs)
    assert bill_lines(ucs, "2026-12-02T09:00:00")["data-pack"] == "20.00"
    [order] = orders(ucs, now="2026-12-02T09:00:00")
    assert order["state"] == "completed" and order["request"]["immediate"] is False


def test_pack_cancel_ends_the_pack_from_next_month(ucs: Ucs, line: str) -> None:
    ucs("pack", "order", line, "3g-pack-10", "--immediate")
    out = ucs("pack", "cancel", line, "3g-pack-10", now=LATER).stdout
    assert out.splitlines() == [
        "ORD-000002 pack-cancel pending: cancel data pack 3g-pack-10 from 2026-12 "
        "(00:00 on the 1st)",
        "  takes effect 2026-12-01T00:00+08:00",
    ]
    shown = ucs("subscriber", "show", line, now=LATER).stdout
    assert field(shown, "data packs") == "3g-pack-10 from 2026-11 to 2026-11"
    assert bill_lines(ucs, LATER)["data-pack"] == "10.00"  # this month is paid for
    december = "2026-12-02T09:00:00"
    assert field(ucs("subscriber", "show", line, now=december).stdout, "data packs") == "-"
    assert "data-pack" not in bill_lines(ucs, december)
    assert [o["state"] for o in orders(ucs, now=december)] == ["completed", "completed"]


def test_order_cancel_withdraws_a_next_month_pack(ucs: Ucs, line: str) -> None:
    ucs("pack", "order", line, "3g-pack-10", "--immediate")
    ucs("pack", "order", line, "3g-pack-20")  # replaces 3g-pack-10 from December
    assert line_json(ucs)["line"]["packs"][0]["end"] == "2026-12"
    assert "ORD-000002 pack-order cancelled" in ucs("order", "cancel", "ORD-000002").stdout
    # 3g-pack-20 is gone and 3g-pack-10 runs on, as before the order
    [pack] = line_json(ucs)["line"]["packs"]
    assert (pack["pack_id"], pack["end"]) == ("3g-pack-10", None)
    assert field(ucs("subscriber", "show", line).stdout, "data packs") == "3g-pack-10 from 2026-11"


# ------------------------------------------------------------------ line status


def test_suspend_then_resume(ucs: Ucs, line: str) -> None:
    assert (
        ucs("line", "suspend", line).stdout == "ORD-000001 suspend completed: suspend 18612345678\n"
    )
    shown = ucs("subscriber", "show", line).stdout
    assert field(shown, "status") == "suspended since 2026-11-25T10:00+08:00"
    assert line_json(ucs)["status"] == "suspended"
    # a suspended line takes no new services
    err = error_line(ucs("service", "open", line, "caller-id", code=1))
    assert "line suspended since 2026-11-25T10:00+08:00: resume it first" in err

    out = ucs("line", "resume", line, now=LATER).stdout
    assert out == "ORD-000002 resume completed: resume 18612345678\n"
    data = line_json(ucs, now=LATER)
    assert data["status"] == "active"
    assert data["line"]["statuses"] == [
        {"at": "2026-11-25T10:00:00+08:00", "status": "suspended"},
        {"at": "2026-11-25T11:00:00+08:00", "status": "active"},
    ]
    assert [o["request"]["type"] for o in orders(ucs, now=LATER)] == ["suspend", "resume"]
    again = error_line(ucs("line", "resume", line, now=LATER, code=1))
    assert "18612345678 is active: cannot resume it" in again


def test_report_loss_then_lift_loss_at_a_counter(ucs: Ucs, line: str) -> None:
    out = ucs("line", "report-loss", line).stdout
    assert out == "ORD-000001 report-loss completed: report the loss of 18612345678\n"
    assert line_json(ucs)["status"] == "loss-reported"
    assert field(ucs("subscriber", "show", line).stdout, "status") == (
        "loss-reported since 2026-11-25T10:00+08:00"
    )
    # the hotline cannot lift it: the holder must show the document at a counter
    before = snapshot(ucs, now=LATER)
    err = error_line(ucs("line", "lift-loss", line, now=LATER, code=1))
    assert "lift-loss needs the holder's identity document" in err and "counter" in err
    assert snapshot(ucs, now=LATER) == before

    lifted = ucs("line", "lift-loss", line, *COUNTER, now=LATER).stdout
    assert lifted == "ORD-000002 lift-loss completed: lift the loss report of 18612345678\n"
    assert line_json(ucs, now=LATER)["status"] == "active"
    [_, order] = orders(ucs, now=LATER)
    assert (order["request"]["type"], order["state"], order["request"]["channel"]) == (
        "lift-loss",
        "completed",
        "counter",
    )
    assert order["transitions"][0]["by"] == "counter agent"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (NEW_ID_DOC, "the document shown is not the holder's on record"),
        ("110105194912310021", "check character does not match"),
        ("12345", "expected 17 digits and 0-9 or X"),
    ],
)
def test_a_counter_refuses_a_document_that_is_not_the_holders(
    ucs: Ucs, line: str, document: str, reason: str
) -> None:
    ucs("line", "report-loss", line)
    before = snapshot(ucs, now=LATER)
    args = ("line", "lift-loss", line, "--channel", "counter", "--id-doc", document)
    err = error_line(ucs(*args, now=LATER, code=1))
    assert err.startswith("error: lift-loss for 18612345678 rejected: ")
    assert reason in err
    assert f"'{document}'" not in err  # the document is never echoed whole
    assert snapshot(ucs, now=LATER) == before


def test_a_counter_order_needs_a_document(ucs: Ucs, line: str) -> None:
    ucs("line", "report-loss", line)
    err = error_line(ucs("line", "lift-loss", line, "--channel", "counter", now=LATER, code=1))
    assert "a counter order needs the holder's document" in err


def test_close_at_a_counter_prints_the_final_bill(ucs: Ucs, line: str) -> None:
    ucs("package", "change", line, "4g-76")
    out = ucs("line", "close", line, *COUNTER, now=LATER).stdout
    assert out.splitlines() == [
        "ORD-000002 close completed: close 18612345678",
        "  ORD-000001 package-change cancelled: line closed by ORD-000002",
        # the open months are issued first, September and October, then the final bill
        "  bill 2026-09: 56.00 yuan, due by 2026-12-10",
        "  bill 2026-10: 56.00 yuan, due by 2026-12-10",
        "  final bill 2026-11: 56.00 yuan, due by 2026-12-31",
    ]
    data = line_json(ucs, now=LATER)
    assert data["status"] == "closed"
    assert data["line"]["plan_changes"] == []  # the pending change lapsed
    assert field(ucs("subscriber", "show", line, now=LATER).stdout, "status") == (
        "closed since 2026-11-25T11:00+08:00"
    )
    assert [(o["id"], o["state"]) for o in orders(ucs, now=LATER)] == [
        ("ORD-000001", "cancelled"),
        ("ORD-000002", "completed"),
    ]
    bill = js(ucs, "bill", "show", line, now=LATER)
    assert (bill["month"], bill["state"], bill["final"], bill["total"]) == (
        "2026-11",
        "sent",
        True,
        "56.00",
    )
    assert "0 bill(s) issued" in ucs("bill", "run", "--month", "2026-11", now="2026-12-02").stdout


def test_close_json_names_each_final_bill_as_bill_show_does(ucs: Ucs, line: str) -> None:
    result = js(ucs, "line", "close", line, *COUNTER)
    assert result["order"]["state"] == "completed" and result["repeated"] is False
    assert [b["month"] for b in result["final_bills"]] == ["2026-09", "2026-10", "2026-11"]
    assert [b["final"] for b in result["final_bills"]] == [False, False, True]
    # a front-end needs the bill's id and due time to point the customer at it
    final = result["final_bills"][-1]
    shown = js(ucs, "bill", "show", line)
    assert final.get("id") == shown["id"] == "18612345678-202611"
    assert final.get("due_at") == shown["due_at"]


def test_the_hotline_cannot_close_a_line_and_says_where_to_go(ucs: Ucs, line: str) -> None:
    before = snapshot(ucs)
    err = error_line(ucs("line", "close", line, code=1))
    assert err == (
        "error: close for 18612345678 rejected: close needs the holder's identity document: on "
        "the hotline channel it cannot be taken; please visit a China Unicom business hall "
        "counter with it"
    )
    # showing the document on the phone does not make it a counter
    assert "visit a China Unicom business hall counter" in error_line(
        ucs("line", "close", line, "--id-doc", ID_DOC, code=1)
    )
    assert snapshot(ucs) == before
    assert line_json(ucs)["status"] == "active"


@pytest.mark.parametrize(
    "args",
    [
        ("service", "open", NUMBER, "caller-id"),
        ("pack", "order", NUMBER, "3g-pack-10", "--immediate"),
        ("package", "change", NUMBER, "4g-76"),
        ("line", "suspend", NUMBER),
        ("line", "roaming-close", NUMBER),
        ("line", "close", NUMBER, *COUNTER),
        ("order", "submit", NUMBER, "resume"),
    ],
    ids=lambda a: "-".join(a[:2]),
)
def test_a_closed_line_takes_no_order(ucs: Ucs, line: str, args: tuple[str, ...]) -> None:
    ucs("line", "close", line, *COUNTER)
    before = snapshot(ucs, now=LATER)
    err = error_line(ucs(*args, now=LATER, code=1))
    assert "rejected: line 18612345678 was closed at 2026-11-25T10:00+08:00" in err
    assert snapshot(ucs, now=LATER) == before


# ------------------------------------------------------------------ password, holder, roaming


def test_a_password_set_at_a_counter_is_checked_by_the_web(ucs: Ucs, line: str) -> None:
    web = ("--channel", "web")
    err = error_line(ucs("package", "change", line, "4g-76", *web, "--password", PASSWORD, code=1))
    assert "no service password is set: set one at a counter" in err
    # the hotline cannot set it
    err = error_line(ucs("line", "password", line, "--new-password", PASSWORD, code=1))
    assert "set-password needs the holder's identity document" in err
    assert field(ucs("subscriber", "show", line).stdout, "password") == "not set"

    out = ucs("line", "password", line, "--new-password", PASSWORD, *COUNTER).stdout
    assert out == "ORD-000001 set-password completed: service password set\n"
    assert PASSWORD not in out
    assert field(ucs("subscriber", "show", line).stdout, "password") == "set"
    assert line_json(ucs)["line"]["password"] == "(set)"

    before_orders = orders(ucs)
    wrong = ucs("package", "change", line, "4g-76", *web, "--password", "999999", code=1)
    assert error_line(wrong) == (
        "error: package-change for 18612345678 rejected: wrong service password (4 tries left)"
    )
    assert orders(ucs) == before_orders
    assert line_json(ucs)["line"]["password_failures"] == 1  # the failed attempt counts
    missing = error_line(ucs("package", "change", line, "4g-76", *web, code=1))
    assert "the service password is needed" in missing
    assert line_json(ucs)["line"]["password_failures"] == 1  # nothing tried: nothing counts

    right = ucs("package", "change", line, "4g-76", *web, "--password", PASSWORD).stdout
    assert right.startswith("ORD-000002 package-change pending")
    assert line_json(ucs)["line"]["password_failures"] == 0
    [_, order] = orders(ucs)
    assert order["request"]["channel"] == "web" and order["transitions"][0]["by"] == "customer"
    assert PASSWORD not in json.dumps(order)


def test_the_web_reads_the_password_from_ucs_password(ucs: Ucs, with_password: str) -> None:
    env = {"UCS_PASSWORD": PASSWORD}
    out = ucs("service", "open", with_password, "caller-id", "--channel", "web", env=env).stdout
    assert out.startswith("ORD-000002 service-open completed")


def test_line_password_prompts_twice_without_echoing(ucs: Ucs, line: str) -> None:
    result = ucs("line", "password", line, *COUNTER, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "ORD-000001 set-password completed" in result.stdout
    assert PASSWORD not in result.output
    assert field(ucs("subscriber", "show", line).stdout, "password") == "set"


def test_a_password_that_breaks_the_rules_is_refused(ucs: Ucs, line: str) -> None:
    before = snapshot(ucs)
    err = error_line(ucs("line", "password", line, "--new-password", "123456", *COUNTER, code=1))
    assert "too simple" in err and "'123456'" not in err
    assert snapshot(ucs) == before


def test_change_holder_at_a_counter(ucs: Ucs, with_password: str) -> None:
    line = with_password
    new = ("--holder", "李四", "--new-id-doc", NEW_ID_DOC)
    err = error_line(ucs("line", "change-holder", line, *new, code=1))
    assert "change-holder needs the holder's identity document" in err and "counter" in err

    out = ucs("line", "change-holder", line, *new, *COUNTER).stdout
    assert out == (
        "ORD-000002 change-holder completed: holder changed to 李* (440***********0014); "
        "service password cleared\n"
    )
    masked = ucs("subscriber", "show", line).stdout  # personal data masked by default
    assert (field(masked, "name"), field(masked, "holder id")) == ("李*", "440***********0014")
    shown = ucs("subscriber", "show", line, "--reveal").stdout
    assert field(shown, "name") == "李四"
    assert field(shown, "holder id") == "440524********0014"
    assert field(shown, "password") == "not set"
    data = line_json(ucs)["line"]
    assert (data["name"], data["holder_id"], data["password"]) == (
        "李四",
        "440524********0014",
        "",
    )
    # the old holder's document no longer works at a counter; the new holder's does
    old = error_line(ucs("line", "suspend", line, *COUNTER, now=LATER, code=1))
    assert "not the holder's on record" in old
    suspended = ucs("line", "suspend", line, "--channel", "counter", "--id-doc", NEW_ID_DOC)
    assert "suspend completed" in suspended.stdout
    # and the old password is gone
    web = error_line(
        ucs("line", "resume", line, "--channel", "web", "--password", PASSWORD, code=1)
    )
    assert "no service password is set" in web


def test_change_holder_needs_the_new_holder(ucs: Ucs, line: str) -> None:
    result = ucs("line", "change-holder", line, "--holder", "李四", *COUNTER, code=2)
    assert "Missing option '--new-id-doc'" in result.stderr
    blank = ("--holder", " ", "--new-id-doc", NEW_ID_DOC)
    err = error_line(ucs("line", "change-holder", line, *blank, *COUNTER, code=1))
    assert "change-holder needs the new holder's name" in err


def test_roaming_close_then_open(ucs: Ucs, line: str) -> None:
    assert field(ucs("subscriber", "show", line).stdout, "roaming") == "open"
    out = ucs("line", "roaming-close", line).stdout
    assert out == "ORD-000001 roaming-close completed: close international roaming\n"
    assert field(ucs("subscriber", "show", line).stdout, "roaming") == "closed"
    err = error_line(ucs("line", "roaming-close", line, code=1))
    assert "international roaming is already closed" in err

    opened = ucs("line", "roaming-open", line, now=LATER).stdout
    assert opened == "ORD-000002 roaming-open completed: open international roaming\n"
    assert field(ucs("subscriber", "show", line, now=LATER).stdout, "roaming") == "open"
    assert line_json(ucs, now=LATER)["line"]["roaming"] == [
        {"at": "2026-11-25T10:00:00+08:00", "open": False},
        {"at": "2026-11-25T11:00:00+08:00", "open": True},
    ]


def test_channel_rules_sms(ucs: Ucs, with_password: str) -> None:
    line = with_password
    err = error_line(ucs("line", "report-loss", line, "--channel", "sms", code=1))
    assert "report-loss is not taken by SMS" in err
    # SMS checks the password for what changes the bill, not for a service
    err = error_line(ucs("line", "suspend", line, "--channel", "sms", code=1))
    assert "the service password is needed" in err
    assert "completed" in ucs("service", "open", line, "ringback", "--channel", "sms").stdout


# ------------------------------------------------------------------ history


def test_history_lists_order_steps_bills_and_payments_in_time_order(ucs: Ucs) -> None:
    ucs("init")
    ucs("subscriber", "add", NUMBER, "--plan", "4g-56", "--activated", "2026-11-01")
    ucs("package", "change", NUMBER, "4g-76")
    ucs("service", "open", NUMBER, "caller-id", now=LATER)
    ucs("order", "run", now=NEXT_MONTH)
    ucs("bill", "run", "--month", "2026-11", now="2026-12-02T09:00:00")
    ucs("pay", NUMBER, "57.20", now="2026-12-03T09:00:00")

    items = js(ucs, "history", NUMBER, now="2026-12-03T09:00:00")
    steps = [(i["kind"], i["ref"], i["text"].split(" — ")[0]) for i in items]
    assert steps == [
        ("line", NUMBER, "opened on 4g-56, account ACC-18612345678"),
        ("order", "ORD-000001", "package-change acknowledged: submitted"),
        ("order", "ORD-000001", "package-change inProgress"),
        ("order", "ORD-000001", "package-change pending: takes effect 2026-12-01T00:00+08:00"),
        ("order", "ORD-000002", "service-open acknowledged: submitted"),
        ("order", "ORD-000002", "service-open inProgress"),
        ("order", "ORD-000002", "service-open completed: in effect"),
        ("order", "ORD-000001", "package-change completed: in effect"),
        ("bill", "18612345678-202611", "bill 2026-11 issued: 57.20 yuan, due by 2026-12-31"),
        ("payment", steps[-1][1], steps[-1][2]),
    ]
    assert steps[-1][1].startswith("payment-ACC-18612345678-")
    assert steps[-1][2].startswith("57.20 yuan to account ACC-18612345678")
    times = [i["at"] for i in items]
    assert times == sorted(times)
    assert items[7]["at"] == "2026-12-01T00:00:00+08:00"
    assert "(via hotline, by hotline agent)" in items[1]["text"]
    assert "(via hotline, by system)" in items[7]["text"]
    table = ucs("history", NUMBER, now="2026-12-03T09:00:00").stdout.splitlines()
    assert table[0].split() == ["when", "what", "ref", "details"]
    assert len(table) == 1 + len(items)
    assert table[-2].startswith("2026-12-02T09:00+08:00  bill ")


def test_history_shows_a_due_order_completed_without_order_run(ucs: Ucs, line: str) -> None:
    ucs("package", "change", line, "4g-76")
    # a read of the line's orders catches up (as `order list` and `order show` do)
    items = js(ucs, "history", line, now="2026-12-02T09:00:00")
    texts = [i["text"] for i in items if i["ref"] == "ORD-000001"]
    assert texts[-1].startswith("package-change completed: in effect")


def test_history_of_an_unknown_number(ucs: Ucs, line: str) -> None:
    assert error_line(ucs("history", "13012345678", code=1)) == (
        "error: unknown number '13012345678'"
    )


# ------------------------------------------------------------------ JSON everywhere


def test_every_json_output_parses_and_carries_no_password_hash(ucs: Ucs) -> None:
    ucs("init")
    added = ucs(
        "subscriber",
        "add",
        NUMBER,
        "--plan",
        "4g-56",
        "--activated",
        "2026-09-03",
        "--password",
        PASSWORD,
        "--id-doc",
        ID_DOC,
        "--json",
    ).stdout
    assert json.loads(added)["password"] == "(set)"
    web = ("--channel", "web", "--password", PASSWORD)
    commands: list[tuple[str, ...]] = [
        ("package", "change", NUMBER, "4g-76", *web),
        ("service", "open", NUMBER, "caller-id", *web),
        ("pack", "order", NUMBER, "3g-pack-10", "--immediate", *web),
        ("pack", "cancel", NUMBER, "3g-pack-10", *web),
        ("line", "roaming-close", NUMBER, *web),
        ("line", "password", NUMBER, "--new-password", "246801", *COUNTER),
        ("order", "submit", NUMBER, "service-close", "caller-id", *COUNTER),
        ("order", "show", "ORD-000001"),
        ("order", "list"),
        ("order", "list", NUMBER, "--state", "pending"),
        ("order", "cancel", "ORD-000001"),
        ("order", "run"),
        ("service", "list"),
        ("subscriber", "show", NUMBER),
        ("subscriber", "list"),
        ("bill", "show", NUMBER),
        ("events",),
        ("history", NUMBER),
        ("line", "close", NUMBER, *COUNTER),
    ]
    for args in commands:
        out = ucs(*args, "--json").stdout
        json.loads(out)  # one JSON document, nothing else on stdout
        assert "scrypt$" not in out and PASSWORD not in out and "246801" not in out
        assert ID_DOC not in out  # only the masked form is ever shown
    assert [o["state"] for o in orders(ucs)][:2] == ["cancelled", "completed"]


# ------------------------------------------------------------------ bad input


def test_an_unknown_order_type_is_a_usage_error_naming_the_types(ucs: Ucs, line: str) -> None:
    before = snapshot(ucs)
    result = ucs("order", "submit", line, "teleport", code=2)
    assert "'teleport' is not an order type" in result.stderr
    for kind in OrderType:
        assert kind.value in result.stderr
    assert snapshot(ucs) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("package", "change", NUMBER, "4g-999"), "unknown plan '4g-999'"),
        (("order", "submit", NUMBER, "package-change", "4g-999"), "unknown plan '4g-999'"),
        (("service", "open", NUMBER, "fax"), "unknown value-added service 'fax'"),
        (("service", "close", NUMBER, "fax"), "unknown value-added service 'fax'"),
        (("pack", "order", NUMBER, "huge"), "unknown data pack 'huge'"),
        (("pack", "cancel", NUMBER, "huge"), "unknown data pack 'huge'"),
    ],
    ids=["package-change", "submit", "service-open", "service-close", "pack-order", "pack-cancel"],
)
def test_an_unknown_product_is_named_and_changes_nothing(
    ucs: Ucs, line: str, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(ucs)
    err = error_line(ucs(*args, code=1))
    assert err.startswith("error: ") and "rejected" in err
    assert message in err
    assert snapshot(ucs) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("order", "submit", NUMBER, "package-change"), "package-change needs a plan id"),
        (("order", "submit", NUMBER, "suspend", "4g-76"), "suspend takes no product (got '4g-76')"),
        (("package", "change", NUMBER, "4g-56"), "18612345678 is already on 4g-56"),
        (
            ("package", "change", NUMBER, "bb-100m"),
            "bb-100m is a broadband plan; 18612345678 is a mobile line",
        ),
    ],
    ids=["no-plan", "stray-product", "same-plan", "wrong-kind"],
)
def test_orders_that_do_not_fit_are_rejected_with_the_reason(
    ucs: Ucs, line: str, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(ucs)
    assert message in error_line(ucs(*args, code=1))
    assert snapshot(ucs) == before


def test_unknown_numbers_and_orders_are_one_line_errors(ucs: Ucs, line: str) -> None:
    before = snapshot(ucs)
    for args in (
        ("package", "change", "13012345678", "4g-76"),
        ("line", "suspend", "13012345678"),
        ("order", "list", "13012345678"),
    ):
        assert error_line(ucs(*args, code=1)) == "error: unknown number '13012345678'"
    for args in (("order", "show", "ORD-999999"), ("order", "cancel", "ORD-999999")):
        assert error_line(ucs(*args, code=1)) == "error: unknown order 'ORD-999999'"
    assert "'bogus' is not one of" in ucs("order", "list", "--state", "bogus", code=2).stderr
    assert "'fax' is not one of" in ucs("line", "suspend", line, "--channel", "fax", code=2).stderr
    assert snapshot(ucs) == before


def test_the_same_request_id_and_request_is_the_same_order(ucs: Ucs, line: str) -> None:
    first = ucs("package", "change", line, "4g-76", "--request-id", "r-1").stdout
    before = snapshot(ucs)
    again = ucs("package", "change", line, "4g-76", "--request-id", "r-1").stdout
    assert again.splitlines()[0] == (
        "ORD-000001 package-change pending (already submitted with this request id): "
        "change package 4g-56 → 4g-76 from 2026-12 (00:00 on the 1st)"
    )
    assert first.splitlines()[0].split()[0] == "ORD-000001"
    data = js(ucs, "package", "change", line, "4g-76", "--request-id", "r-1")
    assert data["repeated"] is True and data["order"]["id"] == "ORD-000001"
    assert snapshot(ucs) == before
    [order] = orders(ucs)
    assert order["request"]["request_id"] == "r-1"


@pytest.mark.parametrize(
    "args",
    [
        ("package", "change", NUMBER, "4g-106"),
        ("service", "open", NUMBER, "caller-id"),
        ("package", "change", NUMBER, "4g-76", "--by", "agent 7"),
    ],
    ids=["other-plan", "other-type", "other-agent"],
)
def test_a_request_id_reused_for_another_request_is_refused(
    ucs: Ucs, line: str, args: tuple[str, ...]
) -> None:
    ucs("package", "change", line, "4g-76", "--request-id", "r-1")
    before = snapshot(ucs)
    err = error_line(ucs(*args, "--request-id", "r-1", code=1))
    assert err == (
        "error: request id 'r-1': already used by order ORD-000001 (package-change for 18612345678)"
    )
    assert snapshot(ucs) == before


def test_a_retry_after_the_order_took_effect_reports_its_state_now(ucs: Ucs, line: str) -> None:
    ucs("package", "change", line, "4g-76", "--request-id", "r-1")
    later = "2026-12-05T09:00:00"
    data = js(ucs, "package", "change", line, "4g-76", "--request-id", "r-1", now=later)
    assert data["repeated"] is True
    # `order show` says completed at this time; the retry must not say "pending, takes effect
    # 2026-12-01" four days after it did
    assert js(ucs, "order", "show", "ORD-000001", now=later)["state"] == "completed"
    assert data["order"]["state"] == "completed"


@pytest.mark.parametrize(
    "args",
    [("order", "cancel", "ORD-000001"), ("service", "open", NUMBER, "caller-id")],
    ids=["cancel", "new-order"],
)
def test_nothing_is_dated_before_the_lines_last_order(
    ucs: Ucs, line: str, args: tuple[str, ...]
) -> None:
    ucs("package", "change", line, "4g-76")  # submitted at 10:00 on the 25th
    earlier = "2026-11-20T09:00:00"
    before = snapshot(ucs)
    err = error_line(ucs(*args, now=earlier, code=1))
    assert "time order" in err
    assert snapshot(ucs) == before


# ------------------------------------------------------------------ a real process


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("UCS_PASSWORD", "UCS_DEBUG", "UCS_STORE")
    }
    env.update(UCS_STORE=str(tmp_path / "ucs.sqlite3"), UCS_NOW="2026-11-25T10:00:00+08:00")
    return subprocess.run(
        [sys.executable, "-m", "unicom_cs", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _real_line(tmp_path: Path) -> None:
    assert _run(tmp_path, "init").returncode == 0
    added = _run(
        tmp_path, "subscriber", "add", NUMBER, "--plan", "4g-56", "--activated", "2026-09-03"
    )
    assert added.returncode == 0, added.stderr


def test_a_real_process_takes_a_package_change(tmp_path: Path) -> None:
    _real_line(tmp_path)
    done = _run(tmp_path, "package", "change", NUMBER, "4g-76", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result = json.loads(done.stdout)
    assert (result["order"]["id"], result["order"]["state"]) == ("ORD-000001", "pending")
    listed = _run(tmp_path, "order", "list", NUMBER, "--json")
    assert [o["state"] for o in json.loads(listed.stdout)] == ["pending"]


def test_a_real_process_exits_1_for_a_rejected_order_and_2_for_a_bad_type(
    tmp_path: Path,
) -> None:
    _real_line(tmp_path)
    rejected = _run(tmp_path, "line", "close", NUMBER)
    assert rejected.returncode == 1
    assert rejected.stdout == ""
    assert rejected.stderr.startswith("error: close for 18612345678 rejected: ")
    assert "business hall counter" in rejected.stderr
    assert len(rejected.stderr.strip().splitlines()) == 1
    bad = _run(tmp_path, "order", "submit", NUMBER, "teleport")
    assert bad.returncode == 2 and "is not an order type" in bad.stderr
    for result in (rejected, bad):
        assert "Traceback" not in result.stderr
    assert json.loads(_run(tmp_path, "order", "list", "--json").stdout) == []
