"""`kiemtra correct` through the installed script: the corrected fact everywhere, the
original kept in the trail (CSV included), who may, and refusals that write nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.conftest import count_rows
from tests.e2e.conftest import CODE, Run, ok


def walk(run: Run) -> None:
    ok(run("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026",
           actor="thuong-truc"))
    ok(run("report", CODE, "kt", "--date", "12/08/2026", actor="kt"))
    ok(run("inspect", CODE, "kt", "--date", "12/08/2026", "--absent", "tv-vp"))
    ok(run("minutes", CODE, "kt", "--date", "12/08/2026"))
    ok(run("conclude", CODE, "kt", "--date", "21/08/2026", "--finding", "Chưa niêm yết TTHC"))


def test_a_correction_shows_everywhere_and_the_original_stays(imported: Run) -> None:
    walk(imported)
    done = ok(imported("--json", "correct", CODE, "kt", "--step", "conclude", "--finding", "1",
                       "--text", "Chưa niêm yết đầy đủ TTHC", "--reason", "Sai chính tả")).json()
    assert done["corrected_step"] == "conclude" and done["state"] == "concluded"
    said = ok(imported("correct", CODE, "kt", "--step", "report", "--date", "11/08/2026",
                       "--reason", "Văn thư nhận ngày 11/08", actor="kt")).out
    assert ("Đã sửa bước “Nộp báo cáo” của đơn vị kt: ngày 12/08/2026 → 11/08/2026; báo cáo "
            "muộn có → không (tính lại).") in said
    kt = next(r for r in ok(imported("--json", "status", CODE)).json() if r["unit"] == "kt")
    assert kt["report_late"] is False and kt["report_submitted_on"] == "2026-08-11"
    ok(imported("correct", CODE, "kt", "--step", "inspect", "--no-absent",
                "--reason", "Thành viên có mặt"))
    made = ok(imported("--json", "document", "minutes", CODE, "kt")).json()
    from docx import Document

    text = "\n".join(p.text for p in Document(made["path"]).paragraphs)
    assert "Chưa niêm yết đầy đủ TTHC" in text and "Vắng mặt" not in text

    rows = list(csv.DictReader(io.StringIO(ok(imported(
        "audit", CODE, "--unit", "kt", "--format", "csv")).out.lstrip("\ufeff"))))
    concluded = next(r for r in rows if r["Bước"] == "Thông báo kết luận")
    assert "Chưa niêm yết TTHC" in concluded["Nội dung"] and "đã sửa" in concluded["Nội dung"]
    corrections = [r for r in rows if r["Bước"] == "Sửa bước đã ghi"]
    assert "tồn tại 1: nội dung “Chưa niêm yết TTHC” → “Chưa niêm yết đầy đủ TTHC”" in \
        corrections[0]["Nội dung"]
    assert "lý do: Sai chính tả" in corrections[0]["Nội dung"]
    assert corrections[1]["Người thực hiện"].endswith("(kt)")
    assert corrections[1]["Vai trò"] == "Đơn vị được kiểm tra"
    english = ok(imported("--lang", "en", "audit", CODE, "--unit", "kt", "--format", "csv")).out
    assert "Corrected the step 'report'" in english and "Sửa bước" not in english
    after = ok(imported("--json", "status", CODE)).json()
    ok(imported("projections", "rebuild"))
    assert ok(imported("--json", "status", CODE)).json() == after
    assert ok(imported("audit", "verify")).code == 0


def test_refusals_write_nothing(imported: Run, tmp_path: Path) -> None:
    walk(imported)
    db = tmp_path / "kiemtra.db"
    events = count_rows(db)
    cases = [
        (("--step", "minutes", "--date", "11/08/2026"), "truong-to", 1, "12/08/2026"),
        (("--step", "minutes", "--date", "12/08/2026"), "truong-to", 1, "không có gì thay đổi"),
        (("--step", "conclude", "--date", "22/08/2026"), "pho-to", 1, "Tổ trưởng"),
        (("--step", "conclude", "--date", "22/08/2026"), "kt", 1, "Tổ trưởng"),
        (("--step", "report", "--date", "10/08/2026"), "hcc", 1, "kt"),
        (("--step", "minutes", "--text", "x"), "truong-to", 2, "sửa được: ngày"),
        (("--step", "cancel", "--date", "12/08/2026"), "truong-to", 2, "cancel"),
        (("--step", "conclude", "--finding", "7", "--text", "x"), "truong-to", 2, "7"),
        (("--step", "conclude", "--text", "x"), "truong-to", 2, "--finding N"),
        (("--step", "report", "--finding", "1", "--date", "11/08/2026"), "truong-to", 2,
         "sửa được: ngày, số liệu báo cáo"),
        (("--step", "inspect", "--absent", "tv-kt", "--no-absent"), "truong-to", 2,
         "không dùng cùng nhau"),
        (("--step", "inspect", "--date", "15/08/2026"), "truong-to", 1, "thứ Bảy"),
    ]
    for args, actor, code, words in cases:
        result = imported("correct", CODE, "kt", *args, "--reason", "x", actor=actor)
        assert result.code == code, (args, result.err)
        assert words in result.err, (args, result.err)
        assert result.out == "" and count_rows(db) == events
