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
    refused = pg("audit", "verify")
    assert refused.code == 2 and "PostgreSQL" in refused.err
