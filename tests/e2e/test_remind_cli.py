"""`kiemtra remind` and `kiemtra scheduler` as installed scripts, with a real SMTP server."""

from __future__ import annotations

import os
import pickle
import re
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import CODE, Run, kiemtra_script, ok
from tests.smtp_server import SmtpServer


def overdue_report(run: Run) -> None:
    ok(run("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    for unit in ("vp", "vhxh", "hcc"):
        ok(run("cancel", CODE, unit, "--reason", "Không kiểm tra", "--date", "01/08/2026"))


def test_remind_sends_once_and_lists_failures(imported: Run, smtp: SmtpServer) -> None:
    overdue_report(imported)
    env = {"KIEMTRA_SMTP_URL": smtp.url}
    dry = ok(imported("remind", "--as-of", "06/08/2026", "--dry-run", env=env))
    assert dry.out.startswith("Chạy thử (--dry-run): không gửi, không ghi nhận gì.\n")
    assert "Sẽ gửi 1 thư:" in dry.out and smtp.recorder.received == []
    sent = ok(imported("--json", "remind", "--as-of", "2026-08-06", env=env)).json()
    assert len(sent["sent"]) == 1 and sent["transport"] == smtp.url
    assert sent["sent"][0]["refused"] == {}  # a key 0.1.0 always printed, kept
    again = ok(imported("remind", "--as-of", "06/08/2026", env=env))
    assert "đã gửi 0, đã gửi trước đó 1" in again.out
    assert len(smtp.recorder.received) == 1
    smtp.recorder.mode = "reject"
    failed = imported("remind", "--as-of", "11/08/2026", env=env)
    assert failed.code == 0 and "kiemtra remind --failed" in failed.err
    listing = ok(imported("--json", "remind", "--failed")).json()
    assert listing[0]["state"] == "failed" and listing[0]["error"].startswith("554")
    assert "554" in ok(imported("remind", "--failed")).out


def test_three_concurrent_reminders_send_one_copy(imported: Run, tmp_path: Path,
                                                  smtp: SmtpServer) -> None:
    overdue_report(imported)
    ok(imported("status"))  # views caught up, so the three race on the ledger itself
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    env.update(KIEMTRA_SMTP_URL=smtp.url, KIEMTRA_ACTOR="truong-to")
    procs = [subprocess.Popen([kiemtra_script(), "--json", "remind", "--as-of", "2026-08-11"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    # on 11/08: the report's due-day reminder and the on-site reminder (the day before)
    subjects = sorted(m["Subject"] for m in smtp.recorder.received)
    assert len(subjects) == 2 and len(set(subjects)) == 2


def test_offline_outbox_beside_the_database(imported: Run, tmp_path: Path) -> None:
    overdue_report(imported)
    out = ok(imported("remind", "--as-of", "06/08/2026")).out
    assert f"qua thư mục thư đi {tmp_path / 'kiemtra-outbox'}:" in out
    english = ok(imported("--lang", "en", "remind", "--as-of", "06/08/2026")).out
    assert f"via the outbox folder {tmp_path / 'kiemtra-outbox'}:" in english
    assert len(list((tmp_path / "kiemtra-outbox").glob("*.eml"))) == 1


def start_scheduler(tmp_path: Path, *args: str, smtp: SmtpServer | None = None,
                    lang: str = "vi") -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    env["KIEMTRA_LANG"] = lang
    if smtp:
        env["KIEMTRA_SMTP_URL"] = smtp.url
    return subprocess.Popen([kiemtra_script(), "scheduler", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate: object, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    pytest.fail("timed out")


def test_scheduler_runs_a_tick_holds_the_schedule_and_stops_cleanly(
    run: Run, tmp_path: Path, smtp: SmtpServer
) -> None:
    ok(run("demo", "--help"))
    ok(run("--db", "kiemtra.db", "demo"))  # a finding overdue since 03/10/2026
    first = start_scheduler(tmp_path, "--run-now", smtp=smtp)
    try:
        wait_for(lambda: len(smtp.recorder.received) >= 1)
        second = run("scheduler")
        assert second.code == 1 and "bộ lập lịch khác" in second.err
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=20)
    assert first.returncode == 0, err
    assert "nhắc việc: đã gửi 1" in out and "Đã dừng" in out
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        jobs = {row[0] for row in conn.execute("SELECT id FROM scheduler_jobs")}
        leases = conn.execute("SELECT COUNT(*) FROM scheduler_lease").fetchone()[0]
    assert jobs == {"tick-0730", "retry-60m"} and leases == 0


def test_the_scheduler_speaks_english_under_lang_en(
    run: Run, tmp_path: Path, smtp: SmtpServer
) -> None:
    ok(run("--db", "kiemtra.db", "demo"))
    started = start_scheduler(tmp_path, "--run-now", smtp=smtp, lang="en")
    try:
        wait_for(lambda: len(smtp.recorder.received) >= 1)
    finally:
        started.send_signal(signal.SIGTERM)
        out, err = started.communicate(timeout=20)
    assert started.returncode == 0, err
    assert "The reminder scheduler is running: 07:30 on working days" in out
    assert "reminders: 1 sent, 0 sent before, 0 failed" in out and "Stopped." in out
    vietnamese = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
    assert not vietnamese.search(out.lower()), out


def test_scheduler_catches_up_a_missed_run_once(run: Run, tmp_path: Path) -> None:
    ok(run("--db", "kiemtra.db", "demo"))
    first = start_scheduler(tmp_path)
    wait_for(lambda: (tmp_path / "kiemtra.db").exists() and _jobs(tmp_path))
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=20)
    missed = datetime.now(UTC) - timedelta(hours=1)  # the machine was off then
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        (blob,) = conn.execute("SELECT job_state FROM scheduler_jobs WHERE id = 'tick-0730'"
                               ).fetchone()
        state = pickle.loads(blob)
        state["next_run_time"] = missed
        conn.execute("UPDATE scheduler_jobs SET next_run_time = :t, job_state = :s "
                     "WHERE id = 'tick-0730'", {"t": missed.timestamp(),
                                                "s": pickle.dumps(state)})
    again = start_scheduler(tmp_path)
    try:
        wait_for(lambda: _next_run(tmp_path) > time.time())
    finally:
        again.send_signal(signal.SIGTERM)
        out, err = again.communicate(timeout=20)
    assert again.returncode == 0, err
    ran = [line for line in out.splitlines() if "nhắc việc:" in line or "ngày nghỉ" in line]
    assert len(ran) == 1, out  # coalesced: one catch-up run


def _jobs(tmp_path: Path) -> bool:
    try:
        with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
            return bool(conn.execute("SELECT COUNT(*) FROM scheduler_jobs").fetchone()[0])
    except sqlite3.OperationalError:
        return False


def _next_run(tmp_path: Path) -> float:
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        return float(conn.execute("SELECT next_run_time FROM scheduler_jobs WHERE id = "
                                  "'tick-0730'").fetchone()[0])


def test_a_malformed_smtp_url_is_bad_input(imported: Run) -> None:
    overdue_report(imported)
    result = imported("remind", "--as-of", "06/08/2026",
                      env={"KIEMTRA_SMTP_URL": "http://user:hunter2@mail.example"})
    assert result.code == 2 and "KIEMTRA_SMTP_URL" in result.err
    assert "hunter2" not in result.err + result.out


def test_a_stop_as_the_scheduler_starts_is_a_clean_stop(imported: Run, tmp_path: Path) -> None:
    """SIGTERM the moment the scheduler says it runs — before APScheduler has started, or
    while it starts: it stops, exit 0, and says so (it raised SchedulerNotRunningError from
    its signal handler before, exit 1, seen under CI's load)."""
    for _ in range(5):
        proc = start_scheduler(tmp_path)
        assert proc.stdout is not None
        assert "07:30" in proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "Đã dừng (stopped)." in out and "Traceback" not in err
