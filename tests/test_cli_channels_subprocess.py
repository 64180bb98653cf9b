"""`ucs sms` and `ucs ivr` as a gateway or a terminal runs them: a real process, a real SQLite
file, UCS_STORE / UCS_NOW in the environment, key presses through a stdin pipe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NOW = "2026-11-25T10:00:00+08:00"
LINE = "13012345678"  # the demo's 3G A-46 line


def ucs_command() -> list[str]:
    script = Path(sys.executable).with_name("ucs")
    return [str(script)] if script.exists() else [sys.executable, "-m", "unicom_cs"]


def run(store: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UCS_STORE": str(store), "UCS_NOW": NOW}
    env.pop("UCS_DEBUG", None)
    env.pop("UCS_PASSWORD", None)
    result = subprocess.run(
        [*ucs_command(), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("channels-subprocess") / "demo.sqlite3"
    built = run(path, "demo")
    assert built.returncode == 0, built.stderr
    return path


@pytest.fixture
def store(demo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ucs.sqlite3"
    shutil.copyfile(demo, copy)
    return copy


def balance(store: Path) -> str:
    shown = run(store, "balance", LINE, "--json")
    assert shown.returncode == 0, shown.stderr
    value: str = json.loads(shown.stdout)["balance"]
    return value


def test_sms_reads_the_store_and_the_time_from_the_environment(store: Path) -> None:
    before = store.read_bytes()
    reply = run(store, "sms", LINE, "YE")
    assert reply.returncode == 0, reply.stderr
    assert reply.stdout == f"您的账户余额{balance(store)}元(截至11月25日10:00)。【联通】\n"
    assert store.read_bytes() == before
    # an order by SMS, then the gateway's bad option: a usage error, no traceback
    ordered = run(store, "sms", LINE, "KT3GLL30", "--id", "gw-1", "--json")
    assert ordered.returncode == 0, ordered.stderr
    assert json.loads(ordered.stdout)["order"]["state"] == "pending"
    bad = run(store, "sms", LINE, "YE", "--to", "12345")
    assert bad.returncode == 2 and "'12345' is not one of" in bad.stderr


def test_ivr_takes_keys_through_a_pipe_and_hangs_up_at_its_end(store: Path) -> None:
    call = run(store, "ivr", "--caller", LINE, stdin="1\n1\n")
    assert call.returncode == 0, call.stderr
    lines = call.stdout.splitlines()
    assert f"IVR: 您的账户余额{balance(store)}元(截至11月25日10:00)。" in lines
    assert lines[-1] == "[hang up]"
    transfer = run(store, "ivr", "--caller", LINE, stdin="0")
    assert transfer.returncode == 0, transfer.stderr
    assert transfer.stdout.splitlines()[-1].startswith("[transfer] 10010 queue=general")


def test_a_pack_ordered_through_the_piped_ivr_is_in_the_order_list(store: Path) -> None:
    call = run(store, "ivr", "--caller", LINE, stdin="3\n1\n1\n1\n")
    assert call.returncode == 0, call.stderr
    listed = run(store, "order", "list", LINE, "--json")
    assert listed.returncode == 0, listed.stderr
    [order] = json.loads(listed.stdout)
    assert (order["request"]["product"], order["request"]["channel"], order["state"]) == (
        "3g-pack-10",
        "hotline",
        "pending",
    )
    assert f"订单号{order['id']}" in call.stdout
