"""The view commands and reminders through the installed script, on a real PostgreSQL
database and a real SMTP server."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import CODE, Result, Run, ok
from tests.smtp_server import SmtpServer


def test_view_commands_and_reminders_on_postgres(run: Run, tmp_path: Path, postgres_url: str,
                                                 smtp: SmtpServer) -> None:
    def pg(*args: str) -> Result:
        return run("--db", postgres_url, *args, env={"KIEMTRA_SMTP_URL": smtp.url})

    (tmp_path / "ke-hoach.toml").write_text(ok(run("plan", "template")).out, "utf-8")
    assert ok(pg("plan", "import", "ke-hoach.toml")).out.strip() == CODE
    ok(pg("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    ok(pg("report", CODE, "kt", "--date", "10/08/2026"))

    rows = ok(pg("--json", "status", CODE, "--as-of", "2026-08-11")).json()
    assert [(r["unit"], r["state"]) for r in rows] == [
        ("vp", "planned"), ("kt", "report_submitted"), ("vhxh", "planned"), ("hcc", "planned")]
    due = ok(pg("--json", "due", "--as-of", "2026-08-11", "--within", "3")).json()
    assert [(d["unit"], d["kind"], d["due"], d["overdue"]) for d in due] == [
        ("vp", "notice", "2026-08-05", True), ("vhxh", "notice", "2026-08-07", True),
        ("kt", "on_site", "2026-08-12", False), ("hcc", "notice", "2026-08-12", False)]
    campaigns = ok(pg("--json", "campaigns", "--as-of", "2026-08-11")).json()
    assert (campaigns[0]["code"], campaigns[0]["overdue"]) == (CODE, 2)
    assert ok(pg("--json", "summary", CODE)).json()["totals"]["reports_on_time"] == 1
    history = ok(pg("history", CODE, "kt")).out
    assert "Thông báo lịch kiểm tra" in history and "Nộp báo cáo" in history
    assert ok(pg("--json", "projections", "rebuild")).json()["events"] == 7
    assert ok(pg("--json", "status", CODE, "--as-of", "2026-08-11")).json() == rows
    sent = ok(pg("--json", "remind", "--as-of", "2026-08-05")).json()
    assert [m["key"] for m in sent["sent"]] == [
        "KTD-TKT-2026/vp/notice/0/2026-08-05/+0", "KTD-TKT-2026/vhxh/notice/0/2026-08-07/-3"]
    assert len(smtp.recorder.received) == 2
    again = ok(pg("--json", "remind", "--as-of", "2026-08-05")).json()  # once each
    assert again["sent"] == [] and len(again["already_sent"]) == 2
    assert len(smtp.recorder.received) == 2
    verified = ok(pg("--json", "audit", "verify")).json()  # the audit works there too
    assert verified["events"] == 7 + 2 * 2 and verified["ok"]  # 2 reminders: claimed, sent


def test_the_scheduler_stores_no_password(run: Run, tmp_path: Path, postgres_url: str) -> None:
    """APScheduler keeps each job's arguments, pickled, in the database: the database's URL
    is there without its password, also in the jobs an earlier kiemtra stored with it."""
    import os
    import pickle
    import signal
    import subprocess
    import time
    from urllib.parse import urlsplit

    import psycopg

    from tests.e2e.conftest import kiemtra_script

    secret = "Mk-s3cret!pw"  # the test server trusts local connections: any password will do
    parts = urlsplit(postgres_url)
    bare = parts._replace(netloc=f"postgres@{parts.hostname}:{parts.port}").geturl()
    given = parts._replace(netloc=f"postgres:Mk-s3cret%21pw@{parts.hostname}:{parts.port}"
                           ).geturl()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}

    def jobs() -> dict[str, bytes]:
        with psycopg.connect(postgres_url) as conn:
            if conn.execute("SELECT to_regclass('scheduler_jobs')").fetchone() == (None,):
                return {}
            return {i: bytes(s) for i, s in conn.execute(
                "SELECT id, job_state FROM scheduler_jobs").fetchall()}

    def scheduler_registers_its_jobs() -> None:
        proc = subprocess.Popen([kiemtra_script(), "--db", given, "scheduler"], cwd=tmp_path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        assert proc.stdout is not None
        assert "07:30" in proc.stdout.readline()  # running: its stop handler is in place
        deadline = time.monotonic() + 60
        while len(jobs()) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err

    scheduler_registers_its_jobs()
    stored = jobs()
    assert set(stored) == {"tick-0730", "retry-60m"}
    for state in stored.values():
        assert secret.encode() not in state and b"Mk-s3cret" not in state
        assert pickle.loads(state)["kwargs"]["db_url"] == bare

    legacy = pickle.loads(stored["tick-0730"])  # as kiemtra stored it before
    legacy["kwargs"]["db_url"] = given
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE scheduler_jobs SET job_state = %s WHERE id = 'tick-0730'",
                     (pickle.dumps(legacy),))
    assert b"Mk-s3cret" in jobs()["tick-0730"]
    scheduler_registers_its_jobs()
    after = jobs()
    assert all(b"Mk-s3cret" not in state for state in after.values())
    assert pickle.loads(after["tick-0730"])["kwargs"]["db_url"] == bare
    assert pickle.loads(after["tick-0730"])["next_run_time"] == legacy["next_run_time"]


def test_attachments_and_documents_on_postgres(run: Run, tmp_path: Path,
                                               postgres_url: str) -> None:
    """A 120 MB file is stored and handed back a piece at a time on PostgreSQL too (no
    command holds it whole), found by a prefix of its code; an issued document's original
    is kept the same way."""
    import hashlib

    import psycopg

    from tests.e2e.test_hardening_cli import peak

    def pg(*args: str) -> Result:
        return run("--db", postgres_url, *args)

    (tmp_path / "ke-hoach.toml").write_text(ok(run("plan", "template")).out, "utf-8")
    ok(pg("plan", "import", "ke-hoach.toml"))
    ok(pg("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    size = 120 * 1024 * 1024
    with open(tmp_path / "ho-so-scan.pdf", "wb") as sparse:
        sparse.write(b"%PDF-1.7\n")
        sparse.seek(size - 6)
        sparse.write(b"%%EOF\n")
    with open(tmp_path / "ho-so-scan.pdf", "rb") as scan:
        digest = hashlib.file_digest(scan, "sha256").hexdigest()
    raised = {"KIEMTRA_MAX_ATTACHMENT_MB": "150"}
    for args in (("report", CODE, "kt", "--date", "10/08/2026", "--attach", "ho-so-scan.pdf"),
                 ("attachment", "get", digest[:10], "-o", "lay-lai.pdf")):
        code, megabytes = peak(tmp_path, "--db", postgres_url, *args, env=raised)
        assert code == 0, args
        assert megabytes < 100, (args, megabytes)  # the file is 120 MB
    with open(tmp_path / "lay-lai.pdf", "rb") as back:
        assert hashlib.file_digest(back, "sha256").hexdigest() == digest
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute(
            "SELECT max(length(a.content)), count(*), max(length(c.data)) FROM attachments a "
            "JOIN attachment_chunks c ON c.sha256 = a.sha256 WHERE a.sha256 = %s",
            (digest,)).fetchone() == (0, 120, 1024 * 1024)

    ok(pg("inspect", CODE, "kt", "--date", "12/08/2026"))
    ok(pg("minutes", CODE, "kt", "--date", "12/08/2026"))
    issued = ok(pg("--json", "document", "minutes", CODE, "kt", "-o", "bien-ban.docx")).json()
    original = ok(pg("attachment", "get", issued["sha256"], "-o", "ban-goc.docx"))
    assert "khớp" in original.err
    assert (tmp_path / "ban-goc.docx").read_bytes() == (tmp_path / "bien-ban.docx").read_bytes()
    unknown = pg("attachment", "get", "0" * 64, "-o", "khong-co.bin")
    assert unknown.code == 2 and not (tmp_path / "khong-co.bin").exists()


def test_the_demo_on_postgres_names_no_password(run: Run, tmp_path: Path,
                                                postgres_url: str) -> None:
    """The demo on a server prints the URL to explore with, without the password it was
    given (a terminal's history and a shared screen keep it), and issues its documents
    into the folder it was run from."""
    from urllib.parse import urlsplit

    parts = urlsplit(postgres_url)
    with_password = parts._replace(
        netloc=f"{parts.username}:bi-mat-3xk@{parts.hostname}:{parts.port}").geturl()
    shown = ok(run("--db", with_password, "demo"))  # the test server trusts its clients
    assert "bi-mat-3xk" not in shown.out + shown.err
    assert f"kiemtra --db postgresql://{parts.username}@" in shown.out
    assert sorted(p.suffix for p in (tmp_path / "van-ban").iterdir()) == [".docx"] * 4


def test_a_role_granted_too_little_is_told_what_it_lacks(run: Run, tmp_path: Path,
                                                         postgres_url: str) -> None:
    """A reviewer's role that may read the events but not the chain: `audit verify` names
    the table it may not read and asks for a GRANT (exit 2), in either language."""
    from urllib.parse import urlsplit
    from uuid import uuid4

    import psycopg

    ok(run("--db", postgres_url, "demo"))
    role = f"kiemtra_doc_{uuid4().hex[:8]}"
    parts = urlsplit(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT SELECT ON kiemtra_events, stream_origin, origin_chain TO "{role}"')
    reviewer = parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()
    try:
        refused = run("--db", reviewer, "audit", "verify")
        english = run("--lang", "en", "--db", reviewer, "audit", "verify")
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
    assert refused.code == 2, refused.err
    assert (f"Người dùng PostgreSQL {role} không có quyền trên bảng event_chain"
            in refused.err), refused.err
    assert "GRANT" in refused.err and "permission denied" not in refused.err
    assert english.code == 2
    assert f"The PostgreSQL user {role} has no permission on the table event_chain" in english.err


def test_a_database_of_0_2_is_upgraded_by_its_owner_and_written_by_a_lesser_role(
        run: Run, tmp_path: Path, postgres_url: str) -> None:
    """0.2.0's PostgreSQL databases have no write function. An application role granted
    reads and writes on the tables, but not CREATE, still reads; its writes are refused in
    plain words (exit 2, nothing written) until the owner has run `kiemtra db init`."""
    from urllib.parse import urlsplit
    from uuid import uuid4

    import psycopg

    ok(run("--db", postgres_url, "demo"))
    (tmp_path / "ke-hoach.toml").write_text(ok(run("plan", "template")).out.replace(
        f'code = "{CODE}"', 'code = "KTD-TKT-2027"'), "utf-8")
    role = f"kiemtra_app_{uuid4().hex[:8]}"
    parts = urlsplit(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # as 0.2.0 (no function) or a build with only kiemtra_append_v1 left its databases
        conn.execute("DROP FUNCTION kiemtra_append_v2")
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public '
                     f'TO "{role}"')
        conn.execute(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        events = conn.execute("SELECT count(*) FROM kiemtra_events").fetchone()
    app = parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()
    try:
        ok(run("--db", app, "status"))
        refused = run("--db", app, "plan", "import", "ke-hoach.toml")
        english = run("--lang", "en", "--db", app, "plan", "import", "ke-hoach.toml")
        not_owner = run("--db", app, "db", "init")
        with psycopg.connect(postgres_url) as conn:
            assert conn.execute("SELECT count(*) FROM kiemtra_events").fetchone() == events
        ok(run("--db", postgres_url, "db", "init"))  # the owner: the function is made
        ok(run("--db", app, "plan", "import", "ke-hoach.toml"))
        ok(run("--db", app, "audit", "verify"))
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
    assert refused.code == 2 and "Traceback" not in refused.err, refused.err
    assert "chưa có hàm ghi kiemtra_append_v2" in refused.err, refused.err
    assert "người sở hữu cơ sở dữ liệu chạy “kiemtra db init” một lần" in refused.err
    assert english.code == 2 and "Ask the database's owner to run 'kiemtra db init'" in english.err
    assert not_owner.code == 2 and "kiemtra db init" in not_owner.err
