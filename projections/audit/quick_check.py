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
query that joins the links to the events:
- SQLite: payloads come whole, hashed in Python. Each worker reads in a snapshot of its
  own: positions after the head of the caller's snapshot are left out, and the result is
  used only if its heads are those of the caller's snapshot (a log rewritten meanwhile is
  walked again, in the caller's snapshot).
- PostgreSQL: the server hashes each payload (its built-in `sha256()`), so only the
  digest crosses the network, and each worker reads the caller's own snapshot
  (`pg_export_snapshot()`).
A short log, one core, a system other than Linux, or a process with threads running
(fork would copy their locks) is checked in this process, by the same code.

A database without chains per commune (data format 1, before 0.2) is walked as before.
"""

from __future__ import annotations

import hashlib
import os
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
from kiemtra.workflow import Database, RawLog, raw_log, read_uri

CHAIN, ORIGIN_CHAIN, STREAM_ORIGIN = "event_chain", "origin_chain", "stream_origin"

MENTION = b'"sha256"'
"""In a payload that refers to an attached file (`verify.referenced_attachments`)."""

PARALLEL_FROM = 20_000
"""Events from which a SQLite log is checked by worker processes (below, starting them
costs more than it saves)."""
FORK_IS_SAFE = sys.platform.startswith("linux") and "fork" in get_all_start_methods()
"""macOS has fork, but its system libraries may crash in a forked child (Python starts
processes there another way, which would import kiemtra again in each); Windows has none."""
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
    mentions: list[tuple[int, bytes]] | None = None


Wanted = Mapping[str, frozenset[int]]


def proven_intact(log: RawLog, head: int, wanted: frozenset[int], origin_wanted: Wanted,
                  meanwhile: Callable[[], object] = lambda: None,
                  database: Database | None = None) -> Proven | None:
    """The log's chains up to position `head`, proven intact in `log`'s snapshot, or None
    (not proven: walk it). `meanwhile` runs in this process while workers check (if
    any). `database`: what `log` reads, for workers to open on PostgreSQL (a SQLite
    file is found from `log`); without it, PostgreSQL's log is checked in this process."""
    first = int(log.value(f"SELECT MIN({log.position}) FROM {log.events}") or 0)
    events = int(log.value(f"SELECT COUNT(*) FROM {log.events}") or 0)
    where = (database.url if database is not None else None) if log.postgres else (
        _file_of(log))
    workers = _workers(events, where)
    pieces: list[Piece] | None
    if workers <= 1:
        report("verify", 0, events)
        pieces = [_piece(log, first, head, wanted, origin_wanted,
                         lambda n: report("verify", n, events))]
        meanwhile()
    else:
        assert where is not None
        pieces = _in_workers(_Where(where, log.postgres, log.shared_snapshot()), first, head,
                             workers, wanted, origin_wanted, events, meanwhile)
    finished("verify")
    if pieces is None:
        return None
    return _joined(log, pieces, events, head)


@dataclass(frozen=True)
class _Where:
    """How a worker opens the caller's log: a SQLite file's read-only URI, or PostgreSQL's
    URL and the caller's exported snapshot."""

    place: str
    postgres: bool
    snapshot: str | None

    @contextmanager
    def opened(self) -> Iterator[RawLog]:
        if self.postgres:
            with raw_log(Database(self.place), snapshot=self.snapshot) as log:
                yield log
        else:
            with raw_log(read_uri(Path(self.place))) as log:
                yield log


def _file_of(log: RawLog) -> str | None:
    """The SQLite file `log` reads (None: a database in memory, not shared)."""
    rows = list(log.rows("PRAGMA database_list"))
    name = next((str(r[2]) for r in rows if r[1] == "main"), "")
    return name or None


def _workers(events: int, where: str | None) -> int:
    """How many processes to check with: more than one only for a long log that workers
    can open, on a machine with cores to spare, where fork is safe (no other thread)."""
    if events < PARALLEL_FROM or where is None or not FORK_IS_SAFE:
        return 1
    if threading.active_count() > 1:
        return 1
    return max(1, min(_cores(), MOST_WORKERS, events // LEAST_PIECE))


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def _in_workers(where: _Where, first: int, head: int, workers: int, wanted: frozenset[int],
                origin_wanted: Wanted, events: int, meanwhile: Callable[[], object]
                ) -> list[Piece] | None:
    """The pieces, each checked by a forked process that sends it back through a pipe (no
    pool: a pool's thread would be running at the next fork). None if a worker could not
    finish (it could not read, or was killed): the walk will say why."""
    step = (head - first + 1 + workers - 1) // workers
    context = get_context("fork")
    done = context.Value("q", 0)
    started = []
    for lo in range(first, head + 1, step):
        reader, writer = context.Pipe(duplex=False)
        worker = context.Process(target=_piece_to_pipe, daemon=True, args=(
            writer, done, where, lo, min(head, lo + step - 1), wanted, dict(origin_wanted)))
        worker.start()
        writer.close()
        started.append((worker, reader))
    report("verify", 0, events)  # only now: a progress bar's thread must not be forked
    meanwhile()
    pieces: list[Piece] = []
    try:
        for _, reader in started:
            while not reader.poll(0.1):
                report("verify", min(done.value, events), events)
            piece = reader.recv()
            if piece is None:
                return None
            pieces.append(piece)
    except EOFError:  # a worker gone without a word
        return None
    finally:
        for worker, reader in started:
            reader.close()
            worker.join()
    return pieces


_done: Any = None  # the workers' shared count of events checked, for the progress bar


def _piece_to_pipe(out: Any, done: Any, where: _Where, lo: int, hi: int,
                   wanted: frozenset[int], origin_wanted: Wanted) -> None:
    global _done
    _done = done
    try:
        with where.opened() as log:
            piece: Piece | None = _piece(log, lo, hi, wanted, origin_wanted, _counted)
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
    belongs to and whether it mentions a file; SQLite's payloads come whole, to be hashed
    and searched in Python."""
    if log.postgres:
        return ("SELECT e.notification_id, uuid_send(e.originator_id), e.originator_version, "
                "e.topic, sha256(e.state), c.hash, o.origin, o.seq, o.hash, s.origin, "
                f"position('\\x{MENTION.hex()}'::bytea IN e.state) > 0 "
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
    owners: dict[str, str] = {}  # PostgreSQL says each stream's commune in its rows
    for (origin,) in [] if log.postgres else list(log.rows(
            f"SELECT DISTINCT origin FROM {STREAM_ORIGIN}")):
        owners.update(dict.fromkeys((r[0] for r in log.rows(
            f"SELECT originator_id FROM {STREAM_ORIGIN} WHERE origin = ?", (origin,))),
            origin))

    def stored_link(origin: str, seq: int) -> bytes | None:
        found = log.value(f"SELECT hash FROM {ORIGIN_CHAIN} WHERE origin = ? AND seq = ?",
                          (origin, seq))
        return bytes(found) if isinstance(found, bytes | memoryview) else None

    return check_rows(log.rows(_rows_sql(log), (lo, hi), binary=True),
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
    mentioned = [m for p in pieces for m in p.mentions]
    mentions = [(int(p), bytes(state)) for p, state in log.rows(
        f"SELECT {log.position}, state FROM {log.events} WHERE {log.position} IN "
        f"({', '.join('?' for _ in mentioned)}) ORDER BY {log.position}", mentioned)
        ] if mentioned else []
    return Proven(events, last[0], last[1], at, heads, mentions)


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
