"""`ucs store …`: the store itself: migrate its schema, export and import it, check it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from unicom_cs.cli.app import Env, emit_json, fail, json_option, main, pass_env, table


@main.group("store")
def store_group() -> None:
    """The store itself: schema migrations, a portable dump, an integrity check, the audit
    trail. `--store` names it: a SQLite file or a postgresql:// URL."""


@store_group.command("migrate")
@pass_env
def store_migrate(env: Env) -> None:
    """Bring the store's schema up to this version of ucs (forward only; back it up first)."""
    from unicom_cs.store.sqlite import SCHEMA_VERSION  # the PostgreSQL store shares it

    store = env.store(migrate=True, empty=True)
    applied = getattr(store, "applied", [])
    if not applied:
        click.echo(f"store {env.shown_location}: at schema version {SCHEMA_VERSION}, up to date")
        return
    for m in applied:
        click.echo(f"  {m.version}: {m.purpose}")
    click.echo(f"store {env.shown_location}: migrated to schema version {SCHEMA_VERSION}")


@store_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_env
def store_export(env: Env, directory: Path) -> None:
    """Write the whole store to DIRECTORY (new or empty): JSON lines per entity and a manifest.

    `ucs store import` loads it into a new store, SQLite or PostgreSQL, exactly as it was.
    """
    from unicom_cs.store.sqlite import SCHEMA_VERSION  # the PostgreSQL store shares it
    from unicom_cs.store.transfer import export_store

    manifest = export_store(env.store(), directory, SCHEMA_VERSION)
    rows = sum(manifest.counts.values())
    click.echo(f"exported {rows} row(s) in {len(manifest.counts)} file(s) to {directory}")


@store_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@pass_env
def store_import(env: Env, directory: Path) -> None:
    """Load an export into a new, empty store (created if need be), in one transaction.

    A bad row or a short file rejects the whole export: the store is left as it was (a SQLite
    file this command created is removed again).
    """
    from unicom_cs.store.sqlite import SCHEMA_VERSION  # the PostgreSQL store shares it
    from unicom_cs.store.transfer import import_store, read_manifest

    read_manifest(directory)  # before anything is created
    new_file = _sqlite_path(env.store_location)
    created = new_file is not None and not new_file.exists()
    try:
        store = env.store(create=True, empty=True)
        manifest = import_store(store, directory, SCHEMA_VERSION, env.shown_location)
    except BaseException:  # whatever went wrong, the file this import made goes again
        if created and new_file is not None:
            env.close()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{new_file}{suffix}").unlink()
        raise
    rows = sum(manifest.counts.values())
    click.echo(f"imported {rows} row(s) from {directory} into {env.shown_location}")


def _sqlite_path(location: str) -> Path | None:
    if location == "memory:" or location.startswith(("postgresql://", "postgres://")):
        return None
    return Path(location).expanduser()


@store_group.command("check")
@json_option
@pass_env
def store_check(env: Env, as_json: bool) -> None:
    """Verify the store: every bill reproduces from its usage, every ledger posting from its
    source (bill, payment, credit), every reference resolves. Exit 1 on any problem."""
    from unicom_cs import service
    from unicom_cs.integrity import check_store

    store = env.store()
    report = check_store(store, service.load_catalog(store))
    if as_json:
        emit_json(report)
    else:
        click.echo(
            f"store {env.shown_location}: checked {report.bills} bill(s),"
            f" {report.entries} ledger posting(s), {report.usage} usage record(s);"
            f" {len(report.problems)} problem(s)"
        )
        for problem in report.problems:
            click.echo(f"  {problem}", err=True)
    if not report.ok:
        fail(f"{len(report.problems)} problem(s) found")


@store_group.command("audit")
@json_option
@pass_env
def store_audit(env: Env, as_json: bool) -> None:
    """The audit trail: adjustments, personal data shown unmasked, who and when."""
    trail = env.store().audit_trail()
    if as_json:
        emit_json(trail)
        return
    table(
        [
            [
                e.at.isoformat(timespec="seconds"),
                e.actor,
                e.role.value,
                e.action,
                e.subject,
                e.detail,
            ]
            for e in trail
        ],
        ["at", "actor", "role", "action", "subject", "detail"],
    )
