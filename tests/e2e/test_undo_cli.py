"""`kiemtra undo`: the latest step of an inspection taken back, through the installed
script — the state before it, the trail that keeps both, who may, and the refusals."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import count_rows
from tests.e2e.conftest import CODE, Run, ok


def walk_kt(run: Run) -> None:
    ok(run("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026",
           actor="thuong-truc"))
    ok(run("report", CODE, "kt", "--date", "11/08/2026", actor="kt"))
    ok(run("inspect", CODE, "kt", "--date", "12/08/2026"))


def test_undo_returns_to_the_state_before_and_the_trail_keeps_both(imported: Run) -> None:
    walk_kt(imported)
    before = ok(imported("--json", "status", CODE, "--as-of", "2026-08-13")).json()
    time.sleep(2.1)  # a moment between the visit and its retraction, for --at
    moment = ok(imported("--json", "audit", CODE, "--format", "json")).json()[-1]["recorded_at"]
    done = ok(imported("--json", "undo", CODE, "kt", "--reason", "Ghi nhầm ngày kiểm tra",
                       "--date", "13/08/2026")).json()
    assert done["retracted_step"] == "inspect" and done["state"] == "report_submitted"
    assert done["inspected_on"] is None and done["next_step"] == "inspect"
    kt = next(r for r in ok(imported("--json", "status", CODE, "--as-of", "2026-08-13")).json()
              if r["unit"] == "kt")
    assert kt["state"] == "report_submitted" and kt["conclusion_due"] is None
    # the moment before the retraction still shows the visit (status --at, Vietnam's time)
    then = datetime.fromisoformat(moment).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")) + \
        timedelta(seconds=1)  # the visit's second, whole
    at = ok(imported("--json", "status", CODE, "--at", f"{then:%Y-%m-%d %H:%M:%S}")).json()
    assert next(r for r in at if r["unit"] == "kt")["state"] == "inspected"
    assert next(r for r in before if r["unit"] == "kt")["state"] == "inspected"
    # the trail: the visit stays, marked, and the retraction beside it with its reason
    trail = ok(imported("audit", CODE, "--unit", "kt", "--format", "json")).json()
    visit = next(r for r in trail if r["event"] == "Inspected")
    retraction = trail[-1]
    assert retraction["event"] == "StepRetracted" and visit["retracted_by"] == retraction["seq"]
    assert retraction["details"]["reason"] == "Ghi nhầm ngày kiểm tra"
    assert "restored" not in retraction["details"]
    rows = list(csv.DictReader(io.StringIO(ok(imported(
        "audit", CODE, "--unit", "kt", "--format", "csv")).out.lstrip("\ufeff"))))
    assert rows[-2]["Bước"] == "Kiểm tra trực tiếp" and "đã thu hồi" in rows[-2]["Nội dung"]
    assert "Thu hồi bước “Kiểm tra trực tiếp”" in rows[-1]["Nội dung"]
    assert "lý do: Ghi nhầm ngày kiểm tra" in rows[-1]["Nội dung"]
    assert "đã thu hồi" in ok(imported("history", CODE, "kt")).out
    # the step can be taken again, and the views equal a rebuild
    ok(imported("inspect", CODE, "kt", "--date", "12/08/2026"))
    after = ok(imported("--json", "status", CODE)).json()
    ok(imported("projections", "rebuild"))
    assert ok(imported("--json", "status", CODE)).json() == after
    assert ok(imported("audit", "verify")).code == 0


def test_who_may_undo_what(imported: Run) -> None:
    walk_kt(imported)  # latest step: the leader's visit
    for actor in ("thuong-truc", "tv-kt", "kt"):
        refused = imported("undo", CODE, "kt", "--reason", "x", actor=actor)
        assert refused.code == 1 and "Thu hồi bước" in refused.err, actor
    ok(imported("undo", CODE, "kt", "--reason", "Ghi quá sớm", actor="pho-to"))
    # now the unit's own report is the latest: the unit may take it back, another may not
    assert imported("undo", CODE, "kt", "--reason", "x", actor="hcc").code == 1
    ok(imported("undo", CODE, "kt", "--reason", "Gửi nhầm tệp", actor="kt"))
    ok(imported("undo", CODE, "kt", "--reason", "Thông báo nhầm", actor="thuong-truc"))
    nothing = imported("undo", CODE, "kt", "--reason", "x")
    assert nothing.code == 1 and "chưa có bước nào" in nothing.err


def test_refusals_write_nothing(imported: Run, tmp_path: Path) -> None:
    db = tmp_path / "kiemtra.db"
    walk_kt(imported)
    events = count_rows(db)
    for args, code in (
        (("undo", CODE, "kt", "--reason", "x", "--date", "11/08/2026"), 1),  # before the visit
        (("undo", CODE, "kt", "--reason", "   "), 2),  # no reason
        (("undo", CODE, "khong-co", "--reason", "x"), 2),
        (("undo", "KHONG-CO", "kt", "--reason", "x"), 2),
        (("undo", CODE, "kt"), 2),  # --reason is required
    ):
        result = imported(*args)
        assert result.code == code, (args, result.err)
        assert result.out == ""
        assert count_rows(db) == events
    early = imported("undo", CODE, "kt", "--reason", "x", "--date", "11/08/2026")
    assert "Ngày sớm nhất được phép: 12/08/2026" in early.err
    english = imported("--lang", "en", "undo", CODE, "kt", "--reason", "x", "--date",
                       "2026-08-11")
    assert "Earliest allowed: 2026-08-12" in english.err


def test_a_step_with_an_issued_document_needs_it_voided(imported: Run, tmp_path: Path) -> None:
    walk_kt(imported)
    made = ok(imported("--json", "document", "minutes", CODE, "kt")).json()
    events = count_rows(tmp_path / "kiemtra.db")
    refused = imported("undo", CODE, "kt", "--reason", "Nhầm đơn vị")
    assert refused.code == 1 and made["symbol"] in refused.err and "--void-document" in refused.err
    assert count_rows(tmp_path / "kiemtra.db") == events
    done = ok(imported("--json", "undo", CODE, "kt", "--reason", "Nhầm đơn vị",
                       "--void-document")).json()
    assert done["voided"] == [made["symbol"]]
    register = ok(imported("documents", CODE, "--json")).json()
    assert register[0]["void"]["reason"] == "Nhầm đơn vị"
    assert "hết hiệu lực" in ok(imported("documents", CODE)).out
    # a new visit and a new minutes: the void one is not "replaced", it is void
    ok(imported("inspect", CODE, "kt", "--date", "12/08/2026"))
    again = ok(imported("--json", "document", "minutes", CODE, "kt")).json()
    assert again["replaces"] is None and again["symbol"] == "02/BB-TKT"


def test_the_documents_a_retraction_voids(imported: Run) -> None:
    """A notice of several units counts for each; a reschedule's retraction leaves the
    notice of the schedule back in force alone."""
    ok(imported("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    wide = ok(imported("--json", "document", "schedule", CODE, "--date", "03/08/2026")).json()
    refused = imported("undo", CODE, "kt", "--reason", "Nhầm")
    assert refused.code == 1 and wide["symbol"] in refused.err
    ok(imported("undo", CODE, "kt", "--reason", "Nhầm", "--void-document"))
    ok(imported("notify", CODE, "kt", "--on-site", "14/08/2026", "--date", "04/08/2026"))
    first = ok(imported("--json", "document", "schedule", CODE, "kt")).json()
    ok(imported("reschedule", CODE, "kt", "--on-site", "17/08/2026", "--date", "04/08/2026",
                "--reason", "Trùng lịch"))
    done = ok(imported("--json", "undo", CODE, "kt", "--reason", "Không đổi lịch nữa")).json()
    assert done["voided"] == [] and done["on_site"] == "2026-08-14"
    register = ok(imported("documents", CODE, "--json")).json()
    assert [(d["symbol"], bool(d["void"])) for d in register] == [
        (wide["symbol"], True), (first["symbol"], False)]
