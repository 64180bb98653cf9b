"""Bills: a month's charges for one line, rounded line by line, with the words that explain them.

Composition (`compose_bill`): rate the month's usage under the month's terms; if the plan
auto-upgrades (3G data cards, tariff rules §3) and the fee plus usage reaches the next tier's
fee, rate the month again under that tier, and again while it keeps reaching; round each line
half-up to the fen (rule LINE, `money.round_line`); the total is the sum of the rounded lines.

A bill is issued once per line and month (`bill run`); until then the same composition gives the
charges so far (`as_of`). A bill for month M is due at the end of month M+1 (`due_at`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Final

import attrs

from unicom_cs.catalog import Catalog, Plan
from unicom_cs.errors import Conflict, InvariantBroken
from unicom_cs.money import CURRENCY, ZERO, Money, lines_add_up, prorate_fee, round_line, total
from unicom_cs.period import CST, SHANGHAI, Month, as_instant
from unicom_cs.rating import (
    LINE_ORDER,
    Charge,
    LineCode,
    RatedRecord,
    Rating,
    Remaining,
    Terms,
    rate_usage,
    unrated,
)
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import UsageRecord


@attrs.frozen
class Adjustment:
    """A credit (negative) or debit (positive) posted to a line's month by customer care."""

    id: str
    msisdn: str
    month: Month
    amount: Money
    reason: str


@attrs.frozen
class BillLine:
    code: LineCode
    label: str
    amount: Money  # rounded half-up to the fen
    exact: Money  # before rounding
    explanation: str

    @classmethod
    def from_charge(cls, charge: Charge) -> BillLine:
        return cls(
            charge.code, charge.label, round_line(charge.amount), charge.amount, charge.explanation
        )


@attrs.frozen
class Bill:
    """One line's bill for one month. Its lines always add up to its total."""

    msisdn: str
    account_id: str
    month: Month
    plan_id: str
    lines: tuple[BillLine, ...]
    total: Money = attrs.field(validator=lines_add_up("bill"))
    as_of: datetime  # charges up to this instant (the period's end for a whole month)
    carry_out_bytes: int = 0
    issued_at: datetime | None = None
    currency: str = CURRENCY
    final: bool = False  # the last bill of a closed line: its period ends at the closure

    @property
    def id(self) -> str:
        return bill_id(self.msisdn, self.month)

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None

    @property
    def due_at(self) -> datetime:
        """The end of the month after the period, or, for a bill issued late (by a catch-up
        run), the end of the `PAYMENT_DAYS`th day after its issue day if that is later."""
        due = due_at(self.month)
        if self.issued_at is None:
            return due
        last_day = self.issued_at.astimezone(SHANGHAI).date() + timedelta(days=PAYMENT_DAYS)
        return max(due, datetime.combine(last_day + timedelta(days=1), time(), SHANGHAI))

    @property
    def due_date(self) -> date:
        """The last day to pay, in Beijing (the day before `due_at`)."""
        return (self.due_at - timedelta(days=1)).astimezone(SHANGHAI).date()


def bill_id(msisdn: str, month: Month) -> str:
    return f"{msisdn}-{month.key}"


# The least time, in days after issue, a customer has to pay a bill (the library's choice: the
# published rules only say a month's bill is paid in the next month).
PAYMENT_DAYS: Final = 15


def due_at(month: Month) -> datetime:
    """A bill is due at the end of the month after its period (00:00 on the 1st after that)."""
    return month.next().end


def month_terms(
    sub: Subscriber,
    month: Month,
    catalog: Catalog,
    carry_in_bytes: int = 0,
    plan: Plan | None = None,
) -> Terms:
    """The terms `sub` is billed on in `month`: the plan in force that month (package changes
    take effect on the 1st), its first-month option and packs; or, for a month without a day
    in service (suspended throughout, 停机保号), the catalog's number-retention fee."""
    plan = plan or catalog.plan(sub.plan_on(month))
    if sub.statuses and not any(sub.in_service_days(month)):
        fee = catalog.retention_fee if catalog.retention_fee is not None else ZERO
        return Terms.retention(plan, fee, carry_in_bytes)
    packs = tuple(catalog.pack(p) for p in sub.packs_for(month))
    terms = Terms.of(plan, sub.option_for(month), packs, carry_in_bytes)
    reopens = tuple(t for t in sub.data_reopens if month.start <= t < month.end)
    return attrs.evolve(terms, data_reopens=reopens) if reopens else terms


def service_charges(
    sub: Subscriber, month: Month, catalog: Catalog, until: datetime | None = None
) -> list[Charge]:
    """One line per value-added service the line had in `month`: its monthly fee for the days
    it was open while the line was in service (the days begun before `until`: charges so
    far); part of a month is rounding rule PRORATE (fee × days ÷ days in the month, rounded
    down to the fen). A service the month's plan includes (4G: caller ID) costs nothing."""
    out = []
    month_days = (month.end.date() - month.first_day).days
    included = catalog.plan(sub.plan_on(month)).included_services
    for code in sorted({p.code for p in sub.services} - included):
        days = sub.service_days(code, month, until)
        if not days:
            continue
        svc = catalog.service(code)
        if days == month_days:
            amount, how = svc.monthly_fee, f"{svc.monthly_fee} a month, the whole month"
        else:
            amount = prorate_fee(svc.monthly_fee, days, month_days)
            how = (
                f"{svc.monthly_fee} a month × {days}/{month_days} days open, "
                f"rounded down to the fen = {amount}"
            )
        name = f"{svc.name} ({svc.name_zh})" if svc.name_zh else svc.name
        out.append(Charge(LineCode.SERVICE, f"{svc.name}", amount, f"{name}: {how}"))
    return out


# What counts towards an auto-upgrade: "the monthly fee plus overage" of a data-card tier
# (tariff rules §3): its fee and its data overage. An upgrade buys more data, so it is the data
# overage it replaces; other charges (messages, roaming, packs) would be paid on either tier.
UPGRADE_BASIS: Final = frozenset({LineCode.MONTHLY_FEE, LineCode.DATA, LineCode.DATA_CAP})


def _rate_with_upgrades(
    records: list[UsageRecord], terms: Terms, catalog: Catalog
) -> tuple[Rating, tuple[str, ...]]:
    rating = rate_usage(records, terms, catalog)
    path: list[str] = []
    seen = {terms.plan.id}
    while (
        not terms.retained
        and terms.plan.upgrade_to is not None
        and terms.plan.upgrade_to not in seen
    ):
        spent = total(round_line(c.amount) for c in rating.charges if c.code in UPGRADE_BASIS)
        nxt = attrs.evolve(
            Terms.of(
                catalog.plan(terms.plan.upgrade_to), terms.option, terms.packs, terms.carry_in_bytes
            ),
            data_reopens=terms.data_reopens,
        )
        if spent < nxt.fee:
            break
        seen.add(nxt.plan.id)
        path.append(f"{terms.plan.id} (fee and overage {spent} reached {nxt.fee})")
        terms = nxt
        rating = rate_usage(records, terms, catalog)
    return rating, tuple(path)


@attrs.frozen
class Composition:
    """A month composed: the bill, each record rated, and the included units left."""

    bill: Bill
    rated: tuple[RatedRecord, ...]
    left: Remaining


def compose_bill(
    sub: Subscriber,
    month: Month,
    records: Iterable[UsageRecord],
    catalog: Catalog,
    *,
    carry_in_bytes: int = 0,
    adjustments: Iterable[Adjustment] = (),
    as_of: datetime | None = None,
) -> tuple[Bill, tuple[RatedRecord, ...]]:
    """Compose `sub`'s bill for `month` from its usage: `compose_month` without the units
    left."""
    c = compose_month(
        sub,
        month,
        records,
        catalog,
        carry_in_bytes=carry_in_bytes,
        adjustments=adjustments,
        as_of=as_of,
    )
    return c.bill, c.rated


def compose_month(
    sub: Subscriber,
    month: Month,
    records: Iterable[UsageRecord],
    catalog: Catalog,
    *,
    carry_in_bytes: int = 0,
    adjustments: Iterable[Adjustment] = (),
    as_of: datetime | None = None,
) -> Composition:
    """Compose `sub`'s bill for `month` from its usage.

    Args:
        sub: the line.
        month: the billing period.
        records: usage records; those of other lines or outside the period (or after
            `as_of`) are ignored.
        catalog: plans, packs, roaming zones.
        carry_in_bytes: unused data carried in from the previous month (`carry_out_bytes` of
            that month's bill).
        adjustments: credits and debits agreed for this line and month.
        as_of: compose the charges so far up to this instant (the current month); defaults to
            the period's end.

    Returns:
        The bill (not issued), each record rated, and the included units left.

    Raises:
        Conflict: the line was not active in `month`.
    """
    if month < sub.first_billed_month:
        raise Conflict("line", sub.msisdn, f"not active in {month} (activated {sub.activated})")
    last, closed_at = sub.last_billed_month, sub.closed_at
    if last is not None and month > last:
        raise Conflict("line", sub.msisdn, f"closed in {last}: no bill after its final bill")
    end = month.end if as_of is None else min(month.end, as_instant(as_of))
    final = closed_at is not None and month == last
    if final and closed_at is not None:
        end = min(end, closed_at)
    # Bounds in fixed +08:00, like stored instants: comparing same-zone instants is cheap.
    start, end = month.start.astimezone(CST), end.astimezone(CST)
    mine = [r for r in records if r.msisdn == sub.msisdn and start <= r.start < end]
    blocked: list[RatedRecord] = []
    if sub.statuses or sub.roaming:
        allowed = []
        for rec in mine:
            why = sub.blocked_because(rec)
            if why:
                blocked.append(unrated(rec, why))
            else:
                allowed.append(rec)
        mine = allowed
    rating, upgraded = _rate_with_upgrades(
        mine, month_terms(sub, month, catalog, carry_in_bytes), catalog
    )
    charges = list(rating.charges)
    if sub.services:
        charges.extend(service_charges(sub, month, catalog, end))
    if upgraded:
        fee = charges[0]
        charges[0] = attrs.evolve(
            fee,
            explanation=f"{fee.explanation}. Auto-upgraded from "
            + "; then from ".join(upgraded)
            + f": the month is billed as {rating.terms.plan.id}",
        )
    for adj in adjustments:
        if adj.msisdn == sub.msisdn and adj.month == month:
            charges.append(
                Charge(
                    LineCode.ADJUSTMENT,
                    f"Adjustment {adj.id}",
                    adj.amount,
                    f"Adjustment {adj.id}: {adj.amount} ({adj.reason})",
                )
            )
    lines = tuple(
        BillLine.from_charge(c) for c in sorted(charges, key=lambda c: LINE_ORDER[c.code])
    )
    bill = Bill(
        msisdn=sub.msisdn,
        account_id=sub.account_id,
        month=month,
        plan_id=rating.terms.plan.id,
        lines=lines,
        total=total(line.amount for line in lines),
        as_of=end,
        carry_out_bytes=rating.carry_out_bytes,
        final=final,
    )
    rated = rating.records
    if blocked:
        rated = tuple(sorted((*rated, *blocked), key=lambda r: (r.record.start, r.record.id)))
    return Composition(bill, rated, rating.left)


def issue(bill: Bill, now: datetime) -> Bill:
    """The bill, issued (TMF678 new → sent) at `now`.

    Raises:
        Conflict: already issued, or the period has not ended yet.
    """
    if bill.issued_at is not None:
        raise Conflict("bill", bill.id, f"already issued at {bill.issued_at.isoformat()}")
    if bill.final:  # a closed line's last bill, issued at the closure
        if as_instant(now) < bill.as_of:
            raise Conflict("bill", bill.id, "the line has not closed yet")
        return attrs.evolve(bill, issued_at=as_instant(now))
    if as_instant(now) < bill.month.end:
        raise Conflict("bill", bill.id, f"{bill.month} has not ended yet")
    if bill.as_of != bill.month.end:
        raise Conflict("bill", bill.id, "composed for part of the month only")
    return attrs.evolve(bill, issued_at=as_instant(now))


def check_invariants(bill: Bill) -> None:
    """The rules every bill keeps, checked one by one (the stateful tests call this).

    Raises:
        InvariantBroken: naming the first rule the bill breaks.
    """
    rules = (
        (bill.total == total(line.amount for line in bill.lines), "lines add up to the total"),
        (
            all(line.amount == round_line(line.exact) for line in bill.lines),
            "each line is its exact amount rounded half-up to the fen",
        ),
        (
            bool(bill.lines) and bill.lines[0].code is LineCode.MONTHLY_FEE,
            "the monthly fee is the first line",
        ),
        (
            [LINE_ORDER[x.code] for x in bill.lines]
            == sorted(LINE_ORDER[x.code] for x in bill.lines),
            "lines are in bill order",
        ),
        (bill.carry_out_bytes >= 0, "carried-out data is not negative"),
        (
            bill.issued_at is None
            or bill.issued_at >= (bill.as_of if bill.final else bill.month.end),
            "issued only after its period (a final bill: after the line's closure)",
        ),
        (bill.as_of <= bill.month.end, "charges end within the period"),
    )
    for kept, rule in rules:
        if not kept:
            raise InvariantBroken("bill", bill.id, rule)


def explain(bill: Bill) -> tuple[str, ...]:
    """Each line's explanation, in words an agent can read to the customer, then the total."""
    out = [
        f"{line.label}: {line.amount}. {line.explanation}"
        + (
            f" (exact {line.exact}, rounded half-up to the fen)"
            if line.exact != line.amount
            else ""
        )
        for line in bill.lines
    ]
    out.append(
        f"Total {bill.total} {bill.currency}: the sum of the lines, each rounded to the fen."
    )
    return tuple(out)
