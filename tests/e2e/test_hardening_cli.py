"""Bad files and bad numbers, through the installed script (issue 15, items 2 and 3): a
pipe, a device, a huge or oddly named file is refused before it is opened, in a plain
sentence of the reader's language, exit 2, nothing written; a file kiemtra writes never
replaces one already there unless --force."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CODE, Run, ok


def events(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


def refused(run: Run, tmp_path: Path, *args: str, said: tuple[str, str],
            env: dict[str, str] | None = None) -> None:
    """Refused with exit 2 in both languages, one plain line, nothing recorded."""
    before = events(tmp_path)
    for lang, words in zip(("vi", "en"), said, strict=True):
        done = run("--lang", lang, *args, env=env)
        assert done.code == 2 and done.out == "", done.err
        assert words in done.err and done.err.count("\n") == 1, done.err
        assert "Traceback" not in done.err and "unexpected" not in done.err
    assert events(tmp_path) == before


@pytest.fixture
def notified(imported: Run) -> Run:
    ok(imported("notify", CODE, "hcc", "--on-site", "17/08/2026", "--date", "05/08/2026"))
    return imported


def test_a_pipe_or_a_device_is_refused_before_it_is_opened(notified: Run,
                                                          tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ong-dan")  # opening it would wait for a writer forever
    not_regular = ("không phải một tệp thông thường", "not a regular file")
    refused(notified, tmp_path, "report", CODE, "hcc", "--date", "13/08/2026",
            "--attach", "ong-dan", said=not_regular)
    refused(notified, tmp_path, "report", CODE, "hcc", "--date", "13/08/2026",
            "--metrics", "ong-dan", said=not_regular)
    refused(notified, tmp_path, "report", CODE, "hcc", "--date", "13/08/2026",
            "--attach", "/dev/zero", said=not_regular)
    refused(notified, tmp_path, "plan", "amend", "ong-dan", "--reason", "x", said=not_regular)


def test_sizes_are_bounded(notified: Run, tmp_path: Path) -> None:
    with open(tmp_path / "lon.pdf", "wb") as sparse:  # 60 MB that take no disk
        sparse.truncate(60 * 1024 * 1024)
    refused(notified, tmp_path, "report", CODE, "hcc", "--date", "13/08/2026", "--attach",
            "lon.pdf", said=("lớn hơn 50 MB", "larger than 50 MB"))
    (tmp_path / "nho.pdf").write_bytes(b"%PDF" * 300_000)  # 1.2 MB
    refused(notified, tmp_path, "report", CODE, "hcc", "--date", "13/08/2026", "--attach",
            "nho.pdf", said=("lớn hơn 1 MB", "larger than 1 MB"),
            env={"KIEMTRA_MAX_ATTACHMENT_MB": "1"})
    (tmp_path / "ke-hoach-lon.toml").write_text("# " + "x" * 2_000_000 + "\n", "utf-8")
    refused(notified, tmp_path, "plan", "amend", "ke-hoach-lon.toml", "--reason", "x",
            said=("lớn hơn 1 MB", "larger than 1 MB"))
    refused(notified, tmp_path, "due", "--within", "100000000000000000000",
            said=("nằm ngoài khoảng cho phép", "outside the allowed range"))
    refused(notified, tmp_path, "remediate", CODE, "hcc", "--finding", "10000",
            said=("nằm ngoài khoảng cho phép", "outside the allowed range"))


def test_a_name_that_hides_what_the_file_is_is_refused(notified: Run, tmp_path: Path) -> None:
    (tmp_path / "bao-cao\u202efdp.exe").write_bytes(b"MZ")  # shown as "bao-caoexe.pdf"
    refused(notified, tmp_path, "report", CODE, "hcc", "--date", "13/08/2026", "--attach",
            "bao-cao\u202efdp.exe", said=("U+202E", "U+202E"))


def test_a_plan_saved_with_a_byte_order_mark_reads(run: Run, tmp_path: Path) -> None:
    template = ok(run("plan", "template")).out
    (tmp_path / "ke-hoach.toml").write_bytes(b"\xef\xbb\xbf" + template.encode("utf-8"))
    assert ok(run("plan", "import", "ke-hoach.toml")).out.strip() == CODE


def test_outputs_never_replace_a_file_unless_forced(notified: Run, tmp_path: Path) -> None:
    (tmp_path / "bao-cao.txt").write_text("Báo cáo của Trung tâm.\n", "utf-8")
    ok(notified("report", CODE, "hcc", "--date", "13/08/2026", "--attach", "bao-cao.txt",
                actor="hcc"))
    trail = ok(notified("audit", CODE, "--unit", "hcc", "--format", "json")).json()
    sha = trail[-1]["details"]["attachments"][0]["sha256"]
    kept = "tệp của người dùng\n"
    for args in (("attachment", "get", sha, "-o", "co-san.txt"),
                 ("audit", "checkpoint", "-o", "co-san.txt"),
                 ("audit", "export", CODE, "-o", "co-san.txt")):
        (tmp_path / "co-san.txt").write_text(kept, "utf-8")
        done = notified(*args)
        assert done.code == 2 and "co-san.txt đã có; không ghi đè" in done.err, done.err
        assert (tmp_path / "co-san.txt").read_text("utf-8") == kept
        ok(notified(*args, "--force"))
        assert (tmp_path / "co-san.txt").read_bytes() != kept.encode("utf-8")
    assert ok(notified("attachment", "get", sha, "-o", "-")).out == "Báo cáo của Trung tâm.\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kiemtra-")]


def test_stored_text_is_shown_as_written_never_as_markup(imported: Run, tmp_path: Path) -> None:
    """A finding that looks like rich's markup ("[/]" crashed `history` before) is shown
    literally in every table and file; a control character stored by an old or altered
    record is shown as its code, never sent to the terminal."""
    ok(imported("inspect", CODE, "vp", "--surprise", "--date", "10/08/2026"))
    ok(imported("minutes", CODE, "vp", "--date", "10/08/2026"))
    ok(imported("conclude", CODE, "vp", "--date", "14/08/2026",
                "--finding", "Thiếu [bold]hồ sơ[/] mục [1]", "--finding", "Đóng [/] thẻ"))
    for args in (("history", CODE, "vp"), ("audit", CODE, "--unit", "vp")):
        shown = ok(imported(*args)).out
        assert "Đóng [/] thẻ" in shown and "Thiếu [bold]hồ sơ[/] mục [1]" in shown, shown
    ok(imported("audit", CODE, "--format", "xlsx", "-o", "nhat-ky.xlsx"))
    from kiemtra.cli import literal

    assert literal("a\x1b[31mb") == "a\\x1b[31mb"  # the code shown, the terminal untouched


def test_an_event_that_no_longer_decodes_never_stops_a_reader(imported: Run,
                                                              tmp_path: Path) -> None:
    """A damaged event (its JSON broken in the file): the views are rebuilt without it,
    the trail shows it as unreadable and points to `audit verify`, which names it."""
    ok(imported("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        position = conn.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                     (b"{not json", position))
    for lang, words in (("vi", f"Đã bỏ qua 1 sự kiện không đọc được (vị trí {position})"),
                        ("en", f"Left out 1 stored event that can no longer be read (position "
                               f"{position})")):
        for args in (("projections", "rebuild"), ("status", CODE), ("--json", "status"),
                     ("due", "--all"), ("status", CODE, "--at", "31/12/2100")):
            shown = ok(imported("--lang", lang, *args))
            assert words in shown.err and "kiemtra audit verify" in shown.err, (args, shown.err)
    assert ok(imported("--json", "projections", "rebuild")).json()["unreadable"] == [position]
    before = events(tmp_path)
    for lang, words in (("vi", f"Không đọc được sự kiện đã lưu ở vị trí {position}"),
                        ("en", f"The stored event at position {position} can no longer be "
                               "read")):
        refused_write = imported("--lang", lang, "report", CODE, "kt", "--date", "10/08/2026")
        assert refused_write.code == 2 and words in refused_write.err, refused_write.err
        assert refused_write.err.count("\n") == 1 and "unexpected" not in refused_write.err
    assert events(tmp_path) == before
    ok(imported("notify", CODE, "hcc", "--on-site", "17/08/2026", "--date", "05/08/2026"))
    trail = ok(imported("history", CODE, "kt")).out
    assert "Không đọc được sự kiện" in trail and "kiemtra audit verify" in trail
    verified = imported("audit", "verify")
    assert verified.code == 1 and f"vị trí {position}" in verified.err


def test_a_moment_is_refused_as_a_date_is(run: Run) -> None:
    """--at refuses a bad date with the words of every date option; digits other than
    ASCII are refused by every date format alike."""
    for lang in ("vi", "en"):
        at = run("--lang", lang, "status", "--at", "32/13/2026")
        as_of = run("--lang", lang, "status", "--as-of", "32/13/2026")
        assert at.code == as_of.code == 2
        assert at.err.split(": ", 1)[1] == as_of.err.split(": ", 1)[1], (at.err, as_of.err)
    for option in ("--at", "--as-of"):
        said = run("status", option, "٢٠٢٦-٠٨-١٠")
        assert said.code == 2 and "không phải ngày dạng YYYY-MM-DD hoặc DD/MM/YYYY" in said.err
    bad_time = run("status", "--at", "10/08/2026 25:99")
    assert bad_time.code == 2 and "không phải thời điểm dạng" in bad_time.err


MEASURED = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss // 1024)
"""
"""Runs a command and reports its exit code and largest resident memory (MB), as the
operating system accounts it (wait4). From a small interpreter of its own: a process
forked from pytest would count pytest's memory, held until the exec."""


def peak(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[int, int]:
    """(exit code, peak resident MB) of one run of the installed script."""
    from tests.e2e.conftest import kiemtra_script

    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.update({"KIEMTRA_ACTOR": "truong-to", "XDG_CONFIG_HOME": str(tmp_path / "config"),
                    **env})  # as the `run` fixture: the signing key made there, not at home
    done = subprocess.run([sys.executable, "-S", "-c", MEASURED, kiemtra_script(), *args],
                          cwd=tmp_path, env=environ, capture_output=True, text=True,
                          timeout=300, check=True)
    code, megabytes = done.stdout.split()[-2:]
    return int(code), int(megabytes)


def test_a_large_attachment_never_has_to_fit_in_memory(notified: Run, tmp_path: Path) -> None:
    """A 120 MB file is read, hashed, stored, checked, exported and handed back a piece at
    a time: no command holds it whole (before, storing 200 MB peaked at 629 MB and each
    read at 429 MB)."""
    size = 120 * 1024 * 1024
    with open(tmp_path / "ho-so-scan.pdf", "wb") as sparse:
        sparse.write(b"%PDF-1.7\n")
        sparse.seek(size - 6)
        sparse.write(b"%%EOF\n")
    with open(tmp_path / "ho-so-scan.pdf", "rb") as scan:
        digest = hashlib.file_digest(scan, "sha256").hexdigest()
    raised = {"KIEMTRA_MAX_ATTACHMENT_MB": "150"}
    for args in (("report", CODE, "hcc", "--date", "13/08/2026", "--attach", "ho-so-scan.pdf"),
                 ("attachment", "get", digest, "-o", "lay-lai.pdf"),
                 ("audit", "verify"),
                 ("audit", "export", CODE, "-o", "goi.zip"),
                 ("audit", "verify", "--bundle", "goi.zip")):
        code, megabytes = peak(tmp_path, *args, env=raised)
        assert code == 0, args
        assert megabytes < 100, (args, megabytes)  # the file is 120 MB
    with open(tmp_path / "lay-lai.pdf", "rb") as back:
        assert hashlib.file_digest(back, "sha256").hexdigest() == digest
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        whole, pieces, largest = conn.execute(
            "SELECT length(a.content), COUNT(*), MAX(length(c.data)) FROM attachments a "
            "JOIN attachment_chunks c ON c.sha256 = a.sha256 WHERE a.sha256 = ?",
            (digest,)).fetchone()
    assert (whole, pieces, largest) == (0, 120, 1024 * 1024)


def test_an_altered_or_missing_piece_is_found(notified: Run, tmp_path: Path) -> None:
    (tmp_path / "bao-cao.txt").write_bytes(b"Bao cao. " * 300_000)  # 2.7 MB: three pieces
    ok(notified("report", CODE, "hcc", "--date", "13/08/2026", "--attach", "bao-cao.txt"))
    digest = hashlib.sha256((tmp_path / "bao-cao.txt").read_bytes()).hexdigest()
    ok(notified("audit", "verify"))
    for change in ("UPDATE attachment_chunks SET data = zeroblob(10) WHERE seq = 1",
                   "DELETE FROM attachment_chunks WHERE seq = 2"):
        copy = tmp_path / "truoc.db"
        copy.write_bytes((tmp_path / "kiemtra.db").read_bytes())
        with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
            conn.execute(change)
        for lang, words in (("vi", "không còn khớp mã SHA-256"), ("en", "no longer matches")):
            verified = notified("--lang", lang, "audit", "verify")
            assert verified.code == 1 and words in verified.err and digest in verified.err
            got = notified("--lang", lang, "attachment", "get", digest, "-o", "lay-lai.txt")
            assert got.code == 1 and words in got.err, got.err
            assert not (tmp_path / "lay-lai.txt").exists()
        (tmp_path / "kiemtra.db").write_bytes(copy.read_bytes())


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real filesystem of 4 MB (tmpfs), to be filled: needs root and mount(2), as
    `.ci/run` has; elsewhere the test skips and the file-size limit test still runs."""
    usb = tmp_path / "usb"
    usb.mkdir()
    if os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(usb)],
            capture_output=True).returncode != 0:
        pytest.skip("mounting a small filesystem needs root and mount(2)")
    try:
        yield usb
    finally:
        subprocess.run(["umount", "-l", str(usb)], check=False)


def fill(folder: Path) -> None:
    """Write until the filesystem says it is full."""
    with open(folder / "day.bin", "wb") as filler:
        try:
            while True:
                filler.write(b"\xff" * 65536)
                filler.flush()
        except OSError:
            pass


def test_a_full_disk_keeps_the_old_file_and_says_so(notified: Run, tmp_path: Path,
                                                    small_disk: Path) -> None:
    """Every output written to a full disk: exit 2 in plain words, the file already there
    as it was, no temporary left. A numbered document is refused too, before its number
    is recorded: its file is written beside where it goes first, so the register skips no
    number, and once there is room the same command issues it with that number."""
    (tmp_path / "bao-cao.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    ok(notified("report", CODE, "hcc", "--date", "13/08/2026", "--attach", "bao-cao.bin"))
    sha = hashlib.sha256((tmp_path / "bao-cao.bin").read_bytes()).hexdigest()
    kept = {"goi.zip": b"ban cu cua goi", "bang.xlsx": b"ban cu cua bang",
            "lay-lai.bin": b"ban cu"}
    for name, content in kept.items():
        (small_disk / name).write_bytes(content)
    fill(small_disk)
    usb = small_disk.name
    before = events(tmp_path)
    for args in (("audit", "export", CODE, "-o", f"{usb}/goi.zip", "--force"),
                 ("attachment", "get", sha, "-o", f"{usb}/lay-lai.bin", "--force"),
                 ("status", "--format", "xlsx", "-o", f"{usb}/bang.xlsx", "--force"),
                 ("audit", "checkpoint", "-o", f"{usb}/diem.json"),
                 ("document", "schedule", CODE, "hcc", "-o", usb)):
        for lang, words in (("vi", "ổ đĩa đã đầy"), ("en", "the disk is full")):
            done = notified("--lang", lang, *args)
            assert done.code == 2 and words in done.err, (args, done.err)
            assert done.err.count("\n") == 1 and "unexpected" not in done.err, done.err
            assert "đã được ban hành" not in done.err and "was issued" not in done.err
    assert {p.name: p.read_bytes() for p in small_disk.iterdir()
            if p.name != "day.bin"} == kept
    assert events(tmp_path) == before  # no number taken, no document recorded

    (small_disk / "day.bin").unlink()  # room again
    issued = ok(notified("--json", "document", "schedule", CODE, "hcc", "-o", usb)).json()
    assert issued["number"] == 1 and Path(issued["path"]).read_bytes()[:2] == b"PK"
    assert not [p for p in small_disk.iterdir() if p.name.startswith(".kiemtra-")]
    ok(notified("audit", "verify"))


LIMITED = """
import os, resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))
os.execv(sys.argv[1], sys.argv[1:])
"""
"""Runs a command that may write no file beyond 1 MB (the shell's `ulimit -f`): the
operating system refuses the write (EFBIG), as a disk with no room refuses it."""


def test_a_write_the_system_refuses_keeps_the_old_file(notified: Run, tmp_path: Path) -> None:
    from tests.e2e.conftest import kiemtra_script

    (tmp_path / "bao-cao.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    ok(notified("report", CODE, "hcc", "--date", "13/08/2026", "--attach", "bao-cao.bin"))
    sha = hashlib.sha256((tmp_path / "bao-cao.bin").read_bytes()).hexdigest()
    (tmp_path / "lay-lai.bin").write_bytes(b"ban cu")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    for lang, words in (("vi", "vượt quá kích thước tối đa"), ("en", "larger than the system")):
        done = subprocess.run([sys.executable, "-S", "-c", LIMITED, kiemtra_script(), "--lang",
                               lang, "attachment", "get", sha, "-o", "lay-lai.bin", "--force"],
                              cwd=tmp_path, env=environ, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2 and words in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert (tmp_path / "lay-lai.bin").read_bytes() == b"ban cu"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kiemtra-")]


def test_an_unreadable_event_in_the_middle_of_a_record_leaves_out_what_follows(
        notified: Run, tmp_path: Path) -> None:
    """A step after the damaged one cannot be applied to a state that lacks it: the views
    leave out the rest of that record too, and say which events they left out."""
    ok(notified("report", CODE, "hcc", "--date", "13/08/2026"))
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        notice, report = [p for (p,) in conn.execute(
            "SELECT rowid FROM stored_events WHERE topic IN ('kiemtra:Inspection.NoticeIssued',"
            " 'kiemtra:Inspection.ReportSubmitted') ORDER BY rowid")]
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (b"{bad", notice))
    for args in (("status",), ("--json", "due", "--all"), ("projections", "rebuild"),
                 ("status",)):
        shown = ok(notified(*args))
        assert f"(vị trí {notice}, {report})" in shown.err, (args, shown.err)
