"""Service orders (业务受理): what a customer asks to change on a line, and its lifecycle.

Every business-acceptance request — open or close a value-added service, order or cancel a
data pack, change package, suspend and resume, report a loss and lift it, open or close
international roaming, close the line, change the holder, set the service password — is a
`ServiceOrder` with TM Forum TMF622 states:

    acknowledged → inProgress → completed
                              ↘ pending (effective later) → completed
    and rejected, cancelled, failed, held as TMF622 allows (`TRANSITIONS`)

`accept` is the pure core of business acceptance: it takes the request, the line, the catalog
and `now`, checks the channel's identity rule and the line's state, and returns the order, the
line as the order leaves it, and the events to publish. An order that cannot be accepted comes
back `rejected` with its reason and the line unchanged (but for a failed password attempt,
which counts). Effects are effective-dated on the line's timelines (`subscriber`), so bills
honour them: a package change or a next-month pack (KT…) is `pending` until 00:00 on the 1st
of next month, then `complete_due` completes it; an immediate order (LJKT…, suspension…)
completes at once.

Channel rules (the 10010 guide: business acceptance on the hotline needs no ID and moves no
cash): orders that need the holder's identity — closing the line, lifting a loss report,
changing the holder, setting the password — are taken only at a counter, which verifies the
identity document; the web business hall checks the service password for every order, and SMS
checks it for the orders that change what the line pays or can do.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Final

import attrs

from unicom_cs.audit import mask_name, mask_number
from unicom_cs.catalog import Catalog, Plan
from unicom_cs.errors import Conflict, UnicomError
from unicom_cs.events import OrderStateChanged
from unicom_cs.identity import (
    check_password,
    check_resident_id,
    hash_password,
    mask_id,
    verify_id,
)
from unicom_cs.number import LineKind
from unicom_cs.period import Month, as_instant
from unicom_cs.subscriber import (
    LineStatus,
    PackOrder,
    PlanChange,
    RoamingChange,
    ServicePeriod,
    StatusChange,
    Subscriber,
)


class OrderType(enum.StrEnum):
    SERVICE_OPEN = "service-open"
    SERVICE_CLOSE = "service-close"
    PACK_ORDER = "pack-order"
    PACK_CANCEL = "pack-cancel"
    PACKAGE_CHANGE = "package-change"
    SUSPEND = "suspend"
    RESUME = "resume"
    REPORT_LOSS = "report-loss"
    LIFT_LOSS = "lift-loss"
    ROAMING_OPEN = "roaming-open"
    ROAMING_CLOSE = "roaming-close"
    CLOSE = "close"
    CHANGE_HOLDER = "change-holder"
    SET_PASSWORD = "set-password"
    REGISTER_HOLDER = "register-holder"  # real-name registration of a line with no holder
    ROAMING_DATA_REOPEN = "roaming-data-reopen"  # KTSJLL: data back on after the daily cap
    CLUB_SERVICE = "club-service"  # a customer-club special service (10018), by privilege code


class OrderState(enum.StrEnum):
    """TMF622 product-order states."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    PENDING = "pending"
    HELD = "held"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Channel(enum.StrEnum):
    HOTLINE = "hotline"  # 10010 agent or IVR: no ID, no cash
    SMS = "sms"  # a command texted from the line itself to 10010
    WEB = "web"  # the online business hall (网上营业厅)
    COUNTER = "counter"  # a business hall counter: the identity document is verified


S = OrderState
#: The legal steps of TMF622's order state machine; completed, rejected, cancelled and failed
#: are final.
TRANSITIONS: Final[dict[OrderState, frozenset[OrderState]]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.REJECTED, S.CANCELLED, S.HELD, S.PENDING}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.PENDING, S.HELD, S.FAILED, S.CANCELLED}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.COMPLETED, S.CANCELLED, S.FAILED}),
    S.HELD: frozenset({S.IN_PROGRESS, S.CANCELLED, S.FAILED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset(),
}
FINAL: Final = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
OPEN: Final = frozenset(OrderState) - FINAL

T = OrderType
#: Orders that need the holder's identity document: taken only at a counter.
COUNTER_ONLY: Final = frozenset(
    {T.CLOSE, T.LIFT_LOSS, T.CHANGE_HOLDER, T.SET_PASSWORD, T.REGISTER_HOLDER}
)
#: Orders SMS takes only with the service password (they change what the line pays or can do);
#: the others are taken on the word of the line that sent the command.
SMS_PASSWORD: Final = frozenset({T.PACKAGE_CHANGE, T.SUSPEND, T.RESUME, T.ROAMING_OPEN})
#: Orders that cannot come by SMS from the line itself.
NOT_BY_SMS: Final = frozenset({T.REPORT_LOSS})
#: What each order type names in `OrderRequest.product`.
PRODUCT: Final = {
    T.SERVICE_OPEN: "service",
    T.SERVICE_CLOSE: "service",
    T.PACK_ORDER: "pack",
    T.PACK_CANCEL: "pack",
    T.PACKAGE_CHANGE: "plan",
    T.CLUB_SERVICE: "privilege",
}
#: Orders a suspended (or loss-reported) line still takes; others wait for resumption.
_WHILE_SUSPENDED: Final = frozenset(
    {
        T.RESUME,
        T.REPORT_LOSS,
        T.CLOSE,
        T.SET_PASSWORD,
        T.CHANGE_HOLDER,
        T.REGISTER_HOLDER,
        T.SERVICE_CLOSE,
        T.ROAMING_CLOSE,
        T.PACK_CANCEL,
        T.PACKAGE_CHANGE,
    }
)
_WHILE_LOST: Final = frozenset(
    {
        T.LIFT_LOSS,
        T.CLOSE,
        T.SET_PASSWORD,
        T.CHANGE_HOLDER,
        T.REGISTER_HOLDER,
        T.SERVICE_CLOSE,
        T.ROAMING_CLOSE,
        T.PACK_CANCEL,
    }
)
SYSTEM: Final = "system"
DEFAULT_BY: Final = {
    Channel.HOTLINE: "hotline agent",
    Channel.SMS: "customer",
    Channel.WEB: "customer",
    Channel.COUNTER: "counter agent",
}


@attrs.frozen
class OrderRequest:
    """What the customer asked for, as a front-end submits it. Two submissions with the same
    `request_id` are one order (idempotency); the request holds no secret."""

    request_id: str
    msisdn: str
    type: OrderType
    channel: Channel
    product: str = ""  # the service, pack or plan id the type names (`PRODUCT`)
    immediate: bool = False  # data packs: this month (LJKT…) rather than next (KT…)
    by: str = ""  # the agent, or "customer" on self-service channels
    reason: str = ""
    holder: str = ""  # change-holder: the new holder's name


@attrs.frozen(repr=False)
class Credentials:
    """What the customer proved, for this submission only: never stored."""

    password: str | None = None  # the service password (web, SMS)
    document: str | None = None  # the identity document shown at a counter
    new_password: str | None = None  # set-password
    new_document: str | None = None  # change-holder: the new holder's document
    salt: bytes = b""  # random bytes from the caller, for hashing a new password

    def __repr__(self) -> str:
        return "Credentials(…)"


@attrs.frozen
class Transition:
    """One step of an order's life: who moved it, when, on which channel, and why."""

    at: datetime
    state: OrderState
    previous: OrderState | None
    by: str
    channel: Channel
    reason: str = ""


@attrs.frozen
class ServiceOrder:
    id: str
    request: OrderRequest
    state: OrderState
    submitted_at: datetime
    effective_at: datetime  # when the change takes effect on the line (bills honour it)
    transitions: tuple[Transition, ...]
    summary: str = ""  # what the order does, in words
    reason: str = ""  # why it was rejected, cancelled or failed
    version: int = attrs.field(default=0, kw_only=True)  # optimistic concurrency: see ports

    @property
    def msisdn(self) -> str:
        return self.request.msisdn

    @property
    def type(self) -> OrderType:
        return self.request.type


@attrs.frozen
class Acceptance:
    """What `accept` returns: the order, the line as it leaves it, the events to publish."""

    order: ServiceOrder
    line: Subscriber
    events: tuple[OrderStateChanged, ...]

    @property
    def accepted(self) -> bool:
        return self.order.state is not OrderState.REJECTED


def transition(
    order: ServiceOrder,
    to: OrderState,
    at: datetime,
    by: str,
    channel: Channel,
    reason: str = "",
) -> ServiceOrder:
    """The order moved to `to`, the step recorded.

    Raises:
        Conflict: a step TMF622 does not allow, naming the state and the step.
    """
    last = order.transitions[-1].at if order.transitions else None
    if last is not None and as_instant(at) < last:
        raise Conflict(
            "order",
            order.id,
            f"its last step was at {last.isoformat(timespec='minutes')}: "
            "steps are taken in time order",
        )
    if to not in TRANSITIONS[order.state]:
        allowed = ", ".join(sorted(TRANSITIONS[order.state])) or "nothing: it is final"
        raise Conflict(
            "order", order.id, f"is {order.state}: cannot go to {to} (allowed: {allowed})"
        )
    step = Transition(as_instant(at), to, order.state, by, channel, reason)
    keep_reason = to in (S.REJECTED, S.CANCELLED, S.FAILED, S.HELD)
    return attrs.evolve(
        order,
        state=to,
        transitions=(*order.transitions, step),
        reason=reason if keep_reason else order.reason,
    )


def state_event(order: ServiceOrder) -> OrderStateChanged:
    """The event that reports the order's latest step."""
    last = order.transitions[-1]
    return OrderStateChanged(
        order.id,
        order.msisdn,
        order.type.value,
        order.state.value,
        last.at,
        last.channel.value,
        order.effective_at,
        last.reason,
    )


# ------------------------------------------------------------------------------ acceptance


class _Refused(UnicomError):
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def message(self) -> str:
        return self.reason


def accept(
    request: OrderRequest,
    order_id: str,
    line: Subscriber,
    catalog: Catalog,
    now: datetime,
    credentials: Credentials | None = None,
) -> Acceptance:
    """Take a service order for `line` at `now`: acknowledged, then in progress, then
    completed (effective now) or pending (effective later), or rejected with the reason.

    The request's number must be the line's; `order_id` is the caller's (the store numbers
    orders). Nothing here raises for a bad request: the reason is on the rejected order.
    """
    now = as_instant(now)
    credentials = credentials or Credentials()
    by = request.by or DEFAULT_BY[request.channel]
    order = ServiceOrder(
        order_id,
        request,
        S.ACKNOWLEDGED,
        now,
        now,
        (Transition(now, S.ACKNOWLEDGED, None, by, request.channel, "submitted"),),
    )
    given = line
    try:
        line = _check_identity(request, credentials, line, now)
        _check_line(request, line, now)
        ctx = _Ctx(request, credentials, catalog, now, order_id)
        line, effective_at, summary = _EFFECTS[request.type](ctx, line)
    except _PasswordRefused as e:  # the failed attempt counts: the caller keeps `e.line`
        rejected = transition(order, S.REJECTED, now, by, request.channel, e.reason)
        return Acceptance(rejected, e.line, (state_event(rejected),))
    except UnicomError as e:
        rejected = transition(order, S.REJECTED, now, by, request.channel, e.message())
        return Acceptance(rejected, given, (state_event(rejected),))
    order = attrs.evolve(order, effective_at=effective_at, summary=summary)
    order = transition(order, S.IN_PROGRESS, now, by, request.channel)
    if effective_at <= now:
        order = transition(order, S.COMPLETED, now, by, request.channel, "in effect")
    else:
        when = effective_at.isoformat(timespec="minutes")
        order = transition(order, S.PENDING, now, by, request.channel, f"takes effect {when}")
    return Acceptance(order, line, (state_event(order),))


def identity_problem(
    request: OrderRequest, credentials: Credentials, line: Subscriber, now: datetime
) -> tuple[Subscriber, str]:
    """The channel's identity rule on its own (a retried request is checked again): the line
    with its password failures counted, and the problem ("" when the proof holds)."""
    try:
        return _check_identity(request, credentials, line, now), ""
    except _PasswordRefused as e:
        return e.line, e.reason
    except UnicomError as e:
        return line, e.message()


def _check_identity(
    request: OrderRequest, credentials: Credentials, line: Subscriber, now: datetime
) -> Subscriber:
    """The channel's identity rule; returns the line with its password failures counted."""
    kind, channel = request.type, request.channel
    if channel is not Channel.COUNTER and kind in COUNTER_ONLY:
        raise _Refused(
            f"{kind} needs the holder's identity document: on the {channel} channel it "
            "cannot be taken; please visit a China Unicom business hall counter with it"
        )
    if channel is Channel.SMS and kind in NOT_BY_SMS:
        raise _Refused(f"{kind} is not taken by SMS: call 10010 or visit a business hall")
    if channel is Channel.COUNTER:
        if kind is T.REGISTER_HOLDER:
            if line.holder_id:
                raise _Refused("a holder is on record: a new holder takes change-holder")
            check_resident_id(credentials.document or "")
            return line
        verify_id(line, credentials.document)
        if not line.holder_id and kind in COUNTER_ONLY:
            raise _Refused(
                f"no holder is on record for {line.msisdn}: register the holder first "
                "(register-holder, with the contract and the holder's document)"
            )
        return line
    if channel is Channel.WEB or (channel is Channel.SMS and kind in SMS_PASSWORD):
        check = check_password(line, credentials.password, now)
        if not check.ok:
            raise _PasswordRefused(check.line, check.problem)
        return check.line
    return line


class _PasswordRefused(_Refused):
    """A failed password check: the line keeps the failure (it must count)."""

    def __init__(self, line: Subscriber, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _check_line(request: OrderRequest, line: Subscriber, now: datetime) -> None:
    if request.msisdn != line.msisdn:
        raise _Refused(f"the order is for {request.msisdn}, not {line.msisdn}")
    if now < line.active_from:
        raise _Refused(f"line {line.msisdn} is activated on {line.activated}")
    last = last_change(line)
    if last is not None and now < last:
        raise _Refused(f"the line changed at {last.isoformat()}: orders are taken in time order")
    status = line.status
    since = line.statuses[-1].at.isoformat(timespec="minutes") if line.statuses else ""
    if status is LineStatus.CLOSED:
        raise _Refused(f"line {line.msisdn} was closed at {since}")
    if status is LineStatus.LOST and request.type not in _WHILE_LOST:
        raise _Refused(f"line reported lost at {since}: lift the report at a counter first")
    if status is LineStatus.SUSPENDED and request.type not in _WHILE_SUSPENDED:
        raise _Refused(f"line suspended since {since}: resume it first")
    needs = PRODUCT.get(request.type)
    if needs and not request.product:
        raise _Refused(f"{request.type} needs a {needs} id")
    if not needs and request.product:
        raise _Refused(f"{request.type} takes no product (got {request.product!r})")


def last_change(line: Subscriber) -> datetime | None:
    """The latest instant the line's timelines record (status, roaming, services)."""
    times = [c.at for c in line.statuses] + [c.at for c in line.roaming]
    times.extend(line.data_reopens)
    for p in line.services:
        times.append(p.start)
        if p.end is not None:
            times.append(p.end)
    return max(times, default=None)


# ------------------------------------------------------------------------------- effects


@attrs.frozen
class _Ctx:
    """What an effect sees: the request, what was proved, the line, the catalog, the time and
    the order's id (timeline entries name the order that made them, so it can be withdrawn)."""

    r: OrderRequest
    c: Credentials
    cat: Catalog
    now: datetime
    order_id: str


Effect = Callable[[_Ctx, Subscriber], tuple[Subscriber, datetime, str]]


def _start_service(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    svc = x.cat.service(x.r.product)
    if svc.kind is not line.kind:
        raise _Refused(f"{svc.id} is a {svc.kind} service; {line.msisdn} is a {line.kind} line")
    if line.has_service(svc.id, x.now):
        raise _Refused(f"{svc.id} is already open on {line.msisdn}")
    opened = ServicePeriod(svc.id, x.now)
    summary = f"open {svc.id} ({svc.name}, {svc.monthly_fee}/month, by the day this month)"
    return attrs.evolve(line, services=(*line.services, opened)), x.now, summary


def _stop_service(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    x.cat.service(x.r.product)  # an unknown service is named as such
    if not line.has_service(x.r.product, x.now):
        raise _Refused(f"{x.r.product} is not open on {line.msisdn}")
    services = tuple(
        attrs.evolve(p, end=x.now) if p.code == x.r.product and p.open_at(x.now) else p
        for p in line.services
    )
    return attrs.evolve(line, services=services), x.now, f"close {x.r.product}"


def _pack_order(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    pack = x.cat.pack(x.r.product)
    if line.kind is not LineKind.MOBILE:
        raise _Refused(f"data packs are for mobile lines; {line.msisdn} is a {line.kind} line")
    month = Month.of(x.now) if x.r.immediate else Month.of(x.now).next()
    group = [p for p in line.packs if x.cat.pack(p.pack_id).group == pack.group]
    for held in group:
        if held.month == month:
            raise _Refused(
                f"{held.pack_id} is already ordered from {month}: one {pack.group} order a month"
            )
    packs = list(line.packs)
    for i, held in enumerate(packs):
        if held in group and held.covers(month):
            if held.pack_id == pack.id:
                raise _Refused(f"{pack.id} is already in force in {month}")
            if x.r.immediate:
                raise _Refused(
                    f"{held.pack_id} is in force this month and tiers are mutually exclusive: "
                    f"order {pack.id} for next month instead"
                )
            packs[i] = attrs.evolve(held, end=month, ended_by=x.order_id)
    later = sorted((p for p in group if p.month > month), key=lambda p: p.month)
    if later:  # a tier already ordered for next month (KT) takes over then
        packs.append(PackOrder(pack.id, month, later[0].month, x.order_id, later[0].order_id))
    else:
        packs.append(PackOrder(pack.id, month, None, x.order_id))
    how = "this month (LJKT)" if x.r.immediate else f"from {month} (KT)"
    summary = f"data pack {pack.id} ({pack.fee}/month) {how}, until cancelled"
    effective = x.now if x.r.immediate else month.start
    return attrs.evolve(line, packs=tuple(packs)), effective, summary


def _pack_cancel(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    x.cat.pack(x.r.product)  # an unknown pack is named as such
    this = Month.of(x.now)
    nxt = this.next()
    packs = list(line.packs)
    for i, held in enumerate(packs):
        if held.pack_id != x.r.product:
            continue
        if held.covers(this) and held.end is None:
            packs[i] = attrs.evolve(held, end=nxt, ended_by=x.order_id)
            summary = f"cancel data pack {held.pack_id} from {nxt} (00:00 on the 1st)"
            return attrs.evolve(line, packs=tuple(packs)), nxt.start, summary
        if held.covers(this) and held.end is not None:
            raise _Refused(
                f"{held.pack_id} already ends with {held.end.previous()}"
                + (f" (order {held.ended_by})" if held.ended_by else "")
            )
        if held.month > this:
            raise _Refused(
                f"{held.pack_id} starts in {held.month}: withdraw its order {held.order_id} instead"
            )
    raise _Refused(f"{x.r.product} is not in force on {line.msisdn} this month")


def _package_change(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    plan = x.cat.plan(x.r.product)
    if plan.kind is not line.kind:
        raise _Refused(f"{plan.id} is a {plan.kind} plan; {line.msisdn} is a {line.kind} line")
    current_plan = x.cat.plan(line.plan_on(Month.of(x.now).next()))
    if data_only(plan) is not data_only(current_plan):
        what = "a data-only card plan" if data_only(plan) else "a voice plan"
        raise _Refused(
            f"{plan.id} is {what}; {line.msisdn} is on {current_plan.id}: a line changes "
            "between plans of its own family (voice plans, or data-card tiers)"
        )
    pending = line.pending_change(x.now)
    if pending is not None:
        raise _Refused(
            f"a change to {pending.plan_id} from {pending.month} is pending "
            f"(order {pending.order_id}): withdraw it first"
        )
    month = Month.of(x.now).next()
    current = line.plan_on(month)
    if current == plan.id:
        raise _Refused(f"{line.msisdn} is already on {plan.id}")
    change = PlanChange(month, plan.id, x.order_id)
    summary = f"change package {current} → {plan.id} from {month} (00:00 on the 1st)"
    return attrs.evolve(line, plan_changes=(*line.plan_changes, change)), month.start, summary


def _packs_until(packs: tuple[PackOrder, ...], end: Month, order_id: str) -> tuple[PackOrder, ...]:
    """The packs, none running past `end` (a closed line's packs stop with its final month)."""
    return tuple(
        p if p.end is not None and p.end <= end else attrs.evolve(p, end=end, ended_by=order_id)
        for p in packs
        if p.month < end
    )


def data_only(plan: Plan) -> bool:
    """A data-card plan (上网卡): data and nothing else, no voice rate or minutes."""
    return (
        plan.data is not None
        and plan.voice_rate.is_zero()
        and plan.allowance.voice_minutes == 0
        and plan.allowance.sms == 0
    )


def _status(to: LineStatus | None, allowed_from: tuple[LineStatus, ...], verb: str) -> Effect:
    """A status change; `to` None: back to the status before the current one (lifting a loss
    report returns a suspended line to suspended)."""

    def effect(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
        if line.status not in allowed_from:
            raise _Refused(f"{line.msisdn} is {line.status}: cannot {verb} it")
        new = to
        if new is None:
            new = line.statuses[-2].status if len(line.statuses) > 1 else LineStatus.ACTIVE
        line = attrs.evolve(line, statuses=(*line.statuses, StatusChange(x.now, new)))
        if new is LineStatus.CLOSED:  # services end, future changes lapse
            line = attrs.evolve(
                line,
                services=tuple(
                    attrs.evolve(p, end=x.now) if p.end is None or p.end > x.now else p
                    for p in line.services
                ),
                plan_changes=tuple(p for p in line.plan_changes if p.month.start <= x.now),
                packs=_packs_until(line.packs, Month.of(x.now).next(), x.order_id),
            )
        return line, x.now, f"{verb} {line.msisdn}"

    return effect


def _roaming(to_open: bool) -> Effect:
    word = "open" if to_open else "close"

    def effect(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
        if line.roaming_open_at(x.now) is to_open:
            raise _Refused(f"international roaming is already {'open' if to_open else 'closed'}")
        line = attrs.evolve(line, roaming=(*line.roaming, RoamingChange(x.now, to_open)))
        return line, x.now, f"{word} international roaming"

    return effect


def _reopen_roaming_data(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    if not line.roaming_open_at(x.now):
        raise _Refused("international roaming is closed: open roaming first")
    line = attrs.evolve(line, data_reopens=(*line.data_reopens, x.now))
    summary = (
        "reopen international roaming data (KTSJLL): a day whose data was switched off at the "
        "daily cap can buy day packs again"
    )
    return line, x.now, summary


def _club_service(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    # Whether the line's star level gives the privilege, and the year's quota, are checked by
    # the caller (`service.submit_order`), which has the line's bills; the order records it.
    return line, x.now, f"customer club special service {x.r.product} requested"


def _change_holder(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    name = x.r.holder.strip()
    if not name:
        raise _Refused("change-holder needs the new holder's name")
    if not x.c.new_document:
        raise _Refused("change-holder needs the new holder's identity document")
    new_id = verify_id(attrs.evolve(line, holder_id=""), x.c.new_document)
    line = attrs.evolve(
        line, name=name, holder_id=new_id, password="", password_failures=0, locked_until=None
    )
    shown = f"{mask_name(name)} ({mask_number(new_id)})"  # the summary is shown to agents
    return line, x.now, f"holder changed to {shown}; service password cleared"


def _register_holder(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    name = x.r.holder.strip()
    if not name:
        raise _Refused("register-holder needs the holder's name")
    masked = mask_id(check_resident_id(x.c.document or ""))
    line = attrs.evolve(line, name=name, holder_id=masked)
    shown = f"{mask_name(name)} ({mask_number(masked)})"  # the summary is shown to agents
    return line, x.now, f"holder {shown} registered (real-name registration)"


def _set_password(x: _Ctx, line: Subscriber) -> tuple[Subscriber, datetime, str]:
    if x.c.new_password is None:
        raise _Refused("set-password needs the new password")
    hashed = hash_password(x.c.new_password, x.c.salt)
    line = attrs.evolve(line, password=hashed, password_failures=0, locked_until=None)
    return line, x.now, "service password set"


_EFFECTS: Final[dict[OrderType, Effect]] = {
    T.SERVICE_OPEN: _start_service,
    T.SERVICE_CLOSE: _stop_service,
    T.PACK_ORDER: _pack_order,
    T.PACK_CANCEL: _pack_cancel,
    T.PACKAGE_CHANGE: _package_change,
    T.SUSPEND: _status(LineStatus.SUSPENDED, (LineStatus.ACTIVE,), "suspend"),
    T.RESUME: _status(LineStatus.ACTIVE, (LineStatus.SUSPENDED,), "resume"),
    T.REPORT_LOSS: _status(
        LineStatus.LOST, (LineStatus.ACTIVE, LineStatus.SUSPENDED), "report the loss of"
    ),
    T.LIFT_LOSS: _status(None, (LineStatus.LOST,), "lift the loss report of"),
    T.ROAMING_OPEN: _roaming(True),
    T.ROAMING_CLOSE: _roaming(False),
    T.CLOSE: _status(
        LineStatus.CLOSED, (LineStatus.ACTIVE, LineStatus.SUSPENDED, LineStatus.LOST), "close"
    ),
    T.CHANGE_HOLDER: _change_holder,
    T.SET_PASSWORD: _set_password,
    T.REGISTER_HOLDER: _register_holder,
    T.ROAMING_DATA_REOPEN: _reopen_roaming_data,
    T.CLUB_SERVICE: _club_service,
}


# ------------------------------------------------------------------ after acceptance


def complete_due(order: ServiceOrder, now: datetime) -> ServiceOrder | None:
    """A pending order whose effective time has come, completed at that time; else None."""
    if order.state is not S.PENDING or order.effective_at > as_instant(now):
        return None
    return transition(
        order, S.COMPLETED, order.effective_at, SYSTEM, order.request.channel, "in effect"
    )


def withdraw(
    order: ServiceOrder,
    line: Subscriber,
    now: datetime,
    by: str,
    channel: Channel,
    reason: str = "withdrawn by the customer",
    catalog: Catalog | None = None,
) -> tuple[ServiceOrder, Subscriber, OrderStateChanged]:
    """Cancel an order that has not taken effect, taking its scheduled change off the line.

    A pack the order had ended runs on again, up to the next pack of its group ordered since
    (tiers stay mutually exclusive); `catalog` tells the groups (without it, any later pack).

    Raises:
        Conflict: the order is final (a completed order is undone by the opposite order) or
            its effective time has passed.
    """
    now = as_instant(now)
    if order.state is S.PENDING and order.effective_at <= now:
        when = order.effective_at.isoformat(timespec="minutes")
        raise Conflict("order", order.id, f"took effect at {when}: submit the opposite order")
    cancelled = transition(order, S.CANCELLED, now, by, channel, reason)
    kept = [p for p in line.packs if p.order_id != order.id or order.type is not T.PACK_ORDER]

    def group(pack_id: str) -> str:
        return catalog.pack(pack_id).group if catalog is not None else ""

    packs = []
    for p in kept:
        if p.ended_by == order.id:
            later = sorted(
                (q for q in kept if q.month > p.month and group(q.pack_id) == group(p.pack_id)),
                key=lambda q: q.month,
            )
            nxt = later[0] if later else None
            p = attrs.evolve(
                p,
                end=nxt.month if nxt else None,
                ended_by=nxt.order_id if nxt else "",
            )
        packs.append(p)
    changes = tuple(c for c in line.plan_changes if c.order_id != order.id)
    line = attrs.evolve(line, packs=tuple(packs), plan_changes=changes)
    return cancelled, line, state_event(cancelled)
