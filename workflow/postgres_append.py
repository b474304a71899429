"""The write of a save on PostgreSQL, in one round trip: a database function that takes
the writers' lock, inserts the events and extends both chains, and commits as it returns.

Why a function of kiemtra's own. The library's `insert_events` (a psycopg pipeline: BEGIN,
`SET LOCAL lock_timeout`, `LOCK TABLE`, `NOTIFY`, the INSERT, then COMMIT) with the chain
extended in its `_fetch_ids_after_insert_events` hook took 8 round trips and ~1.5 ms of
client CPU a save; the chain needs the ids the INSERT draws, and the heads read under the
lock, before a link can be made, so every step waited for the one before. Here the client
sends one statement on the pool's autocommit connection — `SELECT * FROM
kiemtra_append_v2(…)`, its own transaction — and the server does the rest, each step
under the lock the function takes first (bench/README.md, "Issue 16, third session").

What the function does is what `postgres_store.PostgresRecorder._extend_chain` and
`origin_chain.extend_origin_chains` do in Python for SQLite (`store.SQLiteRecorder`) and
for a database from before the chains, step for step and in the same order, so that the
same tampering is refused alike, at the same position, on both databases:

- at READ COMMITTED only (else `NeedsReadCommitted`, before anything is written: the
  recorder calls again in a READ COMMITTED transaction of its own), since each statement
  after the lock must see what was committed before it was granted, and a REPEATABLE READ
  snapshot is taken before;
- the events table's EXCLUSIVE lock (the library's, so its readers and ours agree), the
  library's `lock_timeout` and its `NOTIFY` on the table's channel;
- the ids drawn from the table's own sequence one event at a time, in the order given,
  and the INSERT with them (so the k-th id is the k-th event's, and they ascend); then
  the whole log's chain checked — its head must be the event just before the new ones
  (else `ChainBroken` at the first event without a link, or `EventsRemoved` when the
  chain reaches past the events) — and one link per new event, in position order;
- every event's commune first: a stream's stored one (`stream_origin`), looked up for
  each stream that is not new or has an event past its first here, else, for a first
  event, the caller's (`new_streams`, `new_origins`), else `CommuneChainBroken`;
- then each commune's head (past the new events: `EventsRemoved`; none for a stream's
  later event: `CommuneChainBroken`; none for a first event: the commune's start,
  `origin_genesis`) and one link per event.

The server computes two formulas of `domain/chain.py`: the link, `SHA-256(previous ‖
canonical bytes ‖ 8-byte big-endian counter)`, and a commune's start, `SHA-256(magic ‖
name in UTF-8)`, with the magic passed in; the canonical bytes — what an event is hashed
as — come from `domain/chain.py` in the client. `tests/integration/test_postgres_append.py`
checks the server's links against `domain.chain` for random batches, and the audit suite
verifies every chain the function writes with the Python verifier.

A single event — a step's save, what nearly every command writes — takes a path of its
own through the function: the same steps, checks and refusals in the same order, in four
statements instead of about ten (the event's INSERT; the whole log's head, the event
before and the stream's commune in one SELECT; the commune's head; its links and a new
stream's commune in one INSERT), since inside PL/pgSQL each statement costs ~5–10 µs
beyond its work (bench/README.md, "Issue 16, sixth session"). `tests/integration/
test_postgres_append.py` checks that both paths make the documented links and refuse
every tampering alike, at the same position.

A refusal is raised with an SQLSTATE of kiemtra's own (`REFUSALS`) and the position in its
DETAIL; the transaction is rolled back, nothing is kept. The function is versioned by
name: a release that changes it makes a new name beside the old one (`kiemtra_append_v1`,
the batch path alone, stays in a database a build before the single-event path made; no
release wrote with it), so processes of two releases running at once each find the
function they were written for. A batch's communes and heads are looked up in arrays,
each look-up linear in the batch's streams: fine for a plan import's hundreds, 0.24 s for
4,000 streams in one save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

from kiemtra.domain.chain import ORIGIN_MAGIC, event_canonical
from kiemtra.domain.errors import KiemtraError
from kiemtra.workflow.errors import ChainBroken, CommuneChainBroken, EventsRemoved

APPEND_FUNCTION = "kiemtra_append_v2"
REFUSALS: dict[str, type[KiemtraError]] = {
    "KT001": ChainBroken,
    "KT002": EventsRemoved,
    "KT003": CommuneChainBroken,
}

_BODY = """
DECLARE
    v_positions bigint[] := '{{}}'; v_links bytea[] := '{{}}';
    v_head_position bigint; v_head_hash bytea; v_before bigint; v_first bigint;
    v_previous bytea; v_origin text; v_seq bigint; v_linked bigint; k integer; h integer;
    v_known_streams uuid[]; v_known_origins text[]; v_origins text[] := '{{}}';
    v_fresh_streams uuid[] := '{{}}'; v_fresh_origins text[] := '{{}}';
    v_heads text[] := '{{}}'; v_head_seqs bigint[] := '{{}}'; v_head_hashes bytea[] := '{{}}';
    v_link_seqs bigint[] := '{{}}'; v_link_hashes bytea[] := '{{}}';
    v_position bigint; v_new boolean; v_single boolean;
BEGIN
    -- each statement below must see what was committed before the lock was granted,
    -- which only READ COMMITTED gives (a REPEATABLE READ snapshot is older than the lock)
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'kiemtra: writes need READ COMMITTED' USING ERRCODE = 'KT000';
    END IF;
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    LOCK TABLE {events} IN EXCLUSIVE MODE;
    NOTIFY {channel};

    -- the events' ids drawn one by one in the order given, from the table's own sequence,
    -- and stored with them: v_positions[k] is the k-th event's, and they ascend; then the
    -- whole log's head and the event just before the new ones. One event (a step's save)
    -- in fewer statements: its stream's commune is read with the heads (further below)
    v_single := cardinality(p_streams) = 1;
    IF v_single THEN
        v_position := nextval({sequence}::regclass);
        INSERT INTO {events} (originator_id, originator_version, topic, state,
                              notification_id)
        VALUES (p_streams[1], p_versions[1], p_topics[1], p_states[1], v_position);
        -- new: its commune is the caller's (as the batch's loop below), else the stored one
        v_new := p_versions[1] = 1 AND p_streams[1] = ANY (p_new_streams);
        SELECT h.position, h.hash,
               (SELECT max(e.notification_id) FROM {events} AS e
                 WHERE e.notification_id < v_position),
               CASE WHEN NOT v_new THEN (SELECT o.origin FROM {stream_origin} AS o
                                          WHERE o.originator_id = p_streams[1]) END
          INTO v_head_position, v_head_hash, v_before, v_origin
          FROM (SELECT) AS one LEFT JOIN LATERAL (
               SELECT c.position, c.hash FROM {chain} AS c
                ORDER BY c.position DESC LIMIT 1) AS h ON true;
    ELSE
        FOR k IN 1 .. cardinality(p_streams) LOOP
            v_positions := array_append(v_positions, nextval({sequence}::regclass));
        END LOOP;
        INSERT INTO {events} (originator_id, originator_version, topic, state,
                              notification_id)
        SELECT * FROM unnest(p_streams, p_versions, p_topics, p_states, v_positions);
        SELECT c.position, c.hash INTO v_head_position, v_head_hash
          FROM {chain} AS c ORDER BY c.position DESC LIMIT 1;
        SELECT max(e.notification_id) INTO v_before FROM {events} AS e
         WHERE e.notification_id < v_positions[1];
    END IF;

    -- the whole log's chain: its head must be the event just before the new ones
    IF v_head_position IS DISTINCT FROM v_before THEN
        IF v_head_position IS NOT NULL
           AND (v_before IS NULL OR v_head_position > v_before) THEN
            RAISE EXCEPTION 'kiemtra: events removed' USING ERRCODE = 'KT002',
                DETAIL = (coalesce(v_before, 0) + 1)::text;
        END IF;
        SELECT min(e.notification_id) INTO v_first FROM {events} AS e
         WHERE e.notification_id > coalesce(v_head_position, 0);
        RAISE EXCEPTION 'kiemtra: the hash chain is broken' USING ERRCODE = 'KT001',
            DETAIL = coalesce(v_first, coalesce(v_head_position, 0) + 1)::text;
    END IF;

    -- one event: its commune (as the batch's loop below finds each event's), the
    -- commune's head, then its two links and a new stream's commune in one statement
    IF v_single THEN
        IF v_new THEN  -- a first event of a stream the caller names new: its commune
            v_origin := p_new_origins[array_position(p_new_streams, p_streams[1])];
        END IF;
        IF v_origin IS NULL THEN
            RAISE EXCEPTION 'kiemtra: a commune chain is broken'
                USING ERRCODE = 'KT003', DETAIL = v_position::text;
        END IF;
        SELECT c.seq, c.hash, c.position INTO v_seq, v_previous, v_linked
          FROM {origin_chain} AS c WHERE c.origin = v_origin
         ORDER BY c.seq DESC LIMIT 1;
        IF NOT FOUND THEN
            v_seq := 0; v_linked := 0;
            v_previous := sha256(p_origin_magic || convert_to(v_origin, 'UTF8'));
        END IF;
        IF v_linked >= v_position THEN
            RAISE EXCEPTION 'kiemtra: events removed' USING ERRCODE = 'KT002',
                DETAIL = v_position::text;
        END IF;
        IF v_seq = 0 AND p_versions[1] > 1 THEN
            RAISE EXCEPTION 'kiemtra: a commune chain is broken'
                USING ERRCODE = 'KT003', DETAIL = v_position::text;
        END IF;
        WITH whole AS (
            INSERT INTO {chain} (position, hash) VALUES (v_position, sha256(
                coalesce(v_head_hash, {genesis}) || p_canonicals[1] || int8send(v_position)))
        ), fresh AS (
            INSERT INTO {stream_origin} (originator_id, origin)
            SELECT p_streams[1], v_origin WHERE v_new
        )
        INSERT INTO {origin_chain} (origin, seq, position, hash)
        VALUES (v_origin, v_seq + 1, v_position,
                sha256(v_previous || p_canonicals[1] || int8send(v_seq + 1)));
        RETURN NEXT v_position;
        RETURN;
    END IF;

    -- a batch: its links in the whole log's chain
    v_previous := coalesce(v_head_hash, {genesis});
    FOR k IN 1 .. cardinality(v_positions) LOOP
        v_previous := sha256(v_previous || p_canonicals[k] || int8send(v_positions[k]));
        v_links := array_append(v_links, v_previous);
    END LOOP;
    INSERT INTO {chain} (position, hash) SELECT * FROM unnest(v_positions, v_links);

    -- each event's commune: a stream's stored one (looked up for every stream that is
    -- not new, or has an event past its first here), else the caller's for a first event
    SELECT array_agg(o.originator_id), array_agg(o.origin)
      INTO v_known_streams, v_known_origins
      FROM {stream_origin} AS o
     WHERE o.originator_id = ANY (ARRAY(
           SELECT x.s FROM unnest(p_streams, p_versions) AS x(s, v)
            WHERE x.v > 1 OR NOT (x.s = ANY (p_new_streams))));
    v_known_streams := coalesce(v_known_streams, '{{}}');
    v_known_origins := coalesce(v_known_origins, '{{}}');
    FOR k IN 1 .. cardinality(v_positions) LOOP
        h := array_position(v_known_streams, p_streams[k]);
        IF h IS NOT NULL THEN
            v_origin := v_known_origins[h];
        ELSE
            v_origin := NULL;
            IF p_versions[k] = 1 THEN
                v_origin := p_new_origins[array_position(p_new_streams, p_streams[k])];
            END IF;
            IF v_origin IS NULL THEN
                RAISE EXCEPTION 'kiemtra: a commune chain is broken'
                    USING ERRCODE = 'KT003', DETAIL = v_positions[k]::text;
            END IF;
            v_known_streams := array_append(v_known_streams, p_streams[k]);
            v_known_origins := array_append(v_known_origins, v_origin);
            v_fresh_streams := array_append(v_fresh_streams, p_streams[k]);
            v_fresh_origins := array_append(v_fresh_origins, v_origin);
        END IF;
        v_origins := array_append(v_origins, v_origin);
    END LOOP;
    IF cardinality(v_fresh_streams) > 0 THEN
        INSERT INTO {stream_origin} (originator_id, origin)
        SELECT * FROM unnest(v_fresh_streams, v_fresh_origins);
    END IF;

    -- each commune's chain, from its head (or its start, origin_genesis)
    FOR k IN 1 .. cardinality(v_positions) LOOP
        h := array_position(v_heads, v_origins[k]);
        IF h IS NULL THEN
            SELECT c.seq, c.hash, c.position INTO v_seq, v_previous, v_linked
              FROM {origin_chain} AS c WHERE c.origin = v_origins[k]
             ORDER BY c.seq DESC LIMIT 1;
            IF NOT FOUND THEN
                v_seq := 0; v_linked := 0;
                v_previous := sha256(p_origin_magic || convert_to(v_origins[k], 'UTF8'));
            END IF;
            IF v_linked >= v_positions[k] THEN
                RAISE EXCEPTION 'kiemtra: events removed' USING ERRCODE = 'KT002',
                    DETAIL = v_positions[k]::text;
            END IF;
            IF v_seq = 0 AND p_versions[k] > 1 THEN
                RAISE EXCEPTION 'kiemtra: a commune chain is broken'
                    USING ERRCODE = 'KT003', DETAIL = v_positions[k]::text;
            END IF;
            v_heads := array_append(v_heads, v_origins[k]);
            v_head_seqs := array_append(v_head_seqs, v_seq);
            v_head_hashes := array_append(v_head_hashes, v_previous);
            h := cardinality(v_heads);
        END IF;
        v_seq := v_head_seqs[h] + 1;
        v_previous := sha256(v_head_hashes[h] || p_canonicals[k] || int8send(v_seq));
        v_head_seqs[h] := v_seq;
        v_head_hashes[h] := v_previous;
        v_link_seqs := array_append(v_link_seqs, v_seq);
        v_link_hashes := array_append(v_link_hashes, v_previous);
    END LOOP;
    INSERT INTO {origin_chain} (origin, seq, position, hash)
    SELECT * FROM unnest(v_origins, v_link_seqs, v_positions, v_link_hashes);

    RETURN QUERY SELECT unnest(v_positions);
END
"""


class NeedsReadCommitted(Exception):  # noqa: N818 (a signal to the recorder, not an error)
    """The call ran at another isolation level than READ COMMITTED (the server's or the
    role's default) and wrote nothing: the recorder calls again in a transaction of its
    own at READ COMMITTED."""


def create_statement(schema: str, events: str, sequence: str, chain: str,
                     stream_origin: str, origin_chain: str) -> Composed:
    """`CREATE OR REPLACE FUNCTION` for the schema's tables (run under the schema lock);
    `sequence`: the events table's id sequence, as `pg_get_serial_sequence` names it.

    The tables are named with their schema in the body, which is sent as a quoted string
    literal (no name can end it early), and the function runs with `search_path` pinned
    to `pg_catalog`, so no object a role puts earlier on its search path can stand in
    for kiemtra's tables, for `sha256` or for `||`."""

    def name(table: str) -> Composed:
        return SQL("{}.{}").format(Identifier(schema), Identifier(table))

    body = SQL(_BODY).format(
        events=name(events), sequence=Literal(sequence), chain=name(chain),
        stream_origin=name(stream_origin),
        origin_chain=name(origin_chain), channel=Identifier(events.replace(".", "_")),
        genesis=SQL("decode('" + "00" * 32 + "', 'hex')"))  # chain.GENESIS
    return SQL(
        "CREATE OR REPLACE FUNCTION {function}("
        "p_streams uuid[], p_versions bigint[], p_topics text[], p_states bytea[], "
        "p_canonicals bytea[], p_new_streams uuid[], p_new_origins text[], "
        "p_origin_magic bytea, p_lock_timeout text) RETURNS SETOF bigint LANGUAGE plpgsql "
        "SET search_path = pg_catalog, pg_temp AS {body}"
    ).format(function=name(APPEND_FUNCTION), body=Literal(body.as_string()))


SIGNATURE = ("uuid[], bigint[], text[], bytea[], bytea[], uuid[], text[], bytea, text")
"""The function's argument types, to find this one function among any others so named."""


@dataclass(frozen=True)
class AppendCall:
    """The call, rendered once for a schema (a `Composed` is rendered again at every
    execute), in two spellings of the same function call: `batch`, its arrays sent as
    arrays, and `one`, for a single event, its five per-event arrays built in the server
    from scalars — psycopg adapts five scalars in a fifth of the time it takes to inspect
    and adapt five one-element lists (~10 against ~47 µs of the client's CPU a save here).
    Every parameter is sent in binary (`%b`), so no payload is escaped into a literal."""

    batch: bytes
    one: bytes


def call_statement(schema: str) -> AppendCall:
    function = SQL("{}.{}").format(Identifier(schema), Identifier(APPEND_FUNCTION))
    return AppendCall(
        batch=SQL("SELECT * FROM {}(%b, %b, %b, %b, %b, %b, %b, %b, %b)").format(
            function).as_bytes(None),
        one=SQL("SELECT * FROM {}(ARRAY[%b::uuid], ARRAY[%b::bigint], ARRAY[%b::text], "
                "ARRAY[%b::bytea], ARRAY[%b::bytea], %b::uuid[], %b::text[], %b, %b)").format(
            function).as_bytes(None))


def append(curs: Cursor[DictRow], call: AppendCall, stored_events: Sequence[StoredEvent],
           new_origins: Mapping[UUID, str], lock_timeout: int) -> list[int]:
    """Store the events and their links; their notification ids, in the events' order.

    The refusals of the function are raised as kiemtra's (exit 1, with the position);
    any other error of the server is psycopg's, for the datastore to translate."""
    streams = [UUID(str(e.originator_id)) for e in stored_events]
    fresh = list(new_origins.items())
    versions = [int(e.originator_version) for e in stored_events]
    states = [bytes(e.state) for e in stored_events]
    canonicals = [event_canonical(s, v, e.topic, b)
                  for s, v, e, b in zip(streams, versions, stored_events, states, strict=True)]
    per_event: tuple[Any, ...] = (streams, versions, [e.topic for e in stored_events],
                                  states, canonicals)
    statement = call.batch
    if len(stored_events) == 1:
        statement = call.one
        per_event = tuple(values[0] for values in per_event)
    params = (*per_event, [s for s, _ in fresh], [o for _, o in fresh], ORIGIN_MAGIC,
              f"{int(lock_timeout)}s")
    try:
        curs.execute(statement, params, prepare=True)
        rows = curs.fetchall()
    except psycopg.Error as exc:
        if exc.sqlstate == "KT000":
            raise NeedsReadCommitted from None
        refusal = REFUSALS.get(exc.sqlstate or "")
        if refusal is None:
            raise
        detail = exc.diag.message_detail or "0"
        raise refusal(position=int(detail)) from None
    return [int(_first(row)) for row in rows]


def _first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
