"""Many `kiemtra` processes at once on a real PostgreSQL database: starting together on an
empty one, writing together, killed with SIGKILL in the middle of a write. Every exit code
is one the contract allows, and afterwards the log is whole: one link per event, each over
the one before it, every file complete (`tests/pg_chain.py` recomputes it from the rows)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from tests.e2e.conftest import CODE, Result, Run, kiemtra_script, ok
from tests.pg_chain import check_log

ALLOWED = {0, 3}  # done, or: someone else wrote at the same time, nothing written


def environment(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    environ.update({"KIEMTRA_ACTOR": "truong-to", "XDG_CONFIG_HOME": str(tmp_path / "config"),
                    "COLUMNS": "250"})
    return environ


def start_all(tmp_path: Path, url: str, commands: Sequence[Sequence[str]]
              ) -> list[subprocess.Popen[str]]:
    """Every command started at once, each its own process."""
    env = environment(tmp_path)
    return [subprocess.Popen([kiemtra_script(), "--db", url, *command], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for command in commands]


def finish(procs: Sequence[subprocess.Popen[str]]) -> list[Result]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        results.append(Result(proc.returncode, out, err))
    return results


def plans(tmp_path: Path, run: Run, count: int) -> list[str]:
    """`count` plan files, each of its own campaign (P1-2026, …), of three communes in
    turn, as a province's deployment holds them; their codes."""
    template = ok(run("plan", "template")).out
    codes = []
    for i in range(1, count + 1):
        code = f"P{i}-2026"
        commune = ("xã Khúc Thừa Dụ", "phường Hồng Hà", "xã Tân Lập")[i % 3]
        (tmp_path / f"{code}.toml").write_text(template.replace(CODE, code).replace(
            "xã Khúc Thừa Dụ", commune), "utf-8")
        codes.append(code)
    return codes


def refusals(results: Sequence[Result], allowed: set[int] = ALLOWED) -> list[str]:
    """What each result that is not allowed said (none, when all is well)."""
    wrong = [f"exit {r.code}: {r.err.strip()}" for r in results if r.code not in allowed]
    wrong += [f"a traceback: {r.err}" for r in results if "Traceback" in r.err]
    return wrong


def test_processes_starting_together_on_an_empty_database(
        run: Run, tmp_path: Path, postgres_url: str) -> None:
    """The tables (events, chain, attachments, views) are made once, whoever comes first;
    the others wait for them: exit 0 or 3, never a collision in the catalogue."""
    codes = plans(tmp_path, run, 10)
    commands = [["plan", "import", f"{code}.toml"] for code in codes]
    commands += [["--json", "status"], ["--json", "due"], ["--json", "campaigns"],
                 ["--json", "status"], ["--json", "due"], ["history", "P1-2026"]]
    results = finish(start_all(tmp_path, postgres_url, commands))
    history = results.pop()  # P1-2026 may not have been imported yet: exit 2, said so
    assert history.code in {0, 2, 3} and "Traceback" not in history.err, history.err
    assert refusals(results) == []

    imported = {code for code, r in zip(codes, results, strict=False) if r.code == 0}
    assert len(imported) >= len(codes) - 2  # a conflict is possible, not the rule
    checked = check_log(postgres_url)
    assert checked.events == 5 * len(imported)  # a plan and its four inspections each
    listed = ok(run("--db", postgres_url, "--json", "campaigns")).json()
    assert {c["code"] for c in listed} == imported
    assert len(ok(run("--db", postgres_url, "--json", "status")).json()) == 4 * len(imported)


def test_concurrent_writers_keep_one_chain(run: Run, tmp_path: Path, postgres_url: str) -> None:
    """Writers of different campaigns of three communes, and of the same inspection, at
    once: the chain has a link for every event, in position order, each over the one
    before; so has each commune's chain, numbered without a gap (`check_log`)."""
    codes = plans(tmp_path, run, 6)
    assert refusals(finish(start_all(tmp_path, postgres_url,
                                     [["plan", "import", f"{c}.toml"] for c in codes]))) == []
    (tmp_path / "bao-cao.pdf").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    assert refusals(finish(start_all(tmp_path, postgres_url, [
        ["notify", c, u, "--on-site", "12/08/2026", "--date", "03/08/2026"]
        for c in codes for u in ("kt", "vhxh")]))) == []
    # kt's report twice at once: one is done; the other loses the race (3) or, started
    # after it, is refused by the workflow (1: the report is in)
    results = finish(start_all(tmp_path, postgres_url, [
        *(["report", c, "kt", "--date", "10/08/2026", "--attach", "bao-cao.pdf"]
          for c in codes for _ in range(2)),
        *(["report", c, "vhxh", "--date", "10/08/2026"] for c in codes),
        *(["inspect", c, "vp", "--surprise", "--date", "10/08/2026"] for c in codes)]))
    assert refusals(results, {0, 1, 3}) == []
    assert sum(r.code == 0 for r in results) == 3 * len(codes)

    checked = check_log(postgres_url)
    assert checked.attachments == 1  # the same file, stored once
    verified = ok(run("--db", postgres_url, "--json", "audit", "verify")).json()
    assert sorted(o["events"] for o in verified["origins"]) == [
        checked.events // 3] * 3  # the communes' campaigns did the same steps
    states = {(r["campaign"], r["unit"]): r["state"]
              for r in ok(run("--db", postgres_url, "--json", "status")).json()}
    assert {states[c, u] for c in codes for u in ("kt", "vhxh")} == {"report_submitted"}
    assert {states[c, "vp"] for c in codes} == {"inspected"}
    assert ok(run("--db", postgres_url, "--json", "projections", "rebuild")
              ).json()["events"] == checked.events


def lock_waiters(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'").fetchone()
    return int(row[0]) if row else 0


def test_writers_killed_mid_write_leave_no_event_without_its_link(
        run: Run, tmp_path: Path, postgres_url: str) -> None:
    """SIGKILL in the middle of writes. First where it matters most: each writer has stored
    its file's pieces and waits for the events table (this test holds it), its events and
    links not yet written — half of them are killed, then the table let go. Then at random
    moments of writes that take a while (20 MB each, several at once). A transaction whose
    process died is never committed (the COMMIT is sent only after the links), so every
    event has its link and every file all its pieces; nothing stays locked."""
    import psycopg

    codes = plans(tmp_path, run, 8)
    assert refusals(finish(start_all(tmp_path, postgres_url,
                                     [["plan", "import", f"{c}.toml"] for c in codes]))) == []
    assert refusals(finish(start_all(tmp_path, postgres_url, [
        ["notify", c, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"]
        for c in codes]))) == []
    for i, code in enumerate(codes):
        (tmp_path / f"{code}.pdf").write_bytes(os.urandom(20 * 1024 * 1024 + i))

    def reports(which: Sequence[str]) -> list[subprocess.Popen[str]]:
        return start_all(tmp_path, postgres_url, [
            ["report", c, "kt", "--date", "10/08/2026", "--attach", f"{c}.pdf"] for c in which])

    def reported() -> set[str]:
        return {r["campaign"] for r in ok(run("--db", postgres_url, "--json", "status")).json()
                if r["unit"] == "kt" and r["state"] == "report_submitted"}

    with psycopg.connect(postgres_url) as holder:
        holder.execute("LOCK TABLE kiemtra_events IN ROW SHARE MODE")
        procs = reports(codes[:4])
        deadline = time.monotonic() + 120
        while lock_waiters(postgres_url) < len(procs):
            assert time.monotonic() < deadline, "the writers never reached the table lock"
            assert all(p.poll() is None for p in procs), "a writer ended before the lock"
            time.sleep(0.2)
        for proc in procs[:2]:
            proc.send_signal(signal.SIGKILL)
        time.sleep(0.5)
    results = finish(procs)
    assert [r.code for r in results] == [-signal.SIGKILL] * 2 + [0] * 2, results
    assert reported() == set(codes[2:4])
    assert check_log(postgres_url).attachments == 2

    rng = random.Random(16)
    procs = reports(codes[:2] + codes[4:])
    started = time.monotonic()
    for proc, delay in sorted(zip(procs, [rng.uniform(0.5, 4.0) for _ in procs], strict=True),
                              key=lambda pair: pair[1])[:4]:
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
        proc.send_signal(signal.SIGKILL)
    results = finish(procs)
    assert refusals([r for r in results if r.code != -signal.SIGKILL]) == []
    checked = check_log(postgres_url)
    assert checked.attachments == len(reported())

    missing = [c for c in codes if c not in reported()]  # the next writes go on
    assert refusals(finish(reports(missing))) == []
    assert reported() == set(codes)
    assert check_log(postgres_url).attachments == len(codes)
