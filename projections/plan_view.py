"""A campaign's plan as it stands (or as it stood at a moment), for `kiemtra plan show`.

Read from the campaign's own events, so `--at` gives the plan a reader saw then: the
events recorded until that moment count, as for `status --at`. What each field means,
with every default applied, comes from the domain's `Plan`; the reminder rules are
passed in by the caller (the notifications layer owns their defaults).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from kiemtra.domain.errors import InvalidInput, UnknownCampaign
from kiemtra.domain.ids import campaign_id
from kiemtra.domain.plan import RULE_KEYS, Plan, plan_from_record
from kiemtra.projections.rows import jsonable
from kiemtra.workflow import VIETNAM, Database, open_store

Reminders = Callable[[Mapping[str, Any]], list[dict[str, Any]]]


class CampaignNotYetImported(InvalidInput):
    rule = "campaign_at"
    vi = "Kế hoạch “{code}” chưa được nhập vào thời điểm {at} (nhập lúc {imported_at})."
    en = "Campaign '{code}' was not imported yet at {at} (imported at {imported_at})."


def plan_record(database: Database, code: str, at: datetime | None = None
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the stored record of the plan in force, who imported it and when, and its last
    amendment if any), as of `at` if given."""
    if not database.exists():
        raise UnknownCampaign(code=code)
    store = open_store(database, write=False)
    try:
        events: list[Any] = list(store.events.get(campaign_id(code.strip())))
    finally:
        store.close()
    if not events:
        raise UnknownCampaign(code=code)
    first = events[0]
    if at is not None and first.timestamp > at:
        raise CampaignNotYetImported(code=first.code, at=_moment(at),
                                     imported_at=_moment(first.timestamp))
    versions = [e for e in events if hasattr(e, "plan") and (at is None or e.timestamp <= at)]
    latest = versions[-1]
    amended = None if latest is first else {
        "version": latest.plan_version, "amended_by": latest.actor,
        "amended_on": latest.effective_date, "reason": latest.reason,
        "recorded_at": latest.timestamp.isoformat()}
    return latest.plan, {"imported_by": first.actor, "imported_on": first.effective_date,
                         "recorded_at": first.timestamp.isoformat(), "version": len(versions),
                         "amended": amended}


def _moment(at: datetime) -> tuple[str, str]:
    """A moment in Vietnam's time: (DD/MM/YYYY HH:MM, ISO) for the two languages."""
    local = at.astimezone(VIETNAM)
    return f"{local:%d/%m/%Y %H:%M}", local.isoformat(timespec="minutes")


def plan_view(database: Database, code: str, reminders: Reminders,
              at: datetime | None = None) -> dict[str, Any]:
    """The plan with every default applied, as JSON-ready data."""
    record, imported = plan_record(database, code, at)
    plan = plan_from_record(record)
    shown: dict[str, Any] = jsonable({**_fields(plan), **imported,
                                      "reminders": reminders(record)})
    return shown


def _fields(plan: Plan) -> dict[str, Any]:
    paper = plan.paperwork
    return {
        "campaign": plan.code, "title": plan.title, "authority": plan.authority,
        "place": plan.place_name, "number": plan.number, "issued_on": plan.issued_on,
        "period": {"start": plan.period_start, "end": plan.period_end},
        "data_from": plan.data_from, "basis": list(plan.basis), "contents": list(plan.contents),
        "rules": {name: {"days": period.days, "kind": str(period.kind)}
                  for name, period in ((n, getattr(plan.rules, n)) for n in RULE_KEYS)},
        "calendar": {"extra_days_off": list(plan.extra_days_off),
                     "extra_working_days": list(plan.extra_working_days)},
        "secretariat": {"id": plan.secretariat.id, "name": plan.secretariat.name,
                        "email": plan.secretariat.email},
        "team": [{"id": m.id, "role": m.role.value, "name": m.name, "title": m.title,
                  "email": m.email} for m in plan.team],
        "units": [{"code": u.code, "name": u.name, "head": u.head, "email": u.email,
                   "planned_on_site": u.planned_on_site, "place": u.visit_place}
                  for u in plan.units],
        "documents": {
            "parent_body": plan.parent_body, "team_name": paper.team_name,
            "team_symbol": paper.team_symbol, "body_symbol": paper.body_symbol,
            "series": paper.series, "leader_position": paper.leader_position,
            "committee_signer": asdict(paper.committee_signer), "secretary": paper.secretary,
            "visit_time": paper.visit_time, "filing": paper.filing,
            "recipients": {k: list(v) for k, v in paper.recipients.items()}},
    }


def calendar_view(year: int, database: Database | None = None,
                  code: str | None = None) -> dict[str, Any]:
    """`kiemtra calendar YEAR [CAMPAIGN]`: the year's days off and worked weekend days,
    each named and with its source, under the campaign's own [calendar] table if one is
    given; whether the year is announced, and by which notice."""
    from kiemtra.domain.calendar import WorkingCalendar, announced_days
    from kiemtra.domain.vocabulary import WEEKDAYS_VI

    campaign = None
    calendar = WorkingCalendar()
    if code is not None:
        assert database is not None
        plan = plan_from_record(plan_record(database, code)[0])
        campaign, calendar = plan.code, plan.calendar()
    announced = announced_days()
    notice = announced.years.get(year)
    return {
        "year": year, "campaign": campaign, "announced": notice is not None,
        "estimated": notice is None, "announcement": notice[0] if notice else None,
        "announcement_en": notice[1] if notice else None,
        "last_announced": max(announced.years, default=None),
        "days": [{"date": d.day.isoformat(), "weekday": WEEKDAYS_VI[d.day.weekday()],
                  "working": d.working, "name": d.name[0], "name_en": d.name[1],
                  "source": str(d.source)} for d in calendar.year(year)],
    }
