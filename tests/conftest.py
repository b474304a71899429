"""Shared fixtures: the example plan, a real SQLite event store in a temp folder."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest

from kiemtra.projections.audit.trail import AuditFilter, audit_rows
from kiemtra.projections.views import Views
from kiemtra.workflow.demo import template_text
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import Database, EventStore, open_store
from tests.smtp_server import SmtpServer

CODE = "KTD-TKT-2026"
LEADER = "truong-to"
NEW_UNIT = '''
[[units]]
code = "tp"
name = "Phòng Tư pháp"
head = "Trưởng phòng Tư pháp"
email = "tuphap@khucthuadu.example"
planned_on_site = 2026-09-08
'''
"""A unit to add to the example plan (amendments)."""


def plan_text(**replace: str) -> str:
    """The shipped example plan, with `old=new` text replacements (keys use '__' for ' ')."""
    text = template_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kiemtra.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[EventStore]:
    app = open_store(Database(str(db_path)))
    yield app
    app.close()


@pytest.fixture
def wf(store: EventStore) -> Workflow:
    return Workflow(store, LEADER)


@pytest.fixture
def campaign(wf: Workflow) -> str:
    wf.import_plan(template_text(), "plan.toml", date(2026, 6, 15))
    return CODE


def count_rows(db: Path, table: str = "stored_events") -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def database_of(store: EventStore) -> Database:
    return Database(str(store.env.get("SQLITE_DBNAME")))


def history(store: EventStore, code: str, unit: str | None = None) -> list[dict[str, Any]]:
    """A campaign's (or a unit's) part of the audit trail, read from an open store."""
    return audit_rows(store, AuditFilter(campaign=code, unit=unit))


def views_of(store: EventStore) -> Views:
    """The read models of the store's database, caught up."""
    return Views(Database(str(store.env.get("SQLITE_DBNAME")))).fresh()


def status(store: EventStore, as_of: date, code: str | None = None) -> list[dict[str, Any]]:
    return views_of(store).status(as_of, code)


def postgres_server() -> str:
    """The server's URL from KIEMTRA_TEST_POSTGRES; without one the test is skipped, unless
    KIEMTRA_REQUIRE_POSTGRES is set (as in CI): then it fails."""
    server = os.environ.get("KIEMTRA_TEST_POSTGRES")
    if not server:
        if os.environ.get("KIEMTRA_REQUIRE_POSTGRES"):
            pytest.fail("KIEMTRA_REQUIRE_POSTGRES is set but KIEMTRA_TEST_POSTGRES is not")
        pytest.skip("no PostgreSQL server: set KIEMTRA_TEST_POSTGRES=postgresql://user@host:port/db")
    return server


@contextlib.contextmanager
def new_postgres_database() -> Iterator[str]:
    """A new, empty database on the server of `postgres_server`, dropped after."""
    server = postgres_server()
    import psycopg

    name = f"kiemtra_test_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(server)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty database on the real PostgreSQL server that KIEMTRA_TEST_POSTGRES names
    (`.ci/run` starts one), dropped after the test. Without a server the test is skipped,
    unless KIEMTRA_REQUIRE_POSTGRES is set (as in CI): then it fails."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the duration of a test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
