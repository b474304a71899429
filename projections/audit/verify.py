"""Checking the hash chain of the event log, and signing checkpoints of its head.

`audit verify` walks the events table and the chain table side by side in
position order and recomputes every link (`domain/chain.py`); the first
position where they disagree is reported with what kind of change explains it.
Payloads are hashed, never parsed, so an event whose stored bytes no longer
decode is reported like any other change. Attachments are then checked against
their SHA-256 names. The tables are read directly, in one snapshot, on SQLite or
PostgreSQL alike (`RawLog`); on PostgreSQL positions have gaps, so a hole between two
positions is a removed event only where the chain says so: the link after it fails.

A log is first offered to `quick_check.proven_intact`, which proves an intact log faster
(in worker processes, or in the PostgreSQL server) but never explains; only where it
declines is the log walked here, so every refusal is this module's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiemtra.domain.chain import GENESIS, canonical_bytes, link, origin_genesis, payload_digest
from kiemtra.projections.audit.checkpoint import WHOLE_LOG, Checkpoint, Keys, key_id
from kiemtra.projections.audit.errors import (
    InvalidCheckpoint,
    KeyMismatch,
    LogAltered,
    OtherSigner,
    PublicKeyRequired,
    SignatureInvalid,
)
from kiemtra.projections.audit.minisign import SecretKey, grouped
from kiemtra.projections.audit.quick_check import MENTION, Proven, proven_intact, readers_of
from kiemtra.projections.progress import EVERY, finished, report
from kiemtra.workflow import (
    ORIGINS_FORMAT,
    VIETNAM,
    Database,
    RawLog,
    raw_log,
    stored_codes,
    stored_digest,
)

CHAIN = "event_chain"
CHAIN_ORIGIN = "event_chain_origin"
REBUILT = "event_chain_rechained"
ORIGIN_CHAIN = "origin_chain"  # as workflow/origin_chain.py makes them
STREAM_ORIGIN = "stream_origin"
ORIGIN_STARTED = "origin_chain_started"
ATTACHMENTS = "attachments"

Entry = tuple[int, bytes | None, bytes | None]
"""(position, canonical bytes of the event or None if it is missing or unreadable,
stored chain hash or None if the link is missing)."""

UNREADABLE = b""


@dataclass
class ChainWalk:
    """What a walk along the chain found: counts, the head, the hashes asked for."""

    events: int = 0
    head: int = 0
    head_hash: bytes = GENESIS
    at: dict[int, bytes] = field(default_factory=dict)


def walk(entries: Iterable[Entry], previous: bytes = GENESIS, after: int = 0,
         wanted: frozenset[int] = frozenset(), total: int | None = None,
         gaps: bool = False, communes: Communes | None = None) -> ChainWalk:
    """Recompute each link from `previous`; LogAltered at the first that fails. `total`,
    the last position, is for the progress shown on a terminal. `gaps`: positions may skip
    numbers (PostgreSQL's), so a hole before a failing link may be no deletion.
    `communes`: the database's entries carry each event's link in its commune's chain
    too, checked in the same pass (the canonical bytes made once)."""
    found = ChainWalk(head=after, head_hash=previous)
    last = after
    commune: list[Any]
    for position, canonical, stored, *commune in entries:
        if not position % EVERY:
            report("verify", position, total)
        if stored is None:
            raise LogAltered(position=position, kind="inserted")
        if canonical is None:
            raise LogAltered(position=position, kind="deleted")
        if canonical is UNREADABLE:
            raise LogAltered(position=position, kind="unreadable")
        expected = link(previous, canonical, position)
        if expected != stored:
            # A link that fails right after a hole: the event before it was removed
            # together with its link.
            if position > last + 1 and gaps:  # an unused id, or a removed event?
                raise LogAltered(position=position, kind="after_gap",
                                 detail=f"{last + 1}–{position - 1}")
            kind, at = ("deleted", last + 1) if position > last + 1 else ("changed", position)
            raise LogAltered(position=at, kind=kind)
        previous, last = expected, position
        found.events += 1
        if position in wanted:
            found.at[position] = expected
        if communes is not None:
            communes.see(position, canonical, commune)
    finished("verify")
    found.head, found.head_hash = last, previous
    return found


def canonical_of(originator_id: Any, version: Any, topic: Any, payload: Any) -> bytes:
    """The canonical bytes of a stored row, or UNREADABLE if a column holds something
    the event store never writes (text in the payload's place, a text version…)."""
    if not isinstance(payload, bytes):
        return UNREADABLE
    try:
        return canonical_bytes(originator_id, version, topic, payload_digest(payload))
    except (ValueError, TypeError, OverflowError):
        return UNREADABLE


def stored_hash(value: Any) -> bytes:
    """A chain hash as stored; anything but 32 bytes can match no link."""
    return value if isinstance(value, bytes) and len(value) == 32 else b"\x00"


def _with_communes(log: RawLog, events: Iterator[tuple[Any, ...]]
                   ) -> Iterator[tuple[Any, ...]]:
    """Each event's row with its link in its commune's chain (origin, seq, hash: None where
    it has none) and its stream's commune: the chain read beside the events in position
    order, the streams' communes (far fewer than events) held in memory. A link whose
    event is gone is LogAltered (`deleted`)."""
    owners = {row[0]: row[1] for row in log.rows(
        f"SELECT originator_id, origin FROM {STREAM_ORIGIN}")}
    links = log.rows(f"SELECT position, origin, seq, hash FROM {ORIGIN_CHAIN} "
                     "ORDER BY position")
    ln = next(links, None)
    for ev in events:
        while ln is not None and ln[0] < ev[0]:
            raise LogAltered(position=ln[0], kind="deleted")
        if ln is not None and ln[0] == ev[0]:
            yield (*ev, ln[1], ln[2], ln[3], owners.get(ev[1]))
            ln = next(links, None)
        else:
            yield (*ev, None, None, None, owners.get(ev[1]))
    if ln is not None:
        raise LogAltered(position=ln[0], kind="deleted")


def _database_entries(log: RawLog, communes: bool = False) -> Iterator[Entry]:
    """Events and links merged by position; a side missing at a position is None. With
    `communes`, each event's row also has its link in its commune's chain (origin, seq,
    hash) and its stream's commune (None where missing)."""
    p = log.position
    events = log.rows(f"SELECT {p}, originator_id, originator_version, topic, state "
                      f"FROM {log.events} ORDER BY {p}")
    if communes:
        events = _with_communes(log, events)
    links = log.rows(f"SELECT position, hash FROM {CHAIN} ORDER BY position")
    ev = next(events, None)
    ln = next(links, None)
    while ev is not None or ln is not None:
        if ln is None or (ev is not None and ev[0] < ln[0]):
            assert ev is not None
            yield ev[0], canonical_of(*ev[1:5]), None, *ev[5:]
            ev = next(events, None)
        elif ev is None or ln[0] < ev[0]:
            yield ln[0], None, stored_hash(ln[1])
            ln = next(links, None)
        else:
            yield ev[0], canonical_of(*ev[1:5]), stored_hash(ln[1]), *ev[5:]
            ev, ln = next(events, None), next(links, None)


def vietnam_time(recorded: str | None) -> str:
    """A recorded instant (ISO 8601) as a Vietnamese note says it: "07:54 ngày 02/12/2026"."""
    try:
        when = datetime.fromisoformat(str(recorded)).astimezone(VIETNAM)
    except ValueError:
        return str(recorded)  # as stored, whatever an edited row holds
    return f"{when:%H:%M} ngày {when:%d/%m/%Y}"


def plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"


@dataclass(frozen=True)
class OriginWalk:
    """One commune's chain, as `audit verify` found it: its events (1..head, `seq`), its
    head's hash, the hashes asked for by checkpoints, and — for a database from before
    the chains per commune — through which `seq` it was chained after the fact."""

    origin: str
    events: int
    head_hash: str
    at: dict[int, bytes] = field(default_factory=dict, compare=False)
    chained_through: int = 0
    chained_at: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"origin": self.origin, "events": self.events, "head": self.events,
                "head_hash": self.head_hash,
                "chained_after_the_fact_through": self.chained_through or None,
                "chained_at": self.chained_at}

    def note(self, lang: str) -> str:
        if lang == "vi":
            return (f"Lưu ý: chuỗi băm riêng của {self.origin} được nối cho các sự kiện 1–"
                    f"{self.chained_through} của mình sau khi ghi (lúc "
                    f"{vietnam_time(self.chained_at)}, khi "
                    "phiên bản có chuỗi riêng từng xã, phường mở cơ sở dữ liệu lần đầu); với các "
                    "sự kiện đó, chuỗi riêng chỉ bảo đảm chúng không đổi kể từ lúc ấy.")
        return (f"Note: the chain of {self.origin} was made for its events 1–"
                f"{self.chained_through} after they were recorded ({self.chained_at}, when a "
                "version with chains per commune first opened the database); for those, it "
                "vouches only since then.")


class Communes:
    """Each commune's chain, checked event by event in the whole log's order (`see`): the
    event has a link in the chain of its stream's commune, numbered one after that
    commune's last, over its last link from the commune's own start (a link left without
    its event is found by `_with_communes`). `finish`: the chains found."""

    def __init__(self, wanted: Mapping[str, frozenset[int]]) -> None:
        self.wanted = wanted
        self.heads: dict[str, tuple[int, bytes, dict[int, bytes]]] = {}

    def see(self, position: int, canonical: bytes, commune: Sequence[Any]) -> None:
        origin, seq, stored, owner = commune
        if origin is None:
            raise LogAltered(position=position, kind="origin_missing")
        if owner != origin:
            raise LogAltered(position=position, kind="origin_moved")
        last, previous, at = self.heads.get(origin) or (0, origin_genesis(origin), {})
        if seq != last + 1:
            raise LogAltered(position=position, kind="origin_gap",
                             detail=f"{last + 1} ({origin})")
        expected = link(previous, canonical, seq)
        if expected != stored_hash(stored):
            raise LogAltered(position=position, kind="changed")
        if seq in self.wanted.get(origin, frozenset()):
            at[seq] = expected
        self.heads[origin] = (seq, expected, at)

    def finish(self, log: RawLog) -> tuple[OriginWalk, ...]:
        started = {r[0]: (int(r[1]), str(r[2])) for r in log.rows(
            f"SELECT origin, chained_through, chained_at FROM {ORIGIN_STARTED}")
            } if log.has_table(ORIGIN_STARTED) else {}
        return tuple(OriginWalk(origin, seq, head.hex(), at,
                                *started.get(origin, (0, None)))
                     for origin, (seq, head, at) in sorted(self.heads.items()))


def expects_communes(log: RawLog) -> bool:
    """Whether the database keeps chains per commune: a SQLite file of data format 2 or
    later; on PostgreSQL, one with the whole log's chain, which came with them."""
    if log.postgres:
        return log.has_table(CHAIN)
    return int(log.value("PRAGMA user_version") or 0) >= ORIGINS_FORMAT


@dataclass(frozen=True)
class Verified:
    events: int
    head: int
    head_hash: str
    attachments: int
    checkpoints: int
    chained_through: int = 0  # positions 1..this were chained after the fact (an upgrade)
    chained_at: str | None = None
    rechained: tuple[dict[str, Any], ...] = ()  # `kiemtra audit rechain`: from, through, …
    signed_by: str | None = None  # the public key's fingerprint, if it checked checkpoint/2
    origins: tuple[OriginWalk, ...] = ()  # the chains per commune, when the log has them

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "ok": True, "events": self.events, "head": self.head, "head_hash": self.head_hash,
            "attachments": self.attachments, "checkpoints": self.checkpoints,
            "chained_after_the_fact_through": self.chained_through or None,
            "chained_at": self.chained_at}
        if self.rechained:  # a key of its own, present once the chain was made again
            found["rechained"] = list(self.rechained)
        if self.signed_by is not None:  # only then: the keys of release 0.1's output stay
            found["public_key_fingerprint"] = self.signed_by
        if self.origins:
            found["origins"] = [o.to_json() for o in self.origins]
        return found

    def origin(self, name: str) -> OriginWalk | None:
        return next((o for o in self.origins if o.origin == name), None)

    def text(self, lang: str) -> str:
        if lang == "vi":
            return (f"Hồ sơ nguyên vẹn: đã kiểm tra {self.events} sự kiện (đến vị trí "
                    f"{self.head}), {self.attachments} tệp đính kèm, {self.checkpoints} điểm "
                    "kiểm tra." + self._origin_words(lang) + signer_words(self.signed_by, lang))
        return (f"The record is intact: {self.events} {plural(self.events, 'event')} checked "
                f"(up to position {self.head}), {self.attachments} "
                f"{plural(self.attachments, 'attachment')}, {self.checkpoints} "
                f"{plural(self.checkpoints, 'checkpoint')}." + self._origin_words(lang)
                + signer_words(self.signed_by, lang))

    def _origin_words(self, lang: str) -> str:
        if not self.origins:
            return ""
        names = "; ".join(f"{o.origin or '?'}: {o.events}" for o in self.origins)
        if lang == "vi":
            return f" Chuỗi băm riêng của từng xã, phường cũng nguyên vẹn ({names} sự kiện)."
        return f" Each commune's own chain is intact too ({names} events)."

    def note(self, lang: str) -> str | None:
        """What a reviewer must know of positions chained after the fact, if any."""
        notes = [_rechained_note(r, lang) for r in self.rechained]
        if self.chained_through:
            notes.insert(0, self._upgrade_note(lang))
        notes.extend(o.note(lang) for o in self.origins if o.chained_through)
        return "\n".join(notes) or None

    def _upgrade_note(self, lang: str) -> str:
        if lang == "vi":
            return (f"Lưu ý: các vị trí 1–{self.chained_through} được nối chuỗi băm sau khi "
                    f"ghi (lúc {vietnam_time(self.chained_at)}, khi phiên bản này mở cơ sở dữ "
                    "liệu lần đầu); "
                    "chuỗi chỉ bảo đảm chúng không đổi kể từ lúc đó.")
        return (f"Note: positions 1–{self.chained_through} were chained after they were "
                f"recorded ({self.chained_at}, when this version first opened the database); "
                "the chain vouches for them only since then.")


def _rechained_note(r: dict[str, Any], lang: str) -> str:
    span = f"{r['chained_from']}–{r['chained_through']}"
    when = datetime.fromisoformat(r["chained_at"])
    if lang == "vi":
        return (f"Lưu ý: chuỗi băm của các vị trí {span} đã được nối lại lúc "
                f"{when:%H:%M} ngày {when:%d/%m/%Y}"
                f" (người thực hiện: {r['actor']}; lý do: “{r['reason']}”); chuỗi chỉ bảo "
                "đảm các sự kiện đó không đổi kể từ lúc ấy.")
    return (f"Note: the hash chain of positions {span} was made again at {r['chained_at']} "
            f"(by {r['actor']}; reason: '{r['reason']}'); the chain vouches for those events "
            "only since then.")


Source = RawLog | Database | Path | str
"""The database to check: an open `RawLog`, or what `raw_log` opens (kiemtra's
`Database`, a SQLite file's path or the URI that opens it read-only)."""


@contextmanager
def opened(source: Source) -> Iterator[RawLog]:
    if isinstance(source, RawLog):
        yield source
        return
    with raw_log(source) as log:
        yield log


def signer_words(fingerprint: str | None, lang: str) -> str:
    """The key that made the signatures checked, for the reviewer to compare with the
    fingerprint in the commune's letter."""
    if fingerprint is None:
        return ""
    if lang == "vi":
        return (" Chữ ký hợp lệ, theo khóa công khai Ed25519 có dấu vân tay "
                f"{grouped(fingerprint)}.")
    return f" Signatures valid, by the Ed25519 public key of fingerprint {grouped(fingerprint)}."


def verify_database(source: Source, checkpoints: Sequence[tuple[str, Checkpoint]] = (),
                    keys: Keys | None = None) -> Verified:
    """Check every event, attachment and given checkpoint; LogAltered at the first fault."""
    with readers_of(source) as readers, opened(source) as log:
        origin = None
        origins: tuple[OriginWalk, ...] = ()
        checked: list[set[str] | LogAltered | None] = []  # files, if checked meanwhile
        proven: Proven | None = None
        if not log.has_table(log.events):
            walked = ChainWalk()
        elif not log.has_table(CHAIN):
            first = log.value(f"SELECT MIN({log.position}) FROM {log.events}")
            if first is not None:
                raise LogAltered(position=first, kind="chain_missing")
            walked = ChainWalk()
        else:
            wanted = frozenset(cp.position for _, cp in checkpoints)
            head = log.value(f"SELECT MAX({log.position}) FROM {log.events}")
            if head is not None and log.one(f"SELECT 1 FROM {CHAIN} LIMIT 1") is None:
                first = log.value(f"SELECT MIN({log.position}) FROM {log.events}")
                raise LogAltered(position=first, kind="chain_missing")  # emptied
            communes = _communes(log, checkpoints, head)
            if communes is not None and head is not None:
                proven = proven_intact(
                    log, int(head), wanted, communes.wanted,
                    meanwhile=lambda: checked.append(_stored_or_fault(log)), readers=readers)
            if readers is not None:
                readers.release()  # writers wait for no walk (nothing to do if let go)
            if proven is not None and communes is not None:
                walked = ChainWalk(proven.events, proven.head, proven.head_hash, proven.at)
                communes.heads = dict(proven.communes)
            else:  # not proven quickly: walked link by link, which says what is wrong
                walked = walk(_database_entries(log, communes is not None), wanted=wanted,
                              total=head, gaps=log.postgres, communes=communes)
            origins = communes.finish(log) if communes is not None else ()
            if log.has_table(CHAIN_ORIGIN):
                origin = log.one(f"SELECT chained_through, chained_at FROM {CHAIN_ORIGIN} "
                                 "ORDER BY chained_through DESC LIMIT 1")
        rebuilt = tuple(
            {"chained_from": r[0], "chained_through": r[1], "chained_at": r[2],
             "actor": r[3], "reason": r[4]} for r in log.rows(
                f"SELECT chained_from, chained_through, chained_at, actor, reason FROM "
                f"{REBUILT} ORDER BY chained_at, chained_from")) if log.has_table(REBUILT) else ()
        files = checked[0] if checked else _stored_or_fault(log)
        if isinstance(files, LogAltered):
            raise files  # found while the chain was checked; the chain's faults come first
        if files is not None:
            _check_references(log, files, proven.mentions if proven is not None else None)
        attachments = len(files or ())
    for name, checkpoint in checkpoints:
        check_checkpoint(name, checkpoint, walked, keys, origins)
    chained_through, chained_at = origin or (0, None)
    return Verified(walked.events, walked.head, walked.head_hash.hex(), attachments,
                    len(checkpoints), chained_through=chained_through, chained_at=chained_at,
                    rechained=rebuilt,
                    signed_by=fingerprint_checked([c for _, c in checkpoints], keys),
                    origins=origins)


def _communes(log: RawLog, checkpoints: Sequence[tuple[str, Checkpoint]], head: Any
              ) -> Communes | None:
    """The communes' chains to check along, if the database keeps them; LogAltered
    (`origin_chain_missing`) if it should and their tables are gone."""
    present = log.has_table(ORIGIN_CHAIN) and log.has_table(STREAM_ORIGIN)
    if not present and (log.has_table(ORIGIN_CHAIN) or log.has_table(STREAM_ORIGIN)
                        or expects_communes(log)):
        if head is not None:
            first = log.value(f"SELECT MIN({log.position}) FROM {log.events}")
            raise LogAltered(position=first, kind="origin_chain_missing")
    if not present:
        return None
    return Communes({o: frozenset(c.position for _, c in checkpoints if c.origin == o)
                     for o in {c.origin for _, c in checkpoints if c.origin}})


def fingerprint_checked(checkpoints: Sequence[Checkpoint], keys: Keys | None) -> str | None:
    if keys is None or keys.public is None or not any(c.ed25519 for c in checkpoints):
        return None
    return keys.public.fingerprint


def checkpoint_label(name: str, checkpoint: Checkpoint) -> tuple[str, str]:
    return (f"điểm kiểm tra {name} ({checkpoint.created_at}, {checkpoint.events} sự kiện)",
            f"checkpoint {name} ({checkpoint.created_at}, {checkpoint.events} events)")


def check_checkpoint(name: str, checkpoint: Checkpoint, walked: ChainWalk,
                     keys: Keys | None, origins: Sequence[OriginWalk] = (),
                     walked_origin: str = WHOLE_LOG) -> None:
    """The checkpoint's signature, then its head against the chain it covers: `walked`
    (the chain of `walked_origin`: the whole log's, "*", or a bundle's commune), or one
    of `origins` (a commune's: its `position` is then the commune's `seq`)."""
    label = checkpoint_label(name, checkpoint)
    if keys is not None:
        check_signature(label, checkpoint, keys)
    covered = checkpoint.origin if checkpoint.ed25519 else WHOLE_LOG
    if covered != walked_origin:
        own = next((o for o in origins if o.origin == covered), None)
        if own is None:
            raise InvalidCheckpoint(path=name, reason=(
                f"điểm kiểm tra của chuỗi “{covered}”, không phải của chuỗi “{walked_origin}” "
                "đang kiểm tra", f"it is a checkpoint of the chain '{covered}', not of the "
                f"chain '{walked_origin}' being checked") if walked_origin != WHOLE_LOG else (
                f"điểm kiểm tra của chuỗi “{covered}”, mà cơ sở dữ liệu không có chuỗi riêng "
                "nào mang tên đó", f"it is a checkpoint of the chain '{covered}', and the "
                "database holds no chain of that name"))
        walked = ChainWalk(events=own.events, head=own.events,
                           head_hash=bytes.fromhex(own.head_hash), at=own.at)
    if checkpoint.position > walked.head:
        raise LogAltered(position=walked.head + 1, kind="truncated", detail=(
            f"{label[0]} ghi đến vị trí {checkpoint.position}, hồ sơ chỉ còn đến vị trí "
            f"{walked.head}",
            f"{label[1]} reaches position {checkpoint.position}, the log ends at "
            f"{walked.head}"))
    actual = GENESIS if checkpoint.position == 0 else walked.at.get(checkpoint.position)
    if actual != bytes.fromhex(checkpoint.hash):
        raise LogAltered(position=checkpoint.position, kind="rewritten", detail=label)


def check_signature(label: tuple[str, str], checkpoint: Checkpoint, keys: Keys) -> None:
    """A checkpoint signed with another key is a question of keys (exit 2, both named): the
    wrong key given, or a checkpoint its holder did not make; with the key it names, a bad
    signature means the checkpoint was edited (exit 1)."""
    if checkpoint.ed25519:
        if keys.public is None:
            raise PublicKeyRequired(what=label)
        if checkpoint.key_id != keys.public.key_id:
            raise OtherSigner(what=label, signed_by=grouped(checkpoint.key_id),
                              mine=grouped(keys.public.key_id), source=keys.source)
    else:
        if keys.secret is None:
            from kiemtra.projections.audit.keys import audit_key

            keys = Keys(secret=audit_key())  # NoAuditKey when there is none
        mine = key_id(keys.secret or b"")
        if checkpoint.key_id != mine:
            raise KeyMismatch(what=label, signed_by=checkpoint.key_id, mine=mine)
    if not checkpoint.signature_valid(keys):
        raise SignatureInvalid(position=checkpoint.position, kind="signature", detail=label)


def _stored_or_fault(log: RawLog) -> set[str] | LogAltered | None:
    """The attachments stored, each still hashing to its name, or the fault found among
    them; None if the database keeps none."""
    if not log.has_table(ATTACHMENTS):
        return None
    stored = set()
    for sha in stored_codes(log):
        if stored_digest(log, sha) != sha:
            return LogAltered(position=_first_reference(log, sha), kind="attachment",
                              detail=sha)
        stored.add(sha)
    return stored


def _check_references(log: RawLog, stored: set[str],
                      mentions: Iterable[tuple[int, bytes]] | None = None) -> None:
    """Each file an event refers to is stored. `mentions`: the payloads that name a file
    (position order), if the chain's check has already picked them out."""
    if mentions is None:
        mentions = log.rows(f"SELECT {log.position}, state FROM {log.events} WHERE "
                            f"{log.contains('state')} ORDER BY {log.position}", (MENTION,))
    for position, payload in mentions:
        for sha in referenced_attachments(bytes(payload)):
            if sha not in stored:
                raise LogAltered(position=position, kind="attachment_missing", detail=sha)


def referenced_attachments(payload: bytes) -> list[str]:
    """The SHA-256 of every file an event's payload refers to (the chain vouches for it)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return []
    files = data.get("attachments") if isinstance(data, dict) else None
    return [str(f["sha256"]) for f in files or [] if isinstance(f, dict) and "sha256" in f]


def _first_reference(log: RawLog, sha: str) -> int:
    return int(log.value(f"SELECT MIN({log.position}) FROM {log.events} WHERE "
                         f"{log.contains('state')}", (sha.encode("ascii"),)) or 0)


def make_checkpoint(path: Source, key: SecretKey | Callable[[], SecretKey],
                    now: datetime, origin: str = WHOLE_LOG) -> Checkpoint:
    """A signed checkpoint of the head of the chain `origin` (the whole log's, or one
    commune's), after checking the whole database. `key` may be a function, called only
    once the log is found intact (it may create a key file, which a refused command must
    not leave behind)."""
    walked = verify_database(path)
    return sign_head(walked, key() if callable(key) else key, now, origin=origin)


def sign_head(walked: Verified, key: SecretKey, now: datetime,
              manifest_sha256: str | None = None, origin: str = WHOLE_LOG) -> Checkpoint:
    """checkpoint/2 of the head of the whole log, or of the commune `origin`'s chain
    (`manifest_sha256`: in a bundle)."""
    position, head, events = walked.head, walked.head_hash, walked.events
    if origin != WHOLE_LOG:
        own = walked.origin(origin)
        assert own is not None, origin  # the caller found the commune in the log
        position, head, events = own.events, own.head_hash, own.events
    return Checkpoint(position=position, hash=head, events=events,
                      created_at=now.isoformat(timespec="seconds"), key_id="",
                      origin=origin, manifest_sha256=manifest_sha256).signed(key)
