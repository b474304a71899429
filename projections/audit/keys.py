"""The key that signs audit checkpoints: `KIEMTRA_AUDIT_KEY`, else a key file.

The key file lives in the user's configuration folder, not beside the database,
so a copy of the database does not carry the means to forge its checkpoints.
It is created on first use with owner-only permissions (0600, folder 0700).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kiemtra.projections.audit.errors import NoAuditKey
from kiemtra.workflow import StorageUnavailable

KEY_ENV = "KIEMTRA_AUDIT_KEY"


def key_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "kiemtra" / "audit.key"


def audit_key(create: bool = False) -> bytes:
    """The signing key; with `create`, a new random key file if there is none yet."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return from_env.encode("utf-8")
    path = key_path()
    if path.exists():
        return _read(path)
    if not create:
        raise NoAuditKey(path=str(path))
    return _create(path)


def _read(path: Path) -> bytes:
    try:
        return path.read_text("ascii").strip().encode("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise StorageUnavailable(db=str(path), reason=str(exc)) from None


def _create(path: Path) -> bytes:
    key = secrets.token_hex(32)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read(path)
    except OSError as exc:
        raise StorageUnavailable(db=str(path), reason=str(exc)) from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key.encode("ascii")
