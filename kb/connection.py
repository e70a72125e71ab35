"""Opening a knowledge base file: read-only for every read, errors a user can act on, and the
``--db`` option every command that opens one takes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from . import DEFAULT_DB

#: ``--db FILE`` (default kb/cluster.sqlite, or $KB_DB), as every command takes it: a decorator.
db_option = click.option(
    "--db",
    "db_path",
    default=DEFAULT_DB,
    show_default=True,
    envvar="KB_DB",
    type=click.Path(dir_okay=False),
    help="The knowledge base file.",
)


class KnowledgeBaseMissing(FileNotFoundError):
    """No knowledge base at the path a read was given (only ``kb ingest`` creates one)."""


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``) to an existing knowledge base; reads never create or write."""
    path = Path(path)
    if not path.is_file():
        raise KnowledgeBaseMissing(f"no knowledge base at {path} (run kb ingest first)")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def describe_sqlite_error(exc: BaseException) -> str:
    """What a SQLite error means for the user: a full disk, a read-only file, a lock, or the message."""
    message = str(exc)
    if "full" in message:
        return "the disk is full; free some space and run again (documents stored so far are kept)"
    if "readonly" in message or "read-only" in message:
        return "the file or its folder is read-only; kb ingest needs to write it"
    if "locked" in message:
        return "database is locked (another program is writing to it?)"
    return message
