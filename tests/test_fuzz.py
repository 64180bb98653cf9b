"""Fuzzing the importers and parsers: CDR CSV, catalog TOML, contact CSV and SMS text.

The rule (issue: fuzz the importers): whatever the input, a parser or an import either gives a
result or raises a domain error (a `UnicomError`), never another exception, and an import that
fails writes nothing. No test here catches `Exception`: anything else propagates and fails.

Each input is fuzzed in two flavours:

- arbitrary text or bytes: control characters, NUL, a BOM, CR/LF, quotes, long fields;
- mutations of valid input, built from the library's own strategies (`unicom_cs.testing`) and
  bundled data: rows or lines deleted, repeated or swapped, fields deleted, repeated, swapped or
  copied from another row or column, values replaced, headers changed, the file truncated,
  bytes inserted. These reach the deep checks: the store checks of an import, the catalog's
  cross-references and in-use rules, the SMS orders.

Mutations come in three kinds, one property each: *structural* ones, which rearrange what a
valid file holds (rows, fields, lines, bytes) and put in plausible values; *header* changes
(columns dropped, renamed, repeated, swapped or added); and *hostile values* (huge and negative
numbers, odd dates and offsets, arbitrary text) put into a field of an otherwise valid file,
mostly of the field's own kind so that they get past the type checks to the range checks.
The ``@example`` inputs are the bugs these properties found (an extra CSV column, ``--5`` and
4,301-digit counts, a start in year 9999, a 4,301-digit or deeply nested TOML value, a huge
``block_units``, ``ZD999912``), kept as regression tests. `hypothesis.event` labels say how far each
example got (``pytest --hypothesis-show-statistics``).

The store properties run on a fresh store of each kind (memory, SQLite) per example, populated
with lines in every state (billed, closed, fixed, broadband), earlier usage, a ticket and earlier
contacts; they snapshot everything an import could touch before and after it, and check that a
failed import changed nothing and a successful one changed exactly what its report says.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Final

import attrs
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from unicom_cs import care, service, testing
from unicom_cs.account import Account, EntryKind, LedgerEntry
from unicom_cs.audit import AuditEntry
from unicom_cs.billing import Adjustment, Bill
from unicom_cs.care_contacts import import_contacts
from unicom_cs.catalog import parse_catalog
from unicom_cs.channels import handle_sms
from unicom_cs.complaints import Category, Ticket
from unicom_cs.contacts import (
    CHANNELS,
    AnsweredBy,
    ContactRecord,
    ParsedContacts,
    check_contact,
    format_contact_row,
    parse_contacts,
)
from unicom_cs.contacts import COLUMNS as CONTACT_COLUMNS
from unicom_cs.errors import BatchRejected, CatalogError, RowError, UnicomError
from unicom_cs.events import Event, TariffsLoaded, UsageImported
from unicom_cs.money import Money
from unicom_cs.notify import Message
from unicom_cs.number import canonical as canonical_number
from unicom_cs.orders import Channel, Credentials, OrderRequest, OrderType, ServiceOrder
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.service import ImportReport
from unicom_cs.sms import (
    BILL_NUMBER,
    SERVICE_NUMBER,
    Intent,
    SmsCommand,
    codebook,
    parse,
    unknown_sender_text,
)
from unicom_cs.sms import canonical as canonical_text
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import COLUMNS, ParsedCdrs, UsageRecord, format_row, parse_cdrs, quote_cell
from unicom_cs.visits import Task

OpenStore = Callable[[str, Path], Store]
KINDS: Final = ("memory", "sqlite")


def _examples(n: int) -> int:
    """`n` examples, or fewer when the profile asks for fewer (HYPOTHESIS_PROFILE=dev)."""
    return max(1, min(n, settings().max_examples))


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


# ------------------------------------------------------------------------------- the world

A: Final = "18612345678"  # 4G-56 from 3 September 2026; September billed
B: Final = "13112345678"  # 3G A-46 from 10 October 2026: never billed, orders packs by SMS
C: Final = "13012345678"  # 3G A-46, closed at a counter at 15:00 on 20 October 2026
F: Final = "01062345678"  # a fixed line
KD: Final = "KD01062345678"  # a broadband account
ID_DOC: Final = "11010519491231002X"
CLOSED_AT: Final = at(2026, 10, 20, 15)
SERVED: Final = frozenset({A, B})  # the lines that may text 10010: open mobile lines

EARLIER_CDRS: Final = (
    f"e1,{A},voice,out,2026-10-03T09:00:00,61,,13800138000,CN-BJ",
    f"e2,{A},data,out,2026-10-03T09:05:00,,52428800,,CN-BJ",
    f"e3,{F},voice,out,2026-10-04T10:00:00,125,,13800138000,CN-BJ",
    f"e4,{C},sms,out,2026-10-05T10:00:00,,,13800138000,CN-BJ",
    f"e5,{A},sms,out,2026-10-06T01:00:00Z,,,+8613800138000,JP",
)
EARLIER_CONTACTS: Final = (
    "k1,phone,consultation,2026-10-05T09:00:00,2026-10-05T09:00:10,2026-10-05T09:03:10,"
    f"agent,A01,false,{A},,balance",
    "k2,sms,complaint,2026-10-05T10:00:00,,2026-10-05T10:05:00,,,,010-6234-5678,cmp-000001,bill",
)


def csv_bytes(header: Sequence[str], rows: Sequence[str]) -> bytes:
    return ("\n".join([",".join(header), *rows]) + "\n").encode()


def populate(store: Store) -> None:
    """Lines in every state, earlier usage (September billed), a ticket and earlier contacts."""
    service.add_line(store, A, "4g-56", date(2026, 9, 3), name="Li Wei")
    service.add_line(store, B, "3g-a-46", date(2026, 10, 10), name="Wang Fang")
    service.add_line(store, C, "3g-a-46", date(2026, 9, 1), id_document=ID_DOC)
    service.add_line(store, F, "fixed-basic", date(2026, 9, 1))
    service.add_line(store, KD, "bb-100m", date(2026, 9, 1))
    service.receive_money(store, A, Money("100"), EntryKind.PAYMENT, at(2026, 9, 5))
    service.import_usage(store, parse_cdrs(csv_bytes(COLUMNS, EARLIER_CDRS), "earlier.csv"))
    list(service.run_bills(store, Month(2026, 9), at(2026, 10, 1, 9)))
    close = OrderRequest("close-c", C, OrderType.CLOSE, Channel.COUNTER)
    service.submit_order(store, close, CLOSED_AT, Credentials(document=ID_DOC))
    care.file_complaint(store, Category.NETWORK, "no signal at home", "A01", at(2026, 10, 5, 9))
    earlier = parse_contacts(csv_bytes(CONTACT_COLUMNS, EARLIER_CONTACTS), "earlier.csv")
    import_contacts(store, earlier)


@contextmanager
def fresh_store(open_store: OpenStore, kind: str, *, lines: bool = True) -> Iterator[Store]:
    """A new store of `kind` for one example: initialised, and populated when `lines`."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(kind, Path(tmp))
        try:
            if lines:
                populate(store)
            yield store
        finally:
            store.close()


@attrs.frozen
class Snapshot:
    """Everything in a store, read through the port."""

    catalog: list[tuple[str, str]]
    accounts: list[Account]
    lines: list[Subscriber]
    usage: list[UsageRecord]
    bills: list[Bill]
    adjustments: list[Adjustment]
    entries: list[LedgerEntry]
    orders: list[ServiceOrder]
    settings: dict[str, str]
    tickets: list[Ticket]
    tasks: list[Task]
    contacts: list[ContactRecord]
    messages: list[Message]
    events: list[tuple[int, Event]]
    audit: list[AuditEntry]


def snapshot(store: Store) -> Snapshot:
    return Snapshot(
        catalog=store.catalog_sources(),
        accounts=list(store.accounts()),
        lines=list(store.subscribers()),
        usage=list(store.all_usage()),
        bills=list(store.all_bills()),
        adjustments=list(store.all_adjustments()),
        entries=list(store.all_entries()),
        orders=store.orders(),
        settings=store.settings(),
        tickets=store.tickets(),
        tasks=store.tasks(),
        contacts=list(store.all_contacts()),
        messages=store.messages(),
        events=store.events(),
        audit=store.audit_trail(),
    )


def changed(before: Snapshot, after: Snapshot) -> set[str]:
    """The parts of the store that differ."""
    return {
        a.name for a in attrs.fields(Snapshot) if getattr(before, a.name) != getattr(after, a.name)
    }


def assert_unchanged(store: Store, before: Snapshot) -> None:
    after = snapshot(store)
    assert changed(before, after) == set(), "a failed or idle call wrote to the store"


def note_outcome(what: str, outcome: str, errors: Sequence[RowError] = ()) -> None:
    """Record what an example reached (`pytest --hypothesis-show-statistics` shows it), so
    that the mutations can be seen to reach the deep checks."""
    event(f"{what}: {outcome}")
    for reason in sorted({re.sub(r"'[^']*'|[0-9]+", "…", e.reason)[:60] for e in errors}):
        event(f"{what} row error: {reason}")


# ------------------------------------------------------------------------- hostile values

#: Characters that break naive readers: controls, NUL, BOM, separators, quotes, line breaks.
NASTY_CHARS: Final = "\x00\x01\x08\t\x0b\x0c\x1b\x7f\x85\u2028\u2029\ufeff\u200b\u3000\",;'\r\n\\"

hostile_text = st.one_of(
    st.text(max_size=24),
    st.text(st.sampled_from(NASTY_CHARS + "aZ9-+:. 中"), max_size=12),
    st.integers(1, 3000).map(lambda n: "x" * n),  # a very long field
)
huge_numbers = st.one_of(
    st.integers(-(10**40), 10**40).map(str),
    st.integers(1, 5000).map(lambda n: "9" * n),
    st.sampled_from([4300, 4301, 9000]).map(lambda n: "1" * n),  # int()'s 4300-digit limit
    st.from_regex(r"[-+ ]{0,3}[0-9]{1,8}(\.[0-9]{0,3})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["--5", "-0", "+5", "1_000", "0x10", "１２", "٣", "²", " 7 ", "nan", "inf"]),
)
_offsets = st.one_of(
    st.integers(-(24 * 3600 - 1), 24 * 3600 - 1),
    st.sampled_from([-(24 * 3600 - 60), -14 * 3600, 0, 8 * 3600, 14 * 3600, 24 * 3600 - 60]),
).map(lambda s: timezone(timedelta(seconds=s)))
#: Years at the edges: datetime's own range, the epoch, and the limits the library sets.
_EDGE_YEARS: Final = (1, 2, 1969, 1970, 1971, 2026, 8999, 9000, 9001, 9998, 9999)
_edge_datetimes = st.builds(
    lambda y, m, d, offset: datetime(y, m, d, 23, 59, 59, tzinfo=offset),
    st.sampled_from(_EDGE_YEARS),
    st.sampled_from([1, 12]),
    st.sampled_from([1, 31]),
    st.one_of(st.none(), _offsets),
)
_odd_datetimes = st.datetimes(
    datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59), timezones=st.one_of(st.none(), _offsets)
)
odd_times = st.one_of(
    _odd_datetimes.map(datetime.isoformat),
    _edge_datetimes.map(datetime.isoformat),
    _odd_datetimes.map(lambda d: d.isoformat(sep=" ", timespec="minutes")),
    st.sampled_from(
        [
            "2026-10-05",
            "2026-10-05T24:00:00",
            "2026-13-01T00:00:00",
            "2026-02-30T00:00:00",
            "2026-10-05T08:30:00Z",
            "2026-10-05T08:30:00+24:00",
            "2026-10-05T08:30:00 +08:00",
            "2026-W40-1T08:30",
            "20261005T083000",
            "2026-10-05T08:30:00.1234567",
            "0000-01-01T00:00:00",
            "9999-12-31T23:59:59.999999-23:59",
            "0001-01-01T00:00:00+23:59",
            "１９７０-01-01T00:00:00",
        ]
    ),
)
odd_numbers = st.one_of(
    testing.msisdns(),
    st.from_regex(r"\+?[0-9 ()-]{0,16}", fullmatch=True),
    st.sampled_from(
        [
            "+86 186 1234 5678",
            "186-1234-5678",
            "0086 18612345678",
            "8618612345678",
            "(010) 6234 5678",
            "１８６１２３４５６７８",
            "186١٢٣٤٥٦٧٨",
            "1861234567",
            "186123456789",
            KD,
            "10010",
        ]
    ),
)
#: Numbers as valid files write them: the store's lines in every format, others unknown.
plausible_numbers = st.one_of(
    testing.msisdns(),
    st.sampled_from([A, B, C, F, KD, "+86 186 1234 5678", "010-6234-5678", "13900000000"]),
)
odd_codes = st.one_of(
    st.from_regex(r"[A-Za-z]{2}(-[A-Za-z]{2})?", fullmatch=True),
    st.sampled_from(["", "CN", "cn-bj", "CN-HK", "CN-XX", "XX", "JP", " jp ", "UK", "001", "CN-"]),
)
odd_words = st.one_of(
    st.sampled_from(["voice", "VIDEO", " sms ", "Data", "fax", "out", "IN", "both", "agent"]),
    st.sampled_from(["ivr", "true", "FALSE", "1", "0", "yes", "phone", "Chat", "q.", "-q"]),
    hostile_text,
)
hostile_values = st.one_of(hostile_text, huge_numbers, odd_times, odd_numbers, odd_codes)
#: Hostile values by the column they go into: past the type checks, into the range checks.
HOSTILE_BY_COLUMN: Final = {
    "msisdn": odd_numbers,
    "peer": odd_numbers,
    "service": odd_words,
    "direction": odd_words,
    "start": odd_times,
    "duration_s": huge_numbers,
    "bytes": huge_numbers,
    "location": odd_codes,
    "channel": odd_words,
    "queue": odd_words,
    "offered_at": odd_times,
    "answered_at": odd_times,
    "ended_at": odd_times,
    "answered_by": odd_words,
    "abandoned": odd_words,
}


# ---------------------------------------------------------------- mutations of CSV tables

Table = tuple[list[str], list[list[str]]]
#: Bytes spliced into a file: invalid UTF-8, NUL, a BOM in the middle, line breaks, quotes.
BYTE_CHUNKS: Final = (b"\xff", b"\xc3", b"\x00", b"\xef\xbb\xbf", b"\r", b"\n", b'"', b",", b" ")
ROW_EDITS: Final = (
    "drop-row",
    "repeat-row",
    "swap-rows",
    "drop-cell",
    "repeat-cell",
    "swap-cells",
    "copy-cell",  # the same column of another row: repeated ids, other content
    "move-cell",  # another column's value: type confusion
    "set-cell",
    "set-cell",
    "blank-line",
    "split-cell",  # a line break in a field: quoted across lines
)
HEADER_EDITS: Final = (
    "drop-column-name",
    "repeat-column-name",
    "rename-column",
    "swap-column-names",
    "add-column",  # to the header and every row: extra columns are allowed
)


def _index(draw: st.DrawFn, n: int) -> int:
    return draw(st.integers(0, n - 1))


def _cell(draw: st.DrawFn, rows: list[list[str]]) -> tuple[list[str], int] | None:
    """A row with at least one cell, and the index of a cell in it."""
    full = [r for r in rows if r]
    if not full:
        return None
    row = full[_index(draw, len(full))]
    return row, _index(draw, len(row))


def edit_table(
    draw: st.DrawFn, table: Table, edits: Sequence[str], values: SearchStrategy[str]
) -> None:
    """One random edit of a CSV table, in place; `values` are what `set-cell` puts in."""
    header, rows = table
    op = draw(st.sampled_from(edits))
    if op in ("drop-row", "repeat-row", "swap-rows") and rows:
        i, j = _index(draw, len(rows)), _index(draw, len(rows))
        if op == "drop-row":
            del rows[i]
        elif op == "repeat-row":
            rows.insert(j, list(rows[i]))
        else:
            rows[i], rows[j] = rows[j], rows[i]
    elif op in ("drop-cell", "repeat-cell", "swap-cells", "set-cell", "split-cell"):
        picked = _cell(draw, rows)
        if picked is None:
            return
        row, k = picked
        if op == "drop-cell":
            del row[k]
        elif op == "repeat-cell":
            row.insert(k, row[k])
        elif op == "swap-cells":
            m = _index(draw, len(row))
            row[k], row[m] = row[m], row[k]
        elif op == "set-cell":
            row[k] = draw(values)
        else:
            cut = draw(st.integers(0, len(row[k])))
            row[k] = row[k][:cut] + draw(st.sampled_from(["\n", "\r\n", "\r"])) + row[k][cut:]
    elif op in ("copy-cell", "move-cell"):
        target, source = _cell(draw, rows), _cell(draw, rows)
        if target is None or source is None:
            return
        (row, k), (other, m) = target, source
        if op == "copy-cell" and k < len(other):
            m = k
        row[k] = other[m]
    elif op == "blank-line":
        rows.insert(draw(st.integers(0, len(rows))), [])
    elif op in ("drop-column-name", "repeat-column-name", "rename-column", "swap-column-names"):
        if not header:
            return
        k = _index(draw, len(header))
        if op == "drop-column-name":
            del header[k]
        elif op == "repeat-column-name":
            header.insert(_index(draw, len(header)), header[k])
        elif op == "swap-column-names":
            m = _index(draw, len(header))
            header[k], header[m] = header[m], header[k]
        else:
            renames = [header[k].upper(), f" {header[k]} ", header[k][:-1], header[k] + "_x"]
            header[k] = draw(st.sampled_from(renames) | values)
    elif op == "add-column":
        where = draw(st.sampled_from([len(header), len(header), 0]) | st.integers(0, len(header)))
        header.insert(where, draw(st.sampled_from(["note", "extra", "ID", ""]) | values))
        for row in rows:
            if row:
                row.insert(min(where, len(row)), draw(st.sampled_from(["", "x", "1"])))


def render_table(draw: st.DrawFn, table: Table) -> bytes:
    """The table as CSV bytes: quoted where needed (or everywhere), some line ending, maybe a
    BOM, maybe no final line break."""
    header, rows = table
    quote_all = draw(st.integers(0, 4)) == 0

    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if quote_all else quote_cell(text)

    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    lines = [",".join(map(cell, header)), *(",".join(map(cell, row)) for row in rows)]
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    bom = "\ufeff" if draw(st.integers(0, 4)) == 0 else ""
    return (bom + text).encode()


def edit_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """One random edit of a file's bytes: truncated, a chunk spliced in, or a span cut out."""
    op = draw(st.sampled_from(["truncate", "splice", "cut"]))
    at_ = draw(st.integers(0, len(data)))
    if op == "truncate":
        return data[:at_]
    if op == "splice":
        return data[:at_] + draw(st.sampled_from(BYTE_CHUNKS)) + data[at_:]
    return data[:at_] + data[at_ + draw(st.integers(1, 8)) :]


def table_of(header: Sequence[str], lines: Sequence[str]) -> Table:
    return list(header), [next(csv.reader([line])) for line in lines]


@st.composite
def mutated_csv(
    draw: st.DrawFn,
    tables: SearchStrategy[Table],
    values: SearchStrategy[str],
    *,
    edits: Sequence[str] = ROW_EDITS,
    min_edits: int = 0,
    max_edits: int = 4,
    byte_edits: bool = True,
) -> bytes:
    """A valid table, some `edits` (`values` for the cells set), rendered, maybe byte edits."""
    table = draw(tables)
    for _ in range(draw(st.integers(min_edits, max_edits))):
        edit_table(draw, table, edits, values)
    data = render_table(draw, table)
    if byte_edits:
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
            data = edit_bytes(draw, data)
    return data


@st.composite
def reordered(draw: st.DrawFn, header: Sequence[str], rows: list[list[str]]) -> Table:
    """The same table with its columns in another order (any order is valid), maybe upper-case
    column names."""
    order = draw(st.permutations(range(len(header)))) if draw(st.booleans()) else range(len(header))
    upper = draw(st.integers(0, 4)) == 0
    names = [header[i].upper() if upper else header[i] for i in order]
    return names, [[row[i] for i in order] for row in rows]


def hostile_cells(draw: st.DrawFn, table: Table) -> None:
    """Put hostile values into one to three cells of a table's rows, in place: mostly values
    of the column's own kind (a number for a count, a time for a time), sometimes any."""
    header, rows = table
    for _ in range(draw(st.integers(1, 3))):
        picked = _cell(draw, rows)
        if picked is None:
            return
        row, k = picked
        column = header[k].strip().lower() if k < len(header) else ""
        kind = HOSTILE_BY_COLUMN.get(column, hostile_text)
        row[k] = draw(kind if draw(st.integers(0, 3)) else hostile_values)


def arbitrary_files(header: Sequence[str]) -> SearchStrategy[bytes]:
    """Arbitrary bytes, arbitrary text, and arbitrary text after a valid header."""
    line = ",".join(header)
    return st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.text(max_size=300).map(lambda t: (line + "\n" + t).encode()),
        st.lists(st.lists(hostile_text, min_size=len(header), max_size=len(header)), max_size=4)
        .map(lambda rows: [",".join(quote_cell(c) for c in row) for row in rows])
        .map(lambda rows: csv_bytes(header, rows)),
    )


def check_place(where: str, source: str, data: bytes) -> None:
    """A row error names the file and a line in it."""
    assert where.startswith(source + ":"), where
    number = int(where.rsplit(":", 1)[1])
    lines = max(1, len(data.splitlines()) + 1)
    assert 1 <= number <= lines, (where, lines)


# ------------------------------------------------------------------------------------ CDRs

CDR_MONTH: Final = Month(2026, 10)
_CDR_VALUES: Final = st.one_of(  # plausible values: what valid rows hold, and plain numbers
    st.sampled_from(
        ["", " ", "0", "1", "61", "604800", "604801", "voice", "DATA", "in", "both", "CN-HK"]
    ),
    st.integers(-(10**6), 10**18).map(str),
    plausible_numbers,
    testing.instants(Month(2026, 11)).map(datetime.isoformat),
)


def _cdr_cells(r: UsageRecord) -> list[str]:
    return next(csv.reader([format_row(r)]))


@st.composite
def cdr_tables(draw: st.DrawFn) -> Table:
    """A well-formed CDR file: new records of the open lines, records the store checks refuse
    (before activation, in a billed month, of the closed line), rows already imported, in any
    order, columns in any order."""
    records = [
        *draw(testing.usage_records(A, CDR_MONTH, max_size=5, id_prefix="a")),
        *draw(testing.usage_records(A, Month(2026, 9), max_size=1, id_prefix="s")),  # billed
        *draw(testing.usage_records(F, Month(2026, 11), max_size=2, id_prefix="f", abroad=False)),
        *draw(testing.usage_records(C, CDR_MONTH, max_size=2, id_prefix="c")),
        *draw(testing.usage_records(B, Month(2026, 12), max_size=2, id_prefix="b")),
    ]
    rows = [_cdr_cells(r) for r in records]
    rows += [next(csv.reader([e])) for e in draw(st.lists(st.sampled_from(EARLIER_CDRS)))]
    rows = draw(st.permutations(rows))
    return draw(reordered(COLUMNS, list(rows)))


@st.composite
def cdr_files_with_hostile_values(draw: st.DrawFn) -> bytes:
    table = draw(cdr_tables())
    hostile_cells(draw, table)
    return render_table(draw, table)


def check_parsed_cdrs(parsed: ParsedCdrs, data: bytes, source: str) -> None:
    """What `parse_cdrs` promises of any input: errors as values, every row accounted for."""
    assert all(isinstance(e, RowError) for e in parsed.errors)
    for error in parsed.errors:
        check_place(error.where, source, data)
    numbers = [int(e.where.rsplit(":", 1)[1]) for e in parsed.errors]
    ids = [r.id for r in parsed.records]
    assert len(ids) == len(set(ids)) == len(parsed.lines)
    assert not set(parsed.lines) & set(numbers)  # a row is good or bad, not both
    if parsed.rows:
        assert parsed.rows == len(parsed.records) + parsed.duplicates + len(parsed.errors)
    for r in parsed.records:
        assert r.id == r.id.strip() and r.id
        assert r.start.tzinfo is not None
        assert 0 <= r.duration_s <= 7 * 24 * 3600 and 0 <= r.bytes <= 1 << 50


def check_cdr_import(store: Store, data: bytes, source: str, skip_bad: bool) -> None:
    """Parse and import a CDR file: all or nothing, and exactly what the report says."""
    parsed = parse_cdrs(data, source)  # never raises: errors are values
    check_parsed_cdrs(parsed, data, source)
    before = snapshot(store)
    try:
        report = service.import_usage(store, parsed, skip_bad=skip_bad)
    except UnicomError as e:
        note_outcome("cdr", "rejected whole", e.errors if isinstance(e, BatchRejected) else ())
        assert_unchanged(store, before)
        return
    note_outcome("cdr", "imported some" if report.imported else "imported none", report.rejected)
    after = snapshot(store)
    assert changed(before, after) <= {"usage", "events"}
    check_usage_report(store, parsed, report, before, after, skip_bad)
    for error in report.rejected:  # the store checks' rejects too name their line
        check_place(error.where, source, data)
    # importing the same file again changes nothing: its records are all "already imported"
    again = service.import_usage(store, parsed, skip_bad=True)
    assert again.imported == 0
    assert again.already_imported == report.imported + report.already_imported
    assert_unchanged(store, after)


def check_usage_report(
    store: Store,
    parsed: ParsedCdrs,
    report: ImportReport,
    before: Snapshot,
    after: Snapshot,
    skip_bad: bool,
) -> None:
    old = {r.id: r for r in before.usage}
    now = {r.id: r for r in after.usage}
    assert all(now.get(rid) == rec for rid, rec in old.items()), "an import changed old usage"
    new = {rid: rec for rid, rec in now.items() if rid not in old}
    assert len(new) == report.imported
    by_id = {r.id: r for r in parsed.records}
    assert all(by_id.get(rid) == rec for rid, rec in new.items())
    events_before, events_after = before.events, after.events
    if report.imported:
        lines = tuple(sorted({r.msisdn for r in new.values()}))
        assert events_after[:-1] == events_before
        assert events_after[-1][1] == UsageImported(parsed.source, report.imported, lines)
    else:
        assert events_after == events_before
    # the counts add up, and every rejected row is named with its place
    assert (report.source, report.rows, report.repeated) == (
        parsed.source,
        parsed.rows,
        parsed.duplicates,
    )
    assert report.rows == (
        report.imported + report.already_imported + report.repeated + len(report.rejected)
    )
    assert set(parsed.errors) <= set(report.rejected)
    rejected_at = {e.where for e in report.rejected}
    assert len(rejected_at) == len(report.rejected)
    if not skip_bad:
        assert report.rejected == ()
    for i, rec in enumerate(parsed.records):
        imported = new.get(rec.id) == rec
        already = old.get(rec.id) == rec
        assert imported or already or parsed.where(i) in rejected_at, parsed.where(i)
    # what was imported is listed on its line, in the month its start falls in (Beijing time)
    for line, month in {(r.msisdn, Month.of(r.start)) for r in new.values()}:
        listed = {r.id for r in service.list_usage(store, line, month)}
        wanted = {r.id for r in new.values() if r.msisdn == line and Month.of(r.start) == month}
        assert wanted <= listed


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))
@given(data=arbitrary_files(COLUMNS), skip_bad=st.booleans())
def test_cdr_import_of_arbitrary_bytes_is_a_domain_error_or_nothing(
    open_store: OpenStore, kind: str, data: bytes, skip_bad: bool
) -> None:
    with fresh_store(open_store, kind) as store:
        check_cdr_import(store, data, "fuzz.csv", skip_bad)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(50))
@given(data=mutated_csv(cdr_tables(), _CDR_VALUES), skip_bad=st.booleans())
def test_cdr_import_of_a_mutated_file_is_all_or_nothing_and_as_reported(
    open_store: OpenStore, kind: str, data: bytes, skip_bad: bool
) -> None:
    with fresh_store(open_store, kind) as store:
        check_cdr_import(store, data, "mutated.csv", skip_bad)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))
@given(
    data=mutated_csv(cdr_tables(), _CDR_VALUES, edits=HEADER_EDITS, min_edits=1, max_edits=3),
    skip_bad=st.booleans(),
)
@example(data=csv_bytes([*COLUMNS, "note"], [EARLIER_CDRS[0] + ",x"]), skip_bad=False)
def test_cdr_import_with_a_changed_header_is_all_or_nothing_and_as_reported(
    open_store: OpenStore, kind: str, data: bytes, skip_bad: bool
) -> None:
    with fresh_store(open_store, kind) as store:
        check_cdr_import(store, data, "header.csv", skip_bad)


def _one_cdr(**cells: str) -> bytes:
    row = dict(zip(COLUMNS, next(csv.reader([EARLIER_CDRS[0]])), strict=True))
    row["id"] = "z1"
    row.update(cells)
    return csv_bytes(COLUMNS, [",".join(row[c] for c in COLUMNS)])


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))
@given(data=cdr_files_with_hostile_values(), skip_bad=st.booleans())
@example(data=_one_cdr(duration_s="--5"), skip_bad=True)
@example(data=_one_cdr(duration_s="9" * 4301), skip_bad=True)
@example(data=_one_cdr(start="9999-12-31T23:59:59-14:00"), skip_bad=True)
@example(data=_one_cdr(start="9999-06-01T00:00:00"), skip_bad=True)
def test_cdr_import_with_hostile_values_is_all_or_nothing_and_as_reported(
    open_store: OpenStore, kind: str, data: bytes, skip_bad: bool
) -> None:
    with fresh_store(open_store, kind) as store:
        check_cdr_import(store, data, "hostile.csv", skip_bad)


# -------------------------------------------------------------------------------- contacts

_TEXT: Final = st.text(st.sampled_from('ab,"中 -'), max_size=8).map(str.strip)
_NAMES: Final = st.from_regex(r'[ab中][ab,"中 -]{0,6}', fullmatch=True).map(str.strip)


@st.composite
def contact_records(draw: st.DrawFn, rid: str) -> ContactRecord:
    """A valid contact of October 2026 (offsets anywhere), linked to a ticket or not."""
    offset = timezone(timedelta(hours=draw(st.integers(-12, 14))))
    offered = draw(testing.instants(Month(2026, 10))).astimezone(offset)
    kind = draw(st.sampled_from(["agent", "ivr", "abandoned", "unanswered"]))
    answered = None
    if kind in ("agent", "ivr"):
        answered = offered + timedelta(microseconds=draw(st.integers(0, 10**9)))
    ended = (answered or offered) + timedelta(seconds=draw(st.integers(0, 86_400)))
    by = {"agent": AnsweredBy.AGENT, "ivr": AnsweredBy.IVR}.get(kind, AnsweredBy.NONE)
    return check_contact(
        ContactRecord(
            id=rid,
            channel=draw(st.sampled_from(CHANNELS)),
            queue=draw(st.sampled_from(["consultation", "business", "club.vip"])),
            offered_at=offered,
            answered_at=answered,
            ended_at=ended,
            answered_by=by,
            agent=draw(_NAMES) if kind == "agent" else "",
            abandoned=kind == "abandoned",
            msisdn=draw(st.sampled_from(["", A, F, "13900000000"])),
            ticket_id=draw(st.sampled_from(["", "CMP-000001", "CMP-000009"])),
            topic=draw(_TEXT),
        )
    )


@st.composite
def contact_tables(draw: st.DrawFn) -> Table:
    """A valid contact log: new contacts and earlier ones, columns in any order."""
    n = draw(st.integers(0, 5))
    records = [draw(contact_records(f"n{i}")) for i in range(n)]
    lines = [format_contact_row(r) for r in records]
    lines += draw(st.lists(st.sampled_from(EARLIER_CONTACTS), max_size=2))
    _, rows = table_of(CONTACT_COLUMNS, draw(st.permutations(lines)))
    return draw(reordered(CONTACT_COLUMNS, rows))


_CONTACT_VALUES: Final = st.one_of(
    st.sampled_from(["", " ", "true", "FALSE", "1", "0", "yes", "agent", "IVR", "none", "A01"]),
    st.sampled_from([*CHANNELS, "fax", "consultation", "Club.VIP", "-q", "CMP-000001", "cmp-9"]),
    plausible_numbers,
    testing.instants(Month(2026, 10)).map(datetime.isoformat),
)


@st.composite
def contact_files_with_hostile_values(draw: st.DrawFn) -> bytes:
    table = draw(contact_tables())
    hostile_cells(draw, table)
    return render_table(draw, table)


def check_parsed_contacts(parsed: ParsedContacts, data: bytes, source: str) -> None:
    for error in parsed.errors:
        check_place(error.where, source, data)
    ids = [r.id for r in parsed.records]
    assert len(ids) == len(set(ids)) == len(parsed.lines)
    if parsed.rows:
        assert parsed.rows == len(parsed.records) + parsed.duplicates + len(parsed.errors)
    for r in parsed.records:
        assert check_contact(r) is r  # every record keeps the rules


def check_contact_import(store: Store, data: bytes, source: str, skip_bad: bool) -> None:
    parsed = parse_contacts(data, source)  # never raises: errors are values
    check_parsed_contacts(parsed, data, source)
    before = snapshot(store)
    try:
        report = import_contacts(store, parsed, skip_bad=skip_bad)
    except UnicomError as e:
        errors = e.errors if isinstance(e, BatchRejected) else ()
        note_outcome("contacts", "rejected whole", errors)
        assert_unchanged(store, before)
        return
    outcome = "imported some" if report.imported else "imported none"
    note_outcome("contacts", outcome, report.rejected)
    after = snapshot(store)
    assert changed(before, after) <= {"contacts"}
    old = {c.id: c for c in before.contacts}
    now = {c.id: c for c in after.contacts}
    assert all(now.get(cid) == c for cid, c in old.items())
    new = {cid: c for cid, c in now.items() if cid not in old}
    assert len(new) == report.imported
    by_id = {r.id: r for r in parsed.records}
    assert all(by_id.get(cid) == c for cid, c in new.items())
    assert (report.rows, report.repeated) == (parsed.rows, parsed.duplicates)
    assert report.rows == (
        report.imported + report.already_imported + report.repeated + len(report.rejected)
    )
    assert set(parsed.errors) <= set(report.rejected)
    rejected_at = {e.where for e in report.rejected}
    for error in report.rejected:
        check_place(error.where, source, data)
    if not skip_bad:
        assert report.rejected == ()
    for i, rec in enumerate(parsed.records):
        assert new.get(rec.id) == rec or old.get(rec.id) == rec or parsed.where(i) in rejected_at
    for c in new.values():  # listed by the time it was offered
        assert c in store.contacts(c.offered_at, c.offered_at + timedelta(microseconds=1))
    again = import_contacts(store, parsed, skip_bad=True)
    assert again.imported == 0
    assert_unchanged(store, after)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))
@given(data=arbitrary_files(CONTACT_COLUMNS), skip_bad=st.booleans())
def test_contact_import_of_arbitrary_bytes_is_a_domain_error_or_nothing(
    open_store: OpenStore, kind: str, data: bytes, skip_bad: bool
) -> None:
    with fresh_store(open_store, kind) as store:
        check_contact_import(store, data, "fuzz.csv", skip_bad)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(50))
@given(data=mutated_csv(contact_tables(), _CONTACT_VALUES), skip_bad=st.booleans())
def test_contact_import_of_a_mutated_log_is_all_or_nothing_and_as_reported(
    open_store: OpenStore, kind: str, data: bytes, skip_bad: bool
) -> None:
    with fresh_store(open_store, kind) as store:
        check_contact_import(store, data, "mutated.csv", skip_bad)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))
@given(
    data=mutated_csv(
        contact_tables(), _CONTACT_VALUES, edits=HEADER_EDITS, min_edits=1, max_edits=3
    ),
    skip_bad=st.booleans(),
)
@example(data=csv_bytes([*CONTACT_COLUMNS, "note"], [EARLIER_CONTACTS[1] + ",x"]), skip_bad=False)
def test_contact_import_with_a_changed_header_is_all_or_nothing_and_as_reported(
    open_store: OpenStore, kind: str, data: bytes, skip_bad: bool
) -> None:
    with fresh_store(open_store, kind) as store:
        check_contact_import(store, data, "header.csv", skip_bad)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))
@given(data=contact_files_with_hostile_values(), skip_bad=st.booleans())
def test_contact_import_with_hostile_values_is_all_or_nothing_and_as_reported(
    open_store: OpenStore, kind: str, data: bytes, skip_bad: bool
) -> None:
    with fresh_store(open_store, kind) as store:
        check_contact_import(store, data, "hostile.csv", skip_bad)


# --------------------------------------------------------------------------------- catalog

_ALLOWANCE: Final = {"voice_minutes": "100", "video_minutes": "5", "sms": "10", "data_mb": "500"}
_RATES: Final = {"voice": '"0.15"', "video": '"0.60"', "sms": '"0.10"', "mms": '"0.30"'}
_DATA_RULES: Final = (
    {
        "billing": '"kb-per-session"',
        "rate": '"0.0003"',
        "fee_cap": '"500"',
        "volume_cap_mb": "6144",
    },
    {
        "billing": '"mb-cumulative"',
        "rate": '"0.30"',
        "block_units": "1024",
        "block_fee": '"60"',
        "block_tail_units": "200",
        "rollover": "true",
    },
    {"billing": '"mb-cumulative"', "rate": '"0.10"', "volume_cap_mb": "15360"},
)


def _plan_table(name: str, fields: dict[str, str], inline: bool) -> list[str]:
    """A plan's sub-table, inline (``data = { … }``) or as its own ``[plan.data]`` table."""
    if inline:
        return [f"{name} = {{ " + ", ".join(f"{k} = {v}" for k, v in fields.items()) + " }"]
    return [f"[plan.{name}]", *(f"{k} = {v}" for k, v in fields.items())]


@st.composite
def catalog_files(draw: st.DrawFn) -> list[str]:
    """A valid user catalog, as its lines: top-level keys, then new plans (some upgrading to
    the next, some including a new service), packs, services and a roaming zone, and sometimes
    a bundled plan redefined (in use by a line, or not)."""
    top: list[str] = []
    if draw(st.booleans()):
        top.append(draw(st.sampled_from(['free_numbers = ["10010"]', 'free_numbers = ["10086"]'])))
    if draw(st.booleans()):
        top.append('roaming_free_numbers = ["13010199999"]')
    if draw(st.booleans()):
        top.append(draw(st.sampled_from(['retention_fee = "5"', 'retention_fee = "8"'])))
    zone = draw(st.booleans())
    if draw(st.booleans()):
        top.append(f'default_roaming_zone = "{"fz-zone" if zone else "roam-rest"}"')
    blocks: list[list[str]] = []
    services = draw(st.integers(0, 2))
    for i in range(services):
        blocks.append(
            [
                "[[service]]",
                f'id = "fz-svc-{i}"',
                f'name = "Fuzz service {i}"',
                f'name_zh = "模糊业务{i}"',
                f'monthly_fee = "{draw(st.integers(1, 20))}"',
                f'sms_code = "FZSV{i}"',
                'source = "fuzz"',
            ]
        )
    plans = draw(st.integers(0, 3))
    for i in range(plans):
        block = [
            "[[plan]]",
            f'id = "fz-plan-{i}"',
            f'name = "Fuzz plan {i}"',
            'kind = "mobile"',
            f'monthly_fee = "{40 + 30 * i}"',
            'first_month = ["full", "half", "pay-per-use"]',
            'source = "fuzz"',
        ]
        tables = [("allowance", _ALLOWANCE), ("rates", _RATES)]
        if draw(st.booleans()):
            tables.append(("data", draw(st.sampled_from(_DATA_RULES))))
        if i + 1 < plans and draw(st.booleans()):
            block.append(f'upgrade_to = "fz-plan-{i + 1}"')
        if services and draw(st.booleans()):
            block.append('included_services = ["fz-svc-0"]')
        inline = draw(st.booleans())  # sub-tables as their own tables go after the keys
        for name, fields in tables:
            block += _plan_table(name, fields, inline)
        blocks.append(block)
    for i in range(draw(st.integers(0, 2))):
        blocks.append(
            [
                "[[data_pack]]",
                f'id = "fz-pack-{i}"',
                f'name = "Fuzz pack {i}"',
                f'fee = "{10 * (i + 1)}"',
                f"data_mb = {100 * (i + 1)}",
                'group = "fz-packs"',
                "carry_over = true",
                f'sms_code = "FZLL{i}"',
                'source = "fuzz"',
            ]
        )
    if zone:
        blocks.append(
            [
                "[[roaming_zone]]",
                'id = "fz-zone"',
                'name = "Fuzz zone"',
                'countries = ["BR", "AR"]',
                'voice_local = "1.86"',
                'voice_receive = "1.86"',
                'voice_to_china = "2.86"',
                'sms_to_china = "0.86"',
                'day_pack_fee = "5"',
                "day_pack_mb = 5",
                "day_pack_max = 16",
                'source = "fuzz"',
            ]
        )
    redefined = draw(st.sampled_from(["", "", "4g-56", "4g-396"]))
    if redefined:
        blocks.append(
            [
                "[[plan]]",
                f'id = "{redefined}"',
                'name = "Redefined"',
                'monthly_fee = "60"',
                'source = "fuzz"',
            ]
        )
    lines = list(top)
    for block in draw(st.permutations(blocks)):
        lines += ["", *block]
    return lines


CATALOG_EDITS: Final = (
    "drop-line",
    "repeat-line",
    "swap-lines",
    "move-line",  # a key into another table
    "rename-key",
    "retable",  # [[plan]] -> [plan], [[plans]], [[data_pack]]
    "swap-values",  # one key's value given to another: type confusion
    "set-value",
    "comment-out",
    "blank",
)
_KEYS: Final = ("id", "name", "monthly_fee", "fee", "source", "kind", "data_mb", "sms_code", "x")
_PLAIN_VALUES: Final = st.one_of(
    st.sampled_from(['""', '" "', '"0"', '"-1"', '"0.1234567"', "0", "1", "-1", "true", "[]"]),
    st.sampled_from(['"fz-plan-0"', '"4g-56"', '"FZLL0"', '"mobile"', '"fixed"', "{}", '"10"']),
    st.integers(-(10**6), 10**6).map(str),
    st.integers(0, 10**6).map(lambda n: f'"{n / 100}"'),
)


def _key_value(line: str) -> tuple[str, str] | None:
    key, sep, value = line.partition(" = ")
    return (key, value) if sep and not line.startswith(("[", "#")) else None


def edit_catalog(draw: st.DrawFn, lines: list[str], values: SearchStrategy[str]) -> None:
    """One random edit of a catalog's lines, in place."""
    if not lines:
        lines.append(draw(values))
        return
    op = draw(st.sampled_from(CATALOG_EDITS))
    i, j = _index(draw, len(lines)), _index(draw, len(lines))
    pair = _key_value(lines[i])
    if op == "drop-line":
        del lines[i]
    elif op == "repeat-line":
        lines.insert(j, lines[i])
    elif op == "swap-lines":
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "move-line":
        lines.insert(j, lines.pop(i))
    elif op == "rename-key" and pair:
        lines[i] = f"{draw(st.sampled_from(_KEYS))} = {pair[1]}"
    elif op == "retable" and lines[i].startswith("[["):
        lines[i] = draw(st.sampled_from(["[plan]", "[[plans]]", "[[data_pack]]", "[[service]]"]))
    elif op == "swap-values" and pair and (other := _key_value(lines[j])):
        lines[i], lines[j] = f"{pair[0]} = {other[1]}", f"{other[0]} = {pair[1]}"
    elif op == "set-value" and pair:
        lines[i] = f"{pair[0]} = {draw(values)}"
    elif op == "comment-out":
        lines[i] = "# " + lines[i]
    elif op == "blank":
        lines.insert(i, "")


@st.composite
def mutated_catalogs(draw: st.DrawFn) -> str:
    lines = draw(catalog_files())
    for _ in range(draw(st.integers(0, 4))):
        edit_catalog(draw, lines, _PLAIN_VALUES)
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 5)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON escapes are TOML basic-string escapes


_toml_scalars = st.one_of(
    huge_numbers,  # bare: integers, floats, garbage
    st.floats().map(lambda f: {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(str(f), repr(f))),
    huge_numbers.map(_toml_string),  # money is written as a string
    hostile_text.map(_toml_string),
    st.sampled_from(["true", "false", "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00", "''"]),
)
toml_values = st.one_of(
    _toml_scalars,
    st.lists(_toml_scalars, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.dictionaries(st.sampled_from(_KEYS), _toml_scalars, max_size=3).map(
        lambda d: "{ " + ", ".join(f"{k} = {v}" for k, v in d.items()) + " }"
    ),
    st.integers(1, 2000).map(lambda n: "[" * n + "]" * n),  # deep nesting
    hostile_text,  # not TOML at all
)


_MEMBER: Final = re.compile(r'(\w+) = ("[^"]*"|\[[^\]]*\]|[^,}\s]+)')


def hostile_like(draw: st.DrawFn, value: str) -> str:
    """A hostile TOML value, mostly of the same type as `value` (so that it gets past the type
    check to the range checks), sometimes any."""
    if draw(st.integers(0, 3)) == 0:
        return draw(toml_values)
    if value.startswith('"'):
        return draw(st.one_of(huge_numbers, hostile_text).map(_toml_string))
    if value.startswith("["):
        return draw(st.lists(_toml_scalars, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"))
    if value.startswith("{"):
        members = list(_MEMBER.finditer(value))
        if not members:
            return draw(toml_values)
        m = draw(st.sampled_from(members))
        return value[: m.start(2)] + hostile_like(draw, m.group(2)) + value[m.end(2) :]
    if value in ("true", "false"):
        return draw(_toml_scalars)
    return draw(huge_numbers)  # an integer


@st.composite
def catalogs_with_hostile_values(draw: st.DrawFn) -> str:
    """A valid catalog with one or two values replaced by hostile ones."""
    lines = draw(catalog_files())
    keyed = [i for i, line in enumerate(lines) if _key_value(line)]
    for _ in range(draw(st.integers(1, 2))):
        if not keyed:
            break
        i = draw(st.sampled_from(keyed))
        pair = _key_value(lines[i])
        assert pair is not None
        lines[i] = f"{pair[0]} = {hostile_like(draw, pair[1])}"
    return "\n".join(lines) + "\n"


toml_like_text = st.text(
    st.sampled_from("[]{}=\"'.,#\n \t-_0123456789aeinptrslu\\\x00\x7f中"), max_size=200
)


def check_add_tariffs(store: Store, text: str, source: str) -> None:
    """Add a catalog file: a domain error and nothing added, or exactly its entries added."""
    current = service.load_catalog(store)
    try:
        parsed = parse_catalog(text, source, current)
    except CatalogError as e:
        assert e.errors and all(isinstance(x, RowError) for x in e.errors)
        parsed = None
    before = snapshot(store)
    try:
        entries = service.add_tariffs(store, text, source)
    except UnicomError as e:
        errors = e.errors if isinstance(e, CatalogError) else ()
        note_outcome("catalog", f"refused ({type(e).__name__})", errors)
        assert_unchanged(store, before)
        return
    note_outcome("catalog", "added")
    assert entries == parsed
    after = snapshot(store)
    assert changed(before, after) <= {"catalog", "events"}
    assert after.catalog == [*before.catalog, (source, text)]
    events_before, events_after = before.events, after.events
    assert events_after[:-1] == events_before
    loaded = TariffsLoaded(
        source,
        tuple(entries.plans),
        tuple(entries.packs),
        tuple(entries.roaming),
        tuple(entries.services),
    )
    assert events_after[-1][1] == loaded
    # the store still loads, with the new entries, and every line still has its plan
    merged = service.load_catalog(store)
    assert all(merged.plans[k] == v for k, v in entries.plans.items())
    assert all(merged.packs[k] == v for k, v in entries.packs.items())
    assert all(merged.services[k] == v for k, v in entries.services.items())
    assert all(merged.roaming[k] == v for k, v in entries.roaming.items())
    codebook(merged)
    for line in store.subscribers():
        merged.plan(line.plan_id)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))
@given(text=st.one_of(st.text(max_size=200), toml_like_text), lines=st.booleans())
def test_a_catalog_of_arbitrary_text_is_a_domain_error_or_added_whole(
    open_store: OpenStore, kind: str, text: str, lines: bool
) -> None:
    with fresh_store(open_store, kind, lines=lines) as store:
        check_add_tariffs(store, text, "fuzz.toml")


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(50))
@given(text=mutated_catalogs(), lines=st.booleans())
def test_a_mutated_catalog_is_a_domain_error_or_added_whole(
    open_store: OpenStore, kind: str, text: str, lines: bool
) -> None:
    with fresh_store(open_store, kind, lines=lines) as store:
        check_add_tariffs(store, text, "mutated.toml")


_PLAN: Final = '[[plan]]\nid = "p"\nname = "P"\nmonthly_fee = "10"\nsource = "s"\n'


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))
@given(text=catalogs_with_hostile_values(), lines=st.booleans())
@example(text="retention_fee = " + "9" * 4301, lines=False)
@example(text="free_numbers = " + "[" * 1000 + "]" * 1000, lines=False)
@example(
    text=_PLAN + 'data = { billing = "mb-cumulative", rate = "0.123457", block_units = '
    '1234567890123456789012345678901234567, block_fee = "60" }\n',
    lines=False,
)
def test_a_catalog_with_hostile_values_is_a_domain_error_or_added_whole(
    open_store: OpenStore, kind: str, text: str, lines: bool
) -> None:
    with fresh_store(open_store, kind, lines=lines) as store:
        check_add_tariffs(store, text, "hostile.toml")


# ------------------------------------------------------------------------------------- SMS

#: Commands a line of the store can send, with the bundled codebook's product codes.
SMS_COMMANDS: Final = (
    *(
        SmsCommand(Intent.ORDER, code, now)
        for code in ("3GLL10", "3GLL30")
        for now in (False, True)
    ),
    SmsCommand(Intent.ORDER, "LDXS"),
    SmsCommand(Intent.ORDER, "NOPE"),
    SmsCommand(Intent.CANCEL, "3GLL20"),
    SmsCommand(Intent.CANCEL, "CL"),
    SmsCommand(Intent.REOPEN_ROAMING_DATA),
    SmsCommand(Intent.LAST_BILL, "202609"),
    SmsCommand(Intent.LAST_BILL),
    SmsCommand(Intent.BALANCE),
    SmsCommand(Intent.REMAINING),
    SmsCommand(Intent.STAR_LEVEL),
    SmsCommand(Intent.LANGUAGE, "en"),
    SmsCommand(Intent.HELP),
)
_SMS_CHARS: Final = st.one_of(
    st.sampled_from([*" \u3000\t\n\x00ＫＴ９0Z中?", "余额", "ZD", "LJ", "KT", "QX"]),
    st.characters(),
)


@st.composite
def mutated_sms(draw: st.DrawFn) -> str:
    """A valid command as a phone may send it, then up to three character edits."""
    command = draw(st.sampled_from(SMS_COMMANDS) | testing.sms_commands())
    text = draw(testing.sms_texts(command))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        op = draw(st.sampled_from(["delete", "insert", "swap", "repeat", "truncate"]))
        i = draw(st.integers(0, len(text)))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + draw(_SMS_CHARS) + text[i:]
        elif op == "swap" and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        elif op == "repeat":
            j = draw(st.integers(i, len(text)))
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i]
    return text


#: One in four arbitrary, the others a command with a few edits.
sms_texts = st.integers(0, 3).flatmap(lambda i: st.text(max_size=40) if i == 0 else mutated_sms())


@settings(max_examples=_examples(50))
@given(text=sms_texts, to=st.sampled_from([SERVICE_NUMBER, BILL_NUMBER]))
@example(text="ZD999912", to=SERVICE_NUMBER)
def test_any_sms_text_parses_as_a_command_and_its_canonical_text_gives_it_back(
    text: str, to: str
) -> None:
    command = parse(text, to)  # HELP for anything that is not a command: never an error
    assert isinstance(command, SmsCommand)
    assert parse(canonical_text(command), to) == command


#: The store's open mobile lines as a phone network may present them.
_SERVED_SENDERS: Final = st.sampled_from(
    [A, B, "+86 186 1234 5678", "186-1234-5678", "8618612345678", "131 1234 5678"]
)
#: Numbers that may not text 10010 (closed, fixed, broadband, unknown) and garbage.
_OTHER_SENDERS: Final = st.one_of(
    st.sampled_from([C, F, KD, "kd01062345678", "010-6234-5678", "10010", ""]),
    odd_numbers,
    st.text(max_size=20),
)
#: Two in three from a line the store serves (one_of would weigh each flattened branch alike).
senders = st.integers(0, 2).flatmap(lambda i: _OTHER_SENDERS if i == 0 else _SERVED_SENDERS)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(50))
@given(
    sender=senders,
    text=sms_texts,
    to=st.sampled_from([SERVICE_NUMBER, SERVICE_NUMBER, BILL_NUMBER]),
    now=st.sampled_from(
        [Month(2026, 10), Month(2026, 11), Month(2026, 12), Month(2027, 1)]
    ).flatmap(lambda m: testing.instants(m, after=at(2026, 10, 21))),
)
def test_an_sms_gets_a_reply_and_changes_at_most_its_sender_s_line_and_orders(
    open_store: OpenStore, kind: str, sender: str, text: str, to: str, now: datetime
) -> None:
    with fresh_store(open_store, kind) as store:
        before = snapshot(store)
        result = handle_sms(store, sender, text, now, to=to, message_id="sms-1")
        after = snapshot(store)
        label = result.command.intent.value if result.command else "unknown sender"
        event(f"sms: {label}, {'an order' if result.order else 'no order'}")
        assert result.text and result.parts and "".join(result.parts) == result.text
        served = canonical_number(sender)
        if served not in SERVED:  # unknown, closed, fixed or broadband: no data, no change
            assert result.command is None
            assert result.text == unknown_sender_text()
            assert changed(before, after) == set()
            return
        assert result.command is not None and result.sender == served
        lines_before = {s.msisdn: s for s in before.lines}
        lines_after = {s.msisdn: s for s in after.lines}
        assert {n for n in lines_before if lines_before[n] != lines_after[n]} <= {served}
        intent = result.command.intent
        if intent is Intent.LANGUAGE:
            assert changed(before, after) <= {"lines"}
            assert lines_after[served].locale == result.command.code
        elif result.order is not None:
            assert intent in (Intent.ORDER, Intent.CANCEL, Intent.REOPEN_ROAMING_DATA)
            assert to == SERVICE_NUMBER
            assert changed(before, after) <= {"lines", "orders", "events"}
            assert after.orders == [*before.orders, result.order]
            assert result.order.msisdn == served
            assert result.order.request.channel is Channel.SMS
            # the gateway delivering the same message again orders nothing more
            repeated = handle_sms(store, sender, text, now, to=to, message_id="sms-1")
            assert repeated.order is not None and repeated.order.id == result.order.id
            assert_unchanged(store, after)
        else:  # a query, help, or an order refused: an answer and nothing else
            assert changed(before, after) == set()
