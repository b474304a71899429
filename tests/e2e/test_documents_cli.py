"""The official documents through the installed script: each kind's DOCX reopened and
checked against ND 30's layout and the recorded facts; the number register (order,
years, two issuers at once, replacement, refusals that write nothing); the stored
originals under `audit verify` and in bundles."""

from __future__ import annotations

import json
import shutil
import sqlite3
import unicodedata
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from kiemtra.workflow import Database, open_store, run_demo
from tests.conftest import count_rows
from tests.e2e.conftest import CODE, Result, Run, ok
from tests.forge import rewrite

SCRIPTS = ("ascii", "hAnsi", "eastAsia", "cs")


@pytest.fixture
def walked(run: Run, tmp_path: Path) -> Run:
    """The demo's campaign walked in tmp_path/kiemtra.db, no document issued yet."""
    store = open_store(Database(str(tmp_path / "kiemtra.db")))
    for _ in run_demo(store):
        pass
    store.close()
    return run


def issue(run: Run, *args: str, actor: str = "truong-to") -> dict[str, Any]:
    data: dict[str, Any] = ok(run("--json", "document", *args, actor=actor)).json()
    return data


def paragraphs(doc: Any) -> Iterator[Any]:
    """Every paragraph: the body's, the tables' (nested too), in document order."""
    def walk(container: Any) -> Iterator[Any]:
        if hasattr(container, "rows"):  # a table itself
            for row in container.rows:
                for cell in row.cells:
                    yield from walk(cell)
            return
        for block in container.iter_inner_content():
            if hasattr(block, "rows"):
                for row in block.rows:
                    for cell in row.cells:
                        yield from walk(cell)
            else:
                yield block
    yield from walk(doc)


def full_text(doc: Any) -> str:
    return "\n".join(p.text for p in paragraphs(doc))


def run_of(doc: Any, text: str) -> Any:
    """The first run whose paragraph reads exactly `text`."""
    for p in paragraphs(doc):
        if p.text == text:
            return p.runs[0]
    missing = f"no paragraph {text!r}"
    raise AssertionError(missing)


def mm(length: Any) -> float:
    """A length in millimetres, to 0.1 mm (Word stores twips: 210 mm is 210.01 mm)."""
    return round(length.mm, 1)


def check_layout(path: Path, number: str) -> Any:
    """What every document must have, by ND 30/2020 Phụ lục I."""
    doc = Document(str(path))
    section = doc.sections[0]
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert 20 <= mm(section.top_margin) <= 25
    assert 20 <= mm(section.bottom_margin) <= 25
    assert 30 <= mm(section.left_margin) <= 35
    assert 15 <= mm(section.right_margin) <= 20
    for p in paragraphs(doc):
        assert unicodedata.is_normalized("NFC", p.text), p.text
        for r in p.runs:
            fonts = r._r.rPr.find(qn("w:rFonts"))
            assert fonts is not None, p.text
            assert {s: fonts.get(qn(f"w:{s}")) for s in SCRIPTS} == dict.fromkeys(
                SCRIPTS, "Times New Roman"), p.text
    national = run_of(doc, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert national.bold and Pt(12) <= national.font.size <= Pt(13)
    motto = run_of(doc, "Độc lập - Tự do - Hạnh phúc")
    assert motto.bold and Pt(13) <= motto.font.size <= Pt(14)
    assert run_of(doc, f"Số: {number}").font.size == Pt(13)
    header = doc.tables[0]
    ruled = [p for p in paragraphs(header) if p._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}")
             is not None]
    assert len(ruled) == 2, "a rule under the issuing body and one under the Tiêu ngữ"
    assert "__" not in full_text(doc)
    # page numbers: none on page 1, a PAGE field from page 2
    assert section.different_first_page_header_footer
    assert not "".join(p.text for p in section.first_page_header.paragraphs).strip()
    instructions = section.header._element.xpath(".//w:instrText")
    assert [i.text.strip() for i in instructions] == ["PAGE"]
    # widths on the grid's columns and on every cell
    for table in doc.tables:
        cols = table._tbl.tblGrid.findall(qn("w:gridCol"))
        assert cols and all(int(c.get(qn("w:w"))) > 0 for c in cols)
        for row in table.rows:
            assert all(cell.width is not None and cell.width > 0 for cell in row.cells)
    return doc


def date_line(doc: Any) -> Any:
    found = [p for p in paragraphs(doc) if p.text.startswith("Khúc Thừa Dụ, ngày ")]
    assert len(found) == 1
    assert all(r.italic and Pt(13) <= r.font.size <= Pt(14) for r in found[0].runs)
    return found[0].text


def title(doc: Any, text: str) -> None:
    r = run_of(doc, text)
    assert r.bold and r.text == r.text.upper() and Pt(13) <= r.font.size <= Pt(14)


def signer(doc: Any, name: str) -> None:
    assert run_of(doc, name).bold


# --- each kind ---------------------------------------------------------------------------


def test_the_four_documents_of_a_walked_campaign(walked: Run, tmp_path: Path) -> None:
    schedule = issue(walked, "schedule", CODE, "hcc", actor="thuong-truc")
    assert schedule == {
        "kind": "schedule", "campaign": CODE, "unit": "hcc", "number": 1,
        "symbol": "01/TB-TKT", "issued_on": "2026-08-05",
        "path": str(tmp_path / "thong-bao-lich-kiem-tra_KTD-TKT-2026_hcc_01-TB-TKT-2026.docx"),
        "sha256": schedule["sha256"], "pdf_path": None, "replaces": None}
    doc = check_layout(Path(schedule["path"]), "01/TB-TKT")
    assert date_line(doc) == "Khúc Thừa Dụ, ngày 05 tháng 8 năm 2026"
    title(doc, "THÔNG BÁO")
    text = full_text(doc)
    assert "Trung tâm Phục vụ hành chính công xã" in text
    assert "Thứ Hai,\nngày 17/08/2026" in text  # the visit, in the schedule's table
    assert "chậm nhất ngày 14/08/2026" in text  # the report due, as the rules derived it
    assert "TM. TỔ KIỂM TRA" in text and "Nơi nhận:" in text and "- Lưu: VT, VHXH." in text
    signer(doc, "Nguyễn Văn A")

    minutes = issue(walked, "minutes", CODE, "hcc")
    assert minutes["symbol"] == "01/BB-TKT" and minutes["issued_on"] == "2026-08-17"
    doc = check_layout(Path(minutes["path"]), "01/BB-TKT")
    text = full_text(doc)
    title(doc, "BIÊN BẢN KIỂM TRA")
    assert "ngày 17 tháng 8 năm 2026, tại Trụ sở Trung tâm Phục vụ hành chính công xã" in text
    assert "Căn cứ Thông báo số 01/TB-TKT ngày 05/08/2026" in text  # cites the notice issued
    assert "Ông (bà) Lê Văn C - Thành viên (vắng mặt có lý do, được Tổ trưởng Nguyễn Văn A " \
           "đồng ý)" in text
    assert "Ông (bà) Hoàng Văn E, Viên chức Trung tâm Phục vụ hành chính công - Thành viên" \
        in text
    assert "1.250" in text and "98,7%" in text  # the unit's figures and a derived rate
    assert "ĐẠI DIỆN ĐƠN VỊ" in text and "THƯ KÝ" in text and "Phạm Thị D" in text
    assert "[Phần để trống, điền khi hoàn thiện văn bản: ý kiến của đơn vị" in text
    assert "Tổ chức" not in text  # nothing invented in place of the team's own words

    conclusion = issue(walked, "conclusion", CODE, "hcc")
    assert conclusion["symbol"] == "02/TB-TKT"  # the TB series is shared with the notice
    doc = check_layout(Path(conclusion["path"]), "02/TB-TKT")
    text = full_text(doc)
    assert date_line(doc) == "Khúc Thừa Dụ, ngày 27 tháng 8 năm 2026"
    assert "căn cứ Biên bản kiểm tra số 01/BB-TKT ngày 17/08/2026" in text
    assert "1. Tỷ lệ hồ sơ trực tuyến toàn trình còn thấp." in text
    assert "Tồn tại số 1: hoàn thành khắc phục chậm nhất ngày 30/09/2026" in text
    assert "(qua Phòng Văn hóa - Xã hội) chậm nhất ngày 30/09/2026" in text

    results = issue(walked, "results", CODE, "--date", "15/10/2026", actor="thuong-truc")
    assert results["symbol"] == "01/BC-UBND" and results["unit"] is None
    doc = check_layout(Path(results["path"]), "01/BC-UBND")
    text = full_text(doc)
    title(doc, "BÁO CÁO")
    assert date_line(doc) == "Khúc Thừa Dụ, ngày 15 tháng 10 năm 2026"
    assert [p.text for p in paragraphs(doc.tables[0])][:2] == ["ỦY BAN NHÂN DÂN",
                                                               "XÃ KHÚC THỪA DỤ"]
    assert "đã kiểm tra 04/04 đơn vị" in text
    assert "kiểm tra đột xuất 01 đơn vị (Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã)" \
        in text
    assert "chậm hạn: 01 đơn vị (Phòng Kinh tế)" in text
    assert "đã chỉ ra 05 tồn tại, hạn chế" in text and "còn 01 tồn tại" in text
    assert "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH" in text
    signer(doc, "Hà Thị Lan Anh")
    assert "- Sở Nội vụ (để b/c);" in text
    assert "(Kèm theo Báo cáo số 01/BC-UBND ngày 15 tháng 10 năm 2026" in text
    annex = doc.sections[-1]
    assert mm(annex.page_width) == 297  # the statistics annex on a landscape page
    assert [c.text for c in doc.tables[-1].rows[4].cells][:5] == [
        "4", "Trung tâm Phục vụ hành chính công xã", "17/08/2026", "Đúng hạn", "1"]

    listed = ok(walked("documents", CODE, "--json")).json()
    assert [d["symbol"] for d in listed] == ["01/TB-TKT", "01/BB-TKT", "02/TB-TKT",
                                            "01/BC-UBND"]
    assert listed[0]["sha256"] == schedule["sha256"] and listed[0]["issued_by"] == "thuong-truc"
    assert all(d["facts_through"] > 0 for d in listed)


def test_a_campaign_wide_schedule_lists_every_unit_notified_that_day(walked: Run) -> None:
    made = issue(walked, "schedule", CODE, "--date", "05/08/2026", actor="thuong-truc")
    assert made["unit"] is None and made["symbol"] == "01/TB-TKT"
    text = full_text(Document(made["path"]))
    assert "Trung tâm Phục vụ hành chính công xã" in text
    assert "Phòng Kinh tế" not in text  # notified on 03/08, not on 05/08
    latest = issue(walked, "schedule", CODE, actor="thuong-truc")  # the latest notice date
    assert latest["issued_on"] == "2026-08-10"  # the Phòng Văn hóa - Xã hội's new schedule
    assert "Thứ Năm,\nngày 20/08/2026" in full_text(Document(latest["path"]))


def test_a_draft_has_a_blank_number_and_records_nothing(walked: Run, tmp_path: Path) -> None:
    before = count_rows(tmp_path / "kiemtra.db")
    made = issue(walked, "conclusion", CODE, "vhxh", "--draft", actor="tv-kt")
    assert made["number"] is None and made["symbol"] == "…/TB-TKT"
    assert made["path"].endswith("thong-bao-ket-luan-kiem-tra_KTD-TKT-2026_vhxh_du-thao.docx")
    check_layout(Path(made["path"]), "…/TB-TKT")
    assert count_rows(tmp_path / "kiemtra.db") == before
    assert ok(walked("documents", "--json")).json() == []


def test_the_team_s_own_words_come_from_a_text_file(walked: Run, tmp_path: Path) -> None:
    (tmp_path / "danh-gia.toml").write_text(
        'strengths = """Các đơn vị quan tâm chỉ đạo công tác cải cách hành chính.\n\n'
        'Việc công khai thủ tục hành chính được thực hiện nghiêm túc."""\n'
        'proposals = ["Đề nghị Sở Nội vụ tổ chức tập huấn nghiệp vụ."]\n', "utf-8")
    made = issue(walked, "results", CODE, "--date", "15/10/2026", "--text", "danh-gia.toml",
                 actor="thuong-truc")
    text = full_text(Document(made["path"]))
    assert "Các đơn vị quan tâm chỉ đạo công tác cải cách hành chính." in text
    assert "Việc công khai thủ tục hành chính được thực hiện nghiêm túc." in text
    assert "Đề nghị Sở Nội vụ tổ chức tập huấn nghiệp vụ." in text
    assert "điền khi hoàn thiện văn bản: nhiệm vụ, giải pháp]" in text  # left blank
    assert "điền khi hoàn thiện văn bản: ưu điểm]" not in text


# --- the register ------------------------------------------------------------------------


def test_reissuing_replaces_and_the_trail_says_so(walked: Run) -> None:
    first = issue(walked, "minutes", CODE, "kt")
    again = issue(walked, "minutes", CODE, "kt", "--date", "13/08/2026")
    assert (first["symbol"], again["symbol"], again["replaces"]) == (
        "01/BB-TKT", "02/BB-TKT", "01/BB-TKT")
    listed = ok(walked("documents", CODE, "--json")).json()
    assert listed[0]["replaced_by"] == "02/BB-TKT" and listed[1]["replaced_by"] is None
    shown = ok(walked("documents", CODE)).out
    assert "đã được thay thế bởi số 02/BB-TKT" in shown
    trail = ok(walked("history", CODE, "kt", "--json")).json()
    issued = [r for r in trail if r["event"] == "DocumentIssued"]
    assert [r["unit"] for r in issued] == ["kt", "kt"]
    assert "Biên bản kiểm tra số 02/BB-TKT (thay thế số 01/BB-TKT)" in ok(
        walked("history", CODE, "kt")).out


def test_numbers_restart_on_the_first_of_january(walked: Run) -> None:
    assert issue(walked, "results", CODE, "--date", "30/12/2026", actor="thuong-truc")[
        "symbol"] == "01/BC-UBND"
    assert issue(walked, "results", CODE, "--date", "31/12/2026", actor="thuong-truc")[
        "symbol"] == "02/BC-UBND"
    made = issue(walked, "results", CODE, "--date", "02/01/2027", actor="thuong-truc")
    assert made["symbol"] == "01/BC-UBND" and made["replaces"] == "02/BC-UBND"


def test_two_issuers_at_once_never_repeat_or_skip_a_number(walked: Run) -> None:
    def one(_: int) -> Result:
        return walked("--json", "document", "schedule", CODE, "kt", "--date", "03/08/2026",
                      actor="thuong-truc")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, range(10)))
    assert {r.code for r in results} <= {0, 3}, [r.err for r in results]
    numbers = sorted(r.json()["number"] for r in results if r.code == 0)
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 8
    listed = ok(walked("documents", "--json")).json()
    assert [d["number"] for d in listed] == list(range(1, len(numbers) + 1))
    assert len({d["sha256"] for d in listed}) == len(listed)


def refused(run: Run, db: Path, *args: str, code: int, actor: str = "truong-to",
            env: dict[str, str] | None = None) -> str:
    """A refusal: its exit code, no event, no document file; its message."""
    before = count_rows(db)
    files = sorted(p.name for p in db.parent.rglob("*.docx"))
    result = run("document", *args, actor=actor, env=env)
    assert result.code == code, result.err
    assert result.out == "" and "Traceback" not in result.err
    assert count_rows(db) == before
    assert sorted(p.name for p in db.parent.rglob("*.docx")) == files
    return result.err


def test_refusals_write_nothing(walked: Run, tmp_path: Path) -> None:
    db = tmp_path / "kiemtra.db"
    # a document before its step: a rule (exit 1) naming the step
    plan = tmp_path / "p.toml"
    plan.write_text(ok(walked("plan", "template")).out.replace('"KTD-TKT-2026"', '"KH-2"'),
                    "utf-8")
    ok(walked("plan", "import", "p.toml"))
    err = refused(walked, db, "minutes", "KH-2", "hcc", code=1)
    assert "Chưa thể lập Biên bản kiểm tra của đơn vị hcc" in err
    assert "“Kiểm tra trực tiếp” (inspect)" in err
    err = refused(walked, db, "conclusion", "KH-2", "hcc", code=1)
    assert "(conclude)" in err
    # dated before the step it records
    err = refused(walked, db, "minutes", CODE, "hcc", "--date", "16/08/2026", code=1)
    assert "Ngày sớm nhất được phép: 17/08/2026" in err and "--date" in err
    # a member may not issue
    err = refused(walked, db, "conclusion", CODE, "hcc", code=1, actor="tv-kt")
    assert "Ban hành văn bản" in err
    # a unit document without its unit; the results report with one
    assert "mã đơn vị" in refused(walked, db, "minutes", CODE, code=2)
    assert "không ghi mã đơn vị" in refused(walked, db, "results", CODE, "hcc", code=2)
    # an output folder that does not exist; a file in the way
    refused(walked, db, "minutes", CODE, "hcc", "-o", "khong-co/bb.docx", code=2)
    (tmp_path / "bb.docx").write_bytes(b"the leader's own edited copy")
    err = refused(walked, db, "minutes", CODE, "hcc", "-o", "bb.docx", code=2)
    assert "--force" in err
    assert (tmp_path / "bb.docx").read_bytes() == b"the leader's own edited copy"
    # --pdf without LibreOffice: refused before anything is numbered
    err = refused(walked, db, "minutes", CODE, "hcc", "--pdf", code=2,
                  env={"KIEMTRA_SOFFICE": str(tmp_path / "no-soffice")})
    assert "LibreOffice" in err
    # a LibreOffice that fails to convert: the number is not taken, no file is left
    broken = tmp_path / "broken-soffice"
    broken.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    broken.chmod(0o755)
    err = refused(walked, db, "minutes", CODE, "hcc", "--pdf", code=2,
                  env={"KIEMTRA_SOFFICE": str(broken)})
    assert "could not be loaded" in err and not list(tmp_path.glob("*.pdf"))
    # a text file with a part this kind does not have
    (tmp_path / "t.toml").write_text('tasks = "Nhiệm vụ"\n', "utf-8")
    err = refused(walked, db, "minutes", CODE, "hcc", "--text", "t.toml", code=2)
    assert "tasks" in err
    # in English, English
    err = walked("--lang", "en", "document", "minutes", "KH-2", "hcc").err
    assert "cannot be made yet" in err and "Chưa" not in err
    # and with --force the file is replaced by the document
    made = issue(walked, "minutes", CODE, "hcc", "-o", "bb.docx", "--force")
    assert Path(made["path"]) == tmp_path / "bb.docx"
    Document(str(tmp_path / "bb.docx"))


def test_output_into_a_folder(walked: Run, tmp_path: Path) -> None:
    (tmp_path / "van-ban").mkdir()
    made = issue(walked, "minutes", CODE, "vp", "-o", "van-ban")
    assert made["path"] == str(tmp_path / "van-ban" /
                               "bien-ban-kiem-tra_KTD-TKT-2026_vp_01-BB-TKT-2026.docx")


# --- the archive -------------------------------------------------------------------------


def test_the_stored_original_is_verified_and_bundled(walked: Run, tmp_path: Path) -> None:
    made = issue(walked, "conclusion", CODE, "vhxh")
    ok(walked("attachment", "get", made["sha256"], "-o", "lay-lai.docx"))
    assert (tmp_path / "lay-lai.docx").read_bytes() == Path(made["path"]).read_bytes()

    ok(walked("audit", "export", CODE, "-o", "ho-so.zip"))
    with zipfile.ZipFile(tmp_path / "ho-so.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
        assert z.read(f"attachments/{made['sha256']}") == Path(made["path"]).read_bytes()
    assert [(d["symbol"], d["kind"], d["unit"], d["sha256"]) for d in manifest["documents"]] \
        == [("01/TB-TKT", "conclusion", "vhxh", made["sha256"])]
    ok(walked("audit", "verify", "--bundle", "ho-so.zip"))

    # a manifest that lists another document than the events issued is refused: by its
    # signature, and (on a machine without the key) by the events
    forged = tmp_path / "forged.zip"
    shutil.copy(tmp_path / "ho-so.zip", forged)

    def other_document(parts: dict[str, bytes]) -> None:
        doc = json.loads(parts["manifest.json"])
        doc["documents"][0]["symbol"] = "09/TB-TKT"
        parts["manifest.json"] = json.dumps(doc).encode()

    rewrite(forged, other_document)
    result = walked("audit", "verify", "--bundle", "forged.zip")
    assert result.code == 1 and "Chữ ký" in result.err
    result = walked("audit", "verify", "--bundle", "forged.zip", "--no-signature",
                    env={"XDG_CONFIG_HOME": str(tmp_path / "may-khac")})
    assert result.code == 1 and "văn bản" in result.err

    # a stored document changed in the database
    with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
        conn.execute("UPDATE attachments SET content = ? WHERE sha256 = ?",
                     (b"sua noi dung", made["sha256"]))
    result = walked("audit", "verify")
    assert result.code == 1 and made["sha256"] in result.err
