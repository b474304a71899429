"""One method per use case: load the aggregates, let the domain decide, save the new
events in one transaction. A refusal raises before the save, so a refused command
writes nothing; and a command for a campaign never creates a database that did not
exist (`existing_workflow`), nor does a plan that is refused (`import_plan_file`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from kiemtra.domain.amendments import NothingToAmend, check_amendment, plan_changes
from kiemtra.domain.campaign import Campaign
from kiemtra.domain.corrections import AbsenceCorrectedByLeader, Change
from kiemtra.domain.errors import (
    AuthoritySpelledOtherwise,
    CampaignExists,
    DocumentNotVoided,
    NothingToUndo,
    UnknownCampaign,
)
from kiemtra.domain.ids import campaign_id, inspection_id
from kiemtra.domain.inspection import Inspection
from kiemtra.domain.lifecycle import Step
from kiemtra.domain.metrics import parse_metrics_text
from kiemtra.domain.origins import origin_name, spelling_key
from kiemtra.domain.overrides import Bounds
from kiemtra.domain.plan import Plan, parse_plan_text
from kiemtra.domain.record import status_row
from kiemtra.domain.roles import (
    AMEND,
    CORRECT,
    IMPORT,
    Actor,
    actor_fields,
    authorize,
    authorize_change,
)
from kiemtra.domain.rules import latest_notice, working_day_from
from kiemtra.domain.text import clean_text
from kiemtra.workflow.database import Database
from kiemtra.workflow.files import AttachmentBlob, read_attachments, read_text_file
from kiemtra.workflow.store import EventStore, open_store

Act = Callable[[Inspection, Plan, Actor], None]
DOCUMENT_OF_STEP = {"notify": "schedule", "reschedule": "schedule", "inspect": "minutes",
                    "conclude": "conclusion"}
"""The kind of document made from each step: retracting the step voids it."""


def existing_workflow(database: Database, actor: str, campaign: str) -> Workflow:
    """The services on `database` for a step of `campaign`: an unknown campaign if the
    database does not exist yet (a refused command must not leave a new one behind)."""
    if not database.exists():
        raise UnknownCampaign(code=campaign)
    return Workflow(open_store(database), actor)


def amend_plan_file(database: Database, actor: str, path: str, *, reason: str, day: date,
                    dry_run: bool = False) -> dict[str, Any]:
    """Validate the new version of a plan, then amend the campaign of its code (or, with
    `dry_run`, only say what would change)."""
    plan = parse_plan_text(read_text_file(path), path)
    return existing_workflow(database, actor, plan.code).amend_plan(plan, reason=reason,
                                                                    day=day, dry_run=dry_run)


def import_plan_file(database: Database, actor: str, path: str, day: date) -> Plan:
    """Validate the plan file and the actor before any database is created, then record."""
    plan = parse_plan_text(read_text_file(path), path)
    authorize(plan, actor, IMPORT)
    return Workflow(open_store(database), actor).import_parsed(plan, day)


@dataclass
class Workflow:
    """The team leader's commands, run as `actor` against one event store."""

    store: EventStore
    actor: str
    _plans: dict[str, Plan] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.actor = clean_text("actor", self.actor)

    # --- plan ------------------------------------------------------------------------

    def import_plan(self, text: str, source: str, today: date) -> Plan:
        return self.import_parsed(parse_plan_text(text, source), today)

    def _same_spelling(self, authority: str) -> None:
        """A commune already in the database is written as it was: otherwise its new
        campaign would start a second chain of the same commune (AuthoritySpelledOtherwise)."""
        name, key = origin_name(authority), spelling_key(authority)
        for known in self.store.origin_names():
            if known != name and spelling_key(known) == key:
                raise AuthoritySpelledOtherwise(given=name, known=known)

    def import_parsed(self, plan: Plan, today: date) -> Plan:
        """Record a plan already validated."""
        actor = authorize(plan, self.actor, IMPORT)
        if self.store.get(campaign_id(plan.code)) is not None:
            raise CampaignExists(code=plan.code)
        self._same_spelling(plan.authority)
        campaign = Campaign(code=plan.code, plan=plan.source, **actor_fields(actor),
                            effective_date=today)
        inspections = [self._planned(plan, unit.code, unit.planned_on_site, actor, today)
                       for unit in plan.units]
        self.store.save_atomically(campaign, *inspections)
        return plan

    def amend_plan(self, new: Plan, *, reason: str, day: date, dry_run: bool = False
                   ) -> dict[str, Any]:
        """Record `new` as the next version of its campaign's plan, in one transaction with
        the inspections of the units it adds, the removal of those it drops and the open
        deadlines it derives again (`domain/amendments.py`). Everything is checked before
        anything is saved; `dry_run` saves nothing and says what would change."""
        owner: Campaign | None = self.store.get(campaign_id(new.code))
        if owner is None:
            raise UnknownCampaign(code=new.code)
        old = owner.plan
        actor = authorize(old, self.actor, AMEND)
        reason = clean_text("reason", reason)
        check_amendment(old, new, owner.withdrawn)
        changes = plan_changes(old, new)
        if not changes:
            raise NothingToAmend()
        version = owner.plan_version + 1
        kept = {u.code for u in old.units}
        added = [u for u in new.units if u.code not in kept]
        removed = [u.code for u in old.units if u.code not in {n.code for n in new.units}]
        touched: list[Any] = []
        for code in removed:
            inspection: Inspection = self.store.load(inspection_id(old.code, code))
            inspection.withdraw(day=day, reason=reason, plan_version=version, actor=actor)
            touched.append(inspection)
        calendar = new.calendar()
        deadlines = []
        for unit in new.units:
            if unit.code not in kept:
                continue
            inspection = self.store.load(inspection_id(old.code, unit.code))
            moved = inspection.replan(day=day, reason=reason, plan_version=version,
                                      planned_on_site=unit.planned_on_site, rules=new.rules,
                                      calendar=calendar, actor=actor)
            if moved:
                touched.append(inspection)
                deadlines += [{"unit": unit.code, "unit_name": unit.name, **c} for c in moved]
        touched += [self._planned(new, unit.code, unit.planned_on_site, actor, day)
                    for unit in added]
        owner.amend_plan(plan=new.source, reason=reason, changes=changes,
                         added=[u.code for u in added], withdrawn=removed,
                         **actor_fields(actor), effective_date=day)
        if not dry_run:
            self.store.save_atomically(owner, *touched)
            self._plans.pop(new.code.casefold(), None)
        return {"campaign": owner.code, "version": version, "dry_run": dry_run,
                "changes": changes, "deadlines": deadlines}

    @staticmethod
    def _planned(plan: Plan, unit: str, planned_on_site: date | None, actor: Actor,
                 day: date) -> Inspection:
        """A new unit's inspection, planned (at import, or by an amendment)."""
        return Inspection(
            campaign=plan.code, unit=unit, planned_on_site=planned_on_site,
            notice_due=(latest_notice(planned_on_site, plan.rules, plan.calendar())
                        if planned_on_site else None),
            **actor_fields(actor), effective_date=day)

    # --- steps of one inspection -----------------------------------------------------

    def notify(self, campaign: str, unit: str, *, on_site: date, day: date,
               allow_non_working_day: bool = False,
               override: str | None = None) -> dict[str, Any]:
        def act(ins: Inspection, plan: Plan, actor: Actor) -> None:
            ins.notify(notice_date=day, on_site=on_site, rules=plan.rules,
                       calendar=plan.calendar(), actor=actor,
                       allow_non_working_day=allow_non_working_day,
                       bounds=_bounds(plan, override))

        return self._run(campaign, unit, Step.NOTIFY, act, day)

    def reschedule(self, campaign: str, unit: str, *, on_site: date, reason: str, day: date,
                   allow_non_working_day: bool = False,
                   override: str | None = None) -> dict[str, Any]:
        def act(ins: Inspection, plan: Plan, actor: Actor) -> None:
            ins.reschedule(day=day, on_site=on_site, reason=reason, rules=plan.rules,
                           calendar=plan.calendar(), actor=actor,
                           allow_non_working_day=allow_non_working_day,
                           bounds=_bounds(plan, override))

        return self._run(campaign, unit, Step.RESCHEDULE, act, day)

    def report(self, campaign: str, unit: str, *, day: date, attach: Sequence[str] = (),
               metrics_file: str | None = None) -> dict[str, Any]:
        metrics = (parse_metrics_text(read_text_file(metrics_file), metrics_file)
                   if metrics_file else None)
        blobs = read_attachments(attach)

        def act(ins: Inspection, plan: Plan, actor: Actor) -> None:
            ins.submit_report(day=day, actor=actor, metrics=metrics,
                              attachments=[b.reference() for b in blobs])

        return self._run(campaign, unit, Step.REPORT, act, day, attachments=blobs)

    def inspect(self, campaign: str, unit: str, *, day: date, surprise: bool = False,
                without_report: str | None = None, absent: Sequence[str] = (),
                approved_by: str | None = None, allow_non_working_day: bool = False,
                override: str | None = None) -> dict[str, Any]:
        plan = self._plan(campaign)
        for member in [*absent, *([approved_by] if approved_by else [])]:
            plan.member(member)

        def act(ins: Inspection, plan: Plan, actor: Actor) -> None:
            ins.inspect(day=day, surprise=surprise, report_waiver=without_report,
                        absent=list(absent), approved_by=approved_by or self.actor,
                        leader=plan.leader.id, rules=plan.rules, calendar=plan.calendar(),
                        actor=actor, allow_non_working_day=allow_non_working_day,
                        bounds=_bounds(plan, override))

        return self._run(campaign, unit, Step.INSPECT, act, day)

    def minutes(self, campaign: str, unit: str, *, day: date,
                attach: Sequence[str] = ()) -> dict[str, Any]:
        blobs = read_attachments(attach)

        def act(ins: Inspection, plan: Plan, actor: Actor) -> None:
            ins.sign_minutes(day=day, actor=actor, attachments=[b.reference() for b in blobs])

        return self._run(campaign, unit, Step.MINUTES, act, day, attachments=blobs)

    def conclude(self, campaign: str, unit: str, *, day: date, findings: Sequence[str] = (),
                 remediate_by: date | None = None) -> dict[str, Any]:
        """A deadline given on a day off ends on the next working day, as the default one
        does (Bộ luật Dân sự 2015, Điều 148); the row says so (`remediate_by_moved`)."""
        given = remediate_by
        if given is not None:
            remediate_by = working_day_from(given, self._plan(campaign).calendar(),
                                            "remediation_due")

        def act(ins: Inspection, plan: Plan, actor: Actor) -> None:
            ins.conclude(day=day, findings=list(findings), remediate_by=remediate_by,
                         rules=plan.rules, calendar=plan.calendar(), actor=actor)

        row = self._run(campaign, unit, Step.CONCLUDE, act, day)
        if given is not None and given != remediate_by:
            row["remediate_by_moved"] = {"from": given.isoformat(),
                                         "to": remediate_by.isoformat()}  # type: ignore[union-attr]
        return row

    def remediate(self, campaign: str, unit: str, *, findings: Sequence[int], day: date,
                  note: str | None = None, attach: Sequence[str] = ()) -> dict[str, Any]:
        blobs = read_attachments(attach)

        def act(ins: Inspection, plan: Plan, actor: Actor) -> None:
            ins.report_remediation(day=day, findings=list(findings), note=note, actor=actor,
                                   attachments=[b.reference() for b in blobs])

        return self._run(campaign, unit, Step.REMEDIATE, act, day, attachments=blobs)

    def cancel(self, campaign: str, unit: str, *, reason: str, day: date,
               override: str | None = None) -> dict[str, Any]:
        def act(ins: Inspection, plan: Plan, actor: Actor) -> None:
            ins.cancel(day=day, reason=reason, actor=actor, bounds=_bounds(plan, override))

        return self._run(campaign, unit, Step.CANCEL, act, day)

    def undo(self, campaign: str, unit: str, *, reason: str, day: date,
             void_documents: bool = False) -> dict[str, Any]:
        """Retract the latest step of one inspection; with `void_documents`, the documents
        issued from it (on or after its date) are recorded void in the same transaction."""
        plan = self._plan(campaign)
        unit_info = plan.unit(unit.strip().lower())
        inspection: Inspection = self.store.load(inspection_id(plan.code, unit_info.code))
        step = inspection.latest_step()
        if step is None:
            raise NothingToUndo(unit=unit_info.code)
        actor = authorize_change(plan, self.actor, step, unit_info.code)
        owner: Campaign = self.store.load(campaign_id(plan.code))
        issued = self._documents_of_latest_step(owner, inspection, step)
        if issued and not void_documents:
            raise DocumentNotVoided(step=step, symbols=[d["symbol"] for d in issued])
        inspection.retract(day=day, reason=reason, actor=actor)
        # The record restored is the one before the step, its deadlines derived under the
        # plan of that time: under an amended plan they are derived again (`Replanned`).
        inspection.replan(day=day, reason=reason, plan_version=owner.plan_version,
                          planned_on_site=unit_info.planned_on_site, rules=plan.rules,
                          calendar=plan.calendar(), actor=actor)
        for document in issued:
            owner.void_document(document, reason=reason, **actor_fields(actor),
                                effective_date=day)
        self.store.save_atomically(inspection, *([owner] if issued else []))
        row = status_row(inspection.record, unit_info.name, day)
        return {**row, "retracted_step": step, "voided": [d["symbol"] for d in issued]}

    def correct(self, campaign: str, unit: str, *, step: str, reason: str, day: date,
                change: Change, metrics_file: str | None = None) -> dict[str, Any]:
        """Correct the latest recorded `step` of one inspection (see domain/corrections.py)."""
        if metrics_file is not None:
            metrics = parse_metrics_text(read_text_file(metrics_file), metrics_file)
            change = replace(change, metrics=metrics)
        plan = self._plan(campaign)
        unit_info = plan.unit(unit.strip().lower())
        actor = authorize_change(plan, self.actor, step, unit_info.code, CORRECT)
        for member in change.absent or ():
            plan.member(member)
        if change.absent and actor.id != plan.leader.id:
            raise AbsenceCorrectedByLeader(absent=sorted(set(change.absent)),
                                           leader=plan.leader.id)
        inspection: Inspection = self.store.load(inspection_id(plan.code, unit_info.code))
        changes = inspection.correct(day=day, step=step, change=change, reason=reason,
                                     rules=plan.rules, calendar=plan.calendar(), actor=actor,
                                     dates=plan.dates)
        self.store.save_atomically(inspection)
        return {**status_row(inspection.record, unit_info.name, day), "corrected_step": step,
                "changes": changes}

    def _documents_of_latest_step(self, owner: Campaign, inspection: Inspection,
                                  step: str) -> list[dict[str, Any]]:
        """The documents in force made from the inspection's latest step: of the kind that
        step makes, for its unit (or, a schedule notice of several units, dated the
        step's day), made from facts read after the step was recorded."""
        kind = DOCUMENT_OF_STEP.get(step)
        if kind is None:
            return []
        stream = inspection_id(owner.code, inspection.unit)
        position = {int(v): int(p) for p, _, v, _, _ in self.store.stored_rows(streams=[stream])}
        recorded_at = position[inspection.steps[-1][0]]
        return [d for d in owner.documents
                if d["kind"] == kind and not d.get("void")
                and d.get("facts_through", 0) >= recorded_at
                and (d["unit"] == inspection.unit
                     or (d["unit"] is None and d["issued_on"] == inspection.last_date))]

    # --- the one way a step runs -----------------------------------------------------

    def _run(self, campaign: str, unit: str, step: Step, act: Act, as_of: date, *,
             attachments: Sequence[AttachmentBlob] = ()) -> dict[str, Any]:
        """Who may, the aggregate decides and records, one transaction saves."""
        plan = self._plan(campaign)
        unit_info = plan.unit(unit.strip().lower())
        actor = authorize(plan, self.actor, step.value, unit_info.code)
        inspection: Inspection = self.store.load(inspection_id(plan.code, unit_info.code))
        act(inspection, plan, actor)
        override = getattr(inspection.pending_events[-1], "override", None)
        self.store.save_atomically(inspection, attachments=attachments)
        row = status_row(inspection.record, unit_info.name, as_of)
        return {**row, "override": override} if override else row

    def _plan(self, code: str) -> Plan:
        key = code.strip().casefold()
        if key not in self._plans:
            campaign: Campaign | None = self.store.get(campaign_id(key))
            if campaign is None:
                raise UnknownCampaign(code=code)
            self._plans[key] = campaign.plan
        return self._plans[key]


def _bounds(plan: Plan, override: str | None) -> Bounds:
    """The plan's dates a step is held to, and the leader's override if given."""
    return Bounds(plan.dates, plan.leader.id, override)
