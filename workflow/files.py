"""Files a person names on the command line, and the attachments read from them."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiemtra.workflow.errors import OutputExists, UnreadableFile, UnwritableFile


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


OS_REASONS = {
    errno.ENOENT: ("không có tệp này", "there is no such file"),
    errno.EACCES: ("không có quyền truy cập", "permission denied"),
    errno.EPERM: ("không có quyền truy cập", "permission denied"),
    errno.EISDIR: ("đây là một thư mục, không phải tệp", "it is a folder, not a file"),
    errno.ENOTDIR: ("đường dẫn không đúng (một phần không phải thư mục)",
                    "a part of the path is not a folder"),
    errno.ENOSPC: ("ổ đĩa đã đầy", "the disk is full"),
    errno.EROFS: ("ổ đĩa chỉ cho đọc", "the disk is read-only"),
    errno.ENAMETOOLONG: ("tên tệp quá dài", "the file name is too long"),
}


def _reason(exc: BaseException) -> object:
    """Why a file could not be read or written, in both languages (vi, en)."""
    if isinstance(exc, UnicodeDecodeError):
        return ("tệp không phải văn bản UTF-8", "the file is not UTF-8 text")
    code = getattr(exc, "errno", None)
    if code in OS_REASONS:
        return OS_REASONS[code]
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


def replace_file(path: str | Path, content: bytes, *, force: bool) -> Path:
    """Write `content` as the file `path`, whole or not at all: through a temporary file in
    the same folder, renamed into place, so a reader (or a failure half-way) never sees a
    part of it. A file already there is refused unless `force`; a folder always is."""
    target = Path(path)
    if target.is_dir():
        raise UnwritableFile(path=str(target), reason=("đó là một thư mục", "it is a folder"))
    if not target.parent.is_dir():
        raise UnwritableFile(path=str(target), reason=(
            "thư mục chứa tệp không tồn tại", "its folder does not exist"))
    if target.exists() and not force:
        raise OutputExists(path=str(target))
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".kiemtra-",
                                         suffix=target.suffix, delete=False) as handle:
            temporary = Path(handle.name)
            handle.write(content)
        os.chmod(temporary, 0o666 & ~_umask())  # as a plain open() would have made it
        os.replace(temporary, target)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise UnwritableFile(path=str(target), reason=_reason(exc)) from None
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
