"""Random sequences of commands against a real SQLite store (hypothesis stateful testing).

Whatever the order and dates, a refused command writes nothing, an accepted one
writes exactly one event and moves to the state the design says, and the
inspection reloaded from the database equals the one in memory. The status views,
caught up at random points in small batches, always equal the aggregate, and a
rebuild from scratch equals the views built incrementally.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.errors import KiemtraError
from kiemtra.domain.ids import inspection_id
from kiemtra.domain.lifecycle import State, Step, allowed_steps
from kiemtra.domain.record import status_row
from kiemtra.projections.audit.verify import verify_database
from kiemtra.projections.projector import Projector
from kiemtra.projections.views import Views
from kiemtra.workflow.services import Workflow
from kiemtra.workflow.store import Database, open_store
from tests.conftest import CODE, count_rows, plan_text

START = date(2026, 7, 20)
AS_OF = date(2026, 9, 1)
CAL = WorkingCalendar()
offsets = st.integers(min_value=0, max_value=4)
leads = st.integers(min_value=2, max_value=12)
EXPECTED = {
    Step.NOTIFY: {State.NOTIFIED},
    Step.REPORT: {State.REPORT_SUBMITTED},
    Step.INSPECT: {State.INSPECTED},
    Step.MINUTES: {State.MINUTED},
    Step.CONCLUDE: {State.CONCLUDED},
    Step.REMEDIATE: {State.CONCLUDED, State.REMEDIATED},
    Step.CANCEL: {State.CANCELLED},
}


class InspectionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="kiemtra-prop-"))
        self.db = self.dir / "k.db"
        self.store = open_store(Database(str(self.db)))
        self.wf = Workflow(self.store, "truong-to")
        self.wf.import_plan(plan_text(), "p.toml", START)
        self.day = START
        self.views = Views(Database(str(self.db)))
        self.views.projector = Projector(self.views.backend(), batch_size=2)
        self.views.projector.ensure_tables()
        self.before: list[dict[str, object] | None] = []  # the record before each step
        self.units: list[str] = []  # units added by amendments, still in the plan
        self.codes = 0  # unit codes taken by amendments (a code that left is not reused)

    def teardown(self) -> None:
        try:
            self.views.projector.catch_up()
            incremental = self.views.status(AS_OF), self.views.due(AS_OF, None)
            self.views.rebuild()
            assert (self.views.status(AS_OF), self.views.due(AS_OF, None)) == incremental
            # every accepted step is chained; every refused one left no trace
            assert verify_database(self.db).events == self.store.event_count()
        finally:
            self.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    @rule()
    def catch_up(self) -> None:
        self.views.projector.catch_up()
        row = [r for r in self.views.status(AS_OF, CODE) if r["unit"] == "kt"][0]
        assert row.pop("reminders_failed") == 0
        assert row == status_row(self.inspection().record, row["unit_name"], AS_OF)

    def inspection(self):  # type: ignore[no-untyped-def]
        return self.store.repository.get(inspection_id(CODE, "kt"))

    def attempt(self, step: Step, call) -> None:  # type: ignore[no-untyped-def]
        before_record = copy.deepcopy(self.inspection().record)
        before_state = self.inspection().state
        events = count_rows(self.db)
        try:
            call()
        except KiemtraError:
            assert count_rows(self.db) == events
            assert self.inspection().state is before_state
            return
        assert count_rows(self.db) == events + 1
        assert step in allowed_steps(before_state)
        self.before.append(before_record)
        after = self.inspection().state
        event(f"reached {after}")
        if step is Step.RESCHEDULE:
            assert after is before_state
        else:
            assert after in EXPECTED[step]

    def later(self, offset: int) -> date:
        self.day = self.day + timedelta(days=offset)
        return self.day

    @rule(offset=offsets, lead=leads)
    def notify(self, offset: int, lead: int) -> None:
        day = self.later(offset)
        self.attempt(Step.NOTIFY, lambda: self.wf.notify(
            CODE, "kt", on_site=CAL.next_working_day(day + timedelta(days=lead)), day=day))

    @rule(offset=offsets, lead=leads)
    def reschedule(self, offset: int, lead: int) -> None:
        day = self.later(offset)
        self.attempt(Step.RESCHEDULE, lambda: self.wf.reschedule(
            CODE, "kt", on_site=CAL.next_working_day(day + timedelta(days=lead)),
            reason="Đổi lịch", day=day))

    @rule(offset=offsets)
    def report(self, offset: int) -> None:
        day = self.later(offset)
        self.attempt(Step.REPORT, lambda: self.wf.report(CODE, "kt", day=day))

    @rule(surprise=st.booleans(), waive=st.booleans(), on_schedule=st.booleans())
    def inspect(self, surprise: bool, waive: bool, on_schedule: bool) -> None:
        scheduled = self.inspection().on_site
        day = scheduled if on_schedule and scheduled else CAL.next_working_day(self.later(1))
        self.day = max(self.day, day)
        self.attempt(Step.INSPECT, lambda: self.wf.inspect(
            CODE, "kt", day=day, surprise=surprise,
            without_report="Miễn" if waive else None))

    @rule(offset=offsets)
    def minutes(self, offset: int) -> None:
        day = self.later(offset)
        self.attempt(Step.MINUTES, lambda: self.wf.minutes(CODE, "kt", day=day))

    @rule(offset=offsets, n=st.integers(min_value=0, max_value=3))
    def conclude(self, offset: int, n: int) -> None:
        day = self.later(offset)
        self.attempt(Step.CONCLUDE, lambda: self.wf.conclude(
            CODE, "kt", day=day, findings=[f"Tồn tại {i}" for i in range(n)]))

    @precondition(lambda self: self.inspection().state is State.CONCLUDED)
    @rule(offset=offsets, numbers=st.lists(st.integers(min_value=1, max_value=4), min_size=1,
                                           max_size=3))
    def remediate(self, offset: int, numbers: list[int]) -> None:
        day = self.later(offset)
        self.attempt(Step.REMEDIATE, lambda: self.wf.remediate(
            CODE, "kt", findings=numbers, day=day))

    @rule(offset=offsets, go=st.integers(min_value=0, max_value=5))
    def cancel(self, offset: int, go: int) -> None:
        if go:  # cancel rarely, or it ends most runs early
            return
        day = self.later(offset)
        self.attempt(Step.CANCEL, lambda: self.wf.cancel(CODE, "kt", reason="Hủy", day=day))

    @rule(go=st.integers(min_value=0, max_value=2))
    def undo(self, go: int) -> None:
        """A retraction gives back the record the inspection had before its latest step."""
        if go:
            return
        events = count_rows(self.db)
        if not self.before:
            try:
                self.wf.undo(CODE, "kt", reason="Ghi nhầm", day=self.day)
            except KiemtraError:
                assert count_rows(self.db) == events
                return
            unexpected = "an inspection with no step retracted one"
            raise AssertionError(unexpected)
        self.wf.undo(CODE, "kt", reason="Ghi nhầm", day=self.day)
        # one retraction, and under an amended plan the deadlines it reopens derived again
        assert count_rows(self.db) in (events + 1, events + 2)
        expected = self.before.pop()
        if expected is not None:  # (a correction since changed what came before)
            assert self.inspection().record == expected
        event("retracted")

    @rule(offset=st.integers(min_value=0, max_value=2))
    def correct_latest_date(self, offset: int) -> None:
        """Correct the latest step's date: the rules decide; a refusal writes nothing."""
        from kiemtra.domain.corrections import Change

        step = self.inspection().latest_step()
        if step is None or step == "cancel":
            return
        events = count_rows(self.db)
        day = self.later(offset)
        try:
            self.wf.correct(CODE, "kt", step=step, reason="Sửa ngày", day=day,
                            change=Change(day=day))
        except KiemtraError:
            assert count_rows(self.db) == events
            return
        assert count_rows(self.db) == events + 1
        assert self.inspection().last_date == day
        self.before = [None for _ in self.before]
        event("corrected")

    @rule(report=st.integers(min_value=1, max_value=4),
          conclusion=st.integers(min_value=5, max_value=20), add=st.booleans())
    def amend(self, report: int, conclusion: int, add: bool) -> None:
        """Amend the plan: new rules (kt's open deadline derived again by them, a taken
        one kept), a unit added or one that was added removed; refusals write nothing."""
        from kiemtra.domain import rules as r
        from kiemtra.domain.plan import parse_plan_text

        units = list(self.units)
        if add:
            self.codes += 1
            units.append(f"u{self.codes}")
        elif units:
            units.pop()
        text = plan_text(**{"report_lead_days = 1 ": f"report_lead_days = {report} ",
                            "conclusion_within_days = 10":
                                f"conclusion_within_days = {conclusion}"})
        text += "".join(f'\n[[units]]\ncode = "{u}"\nname = "Đơn vị {u}"\n'
                        f'email = "{u}@khucthuadu.example"\nplanned_on_site = 2026-09-08\n'
                        for u in units)
        plan = parse_plan_text(text, "p.toml")
        before = copy.deepcopy(self.inspection().record)
        events = count_rows(self.db)
        try:
            self.wf.amend_plan(plan, reason="Sửa đổi", day=self.day)
        except KiemtraError:
            assert count_rows(self.db) == events
            return
        self.units = units
        self.before = [None for _ in self.before]
        assert count_rows(self.db) > events
        now = self.inspection()
        assert now.state == before["state"] and now.last_date == before["last_date"]
        if now.state is State.NOTIFIED:
            assert now.report_due == r.report_due(now.on_site, plan.rules, CAL)
        elif before["report_due"] is not None:
            assert now.report_due == before["report_due"]
        if now.state in (State.INSPECTED, State.MINUTED):
            assert now.conclusion_due == r.conclusion_due(now.inspected_on, plan.rules, CAL)
        elif before["conclusion_due"] is not None:
            assert now.conclusion_due == before["conclusion_due"]
        event("amended")

    @invariant()
    def reload_equals_memory_and_dates_obey_the_rules(self) -> None:
        fresh = open_store(Database(str(self.db)))
        try:
            reloaded = fresh.repository.get(inspection_id(CODE, "kt"))
        finally:
            fresh.close()
        current = self.inspection()
        assert reloaded.__dict__ == current.__dict__
        if current.report_due and current.on_site and not current.surprise:
            assert current.report_due < current.on_site
            assert CAL.is_working_day(current.report_due)
        if current.conclusion_due:
            assert current.inspected_on and current.conclusion_due > current.inspected_on
        if current.state is State.REMEDIATED:
            assert current.findings and not current.open_findings


InspectionMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestInspectionLifecycle = InspectionMachine.TestCase
