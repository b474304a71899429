"""The leader's override of a date rule: refused without it, accepted with it only from
the leader, kept in the event and shown in the trail; an override nothing needs is
refused. Every refusal writes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kiemtra.domain.errors import (
    KiemtraError,
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


@pytest.mark.parametrize(("dates", "error", "rule"), [
    ({"on_site": date(2026, 7, 6), "day": date(2026, 6, 10)}, StepBeforePlan, "before_plan"),
    ({"on_site": date(2026, 10, 6), "day": date(2026, 7, 10)}, VisitOutsidePeriod,
     "outside_period"),
    (TOO_SOON, NoticeTooLate, "notice_period"),
])
def test_a_date_outside_the_rules_needs_the_leaders_reason(
        store: EventStore, campaign: str, db_path: Path, dates: dict[str, date],
        error: type[KiemtraError], rule: str) -> None:
    deputy, leader = Workflow(store, "pho-to"), Workflow(store, "truong-to")
    refused(db_path, error, lambda: deputy.notify(CODE, "vp", **dates))
    said = refused(db_path, OverrideByLeaderOnly,
                   lambda: deputy.notify(CODE, "vp", **dates, override="Sáp nhập"))
    assert "truong-to" in said.message("vi")
    row = leader.notify(CODE, "vp", **dates, override="  Theo chỉ đạo của UBND tỉnh ")
    assert row["override"] == {"reason": "Theo chỉ đạo của UBND tỉnh", "rules": [rule]}
    notice = history(store, CODE, "vp")[-1]
    assert notice["details"]["override"]["rules"] == [rule]
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
