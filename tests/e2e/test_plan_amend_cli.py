"""`kiemtra plan amend` through the installed script: what changes is printed before it
is recorded, `--dry-run` records nothing, the amended plan shows in `plan show` (and the
plan as it was with `--at`), in `status`, in the trail's CSV, and refusals write nothing."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import NEW_UNIT, count_rows
from tests.e2e.conftest import CODE, Run, ok


def amended(tmp_path: Path, **replace: str) -> Path:
    text = (tmp_path / "ke-hoach.toml").read_text("utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"ke-hoach-sua-doi-{len(list(tmp_path.glob('ke-hoach-sua-doi-*')))}.toml"
    path.write_text(text + NEW_UNIT, "utf-8")
    return path


def test_an_amendment_is_shown_then_recorded_and_read_everywhere(imported: Run,
                                                                  tmp_path: Path) -> None:
    ok(imported("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    path = amended(tmp_path, **{"report_lead_days = 1 ": "report_lead_days = 3 "})
    db = tmp_path / "kiemtra.db"
    events = count_rows(db)
    dry = ok(imported("plan", "amend", path.name, "--reason", "QĐ số 45/QĐ-UBND", "--dry-run",
                      "--date", "05/08/2026"))
    assert dry.out.splitlines()[0] == "Chạy thử (--dry-run): chưa ghi nhận gì."
    assert "thêm đơn vị tp (Phòng Tư pháp)" in dry.out
    assert ("quy tắc nộp báo cáo trước ngày kiểm tra: 1 ngày làm việc → 3 ngày làm việc"
            in dry.out)
    assert "kt (Phòng Kinh tế): hạn báo cáo 11/08/2026 → 07/08/2026 (tính lại)" in dry.out
    assert count_rows(db) == events
    moved = {d["unit"] for d in ok(imported(
        "--json", "plan", "amend", path.name, "--reason", "x", "--dry-run")).json()["deadlines"]}
    before = time.time()
    time.sleep(1.1)  # `--at` is read to the second
    done = ok(imported("plan", "amend", path.name, "--reason", "QĐ số 45/QĐ-UBND",
                       "--date", "05/08/2026"))
    assert done.out.splitlines()[-1] == "Đã ghi nhận kế hoạch sửa đổi (phiên bản 2)."
    # the plan, tp's inspection, and each inspection whose deadline moved: kt's report, and
    # the last day for the notice of the units not yet notified (it leaves the report's
    # time too)
    assert "kt" in moved and count_rows(db) == events + 2 + len(moved)
    shown = ok(imported("--json", "plan", "show", CODE)).json()
    assert shown["version"] == 2 and shown["rules"]["report_lead"]["days"] == 3
    assert shown["amended"]["reason"] == "QĐ số 45/QĐ-UBND"
    moment = datetime.fromtimestamp(before, ZoneInfo("Asia/Ho_Chi_Minh")).strftime(
        "%Y-%m-%dT%H:%M:%S")  # --at is read in Vietnam's time
    old = ok(imported("--json", "plan", "show", CODE, "--at", moment),).json()
    assert old["version"] == 1 and [u["code"] for u in old["units"]][-1] == "hcc"
    assert "Sửa đổi: lần 1, ngày 05/08/2026 (truong-to)" in ok(imported("plan", "show", CODE)).out
    rows = {r["unit"]: r for r in ok(imported("--json", "status", CODE)).json()}
    assert rows["kt"]["report_due"] == "2026-08-07" and rows["tp"]["state"] == "planned"
    trail = list(csv.DictReader(io.StringIO(ok(imported(
        "audit", CODE, "--format", "csv")).out.lstrip("\ufeff"))))
    plan_rows = [r for r in trail if r["Bước"] == "Sửa đổi kế hoạch"]
    assert "Sửa đổi kế hoạch (lần 1)" in plan_rows[0]["Nội dung"]
    assert "lý do: QĐ số 45/QĐ-UBND" in plan_rows[0]["Nội dung"]
    kt = [r for r in trail if r["Kế hoạch/Đơn vị"] == f"{CODE}/kt"]
    assert [r["Bước"] for r in kt] == ["Lập lịch dự kiến", "Thông báo lịch kiểm tra",
                                       "Tính lại hạn theo kế hoạch sửa đổi"]
    assert "hạn báo cáo 11/08/2026 → 07/08/2026" in kt[-1]["Nội dung"]
    assert "hạn nộp báo cáo 11/08/2026" in kt[1]["Nội dung"]  # as first recorded
    again = imported("--lang", "en", "plan", "amend", path.name, "--reason", "x")
    assert again.code == 1
    assert again.err == "The plan file is the same as the plan in force: nothing would change.\n"
    after = ok(imported("--json", "status", CODE)).json()
    ok(imported("projections", "rebuild"))
    assert ok(imported("--json", "status", CODE)).json() == after
    assert ok(imported("audit", "verify")).code == 0


def test_refusals_write_nothing(imported: Run, tmp_path: Path) -> None:
    ok(imported("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    db = tmp_path / "kiemtra.db"
    events = count_rows(db)
    kt_block = ('code = "kt"\nname = "Phòng Kinh tế"\nhead = "Trưởng phòng Kinh tế"\n'
                'email = "kinhte@khucthuadu.example"\nplanned_on_site = 2026-08-12\n')
    cases = [
        (amended(tmp_path), "pho-to", 1, "Tổ trưởng, Cơ quan thường trực"),
        (amended(tmp_path), "kt", 1, "Tổ trưởng, Cơ quan thường trực"),
        (amended(tmp_path, **{kt_block: kt_block.replace('"kt"', '"kt9"')}), "truong-to", 1,
         "dùng “kiemtra cancel”"),
        (amended(tmp_path, **{'name = "Phòng Kinh tế"': 'name = "Phòng Kinh tế - Hạ tầng"'}),
         "truong-to", 2, "tên của đơn vị “kt” không đổi được"),
        (amended(tmp_path, **{'role = "deputy"': 'role = "leader"'}), "truong-to", 2,
         "đúng một Tổ trưởng"),
        (amended(tmp_path, **{'code = "KTD-TKT-2026"': 'code = "KTD-TKT-2099"'}), "truong-to",
         2, "KTD-TKT-2099"),
    ]
    for path, actor, code, words in cases:
        result = imported("plan", "amend", path.name, "--reason", "x", actor=actor)
        assert result.code == code, (path.read_text()[-300:], result.err)
        assert words in result.err, result.err
        assert result.out == "" and count_rows(db) == events
    result = imported("plan", "amend", "khong-co.toml", "--reason", "x")
    assert result.code == 2 and count_rows(db) == events
    result = imported("plan", "import", "ke-hoach.toml")
    assert result.code == 2 and "kiemtra plan amend" in result.err


def test_a_bundle_holds_the_units_an_amendment_added(imported: Run, tmp_path: Path) -> None:
    """The campaign's bundle is complete only with the streams of its added units."""
    import json
    import zipfile

    ok(imported("plan", "amend", amended(tmp_path).name, "--reason", "Thêm đơn vị"))
    ok(imported("notify", "KTD-TKT-2026", "tp", "--on-site", "08/09/2026", "--date",
                "01/09/2026"))
    ok(imported("audit", "export", CODE, "-o", "ho-so.zip"))
    with zipfile.ZipFile(tmp_path / "ho-so.zip") as z:
        events = [json.loads(line) for line in z.read("events.jsonl").splitlines()]
    topics = [e["topic"].rsplit(".", 1)[-1] for e in events]
    assert topics.count("PlanAmended") == 1 and topics.count("NoticeIssued") == 1
    assert len(events) == 4 + 1 + 1 + 1 + 1  # plan, 4 planned, amendment, tp planned, notice
    found = ok(imported("audit", "verify", "--bundle", "ho-so.zip", "--json")).json()
    assert found["events"] == len(events)
    # the amendment taken out of the bundle (resealed, as a forger without the key would):
    # the added unit's events are then outside it
    import shutil

    from tests.forge import rewrite

    shutil.copy(tmp_path / "ho-so.zip", tmp_path / "sua.zip")

    def drop(parts: dict[str, bytes]) -> None:
        parts["events.jsonl"] = b"\n".join(line for line in parts["events.jsonl"].splitlines()
                                           if b"PlanAmended" not in line) + b"\n"

    rewrite(tmp_path / "sua.zip", drop)
    assert imported("audit", "verify", "--bundle", "sua.zip").code == 1
    inner = imported("audit", "verify", "--bundle", "sua.zip", "--no-signature",
                     env={"XDG_CONFIG_HOME": str(tmp_path / "may-khac")})
    assert inner.code == 1 and "thiếu sự kiện" in inner.err


def test_the_minutes_name_the_team_of_the_visit(imported: Run, tmp_path: Path) -> None:
    """A member replaced after the visit stays on its minutes, absent as recorded."""
    from docx import Document

    ok(imported("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    ok(imported("inspect", CODE, "kt", "--date", "12/08/2026", "--without-report", "Chưa gửi",
                "--absent", "tv-hcc"))
    ok(imported("plan", "amend", amended(tmp_path, **{
        'id = "tv-hcc"': 'id = "tv-hcc2"', "Hoàng Văn E": "Đỗ Thị G"}).name,
        "--reason", "Thay thành viên", "--date", "20/08/2026"))
    made = ok(imported("--json", "document", "minutes", CODE, "kt", "--draft")).json()
    text = "\n".join(p.text for p in Document(made["path"]).paragraphs)
    assert "Hoàng Văn E" in text and "Đỗ Thị G" not in text
