"""The inspection aggregate: one unit's pass through the workflow.

Public methods first ask the lifecycle machine (`lifecycle.py`) where the step leads
from the current state, given the facts of the command, then check the date rules,
and raise before anything changes; the `@event` methods below them only evolve the
inspection's record (`record.py`), because their bodies run again each time the
inspection is loaded, and because the status views evolve the same record from the
same events. Each event records the state the machine decided, so the trail shows
what the system decided.

Every event records the actor and the effective date (the day the step
happened on paper); the library stamps the time it was recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kiemtra.domain import rules as r
from kiemtra.domain.amendments import UnitAlreadyStarted, replanned
from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.corrections import Change, correct
from kiemtra.domain.deadlines import open_findings
from kiemtra.domain.errors import (
    AbsenceNotApproved,
    DateBeforePreviousStep,
    FindingAlreadyRemediated,
    NothingToUndo,
    OnSiteDateMismatch,
    SameOnSiteDate,
    UndoBeforeStep,
    UnknownFinding,
)
from kiemtra.domain.event_versions import WorkflowCreated, WorkflowEvent
from kiemtra.domain.ids import inspection_id
from kiemtra.domain.lifecycle import State, Step, StepFacts, advance
from kiemtra.domain.overrides import Bounds, checked
from kiemtra.domain.record import (
    EVENT_STEPS,
    Record,
    RecordAttributes,
    evolve,
    fold_steps,
    new_record,
)
from kiemtra.domain.roles import Actor, actor_fields
from kiemtra.domain.text import clean_text
from kiemtra.domain.topics import assign

Attachment = dict[str, Any]  # {"name", "sha256", "size"}
NO_FACTS = StepFacts()


@assign
class Inspection(RecordAttributes, Aggregate):
    class Event(WorkflowEvent):
        pass

    class Created(Event, WorkflowCreated):
        pass

    @staticmethod
    def create_id(campaign: str, unit: str) -> UUID:  # type: ignore[override]
        return inspection_id(campaign, unit)

    @event("Planned")
    def __init__(
        self,
        campaign: str,
        unit: str,
        planned_on_site: date | None,
        notice_due: date | None,
        actor: str,
        actor_role: str | None,
        effective_date: date,
    ) -> None:
        self.record: Record = new_record(campaign, unit)
        planned = {"planned_on_site": planned_on_site, "notice_due": notice_due,
                   "effective_date": effective_date}
        evolve(self.record, "Planned", planned)
        # What each event in force added, in order: (version, event name, its data). A
        # retraction folds all but the last again; it takes the step out of this list.
        self.steps: list[tuple[int, str, dict[str, Any]]] = [(1, "Planned", planned)]

    # --- the record, read as attributes ------------------------------------------------

    @property
    def campaign(self) -> str:
        return str(self.record["campaign"])

    @property
    def unit(self) -> str:
        return str(self.record["unit"])

    @property
    def state(self) -> State:
        return State(self.record["state"])

    @property
    def open_findings(self) -> list[dict[str, Any]]:
        return open_findings(self.record)

    def closes_all_findings(self, numbers: list[int]) -> bool:
        still_open = {f["number"] for f in self.open_findings}
        return bool(still_open) and still_open <= set(numbers)

    def _next_state(self, step: Step, facts: StepFacts = NO_FACTS) -> State:
        """Where `step` leads from the current state; refuses a step out of order."""
        return advance(self.state, step, facts, report_due=self.report_due)

    # --- commands ---------------------------------------------------------------------

    def notify(
        self,
        *,
        notice_date: date,
        on_site: date,
        rules: r.Rules,
        calendar: WorkingCalendar,
        actor: Actor,
        allow_non_working_day: bool = False,
        bounds: Bounds | None = None,
    ) -> None:
        to = self._next_state(Step.NOTIFY)
        self._check_date_order(notice_date)
        dates = bounds.dates if bounds else None
        # the period first: the date it offers is a working day, so it is accepted whole
        override = _date_rules(bounds, actor, (
            lambda: r.check_after_plan(notice_date, dates),
            lambda: r.check_in_period(on_site, dates),
            lambda: r.check_notice_period(notice_date, on_site, rules, calendar, dates=dates,
                                          working_day_required=not allow_non_working_day),
            lambda: r.check_report_window(notice_date, on_site, rules, calendar)))
        if not allow_non_working_day:
            r.check_visit_day(notice_date, on_site, rules, calendar,
                              None if override else dates)
        r.conclusion_due(on_site, rules, calendar)  # a visit whose steps fit the calendar
        self._notice_issued(
            state=to, **actor_fields(actor), effective_date=notice_date, on_site=on_site,
            report_due=r.report_due_after_notice(notice_date, on_site, rules, calendar),
            override=override,
        )

    def reschedule(
        self,
        *,
        day: date,
        on_site: date,
        reason: str,
        rules: r.Rules,
        calendar: WorkingCalendar,
        actor: Actor,
        allow_non_working_day: bool = False,
        bounds: Bounds | None = None,
    ) -> None:
        to = self._next_state(Step.RESCHEDULE)
        reason = clean_text("reason", reason)
        self._check_date_order(day)
        if on_site == self.on_site:
            raise SameOnSiteDate(on_site=on_site)
        dates = bounds.dates if bounds else None
        override = _date_rules(bounds, actor, (
            lambda: r.check_in_period(on_site, dates),
            lambda: r.check_notice_period(day, on_site, rules, calendar, dates=dates,
                                          working_day_required=not allow_non_working_day),
            lambda: r.check_report_window(day, on_site, rules, calendar)))
        if not allow_non_working_day:
            r.check_visit_day(day, on_site, rules, calendar, None if override else dates)
        r.conclusion_due(on_site, rules, calendar)  # a visit whose steps fit the calendar
        self._rescheduled(
            state=to, **actor_fields(actor), effective_date=day, on_site=on_site,
            previous_on_site=self.on_site, reason=reason,
            report_due=r.report_due_after_notice(day, on_site, rules, calendar),
            override=override,
        )

    def submit_report(
        self,
        *,
        day: date,
        actor: Actor,
        attachments: list[Attachment],
        metrics: dict[str, Any] | None,
    ) -> None:
        to = self._next_state(Step.REPORT)
        self._check_date_order(day)
        late = self.report_due is not None and day > self.report_due
        self._report_submitted(
            state=to, **actor_fields(actor), effective_date=day, late=late,
            attachments=attachments, metrics=metrics,
        )

    def inspect(
        self,
        *,
        day: date,
        surprise: bool,
        report_waiver: str | None,
        absent: list[str],
        approved_by: str,
        leader: str,
        rules: r.Rules,
        calendar: WorkingCalendar,
        actor: Actor,
        allow_non_working_day: bool = False,
        bounds: Bounds | None = None,
    ) -> None:
        to = self._next_state(Step.INSPECT, StepFacts(is_surprise=surprise,
                                                      report_waived=report_waiver is not None))
        if absent and approved_by != leader:
            raise AbsenceNotApproved(absent=sorted(set(absent)), leader=leader)
        if report_waiver is not None:
            report_waiver = clean_text("report_waiver", report_waiver)
        self._check_date_order(day)
        if not surprise and self.on_site is not None and day != self.on_site:
            raise OnSiteDateMismatch(scheduled=self.on_site, given=day)
        dates = bounds.dates if bounds else None
        # the visit on the date the leader accepted at the notice needs no second override
        accepted = self.scheduled_overrides() if not surprise and day == self.on_site else []
        override = _date_rules(bounds, actor, (
            lambda: None if "before_plan" in accepted else r.check_after_plan(day, dates),
            lambda: None if "outside_period" in accepted else r.check_in_period(day, dates)))
        if not allow_non_working_day:
            r.check_working_day(day, calendar)
        self._inspected(
            state=to, **actor_fields(actor), effective_date=day, surprise=surprise,
            report_waiver=report_waiver if self.state is State.NOTIFIED else None,
            absent=sorted(set(absent)), absence_approved_by=leader if absent else None,
            non_working_day=not calendar.is_working_day(day),
            conclusion_due=r.conclusion_due(day, rules, calendar), override=override,
        )

    def sign_minutes(self, *, day: date, actor: Actor, attachments: list[Attachment]) -> None:
        to = self._next_state(Step.MINUTES)
        self._check_date_order(day)
        self._minutes_signed(state=to, **actor_fields(actor), effective_date=day,
                             attachments=attachments)

    def conclude(
        self,
        *,
        day: date,
        findings: list[str],
        remediate_by: date | None,
        rules: r.Rules,
        calendar: WorkingCalendar,
        actor: Actor,
    ) -> None:
        to = self._next_state(Step.CONCLUDE)
        texts = [clean_text("finding", text, number=i) for i, text in enumerate(findings, 1)]
        self._check_date_order(day)
        if remediate_by is not None:
            r.check_remediation_deadline(remediate_by, day)
        deadline = remediate_by or r.remediation_due(day, rules, calendar)
        numbered = [
            {"number": i, "text": text, "remediate_by": deadline}
            for i, text in enumerate(texts, 1)
        ]
        late = self.conclusion_due is not None and day > self.conclusion_due
        self._concluded(state=to, **actor_fields(actor), effective_date=day, findings=numbered,
                        late=late)

    def check_findings(self, numbers: list[int]) -> list[int]:
        """The distinct finding numbers to report on; refuses unknown or finished ones."""
        known = {f["number"]: f for f in self.findings}
        for number in numbers:
            if number not in known:
                raise UnknownFinding(finding=number, known=sorted(known) or "-")
            done = known[number].get("remediated_on")
            if done is not None:
                raise FindingAlreadyRemediated(finding=number, reported_on=done)
        return sorted(set(numbers))

    def report_remediation(
        self,
        *,
        day: date,
        findings: list[int],
        note: str | None,
        actor: Actor,
        attachments: list[Attachment],
    ) -> None:
        to = self._next_state(Step.REMEDIATE, StepFacts(
            has_open_findings=bool(self.open_findings),
            closes_all_findings=self.closes_all_findings(findings)))
        numbers = self.check_findings(findings)
        if note is not None:
            note = clean_text("note", note, required=False) or None
        self._check_date_order(day)
        by_number = {f["number"]: f for f in self.findings}
        late = [n for n in numbers if day > by_number[n]["remediate_by"]]
        self._remediation_reported(
            state=to, **actor_fields(actor), effective_date=day, findings=numbers,
            late_findings=late,
            note=note, attachments=attachments,
        )

    def cancel(self, *, day: date, reason: str, actor: Actor,
               bounds: Bounds | None = None) -> None:
        to = self._next_state(Step.CANCEL)
        reason = clean_text("reason", reason)
        self._check_date_order(day)
        dates = bounds.dates if bounds else None
        override = _date_rules(bounds, actor, (lambda: r.check_after_plan(day, dates),))
        self._cancelled(state=to, **actor_fields(actor), effective_date=day, reason=reason,
                        override=override)

    def retract(self, *, day: date, reason: str, actor: Actor) -> tuple[str, int]:
        """Retract the latest step: the inspection returns to the record it had before
        (the event carries that record whole, so the views need not fold again). Returns
        the retracted step and the version of its event."""
        if len(self.steps) < 2:
            raise NothingToUndo(unit=self.unit)
        reason = clean_text("reason", reason)
        version, name, data = self.steps[-1]
        if day < data["effective_date"]:
            raise UndoBeforeStep(day=day, step_day=data["effective_date"])
        restored = fold_steps(self.campaign, self.unit, self.steps[:-1])
        step = str(EVENT_STEPS[name])
        self._step_retracted(state=restored["state"], **actor_fields(actor),
                             effective_date=day, reason=reason, retracted_step=step,
                             retracted_version=version, restored=restored)
        return step, version

    def correct(self, *, day: date, step: str, change: Change, reason: str, rules: r.Rules,
                calendar: WorkingCalendar, actor: Actor,
                dates: r.PlanDates | None = None) -> list[dict[str, Any]]:
        """Correct the latest recorded `step` (a command name) with `change`; refuses a
        correction that breaks a rule or changes nothing. Returns what changed."""
        reason = clean_text("reason", reason)
        if change.text is not None:
            change = replace(change, text=clean_text("finding", change.text,
                                                     number=change.finding))
        steps, version, record, changes = correct(self.campaign, self.unit, self.steps,
                                                  self.record, step, change, rules, calendar,
                                                  dates)
        edited = [[v, d] for (v, _, d), (_, _, old) in zip(steps, self.steps, strict=True)
                  if d != old]
        self._corrected(state=record["state"], **actor_fields(actor), effective_date=day,
                        reason=reason, corrected_step=step, corrected_version=version,
                        changes=changes, steps=edited, record=record)
        return changes

    def replan(self, *, day: date, reason: str, plan_version: int,
               planned_on_site: date | None, rules: r.Rules, calendar: WorkingCalendar,
               actor: Actor) -> list[dict[str, Any]]:
        """Derive the open deadlines again under an amended plan (`amendments.py`); records
        an event only if a deadline (or the planned date) moves. Returns what moved."""
        steps, record, changes = replanned(self.campaign, self.unit, self.steps, self.record,
                                           planned_on_site, rules, calendar)
        if changes:
            edited = [[v, d] for (v, _, d), (_, _, old) in zip(steps, self.steps, strict=True)
                      if d != old]
            self._replanned(state=record["state"], **actor_fields(actor), effective_date=day,
                            reason=reason, plan_version=plan_version, changes=changes,
                            steps=edited, record=record)
        return changes

    def withdraw(self, *, day: date, reason: str, plan_version: int, actor: Actor) -> None:
        """The unit leaves the plan: only while nothing is recorded for it."""
        step = self.latest_step()
        if step is not None:
            raise UnitAlreadyStarted(unit=self.unit, step=step)
        self._withdrawn(**actor_fields(actor), effective_date=day, reason=reason,
                        plan_version=plan_version)

    def scheduled_overrides(self) -> list[str]:
        """The rules the leader set aside for the on-site date in force (at its notice or
        reschedule)."""
        for _, name, data in reversed(self.steps):
            if name in ("NoticeIssued", "Rescheduled"):
                return list((data.get("override") or {}).get("rules", []))
        return []

    def latest_step(self) -> str | None:
        """The step a retraction would take back (its command name), if any."""
        return str(EVENT_STEPS[self.steps[-1][1]]) if len(self.steps) > 1 else None

    def _check_date_order(self, day: date) -> None:
        if self.last_date is not None and self.last_step is not None and day < self.last_date:
            raise DateBeforePreviousStep(
                day=day, previous_step=self.last_step, previous_date=self.last_date
            )

    # --- events: the record evolves, nothing else ----------------------------------------
    # Every event also records `actor` and `actor_role` (see domain/event_versions.py).

    def _apply(self, event_name: str, data: dict[str, Any]) -> None:
        evolve(self.record, event_name, data)
        self.steps.append((self.version + 1, event_name, data))  # applied before versioned

    @event("NoticeIssued")
    def _notice_issued(self, state: str, actor: str, actor_role: str | None,
                       effective_date: date, on_site: date, report_due: date,
                       override: dict[str, Any] | None = None) -> None:
        self._apply("NoticeIssued", {"state": state, "effective_date": effective_date,
                                     "on_site": on_site, "report_due": report_due,
                                     "override": override})

    @event("Rescheduled")
    def _rescheduled(self, state: str, actor: str, actor_role: str | None,
                     effective_date: date, on_site: date, previous_on_site: date | None,
                     reason: str, report_due: date,
                     override: dict[str, Any] | None = None) -> None:
        self._apply("Rescheduled", {"state": state, "effective_date": effective_date,
                                    "on_site": on_site, "report_due": report_due,
                                    "override": override})

    @event("ReportSubmitted")
    def _report_submitted(self, state: str, actor: str, actor_role: str | None,
                          effective_date: date, late: bool, attachments: list[Attachment],
                          metrics: dict[str, Any] | None) -> None:
        self._apply("ReportSubmitted", {"state": state, "effective_date": effective_date,
                                        "late": late, "metrics": metrics})

    @event("Inspected")
    def _inspected(self, state: str, actor: str, actor_role: str | None,
                   effective_date: date, surprise: bool, report_waiver: str | None,
                   absent: list[str], absence_approved_by: str | None, non_working_day: bool,
                   conclusion_due: date, override: dict[str, Any] | None = None) -> None:
        self._apply("Inspected", {"state": state, "effective_date": effective_date,
                                  "surprise": surprise, "report_waiver": report_waiver,
                                  "absent": absent, "conclusion_due": conclusion_due})

    @event("MinutesSigned")
    def _minutes_signed(self, state: str, actor: str, actor_role: str | None,
                        effective_date: date, attachments: list[Attachment]) -> None:
        self._apply("MinutesSigned", {"state": state, "effective_date": effective_date})

    @event("Concluded")
    def _concluded(self, state: str, actor: str, actor_role: str | None,
                   effective_date: date, findings: list[dict[str, Any]], late: bool) -> None:
        self._apply("Concluded", {"state": state, "effective_date": effective_date,
                                  "findings": findings, "late": late})

    @event("RemediationReported")
    def _remediation_reported(self, state: str, actor: str, actor_role: str | None,
                              effective_date: date, findings: list[int],
                              late_findings: list[int], note: str | None,
                              attachments: list[Attachment]) -> None:
        self._apply("RemediationReported", {"state": state, "effective_date": effective_date,
                                            "findings": findings,
                                            "late_findings": late_findings})

    @event("StepRetracted")
    def _step_retracted(self, state: str, actor: str, actor_role: str | None,
                        effective_date: date, reason: str, retracted_step: str,
                        retracted_version: int, restored: dict[str, Any]) -> None:
        evolve(self.record, "StepRetracted", {"state": state, "effective_date": effective_date,
                                              "restored": restored})
        self.steps.pop()

    @event("Corrected")
    def _corrected(self, state: str, actor: str, actor_role: str | None, effective_date: date,
                   reason: str, corrected_step: str, corrected_version: int,
                   changes: list[dict[str, Any]], steps: list[list[Any]],
                   record: dict[str, Any]) -> None:
        evolve(self.record, "Corrected", {"state": state, "effective_date": effective_date,
                                          "record": record})
        edited = {int(version): data for version, data in steps}
        self.steps = [(v, n, edited.get(v, d)) for v, n, d in self.steps]

    @event("Replanned")
    def _replanned(self, state: str, actor: str, actor_role: str | None, effective_date: date,
                   reason: str, plan_version: int, changes: list[dict[str, Any]],
                   steps: list[list[Any]], record: dict[str, Any]) -> None:
        evolve(self.record, "Replanned", {"state": state, "effective_date": effective_date,
                                          "record": record})
        edited = {int(version): data for version, data in steps}
        self.steps = [(v, n, edited.get(v, d)) for v, n, d in self.steps]

    @event("Withdrawn")
    def _withdrawn(self, actor: str, actor_role: str | None, effective_date: date,
                   reason: str, plan_version: int) -> None:
        self.withdrawn = True

    @event("Cancelled")
    def _cancelled(self, state: str, actor: str, actor_role: str | None,
                   effective_date: date, reason: str,
                   override: dict[str, Any] | None = None) -> None:
        self._apply("Cancelled", {"state": state, "effective_date": effective_date,
                                  "reason": reason})


def _date_rules(bounds: Bounds | None, actor: Actor,
                checks: tuple[Callable[[], None], ...]) -> dict[str, Any] | None:
    """The step's date rules, with the leader's override if one was given."""
    if bounds is None:
        return checked(checks, None, actor, "")
    return checked(checks, bounds.override, actor, bounds.leader)
