"""kiemtra's write function on a real PostgreSQL server (`workflow/postgres_append.py`):
the links it computes in the server are `domain/chain.py`'s, for any batch of events, and
a database written before the function existed gets it when it is next opened.

`tests/pg_chain.check_log` recomputes both chains in Python from the rows alone, so a link
the server made differently from `domain.chain.link` fails here."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemtra.domain.errors import KiemtraError
from kiemtra.workflow.database import Database
from kiemtra.workflow.demo import template_text
from kiemtra.workflow.postgres_append import APPEND_FUNCTION, append, call_statement
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore, open_store
from tests.conftest import LEADER, new_postgres_database
from tests.pg_chain import check_log

DAY = date(2026, 6, 15)
COMMUNES = ["Xã Khúc Thừa Dụ", "Phường Hồng Hà", "Xã Ê-đê 'Buôn Ma' \\ \"x\""]


@pytest.fixture
def recorder_store(postgres_url: str) -> Iterator[EventStore]:
    store = open_store(Database(postgres_url))
    yield store
    store.close()


# a batch: events of new streams (each of a commune) and of streams written before
batches = st.lists(st.tuples(
    st.sampled_from(COMMUNES),  # the commune of a new stream
    st.integers(min_value=1, max_value=4),  # how many events it gets in the batch
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1, max_size=40),  # a topic: any Unicode that a text column holds
    st.text(max_size=300),  # what a payload says (the stored bytes are JSON, as kiemtra's)
    st.booleans(),  # also one more event on a stream written before
), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches, one_at_a_time=st.booleans())
def test_the_servers_links_are_the_documented_formula(
        recorder_store: EventStore, postgres_url: str,
        batch: list[tuple[str, int, str, str, bool]], one_at_a_time: bool) -> None:
    """A batch saved at once (a plan's import) or each event alone (a step's save: the
    function's single-event path)."""
    recorder: Any = recorder_store.recorder
    with psycopg.connect(postgres_url) as conn:
        written = conn.execute("SELECT originator_id, max(originator_version) "
                               "FROM kiemtra_events GROUP BY originator_id "
                               "ORDER BY originator_id LIMIT 3").fetchall()
    events: list[StoredEvent] = []
    origins: dict[UUID, str] = {}
    for k, (commune, count, topic, said, also_old) in enumerate(batch):
        stream = uuid4()
        origins[stream] = commune
        events += [StoredEvent(stream, v, topic, json.dumps({"said": said, "v": v}).encode())
                   for v in range(1, count + 1)]
        if also_old and k < len(written):
            old, last = written[k]
            events.append(StoredEvent(old, int(last) + 1, topic,
                                      json.dumps({"said": said}, ensure_ascii=False).encode()))
    if one_at_a_time:
        ids = [i for e in events for i in recorder.insert_events(
            [e], origins={s: o for s, o in origins.items()
                          if s == e.originator_id and e.originator_version == 1})]
    else:
        ids = recorder.insert_events(events, origins=origins)

    with psycopg.connect(postgres_url) as conn:
        stored = dict(((UUID(str(s)), int(v)), int(n)) for s, v, n in conn.execute(
            "SELECT originator_id, originator_version, notification_id FROM kiemtra_events"))
    assert list(ids) == [stored[(UUID(str(e.originator_id)), e.originator_version)]
                         for e in events]  # the ids in the events' order
    assert list(ids) == sorted(ids)
    check_log(postgres_url)


def test_a_database_from_before_the_function_gets_it_when_opened(postgres_url: str) -> None:
    """0.2.0 wrote PostgreSQL databases with the library's insert and no function: the
    first open makes it (under the schema lock), and the chain goes on unbroken."""
    store = open_store(Database(postgres_url))
    Workflow(store, LEADER).import_plan(template_text(), "plan.toml", DAY)
    store.close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute(f"DROP FUNCTION {APPEND_FUNCTION}")
    before = check_log(postgres_url).events

    store = open_store(Database(postgres_url))
    try:
        plan = template_text().replace('code = "KTD-TKT-2026"', 'code = "KTD-TKT-2027"')
        Workflow(store, LEADER).import_plan(plan, "plan.toml", DAY)
    finally:
        store.close()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT to_regproc(%s)", (APPEND_FUNCTION,)).fetchone() != (None,)
    assert check_log(postgres_url).events > before


def test_a_server_whose_default_isolation_is_repeatable_read_keeps_one_chain(
        postgres_url: str) -> None:
    """A snapshot taken before the writers' lock is granted misses the write that held
    it: with `default_transaction_isolation = 'repeatable read'` (set on a database or a
    role) the one-statement call is refused by the function before it writes anything,
    and the save runs again in a transaction of its own at READ COMMITTED. Here writer B
    waits for the lock while another writer commits under it: B links after that event."""
    name = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = "
                     "'repeatable read'")
    store = open_store(Database(postgres_url))
    try:
        recorder: Any = store.recorder
        first = uuid4()
        recorder.insert_events([event(first, 1)], origins={first: COMMUNES[0]})
        with psycopg.connect(postgres_url) as holder:  # another writer, mid-save
            holder.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            other = uuid4()
            with holder.cursor() as curs:
                append(curs, call_statement("public"), [event(other, 1)],
                       {other: COMMUNES[1]}, 0)  # its lock held until it commits
            done: dict[str, Any] = {}
            waiting = uuid4()
            writer = threading.Thread(target=lambda: done.update(ids=recorder.insert_events(
                [event(waiting, 1)], origins={waiting: COMMUNES[0]})))
            writer.start()
            time.sleep(1.0)
            assert writer.is_alive(), "the write did not wait for the lock"
        writer.join(timeout=20)  # the holder committed as its block ended
        assert done["ids"] == [3]
    finally:
        store.close()
    assert check_log(postgres_url).positions == [1, 2, 3]


def event(stream: UUID, version: int) -> StoredEvent:
    return StoredEvent(stream, version, "kiemtra:Test.Step",
                       json.dumps({"v": version}).encode())


# --- one event and a batch refuse alike ------------------------------------------------

TAMPERINGS = {
    # what is done to the rows, as an editor with the database's password would
    "the whole log's chain emptied": "DELETE FROM event_chain",
    "the whole log's last link removed": "DELETE FROM event_chain WHERE position = "
                                         "(SELECT max(position) FROM event_chain)",
    "the last event removed": "DELETE FROM kiemtra_events WHERE notification_id = "
                              "(SELECT max(notification_id) FROM kiemtra_events)",
    "an event inserted without its links": (
        "INSERT INTO kiemtra_events (originator_id, originator_version, topic, state) "
        "VALUES (gen_random_uuid(), 1, 't', '\\x7b7d')"),
    "a stream's commune removed": "DELETE FROM stream_origin",
    "a commune's chain emptied": "DELETE FROM origin_chain",
    "a commune link beyond the events": (
        "UPDATE origin_chain SET position = position + 1000 WHERE position = "
        "(SELECT max(position) FROM origin_chain)"),
}


def refusal_of(url: str, tampering: str, batch: bool) -> tuple[str, int | None]:
    """The refusal (its class and position) of the next event of a stream written before,
    saved alone or at the head of a batch with a new stream of another commune, on a log
    tampered with as `tampering` says; ("written", None) if it was not refused."""
    store = open_store(Database(url))
    try:
        recorder: Any = store.recorder
        old = uuid4()
        recorder.insert_events([event(old, 1), event(old, 2)], origins={old: COMMUNES[0]})
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(TAMPERINGS[tampering])
        events, origins = [event(old, 3)], {}
        if batch:
            other = uuid4()
            events.append(event(other, 1))
            origins[other] = COMMUNES[1]
        try:
            recorder.insert_events(events, origins=origins)
        except KiemtraError as refused:
            return type(refused).__name__, refused.params.get("position")
        return "written", None
    finally:
        store.close()


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_a_single_event_is_refused_as_a_batch_is(tampering: str) -> None:
    """The function writes a single event (a step's save) in fewer statements than a
    batch (a plan's import): the same checks in the same order, so the same tampering is
    refused alike, at the same position, whichever way the event is saved."""
    results = []
    for batch in (False, True):
        with new_postgres_database() as url:
            results.append(refusal_of(url, tampering, batch))
    alone, in_a_batch = results
    assert alone[0] != "written", f"{tampering}: written over"
    assert alone == in_a_batch
