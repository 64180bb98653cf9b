"""CDR files: good rows become records, each bad row becomes one error naming `source:line`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import testing
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.usage import (
    COLUMNS,
    Direction,
    Service,
    UsageRecord,
    format_cdrs,
    parse_cdrs,
)

HEADER = ",".join(COLUMNS)
GOOD = [
    "v1,13012345678,voice,out,2026-10-05T08:30:00,61,,13800138000,CN-BJ",
    "s1,+86 130 1234 5678,SMS,OUT,2026-10-05T09:00:00+08:00,,,10010,",
    "d1,13012345678,data,out,2026-10-05T10:00:00,,1048577,,CN-GD",
    "r1,13012345678,voice,in,2026-10-06T01:00:00+00:00,30,,+81312345678,jp",
]


def cdr_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_good_rows_become_records_in_file_order() -> None:
    parsed = parse_cdrs(cdr_file(*GOOD), "oct.csv")
    assert parsed.errors == ()
    assert parsed.rows == 4
    assert [r.id for r in parsed.records] == ["v1", "s1", "d1", "r1"]
    assert parsed.lines == (2, 3, 4, 5)
    assert parsed.where(0) == "oct.csv:2"
    v1, s1, d1, r1 = parsed.records
    assert v1 == UsageRecord(
        "v1",
        "13012345678",
        Service.VOICE,
        Direction.OUT,
        datetime(2026, 10, 5, 8, 30, tzinfo=SHANGHAI),
        61,
        0,
        "13800138000",
        "CN-BJ",
    )
    assert s1.msisdn == "13012345678"  # normalised
    assert s1.service is Service.SMS and s1.direction is Direction.OUT  # case-insensitive
    assert s1.location == "CN" and not s1.abroad  # blank location: somewhere in China
    assert d1.bytes == 1048577 and d1.duration_s == 0
    assert r1.location == "JP" and r1.abroad
    assert r1.start == datetime(2026, 10, 6, 1, 0, tzinfo=UTC)


def test_a_naive_start_time_is_beijing_time() -> None:
    (record,) = parse_cdrs(cdr_file(GOOD[0])).records
    assert record.start.utcoffset() is not None
    assert record.start == datetime(2026, 10, 5, 0, 30, tzinfo=UTC)


def test_columns_may_come_in_any_order_and_a_bom_is_ignored() -> None:
    header = "location,peer,bytes,duration_s,start,direction,service,msisdn,id"
    row = "CN-BJ,13800138000,,61,2026-10-05T08:30:00,out,voice,13012345678,v1"
    parsed = parse_cdrs(b"\xef\xbb\xbf" + cdr_file(row, header=header))
    assert parsed.errors == ()
    assert parsed.records == parse_cdrs(cdr_file(GOOD[0])).records


BAD_ROWS = {
    "bad date": ("b1,13012345678,voice,out,2026-10-32T08:00:00,60,,13800138000,", "start"),
    "negative duration": ("b2,13012345678,voice,out,2026-10-05T08:00:00,-5,,1,", "negative"),
    "unknown service": ("b3,13012345678,fax,out,2026-10-05T08:00:00,60,,13800138000,", "service"),
    "unknown direction": ("b4,13012345678,voice,sideways,2026-10-05T08:00:00,60,,1,", "direction"),
    "missing duration": ("b5,13012345678,voice,out,2026-10-05T08:00:00,,,13800138000,", "missing"),
    "missing bytes": ("b6,13012345678,data,out,2026-10-05T08:00:00,,,,", "missing"),
    "bad number": ("b7,12345,voice,out,2026-10-05T08:00:00,60,,13800138000,", "mobile"),
    "bad location": ("b8,13012345678,sms,out,2026-10-05T08:00:00,,,10010,Moon", "location"),
    "too few fields": ("b9,13012345678,voice,out,2026-10-05T08:00:00,60", "expected 9 fields"),
    "too many fields": ("b10,13012345678,sms,out,2026-10-05T08:00:00,,,1,CN,x", "expected 9"),
    "blank id": (",13012345678,sms,out,2026-10-05T08:00:00,,,1,CN", "id"),
    "not a number": ("b12,13012345678,voice,out,2026-10-05T08:00:00,1e3,,1,CN", "whole number"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_each_bad_row_gives_one_error_at_its_line_and_the_good_rows_still_parse(case: str) -> None:
    bad, reason = BAD_ROWS[case]
    parsed = parse_cdrs(cdr_file(GOOD[0], bad, GOOD[2]), "oct.csv")
    assert [r.id for r in parsed.records] == ["v1", "d1"]
    assert len(parsed.errors) == 1
    (error,) = parsed.errors
    assert error.where == "oct.csv:3"
    assert reason in error.reason
    assert error.text == bad
    assert parsed.rows == 3


def test_every_bad_row_of_a_file_is_reported_in_line_order() -> None:
    bad = [BAD_ROWS[c][0] for c in sorted(BAD_ROWS)]
    parsed = parse_cdrs(cdr_file(*bad, *GOOD), "oct.csv")
    assert [e.where for e in parsed.errors] == [f"oct.csv:{n}" for n in range(2, 2 + len(bad))]
    assert len(parsed.records) == len(GOOD)


def test_non_utf8_bytes_are_an_error_on_their_line_only() -> None:
    data = cdr_file(GOOD[0], "x1,13012345678,sms,out,2026-10-05T08:00:00,,,\xff\xfe,CN", GOOD[2])
    data = data.replace("\xff\xfe".encode(), b"\xff\xfe")
    parsed = parse_cdrs(data, "latin.csv")
    assert [(e.where, "not UTF-8" in e.reason) for e in parsed.errors] == [("latin.csv:3", True)]
    assert [r.id for r in parsed.records] == ["v1", "d1"]


def test_a_repeated_id_with_the_same_content_is_one_record() -> None:
    parsed = parse_cdrs(cdr_file(GOOD[0], GOOD[2], GOOD[0]), "oct.csv")
    assert parsed.errors == ()
    assert [r.id for r in parsed.records] == ["v1", "d1"]
    assert parsed.rows == 3


def test_a_repeated_id_with_other_content_is_an_error_naming_the_first_line() -> None:
    other = GOOD[0].replace(",61,", ",62,")
    parsed = parse_cdrs(cdr_file(GOOD[0], GOOD[2], other), "oct.csv")
    assert [r.id for r in parsed.records] == ["v1", "d1"]
    assert parsed.records[0].duration_s == 61  # the first occurrence wins
    (error,) = parsed.errors
    assert error.where == "oct.csv:4"
    assert "repeats line 2" in error.reason


@pytest.mark.parametrize("data", [b"", b"\n\n", b"   \n"])
def test_an_empty_file_is_one_error_at_line_1(data: bytes) -> None:
    parsed = parse_cdrs(data, "empty.csv")
    assert parsed.records == ()
    assert [e.where for e in parsed.errors] == ["empty.csv:1"]
    assert "empty file" in parsed.errors[0].reason


def test_a_header_without_a_required_column_is_one_error_at_line_1() -> None:
    header = HEADER.replace(",location", "")
    parsed = parse_cdrs(cdr_file(*(r.rsplit(",", 1)[0] for r in GOOD), header=header), "f.csv")
    assert parsed.records == ()
    (error,) = parsed.errors
    assert error.where == "f.csv:1"
    assert "missing column(s): location" in error.reason


def test_blank_lines_are_skipped_but_lines_keep_their_numbers() -> None:
    parsed = parse_cdrs(cdr_file(GOOD[0], "", "  ", GOOD[1]), "f.csv")
    assert parsed.lines == (2, 5)
    assert parsed.rows == 2


def test_a_quoted_peer_with_a_comma_round_trips() -> None:
    record = UsageRecord(
        "q1",
        "13012345678",
        Service.SMS,
        Direction.OUT,
        datetime(2026, 10, 5, 8, tzinfo=SHANGHAI),
        peer='10010,"menu"',
    )
    assert parse_cdrs(format_cdrs([record]).encode()).records == (record,)


@given(testing.msisdns().flatmap(lambda n: testing.usage_records(n, Month(2026, 10))))
def test_formatting_then_parsing_gives_back_the_same_records(records: list[UsageRecord]) -> None:
    parsed = parse_cdrs(format_cdrs(records).encode(), "round.csv")
    assert parsed.errors == ()
    assert parsed.records == tuple(records)


@given(
    testing.msisdns().flatmap(lambda n: testing.usage_records(n, Month(2026, 10), min_size=1)),
    st.data(),
)
def test_parsing_a_file_with_a_row_repeated_keeps_one_copy(
    records: list[UsageRecord], data: st.DataObject
) -> None:
    repeated = data.draw(st.sampled_from(records))
    parsed = parse_cdrs(format_cdrs([*records, repeated]).encode())
    assert parsed.errors == ()
    assert parsed.records == tuple(records)
