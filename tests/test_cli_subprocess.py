"""`ucs` as a user runs it: a real process, a real SQLite file, environment variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def ucs_command() -> list[str]:
    script = Path(sys.executable).with_name("ucs")
    return [str(script)] if script.exists() else [sys.executable, "-m", "unicom_cs"]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "UCS_STORE": str(tmp_path / "ucs.sqlite3"),
        "UCS_NOW": "2026-11-25T10:00:00+08:00",
    }
    return subprocess.run(
        [*ucs_command(), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_real_ucs_process_imports_usage_and_shows_a_bill(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    added = run(
        tmp_path,
        "subscriber",
        "add",
        "13012345678",
        "--plan",
        "3g-a-46",
        "--activated",
        "2026-10-20",
        "--first-month",
        "half",
    )
    assert added.returncode == 0, added.stderr
    cdrs = tmp_path / "cdrs.csv"
    cdrs.write_text(
        "id,msisdn,service,direction,start,duration_s,bytes,peer,location\n"
        # 3G A-46 half month: 25 minutes included; a 1,800 s call is 30 min, 5 over at 0.25
        "a,13012345678,voice,out,2026-10-21T08:00:00,1800,,13800138000,CN-CQ\n",
        encoding="utf-8",
    )
    assert run(tmp_path, "usage", "import", str(cdrs)).returncode == 0
    shown = run(tmp_path, "bill", "show", "13012345678", "--month", "2026-10", "--json")
    assert shown.returncode == 0, shown.stderr
    bill = json.loads(shown.stdout)
    # half fee: 46 / 2 = 23.00; voice 5 × 0.25 = 1.25
    assert [(ln["code"], ln["amount"]) for ln in bill["lines"]] == [
        ("monthly-fee", "23.00"),
        ("voice", "1.25"),
    ]
    assert bill["total"] == "24.25"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("bill", "show", "13012345678"), 1, "error: unknown number '13012345678'"),
        (("bill", "show", "--month", "2026-1"), 2, "expected YYYY-MM"),
        (("usage", "import", "/no/such/file.csv"), 2, "does not exist"),
    ],
)
def test_errors_exit_non_zero_without_a_traceback(
    tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    run(tmp_path, "init")
    result = run(tmp_path, *args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
