"""Corrections on a real SQLite store: each kind of correction and the deadlines derived
again from it (worked examples around the 2026 National Day holiday: 31 August is a day
off in exchange for 22 August, 1 and 2 September are Quốc khánh), the rules applied to
the corrected facts, refusals that write nothing, and the views equal to a rebuild."""

from __future__ import annotations

from datetime import date

import pytest

from kiemtra.domain.corrections import Change, LaterStepBefore, NotCorrectable, NothingToCorrect
from kiemtra.domain.errors import (
    DateBeforePreviousStep,
    KiemtraError,
    NoticeTooLate,
    RemediationDeadlineTooEarly,
    RoleNotPermitted,
    UnknownFinding,
)
from kiemtra.domain.ids import inspection_id
from kiemtra.projections.audit.verify import verify_database
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import EventStore
from tests.conftest import CODE, count_rows, database_of, history, status, views_of

D = date
AS_OF = D(2026, 9, 30)


def record(store: EventStore, unit: str) -> dict:  # type: ignore[type-arg]
    return dict(store.load(inspection_id(CODE, unit)).record)


def walked(wf: Workflow) -> None:
    """kt notified, reported, visited, minuted, concluded with two findings; vp a
    surprise visit with its minutes."""
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    wf.report(CODE, "kt", day=D(2026, 8, 12))  # a day late: due 11/08
    wf.inspect(CODE, "kt", day=D(2026, 8, 12))
    wf.minutes(CODE, "kt", day=D(2026, 8, 12))
    wf.conclude(CODE, "kt", day=D(2026, 8, 21), findings=["Chưa niêm yết TTHC", "Sổ chưa cập nhật"])
    wf.inspect(CODE, "vp", day=D(2026, 8, 25), surprise=True)
    wf.minutes(CODE, "vp", day=D(2026, 8, 25))


def refused(store: EventStore, wf: Workflow, error: type[KiemtraError], **kwargs) -> None:  # type: ignore[no-untyped-def]
    db = database_of(store).sqlite_path
    before = count_rows(db)
    with pytest.raises(error):
        wf.correct(CODE, **kwargs)
    assert count_rows(db) == before


def test_a_corrected_visit_moves_the_conclusion_due_over_the_holiday(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    walked(wf)
    assert record(store, "vp")["conclusion_due"] == D(2026, 9, 11)  # 10 working days from 25/08
    done = wf.correct(CODE, "vp", step="inspect", reason="Ghi nhầm ngày", day=AS_OF,
                      change=Change(day=D(2026, 8, 24)))
    assert record(store, "vp")["inspected_on"] == D(2026, 8, 24)
    assert record(store, "vp")["conclusion_due"] == D(2026, 9, 10)
    assert {"field": "conclusion_due", "old": D(2026, 9, 11), "new": D(2026, 9, 10),
            "derived": True} in done["changes"]
    # the minutes of 25/08 still follow the visit; a visit after them does not, and the
    # refusal names the later step and the latest date allowed
    refused(store, wf, LaterStepBefore, unit="vp", step="inspect", reason="x", day=AS_OF,
            change=Change(day=D(2026, 8, 26)))
    with pytest.raises(LaterStepBefore) as said:
        wf.correct(CODE, "vp", step="inspect", reason="x", day=AS_OF,
                   change=Change(day=D(2026, 8, 26)))
    assert "Ngày muộn nhất được phép là 25/08/2026" in said.value.message("vi")


def test_a_scheduled_visit_corrected_moves_its_schedule_and_the_report_due(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    wf.notify(CODE, "hcc", on_site=D(2026, 8, 17), day=D(2026, 8, 5))
    wf.report(CODE, "hcc", day=D(2026, 8, 12))
    wf.inspect(CODE, "hcc", day=D(2026, 8, 17))
    assert record(store, "hcc")["report_due"] == D(2026, 8, 14)
    wf.correct(CODE, "hcc", step="inspect", reason="Kiểm tra ngày 13/08", day=AS_OF,
               change=Change(day=D(2026, 8, 13)))
    after = record(store, "hcc")
    assert (after["on_site"], after["report_due"], after["report_late"]) == (
        D(2026, 8, 13), D(2026, 8, 12), False)
    # 10/08 would leave the notice of 05/08 under its 5 days: the rule refuses
    refused(store, wf, NoticeTooLate, unit="hcc", step="inspect", reason="x", day=AS_OF,
            change=Change(day=D(2026, 8, 7)))


def test_a_corrected_report_date_is_judged_again(store: EventStore, wf: Workflow,
                                                 campaign: str) -> None:
    walked(wf)
    assert record(store, "kt")["report_late"] is True
    wf.correct(CODE, "kt", step="report", reason="Nhận ngày 11/08", day=AS_OF,
               change=Change(day=D(2026, 8, 11)))
    assert record(store, "kt")["report_late"] is False
    assert [r for r in status(store, AS_OF, CODE) if r["unit"] == "kt"][0]["report_late"] is False


def test_a_corrected_conclusion_date_moves_the_default_deadlines(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    walked(wf)
    findings = record(store, "kt")["findings"]
    assert [f["remediate_by"] for f in findings] == [D(2026, 9, 21), D(2026, 9, 21)]
    wf.correct(CODE, "kt", step="conclude", reason="Ký ngày 10/09", day=AS_OF,
               change=Change(day=D(2026, 9, 10)))
    after = record(store, "kt")
    # 30 calendar days from 10/09 is Saturday 10/10: the next working day
    assert [f["remediate_by"] for f in after["findings"]] == [D(2026, 10, 12), D(2026, 10, 12)]
    assert after["conclusion_late"] is True  # due 26/08 (10 working days from 12/08)
    # one finding's own deadline, then its text
    wf.correct(CODE, "kt", step="conclude", reason="Gia hạn", day=AS_OF,
               change=Change(finding=2, remediate_by=D(2026, 10, 30)))
    wf.correct(CODE, "kt", step="conclude", reason="Sai chính tả", day=AS_OF,
               change=Change(finding=1, text="Chưa niêm yết đầy đủ TTHC"))
    after = record(store, "kt")
    assert [(f["text"], f["remediate_by"]) for f in after["findings"]] == [
        ("Chưa niêm yết đầy đủ TTHC", D(2026, 10, 12)), ("Sổ chưa cập nhật", D(2026, 10, 30))]
    # a later conclusion date keeps an explicit deadline where it was
    wf.correct(CODE, "kt", step="conclude", reason="Ký ngày 11/09", day=AS_OF,
               change=Change(day=D(2026, 9, 11)))
    assert [f["remediate_by"] for f in record(store, "kt")["findings"]] == [
        D(2026, 10, 12), D(2026, 10, 30)]


def test_refusals(store: EventStore, wf: Workflow, campaign: str) -> None:
    walked(wf)
    refused(store, wf, NothingToCorrect, unit="kt", step="minutes", reason="x", day=AS_OF,
            change=Change(day=D(2026, 8, 12)))
    refused(store, wf, DateBeforePreviousStep, unit="kt", step="minutes", reason="x",
            day=AS_OF, change=Change(day=D(2026, 8, 11)))
    refused(store, wf, RemediationDeadlineTooEarly, unit="kt", step="conclude", reason="x",
            day=AS_OF, change=Change(finding=1, remediate_by=D(2026, 8, 20)))
    refused(store, wf, UnknownFinding, unit="kt", step="conclude", reason="x", day=AS_OF,
            change=Change(finding=9, text="Không có"))
    refused(store, wf, NotCorrectable, unit="kt", step="minutes", reason="x", day=AS_OF,
            change=Change(finding=1, text="x"))
    refused(store, wf, KiemtraError, unit="hcc", step="report", reason="x", day=AS_OF,
            change=Change(day=D(2026, 8, 1)))  # hcc has no report to correct
    member = Workflow(store, "tv-kt")
    db = database_of(store).sqlite_path
    before = count_rows(db)
    with pytest.raises(RoleNotPermitted):
        member.correct(CODE, "kt", step="conclude", reason="x", day=AS_OF,
                       change=Change(day=D(2026, 8, 22)))
    Workflow(store, "tv-kt").correct(CODE, "kt", step="minutes", reason="Ký ngày 13/08",
                                     day=AS_OF, change=Change(day=D(2026, 8, 13)))
    assert count_rows(db) == before + 1


def test_the_trail_keeps_both_and_the_views_equal_a_rebuild(
        store: EventStore, wf: Workflow, campaign: str) -> None:
    walked(wf)
    wf.correct(CODE, "kt", step="conclude", reason="Sai chính tả", day=AS_OF,
               change=Change(finding=1, text="Chưa niêm yết đầy đủ TTHC"))
    rows = history(store, CODE, "kt")
    concluded = next(r for r in rows if r["event"] == "Concluded")
    correction = rows[-1]
    assert correction["event"] == "Corrected" and concluded["corrected_by"] == [correction["seq"]]
    assert concluded["details"]["findings"][0]["text"] == "Chưa niêm yết TTHC"  # as first recorded
    assert correction["details"]["changes"] == [{"field": "finding 1 text",
                                                 "old": "Chưa niêm yết TTHC",
                                                 "new": "Chưa niêm yết đầy đủ TTHC"}]
    views = views_of(store)
    incremental = views.status(AS_OF), views.due(AS_OF, None)
    views.rebuild()
    assert (views.status(AS_OF), views.due(AS_OF, None)) == incremental
    assert verify_database(database_of(store).sqlite_path).events == store.event_count()


def test_a_remediation_report_corrected_is_judged_again(store: EventStore, wf: Workflow,
                                                        campaign: str) -> None:
    walked(wf)
    wf.remediate(CODE, "kt", findings=[1], day=D(2026, 9, 25))  # after its 21/09 deadline
    assert record(store, "kt")["findings"][0]["late"] is True
    wf.correct(CODE, "kt", step="remediate", reason="Nhận ngày 18/09", day=AS_OF,
               change=Change(day=D(2026, 9, 18)))
    assert record(store, "kt")["findings"][0]["late"] is False
    assert record(store, "kt")["findings"][0]["remediated_on"] == D(2026, 9, 18)


def test_who_was_absent_is_corrected_by_the_leader_only(store: EventStore, wf: Workflow,
                                                       campaign: str) -> None:
    from kiemtra.domain.corrections import AbsenceCorrectedByLeader

    walked(wf)
    deputy = Workflow(wf.store, "pho-to")
    refused(store, deputy, AbsenceCorrectedByLeader, unit="kt", step="inspect", reason="x",
            day=AS_OF, change=Change(absent=("tv-kt",)))
    with pytest.raises(AbsenceCorrectedByLeader) as said:
        deputy.correct(CODE, "kt", step="inspect", reason="x", day=AS_OF,
                       change=Change(absent=("tv-kt",)))
    assert "Chỉ Tổ trưởng “truong-to”" in said.value.message("vi")
    wf.correct(CODE, "kt", step="inspect", reason="Ghi thiếu", day=AS_OF,
               change=Change(absent=("tv-kt",)))
    assert record(store, "kt")["absent"] == ["tv-kt"]
