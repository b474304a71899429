"""A checker for the hash chain and the attachments on PostgreSQL, reading the rows with
psycopg: independent of the recorder that wrote them (only `domain/chain.py`'s formula)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiemtra.domain.chain import GENESIS, event_link


@dataclass(frozen=True)
class Checked:
    events: int
    positions: list[int]
    attachments: int


def check_log(url: str) -> Checked:
    """Every event has its link, each over the one before it in position order, and no
    link is left without its event; every stored attachment has all its pieces, and every
    attachment an event names is stored. Fails the test otherwise."""
    import orjson
    import psycopg

    with psycopg.connect(url) as conn:
        events = conn.execute("SELECT notification_id, originator_id, originator_version, "
                              "topic, state FROM kiemtra_events ORDER BY notification_id"
                              ).fetchall()
        links = conn.execute("SELECT position, hash FROM event_chain ORDER BY position"
                             ).fetchall()
        stored = conn.execute(
            "SELECT a.sha256, a.size, coalesce(sum(length(c.data)), 0), count(c.seq), "
            "coalesce(max(c.seq), -1) FROM attachments a LEFT JOIN attachment_chunks c "
            "ON c.sha256 = a.sha256 GROUP BY a.sha256, a.size").fetchall()
        orphans = conn.execute("SELECT count(*) FROM attachment_chunks c WHERE NOT EXISTS "
                               "(SELECT 1 FROM attachments a WHERE a.sha256 = c.sha256)"
                               ).fetchone()
    positions = [int(e[0]) for e in events]
    assert [int(p) for p, _ in links] == positions, "a link missing, or one without its event"
    previous = GENESIS
    for (position, oid, version, topic, state), (_, link) in zip(events, links, strict=True):
        previous = event_link(previous, int(position), oid, int(version), topic, bytes(state))
        assert bytes(link) == previous, f"the link at position {position} does not verify"
    for sha, size, total, count, last in stored:
        assert (int(total), int(count)) == (int(size), int(last) + 1), f"{sha} is incomplete"
    assert orphans == (0,)
    check_origins(url, events)
    named = {a["sha256"] for *_, state in events
             for a in orjson.loads(bytes(state)).get("attachments") or ()}
    assert named <= {sha for sha, *_ in stored}, "an event names a file that is not stored"
    return Checked(len(events), positions, len(stored))


def check_origins(url: str, events: list[Any]) -> None:
    """Each commune's chain (`origin_chain`) numbers its events 1, 2, 3… without a gap,
    each link over the one before it from the commune's own start, in position order;
    every event is in exactly one commune's chain, its stream's."""
    import psycopg

    from kiemtra.domain.chain import origin_genesis

    with psycopg.connect(url) as conn:
        links = conn.execute("SELECT origin, seq, position, hash FROM origin_chain "
                             "ORDER BY origin, seq").fetchall()
        owners = dict(conn.execute("SELECT originator_id, origin FROM stream_origin"
                                   ).fetchall())
    by_position = {int(e[0]): e for e in events}
    assert sorted(int(p) for _, _, p, _ in links) == sorted(by_position), \
        "an event outside every commune's chain, or in two"
    previous: dict[str, tuple[int, bytes, int]] = {}
    for origin, seq, position, link in links:
        last_seq, last_hash, last_position = previous.get(origin, (0, origin_genesis(origin), 0))
        assert int(seq) == last_seq + 1, f"{origin}: a gap before {seq}"
        assert int(position) > last_position, f"{origin}: out of position order at {seq}"
        _, oid, version, topic, state = by_position[int(position)]
        assert owners[oid] == origin, f"position {position} is not in its stream's chain"
        expected = event_link(last_hash, int(seq), oid, int(version), topic, bytes(state))
        assert bytes(link) == expected, f"{origin}: the link {seq} does not verify"
        previous[origin] = (int(seq), expected, int(position))
