"""The hash chain that makes the event log tamper-evident, and signed checkpoints.

    h_0 = 32 zero bytes
    h_n = SHA-256(h_(n-1) ‖ canonical bytes of event n ‖ position n as 8 bytes, big-endian)

The canonical bytes of an event are a fixed layout of what the event store keeps:

    "kiemtra-event/1" ‖ stream id (16 bytes) ‖ version (8 bytes, big-endian)
    ‖ topic length (4 bytes, big-endian) ‖ topic (UTF-8) ‖ SHA-256(stored payload)

The payload enters through its digest, so a reviewer's bundle for one campaign
can prove where another campaign's event sits in the chain (stream, version,
topic, digest) without carrying that event's content. Any changed byte of a
payload, id, version, topic or position changes every later hash.

Beside the chain of the whole log, each commune's events (its origin: `domain/origins.py`)
form a chain of their own, with the same links counted by the commune's own sequence
number instead of the log's position, from a start of its own:

    o_0 = SHA-256("kiemtra-origin/1" ‖ the origin's name, UTF-8)
    o_n = SHA-256(o_(n-1) ‖ canonical bytes of the commune's event n ‖ n as 8 bytes)

So a reviewer of one commune checks that commune's events from its first to its last
without seeing, or counting, any other commune's; and one commune's chain can never be
passed off as another's, since each starts from its own name.

Checkpoints of the chain's head, the verifier and the bundles are the audit trail's
(`projections/audit/`); the writer that extends the chain with each save is the event
store's (`workflow/store.py`). Pure functions: no database, no clock, no files.
"""

from __future__ import annotations

import hashlib
import re
from uuid import UUID

GENESIS = bytes(32)
EVENT_MAGIC = b"kiemtra-event/1"
ORIGIN_MAGIC = b"kiemtra-origin/1"
STORED_ID = re.compile(r"[0-9a-f]{32}")  # how eventsourcing's SQLite module stores a UUID


def canonical_bytes(originator_id: UUID | str, version: int, topic: str,
                    payload_digest: bytes) -> bytes:
    """Raises ValueError for a value the event store would not have written: an id that
    is not 32 lower-case hex digits, a version that is not a non-negative integer. The
    stored values are hashed exactly, so no other spelling of them verifies."""
    if isinstance(originator_id, UUID):
        stream = originator_id.bytes
    elif isinstance(originator_id, str) and STORED_ID.fullmatch(originator_id):
        stream = bytes.fromhex(originator_id)
    else:
        msg = f"not a stored stream id: {originator_id!r}"
        raise ValueError(msg)
    if type(version) is not int or not 0 <= version < 2**63:
        msg = f"not a stored version: {version!r}"
        raise ValueError(msg)
    if not isinstance(topic, str):
        msg = f"not a stored topic: {topic!r}"
        raise ValueError(msg)
    name = topic.encode("utf-8")
    return b"".join((EVENT_MAGIC, stream, version.to_bytes(8, "big"),
                     len(name).to_bytes(4, "big"), name, payload_digest))


def payload_digest(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()


def link(previous: bytes, canonical: bytes, position: int) -> bytes:
    """The chain hash at `position`, from the one before it."""
    return hashlib.sha256(previous + canonical + position.to_bytes(8, "big")).digest()


def event_link(previous: bytes, position: int, originator_id: UUID | str, version: int,
               topic: str, payload: bytes) -> bytes:
    return link(previous, canonical_bytes(originator_id, version, topic,
                                          payload_digest(payload)), position)


def origin_genesis(origin: str) -> bytes:
    """o_0, the start of the chain of the commune `origin`."""
    return hashlib.sha256(ORIGIN_MAGIC + origin.encode("utf-8")).digest()


def event_canonical(originator_id: UUID | str, version: int, topic: str,
                    payload: bytes) -> bytes:
    """The canonical bytes of a stored event (for both of its links)."""
    return canonical_bytes(originator_id, version, topic, payload_digest(payload))
