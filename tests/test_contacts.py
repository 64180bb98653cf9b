"""Contact logs: good rows become records, each bad row one error naming `source:line` and the
column; the import keeps the CDR import's rules (rejected whole, re-import a no-op)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import care
from unicom_cs.care_contacts import import_contacts
from unicom_cs.complaints import Category
from unicom_cs.contacts import (
    CHANNELS,
    COLUMNS,
    AnsweredBy,
    ContactRecord,
    check_contact,
    format_contacts,
    parse_contacts,
)
from unicom_cs.errors import BatchRejected, InvalidValue
from unicom_cs.period import SHANGHAI
from unicom_cs.ports import Store

HEADER = ",".join(COLUMNS)
GOOD = [
    # answered by an agent after 10 s, 3 minutes' talk
    "k1,phone,consultation,2026-10-05T09:00:00,2026-10-05T09:00:10,2026-10-05T09:03:10,"
    "agent,A01,false,18612345678,,balance",
    # abandoned after 30 s; channel, queue and flags in any case
    "k2,Phone,Business,2026-10-05T09:10:00,,2026-10-05T09:10:30,,,TRUE,+86 186 1234 5679,,plan",
    # self-service in the IVR
    "k3,chat,consultation,2026-10-05T01:00:00Z,2026-10-05T01:00:01Z,2026-10-05T01:01:00Z,IVR,,0,,,",
    # ended by the system without an answer; flag empty = false
    "k4,sms,complaint,2026-10-05T10:00:00,,2026-10-05T10:05:00,,,,010-6234-5678,cmp-000001,bill",
]


def log(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def at(d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(2026, 10, d, h, mi, s, tzinfo=SHANGHAI)


def test_good_rows_become_checked_records_in_file_order() -> None:
    parsed = parse_contacts(log(*GOOD), "oct.csv")
    assert parsed.errors == ()
    assert (parsed.rows, parsed.lines) == (4, (2, 3, 4, 5))
    k1, k2, k3, k4 = parsed.records
    assert k1 == ContactRecord(
        "k1",
        "phone",
        "consultation",
        at(5, 9),
        at(5, 9, 0, 10),
        at(5, 9, 3, 10),
        AnsweredBy.AGENT,
        "A01",
        False,
        "18612345678",
        "",
        "balance",
    )
    assert k1.wait == timedelta(seconds=10) and k1.handle_time == timedelta(minutes=3)
    assert (k2.channel, k2.queue, k2.abandoned, k2.msisdn) == (
        "phone",
        "business",
        True,
        "18612345679",
    )
    assert k2.answered_by is AnsweredBy.NONE and k2.wait is None
    assert k3.answered_by is AnsweredBy.IVR and k3.offered_at == datetime(
        2026, 10, 5, 1, tzinfo=UTC
    )
    assert (k4.abandoned, k4.msisdn, k4.ticket_id) == (False, "01062345678", "CMP-000001")


def test_a_naive_time_is_beijing_time() -> None:
    (k1,) = parse_contacts(log(GOOD[0])).records
    assert k1.offered_at == datetime(2026, 10, 5, 1, tzinfo=UTC)


def test_columns_may_come_in_any_order_with_extra_columns_and_a_bom() -> None:
    cols = list(reversed(COLUMNS))
    cells = list(reversed(GOOD[0].split(",")))
    data = b"\xef\xbb\xbf" + log(",".join([*cells, "x"]), header=",".join([*cols, "note"]))
    parsed = parse_contacts(data)
    assert parsed.errors == ()
    assert parsed.records == parse_contacts(log(GOOD[0])).records


def row(**change: str) -> str:
    """GOOD[0] with some cells changed."""
    cells = dict(zip(COLUMNS, GOOD[0].split(","), strict=True))
    cells.update(change)
    return ",".join(cells[c] for c in COLUMNS)


UNANSWERED = {"answered_at": "", "answered_by": "", "agent": ""}
ABANDONED = {**UNANSWERED, "abandoned": "true"}
BAD_ROWS = {
    "blank id": (row(id=" "), "invalid id '': missing"),
    "unknown channel": (row(channel="pigeon"), "invalid channel 'pigeon': expected phone, fax"),
    "missing queue": (row(queue=""), "invalid queue '': missing"),
    "bad queue": (row(queue="my queue"), "invalid queue 'my queue': expected a name"),
    "missing offered_at": (row(offered_at=""), "invalid offered_at '': missing"),
    "bad offered_at": (row(offered_at="2026-10-32T09:00"), "invalid offered_at '2026-10-32T09"),
    "offered in year 1900": (row(offered_at="1900-01-01T00:00"), "outside the years 1970"),
    "bad answered_at": (row(answered_at="soon"), "invalid answered_at 'soon': expected ISO"),
    "missing ended_at": (row(ended_at=""), "invalid ended_at '': missing"),
    "bad answered_by": (row(answered_by="robot"), "expected ivr, agent or empty"),
    "bad abandoned": (row(abandoned="yes"), "invalid abandoned 'yes': expected true, false"),
    "bad msisdn": (row(msisdn="12345"), "invalid msisdn '12345': not a valid mobile"),
    "answered_by without answered_at": (
        row(answered_at=""),
        "invalid answered_at '': missing: answered_by is agent",
    ),
    "answered_at without answered_by": (
        row(answered_by="", agent=""),
        "invalid answered_by '': missing: answered_at is set",
    ),
    "answered before offered": (
        row(answered_at="2026-10-05T08:59:59"),
        "answered_at '2026-10-05T08:59:59+08:00': before offered_at",
    ),
    "ended before answered": (
        row(ended_at="2026-10-05T09:00:05"),
        "invalid ended_at '2026-10-05T09:00:05+08:00': before answered_at",
    ),
    "ended before offered": (
        row(**UNANSWERED, ended_at="2026-10-05T08:00:00"),
        "before offered_at",
    ),
    "longer than 7 days": (
        row(ended_at="2026-10-12T09:00:01"),
        "more than 7 days after offered_at",
    ),
    "abandoned but answered": (
        row(abandoned="1"),
        "invalid abandoned 'true': the contact was answered by agent",
    ),
    "agent answer without the agent": (row(agent=""), "invalid agent '': missing: the contact"),
    "agent named on an IVR answer": (
        row(answered_by="ivr"),
        "invalid agent 'A01': named, but the contact was answered by the IVR",
    ),
    "agent named on an abandoned contact": (
        row(**{**ABANDONED, "agent": "A01"}),
        "named, but the contact was answered by nobody",
    ),
    "too few fields": (GOOD[0].rsplit(",", 1)[0], "expected 12 fields, found 11"),
    "too many fields": (GOOD[0] + ",x", "expected 12 fields, found 13"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_each_bad_row_is_one_error_naming_its_line_column_and_reason(case: str) -> None:
    bad, reason = BAD_ROWS[case]
    parsed = parse_contacts(log(GOOD[1], bad, GOOD[2]), "oct.csv")
    assert [r.id for r in parsed.records] == ["k2", "k3"]
    (error,) = parsed.errors
    assert error.where == "oct.csv:3"
    assert reason in error.reason, error.reason
    assert error.text == bad
    assert parsed.rows == 3


def test_every_bad_row_is_reported_in_line_order() -> None:
    bad = [BAD_ROWS[c][0] for c in sorted(BAD_ROWS)]
    parsed = parse_contacts(log(*bad, *GOOD), "oct.csv")
    assert [e.where for e in parsed.errors] == [f"oct.csv:{n}" for n in range(2, 2 + len(bad))]
    assert len(parsed.records) == len(GOOD)


def test_a_quoted_field_across_lines_is_one_bad_row_and_later_lines_keep_their_numbers() -> None:
    parsed = parse_contacts(log(row(topic='"bill\nshock"'), GOOD[1]), "q.csv")
    (error,) = parsed.errors
    assert (error.where, error.reason) == ("q.csv:2", "a quoted field spans several lines")
    assert parsed.lines == (4,)


def test_non_utf8_bytes_are_an_error_on_their_line_only() -> None:
    data = log(GOOD[0], row(id="k9", topic="XX"), GOOD[1]).replace(b"XX", b"\xff\xfe")
    parsed = parse_contacts(data, "latin.csv")
    (error,) = parsed.errors
    assert error.where == "latin.csv:3" and error.reason.startswith("not UTF-8 (byte ")
    assert parsed.rows == 3


def test_an_exact_repeat_is_dropped_and_a_repeated_id_with_other_content_is_an_error() -> None:
    parsed = parse_contacts(log(GOOD[0], GOOD[1], GOOD[0], row(topic="plan")), "r.csv")
    assert [r.id for r in parsed.records] == ["k1", "k2"]
    assert parsed.duplicates == 1
    (error,) = parsed.errors
    assert (error.where, error.reason) == ("r.csv:5", "id 'k1' repeats line 2 with other content")


@pytest.mark.parametrize("data", [b"", b"\n", b"  \n\n"])
def test_an_empty_file_is_one_error_at_line_1(data: bytes) -> None:
    parsed = parse_contacts(data, "empty.csv")
    assert [str(e) for e in parsed.errors] == [
        "empty.csv:1: empty file: expected a header row " + HEADER
    ]


def test_a_header_without_a_required_column_is_one_error() -> None:
    header = HEADER.replace(",topic", "").replace("queue,", "")
    parsed = parse_contacts(log("x", header=header), "h.csv")
    assert [str(e) for e in parsed.errors] == ["h.csv:1: missing column(s): queue, topic"]
    assert parsed.records == ()


def test_check_contact_applies_to_records_built_in_code() -> None:
    good = ContactRecord("c", "phone", "q", at(5, 9), at(5, 9, 1), at(5, 9, 2), AnsweredBy.IVR)
    assert check_contact(good) is good
    with pytest.raises(InvalidValue, match="before offered_at"):
        check_contact(ContactRecord("c", "phone", "q", at(5, 9), ended_at=at(5, 8)))


# ----------------------------------------------------------------------- formatting round trip

TEXT = st.text(st.sampled_from('ab,"中 -'), max_size=8).map(str.strip)


@st.composite
def contacts(draw: st.DrawFn) -> ContactRecord:
    offset = timezone(timedelta(hours=draw(st.integers(-12, 14))))
    offered = draw(
        st.datetimes(datetime(1971, 1, 1), datetime(2100, 1, 1), timezones=st.just(offset))
    )
    kind = draw(st.sampled_from(["agent", "ivr", "abandoned", "unanswered"]))
    wait = timedelta(microseconds=draw(st.integers(0, 10**9)))
    answered = offered + wait if kind in ("agent", "ivr") else None
    ended = (answered or offered) + timedelta(seconds=draw(st.integers(0, 86_400)))
    return check_contact(
        ContactRecord(
            id=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,11}", fullmatch=True)),
            channel=draw(st.sampled_from(CHANNELS)),
            queue=draw(st.sampled_from(["consultation", "business", "club.vip"])),
            offered_at=offered,
            answered_at=answered,
            ended_at=ended,
            answered_by={"agent": AnsweredBy.AGENT, "ivr": AnsweredBy.IVR}.get(
                kind, AnsweredBy.NONE
            ),
            agent=draw(TEXT.filter(bool)) if kind == "agent" else "",
            abandoned=kind == "abandoned",
            msisdn=draw(st.sampled_from(["", "18612345678", "01062345678"])),
            ticket_id=draw(st.sampled_from(["", "CMP-000001"])),
            topic=draw(TEXT),
        )
    )


@given(st.lists(contacts(), max_size=8, unique_by=lambda c: c.id))
def test_formatting_then_parsing_gives_back_the_same_records(
    records: list[ContactRecord],
) -> None:
    parsed = parse_contacts(format_contacts(records).encode(), "round.csv")
    assert parsed.errors == ()
    assert parsed.records == tuple(records)


# ----------------------------------------------------------------------- import into a store


def test_importing_stores_the_records_and_a_second_import_changes_nothing(store: Store) -> None:
    parsed = parse_contacts(log(*GOOD[:3], GOOD[0]), "oct.csv")
    report = import_contacts(store, parsed)
    assert (report.rows, report.imported, report.already_imported, report.repeated) == (4, 3, 0, 1)
    assert store.contacts(at(5, 0), at(6, 0)) == sorted(
        parsed.records, key=lambda c: (c.offered_at, c.id)
    )
    again = import_contacts(store, parsed)
    assert (again.imported, again.already_imported, again.rejected) == (0, 3, ())


def test_a_log_with_bad_rows_is_rejected_whole_and_stores_nothing(store: Store) -> None:
    with pytest.raises(BatchRejected) as e:
        import_contacts(store, parse_contacts(log(GOOD[0], row(id="k5", queue=""), GOOD[1]), "x"))
    assert [str(x) for x in e.value.errors] == ["x:3: invalid queue '': missing"]
    assert "x: 1 bad row(s), nothing imported" in str(e.value)
    assert store.contacts_by_ids(["k1", "k2"]) == {}


def test_skip_bad_imports_the_good_rows_and_reports_the_bad(store: Store) -> None:
    data = log(GOOD[0], row(id="k5", queue=""), GOOD[1])
    report = import_contacts(store, parse_contacts(data, "x"), skip_bad=True)
    assert (report.rows, report.imported, len(report.rejected)) == (3, 2, 1)
    assert set(store.contacts_by_ids(["k1", "k2", "k5"])) == {"k1", "k2"}


def test_the_same_id_with_other_content_than_stored_is_an_error(store: Store) -> None:
    import_contacts(store, parse_contacts(log(GOOD[0])))
    changed = parse_contacts(log(GOOD[1], row(topic="roaming")), "later.csv")
    with pytest.raises(BatchRejected) as e:
        import_contacts(store, changed)
    (error,) = e.value.errors
    assert (error.where, error.reason) == (
        "later.csv:3",
        "id 'k1' is already stored with other content",
    )
    assert error.text.startswith("k1,phone,consultation,2026-10-05T09:00:00+08:00,")
    assert store.contacts_by_ids(["k2"]) == {}
    assert store.contacts_by_ids(["k1"])["k1"].topic == "balance"


def test_a_linked_ticket_must_exist(store: Store) -> None:
    with pytest.raises(BatchRejected, match="x:2: unknown ticket CMP-000001"):
        import_contacts(store, parse_contacts(log(GOOD[3]), "x"))
    ticket = care.file_complaint(store, Category.NETWORK, "no signal at home", "A01", at(5, 9))
    assert ticket.id == "CMP-000001"
    assert import_contacts(store, parse_contacts(log(GOOD[3]), "x")).imported == 1


def test_a_file_without_rows_is_rejected_even_with_skip_bad(store: Store) -> None:
    with pytest.raises(BatchRejected, match="empty file"):
        import_contacts(store, parse_contacts(b"", "e.csv"), skip_bad=True)
