"""Status views read straight from the event log: campaigns, one row per inspection.

Each campaign's stream and its inspections' streams are loaded by their
deterministic ids; the campaign list comes from the notification log filtered
to the PlanImported topic.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from eventsourcing.utils import get_topic

from domain.campaign import Campaign
from domain.errors import UnknownCampaign
from domain.ids import campaign_id, inspection_id
from domain.inspection import Inspection
from domain.lifecycle import State
from domain.record import next_step, status_row
from workflow.store import EventStore

PAGE = 500


def campaigns(store: EventStore) -> Iterator[Campaign]:
    """Every campaign, in the order they were imported."""
    topic = get_topic(Campaign.PlanImported)  # type: ignore[attr-defined]
    start = None
    while True:
        page = store.recorder.select_notifications(start=start, limit=PAGE, topics=[topic],
                                                   inclusive_of_start=False)
        for notification in page:
            event = store.mapper.to_domain_event(notification)
            yield store.load(event.originator_id)
        if len(page) < PAGE:
            return
        start = page[-1].id


def campaign(store: EventStore, code: str) -> Campaign:
    found: Campaign | None = store.get(campaign_id(code.strip()))
    if found is None:
        raise UnknownCampaign(code=code)
    return found


def inspections(store: EventStore, camp: Campaign) -> Iterator[Inspection]:
    for unit in camp.plan.units:
        yield store.load(inspection_id(camp.code, unit.code))


def status(store: EventStore, as_of: date, code: str | None = None) -> list[dict[str, Any]]:
    """One row per inspection (of one campaign, or of all), with the contract's keys."""
    selected = [campaign(store, code)] if code else list(campaigns(store))
    rows = []
    for camp in selected:
        names = {u.code: u.name for u in camp.plan.units}
        rows += [status_row(ins.record, names[ins.unit], as_of) for ins in inspections(store, camp)]
    return rows


CONCLUDED = {State.CONCLUDED, State.REMEDIATED}


def campaign_list(store: EventStore, as_of: date) -> list[dict[str, Any]]:
    """Each campaign with its progress, open findings and late items."""
    result = []
    for camp in campaigns(store):
        plan = camp.plan
        items = list(inspections(store, camp))
        active = [i for i in items if i.state is not State.CANCELLED]
        overdue = 0
        for ins in items:
            _, deadline = next_step(ins.record)
            overdue += bool(deadline and as_of > deadline)
        result.append({
            "code": plan.code,
            "title": plan.title,
            "authority": plan.authority,
            "period_start": plan.period_start.isoformat(),
            "period_end": plan.period_end.isoformat(),
            "units": len(items),
            "cancelled": len(items) - len(active),
            "concluded": sum(i.state in CONCLUDED for i in active),
            "findings_open": sum(len(i.open_findings) for i in items),
            "overdue": overdue,
            "closed": all(next_step(i.record)[0] is None for i in items),
        })
    return result
