"""The audit trail: every workflow event in recording order, with who, role and when.

Read from the event store itself (positions are the log's notification ids, the
same numbers `audit verify` names), decoded through the store's mapper so old
event versions are upcast. Names and roles come from the campaign's plan as it
was imported; an event from before roles were recorded (version 1) shows the
role the plan gives the actor, marked as not recorded. Reminder deliveries are
in the log and the hash chain, but not in this trail of people's steps.

The same rows are read from a bundle's events alone (`BundleLog`), for its review page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from kiemtra.domain import inspection  # noqa: F401  (its topics, for a bundle's events)
from kiemtra.domain.campaign import Campaign
from kiemtra.domain.errors import KiemtraError, UnknownCampaign
from kiemtra.domain.ids import campaign_id, inspection_id
from kiemtra.domain.plan import Plan, plan_from_record
from kiemtra.domain.record import EVENT_STEPS
from kiemtra.domain.roles import identify
from kiemtra.domain.topics import CAMPAIGN, INSPECTION, of_kinds
from kiemtra.projections.audit.errors import (
    UnknownEventName,
    UnknownUnitAnywhere,
    UnreadableRecord,
)
from kiemtra.projections.rows import jsonable
from kiemtra.workflow import VIETNAM, Database, open_store, transcoder

STEP_OF_EVENT = {"PlanImported": "import", "Planned": "plan", "DocumentIssued": "document",
                 "DocumentVoided": "document", "StepRetracted": "undo",
                 "Corrected": "correct", "PlanAmended": "amend", "Replanned": "replan",
                 "Withdrawn": "withdraw"} | {
    name: str(step) for name, step in EVENT_STEPS.items() if step is not None}
UNREADABLE = "Unreadable"
ENVELOPE = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor",
            "actor_role", "effective_date"}


@dataclass(frozen=True)
class AuditFilter:
    campaign: str | None = None
    unit: str | None = None
    actor: str | None = None
    since: date | None = None  # recorded on or after (date in Vietnam)
    until: date | None = None  # recorded on or before
    event: str | None = None  # an event name (NoticeIssued) or a step (notify)

    def events(self) -> set[str] | None:
        if self.event is None:
            return None
        wanted = self.event.strip().casefold()
        names = {n for n, step in STEP_OF_EVENT.items()
                 if wanted in (n.casefold(), step.casefold())}
        if not names:
            raise UnknownEventName(name=self.event, known=", ".join(STEP_OF_EVENT))
        return names


def read_trail(database: Database, where: AuditFilter = AuditFilter()) -> list[dict[str, Any]]:
    """The trail of `database`: empty if nothing was ever recorded there (no database),
    but a campaign asked for in a database that does not exist is an unknown one."""
    if not database.exists():
        if where.campaign:
            raise UnknownCampaign(code=where.campaign)
        return []
    store = open_store(database, write=False)
    try:
        return audit_rows(store, where)
    finally:
        store.close()


def history(database: Database, code: str, unit: str | None = None) -> list[dict[str, Any]]:
    """The timeline of a campaign (or one unit): its part of the trail, in recording order."""
    return read_trail(database, AuditFilter(campaign=code, unit=unit))


class StoredLog(Protocol):
    """Where the trail reads events from: the event store, or a bundle (`BundleLog`)."""

    @property
    def mapper(self) -> Mapper[UUID]: ...

    def get(self, aggregate_id: UUID) -> Any | None: ...

    def stored_rows(self, streams: Sequence[UUID] | None = None,
                    topics: Sequence[str] = ()) -> list[tuple[int, Any, Any, Any, Any]]: ...


class BundleLog:
    """A bundle's events (events.jsonl's lines by position) read as the trail reads the
    event store: decoded by the same mapper (old versions upcast), aggregates replayed
    from them, so a bundle is described in the same words with nothing but the bundle."""

    def __init__(self, events: Mapping[int, Mapping[str, Any]]) -> None:
        self.events = events
        self.mapper: Mapper[UUID] = Mapper(transcoder=transcoder())

    def stored_rows(self, streams: Sequence[UUID] | None = None,
                    topics: Sequence[str] = ()) -> list[tuple[int, Any, Any, Any, Any]]:
        wanted = set(streams) if streams is not None else None
        rows = []
        for position in sorted(self.events):
            line = self.events[position]
            stream = UUID(str(line["originator_id"]))
            if (stream in wanted) if wanted is not None else (
                    not topics or line["topic"] in topics):
                rows.append((position, stream, int(line["originator_version"]),
                             str(line["topic"]), str(line["state"]).encode("utf-8")))
        return rows

    def get(self, aggregate_id: UUID) -> Any | None:
        """The aggregate replayed from its events in the bundle (None: it has none)."""
        aggregate = None
        for _, stream, version, topic, payload in self.stored_rows([aggregate_id]):
            event: Any = self.mapper.to_domain_event(StoredEvent(stream, version, topic,
                                                                 payload))
            aggregate = event.mutate(aggregate)
        return aggregate


def audit_rows(store: StoredLog, where: AuditFilter = AuditFilter()) -> list[dict[str, Any]]:
    """The trail's rows that pass `where`, in recording order."""
    trail = _Trail(store)
    wanted_events = where.events()
    unit = where.unit.strip().lower() if where.unit else None
    rows = []
    for row in mark_changes(list(trail.rows(where.campaign, unit))):
        if row["event"] == UNREADABLE:  # always shown: it is what a reviewer must see
            rows.append(row)
            continue
        if unit is not None and row["unit"] != unit:
            continue
        if where.actor is not None and row["actor"] != where.actor.strip():
            continue
        if wanted_events is not None and row["event"] not in wanted_events:
            continue
        recorded_on = date.fromisoformat(row["recorded_on"])
        if where.since is not None and recorded_on < where.since:
            continue
        if where.until is not None and recorded_on > where.until:
            continue
        rows.append(row)
    if unit is not None and not any(u.code == unit for p in trail.all_plans()
                                     for u in p.units):
        raise UnknownUnitAnywhere(unit=where.unit)
    return rows


def mark_changes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A retracted or corrected step stays in the trail as first recorded, marked with the
    position of its retraction (`retracted_by`) or corrections (`corrected_by`, a list),
    keys present only on such rows, beside the retraction or correction itself, which is
    marked with the position of the entry it changes (`target_seq`)."""
    at: dict[tuple[str, str | None, int], dict[str, Any]] = {}
    for row in rows:
        if row["event"] == UNREADABLE:
            continue
        if row["event"] == "StepRetracted":
            retracted = at.get((row["campaign"], row["unit"],
                                int(row["details"]["retracted_version"])))
            if retracted is not None:
                retracted["retracted_by"] = row["seq"]
                row["target_seq"] = retracted["seq"]
        elif row["event"] == "Corrected":
            corrected = at.get((row["campaign"], row["unit"],
                                int(row["details"]["corrected_version"])))
            if corrected is not None:
                corrected.setdefault("corrected_by", []).append(row["seq"])
                row["target_seq"] = corrected["seq"]
        elif row["event"] in EVENT_STEPS:  # an inspection's own event
            at[(row["campaign"], row["unit"], int(row["version"]))] = row
    return rows


class _Trail:
    def __init__(self, store: StoredLog) -> None:
        self.store = store
        self.plans: dict[str, Plan] = {}  # the plan in force, by campaign
        self.earlier: dict[str, list[Plan]] = {}  # the versions before it
        self.streams: dict[UUID, tuple[str, str | None]] = {}  # id -> (campaign, unit)

    def know(self, plan: Plan) -> None:
        """A plan read (imported or amended): its units' streams stay known for good."""
        if plan.code in self.plans:
            self.earlier.setdefault(plan.code, []).append(self.plans[plan.code])
        self.plans[plan.code] = plan
        self.streams[campaign_id(plan.code)] = (plan.code, None)
        for u in plan.units:
            self.streams[inspection_id(plan.code, u.code)] = (plan.code, u.code)

    def all_plans(self) -> Iterator[Plan]:
        """Every version of every plan read."""
        yield from self.plans.values()
        for versions in self.earlier.values():
            yield from versions

    def rows(self, campaign: str | None, unit: str | None) -> Iterator[dict[str, Any]]:
        if campaign is not None:
            try:
                found: Campaign | None = self.store.get(campaign_id(campaign.strip()))
            except Exception as exc:  # the plan's stored bytes no longer decode
                if isinstance(exc, KiemtraError):
                    raise
                raise UnreadableRecord(code=campaign) from None
            if found is None:
                raise UnknownCampaign(code=campaign)
            self.know(found.plan)
            ids = [campaign_id(found.code)]  # the plan, and the documents issued
            if unit is not None and unit.strip().lower() in found.withdrawn:
                ids.append(inspection_id(found.code, unit.strip().lower()))
            elif unit is not None:
                ids.append(inspection_id(found.code, found.plan.unit(unit).code))
            else:
                ids += [inspection_id(found.code, code) for code in
                        [*(u.code for u in found.plan.units), *found.withdrawn]]
                for code in found.withdrawn:
                    self.streams[inspection_id(found.code, code)] = (found.code, code)
            stored = self.store.stored_rows(streams=ids)
        else:
            stored = self.store.stored_rows(topics=of_kinds(CAMPAIGN, INSPECTION))
        for stored_row in stored:
            yield self.row(*stored_row)

    def row(self, position: int, oid: Any, version: Any, topic: Any,
            payload: Any) -> dict[str, Any]:
        try:
            return self._row(position, oid, version, topic, payload)
        except Exception as exc:  # stored bytes that no longer make an event: show, go on
            if isinstance(exc, KiemtraError):
                raise
            return unreadable_row(position, topic, exc)

    def _row(self, position: int, oid: Any, version: Any, topic: Any,
             payload: Any) -> dict[str, Any]:
        stream = UUID(str(oid))
        event: Any = self.store.mapper.to_domain_event(
            StoredEvent(stream, int(version), str(topic), bytes(payload)))
        name = type(event).__name__
        if name in ("PlanImported", "PlanAmended"):
            self.know(plan_from_record(event.plan))
        code, unit = self.streams.get(stream, ("", None))
        if name in ("DocumentIssued", "DocumentVoided"):
            unit = event.unit  # a campaign's event, about one unit's document (or none)
        details = {k: v for k, v in event.__dict__.items() if k not in ENVELOPE}
        if name == "PlanImported":
            details = {"code": details["code"], "units": len(self.plans[details["code"]].units)}
        if name == "PlanAmended":  # the plan itself is read with `plan show --at`
            details = {k: v for k, v in details.items() if k != "plan"}
        if name in ("StepRetracted", "Corrected", "Replanned"):  # the views' business
            details = {k: v for k, v in details.items()
                       if k not in ("restored", "record", "steps")}
        recorded = event.timestamp.astimezone(VIETNAM)
        effective: date = event.effective_date
        role = getattr(event, "actor_role", None)
        name_in_plan, role_in_plan = self.who(code, event.actor)
        return {
            "seq": position,
            "recorded_at": event.timestamp.isoformat(),
            "recorded_on": recorded.date().isoformat(),
            "actor": event.actor,
            "actor_name": name_in_plan,
            "actor_role": role or role_in_plan,
            "role_recorded": role is not None,
            "campaign": code,
            "unit": unit,
            "event": name,
            "step": STEP_OF_EVENT.get(name, name),
            "version": event.originator_version,
            "effective_date": effective.isoformat(),
            "back_dated": effective < recorded.date(),
            "attachments": jsonable(details.get("attachments") or []),
            "details": jsonable(details),
        }

    def who(self, code: str, actor: str) -> tuple[str | None, str | None]:
        """The actor's name and role in the plan in force, else in the latest version
        that had them (a member replaced by an amendment keeps their name in the trail)."""
        plan = self.plans.get(code)
        if plan is None:
            return None, None
        for version in (plan, *reversed(self.earlier.get(code, ()))):
            try:
                found = identify(version, actor)
            except KiemtraError:
                continue
            return found.name, found.role.value
        return None, None


def unreadable_row(position: int, topic: Any, exc: Exception) -> dict[str, Any]:
    """A row for an event whose stored bytes no longer decode (shown whatever the filters)."""
    return {
        "seq": position, "recorded_at": None, "recorded_on": None, "actor": None,
        "actor_name": None, "actor_role": None, "role_recorded": False, "campaign": "",
        "unit": None, "event": UNREADABLE, "step": "unreadable", "version": None,
        "effective_date": None, "back_dated": False, "attachments": [],
        "details": {"topic": str(topic), "error": str(exc)[:200]},
    }
