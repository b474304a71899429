"""Fixtures of the integration tests: the demo's database on either database, and the
event store on the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import pytest

from kiemtra.workflow.database import Database
from kiemtra.workflow.demo import run_demo, template_text
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore, open_store
from tests.conftest import LEADER


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[EventStore]:
    """The event store of a new database of its own on the server."""
    store = open_store(Database(postgres_url))
    yield store
    store.close()


@pytest.fixture
def pg_wf(pg_store: EventStore) -> Workflow:
    """The team leader's workflow there, with the plan template imported."""
    made = Workflow(pg_store, LEADER)
    made.import_plan(template_text(), "plan.toml", date(2026, 6, 15))
    return made


@pytest.fixture(scope="session")
def postgres_demo_template() -> Iterator[str]:
    """The demo written once on the real PostgreSQL server, as a template each test copies."""
    from tests.conftest import postgres_server

    server = postgres_server()
    import psycopg

    name = f"kiemtra_demo_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    store = open_store(Database(urlsplit(server)._replace(path=f"/{name}").geturl()))
    for _ in run_demo(store):
        pass
    store.close()
    yield name
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The demo's database (28 events, two attachments): a SQLite file, or a database of
    its own on PostgreSQL (whose positions are the same: one writer, no gaps)."""
    if request.param == "sqlite":
        path = tmp_path / "kiemtra.db"
        store = open_store(Database(str(path)))
        for _ in run_demo(store):
            pass
        store.close()
        yield Database(str(path))
        return
    import psycopg

    from tests.conftest import postgres_server

    template = request.getfixturevalue("postgres_demo_template")
    server = postgres_server()
    name = f"kiemtra_test_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield Database(urlsplit(server)._replace(path=f"/{name}").geturl())
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
