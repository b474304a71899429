"""Files a person names on the command line: read whole, written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kiemtra.workflow.errors import UnreadableFile, UnwritableFile
from kiemtra.workflow.store import AttachmentBlob


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
    """Write `content` to `path` through a temporary file beside it, renamed into place:
    a failure leaves the file that was there (if any) as it was."""
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                                   prefix=".kiemtra-", suffix=".part")
    except OSError as exc:
        raise UnwritableFile(path=str(path), reason=_reason(exc)) from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        raise UnwritableFile(path=str(path), reason=_reason(exc)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
