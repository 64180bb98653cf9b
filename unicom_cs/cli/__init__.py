"""The `ucs` command line: a thin layer that parses, calls `unicom_cs.service` and prints."""

from unicom_cs.cli import care_kpi as _care_kpi  # noqa: F401 - registers contact and kpi
from unicom_cs.cli import channels as _channels  # noqa: F401 - sms, ivr, notify, roaming, club
from unicom_cs.cli import commands as _commands  # noqa: F401 - registers the commands
from unicom_cs.cli import complaints as _complaints  # noqa: F401 - registers its commands
from unicom_cs.cli import orders as _orders  # noqa: F401 - registers the order commands
from unicom_cs.cli import store_cmds as _store  # noqa: F401 - store migrate, export, import…
from unicom_cs.cli.app import main

__all__ = ["main"]
