"""The dependency rule: the core imports no database, CLI, network or process library, and reads
no clock, file or terminal. Checked in a fresh interpreter, so other tests' imports do not count.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "unicom_cs"
FORBIDDEN_MODULES = ("sqlite3", "psycopg", "click", "rich", "socket", "subprocess")
FORBIDDEN_CALLS = ("datetime.now(", "date.today(", "time.time(", "open(", "print(")
# Not the core: the adapters, the command line, and `python -m unicom_cs` (which runs the CLI).
OUTSIDE = ("unicom_cs.cli", "unicom_cs.store", "unicom_cs.__main__")
# Test support that ships with the package: it imports hypothesis, which itself loads socket and
# subprocess; it is checked to add nothing forbidden of its own.
TEST_SUPPORT = "unicom_cs.testing"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_core(name: str) -> bool:
    return not any(name == o or name.startswith(o + ".") for o in OUTSIDE)


CORE_FILES = sorted(p for p in PACKAGE.rglob("*.py") if is_core(module_name(p)))
CORE_MODULES = [module_name(p) for p in CORE_FILES if module_name(p) != TEST_SUPPORT]


def loaded_after_import(modules: list[str], preload: tuple[str, ...] = ()) -> set[str]:
    """The forbidden modules present after importing `modules` in a fresh interpreter, beyond
    those that importing `preload` first had already brought in."""
    code = f"""
import importlib, json, sys
for name in {list(preload)!r}:
    importlib.import_module(name)
before = set(sys.modules)
for name in {modules!r}:
    importlib.import_module(name)
print(json.dumps(sorted(set(sys.modules) - before)))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    new = set(json.loads(result.stdout))
    return {m for m in new if m.split(".")[0] in FORBIDDEN_MODULES}


def test_the_core_modules_are_all_found() -> None:
    for name in ("unicom_cs", "unicom_cs.money", "unicom_cs.rating", "unicom_cs.service"):
        assert name in CORE_MODULES
    assert not any(m.startswith(("unicom_cs.cli", "unicom_cs.store")) for m in CORE_MODULES)


def test_importing_the_whole_core_loads_no_database_cli_network_or_process_module() -> None:
    assert loaded_after_import(CORE_MODULES) == set()


def test_the_shipped_strategies_add_no_forbidden_module_beyond_hypothesis_own() -> None:
    preload = ("hypothesis", "hypothesis.strategies", "hypothesis.stateful", *CORE_MODULES)
    assert loaded_after_import([TEST_SUPPORT], preload) == set()


def test_the_shipped_strategies_import_only_hypothesis_attrs_the_stdlib_and_unicom_cs() -> None:
    tree = ast.parse((PACKAGE / "testing.py").read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    third_party = {r for r in roots if r not in sys.stdlib_module_names}
    assert third_party <= {"hypothesis", "attrs", "unicom_cs"}


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: module_name(p))
def test_the_core_source_reads_no_clock_file_or_terminal(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # a whole name: `reopen(` is not `open(`, but `path.open(` is
    found = [call for call in FORBIDDEN_CALLS if re.search(rf"(?<!\w){re.escape(call)}", text)]
    assert found == [], f"{path.name} calls {found}"
