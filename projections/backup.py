"""`kiemtra backup`: a copy of the SQLite database that restores, made while others write.

The copy is SQLite's online backup (`sqlite3.Connection.backup`) of the database opened
read-only, in one step: one read transaction, so the copy is the database as it stood at
one moment, whatever other commands commit meanwhile (in WAL mode a reader blocks no
writer). It is written into a temporary file in the target's folder, in rollback-journal
mode — one self-contained file, no `-wal` beside it, readable even from a read-only
disk — and checked there before it takes the target's name: SQLite's `integrity_check`,
the hash chain and attachments (`audit verify`), and its views, caught up in the copy (so
it is current wherever it is opened, a read-only disk included) and compared row for row
with the views folded again from its own log in memory. Views that differ — derived data,
so nothing is lost — are rebuilt in the copy, and the result says so. Only then is the
copy renamed into place (`replacing`); any failure leaves no file and the target as it
was.

PostgreSQL is backed up with its own tool, `pg_dump`: the command says how (exit 2,
nothing written, so a scheduled job never takes the advice for a backup).
"""

from __future__ import annotations

import shlex
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from kiemtra.domain.errors import InvalidInput, RuleViolation
from kiemtra.domain.formats import format_number
from kiemtra.projections import schema
from kiemtra.projections.audit.errors import LogAltered
from kiemtra.projections.audit.verify import Verified, verify_database
from kiemtra.projections.views import Views
from kiemtra.workflow import (
    Database,
    Found,
    UnwritableFile,
    database_fault,
    read_uri,
    replacing,
)

FULL = ("ổ đĩa đã đầy", "the disk is full")


class UsePgDump(InvalidInput):
    rule = "backup_postgres"
    vi = ("Cơ sở dữ liệu PostgreSQL {db} được sao lưu bằng pg_dump của PostgreSQL, không "
          "phải bằng kiemtra: {dump} (mật khẩu được hỏi khi chạy, hoặc lấy từ PGPASSWORD "
          "hay ~/.pgpass). Khôi phục vào một cơ sở dữ liệu trống bằng: {restore}")
    en = ("The PostgreSQL database {db} is backed up with PostgreSQL's pg_dump, not with "
          "kiemtra: {dump} (it asks for the password, or reads PGPASSWORD or ~/.pgpass). "
          "Restore it into an empty database with: {restore}")


class NothingToBackUp(InvalidInput):
    rule = "backup_nothing"
    vi = "Không có cơ sở dữ liệu {db} để sao lưu."
    en = "There is no database {db} to back up."


class CopyDamaged(InvalidInput):
    rule = "backup_integrity"
    vi = ("Bản sao không qua được kiểm tra toàn vẹn của SQLite ({detail}), nên không ghi "
          "{path}; cơ sở dữ liệu {db} có thể đã hỏng.")
    en = ("The copy failed SQLite's integrity check ({detail}), so {path} was not written; "
          "the database {db} may be damaged.")


class CopyAltered(RuleViolation):
    """The chain check of the copy failed: the database itself was altered (exit 1, as
    `audit verify` says of it)."""

    rule = "backup_chain"
    vi = "{reason} Vì vậy không ghi bản sao {path}; cơ sở dữ liệu vẫn nguyên như trước."
    en = "{reason} So the copy {path} was not written; the database is as it was."


@dataclass(frozen=True)
class BackedUp:
    path: str
    verified: Verified
    size: int
    views_rebuilt: bool
    views_checked: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"file": self.path, "events": self.verified.events, "head": self.verified.head,
                "head_hash": self.verified.head_hash,
                "attachments": self.verified.attachments, "bytes": self.size,
                "checked": ["integrity", "chain", *(["views"] if self.views_checked else [])],
                "views_rebuilt": self.views_rebuilt}

    def text(self, db: str, lang: str) -> str:
        v = self.verified
        size = (f"{format_number(round(self.size / 1024 ** 2, 1), lang)} MB"
                if self.size >= 1024 ** 2 else f"{max(1, round(self.size / 1024))} KB")
        if lang == "vi":
            checks = ("toàn vẹn, chuỗi băm và các bảng tổng hợp" if self.views_checked
                      else "toàn vẹn và chuỗi băm")
            return (f"Đã sao lưu cơ sở dữ liệu {db} vào {self.path} ({v.events} sự kiện, "
                    f"{v.attachments} tệp đính kèm, {size}); bản sao đã qua kiểm tra "
                    f"{checks}.")
        checks = "integrity, hash-chain and views" if self.views_checked else \
            "integrity and hash-chain"
        events = f"{v.events} event{'' if v.events == 1 else 's'}"
        attachments = f"{v.attachments} attachment{'' if v.attachments == 1 else 's'}"
        return (f"Backed up the database {db} to {self.path} ({events}, {attachments}, "
                f"{size}); the copy passed the {checks} checks.")


def back_up(database: Database, output: str, *, force: bool = False) -> BackedUp:
    """Copy `database` to `output`, check the copy, and only then give it that name."""
    if database.is_postgres:
        raise UsePgDump(db=database.label(), **pg_dump_advice(database.url, output))
    found = database.found()
    if not database.exists():
        raise NothingToBackUp(db=database.label())
    target = Path(output)
    if target.exists() and target.resolve() == database.sqlite_path.resolve():
        raise UnwritableFile(path=output, reason=("đó là chính cơ sở dữ liệu cần sao lưu",
                                                  "it is the database being backed up"))
    source_mode = database.sqlite_path.stat().st_mode & 0o777
    with replacing(target, force=force, mode=source_mode) as handle:  # no wider than it
        temporary = Path(handle.name)
        try:
            copy(found.read_uri, temporary, database, output)
            done = check(temporary, database, output)
        finally:  # SQLite's own files beside the copy (a journal cut short by a failure)
            for end in ("-journal", "-wal", "-shm"):
                temporary.with_name(temporary.name + end).unlink(missing_ok=True)
    return BackedUp(output, done["verified"], target.stat().st_size, done["rebuilt"],
                    done["views"])


def copy(source_uri: str, temporary: Path, database: Database, output: str) -> None:
    """The online backup, in one step (one snapshot of the source), into `temporary`, made
    one self-contained file."""
    source = sqlite3.connect(source_uri, uri=True, timeout=10)
    try:
        target = sqlite3.connect(temporary, timeout=10)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    except sqlite3.Error as exc:
        fault = database_fault(exc, Database(str(temporary)))
        if fault is not None and fault.rule == "database_full":  # the copy's disk
            raise UnwritableFile(path=output, reason=FULL) from None
        raise database_fault(exc, database) or exc from None
    finally:
        source.close()


def check(temporary: Path, database: Database, output: str) -> dict[str, Any]:
    """SQLite's integrity check, the chain, the views; the views rebuilt in the copy if
    they differ from its log folded again."""
    conn = sqlite3.connect(read_uri(temporary), uri=True)
    try:
        problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    if problems != ["ok"]:
        raise CopyDamaged(detail=problems[0], path=output, db=database.label())
    try:
        verified = verify_database(temporary)
    except LogAltered as exc:
        raise CopyAltered(reason=(exc.message("vi"), exc.message("en")), path=output) from None
    copied = Database(str(temporary))
    found = copied.found()
    if found.newer:  # a newer kiemtra's views: not this release's to judge, nor to rebuild
        return {"verified": verified, "rebuilt": False, "views": False}
    Views(copied).fresh()  # caught up in the copy: current wherever it is opened
    rebuilt = view_rows(copied, found) != view_rows(copied, found, rebuild=True)
    if rebuilt:
        Views(copied).rebuild()
    return {"verified": verified, "rebuilt": rebuilt, "views": True}


def view_rows(database: Database, found: Found, *, rebuild: bool = False
              ) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of every view of `database` (caught up, or folded again from its log),
    as a multiset: row order is no part of a view."""
    views = Views(database).unwritten(found, rebuild=rebuild)
    try:
        with views.reader() as r:
            return {view.name: Counter(tuple(row.values()) for row in
                                       r.rows(f"SELECT * FROM {view.name}"))
                    for view in schema.VIEWS}
    finally:
        views.close()


def pg_dump_advice(url: str, output: str) -> dict[str, str]:
    """The pg_dump and pg_restore command lines for the database of `url`, its password
    never in them."""
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/")) or "postgres"
    where = [f"--host={parts.hostname or 'localhost'}", f"--port={parts.port or 5432}"]
    if parts.username:
        where.append(f"--username={unquote(parts.username)}")
    dump = ["pg_dump", "--format=custom", *where, f"--file={output}", name]
    restore = ["pg_restore", *where, f"--dbname={name}", output]
    return {"dump": shlex.join(dump), "restore": shlex.join(restore)}


__all__ = ["BackedUp", "back_up", "pg_dump_advice"]
