"""Every table fits the terminal: at 80 and 120 columns (COLUMNS, in a pipe) and in a real
terminal (a pty of 80 columns), no line is wider, and every date, code and overdue marker
the JSON output holds is shown whole — a narrow terminal drops the least important columns
or shows one block per record, never half a date."""

from __future__ import annotations

import os
import pty
import re
import select
import struct
import subprocess
import termios
from datetime import date
from fcntl import ioctl
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from tests.e2e.conftest import CODE, Run, kiemtra_script, ok

AS_OF = "01/09/2026"
TABLES = [
    ("campaigns", "--as-of", AS_OF), ("status", CODE, "--as-of", AS_OF),
    ("due", "--all", "--as-of", AS_OF), ("summary", CODE, "--as-of", AS_OF),
    ("history", CODE, "hcc"), ("audit", CODE, "--unit", "hcc"), ("documents", CODE),
    ("plan", "show", CODE), ("calendar", "2026"), ("calendar", "2027", CODE),
]
DATE_KEYS = ("next_deadline", "due", "on_site", "effective_date", "issued_on", "date")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("widths")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    done = subprocess.run([kiemtra_script(), "--db", "demo.db", "demo"], cwd=where,
                          env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return where


def run_in(where: Path, *args: str, columns: int | None = None, lang: str = "vi"
           ) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.pop("COLUMNS", None)
    environ.update({"KIEMTRA_DB": "demo.db", "KIEMTRA_ACTOR": "truong-to",
                    "KIEMTRA_LANG": lang, **({"COLUMNS": str(columns)} if columns else {})})
    return subprocess.run([kiemtra_script(), *args], cwd=where, env=environ,
                          capture_output=True, text=True, timeout=60)


def shown_dates(data: Any, lang: str) -> set[str]:
    """The dates of a command's JSON, as its table writes them."""
    found: set[str] = set()
    rows = data if isinstance(data, list) else data.get("units", data.get("days", []))
    for row in rows:
        for key in DATE_KEYS:
            value = row.get(key)
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                day = date.fromisoformat(value)
                found.add(day.strftime("%d/%m/%Y") if lang == "vi" else value)
    return found


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("args", TABLES, ids=lambda a: "-".join(a[:2]))
def test_every_table_fits_and_shows_whole_dates(demo: Path, args: tuple[str, ...],
                                                columns: int, lang: str) -> None:
    table = run_in(demo, *args, columns=columns, lang=lang)
    assert table.returncode == 0, table.stderr
    widest = max(cell_len(line) for line in table.stdout.splitlines())
    assert widest <= columns, table.stdout
    data = run_in(demo, "--json", *args, lang=lang)
    if args[0] in ("history", "audit"):
        data_rows = [r for r in __import__("json").loads(data.stdout)
                     if r["event"] != "Unreadable"]
        expected = {date.fromisoformat(r["effective_date"]).strftime("%d/%m/%Y")
                    if lang == "vi" else r["effective_date"] for r in data_rows}
    elif args[0] in ("plan", "summary"):  # no dates in these tables
        expected = set()
    else:
        expected = shown_dates(__import__("json").loads(data.stdout), lang)
    missing = {d for d in expected if d not in table.stdout}
    assert not missing, table.stdout


def test_the_overdue_marker_and_the_codes_survive_80_columns(demo: Path) -> None:
    rows = ok_json(demo, "status", CODE, "--as-of", "30/11/2026")
    late = [r for r in rows if r["overdue"]]
    assert late, "the demo has an overdue step on 30/11/2026"
    out = run_in(demo, "status", CODE, "--as-of", "30/11/2026", columns=80).stdout
    assert out.count("QUÁ HẠN") == len(late)
    for row in rows:
        assert re.search(rf"\b{row['unit']}\b", out)
    due = run_in(demo, "due", "--all", "--as-of", "30/11/2026", columns=80).stdout
    assert re.search(r"quá \d+ ngày", due) and "vhxh" in due  # the campaign's code gives way


def ok_json(where: Path, *args: str) -> Any:
    import json

    done = run_in(where, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_real_terminal_of_80_columns(demo: Path) -> None:
    """No COLUMNS: the width comes from the terminal itself."""
    main, child = pty.openpty()
    ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("KIEMTRA_") and k not in ("COLUMNS", "LINES")}
    environ.update({"KIEMTRA_DB": "demo.db", "TERM": "xterm-256color"})
    process = subprocess.Popen([kiemtra_script(), "status", CODE, "--as-of", AS_OF],
                               cwd=demo, env=environ, stdin=child, stdout=child, stderr=child)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=60) == 0
    os.close(main)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8"))
    lines = [line for line in text.replace("\r", "").splitlines() if line.strip()]
    assert lines and max(cell_len(line) for line in lines) <= 80, text
    assert "Kế hoạch " + CODE in text


def test_too_narrow_for_a_table_shows_one_block_per_record(demo: Path) -> None:
    out = run_in(demo, "status", CODE, "--as-of", AS_OF, columns=40).stdout
    assert max(cell_len(line) for line in out.splitlines()) <= 40
    assert out.count("Ngày kiểm tra:") == 4  # each unit's date, whole, on a line of its own


def test_a_pipe_without_columns_is_120_wide(imported: Run) -> None:
    """In a pipe or a file, without COLUMNS, tables are drawn 120 columns wide at most."""
    out = ok(imported("status", CODE, env={"COLUMNS": ""})).out
    assert max(cell_len(line) for line in out.splitlines()) <= 120


def test_a_pipe_read_at_a_terminal_takes_its_width(demo: Path) -> None:
    """`kiemtra audit | less` at an 80-column terminal: stdout is a pipe, stderr the
    terminal, whose width the tables take."""
    main, child = pty.openpty()
    ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("KIEMTRA_") and k not in ("COLUMNS", "LINES")}
    environ.update({"KIEMTRA_DB": "demo.db"})
    done = subprocess.run([kiemtra_script(), "audit", CODE, "--unit", "hcc"], cwd=demo,
                          env=environ, stdin=child, stderr=child, capture_output=False,
                          stdout=subprocess.PIPE, text=True, timeout=60)
    os.close(child)
    os.close(main)
    assert done.returncode == 0
    widths = [cell_len(line) for line in done.stdout.splitlines()]
    assert max(widths) <= 80 and max(widths) > 60, done.stdout


def on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str]:
    """Run the script with its stderr on a real terminal (a pty) and stdout in a pipe:
    (stdout, what the terminal received)."""
    from tests.e2e.conftest import kiemtra_script

    leader, follower = pty.openpty()
    done = subprocess.Popen([kiemtra_script(), *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=follower, env={**os.environ, **env})
    os.close(follower)
    out = done.communicate(timeout=60)[0].decode()
    seen = b""
    while select.select([leader], [], [], 0.2)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end is closed: all has been read
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return out, seen.decode("utf-8", "replace")


def test_long_work_shows_progress_on_a_terminal_only(run: Run, tmp_path: Path) -> None:
    """A rebuild shows its spinner on a terminal, and is gone before the result; nothing
    in a pipe, nothing under --json (the bar's delay set to 0 so a small log shows it)."""
    ok(run("--db", "demo.db", "demo"))
    env = {"KIEMTRA_PROGRESS_AFTER": "0", "COLUMNS": "80"}
    out, seen = on_a_terminal(["--db", "demo.db", "projections", "rebuild"], tmp_path, env)
    assert "Đang dựng lại các bảng tổng hợp" in seen and out.startswith("Đã dựng lại")
    _, english = on_a_terminal(["--lang", "en", "--db", "demo.db", "projections", "rebuild"],
                               tmp_path, env)
    assert "Rebuilding the views" in english
    out, seen = on_a_terminal(["--db", "demo.db", "--json", "projections", "rebuild"],
                              tmp_path, env)
    assert seen == "" and out.startswith("{")
    piped = run("--db", "demo.db", "projections", "rebuild", env=env)
    assert piped.err == "" and piped.out.startswith("Đã dựng lại")
