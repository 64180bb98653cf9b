"""The SMS grammar, pure: parsing and canonical texts, the codebook, replies and segments."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from unicom_cs import testing
from unicom_cs.catalog import default_catalog, parse_catalog
from unicom_cs.club import StarLevel
from unicom_cs.errors import CatalogError
from unicom_cs.money import Money
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.rating import Remaining
from unicom_cs.sms import (
    BILL_NUMBER,
    KEYWORDS,
    LANGUAGE_WORDS,
    PART_LIMITS,
    RESERVED_CODES,
    SERVICE_NUMBER,
    SINGLE_LIMITS,
    BillSummary,
    Intent,
    LineFacts,
    SmsCommand,
    canonical,
    codebook,
    encoding,
    length,
    normalize,
    parse,
    reply,
    segments,
)

# --------------------------------------------------------------------------- strategies

codes = st.from_regex(r"[A-Z0-9]{2,12}", fullmatch=True).filter(lambda c: c not in RESERVED_CODES)
bill_months = testing.months(Month(2000, 1), Month(2099, 12)).map(
    lambda m: f"{m.year:04d}{m.month:02d}"
)
PLAIN = (Intent.BALANCE, Intent.SPEND, Intent.REMAINING, Intent.STAR_LEVEL, Intent.HELP)


def _command(intent: Intent, code: str, immediate: bool, month: str | None) -> SmsCommand:
    if intent is Intent.ORDER:
        return SmsCommand(intent, code, immediate)
    if intent is Intent.CANCEL:
        return SmsCommand(intent, code)
    if intent is Intent.LAST_BILL:
        return SmsCommand(intent, month or "")
    if intent is Intent.LANGUAGE:
        return SmsCommand(intent, "en" if immediate else "zh-CN")
    return SmsCommand(intent)


commands = st.builds(
    _command, st.sampled_from(Intent), codes, st.booleans(), st.none() | bill_months
)


def _full_width(c: str) -> str:
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c


@st.composite
def typed(draw: st.DrawFn, text: str) -> str:
    """`text` as a phone might send it: letters in either case, some characters full-width,
    spaces (ASCII or ideographic) anywhere."""
    out = []
    for c in text:
        out.append(draw(st.sampled_from(["", " ", "\u3000", "  "])))
        c = c.lower() if draw(st.booleans()) else c.upper()
        out.append(_full_width(c) if draw(st.booleans()) else c)
    out.append(draw(st.sampled_from(["", " ", "\u3000"])))
    return "".join(out)


# --------------------------------------------------------------------------- round trip


@settings(max_examples=200)
@given(commands)
def test_every_command_reads_back_from_its_canonical_text(command: SmsCommand) -> None:
    assert parse(canonical(command)) == command
    assert parse(canonical(command), BILL_NUMBER) == command


@settings(max_examples=200)
@given(st.data(), commands)
def test_a_command_reads_the_same_in_any_case_with_spaces_and_full_width_characters(
    data: st.DataObject, command: SmsCommand
) -> None:
    text = data.draw(typed(canonical(command)))
    assert parse(text) == command


def test_full_width_input_reads_as_ascii() -> None:
    assert parse("ＫＴ３ＧＬＬ３０") == SmsCommand(Intent.ORDER, "3GLL30")
    assert parse("ｌｊｋｔ　３ｇｌｌ３０") == SmsCommand(Intent.ORDER, "3GLL30", True)
    assert parse("ｙｅ") == SmsCommand(Intent.BALANCE)
    assert normalize(" ｑｘ 3gll30\u3000") == "QX3GLL30"


# --------------------------------------------------------------------------- ambiguity


@settings(max_examples=200)
@given(commands, commands)
def test_no_two_distinct_commands_share_a_canonical_text(a: SmsCommand, b: SmsCommand) -> None:
    assert (a == b) == (canonical(a) == canonical(b))


def test_the_canonical_texts_of_every_keyword_command_are_distinct() -> None:
    sample = [SmsCommand(i) for i in PLAIN]
    sample += [SmsCommand(Intent.REOPEN_ROAMING_DATA), SmsCommand(Intent.LAST_BILL)]
    sample += [SmsCommand(Intent.LAST_BILL, "202610"), SmsCommand(Intent.LAST_BILL, "202611")]
    sample += [SmsCommand(Intent.LANGUAGE, "en"), SmsCommand(Intent.LANGUAGE, "zh-CN")]
    # codes that look like keywords are still codes
    for code in ["YE", "ZD", "EN", "ZW", "BZ", "HELP", "ZD202610", "LJKT", "KT", "QX", "3GLL30"]:
        sample += [SmsCommand(Intent.ORDER, code), SmsCommand(Intent.ORDER, code, True)]
        sample += [SmsCommand(Intent.CANCEL, code)]
    texts = [canonical(c) for c in sample]
    assert len(set(texts)) == len(sample)
    assert [parse(t) for t in texts] == sample


@pytest.mark.parametrize(
    ("word", "intent"), [(w, i) for i, words in KEYWORDS.items() for w in words]
)
def test_every_keyword_reads_as_its_own_intent(word: str, intent: Intent) -> None:
    assert parse(word) == SmsCommand(intent)
    assert parse(word.lower()) == SmsCommand(intent)


@pytest.mark.parametrize(("word", "locale"), list(LANGUAGE_WORDS.items()))
def test_every_language_word_reads_as_its_locale(word: str, locale: str) -> None:
    assert parse(word) == SmsCommand(Intent.LANGUAGE, locale)


def test_the_order_prefixes_do_not_capture_keywords() -> None:
    assert parse("KTSJLL") == SmsCommand(Intent.REOPEN_ROAMING_DATA)
    assert parse("kt sjll") == SmsCommand(Intent.REOPEN_ROAMING_DATA)
    assert parse("LJKTSJLL").intent is Intent.HELP  # SJLL is no product: nothing to order now
    assert parse("KT").intent is Intent.HELP
    assert parse("LJKT").intent is Intent.HELP
    assert parse("QX").intent is Intent.HELP
    assert parse("KTX").intent is Intent.HELP  # a code has two characters at least
    assert parse("KT" + "A" * 13).intent is Intent.HELP  # and twelve at most
    assert parse("LJKT3GLL30") == SmsCommand(Intent.ORDER, "3GLL30", True)
    assert parse("KTLJKT30") == SmsCommand(Intent.ORDER, "LJKT30")


def test_a_bill_month_must_be_a_real_month_from_2000() -> None:
    assert parse("ZD202610") == SmsCommand(Intent.LAST_BILL, "202610")
    assert parse("cxzd 2026 01") == SmsCommand(Intent.LAST_BILL, "202601")
    assert parse("ZD202613").intent is Intent.HELP
    assert parse("ZD202600").intent is Intent.HELP
    assert parse("ZD199912").intent is Intent.HELP


@pytest.mark.parametrize(
    "keyword", [w for words in KEYWORDS.values() for w in words if w.isascii()]
)
def test_no_keyword_is_an_order_or_a_cancellation_of_a_product(keyword: str) -> None:
    command = parse(keyword)
    assert command.intent not in (Intent.ORDER, Intent.CANCEL)


# --------------------------------------------------------------------------- any text


@settings(max_examples=200)
@given(st.text(), st.sampled_from([SERVICE_NUMBER, BILL_NUMBER]))
def test_any_text_parses_to_a_command_without_raising(text: str, to: str) -> None:
    command = parse(text, to)
    assert isinstance(command, SmsCommand)
    assert parse(canonical(command), to) == command


@settings(max_examples=200)
@given(st.text())
@example("ZD٢٠٢٦١٠")  # Arabic-Indic digits
@example("ZD२०२६१०")  # Devanagari digits
def test_every_command_parse_returns_has_an_ascii_canonical_text(text: str) -> None:
    # The grammar's alphabet is ASCII after NFKC: a code or bill month in other digits would be
    # a second command for the same month (ZD٢٠٢٦١٠ beside ZD202610).
    command = parse(text)
    assert canonical(command).isascii()


@pytest.mark.parametrize("text", ["", " ", "\u3000", "\t\n"])
def test_an_empty_text_asks_10901_for_the_last_bill_and_10010_for_help(text: str) -> None:
    assert parse(text, BILL_NUMBER) == SmsCommand(Intent.LAST_BILL)
    assert parse(text, SERVICE_NUMBER) == SmsCommand(Intent.HELP)


# --------------------------------------------------------------------------- codebook

PACK = """
[[data_pack]]
id = "{id}"
name = "A pack"
fee = "10"
data_mb = 100
group = "g-{id}"
sms_code = "{code}"
source = "test"
"""
SERVICE = """
[[service]]
id = "{id}"
name = "A service"
monthly_fee = "5"
source = "test"
"""


def test_the_bundled_codebook_names_the_published_codes() -> None:
    book = codebook(default_catalog())
    expected = {
        "3GLL10": ("pack", "3g-pack-10"),
        "3GLL20": ("pack", "3g-pack-20"),
        "3GLL30": ("pack", "3g-pack-30"),
        "LDXS": ("service", "caller-id"),
        "CL": ("service", "ringback"),
        "SJYX": ("service", "mailbox"),
    }
    assert {code: (p.kind, p.id) for code, p in book.items()} == expected
    assert book["3GLL30"].fee == Money("30")


def test_a_catalog_whose_entries_share_a_code_is_refused_naming_the_entry() -> None:
    catalog = parse_catalog(PACK.format(id="p1", code="AB") + PACK.format(id="p2", code="AB"))
    with pytest.raises(CatalogError) as caught:
        codebook(catalog)
    (error,) = caught.value.errors
    assert "p2" in error.where
    assert "'AB'" in error.reason and "p1" in error.reason


def test_a_catalog_entry_coded_sjll_is_refused_naming_the_entry() -> None:
    catalog = parse_catalog(PACK.format(id="roam", code="SJLL"))
    with pytest.raises(CatalogError) as caught:
        codebook(catalog)
    (error,) = caught.value.errors
    assert "roam" in error.where and "SJLL" in error.reason


def test_an_entry_without_a_code_is_coded_by_its_id_and_sjll_is_refused_that_way_too() -> None:
    assert "MYSERVICE" in codebook(parse_catalog(SERVICE.format(id="my-service")))
    with pytest.raises(CatalogError, match="sjll"):
        codebook(parse_catalog(SERVICE.format(id="sjll")))


# --------------------------------------------------------------------------- segments

gsm_text = st.text(alphabet="abcXYZ 0123456789.,!?@£{}[]~^|€\\", max_size=500)


@pytest.mark.parametrize(
    ("text", "enc", "parts"),
    [
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("a" * 306, "gsm7", 2),
        ("a" * 307, "gsm7", 3),
        ("联" * 70, "ucs2", 1),
        ("联" * 71, "ucs2", 2),
        ("联" * 134, "ucs2", 2),
        ("联" * 135, "ucs2", 3),
        ("{" * 80, "gsm7", 1),
        ("{" * 81, "gsm7", 2),
    ],
)
def test_the_single_and_part_limits_are_160_70_and_153_67(text: str, enc: str, parts: int) -> None:
    assert encoding(text) == enc
    assert len(segments(text)) == parts


def test_extension_characters_count_twice() -> None:
    assert length("{}[]~^|€\\") == 18
    assert length("a€") == 3
    # 152 plain septets then one extension character: it does not fit the first part
    parts = segments("a" * 152 + "€" + "b" * 10)
    assert parts[0] == "a" * 152
    assert [length(p) for p in parts] == [152, 12]


def test_a_character_outside_the_bmp_counts_two_utf16_units() -> None:
    assert encoding("😀") == "ucs2"
    assert length("😀" * 35) == 70
    assert segments("😀" * 35) == ("😀" * 35,)
    assert len(segments("😀" * 36)) == 2


@settings(max_examples=200)
@given(st.text(max_size=400) | gsm_text)
def test_segments_carry_the_whole_text_and_no_part_exceeds_its_limit(text: str) -> None:
    parts = segments(text)
    assert "".join(parts) == text
    enc = encoding(text)
    if length(text) <= SINGLE_LIMITS[enc]:
        assert parts == (text,)
    else:
        assert len(parts) > 1
        assert all(p for p in parts)
        # each part counted in the whole message's encoding
        assert all(_units(p, enc) <= PART_LIMITS[enc] for p in parts)


def _units(text: str, enc: str) -> int:
    """Septets (GSM 7-bit) or UTF-16 code units (UCS-2), counted independently of `length`."""
    if enc == "gsm7":
        return sum(2 if c in "^{}\\[~]|€\f" else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- reply length

QUERIES = (
    Intent.BALANCE,
    Intent.SPEND,
    Intent.REMAINING,
    Intent.LAST_BILL,
    Intent.STAR_LEVEL,
    Intent.HELP,
)
extreme_money = testing.money("-99999.99", "99999.99") | st.sampled_from(
    [Money("-99999.99"), Money("99999.99"), Money("0")]
)
counts = st.integers(0, 99_999) | st.just(99_999)


@st.composite
def line_facts(draw: st.DrawFn, locale: str) -> LineFacts:
    as_of = draw(testing.instants())
    left = Remaining(
        draw(counts),
        draw(st.none() | counts),
        draw(counts),
        draw(st.none() | st.integers(0, 1024**4)),  # up to a terabyte
    )
    bill = draw(
        st.none()
        | st.builds(BillSummary, testing.months(), extreme_money, testing.instants(), st.booleans())
    )
    level = draw(st.none() | st.sampled_from(StarLevel))
    star = None if level is None else (level.en if locale == "en" else level.zh)
    return LineFacts(
        "13012345678",
        as_of,
        draw(extreme_money),
        draw(extreme_money),
        draw(testing.money("0", "99999.99")),
        left,
        bill,
        star,
    )


@settings(max_examples=150)
@given(st.data(), st.sampled_from(QUERIES))
def test_every_chinese_query_reply_fits_one_ucs2_sms(data: st.DataObject, intent: Intent) -> None:
    facts = data.draw(line_facts("zh-CN"))
    text = reply(SmsCommand(intent), facts, "zh-CN")
    assert length(text) <= 70, text
    assert segments(text) == (text,)


@settings(max_examples=150)
@given(st.data(), st.sampled_from(QUERIES))
def test_every_english_query_reply_fits_one_gsm7_sms(data: st.DataObject, intent: Intent) -> None:
    facts = data.draw(line_facts("en"))
    text = reply(SmsCommand(intent), facts, "en")
    assert encoding(text) == "gsm7", text
    assert length(text) <= 160, text
    assert segments(text) == (text,)


def test_the_most_extreme_facts_still_fit_one_sms() -> None:
    at = datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI)
    bill = BillSummary(Month(2026, 12), Money("-99999.99"), at, False)
    for locale in ("zh-CN", "en"):
        facts = LineFacts(
            "13012345678",
            at,
            Money("-99999.99"),
            Money("-99999.99"),
            Money("99999.99"),
            Remaining(99_999, 99_999, 99_999, 1024**4),
            bill,
            StarLevel.THREE.en if locale == "en" else StarLevel.THREE.zh,
        )
        for intent in QUERIES:
            text = reply(SmsCommand(intent), facts, locale)
            assert len(segments(text)) == 1, (locale, intent, text)
