"""The `ucs` command line: a thin layer that parses, calls `unicom_cs.service` and prints.

The commands' modules (`commands`, `orders`, `channels`, `complaints`, `care_kpi`, `store_cmds`)
register their commands on `main` when imported; `main` imports each only when one of its
commands is looked up (`unicom_cs.cli.app.COMMANDS` says which module has which command), so
`ucs --help` and `ucs --version` import none of them. `main.load_all()` imports them all.
"""

from unicom_cs.cli.app import main

__all__ = ["main"]
