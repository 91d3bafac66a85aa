"""Opening the audit store: the URL, the engine, and the schema revision.

A new, empty store is created at the newest revision. A store at an older revision is
refused with the command that upgrades it (`fastaudit db upgrade`): the store holds a
team's history, so it is never rewritten behind their back. A store from a newer fastaudit
is refused too.

SQLite runs in WAL mode with a busy timeout, and a run's write takes the write lock at its
start (`BEGIN IMMEDIATE`), so two audits finishing at once queue rather than interleave.
PostgreSQL gets the same effect from a transaction-scoped advisory lock.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.errors import FastauditError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

# How long a writer waits for another writer's lock before giving up (seconds).
BUSY_TIMEOUT_SECONDS = 120
# Arbitrary, fixed: the advisory lock every fastaudit writer takes on PostgreSQL.
_PG_LOCK_ID = 0x0FA57A0D17


class StoreError(FastauditError):
    """The audit store cannot be opened, upgraded or written."""


def default_url() -> str:
    """A SQLite file in the user data dir."""
    import platformdirs

    return "sqlite:///" + str(Path(platformdirs.user_data_dir("fastaudit")) / "audit.sqlite3")


def normalise_url(value: str | None) -> str:
    """A database URL from what a user typed: a URL, a file path (SQLite), or nothing
    (the default)."""
    if not value or value == "default":
        return default_url()
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def display_url(url: str) -> str:
    """The URL without its password, for messages and reports."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        from fastaudit.sanitize import strip_url_credentials

        return strip_url_credentials(url)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling would start transactions late and deferred;
    # SQLAlchemy's "begin" hook below starts them instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get("fastaudit_write") else ""
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def create_engine(url: str) -> Engine:
    """An engine on `url` with the store's connection settings (a SQLite file's folder
    is made); StoreError for a URL that is not one or a driver that is missing."""
    import sqlalchemy
    from sqlalchemy import event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = sqlalchemy.engine.make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {display_url(url)}") from None
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the store's folder for {display_url(url)}: "
                    f"{exc.strerror or exc}"
                ) from None
        options["connect_args"] = {"timeout": BUSY_TIMEOUT_SECONDS}
    try:
        engine = sqlalchemy.create_engine(url, **options)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"no driver for {display_url(url)}: {exc} "
            "(for PostgreSQL: pip install 'toolsfast-audit[postgres]')"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    location = resources.files("fastaudit.store").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _revisions() -> tuple[str, frozenset[str]]:
    """The newest revision and every known one, read from the migration files' own
    `revision` / `down_revision` lines: opening a store must not pay for importing
    Alembic (a third of a second) when nothing needs migrating."""
    import re

    revisions: dict[str, str | None] = {}
    folder = resources.files("fastaudit.store").joinpath("migrations").joinpath("versions")
    for entry in folder.iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("__"):
            continue
        text = entry.read_text(encoding="utf-8")
        revision = re.search(r'^revision = "([^"]+)"', text, re.M)
        down = re.search(r'^down_revision = (?:"([^"]+)"|None)', text, re.M)
        if revision and down:
            revisions[revision.group(1)] = down.group(1)
    parents = {down for down in revisions.values() if down}
    heads = [rev for rev in revisions if rev not in parents]
    assert len(heads) == 1, f"migrations must have one head, found {heads}"
    return heads[0], frozenset(revisions)


def head_revision() -> str:
    """The newest schema revision this fastaudit knows."""
    return _revisions()[0]


def current_revision(connection: Connection) -> str | None:
    """The store's revision, from Alembic's own table (None for an empty database)."""
    from sqlalchemy import inspect, text

    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise StoreError(f"the store has {len(rows)} schema revisions at once: {rows}")
    return str(rows[0]) if rows else None


def _known_revisions() -> frozenset[str]:
    return _revisions()[1]


def _has_tables(connection: Connection) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(connection).get_table_names())


@contextmanager
def write_lock(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the store's write lock until it commits."""
    from sqlalchemy import text

    with engine.connect() as raw:
        connection = raw.execution_options(fastaudit_write=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            yield connection


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str]:
    """Migrate the store to `revision`; returns (from, to)."""
    from alembic import command
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    try:
        with write_lock(engine) as connection:
            before = current_revision(connection)
            if before is not None and before not in _known_revisions():
                raise StoreError(
                    f"the audit store {display_url(url)} is at revision {before}, written by a "
                    "newer fastaudit: upgrade fastaudit"
                )
            if before is None and _has_tables(connection):
                raise StoreError(
                    f"{display_url(url)} has tables but no fastaudit schema revision: "
                    "not an audit store (give another --db)"
                )
            try:
                command.upgrade(_alembic_config(connection), revision)
            except SQLAlchemyError:
                raise
            except Exception as exc:  # Alembic's own errors for an unknown or relative revision
                raise StoreError(
                    f"cannot upgrade {display_url(url)} to revision {revision!r}: "
                    f"{one_line(exc)} (give `head` or a revision `db current` names)"
                ) from None
            after = current_revision(connection) or ""
        return before, after
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot upgrade {display_url(url)}: {one_line(exc)}") from None
    finally:
        engine.dispose()


def require_existing(url: str) -> None:
    """StoreError unless a SQLite store's file exists: a command that only reads a store
    must never create one (or its folder) by asking for a path that is not there."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"{display_url(url)} is not a database URL: {one_line(exc)}") from None
    database = parsed.database
    on_disk = parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
    if on_disk and not Path(str(database)).is_file():
        raise StoreError(f"no audit store at {parsed.database} (nothing recorded there yet)")


def read_revision(url: str) -> str | None:
    """The store's schema revision, for `db current`, with every failure one StoreError."""
    from sqlalchemy.exc import SQLAlchemyError

    require_existing(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read {display_url(url)}: {one_line(exc)}") from None
    finally:
        engine.dispose()


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An engine on a store at the newest revision: created if empty (unless `create` is
    false, for commands that only read), refused if older."""
    from sqlalchemy.exc import SQLAlchemyError

    if not create:
        require_existing(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
            empty = revision is None and not _has_tables(connection)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot open {display_url(url)}: {one_line(exc)}") from None
    head = head_revision()
    if empty:
        upgrade(url)
    elif revision is None:
        engine.dispose()
        raise StoreError(
            f"{display_url(url)} has tables but no fastaudit schema revision: not an audit store"
        )
    elif revision != head:
        engine.dispose()
        if revision in _known_revisions():
            raise StoreError(
                f"the audit store {display_url(url)} is at schema revision {revision}; this "
                f"fastaudit needs {head}: back it up, then run `fastaudit db upgrade --db URL`"
            )
        raise StoreError(
            f"the audit store {display_url(url)} is at revision {revision}, written by a newer "
            "fastaudit: upgrade fastaudit"
        )
    return engine


def one_line(exc: BaseException) -> str:
    """The driver's own first line (SQLAlchemy appends SQL and a link), URL passwords out."""
    from fastaudit.sanitize import strip_url_credentials

    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return strip_url_credentials(lines[0]) if lines else type(original).__name__
