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


def test_the_benchmark_quick_mode_prints_its_figures() -> None:
    out = run("benchmarks/bench_import.py", "--quick")
    assert "speed vs csv" in out
    assert "bytes per CDR" in out
