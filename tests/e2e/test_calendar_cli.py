"""`kiemtra calendar YEAR [CAMPAIGN]`, the estimate marking of deadlines counted over a year
whose holidays are not announced, and the end of the calendar (31/12/2100), through the
installed script."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.conftest import CODE, Run, ok


def test_calendar_2026_in_vietnamese_and_english(run: Run, tmp_path: Path) -> None:
    vi = ok(run("calendar", "2026")).out
    for words in ("02/09/2026", "Quốc khánh (2/9)", "Tết Nguyên đán (mùng 1)",
                  "Nghỉ bù dịp Tết Dương lịch 2026 (làm bù thứ Bảy 10/01/2026)",
                  "Làm bù cho ngày nghỉ thứ Hai 31/08/2026", "Bộ luật Lao động",
                  "Thông báo nghỉ lễ, Tết (có sẵn trong kiemtra)", "Căn cứ",
                  "Lịch nghỉ năm 2026 theo Thông báo của Bộ Nội vụ"):
        assert words in vi, words
    assert "Ước tính" not in vi and "⚠" not in vi
    en = ok(run("--lang", "en", "calendar", "2026")).out
    for words in ("2026-09-02", "National Day (2 September)", "Labour Code", "Source",
                  "Working day in exchange for Monday 2026-08-31"):
        assert words in en, words
    assert not (tmp_path / "kiemtra.db").exists()  # no campaign: no database touched


def test_calendar_2027_is_marked_as_an_estimate(run: Run) -> None:
    vi = ok(run("calendar", "2027")).out
    assert "Ước tính (chưa công bố)" in vi
    assert "⚠ Lịch nghỉ năm 2027 chưa được công bố" in vi
    en = ok(run("--lang", "en", "calendar", "2027")).out
    assert "Estimate (not announced)" in en and "⚠ The 2027 holidays are not announced" in en
    data = ok(run("--json", "calendar", "2027")).json()
    assert data["year"] == 2027 and data["estimated"] is True and data["announced"] is False
    sources = {d["date"]: d["source"] for d in data["days"]}
    assert sources["2027-02-08"] == "estimate" and sources["2027-09-02"] == "law"
    assert {"date", "weekday", "working", "name", "name_en", "source"} <= set(data["days"][0])


def test_calendar_of_a_campaign_shows_its_own_days(imported: Run, tmp_path: Path) -> None:
    plan = (tmp_path / "ke-hoach.toml").read_text("utf-8")
    plan = plan.replace('code = "KTD-TKT-2026"', 'code = "KTD-LICH-2026"').replace(
        "extra_days_off = []", "extra_days_off = [2026-09-04]")
    (tmp_path / "lich.toml").write_text(plan, "utf-8")
    ok(imported("plan", "import", "lich.toml"))
    out = ok(imported("calendar", "2026", "KTD-LICH-2026")).out
    assert "04/09/2026" in out and "Kế hoạch KTD-LICH-2026" in out
    assert "Ngày nghỉ theo kế hoạch" in out
    assert "04/09/2026" not in ok(imported("calendar", "2026", CODE)).out
    unknown = imported("calendar", "2026", "KHONG-CO")
    assert unknown.code == 2 and "KHONG-CO" in unknown.err


def test_a_year_outside_the_calendar_is_bad_input(run: Run, tmp_path: Path) -> None:
    for year in ("2101", "1999"):
        vi = run("calendar", year)
        assert vi.code == 2 and vi.out == ""
        assert vi.err.startswith(f"Giá trị không hợp lệ cho NĂM: năm “{year}” nằm ngoài "
                                 "khoảng 2000–2100."), vi.err
        en = run("--lang", "en", "calendar", year)
        assert en.code == 2 and f"the year '{year}' is outside 2000–2100" in en.err
    assert run("calendar", "năm nay").code == 2
    assert not (tmp_path / "kiemtra.db").exists()


def test_deadlines_counted_over_2027_are_flagged(imported: Run) -> None:
    ok(imported("notify", CODE, "kt", "--on-site", "11/01/2027", "--date", "21/12/2026",
                 "--override-reason", "Lịch bổ sung"))
    ok(imported("notify", CODE, "vp", "--on-site", "14/12/2026", "--date", "01/12/2026",
                 "--override-reason", "Lịch bổ sung"))
    rows = {r["unit"]: r for r in ok(imported("--json", "status", "--as-of",
                                              "22/12/2026")).json()}
    assert rows["kt"]["calendar_estimated"] is True and rows["kt"]["estimated_years"] == [2027]
    assert rows["vp"]["calendar_estimated"] is False
    due = ok(imported("--json", "due", "--all", "--as-of", "22/12/2026")).json()
    flagged = {(d["unit"], d["kind"]) for d in due if d["calendar_estimated"]}
    assert flagged == {("kt", "report")}  # the on-site date is set, not counted
    warning = ("⚠ Một số hạn tính theo lịch nghỉ năm 2027 chưa được công bố (ước tính); "
               "xem: kiemtra calendar 2027")
    for command in (("status", CODE), ("due", "--all")):
        out = ok(imported(*command, "--as-of", "22/12/2026")).out
        assert out.count(warning) == 1, out
        en = ok(imported("--lang", "en", *command, "--as-of", "22/12/2026")).out
        assert "⚠ Some deadlines are counted on the 2027 holidays, not announced yet " \
               "(estimated); see: kiemtra calendar 2027" in en
    receipt = ok(imported("--json", "report", CODE, "kt", "--date", "05/01/2027")).json()
    assert receipt["calendar_estimated"] is True


def test_no_deadline_is_computed_after_2100(imported: Run, tmp_path: Path) -> None:
    """A visit on 20/12/2100 would make the conclusion due in 2101: refused as bad input
    (exit 2) in both languages, and nothing written."""
    db = tmp_path / "kiemtra.db"

    def events() -> int:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])

    supplement = ("--override-reason", "Lịch bổ sung")
    before = events()
    # the notice is refused already: its visit could never be concluded within the calendar
    vi = imported("notify", CODE, "kt", "--on-site", "20/12/2100", "--date", "06/12/2100",
                  *supplement)
    assert vi.code == 2 and vi.out == ""
    assert vi.err.startswith("Hạn thông báo kết luận tính từ ngày 20/12/2100 rơi vào sau "
                             "ngày 31/12/2100"), vi.err
    en = imported("--lang", "en", "inspect", CODE, "kt", "--date", "20/12/2100", "--surprise",
                  *supplement)
    assert en.code == 2
    assert en.err.startswith("The conclusion due date counted from 2100-12-20 would fall "
                             "after 2100-12-31"), en.err
    late_notice = imported("notify", CODE, "hcc", "--on-site", "30/12/2100", "--date",
                           "28/12/2100", "--override-reason", "Lịch bổ sung")
    assert late_notice.code == 2 and "31/12/2100" in late_notice.err
    typed = imported("notify", CODE, "vp", "--on-site", "02/01/2101")
    assert typed.code == 2 and "2000–2100" in typed.err
    assert events() == before


def test_a_day_off_refusal_names_the_holiday(imported: Run) -> None:
    refused = imported("notify", CODE, "kt", "--on-site", "02/09/2026", "--date", "10/08/2026")
    assert refused.code == 1
    assert "Ngày 02/09/2026 không phải ngày làm việc: Quốc khánh (2/9)" in refused.err, refused.err
    en = imported("--lang", "en", "notify", CODE, "kt", "--on-site", "02/09/2026", "--date",
                  "10/08/2026")
    assert "2026-09-02 is not a working day: National Day (2 September)" in en.err, en.err
