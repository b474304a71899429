"""Where kiemtra's data lives, from `--db`: a SQLite file (default) or a PostgreSQL URL.

A plain value, kept apart from the event store (`store.open_store` opens one), so that
read-only commands find the database without importing the eventsourcing library.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from kiemtra.workflow.dbfile import Found, inspect

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True)
class Database:
    """Where the data lives, from `--db`: a file path, `sqlite:///…` or `postgresql://…`."""

    url: str

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))

    @property
    def sqlite_path(self) -> Path:
        if self.url.startswith("sqlite:///"):
            return Path(unquote(self.url[len("sqlite:///"):]))
        return Path(self.url)

    def exists(self) -> bool:
        """Whether kiemtra's data is there to read: a PostgreSQL URL, or a SQLite file with
        kiemtra's tables. No file, an empty one (0 bytes, or SQLite with no table) is not;
        a folder, a file that is not SQLite, a damaged one or another application's
        database is refused (`found`)."""
        return self.found().holds_data

    def found(self) -> Found:
        """What is at the path (`dbfile.inspect`): the plain refusal when it is nothing
        kiemtra may use."""
        return inspect(self)

    def label(self) -> str:
        if self.is_postgres:
            parts = urlsplit(self.url)
            return f"postgresql://{parts.hostname or ''}{parts.path}"
        return str(self.sqlite_path)

    def without_password(self) -> str:
        """The URL with no password in it: what kiemtra may store (a scheduler's jobs)."""
        parts = urlsplit(self.url)
        if not self.is_postgres or parts.password is None:
            return self.url
        user = f"{parts.username}@" if parts.username else ""
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return parts._replace(netloc=f"{user}{host}{port}").geturl()

    def env(self) -> dict[str, str]:
        if self.is_postgres:
            parts = urlsplit(self.url)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "APPLICATION_RECORDER_TOPIC": "kiemtra.workflow.postgres_store:PostgresRecorder",
                "POSTGRES_DBNAME": parts.path.lstrip("/"),
                "POSTGRES_HOST": parts.hostname or "localhost",
                "POSTGRES_PORT": str(parts.port or 5432),
                "POSTGRES_USER": unquote(parts.username or ""),
                # a URL without one: libpq's PGPASSWORD (an empty password given to libpq
                # would hide it), else ~/.pgpass (PGPASSFILE), which libpq reads itself
                "POSTGRES_PASSWORD": unquote(parts.password or "")
                or os.environ.get("PGPASSWORD", ""),
                # a command needs one connection (the library opens 5 in the background)
                "POSTGRES_POOL_SIZE": "1",
                "POSTGRES_MAX_OVERFLOW": "4",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.sqlite_path),
            "APPLICATION_RECORDER_TOPIC": "kiemtra.workflow.store:SQLiteRecorder",
            "SQLITE_LOCK_TIMEOUT": "10",
        }

    def sqlalchemy_url(self) -> str:
        if self.is_postgres:
            parts = urlsplit(self.url)
            return parts._replace(scheme="postgresql+psycopg").geturl()
        return f"sqlite:///{self.sqlite_path}"

    def engine(self) -> Engine:
        """A SQLAlchemy engine on the same database, for the read models."""
        from sqlalchemy import create_engine, event

        if self.is_postgres:
            return create_engine(self.sqlalchemy_url())
        engine = create_engine(self.sqlalchemy_url(), connect_args={"timeout": 10})

        @event.listens_for(engine, "connect")
        def _no_implicit_begin(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # we say BEGIN ourselves, below

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get("immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
