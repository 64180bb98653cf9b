"""`python -m unicom_cs` is the `ucs` command."""

from unicom_cs.cli import main

main(prog_name="ucs")
