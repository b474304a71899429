"""Plan validation: every mistake a leader can make is reported by field."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiemtra.domain.errors import InvalidPlan
from kiemtra.domain.plan import Role, parse_plan, parse_plan_text, plan_from_record
from kiemtra.domain.rules import DayKind, Period
from kiemtra.workflow.demo import template_text

EXAMPLE = Path(__file__).parents[3] / "shared" / "examples" / "plan-khuc-thua-du-2026.toml"


def base() -> dict[str, Any]:
    return tomllib.loads(template_text())


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidPlan) as refused:
        parse_plan(data, "plan.toml")
    assert refused.value.exit_code == 2
    return {p.field: p.en for p in refused.value.problems}


def test_the_shipped_template_is_the_example_plan() -> None:
    plan = parse_plan_text(template_text())
    assert plan.code == "KTD-TKT-2026"
    assert [u.code for u in plan.units] == ["vp", "kt", "vhxh", "hcc"]
    assert plan.leader.id == "truong-to"
    assert plan.rules.notice == Period(5, DayKind.CALENDAR)
    assert plan.rules.report_lead == Period(1, DayKind.WORKING)
    assert plan.rules.conclusion_within == Period(10, DayKind.WORKING)
    assert plan.units[0].planned_on_site == date(2026, 8, 10)
    assert plan.secretariat.name == "Phòng Văn hóa - Xã hội"


@pytest.mark.skipif(not EXAMPLE.exists(), reason="shared/ examples not beside the checkout")
def test_the_real_example_file_imports() -> None:
    assert parse_plan_text(EXAMPLE.read_text("utf-8")).code == "KTD-TKT-2026"


def test_a_stored_plan_rebuilds_equal() -> None:
    plan = parse_plan_text(template_text())
    assert plan_from_record(plan.source) == plan


def test_rules_left_out_take_the_defaults() -> None:
    data = base()
    del data["rules"]
    plan = parse_plan(data)
    assert plan.rules.report_lead == Period(5, DayKind.WORKING)
    assert plan.rules.conclusion_within == Period(15, DayKind.WORKING)


def test_missing_units_and_team() -> None:
    data = base()
    del data["units"]
    data["team"] = []
    found = problems(data)
    assert "units" in found and "team" in found


def test_duplicate_unit_codes_and_member_ids() -> None:
    data = base()
    data["units"][1]["code"] = "vp"
    data["team"][2]["id"] = "pho-to"
    data["secretariat"]["id"] = "hcc"
    found = problems(data)
    assert "duplicates unit 1 (vp), code" in found["units[1].code"]
    assert "duplicates team member 2 (pho-to), id" in found["team[2].id"]
    assert "units[3].code" in found and "duplicates secretariat.id" in found["units[3].code"]


def test_plan_problems_are_one_per_line_and_name_the_item() -> None:
    """Positions from 1 and the entry's code, as a person finds it in the file."""
    data = base()
    data["units"][1]["email"] = "sai@"
    data["team"][0]["role"] = "chief"
    with pytest.raises(InvalidPlan) as refused:
        parse_plan(data, "ke-hoach.toml")
    lines = refused.value.message("vi").splitlines()
    assert lines[0] == "Tệp kế hoạch ke-hoach.toml không hợp lệ (3 lỗi):"
    code = data["units"][1]["code"]
    assert any(line.startswith(f"  - đơn vị thứ 2 ({code}), email: địa chỉ email “sai@”")
               for line in lines), lines
    english = refused.value.message("en").splitlines()
    assert any(line.startswith(f"  - unit 2 ({code}), email: email address 'sai@'")
               for line in english), english
    assert len(lines) == len(english) == 4


@pytest.mark.parametrize("leaders", [0, 2])
def test_team_needs_exactly_one_leader(leaders: int) -> None:
    data = base()
    for member in data["team"]:
        member["role"] = "member"
    for member in data["team"][:leaders]:
        member["role"] = "leader"
    assert f"found {leaders}" in problems(data)["team"]


def test_unknown_role() -> None:
    data = base()
    data["team"][1]["role"] = "boss"
    assert "leader, deputy or member" in problems(data)["team[1].role"]


@pytest.mark.parametrize("days", [0, -3, 366, 2.5, "5", True])
def test_day_counts_must_be_positive_whole_numbers(days: Any) -> None:
    data = base()
    data["rules"]["notice_days"] = days
    assert "rules.notice_days" in problems(data)


def test_unknown_day_kind() -> None:
    data = base()
    data["rules"]["report_lead_day_kind"] = "business"
    assert "calendar" in problems(data)["rules.report_lead_day_kind"]


@pytest.mark.parametrize("email", ["truongto", "a@b", "a b@xa.vn", "a@@xa.vn", "a@xa.test", ""])
def test_malformed_emails(email: str) -> None:
    data = base()
    data["team"][0]["email"] = email
    assert "team[0].email" in problems(data)


def test_dates_outside_sensible_ranges() -> None:
    data = base()
    data["issued_on"] = date(1999, 12, 31)
    data["units"][0]["planned_on_site"] = date(2026, 12, 1)
    data["period"] = {"start": date(2026, 9, 30), "end": date(2026, 7, 1)}
    found = problems(data)
    assert "2000–2100" in found["issued_on"]
    assert "outside the period" in found["units[0].planned_on_site"]
    assert "after end" in found["period"]


def test_dates_must_be_dates_not_strings_or_datetimes() -> None:
    data = tomllib.loads(template_text().replace("issued_on = 2026-06-15",
                                                 'issued_on = "15/06/2026"'))
    data["data_from"] = tomllib.loads("d = 2026-01-01T08:00:00")["d"]
    found = problems(data)
    assert "TOML date" in found["issued_on"] and "TOML date" in found["data_from"]


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b", "a\u2028b", "a\u2029b", "a\x1bb"])
def test_control_characters_in_any_text(bad: str) -> None:
    data = base()
    data["units"][2]["name"] = bad
    data["contents"][0] = bad
    found = problems(data)
    assert "control characters" in found["units[2].name"]
    assert "control characters" in found["contents[0]"]


def test_unknown_fields_are_reported_as_misspelt() -> None:
    data = base()
    data["rules"]["notice_dayz"] = 5
    data["units"][0]["adress"] = "x"
    found = problems(data)
    assert "rules.notice_dayz" in found and "units[0].adress" in found


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(InvalidPlan) as refused:
        parse_plan_text('code = "X"\ntitle = \n', "bad.toml")
    assert "line 2" in refused.value.message("en")
    assert "bad.toml" in refused.value.message("vi")


def test_every_problem_is_reported_at_once() -> None:
    data = base()
    data["code"] = "has space"
    data["team"][0]["email"] = "nope"
    data["rules"]["notice_days"] = 0
    assert len(problems(data)) == 3


def test_roles_parse() -> None:
    plan = parse_plan(base())
    assert [m.role for m in plan.team][:3] == [Role.LEADER, Role.DEPUTY, Role.MEMBER]


def test_the_documents_table_takes_defaults_from_the_plan() -> None:
    data = base()
    del data["documents"]
    plan = parse_plan(data)
    paper = plan.paperwork
    assert (paper.team_name, paper.team_symbol, paper.body_symbol) == ("Tổ kiểm tra", "TKT",
                                                                       "UBND")
    assert paper.series == {"schedule": "TB", "minutes": "BB", "conclusion": "TB",
                            "results": "BC"}
    assert plan.parent_body == plan.authority == "Ủy ban nhân dân xã Khúc Thừa Dụ"
    assert plan.place_name == "Khúc Thừa Dụ"
    del data["place"]
    assert parse_plan(data).place_name == "Khúc Thừa Dụ"  # from the authority
    assert plan.plan_reference == "Kế hoạch số …/KH-UBND ngày 15/06/2026"  # no number given
    data["number"] = "12/KH-UBND"
    assert parse_plan(data).plan_reference == "Kế hoạch số 12/KH-UBND ngày 15/06/2026"


def test_the_documents_table_is_validated_by_field() -> None:
    data = base()
    data["documents"].update(team_symbol="tkt", visit_time="8h", secretary="khong-co",
                             series={"minutes": "B B", "memo": "X"}, signer="x",
                             recipients={"results": "Sở Nội vụ"})
    found = problems(data)
    assert set(found) >= {"documents.team_symbol", "documents.visit_time",
                          "documents.secretary", "documents.series.minutes",
                          "documents.series.memo", "documents.signer",
                          "documents.recipients.results"}
    assert "HH:MM" in found["documents.visit_time"]
    assert "tv-kt" in found["documents.secretary"]  # names the members it may be
