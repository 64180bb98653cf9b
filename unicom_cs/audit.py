"""Who did what: roles, the audit trail and masking of personal data.

Roles are plain data that the front-end passes in (it has authenticated its agent; the core
only checks what a role may do). The audit trail records the acts an operator must be able to
account for: every manual adjustment and complaint credit, a change of the credit limit, and
personal data shown unmasked. Masking is for display (`redact`): the store keeps what it was
given (the holder's identity number is already kept masked, see `identity.mask_id`).
"""

from __future__ import annotations

import enum
import functools
import typing
from datetime import datetime
from typing import TypeVar

import attrs

from unicom_cs.errors import AccessDenied
from unicom_cs.period import as_instant

T = TypeVar("T")


class Role(enum.StrEnum):
    """What an actor may do: an agent works the front line; a supervisor also adjusts and
    credits above the limit and sets the limit. Anyone may ask to see personal data unmasked;
    every such reveal is recorded."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"


@attrs.frozen
class Actor:
    """The person (or system) acting, as the front-end identified them."""

    name: str
    role: Role = Role.AGENT

    def require(self, role: Role, what: str) -> None:
        """Raises `AccessDenied` unless the actor has `role` (a supervisor has every role)."""
        if self.role is not role and self.role is not Role.SUPERVISOR:
            raise AccessDenied(self.name, f"{what} needs the {role} role (this is {self.role})")


#: Who acts when the caller does not say (the CLI's default; a front-end passes its agent).
SYSTEM_ACTOR = Actor("system", Role.AGENT)


@attrs.frozen
class AuditEntry:
    at: datetime = attrs.field(converter=as_instant)
    actor: str
    role: Role
    action: str  # what was done: "adjustment", "reveal", "import"…
    subject: str  # what it was done to: a number, an account, a directory
    detail: str = ""


def audit(actor: Actor, at: datetime, action: str, subject: str, detail: str = "") -> AuditEntry:
    return AuditEntry(at, actor.name, actor.role, action, subject, detail)


def redact(value: T) -> T:
    """`value` fit to show an agent: every holder's name and identity number in it masked,
    and password hashes hidden, however deep (a line in a result in a list…).

    Lines (`Subscriber.redacted`), accounts and order requests are masked; tuples, lists,
    dicts and the fields of other attrs values that can hold one of them are walked (a bill
    with its rated records cannot, and is not walked at all); anything else is returned as it
    is.
    """
    from unicom_cs.account import Account
    from unicom_cs.orders import OrderRequest
    from unicom_cs.subscriber import Subscriber

    if isinstance(value, Subscriber | Account):
        return value.redacted()  # type: ignore[return-value]
    if isinstance(value, OrderRequest):
        return attrs.evolve(value, holder=mask_name(value.holder))
    if attrs.has(type(value)):
        changes = {}
        kind: type = type(value)
        for name, alias in _personal_fields(kind):
            inner = getattr(value, name)
            shown = redact(inner)
            if shown is not inner:
                changes[alias] = shown
        return attrs.evolve(value, **changes) if changes else value  # type: ignore[misc]
    if isinstance(value, tuple | list):
        items = [redact(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}  # type: ignore[return-value]
    return value


@functools.cache
def _personal_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """The (name, init alias) of the fields of an attrs class whose declared type can hold a
    line, an account or an order request, found once per class from its type hints."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # a hint that does not resolve: walk every field, to be safe
        hints = {}
    return tuple(
        (f.name, f.alias or f.name)
        for f in attrs.fields(cls)
        if f.init and _may_hold(hints.get(f.name, object), {cls})
    )


def _may_hold(tp: object, seen: set[type]) -> bool:
    from unicom_cs.account import Account
    from unicom_cs.orders import OrderRequest
    from unicom_cs.subscriber import Subscriber

    args = typing.get_args(tp)
    if args:
        return any(_may_hold(a, seen) for a in args if a is not Ellipsis)
    if tp in (Subscriber, Account, OrderRequest, object, typing.Any):
        return True
    if isinstance(tp, type) and attrs.has(tp) and tp not in seen:
        return _walk_fields(tp, seen)
    return False


def _walk_fields(cls: type, seen: set[type]) -> bool:
    """Whether an attrs class can hold personal data, `seen` guarding against cycles."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        return True
    seen = seen | {cls}
    return any(f.init and _may_hold(hints.get(f.name, object), seen) for f in attrs.fields(cls))


def mask_name(name: str) -> str:
    """A name for display: the first character, the rest as ``*`` (李伟 → 李*, Li Wei → L*****).

    >>> mask_name("李伟"), mask_name(""), mask_name("Li Wei")
    ('李*', '', 'L*****')
    """
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_number(value: str) -> str:
    """An identity number or other long identifier: the first 3 and last 4 characters kept.

    >>> mask_number("110101199003071234")
    '110***********1234'
    """
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
