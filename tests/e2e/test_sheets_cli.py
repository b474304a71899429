"""Files for a spreadsheet, through the installed script: `--format xlsx -o FILE` of status,
due, summary and audit (opened again with openpyxl), and the audit's CSV (read back with
the csv module): headings in the reader's language, typed cells, formula-like text kept
harmless, and the refusals (exit 2, one sentence in the reader's language, old file kept)."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import CODE, Run, ok

FORMULA_UNIT = '=HYPERLINK("http://example.invalid","Phòng Kinh tế")'
FORMULA_FINDING = "=1+2 chưa niêm yết"
DASH_FINDING = "- Chưa cập nhật sổ theo dõi"


@pytest.fixture
def walked(run: Run, tmp_path: Path) -> Run:
    """A campaign whose unit kt is named like a formula, concluded with two findings."""
    plan = ok(run("plan", "template")).out.replace(
        'name = "Phòng Kinh tế"', f"name = '{FORMULA_UNIT}'")
    assert FORMULA_UNIT in plan
    (tmp_path / "ke-hoach.toml").write_text(plan, "utf-8")
    ok(run("plan", "import", "ke-hoach.toml"))
    for args in (("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"),
                 ("report", CODE, "kt", "--date", "11/08/2026"),
                 ("inspect", CODE, "kt", "--date", "12/08/2026"),
                 ("minutes", CODE, "kt", "--date", "12/08/2026"),
                 ("conclude", CODE, "kt", "--date", "20/08/2026", "--finding", FORMULA_FINDING,
                  "--finding", DASH_FINDING)):
        ok(run(*args))
    return run


def sheet_rows(ws: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def column(ws: Any, heading: str) -> list[Any]:
    rows = list(ws.iter_rows())
    at = [c.value for c in rows[0]].index(heading)
    return [row[at] for row in rows[1:]]


def test_status_as_a_workbook_in_both_languages(walked: Run, tmp_path: Path) -> None:
    done = ok(walked("status", "--as-of", "25/08/2026", "--format", "xlsx", "-o", "tt.xlsx"))
    assert done.out == "" and done.err == "Đã ghi 4 dòng vào tt.xlsx.\n"
    ws = load_workbook(tmp_path / "tt.xlsx").worksheets[0]
    head = sheet_rows(ws)[0]
    assert head[:6] == ["STT", "Kế hoạch", "Mã", "Đơn vị", "Trạng thái", "Ngày kiểm tra"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    assert ws.auto_filter.ref == ws.dimensions
    assert [c.value for c in column(ws, "STT")] == [1, 2, 3, 4]
    on_site = column(ws, "Ngày kiểm tra")
    assert all(isinstance(c.value, datetime) for c in on_site)  # a real date
    assert {c.number_format for c in on_site} == {"DD/MM/YYYY"}
    kt = next(c for c in column(ws, "Đơn vị") if c.value.startswith("=HYPERLINK"))
    assert kt.value == FORMULA_UNIT and kt.data_type == "s" and kt.quotePrefix  # text, never run
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths["D"] >= len("Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã")
    assert all(0 < w <= 62 for w in widths.values())
    assert not any("[" in str(v) for row in sheet_rows(ws) for v in row if v)  # no markup

    ok(walked("--lang", "en", "status", "--as-of", "2026-08-25", "--format", "xlsx",
              "-o", "status.xlsx"))
    ws = load_workbook(tmp_path / "status.xlsx").worksheets[0]
    assert sheet_rows(ws)[0][:4] == ["No.", "Campaign", "Code", "Unit"]
    assert {c.number_format for c in column(ws, "On-site")} == {"YYYY-MM-DD"}
    assert "Đã" not in str(sheet_rows(ws))  # English throughout (names from the plan aside)


def test_due_and_summary_workbooks(walked: Run, tmp_path: Path) -> None:
    done = ok(walked("due", "--as-of", "25/08/2026", "--all", "--format", "xlsx", "-o", "d.xlsx"))
    assert done.out == "" and done.err.startswith("Đã ghi ")
    ws = load_workbook(tmp_path / "d.xlsx").worksheets[0]
    left = column(ws, "Còn")
    assert all(isinstance(c.value, int) for c in left)  # days as a number, worded by format
    assert "quá" in left[0].number_format
    assert all(isinstance(c.value, datetime) for c in column(ws, "Hạn"))

    ok(walked("--lang", "en", "summary", CODE, "--as-of", "2026-08-25", "--format", "xlsx",
              "-o", "summary.xlsx"))
    book = load_workbook(tmp_path / "summary.xlsx")
    units, totals, findings = book.worksheets
    assert sheet_rows(units)[0][:3] == ["No.", "Unit", "State"]
    assert [c.value for c in column(units, "Findings")] == [0, 2, 0, 0]
    assert dict((r[1], r[2]) for r in sheet_rows(totals)[1:])["Findings"] == 2
    texts = column(findings, "Finding")
    assert [c.value for c in texts] == [FORMULA_FINDING, DASH_FINDING]
    assert all(c.data_type == "s" and c.quotePrefix for c in texts)
    assert isinstance(column(findings, "Remediate by")[0].value, datetime)


def test_the_audit_trail_as_a_workbook(walked: Run, tmp_path: Path) -> None:
    ok(walked("audit", CODE, "--unit", "kt", "--format", "xlsx", "-o", "nk.xlsx"))
    ws = load_workbook(tmp_path / "nk.xlsx").worksheets[0]
    head = sheet_rows(ws)[0]
    assert head[:5] == ["STT", "Vị trí", "Ngày thực hiện", "Ghi lùi ngày",
                        "Thời điểm ghi (giờ VN)"]
    recorded = column(ws, "Thời điểm ghi (giờ VN)")
    assert all(isinstance(c.value, datetime) and c.value.tzinfo is None for c in recorded)
    assert {c.number_format for c in recorded} == {"DD/MM/YYYY HH:MM:SS"}
    assert abs((recorded[-1].value - vietnam_now()).total_seconds()) < 120  # Vietnam's clock
    positions = [c.value for c in column(ws, "Vị trí")]
    assert positions == sorted(positions) and positions != list(range(1, len(positions) + 1))
    contents = [c.value for c in column(ws, "Nội dung")]
    assert any(FORMULA_FINDING in c for c in contents)


def vietnam_now() -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)


def test_the_audit_csv_for_people(walked: Run, tmp_path: Path) -> None:
    raw = ok(walked("audit", CODE, "--unit", "kt", "--format", "csv")).out
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))
    assert list(rows[0])[:4] == ["STT", "Vị trí", "Ngày thực hiện", "Ghi lùi ngày"]
    assert [r["STT"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert int(rows[0]["Vị trí"]) > 1  # the log's position, kept beside the number
    recorded = datetime.strptime(rows[-1]["Thời điểm ghi (giờ VN)"], "%d/%m/%Y %H:%M:%S")
    assert abs((recorded - vietnam_now()).total_seconds()) < 120
    concluded = next(r for r in rows if r["Bước"] == "Thông báo kết luận")
    assert concluded["Ngày thực hiện"] == "20/08/2026" and concluded["Ghi lùi ngày"] == "Có"
    assert FORMULA_FINDING in concluded["Nội dung"]
    assert rows[0]["Người thực hiện"] == "Nguyễn Văn A (truong-to)"
    units = [r["Kế hoạch/Đơn vị"] for r in rows]
    assert set(units) == {f"{CODE}/kt"}

    english = list(csv.DictReader(io.StringIO(ok(walked(
        "--lang", "en", "audit", CODE, "--unit", "kt", "--format", "csv")).out.lstrip("\ufeff"))))
    assert list(english[0])[:3] == ["No.", "Position", "Effective"]
    assert english[-1]["Effective"] == "2026-08-20" and english[-1]["Step"] == "conclusion"
    datetime.strptime(english[-1]["Recorded at (UTC+7)"], "%Y-%m-%d %H:%M:%S")


def test_formula_like_text_in_the_csv_gets_a_quote(walked: Run) -> None:
    """The contents cell of the conclusion begins with the finding in the actor's words;
    a cell that begins like a formula is written with OWASP's leading quote."""
    raw = ok(walked("audit", CODE, "--actor", "truong-to", "--format", "csv")).out
    cells = [c for row in csv.reader(io.StringIO(raw.lstrip("\ufeff"))) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_refusals(walked: Run, tmp_path: Path, lang: str) -> None:
    vi = lang == "vi"
    missing = walked("--lang", lang, "status", "--format", "xlsx")
    assert missing.code == 2 and missing.out == ""
    assert missing.err == ("Với --format xlsx, cần cho biết tệp sẽ ghi: -o TỆP.xlsx. Xem "
                           "“kiemtra status --help”.\n" if vi else
                           "--format xlsx needs the file to write: -o FILE.xlsx. See "
                           "'kiemtra status --help'.\n")
    alone = walked("--lang", lang, "audit", "--format", "csv", "-o", "nk.csv")
    assert alone.code == 2 and not (tmp_path / "nk.csv").exists()
    assert ("chỉ dùng cùng --format xlsx" if vi else "goes only with --format xlsx") in alone.err

    old = tmp_path / "old.xlsx"
    old.write_bytes(b"the old file")
    kept = walked("--lang", lang, "due", "--format", "xlsx", "-o", "old.xlsx")
    assert kept.code == 2 and old.read_bytes() == b"the old file"
    assert kept.err == ("Tệp old.xlsx đã có; không ghi đè (dùng --force nếu muốn thay).\n" if vi
                        else "The file old.xlsx exists; it is not overwritten (use --force to "
                        "replace it).\n")
    ok(walked("--lang", lang, "due", "--format", "xlsx", "-o", "old.xlsx", "--force"))
    assert load_workbook(old).worksheets[0]["A1"].value == ("STT" if vi else "No.")

    nowhere = walked("--lang", lang, "status", "--format", "xlsx", "-o", "no/such/s.xlsx")
    assert nowhere.code == 2 and nowhere.err == (
        "Không ghi được tệp no/such/s.xlsx: thư mục chứa tệp không tồn tại.\n" if vi
        else "Cannot write file no/such/s.xlsx: its folder does not exist.\n")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_unwritable_folder_keeps_the_old_file(walked: Run, tmp_path: Path,
                                                  lang: str) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "s.xlsx").write_bytes(b"kept")
    folder.chmod(0o500)
    try:
        target = "locked/s.xlsx"
        if os.access(folder, os.W_OK):  # root may write anywhere, but sysfs makes no files
            if not os.path.isdir("/sys/kernel"):
                pytest.skip("no folder this user may not write to")
            target = "/sys/s.xlsx"
        locked = walked("--lang", lang, "summary", CODE, "--format", "xlsx", "-o", target,
                        "--force")
        assert locked.code == 2 and locked.out == ""
        assert locked.err == (f"Không ghi được tệp {target}: không có quyền truy cập.\n"
                              if lang == "vi" else
                              f"Cannot write file {target}: permission denied.\n")
        assert (folder / "s.xlsx").read_bytes() == b"kept"
        assert os.listdir(folder) == ["s.xlsx"]  # no temporary file left behind
    finally:
        folder.chmod(0o700)


def test_json_by_format_is_json_by_flag(walked: Run) -> None:
    assert (ok(walked("status", "--as-of", "25/08/2026", "--format", "json")).json()
            == ok(walked("--json", "status", "--as-of", "25/08/2026")).json())
    assert isinstance(date.fromisoformat(ok(walked("due", "--format", "json", "--all")).json()[0]
                                         ["due"]), date)


def test_json_is_one_switch_with_format(walked: Run, tmp_path: Path) -> None:
    """--json is --format json: the two agree, and --json with csv or xlsx is refused."""
    for form in ("xlsx", "csv"):
        extra = ("-o", "x.xlsx") if form == "xlsx" else ()
        said = walked("--json", "audit", CODE, "--format", form, *extra)
        assert said.code == 2 and said.out == "", said.err
        assert said.err.startswith(f"--json và --format {form} không dùng cùng nhau"), said.err
    assert not (tmp_path / "x.xlsx").exists()
    assert ok(walked("--json", "status", "--format", "table")).json() == \
        ok(walked("status", "--format", "json")).json()
