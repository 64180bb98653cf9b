"""Contact-log import and the KPI report: use cases on a `Store`, like `service`.

`import_contacts` follows `service.import_usage`'s rules for a batch: one transaction, a file
with bad rows rejected whole (`BatchRejected`) unless `skip_bad`, a row already stored with the
same content skipped (importing a log twice changes nothing), the same id with other content
an error. `kpi_report` reads the period's records and computes `kpi.report`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from unicom_cs import kpi
from unicom_cs.care import policies
from unicom_cs.contacts import ContactRecord, ParsedContacts, format_contact_row
from unicom_cs.errors import BatchRejected, InvalidValue, RowError
from unicom_cs.period import SHANGHAI, as_instant
from unicom_cs.ports import Store
from unicom_cs.service import ImportReport

#: What a contact-log import did: the same counts as a CDR import (`service.ImportReport`).
ContactImportReport = ImportReport


def import_contacts(
    store: Store, parsed: ParsedContacts, *, skip_bad: bool = False
) -> ContactImportReport:
    """Import a parsed contact log, checking it against the store.

    Beyond the file's own problems (`contacts.parse_contacts`), a row is bad if its id is
    already stored with other content, or it links a ticket the store does not hold. A row
    already stored with the same content is skipped. The caller's number is not looked up:
    anyone may call the center.

    Args:
        parsed: `contacts.parse_contacts` of the file.
        skip_bad: import the good rows and report the bad; otherwise any bad row rejects the
            whole file.

    Raises:
        BatchRejected: bad rows and not `skip_bad` (or no rows at all); nothing was imported.
    """
    errors = list(parsed.errors)
    fresh: list[ContactRecord] = []
    already = 0
    with store.transaction():
        stored = store.contacts_by_ids([r.id for r in parsed.records])
        known: dict[str, bool] = {}
        for i, rec in enumerate(parsed.records):
            reason = ""
            old = stored.get(rec.id)
            if old is not None:
                if old == rec:
                    already += 1
                    continue
                reason = f"id {rec.id!r} is already stored with other content"
            elif rec.ticket_id:
                if rec.ticket_id not in known:
                    known[rec.ticket_id] = store.get_ticket(rec.ticket_id) is not None
                if not known[rec.ticket_id]:
                    reason = f"unknown ticket {rec.ticket_id}"
            if reason:
                errors.append(RowError(parsed.where(i), reason, format_contact_row(rec)))
            else:
                fresh.append(rec)
        errors.sort(key=lambda e: int(e.where.rsplit(":", 1)[1].lstrip("#")))
        if errors and (not skip_bad or parsed.rows == 0):  # no rows: not a contact log at all
            raise BatchRejected(parsed.source, tuple(errors))
        store.add_contacts(fresh)
    return ContactImportReport(
        parsed.source, parsed.rows, len(fresh), already, parsed.duplicates, tuple(errors)
    )


def kpi_report(
    store: Store,
    start: date,
    end: date,
    by: str,
    now: datetime,
    *,
    answer_within_s: int = kpi.ANSWER_WITHIN_S,
    service_level_target: Decimal = kpi.SERVICE_LEVEL_TARGET,
) -> kpi.KpiReport:
    """The KPIs of the days [start, end) in Beijing time, by day or week, as of `now`.

    Reads the contacts offered from `start` to 7 days after `end` (the later ones only to find
    repeat contacts), every ticket and task, and the center's SLA policy (`care.policies`).

    Raises:
        InvalidValue: see `kpi.report`.
    """
    now = as_instant(now)
    for day in (start, end):
        if not 1970 <= day.year <= 9000:
            raise InvalidValue("report date", day.isoformat(), "outside 1970 to 9000")
    first = datetime.combine(start, datetime.min.time(), SHANGHAI)
    last = datetime.combine(end, datetime.min.time(), SHANGHAI) + kpi.REPEAT_WINDOW
    return kpi.report(
        store.contacts(first, last) if end > start else [],
        store.tickets(),
        store.tasks(),
        start,
        end,
        by,
        now=now,
        answer_within_s=answer_within_s,
        service_level_target=service_level_target,
        policies=policies(store),
    )


__all__ = ["ContactImportReport", "import_contacts", "kpi_report"]
