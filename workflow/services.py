"""One method per use case: load the aggregates, let the lifecycle and the domain
decide, save the new events in one transaction. A refusal raises before the save,
so a refused command writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kiemtra.domain.campaign import Campaign
from kiemtra.domain.errors import CampaignExists, UnknownCampaign, UnreadableFile
from kiemtra.domain.ids import campaign_id, inspection_id
from kiemtra.domain.inspection import Inspection
from kiemtra.domain.lifecycle import State, Step, StepFacts
from kiemtra.domain.metrics import parse_metrics_text
from kiemtra.domain.plan import Plan, parse_plan_text
from kiemtra.domain.record import status_row
from kiemtra.domain.roles import IMPORT, Actor, actor_fields, authorize
from kiemtra.domain.rules import latest_notice
from kiemtra.domain.text import clean_text
from kiemtra.workflow.lifecycle import advance
from kiemtra.workflow.store import AttachmentBlob, EventStore

Act = Callable[[Inspection, State, Plan, Actor], None]


def read_text_file(path: str | Path) -> str:
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(path=str(path), reason=getattr(exc, "strerror", None) or exc) \
            from None


def read_attachments(paths: Sequence[str | Path]) -> list[AttachmentBlob]:
    blobs = []
    for path in paths:
        try:
            blobs.append(AttachmentBlob(name=Path(path).name, content=Path(path).read_bytes()))
        except OSError as exc:
            raise UnreadableFile(path=str(path), reason=exc.strerror or exc) from None
    return blobs


@dataclass
class Workflow:
    """The team leader's commands, run as `actor` against one event store."""

    store: EventStore
    actor: str

    def __post_init__(self) -> None:
        self.actor = clean_text("--actor", self.actor)
        self._plans: dict[str, Plan] = {}

    # --- plan ------------------------------------------------------------------------

    def import_plan(self, text: str, source: str, today: date) -> Plan:
        return self.import_parsed(parse_plan_text(text, source), today)

    def import_parsed(self, plan: Plan, today: date) -> Plan:
        """Record a plan already validated (the CLI validates before opening a database)."""
        actor = authorize(plan, self.actor, IMPORT)
        if self.store.get(campaign_id(plan.code)) is not None:
            raise CampaignExists(code=plan.code)
        calendar = plan.calendar()
        campaign = Campaign(code=plan.code, plan=plan.source, **actor_fields(actor),
                            effective_date=today)
        inspections = [
            Inspection(
                campaign=plan.code,
                unit=unit.code,
                planned_on_site=unit.planned_on_site,
                notice_due=(latest_notice(unit.planned_on_site, plan.rules, calendar)
                            if unit.planned_on_site else None),
                **actor_fields(actor),
                effective_date=today,
            )
            for unit in plan.units
        ]
        self.store.save_atomically(campaign, *inspections)
        return plan

    # --- steps of one inspection -----------------------------------------------------

    def notify(self, campaign: str, unit: str, *, on_site: date, day: date,
               allow_non_working_day: bool = False) -> dict[str, Any]:
        def act(ins: Inspection, to: State, plan: Plan, actor: Actor) -> None:
            ins.notify(to=to, notice_date=day, on_site=on_site, rules=plan.rules,
                       calendar=plan.calendar(), actor=actor,
                       allow_non_working_day=allow_non_working_day)

        return self._run(campaign, unit, Step.NOTIFY, act, day)

    def reschedule(self, campaign: str, unit: str, *, on_site: date, reason: str, day: date,
                   allow_non_working_day: bool = False) -> dict[str, Any]:
        def act(ins: Inspection, to: State, plan: Plan, actor: Actor) -> None:
            ins.reschedule(to=to, day=day, on_site=on_site, reason=reason, rules=plan.rules,
                           calendar=plan.calendar(), actor=actor,
                           allow_non_working_day=allow_non_working_day)

        return self._run(campaign, unit, Step.RESCHEDULE, act, day)

    def report(self, campaign: str, unit: str, *, day: date, attach: Sequence[str] = (),
               metrics_file: str | None = None) -> dict[str, Any]:
        metrics = (parse_metrics_text(read_text_file(metrics_file), metrics_file)
                   if metrics_file else None)
        blobs = read_attachments(attach)

        def act(ins: Inspection, to: State, plan: Plan, actor: Actor) -> None:
            ins.submit_report(to=to, day=day, actor=actor, metrics=metrics,
                              attachments=[b.reference() for b in blobs])

        return self._run(campaign, unit, Step.REPORT, act, day, attachments=blobs)

    def inspect(self, campaign: str, unit: str, *, day: date, surprise: bool = False,
                without_report: str | None = None, absent: Sequence[str] = (),
                approved_by: str | None = None,
                allow_non_working_day: bool = False) -> dict[str, Any]:
        plan = self._plan(campaign)
        for member in [*absent, *([approved_by] if approved_by else [])]:
            plan.member(member)
        facts = StepFacts(is_surprise=surprise, report_waived=without_report is not None)

        def act(ins: Inspection, to: State, plan: Plan, actor: Actor) -> None:
            ins.inspect(to=to, day=day, surprise=surprise, report_waiver=without_report,
                        absent=list(absent), approved_by=approved_by or self.actor,
                        leader=plan.leader.id, rules=plan.rules, calendar=plan.calendar(),
                        actor=actor, allow_non_working_day=allow_non_working_day)

        return self._run(campaign, unit, Step.INSPECT, act, day, facts=lambda _: facts)

    def minutes(self, campaign: str, unit: str, *, day: date,
                attach: Sequence[str] = ()) -> dict[str, Any]:
        blobs = read_attachments(attach)

        def act(ins: Inspection, to: State, plan: Plan, actor: Actor) -> None:
            ins.sign_minutes(to=to, day=day, actor=actor,
                             attachments=[b.reference() for b in blobs])

        return self._run(campaign, unit, Step.MINUTES, act, day, attachments=blobs)

    def conclude(self, campaign: str, unit: str, *, day: date, findings: Sequence[str] = (),
                 remediate_by: date | None = None) -> dict[str, Any]:
        def act(ins: Inspection, to: State, plan: Plan, actor: Actor) -> None:
            ins.conclude(to=to, day=day, findings=list(findings), remediate_by=remediate_by,
                         rules=plan.rules, calendar=plan.calendar(), actor=actor)

        return self._run(campaign, unit, Step.CONCLUDE, act, day)

    def remediate(self, campaign: str, unit: str, *, findings: Sequence[int], day: date,
                  note: str | None = None, attach: Sequence[str] = ()) -> dict[str, Any]:
        blobs = read_attachments(attach)

        def facts(ins: Inspection) -> StepFacts:
            return StepFacts(has_open_findings=bool(ins.open_findings),
                             closes_all_findings=ins.closes_all_findings(list(findings)))

        def act(ins: Inspection, to: State, plan: Plan, actor: Actor) -> None:
            ins.report_remediation(to=to, day=day, findings=list(findings), note=note,
                                   actor=actor, attachments=[b.reference() for b in blobs])

        return self._run(campaign, unit, Step.REMEDIATE, act, day, facts=facts,
                         attachments=blobs)

    def cancel(self, campaign: str, unit: str, *, reason: str, day: date) -> dict[str, Any]:
        def act(ins: Inspection, to: State, plan: Plan, actor: Actor) -> None:
            ins.cancel(to=to, day=day, reason=reason, actor=actor)

        return self._run(campaign, unit, Step.CANCEL, act, day)

    # --- the one way a step runs -----------------------------------------------------

    def _run(
        self,
        campaign: str,
        unit: str,
        step: Step,
        act: Act,
        as_of: date,
        *,
        facts: Callable[[Inspection], StepFacts] = lambda _: StepFacts(),
        attachments: Sequence[AttachmentBlob] = (),
    ) -> dict[str, Any]:
        plan = self._plan(campaign)
        unit_info = plan.unit(unit.strip().lower())
        actor = authorize(plan, self.actor, step.value, unit_info.code)
        inspection: Inspection = self.store.load(inspection_id(plan.code,
                                                                         unit_info.code))
        to = advance(inspection.state, step, facts(inspection), report_due=inspection.report_due)
        act(inspection, to, plan, actor)
        self.store.save_atomically(inspection, attachments=attachments)
        return status_row(inspection.record, unit_info.name, as_of)

    def _plan(self, code: str) -> Plan:
        key = code.strip().casefold()
        if key not in self._plans:
            campaign: Campaign | None = self.store.get(campaign_id(key))
            if campaign is None:
                raise UnknownCampaign(code=code)
            self._plans[key] = campaign.plan
        return self._plans[key]
