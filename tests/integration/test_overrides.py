"""The leader's override of a date rule: refused without it, accepted with it only from
the leader, kept in the event and shown in the trail; an override nothing needs is
refused. Every refusal writes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kiemtra.domain.corrections import Change
from kiemtra.domain.errors import (
    KiemtraError,
    NoDateLeftInPeriod,
    NoticeTooLate,
    OverrideByLeaderOnly,
    OverrideNotNeeded,
    StepBeforePlan,
    VisitOutsidePeriod,
)
from kiemtra.projections.audit.describe import describe
from kiemtra.workflow import Workflow
from kiemtra.workflow.store import EventStore
from tests.conftest import CODE, count_rows, history

TOO_SOON = {"on_site": date(2026, 7, 13), "day": date(2026, 7, 10)}  # 3 days' notice


def refused(db_path: Path, error: type[KiemtraError], run: object) -> KiemtraError:
    before = count_rows(db_path)
    with pytest.raises(error) as caught:
        run()  # type: ignore[operator]
    assert count_rows(db_path) == before
    return caught.value


@pytest.mark.parametrize(("dates", "error", "rules"), [
    ({"on_site": date(2026, 7, 6), "day": date(2026, 6, 10)}, StepBeforePlan, ["before_plan"]),
    ({"on_site": date(2026, 10, 6), "day": date(2026, 7, 10)}, VisitOutsidePeriod,
     ["outside_period"]),
    (TOO_SOON, NoticeTooLate, ["notice_period", "report_window"]),  # both rules, both kept
])
def test_a_date_outside_the_rules_needs_the_leaders_reason(
        store: EventStore, campaign: str, db_path: Path, dates: dict[str, date],
        error: type[KiemtraError], rules: list[str]) -> None:
    deputy, leader = Workflow(store, "pho-to"), Workflow(store, "truong-to")
    refused(db_path, error, lambda: deputy.notify(CODE, "vp", **dates))
    said = refused(db_path, OverrideByLeaderOnly,
                   lambda: deputy.notify(CODE, "vp", **dates, override="Sáp nhập"))
    assert "truong-to" in said.message("vi")
    row = leader.notify(CODE, "vp", **dates, override="  Theo chỉ đạo của UBND tỉnh ")
    assert row["override"] == {"reason": "Theo chỉ đạo của UBND tỉnh", "rules": rules}
    notice = history(store, CODE, "vp")[-1]
    assert notice["details"]["override"]["rules"] == rules
    assert "Tổ trưởng cho phép ngoài quy định" in describe(notice, "vi")
    assert "the leader accepted it outside the rules" in describe(notice, "en")


def test_an_override_nothing_needs_is_refused(store: EventStore, campaign: str,
                                               db_path: Path) -> None:
    leader = Workflow(store, "truong-to")
    refused(db_path, OverrideNotNeeded, lambda: leader.notify(
        CODE, "vp", on_site=date(2026, 7, 20), day=date(2026, 7, 10), override="x"))
    row = leader.notify(CODE, "vp", on_site=date(2026, 7, 20), day=date(2026, 7, 10))
    assert "override" not in row
    assert not history(store, CODE, "vp")[-1]["details"].get("override")


def test_visits_and_cancellations_keep_to_the_plan_too(wf: Workflow, store: EventStore,
                                                       campaign: str, db_path: Path) -> None:
    refused(db_path, VisitOutsidePeriod, lambda: wf.inspect(
        CODE, "kt", day=date(2026, 10, 5), surprise=True))
    refused(db_path, StepBeforePlan, lambda: wf.cancel(
        CODE, "hcc", reason="Sáp nhập", day=date(2026, 6, 1)))
    wf.inspect(CODE, "kt", day=date(2026, 10, 5), surprise=True, override="Đoàn tỉnh yêu cầu")
    wf.cancel(CODE, "hcc", reason="Sáp nhập", day=date(2026, 6, 1), override="Ghi bổ sung")
    rules = [r["details"]["override"]["rules"] for r in history(store, CODE)
             if r["event"] in ("Inspected", "Cancelled")]
    assert rules == [["outside_period"], ["before_plan"]]


def test_a_reschedule_outside_the_period_needs_the_reason(wf: Workflow, store: EventStore,
                                                          campaign: str, db_path: Path) -> None:
    wf.notify(CODE, "vp", on_site=date(2026, 9, 14), day=date(2026, 9, 1))
    refused(db_path, VisitOutsidePeriod, lambda: wf.reschedule(
        CODE, "vp", on_site=date(2026, 10, 5), reason="Trùng lịch", day=date(2026, 9, 2)))
    row = wf.reschedule(CODE, "vp", on_site=date(2026, 10, 5), reason="Trùng lịch",
                        day=date(2026, 9, 2), override="UBND xã đồng ý lùi lịch")
    assert row["on_site"] == "2026-10-05" and row["override"]["rules"] == ["outside_period"]


def test_a_refusal_never_offers_a_date_after_the_period(store: EventStore, campaign: str,
                                                        db_path: Path) -> None:
    """Near the period's end, no date within it is left: the refusal says so rather than
    offer a date that the period rule then refuses; the leader may still accept it."""
    leader = Workflow(store, "truong-to")
    said = refused(db_path, NoDateLeftInPeriod, lambda: leader.notify(
        CODE, "hcc", on_site=date(2026, 9, 30), day=date(2026, 9, 28)))
    assert "không còn để được ngày kiểm tra nào" in said.message("vi")
    assert "05/10/2026, sau thời gian kiểm tra" in said.message("vi")
    row = leader.notify(CODE, "hcc", on_site=date(2026, 9, 30), day=date(2026, 9, 28),
                        override="Theo chỉ đạo của UBND tỉnh")
    assert row["override"]["rules"] == ["notice_period"]


def test_an_override_records_every_rule_and_never_dates_the_report_before_the_notice(
        store: EventStore, campaign: str) -> None:
    leader = Workflow(store, "truong-to")
    row = leader.notify(CODE, "kt", on_site=date(2026, 8, 3), day=date(2026, 7, 31),
                        override="Gấp")
    assert row["override"]["rules"] == ["notice_period", "report_window"]
    assert row["report_due"] == "2026-08-03"  # the rules alone would say 31/07, the notice day


def test_the_visit_the_leader_accepted_needs_no_second_override(
        store: EventStore, campaign: str, db_path: Path) -> None:
    leader, deputy = Workflow(store, "truong-to"), Workflow(store, "pho-to")
    leader.notify(CODE, "vp", on_site=date(2026, 10, 12), day=date(2026, 9, 28),
                  override="Lùi lịch theo đề nghị của đơn vị")
    deputy.report(CODE, "vp", day=date(2026, 10, 5))
    row = deputy.inspect(CODE, "vp", day=date(2026, 10, 12))
    assert row["state"] == "inspected" and "override" not in row


def test_a_correction_keeps_to_the_plan_and_to_the_leaders_override(
        wf: Workflow, store: EventStore, campaign: str, db_path: Path) -> None:
    """A corrected date meets the plan's dates like a new step; a step the leader let
    through keeps its override when another of its facts is corrected."""
    wf.notify(CODE, "vp", on_site=date(2026, 8, 10), day=date(2026, 7, 27))
    refused(db_path, StepBeforePlan, lambda: wf.correct(
        CODE, "vp", step="notify", reason="Sai ngày", day=date(2026, 12, 1),
        change=Change(day=date(2026, 6, 10))))
    wf.notify(CODE, "kt", on_site=date(2026, 8, 3), day=date(2026, 7, 31), override="Gấp")
    row = wf.correct(CODE, "kt", step="notify", reason="Sai ngày", day=date(2026, 12, 1),
                     change=Change(day=date(2026, 7, 30)))
    assert row["report_due"] == "2026-07-31"  # the working day after the corrected notice
