"""Subscribers: the lines a customer holds (mobile, fixed, broadband), each on an account.

A line has a number, a plan, an activation date and a first-month option, and belongs to an
account (`account.Account`) that may hold several lines. What service orders change is kept
as explicit, effective-dated timelines the billing core reads:

- `plan_changes`: the plan in force from the 1st of a month (`plan_on`);
- `packs`: monthly data packs (包月流量包), from a month until cancelled (`packs_for`); packs
  in one group are mutually exclusive and one is ordered a month;
- `services`: value-added services (来电显示, 彩铃…), each open over a half-open interval;
- `statuses`: suspension (报停), loss report (挂失) and closure (销户), from an instant on
  (`status_at`); usage in a blocked interval is rated nothing (`blocked_because`);
- `roaming`: international roaming opened or closed from an instant on (open by default,
  tariff rules §5).

Identity: `password` is a salted scrypt hash (`identity.hash_password`), never the password;
`holder_id` is the holder's identity document, masked (`identity.mask_id`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import attrs

from unicom_cs.audit import mask_name, mask_number
from unicom_cs.catalog import Catalog, FirstMonth, Plan
from unicom_cs.errors import Conflict, InvalidValue
from unicom_cs.number import LineKind, normalize
from unicom_cs.period import CST, SHANGHAI, Month
from unicom_cs.usage import UsageRecord


class LineStatus(enum.StrEnum):
    """What a line may do. Only `ACTIVE` carries usage; `LOST` still pays its monthly fee."""

    ACTIVE = "active"
    SUSPENDED = "suspended"  # 报停 / 停机保号: number kept, retention fee instead of the plan's
    LOST = "loss-reported"  # 挂失: usage blocked at once, number and plan kept
    CLOSED = "closed"  # 销户: final bill issued, nothing after


@attrs.frozen
class PackOrder:
    """A monthly data pack in force from `month` (its first month) until `end` (exclusive);
    `end` None: until cancelled."""

    pack_id: str
    month: Month
    end: Month | None = None
    order_id: str = ""  # the order that put it on the line
    ended_by: str = ""  # the order that set `end`

    def covers(self, month: Month) -> bool:
        return self.month <= month and (self.end is None or month < self.end)


@attrs.frozen
class PlanChange:
    """The line moves to `plan_id` at 00:00 on the 1st of `month` (package changes, §4)."""

    month: Month
    plan_id: str
    order_id: str = ""


@attrs.frozen
class ServicePeriod:
    """A value-added service open from `start` until `end` (exclusive; None: still open)."""

    code: str
    start: datetime
    end: datetime | None = None

    def open_at(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


@attrs.frozen
class StatusChange:
    at: datetime
    status: LineStatus


@attrs.frozen
class RoamingChange:
    at: datetime
    open: bool


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
    plan_changes: tuple[PlanChange, ...] = ()  # in month order
    services: tuple[ServicePeriod, ...] = ()
    statuses: tuple[StatusChange, ...] = ()  # in time order; none: active since activation
    roaming: tuple[RoamingChange, ...] = ()  # in time order; none: open
    password: str = ""  # scrypt hash of the service password (服务密码); "" = none set
    password_failures: int = 0  # consecutive wrong passwords
    locked_until: datetime | None = None  # password locked after too many failures
    holder_id: str = ""  # the holder's identity document, masked
    data_reopens: tuple[datetime, ...] = ()  # roaming data reopened (KTSJLL), in time order
    locale: str = "zh-CN"  # the language of SMS replies and notifications (zh-CN or en)
    version: int = attrs.field(default=0, kw_only=True)  # optimistic concurrency: see ports

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
        return tuple(p.pack_id for p in self.packs if p.covers(month))

    def redacted(self, *, reveal: bool = False) -> Subscriber:
        """The line for display: the password hash replaced by whether one is set, and the
        holder's name and identity number masked unless `reveal` (see `audit.mask_name`)."""
        shown = attrs.evolve(self, password="(set)" if self.password else "")
        if reveal:
            return shown
        return attrs.evolve(shown, name=mask_name(self.name), holder_id=mask_number(self.holder_id))

    # ------------------------------------------------------------ the timelines

    def plan_on(self, month: Month) -> str:
        """The plan in force in `month`: the latest change from that month or before."""
        plan_id = self.plan_id
        for change in self.plan_changes:
            if change.month <= month:
                plan_id = change.plan_id
        return plan_id

    def pending_change(self, now: datetime) -> PlanChange | None:
        """A package change that takes effect after `now`, if any (at most one)."""
        for change in self.plan_changes:
            if change.month.start > now:
                return change
        return None

    def status_at(self, instant: datetime) -> LineStatus:
        status = LineStatus.ACTIVE
        for change in self.statuses:
            if change.at > instant:
                break
            status = change.status
        return status

    @property
    def status(self) -> LineStatus:
        """The latest status (the status from the last change on)."""
        return self.statuses[-1].status if self.statuses else LineStatus.ACTIVE

    @property
    def closed_at(self) -> datetime | None:
        last = self.statuses[-1] if self.statuses else None
        return last.at if last is not None and last.status is LineStatus.CLOSED else None

    @property
    def last_billed_month(self) -> Month | None:
        """The month of the final bill, for a closed line."""
        closed = self.closed_at
        return None if closed is None else Month.of(closed - timedelta(microseconds=1))

    def roaming_open_at(self, instant: datetime) -> bool:
        is_open = True
        for change in self.roaming:
            if change.at > instant:
                break
            is_open = change.open
        return is_open

    def has_service(self, code: str, instant: datetime) -> bool:
        return any(p.code == code and p.open_at(instant) for p in self.services)

    def blocked_because(self, rec: UsageRecord) -> str:
        """Why `rec` is not rated (the line was suspended, lost, closed, or roaming was
        closed when it started); "" when it is rated."""
        status = self.status_at(rec.start)
        if status is not LineStatus.ACTIVE:
            since = next(c.at for c in reversed(self.statuses) if c.at <= rec.start)
            return f"line {status.value} since {_clock(since)}: usage blocked, not charged"
        if rec.abroad and not self.roaming_open_at(rec.start):
            since = next(c.at for c in reversed(self.roaming) if c.at <= rec.start)
            return f"international roaming closed since {_clock(since)}: not charged"
        return ""

    def in_service_days(self, month: Month) -> Iterator[date]:
        """The days of `month` on which the line was in service (active or loss-reported) at
        some moment: the days that count for the monthly fee and value-added services."""
        day = month.first_day
        while Month.of(day) == month:
            start = datetime.combine(day, time(), SHANGHAI)
            end = start + timedelta(days=1)
            if self._served(start, end):
                yield day
            day += timedelta(days=1)

    def _served(self, start: datetime, end: datetime) -> bool:
        if end <= self.active_from:
            return False
        served_at_start = True  # active from activation
        for at, in_service in self._service_changes():
            if at >= end:
                break
            if at <= start:
                served_at_start = in_service
            elif in_service:  # back in service during the day
                return True
        return served_at_start

    def _service_changes(self) -> list[tuple[datetime, bool]]:
        """When the line went in or out of service: active and loss-reported lines are in
        service (a lost line keeps its plan and pays its fee), suspended and closed lines are
        not, and a suspended line reported lost stays out of service."""
        out = []
        previous = LineStatus.ACTIVE
        for change in self.statuses:
            status = change.status
            if status is LineStatus.LOST and previous is LineStatus.SUSPENDED:
                in_service = False
            else:
                in_service = status in (LineStatus.ACTIVE, LineStatus.LOST)
                previous = status
            out.append((change.at, in_service))
        return out

    def service_days(self, code: str, month: Month, until: datetime | None = None) -> int:
        """Days of `month` (begun before `until`, when given) the line was in service with
        `code` open at some moment."""
        periods = [p for p in self.services if p.code == code]
        count = 0
        for day in self.in_service_days(month):
            start = datetime.combine(day, time(), SHANGHAI)
            if until is not None and start >= until:
                break
            end = start + timedelta(days=1)
            if any(p.start < end and (p.end is None or p.end > start) for p in periods):
                count += 1
        return count


def _clock(instant: datetime) -> str:
    return instant.astimezone(CST).strftime("%Y-%m-%d %H:%M")


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
    """The line with a data pack for `month` alone (one pack of a group a month): a value-level
    helper for tests and embedders. Service orders (`orders.accept`) put packs on a line
    from a month until cancelled.

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
    return attrs.evolve(sub, packs=(*sub.packs, PackOrder(pack.id, month, month.next())))
