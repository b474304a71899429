"""The fast proof behind a long `audit verify` (`projections/audit/quick_check.py`) never
passes a log that the link-by-link walk refuses, and finds the same heads when both pass.

Each alteration is made with plain SQL on the demo's database, on SQLite and on the real
PostgreSQL server (`tests/tamper.py`); the proof is also run in forked worker processes,
three pieces of the 28 events (on PostgreSQL on the caller's exported snapshot), so that
the pieces' seams are crossed by every kind of alteration (a piece ending in the middle
of a commune's chain, a removed event at a seam). A proof that declines is no refusal:
`verify_database` then walks the log and names the fault, which `test_audit_chain.py`
checks kind by kind.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemtra.projections.audit import quick_check
from kiemtra.projections.audit.errors import LogAltered
from kiemtra.projections.audit.minisign import SecretKey
from kiemtra.projections.audit.verify import Verified, make_checkpoint, verify_database
from kiemtra.workflow import raw_log
from kiemtra.workflow.database import Database
from tests.tamper import Tamper, tamper

OTHER = "Ủy ban nhân dân xã Khác"
STREAM_OF_20 = "(SELECT originator_id FROM stored_events WHERE rowid = 20)"
Damage = list[tuple[str, tuple[Any, ...]]]

DAMAGE: dict[str, Damage] = {  # in SQLite's words; tests/tamper.py says them on PostgreSQL
    "a payload edited": [("UPDATE stored_events SET state = replace(state, '2026-08-17', "
                          "'2026-08-18') WHERE rowid = 25", ())],
    "a version changed": [("UPDATE stored_events SET originator_version = "
                           "originator_version + 1000 WHERE rowid = 20", ())],
    "a topic changed": [("UPDATE stored_events SET topic = topic || 'x' WHERE rowid = 3", ())],
    "an event removed": [("DELETE FROM stored_events WHERE rowid = 14", ())],
    "an event at a seam removed": [("DELETE FROM stored_events WHERE rowid = 10", ())],
    "the last event removed": [("DELETE FROM stored_events WHERE rowid = 28", ())],
    "an event and its links removed": [
        ("DELETE FROM stored_events WHERE rowid = 14", ()),
        ("DELETE FROM event_chain WHERE position = 14", ()),
        ("DELETE FROM origin_chain WHERE position = 14", ())],
    "the tail cut, links and all": [  # no chain sees it: both must pass (a checkpoint sees it)
        ("DELETE FROM stored_events WHERE rowid > 25", ()),
        ("DELETE FROM event_chain WHERE position > 25", ()),
        ("DELETE FROM origin_chain WHERE position > 25", ())],
    "a link changed": [("UPDATE event_chain SET hash = ? WHERE position = 9", (bytes(32),))],
    "a link removed": [("DELETE FROM event_chain WHERE position = 9", ())],
    "a link added past the head": [
        ("INSERT INTO event_chain (position, hash) VALUES (40, ?)", (bytes(32),))],
    "a commune's link changed": [
        ("UPDATE origin_chain SET hash = ? WHERE position = 11", (bytes(32),))],
    "a commune's link removed": [("DELETE FROM origin_chain WHERE position = 11", ())],
    "a commune's link renumbered": [
        ("UPDATE origin_chain SET seq = seq + 100 WHERE position = 28", ())],
    "a commune's link moved to another commune": [
        ("UPDATE origin_chain SET origin = ? WHERE position = 28", (OTHER,))],
    "a commune's link added past the head": [
        ("INSERT INTO origin_chain (position, origin, seq, hash) VALUES (40, ?, 1, ?)",
         (OTHER, bytes(32)))],
    "a stream moved to another commune": [
        (f"UPDATE stream_origin SET origin = ? WHERE originator_id = {STREAM_OF_20}", (OTHER,))],
    "a stream's commune removed": [
        (f"DELETE FROM stream_origin WHERE originator_id = {STREAM_OF_20}", ())],
}


def outcome(db: Database) -> Verified | tuple[int, str]:
    """What `verify_database` says: the result, or where and what it found altered."""
    try:
        return verify_database(db)
    except LogAltered as found:
        return found.params["position"], found.params["kind"]


def walked(db: Database, monkeypatch: pytest.MonkeyPatch) -> Verified | tuple[int, str]:
    """The same, by the link-by-link walk alone."""
    with monkeypatch.context() as m:
        m.setattr("kiemtra.projections.audit.verify.proven_intact", lambda *a, **k: None)
        return outcome(db)


def proven(db: Database) -> quick_check.Proven | None:
    with quick_check.readers_of(db) as readers, raw_log(db) as log:
        head = log.value(f"SELECT MAX({log.position}) FROM {log.events}")
        return quick_check.proven_intact(log, int(head), frozenset(), {}, readers=readers)


@pytest.fixture(params=[1, 3], ids=["in-process", "three-workers"])
def workers(request: pytest.FixtureRequest, demo_db: Database,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many processes the proof runs in; the list collects the number of pieces each
    proof was cut into."""
    cut: list[int] = []
    monkeypatch.setattr(quick_check, "PARALLEL_FROM", 1 if request.param > 1 else 10**9)
    monkeypatch.setattr(quick_check, "LEAST_PIECE", 1)
    monkeypatch.setattr(quick_check, "_cores", lambda: request.param)
    in_workers: Callable[..., Any] = quick_check._in_workers

    def counted(*args: Any, **kwargs: Any) -> Any:
        cut.append(args[4])
        return in_workers(*args, **kwargs)

    monkeypatch.setattr(quick_check, "_in_workers", counted)
    yield cut


@pytest.fixture
def sql(demo_db: Database) -> Iterator[Tamper]:
    with tamper(demo_db) as t:
        yield t


def test_an_intact_log_is_proven_with_the_walk_s_heads(
        demo_db: Database, workers: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = outcome(demo_db), walked(demo_db, monkeypatch)
    assert isinstance(fast, Verified) and fast == slow
    assert proven(demo_db) is not None
    assert workers in ([], [3, 3])  # forked into three pieces where asked


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_the_proof_declines_whatever_the_walk_refuses(
        demo_db: Database, sql: Tamper, workers: list[int],
        monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    for statement, params in DAMAGE[damage]:
        sql.execute(statement, params)
    slow = walked(demo_db, monkeypatch)
    assert (proven(demo_db) is not None) == isinstance(slow, Verified)
    assert outcome(demo_db) == slow  # the same words either way
    if damage == "the tail cut, links and all":
        assert isinstance(slow, Verified) and slow.events == 25
    else:
        assert isinstance(slow, tuple), slow


def test_checkpoints_are_checked_against_the_proof_s_hashes(
        demo_db: Database, workers: list[int], monkeypatch: pytest.MonkeyPatch,
        sql: Tamper) -> None:
    signer = SecretKey.from_seed(bytes(range(32)))
    now = datetime(2026, 11, 22, 9, 0)
    commune = sql.execute("SELECT origin FROM origin_chain WHERE position = 1").fetchone()[0]
    checkpoints = [("ca-nhat-ky.json", make_checkpoint(demo_db, signer, now)),
                   ("cua-xa.json", make_checkpoint(demo_db, signer, now, origin=commune))]
    from kiemtra.projections.audit.checkpoint import Keys

    keys = Keys(public=signer.public, source="khoa.pub")
    fast = verify_database(demo_db, checkpoints, keys)
    with monkeypatch.context() as m:
        m.setattr("kiemtra.projections.audit.verify.proven_intact", lambda *a, **k: None)
        assert verify_database(demo_db, checkpoints, keys) == fast
    assert fast.checkpoints == 2


COLUMNS = {  # table: (its position column, the columns an alteration may change)
    "stored_events": ("rowid", ["originator_id", "originator_version", "topic", "state"]),
    "event_chain": ("position", ["hash", "position"]),
    "origin_chain": ("position", ["origin", "seq", "hash", "position"]),
}


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(sorted(COLUMNS)), st.integers(1, 28),
                          st.integers(0, 3), st.integers(1, 28), st.booleans()),
                min_size=1, max_size=3))
def test_random_alterations_on_sqlite(
        demo_db: Database, workers: list[int], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, changes: list[tuple[str, int, int, int, bool]]) -> None:
    """Random edits (a value copied from another row, or the row removed), each proved
    and walked: the proof passes exactly the logs the walk passes."""
    if demo_db.is_postgres:
        pytest.skip("a file copy per example: SQLite")
    pristine = tmp_path / "pristine.db"
    if not pristine.exists():
        shutil.copy(demo_db.sqlite_path, pristine)
    shutil.copy(pristine, demo_db.sqlite_path)
    with tamper(demo_db) as sql:
        for table, position, which, other, remove in changes:
            key, columns = COLUMNS[table]
            if remove:
                sql.execute(f"DELETE FROM {table} WHERE {key} = ?", (position,))
                continue
            column = columns[which % len(columns)]
            try:
                sql.execute(f"UPDATE {table} SET {column} = (SELECT {column} FROM {table} "
                            f"WHERE {key} = ?) WHERE {key} = ?", (other, position))
            except Exception:  # noqa: BLE001 - a constraint (a unique key) said no
                continue
    slow = walked(demo_db, monkeypatch)
    assert (proven(demo_db) is not None) == isinstance(slow, Verified)
    assert outcome(demo_db) == slow


def on_postgres(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("a PostgreSQL server's settings")


def database_name(db: Database) -> str:
    from urllib.parse import urlsplit

    return urlsplit(db.url).path.lstrip("/")


def test_a_function_of_the_owner_s_stands_not_in_for_the_server_s_sha256(
        demo_db: Database, sql: Tamper, workers: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The database's owner edits a payload, and puts a schema of theirs first in every
    session's search_path, with a sha256() that answers the old digest for the new bytes:
    the audit's queries use the server's own."""
    import hashlib

    on_postgres(demo_db)
    state = bytes(sql.execute("SELECT state FROM stored_events WHERE rowid = 25").fetchone()[0])
    edited = state.replace(b'"2026-08-17"', b'"2026-08-18"')
    sql.execute("UPDATE stored_events SET state = ? WHERE rowid = 25", (edited,))
    lie, truth = hashlib.sha256(edited).hexdigest(), hashlib.sha256(state).hexdigest()
    sql.execute("CREATE SCHEMA evil")
    sql.execute("CREATE FUNCTION evil.sha256(b bytea) RETURNS bytea LANGUAGE sql AS $$ "
                f"SELECT CASE WHEN pg_catalog.sha256(b) = '\\x{lie}'::bytea "
                f"THEN '\\x{truth}'::bytea ELSE pg_catalog.sha256(b) END $$")
    sql.execute(f'ALTER DATABASE "{database_name(demo_db)}" '
                "SET search_path = evil, pg_catalog, public")
    assert proven(demo_db) is None
    assert outcome(demo_db) == (25, "changed") == walked(demo_db, monkeypatch)


def test_non_standard_strings_hide_no_missing_attachment(
        demo_db: Database, sql: Tamper, workers: list[int]) -> None:
    on_postgres(demo_db)
    sha = sql.execute("SELECT sha256 FROM attachments ORDER BY sha256 LIMIT 1").fetchone()[0]
    sql.execute("DELETE FROM attachments WHERE sha256 = ?", (sha,))
    sql.execute(f'ALTER DATABASE "{database_name(demo_db)}" '
                "SET standard_conforming_strings = off")
    found = outcome(demo_db)
    assert isinstance(found, tuple) and found[1] == "attachment_missing", found


@pytest.mark.parametrize("column", ["state", "originator_id"])
def test_a_column_of_another_type_is_walked_not_crashed_on(
        demo_db: Database, sql: Tamper, workers: list[int], column: str) -> None:
    """sha256(text) does not exist: the proof's query fails, in a savepoint of its own, and
    the walk reads on in the same transaction."""
    on_postgres(demo_db)
    sql.execute(f"ALTER TABLE stored_events ALTER {column} TYPE text")
    assert proven(demo_db) is None
    assert outcome(demo_db) == (1, "unreadable")


def test_sqlite_workers_read_the_caller_s_snapshot_while_others_commit(
        demo_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Position 25 is edited; the worker of the last piece is slow, and meanwhile someone
    restores 25 and edits 5 instead (read by the first, quick worker before that): no
    state of the log was ever intact, so verify must not say it is. The workers read the
    caller's snapshot (the writers' lock held until each has begun to read), in which 25
    is edited."""
    import threading
    import time

    if demo_db.is_postgres:
        pytest.skip("PostgreSQL's workers import the caller's snapshot")
    monkeypatch.setattr(quick_check, "PARALLEL_FROM", 1)
    monkeypatch.setattr(quick_check, "LEAST_PIECE", 1)
    monkeypatch.setattr(quick_check, "_cores", lambda: 3)
    piece = quick_check._piece

    def slow_last(log: Any, lo: int, *args: Any) -> Any:
        if lo > 20:
            time.sleep(1.0)
        return piece(log, lo, *args)

    monkeypatch.setattr(quick_check, "_piece", slow_last)
    with tamper(demo_db) as sql:
        five, twenty_five = (bytes(sql.execute(
            "SELECT state FROM stored_events WHERE rowid = ?", (p,)).fetchone()[0])
            for p in (5, 25))
        sql.execute("UPDATE stored_events SET state = ? WHERE rowid = 25",
                    (twenty_five + b" ",))

    def swap() -> None:
        time.sleep(0.4)
        with tamper(demo_db) as sql:
            sql.execute("BEGIN IMMEDIATE")  # waits while the writers' lock is held
            sql.execute("UPDATE stored_events SET state = ? WHERE rowid = 25", (twenty_five,))
            sql.execute("UPDATE stored_events SET state = ? WHERE rowid = 5", (five + b" ",))
            sql.execute("COMMIT")

    other = threading.Thread(target=swap)
    monkeypatch.setattr(quick_check, "_workers", lambda events: 3)  # a thread runs now
    other.start()
    try:
        found = outcome(demo_db)
    finally:
        other.join()
    assert found == (25, "changed")
    assert outcome(demo_db) == (5, "changed")  # the next check sees what was committed
