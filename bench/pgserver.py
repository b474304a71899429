"""What the benchmarks' `--postgres SERVER_URL` option shares (not a benchmark itself).

Each measurement on PostgreSQL gets a database of its own, made on the server for it and
dropped after (`new_database`), so nothing is left on the server and no run sees another's
rows. Connections of the baselines are made as the event store makes its own
(`Database(url).env()`: host, port, user, password, database name), so the baseline and
kiemtra talk to the same server in the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import uuid4

from kiemtra.workflow import Database

if TYPE_CHECKING:
    import psycopg


@contextmanager
def new_database(server: str) -> Iterator[str]:
    """The URL of a new, empty database on `server` (`kiemtra_bench_…`), dropped after."""
    import psycopg  # only here: the SQLite benchmarks do not need it

    name = f"kiemtra_bench_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(server)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def connect(url: str, **kwargs: Any) -> psycopg.Connection[Any]:
    """A psycopg connection to `url`, made with the event store's own settings."""
    import psycopg

    env = Database(url).env()
    return psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                           port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                           password=env["POSTGRES_PASSWORD"], **kwargs)


def describe(server: str) -> str:
    """The server's version and the settings that decide what a COMMIT waits for."""
    with connect(server, autocommit=True) as conn:
        found = {name: str(row[0]) if (row := conn.execute(f"SHOW {name}").fetchone()) else "?"
                 for name in ("server_version", "fsync", "synchronous_commit")}
    line = (f"PostgreSQL {found['server_version'].split()[0]} at {Database(server).label()}: "
            f"fsync={found['fsync']} synchronous_commit={found['synchronous_commit']}")
    if found["fsync"] == "off":
        line += " (a COMMIT waits for no disk, as on CI's throwaway cluster)"
    return line
