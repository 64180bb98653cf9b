"""Application services: the 10010 use cases, each a function of a store, its inputs and `now`.

These are the functions a front-end (the `ucs` CLI, a web business hall, an IVR) calls. Each
takes a `Store` (the port), does its work inside one `store.transaction()` so that a failure
leaves the store as it was, and returns plain values. None of them reads a clock: `now` is
always the caller's.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import partial
from typing import Final, TypeVar

import attrs

from unicom_cs.account import (
    MAX_PAYMENT,
    Account,
    BillState,
    EntryKind,
    LedgerEntry,
    PaymentMode,
    Settlement,
    check_payment,
    credits,
    settle,
)
from unicom_cs.audit import SYSTEM_ACTOR, Actor, Role, audit
from unicom_cs.billing import Adjustment, Bill, Composition, bill_id, compose_month, issue
from unicom_cs.catalog import (
    BUNDLED_SOURCE,
    Catalog,
    FirstMonth,
    default_catalog,
    parse_catalog,
    upgrade_problems,
)
from unicom_cs.complaints import OPEN as OPEN_TICKETS
from unicom_cs.complaints import held_amounts
from unicom_cs.errors import (
    AccessDenied,
    BatchRejected,
    CatalogError,
    ConcurrentUpdate,
    Conflict,
    InvalidValue,
    NotFound,
    NotInitialised,
    OrderRejected,
    RowError,
)
from unicom_cs.events import (
    AdjustmentPosted,
    BillIssued,
    LineOpened,
    PaymentReceived,
    TariffsLoaded,
    UsageImported,
)
from unicom_cs.identity import check_password as _check_password
from unicom_cs.identity import check_resident_id, hash_password, mask_id
from unicom_cs.money import Money, round_line, total
from unicom_cs.number import canonical
from unicom_cs.orders import (
    DEFAULT_BY,
    OPEN,
    SYSTEM,
    Channel,
    Credentials,
    OrderRequest,
    OrderState,
    OrderType,
    ServiceOrder,
    accept,
    complete_due,
    identity_problem,
    state_event,
    transition,
    withdraw,
)
from unicom_cs.period import CST, Month, as_instant, months_between
from unicom_cs.ports import Store
from unicom_cs.rating import RatedRecord
from unicom_cs.subscriber import Subscriber, new_subscriber
from unicom_cs.usage import ParsedCdrs, UsageRecord, format_row

R = TypeVar("R")

BUNDLED = BUNDLED_SOURCE


# ---------------------------------------------------------------- store and catalog


def init_store(store: Store) -> bool:
    """Put the bundled catalog in a new store. Returns False when it was there already."""
    with store.transaction():
        if any(name == BUNDLED for name, _ in store.catalog_sources()):
            return False
        from unicom_cs.default_catalog import DEFAULT_CATALOG_TOML

        store.add_catalog_source(BUNDLED, DEFAULT_CATALOG_TOML)
        return True


def load_catalog(store: Store) -> Catalog:
    """The store's catalog: every loaded source, later sources replacing entries by id."""
    sources = store.catalog_sources()
    if not sources:
        raise NotInitialised()
    from unicom_cs.default_catalog import DEFAULT_CATALOG_TOML

    catalog = Catalog()
    for name, text in sources:
        # The store keeps the catalog it was given: a newer library's bundled catalog does not
        # change an existing store's tariffs. The common case is parsed once per process.
        same = name == BUNDLED and text == DEFAULT_CATALOG_TOML
        catalog = catalog.merged(default_catalog() if same else parse_catalog(text, name, catalog))
    return catalog


def add_tariffs(store: Store, text: str, source: str) -> Catalog:
    """Validate a user's catalog file against the store's catalog and add it.

    Returns:
        The entries the file defined.

    Raises:
        CatalogError: every problem in the file, with its key path; nothing is added.
    """
    with store.transaction():
        current = load_catalog(store)
        entries = parse_catalog(text, source, current)
        _check_nothing_in_use_changes(store, current, entries)
        merged = current.merged(entries)
        problems = upgrade_problems(merged)
        if problems:
            errors = (RowError(f"plan {pid!r}.upgrade_to", why) for pid, why in problems.items())
            raise CatalogError(source, tuple(errors))
        from unicom_cs.sms import codebook

        try:
            codebook(merged)  # every pack and service keeps an SMS code of its own
        except CatalogError as e:
            raise CatalogError(source, e.errors) from None
        store.add_catalog_source(source, text)
        store.add_event(
            TariffsLoaded(
                source,
                tuple(entries.plans),
                tuple(entries.packs),
                tuple(entries.roaming),
                tuple(entries.services),
            )
        )
    return entries


def _check_nothing_in_use_changes(store: Store, current: Catalog, entries: Catalog) -> None:
    """A tariff in use is not changed under its lines: bills already composed would no longer
    reproduce from their usage. A changed tariff takes a new id.

    In use: the plan of a line and every plan it can auto-upgrade to, the packs a line has
    ordered, and, once there is any line, the roaming zones (which country each is in, and its
    rates), the default zone and the free numbers.

    Raises:
        Conflict: naming the tariff and a line that uses it.
    """
    subs = list(store.subscribers())
    if not subs:
        return
    first = subs[0].msisdn

    def refuse(what: str, why: str) -> None:
        raise Conflict("tariff", what, f"{why}: give the changed tariff a new id")

    for sub in subs:
        for first_plan in {sub.plan_id, *(c.plan_id for c in sub.plan_changes)}:
            plan_id: str | None = first_plan
            seen: set[str] = set()
            while plan_id is not None and plan_id not in seen:
                seen.add(plan_id)
                if plan_id in entries.plans:
                    refuse(plan_id, f"is in use by {sub.msisdn}")
                plan_id = current.plans[plan_id].upgrade_to if plan_id in current.plans else None
        for period in sub.services:
            if period.code in entries.services:
                refuse(period.code, f"is in use by {sub.msisdn}")
        for order in sub.packs:
            if order.pack_id in entries.packs:
                refuse(order.pack_id, f"is in use by {sub.msisdn}")
    for zone in entries.roaming.values():
        if zone.id in current.roaming:
            refuse(zone.id, f"is in use by {first} and every other line")
        for other in current.roaming.values():
            if zone.countries & other.countries:
                moved = sorted(zone.countries & other.countries)[0]
                refuse(other.id, f"would lose {moved}, in use by {first} and every other line")
    if entries.retention_fee not in (None, current.retention_fee) and any(s.statuses for s in subs):
        refuse("retention_fee", "is in use by lines that have been suspended")
    if entries.default_zone not in (None, current.default_zone):
        refuse("default_roaming_zone", f"is in use by {first} and every other line")
    added = (entries.free_numbers - current.free_numbers) | (
        entries.roaming_free_numbers - current.roaming_free_numbers
    )
    if added:
        refuse(f"free number {sorted(added)[0]}", f"would change the bills of {first} and others")


# ---------------------------------------------------------------- lines and accounts


def add_line(
    store: Store,
    number: str,
    plan_id: str,
    activated: date,
    *,
    mode: PaymentMode = PaymentMode.POSTPAID,
    first_month: FirstMonth | None = None,
    name: str = "",
    account_id: str | None = None,
    password: str | None = None,
    salt: bytes = b"",
    id_document: str | None = None,
) -> Subscriber:
    """Open a line on a new or existing account, with its service password (hashed with the
    caller's random `salt`) and the holder's identity document (kept masked), when given.

    Raises:
        NotFound: unknown plan.
        InvalidValue: a number that does not fit the plan, a first-month option it refuses.
        Conflict: the number is taken, or the account exists with another payment mode.
    """
    with store.transaction():
        catalog = load_catalog(store)
        sub = new_subscriber(
            number,
            plan_id,
            activated,
            catalog,
            account_id=account_id,
            first_month=first_month,
            name=name,
        )
        if password is not None:
            sub = attrs.evolve(sub, password=hash_password(password, salt))
        if id_document:
            sub = attrs.evolve(sub, holder_id=mask_id(check_resident_id(id_document)))
        if store.get_subscriber(sub.msisdn) is not None:
            raise Conflict("line", sub.msisdn, "already exists")
        account = store.get_account(sub.account_id)
        if account is None:
            store.add_account(Account(sub.account_id, mode, name.strip()))
        elif account.mode is not mode:
            raise Conflict("account", account.id, f"is {account.mode.value}, not {mode.value}")
        store.add_subscriber(sub)
        store.add_event(
            LineOpened(sub.msisdn, sub.kind, sub.plan_id, sub.account_id, sub.activated)
        )
    return sub


def get_line(store: Store, msisdn: str) -> Subscriber:
    """The line with this number, however it was typed (+86, spaces, dashes).

    Raises:
        NotFound: no such line.
    """
    sub = store.get_subscriber(canonical(msisdn))
    if sub is None:
        raise NotFound("number", msisdn)
    return sub


def get_account(store: Store, account_id: str) -> Account:
    account = store.get_account(account_id)
    if account is None:
        raise NotFound("account", account_id)
    return account


# ---------------------------------------------------------------- usage


@attrs.frozen
class ImportReport:
    source: str
    rows: int  # = imported + already_imported + repeated + len(rejected)
    imported: int
    already_imported: int  # stored before, with the same content
    repeated: int  # rows repeating an earlier row of the same file exactly
    rejected: tuple[RowError, ...]


@attrs.frozen
class _UsageWindow:
    """When a line can take usage: from activation, before its closure, after its latest issued
    bill. Bounds are at the fixed +08:00 offset that records and stored instants have, so that
    comparing a record's start with them stays in C (a record per comparison, every import)."""

    line: Subscriber
    opens: datetime
    closes: datetime | None
    billed: Month | None  # the latest month issued

    @classmethod
    def of(cls, store: Store, msisdn: str) -> _UsageWindow | None:
        sub = store.get_subscriber(msisdn)
        if sub is None:
            return None
        issued = [m for _, m in store.issued_months([msisdn])]
        closes = None if sub.closed_at is None else sub.closed_at.astimezone(CST)
        return cls(sub, sub.active_from.astimezone(CST), closes, max(issued, default=None))


def import_usage(store: Store, parsed: ParsedCdrs, *, skip_bad: bool = False) -> ImportReport:
    """Import parsed CDRs, checking them against the store.

    Beyond the file's own problems, a row is bad if its number is unknown, it is dated before
    the line's activation or in a billing period already closed (up to the line's latest issued
    bill), or its id is already stored with other content. A row already stored with the same
    content is skipped: importing a file twice changes nothing.

    Args:
        parsed: `usage.parse_cdrs` of the file.
        skip_bad: import the good rows and report the bad; otherwise any bad row rejects the
            whole file.

    Raises:
        BatchRejected: bad rows and not `skip_bad`; nothing was imported.
    """
    errors = list(parsed.errors)
    fresh: list[UsageRecord] = []
    already = 0
    with store.transaction():
        stored = store.usage_by_ids([r.id for r in parsed.records])
        windows: dict[str, _UsageWindow | None] = {}

        def reject(i: int, rec: UsageRecord, reason: str) -> None:
            errors.append(RowError(parsed.where(i), reason, format_row(rec)))

        for i, rec in enumerate(parsed.records):
            old = stored.get(rec.id)
            if old is not None:
                if old == rec:
                    already += 1
                else:
                    reject(i, rec, f"id {rec.id!r} is already stored with other content")
                continue
            if rec.msisdn not in windows:
                windows[rec.msisdn] = _UsageWindow.of(store, rec.msisdn)
            window = windows[rec.msisdn]
            if window is None:
                reject(i, rec, f"unknown number {rec.msisdn}")
                continue
            if rec.start < window.opens:
                reject(i, rec, f"before the line was activated on {window.line.activated}")
                continue
            if window.closes is not None and rec.start >= window.closes:
                reject(i, rec, f"after the line was closed at {window.closes.isoformat()}")
                continue
            if window.billed is not None and rec.start < window.billed.end:
                reject(
                    i, rec, f"{rec.msisdn} is billed up to {window.billed}: that period is closed"
                )
                continue
            fresh.append(rec)
        errors.sort(key=lambda e: int(e.where.rsplit(":", 1)[1].lstrip("#")))
        if errors and (not skip_bad or parsed.rows == 0):  # no rows: not a CDR file at all
            raise BatchRejected(parsed.source, tuple(errors))
        store.add_usage(fresh)
        if fresh:
            lines_used = tuple(sorted({r.msisdn for r in fresh}))
            store.add_event(UsageImported(parsed.source, len(fresh), lines_used))
    return ImportReport(
        parsed.source, parsed.rows, len(fresh), already, parsed.duplicates, tuple(errors)
    )


def list_usage(store: Store, msisdn: str, month: Month) -> list[UsageRecord]:
    sub = get_line(store, msisdn)
    return sorted(store.usage(sub.msisdn, month.start, month.end), key=lambda r: (r.start, r.id))


# ---------------------------------------------------------------- bills


def _needs_carry(sub: Subscriber, month: Month, catalog: Catalog) -> bool:
    """Whether `month` can leave data to carry: a rollover plan, or a data pack that month."""
    plan = catalog.plan(sub.plan_on(month))
    return (plan.data is not None and plan.data.rollover) or bool(sub.packs_for(month))


def _open_months(store: Store, sub: Subscriber, last: Month) -> list[Month]:
    """`sub`'s months after its latest bill issued before `last`, up to `last`."""
    issued = [m for _, m in store.issued_months([sub.msisdn]) if m < last]
    return list(months_between(max(issued).next() if issued else sub.first_billed_month, last))


def _compose_pending(
    store: Store,
    sub: Subscriber,
    catalog: Catalog,
    last: Month,
    now: datetime,
    *,
    every: bool = False,
) -> list[Composition]:
    """Compose `sub`'s months after its latest bill issued before `last`, up to `last`.

    Months are composed in order, each month's unused data carried into the next, so the work
    is linear in the number of open months (no recursion). Months before `last` are composed
    only when `every` is set or their carry-out matters; the current month is composed up to
    `now`.

    Returns:
        Each month composed (bill, rated records, units left), `last` included, oldest first.
    """
    issued = sorted(m for _, m in store.issued_months([sub.msisdn]) if m < last)
    carry = 0
    first = sub.first_billed_month
    if issued:
        latest = store.get_bill(sub.msisdn, issued[-1])
        assert latest is not None
        first, carry = issued[-1].next(), latest.carry_out_bytes
    current = Month.of(now)
    out = []
    for month in months_between(first, last):
        if month != last and not every and not _needs_carry(sub, month, catalog):
            carry = 0
            continue
        composed = compose_month(
            sub,
            month,
            store.usage(sub.msisdn, month.start, month.end),
            catalog,
            carry_in_bytes=carry,
            adjustments=store.adjustments(sub.msisdn, month),
            as_of=now if month == current else None,
        )
        carry = composed.bill.carry_out_bytes
        out.append(composed)
    return out


def bill_for(
    store: Store, msisdn: str, now: datetime, month: Month | None = None, *, rated: bool = True
) -> tuple[Bill, tuple[RatedRecord, ...]]:
    """A line's bill: the issued bill of a past month, or the charges so far.

    Without `month`, the current month's charges up to `now`. A past month not yet issued is
    composed whole (not issued); an issued one is returned as issued, with its records rated
    unless `rated` is false (then no usage is read at all).

    Raises:
        NotFound: unknown number.
        Conflict: a month before the line was activated, or after `now`.
    """
    now = as_instant(now)
    sub = get_line(store, msisdn)
    current = Month.of(now)
    last = sub.last_billed_month
    month = month or (current if last is None else min(current, last))
    if month > current:
        raise Conflict("month", str(month), f"has not started (now is {now.isoformat()})")
    if month < sub.first_billed_month:
        raise Conflict("line", sub.msisdn, f"not active in {month} (activated {sub.activated})")
    issued = store.get_bill(sub.msisdn, month)
    if issued is not None and not rated:
        return issued, ()
    composed = _compose_pending(store, sub, load_catalog(store), month, now)[-1]
    return (issued if issued is not None else composed.bill), composed.rated


def account_bills(
    store: Store, account_id: str, now: datetime, month: Month | None = None
) -> list[Bill]:
    """The bills of every line on an account for one month (current by default)."""
    get_account(store, account_id)
    month = month or Month.of(as_instant(now))
    out = []
    for sub in store.subscribers(account_id):
        last = sub.last_billed_month
        if month >= sub.first_billed_month and (last is None or month <= last):
            out.append(bill_for(store, sub.msisdn, now, month, rated=False)[0])
    return out


@attrs.frozen
class RunResult:
    msisdn: str
    bill: Bill | None  # the month's bill; None when skipped
    skipped: str = ""  # why: already issued, not active
    earlier: tuple[Bill, ...] = ()  # open earlier months, issued first (catch-up)


@attrs.frozen
class Shard:
    """Part `index` of `count` (1-based) of a bill run shared by several workers.

    Lines are shared out by account (a stable CRC-32 of the account id), so the lines of one
    account, which post to one ledger, are billed by one worker and two workers never touch the
    same account.
    """

    index: int
    count: int

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise InvalidValue("shard", f"{self.index}/{self.count}", "expected i/N, 1 ≤ i ≤ N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` → the second of four."""
        match = re.fullmatch(r"([0-9]{1,6})/([0-9]{1,6})", text.strip())
        if match is None:
            raise InvalidValue("shard", text, "expected i/N, as in 1/4")
        return cls(int(match[1]), int(match[2]))

    def owns(self, account_id: str) -> bool:
        return zlib.crc32(account_id.encode()) % self.count == self.index - 1


#: Why a bill run left a line unbilled when its unit of work lost every race: run it again.
UNBILLED_BY_RACE: Final = "not billed: concurrent changes won every attempt; run the month again"

#: How many times in all a unit of work the database undid for a concurrent change
#: (`ConcurrentUpdate`: nothing of it was written) is tried before the error is raised.
ATTEMPTS: Final = 8


def run_again(
    work: Callable[[], R], pause: Callable[[int], None] | None = None, attempts: int = ATTEMPTS
) -> R:
    """`work()`, tried again while the database undoes it for a concurrent change.

    `work` must be a whole unit of work (its own top-level transaction), so that an undone
    attempt left nothing behind. `pause(n)` is called after the nth undone attempt: the caller
    owns time, so a front-end passes a short random sleep; without one, the next attempt
    follows at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
            if pause is not None:
                pause(attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def run_bills(
    store: Store,
    month: Month,
    now: datetime,
    shard: Shard | None = None,
    pause: Callable[[int], None] | None = None,
    lines: Sequence[str] | None = None,
) -> Iterator[RunResult]:
    """Issue `month`'s bill for every line (of the shard), streaming: each line composed from a
    snapshot and written in a transaction of its own (composed again in it if the line's
    inputs changed meanwhile: see `_issue_line`).

    A line's transaction that the database undoes for a concurrent change (another worker, an
    agent's payment) is tried again (`run_again`, with `pause`), so the run counts every bill it
    issued, once.

    A line's open earlier months are issued first, oldest first, so bills are always issued in
    order and each carries the right data into the next. Each issued bill is posted to its
    account's ledger as a debit. Lines activated after the month, and lines whose bill is
    already issued, are skipped: a bill run can be repeated.

    Args:
        lines: the numbers to go through, as `lines_to_bill` listed them (for a caller that
            counts them first); by default they are listed when the run starts.

    Raises:
        Conflict: the month has not ended at `now` (raised at the call, before any bill).
    """
    now = as_instant(now)
    if now < month.end:
        raise Conflict("month", str(month), f"has not ended (now is {now.isoformat()})")
    return _issue_all(store, month, now, shard, pause, lines)


def lines_to_bill(store: Store, shard: Shard | None = None) -> list[str]:
    """The numbers a bill run goes through (those of the shard's accounts), by number."""
    return [m for m, account in store.line_keys() if shard is None or shard.owns(account)]


def _issue_all(
    store: Store,
    month: Month,
    now: datetime,
    shard: Shard | None,
    pause: Callable[[int], None] | None,
    lines: Sequence[str] | None,
) -> Iterator[RunResult]:
    catalog = load_catalog(store)
    # Only the numbers are listed up front: each line is read in its own transaction, so a run
    # over any number of lines holds one line's records at a time.
    for msisdn in lines_to_bill(store, shard) if lines is None else lines:
        # Yield only once the line's transaction is over: a caller that does other work (or
        # stops) between results must not find itself inside, or rolling back, this one.
        try:
            yield run_again(partial(_issue_line, store, msisdn, month, catalog, now), pause)
        except ConcurrentUpdate:  # still racing after every attempt: say so, go on
            yield RunResult(msisdn, None, UNBILLED_BY_RACE)


@attrs.frozen
class _Prepared:
    """A line's open months, composed, and the inputs they were composed from."""

    sub: Subscriber
    pending: tuple[Composition, ...]
    inputs: tuple[object, ...]


def _line_inputs(store: Store, sub: Subscriber, months: Iterable[Month]) -> tuple[object, ...]:
    """What a line's bills for `months` are made of, in a form cheap to compare: the line's
    version, the months already issued, and each month's count of records (records are only
    ever added) and adjustments."""
    return (
        sub.version,
        tuple(sorted(store.issued_months([sub.msisdn]))),
        *(
            (m, store.count_usage(sub.msisdn, m.start, m.end), store.adjustments(sub.msisdn, m))
            for m in months
        ),
    )


def _prepare(
    store: Store, msisdn: str, month: Month, catalog: Catalog, now: datetime
) -> RunResult | _Prepared:
    """A line's open months up to `month`, composed; or why the line has no bill to issue."""
    sub = store.get_subscriber(msisdn)  # as it is now, not when the run listed it
    if sub is None:
        return RunResult(msisdn, None, "not in the store")
    if month < sub.first_billed_month:
        return RunResult(msisdn, None, "not active")
    last = sub.last_billed_month
    if last is not None and month > last:
        return RunResult(msisdn, None, f"closed (final bill {last})")
    if store.get_bill(sub.msisdn, month) is not None:
        return RunResult(sub.msisdn, None, "already issued")
    # The inputs are read before composing: should the view not be a snapshot after all, a
    # change in between makes them differ under the lock, and the months are composed again.
    inputs = _line_inputs(store, sub, _open_months(store, sub, month))
    pending = tuple(_compose_pending(store, sub, catalog, month, now, every=True))
    return _Prepared(sub, pending, inputs)


def _issue_line(
    store: Store, msisdn: str, month: Month, catalog: Catalog, now: datetime
) -> RunResult:
    """Issue one line's open months up to `month`.

    The months are composed from a consistent snapshot, outside the write transaction, so
    that bill-run workers sharing a store compose at the same time (SQLite has one writer at a
    time, and composing is most of the work). The bills are then written in one short
    transaction if the line's inputs are still the ones they were composed from; if anything
    changed meanwhile (a record imported, an adjustment, an order), the months are composed
    again inside it.
    """
    with store.reading(safe=False):  # checked again under the lock: no need to wait for one
        work = _prepare(store, msisdn, month, catalog, now)
    if isinstance(work, RunResult):
        return work
    with store.transaction():
        sub = store.get_subscriber(msisdn)
        if sub is None or _line_inputs(store, sub, _open_months(store, sub, month)) != work.inputs:
            work = _prepare(store, msisdn, month, catalog, now)
            if isinstance(work, RunResult):
                return work
        sub, pending = work.sub, work.pending
        bills = [issue(c.bill, now) for c in pending]
        for bill in bills:
            store.add_bill(bill)
            store.add_entry(
                LedgerEntry(
                    f"bill-{bill.id}",
                    bill.account_id,
                    now,
                    EntryKind.BILL,
                    -bill.total,
                    bill.id,
                    f"bill {bill.month}",
                )
            )
            store.add_event(
                BillIssued(
                    bill.id, bill.msisdn, bill.account_id, bill.month, bill.total, bill.due_at, now
                )
            )
    return RunResult(sub.msisdn, bills[-1], earlier=tuple(bills[:-1]))


def adjust(
    store: Store,
    msisdn: str,
    month: Month,
    amount: Money,
    reason: str,
    now: datetime,
    *,
    actor: Actor = SYSTEM_ACTOR,
) -> Adjustment:
    """Post a credit (negative) or debit to a line's month; it shows as a bill line.

    An adjustment moves money by hand, so each is written to the audit trail with its actor;
    one larger (either way) than the center's credit limit (`care.credit_limit`, 100 yuan by
    default) needs the supervisor role.

    Raises:
        InvalidValue: a zero amount or no reason.
        AccessDenied: above the limit, and the actor is not a supervisor.
        Conflict: the month's bill is issued (adjust the next month instead).
    """
    if amount.is_zero() or not reason.strip():
        raise InvalidValue("adjustment", str(amount), "needs a non-zero amount and a reason")
    if amount.amount != round_line(amount).amount:
        raise InvalidValue("adjustment", str(amount), "must be a whole number of fen")
    if abs(amount.amount) > MAX_PAYMENT.amount:
        raise InvalidValue("adjustment", str(amount), f"at most {MAX_PAYMENT} yuan either way")
    with store.transaction():
        from unicom_cs.care import credit_limit  # care builds on this module

        limit = credit_limit(store)
        if abs(amount.amount) > limit.amount:
            actor.require(Role.SUPERVISOR, f"an adjustment above {limit} yuan")
        sub = get_line(store, msisdn)
        if store.get_bill(sub.msisdn, month) is not None:
            raise Conflict(
                "bill", bill_id(sub.msisdn, month), "already issued: adjust a later month"
            )
        last = sub.last_billed_month  # a closed line's final month
        if (
            month < sub.first_billed_month
            or month > Month.of(as_instant(now))
            or (last is not None and month > last)
        ):
            raise Conflict("line", sub.msisdn, f"has no open bill for {month}")
        adj = Adjustment(
            f"ADJ-{sub.msisdn}-{month.key}-{len(store.adjustments(sub.msisdn, month)) + 1}",
            sub.msisdn,
            month,
            amount.times(1),
            reason.strip(),
        )
        store.add_adjustment(adj)
        store.add_event(AdjustmentPosted(adj.id, adj.msisdn, adj.month, adj.amount, adj.reason))
        store.add_audit(audit(actor, now, "adjustment", adj.msisdn, f"{adj.id} {adj.amount}"))
    return adj


def record_reveal(store: Store, actor: Actor, subject: str, now: datetime) -> None:
    """Note in the audit trail that `actor` was shown `subject`'s personal data unmasked."""
    with store.transaction():
        store.add_audit(audit(actor, now, "reveal", subject, "name and identity number"))


# ---------------------------------------------------------------- accounts and money


@attrs.frozen
class AccountStatus:
    """An account as the hotline reads it out: balance, charges not yet billed, arrears."""

    account: Account
    lines: tuple[str, ...]
    balance: Money  # credits − issued bills (− charges so far, prepaid)
    unbilled: Money  # charges of months not issued yet, up to now
    arrears: Money  # overdue unpaid bills (postpaid) or the negative balance (prepaid)
    bills: tuple[Settlement, ...]
    as_of: datetime


def settlements(store: Store, account_id: str) -> tuple[Settlement, ...]:
    """The account's issued bills, oldest first, with what its credits have paid of each."""
    issued = sorted(store.bills(account_id), key=lambda b: (b.month, b.msisdn))
    return settle([(b.id, b.total) for b in issued], credits(store.entries(account_id)))


def account_status(
    store: Store, account_id: str, now: datetime, catalog: Catalog | None = None
) -> AccountStatus:
    """Balance, unbilled charges, arrears and the settlement of every issued bill."""
    now = as_instant(now)
    account = get_account(store, account_id)
    catalog = catalog or load_catalog(store)
    subs = list(store.subscribers(account_id))
    entries = store.entries(account_id)
    issued = sorted(store.bills(account_id), key=lambda b: (b.month, b.msisdn))
    issued_keys = {(b.msisdn, b.month) for b in issued}
    current = Month.of(now)
    unbilled: list[Money] = []
    for sub in subs:
        last = current if sub.last_billed_month is None else min(current, sub.last_billed_month)
        if last >= sub.first_billed_month:
            opened = _compose_pending(store, sub, catalog, last, now, every=True)
            unbilled.extend(
                c.bill.total for c in opened if (c.bill.msisdn, c.bill.month) not in issued_keys
            )
    unbilled_total = total(unbilled)
    paid_in = credits(entries)
    billed = total(b.total for b in issued)
    settlements = settle([(b.id, b.total) for b in issued], paid_in)
    # amounts an open billing dispute names are on hold: never arrears (complaints)
    held = held_amounts(t for sub in subs for t in store.tickets(sub.msisdn, OPEN_TICKETS))
    if account.mode is PaymentMode.PREPAID:
        balance = paid_in - billed - unbilled_total
        arrears = max(Money.zero(), -(balance + total(held.values())))
    else:
        balance = paid_in - billed
        due = {b.id: b.due_at for b in issued}
        arrears = total(
            max(Money.zero(), s.unpaid - held.get(s.bill_id, Money.zero()))
            for s in settlements
            if s.state is not BillState.SETTLED and due[s.bill_id] <= now
        )
    return AccountStatus(
        account, tuple(s.msisdn for s in subs), balance, unbilled_total, arrears, settlements, now
    )


def line_status(store: Store, msisdn: str, now: datetime) -> AccountStatus:
    return account_status(store, get_line(store, msisdn).account_id, now)


def receive_money(
    store: Store, msisdn: str, amount: Money, kind: EntryKind, now: datetime, channel: str = ""
) -> LedgerEntry:
    """Record a payment (缴费) or a recharge (充值, 10011) to the line's account.

    Raises:
        InvalidValue: zero, negative, part-fen or too large an amount.
        NotFound: unknown number.
    """
    if kind not in (EntryKind.PAYMENT, EntryKind.RECHARGE):
        raise InvalidValue("entry kind", kind.value, "expected payment or recharge")
    check_payment(amount)
    now = as_instant(now)
    with store.transaction():
        sub = get_line(store, msisdn)
        n = len(store.entries(sub.account_id)) + 1
        entry = LedgerEntry(
            f"{kind.value}-{sub.account_id}-{n}",
            sub.account_id,
            now,
            kind,
            amount,
            channel,
            f"{kind.value} for {sub.msisdn}",
        )
        store.add_entry(entry)
        store.add_event(PaymentReceived(entry.id, entry.account_id, sub.msisdn, kind, amount, now))
    return entry


@attrs.frozen
class ArrearsRow:
    account_id: str
    lines: tuple[str, ...]
    mode: PaymentMode
    arrears: Money


def arrears(store: Store, now: datetime, msisdn: str | None = None) -> list[ArrearsRow]:
    """Accounts in arrears (all, or the account of one line)."""
    if msisdn is not None:
        ids: Sequence[str] = [get_line(store, msisdn).account_id]
    else:
        ids = sorted({s.account_id for s in store.subscribers()})
    catalog = load_catalog(store)
    out = []
    for account_id in ids:
        st = account_status(store, account_id, now, catalog)
        if msisdn is not None or st.arrears.amount > 0:
            out.append(ArrearsRow(account_id, st.lines, st.account.mode, st.arrears))
    return out


# ---------------------------------------------------------------- service orders


@attrs.frozen
class OrderResult:
    """A submitted order, the line as it leaves it, and what came with it."""

    order: ServiceOrder
    line: Subscriber
    repeated: bool = False  # the request id was known: this is the order it made then
    final_bills: tuple[Bill, ...] = ()  # closing a line: its final bill (and open months)
    cancelled: tuple[ServiceOrder, ...] = ()  # closing a line: its open orders, withdrawn


def _record(store: Store, order: ServiceOrder) -> ServiceOrder:
    """Store an order's change (one version on) and publish it; returns the stored order."""
    stored = store.update_order(order)
    store.add_event(state_event(stored))
    return stored


def _complete_due(store: Store, now: datetime, msisdn: str | None = None) -> list[ServiceOrder]:
    """Complete the pending orders whose effective time has come (oldest first)."""
    done = []
    for order in store.orders(msisdn, {OrderState.PENDING}):
        completed = complete_due(order, now)
        if completed is not None:
            done.append(_record(store, completed))
    return done


def submit_order(
    store: Store,
    request: OrderRequest,
    now: datetime,
    credentials: Credentials | None = None,
) -> OrderResult:
    """Take a service order (业务受理): accept it on the line, record it and its effect.

    A request id already used for the same request returns that order (`repeated`), once the
    channel's proof of identity holds again: a front-end can retry safely. Closing a line
    withdraws its open orders and issues its final bill.

    Raises:
        NotFound: unknown number.
        Conflict: the request id was used for a different request, or an order step of the
            line is later than `now` (orders are taken in time order).
        OrderRejected: the order cannot be taken (channel, identity, line state, unknown
            product…); nothing was recorded but a failed password attempt.
    """
    now = as_instant(now)
    credentials = credentials or Credentials()
    with store.transaction():
        line = get_line(store, request.msisdn)
        request = attrs.evolve(request, msisdn=line.msisdn)
        _complete_due(store, now, line.msisdn)
        known = store.order_for_request(request.request_id)
        if known is None:
            outcome = _take(store, request, line, now, credentials)
        elif known.request != request:
            raise Conflict(
                "request id",
                request.request_id,
                f"already used by order {known.id} ({known.type} for {known.msisdn})",
            )
        else:
            checked, problem = identity_problem(request, credentials, line, now)
            if checked != line:
                checked = store.update_subscriber(checked)
            outcome = (
                attrs.evolve(known, reason=problem)
                if problem
                else OrderResult(known, checked, repeated=True)
            )
    if isinstance(outcome, ServiceOrder):  # rejected: raised once the failure count is kept
        raise OrderRejected(outcome.type.value, outcome.msisdn, outcome.reason)
    return outcome


def _take(
    store: Store,
    request: OrderRequest,
    line: Subscriber,
    now: datetime,
    credentials: Credentials,
) -> OrderResult | ServiceOrder:
    """Accept a new order and record it; a rejected order is returned, not recorded."""
    if line.closed_at is None:  # a closed line is refused by `accept`, in its own words
        _check_time_order(store, line.msisdn, now)
    catalog = load_catalog(store)
    if request.type is OrderType.CLUB_SERVICE:
        from unicom_cs.channels import check_club_request  # the club's services use this module

        check_club_request(store, request, line, now, catalog)
    order_id = f"ORD-{store.order_count() + 1:06d}"
    acceptance = accept(request, order_id, line, catalog, now, credentials)
    closed = line
    if acceptance.line != line:
        closed = store.update_subscriber(acceptance.line)
    if not acceptance.accepted:
        return acceptance.order
    store.add_order(acceptance.order)
    for event in acceptance.events:  # the core's events, published as it made them
        store.add_event(event)
    last = closed.last_billed_month
    if request.type is not OrderType.CLOSE or last is None:
        return OrderResult(acceptance.order, closed)
    cancelled = []
    for open_order in store.orders(closed.msisdn, OPEN):
        if open_order.id != order_id:
            gone = transition(
                open_order,
                OrderState.CANCELLED,
                now,
                SYSTEM,
                request.channel,
                f"line closed by {order_id}",
            )
            cancelled.append(_record(store, gone))
    bills: tuple[Bill, ...] = ()
    if last >= closed.first_billed_month:  # closed the instant it opened: nothing to bill
        result = _issue_line(store, closed.msisdn, last, catalog, now)
        bills = (*result.earlier, result.bill) if result.bill is not None else ()
    return OrderResult(acceptance.order, closed, final_bills=bills, cancelled=tuple(cancelled))


def _check_time_order(store: Store, msisdn: str, now: datetime) -> None:
    """Orders are taken in time order: none may come before the line's latest order step, or
    in a period already billed (an issued bill always reproduces)."""
    issued = [m for _, m in store.issued_months([msisdn])]
    if issued and now < max(issued).end:
        raise Conflict(
            "line",
            msisdn,
            f"is billed up to {max(issued)}: an order cannot take effect in a closed period",
        )
    latest = max(
        (o.transitions[-1] for o in store.orders(msisdn)), key=lambda t: t.at, default=None
    )
    if latest is not None and now < latest.at:
        raise Conflict(
            "line",
            msisdn,
            f"has an order step at {latest.at.isoformat(timespec='minutes')}, after "
            f"{now.isoformat(timespec='minutes')}: orders are taken in time order",
        )


def withdraw_order(
    store: Store,
    order_id: str,
    now: datetime,
    *,
    by: str = "",
    channel: Channel = Channel.HOTLINE,
    reason: str = "withdrawn by the customer",
) -> ServiceOrder:
    """Cancel an order that has not taken effect (a pending package change, a next-month
    pack…), taking its scheduled change off the line.

    Raises:
        NotFound: unknown order.
        Conflict: the order is final or has taken effect (naming its state and the step).
    """
    now = as_instant(now)
    with store.transaction():
        order = store.get_order(order_id.strip().upper())  # as stored: `withdraw` says if it
        if order is None:  # has taken effect since
            raise NotFound("order", order_id)
        line = get_line(store, order.msisdn)
        by = by or DEFAULT_BY[channel]
        cancelled, line, _ = withdraw(order, line, now, by, channel, reason, load_catalog(store))
        store.update_subscriber(line)
        cancelled = _record(store, cancelled)
    return cancelled


def get_order(store: Store, order_id: str, now: datetime) -> ServiceOrder:
    """An order, with its state as of `now` (a due pending order is completed first).

    Raises:
        NotFound: unknown order.
    """
    with store.transaction():
        order = store.get_order(order_id.strip().upper())
        if order is None:
            raise NotFound("order", order_id)
        for done in _complete_due(store, as_instant(now), order.msisdn):
            if done.id == order.id:
                return done
    return order


def list_orders(
    store: Store,
    now: datetime,
    msisdn: str | None = None,
    states: Sequence[OrderState] | None = None,
) -> list[ServiceOrder]:
    """Orders in submission order (of one line, in some states), as of `now`."""
    with store.transaction():
        number = get_line(store, msisdn).msisdn if msisdn is not None else None
        _complete_due(store, as_instant(now), number)
        return store.orders(number, set(states) if states else None)


def process_due_orders(store: Store, now: datetime) -> list[ServiceOrder]:
    """Complete every pending order whose effective time has come (a scheduler calls this at
    00:00 on the 1st; reads of orders also catch up)."""
    with store.transaction():
        return _complete_due(store, as_instant(now))


def verify_password(store: Store, msisdn: str, password: str | None, now: datetime) -> Subscriber:
    """Check a line's service password (a web or IVR login); a failure is recorded, and the
    `identity.MAX_FAILURES`th in a row locks the password.

    Raises:
        NotFound: unknown number.
        AccessDenied: wrong, missing, unset or locked password.
    """
    with store.transaction():
        line = get_line(store, msisdn)
        check = _check_password(line, password, as_instant(now))
        checked = check.line
        if checked != line:
            checked = store.update_subscriber(checked)
    if not check.ok:
        raise AccessDenied(line.msisdn, check.problem)
    return checked


# ---------------------------------------------------------------- history


@attrs.frozen
class HistoryItem:
    at: datetime
    kind: str  # line, order, bill, payment, recharge
    ref: str
    text: str


_HISTORY_RANK = {
    "line": 0,
    "order": 1,
    "complaint": 2,
    "bill": 3,
    "payment": 4,
    "recharge": 4,
    "credit": 4,
}


def history(store: Store, msisdn: str, now: datetime) -> list[HistoryItem]:
    """A line's audit trail in time order as of `now`: its opening, every step of every order
    (who, when, which channel, why; due orders completed first) and of every complaint, its
    issued bills, and the payments to its account. At one instant: orders, then complaints,
    then bills; steps the system took as a consequence (orders cancelled by a closure) after
    the step that caused them."""
    line = get_line(store, msisdn)
    process_due_orders(store, now)
    items = [
        HistoryItem(
            line.active_from,
            "line",
            line.msisdn,
            f"opened on {line.plan_id}, account {line.account_id}",
        )
    ]
    for order in store.orders(line.msisdn):
        for step in order.transitions:
            why = f": {step.reason}" if step.reason else ""
            what = order.summary or order.request.product or order.type.value
            items.append(
                HistoryItem(
                    step.at,
                    "order",
                    order.id,
                    f"{order.type} {step.state}{why} — {what} (via {step.channel}, by {step.by})",
                )
            )
    for ticket in store.tickets(line.msisdn):
        for tstep in ticket.steps:
            why = f": {tstep.reason}" if tstep.reason else ""
            items.append(
                HistoryItem(
                    tstep.at,
                    "complaint",
                    ticket.id,
                    f"{ticket.category} {tstep.state}{why} (by {tstep.by}, "
                    f"assignee {tstep.assignee}, owner {ticket.owner})",
                )
            )
    for bill in store.bills(line.account_id):
        if bill.msisdn == line.msisdn and bill.issued_at is not None:
            kind = "final bill" if bill.final else "bill"
            items.append(
                HistoryItem(
                    bill.issued_at,
                    "bill",
                    bill.id,
                    f"{kind} {bill.month} issued: {bill.total} yuan, due by {bill.due_date}",
                )
            )
    for entry in store.entries(line.account_id):
        if entry.kind in (EntryKind.PAYMENT, EntryKind.RECHARGE, EntryKind.CREDIT):
            items.append(
                HistoryItem(
                    entry.at,
                    entry.kind.value,
                    entry.id,
                    f"{entry.amount} yuan to account {entry.account_id}"
                    + (f" via {entry.ref}" if entry.ref else ""),
                )
            )
    return sorted(
        items, key=lambda i: (i.at, _HISTORY_RANK[i.kind], i.text.endswith(f"by {SYSTEM})"))
    )
