"""Shared test settings: hypothesis profiles, chosen with the HYPOTHESIS_PROFILE variable.

- ``ci`` (default): no deadline (shared runners are slow and jittery), about 60 examples per
  property, a fresh random seed each run, and the reproduction blob printed on failure.
- ``dev``: few examples, for a quick loop while editing; ``triage``: the same, no shrinking.

The ``store`` fixture gives each test an initialised store of every kind (memory, SQLite).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from unicom_cs import service
from unicom_cs.ports import Store
from unicom_cs.store.memory import MemoryStore
from unicom_cs.store.sqlite import SQLiteStore

settings.register_profile("ci", deadline=None, max_examples=60, derandomize=False, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=15, print_blob=True)
# ``triage``: dev without shrinking, to see a failure at once while changing many things
settings.register_profile(
    "triage",
    deadline=None,
    max_examples=15,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


STORES = ["memory", "sqlite"]


def _open_store(kind: str, directory: Path) -> Store:
    """A new, initialised store of one kind."""
    store: Store = MemoryStore() if kind == "memory" else SQLiteStore(directory / "s.db")
    service.init_store(store)
    return store


@pytest.fixture(scope="session")
def open_store() -> Callable[[str, Path], Store]:
    """Make stores in a test that needs several (a property test, say)."""
    return _open_store


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = _open_store(request.param, tmp_path)
    yield s
    s.close()
