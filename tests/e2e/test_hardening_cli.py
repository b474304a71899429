"""Bad files and bad numbers, through the installed script (issue 15, items 2 and 3): a
pipe, a device, a huge or oddly named file is refused before it is opened, in a plain
sentence of the reader's language, exit 2, nothing written; a file kiemtra writes never
replaces one already there unless --force."""

from __future__ import annotations

import os
import sqlite3
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
    assert ok(imported("projections", "rebuild")).out.startswith("Đã dựng lại")
    assert ok(imported("status", CODE)).code == 0
    assert ok(imported("status", CODE, "--at", "31/12/2100")).code == 0  # folded from the log
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
