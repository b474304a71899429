"""`kiemtra plan show`: the plan as it stands, every default applied, and as it stood."""

from __future__ import annotations

from tests.e2e.conftest import CODE, Run, ok


def test_the_plan_as_it_stands(imported: Run) -> None:
    shown = ok(imported("plan", "show", CODE, "--json")).json()
    assert shown["campaign"] == CODE and shown["period"] == {"start": "2026-07-01",
                                                              "end": "2026-09-30"}
    assert shown["rules"]["report_lead"] == {"days": 1, "kind": "working"}
    assert shown["rules"]["conclusion_within"] == {"days": 10, "kind": "working"}
    assert [m["id"] for m in shown["team"]] == ["truong-to", "pho-to", "tv-vp", "tv-kt",
                                                "tv-hcc"]
    assert shown["team"][0] == {"id": "truong-to", "role": "leader", "name": "Nguyễn Văn A",
                                "title": "Phó Chủ tịch Ủy ban nhân dân xã",
                                "email": "truongto@khucthuadu.example"}
    assert shown["secretariat"]["id"] == "thuong-truc"
    assert shown["units"][3]["place"] == "Trụ sở Trung tâm Phục vụ hành chính công xã"
    reminders = {r["kind"]: r for r in shown["reminders"]}
    assert reminders["report"]["offsets"] == [-3, 0, 2, 4, 6]  # the plan's override
    assert reminders["on_site"]["to"] == ["unit", "team"]  # a default
    assert shown["documents"]["committee_signer"]["name"] == "Hà Thị Lan Anh"
    assert shown["imported_by"] == "truong-to"

    text = ok(imported("plan", "show", CODE)).out
    assert "Thời gian kiểm tra: 01/07/2026 – 30/09/2026" in text
    assert "báo cáo trước 1 ngày làm việc" in text and "Nguyễn Văn A" in text
    english = ok(imported("--lang", "en", "plan", "show", CODE)).out
    assert "Period: 2026-07-01 – 2026-09-30" in english
    assert "report 1 working day ahead" in english and "notice 5 calendar days" in english
    for word in ("Tổ trưởng", "Thời gian", "ngày làm việc", "Thư nhắc"):
        assert word not in english


def test_the_plan_as_it_stood_and_refusals(imported: Run) -> None:
    assert ok(imported("plan", "show", CODE, "--at", "2099-01-01", "--json")).json()[
        "campaign"] == CODE
    early = imported("plan", "show", CODE, "--at", "01/01/2020")
    assert early.code == 2 and "chưa được nhập vào thời điểm 01/01/2020 23:59" in early.err
    unknown = imported("plan", "show", "KHONG-CO")
    assert unknown.code == 2 and "KHONG-CO" in unknown.err
    bad = imported("plan", "show", CODE, "--at", "32/13/2026")
    assert bad.code == 2 and bad.out == ""
