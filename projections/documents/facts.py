"""What each document says, gathered from what was recorded — and nothing else.

For one unit's document the facts are its inspection (the record its events add up to,
and the details of those events), the plan as imported and the documents already issued
(a minutes cites the schedule notice's number); for the results report they are the
views' `summary`, the figures the `summary` command shows. A fact not recorded stays a
marked blank in the document. `facts_through` is the log position they were read at:
the register records it, so a reviewer can tell which events a document was made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from docx.shared import Mm

from kiemtra.domain.campaign import Campaign
from kiemtra.domain.documents import (
    KINDS,
    DocumentNotReady,
    Issuer,
    Kind,
    UnitNotExpected,
    UnitRequired,
)
from kiemtra.domain.errors import UnknownCampaign
from kiemtra.domain.formats import document_date, format_number
from kiemtra.domain.ids import campaign_id, inspection_id
from kiemtra.domain.metrics import METRICS, PERCENT_METRICS
from kiemtra.domain.plan import LOCAL_LEVELS, Plan, Unit
from kiemtra.domain.vocabulary import RATES, WEEKDAYS_VI
from kiemtra.projections.documents.render import dmy, two_digits
from kiemtra.projections.documents.words import ROLE_NAMES
from kiemtra.workflow import EventStore

Context = dict[str, Any]
COMMITTEE = "ỦY BAN NHÂN DÂN"


@dataclass(frozen=True)
class Facts:
    """A document's facts, ready for its template, and the dates that bound its own."""

    kind: Kind
    plan: Plan
    unit: str | None
    context: Context
    default_date: date  # the date the document carries unless told otherwise
    earliest: date  # it may not be dated before the step it records
    facts_through: int


def gather(store: EventStore, summary: Any, code: str, kind: Kind, unit: str | None,
           day: date | None, today: date) -> Facts:
    """The facts of document `kind`; `summary(code, as_of)` gives the views' summary."""
    facts_through = store.head_position()  # a position (ids may have gaps), not a count
    campaign: Campaign | None = store.get(campaign_id(code.strip()))
    if campaign is None:
        raise UnknownCampaign(code=code)
    plan = campaign.plan
    info = KINDS[kind]
    if kind is Kind.RESULTS:
        if unit is not None:
            raise UnitNotExpected()
        return _results(plan, campaign, summary(plan.code, day or today), day or today,
                        facts_through)
    if unit is None and kind is not Kind.SCHEDULE:
        raise UnitRequired(kind=kind.value)
    if unit is None:
        return _campaign_schedule(store, plan, campaign, day, facts_through)
    found = plan.unit(unit.strip().lower())
    inspection = store.load(inspection_id(plan.code, found.code))
    record = inspection.record
    details = _event_details(store, inspection_id(plan.code, found.code))
    step_day = {Kind.SCHEDULE: record["notice_date"], Kind.MINUTES: record["inspected_on"],
                Kind.CONCLUSION: record["concluded_on"]}[kind]
    if step_day is None:
        raise DocumentNotReady(kind=kind.value, unit=found.code, step=info.step)
    if kind is Kind.SCHEDULE:
        context = _schedule_context(plan, [(found, record)], step_day)
    else:
        context = _unit_context(plan, campaign, kind, found, record, details)
    issued_on = day or step_day
    context.update(_common(plan, kind, issued_on, context.pop("recipient_units", [found])))
    _finish_tables(context)
    return Facts(kind, plan, found.code, context, step_day, step_day, facts_through)


# --- the parts every document has ------------------------------------------------------------


def _common(plan: Plan, kind: Kind, issued_on: date, units: list[Unit]) -> Context:
    paper = plan.paperwork
    committee = KINDS[kind].issuer is Issuer.COMMITTEE
    return {
        "plan": plan, "kind": kind.value, "issued_on": issued_on,
        "year": plan.period_start.year, "team_name": paper.team_name,
        "issuer_lines": _issuer_lines(plan, committee),
        "date_line": f"{plan.place_name}, {document_date(issued_on)}",
        "recipients": _recipients(plan, kind, units),
        "signatures": _signatures(plan, kind),
        "properties": {
            "title": f"{KINDS[kind].vi} — {plan.title}",
            "author": plan.authority if committee else f"{paper.team_name}, {plan.authority}",
            "created": datetime.combine(issued_on, time(0), UTC),
            "modified": datetime.combine(issued_on, time(0), UTC),
            "last_modified_by": "kiemtra",
        },
        "tables": {},
    }


def _issuer_lines(plan: Plan, committee: bool) -> list[tuple[str, bool]]:
    """The issuing body, ND 30 style: the parent body over the team (the team issues), or
    'ỦY BAN NHÂN DÂN' over 'XÃ …' in bold (the committee issues)."""
    if committee:
        return [(line, True) for line in _split_committee(plan.authority.upper())]
    parent = [(line, False) for line in _split_committee(plan.parent_body.upper())]
    return [*parent, (plan.paperwork.team_name.upper(), True)]


def _split_committee(name: str) -> list[str]:
    if name.startswith(COMMITTEE + " ") and len(name) > len(COMMITTEE) + 1:
        return [COMMITTEE, name[len(COMMITTEE) + 1:]]
    return [name]


def committee_short(plan: Plan) -> str:
    """'UBND xã', as Nơi nhận lists write the committee."""
    for level in LOCAL_LEVELS:
        if plan.locality.casefold().startswith(level + " "):
            return f"UBND {level}"
    return "UBND"


def _recipients(plan: Plan, kind: Kind, units: list[Unit]) -> list[str]:
    paper = plan.paperwork
    if kind is Kind.MINUTES:
        return []  # the minutes are kept by the two sides that sign them
    short = committee_short(plan)
    given = paper.recipients.get(kind.value)
    if given is not None:
        items = list(given)
    elif kind is Kind.RESULTS:
        items = ["Sở Nội vụ (để b/c)", f"Thường trực Đảng ủy {short.split(' ', 1)[-1]}",
                 f"Thường trực HĐND {short.split(' ', 1)[-1]}",
                 f"Chủ tịch, các Phó Chủ tịch {short}", f"Các cơ quan, đơn vị thuộc {short}"]
    elif kind is Kind.SCHEDULE:
        items = [u.name for u in units] + [f"Thành viên {paper.team_name}",
                                           f"Chủ tịch, các Phó Chủ tịch {short} (để b/c)"]
    else:
        items = [units[0].name, f"Chủ tịch, các Phó Chủ tịch {short} (để b/c)",
                 f"Thành viên {paper.team_name}"]
    return [f"- {item.rstrip(';.')};" for item in items] + [f"- Lưu: {paper.filing}."]


def _signatures(plan: Plan, kind: Kind) -> list[dict[str, Any]]:
    paper = plan.paperwork
    team = {"lines": [f"TM. {paper.team_name.upper()}", paper.leader_position.upper()],
            "name": plan.leader.name}
    if kind is Kind.RESULTS:
        signer = paper.committee_signer
        lines = [f"TM. {COMMITTEE}"]
        if signer.authority.upper() != lines[0]:
            lines.append(signer.authority.upper())
        return [{"lines": [*lines, signer.title.upper()], "name": signer.name}]
    if kind is Kind.MINUTES:
        secretary = plan.member(paper.secretary).name if paper.secretary else ""
        return [{"lines": ["ĐẠI DIỆN ĐƠN VỊ", "ĐƯỢC KIỂM TRA"], "name": ""},
                {"lines": ["THƯ KÝ"], "name": secretary}, team]
    return [team]


# --- one unit's documents -------------------------------------------------------------------


def _event_details(store: EventStore, stream: Any) -> dict[str, dict[str, Any]]:
    """The last event of each kind of this inspection, as recorded (what the record keeps
    only in part: the waiver's reason, who approved an absence)."""
    found: dict[str, dict[str, Any]] = {}
    for stored in store.events.get(stream):
        found[type(stored).__name__] = dict(stored.__dict__)
    return found


def _visit_time(plan: Plan) -> tuple[str, str, str]:
    hour, minute = plan.paperwork.visit_time.split(":")
    part = "sáng" if int(hour) < 12 else "chiều"
    return hour, minute, part


def _schedule_context(plan: Plan, visits: list[tuple[Unit, dict[str, Any]]],
                      notice_date: date) -> Context:
    hour, minute, part = _visit_time(plan)
    rows = []
    for i, (unit, record) in enumerate(visits, 1):
        day: date = record["on_site"]
        rows.append([str(i), f"{WEEKDAYS_VI[day.weekday()]},\nngày {dmy(day)},\nbuổi {part} "
                     f"(từ {hour} giờ {minute})", unit.name, unit.visit_place,
                     f"{plan.paperwork.team_name}; lãnh đạo và công chức phụ trách công tác "
                     "cải cách hành chính của đơn vị"])
    table = ((Mm(13), Mm(36), Mm(42), Mm(35), Mm(39)),
             ("STT", "Thời gian", "Đơn vị được kiểm tra", "Địa điểm", "Thành phần"), rows, ())
    return {
        "visits": [{"unit": u, "report_due": r["report_due"], "on_site": r["on_site"]}
                   for u, r in visits],
        "report_dues": sorted({r["report_due"] for _, r in visits}),
        "notice_date": notice_date, "tables_pending": {"visits": table},
        "recipient_units": [u for u, _ in visits],
    }


def _campaign_schedule(store: EventStore, plan: Plan, campaign: Campaign, day: date | None,
                       facts_through: int) -> Facts:
    """One notice for every unit notified on the same date: `day`, else the latest."""
    records = [(u, store.load(inspection_id(plan.code, u.code)).record) for u in plan.units]
    dates = sorted({r["notice_date"] for _, r in records if r["notice_date"] is not None})
    if not dates:
        raise DocumentNotReady(kind=Kind.SCHEDULE.value, unit=None, step="notify")
    chosen = day if day is not None else dates[-1]
    visits = sorted(((u, r) for u, r in records if r["notice_date"] == chosen),
                    key=lambda v: v[1]["on_site"])
    if not visits:
        raise DocumentNotReady(kind=Kind.SCHEDULE.value, unit=None, step="notify")
    context = _schedule_context(plan, visits, chosen)
    context.update(_common(plan, Kind.SCHEDULE, chosen, context.pop("recipient_units")))
    _finish_tables(context)
    return Facts(Kind.SCHEDULE, plan, None, context, chosen, chosen, facts_through)


def _report_sentence(record: dict[str, Any], details: dict[str, dict[str, Any]]) -> str:
    if record["surprise"]:
        return "Đây là cuộc kiểm tra đột xuất, đơn vị không gửi báo cáo trước khi kiểm tra."
    if record["report_waived"]:
        reason = details.get("Inspected", {}).get("report_waiver") or ""
        return f"Đơn vị được miễn gửi báo cáo trước khi kiểm tra (lý do: {reason})."
    if record["report_submitted_on"]:
        when = dmy(record["report_submitted_on"])
        late = (f", chậm so với thời hạn (ngày {dmy(record['report_due'])})"
                if record["report_late"] else ", đúng thời hạn")
        return f"Đơn vị đã gửi báo cáo phục vụ kiểm tra ngày {when}{late}."
    return "Đơn vị chưa gửi báo cáo phục vụ kiểm tra."


def _unit_context(plan: Plan, campaign: Campaign, kind: Kind, unit: Unit,
                  record: dict[str, Any], details: dict[str, dict[str, Any]]) -> Context:
    hour, minute, _ = _visit_time(plan)
    absent_ids = set(record["absent"])
    # the team of the visit: the plan in force that day (an amendment may since have
    # replaced a member)
    team = campaign.plan_on(record["inspected_on"]) if record["inspected_on"] else plan
    present = [_member(m) for m in team.team if m.id not in absent_ids]
    absent = [_member(m) for m in team.team if m.id in absent_ids]
    approved = details.get("Inspected", {}).get("absence_approved_by")
    findings = [{"number": f["number"], "text": f["text"], "remediate_by": f["remediate_by"]}
                for f in record["findings"]]
    schedule = campaign.latest_document(Kind.SCHEDULE.value, unit.code)
    minutes = campaign.latest_document(Kind.MINUTES.value, unit.code)
    context: Context = {
        "unit": unit, "rec": record, "present": present, "absent": absent,
        "approved_by": team.member(approved).name if approved else team.leader.name,
        "visit_hour": hour, "visit_minute": minute, "findings": findings,
        "remediation_due": max((f["remediate_by"] for f in findings), default=None),
        "report_sentence": _report_sentence(record, details),
        "schedule_symbol": schedule["symbol"] if schedule else None,
        "schedule_on": schedule["issued_on"] if schedule else None,
        "minutes_symbol": minutes["symbol"] if minutes else None,
        "minutes_on": minutes["issued_on"] if minutes else None,
        "figures": bool(record["metrics"]),
        "tables_pending": {"figures": _figures_table(record["metrics"] or {})},
    }
    return context


def _member(m: Any) -> dict[str, str]:
    return {"name": m.name, "title": m.title, "role_name": ROLE_NAMES[m.role.value]}


def _figures_table(figures: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    from kiemtra.domain.metrics import derived_rates

    rows: list[list[str]] = []
    for section, metrics in METRICS.items():
        for metric, label in metrics.items():
            value = figures.get(section, {}).get(metric)
            if value is not None:
                rows.append([str(len(rows) + 1), label, _figure(metric, value)])
    if figures:
        for rate, value in derived_rates(figures).items():
            if value is not None:
                rows.append([str(len(rows) + 1), RATES[rate][0],
                             f"{format_number(value, 'vi', 1)}%"])
    return ((Mm(12), Mm(118), Mm(35)), ("STT", "Chỉ tiêu", "Số liệu"), rows, (2,))


def _figure(metric: str, value: float) -> str:
    if metric in PERCENT_METRICS:
        return f"{format_number(value, 'vi', 1)}%"
    return format_number(value, "vi")


def _finish_tables(context: Context) -> None:
    context["tables"] = context.pop("tables_pending", {})


# --- the results report ---------------------------------------------------------------------


REPORT_WORDS = {"on_time": "gửi báo cáo đúng hạn", "late": "gửi báo cáo chậm hạn",
                "waived": "được miễn báo cáo", "none": "không gửi báo cáo (kiểm tra đột xuất)",
                "pending": "chưa gửi báo cáo"}


def _results(plan: Plan, campaign: Campaign, summary: dict[str, Any], issued_on: date,
             facts_through: int) -> Facts:
    units = summary["units"]
    inspected = [u for u in units if u["inspected"]]
    if not inspected:
        raise DocumentNotReady(kind=Kind.RESULTS.value, unit=None, step="inspect")
    earliest = max(date.fromisoformat(u["on_site"]) for u in inspected)
    t = summary["totals"]
    context: Context = {
        "t": t, "units": [{**u, "sentence": _unit_sentence(u)} for u in units],
        "surprise_names": [u["unit_name"] for u in units if u["surprise"]],
        "cancelled_names": [u["unit_name"] for u in units if u["state"] == "cancelled"],
        "not_inspected_names": [u["unit_name"] for u in units
                                if not u["inspected"] and u["state"] != "cancelled"],
        "late_names": [u["unit_name"] for u in units if u["report"] == "late"],
        "waived_names": [u["unit_name"] for u in units if u["report"] == "waived"],
        "figures": bool(t["figures"]),
    }
    context.update(_common(plan, Kind.RESULTS, issued_on, list(plan.units)))
    context["tables"] = {"figures": _figures_table(t["figures"] or {}),
                         "annex": _annex(units)}
    return Facts(Kind.RESULTS, plan, None, context, issued_on, earliest, facts_through)


def _unit_sentence(u: dict[str, Any]) -> str:
    if u["state"] == "cancelled":
        return "hủy kiểm tra."
    if not u["inspected"]:
        return "chưa kiểm tra."
    parts = [f"kiểm tra{' đột xuất' if u['surprise'] else ''} ngày "
             f"{dmy(date.fromisoformat(u['on_site']))}", REPORT_WORDS[u["report"]]]
    if u["findings_total"]:
        parts.append(f"{two_digits(u['findings_total'])} tồn tại, hạn chế (đã khắc phục "
                     f"{two_digits(u['findings_remediated'])}, còn "
                     f"{two_digits(u['findings_open'])})")
    elif u["state"] in ("concluded", "remediated"):
        parts.append("không có tồn tại, hạn chế")
    else:
        parts.append("chưa có thông báo kết luận")
    return "; ".join(parts) + "."


def _annex(units: list[dict[str, Any]]) -> tuple[Any, ...]:
    rows = []
    for i, u in enumerate(units, 1):
        on_site = dmy(date.fromisoformat(u["on_site"])) if u["inspected"] else "-"
        rates = u["rates"] or {}
        rows.append([str(i), u["unit_name"], on_site, _report_cell(u),
                     str(u["findings_total"]), str(u["findings_remediated"]),
                     str(u["findings_open"]), _rate(rates.get("on_time_rate")),
                     _rate(rates.get("online_rate"))])
    # on the annex's landscape page: 297 − 30 − 15 = 252 mm
    widths = (Mm(12), Mm(70), Mm(28), Mm(28), Mm(22), Mm(24), Mm(22), Mm(23), Mm(23))
    head = ("STT", "Đơn vị", "Ngày kiểm tra", "Báo cáo", "Tồn tại", "Đã khắc phục",
            "Còn lại", "Đúng hạn (%)", "Trực tuyến (%)")
    return widths, head, rows, (4, 5, 6, 7, 8)


def _report_cell(u: dict[str, Any]) -> str:
    return {"on_time": "Đúng hạn", "late": "Chậm hạn", "waived": "Được miễn",
            "none": "Đột xuất", "pending": "Chưa gửi"}[u["report"]] if u["inspected"] else "-"


def _rate(value: float | None) -> str:
    return "-" if value is None else format_number(value, "vi", 1)
