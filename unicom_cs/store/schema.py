"""A schema version, as both database stores keep their list of migrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

C = TypeVar("C")  # the database connection a migration's data step is given


def no_data_change(_: object) -> None:
    """The data step of a migration that only changes the schema."""


@attrs.frozen
class Migration(Generic[C]):
    """One schema version: what it is for, its DDL, and what it does to the data. Released
    migrations are never edited: a change is a new version."""

    version: int
    purpose: str
    script: str
    data: Callable[[C], None] = no_data_change
