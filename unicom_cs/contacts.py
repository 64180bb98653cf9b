"""Contacts (TMF683 party interactions): each call, message or chat the center handled.

A contact is offered to a queue, answered by the IVR or an agent (or abandoned), and ends; it
may be linked to a ticket and names its topic, so that a repeat contact on the same topic can
be found (first-contact resolution). The KPIs (`kpi`) are computed from these records alone.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs


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
