"""What is at the path --db names (`workflow/dbfile.py`), in-process: the tables kiemtra
recognises as its own, the marks a write sets, and the faults that SQLite raises turned
into refusals with a sentence in each language."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError as LibraryOperationalError

from kiemtra.domain.errors import KiemtraError
from kiemtra.notifications.scheduler import JOBS_TABLE, lease_table
from kiemtra.projections import tables
from kiemtra.projections.views import Views
from kiemtra.workflow import Database, open_store
from kiemtra.workflow.attachments import ATTACHMENTS_TABLE, CHUNKS_TABLE
from kiemtra.workflow.chain_repair import REBUILT_LINKS
from kiemtra.workflow.dbfile import (
    APPLICATION_ID,
    DATA_FORMAT,
    EMPTY,
    KIEMTRA,
    KIEMTRA_TABLES,
    MISSING,
    database_fault,
)
from kiemtra.workflow.errors import (
    ConcurrentChange,
    DamagedDatabase,
    DatabaseFull,
    DatabaseIOError,
    ForeignDatabase,
    NewerDatabase,
    NotADatabase,
    ReadOnlyDatabase,
)
from kiemtra.workflow.origin_chain import ORIGIN_CHAIN, ORIGIN_STARTED, STREAM_ORIGIN
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import CHAIN_ORIGIN_TABLE, CHAIN_TABLE
from tests.conftest import CODE, LEADER, plan_text


def test_the_known_tables_are_every_table_kiemtra_makes() -> None:
    made = {"stored_events", CHAIN_TABLE, CHAIN_ORIGIN_TABLE, REBUILT_LINKS, ATTACHMENTS_TABLE,
            CHUNKS_TABLE, STREAM_ORIGIN, ORIGIN_CHAIN, ORIGIN_STARTED,
            JOBS_TABLE, lease_table.name, tables.tracking.name,
            *(view.name for view in tables.VIEWS)}
    assert made == KIEMTRA_TABLES


def test_what_is_found(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "kiemtra.db"))
    assert db.found().state == MISSING and not db.exists()
    (tmp_path / "kiemtra.db").touch()
    assert db.found().state == EMPTY and not db.exists()
    store = open_store(db)
    Workflow(store, LEADER).import_plan(plan_text(), "plan.toml", date(2026, 6, 15))
    store.close()
    found = db.found()
    assert found.state == KIEMTRA and found.writable and found.data_format == DATA_FORMAT
    assert found.read_uri.startswith("file:/") and found.read_uri.endswith("?mode=ro")
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        conn.execute(f"PRAGMA user_version = {DATA_FORMAT + 1}")
    newer = db.found()
    assert newer.newer and not newer.writable
    with pytest.raises(NewerDatabase):
        open_store(db)
    read = open_store(db, write=False)  # a read opens it read-only, creating nothing
    assert read.event_count() == 5
    read.close()
    views = Views.for_reading(db)
    assert views is not None and views.note is not None
    assert len(views.status(date(2026, 7, 1))) == 4


def test_a_path_with_characters_a_uri_reserves(tmp_path: Path) -> None:
    """'?', '#' and '%' in a folder's name are quoted in the read-only URI."""
    folder = tmp_path / "hồ sơ #1 ?50%"
    folder.mkdir()
    db = Database(str(folder / "kiemtra.db"))
    store = open_store(db)
    Workflow(store, LEADER).import_plan(plan_text(), "plan.toml", date(2026, 6, 15))
    store.close()
    views = Views.for_reading(db, CODE)
    assert views is not None and len(views.status(date(2026, 7, 1), CODE)) == 4


def test_an_application_id_of_another_application_is_foreign(tmp_path: Path) -> None:
    path = tmp_path / "khac.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA application_id = 1598903374")  # some other application's
    with pytest.raises(ForeignDatabase):
        Database(str(path)).found()


def fault(code: int, text: str, database: Database, *, wrapped: bool = False
          ) -> KiemtraError | None:
    error = sqlite3.OperationalError(text)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    if not wrapped:
        return database_fault(error, database)
    try:
        try:
            raise error
        except sqlite3.OperationalError as inner:
            raise LibraryOperationalError(inner) from inner  # as eventsourcing raises it
    except LibraryOperationalError as outer:
        return database_fault(outer, database)


@pytest.mark.parametrize("wrapped", [False, True])
@pytest.mark.parametrize(("code", "text", "kind"), [
    (sqlite3.SQLITE_FULL, "database or disk is full", DatabaseFull),
    (sqlite3.SQLITE_CORRUPT, "database disk image is malformed", DamagedDatabase),
    (sqlite3.SQLITE_NOTADB, "file is not a database", NotADatabase),
    (sqlite3.SQLITE_READONLY, "attempt to write a readonly database", ReadOnlyDatabase),
    (sqlite3.SQLITE_IOERR, "disk I/O error", DatabaseIOError),
    (sqlite3.SQLITE_BUSY, "database is locked", ConcurrentChange),
])
def test_sqlite_faults_in_plain_words(tmp_path: Path, code: int, text: str,
                                      kind: type[KiemtraError], wrapped: bool) -> None:
    found = fault(code, text, Database(str(tmp_path / "kiemtra.db")), wrapped=wrapped)
    assert isinstance(found, kind)
    vi, en = found.message("vi"), found.message("en")
    assert vi != en and text not in vi and text not in en


def test_a_fault_that_is_not_the_databases_is_left_alone(tmp_path: Path) -> None:
    assert database_fault(ValueError("x"), Database(str(tmp_path / "k.db"))) is None
    assert fault(sqlite3.SQLITE_CONSTRAINT, "UNIQUE constraint failed",
                 Database(str(tmp_path / "k.db"))) is None


def test_a_write_ahead_log_removed_while_the_file_is_looked_at(tmp_path: Path) -> None:
    """Another process's last connection removes the `-wal` file between our look and our
    reading its size (it happened in CI: an "unexpected error" from `audit`): every look
    still answers."""
    import threading

    from kiemtra.workflow.store import open_store

    path = tmp_path / "kiemtra.db"
    open_store(Database(str(path))).close()
    stop = threading.Event()

    def churn() -> None:  # a writer's connection opened and closed: -wal made, removed
        while not stop.is_set():
            conn = sqlite3.connect(path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS churn (x)")
            conn.execute("INSERT INTO churn VALUES (1)")
            conn.commit()
            conn.close()

    other = threading.Thread(target=churn)
    other.start()
    try:
        for _ in range(1000):  # the old look failed about one run in three at 400
            assert Database(str(path)).found() is not None
    finally:
        stop.set()
        other.join()
