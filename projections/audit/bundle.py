"""A campaign's record as a zip a reviewer can verify on another machine.

Contents (format 3, `kiemtra-audit-bundle/3`: the chain of the campaign's commune alone;
format 2 held the whole log's chain, for a database without chains per commune):
  checkpoint.json the signed statement: a checkpoint/2 of the head of the commune's
                  chain (`origin`: the commune, `position`: its number in that chain) at
                  export, whose `manifest_sha256` is the SHA-256 of manifest.json;
  checkpoint.json.minisig  its minisign signature (`minisign -Vm checkpoint.json`);
  manifest.json   campaign, export time, where the campaign's part of the chain
                  starts (position and the hash before it), the documents issued, and
                  `entries`: every other entry's name, SHA-256 and size;
  events.jsonl    every event of the campaign's streams, as stored (payload text
                  byte for byte), with its position and chain hash;
  chain.jsonl     every link from the campaign's first event to the head: position,
                  stream, version, topic, payload SHA-256 and hash — the commune's other
                  campaigns' events appear only so, by digest, never by content, and
                  other communes' not at all (format 2: every campaign's, by digest);
A `position` in format 3 is the event's number in the commune's chain, which starts
from the commune's own name (`domain/chain.py`), so a bundle cannot be passed off as
another commune's, and tells nothing of how many events other communes recorded.
  attachments/    the files the events refer to, named by SHA-256.
  index.html      the review page (`review_page`): the record in Vietnamese, for a
                  browser or the printer, made from the entries above; listed in the
                  manifest like them (bundles made before it have none).
Format 1 (release 0.1) had no checkpoint.json: its manifest held a checkpoint/1 (HMAC)
and listed the attachments by name only.

`verify_bundle` reads the zip strictly (`bundle_zip`: no entry twice, none badly named,
none outside the manifest, none beyond its bounds, each against its listed digest);
checks the signature, then recomputes every link from the start hash to the signed head,
taking the campaign's events from events.jsonl; then it proves completeness: each of
the campaign's streams (found from the plan inside the bundle) starts at version 1 and
has no gap, no link left out of events.jsonl belongs to them, and each attachment is one
an event refers to.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from kiemtra.domain.chain import GENESIS, canonical_bytes, origin_genesis
from kiemtra.domain.errors import UnknownCampaign
from kiemtra.domain.ids import campaign_id, inspection_id
from kiemtra.domain.topics import of_events
from kiemtra.projections.audit.bundle_zip import PAGE, Listed, StrictZip
from kiemtra.projections.audit.checkpoint import (
    SIGNED_FORMAT,
    WHOLE_LOG,
    Checkpoint,
    Keys,
    checkpoint_text,
    read_checkpoint,
)
from kiemtra.projections.audit.errors import BundleAltered, InvalidCheckpoint, LogAltered
from kiemtra.projections.audit.minisign import PublicKey, SecretKey
from kiemtra.projections.audit.verify import (
    CHAIN,
    ORIGIN_CHAIN,
    STREAM_ORIGIN,
    UNREADABLE,
    ChainWalk,
    Entry,
    Source,
    check_checkpoint,
    check_signature,
    fingerprint_checked,
    opened,
    referenced_attachments,
    sign_head,
    signer_words,
    verify_database,
    walk,
)
from kiemtra.projections.flat_json import flat_decode
from kiemtra.projections.progress import EVERY, finished, report
from kiemtra.workflow import RawLog, attachment_pieces, replacing

BUNDLE_FORMAT = "kiemtra-audit-bundle/3"
SINGLE_CHAIN_FORMAT = "kiemtra-audit-bundle/2"
HMAC_BUNDLE_FORMAT = "kiemtra-audit-bundle/1"
SIGNED = ("checkpoint.json", "checkpoint.json.minisig")
"""The entries of format 2 that manifest.json cannot list: they sign it."""


@dataclass(frozen=True)
class Exported:
    campaign: str
    events: int
    links: int
    attachments: int
    checkpoint: Checkpoint
    file: str = ""
    new_key: PublicKey | None = None  # the key pair was created for this export

    def to_json(self) -> dict[str, object]:
        return {"campaign": self.campaign, "events": self.events, "links": self.links,
                "attachments": self.attachments, "file": self.file,
                "checkpoint": self.checkpoint.to_json()}

    def text(self, lang: str) -> str:
        if lang == "vi":
            return (f"Đã xuất {self.events} sự kiện, {self.attachments} tệp đính kèm và "
                    f"{self.links} mắt xích chuỗi băm của kế hoạch {self.campaign} ra "
                    f"{self.file}. Kiểm tra trên máy khác: kiemtra audit verify --bundle "
                    f"{self.file}")
        return (f"Exported {self.events} events, {self.attachments} attachments and "
                f"{self.links} chain links of campaign {self.campaign} to {self.file}. Check "
                f"it elsewhere with: kiemtra audit verify --bundle {self.file}")


def export_bundle(db: Source, code: str, out: Path, key: SecretKey | Callable[[], SecretKey],
                  now: datetime) -> Exported:
    """Write the campaign's bundle to `out`, after checking the whole database (`key`
    as for `make_checkpoint`: a function is called only when there is a bundle to sign)."""
    from kiemtra.projections.audit.review_page import review_page  # Jinja2: export only

    with opened(db) as log:
        walked = verify_database(log)
        origin = campaign_origin(log, code) if walked.origins else WHOLE_LOG
        plan, start, after, start_hash = _campaign_start(log, code, origin)
        own = walked.origin(origin)
        head, head_hash = (own.events, own.head_hash) if own else (walked.head,
                                                                    walked.head_hash)
        signer = key() if callable(key) else key
        with replacing(out, force=True) as handle, zipfile.ZipFile(
                handle, "w", compression=zipfile.ZIP_DEFLATED) as z:  # checked by the caller
            entries: dict[str, dict[str, Any]] = {}
            campaign_events, links, files, documents = _write_log(
                z, log, start, head, campaign_streams(str(plan["code"]), plan), entries,
                origin)
            events = len(campaign_events)
            with _Entry(z, PAGE, entries) as page:  # made from the bundle's own data alone
                page.write(review_page(campaign_events, documents,
                                       now.isoformat(timespec="seconds"), head, head_hash,
                                       signer.public.fingerprint))
            manifest = json.dumps({
                "format": BUNDLE_FORMAT if origin != WHOLE_LOG else SINGLE_CHAIN_FORMAT,
                "campaign": plan["code"],
                **({"origin": origin} if origin != WHOLE_LOG else {}),
                "exported_at": now.isoformat(timespec="seconds"),
                "start": {"after_position": after, "hash": start_hash.hex()},
                "events": events, "links": links, "attachments": files,
                "documents": documents, "entries": dict(sorted(entries.items())),
            }, ensure_ascii=False, indent=2).encode("utf-8")
            z.writestr("manifest.json", manifest)
            checkpoint = sign_head(walked, signer, now, hashlib.sha256(manifest).hexdigest(),
                                   origin)
            text = checkpoint_text(checkpoint).encode("utf-8")
            z.writestr("checkpoint.json", text)
            z.writestr("checkpoint.json.minisig",
                       signer.minisig(text, checkpoint.trusted_comment()))
    return Exported(str(plan["code"]), events, links, len(files), checkpoint, str(out))


def campaign_origin(log: RawLog, code: str) -> str:
    """The commune whose chain holds the campaign `code` (UnknownCampaign if none does)."""
    row = log.one(f"SELECT origin FROM {STREAM_ORIGIN} WHERE originator_id = ?",
                  (log.stream_key(campaign_id(code.strip())),)) if log.has_table(
        STREAM_ORIGIN) else None
    if row is None:
        raise UnknownCampaign(code=code)
    return str(row[0])


def _campaign_start(log: RawLog, code: str, origin: str = WHOLE_LOG
                    ) -> tuple[dict[str, Any], int, int, bytes]:
    """The campaign's plan, the place of its first event in the chain `origin` (the
    whole log's, or its commune's), and the link before it."""
    row = log.one(f"SELECT {log.position}, state FROM {log.events} WHERE originator_id = ? "
                  "AND originator_version = 1", (log.stream_key(campaign_id(code.strip())),))
    if row is None:
        raise UnknownCampaign(code=code)
    plan = json.loads(row[1])["plan"]
    if origin != WHOLE_LOG:
        start = int(log.value(f"SELECT seq FROM {ORIGIN_CHAIN} WHERE position = ?",
                              (int(row[0]),)))
        before = log.one(f"SELECT seq, hash FROM {ORIGIN_CHAIN} WHERE origin = ? AND "
                         "seq = ?", (origin, start - 1))
        genesis = origin_genesis(origin)
    else:
        start = int(row[0])
        before = log.one(f"SELECT position, hash FROM {CHAIN} WHERE position < ? "
                         "ORDER BY position DESC LIMIT 1", (start,))
        genesis = GENESIS
    after, start_hash = (int(before[0]), bytes(before[1])) if before else (0, genesis)
    return plan, start, after, start_hash


class _Entry:
    """An entry being written, hashed and counted as it is, for the manifest."""

    def __init__(self, z: zipfile.ZipFile, name: str, entries: dict[str, dict[str, Any]]
                 ) -> None:
        self.handle = z.open(name, "w", force_zip64=True)
        self.name, self.entries = name, entries
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.handle.write(data)

    def __enter__(self) -> _Entry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()
        self.entries[self.name] = {"sha256": self.digest.hexdigest(), "size": self.size}


def _write_log(z: zipfile.ZipFile, log: RawLog, start: int, head: int,
               streams: set[UUID], entries: dict[str, dict[str, Any]],
               origin: str = WHOLE_LOG
               ) -> tuple[dict[int, dict[str, Any]], int, list[str], list[dict[str, Any]]]:
    """chain.jsonl (streamed), events.jsonl and attachments/, each listed in `entries`;
    the campaign's events by position, the count of links, the files and the documents
    issued. A `position` there is the place in the chain the bundle holds: the commune's
    number (format 3), the log's position (format 2)."""
    event_lines = []  # one campaign's events: few
    campaign_events: dict[int, dict[str, Any]] = {}
    wanted: set[str] = set()
    links = 0
    with _Entry(z, "chain.jsonl", entries) as chain:
        rows = log.rows(
            f"SELECT e.{log.position}, e.originator_id, e.originator_version, e.topic, "
            f"e.state, c.hash FROM {log.events} e JOIN {CHAIN} c ON c.position = "
            f"e.{log.position} WHERE e.{log.position} BETWEEN ? AND ? "
            f"ORDER BY e.{log.position}", (start, head)) if origin == WHOLE_LOG else log.rows(
            f"SELECT c.seq, e.originator_id, e.originator_version, e.topic, e.state, c.hash "
            f"FROM {ORIGIN_CHAIN} c JOIN {log.events} e ON e.{log.position} = c.position "
            "WHERE c.origin = ? AND c.seq BETWEEN ? AND ? ORDER BY c.seq", (origin, start, head))
        for position, stored_id, version, topic, stored_payload, link in rows:
            oid, payload = log.stream(stored_id), bytes(stored_payload)
            if not position % EVERY:
                report("export", position, head)
            stored = {"position": position, "originator_id": oid,
                      "originator_version": version, "topic": topic}
            chain.write(_line({**stored, "payload_sha256": hashlib.sha256(payload).hexdigest(),
                               "hash": link.hex()}))
            links += 1
            if UUID(oid) in streams:
                grow(streams, topic, payload)
                line = {**stored, "state": payload.decode("utf-8"), "hash": link.hex()}
                event_lines.append(_line(line))
                campaign_events[position] = line
                wanted.update(referenced_attachments(payload))
    finished("export")
    with _Entry(z, "events.jsonl", entries) as written:
        written.write(b"".join(event_lines))
    for sha in sorted(wanted):
        with _Entry(z, f"attachments/{sha}", entries) as entry:
            for piece in attachment_pieces(log, sha):
                entry.write(piece)
    return campaign_events, links, sorted(wanted), issued_documents(campaign_events)


def issued_documents(events: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The campaign's issued documents, as its `DocumentIssued` events record them: what a
    reviewer looks for first, listed in the manifest and checked against the events."""
    topics = set(of_events("DocumentIssued"))
    found = []
    for position in sorted(events):
        event = events[position]
        if event["topic"] not in topics:
            continue
        data = flat_decode(str(event["state"]).encode("utf-8"))
        file = data["attachments"][0]
        found.append({"position": position, "symbol": data["symbol"], "kind": data["kind"],
                      "unit": data["unit"], "issued_on": data["effective_date"],
                      "replaces": data["replaces"], "name": file["name"],
                      "sha256": file["sha256"]})
    return found


def _line(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")


def campaign_streams(code: str, plan: dict[str, Any]) -> set[UUID]:
    """The streams of a campaign as imported; `grow` adds the units of its amendments."""
    return {campaign_id(code)} | {inspection_id(code, str(u["code"])) for u in plan["units"]}


AMENDED = frozenset(of_events("PlanAmended"))


def grow(streams: set[UUID], topic: str, payload: bytes) -> None:
    """An amendment of the campaign's plan (an event of a stream in `streams`): the units
    it adds belong to the campaign from then on, in the log and in its bundle."""
    if topic in AMENDED:
        data = json.loads(payload)
        streams.update(inspection_id(str(data["code"]), str(code)) for code in data["added"])


@dataclass(frozen=True)
class BundleVerified:
    campaign: str
    events: int
    links: int
    attachments: int
    head: int
    signature_checked: bool
    signed_by: str | None = None  # the public key's fingerprint (format 2)
    origin: str = WHOLE_LOG  # the commune whose chain the bundle holds (format 3)

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "ok": True, "campaign": self.campaign, "events": self.events, "links": self.links,
            "attachments": self.attachments, "head": self.head,
            "signature_checked": self.signature_checked}
        if self.signed_by is not None:  # only then: the keys of release 0.1's output stay
            found["public_key_fingerprint"] = self.signed_by
        if self.origin != WHOLE_LOG:  # the same: a bundle of one commune's chain
            found["origin"] = self.origin
        return found

    def text(self, lang: str) -> str:
        vi = lang == "vi"
        chain = "" if self.origin == WHOLE_LOG else (
            f" (chuỗi riêng của {self.origin})" if vi else f" ({self.origin}'s own chain)")
        counts = (f"kế hoạch {self.campaign}, {self.events} sự kiện, {self.links} mắt xích "
                  f"chuỗi băm{chain} đến vị trí {self.head}, {self.attachments} tệp đính kèm"
                  if vi else f"campaign {self.campaign}, {self.events} events, {self.links} "
                  f"chain links{chain} up to position {self.head}, {self.attachments} "
                  "attachments")
        if self.signed_by is not None:
            return (f"Gói xuất nguyên vẹn và đầy đủ: {counts}." if vi else
                    f"The bundle is complete and unaltered: {counts}."
                    ) + signer_words(self.signed_by, lang)
        if self.signature_checked:
            return (f"Gói xuất nguyên vẹn và đầy đủ, chữ ký hợp lệ: {counts}." if vi else
                    f"The bundle is complete and unaltered, its signature valid: {counts}.")
        return (f"Gói xuất nhất quán bên trong: {counts}. CHƯA kiểm tra chữ ký "
                "(--no-signature): chưa chứng minh được gói không bị dựng lại." if vi else
                f"The bundle is consistent in itself: {counts}. The signature was NOT checked "
                "(--no-signature): nothing proves it was not rebuilt.")


KeysFor = Callable[[Checkpoint], Keys | None]
"""The keys to check a bundle's signature with, chosen once its checkpoint is read (its
format says which kind); None: the signature is not checked."""


@dataclass(frozen=True)
class Opened:
    """A bundle's manifest and signed checkpoint, read, not yet trusted."""

    manifest: dict[str, Any]
    signed: Checkpoint
    manifest_bytes: bytes = b""
    listed: dict[str, Listed] | None = None  # format 2: every other entry, with its digest
    signed_bytes: bytes = b""
    minisig: str = ""
    attachments: frozenset[str] = frozenset()  # format 1: the attachments it lists


    def entry(self, name: str) -> Listed | None:
        return None if self.listed is None else self.listed[name]

    def names(self) -> set[str]:
        """The entries the zip must hold, no more, no fewer."""
        held = {"manifest.json", "events.jsonl", "chain.jsonl"}
        if self.listed is not None:
            return {*held, *SIGNED, *self.listed}
        return {*held, *(f"attachments/{sha}" for sha in self.attachments)}


def verify_bundle(path: Path, keys: Keys | KeysFor | None,
                  checkpoints: list[tuple[str, Checkpoint]] | None = None) -> BundleVerified:
    """LogAltered at the first fault of the record, BundleAltered at the first of the zip;
    InvalidCheckpoint if `path` is no bundle at all."""
    checkpoints = checkpoints or []
    with StrictZip(path) as z:
        opened = _opened(z, path)
        signed = opened.signed
        chosen = keys(signed) if callable(keys) else keys
        if chosen is not None:
            check_signature((f"điểm kiểm tra của gói ({signed.created_at})",
                             f"the bundle's checkpoint ({signed.created_at})"), signed, chosen)
            _check_minisig(opened, chosen)
        if opened.listed is not None and (hashlib.sha256(opened.manifest_bytes).hexdigest()
                                          != signed.manifest_sha256):
            raise BundleAltered(kind="manifest", entry="manifest.json")
        z.expect(opened.names())
        for needed in ("events.jsonl", "chain.jsonl"):
            if opened.listed is not None and needed not in opened.listed:
                raise BundleAltered(kind="unlisted", entry=needed)
        if opened.listed is not None and PAGE in opened.listed:  # bundles made since 0.2
            z.digest(PAGE, opened.entry(PAGE))  # the review page is the one signed
        after = int(opened.manifest["start"]["after_position"])
        start_hash = bytes.fromhex(opened.manifest["start"]["hash"])
        origin = str(opened.manifest.get("origin", WHOLE_LOG))
        if after == 0 and start_hash != (GENESIS if origin == WHOLE_LOG
                                         else origin_genesis(origin)):
            raise LogAltered(position=1, kind="changed")  # a chain that starts elsewhere
        events = _events(z, opened)
        plan, streams = _plan(events, after)
        for name, checkpoint in checkpoints:
            if checkpoint.position < after:
                raise InvalidCheckpoint(path=name, reason=(
                    f"điểm kiểm tra ở vị trí {checkpoint.position}, trước phần chuỗi băm mà "
                    f"gói chứa (từ vị trí {after + 1})", f"it is at position "
                    f"{checkpoint.position}, before the part of the chain the bundle holds "
                    f"(from position {after + 1})"))
        wanted = frozenset(cp.position for _, cp in checkpoints)
        walked = walk(_bundle_entries(_links(z, opened), events, streams), previous=start_hash,
                      after=after, wanted=wanted | {signed.position},
                      total=after + int(opened.manifest.get("links") or 0) or None)
        walked.at[after] = start_hash
        check_checkpoint("checkpoint.json" if opened.listed is not None else "manifest.json",
                         signed, walked, None, walked_origin=origin)
        if walked.head != signed.position:
            raise LogAltered(position=signed.position, kind="incomplete", detail=(
                f"chuỗi băm của gói dừng ở vị trí {walked.head}, điểm kiểm tra ở vị trí "
                f"{signed.position}", f"the chain ends at {walked.head}, the checkpoint at "
                f"{signed.position}"))
        for name, checkpoint in checkpoints:
            check_checkpoint(name, checkpoint, walked, chosen, walked_origin=origin)
        _check_versions(events, streams)
        files = _attachments(z, opened, events)
    _check_files(events, files)
    if "documents" in opened.manifest:  # bundles from before documents were issued have none
        _check_documents(opened.manifest["documents"], events)
    return BundleVerified(str(plan["code"]), len(events), walked.events, len(files),
                          walked.head, chosen is not None,
                          fingerprint_checked([signed, *(c for _, c in checkpoints)], chosen),
                          origin)


def _opened(z: StrictZip, path: Path) -> Opened:
    """The manifest and the signed checkpoint; InvalidCheckpoint if they are not those of a
    bundle of a known format."""
    try:
        manifest_bytes = z.read("manifest.json")
        manifest = json.loads(manifest_bytes)
        if not isinstance(manifest, dict):
            msg = "manifest.json is not a JSON object"
            raise ValueError(msg)
        int(manifest["start"]["after_position"])
        bytes.fromhex(manifest["start"]["hash"])
        int(manifest.get("links") or 0)
        if manifest.get("format") == HMAC_BUNDLE_FORMAT:
            signed = Checkpoint.from_json(manifest["checkpoint"])
            if signed.ed25519:
                msg = "a bundle of format 1 holds a checkpoint of format 1"
                raise ValueError(msg)
            return Opened(manifest, signed, attachments=frozenset(
                str(sha) for sha in manifest.get("attachments") or []))
        if manifest.get("format") not in (BUNDLE_FORMAT, SINGLE_CHAIN_FORMAT):
            msg = f"not a {BUNDLE_FORMAT} file"
            raise ValueError(msg)
        if manifest.get("format") == BUNDLE_FORMAT and not isinstance(
                manifest.get("origin"), str):
            msg = "manifest.json names no commune (origin)"
            raise ValueError(msg)
        signed_bytes = z.read("checkpoint.json")
        signed = read_checkpoint(signed_bytes.decode("utf-8"))
        if signed.format != SIGNED_FORMAT or signed.manifest_sha256 is None:
            msg = "checkpoint.json is not the checkpoint of a bundle"
            raise ValueError(msg)
        listed = {str(name): Listed(str(entry["sha256"]), int(entry["size"]))
                  for name, entry in manifest["entries"].items()}
        minisig = z.read("checkpoint.json.minisig").decode("utf-8")
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidCheckpoint(path=str(path), reason=(f"không đọc được ({exc})",
                                                        f"unreadable ({exc})")) from None
    return Opened(manifest, signed, manifest_bytes, listed, signed_bytes, minisig)


def _check_minisig(opened: Opened, keys: Keys) -> None:
    """Format 2: checkpoint.json.minisig, for minisign, says what checkpoint.json says."""
    if opened.listed is None or keys.public is None:
        return
    try:
        valid = keys.public.minisig_valid(opened.minisig, opened.signed_bytes)
    except ValueError:
        valid = False
    if not valid:
        raise BundleAltered(kind="minisig", entry=SIGNED[1])


def _events(z: StrictZip, opened: Opened) -> dict[int, dict[str, Any]]:
    """events.jsonl by position (one campaign's events: bounded, read whole)."""
    events: dict[int, dict[str, Any]] = {}
    data = z.read("events.jsonl", opened.entry("events.jsonl"))
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
            position = int(event["position"])
        except (KeyError, TypeError, ValueError):
            raise BundleAltered(kind="damaged", entry="events.jsonl", detail=(
                f"dòng {number} không phải một sự kiện", f"line {number} is not an event"
            )) from None
        if position in events:
            raise BundleAltered(kind="damaged", entry="events.jsonl", detail=(
                f"hai sự kiện ở vị trí {position}", f"two events at position {position}"))
        events[position] = event
    return events


def _plan(events: dict[int, dict[str, Any]], after: int) -> tuple[dict[str, Any], set[UUID]]:
    """The campaign's plan, its first event, and the streams it names."""
    plan_event = events.get(after + 1)
    if plan_event is None or plan_event.get("originator_version") != 1:
        raise LogAltered(position=after + 1, kind="incomplete", detail=(
            "sự kiện đầu tiên của gói không phải kế hoạch",
            "the bundle's first event is not the campaign's plan"))
    try:
        plan = json.loads(plan_event["state"])["plan"]
        return plan, campaign_streams(str(plan["code"]), plan)
    except (KeyError, TypeError, ValueError):
        raise LogAltered(position=after + 1, kind="unreadable") from None


def _links(z: StrictZip, opened: Opened) -> Iterator[dict[str, Any]]:
    """chain.jsonl, a line at a time (it holds every link to the head: it may be large)."""
    for number, line in enumerate(z.lines("chain.jsonl", opened.entry("chain.jsonl")), 1):
        if not line.strip():
            continue
        try:
            link = json.loads(line)
            int(link["position"])
        except (KeyError, TypeError, ValueError):
            raise BundleAltered(kind="damaged", entry="chain.jsonl", detail=(
                f"dòng {number} không phải một mắt xích", f"line {number} is not a link"
            )) from None
        yield link


def _attachments(z: StrictZip, opened: Opened, events: dict[int, dict[str, Any]]
                 ) -> dict[str, str]:
    """Each attachment's name → the SHA-256 of its bytes; only files an event refers to
    are read (the events are proven by now: the chain reached the signed head)."""
    referred = {sha for event in events.values()
                for sha in referenced_attachments(str(event["state"]).encode("utf-8"))}
    files = {}
    for name in sorted(z.names()):
        if not name.startswith("attachments/"):
            continue
        sha = name.removeprefix("attachments/")
        if sha not in referred:
            raise BundleAltered(kind="unreferenced", entry=name)
        files[sha] = z.digest(name, opened.entry(name))
    return files


def _bundle_entries(links: Iterator[dict[str, Any]], events: dict[int, dict[str, Any]],
                    streams: set[UUID]) -> Iterator[Entry]:
    """Links in order: the campaign's from their full event, others from their digest."""
    seen = set()
    for ln in links:
        position = int(ln["position"])
        event = events.get(position)
        try:
            stored: bytes | None = bytes.fromhex(str(ln["hash"]))
            if event is not None:
                seen.add(position)
                grow(streams, str(event["topic"]), str(event["state"]).encode())
                canonical = canonical_bytes(
                    str(event["originator_id"]), int(event["originator_version"]),
                    str(event["topic"]), hashlib.sha256(str(event["state"]).encode()).digest())
            else:
                if UUID(str(ln["originator_id"])) in streams:
                    raise LogAltered(position=position, kind="incomplete", detail=(
                        "sự kiện này của kế hoạch không có trong events.jsonl",
                        "this event of the campaign is missing from events.jsonl"))
                canonical = canonical_bytes(
                    str(ln["originator_id"]), int(ln["originator_version"]), str(ln["topic"]),
                    bytes.fromhex(str(ln["payload_sha256"])))
        except (KeyError, TypeError, ValueError):
            canonical, stored = UNREADABLE, b""
        yield position, canonical, stored
    for position in sorted(set(events) - seen):
        yield position, None, None  # an event with no link: added to the bundle


def _check_versions(events: dict[int, dict[str, Any]], streams: set[UUID]) -> None:
    """Each stream of the campaign runs 1, 2, 3… in position order, from version 1."""
    last: dict[UUID, int] = {s: 0 for s in streams}
    for position in sorted(events):
        event = events[position]
        stream = UUID(str(event["originator_id"]))
        if stream not in last:
            raise LogAltered(position=position, kind="foreign")
        version = event["originator_version"]
        if version != last[stream] + 1:
            raise LogAltered(position=position, kind="incomplete", detail=(
                f"phiên bản {version} đứng sau phiên bản {last[stream]} của cùng cuộc kiểm tra",
                f"version {version} follows version {last[stream]} of its stream"))
        last[stream] += 1
    missing = [s for s, v in last.items() if v == 0]
    if missing:
        raise LogAltered(position=min(events), kind="incomplete", detail=(
            f"{len(missing)} cuộc kiểm tra của kế hoạch không có sự kiện nào",
            f"{len(missing)} stream(s) of the plan have no events"))


def _check_files(events: dict[int, dict[str, Any]], files: dict[str, str]) -> None:
    """`files`: each attachment's name in the bundle → the SHA-256 of its bytes."""
    for sha, content in files.items():
        if content != sha:
            position = min((p for p, e in events.items() if sha in e["state"]), default=0)
            raise LogAltered(position=position, kind="attachment", detail=sha)
    for position in sorted(events):
        for sha in referenced_attachments(str(events[position]["state"]).encode("utf-8")):
            if sha not in files:
                raise LogAltered(position=position, kind="attachment_missing", detail=sha)


def _check_documents(listed: Any, events: dict[int, dict[str, Any]]) -> None:
    try:
        recorded = issued_documents(events)
    except (KeyError, TypeError, ValueError, IndexError):
        raise LogAltered(position=min(events), kind="unreadable") from None
    if listed != recorded:
        where = next((d["position"] for d in recorded if d not in listed),
                     recorded[-1]["position"] if recorded else min(events))
        raise LogAltered(position=where, kind="documents",
                         detail=(f"{len(listed) if isinstance(listed, list) else '?'} trong "
                                 f"manifest, {len(recorded)} trong sự kiện",
                                 f"{len(listed) if isinstance(listed, list) else '?'} listed, "
                                 f"{len(recorded)} recorded"))


__all__ = ["BundleVerified", "ChainWalk", "Exported", "export_bundle", "verify_bundle"]
