"""A fast proof that a database's chains hold, for `audit verify` on a long log.

`verify.walk` recomputes each link from the one it has just computed, in one Python loop,
and says precisely what is wrong where. That costs ~15 µs an event: a province's log of a
few hundred thousand events takes many seconds. This module only *proves* a log intact,
faster, and never explains: when anything looks wrong it answers None and the caller
walks the log as before, so every refusal is still `walk`'s (one home for what a fault
is called).

It rests on a property of the chain (`domain/chain.py`): when every link checks against
the *stored* link before it — h_n = SHA-256(stored h_(n-1) ‖ canonical n ‖ n) — every
link checks against the computed one too (by induction from h_0), so the check needs no
order and can be split. Likewise for each commune's chain, link by link from the stored
link of seq - 1. What the pieces cannot see alone — that links left without their event
are none, that consecutive pieces meet — is checked by counting and by comparing each
piece's first link with the last of the piece before.

The positions are cut into ranges checked by worker processes (forked, so nothing is
imported again), while this process checks the attachments; each range is read with one
query that joins the links to the events, in the caller's own snapshot (`Readers`):
- SQLite: payloads come whole, hashed in Python. SQLite cannot share a snapshot between
  processes, so the writers' lock is taken before the caller's snapshot is opened and let
  go once every worker has begun to read: nothing can be committed in between, so all of
  them read the same state.
- PostgreSQL: the server hashes each payload (its built-in `sha256()`), so only the
  digest crosses the network, and each worker reads the caller's exported snapshot
  (`pg_export_snapshot()`). The audit's queries see `pg_catalog` first
  (`log_tables.PINNED`): nobody's own `sha256()` stands in for the server's.
A short log, one core, a system other than Linux, a process with threads running (fork
would copy their locks), a SQLite file this user may not lock, or a snapshot the caller
opened itself (`export_bundle`'s) is checked in this process, by the same code.

A database without chains per commune (data format 1, before 0.2) is walked as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from kiemtra.domain.chain import EVENT_MAGIC, GENESIS, origin_genesis
from kiemtra.projections.progress import EVERY, finished, report
from kiemtra.workflow import Database, RawLog, raw_log

CHAIN, ORIGIN_CHAIN, STREAM_ORIGIN = "event_chain", "origin_chain", "stream_origin"

MENTION = b'"sha256"'
"""In a payload that refers to an attached file (`verify.referenced_attachments`)."""

PARALLEL_FROM = 20_000
"""Events from which a SQLite log is checked by worker processes (below, starting them
costs more than it saves)."""
FORK_IS_SAFE = sys.platform.startswith("linux") and "fork" in get_all_start_methods()
"""macOS has fork, but its system libraries may crash in a forked child (Python starts
processes there another way, which would import kiemtra again in each); Windows has none."""
MENTIONS_AT_A_TIME = 500
LEAST_PIECE = 10_000  # events a worker checks at the least
MOST_WORKERS = 8


@dataclass
class Commune:
    """One commune's links in a piece of the log: from `first` (the seq of its first link
    there, checked from `before`, the stored link of seq first - 1) to `last`."""

    first: int
    before: bytes
    last: int = 0
    last_hash: bytes = b""
    at: dict[int, bytes] = field(default_factory=dict)


@dataclass
class Piece:
    """What one check of positions `lo`..`hi` found. `intact` False: some link there does
    not hold (or a value is not one the event store writes); nothing else is then used."""

    intact: bool
    events: int = 0
    before: tuple[int, bytes] = (0, GENESIS)  # (position, stored link) its first link used
    last: tuple[int, bytes] = (0, GENESIS)
    at: dict[int, bytes] = field(default_factory=dict)
    communes: dict[str, Commune] = field(default_factory=dict)
    mentions: list[int] = field(default_factory=list)  # positions naming a file


@dataclass(frozen=True)
class Proven:
    """A log proven intact: the whole log's walk (events, head, head's hash, the hashes
    asked for), each commune's (seq of its head, its hash, the hashes asked for), and the
    payloads that mention a file (SQLite: picked out as they were hashed; None: ask)."""

    events: int
    head: int
    head_hash: bytes
    at: dict[int, bytes]
    communes: dict[str, tuple[int, bytes, dict[int, bytes]]]
    mentions: Iterable[tuple[int, bytes]] | None = None


Wanted = Mapping[str, frozenset[int]]


def proven_intact(log: RawLog, head: int, wanted: frozenset[int], origin_wanted: Wanted,
                  meanwhile: Callable[[], object] = lambda: None,
                  readers: Readers | None = None) -> Proven | None:
    """The log's chains up to position `head`, proven intact in `log`'s snapshot, or None
    (not proven: walk it). `meanwhile` runs in this process while workers check (if
    any). `readers` (`readers_of`): how workers may read what `log` reads; without it,
    the log is checked in this process. Any fault reading is None too: the walk, reading
    again, will say it."""
    # exported first: PostgreSQL exports no snapshot from inside a savepoint
    snapshot = log.shared_snapshot() if readers is not None and log.postgres else None
    try:
        log.execute("SAVEPOINT kiemtra_quick_check")  # a failed read must not end `log`'s
    except Exception:  # noqa: BLE001 - a snapshot that cannot even do that: walk it
        return None
    try:
        proven = _proven(log, head, wanted, origin_wanted, meanwhile, readers, snapshot)
    except Exception:  # noqa: BLE001 - a column of another type, a dropped table…
        log.execute("ROLLBACK TO SAVEPOINT kiemtra_quick_check")
        return None
    log.execute("RELEASE SAVEPOINT kiemtra_quick_check")
    return proven


def _proven(log: RawLog, head: int, wanted: frozenset[int], origin_wanted: Wanted,
            meanwhile: Callable[[], object], readers: Readers | None,
            snapshot: str | None) -> Proven | None:
    first = int(log.value(f"SELECT MIN({log.position}) FROM {log.events}") or 0)
    events = int(log.value(f"SELECT COUNT(*) FROM {log.events}") or 0)
    workers = _workers(events) if readers is not None else 1
    pieces: list[Piece] | None
    if workers <= 1:
        if readers is not None:
            readers.release()
        report("verify", 0, events)
        pieces = [_piece(log, first, head, wanted, origin_wanted,
                         lambda n: report("verify", n, events))]
        meanwhile()
    else:
        assert readers is not None
        where = _Where(readers.place, readers.postgres, snapshot)
        pieces = _in_workers(where, readers, first, head, workers, wanted, origin_wanted,
                             events, meanwhile)
    finished("verify")
    if pieces is None:
        return None
    return _joined(log, pieces, events, head)


@dataclass
class Readers:
    """How worker processes read exactly what the caller reads. On PostgreSQL they open
    the caller's exported snapshot. SQLite has no such thing: while `hold` keeps the
    writers' lock, nothing can be committed, so the caller's snapshot — begun under it —
    and each worker's are the same; the lock is let go as soon as every worker has read
    (`release`), a few hundredths of a second."""

    place: str  # a SQLite file's URI, or PostgreSQL's URL
    postgres: bool
    hold: sqlite3.Connection | None = None

    def release(self) -> None:
        if self.hold is not None:
            self.hold.close()  # its transaction rolled back: writers may go on
            self.hold = None


@contextmanager
def readers_of(source: object) -> Iterator[Readers | None]:
    """Readers for workers, if `source` (what `verify_database` was given) is a long log
    that workers may read as the caller does; to be entered before the caller's snapshot
    is opened (on SQLite: the writers' lock is taken first). None: check in-process."""
    if not FORK_IS_SAFE or not isinstance(source, Database | Path):
        yield None
        return
    database = source if isinstance(source, Database) else Database(str(source))
    if database.is_postgres:
        yield Readers(database.url, postgres=True)
        return
    path = database.sqlite_path
    try:
        uri = database.found().read_uri if path.is_file() else ""
    except Exception:  # noqa: BLE001 - what the file is, the caller's own opening says
        uri = ""
    if not uri or _last_rowid(uri) < PARALLEL_FROM:
        yield None
        return
    hold = None
    if "immutable=1" not in uri:  # on a read-only disk nobody writes: no lock to take
        try:
            hold = sqlite3.connect(path, timeout=10, isolation_level=None)
            hold.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:  # not ours to lock (another user's file): in one process
            if hold is not None:
                hold.close()
            yield None
            return
    found = Readers(uri, postgres=False, hold=hold)
    try:
        yield found
    finally:
        found.release()


def _last_rowid(uri: str) -> int:
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as peek:
            row = peek.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0) if row else 0


@dataclass(frozen=True)
class _Where:
    """What a worker opens: a SQLite file's URI, or PostgreSQL's URL and the caller's
    exported snapshot."""

    place: str
    postgres: bool
    snapshot: str | None

    @contextmanager
    def opened(self) -> Iterator[RawLog]:
        if self.postgres:
            with raw_log(Database(self.place), snapshot=self.snapshot) as log:
                yield log
        else:
            with raw_log(self.place) as log:
                yield log


def _workers(events: int) -> int:
    """How many processes to check with: more than one only for a long log, on a machine
    with cores to spare, where fork is safe (no other thread running)."""
    if events < PARALLEL_FROM or not FORK_IS_SAFE or threading.active_count() > 1:
        return 1
    return max(1, min(_cores(), MOST_WORKERS, events // LEAST_PIECE))


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def _in_workers(where: _Where, readers: Readers, first: int, head: int, workers: int,
                wanted: frozenset[int], origin_wanted: Wanted, events: int,
                meanwhile: Callable[[], object]) -> list[Piece] | None:
    """The pieces, each checked by a forked process that says through a pipe when it has
    begun to read (then the writers' lock is let go) and then sends its piece (no pool: a
    pool's thread would be running at the next fork). None if a worker could not finish
    (it could not read, or was killed): the walk will say why."""
    step = (head - first + 1 + workers - 1) // workers
    context = get_context("fork")
    done = context.Value("q", 0)
    started = []
    try:
        for lo in range(first, head + 1, step):
            reader, writer = context.Pipe(duplex=False)
            worker = context.Process(target=_piece_to_pipe, daemon=True, args=(
                writer, done, where, lo, min(head, lo + step - 1), wanted,
                dict(origin_wanted)))
            worker.start()
            writer.close()
            started.append((worker, reader))
        if not all(reader.recv() == READING for _, reader in started):
            return None
        readers.release()
        report("verify", 0, events)  # only now: a progress bar's thread must not be forked
        meanwhile()
        pieces: list[Piece] = []
        for _, reader in started:
            while not reader.poll(0.1):
                report("verify", min(done.value, events), events)
            piece = reader.recv()
            if piece is None:
                return None
            pieces.append(piece)
        return pieces
    except EOFError:  # a worker gone without a word
        return None
    finally:
        readers.release()
        for worker, reader in started:
            reader.close()
            if worker.is_alive():
                worker.terminate()  # an early end, or Ctrl-C: the rest is not wanted
            worker.join()


READING = "reading"  # a worker's first word: its snapshot is taken
_done: Any = None  # the workers' shared count of events checked, for the progress bar


def _piece_to_pipe(out: Any, done: Any, where: _Where, lo: int, hi: int,
                   wanted: frozenset[int], origin_wanted: Wanted) -> None:
    """A worker: Ctrl-C is the parent's to handle (it ends the workers)."""
    global _done
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _done = done
    piece: Piece | None = None
    try:
        with where.opened() as log:
            log.value(f"SELECT 1 FROM {log.events} LIMIT 1")  # the snapshot, taken now
            out.send(READING)
            piece = _piece(log, lo, hi, wanted, origin_wanted, _counted)
    except Exception:  # noqa: BLE001 - whatever it was, the walk in the parent will say it
        piece = None
    out.send(piece)
    out.close()


def _counted(events: int) -> None:
    """A worker's tick: EVERY more events checked, added to the count the parent shows."""
    with _done.get_lock():
        _done.value += EVERY


def _rows_sql(log: RawLog) -> str:
    """A piece's rows, as `check_rows` takes them. PostgreSQL hashes each payload itself
    (`sha256()`: only its digest crosses the network), says which commune its stream
    belongs to and whether it mentions a file (`MENTION`, the first parameter: bytes
    bound as they are, never spelled in the query); SQLite's payloads come whole, to be
    hashed and searched in Python."""
    if log.postgres:
        return ("SELECT e.notification_id, uuid_send(e.originator_id), e.originator_version, "
                "e.topic, sha256(e.state), c.hash, o.origin, o.seq, o.hash, s.origin, "
                "position(?::bytea IN e.state) > 0 "
                f"FROM kiemtra_events e LEFT JOIN {CHAIN} c ON c.position = e.notification_id "
                f"LEFT JOIN {ORIGIN_CHAIN} o ON o.position = e.notification_id "
                f"LEFT JOIN {STREAM_ORIGIN} s ON s.originator_id = e.originator_id "
                "WHERE e.notification_id BETWEEN ? AND ? ORDER BY e.notification_id")
    return ("SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, c.hash, "
            f"o.origin, o.seq, o.hash, NULL, NULL FROM stored_events e "
            f"LEFT JOIN {CHAIN} c ON c.position = e.rowid "
            f"LEFT JOIN {ORIGIN_CHAIN} o ON o.position = e.rowid "
            "WHERE e.rowid BETWEEN ? AND ? ORDER BY e.rowid")


def _piece(log: RawLog, lo: int, hi: int, wanted: frozenset[int], origin_wanted: Wanted,
           tick: Callable[[int], None]) -> Piece:
    """Check positions lo..hi of `log` against its stored links."""
    p = log.position
    before = log.one(f"SELECT e.{p}, c.hash FROM {log.events} e LEFT JOIN {CHAIN} c ON "
                     f"c.position = e.{p} WHERE e.{p} < ? ORDER BY e.{p} DESC LIMIT 1", (lo,))
    if before is not None and not isinstance(before[1], bytes):
        return Piece(intact=False)
    owners: dict[str, str] = {} if log.postgres else dict(  # PostgreSQL's rows say it
        log.rows(f"SELECT originator_id, origin FROM {STREAM_ORIGIN}"))

    def stored_link(origin: str, seq: int) -> bytes | None:
        found = log.value(f"SELECT hash FROM {ORIGIN_CHAIN} WHERE origin = ? AND seq = ?",
                          (origin, seq))
        return bytes(found) if isinstance(found, bytes | memoryview) else None

    params = (MENTION, lo, hi) if log.postgres else (lo, hi)
    return check_rows(log.rows(_rows_sql(log), params, binary=True),
                      (int(before[0]), bytes(before[1])) if before else (0, GENESIS),
                      owners, stored_link, wanted, origin_wanted, tick, hashed=log.postgres)


def check_rows(rows: Iterable[tuple[Any, ...]], before: tuple[int, bytes],
               owners: Mapping[str, str], stored_link: Callable[[str, int], bytes | None],
               wanted: frozenset[int], origin_wanted: Wanted,
               tick: Callable[[int], None], hashed: bool = False) -> Piece:
    """Each row's two links checked against the stored links before them (the whole log's:
    from `before`; its commune's: from `stored_link(origin, seq - 1)`), in position order.
    A row is (position, stream id, version, topic, payload, link, origin, seq, its link in
    the commune's chain, its stream's commune, whether the payload mentions a file): from
    SQLite the stream id as it stores it (32 hex digits), the commune and the mention None
    (found here, the commune in `owners`); from PostgreSQL (`hashed`) the id's 16 bytes
    and the payload's SHA-256 in the payload's place. `tick(n)` every `EVERY` events. The
    hot loop of a long `audit verify`: kept flat on purpose."""
    fresh, fromhex = hashlib.sha256().copy, bytes.fromhex  # a copy: cheaper than a new one
    topics: dict[str, bytes] = {}
    communes: dict[str, Commune] = {}
    at: dict[int, bytes] = {}
    mentions: list[int] = []
    previous = before[1]
    events, position = 0, before[0]
    try:
        for (position, stream, version, topic, state, stored, origin, seq, own, owner,
             named_file) in rows:
            named = topics.get(topic)
            if named is None:
                name = topic.encode("utf-8")
                named = topics[topic] = len(name).to_bytes(4, "big") + name
            if hashed:
                key, digest = stream, state
            else:
                key = fromhex(stream)
                if len(key) != 16 or key.hex() != stream:  # only the spelling SQLite stores
                    return Piece(intact=False)
                payload = fresh()
                payload.update(state)
                digest = payload.digest()
                named_file, owner = MENTION in state, owners.get(stream)
            canonical = b"".join((EVENT_MAGIC, key, version.to_bytes(8, "big"), named,
                                  digest))
            link = fresh()
            link.update(previous)
            link.update(canonical)
            link.update(position.to_bytes(8, "big"))
            if link.digest() != stored:
                return Piece(intact=False)
            previous = stored
            if position in wanted:
                at[position] = stored
            if named_file:
                mentions.append(position)
            if origin is None or owner != origin:
                return Piece(intact=False)
            commune = communes.get(origin)
            if commune is None:
                start = origin_genesis(origin) if seq == 1 else stored_link(origin, seq - 1)
                if start is None:
                    return Piece(intact=False)
                commune = communes[origin] = Commune(first=seq, before=start, last=seq - 1,
                                                     last_hash=start)
            if seq != commune.last + 1:
                return Piece(intact=False)
            link = fresh()
            link.update(commune.last_hash)
            link.update(canonical)
            link.update(seq.to_bytes(8, "big"))
            if link.digest() != own:
                return Piece(intact=False)
            commune.last, commune.last_hash = seq, own
            if seq in origin_wanted.get(origin, ()):
                commune.at[seq] = own
            events += 1
            if not events % EVERY:
                tick(events)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return Piece(intact=False)  # a value the event store never writes: walk it
    return Piece(intact=True, events=events, before=before, last=(position, previous), at=at,
                 communes=communes, mentions=mentions)


def _joined(log: RawLog, pieces: list[Piece], events: int, head: int) -> Proven | None:
    """The pieces as one walk, if each holds, each starts where the one before ended (the
    whole log's chain and each commune's), every link has its event (counts), and the
    heads are those of `log`'s own snapshot."""
    if not all(p.intact for p in pieces):
        return None
    last = (0, GENESIS)  # the first piece starts from the chain's start
    heads: dict[str, tuple[int, bytes, dict[int, bytes]]] = {}
    at: dict[int, bytes] = {}
    for piece in pieces:
        if piece.events and piece.before != last:
            return None
        if piece.events:
            last = piece.last
        at.update(piece.at)
        for origin, c in piece.communes.items():
            seq, hash_, seen = heads.get(origin, (0, origin_genesis(origin), {}))
            if (c.first, c.before) != (seq + 1, hash_):
                return None
            heads[origin] = (c.last, c.last_hash, {**seen, **c.at})
    walked = sum(p.events for p in pieces)
    if walked != events or last[0] != head or _one_link_each(log) != events:
        return None
    if events and log.value(f"SELECT hash FROM {CHAIN} WHERE position = ?", (head,)) != last[1]:
        return None  # rewritten since the workers read it
    if {o: (seq, h) for o, (seq, h, _) in heads.items()} != {
            o: (seq, h) for o, (seq, h, _) in _commune_heads(log).items()}:
        return None
    return Proven(events, last[0], last[1], at, heads,
                  _payloads(log, [m for p in pieces for m in p.mentions]))


def _payloads(log: RawLog, positions: list[int]) -> Iterator[tuple[int, bytes]]:
    """(position, payload) of the events at `positions` (in order), a few hundred read at
    a time: a query takes only so many parameters, and memory holds only so many."""
    for start in range(0, len(positions), MENTIONS_AT_A_TIME):
        part = positions[start:start + MENTIONS_AT_A_TIME]
        yield from ((int(p), bytes(state)) for p, state in log.rows(
            f"SELECT {log.position}, state FROM {log.events} WHERE {log.position} IN "
            f"({', '.join('?' for _ in part)}) ORDER BY {log.position}", part))


def _one_link_each(log: RawLog) -> int | None:
    """How many events `log` holds, if each chain has as many links — no more: with the
    check that each event has its links, no link is left without its event."""
    counted = log.one(f"SELECT (SELECT COUNT(*) FROM {log.events}), "
                      f"(SELECT COUNT(*) FROM {CHAIN}), (SELECT COUNT(*) FROM {ORIGIN_CHAIN})")
    if counted is None or len(set(counted)) != 1:
        return None
    return int(counted[0])


def _commune_heads(log: RawLog) -> dict[str, tuple[int, bytes, dict[int, bytes]]]:
    """Each commune's last link in `log` (seq, hash), found through the (origin, seq) index."""
    heads: dict[str, tuple[int, bytes, dict[int, bytes]]] = {}
    for (origin,) in list(log.rows(f"SELECT DISTINCT origin FROM {ORIGIN_CHAIN}")):
        found = log.one(f"SELECT seq, hash FROM {ORIGIN_CHAIN} WHERE origin = ? "
                        "ORDER BY seq DESC LIMIT 1", (origin,))
        if found is not None:
            heads[str(origin)] = (int(found[0]), bytes(found[1]), {})
    return heads
