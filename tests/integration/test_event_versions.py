"""Old event shapes stay readable: a version 1 event (before roles were recorded) is
upcast when loaded, and the audit trail shows the role the plan gives its actor."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from eventsourcing.persistence import StoredEvent

from kiemtra.domain.ids import inspection_id
from kiemtra.projections.audit.trail import AuditFilter, audit_rows
from kiemtra.projections.audit.verify import verify_database
from kiemtra.workflow.store import EventStore
from tests.conftest import CODE, views_of

NOTICE_V1 = {  # NoticeIssued as kiemtra wrote it before version 2: no actor_role
    "timestamp": {"_type_": "datetime_iso", "_data_": "2026-08-03T02:00:00+00:00"},
    "state": "notified",
    "actor": "thuong-truc",
    "effective_date": {"_type_": "date_iso", "_data_": "2026-08-03"},
    "on_site": {"_type_": "date_iso", "_data_": "2026-08-10"},
    "report_due": {"_type_": "date_iso", "_data_": "2026-08-07"},
}


def test_new_events_are_version_2_with_the_actor_role(store: EventStore, campaign: str) -> None:
    planned = list(store.events.get(inspection_id(CODE, "vp")))[0]
    assert type(planned).class_version == 2 and planned.actor_role == "leader"


def test_a_version_1_event_still_loads(store: EventStore, campaign: str, db_path: Path) -> None:
    stream = inspection_id(CODE, "vp")
    planned = store.recorder.select_events(stream)[0]
    topic = planned.topic.replace("Inspection.Planned", "Inspection.NoticeIssued")
    encoded = json.dumps(NOTICE_V1).encode()
    assert store.mapper.transcoder.decode(encoded)["actor"] == "thuong-truc"  # same codec
    store.recorder.insert_events([StoredEvent(stream, 2, topic, encoded)])

    inspection = store.load(stream)
    assert inspection.state == "notified" and inspection.on_site == date(2026, 8, 10)
    old = list(store.events.get(stream))[1]
    assert old.actor_role is None and old.actor == "thuong-truc"

    row = audit_rows(store, AuditFilter(campaign=CODE, event="notify"))[0]
    assert row["actor_role"] == "secretariat" and row["role_recorded"] is False
    assert views_of(store).status(date(2026, 8, 4), CODE)[0]["state"] == "notified"
    assert verify_database(db_path).events == store.event_count()  # chained like any other
