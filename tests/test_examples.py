"""The examples run as a newcomer would run them; the benchmark suite's quick mode still works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import POSTGRES_DSN

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_pure_embedding_example_bills_without_a_store() -> None:
    out = run("examples/pure_embedding.py")
    # 56.00 fee + 2 minutes over at 0.15 + 600 MB over the carried and own data: 60 + 0 blocks
    assert "Total 116.30 CNY" in out
    assert "r2: 2 min -> 0.30" in out


def test_the_business_hall_example_logs_in_orders_and_pays() -> None:
    out = run("examples/business_hall.py")
    assert "login refused: 18612345678: wrong service password (4 tries left)" in out
    assert "sent twice, one order: ORD-000001 (repeated=True)" in out
    # caller display from 10 November: 6.00 × 21/30 days = 4.20; with the 56.00 fee, 60.20
    assert '"total": "60.20"' in out
    assert "2026-12: plan 4g-76" in out


def test_the_benchmark_suite_quick_mode_prints_and_writes_every_figure(tmp_path: Path) -> None:
    # The suite's --quick mode, as CI runs it so that it never rots: every figure is measured,
    # printed and written; none is compared with its target here (figures are not tests).
    out = tmp_path / "figures.json"
    args = ["benchmarks/run.py", "--quick", "--json", str(out)]
    if POSTGRES_DSN is not None:
        args += ["--postgres", POSTGRES_DSN]
    table = run(*args)
    figures = json.loads(out.read_text())["figures"]
    names = [f["name"].strip() for f in figures]
    expected = [
        "import + rate a month of CDRs (SQLite)",
        "floor: csv.reader + executemany",
        "ucs bill show, 50 lines",
        "ucs --version",
        "ucs --help",
        "ucs bill run, 20 lines",
        "peak memory",
        "ucs bill run --shard, 2 workers, 20 lines",
        "store size per CDR (SQLite)",
    ]
    if POSTGRES_DSN is not None:
        expected += ["PostgreSQL: import + rate", "PostgreSQL: ucs bill show, 20 lines"]
    assert set(expected) <= set(names)
    for f in figures:
        assert f["value"] > 0 or (f["unit"] == "KiB/line" and f["value"] >= 0), f
        assert f["name"] in table
        if f["base"] is not None:
            assert f["base"] > 0 and f["ratio"] > 0, f
    assert "import path, CPU profile (own time):" in table
