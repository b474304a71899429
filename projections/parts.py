"""A long log rebuilt on both cores: the rebuild folds half the streams, a helper process
the other half, each with the same `Fold`.

The helper reads the events with its own read-only connection (the rebuild holds the
write lock, so the log up to `head` cannot change) and writes its rows into a scratch
SQLite file beside the database; the rebuild folds the other half into the view tables
meanwhile, then copies the helper's rows in with one `INSERT … SELECT` per table, inside
its own transaction. The streams are shared out by the last two hex digits of their id
(ids are uniform hashes); both processes read every plan, so each knows the place and
name of its own inspections, and only the rebuild writes the campaigns. Nothing crosses
between the processes but the helper's file, its exit status and how many events it
read (on its stdout).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kiemtra.projections import schema
from kiemtra.projections.fold import PLAN_TOPICS, Fold, Sink

PARALLEL_FROM = 50_000  # events: a shorter log is folded by the rebuild alone
SPLIT = "88"  # the helper owns the streams whose id ends below this (53%: the rebuild
# also copies the helper's rows in; balanced by measurement, bench/national_scale.py)
Share = tuple[str, str | None]  # (first, end): stream ids ending in [first, end)
EVERY: Share = ("", None)
EVENTS = ("SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
          "WHERE rowid <= ? AND (topic IN ({plans}) OR (substr(originator_id, -2) >= ?{end}))"
          " ORDER BY rowid")


def owner(share: Share) -> Callable[[str], bool]:
    first, end = share
    return lambda oid: first <= oid[-2:] and (end is None or oid[-2:] < end)


def fold_share(events: sqlite3.Connection, head: int, sink: Sink, share: Share, *,
               campaigns: bool) -> tuple[int, list[tuple[str, int]]]:
    """Fold the share's streams (and every plan) of events 1..head into `sink`; returns how
    many events were read and the rows superseded (see `Fold`)."""
    first, end = share
    sql = EVENTS.format(plans=", ".join("?" for _ in PLAN_TOPICS),
                        end=" AND substr(originator_id, -2) < ?" if end else "")
    params = (head, *PLAN_TOPICS, first, *([end] if end else []))

    def reread(oid: str, upto: int) -> list[tuple[int, str, int, str, bytes]]:
        return events.execute("SELECT rowid, originator_id, originator_version, topic, state "
                              "FROM stored_events WHERE originator_id = ? AND rowid <= ? "
                              "ORDER BY originator_version", (oid, upto)).fetchall()

    fold = Fold(sink, evict=True, reread=reread, campaigns=campaigns,
                owns=None if share == EVERY else owner(share))
    count = fold.feed(events.execute(sql, params))
    fold.close()
    # The plans are read by both processes and counted by the one writing the campaigns.
    return (count if campaigns else count - fold.plans), fold.superseded


def fold_on_two_cores(db: sqlite3.Connection, path: str, head: int, sink: Sink,
                      tables: list[str], after_close: list[Callable[[], None]]
                      ) -> tuple[int, list[tuple[str, int]]]:
    """Events 1..head of the database at `path` (open as `db`, holding the write lock)
    into `sink`: this process folds the streams ending at SPLIT or above, the helper the
    others. If the helper cannot run or fails, this process folds its share too: slower,
    the same rows. `tables`: the views' CREATE TABLE statements, for the scratch file;
    `after_close`: where to leave the scratch file's removal (it stays attached to `db`
    until the caller's connection closes)."""
    try:
        scratch = scratch_file(path, tables)
    except (OSError, sqlite3.Error):
        return fold_share(db, head, sink, EVERY, campaigns=True)
    after_close.append(lambda: scratch.unlink(missing_ok=True))
    with helper(path, head, scratch) as finish:
        count, superseded = fold_share(db, head, sink, (SPLIT, None), campaigns=True)
        helped = finish()
    if helped is None:
        more, also = fold_share(db, head, sink, ("", SPLIT), campaigns=False)
        return count + more, superseded + also
    copy_rows(db, scratch)
    return count + helped, superseded


@contextmanager
def helper(database: str, head: int, scratch: Path) -> Iterator[Callable[[], int | None]]:
    """Start the helper on the streams ending below SPLIT, writing into `scratch` (whose
    tables exist); yields a function that waits for it and returns how many events it
    read, or None if it failed. The helper is stopped if the caller fails first. Its
    errors are not shown (the rebuild goes on without it) unless KIEMTRA_DEBUG is set."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kiemtra.projections.helper", database, str(head), SPLIT,
         str(scratch)], stdout=subprocess.PIPE, text=True,
        stderr=None if os.environ.get("KIEMTRA_DEBUG") else subprocess.DEVNULL)

    def finish() -> int | None:
        out, _ = process.communicate()
        return int(out.strip()) if process.returncode == 0 else None

    try:
        yield finish
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def scratch_file(database: str, tables: list[str]) -> Path:
    """An empty file of view tables (no indexes) beside the database, for the helper;
    nothing is left behind if it cannot be made."""
    fd, name = tempfile.mkstemp(dir=Path(database).parent, prefix=".kiemtra-rebuild-",
                                suffix=".db")
    os.close(fd)
    try:
        db = sqlite3.connect(name)
        try:
            for statement in tables:
                db.execute(statement)
            db.commit()
        finally:
            db.close()
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def copy_rows(db: sqlite3.Connection, scratch: Path) -> None:
    """The helper's rows into the view tables, inside the caller's transaction."""
    db.execute("ATTACH DATABASE ? AS part", (str(scratch),))
    for view in schema.VIEWS:
        columns = ", ".join(view.names)
        db.execute(f"INSERT INTO main.{view.name} ({columns}) SELECT {columns} "
                   f"FROM part.{view.name}")
