"""A checker for the hash chain and the attachments on PostgreSQL, reading the rows with
psycopg: independent of the recorder that wrote them (only `domain/chain.py`'s formula)."""

from __future__ import annotations

from dataclasses import dataclass

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
    named = {a["sha256"] for *_, state in events
             for a in orjson.loads(bytes(state)).get("attachments") or ()}
    assert named <= {sha for sha, *_ in stored}, "an event names a file that is not stored"
    return Checked(len(events), positions, len(stored))
