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

- SQLite: the positions are cut into ranges checked by worker processes (forked, so
  nothing is imported again), each reading its range with one query that joins the
  links to the events, while this process checks the attachments. Each worker reads in
  a snapshot of its own: positions after the head of the caller's snapshot are left out,
  and the result is used only if its heads are those of the caller's snapshot (a log
  rewritten meanwhile is walked again, in the caller's snapshot). A short log, one core,
  a system other than Linux, or a process with threads running (fork would copy their
  locks) is checked in this process, by the same code.
- PostgreSQL: one query in the caller's snapshot, the hashes computed by the server
  (its built-in `sha256()`), so no payload crosses the network and Python does nothing
  per event.

A database without chains per commune (data format 1, before 0.2) is walked as before.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from kiemtra.domain.chain import EVENT_MAGIC, GENESIS, ORIGIN_MAGIC, origin_genesis
from kiemtra.projections.progress import EVERY, report
from kiemtra.workflow import RawLog, raw_log, read_uri

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
PARALLEL = ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size")


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
    mentions: list[tuple[int, bytes]] = field(default_factory=list)


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
                  meanwhile: Callable[[], object] = lambda: None) -> Proven | None:
    """The log's chains up to position `head`, proven intact in `log`'s snapshot, or None
    (not proven: walk it). `meanwhile` runs in this process while workers check (if
    any)."""
    if log.postgres:
        meanwhile()
        return _postgres(log, head, wanted, origin_wanted)
    return _sqlite(log, head, wanted, origin_wanted, meanwhile)


# --- SQLite: pieces checked in Python, in worker processes for a long log ---------------

SQLITE_ROWS = (
    "SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, c.hash, "
    "o.origin, o.seq, o.hash FROM stored_events e "
    f"LEFT JOIN {CHAIN} c ON c.position = e.rowid "
    f"LEFT JOIN {ORIGIN_CHAIN} o ON o.position = e.rowid "
    "WHERE e.rowid BETWEEN ? AND ? ORDER BY e.rowid")


def _sqlite(log: RawLog, head: int, wanted: frozenset[int], origin_wanted: Wanted,
            meanwhile: Callable[[], object]) -> Proven | None:
    first = int(log.value("SELECT MIN(rowid) FROM stored_events") or 0)
    events = int(log.value("SELECT COUNT(*) FROM stored_events") or 0)
    path = _file_of(log)
    workers = _workers(events, path)
    pieces: list[Piece] | None
    if workers <= 1:
        pieces = [_sqlite_piece(log, first, head, wanted, origin_wanted,
                                lambda n: report("verify", n, events))]
        meanwhile()
    else:
        pieces = _in_workers(str(path), first, head, workers, wanted, origin_wanted,
                             events, meanwhile)
    if pieces is None:
        return None
    return _joined(log, pieces, events, head)


def _file_of(log: RawLog) -> str | None:
    """The SQLite file `log` reads (None: a database in memory, not shared)."""
    rows = list(log.rows("PRAGMA database_list"))
    name = next((str(r[2]) for r in rows if r[1] == "main"), "")
    return name or None


def _workers(events: int, path: str | None) -> int:
    """How many processes to check with: more than one only for a long log in a file, on
    a machine with cores to spare, where fork is safe (no other thread running)."""
    if events < PARALLEL_FROM or path is None or not FORK_IS_SAFE:
        return 1
    if threading.active_count() > 1:
        return 1
    return max(1, min(_cores(), MOST_WORKERS, events // LEAST_PIECE))


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def _in_workers(path: str, first: int, head: int, workers: int, wanted: frozenset[int],
                origin_wanted: Wanted, events: int, meanwhile: Callable[[], object]
                ) -> list[Piece] | None:
    uri = read_uri(Path(path))
    step = (head - first + 1 + workers - 1) // workers
    ranges = [(lo, min(head, lo + step - 1)) for lo in range(first, head + 1, step)]
    context = get_context("fork")
    done = context.Value("q", 0)
    with ProcessPoolExecutor(max_workers=len(ranges), mp_context=context,
                             initializer=_share, initargs=(done,)) as pool:
        futures: list[Future[Piece]] = [
            pool.submit(_piece_of_file, uri, lo, hi, wanted, dict(origin_wanted))
            for lo, hi in ranges]
        meanwhile()
        while True:
            finished, pending = wait(futures, timeout=0.2, return_when=FIRST_EXCEPTION)
            if not pending or any(f.exception() is not None for f in finished):
                break
            report("verify", min(done.value, events), events)
        if any(f.exception() is not None for f in futures):
            return None  # a worker that could not read: the walk will say why
        return [f.result() for f in futures]


_done: Any = None  # the workers' shared count of events checked, for the progress bar


def _share(done: Any) -> None:
    global _done
    _done = done


def _piece_of_file(uri: str, lo: int, hi: int, wanted: frozenset[int],
                   origin_wanted: Wanted) -> Piece:
    with raw_log(uri) as log:
        return _sqlite_piece(log, lo, hi, wanted, origin_wanted, _counted)


def _counted(events: int) -> None:
    """A worker's tick: EVERY more events checked, added to the count the parent shows."""
    with _done.get_lock():
        _done.value += EVERY


def _sqlite_piece(log: RawLog, lo: int, hi: int, wanted: frozenset[int],
                  origin_wanted: Wanted, tick: Callable[[int], None]) -> Piece:
    """Check positions lo..hi of a SQLite log against its stored links."""
    before = log.one(f"SELECT e.rowid, c.hash FROM stored_events e LEFT JOIN {CHAIN} c ON "
                     "c.position = e.rowid WHERE e.rowid < ? ORDER BY e.rowid DESC LIMIT 1",
                     (lo,))
    if before is not None and not isinstance(before[1], bytes):
        return Piece(intact=False)
    owners: dict[str, str] = {}
    for (origin,) in list(log.rows(f"SELECT DISTINCT origin FROM {STREAM_ORIGIN}")):
        owners.update(dict.fromkeys((r[0] for r in log.rows(
            f"SELECT originator_id FROM {STREAM_ORIGIN} WHERE origin = ?", (origin,))),
            origin))

    def stored_link(origin: str, seq: int) -> bytes | None:
        found = log.value(f"SELECT hash FROM {ORIGIN_CHAIN} WHERE origin = ? AND seq = ?",
                          (origin, seq))
        return found if isinstance(found, bytes) else None

    return check_rows(log.rows(SQLITE_ROWS, (lo, hi)), before or (0, GENESIS), owners,
                      stored_link, wanted, origin_wanted, tick)


def check_rows(rows: Iterable[tuple[Any, ...]], before: tuple[int, bytes],
               owners: Mapping[str, str], stored_link: Callable[[str, int], bytes | None],
               wanted: frozenset[int], origin_wanted: Wanted,
               tick: Callable[[int], None]) -> Piece:
    """Each row's two links checked against the stored links before them (the whole log's:
    from `before`; its commune's: from `stored_link(origin, seq - 1)`). A row is (position,
    stream id as SQLite stores it, version, topic, payload, link, origin, seq, its link in
    the commune's chain), in position order; `tick(n)` every `EVERY` events. The hot loop
    of a long `audit verify`: kept flat on purpose."""
    fresh, fromhex = hashlib.sha256().copy, bytes.fromhex  # a copy: cheaper than a new one
    topics: dict[str, bytes] = {}
    communes: dict[str, Commune] = {}
    at: dict[int, bytes] = {}
    mentions: list[tuple[int, bytes]] = []
    previous = before[1]
    events, position = 0, before[0]
    try:
        for position, stream, version, topic, state, stored, origin, seq, own in rows:
            named = topics.get(topic)
            if named is None:
                name = topic.encode("utf-8")
                named = topics[topic] = len(name).to_bytes(4, "big") + name
            key = fromhex(stream)
            if len(key) != 16 or key.hex() != stream:  # only the spelling SQLite stores
                return Piece(intact=False)
            digest = fresh()
            digest.update(state)
            canonical = b"".join((EVENT_MAGIC, key, version.to_bytes(8, "big"), named,
                                  digest.digest()))
            link = fresh()
            link.update(previous)
            link.update(canonical)
            link.update(position.to_bytes(8, "big"))
            if link.digest() != stored:
                return Piece(intact=False)
            previous = stored
            if position in wanted:
                at[position] = stored
            if MENTION in state:
                mentions.append((position, state))
            if origin is None or owners.get(stream) != origin:
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
                  [m for p in pieces for m in p.mentions])


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


# --- PostgreSQL: the server computes every link -----------------------------------------

def _canonical_sql() -> str:
    """`domain/chain.py`'s canonical bytes of an event, in SQL (on `kiemtra_events e`)."""
    magic = EVENT_MAGIC.hex()
    return (f"'\\x{magic}'::bytea || uuid_send(e.originator_id) "
            "|| int8send(e.originator_version::bigint) "
            "|| int4send(octet_length(convert_to(e.topic, 'UTF8'))) "
            "|| convert_to(e.topic, 'UTF8') || sha256(e.state)")


def _postgres_check_sql() -> str:
    """The first position (up to the head, the parameter) where a link does not hold against
    the stored one before it, in the whole log's chain or its commune's, or an event has no
    such link or sits in another commune than its stream (NULL if there is none); and the
    positions whose payload mentions an attached file (`MENTION`). "The link
    before" is the previous row of each chain's own table: the caller's counts then make
    sure there is exactly one link per event. The canonical bytes are computed once a row
    (`OFFSET 0` keeps the planner from copying the expression into each use), in parallel
    by the server's parallel workers where it can."""
    genesis = f"sha256('\\x{ORIGIN_MAGIC.hex()}'::bytea || convert_to(origin, 'UTF8'))"
    return f"""
        SELECT min(ev.p) FILTER (WHERE ev.canonical IS NULL OR c.hash IS NULL
               OR o.hash IS NULL OR s.origin IS DISTINCT FROM o.origin
               OR sha256(c.previous || ev.canonical || int8send(ev.p)) <> c.hash
               OR o.seq <> o.previous_seq + 1 OR o.previous_position >= ev.p
               OR sha256(o.previous || ev.canonical || int8send(o.seq)) <> o.hash),
               array_agg(ev.p ORDER BY ev.p) FILTER (WHERE ev.mentions)
        FROM (
            SELECT e.notification_id AS p, e.originator_id AS stream,
                   {_canonical_sql()} AS canonical,
                   position('\\x{MENTION.hex()}'::bytea IN e.state) > 0 AS mentions
            FROM kiemtra_events e WHERE e.notification_id <= ? OFFSET 0) ev
        LEFT JOIN (
            SELECT position, hash,
                   lag(hash, 1, '\\x{GENESIS.hex()}'::bytea) OVER (ORDER BY position)
                       AS previous
            FROM {CHAIN} WHERE position <= ?) c ON c.position = ev.p
        LEFT JOIN (
            SELECT position, origin, seq, hash,
                   coalesce(lag(hash) OVER w, {genesis}) AS previous,
                   lag(seq, 1, 0::bigint) OVER w AS previous_seq,
                   lag(position, 1, 0::bigint) OVER w AS previous_position
            FROM {ORIGIN_CHAIN} WHERE position <= ?
            WINDOW w AS (PARTITION BY origin ORDER BY seq)) o ON o.position = ev.p
        LEFT JOIN {STREAM_ORIGIN} s ON s.originator_id = ev.stream
    """


def _postgres(log: RawLog, head: int, wanted: frozenset[int], origin_wanted: Wanted
              ) -> Proven | None:
    log.execute("SET LOCAL work_mem = '64MB'")  # the communes' window sorts in memory
    for setting in PARALLEL:  # hashing is the cost, which the planner does not count
        log.execute(f"SET LOCAL {setting} = 0")
    found = log.one(_postgres_check_sql(), (head, head, head))
    if found is None or found[0] is not None:
        return None
    mentioned = sorted(found[1] or ())
    events = _one_link_each(log)
    if events is None:
        return None
    found = log.one(f"SELECT position, hash FROM {CHAIN} WHERE position <= ? "
                    "ORDER BY position DESC LIMIT 1", (head,))
    last = (int(found[0]), bytes(found[1])) if found else (0, GENESIS)
    at = {int(p): bytes(h) for p, h in log.rows(
        f"SELECT position, hash FROM {CHAIN} WHERE position = ANY(?)", (sorted(wanted),))
          } if wanted else {}
    heads = _commune_heads(log)
    for origin, seqs in origin_wanted.items():
        if origin in heads and seqs:
            heads[origin][2].update({int(s): bytes(h) for s, h in log.rows(
                f"SELECT seq, hash FROM {ORIGIN_CHAIN} WHERE origin = ? AND seq = ANY(?)",
                (origin, sorted(seqs)))})
    mentions = [(int(p), bytes(state)) for p, state in log.rows(
        "SELECT notification_id, state FROM kiemtra_events WHERE notification_id = ANY(?) "
        "ORDER BY notification_id", (mentioned,))] if mentioned else []
    return Proven(events, last[0], last[1], at, heads, mentions)
