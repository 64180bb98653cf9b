"""The `ucs` command line, end to end through click's CliRunner on a temporary SQLite store.

The logic is tested below the CLI; these tests check what a user sees: output, exit codes,
one-line errors without tracebacks, and that a rejected command leaves the store unchanged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from unicom_cs.cli import main

NOW = "2026-11-25T10:00:00"
HEADER = "id,msisdn,service,direction,start,duration_s,bytes,peer,location\n"

Ucs = Callable[..., Result]


@pytest.fixture
def ucs(tmp_path: Path) -> Ucs:
    runner = CliRunner()
    store = str(tmp_path / "store.sqlite3")

    def run(*args: str, code: int = 0) -> Result:
        result = runner.invoke(main, ["--store", store, "--now", NOW, *args])
        assert "Traceback" not in result.output + result.stderr
        assert result.exit_code == code, (result.output, result.stderr)
        return result

    return run


@pytest.fixture
def line(ucs: Ucs) -> str:
    ucs("init")
    ucs("subscriber", "add", "18612345678", "--plan", "4g-56", "--activated", "2026-09-03")
    return "18612345678"


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_init_creates_the_store_once_and_says_so(ucs: Ucs) -> None:
    assert "created" in ucs("init").output
    again = ucs("init").output
    assert "already initialised" in again
    assert "18 plans" in again


def test_demo_builds_a_store_and_shows_an_issued_bill(ucs: Ucs) -> None:
    out = ucs("demo").output
    assert "bills issued for 2026-10" in out
    assert "Bill 18612345678 2026-10 (sent" in out
    assert "Total" in out
    # running the demo again changes nothing: the same records, bills skipped
    again = ucs("demo").output
    assert "0 usage records imported, 0 bills issued" in again


def test_bill_show_json_has_the_fields_front_ends_need_and_money_as_strings(
    ucs: Ucs, line: str, tmp_path: Path
) -> None:
    cdrs = HEADER + (
        "c1,18612345678,voice,out,2026-11-03T09:00:00,6001,,13800138000,CN-BJ\n"
        "c2,18612345678,sms,out,2026-11-03T09:05:00,,,13800138000,CN-BJ\n"
    )
    ucs("usage", "import", write(tmp_path, "cdr.csv", cdrs))
    data = json.loads(ucs("bill", "show", line, "--json", "--detail").output)
    assert data["msisdn"] == line and data["month"] == "2026-11" and data["currency"] == "CNY"
    assert data["state"] == "unbilled"
    # 6001 s = 101 minutes (per-call round-up); 100 included, 1 over at 0.15; 1 SMS at 0.10
    amounts = {ln["code"]: ln["amount"] for ln in data["lines"]}
    assert amounts == {"monthly-fee": "56.00", "voice": "0.15", "sms": "0.10"}
    assert data["total"] == "56.25"
    assert all(isinstance(ln["amount"], str) for ln in data["lines"])
    assert [r["record"]["id"] for r in data["records"]] == ["c1", "c2"]


def test_bill_explain_reads_out_how_each_line_was_computed(
    ucs: Ucs, line: str, tmp_path: Path
) -> None:
    ucs(
        "usage",
        "import",
        write(
            tmp_path,
            "c.csv",
            HEADER + "v,18612345678,voice,out,2026-10-03T09:00:00,61,,13800138000,CN-BJ\n",
        ),
    )
    out = ucs("bill", "explain", line, "--month", "2026-10").output
    assert "each call rounded up to the minute" in out
    assert "2 min in 1 record(s)" in out
    assert "Total 56.00 CNY" in out


def test_a_cdr_file_with_bad_rows_is_rejected_whole_with_one_message_per_row(
    ucs: Ucs, line: str, tmp_path: Path
) -> None:
    good = "g1,18612345678,voice,out,2026-11-02T10:00:00,60,,13800138000,CN-BJ\n"
    bad = (
        "b1,18612345678,voice,out,2026-13-02T10:00:00,60,,13800138000,CN-BJ\n"
        "b2,18612345678,voice,out,2026-11-02T10:00:00,-5,,13800138000,CN-BJ\n"
        "b3,18612345678,fax,out,2026-11-02T10:00:00,60,,13800138000,CN-BJ\n"
        "b4,13012345678,voice,out,2026-11-02T10:00:00,60,,13800138000,CN-BJ\n"
    )
    before = ucs("bill", "show", line, "--json").output
    result = ucs("usage", "import", write(tmp_path, "bad.csv", HEADER + good + bad), code=1)
    lines = result.stderr.strip().splitlines()
    assert "4 bad row(s), nothing imported" in lines[0]
    assert [ln.split(": ")[0].rsplit(":", 1)[1] for ln in lines[1:]] == ["3", "4", "5", "6"]
    assert "expected ISO 8601" in lines[1]
    assert "must not be negative" in lines[2]
    assert "expected voice, video, sms, mms or data" in lines[3]
    assert "unknown number 13012345678" in lines[4]
    assert ucs("bill", "show", line, "--json").output == before
    assert json.loads(ucs("usage", "list", line, "--json").output) == []


def test_skip_bad_imports_the_good_rows_and_writes_the_rejects(
    ucs: Ucs, line: str, tmp_path: Path
) -> None:
    text = HEADER + (
        "g1,18612345678,voice,out,2026-11-02T10:00:00,60,,13800138000,CN-BJ\n"
        "b1,18612345678,data,out,2026-11-02T10:00:00,,,,CN-BJ\n"
    )
    rejects = tmp_path / "rejects.csv"
    out = ucs("usage", "import", write(tmp_path, "m.csv", text), "--skip-bad", str(rejects))
    assert "1 imported" in out.output and "1 rejected" in out.output
    rows = list(csv.DictReader(rejects.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 1 and rows[0]["where"].endswith(":3")
    assert "bytes" in rows[0]["reason"] and rows[0]["row"].startswith("b1,")
    assert len(json.loads(ucs("usage", "list", line, "--json").output)) == 1


def test_reimporting_a_file_changes_nothing(ucs: Ucs, line: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.csv",
        HEADER + "x,18612345678,sms,out,2026-11-02T10:00:00,,,13800138000,CN-BJ\n",
    )
    assert "1 imported" in ucs("usage", "import", path).output
    bill = ucs("bill", "show", line, "--json").output
    assert "0 imported, 1 already imported" in ucs("usage", "import", path).output
    assert ucs("bill", "show", line, "--json").output == bill


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"id,msisdn,service\n1,18612345678,voice\n", "missing column(s): direction"),
        (HEADER.encode() + b"\xff\xfe,bad\n", "not UTF-8"),
    ],
)
def test_unreadable_cdr_files_name_the_problem(
    ucs: Ucs, line: str, tmp_path: Path, content: bytes, reason: str
) -> None:
    assert reason in ucs("usage", "import", write(tmp_path, "f.csv", content), code=1).stderr


def test_unknown_things_and_bad_amounts_are_one_line_errors(ucs: Ucs, line: str) -> None:
    assert (
        "unknown plan 'nope'"
        in ucs(
            "subscriber",
            "add",
            "18612345679",
            "--plan",
            "nope",
            "--activated",
            "2026-09-01",
            code=1,
        ).stderr
    )
    assert (
        "already exists"
        in ucs(
            "subscriber", "add", line, "--plan", "4g-56", "--activated", "2026-09-01", code=1
        ).stderr
    )
    assert (
        "is not a date"
        in ucs(
            "subscriber", "add", "18612345679", "--plan", "4g-56", "--activated", "09/01", code=2
        ).stderr
    )
    assert "unknown number '13012345678'" in ucs("bill", "show", "13012345678", code=1).stderr
    assert "must be more than zero" in ucs("pay", line, "0", code=1).stderr
    assert "not a decimal number" in ucs("pay", line, "ten", code=2).stderr
    assert "whole number of fen" in ucs("recharge", line, "0.001", code=1).stderr
    assert "has not started" in ucs("bill", "show", line, "--month", "2027-01", code=1).stderr


def test_bill_run_issues_bills_and_payments_settle_them(ucs: Ucs, line: str) -> None:
    assert "has not ended" in ucs("bill", "run", "--month", "2026-11", code=1).stderr
    out = ucs("bill", "run", "--month", "2026-10").output
    # the line joined on 3 September: September is issued first, then October (56.00 each)
    assert "2 bill(s) issued, total 112.00 CNY" in out
    assert "0 bill(s) issued" in ucs("bill", "run", "--month", "2026-10").output
    assert "0 bill(s) issued" in ucs("bill", "run", "--month", "2026-09").output
    paid = ucs("pay", line, "60").output
    assert "payment 60.00 CNY" in paid and "balance -52.00 CNY" in paid
    status = json.loads(ucs("balance", line, "--json").output)
    states = [b["state"] for b in status["bills"]]
    assert states == ["settled", "partiallyPaid"]  # 60 pays September's 56, then 4 of October
    assert status["balance"] == "-52.00"
    arrears = json.loads(ucs("arrears", "--json").output)
    assert arrears == []  # September is settled; October is due by 30 November


def test_prepaid_recharge_and_account_bill_for_several_lines(ucs: Ucs) -> None:
    ucs("init")
    ucs(
        "subscriber",
        "add",
        "15512345678",
        "--plan",
        "4g-56",
        "--activated",
        "2026-11-01",
        "--prepaid",
        "--account",
        "ACC-1",
    )
    ucs(
        "subscriber",
        "add",
        "KD01062345678",
        "--plan",
        "bb-100m",
        "--activated",
        "2026-11-01",
        "--prepaid",
        "--account",
        "ACC-1",
    )
    ucs("recharge", "15512345678", "200")
    status = json.loads(ucs("balance", "15512345678", "--json").output)
    # prepaid: this month's fees are charged from the 1st: 200 − 56 − 100
    assert status["balance"] == "44.00"
    out = ucs("bill", "show", "--account", "ACC-1", "--json").output
    assert json.loads(out)["total"] == "156.00"


def test_now_makes_runs_repeatable(ucs: Ucs, line: str) -> None:
    assert ucs("bill", "show", line).output == ucs("bill", "show", line).output
    assert (
        "invalid time 'yesterday'" in ucs("--now", "yesterday", "bill", "show", line, code=2).stderr
    )


def test_a_catalog_file_is_validated_with_key_paths(ucs: Ucs, line: str, tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "bad.toml",
        '[[plan]]\nid = "x"\nname = "X"\nmonthly_fee = 9.5\n'
        'source = "me"\nrates = { voice = "abc" }\n',
    )
    err = ucs("tariff", "load", bad, code=1).stderr
    assert "plan[0].monthly_fee" in err and "plan[0].rates.voice" in err
    good = write(
        tmp_path,
        "good.toml",
        '[[plan]]\nid = "my-19"\nname = "Mine"\n'
        'monthly_fee = "19"\nsource = "test"\nallowance = { voice_minutes = 30 }\n'
        'rates = { voice = "0.12" }\n',
    )
    assert "loaded 1 plan(s)" in ucs("tariff", "load", good).output
    assert json.loads(ucs("tariff", "show", "my-19", "--json").output)["monthly_fee"] == "19.00"


def test_a_query_on_a_store_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "store.sqlite3"
    result = CliRunner().invoke(main, ["--store", str(missing), "subscriber", "list"])
    assert result.exit_code == 1
    assert "no store here: run `ucs init`" in result.stderr
    assert not missing.parent.exists()
    empty = CliRunner().invoke(main, ["--store", "", "subscriber", "list"])
    assert empty.exit_code == 2 and "is empty" in empty.stderr


def test_an_unwritable_rejects_file_stops_the_import_before_it_stores_anything(
    ucs: Ucs, line: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "c.csv", HEADER + "a,18612345678,sms,out,2026-11-02T10:00:00,,,1,CN\n")
    result = ucs("usage", "import", path, "--skip-bad", str(tmp_path / "no" / "r.csv"), code=2)
    assert "--skip-bad" in result.stderr
    assert json.loads(ucs("usage", "list", line, "--json").output) == []


def test_times_out_of_range_are_bad_arguments(ucs: Ucs, line: str) -> None:
    result = ucs("--now", "0001-01-01T00:00:00+14:00", "bill", "show", line, code=2)
    assert "outside the years 1970 to 9000" in result.stderr


def test_events_list_what_happened_for_notification_gateways(ucs: Ucs, line: str) -> None:
    ucs("pay", line, "10")
    found = json.loads(ucs("events", "--json").output)
    assert [(e["seq"], e["type"]) for e in found] == [(1, "LineOpened"), (2, "PaymentReceived")]
    assert found[1]["amount"] == "10.00"
    assert json.loads(ucs("events", "--after", "1", "--json").output) == found[1:]


def test_the_rejects_file_cannot_be_the_file_being_imported(
    ucs: Ucs, line: str, tmp_path: Path
) -> None:
    text = HEADER + "a,18612345678,sms,out,2026-11-02T10:00:00,,,1,CN\n"
    path = write(tmp_path, "c.csv", text)
    assert (
        "is the file being imported"
        in ucs("usage", "import", path, "--skip-bad", path, code=2).stderr
    )
    assert Path(path).read_text(encoding="utf-8") == text


def test_an_empty_file_is_an_error_even_with_skip_bad(ucs: Ucs, line: str, tmp_path: Path) -> None:
    rejects = tmp_path / "r.csv"
    result = ucs(
        "usage", "import", write(tmp_path, "e.csv", ""), "--skip-bad", str(rejects), code=1
    )
    assert "empty file" in result.stderr


def test_every_command_but_init_and_demo_needs_an_initialised_store(tmp_path: Path) -> None:
    import sqlite3

    bare = tmp_path / "bare.sqlite3"
    sqlite3.connect(bare).close()  # a SQLite file, but no ucs store in it
    for args in (["subscriber", "list"], ["events"]):
        result = CliRunner().invoke(main, ["--store", str(bare), *args])
        assert result.exit_code == 1 and "not initialised" in result.stderr


def test_now_is_checked_even_by_commands_that_do_not_read_it(tmp_path: Path) -> None:
    store = str(tmp_path / "s.sqlite3")
    result = CliRunner().invoke(main, ["--store", store, "--now", "1969-12-31T00:00:00", "init"])
    assert result.exit_code == 2 and "outside the years 1970 to 9000" in result.stderr


def test_a_file_rejected_whole_still_lists_why_in_the_rejects_file(
    ucs: Ucs, line: str, tmp_path: Path
) -> None:
    rejects = tmp_path / "r.csv"
    rejects.write_text("old content\n", encoding="utf-8")
    ucs(
        "usage",
        "import",
        write(tmp_path, "h.csv", "id,msisdn\n"),
        "--skip-bad",
        str(rejects),
        code=1,
    )
    assert "missing column(s)" in rejects.read_text(encoding="utf-8")
