"""The second process of a full rebuild: folds the campaigns and part of the streams.

A rebuild is CPU-bound Python (decoding, `evolve`, row building) and SQLite lets
one connection write. So the parent starts this worker on the other core: it
reads, with its own read-only connection, the plans and the events of the
streams in its share (by the end of their id), folds them exactly as the parent folds
the rest (`fast_rebuild.Fold`), and sends the campaigns and the finished rows,
as the tuples `executemany` takes, through its stdout, with what the plans say of
the parent's inspections (their seeds): the parent reads no plan. The parent writes them
into the views in its own write-locked transaction, with the tracking position,
so the worker never writes to the database; it only reads events 1..head, which
nobody can change while the parent holds the write lock.

Frames on stdout: a kind byte and a 4-byte little-endian length, then a
`marshal`ed payload — ROWS (table, [tuples]) and SEEDS ([(stream id, seed)]) as
often as needed, and last DONE (events read) or REOPENED (a stream id). The job
(database path, head, share, table columns) comes on stdin the same way.
"""

from __future__ import annotations

import marshal
import os
import queue
import sqlite3
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from kiemtra.projections.fast_rebuild import (
    CHUNK,
    Fold,
    Share,
    SqliteSink,
    StreamReopened,
    TableSpecs,
    fold_log,
    gc_paused,
)
from kiemtra.projections.rows import Seed

HEADER = struct.Struct("<cI")  # the kind of message, the length of its payload
ROWS, SEEDS, DONE, REOPENED, JOB = b"r", b"s", b"d", b"x", b"j"


def write_frame(fd: int, kind: bytes, message: Any) -> None:
    """One message on a pipe, written to the end (a write to a pipe may be partial)."""
    payload = marshal.dumps(message)
    data = memoryview(HEADER.pack(kind, len(payload)) + payload)
    while data:
        data = data[os.write(fd, data):]


def read_exactly(fd: int, size: int) -> bytes | None:
    """`size` bytes from a pipe, or None if it ends first."""
    parts = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def read_frame(fd: int) -> tuple[bytes, bytes] | None:
    """The next message's kind and (still marshalled) payload; None at the end of the pipe."""
    head = read_exactly(fd, HEADER.size)
    if head is None:
        return None
    kind, size = HEADER.unpack(head)
    payload = read_exactly(fd, size)
    return None if payload is None else (kind, payload)


def _widen(fd: int) -> None:
    """A 1 MB pipe instead of 64 KB (Linux): a frame of rows crosses in one go, not in
    dozens of writes each waking the reader."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


class PipeSink:
    """Finished rows and seeds to the parent, a chunk of each kind at a time."""

    def __init__(self, fd: int, tables: TableSpecs) -> None:
        self.fd = fd
        self.pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in tables}
        self.pending_seeds: list[tuple[str, Seed]] = []

    def add(self, table: str, values: tuple[Any, ...]) -> None:
        pending = self.pending[table]
        pending.append(values)
        if len(pending) >= CHUNK:
            write_frame(self.fd, ROWS, (table, pending))
            self.pending[table] = []

    def seeds(self, items: list[tuple[str, Seed]]) -> None:
        self.pending_seeds += items
        if len(self.pending_seeds) >= CHUNK:
            write_frame(self.fd, SEEDS, self.pending_seeds)
            self.pending_seeds = []

    def flush(self) -> None:
        for table, pending in self.pending.items():
            if pending:
                write_frame(self.fd, ROWS, (table, pending))
                self.pending[table] = []
        if self.pending_seeds:
            write_frame(self.fd, SEEDS, self.pending_seeds)
            self.pending_seeds = []


def run(path: str, head: int, share: Share, specs: TableSpecs, out: int) -> None:
    db = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)
    try:
        with gc_paused():
            count = fold_log(db, head, Fold(PipeSink(out, specs), specs, share))
        write_frame(out, DONE, count)
    except StreamReopened as exc:
        write_frame(out, REOPENED, str(exc))
    finally:
        db.close()


class WorkerProcess:
    """The worker seen from the parent: started, its rows written and its seeds handed to
    `take_seeds` as they come, joined.

    A thread reads the worker's frames into a small queue (blocking reads release
    the GIL); the parent's own fold calls `drain` now and then, so the rows go into
    the database through the parent's connection, the only one that writes.
    """

    def __init__(self, path: str, head: int, share: Share, specs: TableSpecs,
                 sink: SqliteSink, take_seeds: Callable[[list[tuple[str, Seed]]], None]
                 ) -> None:
        self.sink = sink
        self.take_seeds = take_seeds
        self.count: int | None = None
        env = dict(os.environ)
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", "kiemtra.projections.rebuild_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            _widen(self.process.stdout.fileno())
            write_frame(self.process.stdin.fileno(), JOB, (path, head, share, specs))
            self.process.stdin.close()
        except BaseException:  # the worker died at once: nothing started yet to stop
            self.process.kill()
            self.process.wait()
            self.process.stdout.close()
            raise
        self.frames: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue(maxsize=4)
        self.reader = threading.Thread(target=self._read, args=(self.process.stdout.fileno(),),
                                       daemon=True)
        self.reader.start()

    def _read(self, fd: int) -> None:
        """Queue each frame as the bytes it came as (rows take far less room so), until
        the last one; None if the pipe ends before."""
        while True:
            frame = read_frame(fd)
            self.frames.put(frame)
            if frame is None or frame[0] not in (ROWS, SEEDS):
                return

    def drain(self) -> None:
        """Write whatever rows have arrived, without waiting."""
        while self.count is None:
            try:
                frame = self.frames.get_nowait()
            except queue.Empty:
                return
            self._handle(frame)

    def finish(self) -> int:
        """Write the rest once the worker is done; how many events it read."""
        while self.count is None:
            self._handle(self.frames.get())
        self._close()
        return self.count

    def stop(self) -> None:
        """End the worker if it still runs (the parent failed)."""
        if self.process.poll() is None:
            self.process.kill()
        while self.reader.is_alive():  # let the reader reach the end of the pipe
            try:
                self.frames.get(timeout=0.1)
            except queue.Empty:
                pass
        self._close()

    def _close(self) -> None:
        self.process.wait()
        self.reader.join()
        assert self.process.stdout is not None
        self.process.stdout.close()

    def _handle(self, frame: tuple[bytes, bytes] | None) -> None:
        if frame is None:
            msg = f"the rebuild worker ended early (exit status {self.process.wait()})"
            raise RuntimeError(msg)
        kind, payload = frame
        if kind == ROWS:
            self.sink.write(*marshal.loads(payload))
        elif kind == SEEDS:
            self.take_seeds(marshal.loads(payload))
        elif kind == REOPENED:
            raise StreamReopened(marshal.loads(payload))
        else:
            self.count = int(marshal.loads(payload))


def main() -> None:
    out = os.dup(sys.stdout.fileno())  # the frames' own pipe: nothing else may print there
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    job = read_frame(sys.stdin.fileno())
    assert job is not None and job[0] == JOB
    path, head, (first, end), specs = marshal.loads(job[1])
    run(path, head, (first, end),
        {name: (list(c), list(j), list(f)) for name, (c, j, f) in specs.items()}, out)


if __name__ == "__main__":
    main()
