"""The library's errors: one root, typed fields, a message a customer-care agent can read.

Domain errors are attrs exception classes (as beancount keeps errors as values): batch checks
collect them and return them, single commands raise them. The CLI turns any `UnicomError` into
one line on stderr and exit code 1; the store translates database errors into these `from e`.
"""

from __future__ import annotations

import attrs


class UnicomError(Exception):
    """Root of every error this library raises on purpose."""

    def __str__(self) -> str:
        return self.message()

    def message(self) -> str:
        return self.__class__.__name__


@attrs.define(eq=False)
class InvalidValue(UnicomError):
    """A value that does not parse or breaks a rule (bad money, number, month, plan field...)."""

    what: str
    value: object
    reason: str

    def message(self) -> str:
        return f"invalid {self.what} {self.value!r}: {self.reason}"


@attrs.define(eq=False)
class NotFound(UnicomError):
    """A thing the caller named does not exist (unknown number, plan, account or bill)."""

    what: str
    key: str

    def message(self) -> str:
        return f"unknown {self.what} {self.key!r}"


@attrs.define(eq=False)
class Conflict(UnicomError):
    """A request that contradicts what is already recorded (duplicate, closed month...)."""

    what: str
    key: str
    reason: str

    def message(self) -> str:
        return f"{self.what} {self.key!r}: {self.reason}"


@attrs.define(eq=False)
class StaleVersion(Conflict):
    """An update made from a copy that someone else changed since it was read (optimistic
    concurrency): nothing was written; read the record again and redo the change."""

    def message(self) -> str:
        return f"{self.what} {self.key!r} was changed by someone else: {self.reason}"


@attrs.define(eq=False)
class ConcurrentUpdate(UnicomError):
    """Two units of work touched the same data at once and the database chose this one to undo
    (a PostgreSQL serialization failure or deadlock). Nothing was written; running the same
    command again is safe, and the CLI does so by itself a few times."""

    location: str
    reason: str

    def message(self) -> str:
        return f"store {self.location}: a concurrent change got there first ({self.reason})"


@attrs.frozen
class RowError:
    """One bad row of a batch (a CDR file, a catalog file): where it is and why it is bad."""

    where: str
    reason: str
    text: str = ""  # the offending row as it was read, where there is one

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@attrs.define(eq=False)
class BatchRejected(UnicomError):
    """A batch had bad rows; nothing of it was applied."""

    source: str
    errors: tuple[RowError, ...]

    def message(self) -> str:
        lines = [f"{self.source}: {len(self.errors)} bad row(s), nothing imported"]
        lines.extend(str(e) for e in self.errors)
        return "\n".join(lines)


@attrs.define(eq=False)
class CatalogError(UnicomError):
    """A catalog file that does not validate; every problem names its key path."""

    source: str
    errors: tuple[RowError, ...]
    kind: str = "catalog"  # what the file is: a catalog, an SLA policy

    def message(self) -> str:
        lines = [f"{self.source}: invalid {self.kind}"]
        lines.extend(f"  {e}" for e in self.errors)
        return "\n".join(lines)


@attrs.define(eq=False)
class StoreError(UnicomError):
    """The store could not do what was asked (unreadable file, locked database, bad schema)."""

    location: str
    reason: str

    def message(self) -> str:
        return f"store {self.location}: {self.reason}"


@attrs.define(eq=False)
class NotInitialised(UnicomError):
    """The store holds no catalog yet."""

    def message(self) -> str:
        return "the store is not initialised: run `ucs init` first"


@attrs.define(eq=False)
class InvariantBroken(UnicomError):
    """A value breaks a rule it must always keep: a bug, never a user's mistake."""

    what: str
    key: str
    rule: str

    def message(self) -> str:
        return f"{self.what} {self.key!r} breaks an invariant: {self.rule}"


@attrs.define(eq=False)
class OrderRejected(UnicomError):
    """A service order that could not be accepted; nothing was recorded (but a failed password
    attempt, which counts towards the lock)."""

    order_type: str
    msisdn: str
    reason: str

    def message(self) -> str:
        return f"{self.order_type} for {self.msisdn} rejected: {self.reason}"


@attrs.define(eq=False)
class AccessDenied(UnicomError):
    """A self-service request whose service password did not check out."""

    msisdn: str
    reason: str

    def message(self) -> str:
        return f"{self.msisdn}: {self.reason}"
