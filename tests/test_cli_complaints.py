"""`ucs complaint …` and `ucs visit …`: complaints and return visits end to end through the CLI.

Each test runs `ucs` with click's CliRunner on a copy of one `ucs demo` store (built once per
module at a fixed `--now` in November 2026, so October's bills are issued, due by 10 December)
and checks what the agent sees and what the store holds afterwards, read back through
`complaint show --json`, `complaint list --json`, `visit list --json`, `bill show --json`,
`balance`/`arrears`, `events --json` and `history`. A refused command leaves the store as it
was and says why on stderr; no output ever carries a traceback. Clock durations (`used`,
`limit`) are compared with each other, never with a literal, so the tests hold whatever form
the JSON gives a duration.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from shlex import split
from typing import Any

import pytest
from click.testing import CliRunner, Result

from unicom_cs.cli import main

NOW = "2026-11-25T10:00:00"  # a Wednesday, Beijing time; `ucs demo` issues October's bills now
NUMBER = "13012345678"  # Wang Fang, 3G A-46, postpaid: an October bill with data on it
OTHER = "18612345678"  # Li Wei, 4G 76
UNKNOWN_NUMBER = "13099999999"
OCTOBER = "2026-10"
OCTOBER_BILL = f"{NUMBER}-202610"
BEFORE_DUE = "2026-12-10T12:00"  # October's bills are due by 10 December
AFTER_DUE = "2026-12-11T10:00"
AGENT = "agent-1"
BY = f"--by {AGENT}"
FILE = f"complaint file --category network -d 'no signal at home' --number {NUMBER}"
DISPUTE = f"complaint file --category billing-dispute -d 'never used it' --number {NUMBER}"

Ucs = Callable[..., Result]

CLEAN_ENV: Mapping[str, str | None] = {
    "UCS_STORE": None,
    "UCS_NOW": None,
    "UCS_AGENT": None,
    "UCS_PASSWORD": None,
    "UCS_DEBUG": None,
}


def copy_store(source: Path, target: Path) -> None:
    """A copy of a SQLite store: the file and any WAL sidecar."""
    for f in source.parent.glob(source.name + "*"):
        shutil.copyfile(f, target.parent / f.name.replace(source.name, target.name))


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo store per module; each test works on its own copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    result = CliRunner(env=CLEAN_ENV).invoke(main, ["--store", str(path), "--now", NOW, "demo"])
    assert result.exit_code == 0, (result.output, result.stderr)
    return path


@pytest.fixture
def ucs(tmp_path: Path, demo_store: Path) -> Ucs:
    """`ucs(command, now=…, code=…)`: run a command line (split as a shell would) on this test's
    copy of the demo store; check the exit code (unless `code=None`) and that nothing leaks a
    traceback or an unexpected error."""
    runner = CliRunner(env=CLEAN_ENV)
    store = tmp_path / "store.sqlite3"
    copy_store(demo_store, store)

    def run(
        command: str,
        *,
        code: int | None = 0,
        now: str = NOW,
        env: Mapping[str, str | None] | None = None,
    ) -> Result:
        args = ["--store", str(store), "--now", now, *split(command)]
        result = runner.invoke(main, args, env=env)
        seen = result.output + result.stderr
        assert "Traceback" not in seen
        assert "error: unexpected" not in result.stderr, result.stderr
        if code is None:  # the caller checks
            return result
        assert result.exit_code == code, (command, result.output, result.stderr)
        if code == 0:
            assert result.exception is None or isinstance(result.exception, SystemExit)
        else:
            assert result.stderr.strip(), "a failure must say why on stderr"
            assert result.stdout == "", "a failure prints nothing on stdout"
        return result

    return run


def js(ucs: Ucs, command: str, now: str = NOW) -> Any:
    """A command's --json output, parsed."""
    return json.loads(ucs(f"{command} --json", now=now).stdout)


def shown(ucs: Ucs, ticket_id: str = "CMP-000001", now: str = NOW) -> dict[str, Any]:
    """`complaint show --json`: {"ticket": …, "clocks": […]}."""
    data: dict[str, Any] = js(ucs, f"complaint show {ticket_id}", now)
    return data


def ticket(ucs: Ucs, ticket_id: str = "CMP-000001", now: str = NOW) -> dict[str, Any]:
    found: dict[str, Any] = shown(ucs, ticket_id, now)["ticket"]
    return found


def ids(listed: list[dict[str, Any]]) -> list[str]:
    """The ticket ids of a `complaint list --json`."""
    return [x["ticket"]["id"] for x in listed]


def clock(data: dict[str, Any], name: str) -> dict[str, Any]:
    """One clock of a `complaint show --json` answer (or a `list` item), by name."""
    for c in data["clocks"]:
        if c["name"] == name:
            found: dict[str, Any] = c
            return found
    raise AssertionError(f"no {name!r} clock in {data['clocks']}")


def visits(ucs: Ucs, now: str = NOW, *, every: bool = False) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = js(ucs, "visit list --all" if every else "visit list", now)
    return found


def arrears(ucs: Ucs, now: str) -> Decimal:
    rows = js(ucs, f"arrears {NUMBER}", now)
    return Decimal(rows[0]["arrears"]) if rows else Decimal("0.00")


def october(ucs: Ucs) -> dict[str, Any]:
    bill: dict[str, Any] = js(ucs, f"bill show {NUMBER} --month {OCTOBER}")
    return bill


def line_amount(bill: dict[str, Any], code: str) -> Decimal:
    return sum((Decimal(ln["amount"]) for ln in bill["lines"] if ln["code"] == code), Decimal(0))


def snapshot(ucs: Ucs, now: str = NOW) -> tuple[str, ...]:
    """What a refused command must not change: tickets, tasks, events, bills, the account, the
    settings."""
    return tuple(
        ucs(command, now=now).stdout
        for command in (
            "complaint list --json",
            "visit list --all --json",
            "events --json",
            f"bill show {NUMBER} --json",
            f"balance {NUMBER} --json",
            "complaint credit-limit",
            "complaint policy show",
        )
    )


def error_line(result: Result) -> str:
    """The one line a failure prints on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def field(show_output: str, name: str) -> str:
    """One `name: value` row of `ucs complaint show`."""
    for row in show_output.splitlines():
        key, sep, value = row.partition(": ")
        if sep and key.strip() == name:
            return value
    raise AssertionError(f"no {name!r} row in:\n{show_output}")


def file(ucs: Ucs, extra: str = "", now: str = NOW) -> str:
    """File a network complaint about NUMBER (owner AGENT); its id."""
    out: str = ucs(f"{FILE} {extra} {BY}", now=now).stdout
    return out.split()[0]


def dispute(ucs: Ucs, *codes: str, now: str = NOW) -> str:
    """File a billing dispute over October's lines `codes` (data by default); its id."""
    lines = " ".join(f"--dispute {OCTOBER}:{code}" for code in codes or ("data",))
    out: str = ucs(f"{DISPUTE} {lines} {BY}", now=now).stdout
    return out.split()[0]


def resolve(ucs: Ucs, extra: str = "", *, now: str, ticket_id: str = "CMP-000001") -> Result:
    result: Result = ucs(f"complaint resolve {ticket_id} --resolution fixed {extra} {BY}", now=now)
    return result


def refused(ucs: Ucs, command: str, now: str = NOW) -> str:
    """Run a command that must be refused (exit 1) and change nothing; its error line."""
    before = snapshot(ucs, now)
    err = error_line(ucs(command, now=now, code=1))
    assert snapshot(ucs, now) == before, f"{command!r} was refused but changed the store"
    return err


def misused(ucs: Ucs, command: str, now: str = NOW) -> str:
    """Run a command with bad usage (exit 2) that must change nothing; its stderr."""
    before = snapshot(ucs, now)
    err: str = ucs(command, now=now, code=2).stderr
    assert snapshot(ucs, now) == before, f"{command!r} was a usage error but changed the store"
    return err


# ------------------------------------------------------------------ filing


def test_filing_makes_the_agent_owner_and_assignee(ucs: Ucs) -> None:
    out = ucs(f"{FILE} --channel web {BY}").stdout
    assert out == "CMP-000001 acknowledged (owner agent-1, assignee agent-1): normal network\n"

    data = shown(ucs)
    t = data["ticket"]
    assert (t["id"], t["state"], t["owner"], t["assignee"]) == (
        "CMP-000001",
        "acknowledged",
        AGENT,
        AGENT,
    )
    assert (t["category"], t["priority"], t["channel"], t["msisdn"], t["description"]) == (
        "network",
        "normal",
        "web",
        NUMBER,
        "no signal at home",
    )
    assert t["created_at"] == "2026-11-25T10:00:00+08:00"
    assert [(s["state"], s["by"], s["assignee"], s["reason"]) for s in t["steps"]] == [
        ("acknowledged", AGENT, AGENT, "filed")
    ]
    names = [c["name"] for c in data["clocks"]]
    assert names == ["first response", "next update", "resolution", "regulatory answer"]
    assert {c["state"] for c in data["clocks"]} == {"running"}
    # normal priority: a first response in 2 hours, resolution in 5 working days (Wednesday
    # to Wednesday), and the regulator's 15 calendar days
    assert clock(data, "first response")["due_at"] == "2026-11-25T12:00:00+08:00"
    assert clock(data, "resolution")["due_at"] == "2026-12-02T10:00:00+08:00"
    assert clock(data, "regulatory answer")["due_at"] == "2026-12-10T10:00:00+08:00"

    text = ucs("complaint show cmp-000001").stdout  # ids are case-insensitive
    assert field(text, "owner") == AGENT and field(text, "assignee") == AGENT
    assert field(text, "state") == "acknowledged" and field(text, "channel") == "web"
    assert "first response     running   due 2026-11-25T12:00+08:00  used 0h00m" in text
    assert "2026-11-25T10:00+08:00  acknowledged by agent-1, assignee agent-1 (filed)" in text

    [listed] = js(ucs, "complaint list")
    assert listed["ticket"] == t
    last = js(ucs, "events")[-1]
    assert last == {
        "seq": last["seq"],
        "type": "TicketChanged",
        "ticket_id": "CMP-000001",
        "msisdn": NUMBER,
        "category": "network",
        "state": "acknowledged",
        "at": "2026-11-25T10:00:00+08:00",
        "by": AGENT,
        "assignee": AGENT,
    }
    items = [i for i in js(ucs, f"history {NUMBER}") if i["kind"] == "complaint"]
    assert [(i["ref"], i["text"]) for i in items] == [
        ("CMP-000001", "network acknowledged: filed (by agent-1, assignee agent-1, owner agent-1)")
    ]


def test_ucs_agent_names_the_owner_when_by_is_not_given(ucs: Ucs) -> None:
    roaming = "complaint file --category roaming -d 'no service in Tokyo'"
    out = ucs(f"{roaming} --number {OTHER}", env={"UCS_AGENT": "agent-7"}).stdout
    assert out.startswith("CMP-000001 acknowledged (owner agent-7, assignee agent-7)")
    again = ucs(f"{roaming} --by agent-8", env={"UCS_AGENT": "agent-7"}).stdout  # --by wins
    assert again.startswith("CMP-000002 acknowledged (owner agent-8, assignee agent-8)")
    assert ticket(ucs)["owner"] == "agent-7"
    assert ticket(ucs, "CMP-000002")["owner"] == "agent-8"
    assert ticket(ucs, "CMP-000002")["msisdn"] == ""  # a complaint need not name a line
    assert ids(js(ucs, "complaint list --owner agent-7")) == ["CMP-000001"]
    assert ids(js(ucs, f"complaint list --number {OTHER}")) == ["CMP-000001"]


def test_a_key_customer_takes_the_fast_lane(ucs: Ucs) -> None:
    file(ucs, "--priority low --key-customer")
    file(ucs, "--priority urgent --key-customer")
    file(ucs, "--priority low")
    priorities = [ticket(ucs, f"CMP-00000{n}")["priority"] for n in (1, 2, 3)]
    assert priorities == ["high", "urgent", "low"]
    assert ticket(ucs)["key_customer"] is True
    assert field(ucs("complaint show CMP-000001").stdout, "priority") == "high (key customer)"
    # high priority: a first response within the hour
    assert clock(shown(ucs), "first response")["due_at"] == "2026-11-25T11:00:00+08:00"


def test_filing_needs_an_agent_and_the_customers_words(ucs: Ucs) -> None:
    assert "Missing option '--by'" in misused(ucs, FILE)
    assert "needs a name or staff id" in refused(ucs, f"{FILE} --by '  '")
    words = refused(ucs, f"complaint file --category network -d ' ' {BY}")
    assert "a complaint needs the customer's words" in words
    assert "'pigeon' is not one of" in misused(ucs, f"{FILE} --channel pigeon {BY}")
    assert js(ucs, "complaint list") == []


# ------------------------------------------------------------------ assign, transfer


def test_transfer_changes_the_assignee_and_never_the_owner(ucs: Ucs) -> None:
    file(ucs)
    transfer = f"complaint transfer CMP-000001 network-team --reason 'coverage check' {BY}"
    out = ucs(transfer, now="2026-11-25T10:10").stdout
    assert out == "CMP-000001 inProgress (owner agent-1, assignee network-team): coverage check\n"
    assigned = ucs(
        "complaint assign CMP-000001 engineer-7 --by network-team", now="2026-11-25T10:20"
    )
    assert assigned.stdout == "CMP-000001 inProgress (owner agent-1, assignee engineer-7)\n"

    later = "2026-11-25T10:30"
    t = ticket(ucs, now=later)
    assert (t["owner"], t["assignee"], t["state"]) == (AGENT, "engineer-7", "inProgress")
    assert [(s["state"], s["by"], s["assignee"], s["reason"]) for s in t["steps"]] == [
        ("acknowledged", AGENT, AGENT, "filed"),
        ("inProgress", AGENT, "network-team", "coverage check"),
        ("inProgress", "network-team", "engineer-7", "to engineer-7"),
    ]
    assert ids(js(ucs, f"complaint list --owner {AGENT}", later)) == ["CMP-000001"]
    assert ids(js(ucs, "complaint list --assignee engineer-7", later)) == ["CMP-000001"]
    assert js(ucs, f"complaint list --assignee {AGENT}", later) == []
    assert ids(js(ucs, "complaint list --state inProgress", later)) == ["CMP-000001"]
    changed = [e for e in js(ucs, "events", later) if e["type"] == "TicketChanged"]
    assert [(e["state"], e["by"], e["assignee"]) for e in changed] == [
        ("acknowledged", AGENT, AGENT),
        ("inProgress", AGENT, "network-team"),
        ("inProgress", "network-team", "engineer-7"),
    ]
    texts = [i["text"] for i in js(ucs, f"history {NUMBER}", later) if i["kind"] == "complaint"]
    assert texts[1] == (
        "network inProgress: coverage check (by agent-1, assignee network-team, owner agent-1)"
    )
    assert all(text.endswith("owner agent-1)") for text in texts)
    shown_text = ucs("complaint show CMP-000001", now=later).stdout
    assert field(shown_text, "owner") == AGENT and field(shown_text, "assignee") == "engineer-7"


def test_a_transfer_needs_a_reason_and_an_open_ticket(ucs: Ucs) -> None:
    file(ucs)
    assert "Missing option '--reason'" in misused(ucs, f"complaint transfer CMP-000001 t2 {BY}")
    resolve(ucs, now="2026-11-25T11:00")
    for command in ("transfer CMP-000001 team-2 --reason x", "assign CMP-000001 team-2"):
        err = refused(ucs, f"complaint {command} {BY}", now="2026-11-25T12:00")
        assert err == "error: ticket 'CMP-000001': is resolved: reopen it first"


# ------------------------------------------------------------------ pend, resume, notes


def test_pending_on_the_customer_pauses_the_clocks(ucs: Ucs) -> None:
    file(ucs)
    pend = f"complaint pend CMP-000001 --reason 'test call at home' {BY}"
    out = ucs(pend, now="2026-11-25T10:30").stdout
    assert out == "CMP-000001 pending (owner agent-1, assignee agent-1): test call at home\n"

    early = shown(ucs, now="2026-11-25T11:00")
    late = shown(ucs, now="2026-11-25T15:00")
    assert late["ticket"]["state"] == "pending"
    assert late["ticket"]["pauses"] == [["2026-11-25T10:30:00+08:00", None]]
    for name in ("first response", "next update", "resolution"):
        # four more hours pending: the clock has not moved, its deadline moved four hours on
        assert clock(late, name)["used"] == clock(early, name)["used"], name
        assert clock(late, name)["state"] == "running", name
    assert clock(early, "first response")["due_at"] == "2026-11-25T12:30:00+08:00"
    assert clock(late, "first response")["due_at"] == "2026-11-25T16:30:00+08:00"
    # the regulator's 15 days never pause
    assert clock(late, "regulatory answer")["used"] != clock(early, "regulatory answer")["used"]
    text = ucs("complaint show CMP-000001", now="2026-11-25T15:00").stdout
    assert "first response     running   due 2026-11-25T16:30+08:00  used 0h30m" in text
    assert "regulatory answer  running   due 2026-12-10T10:00+08:00  used 5h00m" in text
    assert "2026-11-25T10:30+08:00  pending      by agent-1, assignee agent-1 (test call" in text
    assert ids(js(ucs, "complaint list --state pending", "2026-11-25T15:00")) == ["CMP-000001"]


def test_resume_runs_the_clocks_again(ucs: Ucs) -> None:
    file(ucs)
    ucs(f"complaint pend CMP-000001 --reason waiting {BY}", now="2026-11-25T10:30")
    out = ucs(f"complaint resume CMP-000001 {BY}", now="2026-11-25T15:00").stdout
    assert out == "CMP-000001 inProgress (owner agent-1, assignee agent-1)\n"

    at_resume = shown(ucs, now="2026-11-25T15:00")
    hour_later = shown(ucs, now="2026-11-25T16:00")
    t = hour_later["ticket"]
    assert t["state"] == "inProgress"
    assert t["pauses"] == [["2026-11-25T10:30:00+08:00", "2026-11-25T15:00:00+08:00"]]
    assert t["steps"][-1]["reason"] == "the customer answered"
    then, now = (clock(d, "first response") for d in (at_resume, hour_later))
    assert now["used"] != then["used"]
    # 30 minutes before the pause and an hour after it: 1h30 of its 2 hours, a warning
    assert now["state"] == "warning"
    text = ucs("complaint show CMP-000001", now="2026-11-25T16:00").stdout
    assert "first response     warning   due 2026-11-25T16:30+08:00  used 1h30m" in text

    again = refused(ucs, f"complaint resume CMP-000001 {BY}", now="2026-11-25T16:00")
    assert again == "error: ticket 'CMP-000001': is inProgress, not pending"


def test_a_note_to_the_customer_is_the_first_response(ucs: Ucs) -> None:
    file(ucs)
    internal = ucs(f"complaint note CMP-000001 'checked the cell' {BY}", now="2026-11-25T10:20")
    assert internal.stdout == "CMP-000001 acknowledged (owner agent-1, assignee agent-1): note\n"
    data = shown(ucs, now="2026-11-25T10:20")
    assert data["ticket"]["first_response_at"] is None
    assert clock(data, "first response")["state"] == "running"

    note = f"complaint note CMP-000001 'an engineer is on the way' --to-customer {BY}"
    out = ucs(note, now="2026-11-25T10:40").stdout
    assert out == (
        "CMP-000001 acknowledged (owner agent-1, assignee agent-1): update to the customer\n"
    )
    data = shown(ucs, now="2026-11-25T13:00")  # past the 2-hour limit: it was met in time
    t = data["ticket"]
    assert t["first_response_at"] == t["last_update_at"] == "2026-11-25T10:40:00+08:00"
    assert [(n["by"], n["text"], n["to_customer"]) for n in t["notes"]] == [
        (AGENT, "checked the cell", False),
        (AGENT, "an engineer is on the way", True),
    ]
    assert clock(data, "first response")["state"] == "met"
    # the next update is due a day after the last one given
    assert clock(data, "next update")["due_at"] == "2026-11-26T10:40:00+08:00"
    assert t["state"] == "acknowledged" and len(t["steps"]) == 1  # a note is not a step
    text = ucs("complaint show CMP-000001", now="2026-11-25T13:00").stdout
    assert (
        "2026-11-25T10:40+08:00  note by agent-1 [to customer]: an engineer is on the way" in text
    )
    assert "first response     met" in text
    assert "Missing argument 'TEXT'" in misused(ucs, f"complaint note CMP-000001 {BY}")


# ------------------------------------------------------------------ resolve, the closed loop


def test_resolving_makes_a_return_visit_due(ucs: Ucs) -> None:
    file(ucs)
    assert visits(ucs) == []
    out = resolve(ucs, now="2026-11-25T11:00").stdout
    assert out.splitlines() == [
        "CMP-000001 resolved (owner agent-1, assignee agent-1): fixed",
        "  return visit VIS-000001 due 2026-11-26T11:00+08:00",
    ]
    data = shown(ucs, now="2026-11-25T12:00")
    t = data["ticket"]
    assert (t["state"], t["resolution"], t["resolved_at"]) == (
        "resolved",
        "fixed",
        "2026-11-25T11:00:00+08:00",
    )
    assert {c["state"] for c in data["clocks"]} == {"met"}
    [task] = visits(ucs, now="2026-11-25T12:00")
    assert (task["id"], task["kind"], task["ticket_id"], task["msisdn"], task["due_at"]) == (
        "VIS-000001",
        "complaint-follow-up",
        "CMP-000001",
        NUMBER,
        "2026-11-26T11:00:00+08:00",
    )
    assert task["attempts"] == [] and task["done_at"] is None
    rows = ucs("visit list", now="2026-11-26T12:00").stdout.splitlines()
    header = ["task", "kind", "number", "ticket", "due", "attempts", "outcome", "score"]
    assert rows[0].split() == header
    assert rows[1].split() == [
        *("VIS-000001", "complaint-follow-up", NUMBER, "CMP-000001"),
        *("2026-11-26T11:00+08:00", "0", "overdue", "-"),
    ]
    texts = [i["text"] for i in js(ucs, f"history {NUMBER}", "2026-11-25T12:00")]
    assert "network resolved: fixed (by agent-1, assignee agent-1, owner agent-1)" in texts
    no_answer = misused(ucs, f"complaint resolve CMP-000001 {BY}", now="2026-11-25T12:00")
    assert "Missing option '--resolution'" in no_answer


def test_a_satisfied_return_visit_closes_the_ticket(ucs: Ucs) -> None:
    file(ucs)
    resolve(ucs, now="2026-11-25T11:00")
    close = "complaint close CMP-000001 --outcome satisfied --score 5 --note 'all good now'"
    out = ucs(f"{close} --by visitor-3", now="2026-11-26T11:00").stdout
    assert out == (
        "CMP-000001 closed (owner agent-1, assignee agent-1): return visit VIS-000001: satisfied\n"
    )
    at = "2026-11-26T12:00"
    t = ticket(ucs, now=at)
    assert (t["state"], t["closed_at"], t["owner"]) == (
        "closed",
        "2026-11-26T11:00:00+08:00",
        AGENT,
    )
    assert t["visits"] == [
        {
            "at": "2026-11-26T11:00:00+08:00",
            "by": "visitor-3",
            "outcome": "satisfied",
            "score": 5,
            "note": "all good now",
        }
    ]
    assert t["steps"][-1]["reason"] == "return visit: satisfied"
    assert visits(ucs, at) == []
    [task] = visits(ucs, at, every=True)
    assert (task["outcome"], task["done_at"]) == ("satisfied", "2026-11-26T11:00:00+08:00")
    assert [(a["outcome"], a["score"]) for a in task["attempts"]] == [("reached", 5)]
    assert ids(js(ucs, "complaint list --state closed", at)) == ["CMP-000001"]
    assert js(ucs, "complaint list --state resolved", at) == []


def test_a_dissatisfied_return_visit_reopens_the_ticket_with_its_owner(ucs: Ucs) -> None:
    file(ucs)
    ucs(
        f"complaint transfer CMP-000001 network-team --reason coverage {BY}", now="2026-11-25T10:10"
    )
    resolve(ucs, now="2026-11-25T11:00")
    close = "complaint close CMP-000001 --outcome dissatisfied --score 2 --by visitor-3"
    out = ucs(close, now="2026-11-26T11:00").stdout
    assert out == (
        "CMP-000001 inProgress (owner agent-1, assignee network-team): "
        "return visit VIS-000001: dissatisfied\n"
    )
    at = "2026-11-26T12:00"
    t = ticket(ucs, now=at)
    assert (t["state"], t["owner"], t["assignee"], t["reopened"]) == (
        "inProgress",
        AGENT,
        "network-team",
        1,
    )
    assert t["resolved_at"] is None and t["closed_at"] is None
    # the history is kept
    states = [s["state"] for s in t["steps"]]
    assert states == ["acknowledged", "inProgress", "resolved", "inProgress"]
    assert t["steps"][-1]["reason"] == "return visit: dissatisfied, reopened"
    [task] = visits(ucs, at, every=True)
    assert task["outcome"] == "dissatisfied" and task["done_at"] is not None
    assert [(a["outcome"], a["score"]) for a in task["attempts"]] == [("reached", 2)]
    assert visits(ucs, at) == []
    # the next resolution brings the next visit
    assert "return visit VIS-000002" in resolve(ucs, now="2026-11-27T10:00").stdout
    assert [v["id"] for v in visits(ucs, "2026-11-27T10:00")] == ["VIS-000002"]


def test_three_unreachable_attempts_close_the_ticket(ucs: Ucs) -> None:
    file(ucs)
    resolve(ucs, now="2026-11-25T11:00")
    close = "complaint close CMP-000001 --outcome unreachable --by visitor-3"
    for n, at in enumerate(("2026-11-26T11:00", "2026-11-26T15:00"), 1):
        assert ucs(close, now=at).stdout == (
            "CMP-000001 resolved (owner agent-1, assignee agent-1): "
            "return visit VIS-000001: unreachable\n"
        )
        [task] = visits(ucs, at)
        assert len(task["attempts"]) == n and task["done_at"] is None
        assert ticket(ucs, now=at)["state"] == "resolved"
    third = ucs(close, now="2026-11-27T11:00").stdout
    assert third == (
        "CMP-000001 closed (owner agent-1, assignee agent-1): "
        "return visit VIS-000001: unreachable\n"
    )
    at = "2026-11-27T11:30"
    t = ticket(ucs, now=at)
    assert (t["state"], t["owner"], t["closed_at"]) == (
        "closed",
        AGENT,
        "2026-11-27T11:00:00+08:00",
    )
    assert [v["outcome"] for v in t["visits"]] == ["unreachable"] * 3
    assert t["steps"][-1]["reason"] == "return visit: unreachable after 3 attempts"
    [task] = visits(ucs, at, every=True)
    assert (task["outcome"], len(task["attempts"])) == ("unreachable", 3)
    assert visits(ucs, at) == []
    assert "CMP-000001" in refused(ucs, close, now="2026-11-27T12:00")


def test_closing_a_ticket_that_was_never_resolved_is_refused(ucs: Ucs) -> None:
    file(ucs)
    err = refused(ucs, f"complaint close CMP-000001 --outcome satisfied {BY}")
    assert err == "error: ticket 'CMP-000001': has no return visit due: resolve it first"
    assert "Missing option '--outcome'" in misused(ucs, f"complaint close CMP-000001 {BY}")
    pleased = misused(ucs, f"complaint close CMP-000001 --outcome pleased {BY}")
    assert "'pleased' is not one of" in pleased
    assert ticket(ucs)["state"] == "acknowledged" and ticket(ucs)["visits"] == []


def test_visit_record_of_a_complaint_visit_drives_the_ticket(ucs: Ucs) -> None:
    file(ucs)
    resolve(ucs, now="2026-11-25T11:00")
    record = "visit record VIS-000001 --outcome satisfied --score 4 --by visitor-3"
    assert ucs(record, now="2026-11-26T11:00").stdout == "VIS-000001 done; CMP-000001 closed\n"
    t = ticket(ucs, now="2026-11-26T11:00")
    assert t["state"] == "closed" and t["visits"][0]["score"] == 4
    result = js(ucs, "visit list --all", "2026-11-26T11:00")
    assert [(v["id"], v["outcome"]) for v in result] == [("VIS-000001", "satisfied")]


# ------------------------------------------------------------------ reopen, reject, cancel


def test_reopen_works_a_closed_ticket_again_with_its_owner(ucs: Ucs) -> None:
    file(ucs)
    resolve(ucs, now="2026-11-25T11:00")
    ucs(f"complaint close CMP-000001 --outcome satisfied {BY}", now="2026-11-26T11:00")
    reopen = "complaint reopen CMP-000001 --reason 'no signal again' --by agent-2"
    out = ucs(reopen, now="2026-11-28T09:00").stdout
    assert out == "CMP-000001 inProgress (owner agent-1, assignee agent-1): no signal again\n"
    t = ticket(ucs, now="2026-11-28T09:00")
    assert (t["state"], t["owner"], t["reopened"], t["closed_at"], t["resolved_at"]) == (
        "inProgress",
        AGENT,
        1,
        None,
        None,
    )
    assert [s["state"] for s in t["steps"]] == ["acknowledged", "resolved", "closed", "inProgress"]
    assert (t["steps"][-1]["by"], t["steps"][-1]["reason"]) == ("agent-2", "no signal again")
    # being worked again, its clocks run again
    assert {c["state"] for c in shown(ucs, now="2026-11-28T09:00")["clocks"]} != {"met"}


def test_only_a_resolved_or_closed_ticket_is_reopened(ucs: Ucs) -> None:
    file(ucs)
    # `complaint reopen --help`: "Work a resolved or closed ticket again"; this one never was
    err = refused(ucs, f"complaint reopen CMP-000001 --reason x {BY}")
    assert err.startswith("error: ticket 'CMP-000001': is acknowledged")


def test_reopening_a_pending_ticket_does_not_leave_its_clocks_paused(ucs: Ucs) -> None:
    file(ucs)
    ucs(f"complaint pend CMP-000001 --reason waiting {BY}", now="2026-11-25T10:30")
    reopen = f"complaint reopen CMP-000001 --reason 'customer called back' {BY}"
    # refused (a pending ticket is resumed, not reopened), or the pause ends with it
    result = ucs(reopen, now="2026-11-25T11:00", code=None)
    at = "2026-11-25T20:00"
    t = ticket(ucs, now=at)
    if result.exit_code == 0:
        assert t["state"] == "inProgress"
        assert t["pauses"] == [["2026-11-25T10:30:00+08:00", "2026-11-25T11:00:00+08:00"]]
        # 30 minutes before the pause and 9 hours after: past the 2-hour first response
        assert clock(shown(ucs, now=at), "first response")["state"] == "breached"
    else:
        assert result.exit_code == 1 and t["state"] == "pending"


def test_reopening_a_resolved_ticket_leaves_no_stale_return_visit(ucs: Ucs) -> None:
    file(ucs)
    resolve(ucs, now="2026-11-25T11:00")
    ucs(f"complaint reopen CMP-000001 --reason 'still bad' {BY}", now="2026-11-25T12:00")
    # the ticket is being worked again: nothing to follow up until it is resolved again
    assert visits(ucs, "2026-11-27T12:00") == []
    resolve(ucs, now="2026-11-26T12:00")
    assert [v["ticket_id"] for v in visits(ucs, "2026-11-27T12:00")] == ["CMP-000001"]


def test_reject_is_final(ucs: Ucs) -> None:
    ucs(f"complaint file --category suggestion -d 'open a hall in my village' {BY}")
    reject = "complaint reject CMP-000001 --reason 'a duplicate of CMP-000000' --by supervisor-1"
    out = ucs(reject, now="2026-11-25T10:30").stdout
    assert out == (
        "CMP-000001 rejected (owner agent-1, assignee agent-1): a duplicate of CMP-000000\n"
    )
    t = ticket(ucs, now="2026-11-25T10:30")
    assert (t["state"], t["owner"]) == ("rejected", AGENT)
    assert (t["steps"][-1]["by"], t["steps"][-1]["reason"]) == (
        "supervisor-1",
        "a duplicate of CMP-000000",
    )
    for command in (
        "reopen CMP-000001 --reason x",
        "reject CMP-000001 --reason x",
        "note CMP-000001 hello",
        "pend CMP-000001 --reason x",
    ):
        err = refused(ucs, f"complaint {command} {BY}", now="2026-11-25T11:00")
        assert "'CMP-000001': is rejected" in err, err


def test_cancel_records_the_withdrawal(ucs: Ucs) -> None:
    file(ucs)
    cancel = f"complaint cancel CMP-000001 --reason 'the customer withdrew it' {BY}"
    out = ucs(cancel, now="2026-11-25T10:30").stdout
    assert out == (
        "CMP-000001 cancelled (owner agent-1, assignee agent-1): the customer withdrew it\n"
    )
    t = ticket(ucs, now="2026-11-25T10:30")
    assert t["state"] == "cancelled" and t["steps"][-1]["reason"] == "the customer withdrew it"
    err = refused(ucs, f"complaint reopen CMP-000001 --reason x {BY}", now="2026-11-25T11:00")
    assert "is cancelled: only a resolved or closed ticket reopens" in err
    assert ids(js(ucs, "complaint list --state cancelled", "2026-11-25T11:00")) == ["CMP-000001"]


@pytest.mark.parametrize("command", ["pend", "reopen", "reject", "cancel"])
def test_a_step_that_needs_a_reason_without_one_is_a_usage_error(ucs: Ucs, command: str) -> None:
    file(ucs)
    if command == "reopen":
        resolve(ucs, now="2026-11-25T11:00")
    # `--help` marks --reason [required]: leaving it out is a usage error (exit 2)
    err = misused(ucs, f"complaint {command} CMP-000001 {BY}", now="2026-11-25T12:00")
    assert "Missing option '--reason'" in err


# ------------------------------------------------------------------ billing disputes


def test_a_billing_dispute_holds_the_disputed_amount(ucs: Ucs) -> None:
    bill = october(ucs)
    total, data = Decimal(bill["total"]), line_amount(bill, "data")
    assert data > 0
    assert arrears(ucs, AFTER_DUE) == total  # unpaid after the due date: all of it
    out = ucs(f"{DISPUTE} --dispute {OCTOBER}:data {BY}").stdout
    assert out == (
        "CMP-000001 acknowledged (owner agent-1, assignee agent-1): "
        f"normal billing-dispute, {data} on hold\n"
    )
    t = ticket(ucs)
    assert t["disputed"] == [{"bill_id": OCTOBER_BILL, "code": "data", "amount": str(data)}]
    text = ucs("complaint show CMP-000001").stdout
    assert field(text, "disputed") == f"{OCTOBER_BILL} data {data} (on hold while open)"

    assert arrears(ucs, BEFORE_DUE) == 0  # not due yet
    assert arrears(ucs, AFTER_DUE) == total - data  # the held amount is never arrears
    status = js(ucs, f"balance {NUMBER}", AFTER_DUE)
    assert Decimal(status["arrears"]) == total - data
    assert Decimal(status["balance"]) == -total  # what is owed is unchanged
    assert october(ucs)["total"] == bill["total"]
    assert f"arrears: {total - data} CNY" in ucs(f"balance {NUMBER}", now=AFTER_DUE).stdout
    # a second dispute holds its line as well
    dispute(ucs, "sms", now="2026-11-25T10:05")
    assert arrears(ucs, AFTER_DUE) == total - data - line_amount(bill, "sms")


def test_resolving_a_dispute_with_a_credit_credits_the_account(ucs: Ucs) -> None:
    dispute(ucs)
    total = Decimal(october(ucs)["total"])
    at = "2026-11-25T11:00"
    november = js(ucs, f"bill show {NUMBER}", at)
    out = resolve(ucs, "--credit 50", now=at).stdout
    assert out.splitlines() == [
        "CMP-000001 resolved (owner agent-1, assignee agent-1): fixed",
        "  credit 50.00 posted as credit-CMP-000001-1",
        "  return visit VIS-000001 due 2026-11-26T11:00+08:00",
    ]
    # the credit is a ledger credit, like a payment: no bill changes
    assert js(ucs, f"bill show {NUMBER}", at)["lines"] == november["lines"]
    assert october(ucs)["total"] == str(total)  # an issued bill never changes
    t = ticket(ucs, now=at)
    assert (t["state"], t["credit"], t["approved_by"]) == ("resolved", "50.00", "")
    credited = [
        e for e in js(ucs, "events", at) if e["type"] == "PaymentReceived" and e["kind"] == "credit"
    ]
    assert [(e["entry_id"], e["amount"]) for e in credited] == [("credit-CMP-000001-1", "50.00")]
    assert field(ucs("complaint show CMP-000001", now=at).stdout, "credit") == "50.00"
    # resolved: the hold is released; the credit settles October first, the rest is owed
    assert arrears(ucs, AFTER_DUE) == total - 50


def test_a_credit_above_the_limit_needs_a_supervisor(ucs: Ucs) -> None:
    dispute(ucs)
    at = "2026-11-25T11:00"
    resolve_150 = f"complaint resolve CMP-000001 --resolution refund --credit 150 {BY}"
    assert refused(ucs, resolve_150, now=at) == (
        "error: ticket 'CMP-000001': credits of 150.00 in all are above the 100.00 limit: "
        "a supervisor approves (--approved-by)"
    )  # no step, no credit, no visit
    assert ticket(ucs, now=at)["state"] == "acknowledged"

    assert refused(ucs, f"--role agent {resolve_150} --approved-by sup-1", now=at) == (
        "error: cli: approving a credit above the limit (--approved-by) needs the supervisor"
        " role (this is agent)"
    )
    out = ucs(f"--agent sup-1 --role supervisor {resolve_150} --approved-by sup-1", now=at).stdout
    assert "credit 150.00 posted as credit-CMP-000001-1" in out
    t = ticket(ucs, now=at)
    assert (t["credit"], t["approved_by"]) == ("150.00", "sup-1")
    text = ucs("complaint show CMP-000001", now=at).stdout
    assert field(text, "credit") == "150.00 approved by sup-1"


def test_credits_in_all_stay_within_the_disputed_amount(ucs: Ucs) -> None:
    dispute(ucs, "sms")  # October's SMS line: 3.00
    at = "2026-11-25T11:00"
    assert "posted as" in resolve(ucs, "--credit 2", now=at).stdout
    ucs(f"complaint reopen CMP-000001 --reason 'still wrong' {BY}", now="2026-11-25T12:00")
    err = refused(
        ucs,
        f"complaint resolve CMP-000001 --resolution more --credit 1.01 {BY}",
        now="2026-11-25T13:00",
    )
    assert err == (
        "error: ticket 'CMP-000001': credits of 3.01 in all would be more than the 3.00 disputed"
    )
    assert (
        "posted as credit-CMP-000001-2" in resolve(ucs, "--credit 1", now="2026-11-25T13:00").stdout
    )
    assert ticket(ucs, now="2026-11-25T13:00")["credit"] == "3.00"


def test_credit_limit_shows_and_raises_the_limit(ucs: Ucs) -> None:
    assert ucs("complaint credit-limit").stdout == "credit limit 100.00\n"
    assert refused(ucs, "complaint credit-limit 200") == (
        "error: cli: setting the credit limit needs the supervisor role (this is agent)"
    )
    assert ucs("--role supervisor complaint credit-limit 200").stdout == "credit limit 200.00\n"
    assert ucs("complaint credit-limit").stdout == "credit limit 200.00\n"
    dispute(ucs)  # October's data line: more than 250
    at = "2026-11-25T11:00"
    resolve_250 = f"complaint resolve CMP-000001 --resolution refund --credit 250 {BY}"
    err = refused(ucs, resolve_250, now=at)
    assert "credits of 250.00 in all are above the 200.00 limit: a supervisor approves" in err
    out = resolve(ucs, "--credit 150", now=at).stdout  # no supervisor below the new limit
    assert "credit 150.00 posted as" in out
    assert "must not be negative" in refused(ucs, "complaint credit-limit -- -5", now=at)
    assert "invalid amount 'abc'" in misused(ucs, "complaint credit-limit abc", now=at)


def test_a_credit_fits_only_a_billing_dispute_in_whole_fen(ucs: Ucs) -> None:
    file(ucs)
    dispute(ucs)
    at = "2026-11-25T11:00"
    err = refused(ucs, f"complaint resolve CMP-000001 --resolution x --credit 5 {BY}", now=at)
    assert err == "error: ticket 'CMP-000001': only a billing dispute resolves with a credit"
    err = refused(ucs, f"complaint resolve CMP-000002 --resolution x --credit 0.001 {BY}", now=at)
    assert "a positive whole number of fen" in err


def test_cancelling_a_dispute_releases_the_hold(ucs: Ucs) -> None:
    dispute(ucs)
    total = Decimal(october(ucs)["total"])
    assert arrears(ucs, AFTER_DUE) < total
    cancel = f"complaint cancel CMP-000001 --reason 'paid after all' {BY}"
    ucs(cancel, now="2026-11-26T10:00")
    assert arrears(ucs, AFTER_DUE) == total


# ------------------------------------------------------------------ clocks: breaching, policy


def test_list_breaching_shows_only_warning_and_breached_tickets(ucs: Ucs) -> None:
    file(ucs)  # CMP-000001: not answered
    roaming = f"complaint file --category roaming -d 'no service abroad' --number {OTHER}"
    ucs(f"{roaming} --by agent-2")  # CMP-000002: answered at 11:00
    note = "complaint note CMP-000002 'looking into it' --to-customer --by agent-2"
    ucs(note, now="2026-11-25T11:00")
    file(ucs, now="2026-11-25T10:05")  # CMP-000003: resolved at once
    resolve(ucs, now="2026-11-25T10:10", ticket_id="CMP-000003")

    breaching = "complaint list --breaching"
    assert js(ucs, breaching, "2026-11-25T10:30") == []
    assert len(js(ucs, "complaint list", "2026-11-25T10:30")) == 3
    # 1h40 into CMP-000001's 2-hour first response: a warning
    [warned] = js(ucs, breaching, "2026-11-25T11:40")
    assert warned["ticket"]["id"] == "CMP-000001"
    assert clock(warned, "first response")["state"] == "warning"
    # past it: breached at escalation level 1, level 2 another 8 hours on
    [late] = js(ucs, breaching, "2026-11-25T13:00")
    assert late["ticket"]["id"] == "CMP-000001"
    first = clock(late, "first response")
    assert (first["state"], first["escalation"]) == ("breached", 1)
    [later] = js(ucs, breaching, "2026-11-25T20:30")
    assert clock(later, "first response")["escalation"] == 2
    rows = ucs(breaching, now="2026-11-25T13:00").stdout.splitlines()
    header = ["ticket", "category", "priority", "state", "number", "owner", "assignee"]
    assert rows[0].split() == [*header, "worst", "clock"]
    assert [row.split() for row in rows[1:]] == [
        [
            *("CMP-000001", "network", "normal", "acknowledged", NUMBER, AGENT, AGENT),
            *("first", "response:", "breached"),
        ]
    ]
    text = ucs("complaint show CMP-000001", now="2026-11-25T13:00").stdout
    assert (
        "first response     breached  due 2026-11-25T12:00+08:00  used 3h00m, escalation level 1"
        in text
    )
    # a day on, CMP-000002 is owed its next update too; the resolved ticket never breaches
    assert ids(js(ucs, breaching, "2026-11-26T12:00")) == ["CMP-000001", "CMP-000002"]


def test_the_resolution_clock_counts_prc_working_days(ucs: Ucs) -> None:
    # filed the day before National Day: 1-7 October are holidays and Saturday 10 October a
    # make-up working day, so five working days end on Tuesday 13 October
    ucs(f"complaint file --category network -d x {BY}", now="2026-09-30T10:00")
    data = shown(ucs, now="2026-09-30T10:00")
    assert clock(data, "resolution")["due_at"] == "2026-10-13T10:00:00+08:00"
    assert clock(data, "resolution")["estimated"] is False
    holiday, next_day = shown(ucs, now="2026-10-05T10:00"), shown(ucs, now="2026-10-06T10:00")
    assert clock(holiday, "resolution")["used"] == clock(next_day, "resolution")["used"]
    regulatory = [clock(d, "regulatory answer")["used"] for d in (holiday, next_day)]
    assert regulatory[0] != regulatory[1]  # a calendar clock counts holidays


def test_policy_show_prints_the_bundled_policy(ucs: Ucs) -> None:
    out = ucs("complaint policy show").stdout
    assert out.startswith('[[policy]]\npriority = "urgent"')
    assert 'category = "suggestion"' in out


CATCH_ALL = (
    '[[policy]]\nfirst_response = { limit = "1h" }\nnext_update = { limit = "1d" }\n'
    'resolution = { limit = "5d" }\n'
)


def _urgent(first: str = 'limit = "1h"', resolution: str = 'limit = "5d"') -> str:
    return (
        f'[[policy]]\npriority = "urgent"\nfirst_response = {{ {first} }}\n'
        f'next_update = {{ limit = "1d" }}\nresolution = {{ {resolution} }}\n'
    )


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param(
            CATCH_ALL + _urgent(first='limit = "2x"'),
            ["policy[1].first_response", "invalid duration '2x'"],
            id="bad-duration",
        ),
        pytest.param(
            CATCH_ALL + '[[policy]]\nfirst_response = { limit = "1h" }\n',
            ["policy[1].next_update", "policy[1].resolution", "missing"],
            id="missing-targets",
        ),
        pytest.param(
            CATCH_ALL + _urgent(resolution='limit = "5d", clock = "lunar"'),
            ["policy[1].resolution", "'lunar'"],
            id="bad-clock",
        ),
        pytest.param("[[policy]\nlimit = ", ["toml", "line 1"], id="not-toml"),
        pytest.param(
            CATCH_ALL + _urgent().replace('priority = "urgent"', 'category = "netwrok"'),
            ["policy[1].category", "netwrok"],
            id="unknown-category",
        ),
        pytest.param(
            CATCH_ALL + _urgent().replace('"urgent"', '"urgnet"'),
            ["policy[1].priority", "urgnet"],
            id="unknown-priority",
        ),
        pytest.param("policy = 3\n", ["policy"], id="policy-not-tables"),
    ],
)
def test_a_bad_policy_file_is_refused_naming_the_key_path(
    ucs: Ucs, tmp_path: Path, text: str, names: list[str]
) -> None:
    file(ucs)
    path = tmp_path / "sla.toml"
    path.write_text(text, encoding="utf-8")
    before = snapshot(ucs)
    err = ucs(f"complaint policy load {path}", code=1).stderr
    assert err.startswith(f"error: {path}"), err
    for name in names:
        assert name in err, err
    assert snapshot(ucs) == before


@pytest.mark.parametrize(
    ("text", "wanted", "unwanted"),
    [
        pytest.param(
            CATCH_ALL + _urgent(first='limt = "1h"'),
            "policy[1].first_response: missing",
            "first_response: 'limit'",
            id="missing-limit",
        ),
        pytest.param(
            CATCH_ALL + _urgent(resolution='limit = "5d", clock = "lunar"'),
            "working-days",
            "ClockKind",
            id="bad-clock",
        ),
        pytest.param(
            CATCH_ALL + _urgent(first='limit = "2x"'), "SLA policy", "catalog", id="heading"
        ),
    ],
)
def test_policy_errors_speak_of_the_sla_policy(
    ucs: Ucs, tmp_path: Path, text: str, wanted: str, unwanted: str
) -> None:
    path = tmp_path / "sla.toml"
    path.write_text(text, encoding="utf-8")
    err = ucs(f"complaint policy load {path}", code=1).stderr
    assert wanted in err and unwanted not in err, err


def test_loading_a_good_policy_changes_the_clocks(ucs: Ucs, tmp_path: Path) -> None:
    file(ucs)
    assert clock(shown(ucs), "first response")["due_at"] == "2026-11-25T12:00:00+08:00"
    limit_before = clock(shown(ucs), "first response")["limit"]
    path = tmp_path / "sla.toml"
    text = (
        "[[policy]]\n"
        'first_response = { limit = "30m", warn_before = "10m" }\n'
        'next_update = { limit = "8h" }\n'
        'resolution = { limit = "3d", clock = "calendar" }\n'
    )
    path.write_text(text, encoding="utf-8")
    assert ucs(f"complaint policy load {path}").stdout == f"{path}: 1 policy rule(s) loaded\n"
    assert ucs("complaint policy show").stdout == text
    data = shown(ucs, now="2026-11-25T10:25")
    assert clock(data, "first response")["limit"] != limit_before
    assert clock(data, "first response")["due_at"] == "2026-11-25T10:30:00+08:00"
    assert clock(data, "first response")["state"] == "warning"
    assert clock(data, "next update")["due_at"] == "2026-11-25T18:00:00+08:00"
    assert clock(data, "resolution")["due_at"] == "2026-11-28T10:00:00+08:00"  # a Saturday
    [late] = js(ucs, "complaint list --breaching", "2026-11-25T11:00")
    assert clock(late, "first response")["state"] == "breached"


def test_a_policy_that_leaves_tickets_without_limits_is_refused(ucs: Ucs, tmp_path: Path) -> None:
    path = tmp_path / "sla.toml"
    path.write_text(CATCH_ALL.replace("[[policy]]", '[[policy]]\npriority = "normal"'), "utf-8")
    before = snapshot(ucs)
    err = ucs(f"complaint policy load {path}", code=1).stderr
    assert snapshot(ucs) == before
    # like a catalog file, a policy file's problems are listed under one heading, one a line
    assert err.splitlines() == [
        f"error: {path}: invalid SLA policy",
        "  policy: no rule for network / urgent: add a catch-all",
    ]
    missing = refused(ucs, f"complaint policy load {tmp_path / 'no.toml'}")
    assert "No such file or directory" in missing


# ------------------------------------------------------------------ outbound tasks


def test_visit_add_and_record_an_outbound_call(ucs: Ucs) -> None:
    add = f"visit add retention {NUMBER} --due 2026-11-30T10:00 --note 'offer 4G'"
    out = ucs(add, now="2026-11-28T15:00").stdout
    assert out == f"VIS-000001 retention for {NUMBER} due 2026-11-30T10:00+08:00\n"
    [task] = visits(ucs, "2026-11-28T15:00")
    assert (task["id"], task["kind"], task["msisdn"], task["ticket_id"], task["note"]) == (
        "VIS-000001",
        "retention",
        NUMBER,
        "",
        "offer 4G",
    )
    assert (task["due_at"], task["created_at"]) == (
        "2026-11-30T10:00:00+08:00",
        "2026-11-28T15:00:00+08:00",
    )
    record = "visit record VIS-000001 --by caller-2 --outcome"
    missed = ucs(f"{record} unreachable", now="2026-11-30T10:00").stdout
    assert missed == "VIS-000001 open, 1 attempt(s)\n"
    row = ucs("visit list", now="2026-11-30T10:30").stdout.splitlines()[1]
    assert row.split()[-3:] == ["1", "overdue", "-"]
    done = ucs(f"{record} satisfied --score 5 --note stays", now="2026-11-30T11:00").stdout
    assert done == "VIS-000001 done\n"
    assert visits(ucs, "2026-11-30T11:00") == []
    [task] = visits(ucs, "2026-11-30T11:00", every=True)
    assert (task["outcome"], task["done_at"]) == ("satisfied", "2026-11-30T11:00:00+08:00")
    assert [(a["outcome"], a["score"], a["note"]) for a in task["attempts"]] == [
        ("unreachable", None, ""),
        ("reached", 5, "stays"),
    ]
    again = refused(ucs, f"{record} satisfied", now="2026-11-30T12:00")
    assert again == "error: task 'VIS-000001': was done at 2026-11-30T11:00:00+08:00"
    # a satisfaction score needs the customer on the line
    ucs(f"visit add welcome {OTHER} --due 2026-12-01T10:00", now="2026-11-30T12:00")
    no_score = "visit record VIS-000002 --outcome unreachable --score 3 --by caller-2"
    assert "the customer was not reached" in refused(ucs, no_score, now="2026-12-01T10:00")


def test_visit_add_and_record_refuse_bad_input(ucs: Ucs) -> None:
    bad_due = misused(ucs, f"visit add retention {NUMBER} --due tomorrow")
    assert "Invalid value for '--due'" in bad_due and "'tomorrow'" in bad_due
    kind = misused(ucs, f"visit add complaint-follow-up {NUMBER} --due 2026-11-30T10:00")
    assert "'complaint-follow-up' is not one of" in kind
    assert "Missing option '--due'" in misused(ucs, f"visit add retention {NUMBER}")
    unknown = refused(ucs, f"visit add retention {UNKNOWN_NUMBER} --due 2026-11-30T10:00")
    assert unknown == f"error: unknown number '{UNKNOWN_NUMBER}'"
    score = misused(ucs, f"visit record VIS-000001 --outcome satisfied --score 6 {BY}")
    assert "6 is not in the range 1<=x<=5" in score


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "command",
    [
        "show CMP-999999",
        f"assign CMP-999999 agent-2 {BY}",
        f"transfer CMP-999999 agent-2 --reason x {BY}",
        f"note CMP-999999 hello {BY}",
        f"pend CMP-999999 --reason x {BY}",
        f"resume CMP-999999 {BY}",
        f"resolve CMP-999999 --resolution x {BY}",
        f"close CMP-999999 --outcome satisfied {BY}",
        f"reopen CMP-999999 --reason x {BY}",
        f"reject CMP-999999 --reason x {BY}",
        f"cancel CMP-999999 --reason x {BY}",
    ],
    ids=lambda c: c.split()[0],
)
def test_an_unknown_ticket_is_a_one_line_error(ucs: Ucs, command: str) -> None:
    file(ucs)
    assert refused(ucs, f"complaint {command}") == "error: unknown ticket 'CMP-999999'"


def test_an_unknown_task_or_number_is_a_one_line_error(ucs: Ucs) -> None:
    record = f"visit record VIS-999999 --outcome satisfied {BY}"
    assert refused(ucs, record) == "error: unknown task 'VIS-999999'"
    unknown = f"error: unknown number '{UNKNOWN_NUMBER}'"
    filed = f"complaint file --category network -d x --number {UNKNOWN_NUMBER} {BY}"
    assert refused(ucs, filed) == unknown
    assert refused(ucs, f"complaint list --number {UNKNOWN_NUMBER}") == unknown
    assert "'bogus' is not one of" in misused(ucs, "complaint list --state bogus")


@pytest.mark.parametrize(
    "command",
    [
        "complaint file --category network -d x",
        "complaint assign CMP-000001 agent-2",
        "complaint transfer CMP-000001 agent-2 --reason x",
        "complaint note CMP-000001 hello",
        "complaint pend CMP-000001 --reason x",
        "complaint resume CMP-000001",
        "complaint resolve CMP-000001 --resolution x",
        "complaint close CMP-000001 --outcome satisfied",
        "complaint reopen CMP-000001 --reason x",
        "complaint reject CMP-000001 --reason x",
        "complaint cancel CMP-000001 --reason x",
        "visit record VIS-000001 --outcome satisfied",
    ],
    ids=lambda c: "-".join(c.split()[:2]),
)
def test_every_step_names_its_agent(ucs: Ucs, command: str) -> None:
    file(ucs)
    assert "Missing option '--by'" in misused(ucs, command)


@pytest.mark.parametrize("text", ["2026-10", "2026-10:", ":data", "2026-13:data", "10/2026:data"])
def test_a_badly_written_dispute_is_a_usage_error(ucs: Ucs, text: str) -> None:
    err = misused(ucs, f"{DISPUTE} --dispute {text} {BY}")
    assert f"'{text}'" in err


def test_a_badly_written_dispute_names_the_option(ucs: Ucs) -> None:
    err = misused(ucs, f"{DISPUTE} --dispute 2026-10 {BY}")
    # as `visit add --due` and `--now` do, the message says which option is wrong
    assert "Invalid value for '--dispute'" in err, err


@pytest.mark.parametrize("month", ["2026-11", "2026-09"], ids=["open-month", "before-the-line"])
def test_a_dispute_needs_an_issued_bill(ucs: Ucs, month: str) -> None:
    err = refused(ucs, f"{DISPUTE} --dispute {month}:data {BY}")
    assert err == (f"error: unknown issued bill (bills issued for {NUMBER}: {OCTOBER}) '{month}'")


def test_a_dispute_on_a_code_not_on_the_bill_lists_the_codes_it_has(ucs: Ucs) -> None:
    codes = ", ".join(sorted({ln["code"] for ln in october(ucs)["lines"]}))
    err = refused(ucs, f"{DISPUTE} --dispute {OCTOBER}:wifi {BY}")
    assert err == f"error: unknown bill line (bill {OCTOBER_BILL} has {codes}) 'wifi'"


def test_a_dispute_comes_within_five_months_of_the_bill(ucs: Ucs) -> None:
    # the bill was issued on 25 November 2026
    err = refused(ucs, f"{DISPUTE} --dispute {OCTOBER}:data {BY}", now="2027-04-26T10:00")
    assert err == (
        f"error: bill '{OCTOBER_BILL}': billing disputes are raised within 5 months of the bill "
        "(tariff rules §6)"
    )
    in_time = ucs(f"{DISPUTE} --dispute {OCTOBER}:data {BY}", now="2027-04-24T10:00").stdout
    assert "on hold" in in_time


def test_disputed_lines_belong_to_a_billing_dispute_only(ucs: Ucs) -> None:
    err = refused(ucs, f"{DISPUTE} {BY}")
    assert "billing dispute" in err and "needs the number and the bill lines" in err
    err = refused(ucs, f"{FILE} --dispute {OCTOBER}:data {BY}")
    assert "only a billing dispute names bill lines" in err


@pytest.mark.parametrize(
    "command",
    [
        "note CMP-000001 'early answer' --to-customer",
        "assign CMP-000001 agent-2",
        "pend CMP-000001 --reason x",
        "resolve CMP-000001 --resolution x",
    ],
    ids=lambda c: c.split()[0],
)
def test_nothing_is_dated_before_the_tickets_last_step(ucs: Ucs, command: str) -> None:
    file(ucs)  # filed at 10:00
    err = refused(ucs, f"complaint {command} {BY}", now="2026-11-25T09:00")
    assert "its last step was at 2026-11-25T10:00:00+08:00" in err


def test_a_return_visit_is_not_dated_before_the_resolution(ucs: Ucs) -> None:
    file(ucs)
    resolve(ucs, now="2026-11-25T11:00")
    close = f"complaint close CMP-000001 --outcome unreachable {BY}"
    assert "2026-11-25T11:00:00+08:00" in refused(ucs, close, now="2026-11-25T10:30")


def test_every_json_output_parses(ucs: Ucs) -> None:
    commands = [
        f"{DISPUTE} --dispute {OCTOBER}:data {BY}",
        f"complaint file --category network -d x {BY}",
        f"complaint assign CMP-000001 agent-2 {BY}",
        f"complaint transfer CMP-000001 agent-3 --reason x {BY}",
        f"complaint note CMP-000001 hello --to-customer {BY}",
        f"complaint pend CMP-000001 --reason x {BY}",
        f"complaint resume CMP-000001 {BY}",
        "complaint show CMP-000001",
        "complaint list",
        "complaint list --breaching",
        f"complaint resolve CMP-000001 --resolution x --credit 5 {BY}",
        "visit list",
        f"complaint close CMP-000001 --outcome dissatisfied {BY}",
        f"complaint resolve CMP-000001 --resolution y {BY}",
        f"visit record VIS-000002 --outcome satisfied {BY}",
        f"complaint reopen CMP-000001 --reason x {BY}",
        f"complaint reject CMP-000002 --reason x {BY}",
        f"complaint cancel CMP-000001 --reason x {BY}",
        f"visit add welcome {OTHER} --due 2026-11-26T10:00",
        "visit list --all",
    ]
    for command in commands:
        json.loads(ucs(f"{command} --json").stdout)  # one JSON document, nothing else


# ------------------------------------------------------------------ a real process


def _run(tmp_path: Path, *args: str, now: str = NOW) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env.update(UCS_STORE=str(tmp_path / "ucs.sqlite3"), UCS_NOW=now, UCS_AGENT="agent-9")
    return subprocess.run(
        [sys.executable, "-m", "unicom_cs", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_real_process_takes_a_dispute_round_the_closed_loop(
    tmp_path: Path, demo_store: Path
) -> None:
    copy_store(demo_store, tmp_path / "ucs.sqlite3")
    filed = _run(tmp_path, *split(f"{DISPUTE} --dispute {OCTOBER}:data --json"))
    assert filed.returncode == 0 and filed.stderr == "", filed.stderr
    t = json.loads(filed.stdout)
    assert (t["id"], t["owner"], t["state"]) == ("CMP-000001", "agent-9", "acknowledged")
    resolve_it = "complaint resolve CMP-000001 --resolution refund --credit 20 --json"
    done = _run(tmp_path, *split(resolve_it), now="2026-11-25T11:00")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ticket"]["state"] == "resolved"
    assert (result["adjustment"], result["visit"]["id"]) == ("credit-CMP-000001-1", "VIS-000001")
    close = "complaint close CMP-000001 --outcome satisfied --json"
    closed = _run(tmp_path, *split(close), now="2026-11-26T11:00")
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout)["state"] == "closed"
    text = _run(tmp_path, "complaint", "show", "CMP-000001", now="2026-11-26T11:00")
    assert text.returncode == 0, text.stderr
    assert field(text.stdout, "state") == "closed" and field(text.stdout, "credit") == "20.00"


def test_a_real_process_exits_1_for_a_refusal_and_2_for_bad_usage(
    tmp_path: Path, demo_store: Path
) -> None:
    copy_store(demo_store, tmp_path / "ucs.sqlite3")
    unknown = _run(tmp_path, "complaint", "show", "CMP-000042")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == "error: unknown ticket 'CMP-000042'\n"
    bad = _run(tmp_path, *split(f"{DISPUTE} --dispute october"))
    assert bad.returncode == 2 and "YYYY-MM:LINE-CODE" in bad.stderr
    assert _run(tmp_path, *split(f"{DISPUTE} --dispute {OCTOBER}:data")).returncode == 0
    above = _run(tmp_path, *split("complaint resolve CMP-000001 --resolution x --credit 300"))
    assert (above.returncode, above.stdout) == (1, "")
    assert "a supervisor approves" in above.stderr
    assert len(above.stderr.strip().splitlines()) == 1
    for result in (unknown, bad, above):
        assert "Traceback" not in result.stdout + result.stderr
    listed = _run(tmp_path, "visit", "list", "--json")
    assert json.loads(listed.stdout) == []  # the refused resolution made no visit


def test_a_stale_version_changes_nothing_and_the_shown_one_works(ucs: Ucs) -> None:
    dispute(ucs)
    at = "2026-11-25T11:00"
    ucs(f"complaint resolve CMP-000001 --resolution explained {BY}", now=at)
    shown = ticket(ucs, now=at)["version"]
    stale = f"complaint close CMP-000001 --outcome satisfied --by V1 --if-version {shown - 1}"
    assert refused(ucs, stale, now=at) == (
        "error: ticket 'CMP-000001' was changed by someone else: you saw version "
        f"{shown - 1}, it is now at version {shown} (see `ucs complaint show`): read it again"
    )
    closed = f"complaint close CMP-000001 --outcome satisfied --by V1 --if-version {shown}"
    assert "closed" in ucs(closed, now=at).stdout
    assert ticket(ucs, now=at)["version"] == shown + 1
