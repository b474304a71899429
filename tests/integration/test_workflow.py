"""Application services against a real SQLite event store: happy paths and refusals.

Every refusal is checked to write nothing: the events table (and the
attachments table) have the same number of rows before and after.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiemtra.domain.errors import (
    CampaignExists,
    DateBeforePreviousStep,
    FindingAlreadyRemediated,
    InvalidMetrics,
    InvalidPlan,
    InvalidText,
    KiemtraError,
    NotAWorkingDay,
    NothingToRemediate,
    NoticeRequired,
    NoticeTooLate,
    OnSiteDateMismatch,
    RemediationDeadlineTooEarly,
    ReportRequired,
    SameOnSiteDate,
    StepNotAllowed,
    SurpriseNotAllowed,
    UnknownCampaign,
    UnknownFinding,
    UnknownMember,
    UnknownUnit,
)
from kiemtra.workflow import ConcurrentChange, UnreadableFile
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import Database, open_store, read_attachment
from tests.conftest import CODE, count_rows, database_of, history, plan_text, status, views_of

D = date


def notified(wf: Workflow, unit: str = "kt") -> None:
    wf.notify(CODE, unit, on_site=D(2026, 8, 12), day=D(2026, 8, 3))


def concluded(wf: Workflow, unit: str = "kt", findings: tuple[str, ...] = ("A", "B")) -> None:
    notified(wf, unit)
    wf.report(CODE, unit, day=D(2026, 8, 10))
    wf.inspect(CODE, unit, day=D(2026, 8, 12))
    wf.minutes(CODE, unit, day=D(2026, 8, 12))
    wf.conclude(CODE, unit, day=D(2026, 8, 20), findings=list(findings))


def test_import_records_one_campaign_and_one_inspection_per_unit(
    wf: Workflow, campaign: str, db_path: Path
) -> None:
    assert count_rows(db_path) == 5
    rows = status(wf.store, D(2026, 7, 1), campaign)
    assert [r["unit"] for r in rows] == ["vp", "kt", "vhxh", "hcc"]
    assert all(r["state"] == "planned" for r in rows)
    # latest notice for a planned visit on Monday 10/08 with 5 calendar days: 05/08
    assert rows[0]["next_step"] == "notify" and rows[0]["next_deadline"] == "2026-08-05"


def test_full_walk_of_one_unit(wf: Workflow, campaign: str) -> None:
    row = wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    assert (row["state"], row["report_due"], row["notice_date"]) == (
        "notified", "2026-08-11", "2026-08-03")
    row = wf.report(CODE, "kt", day=D(2026, 8, 11))
    assert row["state"] == "report_submitted" and row["report_late"] is False
    row = wf.inspect(CODE, "kt", day=D(2026, 8, 12))
    # 10 working days after 12/08/2026, Saturday 22/08 being a working day
    assert row["state"] == "inspected" and row["conclusion_due"] == "2026-08-25"
    row = wf.minutes(CODE, "kt", day=D(2026, 8, 12))
    assert row["state"] == "minuted"
    row = wf.conclude(CODE, "kt", day=D(2026, 8, 20), findings=["Thiếu sổ", "Chưa niêm yết"])
    assert row["state"] == "concluded" and row["findings_open"] == 2
    # 30 days after 20/08 is Saturday 19/09: the limit ends Monday 21/09
    assert row["next_step"] == "remediate" and row["next_deadline"] == "2026-09-21"
    row = wf.remediate(CODE, "kt", findings=[2], day=D(2026, 9, 1))
    assert row["state"] == "concluded" and row["findings_open"] == 1
    row = wf.remediate(CODE, "kt", findings=[1], day=D(2026, 9, 2), note="Đã bổ sung")
    assert row["state"] == "remediated" and row["closed"] is True and row["next_step"] is None


def test_surprise_inspection_needs_no_notice_or_report(wf: Workflow, campaign: str) -> None:
    row = wf.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True)
    assert row["state"] == "inspected" and row["surprise"] is True
    assert row["on_site"] == "2026-08-10" and row["report_due"] is None


def test_report_can_be_waived_with_a_reason(wf: Workflow, campaign: str) -> None:
    notified(wf)
    row = wf.inspect(CODE, "kt", day=D(2026, 8, 12), without_report="Đơn vị mới thành lập")
    assert row["state"] == "inspected" and row["report_waived"] is True


def test_conclusion_without_findings_ends_the_inspection(wf: Workflow, campaign: str) -> None:
    concluded(wf, findings=())
    row = status(wf.store, D(2027, 1, 1), CODE)[1]
    assert row["state"] == "concluded" and row["closed"] is True and row["overdue"] is False


def test_reschedule_rechecks_notice_and_moves_report_due(wf: Workflow, campaign: str) -> None:
    notified(wf)
    with pytest.raises(NoticeTooLate) as refused:
        wf.reschedule(CODE, "kt", on_site=D(2026, 8, 14), reason="Trùng lịch", day=D(2026, 8, 10))
    assert refused.value.params["earliest"] == D(2026, 8, 17)  # 15/08 is a Saturday
    row = wf.reschedule(CODE, "kt", on_site=D(2026, 8, 17), reason="Trùng lịch",
                        day=D(2026, 8, 10))
    assert row["on_site"] == "2026-08-17" and row["report_due"] == "2026-08-14"
    assert row["state"] == "notified"
    wf.report(CODE, "kt", day=D(2026, 8, 13))
    row = wf.reschedule(CODE, "kt", on_site=D(2026, 8, 24), reason="Lần 2", day=D(2026, 8, 14))
    # Saturday 22/08/2026 is a working day (swapped with 31/08)
    assert row["state"] == "report_submitted" and row["report_due"] == "2026-08-22"


def test_late_steps_are_accepted_and_marked(wf: Workflow, campaign: str) -> None:
    notified(wf)
    assert wf.report(CODE, "kt", day=D(2026, 8, 12))["report_late"] is True
    wf.inspect(CODE, "kt", day=D(2026, 8, 12))
    wf.minutes(CODE, "kt", day=D(2026, 8, 13))
    row = wf.conclude(CODE, "kt", day=D(2026, 8, 26), findings=["X"])
    assert row["conclusion_late"] is True
    assert status(wf.store, D(2026, 9, 26), CODE)[1]["overdue"] is True
    assert status(wf.store, D(2026, 9, 25), CODE)[1]["overdue"] is False
    wf.remediate(CODE, "kt", findings=[1], day=D(2026, 10, 1))
    late = [h for h in history(wf.store, CODE, "kt") if h["event"] == "RemediationReported"]
    assert late[0]["details"]["late_findings"] == [1]


def test_cancel_from_each_allowed_state(wf: Workflow, campaign: str) -> None:
    wf.cancel(CODE, "vp", reason="Sáp nhập", day=D(2026, 7, 1))
    notified(wf, "kt")
    wf.cancel(CODE, "kt", reason="Sáp nhập", day=D(2026, 8, 4))
    wf.notify(CODE, "hcc", on_site=D(2026, 8, 17), day=D(2026, 8, 5))
    wf.report(CODE, "hcc", day=D(2026, 8, 13))
    row = wf.cancel(CODE, "hcc", reason="Sáp nhập", day=D(2026, 8, 14))
    assert row["state"] == "cancelled" and row["closed"] is True
    camp = views_of(wf.store).campaigns(D(2026, 9, 1))[0]
    assert camp["cancelled"] == 3 and camp["closed"] is False


def test_attachments_and_metrics_are_stored(wf: Workflow, campaign: str, tmp_path: Path) -> None:
    notified(wf)
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(b"%PDF-1.4 bao cao")
    metrics = tmp_path / "m.toml"
    metrics.write_text("[procedures]\nrecords_received = 10\nrecords_online = 4\n")
    wf.report(CODE, "kt", day=D(2026, 8, 10), attach=[str(pdf)], metrics_file=str(metrics))
    event = [h for h in history(wf.store, CODE, "kt") if h["event"] == "ReportSubmitted"][0]
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert event["details"]["attachments"] == [{"name": "bao-cao.pdf", "sha256": sha, "size": 16}]
    assert event["details"]["metrics"] == {"procedures": {"records_received": 10,
                                                          "records_online": 4}}
    assert b"".join(read_attachment(database_of(wf.store), sha) or []) == pdf.read_bytes()


def test_a_file_changed_while_it_is_stored_is_refused_whole(
        wf: Workflow, campaign: str, db_path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The event names the file's hash as first read; the bytes are read again as they
    are stored. Another program writing to the file in between (a scanner still saving
    it) makes them differ: the step is refused and neither event nor piece is kept."""
    from kiemtra.workflow import services

    notified(wf)
    scan = tmp_path / "bien-ban.pdf"
    scan.write_bytes(b"%PDF-1.7 " * 400_000)  # 3.6 MB: four pieces, the change in the last
    read = services.read_attachments

    def read_then_changed(paths: Any) -> Any:
        blobs = read(paths)
        with scan.open("ab") as still_saving:
            still_saving.write(b"%%EOF")
        return blobs

    monkeypatch.setattr(services, "read_attachments", read_then_changed)
    before = [count_rows(db_path, t) for t in ("stored_events", "attachments",
                                                "attachment_chunks")]
    with pytest.raises(UnreadableFile) as refused:
        wf.report(CODE, "kt", day=D(2026, 8, 10), attach=[str(scan)])
    assert "thay đổi trong khi đang được lưu" in refused.value.message("vi")
    assert "changed while it was being stored" in refused.value.message("en")
    assert [count_rows(db_path, t) for t in ("stored_events", "attachments",
                                             "attachment_chunks")] == before


def test_history_records_actor_effective_date_and_recorded_time(
    wf: Workflow, campaign: str
) -> None:
    Workflow(wf.store, "thuong-truc").notify(CODE, "kt", on_site=D(2026, 8, 12),
                                             day=D(2026, 8, 3))
    rows = history(wf.store, CODE, "kt")
    assert [r["event"] for r in rows] == ["Planned", "NoticeIssued"]
    assert rows[1]["actor"] == "thuong-truc" and rows[1]["effective_date"] == "2026-08-03"
    assert rows[1]["recorded_at"] >= rows[0]["recorded_at"]
    assert rows[1]["details"]["state"] == "notified"
    whole = history(wf.store, CODE)
    assert whole[0]["event"] == "PlanImported" and len(whole) == 6


# --- refusals: each raises with the contract's exit code and writes nothing --------------


Refusal = tuple[Callable[[Workflow], Any], type[KiemtraError], int]


def refusals(tmp_path: Path) -> dict[str, Refusal]:
    pdf = tmp_path / "ok.pdf"
    pdf.write_bytes(b"x")
    bad_metrics = tmp_path / "bad.toml"
    bad_metrics.write_text("[procedures]\nrecords_received = 1\nrecords_resolved = 2\n")
    return {
        "report before notice": (
            lambda wf: wf.report(CODE, "vp", day=D(2026, 8, 1), attach=[str(pdf)]),
            StepNotAllowed, 1),
        "inspect without notice": (
            lambda wf: wf.inspect(CODE, "vp", day=D(2026, 8, 10)), NoticeRequired, 1),
        "notice too late": (
            lambda wf: wf.notify(CODE, "vp", on_site=D(2026, 8, 10), day=D(2026, 8, 6)),
            NoticeTooLate, 1),
        "on-site on national day": (
            lambda wf: wf.notify(CODE, "vp", on_site=D(2026, 9, 2), day=D(2026, 8, 6)),
            NotAWorkingDay, 1),
        "surprise on a Sunday": (
            lambda wf: wf.inspect(CODE, "vp", day=D(2026, 8, 9), surprise=True),
            NotAWorkingDay, 1),
        "inspect without report": (
            lambda wf: wf.inspect(CODE, "kt", day=D(2026, 8, 12)), ReportRequired, 1),
        "surprise after notice": (
            lambda wf: wf.inspect(CODE, "kt", day=D(2026, 8, 12), surprise=True,
                                  without_report="x"), SurpriseNotAllowed, 1),
        "inspect on another day": (
            lambda wf: wf.inspect(CODE, "kt", day=D(2026, 8, 13), without_report="x"),
            OnSiteDateMismatch, 1),
        "step dated before the previous one": (
            lambda wf: wf.report(CODE, "kt", day=D(2026, 8, 2), attach=[str(pdf)]),
            DateBeforePreviousStep, 1),
        "reschedule to the same date": (
            lambda wf: wf.reschedule(CODE, "kt", on_site=D(2026, 8, 12), reason="x",
                                     day=D(2026, 8, 4)), SameOnSiteDate, 1),
        "unknown campaign": (
            lambda wf: wf.notify("NOPE", "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3)),
            UnknownCampaign, 2),
        "unknown unit": (
            lambda wf: wf.notify(CODE, "xx", on_site=D(2026, 8, 12), day=D(2026, 8, 3)),
            UnknownUnit, 2),
        "unknown absent member": (
            lambda wf: wf.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True,
                                  absent=["ghost"]), UnknownMember, 2),
        "invalid metrics": (
            lambda wf: wf.report(CODE, "kt", day=D(2026, 8, 10), metrics_file=str(bad_metrics)),
            InvalidMetrics, 2),
        "missing attachment": (
            lambda wf: wf.report(CODE, "kt", day=D(2026, 8, 10),
                                 attach=[str(tmp_path / "missing.pdf")]), UnreadableFile, 2),
        "control character in a reason": (
            lambda wf: wf.cancel(CODE, "kt", reason="a\u2028b", day=D(2026, 8, 4)),
            InvalidText, 2),
        "empty reason": (
            lambda wf: wf.cancel(CODE, "kt", reason="  ", day=D(2026, 8, 4)), InvalidText, 2),
        "campaign exists": (
            lambda wf: wf.import_plan(plan_text(), "again.toml", D(2026, 6, 16)),
            CampaignExists, 2),
        "invalid plan": (
            lambda wf: wf.import_plan(plan_text(**{'code = "KTD-TKT-2026"': 'code = "N"',
                                                   'role = "leader"': 'role = "member"'}),
                                      "p.toml", D(2026, 6, 16)), InvalidPlan, 2),
    }


with tempfile.TemporaryDirectory() as _scratch:  # the names only; files go nowhere lasting
    REFUSAL_NAMES = list(refusals(Path(_scratch)))


@pytest.mark.parametrize("name", REFUSAL_NAMES)
def test_refusals_write_nothing(
    name: str, wf: Workflow, campaign: str, db_path: Path, tmp_path: Path
) -> None:
    notified(wf)
    before = status(wf.store, D(2026, 8, 5), CODE)
    events, blobs = count_rows(db_path), count_rows(db_path, "attachments")
    call, error, exit_code = refusals(tmp_path)[name]
    with pytest.raises(error) as refused:
        call(wf)
    assert refused.value.exit_code == exit_code
    assert refused.value.message("vi") and refused.value.message("en")
    assert (count_rows(db_path), count_rows(db_path, "attachments")) == (events, blobs)
    assert status(wf.store, D(2026, 8, 5), CODE) == before


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda wf: wf.remediate(CODE, "kt", findings=[3], day=D(2026, 9, 1)), UnknownFinding),
        (lambda wf: wf.remediate(CODE, "kt", findings=[1], day=D(2026, 8, 19)),
         DateBeforePreviousStep),
        (lambda wf: wf.conclude(CODE, "kt", day=D(2026, 9, 1)), StepNotAllowed),
    ],
)
def test_remediation_refusals_write_nothing(
    call: Callable[[Workflow], Any], error: type[KiemtraError], wf: Workflow, campaign: str,
    db_path: Path
) -> None:
    concluded(wf)
    events = count_rows(db_path)
    with pytest.raises(error):
        call(wf)
    assert count_rows(db_path) == events


def test_a_finding_is_reported_once(wf: Workflow, campaign: str, db_path: Path) -> None:
    concluded(wf)
    wf.remediate(CODE, "kt", findings=[1], day=D(2026, 9, 1))
    events = count_rows(db_path)
    with pytest.raises(FindingAlreadyRemediated) as refused:
        wf.remediate(CODE, "kt", findings=[1, 2], day=D(2026, 9, 2))
    assert "01/09/2026" in refused.value.message("vi")
    assert count_rows(db_path) == events


def test_nothing_to_remediate_after_a_clean_conclusion(wf: Workflow, campaign: str) -> None:
    concluded(wf, findings=())
    with pytest.raises(NothingToRemediate):
        wf.remediate(CODE, "kt", findings=[1], day=D(2026, 9, 1))


def test_remediated_inspection_takes_no_more_steps(wf: Workflow, campaign: str) -> None:
    concluded(wf, findings=("A",))
    wf.remediate(CODE, "kt", findings=[1], day=D(2026, 9, 1))
    with pytest.raises(StepNotAllowed) as refused:
        wf.remediate(CODE, "kt", findings=[1], day=D(2026, 9, 2))
    assert refused.value.params["state"] == "remediated"


def test_remediation_deadline_must_follow_the_conclusion(wf: Workflow, campaign: str) -> None:
    notified(wf)
    wf.report(CODE, "kt", day=D(2026, 8, 10))
    wf.inspect(CODE, "kt", day=D(2026, 8, 12))
    wf.minutes(CODE, "kt", day=D(2026, 8, 12))
    with pytest.raises(RemediationDeadlineTooEarly):
        wf.conclude(CODE, "kt", day=D(2026, 8, 20), findings=["A"], remediate_by=D(2026, 8, 20))
    row = wf.conclude(CODE, "kt", day=D(2026, 8, 20), findings=["A"],
                      remediate_by=D(2026, 10, 30))
    assert row["next_deadline"] == "2026-10-30"


def test_concurrent_change_writes_nothing(
    wf: Workflow, campaign: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process records a step between our load and our save: exit code 3."""
    import kiemtra.domain.inspection as inspection

    other = open_store(Database(str(db_path)))
    real_advance = inspection.advance

    def racing_advance(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(inspection, "advance", real_advance)  # the other process races once
        Workflow(other, "pho-to").notify(CODE, "kt", on_site=D(2026, 8, 13), day=D(2026, 8, 3))
        return real_advance(*args, **kwargs)

    monkeypatch.setattr(inspection, "advance", racing_advance)
    events = count_rows(db_path)
    with pytest.raises(ConcurrentChange) as refused:
        wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    assert refused.value.exit_code == 3
    assert count_rows(db_path) == events + 1  # only the other process's notice
    assert status(other, D(2026, 8, 5), CODE)[1]["on_site"] == "2026-08-13"
    other.close()


def test_concurrent_imports_of_one_code(wf: Workflow, db_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    other = open_store(Database(str(db_path)))
    real_get = wf.store.get
    calls = []

    def racing_get(aggregate_id: Any) -> Any:
        found = real_get(aggregate_id)
        if not calls:
            calls.append(1)
            Workflow(other, "truong-to").import_plan(plan_text(), "p.toml", D(2026, 6, 15))
        return found

    monkeypatch.setattr(wf.store, "get", racing_get)
    with pytest.raises(ConcurrentChange):
        wf.import_plan(plan_text(), "p.toml", D(2026, 6, 15))
    assert count_rows(db_path) == 5
    other.close()


def test_absence_needs_the_leaders_approval(store: Any, campaign: str, db_path: Path) -> None:
    from kiemtra.domain.errors import AbsenceNotApproved

    deputy = Workflow(store, "pho-to")
    events = count_rows(db_path)
    with pytest.raises(AbsenceNotApproved) as refused:
        deputy.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True, absent=["tv-vp"])
    from kiemtra.cli import error_text

    assert refused.value.exit_code == 1
    assert "--" not in refused.value.message()  # the domain speaks of rules, not options
    assert "--approved-by truong-to" in error_text(refused.value, "vi")
    with pytest.raises(AbsenceNotApproved):
        deputy.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True, absent=["tv-vp"],
                       approved_by="pho-to")
    with pytest.raises(UnknownMember):
        deputy.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True, absent=["tv-vp"],
                       approved_by="ghost")
    assert count_rows(db_path) == events
    deputy.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True, absent=["tv-vp"],
                   approved_by="truong-to")
    inspected = [h for h in history(store, CODE, "vp") if h["event"] == "Inspected"][0]
    assert inspected["actor"] == "pho-to"
    assert inspected["details"]["absence_approved_by"] == "truong-to"


def test_a_remediation_deadline_given_on_a_day_off_moves_to_the_next_working_day(
        wf: Workflow, campaign: str) -> None:
    """Like the default deadline (Civil Code art. 148): Saturday 19/09/2026 → Monday 21/09;
    the receipt says so."""
    from kiemtra.workflow.receipts import receipt

    wf.inspect(CODE, "kt", day=D(2026, 8, 12), surprise=True)
    wf.minutes(CODE, "kt", day=D(2026, 8, 12))
    row = wf.conclude(CODE, "kt", day=D(2026, 8, 20), findings=["Chưa niêm yết TTHC"],
                      remediate_by=D(2026, 9, 19))
    assert row["remediate_by_moved"] == {"from": "2026-09-19", "to": "2026-09-21"}
    assert row["next_deadline"] == "2026-09-21"
    said = receipt("conclude", row, "vi", ("Chưa niêm yết TTHC",))
    assert "hạn khắc phục 19/09/2026 là ngày nghỉ nên chuyển sang ngày làm việc tiếp theo " \
           "21/09/2026" in said
    wf.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True)
    wf.minutes(CODE, "vp", day=D(2026, 8, 10))
    row = wf.conclude(CODE, "vp", day=D(2026, 8, 20), findings=["x"],
                      remediate_by=D(2026, 9, 18))  # a Friday: kept, nothing said
    assert "remediate_by_moved" not in row and row["next_deadline"] == "2026-09-18"
