"""Contacts (TMF683 party interactions): each call, message or chat the center handled.

A contact is offered to a queue, answered by the IVR or an agent (or abandoned), and ends; it
may be linked to a ticket and names its topic, so that a repeat contact on the same topic can
be found (first-contact resolution). The KPIs (`kpi`) are computed from these records alone.

Contacts arrive as a call-center log, a CSV file with a header naming ``id,channel,queue,
offered_at,answered_at,ended_at,answered_by,agent,abandoned,msisdn,ticket_id,topic`` (any
order). `parse_contacts` checks every row (`check_contact`: offered ≤ answered ≤ ended, an
abandoned contact was never answered, an agent's answer names the agent…) and returns the good
records and one `RowError` per bad row, as `usage.parse_cdrs` does for CDRs; `format_contacts`
writes the same format.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

import attrs

from unicom_cs.complaints import ContactChannel
from unicom_cs.errors import InvalidValue, RowError
from unicom_cs.number import usage_number
from unicom_cs.period import parse_instant
from unicom_cs.usage import quote_cell, read_csv


class AnsweredBy(enum.StrEnum):
    IVR = "ivr"
    AGENT = "agent"
    NONE = ""  # abandoned, or not answered


@attrs.frozen
class ContactRecord:
    id: str
    channel: str  # phone, sms, web, email… (complaints.ContactChannel values, or "chat")
    queue: str  # consultation, business, complaint, roaming, club…
    offered_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    answered_by: AnsweredBy = AnsweredBy.NONE
    agent: str = ""
    abandoned: bool = False
    msisdn: str = ""
    ticket_id: str = ""
    topic: str = ""  # what it was about, for repeat-contact detection

    @property
    def wait(self) -> timedelta | None:
        """Time to answer (None if never answered)."""
        return None if self.answered_at is None else self.answered_at - self.offered_at

    @property
    def handle_time(self) -> timedelta | None:
        """Answered to ended (None if not both)."""
        if self.answered_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.answered_at


# ------------------------------------------------------------------ the call-center log (CSV)

#: The columns of a contact log, in the order `format_contacts` writes them.
COLUMNS: Final = (
    "id",
    "channel",
    "queue",
    "offered_at",
    "answered_at",
    "ended_at",
    "answered_by",
    "agent",
    "abandoned",
    "msisdn",
    "ticket_id",
    "topic",
)
#: Where contacts come from: the complaint channels, and web chat.
CHANNELS: Final = (*(c.value for c in ContactChannel), "chat")
#: The longest a contact may last from offer to end (an e-mail thread answered days later).
MAX_SPAN: Final = timedelta(days=7)
_ANSWERED_BY: Final = {a.value: a for a in AnsweredBy}
_FLAGS: Final = {"true": True, "1": True, "false": False, "0": False, "": False}
_QUEUE = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")


def _instant(column: str, text: str, required: bool) -> datetime | None:
    if not text.strip():
        if required:
            raise InvalidValue(column, text, "missing")
        return None
    try:
        return parse_instant(text)
    except InvalidValue as e:
        raise InvalidValue(column, text, e.reason) from None


def check_contact(r: ContactRecord) -> ContactRecord:
    """The rules every contact keeps, checked in this order; the record when it keeps them.

    offered ≤ answered ≤ ended, and ended within `MAX_SPAN` of offered; answered_at is set
    exactly when answered_by is; an abandoned contact was never answered; a contact answered by
    an agent names the agent, and only such a contact names one.

    Raises:
        InvalidValue: the first rule broken, naming the column.
    """
    answered = r.answered_by is not AnsweredBy.NONE
    if answered and r.answered_at is None:
        raise InvalidValue("answered_at", "", f"missing: answered_by is {r.answered_by.value}")
    if r.answered_at is not None and not answered:
        raise InvalidValue("answered_by", "", "missing: answered_at is set (expected ivr or agent)")
    if r.answered_at is not None and r.answered_at < r.offered_at:
        raise InvalidValue(
            "answered_at",
            r.answered_at.isoformat(),
            f"before offered_at {r.offered_at.isoformat()}",
        )
    if r.ended_at is not None:
        first = r.answered_at or r.offered_at
        if r.ended_at < first:
            which = "answered_at" if r.answered_at is not None else "offered_at"
            raise InvalidValue(
                "ended_at", r.ended_at.isoformat(), f"before {which} {first.isoformat()}"
            )
        if r.ended_at - r.offered_at > MAX_SPAN:
            raise InvalidValue(
                "ended_at", r.ended_at.isoformat(), "more than 7 days after offered_at"
            )
    if r.abandoned and answered:
        raise InvalidValue(
            "abandoned",
            "true",
            f"the contact was answered by {r.answered_by.value}: "
            "an abandoned contact is one the customer left before any answer",
        )
    if r.answered_by is AnsweredBy.AGENT and not r.agent:
        raise InvalidValue("agent", "", "missing: the contact was answered by an agent")
    if r.agent and r.answered_by is not AnsweredBy.AGENT:
        how = "by the IVR" if r.answered_by is AnsweredBy.IVR else "by nobody"
        raise InvalidValue("agent", r.agent, f"named, but the contact was answered {how}")
    return r


def parse_contact_row(cells: Sequence[str]) -> ContactRecord:
    """One CSV row, its cells in `COLUMNS` order, as a checked record.

    Raises:
        InvalidValue: the first problem found in the row, naming its column.
    """
    (rid, channel, queue, offered, answered, ended, by, agent, abandoned, msisdn, ticket, topic) = (
        cells
    )
    rid = rid.strip()
    if not rid:
        raise InvalidValue("id", rid, "missing")
    chan = channel.strip().lower()
    if chan not in CHANNELS:
        raise InvalidValue("channel", channel, "expected " + ", ".join(CHANNELS))
    q = queue.strip().lower()
    if not _QUEUE.match(q):
        reason = "missing" if not q else "expected a name of letters, digits, '-', '_' or '.'"
        raise InvalidValue("queue", queue, reason)
    answered_by = _ANSWERED_BY.get(by.strip().lower())
    if answered_by is None:
        raise InvalidValue("answered_by", by, "expected ivr, agent or empty")
    flag = _FLAGS.get(abandoned.strip().lower())
    if flag is None:
        raise InvalidValue("abandoned", abandoned, "expected true, false, 1, 0 or empty")
    number = ""
    if msisdn.strip():
        try:
            number = usage_number(msisdn)
        except InvalidValue as e:
            raise InvalidValue("msisdn", msisdn, e.reason) from None
    offered_at = _instant("offered_at", offered, required=True)
    assert offered_at is not None
    return check_contact(
        ContactRecord(
            id=rid,
            channel=chan,
            queue=q,
            offered_at=offered_at,
            answered_at=_instant("answered_at", answered, required=False),
            ended_at=_instant("ended_at", ended, required=True),
            answered_by=answered_by,
            agent=agent.strip(),
            abandoned=flag,
            msisdn=number,
            ticket_id=ticket.strip().upper(),
            topic=topic.strip(),
        )
    )


@attrs.frozen
class ParsedContacts:
    """What a contact log held: good records (first occurrence of each id) and bad rows."""

    records: tuple[ContactRecord, ...]
    errors: tuple[RowError, ...]
    rows: int  # data rows read, good and bad
    lines: tuple[int, ...] = ()  # the line each record was read from
    duplicates: int = 0  # rows that repeat an earlier row of the file exactly
    source: str = "<contacts>"

    def where(self, i: int) -> str:
        return f"{self.source}:{self.lines[i]}" if self.lines else f"{self.source}:#{i + 1}"


def parse_contacts(data: bytes, source: str = "<contacts>") -> ParsedContacts:
    """Parse a call-center log: CSV with a header naming `COLUMNS` (any order, any case;
    extra columns ignored), times ISO 8601 (naive = Beijing time), one contact per line.

    Args:
        data: the file's content (UTF-8, with a header row).
        source: the file's name, used in every error as ``source:line``.

    Returns:
        The good records in file order, and one error per bad row naming its line and column
        (the rules: `parse_contact_row`, `check_contact`). A row whose id repeats an earlier
        row's with the same content is dropped; with other content it is an error.
    """
    records, errors, rows, lines, duplicates = read_csv(data, source, COLUMNS, parse_contact_row)
    return ParsedContacts(records, errors, rows, lines, duplicates, source)


def _time(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def format_contact_row(r: ContactRecord) -> str:
    """One record as a contact-log CSV row (without the line end)."""
    cells = [
        r.id,
        r.channel,
        r.queue,
        _time(r.offered_at),
        _time(r.answered_at),
        _time(r.ended_at),
        r.answered_by.value,
        r.agent,
        "true" if r.abandoned else "false",
        r.msisdn,
        r.ticket_id,
        r.topic,
    ]
    return ",".join(quote_cell(c) for c in cells)


def format_contacts(records: Iterable[ContactRecord]) -> str:
    """Records as contact-log CSV text (the inverse of `parse_contacts`), times in ISO 8601
    with their offset."""
    return "\n".join([",".join(COLUMNS), *(format_contact_row(r) for r in records)]) + "\n"
