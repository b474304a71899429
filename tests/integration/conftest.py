"""Fixtures of the integration tests on the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from kiemtra.workflow.database import Database
from kiemtra.workflow.demo import template_text
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
