"""`ucs sms|ivr|hotline|notify|roaming|club`: the self-service channels through the CLI.

One demo store (`ucs demo` at a fixed `--now`) is built per module. Commands that only read run
on it directly (the `shared` fixture checks afterwards that its bytes did not change); commands
that write run on a copy in the test's own directory (the `ucs` fixture). Each test checks what
the customer or agent sees and what the store holds afterwards, read back through other `ucs`
commands (`balance`, `bill show`, `order list`, `notify outbox`, `club rules`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from unicom_cs.cli import main

NOW = "2026-11-25T10:00:00"  # Beijing time; the demo's October bills are issued at this time
AS_OF = "11月25日10:00"  # how the replies write NOW
LINE = "13012345678"  # the demo's 3G A-46 line (Wang Fang), postpaid, since 2026-10-01
STRANGER = "13999999999"  # a mobile number the store does not know
MOBILE_LINES = ("13012345678", "15512345678", "18512345678", "18612345678")
VOICE_LINES = ("13012345678", "15512345678", "18612345678")
DATA_CARD = "18512345678"  # the demo's 3G data card (3g-card-80)
CLEAN_ENV: dict[str, str | None] = {
    "UCS_STORE": None,
    "UCS_NOW": None,
    "UCS_PASSWORD": None,
    "UCS_DEBUG": None,
}

Ucs = Callable[..., Result]


# ------------------------------------------------------------------ fixtures and helpers


def runner_on(store: Path) -> Ucs:
    """`ucs` on `store` at NOW: checks the exit code, and that no traceback reaches the user."""
    runner = CliRunner(env=CLEAN_ENV)

    def run(*args: str, code: int = 0, input: str | None = None, now: str = NOW) -> Result:
        result = runner.invoke(main, ["--store", str(store), "--now", now, *args], input=input)
        assert "Traceback" not in result.output + result.stderr
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        if code == 0:
            assert result.exception is None or isinstance(result.exception, SystemExit)
        else:
            assert result.stderr.strip(), "a failure must say why on stderr"
        return result

    return run


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("channels") / "demo.sqlite3"
    out = runner_on(path)("demo").stdout
    assert "6 lines" in out
    return path


@pytest.fixture
def shared(demo: Path) -> Iterator[Ucs]:
    """`ucs` on the module's demo store, for commands that must not write."""
    before = digest(demo)
    yield runner_on(demo)
    assert digest(demo) == before, "a read-only command changed the store"


@pytest.fixture
def store(demo: Path, tmp_path: Path) -> Path:
    """A copy of the demo store that a test may change."""
    copy = tmp_path / "store.sqlite3"
    shutil.copyfile(demo, copy)
    return copy


@pytest.fixture
def ucs(store: Path) -> Ucs:
    return runner_on(store)


def js(ucs: Ucs, *args: str) -> Any:
    """A command's --json output, parsed."""
    return json.loads(ucs(*args, "--json").stdout)


def error_line(result: Result) -> str:
    """The one line a failure prints on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def balance(ucs: Ucs, number: str = LINE) -> str:
    """The account balance `ucs balance` shows for the line."""
    shown: str = js(ucs, "balance", number)["balance"]
    return shown


def orders(ucs: Ucs, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = js(ucs, "order", "list", *args)
    return found


def outbox(ucs: Ucs, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = js(ucs, "notify", "outbox", *args)
    return found


def has_cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def no_floats(value: Any) -> bool:
    """No float anywhere in a parsed JSON value (money is a string)."""
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(no_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(no_floats(v) for v in value)
    return True


def test_the_demo_has_the_lines_these_tests_use(shared: Ucs) -> None:
    lines = {s["msisdn"] for s in js(shared, "subscriber", "list")}
    assert set(MOBILE_LINES) <= lines
    assert STRANGER not in lines


# ------------------------------------------------------------------ ucs sms


def test_sms_ye_replies_in_chinese_with_the_balance_ucs_balance_shows(shared: Ucs) -> None:
    money = balance(shared)
    out = shared("sms", LINE, "YE").stdout
    assert out == f"您的账户余额{money}元(截至{AS_OF})。【联通】\n"
    assert shared("sms", LINE, "ye").stdout == out  # keywords are case-insensitive


@pytest.mark.parametrize("number", MOBILE_LINES)
def test_every_demo_line_is_told_its_own_accounts_balance(shared: Ucs, number: str) -> None:
    assert f"您的账户余额{balance(shared, number)}元" in shared("sms", number, "YE").stdout


def test_sms_lang_en_replies_in_english_without_changing_the_lines_language(
    shared: Ucs,
) -> None:
    out = shared("sms", LINE, "YE", "--lang", "en").stdout
    assert out == f"Balance CNY {balance(shared)}, as of 25 Nov 10:00.\n"
    assert not has_cjk(out)
    assert has_cjk(shared("sms", LINE, "YE").stdout)  # the next reply is Chinese again


def test_sms_json_gives_the_parts_the_text_and_the_command(shared: Ucs) -> None:
    data = js(shared, "sms", LINE, "YE")
    assert data["sender"] == LINE and data["to"] == "10010"
    assert data["command"] == {"intent": "balance", "code": "", "immediate": False}
    assert data["text"] == f"您的账户余额{balance(shared)}元(截至{AS_OF})。【联通】"
    assert data["parts"] == [data["text"]]  # one SMS is enough
    assert data["locale"] == "zh-CN"
    assert data["order"] is None


def test_sms_hf_gives_this_months_charges_as_ucs_balance_shows_them(shared: Ucs) -> None:
    unbilled = js(shared, "balance", LINE)["unbilled"]
    out = shared("sms", LINE, "HF").stdout
    assert out == f"您本月已产生话费{unbilled}元(截至{AS_OF})。【联通】\n"


def test_sms_kt_orders_a_pack_from_next_month(ucs: Ucs) -> None:
    out = ucs("sms", LINE, "KT3GLL30").stdout
    assert out == "您已订购3GLL30(30.00元/月),12月1日00:00生效。\n"
    [order] = orders(ucs, LINE)
    assert order["state"] == "pending"
    assert order["request"]["type"] == "pack-order"
    assert order["request"]["product"] == "3g-pack-30"
    assert order["request"]["channel"] == "sms"
    assert order["effective_at"] == "2026-12-01T00:00:00+08:00"
    table = ucs("order", "list", LINE).stdout
    assert re.search(r"ORD-000001\s+13012345678\s+pack-order\s+3g-pack-30\s+pending\s+sms", table)


def test_sms_json_of_an_order_carries_the_order(ucs: Ucs) -> None:
    data = js(ucs, "sms", LINE, "KT3GLL30", "--id", "gw-1")
    assert data["command"] == {"intent": "order", "code": "3GLL30", "immediate": False}
    assert data["order"]["id"] == "ORD-000001"
    assert data["order"]["request"]["request_id"] == "gw-1"
    assert [o["id"] for o in orders(ucs, LINE)] == ["ORD-000001"]


def test_the_same_message_id_twice_orders_once_and_replies_the_same(ucs: Ucs) -> None:
    first = ucs("sms", LINE, "KT3GLL30", "--id", "gw-42").stdout
    events = js(ucs, "events")
    again = ucs("sms", LINE, "KT3GLL30", "--id", "gw-42").stdout
    assert again == first
    assert len(orders(ucs, LINE)) == 1
    assert js(ucs, "events") == events


def test_a_second_order_of_the_same_pack_is_refused_in_the_reply(ucs: Ucs) -> None:
    ucs("sms", LINE, "KT3GLL30", "--id", "gw-1")
    refused = ucs("sms", LINE, "KT3GLL30", "--id", "gw-2")  # a gateway reply, not a CLI error
    assert refused.stdout.startswith("办理失败")
    assert refused.stderr == ""
    assert len(orders(ucs, LINE)) == 1


def test_ljkt_orders_now_and_qx_cancels_from_next_month(ucs: Ucs) -> None:
    assert "11月25日10:00生效" in ucs("sms", LINE, "LJKT3GLL10").stdout
    assert "您已退订3GLL10" in ucs("sms", LINE, "QX3GLL10").stdout
    assert [(o["request"]["type"], o["state"]) for o in orders(ucs, LINE)] == [
        ("pack-order", "completed"),
        ("pack-cancel", "pending"),
    ]


def test_an_unknown_code_is_answered_with_help_and_orders_nothing(shared: Ucs) -> None:
    assert shared("sms", LINE, "KTXXX").stdout == "代码XXX不存在,发送BZ到10010查看帮助。\n"
    assert "YE查余额" in shared("sms", LINE, "BZ").stdout
    assert orders(shared) == []


def test_sms_to_10901_with_no_text_gives_last_months_bill(shared: Ucs) -> None:
    bill = js(shared, "bill", "show", LINE, "--month", "2026-10")
    assert bill["state"] == "sent"
    out = shared("sms", LINE, "", "--to", "10901").stdout
    assert out.startswith(f"您2026年10月账单{bill['total']}元,缴费截止")
    data = js(shared, "sms", LINE, "", "--to", "10901")
    assert data["to"] == "10901" and data["command"]["intent"] == "last-bill"


def test_zd_for_a_month_without_an_issued_bill_says_so(shared: Ucs) -> None:
    assert shared("sms", LINE, "ZD202609").stdout == "该月账单尚未出账。\n"


def test_the_english_bill_reply_gives_the_due_date_ucs_bill_show_gives(shared: Ucs) -> None:
    shown = shared("bill", "show", LINE, "--month", "2026-10").stdout
    match = re.search(r"due by (\d{4})-(\d{2})-(\d{2})", shown)
    assert match, shown
    year, month, day = match.groups()
    assert (year, month, day) == ("2026", "12", "10")
    out = shared("sms", LINE, "ZD", "--lang", "en").stdout
    assert "due 10 Dec 2026" in out, out


def test_en_and_zw_switch_the_lines_reply_language(ucs: Ucs) -> None:
    assert ucs("sms", LINE, "EN").stdout == "Replies will be in English. Text ZW for Chinese.\n"
    assert ucs("sms", LINE, "YE").stdout.startswith("Balance CNY ")
    assert ucs("sms", LINE, "ZW").stdout == "已切换为中文回复。\n"
    assert ucs("sms", LINE, "YE").stdout.startswith("您的账户余额")


@pytest.mark.parametrize(
    ("sender", "text"),
    [(STRANGER, "YE"), (STRANGER, "KT3GLL30"), ("not-a-number", "YE"), (STRANGER, "")],
)
def test_an_unknown_sender_gets_the_no_data_reply_and_the_store_is_unchanged(
    ucs: Ucs, store: Path, sender: str, text: str
) -> None:
    before = store.read_bytes()
    result = ucs("sms", sender, text)
    assert result.stdout == "您好,本服务仅面向本中心联通用户。如需帮助请拨打10010。\n"
    assert result.stderr == ""
    assert store.read_bytes() == before


def test_an_unknown_sender_json_has_no_command_and_no_order(shared: Ucs) -> None:
    data = js(shared, "sms", STRANGER, "KT3GLL30")
    assert data["command"] is None and data["order"] is None
    assert data["sender"] == STRANGER


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--to", "12345"), "'12345' is not one of"),
        (("--lang", "fr"), "'fr' is not one of"),
    ],
)
def test_sms_bad_options_are_usage_errors(shared: Ucs, args: tuple[str, ...], message: str) -> None:
    result = shared("sms", LINE, "YE", *args, code=2)
    assert message in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------ ucs ivr


def said(result: Result) -> list[str]:
    """What the IVR said (its `IVR:` lines, without the prefix)."""
    return [ln.removeprefix("IVR: ") for ln in result.stdout.splitlines() if ln.startswith("IVR:")]


def test_ivr_reads_out_the_callers_balance(shared: Ucs) -> None:
    result = shared("ivr", "--caller", LINE, input="1\n1\n")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("IVR: 欢迎致电中国联通。")
    assert [ln for ln in lines if ln.startswith("> ")] == ["> 1", "> 1"]
    assert f"您的账户余额{balance(shared)}元(截至{AS_OF})。" in said(result)
    assert lines[-1] == "[hang up]"


def test_ivr_in_english_reads_out_the_balance_in_english(shared: Ucs) -> None:
    result = shared("ivr", "--caller", LINE, "--lang", "en", input="1\n1\n")
    assert said(result)[0].startswith("Welcome to China Unicom")
    assert f"Balance CNY {balance(shared)}, as of 25 Nov 10:00." in said(result)


def test_ivr_key_9_switches_to_english(shared: Ucs) -> None:
    result = shared("ivr", "--caller", LINE, input="9\n1\n1\n")
    assert f"Balance CNY {balance(shared)}, as of 25 Nov 10:00." in said(result)


def test_ivr_keys_on_one_line_are_pressed_one_by_one(shared: Ucs) -> None:
    result = shared("ivr", "--caller", LINE, input="1 1\n")
    assert [ln for ln in result.stdout.splitlines() if ln.startswith("> ")] == ["> 1", "> 1"]
    assert f"您的账户余额{balance(shared)}元(截至{AS_OF})。" in said(result)


@pytest.mark.parametrize(
    ("options", "transfer"),
    [
        ((), "[transfer] 10010 queue=general priority=normal self-service=no"),
        (("--key-customer",), "[transfer] 10010 queue=general priority=fast-lane"),
        (("--abroad",), "[transfer] 13010199999 queue=roaming"),
    ],
)
def test_ivr_key_0_transfers_to_a_queue_and_ends_the_call(
    shared: Ucs, options: tuple[str, ...], transfer: str
) -> None:
    result = shared("ivr", "--caller", LINE, *options, input="0")
    lines = result.stdout.splitlines()
    assert lines[-1].startswith(transfer), lines[-1]
    assert "[hang up]" not in result.stdout


def test_ivr_ignores_keys_after_a_transfer(shared: Ucs) -> None:
    result = shared("ivr", "--caller", LINE, input="0\n1\n1\n")
    assert result.stdout.splitlines()[-1].startswith("[transfer] ")
    assert "> 1" not in result.stdout


def test_ivr_end_of_input_hangs_up(shared: Ucs) -> None:
    result = shared("ivr", "--caller", LINE, input="")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("IVR: 欢迎致电中国联通。")
    assert lines[1] == "[hang up]"


def test_ivr_without_a_caller_asks_to_call_from_a_unicom_line(shared: Ucs) -> None:
    result = shared("ivr", input="1 1")
    assert "请使用联通号码拨打,或转人工服务。" in said(result)
    assert not any("账户余额" in s and "元" in s for s in said(result))
    assert result.stdout.splitlines()[-1] == "[hang up]"


def test_ivr_with_an_unknown_caller_reads_out_nothing(shared: Ucs) -> None:
    result = shared("ivr", "--caller", STRANGER, input="1\n1\n")
    assert "请使用联通号码拨打,或转人工服务。" in said(result)


def test_ivr_a_wrong_key_is_refused_and_the_menu_repeated(shared: Ucs) -> None:
    result = shared("ivr", "--caller", LINE, input="x\n")
    assert said(result)[1] == "对不起,您的输入有误。"
    assert said(result)[2] == said(result)[0]


def test_ivr_orders_a_pack_on_the_hotline_channel(ucs: Ucs) -> None:
    result = ucs("ivr", "--caller", LINE, input="3\n1\n1\n1\n")
    [order] = orders(ucs, LINE)
    assert order["request"]["type"] == "pack-order"
    assert order["request"]["product"] == "3g-pack-10"
    assert order["request"]["channel"] == "hotline"
    assert order["state"] == "pending"
    assert order["effective_at"] == "2026-12-01T00:00:00+08:00"
    confirm = [s for s in said(result) if s.startswith("已为您办理")]
    assert len(confirm) == 1 and f"订单号{order['id']}" in confirm[0]
    assert re.search(r"ORD-000001\s+13012345678\s+pack-order", ucs("order", "list").stdout)


# ------------------------------------------------------------------ ucs hotline


def test_hotline_list_lists_the_service_numbers(shared: Ucs) -> None:
    out = shared("hotline", "list").stdout
    numbers = [ln.split()[0] for ln in out.splitlines()[1:]]
    assert {"10010", "10011", "10018", "13010199999", "10901"} <= set(numbers)
    assert [h["number"] for h in js(shared, "hotline", "list")] == numbers


@pytest.mark.parametrize(
    ("args", "first_word", "words"),
    [
        (("02110010",), "free", "Shanghai"),
        (("10010",), "free", "10010"),
        (("10010", "--abroad"), "charged", "roaming"),
        (("10010", "--other-carrier"), "charged", "other carriers"),
        (("+86 13010199999", "--abroad"), "free", "13010199999"),
    ],
)
def test_hotline_cost_says_whether_a_call_is_free(
    shared: Ucs, args: tuple[str, ...], first_word: str, words: str
) -> None:
    out = shared("hotline", "cost", *args).stdout
    assert out.startswith(f"{first_word}: "), out
    assert words in out
    assert len(out.splitlines()) == 1


@pytest.mark.parametrize("number", ["abc", "12345", ""])
def test_hotline_cost_of_a_number_that_is_no_hotline_is_one_error_line(
    shared: Ucs, number: str
) -> None:
    result = shared("hotline", "cost", number, code=1)
    assert "invalid service number" in error_line(result)
    assert result.stdout == ""


def test_hotline_route_puts_a_key_customer_in_the_fast_lane(shared: Ucs) -> None:
    out = shared("hotline", "route", "complaint", "--key-customer", "--caller", LINE).stdout
    assert out == "10010 queue=complaints priority=fast-lane self-service=no (key customer)\n"
    data = js(shared, "hotline", "route", "complaint", "--key-customer", "--caller", LINE)
    assert data["priority"] == "fast-lane" and data["queue"] == "complaints"
    normal = shared("hotline", "route", "complaint", "--caller", LINE).stdout
    assert "priority=normal" in normal


def test_hotline_route_sends_a_caller_abroad_to_the_roaming_line(shared: Ucs) -> None:
    data = js(shared, "hotline", "route", "roaming", "--abroad", "--caller", LINE)
    assert (data["number"], data["queue"]) == ("13010199999", "roaming")


@pytest.mark.parametrize("caller", [STRANGER, "13800138000", "not-a-number", ""])
def test_hotline_route_serves_a_caller_not_ours_at_normal_priority(
    shared: Ucs, caller: str
) -> None:
    data = js(shared, "hotline", "route", "bill", "--key-customer", "--caller", caller)
    assert (data["number"], data["queue"], data["priority"]) == ("10010", "billing", "normal")
    assert data["self_service"] is False
    assert data["why"] == "caller not identified as ours"
    # a voucher recharge needs no caller identity
    recharge = js(shared, "hotline", "route", "recharge", "--caller", caller)
    assert (recharge["number"], recharge["self_service"]) == ("10011", True)


def test_hotline_route_in_english_queues_to_the_english_seats(shared: Ucs) -> None:
    out = shared("hotline", "route", "bill", "--caller", LINE, "--lang", "en").stdout
    assert out.startswith("10010 queue=billing-en priority=normal self-service=yes")


def test_hotline_route_of_an_unknown_need_is_a_usage_error(shared: Ucs) -> None:
    result = shared("hotline", "route", "pizza", code=2)
    assert "'pizza' is not one of" in result.stderr


# ------------------------------------------------------------------ ucs notify


def test_the_outbox_is_empty_until_notify_run(shared: Ucs) -> None:
    assert outbox(shared) == []


def test_notify_run_adds_welcome_calls_and_sms_for_the_new_lines(ucs: Ucs) -> None:
    out = ucs("notify", "run").stdout
    assert re.match(r"\d+ event\(s\) read, \d+ message\(s\) added\n", out)
    pending = outbox(ucs, "--pending")
    assert pending and all(m["state"] == "initial" for m in pending)
    welcomes = {(m["template"], m["recipient"]) for m in pending}
    for number in MOBILE_LINES:
        if number != "18512345678":  # a data card gets the SMS, not the call
            assert ("welcome-call", number) in welcomes
        assert ("welcome-sms", number) in welcomes
    assert ("welcome-call", "18512345678") not in welcomes
    table = ucs("notify", "outbox", "--pending").stdout
    assert "MSG-000001" in table and "welcome" not in table.splitlines()[0]
    assert any(m["medium"] == "voice" for m in pending if m["template"] == "welcome-call")


def test_notify_run_twice_adds_nothing_the_second_time(ucs: Ucs) -> None:
    first = js(ucs, "notify", "run")
    assert first["events"] > 0 and first["made"]
    messages = outbox(ucs)
    assert [m["id"] for m in messages] == [m["id"] for m in first["made"]]
    assert ucs("notify", "run").stdout == "0 event(s) read, 0 message(s) added\n"
    assert outbox(ucs) == messages


def test_mark_sent_completes_a_message_and_takes_it_off_the_pending_list(ucs: Ucs) -> None:
    ucs("notify", "run")
    assert ucs("notify", "mark-sent", "MSG-000001").stdout == "MSG-000001 completed\n"
    assert "MSG-000001" not in [m["id"] for m in outbox(ucs, "--pending")]
    assert "MSG-000001" not in ucs("notify", "outbox", "--pending").stdout
    [sent] = [m for m in outbox(ucs) if m["id"] == "MSG-000001"]
    assert sent["state"] == "completed" and sent["state_at"] == "2026-11-25T10:00:00+08:00"


def test_mark_sent_twice_is_refused_and_changes_nothing(ucs: Ucs) -> None:
    ucs("notify", "run")
    ucs("notify", "mark-sent", "MSG-000001")
    before = outbox(ucs)
    refused = ucs("notify", "mark-sent", "MSG-000001", code=1)
    assert "MSG-000001" in error_line(refused)
    assert ucs("notify", "mark-sent", "MSG-000001", "--failed", "late", code=1).stdout == ""
    assert outbox(ucs) == before


def test_mark_sent_failed_records_the_reason(ucs: Ucs) -> None:
    ucs("notify", "run")
    assert ucs("notify", "mark-sent", "MSG-000002", "--failed", "no signal").stdout == (
        "MSG-000002 failed\n"
    )
    [failed] = [m for m in outbox(ucs) if m["id"] == "MSG-000002"]
    assert (failed["state"], failed["reason"]) == ("failed", "no signal")
    assert "MSG-000002" not in [m["id"] for m in outbox(ucs, "--pending")]


def test_mark_sent_of_an_unknown_message_is_one_error_line(ucs: Ucs) -> None:
    ucs("notify", "run")
    assert "MSG-999999" in error_line(ucs("notify", "mark-sent", "MSG-999999", code=1))


def test_notify_json_output_parses(ucs: Ucs) -> None:
    made = js(ucs, "notify", "run")["made"]
    assert all(set(m) >= {"id", "recipient", "medium", "template", "text", "state"} for m in made)
    assert all(m["created_at"].endswith("+08:00") for m in made)
    assert js(ucs, "notify", "run") == {"events": 0, "made": []}
    assert len(outbox(ucs, "--pending")) == len(made)


# ------------------------------------------------------------------ ucs roaming


def row(output: str, name: str) -> str:
    """One `name: value` row of `ucs roaming info`."""
    for text in output.splitlines():
        key, sep, value = text.partition(": ")
        if sep and key.strip() == name:
            return value
    raise AssertionError(f"no {name!r} row in:\n{output}")


def test_roaming_info_jp_shows_the_operators_and_the_day_pack(shared: Ucs) -> None:
    out = shared("roaming", "info", "JP").stdout
    assert row(out, "destination") == "Japan (日本, JP)"
    assert row(out, "operators") == "NTT DOCOMO, SoftBank, KDDI au"
    assert row(out, "data").startswith("5.00 a day pack of 5 MB")
    assert "KTSJLL" in row(out, "data")
    assert shared("roaming", "info", "jp").stdout == out
    data = js(shared, "roaming", "info", "JP")
    assert data["destination"]["operators"] == ["NTT DOCOMO", "SoftBank", "KDDI au"]
    assert (data["zone"]["day_pack_mb"], data["zone"]["day_pack_fee"]) == (5, "5.00")
    assert no_floats(data)


@pytest.mark.parametrize(("country", "words"), [("CN", "mainland China"), ("XX", "ISO 3166")])
def test_roaming_info_of_no_roaming_destination_is_one_error_line(
    shared: Ucs, country: str, words: str
) -> None:
    result = shared("roaming", "info", country, code=1)
    line = error_line(result)
    assert country in line and words in line
    assert result.stdout == ""


def test_roaming_estimate_gb_shows_the_total_and_the_daily_cap_warning(shared: Ucs) -> None:
    out = shared("roaming", "estimate", "GB", "--days", "2", "--data-mb", "200").stdout
    lines = out.splitlines()
    assert lines[0].startswith("United Kingdom (英国), 2 day(s)")
    [total] = [ln for ln in lines if ln.startswith("total")]
    assert total.split() == ["total", "160.00"]
    warnings = [ln for ln in lines if ln.startswith("warning: ")]
    assert any("KTSJLL" in w for w in warnings), warnings


def test_roaming_estimate_json_has_money_as_strings(shared: Ucs) -> None:
    data = js(shared, "roaming", "estimate", "GB", "--days", "2", "--data-mb", "200")
    assert data["total"] == "160.00"
    assert data["daily_data_cost"] == "80.00"
    assert [(x["quantity"], x["rate"], x["amount"]) for x in data["lines"]] == [
        (32, "5.00", "160.00")
    ]
    assert isinstance(data["zone"]["voice_local"], str)
    assert data["capped_days"] is True
    assert any("KTSJLL" in w for w in data["warnings"])
    assert no_floats(data)


def test_roaming_estimate_needs_at_least_one_day(shared: Ucs) -> None:
    assert "--days" in shared("roaming", "estimate", "GB", "--days", "0", code=2).stderr
    assert "--days" in shared("roaming", "estimate", "GB", code=2).stderr


# ------------------------------------------------------------------ ucs club


@pytest.mark.parametrize("number", VOICE_LINES)
def test_club_show_of_a_young_line_says_not_rated_and_from_when(shared: Ucs, number: str) -> None:
    out = shared("club", "show", number).stdout
    # activated 2026-10-01: the 7th natural month, counting October as the 1st, is April 2027
    assert out.splitlines()[0] == f"{number}: not rated (rated from 2027-04)"
    data = js(shared, "club", "show", number)
    assert data["level"] is None and data["privileges"] == []
    assert data["next_review"] == "2027-04"


def test_club_show_of_a_data_card_says_it_is_never_rated(shared: Ucs) -> None:
    assert shared("club", "show", DATA_CARD).stdout == f"{DATA_CARD}: not rated (data-only line)\n"
    assert js(shared, "club", "show", DATA_CARD)["next_review"] is None


def test_club_request_of_an_unrated_line_is_rejected_with_a_reason(ucs: Ucs, store: Path) -> None:
    before = store.read_bytes()
    line = error_line(ucs("club", "request", LINE, "airport-lounge", code=1))
    assert "rejected" in line and "not rated" in line
    assert store.read_bytes() == before
    assert orders(ucs) == []


def test_club_rules_prints_the_rules_as_toml(shared: Ucs) -> None:
    rules = tomllib.loads(shared("club", "rules").stdout)
    assert rules["rated_from_natural_month"] == 7
    assert rules["spend_score"] and rules["age_score"]


@pytest.mark.parametrize(
    "text",
    [
        "this is = = not toml [\n",
        'window_months = "x"\n',
        "",
    ],
    ids=["broken-toml", "wrong-types", "empty"],
)
def test_club_rules_from_a_broken_file_are_refused_and_the_rules_unchanged(
    ucs: Ucs, store: Path, tmp_path: Path, text: str
) -> None:
    rules = ucs("club", "rules").stdout
    before = store.read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = ucs("club", "rules", str(bad), code=1)
    assert result.stderr.startswith(f"error: {bad}: invalid club rules")
    assert result.stdout == ""
    assert store.read_bytes() == before
    assert ucs("club", "rules").stdout == rules


def test_club_rules_of_a_missing_file_is_a_usage_error(shared: Ucs, tmp_path: Path) -> None:
    assert "does not exist" in shared("club", "rules", str(tmp_path / "no.toml"), code=2).stderr


def test_new_club_rules_take_effect_for_show_and_request(ucs: Ucs, tmp_path: Path) -> None:
    rules = ucs("club", "rules").stdout
    assert "rated_from_natural_month = 7\n" in rules
    earlier = rules.replace("rated_from_natural_month = 7\n", "rated_from_natural_month = 2\n")
    path = tmp_path / "club.toml"
    path.write_text(earlier, encoding="utf-8")
    assert ucs("club", "rules", str(path)).stdout == f"club rules from {path} in force\n"
    assert ucs("club", "rules").stdout == earlier
    data = js(ucs, "club", "show", LINE)
    assert data["level"] is not None
    assert "not rated" not in ucs("club", "show", LINE).stdout
    # 559.51 a month scores 6 × 1.0: the level has the lounge, and the 10010 fast lane
    assert "airport-lounge" in [p["code"] for p in data["privileges"]]
    assert "priority=fast-lane" in ucs("hotline", "route", "bill", "--caller", LINE).stdout
    assert "priority=fast-lane" in ucs("ivr", "--caller", LINE, input="0").stdout
    out = ucs("club", "request", LINE, "airport-lounge").stdout
    assert out.startswith("ORD-000001 club-service completed")
    [order] = orders(ucs, LINE)
    assert order["request"]["type"] == "club-service"
    assert order["request"]["product"] == "airport-lounge"
    assert order["request"]["channel"] == "hotline"
