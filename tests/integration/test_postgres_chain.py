"""The hash chain and the attachments on a real PostgreSQL server: written in the events'
transaction by kiemtra's recorder, one link per event in notification-id order, the same
tables as on SQLite. Skipped without a server (see the `postgres_url` fixture)."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError

from kiemtra.domain.ids import inspection_id
from kiemtra.projections.audit.errors import LogAltered
from kiemtra.projections.audit.service import attachment
from kiemtra.workflow import ConcurrentChange, InvalidSetting
from kiemtra.workflow.database import Database
from kiemtra.workflow.demo import template_text
from kiemtra.workflow.errors import ChainBroken
from kiemtra.workflow.files import CHUNK
from kiemtra.workflow.postgres_store import PostgresRecorder
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore, attachment_codes, open_store, read_attachment
from tests.conftest import CODE, LEADER
from tests.integration.test_projections import walk
from tests.pg_chain import check_log

D = date


def rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_event_is_linked_and_files_are_kept_in_pieces(
        pg_wf: Workflow, pg_store: EventStore, postgres_url: str, tmp_path: Path) -> None:
    assert isinstance(pg_store.recorder, PostgresRecorder)
    scan = tmp_path / "khac-phuc.pdf"
    content = bytes(range(256)) * (CHUNK * 5 // 2 // 256)  # two and a half pieces
    scan.write_bytes(content)
    walk(pg_wf)
    pg_wf.remediate(CODE, "vp", findings=[1], day=D(2026, 9, 2), attach=[str(scan)])
    sha = rows(postgres_url, "SELECT sha256 FROM attachments")[0][0]

    checked = check_log(postgres_url)
    assert checked.events == pg_store.event_count() > 10 and checked.attachments == 1
    assert rows(postgres_url, "SELECT size, length(content) FROM attachments") == [
        (len(content), 0)]
    assert [r[0] for r in rows(postgres_url, "SELECT length(data) FROM attachment_chunks "
                                             "ORDER BY seq")] == [CHUNK, CHUNK, CHUNK // 2]

    database = Database(postgres_url)
    assert b"".join(read_attachment(database, sha) or ()) == content
    assert read_attachment(database, "0" * 64) is None
    assert attachment_codes(database, sha[:10]) == [sha]
    found = attachment(database, sha[:12])  # what `kiemtra attachment get` reads
    assert (found.sha256, found.size) == (sha, len(content))
    assert b"".join(found.pieces()) == content

    with psycopg.connect(postgres_url) as conn:  # altered: named as such, with its event
        conn.execute("UPDATE attachment_chunks SET data = 'x' WHERE seq = 1")
    with pytest.raises(LogAltered) as altered:
        attachment(database, sha)
    assert altered.value.params["position"] == rows(
        postgres_url, "SELECT max(notification_id) FROM kiemtra_events")[0][0]


def test_a_write_that_lost_a_race_leaves_nothing_and_its_ids_unused(
        pg_wf: Workflow, pg_store: EventStore, postgres_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    scan = tmp_path / "bao-cao.pdf"
    scan.write_bytes(b"never kept")
    pg_wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    stale = pg_store.load(inspection_id(CODE, "kt"))  # another writer read kt here
    pg_wf.report(CODE, "kt", day=D(2026, 8, 10))
    with monkeypatch.context() as m:
        m.setattr(pg_store, "load", lambda _: stale)
        with pytest.raises(ConcurrentChange):
            pg_wf.report(CODE, "kt", day=D(2026, 8, 11), attach=[str(scan)])
    assert rows(postgres_url, "SELECT count(*) FROM attachments") == [(0,)]

    pg_wf.notify(CODE, "vhxh", on_site=D(2026, 8, 14), day=D(2026, 8, 4))
    checked = check_log(postgres_url)  # linked across the gap
    (count, last), = rows(postgres_url, "SELECT count(*), max(notification_id) "
                                        "FROM kiemtra_events")
    assert last == count + 1  # the sequence moved on for the event never stored
    assert pg_store.event_count() == count == checked.events
    assert pg_store.head_position() == last


def test_writers_take_the_librarys_table_lock(
        pg_wf: Workflow, pg_store: EventStore, postgres_url: str) -> None:
    """The chain's head is read under `LOCK TABLE … IN EXCLUSIVE MODE`, the library's
    lock, taken before the ids are drawn and held to the commit. EXCLUSIVE conflicts with
    ROW SHARE and a plain INSERT's ROW EXCLUSIVE does not: a write waits while another
    session holds ROW SHARE only if kiemtra's write takes that lock."""
    statements = [s.as_string() for s in pg_store.recorder.lock_table_statements]  # type: ignore[attr-defined]
    assert any("IN EXCLUSIVE MODE" in s for s in statements), statements  # the library's
    done = threading.Event()
    with psycopg.connect(postgres_url) as holder:
        holder.execute("LOCK TABLE kiemtra_events IN ROW SHARE MODE")
        writer = threading.Thread(target=lambda: (pg_wf.notify(
            CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3)), done.set()))
        writer.start()
        time.sleep(1.0)
        assert not done.is_set(), "a write went ahead without the table lock"
    writer.join(timeout=20)
    assert done.is_set()
    check_log(postgres_url)


def test_a_database_from_before_the_chain_is_chained_once(postgres_url: str) -> None:
    """kiemtra wrote PostgreSQL databases without a chain before: the first open computes
    it over the events there and says through which position; a chain removed later
    (the attachments table is there) is not computed again."""
    database = Database(postgres_url)
    old = EventStore(env={**database.env(), "APPLICATION_RECORDER_TOPIC":
                          "eventsourcing.postgres:PostgresApplicationRecorder"})
    Workflow(old, LEADER).import_plan(template_text(), "plan.toml", D(2026, 6, 15))
    written = old.head_position()
    old.close()
    assert rows(postgres_url, "SELECT to_regclass('event_chain')") == [(None,)]

    store = open_store(database)
    assert check_log(postgres_url).events == written
    assert [r[0] for r in rows(postgres_url, "SELECT chained_through FROM event_chain_origin"
                               )] == [written]
    Workflow(store, LEADER).notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    assert check_log(postgres_url).events == written + 1
    store.close()

    with psycopg.connect(postgres_url) as conn:
        conn.execute("DROP TABLE event_chain")
    store = open_store(database)
    assert rows(postgres_url, "SELECT count(*) FROM event_chain") == [(0,)]
    assert rows(postgres_url, "SELECT count(*) FROM event_chain_origin") == [(1,)]
    first = rows(postgres_url, "SELECT min(notification_id) FROM kiemtra_events")[0][0]
    with pytest.raises(ChainBroken) as refused:  # never linked from the wrong place
        Workflow(store, LEADER).notify(CODE, "vp", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    assert refused.value.params["position"] == first
    assert rows(postgres_url, "SELECT count(*), count(*) FILTER (WHERE topic LIKE "
                              "'%%NoticeIssued') FROM kiemtra_events") == [(written + 1, 1)]
    store.close()


def test_a_chain_cut_short_blocks_every_write(pg_wf: Workflow, pg_store: EventStore,
                                              postgres_url: str) -> None:
    """As on SQLite: links deleted from the end while the events stay; the next write is
    refused, naming the first event without its link, and nothing is written."""
    positions = check_log(postgres_url).positions
    with psycopg.connect(postgres_url) as conn:
        conn.execute("DELETE FROM event_chain WHERE position >= %s", (positions[-2],))
    with pytest.raises(ChainBroken) as refused:
        pg_wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    assert refused.value.params["position"] == positions[-2]
    assert rows(postgres_url, "SELECT count(*) FROM kiemtra_events") == [(len(positions),)]
    assert rows(postgres_url, "SELECT count(*) FROM event_chain") == [(len(positions) - 2,)]


def test_the_librarys_unlocked_insert_function_is_refused(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_ENABLE_DB_FUNCTIONS", "yes")
    with pytest.raises(InvalidSetting) as refused:
        open_store(Database(postgres_url))
    assert "POSTGRES_ENABLE_DB_FUNCTIONS" in refused.value.message("en")
    assert refused.value.exit_code == 2


def test_the_tables_are_made_once_then_only_looked_for(postgres_url: str) -> None:
    """Every process opens the store: when every table is there, nothing is created and
    no lock is taken (a CREATE INDEX IF NOT EXISTS would wait for the writers)."""
    open_store(Database(postgres_url)).close()
    with psycopg.connect(postgres_url) as holder:  # would block any CREATE on the table
        holder.execute("LOCK TABLE kiemtra_events IN SHARE ROW EXCLUSIVE MODE")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (0x6B69656D74726101,))
        started = time.monotonic()
        store = open_store(Database(postgres_url))
        assert time.monotonic() - started < 5
        store.close()


def test_an_event_whose_link_cannot_be_made_is_not_kept(
        pg_wf: Workflow, pg_store: EventStore, postgres_url: str) -> None:
    """The save is one statement, its own transaction: when its last step fails on the
    server (here a trigger refuses the commune's link), the events and the whole log's
    link inserted before it are not kept either."""
    before = check_log(postgres_url).events
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE FUNCTION no_link() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$BEGIN RAISE EXCEPTION 'no link'; END$$")
        conn.execute("CREATE TRIGGER no_link BEFORE INSERT ON origin_chain "
                     "FOR EACH ROW EXECUTE FUNCTION no_link()")
    with pytest.raises(PersistenceError, match="no link"):
        pg_wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    assert rows(postgres_url, "SELECT count(*) FROM kiemtra_events")[0][0] == before
    with psycopg.connect(postgres_url) as conn:
        conn.execute("DROP TRIGGER no_link ON origin_chain")
    assert check_log(postgres_url).events == before
    pg_wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))  # the store goes on
    assert check_log(postgres_url).events == before + 1
