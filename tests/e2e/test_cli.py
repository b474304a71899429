"""The installed `kiemtra` script, driven as other tools drive it (the CLI contract)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import CODE, Run, ok

STATUS_KEYS = {
    "campaign", "unit", "unit_name", "state", "surprise", "notice_date", "on_site",
    "report_due", "report_submitted_on", "report_late", "conclusion_due", "findings_open",
    "next_step", "next_deadline", "overdue",
}


def events(tmp_path: Path) -> int:
    db = tmp_path / "kiemtra.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


def test_full_campaign_through_the_cli(imported: Run, tmp_path: Path) -> None:
    run = imported
    (tmp_path / "bao-cao.pdf").write_bytes(b"%PDF bao cao")
    (tmp_path / "so-lieu.toml").write_text("[procedures]\nrecords_received = 10\n"
                                           "records_online = 7\n", "utf-8")
    ok(run("inspect", CODE, "vp", "--surprise", "--date", "10/08/2026"))
    ok(run("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "2026-08-03",
           actor="thuong-truc"))
    out = ok(run("report", CODE, "kt", "--date", "12/08/2026", "--attach", "bao-cao.pdf",
                 "--metrics", "so-lieu.toml", actor="thuong-truc")).out
    assert "muộn" in out and "11/08/2026" in out
    ok(run("inspect", CODE, "kt", "--date", "12/08/2026", "--absent", "tv-vp"))
    ok(run("minutes", CODE, "kt", "--date", "12/08/2026"))
    ok(run("conclude", CODE, "kt", "--date", "20/08/2026", "--finding", "Chưa niêm yết TTHC",
           "--finding", "Sổ theo dõi chưa cập nhật"))
    ok(run("remediate", CODE, "kt", "--finding", "1", "--date", "01/09/2026",
           "--note", "Đã niêm yết"))
    ok(run("notify", CODE, "vhxh", "--on-site", "14/08/2026", "--date", "04/08/2026"))
    ok(run("reschedule", CODE, "vhxh", "--on-site", "20/08/2026", "--reason", "Trùng lịch",
           "--date", "10/08/2026"))
    ok(run("cancel", CODE, "hcc", "--reason", "Sáp nhập đơn vị", "--date", "01/08/2026"))

    rows = {r["unit"]: r for r in ok(run("--json", "status", "--as-of", "2026-09-25")).json()}
    assert all(STATUS_KEYS <= set(r) for r in rows.values())
    assert rows["vp"]["state"] == "inspected" and rows["vp"]["surprise"] is True
    kt = rows["kt"]
    assert (kt["state"], kt["report_due"], kt["report_submitted_on"], kt["report_late"]) == (
        "concluded", "2026-08-11", "2026-08-12", True)
    assert (kt["findings_open"], kt["next_step"], kt["next_deadline"], kt["overdue"]) == (
        1, "remediate", "2026-09-21", True)
    assert rows["vhxh"]["on_site"] == "2026-08-20" and rows["vhxh"]["report_due"] == "2026-08-19"
    assert rows["hcc"]["state"] == "cancelled" and rows["hcc"]["next_step"] is None
    assert rows["kt"]["unit_name"] == "Phòng Kinh tế"
    # the same, with --json after the command and one campaign
    assert ok(run("status", CODE, "--json", "--as-of", "25/09/2026")).json() == list(
        rows.values())

    timeline = ok(run("--json", "history", CODE, "kt")).json()
    assert [e["event"] for e in timeline] == [
        "Planned", "NoticeIssued", "ReportSubmitted", "Inspected", "MinutesSigned", "Concluded",
        "RemediationReported"]
    assert timeline[1]["actor"] == "thuong-truc" and timeline[3]["details"]["absent"] == ["tv-vp"]
    assert timeline[2]["details"]["attachments"][0]["name"] == "bao-cao.pdf"

    campaigns = ok(run("--json", "campaigns")).json()
    assert campaigns[0]["code"] == CODE and campaigns[0]["closed"] is False
    table = ok(run("status", "--as-of", "25/09/2026")).out
    assert "Phòng Kinh tế" in table and "QUÁ HẠN" in table and "21/09/2026" in table
    assert "Báo cáo khắc phục" in ok(run("history", CODE)).out


REFUSALS = [
    # (args, exit code, words the message must contain)
    (["notify", CODE, "vp", "--on-site", "10/08/2026", "--date", "07/08/2026"], 1,
     ["notice", "2026-08-12"]),
    (["notify", CODE, "vp", "--on-site", "02/09/2026", "--date", "07/08/2026"], 1,
     ["not a working day", "2026-09-03"]),
    (["report", CODE, "vp", "--date", "07/08/2026"], 1, ["'report'", "'planned'", "notify"]),
    (["inspect", CODE, "vp", "--date", "10/08/2026"], 1, ["notified", "--surprise"]),
    (["conclude", CODE, "kt", "--finding", "x"], 1, ["'conclude'", "'planned'"]),
    (["notify", "NOPE", "vp", "--on-site", "10/08/2026"], 2, ["NOPE"]),
    (["notify", CODE, "zz", "--on-site", "10/08/2026"], 2, ["zz", "vp, kt, vhxh, hcc"]),
    (["notify", CODE, "vp", "--on-site", "31/02/2026"], 2, ["31/02/2026"]),
    (["notify", CODE, "vp", "--on-site", "2026-13-01"], 2, ["2026-13-01"]),
    (["notify", CODE, "vp", "--on-site", "tomorrow"], 2, ["tomorrow"]),
    (["notify", CODE, "vp", "--on-site", "31/12/9999", "--date", "30/12/9999"], 2,
     ["31/12/9999", "2000–2100"]),
    (["notify", CODE, "vp", "--on-site", "01/01/0001"], 2, ["01/01/0001"]),
    (["notify", CODE, "vp"], 2, ["--on-site"]),
    (["inspect", CODE, "vp", "--surprise", "--absent", "ghost", "--date", "10/08/2026"], 2,
     ["ghost"]),
    (["report", CODE, "vp", "--metrics", "missing.toml"], 2, ["missing.toml"]),
    (["cancel", CODE, "vp", "--reason", "  "], 2, ["--reason"]),
    (["plan", "import", "ke-hoach.toml"], 2, [CODE, "code"]),
    (["plan", "import", "nowhere.toml"], 2, ["nowhere.toml"]),
]


@pytest.mark.parametrize(("args", "code", "words"), REFUSALS,
                         ids=[" ".join(a[:3]) + f" → {c}" for a, c, _ in REFUSALS])
def test_refused_commands_exit_right_and_write_nothing(
    imported: Run, tmp_path: Path, args: list[str], code: int, words: list[str]
) -> None:
    before = events(tmp_path)
    result = imported("--lang", "en", *args)
    assert result.code == code, (result.out, result.err)
    for word in words:
        assert word in result.err
    assert 1 <= len(result.err.strip().splitlines()) <= 2
    assert result.out == ""
    assert events(tmp_path) == before


def test_invalid_plan_lists_every_field_and_writes_nothing(run: Run, tmp_path: Path) -> None:
    template = ok(run("plan", "template")).out
    bad = template.replace('role = "leader"', 'role = "member"').replace(
        "notice_days = 5 ", "notice_days = 0 ").replace("tv.kt@khucthuadu.example", "tv.kt@")
    (tmp_path / "bad.toml").write_text(bad, "utf-8")
    result = run("plan", "import", "bad.toml")
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0] == "Tệp kế hoạch bad.toml không hợp lệ (3 lỗi):", lines
    for field in ("  - team:", "  - rules.notice_days:", "  - thành viên thứ 4 (tv-kt), email:"):
        assert any(line.startswith(field) for line in lines), (field, lines)
    assert "Tổ trưởng" in result.err  # Vietnamese by default
    assert not (tmp_path / "kiemtra.db").exists()


def test_a_locked_database_is_a_concurrent_change(imported: Run, tmp_path: Path) -> None:
    before = events(tmp_path)
    holder = sqlite3.connect(tmp_path / "kiemtra.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = imported("notify", CODE, "vp", "--on-site", "10/08/2026", "--date",
                          "03/08/2026", env={"KIEMTRA_SQLITE_LOCK_TIMEOUT": "1"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 3, result.err
    assert "chạy lại" in result.err
    assert events(tmp_path) == before


def test_parallel_rebuilds_and_a_broken_pipe(imported: Run, tmp_path: Path) -> None:
    import subprocess

    from tests.e2e.conftest import kiemtra_script

    script = kiemtra_script()
    procs = [subprocess.Popen([script, "projections", "rebuild"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(code == 0 for code, _ in results), results
    piped = subprocess.run(f"'{script}' status | head -1", shell=True, cwd=tmp_path,
                           capture_output=True, text=True, executable="/bin/bash")
    assert piped.stderr == ""


def test_english_labels_on_request(imported: Run) -> None:
    out = ok(imported("--lang", "en", "status", "--as-of", "2026-07-01")).out
    assert "Next step" in out and "planned" in out
    out = ok(imported("status", "--as-of", "2026-07-01")).out
    assert "Bước tiếp theo" in out and "Chưa thông báo" in out


def test_status_without_a_database_is_empty_and_creates_nothing(run: Run,
                                                                tmp_path: Path) -> None:
    assert run("notify", CODE, "vp", "--on-site", "10/08/2026").code == 2
    assert ok(run("--json", "status")).json() == []
    assert ok(run("--json", "campaigns")).json() == []
    assert run("history", CODE).code == 2
    assert not (tmp_path / "kiemtra.db").exists()


def test_demo_runs_in_a_fresh_database(run: Run, tmp_path: Path) -> None:
    result = ok(run("demo", "--help"))
    result = ok(run("--db", "demo.db", "demo"))
    assert "KTD-TKT-2026" in result.out and "QUÁ HẠN" in result.out
    assert "Đổi lịch kiểm tra" in result.out
    rows = ok(run("--db", "demo.db", "--json", "status", "--as-of", "2026-10-01")).json()
    assert {r["unit"]: r["state"] for r in rows} == {
        "vp": "remediated", "kt": "concluded", "vhxh": "concluded", "hcc": "remediated"}
    assert {r["unit"]: r["report_late"] for r in rows}["kt"] is True
    again = run("--db", "demo.db", "demo")
    assert again.code == 2 and "demo.db" in again.err


def test_the_leader_overrides_a_date_rule_with_a_reason(imported: Run, tmp_path: Path) -> None:
    """Through the installed script: the refusal says how to override, only the leader
    may, and the trail shows the reason beside the step."""
    soon = ("notify", CODE, "vp", "--on-site", "13/07/2026", "--date", "10/07/2026")
    before = events(tmp_path)
    said = imported(*soon, actor="pho-to")
    assert said.code == 1 and "Ngày kiểm tra sớm nhất được phép là 15/07/2026" in said.err
    assert "Tổ trưởng có thể chấp thuận bằng --override-reason LÝ_DO" in said.err
    english = imported("--lang", "en", *soon, "--override-reason", "x", actor="pho-to")
    assert english.code == 1 and english.err.startswith("Only the leader (truong-to)")
    assert events(tmp_path) == before
    done = ok(imported(*soon, "--override-reason", "Theo chỉ đạo của UBND tỉnh"))
    assert "Tổ trưởng cho phép ngoài quy định (thời hạn thông báo trước, thời hạn báo cáo " \
           "sau thông báo)" in done.out
    trail = ok(imported("audit", CODE, "--unit", "vp", "--format", "json")).json()
    assert trail[-1]["details"]["override"] == {"reason": "Theo chỉ đạo của UBND tỉnh",
                                                "rules": ["notice_period", "report_window"]}


def test_the_shell_completes_commands_and_codes_from_the_database(
        imported: Run, tmp_path: Path) -> None:
    """click's completion (`_KIEMTRA_COMPLETE`, as the README's line installs it) offers
    commands, then the campaign codes and the unit codes of the database named."""

    def complete(words: str, db: str = "kiemtra.db") -> list[str]:
        env = {"_KIEMTRA_COMPLETE": "bash_complete", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
               "KIEMTRA_DB": db}
        done = imported(env=env)
        assert done.code == 0 and done.err == "", done.err
        return [line.split(",", 1)[1] for line in done.out.splitlines() if line]

    assert complete("kiemtra sta") == ["status"]
    assert complete("kiemtra status K") == [CODE]
    assert complete(f"kiemtra history {CODE} ") == ["vp", "kt", "vhxh", "hcc"]
    assert complete(f"kiemtra notify {CODE} v") == ["vp", "vhxh"]
    assert complete("kiemtra status K", db="khong-co.db") == []
    assert not (tmp_path / "khong-co.db").exists()
    ok(imported("notify", CODE, "vp", "--on-site", "10/08/2026", "--date", "27/07/2026"))
    before = (tmp_path / "kiemtra.db").read_bytes()
    assert complete("kiemtra status K") == [CODE]  # the views as they stand: no write
    assert (tmp_path / "kiemtra.db").read_bytes() == before


def test_db_init_makes_a_new_database_and_leaves_one_in_use_as_it_was(
        imported: Run, tmp_path: Path) -> None:
    """`kiemtra db init` creates what is missing and records nothing: on a database in use
    it changes no event; on a new path it makes an empty kiemtra database."""
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        before = conn.execute("SELECT count(*) FROM stored_events").fetchone()
    done = ok(imported("db", "init"))
    assert "đã sẵn sàng" in done.out
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        assert conn.execute("SELECT count(*) FROM stored_events").fetchone() == before
    assert ok(imported("--lang", "en", "--json", "--db", "moi.db", "db", "init")).json() == {
        "database": "moi.db", "ready": True}
    with sqlite3.connect(tmp_path / "moi.db") as conn:
        assert conn.execute("SELECT count(*) FROM stored_events").fetchone() == (0,)
