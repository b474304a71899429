"""Database faults through the installed script (issue 15, items 4 and 7): a folder or an
empty name as --db, a damaged file, a file that is not SQLite, another application's
database, a database of a newer kiemtra, a read-only file or disk, a full disk — each
answered in one or two plain sentences of the reader's language, exit 2, nothing
written; reads of a database that may not be written still work. And `kiemtra backup`:
a checked copy, made while others write, that opens directly with --db."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiemtra.workflow.dbfile import DATA_FORMAT
from tests.e2e.conftest import CODE, Result, Run, kiemtra_script, ok

VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ"
                        r"ùúủũụừứửữựỳýỷỹỵ“”]", re.IGNORECASE)
NOTIFY = ("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026")
READS = (("status",), ("due", "--all"), ("campaigns",), ("history", CODE),
         ("summary", CODE), ("audit",), ("plan", "show", CODE), ("audit", "verify"))
KIEMTRA_APPLICATION_ID = 0x6B747261


Rights = Callable[[], None] | None
"""What the child process runs before kiemtra: fewer rights than the test's (or None)."""


def kiemtra(cwd: Path, *args: str, rights: Rights = None, lang: str | None = None
            ) -> Result:
    """`kiemtra ARGS` in `cwd`, with `rights` (a user who may not write a file, say)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.update({"KIEMTRA_ACTOR": "truong-to", "XDG_CONFIG_HOME": str(cwd / "config"),
                    "COLUMNS": "250"})
    chosen = ("--lang", lang) if lang else ()
    done = subprocess.run([kiemtra_script(), *chosen, *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120, preexec_fn=rights)
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


def plain(err: str, lang: str) -> None:
    """One or two plain sentences in `lang`: no traceback, no 'unexpected error', no URL."""
    assert err.strip() and err.count("\n") == 1, err
    assert "unexpected" not in err and "không mong đợi" not in err, err
    assert "http" not in err and "sqlite3." not in err and "Error" not in err, err
    assert len(re.findall(r"[.!?](?:\s|$)", err.strip())) <= 2, err
    if lang == "en":
        assert not VIETNAMESE.search(err), err


def refused(cwd: Path, *args: str, said: tuple[str, str], code: int = 2,
            rights: Rights = None) -> dict[str, str]:
    """Refused with `code` in both languages, in plain words, each with its `said` words;
    returns what was said, by language."""
    heard = {}
    for lang, words in zip(("vi", "en"), said, strict=True):
        done = kiemtra(cwd, *args, rights=rights, lang=lang)
        assert done.code == code, (args, done.err)
        assert done.out == "", done.out
        plain(done.err, lang)
        assert words in done.err, done.err
        heard[lang] = done.err.strip()
    return heard


def state(folder: Path, *, side_files: bool = True) -> dict[str, tuple[bytes, int]]:
    """Every file of a folder: its bytes and modification time (nothing written?). Without
    `side_files`, the `-wal` and `-shm` files a read-only SQLite connection leaves beside a
    database in WAL mode are not counted (it cannot remove them: the next writer does)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())
            if p.is_file() and (side_files or not p.name.endswith(("-wal", "-shm")))}


def events(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


def marks(db: Path) -> tuple[int, int]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return (int(conn.execute("PRAGMA application_id").fetchone()[0]),
                int(conn.execute("PRAGMA user_version").fetchone()[0]))


def checkpointed(db: Path) -> None:
    """Fold the write-ahead log back into the file, so a copy of the file alone is whole."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture
def recorded(imported: Run, tmp_path: Path) -> Path:
    """A real database: the example plan, one unit notified, its views caught up."""
    ok(imported(*NOTIFY))
    ok(imported("status"))
    db = tmp_path / "kiemtra.db"
    checkpointed(db)
    return db


def another_folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


# --- what --db names ----------------------------------------------------------------------


def test_a_folder_as_the_database(run: Run, tmp_path: Path) -> None:
    folder = another_folder(tmp_path, "thu-muc")
    (tmp_path / "ke-hoach.toml").write_text(ok(run("plan", "template")).out, "utf-8")
    for args in (("status",), ("plan", "import", "ke-hoach.toml"), ("audit", "verify")):
        refused(tmp_path, "--db", "thu-muc", *args,
                said=("thu-muc là một thư mục, không phải tệp cơ sở dữ liệu. Hãy ghi cả tên "
                      "tệp, ví dụ --db thu-muc/kiemtra.db.",
                      "thu-muc is a folder, not a database file. Name the file too, for "
                      "example --db thu-muc/kiemtra.db."))
    assert list(folder.iterdir()) == []


def test_an_empty_name_as_the_database(run: Run, tmp_path: Path) -> None:
    template = ok(run("plan", "template")).out
    (tmp_path / "ke-hoach.toml").write_text(template, "utf-8")
    before = state(tmp_path)
    for args in (("status",), ("plan", "import", "ke-hoach.toml"), ("backup", "-o", "b.db")):
        refused(tmp_path, "--db", "", *args,
                said=("Tên cơ sở dữ liệu để trống", "The database name is empty"))
    assert state(tmp_path) == before


def test_a_folder_that_does_not_exist(imported: Run, tmp_path: Path) -> None:
    refused(tmp_path, "--db", "khong-co/kiemtra.db", "plan", "import", "ke-hoach.toml",
            said=("Không có thư mục khong-co để chứa cơ sở dữ liệu khong-co/kiemtra.db.",
                  "There is no folder khong-co to hold the database khong-co/kiemtra.db."))
    assert not (tmp_path / "khong-co").exists()


def test_a_truncated_copy(recorded: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cat-ngan.db"
    cut.write_bytes(recorded.read_bytes()[: recorded.stat().st_size // 2])
    before = state(tmp_path)
    for args in (("status",), ("audit", "verify"), NOTIFY, ("history", CODE)):
        refused(tmp_path, "--db", cut.name, *args,
                said=("Tệp cơ sở dữ liệu cat-ngan.db bị hỏng (tệp ngắn hơn kích thước",
                      "The database file cat-ngan.db is damaged (the file is shorter than "))
    assert state(tmp_path) == before


def test_a_damaged_page(recorded: Path, tmp_path: Path) -> None:
    """Whole in length, but a page of the events table overwritten: SQLite's own finding."""
    damaged = tmp_path / "hong.db"
    content = bytearray(recorded.read_bytes())
    page = 4096
    for start in range(page, len(content), page):  # every page but the header's
        content[start:start + page] = os.urandom(page)
    damaged.write_bytes(bytes(content))
    before = state(tmp_path)
    for args in (("status",), NOTIFY):
        refused(tmp_path, "--db", damaged.name, *args,
                said=("Tệp cơ sở dữ liệu hong.db bị hỏng", "The database file hong.db is "
                      "damaged"))
    assert state(tmp_path) == before


def test_a_file_that_is_not_sqlite(run: Run, tmp_path: Path) -> None:
    (tmp_path / "ngau-nhien.db").write_bytes(os.urandom(50_000))
    (tmp_path / "ke-hoach.toml").write_text(ok(run("plan", "template")).out, "utf-8")
    before = state(tmp_path)
    for args in (("status",), ("audit", "verify"), ("plan", "import", "ke-hoach.toml")):
        refused(tmp_path, "--db", "ngau-nhien.db", *args,
                said=("Tệp ngau-nhien.db không phải là cơ sở dữ liệu SQLite",
                      "The file ngau-nhien.db is not a SQLite database"))
    assert state(tmp_path) == before


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_applications_database_is_never_touched(run: Run, tmp_path: Path,
                                                         journal: str) -> None:
    foreign = tmp_path / "danh-ba.db"
    with contextlib.closing(sqlite3.connect(foreign)) as conn:
        conn.execute(f"PRAGMA journal_mode = {journal}")
        conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('Nguyễn Văn A', '0912')")
        conn.commit()
    (tmp_path / "ke-hoach.toml").write_text(ok(run("plan", "template")).out, "utf-8")
    before = state(tmp_path)
    for args in (("status",), ("audit", "verify"), ("history", CODE),
                 ("plan", "import", "ke-hoach.toml"), ("projections", "rebuild"),
                 ("backup", "-o", "b.db")):
        refused(tmp_path, "--db", foreign.name, *args,
                said=("Tệp danh-ba.db là cơ sở dữ liệu của một phần mềm khác, không phải của "
                      "kiemtra; kiemtra không đọc và không ghi vào đó. Hãy chọn một tệp khác "
                      "bằng --db (kiemtra tạo tệp mới nếu chưa có).",
                      "The file danh-ba.db is another application's database, not kiemtra's;"
                      " kiemtra neither reads nor writes it. Choose another file with --db "
                      "(kiemtra makes a new one if there is none)."))
    assert state(tmp_path) == before  # bytes and times, and no -wal or -shm beside it


def test_another_eventsourcing_application_is_foreign_too(run: Run, tmp_path: Path) -> None:
    """The library's events table alone, holding another application's topics."""
    other = tmp_path / "khac.db"
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE stored_events (originator_id TEXT, originator_version "
                     "INTEGER, topic TEXT, state BLOB)")
        conn.execute("INSERT INTO stored_events VALUES ('a', 1, 'shop.orders:Order.Created',"
                     " x'7b7d')")
        conn.commit()
    before = state(tmp_path)
    refused(tmp_path, "--db", other.name, "status",
            said=("là cơ sở dữ liệu của một phần mềm khác", "another application's database"))
    assert state(tmp_path) == before


def test_an_empty_file_is_a_new_database(run: Run, tmp_path: Path) -> None:
    """0 bytes (as `touch` makes) is a database not yet begun: a read finds nothing and
    leaves it as it is; a plan imported there makes it kiemtra's."""
    empty = tmp_path / "moi.db"
    empty.touch()
    assert "Chưa có cuộc kiểm tra nào" in ok(run("--db", "moi.db", "status")).out
    assert empty.stat().st_size == 0
    (tmp_path / "ke-hoach.toml").write_text(ok(run("plan", "template")).out, "utf-8")
    ok(run("--db", "moi.db", "plan", "import", "ke-hoach.toml"))
    assert marks(empty) == (KIEMTRA_APPLICATION_ID, DATA_FORMAT)


def test_the_mark_is_set_on_the_first_write_of_an_older_database(
        run: Run, tmp_path: Path) -> None:
    old = tmp_path / "kiemtra.db"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "release-0.1.0" / "kiemtra-0.1.0.db",
                old)
    assert marks(old) == (0, 0)
    ok(run("--json", "status"))
    assert marks(old) == (0, 0)  # a read does not mark it
    ok(run("cancel", "KTD-DX-2026", "hcc", "--reason", "Sáp nhập đơn vị"))
    assert marks(old) == (KIEMTRA_APPLICATION_ID, DATA_FORMAT)
    ok(run("audit", "verify"))


# --- a newer kiemtra's database ------------------------------------------------------------


def test_a_database_of_a_newer_release_is_read_but_never_written(
        recorded: Path, tmp_path: Path) -> None:
    stale(tmp_path)  # a step the views have not applied yet (the newer release's, say)
    with contextlib.closing(sqlite3.connect(recorded)) as conn:
        conn.execute("PRAGMA user_version = 99")
        conn.commit()
    before = state(tmp_path, side_files=False)
    said = refused(tmp_path, *NOTIFY[:1], CODE, "hcc", "--on-site", "17/08/2026", "--date",
                   "05/08/2026",
                   said=("Cơ sở dữ liệu kiemtra.db đã được ghi bởi phiên bản mới hơn của "
                         "kiemtra (định dạng dữ liệu 99;", "The database kiemtra.db was "
                         "written by a newer version of kiemtra (data format 99;"))
    assert "Hãy cập nhật kiemtra." in said["vi"] and "Update kiemtra." in said["en"]
    refused(tmp_path, "projections", "rebuild", said=("phiên bản mới hơn", "a newer version"))
    for lang in ("vi", "en"):
        read = kiemtra(tmp_path, "--json", "status", lang=lang)
        assert read.code == 0, read.err
        rows = {r["unit"]: r for r in read.json()}
        assert rows["kt"]["on_site"] == "2026-08-14"  # folded in memory, never stale
        note = ("Lưu ý: cơ sở dữ liệu kiemtra.db do phiên bản mới hơn của kiemtra ghi"
                if lang == "vi" else "Note: the database kiemtra.db was written by a newer")
        assert note in read.err
        plain(read.err, lang)
    assert ok(kiemtra(tmp_path, "audit", "verify")).out.startswith("Hồ sơ nguyên vẹn")
    assert "Đổi lịch kiểm tra" in ok(kiemtra(tmp_path, "history", CODE, "kt")).out
    assert state(tmp_path, side_files=False) == before


# --- read-only ------------------------------------------------------------------------------


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24  # <linux/capability.h>


def _drop_override() -> None:
    """In the child, before kiemtra starts: drop root's right to write any file whatever
    its mode from the capability bounding set (as `setpriv --bounding-set=-dac_override`
    does), so the program it runs has it no more."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def without_override() -> Rights:
    """Rights under which a file of mode 0444 cannot be written: the test's own when it
    does not run as root; as root (CI runs in a container as root, and root ignores a
    file's mode), root without CAP_DAC_OVERRIDE. Skip when that cannot be done here."""
    if os.geteuid() != 0:
        return None
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "chi-doc"
        target.write_text("")
        target.chmod(0o444)
        try:
            done = subprocess.run(["sh", "-c", 'echo x >> "$0"', str(target)],
                                  preexec_fn=_drop_override, capture_output=True, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"running as root, and CAP_DAC_OVERRIDE cannot be dropped here "
                        f"({exc}): a mode of 0444 would not stop root")
        if done.returncode == 0:
            pytest.skip("running as root, and without CAP_DAC_OVERRIDE a file of mode 0444 "
                        "can still be written here")
    return _drop_override


def stale(db_folder: Path) -> None:
    """A step recorded and no read since: the views trail the log (a read must catch up,
    which it cannot write on a read-only database)."""
    ok(kiemtra(db_folder, "reschedule", CODE, "kt", "--on-site", "14/08/2026", "--reason",
               "Trùng lịch họp", "--date", "05/08/2026"))
    checkpointed(db_folder / "kiemtra.db")


def reads_work(folder: Path, rights: Rights = None) -> None:
    for args in READS:
        for lang in ("vi", "en"):
            done = kiemtra(folder, *args, rights=rights, lang=lang)
            assert done.code == 0, (args, done.err)
    rows = {r["unit"]: r for r in kiemtra(folder, "--json", "status", rights=rights).json()}
    assert rows["kt"]["on_site"] == "2026-08-14"  # the step the views had not applied yet
    assert ok(kiemtra(folder, "audit", "verify", rights=rights)).out.startswith(
        "Hồ sơ nguyên vẹn: đã kiểm tra 7 sự kiện")


def writes_refused(folder: Path, why: tuple[str, str], rights: Rights = None
                   ) -> dict[str, str]:
    said = {}
    for args in (("notify", CODE, "hcc", "--on-site", "17/08/2026", "--date", "05/08/2026"),
                 ("projections", "rebuild")):
        said = refused(folder, *args, rights=rights, said=(
            f"Cơ sở dữ liệu kiemtra.db chỉ đọc được ({why[0]}); không ghi được. Các lệnh chỉ "
            "xem (status, due, history, audit verify…) vẫn dùng được.",
            f"The database kiemtra.db is read-only ({why[1]}); nothing can be written to it. "
            "Commands that only read (status, due, history, audit verify…) still work."))
    return said


def test_a_read_only_file(recorded: Path, tmp_path: Path) -> None:
    """chmod 0444, run as a user who may not write it: reads (caught up in memory) and
    `audit verify` work; a write is refused plainly and the file is unchanged."""
    rights = without_override()
    stale(tmp_path)
    recorded.chmod(0o444)
    try:
        before = recorded.read_bytes(), recorded.stat().st_mtime_ns
        reads_work(tmp_path, rights)
        writes_refused(tmp_path, ("tệp không cho phép ghi", "the file may not be written"),
                       rights)
        assert (recorded.read_bytes(), recorded.stat().st_mtime_ns) == before
    finally:
        recorded.chmod(0o644)


@contextlib.contextmanager
def mounted(kind: str, *args: str, target: Path) -> Iterator[None]:
    """`mount …` for the test, or a skip saying why it cannot be done here."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip(f"mounting a {kind} needs root and mount(8)")
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {kind} here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@contextlib.contextmanager
def read_only_view(source: Path, target: Path) -> Iterator[None]:
    """`source` seen read-only at `target`: a bind mount made read-only."""
    target.mkdir()
    with mounted("read-only bind mount", "--bind", str(source), target=target):
        done = subprocess.run(["mount", "-o", "remount,bind,ro", str(target)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot make a bind mount read-only here: {done.stderr.strip()}")
        yield


def test_a_read_only_disk(recorded: Path, tmp_path: Path) -> None:
    """A read-only medium (a bind mount made read-only): opened immutable, since SQLite
    could not make its shared-memory file there; reads and `audit verify` work, writes are
    refused plainly."""
    stale(tmp_path)
    source = another_folder(tmp_path, "goc")
    shutil.copy(recorded, source / "kiemtra.db")
    before = state(source)
    with read_only_view(source, tmp_path / "dia-chi-doc"):
        folder = tmp_path / "dia-chi-doc"
        reads_work_at(folder, tmp_path)
        said = writes_refused_at(folder, tmp_path)
        assert "ổ đĩa chỉ cho đọc" in said["vi"] and "the disk is read-only" in said["en"]
    assert state(source) == before


def reads_work_at(folder: Path, cwd: Path) -> None:
    """`reads_work` with the database named by --db (the read-only folder cannot be cwd's
    home for the config folder)."""
    db = str(folder / "kiemtra.db")
    for args in READS:
        for lang in ("vi", "en"):
            done = kiemtra(cwd, "--db", db, *args, lang=lang)
            assert done.code == 0, (args, done.err)
    rows = {r["unit"]: r for r in kiemtra(cwd, "--db", db, "--json", "status").json()}
    assert rows["kt"]["on_site"] == "2026-08-14"
    assert ok(kiemtra(cwd, "--db", db, "audit", "verify")).out.startswith(
        "Hồ sơ nguyên vẹn: đã kiểm tra 7 sự kiện")


def writes_refused_at(folder: Path, cwd: Path) -> dict[str, str]:
    db = str(folder / "kiemtra.db")
    return refused(cwd, "--db", db, "notify", CODE, "hcc", "--on-site", "17/08/2026",
                   "--date", "05/08/2026", said=(f"Cơ sở dữ liệu {db} chỉ đọc được",
                                                 f"The database {db} is read-only"))


# --- a full disk ---------------------------------------------------------------------------


def fill(folder: Path, leave: int = 0) -> None:
    """Fill the disk of `folder`, leaving about `leave` bytes free."""
    free = shutil.disk_usage(folder).free - leave
    with contextlib.suppress(OSError), (folder / "day.bin").open("wb") as f:
        while free > 0:
            chunk = min(free, 64 * 1024)
            f.write(b"\0" * chunk)
            f.flush()
            free -= chunk
    with contextlib.suppress(OSError), (folder / "day-them.bin").open("wb") as f:
        while leave == 0:  # to the last block
            f.write(b"\0" * 512)
            f.flush()


def test_a_full_disk(run: Run, tmp_path: Path) -> None:
    """A small disk holding the database, filled: a write says the disk is full (exit 2)
    and writes nothing — also a transaction cut short by the disk filling up during it;
    reads and `audit verify` still work, and the record stays whole."""
    disk = tmp_path / "dia-nho"
    disk.mkdir()
    with mounted("tmpfs", "-t", "tmpfs", "-o", "size=3m", "tmpfs", target=disk):
        (disk / "ke-hoach.toml").write_text(ok(run("plan", "template")).out, "utf-8")
        ok(kiemtra(disk, "plan", "import", "ke-hoach.toml"))
        ok(kiemtra(disk, *NOTIFY))
        db = disk / "kiemtra.db"
        before = events(db)
        (disk / "bien-ban.pdf").write_bytes(os.urandom(1_200_000))  # a large attachment
        fill(disk, leave=600_000)  # room to open, not for the attachment
        said = refused(disk, "report", CODE, "kt", "--date", "11/08/2026", "--attach",
                       "bien-ban.pdf", said=(
                           "Ổ đĩa chứa cơ sở dữ liệu kiemtra.db đã đầy; không có gì được ghi. "
                           "Hãy giải phóng dung lượng rồi chạy lại lệnh.",
                           "The disk holding the database kiemtra.db is full; nothing was "
                           "written. Free some space and run the command again."))
        assert events(db) == before
        fill(disk)  # to the last byte: SQLite cannot even make its shared-memory file
        assert refused(disk, "notify", CODE, "hcc", "--on-site", "17/08/2026", "--date",
                       "05/08/2026", said=("đã đầy", "is full")) == said
        for args in (("status",), ("history", CODE), ("audit", "verify")):
            assert kiemtra(disk, *args).code == 0, args  # reads work on a full disk
        (disk / "day.bin").unlink()
        (disk / "day-them.bin").unlink(missing_ok=True)
        assert ok(kiemtra(disk, "audit", "verify")).out.startswith(
            f"Hồ sơ nguyên vẹn: đã kiểm tra {before} sự kiện")
        assert events(db) == before
        rows = {r["unit"]: r for r in kiemtra(disk, "--json", "status").json()}
        assert rows["kt"]["state"] == "notified" and rows["hcc"]["state"] == "planned"
        ok(kiemtra(disk, "report", CODE, "kt", "--date", "11/08/2026"))  # room again


# --- backups ---------------------------------------------------------------------------------


def plan_named(tmp_path: Path, run: Run, code: str) -> Path:
    template = (tmp_path / "ke-hoach.toml").read_text("utf-8")
    path = tmp_path / f"{code}.toml"
    path.write_text(template.replace(f'code = "{CODE}"', f'code = "{code}"'), "utf-8")
    return path


def test_a_backup_while_others_keep_writing(recorded: Path, imported: Run,
                                            tmp_path: Path) -> None:
    """Two loops of `kiemtra plan import` write while `kiemtra backup` copies: the copy is
    the log as it stood at one moment (a prefix of it, every link whole), opens directly
    with --db, and its views equal a rebuild."""
    writers = []
    for w in range(2):
        plans = [plan_named(tmp_path, imported, f"KTD-{w}-{i}").name for i in range(6)]
        script = "; ".join(f"{kiemtra_script()} plan import {p} >/dev/null" for p in plans)
        writers.append(subprocess.Popen(["sh", "-c", script], cwd=tmp_path, env={
            **{k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")},
            "KIEMTRA_ACTOR": "truong-to"}))
    copies = []

    def back_up() -> None:
        name = f"sao-luu-{len(copies)}.db"
        done = kiemtra(tmp_path, "--json", "backup", "-o", name)
        assert done.code == 0, done.err
        copies.append((tmp_path / name, done.json()))

    try:
        while any(w.poll() is None for w in writers) or len(copies) < 2:
            back_up()
            time.sleep(0.1)
    finally:
        for w in writers:
            w.wait(timeout=300)
    assert all(w.returncode == 0 for w in writers)
    back_up()  # and one after the writers
    with contextlib.closing(sqlite3.connect(recorded)) as conn:
        source = conn.execute("SELECT rowid, originator_id, originator_version, topic, state "
                              "FROM stored_events ORDER BY rowid").fetchall()
    assert len(source) == 6 + 12 * 5
    assert len({report["events"] for _, report in copies}) > 2  # copies taken mid-way
    for copy, report in copies:
        assert report["checked"] == ["integrity", "chain", "views"]
        assert not report["views_rebuilt"]
        with contextlib.closing(sqlite3.connect(copy)) as conn:
            rows = conn.execute("SELECT rowid, originator_id, originator_version, topic, "
                                "state FROM stored_events ORDER BY rowid").fetchall()
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert rows == source[:len(rows)] and len(rows) == report["events"]
        assert not copy.with_name(copy.name + "-wal").exists()
        verified = ok(kiemtra(tmp_path, "--db", copy.name, "audit", "verify")).out
        assert verified.startswith(f"Hồ sơ nguyên vẹn: đã kiểm tra {len(rows)} sự kiện")
        status = kiemtra(tmp_path, "--db", copy.name, "--json", "status")
        assert status.code == 0 and {r["campaign"] for r in status.json()} >= {CODE}
    assert copies[-1][1]["events"] == len(source)  # the last one, after the writers
    assert not list(tmp_path.glob(".kiemtra-*"))  # no temporary file left


def test_a_backup_says_what_it_did_in_both_languages(recorded: Path, tmp_path: Path) -> None:
    said = {lang: ok(kiemtra(tmp_path, "backup", "-o", f"b-{lang}.db", lang=lang)).out
            for lang in ("vi", "en")}
    assert said["vi"].startswith("Đã sao lưu cơ sở dữ liệu kiemtra.db vào b-vi.db (6 sự kiện, "
                                 "0 tệp đính kèm, ")
    assert said["vi"].rstrip().endswith("bản sao đã qua kiểm tra toàn vẹn, chuỗi băm và các "
                                        "bảng tổng hợp.")
    assert said["en"].startswith("Backed up the database kiemtra.db to b-en.db (6 events, "
                                 "0 attachments, ")
    assert not VIETNAMESE.search(said["en"])


def test_a_backup_is_no_more_readable_than_the_database(recorded: Path,
                                                        tmp_path: Path) -> None:
    recorded.chmod(0o600)  # a database kept from other users: so is its copy
    ok(kiemtra(tmp_path, "backup", "-o", "rieng.db"))
    assert (tmp_path / "rieng.db").stat().st_mode & 0o777 == 0o600


def test_a_backup_never_replaces_a_file_unless_forced(recorded: Path, tmp_path: Path) -> None:
    (tmp_path / "cu.db").write_bytes(b"ban cu")
    refused(tmp_path, "backup", "-o", "cu.db", said=(
        "Tệp cu.db đã có; không ghi đè (dùng --force nếu muốn thay).",
        "The file cu.db exists; it is not overwritten (use --force to replace it)."))
    assert (tmp_path / "cu.db").read_bytes() == b"ban cu"
    ok(kiemtra(tmp_path, "backup", "-o", "cu.db", "--force"))
    assert events(tmp_path / "cu.db") == events(recorded)
    refused(tmp_path, "backup", "-o", "kiemtra.db", "--force", said=(
        "đó là chính cơ sở dữ liệu cần sao lưu", "it is the database being backed up"))
    refused(tmp_path, "backup", "-o", "khong-co/b.db", said=(
        "thư mục chứa tệp không tồn tại", "its folder does not exist"))


def test_a_backup_of_nothing(run: Run, tmp_path: Path) -> None:
    refused(tmp_path, "backup", "-o", "b.db", said=(
        "Không có cơ sở dữ liệu kiemtra.db để sao lưu.", "There is no database kiemtra.db "
        "to back up."))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_backup_rebuilds_views_that_differ_from_the_log(recorded: Path,
                                                           tmp_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(recorded)) as conn:
        conn.execute("UPDATE view_inspections SET state = 'cancelled' WHERE unit = 'kt'")
        conn.commit()
    done = kiemtra(tmp_path, "backup", "-o", "b.db")
    assert done.code == 0, done.err
    assert "đã được dựng lại trong bản sao" in done.err and "kiemtra projections rebuild" in \
        done.err
    rows = {r["unit"]: r for r in kiemtra(tmp_path, "--db", "b.db", "--json", "status").json()}
    assert rows["kt"]["state"] == "notified"


def test_a_backup_of_an_altered_record_is_refused(recorded: Path, tmp_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(recorded)) as conn:
        conn.execute("UPDATE stored_events SET state = CAST(state AS BLOB) || x'20' "
                     "WHERE rowid = 3")
        conn.commit()
    refused(tmp_path, "backup", "-o", "b.db", code=1,
            said=("Vì vậy không ghi bản sao b.db; cơ sở dữ liệu vẫn nguyên như trước.",
                  "So the copy b.db was not written; the database is as it was."))
    assert not (tmp_path / "b.db").exists() and not list(tmp_path.glob(".kiemtra-*"))


def test_a_backup_opens_on_a_read_only_disk(recorded: Path, tmp_path: Path) -> None:
    """The copy is one self-contained file (no -wal beside it): readable where nothing can
    be written."""
    store = another_folder(tmp_path, "luu-tru")
    ok(kiemtra(tmp_path, "backup", "-o", "luu-tru/kiemtra.db"))
    with read_only_view(store, tmp_path / "dia-chi-doc"):
        db = str(tmp_path / "dia-chi-doc" / "kiemtra.db")
        assert ok(kiemtra(tmp_path, "--db", db, "audit", "verify")).out.startswith(
            "Hồ sơ nguyên vẹn: đã kiểm tra 6 sự kiện")
        assert ok(kiemtra(tmp_path, "--db", db, "status")).code == 0


def test_postgres_is_backed_up_with_pg_dump(tmp_path: Path) -> None:
    url = os.environ.get("KIEMTRA_TEST_POSTGRES")
    if not url:
        pytest.skip("KIEMTRA_TEST_POSTGRES is not set")
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    secret = parts._replace(netloc=f"{parts.username or 'postgres'}:mat-khau-bi-mat@"
                                   f"{parts.hostname}:{parts.port or 5432}").geturl()
    name = parts.path.lstrip("/") or "postgres"
    command = (f"pg_dump --format=custom --host={parts.hostname} --port={parts.port or 5432} "
               f"--username={parts.username or 'postgres'} --file=sao-luu.dump {name}")
    said = refused(tmp_path, "--db", secret, "backup", "-o", "sao-luu.dump", said=(
        f"được sao lưu bằng pg_dump của PostgreSQL, không phải bằng kiemtra: {command} ",
        f"is backed up with PostgreSQL's pg_dump, not with kiemtra: {command} "))
    for words in said.values():
        assert "mat-khau-bi-mat" not in words and "pg_restore" in words
    assert list(tmp_path.iterdir()) == []
