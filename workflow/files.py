"""Files a person names on the command line, and the attachments read from them."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kiemtra.workflow.errors import OutputExists, UnreadableFile, UnwritableFile

CHUNK = 1024 * 1024
"""Attachments are read, hashed, stored and written back this many bytes at a time, so
a 200 MB file costs a megabyte of memory, not several copies of itself."""


@dataclass(frozen=True)
class AttachmentBlob:
    """A file to store beside the events: its name travels in the event, its bytes here.

    The bytes are not held: `chunks()` reads them again from where they are (a file the
    user named, or a document made in memory), and a file that no longer hashes to what
    was recorded in the event is refused before the transaction commits."""

    name: str
    sha256: str
    size: int
    path: Path | None = None
    content: bytes | None = None

    @classmethod
    def of_bytes(cls, name: str, content: bytes) -> AttachmentBlob:
        return cls(name, hashlib.sha256(content).hexdigest(), len(content), content=content)

    @classmethod
    def of_file(cls, path: Path, limit: int) -> AttachmentBlob | None:
        """Hashed as it is read; None if it holds more than `limit` bytes (it grew after
        its size was checked)."""
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                if size > limit:
                    return None
        return cls(path.name, digest.hexdigest(), size, path=path)

    def chunks(self) -> Iterator[bytes]:
        """The bytes, CHUNK at a time; UnreadableFile if the file changed since it was
        hashed (the event names the first hash: storing other bytes would break it)."""
        if self.path is None:
            content = self.content or b""
            yield from (content[i:i + CHUNK] for i in range(0, len(content), CHUNK))
            return
        digest = hashlib.sha256()
        try:
            with self.path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(chunk)
                    yield chunk
        except OSError as exc:
            raise UnreadableFile(path=str(self.path), reason=_reason(exc)) from None
        if digest.hexdigest() != self.sha256:
            raise UnreadableFile(path=str(self.path), reason=(
                "tệp đã thay đổi trong khi đang được lưu; hãy chạy lại lệnh",
                "the file changed while it was being stored; run the command again"))

    def reference(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


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
    errno.EFBIG: ("tệp vượt quá kích thước tối đa được phép ghi", "the file is larger than the "
                  "system allows to be written"),
    errno.EDQUOT: ("đã hết dung lượng được cấp trên ổ đĩa", "the disk quota is used up"),
}


def _reason(exc: BaseException) -> object:
    """Why a file could not be read or written, in both languages (vi, en)."""
    if isinstance(exc, UnicodeDecodeError):
        return ("tệp không phải văn bản UTF-8", "the file is not UTF-8 text")
    code = getattr(exc, "errno", None)
    if code in OS_REASONS:
        return OS_REASONS[code]
    return getattr(exc, "strerror", None) or exc


MAX_TEXT_FILE = 1024 * 1024
"""A plan or a report-figures file is a few kilobytes: one larger is not one of them."""
MAX_ATTACHMENT_MB = 50
"""The default limit of one attachment (KIEMTRA_MAX_ATTACHMENT_MB sets another)."""
NAME_CHARACTERS = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Unicode categories never accepted in an attachment's name: control characters, and
the invisible formatting ones — bidirectional overrides (a name shown as "fdp.exe" that
is "exe.pdf"), zero-width joiners."""


def _regular(path: Path, limit: int, limit_words: tuple[str, str]) -> int:
    """The size of `path`, a regular file within `limit` bytes; refused before it is
    opened otherwise (opening a FIFO would wait for a writer forever, a device never
    ends)."""
    try:
        found = path.stat()
    except OSError as exc:
        raise UnreadableFile(path=str(path), reason=_reason(exc)) from None
    if stat.S_ISDIR(found.st_mode):
        raise UnreadableFile(path=str(path), reason=OS_REASONS[errno.EISDIR])
    if not stat.S_ISREG(found.st_mode):
        raise UnreadableFile(path=str(path), reason=(
            "đây không phải một tệp thông thường (ống dẫn, thiết bị…)",
            "it is not a regular file (a pipe, a device…)"))
    if found.st_size > limit:
        raise UnreadableFile(path=str(path), reason=limit_words)
    return found.st_size


def read_text_file(path: str | Path) -> str:
    """A plan or figures file: a regular UTF-8 file of at most 1 MB (a byte-order mark, as
    Windows' Notepad writes one, is accepted)."""
    target = Path(path)
    _regular(target, MAX_TEXT_FILE, ("tệp lớn hơn 1 MB, không phải tệp kế hoạch hay số liệu",
                                     "it is larger than 1 MB: not a plan or figures file"))
    try:
        return target.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(path=str(path), reason=_reason(exc)) from None


def attachment_limit() -> int:
    """The largest attachment accepted, in bytes (KIEMTRA_MAX_ATTACHMENT_MB, default 50)."""
    given = os.environ.get("KIEMTRA_MAX_ATTACHMENT_MB", "").strip()
    megabytes = int(given) if given.isdigit() and 0 < int(given) <= 4096 else MAX_ATTACHMENT_MB
    return megabytes * 1024 * 1024


def read_attachments(paths: Sequence[str | Path]) -> list[AttachmentBlob]:
    """Regular files within the size limit, whose names show what they are."""
    blobs = []
    limit = attachment_limit()
    for path in paths:
        target = Path(path)
        bad = sorted({f"U+{ord(c):04X}" for c in target.name
                      if unicodedata.category(c) in NAME_CHARACTERS})
        if bad:
            raise UnreadableFile(path=repr(str(path)), reason=(
                f"tên tệp chứa ký tự ẩn hoặc ký tự điều khiển ({', '.join(bad)}); hãy đổi tên "
                "tệp", f"its name holds invisible or control characters ({', '.join(bad)}); "
                "rename the file"))
        mb = limit // (1024 * 1024)
        too_large = (f"tệp lớn hơn {mb} MB (giới hạn KIEMTRA_MAX_ATTACHMENT_MB)",
                     f"it is larger than {mb} MB (the KIEMTRA_MAX_ATTACHMENT_MB limit)")
        _regular(target, limit, too_large)
        try:
            blob = AttachmentBlob.of_file(target, limit)
        except OSError as exc:
            raise UnreadableFile(path=str(path), reason=_reason(exc)) from None
        if blob is None:
            raise UnreadableFile(path=str(path), reason=too_large)
        blobs.append(blob)
    return blobs


def replace_file(path: str | Path, content: bytes | Iterable[bytes], *, force: bool) -> Path:
    """Write `content` (bytes, or pieces of them read one at a time) as the file `path`,
    whole or not at all (`replacing`)."""
    with replacing(path, force=force) as handle:
        for piece in [content] if isinstance(content, bytes) else content:
            handle.write(piece)
    return Path(path)


@contextmanager
def replacing(path: str | Path, *, force: bool, mode: int | None = None
              ) -> Iterator[IO[bytes]]:
    """A file to write that takes the name `path` only once it is whole: a temporary file
    in the same folder, on disk, then renamed into place; so a reader (or a failure half
    way, a full disk) never sees a part of it and a file already there stays as it was.
    A file already there is refused unless `force`; a folder always is. A failure of the
    operating system (a full disk, no permission) is UnwritableFile in plain words.
    `mode`: the new file's permissions (default: as a plain open() would make it)."""
    staged = StagedFiles()
    try:
        with staged.writing(path, force=force, mode=mode) as handle:
            yield handle
        staged.place()
    finally:
        staged.discard()


def replace_files(files: Sequence[tuple[str | Path, bytes]], *, force: bool) -> None:
    """Files that belong together (a checkpoint and its signature): each written whole to
    a temporary file beside it and flushed to disk, and only once all are there renamed
    into place — so a failure (a full disk) leaves none of them, nor blocks a retry."""
    staged = StagedFiles()
    try:
        for path, content in files:
            staged.add(path, content, force=force)
        staged.place()
    finally:
        staged.discard()


class StagedFiles:
    """Files written whole beside where they go, under temporary names and on disk, and
    put in place together only when told (`place`): for what must be known writable
    before something else is recorded — a numbered document's file is staged before its
    number is taken for good, so a full disk refuses the document instead of losing its
    copy — and must not appear if it is not (`discard`, which `place` makes a no-op)."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary, target)

    def add(self, path: str | Path, content: bytes, *, force: bool) -> None:
        """Write `content` beside `path`; UnwritableFile (nothing left) if it cannot be."""
        with self.writing(path, force=force) as handle:
            handle.write(content)

    @contextmanager
    def writing(self, path: str | Path, *, force: bool, mode: int | None = None
                ) -> Iterator[IO[bytes]]:
        """A temporary file beside `path` to write, staged once the block ends (flushed
        to disk first: a crash after the rename keeps a whole file); on any failure
        removed, an operating system's as UnwritableFile. `mode`: its permissions
        (default: as a plain open() would make it)."""
        target = _writable(Path(path), force)
        temporary: Path | None = None
        try:
            with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".kiemtra-",
                                             suffix=target.suffix, delete=False) as handle:
                temporary = Path(handle.name)
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o666 & ~_umask() if mode is None else mode)
        except BaseException as exc:  # a full disk, or the writer refused: no trace left
            if temporary is not None:
                temporary.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise UnwritableFile(path=str(target), reason=_reason(exc)) from None
            raise
        self._staged.append((temporary, target))

    def place(self) -> None:
        """Rename every staged file into place (a rename in one folder: it does not run
        out of space); the first that fails is UnwritableFile, the rest are discarded."""
        while self._staged:
            temporary, target = self._staged[0]
            try:
                os.replace(temporary, target)
            except OSError as exc:
                self.discard()
                raise UnwritableFile(path=str(target), reason=_reason(exc)) from None
            self._staged.pop(0)

    def discard(self) -> None:
        for temporary, _ in self._staged:
            temporary.unlink(missing_ok=True)
        self._staged = []


def _writable(target: Path, force: bool) -> Path:
    """`target`, if a file may be written there: not a folder, in a folder that exists,
    not already there unless `force`."""
    if target.is_dir():
        raise UnwritableFile(path=str(target), reason=("đó là một thư mục", "it is a folder"))
    if not target.parent.is_dir():
        raise UnwritableFile(path=str(target), reason=(
            "thư mục chứa tệp không tồn tại", "its folder does not exist"))
    if target.exists() and not force:
        raise OutputExists(path=str(target))
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
