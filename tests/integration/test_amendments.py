"""Plan amendments on a real SQLite store: each kind of amendment, the open deadlines
derived again under changed rules (and only those), the units a plan may and may not
drop, the role matrix, refusals that write nothing, and the views equal to a rebuild."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kiemtra.domain.amendments import (
    NothingToAmend,
    UnitAlreadyStarted,
    UnitCodeWithdrawn,
    UnitRenamed,
)
from kiemtra.domain.corrections import Change
from kiemtra.domain.errors import InvalidPlan, KiemtraError, RoleNotPermitted, UnknownUnit
from kiemtra.domain.ids import inspection_id
from kiemtra.domain.plan import parse_plan_text
from kiemtra.projections.audit.verify import verify_database
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore
from tests.conftest import (
    CODE,
    NEW_UNIT,
    count_rows,
    database_of,
    history,
    plan_text,
    status,
    views_of,
)

D = date
AS_OF = D(2026, 8, 20)
HCC_UNIT = '''
[[units]]
code = "hcc"
name = "Trung tâm Phục vụ hành chính công xã"
head = "Giám đốc Trung tâm"
email = "hcc@khucthuadu.example"
planned_on_site = 2026-08-17
'''
STRICTER = {"report_lead_days = 1 ": "report_lead_days = 3 ",
            "conclusion_within_days = 10": "conclusion_within_days = 15",
            "notice_days = 5 ": "notice_days = 7 "}


def amend(wf: Workflow, text: str, *, day: date = AS_OF, reason: str = "QĐ số 45/QĐ-UBND",
          dry_run: bool = False) -> dict:  # type: ignore[type-arg]
    return wf.amend_plan(parse_plan_text(text, "plan.toml"), reason=reason, day=day,
                         dry_run=dry_run)


def record(store: EventStore, unit: str) -> dict:  # type: ignore[type-arg]
    return dict(store.load(inspection_id(CODE, unit)).record)


def refused(store: EventStore, wf: Workflow, error: type[KiemtraError], text: str) -> KiemtraError:
    db = database_of(store).sqlite_path
    before = count_rows(db)
    with pytest.raises(error) as raised:
        amend(wf, text)
    assert count_rows(db) == before
    return raised.value


def walked(wf: Workflow) -> None:
    """kt notified (its report open); hcc notified and reported (its report taken);
    vhxh visited by surprise (its conclusion open); vp only planned (its notice open)."""
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    wf.notify(CODE, "hcc", on_site=D(2026, 8, 17), day=D(2026, 8, 5))
    wf.report(CODE, "hcc", day=D(2026, 8, 13))
    wf.inspect(CODE, "vhxh", day=D(2026, 8, 14), surprise=True)


def test_new_rules_derive_the_open_deadlines_again_and_only_those(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    walked(wf)
    assert record(store, "kt")["report_due"] == D(2026, 8, 11)  # 1 working day before 12/08
    assert record(store, "hcc")["report_due"] == D(2026, 8, 14)
    # 10 working days after Friday 14/08, Saturday 22/08 being a working day (the swap)
    assert record(store, "vhxh")["conclusion_due"] == D(2026, 8, 27)
    assert record(store, "vp")["notice_due"] == D(2026, 8, 5)  # 5 days before 10/08
    done = amend(wf, plan_text(**STRICTER))
    # kt's report is still to come: 3 working days before Wednesday 12/08 is Friday 07/08
    assert record(store, "kt")["report_due"] == D(2026, 8, 7)
    # hcc's report is in: its deadline stays as it was derived, and so does its judgement
    assert record(store, "hcc")["report_due"] == D(2026, 8, 14)
    assert record(store, "hcc")["report_late"] is False
    # vhxh's conclusion is to come: 15 working days after 14/08, over Quốc khánh
    # (31/08 off in exchange for 22/08, 01 and 02/09 off) is 08/09
    assert record(store, "vhxh")["conclusion_due"] == D(2026, 9, 8)
    # vp has had no notice: 7 days before Monday 10/08 is Monday 03/08
    assert record(store, "vp")["notice_due"] == D(2026, 8, 3)
    moved = {(d["unit"], d["field"]): (d["old"], d["new"]) for d in done["deadlines"]}
    assert moved == {("kt", "report_due"): (D(2026, 8, 11), D(2026, 8, 7)),
                     ("vhxh", "conclusion_due"): (D(2026, 8, 27), D(2026, 9, 8)),
                     ("vp", "notice_due"): (D(2026, 8, 5), D(2026, 8, 3))}
    rules = [c for c in done["changes"] if c["section"] == "rules"]
    assert [c["item"] for c in rules] == ["notice", "report_lead", "conclusion_within"]
    assert done["version"] == 2
    # the steps not yet taken follow the new rules: a notice for vp now needs 7 days
    with pytest.raises(KiemtraError):
        wf.notify(CODE, "vp", on_site=D(2026, 8, 26), day=D(2026, 8, 20))
    wf.notify(CODE, "vp", on_site=D(2026, 8, 27), day=D(2026, 8, 20))
    assert record(store, "vp")["report_due"] == D(2026, 8, 24)  # 3 working days before


def test_a_new_unit_is_planned_and_a_new_planned_date_moves_the_notice_due(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    text = plan_text(**{"planned_on_site = 2026-08-10": "planned_on_site = 2026-08-24",
                        "planned_on_site = 2026-08-12": "planned_on_site = 2026-08-13"})
    done = amend(wf, text + NEW_UNIT)
    assert {(c["section"], c["item"], c["change"]) for c in done["changes"]} == {
        ("units", "vp", "changed"), ("units", "kt", "changed"), ("units", "tp", "added")}
    assert record(store, "vp")["planned_on_site"] == D(2026, 8, 24)
    assert record(store, "vp")["notice_due"] == D(2026, 8, 19)
    # kt was notified for 12/08: the notice fixed its date, the plan's no longer counts
    assert record(store, "kt")["on_site"] == D(2026, 8, 12)
    assert record(store, "kt")["planned_on_site"] == D(2026, 8, 12)
    assert [d["unit"] for d in done["deadlines"]] == ["vp", "vp"]
    rows = {r["unit"]: r for r in status(store, AS_OF, CODE)}
    assert list(rows) == ["vp", "kt", "vhxh", "hcc", "tp"]
    assert rows["tp"]["unit_name"] == "Phòng Tư pháp"
    assert rows["tp"]["next_deadline"] == "2026-09-03"  # the notice, 5 days before 08/09
    wf.notify(CODE, "tp", on_site=D(2026, 9, 8), day=D(2026, 9, 1))  # the new unit's steps


def test_a_unit_leaves_the_plan_only_while_nothing_is_recorded_for_it(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    without_hcc = plan_text().replace(HCC_UNIT, "")
    assert "hcc" not in [u.code for u in parse_plan_text(without_hcc).units]
    done = amend(wf, without_hcc)
    assert [c["item"] for c in done["changes"] if c["change"] == "removed"] == ["hcc"]
    assert [r["unit"] for r in status(store, AS_OF, CODE)] == ["vp", "kt", "vhxh"]
    with pytest.raises(UnknownUnit):
        wf.notify(CODE, "hcc", on_site=D(2026, 8, 17), day=D(2026, 8, 5))
    trail = history(store, CODE, "hcc")  # its history stays readable
    assert [r["event"] for r in trail] == ["Planned", "Withdrawn"]
    # kt has a notice: it cannot leave (it is cancelled instead), and nothing is written
    without_kt = without_hcc.replace('code = "kt"', 'code = "kt2"')
    error = refused(store, wf, UnitAlreadyStarted, without_kt)
    assert "kt" in error.message("vi") and "Thông báo lịch kiểm tra" in error.message("vi")
    # a code that left the plan is not taken again
    refused(store, wf, UnitCodeWithdrawn, without_hcc + HCC_UNIT)
    views = views_of(store)
    incremental = views.status(AS_OF), views.due(AS_OF, None), views.campaigns(AS_OF)
    views.rebuild()
    assert (views.status(AS_OF), views.due(AS_OF, None), views.campaigns(AS_OF)) == incremental


def test_refusals_write_nothing(store: EventStore, wf: Workflow, campaign: str) -> None:
    refused(store, wf, NothingToAmend, plan_text())
    refused(store, wf, UnitRenamed, plan_text(**{"Phòng Kinh tế": "Phòng Kinh tế - Hạ tầng"}))
    with pytest.raises(InvalidPlan):  # exactly one leader, as at import
        parse_plan_text(plan_text(**{'role = "deputy"': 'role = "leader"'}))
    two_codes = plan_text(**{'code = "KTD-TKT-2026"': 'code = "KTD-TKT-2027"'})
    with pytest.raises(KiemtraError) as unknown:
        amend(wf, two_codes)
    assert unknown.value.rule == "campaign"


def test_who_may_amend(store: EventStore, wf: Workflow, campaign: str) -> None:
    text = plan_text() + NEW_UNIT
    for actor in ("pho-to", "tv-kt", "kt"):
        with pytest.raises(RoleNotPermitted):
            amend(Workflow(wf.store, actor), text)
    assert amend(Workflow(wf.store, "thuong-truc"), text)["version"] == 2
    # the members of the plan in force decide: a leader who joins in the amendment can
    # amend the next version
    new_leader = plan_text(**{'id = "truong-to"': 'id = "truong-to-moi"'}) + NEW_UNIT
    amend(wf, new_leader)
    with pytest.raises(KiemtraError):
        amend(wf, new_leader + NEW_UNIT.replace('"tp"', '"tp2"'))  # the old id is gone
    assert amend(Workflow(wf.store, "truong-to-moi"),
                 new_leader + NEW_UNIT.replace('"tp"', '"tp2"'))["version"] == 4


def test_a_dry_run_says_what_would_change_and_writes_nothing(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    walked(wf)
    db = database_of(store).sqlite_path
    before = count_rows(db)
    done = amend(wf, plan_text(**STRICTER), dry_run=True)
    assert done["dry_run"] and len(done["deadlines"]) == 3
    assert count_rows(db) == before
    assert record(store, "kt")["report_due"] == D(2026, 8, 11)
    assert amend(wf, plan_text(**STRICTER))["deadlines"] == done["deadlines"]


def test_the_trail_status_at_and_a_rebuild_cover_amendments(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    walked(wf)
    before = datetime.now(UTC)
    renamed = plan_text(**STRICTER, **{"Phạm Thị D": "Phạm Thị Đào"})
    amend(wf, renamed.replace('id = "tv-hcc"', 'id = "tv-hcc2"'))
    views = views_of(store)
    assert next(r for r in views.status_at(before, AS_OF, CODE)
                if r["unit"] == "kt")["report_due"] == "2026-08-11"
    assert next(r for r in views.status(AS_OF, CODE) if r["unit"] == "kt")["report_due"] == \
        "2026-08-07"
    rows = history(store, CODE)
    amended = next(r for r in rows if r["event"] == "PlanAmended")
    assert amended["details"]["reason"] == "QĐ số 45/QĐ-UBND" and "plan" not in amended["details"]
    assert {(c["section"], c["item"], c["change"]) for c in amended["details"]["changes"]} >= {
        ("team", "tv-hcc", "removed"), ("team", "tv-hcc2", "added"), ("team", "tv-kt", "changed")}
    replanned = [r for r in rows if r["event"] == "Replanned"]
    assert sorted(r["unit"] for r in replanned) == ["kt", "vhxh", "vp"]
    assert all(r["actor_name"] == "Nguyễn Văn A" for r in replanned)
    incremental = views.status(AS_OF), views.due(AS_OF, None), views.campaigns(AS_OF)
    views.rebuild()
    assert (views.status(AS_OF), views.due(AS_OF, None), views.campaigns(AS_OF)) == incremental
    assert verify_database(database_of(store).sqlite_path).events == store.event_count()


def test_a_report_sent_before_a_reschedule_keeps_its_deadline(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    """Found by the state machine: the report is in, then the visit moves; the report's
    deadline is settled, so new rules do not derive it again."""
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    wf.report(CODE, "kt", day=D(2026, 8, 5))
    wf.reschedule(CODE, "kt", on_site=D(2026, 8, 19), reason="Trùng lịch họp", day=D(2026, 8, 6))
    due = record(store, "kt")["report_due"]
    done = amend(wf, plan_text(**STRICTER))
    assert record(store, "kt")["report_due"] == due
    assert "kt" not in {d["unit"] for d in done["deadlines"]}


def test_a_correction_after_an_amendment_keeps_the_steps_before_it(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    """A notice given under the old 5-day rule is not judged again by a later 7-day rule
    when a later step is corrected; a taken report keeps its deadline."""
    wf.notify(CODE, "hcc", on_site=D(2026, 8, 17), day=D(2026, 8, 11))  # 6 days ahead
    wf.report(CODE, "hcc", day=D(2026, 8, 13))
    amend(wf, plan_text(**STRICTER))
    wf.correct(CODE, "hcc", step="report", reason="Văn thư nhận ngày 12/08", day=AS_OF,
               change=Change(day=D(2026, 8, 12)))
    assert record(store, "hcc")["report_due"] == D(2026, 8, 14)  # as derived under 1 day
    assert record(store, "hcc")["report_submitted_on"] == D(2026, 8, 12)


def test_an_undo_under_an_amended_plan_reopens_deadlines_under_it(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    wf.notify(CODE, "vp", on_site=D(2026, 8, 10), day=D(2026, 8, 3))
    amend(wf, plan_text(**STRICTER, **{"planned_on_site = 2026-08-10":
                                       "planned_on_site = 2026-08-24"}))
    wf.undo(CODE, "vp", reason="Ghi nhầm đơn vị", day=AS_OF)
    assert record(store, "vp")["planned_on_site"] == D(2026, 8, 24)
    assert record(store, "vp")["notice_due"] == D(2026, 8, 17)  # 7 days before 24/08
    assert [r["event"] for r in history(store, CODE, "vp")][-2:] == ["StepRetracted",
                                                                     "Replanned"]
    views = views_of(store)
    incremental = views.status(AS_OF)
    views.rebuild()
    assert views.status(AS_OF) == incremental


def test_status_at_and_the_campaigns_order_across_an_amendment(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    second = plan_text(**{'code = "KTD-TKT-2026"': 'code = "KTD-TKT-2026B"'})
    wf.import_plan(second, "b.toml", D(2026, 6, 16))
    before = datetime.now(UTC)
    amend(wf, plan_text().replace(HCC_UNIT, "") + NEW_UNIT)
    views = views_of(store)
    assert [c["code"] for c in views.campaigns(AS_OF)] == [CODE, "KTD-TKT-2026B"]
    then = [r["unit"] for r in views.status_at(before, AS_OF, CODE)]
    assert then == ["vp", "kt", "vhxh", "hcc"]
    assert next(r for r in views.status_at(before, AS_OF, CODE)
                if r["unit"] == "hcc")["planned_on_site"] == "2026-08-17"
    assert [r["unit"] for r in views.status(AS_OF, CODE)] == ["vp", "kt", "vhxh", "tp"]
    views.rebuild()
    assert [c["code"] for c in views.campaigns(AS_OF)] == [CODE, "KTD-TKT-2026B"]
    assert [r["unit"] for r in views.status(AS_OF, CODE)] == ["vp", "kt", "vhxh", "tp"]
