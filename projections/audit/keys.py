"""The keys of audit checkpoints: the commune's Ed25519 key pair, and release 0.1's
shared secret.

- **The signing key** (checkpoint/2, bundles): an Ed25519 secret key in minisign's
  unencrypted format, `$XDG_CONFIG_HOME/kiemtra/audit-signing.key` (default
  `~/.config/kiemtra/`), or the file `KIEMTRA_AUDIT_SIGNING_KEY` names. It lives in the
  user's configuration folder, not beside the database, so a copy of the database does
  not carry the means to forge its checkpoints. It is created by `audit key init`, or on
  the first checkpoint or export, with owner-only permissions (0600, folder 0700), and
  refused if its group or others have any permission on it. Its public half is what the
  reviewers get (`audit key show`).
- **The shared secret** (checkpoint/1): `KIEMTRA_AUDIT_KEY`, else the file `audit.key`
  in the same folder; only read, to verify what release 0.1 signed.

A key file is created whole or not at all: written and flushed to a temporary file
beside it, then linked to its name. link() fails when the name exists, so of several
processes creating the key at once exactly one succeeds and the others read its key,
and no reader ever sees a part of one. A key file that is empty, short or inconsistent
is refused, never used.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from kiemtra.projections.audit.errors import (
    DamagedKeyFile,
    InvalidPublicKey,
    NoAuditKey,
    NoSigningKey,
    UnsafeKeyFile,
)
from kiemtra.projections.audit.minisign import (
    FormatError,
    PublicKey,
    SecretKey,
    read_public_key,
    read_secret_key,
)
from kiemtra.workflow import UnreadableFile, UnwritableFile, os_reason, read_text_file

KEY_ENV = "KIEMTRA_AUDIT_KEY"
SIGNING_KEY_ENV = "KIEMTRA_AUDIT_SIGNING_KEY"
SHORTEST_SECRET = 32
"""Characters in a shared-secret key file at least (release 0.1 wrote 64 hex digits)."""
LARGEST_KEY_FILE = 4096


def config_folder() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "kiemtra"


def key_path() -> Path:
    """The shared secret of checkpoint/1."""
    return config_folder() / "audit.key"


def signing_key_path() -> Path:
    given = os.environ.get(SIGNING_KEY_ENV, "").strip()
    return Path(given).expanduser() if given else config_folder() / "audit-signing.key"


def audit_key() -> bytes:
    """The shared secret that signed checkpoint/1 and bundle/1 (release 0.1)."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return from_env.encode("utf-8")
    path = key_path()
    if not path.exists():
        raise NoAuditKey(path=str(path))
    text = _read_private(path).strip()
    if len(text) < SHORTEST_SECRET:
        raise DamagedKeyFile(path=str(path), reason=(
            f"tệp chỉ có {len(text)} ký tự, khóa do kiemtra tạo có 64",
            f"it holds {len(text)} characters, a key kiemtra made has 64"))
    return text.encode("utf-8")


def signing_key(create: bool = False) -> tuple[SecretKey, bool]:
    """The commune's secret key, and whether it was created just now (only with `create`,
    when there is none yet; else NoSigningKey)."""
    path = signing_key_path()
    if not path.exists():
        if not create:
            raise NoSigningKey(path=str(path))
        key = SecretKey.generate()
        if _create(path, key.file_text()):
            return key, True
    return _read_secret(path), False


def local_public_key() -> PublicKey | None:
    """The public half of this machine's signing key, if it has one."""
    path = signing_key_path()
    return _read_secret(path).public if path.exists() else None


def public_key_file(path: str) -> PublicKey:
    """The public key a reviewer was given (`audit key show -o FILE`, minisign's format)."""
    try:
        return read_public_key(read_text_file(path))
    except FormatError as exc:
        raise InvalidPublicKey(path=path, reason=str(exc)) from None


def _read_secret(path: Path) -> SecretKey:
    try:
        return read_secret_key(_read_private(path))
    except FormatError as exc:
        raise DamagedKeyFile(path=str(path), reason=str(exc)) from None


def _read_private(path: Path) -> str:
    """A secret's file: a regular file its owner alone may use, of at most 4 KB, as text.
    The mode is checked on the file opened (not on a name that could be swapped), and on
    its bits, so the check holds for root too, whom permissions do not stop reading."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe must not make it wait
    except OSError as exc:
        raise UnreadableFile(path=str(path), reason=os_reason(exc)) from None
    with os.fdopen(fd, "rb") as handle:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise DamagedKeyFile(path=str(path), reason=(
                "đây không phải một tệp thông thường", "it is not a regular file"))
        if found.st_mode & 0o077:
            raise UnsafeKeyFile(path=str(path), mode=f"{stat.S_IMODE(found.st_mode):o}")
        content = handle.read(LARGEST_KEY_FILE + 1)
    if len(content) > LARGEST_KEY_FILE:
        raise DamagedKeyFile(path=str(path), reason=("tệp lớn hơn 4 KB", "it is larger than 4 KB"))
    try:
        return content.decode("ascii")
    except UnicodeDecodeError:
        raise DamagedKeyFile(path=str(path), reason=("tệp không phải văn bản ASCII",
                                                     "it is not ASCII text")) from None


def _create(path: Path, text: str) -> bool:
    """`text` as the new file `path`, owner-only, whole or not at all; False if another
    process created it first (its key is then the one to use)."""
    folder = path.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".kiemtra-key-")  # mode 0600
    except OSError as exc:
        raise UnwritableFile(path=str(path), reason=os_reason(exc)) from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError as exc:
        raise UnwritableFile(path=str(path), reason=os_reason(exc)) from None
    finally:
        Path(temporary).unlink(missing_ok=True)
    _sync_folder(folder)
    return True


def _sync_folder(folder: Path) -> None:
    """The new name on disk too, so that a crash cannot lose a key already used to sign."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
