"""What a reviewer's command asks of the audit trail, with the decisions it needs.

Each function is one command: which database file is audited (SQLite only, for now),
which key signs or checks, and what a missing key means — so that the CLI only parses
and prints. The log is only read: opening it through the event store would create
missing tables, and a removed chain must be reported, not rebuilt.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from kiemtra.projections.audit.bundle import BundleVerified, Exported, export_bundle, verify_bundle
from kiemtra.projections.audit.checkpoint import Checkpoint, read_checkpoint
from kiemtra.projections.audit.errors import (
    AmbiguousAttachment,
    BundleKeyRequired,
    InvalidAttachmentName,
    InvalidCheckpoint,
    LogAltered,
    NoAuditKey,
    UnknownAttachment,
)
from kiemtra.projections.audit.keys import audit_key
from kiemtra.projections.audit.verify import Verified, make_checkpoint, verify_database
from kiemtra.workflow import (
    Database,
    StorageUnavailable,
    attachment_codes,
    read_attachment,
    read_text_file,
)

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
SHA256_PREFIX = re.compile(r"^[0-9a-f]{8,63}$")  # what a person copies from a table


def audited_file(database: Database) -> str:
    """The SQLite file to audit, as the URI that opens it read-only (immutable on a
    read-only disk): the audit only reads."""
    if database.is_postgres:
        raise StorageUnavailable(db=database.label(), reason=(
            "kiểm tra chuỗi băm của nhật ký chưa hỗ trợ PostgreSQL",
            "the audit chain is not yet supported on PostgreSQL"))
    if not database.exists():
        raise StorageUnavailable(db=database.label(), reason=("tệp không tồn tại",
                                                              "no such file"))
    return database.found().read_uri


def read_checkpoints(paths: Sequence[str]) -> list[tuple[str, Checkpoint]]:
    found = []
    for path in paths:
        try:
            found.append((path, read_checkpoint(read_text_file(path))))
        except ValueError as exc:
            raise InvalidCheckpoint(path=path, reason=exc) from None
    return found


def verify_record(database: Database, checkpoint_files: Sequence[str] = ()) -> Verified:
    """`audit verify`: the whole database, and the checkpoints given (their signatures
    need the key; without checkpoints no key is needed)."""
    checkpoints = read_checkpoints(checkpoint_files)
    return verify_database(audited_file(database), checkpoints,
                           audit_key() if checkpoints else None)


def verify_bundle_file(path: str, checkpoint_files: Sequence[str] = (),
                       unsigned: bool = False) -> BundleVerified:
    """`audit verify --bundle`: needs the signing key, unless the reviewer settles for the
    bundle's inner consistency (`unsigned`, and no checkpoint of their own to check)."""
    checkpoints = read_checkpoints(checkpoint_files)
    try:
        key: bytes | None = audit_key()
    except NoAuditKey:
        if checkpoints or not unsigned:
            raise BundleKeyRequired() from None
        key = None
    return verify_bundle(Path(path), key, checkpoints)


def take_checkpoint(database: Database, now: datetime) -> Checkpoint:
    """`audit checkpoint`: the log is checked first; the key (created on first use) is
    asked for only once the log is found intact."""
    return make_checkpoint(audited_file(database), lambda: audit_key(create=True), now)


def export(database: Database, code: str, out: str, now: datetime,
           force: bool = False) -> Exported:
    """`audit export`: the campaign's bundle, signed like a checkpoint, at `out` (a file
    already there is kept unless `force`: the bundle is renamed into place when whole)."""
    from kiemtra.workflow import OutputExists, UnwritableFile

    target = Path(out)
    if target.is_dir():
        raise UnwritableFile(path=out, reason=("đó là một thư mục", "it is a folder"))
    if target.exists() and not force:
        raise OutputExists(path=out)
    done = export_bundle(audited_file(database), code, target,
                         lambda: audit_key(create=True), now)
    return replace(done, file=out)  # as the user named it


@dataclass(frozen=True)
class StoredAttachment:
    """An attachment whose stored bytes hash to its name; `pieces()` reads them again."""

    sha256: str
    size: int
    pieces: Callable[[], Iterator[bytes]]


def attachment(database: Database, sha256: str) -> StoredAttachment:
    """A stored attachment, only if its bytes still hash to the name they were stored
    under (else the record was altered, and the first event naming it is reported).
    Read twice, a piece at a time: once to check, once to hand over."""
    wanted = sha256.strip().lower()
    if SHA256_PREFIX.match(wanted) and database.exists():  # a unique prefix will do
        found = attachment_codes(database, wanted)
        if len(found) > 1:
            raise AmbiguousAttachment(prefix=wanted, codes=", ".join(c[:16] + "…" for c in found))
        wanted = found[0] if found else wanted
    if not SHA256_HEX.match(wanted):
        raise InvalidAttachmentName(value=sha256)
    content = read_attachment(database, wanted) if database.exists() else None
    if content is None:
        raise UnknownAttachment(sha256=wanted)
    size = sum(len(piece) for piece in _checked(database, wanted, content))

    def again() -> Iterator[bytes]:  # checked again as it is handed over
        return _checked(database, wanted, read_attachment(database, wanted) or iter(()))

    return StoredAttachment(wanted, size, again)


def _checked(database: Database, wanted: str, content: Iterator[bytes]) -> Iterator[bytes]:
    """The pieces, then LogAltered if together they do not hash to `wanted`."""
    digest = hashlib.sha256()
    for piece in content:
        digest.update(piece)
        yield piece
    if digest.hexdigest() != wanted:
        conn = sqlite3.connect(database.found().read_uri, uri=True)
        try:
            position = conn.execute("SELECT MIN(rowid) FROM stored_events WHERE "
                                    "instr(state, ?) > 0", (wanted.encode("ascii"),)
                                    ).fetchone()[0] or 0
        finally:
            conn.close()
        raise LogAltered(position=position, kind="attachment", detail=wanted)
