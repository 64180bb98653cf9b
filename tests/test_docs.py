"""Every Python block in the README and docs/ runs as written, so the docs cannot rot.

Each block runs on its own, as a reader would paste it, in a fresh interpreter and an empty
temporary directory.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
BLOCKS = [
    pytest.param(block, id=f"{page.name}-{n}")
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for n, block in enumerate(BLOCK.findall(page.read_text(encoding="utf-8")), 1)
]


@pytest.mark.parametrize("block", BLOCKS)
def test_a_python_block_of_the_docs_runs(block: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", block],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
