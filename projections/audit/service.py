"""What a reviewer's command asks of the audit trail, with the decisions it needs.

Each function is one command: which database is audited (a SQLite file or PostgreSQL),
which key signs or checks, and what a missing key means — so that the CLI only parses
and prints. The log is only read: opening it through the event store would create
missing tables, and a removed chain must be reported, not rebuilt.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from kiemtra.projections.audit.bundle import BundleVerified, Exported, export_bundle, verify_bundle
from kiemtra.projections.audit.checkpoint import (
    SIGNATURE_SUFFIX,
    WHOLE_LOG,
    Checkpoint,
    Keys,
    checkpoint_text,
    read_checkpoint,
)
from kiemtra.projections.audit.errors import (
    AmbiguousAttachment,
    BundleKeyRequired,
    InvalidAttachmentName,
    InvalidCheckpoint,
    LogAltered,
    NoAuditKey,
    PublicKeyRequired,
    SignatureInvalid,
    UnknownAttachment,
)
from kiemtra.projections.audit.keys import (
    audit_key,
    local_public_key,
    public_key_file,
    signing_key,
    signing_key_path,
)
from kiemtra.projections.audit.minisign import PublicKey, SecretKey, grouped
from kiemtra.projections.audit.verify import (
    Verified,
    checkpoint_label,
    make_checkpoint,
    verify_database,
)
from kiemtra.workflow import (
    Database,
    StorageUnavailable,
    attachment_codes,
    first_event_naming,
    raw_log,
    read_attachment,
    read_text_file,
)

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
SHA256_PREFIX = re.compile(r"^[0-9a-f]{8,63}$")  # what a person copies from a table


def audited_file(database: Database) -> Database:
    """The database to audit, read in one snapshot and never written (a SQLite file on a
    read-only disk is opened immutable): a SQLite file must be there."""
    if not database.is_postgres and not database.exists():
        raise StorageUnavailable(db=database.label(), reason=("tệp không tồn tại",
                                                              "no such file"))
    return database


def origin_of_campaign(database: Database, code: str) -> str:
    """The commune (origin) whose chain holds the campaign `code`; UnknownCampaign if the
    log has no such campaign, or (a database from before the chains per commune, not
    written since) no chain of its commune yet."""
    from kiemtra.projections.audit.bundle import campaign_origin
    from kiemtra.projections.audit.errors import NoCommuneChains
    from kiemtra.projections.audit.verify import STREAM_ORIGIN

    with raw_log(audited_file(database)) as log:
        if log.has_table(log.events) and not log.has_table(STREAM_ORIGIN):
            raise NoCommuneChains(db=database.label())
        return campaign_origin(log, code)


def read_checkpoints(paths: Sequence[str]) -> list[tuple[str, Checkpoint]]:
    found = []
    for path in paths:
        try:
            found.append((path, read_checkpoint(read_text_file(path))))
        except ValueError as exc:
            raise InvalidCheckpoint(path=path, reason=exc) from None
    return found


def verifying_keys(checkpoints: Sequence[tuple[str, Checkpoint]],
                   public_key: str | None = None) -> Keys:
    """The keys the checkpoints' signatures need, and only those: the shared secret for
    checkpoint/1 (NoAuditKey without one); for checkpoint/2 the public key in the file
    `public_key`, else this machine's own (PublicKeyRequired if it has none)."""
    secret = audit_key() if any(not c.ed25519 for _, c in checkpoints) else None
    signed = [(name, c) for name, c in checkpoints if c.ed25519]
    if not signed:
        return Keys(secret=secret)
    if public_key is not None:
        return Keys(secret, public_key_file(public_key), public_key)
    mine = local_public_key()
    if mine is None:
        raise PublicKeyRequired(what=checkpoint_label(*signed[0]))
    return Keys(secret, mine, f"{signing_key_path()}")


def verify_record(database: Database, checkpoint_files: Sequence[str] = (),
                  public_key: str | None = None) -> Verified:
    """`audit verify`: the whole database, and the checkpoints given (their signatures
    need a key; without checkpoints no key is needed). A checkpoint written to a file with
    its minisign signature beside it must agree with it."""
    checkpoints = read_checkpoints(checkpoint_files)
    keys = verifying_keys(checkpoints, public_key)
    verified = verify_database(audited_file(database), checkpoints, keys)
    for path, checkpoint in checkpoints:
        _check_minisig_beside(path, checkpoint, keys.public)
    return verified


def _check_minisig_beside(path: str, checkpoint: Checkpoint, public: PublicKey | None) -> None:
    beside = Path(path + SIGNATURE_SUFFIX)
    if public is None or not checkpoint.ed25519 or not beside.is_file():
        return
    try:
        valid = public.minisig_valid(read_text_file(beside), Path(path).read_bytes())
    except (ValueError, OSError):
        valid = False
    if not valid:
        raise SignatureInvalid(position=checkpoint.position, kind="minisig", detail=path)


def verify_bundle_file(path: str, checkpoint_files: Sequence[str] = (),
                       unsigned: bool = False, public_key: str | None = None) -> BundleVerified:
    """`audit verify --bundle`: needs the key its checkpoint's format calls for (the public
    key for format 2, the shared secret for release 0.1's), unless the reviewer settles for
    the bundle's inner consistency (`unsigned`, and no checkpoint of their own to check:
    then no signature is checked, even with a key at hand)."""
    checkpoints = read_checkpoints(checkpoint_files)

    def keys(signed: Checkpoint) -> Keys | None:
        if unsigned and not checkpoints:
            return None
        try:
            return verifying_keys([("checkpoint.json", signed), *checkpoints], public_key)
        except (NoAuditKey, PublicKeyRequired):
            raise BundleKeyRequired(key=(
                "khóa công khai của xã (--public-key TỆP)",
                "The commune's public key (--public-key FILE)") if signed.ed25519 else (
                "khóa chung dùng để ký (KIEMTRA_AUDIT_KEY)",
                "The shared signing key (KIEMTRA_AUDIT_KEY)")) from None

    return verify_bundle(Path(path), keys, checkpoints)


@dataclass(frozen=True)
class Taken:
    """A new checkpoint, as JSON text and its minisign signature; `new_key`: the key pair
    was created for it (the reviewers need its public key)."""

    checkpoint: Checkpoint
    text: str
    minisig: str
    new_key: PublicKey | None = None
    signature_file: str | None = None


def take_checkpoint(database: Database, now: datetime, output: str | None = None,
                    force: bool = False, campaign: str | None = None) -> Taken:
    """`audit checkpoint`: the log is checked first; the key (created on first use) is
    asked for only once the log is found intact. Written to `output` (with its minisign
    signature beside it, FILE.minisig), both whole or neither, unless a file is already
    there and not `force`."""
    from kiemtra.workflow import OutputExists, replace_files

    for path in () if output in (None, "-") else (output, f"{output}{SIGNATURE_SUFFIX}"):
        if Path(path).exists() and not force:  # refused before a key is made for it
            raise OutputExists(path=path)
    used: list[tuple[SecretKey, bool]] = []
    origin = WHOLE_LOG if campaign is None else origin_of_campaign(database, campaign)
    checkpoint = make_checkpoint(audited_file(database), lambda: _signing_key(used), now,
                                 origin)
    key, created = used[0]
    text = checkpoint_text(checkpoint)
    minisig = key.minisig(text.encode("utf-8"), checkpoint.trusted_comment())
    taken = Taken(checkpoint, text, minisig, key.public if created else None)
    if output is None or output == "-":
        return taken
    beside = output + SIGNATURE_SUFFIX
    replace_files([(output, text.encode("utf-8")), (beside, minisig.encode("utf-8"))],
                  force=force)
    return replace(taken, signature_file=beside)


def _signing_key(used: list[tuple[SecretKey, bool]]) -> SecretKey:
    used.append(signing_key(create=True))
    return used[-1][0]


@dataclass(frozen=True)
class KeyInfo:
    """The commune's key pair as `audit key init|show` tell of it."""

    path: str
    public: PublicKey
    created: bool = False
    file: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"secret_key_file": self.path, "created": self.created,
                "public_key": self.public.line(), "fingerprint": self.public.fingerprint,
                "key_id": self.public.key_id, "file": self.file}

    def fingerprint_lines(self, lang: str) -> str:
        words = "Dấu vân tay SHA-256: " if lang == "vi" else "SHA-256 fingerprint: "
        half = grouped(self.public.fingerprint[:32]), grouped(self.public.fingerprint[32:])
        return f"{words}{half[0]}\n{' ' * len(words)}{half[1]}"

    def text(self, lang: str) -> str:
        """`audit key init`: the key made (or kept), and what to do next."""
        vi = lang == "vi"
        if self.created:
            head = (f"Đã tạo khóa ký Ed25519 của xã: {self.path} (chỉ người dùng này đọc được; "
                    "không gửi tệp này cho ai)." if vi else f"Created the commune's Ed25519 "
                    f"signing key: {self.path} (readable by this user only; never send it).")
        else:
            head = (f"Khóa ký Ed25519 của xã đã có tại {self.path}; giữ nguyên." if vi else
                    f"The commune's Ed25519 signing key is already at {self.path}; kept.")
        then = ("Tiếp theo: “kiemtra audit key show -o khoa-cong-khai.pub”, rồi gửi tệp đó cho "
                "cơ quan kiểm tra kèm công văn ghi dấu vân tay trên." if vi else "Next: "
                "'kiemtra audit key show -o public-key.pub', and send that file to the "
                "reviewers with an official letter that gives the fingerprint above.")
        return f"{head}\n{self.fingerprint_lines(lang)}\n{then}"

    def note(self, lang: str) -> str:
        """`audit key show`: the fingerprint for the letter, and how the reviewers check."""
        shown = self.file or ("khoa-cong-khai.pub" if lang == "vi" else "public-key.pub")
        if lang == "vi":
            wrote = f"Đã ghi khóa công khai vào {self.file}. " if self.file else ""
            return (f"{wrote}Khóa công khai Ed25519 của xã (định dạng minisign), của khóa bí "
                    f"mật {self.path}.\n{self.fingerprint_lines(lang)}\nGửi tệp khóa công "
                    "khai cho cơ quan kiểm tra kèm công văn ghi dấu vân tay này. Cơ quan kiểm "
                    f"tra đối chiếu bằng “kiemtra audit verify --checkpoint TỆP --public-key "
                    f"{shown}” hoặc “minisign -Vm TỆP -p {shown}”.")
        wrote = f"Wrote the public key to {self.file}. " if self.file else ""
        return (f"{wrote}The commune's Ed25519 public key (minisign's format), of the secret "
                f"key {self.path}.\n{self.fingerprint_lines(lang)}\nSend the public key file "
                "to the reviewers with an official letter that gives this fingerprint. They "
                f"check with 'kiemtra audit verify --checkpoint FILE --public-key {shown}' or "
                f"'minisign -Vm FILE -p {shown}'.")


def new_key_note(public: PublicKey, lang: str) -> str:
    """Said when a checkpoint or an export created the key pair on first use."""
    info = KeyInfo(str(signing_key_path()), public, created=True)
    if lang == "vi":
        return (f"Đã tạo khóa ký Ed25519 của xã (lần dùng đầu): {info.path}.\n"
                f"{info.fingerprint_lines(lang)}\nGửi khóa công khai cho cơ quan kiểm tra: "
                "“kiemtra audit key show -o khoa-cong-khai.pub”.")
    return (f"Created the commune's Ed25519 signing key (first use): {info.path}.\n"
            f"{info.fingerprint_lines(lang)}\nSend the public key to the reviewers: "
            "'kiemtra audit key show -o public-key.pub'.")


def init_key() -> KeyInfo:
    """`audit key init`: the key pair, created if there is none (several processes at once
    end with one key, which all of them use)."""
    key, created = signing_key(create=True)
    return KeyInfo(str(signing_key_path()), key.public, created)


def show_key(output: str | None = None, force: bool = False) -> KeyInfo:
    """`audit key show`: the public key (and, written to `output`, its file for the
    reviewers)."""
    from kiemtra.workflow import replace_file

    key, _ = signing_key()
    if output is not None and output != "-":
        replace_file(output, key.public.file_text().encode("ascii"), force=force)
    return KeyInfo(str(signing_key_path()), key.public, file=output)


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
    used: list[tuple[SecretKey, bool]] = []
    done = export_bundle(audited_file(database), code, target, lambda: _signing_key(used), now)
    return replace(done, file=out, new_key=used[0][0].public if used[0][1] else None)


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
        raise LogAltered(position=first_event_naming(database, wanted), kind="attachment",
                         detail=wanted)
