"""A bundle's zip, read strictly: the reviewer's file may have been made by anyone.

Before anything is unpacked, the zip's directory is checked: every entry appears once,
under a relative name that stays inside the folder it would be unpacked in, stored or
deflated (the two ways kiemtra writes; no encryption, no method whose decoder may take
much memory), and no larger than its bound — the manifest and checkpoint a few
megabytes, the events of one campaign 64 MB, all entries together
`KIEMTRA_MAX_BUNDLE_MB` (4096 by default). An entry is then only ever read a piece at a
time, never beyond the size the directory declares (the `zipfile` reader stops there),
and each line of a JSON-lines entry is bounded, so a zip bomb is refused before it is
unpacked and memory stays a few megabytes whatever the zip holds. Entries listed with
a digest (format 2's manifest) are hashed as they are read and refused, by name, when
they differ.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from kiemtra.projections.audit.errors import BundleAltered, InvalidCheckpoint
from kiemtra.workflow import CHUNK

MB = 1024 * 1024
BOUNDS = {"manifest.json": 16 * MB, "checkpoint.json": 64 * 1024,
          "checkpoint.json.minisig": 16 * 1024, "events.jsonl": 64 * MB}
"""The entries read whole: what they may unpack to at most."""
LONGEST_LINE = 64 * 1024
"""A line of chain.jsonl is a few hundred bytes."""
MAX_BUNDLE_MB = 4096
METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
DRIVE = re.compile(r"^[A-Za-z]:")
PAGE = "index.html"
"""The review page of a bundle (format 2, since 0.2; `review_page`)."""
ENTRY = re.compile(r"^(?:manifest\.json|checkpoint\.json(?:\.minisig)?|events\.jsonl|"
                   r"chain\.jsonl|index\.html|attachments/[0-9a-f]{64})\Z")
"""The entries kiemtra writes in a bundle: no other is accepted, even listed."""


@dataclass(frozen=True)
class Listed:
    """An entry as the manifest lists it."""

    sha256: str
    size: int


def total_limit() -> int:
    """The most all of a bundle's entries may unpack to, in bytes (KIEMTRA_MAX_BUNDLE_MB)."""
    given = os.environ.get("KIEMTRA_MAX_BUNDLE_MB", "").strip()
    megabytes = int(given) if given.isdigit() and 0 < int(given) <= 1024 * 1024 else MAX_BUNDLE_MB
    return megabytes * MB


def unsafe(name: str) -> str | None:
    """"absolute" (from the root, a drive or a share), "parent" (leading up out of its
    folder), or None: a name that stays where it is unpacked."""
    if name.startswith(("/", "\\")) or DRIVE.match(name):
        return "absolute"
    return "parent" if ".." in re.split(r"[/\\]", name) else None


def size_words(size: int) -> tuple[str, str]:
    if size < MB:
        return f"{size:,} byte".replace(",", "."), f"{size:,} bytes"
    return f"{size // MB:,} MB".replace(",", "."), f"{size // MB:,} MB"


class StrictZip:
    """The entries of a bundle, checked as described above; use it as a context."""

    def __init__(self, path: Path) -> None:
        if path.exists() and not path.is_file():  # a pipe would make the reader wait
            raise InvalidCheckpoint(path=str(path), reason=(
                "đây không phải một tệp thông thường", "it is not a regular file"))
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise InvalidCheckpoint(path=str(path), reason=(
                f"không đọc được ({exc})", f"unreadable ({exc})")) from None
        try:
            self.entries = self._checked(self.zip.infolist())
        except BaseException:
            self.zip.close()
            raise

    def __enter__(self) -> StrictZip:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.zip.close()

    @staticmethod
    def _checked(infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        for info in infos:
            bad = unsafe(info.filename)
            if bad is not None:
                raise BundleAltered(kind=bad, entry=info.filename)
        for name, count in Counter(info.filename for info in infos).items():
            if count > 1:
                raise BundleAltered(kind="duplicate", entry=name, detail=str(count))
        total = 0
        for info in infos:
            if info.compress_type not in METHODS or info.flag_bits & 0x1:  # 0x1: encrypted
                raise BundleAltered(kind="method", entry=info.filename)
            bound = BOUNDS.get(info.filename)
            if bound is not None and info.file_size > bound:
                vi, en = size_words(info.file_size)
                most_vi, most_en = size_words(bound)
                raise BundleAltered(kind="too_large", entry=info.filename, detail=(
                    f"{vi}, quá giới hạn {most_vi}", f"{en}, more than the {most_en} limit"))
            total += info.file_size
        if total > total_limit():
            (vi, en), (most_vi, most_en) = size_words(total), size_words(total_limit())
            raise BundleAltered(kind="total", detail=(
                f"tổng cộng {vi}, quá giới hạn {most_vi}",
                f"{en} in all, more than the {most_en} limit"))
        return {info.filename: info for info in infos}

    def names(self) -> set[str]:
        return set(self.entries)

    def expect(self, listed: set[str]) -> None:
        """Every entry is one of `listed` and one kiemtra writes, and every one of `listed`
        is there."""
        for name in sorted(self.entries):
            if name not in listed:
                raise BundleAltered(kind="unlisted", entry=name)
            if not ENTRY.match(name):
                raise BundleAltered(kind="unknown", entry=name)
        missing = sorted(listed - set(self.entries))
        if missing:
            raise BundleAltered(kind="missing", entry=missing[0])

    def read(self, name: str, listed: Listed | None = None) -> bytes:
        """An entry read whole (one of BOUNDS: its size was checked)."""
        return b"".join(self.pieces(name, listed))

    def pieces(self, name: str, listed: Listed | None = None) -> Iterator[bytes]:
        """The entry a piece at a time, then BundleAltered if it differs from `listed`."""
        info = self.entries.get(name)
        if info is None:
            raise BundleAltered(kind="missing", entry=name)
        if listed is not None and info.file_size != listed.size:
            raise BundleAltered(kind="size", entry=name, detail=size_words(info.file_size))
        digest = hashlib.sha256()
        with self._open(info) as entry:
            while True:
                piece = self._read(info, entry, CHUNK)
                if not piece:
                    break
                digest.update(piece)
                yield piece
        if listed is not None and digest.hexdigest() != listed.sha256:
            raise BundleAltered(kind="digest", entry=name)

    def digest(self, name: str, listed: Listed | None = None) -> str:
        """The SHA-256 of an entry, read a piece at a time."""
        digest = hashlib.sha256()
        for piece in self.pieces(name, listed):
            digest.update(piece)
        return digest.hexdigest()

    def lines(self, name: str, listed: Listed | None = None) -> Iterator[bytes]:
        """The lines of a JSON-lines entry, each at most LONGEST_LINE bytes."""
        rest = b""
        for piece in self.pieces(name, listed):
            rest += piece
            *whole, rest = rest.split(b"\n")
            yield from whole
            if len(rest) > LONGEST_LINE:
                raise BundleAltered(kind="line", entry=name, detail=size_words(LONGEST_LINE))
        if rest:
            yield rest

    def _open(self, info: zipfile.ZipInfo) -> IO[bytes]:
        try:
            return self.zip.open(info)
        except (zipfile.BadZipFile, RuntimeError, OSError, ValueError, EOFError,
                zlib.error) as exc:  # (a method zipfile cannot read was refused already)
            raise BundleAltered(kind="damaged", entry=info.filename, detail=str(exc)) from None

    @staticmethod
    def _read(info: zipfile.ZipInfo, entry: IO[bytes], size: int) -> bytes:
        try:
            return entry.read(size)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
            raise BundleAltered(kind="damaged", entry=info.filename, detail=str(exc)) from None
