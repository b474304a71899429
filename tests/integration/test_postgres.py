"""The views and the audit trail on a real PostgreSQL server: the answers SQLite gives.

Skipped without a server (see the `postgres_url` fixture); `.ci/run` starts one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from kiemtra.projections.audit.trail import AuditFilter, audit_rows
from kiemtra.projections.backends import POSTGRES_EVENTS
from kiemtra.projections.views import Views
from kiemtra.workflow.database import Database
from kiemtra.workflow.demo import template_text
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore, open_store
from tests.conftest import CODE, LEADER
from tests.integration.test_projections import snapshot, walk

D = date


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[EventStore]:
    store = open_store(Database(postgres_url))
    yield store
    store.close()


@pytest.fixture
def pg_wf(pg_store: EventStore) -> Workflow:
    made = Workflow(pg_store, LEADER)
    made.import_plan(template_text(), "plan.toml", D(2026, 6, 15))
    return made


@pytest.fixture
def pg_views(postgres_url: str) -> Iterator[Views]:
    views = Views(Database(postgres_url))
    yield views
    views.engine.dispose()


def test_views_on_postgres_equal_those_on_sqlite(wf: Workflow, campaign: str,
                                                 db_path: Path, pg_wf: Workflow,
                                                 pg_store: EventStore, pg_views: Views) -> None:
    walk(wf)
    expected = snapshot(Views(Database(str(db_path))).fresh())
    walk(pg_wf)
    assert pg_store.recorder.events_table_name == POSTGRES_EVENTS  # type: ignore[attr-defined]
    assert snapshot(pg_views.fresh()) == expected
    assert pg_views.projector.catch_up() == 0
    with pg_views.engine.begin() as conn:  # replayed from the start: still each event once
        conn.execute(text("UPDATE view_tracking SET position = 0 WHERE name = 'status'"))
    assert pg_views.projector.catch_up() == pg_store.event_count()
    assert snapshot(pg_views) == expected
    assert pg_views.rebuild() == pg_store.event_count()
    assert snapshot(pg_views) == expected


def test_time_travel_and_history_on_postgres(pg_wf: Workflow, pg_store: EventStore,
                                             pg_views: Views) -> None:
    pg_wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    moment = datetime.now(UTC)
    pg_wf.report(CODE, "kt", day=D(2026, 8, 10))
    as_of = D(2026, 8, 11)
    assert {r["unit"]: r["state"] for r in pg_views.fresh().status(as_of, CODE)}["kt"] == \
        "report_submitted"
    then = {r["unit"]: r["state"] for r in pg_views.status_at(moment, as_of, CODE)}
    assert then == {"vp": "planned", "kt": "notified", "vhxh": "planned", "hcc": "planned"}
    assert pg_views.status_at(moment, as_of) == pg_views.status_at(moment, as_of, CODE)

    trail = audit_rows(pg_store, AuditFilter(campaign=CODE, unit="kt"))
    assert [(r["event"], r["effective_date"]) for r in trail] == [
        ("Planned", "2026-06-15"), ("NoticeIssued", "2026-08-03"),
        ("ReportSubmitted", "2026-08-10")]
    everything = audit_rows(pg_store)
    assert [r["seq"] for r in everything] == list(range(1, pg_store.event_count() + 1))
    assert [r for r in everything if r["unit"] == "kt"] == trail
