"""The examples run as a newcomer would run them, and the benchmark's quick mode still works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_the_benchmark_quick_mode_prints_its_figures() -> None:
    out = run("benchmarks/bench_import.py", "--quick")
    assert "speed vs csv" in out
    assert "bytes per CDR" in out
