"""ruff and mypy are part of the test suite, so CI runs exactly the README's test command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    # The README's test command installs the test extras, so a missing tool is a failure.
    assert found is not None, f"{name} is not installed: pip install -e '.[test]'"
    return found


@pytest.mark.parametrize(
    "args",
    [["check", "."], ["format", "--check", "."]],
    ids=["lint", "format"],
)
def test_ruff_is_clean(args: list[str]) -> None:
    result = subprocess.run(
        [tool("ruff"), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run([tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
