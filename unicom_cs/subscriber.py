"""Subscribers: the lines a customer holds (mobile, fixed, broadband), each on an account.

A line has a number, a plan, an activation date and a first-month option, and belongs to an
account (`account.Account`) that may hold several lines. Add-on data packs are recorded per
month (`PackOrder`); packs in one group are mutually exclusive and one is ordered a month.
"""

from __future__ import annotations

from datetime import date, datetime, time

import attrs

from unicom_cs.catalog import Catalog, FirstMonth, Plan
from unicom_cs.errors import Conflict, InvalidValue
from unicom_cs.number import LineKind, normalize
from unicom_cs.period import SHANGHAI, Month


@attrs.frozen
class PackOrder:
    """A data pack in force for one month."""

    pack_id: str
    month: Month


@attrs.frozen
class Subscriber:
    """One line (号码) and the terms it is billed on."""

    msisdn: str
    plan_id: str
    activated: date
    account_id: str
    kind: LineKind = LineKind.MOBILE
    first_month: FirstMonth = FirstMonth.FULL
    name: str = ""
    packs: tuple[PackOrder, ...] = ()

    @property
    def active_from(self) -> datetime:
        """00:00 Beijing time on the activation day."""
        return datetime.combine(self.activated, time(), SHANGHAI)

    @property
    def first_billed_month(self) -> Month:
        return Month.of(self.activated)

    def option_for(self, month: Month) -> FirstMonth:
        """The first-month option in force for `month`: only the activation month has one."""
        return self.first_month if month == self.first_billed_month else FirstMonth.FULL

    def packs_for(self, month: Month) -> tuple[str, ...]:
        return tuple(p.pack_id for p in self.packs if p.month == month)


def first_month_option(plan: Plan, activated: date, requested: FirstMonth | None) -> FirstMonth:
    """The first-month option a new line gets.

    Data cards decide by the day: joining before the plan's `half_month_from_day` (the 16th)
    gives the full package, on or after it half fee and half allowance (半价半量). Other plans
    take the customer's choice among the plan's options, full by default.

    Raises:
        InvalidValue: an option the plan does not offer, or one that contradicts the day rule.
    """
    if plan.half_month_from_day is not None:
        by_day = FirstMonth.HALF if activated.day >= plan.half_month_from_day else FirstMonth.FULL
        if requested is not None and requested is not by_day:
            raise InvalidValue(
                "first-month option",
                requested.value,
                f"{plan.id} joined on day {activated.day} is {by_day.value} "
                f"(half from day {plan.half_month_from_day})",
            )
        return by_day
    option = requested or FirstMonth.FULL
    if option not in plan.first_month:
        offered = ", ".join(o.value for o in plan.first_month)
        raise InvalidValue("first-month option", option.value, f"{plan.id} offers {offered}")
    return option


def new_subscriber(
    number: str,
    plan_id: str,
    activated: date,
    catalog: Catalog,
    *,
    account_id: str | None = None,
    first_month: FirstMonth | None = None,
    name: str = "",
) -> Subscriber:
    """A new line, checked against the catalog (plan exists, number fits the plan's kind).

    Raises:
        NotFound: unknown plan.
        InvalidValue: a number that does not fit the plan, or a first-month option it refuses.
    """
    plan = catalog.plan(plan_id)
    msisdn = normalize(number, plan.kind)
    if not 1990 <= activated.year <= 2999:
        raise InvalidValue("activation date", activated.isoformat(), "outside 1990 to 2999")
    return Subscriber(
        msisdn=msisdn,
        plan_id=plan.id,
        activated=activated,
        account_id=account_id or f"ACC-{msisdn}",
        kind=plan.kind,
        first_month=first_month_option(plan, activated, first_month),
        name=name.strip(),
    )


def order_pack(sub: Subscriber, pack_id: str, month: Month, catalog: Catalog) -> Subscriber:
    """The line with a data pack added for `month` (one pack of a group a month).

    Raises:
        NotFound: unknown pack.
        Conflict: a pack of the same group is already in force that month, or the month is
            before the line was activated.
    """
    pack = catalog.pack(pack_id)
    if month < sub.first_billed_month:
        raise Conflict("line", sub.msisdn, f"not active in {month}")
    for held in sub.packs_for(month):
        if catalog.pack(held).group == pack.group:
            raise Conflict(
                "line", sub.msisdn, f"already has {held} for {month} (one {pack.group} a month)"
            )
    return attrs.evolve(sub, packs=(*sub.packs, PackOrder(pack.id, month)))
