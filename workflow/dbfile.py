"""What is at the path `--db` names, before kiemtra opens it, and what a database fault
means in a person's words.

`inspect` looks before anything is created: nothing yet (a new database), an empty file
(0 bytes, or SQLite with no table: also new), kiemtra's database — with the data format
it records and whether it can be written — or something kiemtra must leave alone: a
folder, a file that is not SQLite, a damaged one, another application's database. Only
the standard library's `sqlite3` is used, read-only, so a read command pays no more than
a header and one look at the schema.

kiemtra's files are marked when kiemtra first writes them (`mark`): `PRAGMA
application_id` (SQLite's field for saying which application a file belongs to) and
`PRAGMA user_version`, the data format. A file without the marks is recognised by its
tables (an older kiemtra's, or one only read so far). A format newer than `DATA_FORMAT`
comes from a newer kiemtra: this one reads it without writing anything, and refuses to
write.

`database_fault` turns what SQLite (directly, or through eventsourcing or SQLAlchemy)
raises on a bad file, a full disk or a read-only one into the refusal a person reads.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from kiemtra.domain.errors import KiemtraError
from kiemtra.domain.topics import kind_of
from kiemtra.workflow.errors import (
    ConcurrentChange,
    DamagedDatabase,
    DatabaseFolderMissing,
    DatabaseFull,
    DatabaseIOError,
    DatabaseIsFolder,
    DatabaseNotCreated,
    DatabasePermission,
    DatabaseUnreachable,
    ForeignDatabase,
    NewerDatabase,
    NewerDatabaseNote,
    NoDatabaseNamed,
    NotADatabase,
    ReadOnlyDatabase,
    StorageUnavailable,
)


class Database(Protocol):
    """What is asked here of `database.Database` (which asks this module what it holds)."""

    @property
    def url(self) -> str: ...

    @property
    def is_postgres(self) -> bool: ...

    @property
    def sqlite_path(self) -> Path: ...

    def label(self) -> str: ...

APPLICATION_ID = 0x6B747261
"""`PRAGMA application_id` of a kiemtra database: "ktra" in ASCII."""
DATA_FORMAT = 2
"""`PRAGMA user_version` of a kiemtra database: the data format this release reads and
writes (the events table, stable topics, the hash chain, attachments; since 2 the chains
per commune, which an older release would not extend). Raise it only when an older
release could no longer write the file correctly; a database of an older format (0: from
before the mark) is read as it is, and upgraded on its first write."""
ORIGINS_FORMAT = 2  # the first format with the chains per commune
EVENTS_TABLE = "stored_events"
KIEMTRA_TABLES = frozenset({
    EVENTS_TABLE, "event_chain", "event_chain_origin",  # workflow/store.py
    "event_chain_rechained",  # workflow/chain_repair.py
    "stream_origin", "origin_chain", "origin_chain_started",  # workflow/origin_chain.py
    "attachments", "attachment_chunks",  # workflow/attachments.py
    "view_tracking", "view_campaigns", "view_inspections", "view_deadlines",
    "view_deliveries", "view_unreadable",  # projections/schema.py
    "scheduler_jobs", "scheduler_lease",  # notifications/scheduler.py
})
"""Every table kiemtra makes (a test holds this list to the layers that make them)."""
SQLITE_HEADER = b"SQLite format 3\x00"
LOW_SPACE = 1024 * 1024  # bytes free under which a failed write is taken for a full disk

MISSING, EMPTY, KIEMTRA = "missing", "empty", "kiemtra"

READ_ONLY_DISK = ("ổ đĩa chỉ cho đọc", "the disk is read-only")
READ_ONLY_FILE = ("tệp không cho phép ghi", "the file may not be written")
READ_ONLY_FOLDER = ("thư mục chứa tệp không cho phép ghi", "its folder may not be written")
READ_ONLY_SQLITE = ("SQLite không được phép ghi vào tệp", "SQLite may not write the file")
CUT_SHORT = ("tệp ngắn hơn kích thước ghi ở phần đầu của nó, có thể đã bị cắt khi sao chép",
             "the file is shorter than its header says, cut short while copied perhaps")
BROKEN = ("SQLite thấy cấu trúc tệp không còn hợp lệ", "SQLite finds its structure broken")
NOT_REGULAR = ("đây không phải một tệp thông thường (ống dẫn, thiết bị…)",
               "it is not a regular file (a pipe, a device…)")
NOT_A_FOLDER = ("một phần của đường dẫn không phải thư mục", "a part of the path is not a folder")
NO_PERMISSION = ("không có quyền truy cập", "permission denied")
CANNOT_OPEN = ("SQLite không mở được tệp", "SQLite cannot open the file")


@dataclass(frozen=True)
class Found:
    """What `inspect` found: its `state` (MISSING, EMPTY or KIEMTRA), how to open it for
    reading without writing (`read_uri`), the data format it records, and why it cannot
    be written (None when it can)."""

    state: str
    read_uri: str = ""
    data_format: int = 0
    read_only: tuple[str, str] | None = None

    @property
    def newer(self) -> bool:
        """Written by a newer kiemtra, whose format this one does not know."""
        return self.data_format > DATA_FORMAT

    @property
    def holds_data(self) -> bool:
        """kiemtra's data is there to read (`Database.exists`)."""
        return self.state == KIEMTRA

    @property
    def writable(self) -> bool:
        return self.read_only is None and not self.newer

    def require_writable(self, database: Database) -> None:
        """NewerDatabase or ReadOnlyDatabase (DatabaseNotCreated where there is no file
        yet) unless this release may write here."""
        if self.newer:
            raise NewerDatabase(**newer_values(database, self.data_format))
        if self.read_only is not None and self.state == MISSING:
            raise DatabaseNotCreated(db=database.label(), why=self.read_only)
        if self.read_only is not None:
            raise ReadOnlyDatabase(db=database.label(), why=self.read_only)

    def note(self, database: Database) -> NewerDatabaseNote | None:
        """What a read of this database says beside its answer, if anything."""
        if not self.newer:
            return None
        return NewerDatabaseNote(**newer_values(database, self.data_format))


def newer_values(database: Database, found: int) -> dict[str, object]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("kiemtra")
    except PackageNotFoundError:  # pragma: no cover - only an uninstalled checkout
        number = "?"
    return {"db": database.label(), "found": found, "known": DATA_FORMAT, "version": number}


def inspect(database: Database) -> Found:
    """What is at `database`'s path; the plain refusal when it is nothing kiemtra may use."""
    if database.is_postgres:
        return Found(KIEMTRA)
    if not database.url.strip():
        raise NoDatabaseNamed()
    path = database.sqlite_path
    label = database.label()
    try:
        found = path.stat()
    except FileNotFoundError:
        folder = path.parent
        if folder.is_dir():
            return Found(MISSING, read_only=_unwritable_folder(folder))
        if folder.exists() or any(p.exists() and not p.is_dir() for p in folder.parents):
            raise StorageUnavailable(db=label, reason=NOT_A_FOLDER) from None
        raise DatabaseFolderMissing(db=label, folder=str(folder)) from None
    except OSError as exc:
        raise StorageUnavailable(db=label, reason=_os_reason(exc)) from None
    if stat.S_ISDIR(found.st_mode):
        raise DatabaseIsFolder(db=label)
    if not stat.S_ISREG(found.st_mode):
        raise StorageUnavailable(db=label, reason=NOT_REGULAR)
    read_only = _read_only(path)
    uri = read_uri(path, read_only is READ_ONLY_DISK)
    if found.st_size == 0:
        return Found(EMPTY, uri, read_only=read_only)
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise StorageUnavailable(db=label, reason=_os_reason(exc)) from None
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        raise NotADatabase(db=label)
    if _cut_short(path, header, found.st_size):
        raise DamagedDatabase(db=label, why=CUT_SHORT)
    try:
        uri, application, data_format, tables, first_topic = _schema(path, uri, header)
    except sqlite3.Error as exc:
        raise database_fault(exc, database) or StorageUnavailable(
            db=label, reason=CANNOT_OPEN) from None
    if application not in (0, APPLICATION_ID):
        raise ForeignDatabase(db=label)
    if application != APPLICATION_ID and not _kiemtra_tables(tables, first_topic):
        if tables or data_format:
            raise ForeignDatabase(db=label)
        return Found(EMPTY, uri, read_only=read_only)
    return Found(KIEMTRA, uri, data_format if application else 0, read_only)


def _kiemtra_tables(tables: set[str], first_topic: str | None) -> bool:
    """Tables kiemtra makes: any of them but the events table (the library's name, which
    another eventsourcing application may use too), or that one with a topic of kiemtra."""
    if tables & (KIEMTRA_TABLES - {EVENTS_TABLE}):
        return True
    return EVENTS_TABLE in tables and first_topic is not None and kind_of(first_topic) is not None


def read_uri(path: Path, read_only_disk: bool = False) -> str:
    """The URI that opens `path` for reading only. On a read-only disk nobody can be
    writing it, and SQLite could not make the shared-memory file its WAL mode reads
    through: it is opened immutable."""
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    return uri + "&immutable=1" if read_only_disk else uri


def _schema(path: Path, uri: str, header: bytes
            ) -> tuple[str, int, int, set[str], str | None]:
    """(the URI that reads the file, application id, data format, table names, first
    topic).

    A file in WAL mode that no connection has open (no `-wal` beside it) holds all its
    pages itself: it is looked at immutable, which makes no `-wal` or `-shm` file beside
    it — a read-only connection could not remove them again, and the file may be another
    application's. A read-only open that SQLite refuses because it cannot make the WAL's
    shared-memory file (a folder it may not write, a full disk) is made immutable too,
    when no write-ahead log holds anything the file lacks."""
    wal = path.with_name(path.name + "-wal")
    in_wal_mode = header[18] == 2
    if in_wal_mode and not wal.exists() and "immutable" not in uri:
        return (uri, *_read_schema(uri + "&immutable=1"))
    try:
        return (uri, *_read_schema(uri))
    except sqlite3.OperationalError as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR) or "immutable" in uri \
                or _wal_bytes(path):
            raise
        uri += "&immutable=1"
        return (uri, *_read_schema(uri))


def _read_schema(uri: str) -> tuple[int, int, set[str], str | None]:
    conn = sqlite3.connect(uri, uri=True, timeout=10)
    try:
        application = int(conn.execute("PRAGMA application_id").fetchone()[0])
        data_format = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {str(name) for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        first = None
        if EVENTS_TABLE in tables:
            row = conn.execute(f"SELECT topic FROM {EVENTS_TABLE} ORDER BY rowid LIMIT 1"
                               ).fetchone()
            first = str(row[0]) if row else None
        return application, data_format, tables, first
    finally:
        conn.close()


def _cut_short(path: Path, header: bytes, size: int) -> bool:
    """The file is shorter than the size its header records (when that record is valid,
    and no write-ahead log holds pages not yet copied back into the file)."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if not pages or header[24:28] != header[92:96]:
        return False
    if _wal_bytes(path):
        return False
    return size < pages * page_size


def _wal_bytes(path: Path) -> int:
    """The size of the write-ahead log beside `path`, 0 if there is none — even one that
    another process's last connection removes while this one looks (it did, in CI)."""
    try:
        return path.with_name(path.name + "-wal").stat().st_size
    except FileNotFoundError:
        return 0


def _read_only(path: Path) -> tuple[str, str] | None:
    """Why SQLite could not write `path` (None if it can): a read-only disk, a file this
    user may not write, a folder where its journal could not be made."""
    if _read_only_disk(path.parent):
        return READ_ONLY_DISK
    if not os.access(path, os.W_OK):
        return READ_ONLY_FILE
    return _unwritable_folder(path.parent)


def _unwritable_folder(folder: Path) -> tuple[str, str] | None:
    if _read_only_disk(folder):
        return READ_ONLY_DISK
    return None if os.access(folder, os.W_OK | os.X_OK) else READ_ONLY_FOLDER


def _read_only_disk(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _os_reason(exc: OSError) -> tuple[str, str]:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return NO_PERMISSION
    if exc.errno == errno.ENOTDIR:
        return NOT_A_FOLDER
    return CANNOT_OPEN


def _low_space(folder: Path) -> bool:
    try:
        found = os.statvfs(folder)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < LOW_SPACE


# --- what went wrong, in a person's words --------------------------------------------------


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error behind `exc` (eventsourcing raises it `from`, SQLAlchemy keeps it
    as `orig`), if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            return current
        orig = getattr(current, "orig", None)
        if isinstance(orig, sqlite3.Error):
            return orig
        current = current.__cause__ or current.__context__
    return None


def database_fault(exc: BaseException, database: Database) -> KiemtraError | None:
    """The refusal a person reads for a database failure `exc`, or None if `exc` is not
    one (then it is a fault of kiemtra's own)."""
    if database.is_postgres:
        return _postgres_fault(exc, database)
    error = _sqlite_error(exc)
    text = str(error if error is not None else exc).lower()
    code = getattr(error, "sqlite_errorcode", -1) & 0xFF if error is not None else -1
    label = database.label()
    folder = database.sqlite_path.parent
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in text \
            or "database is busy" in text:
        return ConcurrentChange()
    if code == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return DatabaseFull(db=label)
    if code == sqlite3.SQLITE_CORRUPT or "malformed" in text:
        return DamagedDatabase(db=label, why=BROKEN)
    if code == sqlite3.SQLITE_NOTADB or "file is not a database" in text:
        return NotADatabase(db=label)
    if code == sqlite3.SQLITE_READONLY or "readonly database" in text:
        return ReadOnlyDatabase(db=label, why=_why_read_only(database) or READ_ONLY_SQLITE)
    if code == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
        return DatabaseFull(db=label) if _low_space(folder) else DatabaseIOError(db=label)
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM) \
            or "unable to open database" in text:
        if _low_space(folder):
            return DatabaseFull(db=label)
        why = _why_read_only(database)
        if why is not None:
            return ReadOnlyDatabase(db=label, why=why)
        return StorageUnavailable(db=label, reason=CANNOT_OPEN)
    return None


def write_refused(exc: BaseException, database: Database) -> bool:
    """Whether `exc` says the database may not be written now (a full disk, a read-only
    file or disk, an input/output error), so a read may go on without writing."""
    return isinstance(database_fault(exc, database),
                      (DatabaseFull, ReadOnlyDatabase, DatabaseIOError))


def _why_read_only(database: Database) -> tuple[str, str] | None:
    path = database.sqlite_path
    return _read_only(path) if path.exists() else _unwritable_folder(path.parent)


POSTGRES_REASONS = (
    ("password authentication failed", ("sai tên người dùng hoặc mật khẩu",
                                        "wrong user name or password")),
    ("does not exist", ("máy chủ không có cơ sở dữ liệu hoặc người dùng này",
                        "the server has no such database or user")),
    ("connection refused", ("máy chủ không nhận kết nối (chưa chạy, hoặc sai cổng)",
                            "the server refuses connections (not running, or a wrong port)")),
    ("could not translate host name", ("không tìm thấy máy chủ có tên này",
                                       "no server has that name")),
    ("timeout", ("máy chủ không trả lời", "the server does not answer")),
)


PERMISSION_ON = re.compile(r"permission denied for (table|relation|schema|sequence|"
                           r"database|function) (\S+)")
OBJECT_WORDS = {"table": ("bảng", "the table"), "relation": ("bảng", "the table"),
                "schema": ("lược đồ", "the schema"), "sequence": ("bộ đếm", "the sequence"),
                "database": ("cơ sở dữ liệu", "the database"),
                "function": ("hàm", "the function")}


def _postgres_fault(exc: BaseException, database: Database) -> KiemtraError | None:
    """A server that cannot be reached, or refuses the user, in plain words."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) == "42501":  # insufficient_privilege
            return _permission(current, database)
        module = type(current).__module__
        if module.startswith("psycopg") and type(current).__name__ == "OperationalError":
            text = str(current).lower()
            for words, why in POSTGRES_REASONS:
                if words in text:
                    return DatabaseUnreachable(db=database.label(), why=why)
            return DatabaseUnreachable(db=database.label(), why=(
                "máy chủ PostgreSQL báo lỗi kết nối", "the PostgreSQL server refused the "
                "connection"))
        current = current.__cause__ or current.__context__ or getattr(current, "orig", None)
    return None


def _permission(exc: BaseException, database: Database) -> KiemtraError:
    found = PERMISSION_ON.search(str(exc))
    kind, name = (found.group(1), found.group(2).strip('"')) if found else ("", "")
    vi, en = OBJECT_WORDS.get(kind, ("một đối tượng", "an object"))
    user = urlsplit(database.url).username or "?"
    return DatabasePermission(user=user, db=database.label(),
                              what_vi=f"{vi} {name}".strip(), what_en=f"{en} {name}".strip())


class Cursor(Protocol):
    def execute(self, sql: str) -> object: ...

    def fetchone(self) -> Any: ...


def mark(cursor: Cursor) -> None:
    """Mark the file as kiemtra's, of this data format, in the caller's write transaction
    (an older kiemtra's file gets the mark on its first write; a newer one never comes
    here: it is refused before)."""
    cursor.execute("PRAGMA application_id")
    application = int(cursor.fetchone()[0])
    cursor.execute("PRAGMA user_version")
    data_format = int(cursor.fetchone()[0])
    if application != APPLICATION_ID:
        cursor.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    if data_format < DATA_FORMAT or application != APPLICATION_ID:
        cursor.execute(f"PRAGMA user_version = {max(DATA_FORMAT, data_format)}")
