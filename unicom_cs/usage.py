"""Usage: call detail records (CDRs) and the CSV format they arrive in.

A CDR file has a header naming the columns ``id,msisdn,service,direction,start,duration_s,
bytes,peer,location`` (any order). `parse_cdrs` checks every row and returns the good records and
one `RowError` per bad row (errors are values, as in beancount): the caller decides whether a
file with bad rows is rejected whole or imported with its rejects set aside.
"""

from __future__ import annotations

import csv
import enum
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Final, Protocol, TypeVar

import attrs

from unicom_cs.errors import InvalidValue, RowError
from unicom_cs.number import COUNTRY_CODES, PROVINCE_CODES, ROAMING_REGIONS, usage_number
from unicom_cs.period import CST, SHANGHAI

COLUMNS: Final = (
    "id",
    "msisdn",
    "service",
    "direction",
    "start",
    "duration_s",
    "bytes",
    "peer",
    "location",
)
_MAX_DURATION_S: Final = 7 * 24 * 3600
_MAX_BYTES: Final = 1 << 50


class Service(enum.StrEnum):
    VOICE = "voice"
    VIDEO = "video"
    SMS = "sms"
    MMS = "mms"
    DATA = "data"


class Direction(enum.StrEnum):
    OUT = "out"  # mobile-originated
    IN = "in"  # mobile-terminated


@attrs.frozen
class UsageRecord:
    """One call, message or data session, as the network recorded it.

    `start` is timezone-aware. `location` is where the line was: an ISO 3166-2:CN province code
    (CN-BJ), "CN" when the province is not known, or an ISO 3166-1 country code (JP) abroad.
    """

    id: str
    msisdn: str
    service: Service
    direction: Direction
    start: datetime
    duration_s: int = 0
    bytes: int = 0
    peer: str = ""
    location: str = "CN"

    @property
    def abroad(self) -> bool:
        return not self.location.startswith("CN")


def check_location(text: str) -> str:
    """A CDR location: a province code (CN-BJ), "CN", or a country code (JP).

    Hong Kong, Macau and Taiwan are roaming for a mainland line: CN-HK is read as HK.

    Raises:
        InvalidValue: anything else.
    """
    loc = text.strip().upper() or "CN"
    if loc in ROAMING_REGIONS:
        return ROAMING_REGIONS[loc]
    if loc == "CN" or loc in PROVINCE_CODES or loc in COUNTRY_CODES:
        return loc
    raise InvalidValue(
        "location", text, "expected a province code such as CN-BJ or a country code such as JP"
    )


def _count(text: str, name: str, required: bool, limit: int) -> int:
    if text.isdecimal() and text.isascii() and len(text) < 19:  # the common case: plain digits
        value = int(text)
    else:
        text = text.strip()
        if not text:
            if required:
                raise InvalidValue(name, text, "missing")
            return 0
        digits = text.removeprefix("-")
        if not text.isascii() or not digits.isdigit():
            raise InvalidValue(name, text, "expected a whole number")
        if text.startswith("-"):
            raise InvalidValue(name, text, "must not be negative")
        if len(digits.lstrip("0")) > len(str(limit)):  # before int(): no 4,300-digit parse
            raise InvalidValue(name, text[:30], f"larger than {limit}")
        value = int(digits)
    if value > limit:
        raise InvalidValue(name, text, f"larger than {limit}")
    return value


def _start(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue("start", text, "expected ISO 8601 such as 2026-10-05T08:30:00") from None
    if not 1970 <= value.year <= 9000:  # as `period.parse_instant`: every month can bill it
        raise InvalidValue("start", text, "outside the years 1970 to 9000")
    if value.tzinfo is None:  # Beijing time; kept at its fixed offset, as the stores keep it
        return value.replace(tzinfo=SHANGHAI).astimezone(CST)
    return value


_SERVICES: Final = {s.value: s for s in Service}
# The common locations, already checked: a dict hit instead of a regex per record.
_LOCATIONS: Final = {code: code for code in (*PROVINCE_CODES, "CN") if code not in ROAMING_REGIONS}
_DIRECTIONS: Final = {d.value: d for d in Direction}


def parse_row(cells: Sequence[str]) -> UsageRecord:
    """One CSV row, its cells in `COLUMNS` order, as a record.

    Raises:
        InvalidValue: the first problem found in the row.
    """
    rid, msisdn, service_text, direction_text, start, duration, nbytes, peer, location = cells
    rid = rid.strip()
    if not rid:
        raise InvalidValue("id", rid, "missing")
    # Each look-up tries the cell as written first: a file's values are almost always already
    # lower case and unpadded, and a dict hit costs less than strip() and lower().
    service = _SERVICES.get(service_text) or _SERVICES.get(service_text.strip().lower())
    if service is None:
        raise InvalidValue("service", service_text, "expected voice, video, sms, mms or data")
    direction = _DIRECTIONS.get(direction_text) or _DIRECTIONS.get(direction_text.strip().lower())
    if direction is None:
        raise InvalidValue("direction", direction_text, "expected out or in")
    timed = service is Service.VOICE or service is Service.VIDEO
    number = usage_number(msisdn)
    where = _LOCATIONS.get(location) or check_location(location)
    if number[0] == "0" and not where.startswith("CN"):
        raise InvalidValue("location", location, "a fixed line does not roam abroad")
    return UsageRecord(  # positional: the fields' order (a call by keyword costs more)
        rid,
        number,
        service,
        direction,
        _start(start),
        _count(duration, "duration_s", timed, _MAX_DURATION_S),
        _count(nbytes, "bytes", service is Service.DATA, _MAX_BYTES),
        peer.strip(),
        where,
    )


@attrs.frozen
class ParsedCdrs:
    """What a CDR file held: good records (first occurrence of each id) and bad rows."""

    records: tuple[UsageRecord, ...]
    errors: tuple[RowError, ...]
    rows: int  # data rows read, good and bad
    lines: tuple[int, ...] = ()  # the line each record was read from
    duplicates: int = 0  # rows that repeat an earlier row of the file exactly

    def where(self, i: int) -> str:
        return f"{self.source}:{self.lines[i]}" if self.lines else f"{self.source}:#{i + 1}"

    source: str = "<cdrs>"


_NEWLINE = re.compile(r"\r\n|\r|\n")
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")


def _split(text: str) -> list[str]:
    """Lines split at CR, LF or CRLF only (str.splitlines also splits at form feeds, U+2028
    and others, which would cut a row in two and shift every line number after it)."""
    lines = _NEWLINE.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def decoded_lines(data: bytes, source: str, errors: list[RowError]) -> Iterator[tuple[int, str]]:
    """The file's lines, numbered from 1, split at CR/LF only (shared by every CSV import);
    a file that is not UTF-8 adds one error and yields nothing."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        yield from enumerate(_split(text), 1)
        return
    raws = _NEWLINE_BYTES.split(data)
    if raws and raws[-1] == b"":
        raws.pop()
    for n, raw in enumerate(raws, 1):
        try:
            yield n, raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError as e:
            errors.append(RowError(f"{source}:{n}", f"not UTF-8 (byte {e.start + 1})"))


def parse_cdrs(data: bytes, source: str = "<cdrs>") -> ParsedCdrs:
    """Parse a CDR CSV file's bytes.

    Args:
        data: the file's content (UTF-8, with a header row).
        source: the file's name, used in every error as ``source:line``.

    Returns:
        The good records in file order, and one error per bad row naming its line. A row whose
        id repeats an earlier row's with the same content is dropped; with other content it is
        an error.
    """
    records, errors, rows, lines, duplicates = read_csv(data, source, COLUMNS, parse_row)
    return ParsedCdrs(records, errors, rows, lines, duplicates, source)


class _Keyed(Protocol):
    @property
    def id(self) -> str: ...


K = TypeVar("K", bound=_Keyed)


def read_csv(
    data: bytes, source: str, columns: Sequence[str], parse: Callable[[list[str]], K]
) -> tuple[tuple[K, ...], tuple[RowError, ...], int, tuple[int, ...], int]:
    """The rows of a CSV file with a header naming `columns` (any order, any case, extra
    columns ignored), each parsed by `parse` from its cells in `columns` order; shared by the
    CDR and contact imports.

    Returns:
        The good records in file order (the first of each id), one error per bad row naming
        its line, the data rows read, the line of each record, and the rows that repeat an
        earlier one exactly. A row whose id repeats an earlier row's with other content is an
        error.
    """
    errors: list[RowError] = []
    lines = list(decoded_lines(data, source, errors))
    if not lines or not lines[0][1].strip():
        errors.append(
            RowError(f"{source}:1", "empty file: expected a header row " + ",".join(columns))
        )
        return (), tuple(errors), 0, (), 0
    header_no, header_line = lines[0]
    header = [h.strip().lower() for h in next(csv.reader([header_line]))]
    missing = [c for c in columns if c not in header]
    if missing:
        errors.append(RowError(f"{source}:{header_no}", "missing column(s): " + ", ".join(missing)))
        return (), tuple(errors), 0, (), 0
    index = [header.index(c) for c in columns]
    # the usual file: exactly the standard columns, in order (extra columns are ignored)
    in_order = index == list(range(len(columns))) and len(header) == len(columns)
    width = len(header)
    seen: dict[str, tuple[int, K]] = {}
    rows = duplicates = 0
    body = lines[1:]
    reader = csv.reader([line for _, line in body])
    last = 0
    for cells in reader:
        row_start, last = last, reader.line_num  # the row's lines: body[row_start:last]
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue  # a blank line
        rows += 1
        n, line = body[row_start]
        if last != row_start + 1:  # a quoted field held a line break
            problem = "a quoted field spans several lines"
        elif len(cells) != width:
            problem = f"expected {width} fields, found {len(cells)}"
        elif "\x00" in line:  # no database text column holds it (PostgreSQL refuses it)
            problem, line = "contains a NUL character", line.replace("\x00", "")
        else:
            try:
                record = parse(cells if in_order else [cells[i] for i in index])
            except InvalidValue as e:
                problem = e.message()
            else:
                first = seen.get(record.id)
                if first is None:
                    seen[record.id] = (n, record)
                    continue
                if first[1] == record:
                    duplicates += 1
                    continue
                problem = f"id {record.id!r} repeats line {first[0]} with other content"
        errors.append(RowError(f"{source}:{n}", problem, line))  # named only when needed
    errors.sort(key=lambda e: int(e.where.rsplit(":", 1)[1]))
    undecodable = sum(1 for e in errors if e.reason.startswith("not UTF-8"))
    return (
        tuple(r for _, r in seen.values()),
        tuple(errors),
        rows + undecodable,
        tuple(n for n, _ in seen.values()),
        duplicates,
    )


def format_row(r: UsageRecord) -> str:
    """One record as a CDR CSV row (without the line end)."""
    cells = [
        r.id,
        r.msisdn,
        r.service.value,
        r.direction.value,
        r.start.isoformat(),
        str(r.duration_s),
        str(r.bytes),
        r.peer,
        r.location,
    ]
    return ",".join(quote_cell(c) for c in cells)


def format_cdrs(records: Iterable[UsageRecord]) -> str:
    """Records as CDR CSV text (the inverse of `parse_cdrs`), times in ISO 8601 with offset."""
    return "\n".join([",".join(COLUMNS), *(format_row(r) for r in records)]) + "\n"


def quote_cell(cell: str) -> str:
    if any(ch in cell for ch in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell
