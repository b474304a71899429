"""Signed checkpoints of the chain's head: (position, hash, events, time), HMAC-SHA256.

Kept outside the database (sent to the reviewers), a checkpoint exposes what a chain
alone cannot: a log cut short, a restored old backup, or a chain recomputed by someone
who rewrote events. The signed fields are canonical JSON, so any edit breaks it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from typing import Any

CHECKPOINT_FORMAT = "kiemtra-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: "the log had `events` events, the last at `position`,
    with chain hash `hash`, at `created_at`"."""

    position: int
    hash: str  # hex
    events: int
    created_at: str  # ISO 8601, UTC
    key_id: str  # first 16 hex digits of SHA-256(key): which key signed it
    signature: str = ""  # hex HMAC-SHA256 over the other fields

    def signed_fields(self) -> bytes:
        fields = asdict(self)
        del fields["signature"]
        return json.dumps({"format": CHECKPOINT_FORMAT, **fields}, sort_keys=True,
                          separators=(",", ":")).encode("utf-8")

    def signed(self, key: bytes) -> Checkpoint:
        mac = hmac.new(key, self.signed_fields(), hashlib.sha256).hexdigest()
        return Checkpoint(**{**asdict(self), "signature": mac})

    def signature_valid(self, key: bytes) -> bool:
        expected = hmac.new(key, self.signed_fields(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)

    def to_json(self) -> dict[str, Any]:
        return {"format": CHECKPOINT_FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """Raises ValueError when `data` is not a checkpoint of this format."""
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
            msg = f"not a {CHECKPOINT_FORMAT} document"
            raise ValueError(msg)
        try:
            checkpoint = cls(position=int(data["position"]), hash=str(data["hash"]),
                             events=int(data["events"]), created_at=str(data["created_at"]),
                             key_id=str(data["key_id"]), signature=str(data["signature"]))
            bytes.fromhex(checkpoint.hash)
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"missing or malformed field: {exc}"
            raise ValueError(msg) from None
        return checkpoint


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def kept_note(checkpoint: Checkpoint, lang: str) -> str:
    """What to do with a new checkpoint."""
    if lang == "vi":
        return (f"Điểm kiểm tra: {checkpoint.events} sự kiện, vị trí {checkpoint.position}. "
                "Hãy lưu tệp này ngoài máy (thư điện tử, USB) để sau này phát hiện hồ sơ bị "
                "cắt ngắn hoặc khôi phục từ bản sao lưu cũ.")
    return (f"Checkpoint: {checkpoint.events} events, position {checkpoint.position}. Keep "
            "this file off this machine, to expose a log cut short or restored from an old "
            "backup later.")


def read_checkpoint(text: str) -> Checkpoint:
    """Raises ValueError when the text is not a checkpoint."""
    return Checkpoint.from_json(json.loads(text))


def checkpoint_text(checkpoint: Checkpoint) -> str:
    return json.dumps(checkpoint.to_json(), indent=2) + "\n"
