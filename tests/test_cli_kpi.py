"""`ucs contact import` and `ucs kpi report|staff` through click's CliRunner: what a user sees,
exit codes, and one-line errors without tracebacks."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from unicom_cs.cli import main
from unicom_cs.contacts import COLUMNS

NOW = "2026-10-30T10:00:00"
HEADER = ",".join(COLUMNS)
ROWS = [
    "k1,phone,consultation,2026-10-12T09:00:00,2026-10-12T09:00:10,2026-10-12T09:02:10,"
    "agent,A01,false,18612345678,,balance",
    "k2,phone,business,2026-10-12T09:30:00,2026-10-12T09:30:20,2026-10-12T09:35:20,"
    "agent,A02,false,18612345679,,plan",
    "k3,phone,consultation,2026-10-12T10:10:00,,2026-10-12T10:10:05,,,true,18612345670,,",
    "k4,chat,consultation,2026-10-13T11:00:00,2026-10-13T11:00:01,2026-10-13T11:01:01,"
    "ivr,,false,,,",
    "k5,phone,consultation,2026-10-14T08:00:00,2026-10-14T08:00:45,2026-10-14T08:06:00,"
    "agent,A01,false,18612345678,,balance",
]

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

    run("init")
    return run


def write(tmp_path: Path, *rows: str, name: str = "log.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_importing_a_log_twice_stores_it_once(ucs: Ucs, tmp_path: Path) -> None:
    log = write(tmp_path, *ROWS)
    first = ucs("contact", "import", log)
    assert first.stdout == (
        f"{log}: 5 row(s): 5 imported, 0 already imported, 0 repeated in the file, 0 rejected\n"
    )
    again = ucs("contact", "import", log)
    assert "0 imported, 5 already imported" in again.stdout


def test_a_log_with_bad_rows_is_rejected_whole_with_one_line_per_row(
    ucs: Ucs, tmp_path: Path
) -> None:
    bad = ROWS[2].replace(",true,", ",maybe,")
    log = write(tmp_path, ROWS[0], bad, ROWS[1].replace("A02", ""))
    result = ucs("contact", "import", log, code=1)
    assert result.stderr.splitlines() == [
        f"error: {log}: 2 bad row(s), nothing imported",
        f"{log}:3: invalid abandoned 'maybe': expected true, false, 1, 0 or empty",
        f"{log}:4: invalid agent '': missing: the contact was answered by an agent",
    ]
    report = json.loads(
        ucs("kpi", "report", "--from", "2026-10-12", "--to", "2026-10-12", "--json").stdout
    )
    assert report["totals"]["offered"] == 0


def test_skip_bad_imports_the_good_rows_and_writes_the_rejects(ucs: Ucs, tmp_path: Path) -> None:
    log = write(tmp_path, ROWS[0], ROWS[1].replace("2026-10-12T09:30:20", "2026-10-12T09:29:00"))
    rejects = tmp_path / "rejects.csv"
    result = ucs("contact", "import", log, "--skip-bad", str(rejects))
    assert "1 imported" in result.stdout and "1 rejected (written to" in result.stdout
    with rejects.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["where", "reason", "row"]
    assert rows[1][0] == f"{log}:3" and "before offered_at" in rows[1][1]


def test_an_unknown_ticket_and_a_missing_file_are_one_line_errors(ucs: Ucs, tmp_path: Path) -> None:
    log = write(tmp_path, ROWS[0].replace(",,balance", ",CMP-000042,balance"))
    result = ucs("contact", "import", log, code=1)
    assert f"{log}:2: unknown ticket CMP-000042" in result.stderr
    missing = ucs("contact", "import", str(tmp_path / "nope.csv"), code=2)
    assert "does not exist" in missing.stderr


def test_the_report_shows_each_kpi_with_its_counts_goal_and_daily_chart(
    ucs: Ucs, tmp_path: Path
) -> None:
    ucs("contact", "import", write(tmp_path, *ROWS))
    out = ucs("kpi", "report", "--from", "2026-10-12", "--to", "2026-10-14").stdout
    lines = [" ".join(line.split()) for line in out.splitlines()]  # columns as single spaces
    assert lines[0] == (
        "KPIs 2026-10-12 to 2026-10-14 (3 day(s)): 5 contact(s) offered, 3 answered by an "
        "agent, 1 by the IVR, 1 abandoned, 0 unanswered"
    )
    # asked for an agent: k1 k2 k3 k5 (k4 was the IVR); answered by an agent: k1 k2 k5
    assert "manual connection rate 75.00% 3 / 4 > 85% MISSED" in lines
    # within 20 s: k1 (10 s), k2 (20 s); k5 waited 45 s; k3 abandoned → 2 of 4
    assert "service level (20 s) 50.00% 2 / 4 ≥ 80% MISSED" in lines
    assert "average speed of answer 25.00 s 75 / 3" in lines
    # k1 repeats as k5 on the same topic 2 days later; k2 and k5 have no repeat
    assert "first-contact resolution 66.67% 2 / 3" in lines
    assert "complaint SLA compliance - 0 / 0" in lines
    assert (
        "By day, 2026-10-12 to 2026-10-14 (one mark a day, ▁ the lowest to █ the highest; "
        "· nothing counted):" in lines
    )
    # by day: 12th k1 k2 of k1 k2 k3 (66.67%), 13th only the IVR (·), 14th k5 of k5 (100%)
    assert "manual connection rate ▁·█ 66.67 to 100.00%" in lines


def test_the_report_as_json_carries_the_counts_and_percentages_as_strings(
    ucs: Ucs, tmp_path: Path
) -> None:
    ucs("contact", "import", write(tmp_path, *ROWS))
    args = ("kpi", "report", "--from", "2026-10-12", "--to", "2026-10-18", "--by", "week")
    report = json.loads(ucs(*args, "--json").stdout)
    # [12 Oct, 19 Oct); final: now (30 Oct) is past 26 Oct, when no repeat can change FCR
    assert (report["start"], report["end"], report["by"], report["final"]) == (
        "2026-10-12",
        "2026-10-19",
        "week",
        True,
    )
    assert report["totals"]["manual_connection"] == {"part": 3, "whole": 4, "percent": "75.00"}
    assert report["totals"]["speed_of_answer_s"] == {"total": "75", "count": 3, "value": "25.00"}
    assert len(report["series"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-10-12", "--to", "2026-10-11"), "2026-10-11 is before --from 2026-10-12"),
        (("--from", "2026-10-32", "--to", "2026-11-01"), "expected YYYY-MM-DD"),
        (("--from", "2026-10-12", "--to", "2026-10-13", "--by", "month"), "'month' is not one"),
        (("--to", "2026-10-13"), "Missing option '--from'"),
    ],
)
def test_bad_report_arguments_are_usage_errors(
    ucs: Ucs, args: tuple[str, ...], message: str
) -> None:
    assert message in ucs("kpi", "report", *args, code=2).stderr


def test_plot_without_matplotlib_says_how_to_install_it(
    ucs: Ucs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # importing it now fails
    png = tmp_path / "kpi.png"
    args = ("kpi", "report", "--from", "2026-10-12", "--to", "2026-10-14", "--plot", str(png))
    result = ucs(*args, code=1)
    assert result.stderr == (
        "error: --plot needs matplotlib, which is not installed: pip install 'unicom_cs[plot]'\n"
    )
    assert not png.exists()


def test_plot_draws_a_png_when_matplotlib_is_installed(ucs: Ucs, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    ucs("contact", "import", write(tmp_path, *ROWS))
    png = tmp_path / "kpi.png"
    ucs("kpi", "report", "--from", "2026-10-12", "--to", "2026-10-14", "--plot", str(png))
    assert png.read_bytes().startswith(b"\x89PNG")


def test_staff_says_how_many_agents_meet_the_target(ucs: Ucs) -> None:
    out = ucs("kpi", "staff", "--calls-per-hour", "200", "--aht", "180", "--target", "80").stdout
    lines = out.splitlines()
    assert lines[0] == "200 calls/hour × 180 s = 10.00 erlangs: 14 agent(s) answer 80% within 20 s"
    assert lines[1].split() == [
        "agents",
        "service",
        "level",
        "P(wait)",
        "avg",
        "speed",
        "of",
        "answer",
        "occupancy",
    ]
    assert lines[4].split()[:6] == ["13", "79.56%", "28.53%", "17.1", "s", "76.9%"]
    assert lines[5].split()[:7] == ["14", "<", "88.84%", "17.41%", "7.8", "s", "71.4%"]


def test_staff_as_json(ucs: Ucs) -> None:
    args = ("kpi", "staff", "--calls-per-hour", "200", "--aht", "180", "--target", "85")
    plan = json.loads(ucs(*args, "--within", "30", "--json").stdout)
    assert plan["agents"] == 14 and plan["answer_within_s"] == 30
    assert plan["service_level_percent"] >= 85 > plan["one_fewer_service_level_percent"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--calls-per-hour", "-1", "--aht", "180", "--target", "80"), 2, "'--calls-per-hour'"),
        (("--calls-per-hour", "10", "--aht", "0", "--target", "80"), 2, "'--aht'"),
        (("--calls-per-hour", "10", "--aht", "180", "--target", "100"), 2, "'--target'"),
        (("--calls-per-hour", "ten", "--aht", "180", "--target", "80"), 2, "not a valid float"),
        (("--calls-per-hour", "1e12", "--aht", "3600", "--target", "80"), 1, "erlangs: too large"),
    ],
)
def test_bad_staffing_input_is_a_one_line_error(
    ucs: Ucs, args: tuple[str, ...], code: int, message: str
) -> None:
    assert message in ucs("kpi", "staff", *args, code=code).stderr
