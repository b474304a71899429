"""Signed checkpoints of the chain's head: (origin, position, hash, events, time).

Kept outside the database (sent to the reviewers), a checkpoint exposes what a chain
alone cannot: a log cut short, a restored old backup, or a chain recomputed by someone
who rewrote events. The signed fields are canonical JSON (the document without its
`signature`), so any edit breaks it.

Two formats:
- `kiemtra-checkpoint/2` (made since issue 16): signed with the commune's Ed25519 key, so
  a reviewer checks it with the public key alone and cannot make one. `origin` names the
  chain it covers ("*": the database's one chain); in a bundle, `manifest_sha256` is the
  SHA-256 of the bundle's manifest.json, which lists every other entry with its digest.
  Written to a file, it gets a minisign signature of the file's bytes beside it
  (FILE.minisig), for `minisign -Vm FILE -p KEY.pub`.
- `kiemtra-checkpoint/1` (release 0.1): HMAC-SHA256 with a shared secret; still verified
  with that key, no longer made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from typing import Any

from kiemtra.projections.audit.minisign import PublicKey, SecretKey, grouped

CHECKPOINT_FORMAT = "kiemtra-checkpoint/1"
SIGNED_FORMAT = "kiemtra-checkpoint/2"
WHOLE_LOG = "*"
"""The origin of a checkpoint of the database's one chain (per-commune chains may come)."""
SIGNATURE_SUFFIX = ".minisig"
V2_FIELDS = frozenset({"format", "origin", "position", "hash", "events", "created_at",
                       "key_id", "signature", "manifest_sha256"})


@dataclass(frozen=True)
class Keys:
    """What checks signatures: the shared secret of checkpoint/1, the public key of
    checkpoint/2 (`source` says where it came from, for messages)."""

    secret: bytes | None = None
    public: PublicKey | None = None
    source: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: "the chain `origin` had `events` events, the last at `position`,
    with chain hash `hash`, at `created_at`"."""

    position: int
    hash: str  # hex
    events: int
    created_at: str  # ISO 8601
    key_id: str  # 16 hex digits: SHA-256(secret) for /1, the public key's fingerprint for /2
    signature: str = ""  # hex: HMAC-SHA256 (/1) or Ed25519 (/2) over `signed_fields`
    format: str = CHECKPOINT_FORMAT
    origin: str | None = None  # /2 only
    manifest_sha256: str | None = None  # /2, in a bundle only

    @property
    def ed25519(self) -> bool:
        return self.format == SIGNED_FORMAT

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": self.format}
        if self.ed25519:
            data["origin"] = self.origin
        data.update(position=self.position, hash=self.hash, events=self.events,
                    created_at=self.created_at, key_id=self.key_id)
        if self.manifest_sha256 is not None:
            data["manifest_sha256"] = self.manifest_sha256
        data["signature"] = self.signature
        return data

    def signed_fields(self) -> bytes:
        fields = self.to_json()
        del fields["signature"]
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def signed(self, key: bytes | SecretKey) -> Checkpoint:
        """Signed with a shared secret (/1, for tests of old checkpoints) or a key pair."""
        if isinstance(key, SecretKey):
            unsigned = replace(self, format=SIGNED_FORMAT, key_id=key.public.key_id,
                               origin=self.origin or WHOLE_LOG)
            return replace(unsigned, signature=key.sign(unsigned.signed_fields()).hex())
        return replace(self, signature=hmac.new(key, self.signed_fields(),
                                                hashlib.sha256).hexdigest())

    def signature_valid(self, keys: Keys) -> bool:
        if self.ed25519:
            try:
                signature = bytes.fromhex(self.signature)
            except ValueError:
                return False
            return keys.public is not None and keys.public.valid(signature,
                                                                 self.signed_fields())
        if keys.secret is None:
            return False
        expected = hmac.new(keys.secret, self.signed_fields(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)

    def trusted_comment(self) -> str:
        """What minisign shows when it verifies the file: the statement, in one line."""
        return (f"{self.format} origin={self.origin} position={self.position} "
                f"events={self.events} hash={self.hash} created_at={self.created_at}")

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """Raises ValueError when `data` is not a checkpoint of a known format."""
        if not isinstance(data, dict) or data.get("format") not in (CHECKPOINT_FORMAT,
                                                                   SIGNED_FORMAT):
            msg = f"not a {SIGNED_FORMAT} (or {CHECKPOINT_FORMAT}) document"
            raise ValueError(msg)
        signed = data["format"] == SIGNED_FORMAT
        if signed and set(data) - V2_FIELDS:
            msg = f"unexpected field {sorted(set(data) - V2_FIELDS)[0]}"
            raise ValueError(msg)
        try:
            checkpoint = cls(position=int(data["position"]), hash=str(data["hash"]),
                             events=int(data["events"]), created_at=str(data["created_at"]),
                             key_id=str(data["key_id"]), signature=str(data["signature"]),
                             format=str(data["format"]),
                             origin=str(data["origin"]) if signed else None,
                             manifest_sha256=None if data.get("manifest_sha256") is None
                             else str(data["manifest_sha256"]))
            bytes.fromhex(checkpoint.hash)
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"missing or malformed field: {exc}"
            raise ValueError(msg) from None
        return checkpoint


def key_id(key: bytes) -> str:
    """The id of a shared secret (checkpoint/1)."""
    return hashlib.sha256(key).hexdigest()[:16]


def kept_note(checkpoint: Checkpoint, lang: str, signature_file: str | None = None) -> str:
    """What to do with a new checkpoint (and the minisign signature written beside it)."""
    if lang == "vi":
        beside = (f" Tệp chữ ký {signature_file} đi kèm để kiểm tra bằng minisign."
                  if signature_file else " Ghi ra tệp bằng -o để có kèm tệp chữ ký .minisig "
                  "(kiểm tra bằng minisign).")
        return (f"Điểm kiểm tra: {checkpoint.events} sự kiện, vị trí {checkpoint.position}, ký "
                f"bằng khóa {grouped_id(checkpoint)}. Hãy lưu tệp này ngoài máy (thư điện tử, "
                "USB) để sau này phát hiện hồ sơ bị cắt ngắn hoặc khôi phục từ bản sao lưu "
                "cũ." + beside)
    beside = (f" The signature file {signature_file} goes with it, for minisign."
              if signature_file else " Write it to a file with -o to get a .minisig signature "
              "file with it (for minisign).")
    return (f"Checkpoint: {checkpoint.events} events, position {checkpoint.position}, signed "
            f"with key {grouped_id(checkpoint)}. Keep this file off this machine, to expose a "
            "log cut short or restored from an old backup later." + beside)


def grouped_id(checkpoint: Checkpoint) -> str:
    return grouped(checkpoint.key_id)


def read_checkpoint(text: str) -> Checkpoint:
    """Raises ValueError when the text is not a checkpoint."""
    return Checkpoint.from_json(json.loads(text))


def checkpoint_text(checkpoint: Checkpoint) -> str:
    return json.dumps(checkpoint.to_json(), indent=2) + "\n"
