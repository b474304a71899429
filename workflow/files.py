"""Files a person names on the command line, and the attachments read from them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiemtra.workflow.errors import UnreadableFile, UnwritableFile


@dataclass(frozen=True)
class AttachmentBlob:
    """A file to store beside the events: its name travels in the event, its bytes here."""

    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def reference(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": len(self.content)}


def _reason(exc: BaseException) -> object:
    return getattr(exc, "strerror", None) or exc


def read_text_file(path: str | Path) -> str:
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(path=str(path), reason=_reason(exc)) from None


def read_attachments(paths: Sequence[str | Path]) -> list[AttachmentBlob]:
    blobs = []
    for path in paths:
        try:
            blobs.append(AttachmentBlob(name=Path(path).name, content=Path(path).read_bytes()))
        except OSError as exc:
            raise UnreadableFile(path=str(path), reason=_reason(exc)) from None
    return blobs


def write_file(path: str | Path, content: bytes | str) -> None:
    """Write `content` to the file `path` names (a new file, or an existing one, a device
    such as /dev/stdout included), with the user's umask."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise UnwritableFile(path=str(path), reason=_reason(exc)) from None
