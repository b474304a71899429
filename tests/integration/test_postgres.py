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
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore
from tests.conftest import CODE
from tests.integration.test_projections import snapshot, walk

D = date


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


def test_a_rebuild_on_postgres_folds_again_a_stream_that_steps_after_it_finished(
        pg_wf: Workflow, pg_store: EventStore, pg_views: Views) -> None:
    """A finished inspection that takes another step (a correction may): the rebuild keeps
    one row for it, the last, though PostgreSQL keeps its unique indexes during the load."""
    from kiemtra.domain.ids import inspection_id

    walk(pg_wf)
    pg_wf.inspect(CODE, "kt", day=D(2026, 8, 12))  # kt: report submitted, then visited
    with pg_views.engine.begin() as conn:
        last = conn.execute(text(f"SELECT MAX(originator_version) FROM {POSTGRES_EVENTS} "
                                 "WHERE originator_id = :id"),
                            {"id": inspection_id(CODE, "hcc")}).scalar()  # hcc: cancelled
        conn.execute(text(f"INSERT INTO {POSTGRES_EVENTS} (originator_id, originator_version, "
                          "topic, state) VALUES (:id, :v, :t, :s)"), {
            "id": inspection_id(CODE, "hcc"), "v": last + 1,
            "t": "kiemtra:Inspection.Cancelled",
            "s": b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T01:00:00+00:00"},'
                 b'"state":"cancelled","actor":"truong-to","actor_role":"leader",'
                 b'"effective_date":{"_type_":"date_iso","_data_":"2026-11-30"},'
                 b'"reason":"second"}'})
    caught_up = snapshot(pg_views.fresh())
    assert pg_views.rebuild() == pg_store.event_count()
    assert snapshot(pg_views) == caught_up
    with pg_views.engine.connect() as conn:
        rows = conn.execute(text("SELECT cancel_reason FROM view_inspections "
                                 "WHERE unit = 'hcc'")).all()
    assert rows == [("second",)]
