"""Rendering a reminder: formal Vietnamese, subject plus plain text and HTML.

Templates live in `notifications/templates/`, one pair per deadline kind, both
extending a base laid out like a commune office's letter. HTML is autoescaped;
the plain text is not (it is not HTML), and the subject is one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from kiemtra.domain.deadlines import days_left
from kiemtra.domain.formats import document_date
from kiemtra.domain.plan import Paperwork, plan_reference
from kiemtra.domain.vocabulary import DEADLINE_KINDS, WEEKDAYS_VI
from kiemtra.notifications.rules import Reminder

DEFAULT_PAPERWORK = Paperwork()  # what a plan without `[documents]` says (one home: plan.py)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def environment(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("kiemtra.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",)) if autoescape else False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def vn_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def weekday(day: date | None) -> str:
    """'thứ Hai' … 'chủ nhật': the day's name as running text writes it."""
    if not day:
        return ""
    name = WEEKDAYS_VI[day.weekday()]
    return name[:1].lower() + name[1:]


MISSED_ACTIONS = {
    "notice": "gửi Thông báo lịch kiểm tra (kiemtra notify) hoặc điều chỉnh kế hoạch (kiemtra "
              "plan amend); nếu không kiểm tra đơn vị, hủy cuộc kiểm tra (kiemtra cancel).",
    "report": "ghi nhận báo cáo đã nhận (kiemtra report), hoặc kiểm tra khi chưa có báo cáo "
              "và ghi rõ lý do (kiemtra inspect --without-report).",
    "on_site": "nếu đã kiểm tra, ghi nhận kết quả kiểm tra trực tiếp (kiemtra inspect); nếu "
               "lịch thay đổi, đổi lịch kiểm tra (kiemtra reschedule); nếu không kiểm tra, "
               "hủy cuộc kiểm tra (kiemtra cancel).",
    "minutes": "ghi nhận biên bản kiểm tra đã ký (kiemtra minutes).",
    "conclusion": "ban hành và ghi nhận Thông báo kết luận kiểm tra (kiemtra conclude).",
    "remediation": "đôn đốc đơn vị và ghi nhận báo cáo khắc phục khi nhận được (kiemtra "
                   "remediate).",
}
"""What the leader and the secretariat can do about a step whose day passed unrecorded."""


def context(reminder: Reminder, plan: Mapping[str, Any], record: Mapping[str, Any],
            today: date) -> dict[str, Any]:
    d = reminder.deadline
    unit = next(u for u in plan["units"] if u["code"] == d.unit)
    leader = next(m for m in plan["team"] if m["role"] == "leader")
    finding = next((f for f in record.get("findings", []) if f["number"] == d.finding), None)
    issued = plan.get("issued_on")
    issued_day = issued if isinstance(issued, date) or issued is None else date.fromisoformat(
        issued)
    plan_ref = plan_reference(plan.get("number") or "", issued_day)
    notice = (plan.get("rules") or {})
    notice_days = notice.get("notice_days", 5)
    notice_kind = "ngày làm việc" if notice.get("notice_day_kind") == "working" else "ngày"
    place = plan.get("place") or ""
    paper = plan.get("documents") or {}
    team_name = paper.get("team_name") or DEFAULT_PAPERWORK.team_name
    leader_position = paper.get("leader_position") or DEFAULT_PAPERWORK.leader_position
    title = plan["title"]
    return {
        "key": reminder.key, "campaign": d.campaign, "kind": d.kind, "stage": reminder.stage,
        "authority": plan["authority"], "plan_ref": plan_ref,
        "plan_title_lower": title[:1].lower() + title[1:],
        "place_date": (f"{place}, " if place else "") + document_date(today),
        "secretariat": plan["secretariat"], "leader": leader,
        "unit": {"code": unit["code"], "name": unit["name"], "head": unit.get("head", "")},
        "addressees": _addressees(reminder, plan, unit["name"], team_name, leader_position),
        "due": vn_date(d.due), "due_weekday": weekday(d.due),
        "days": abs(days_left(d.due, today)),
        "on_site": vn_date(record.get("on_site")),
        "on_site_weekday": weekday(record.get("on_site")),
        "planned_on_site": vn_date(record.get("planned_on_site")),
        "planned_weekday": weekday(record.get("planned_on_site")),
        "inspected_on": vn_date(record.get("inspected_on")),
        "concluded_on": vn_date(record.get("concluded_on")),
        "finding": finding or {"number": d.finding, "text": ""},
        "notice_rule": f"{notice_days} {notice_kind}",
        "team_name": team_name, "leader_position": leader_position,
        # a letter the leader receives is not signed by the leader
        "to_leader": bool({"leader", "team"} & set(reminder.roles)),
        "what": DEADLINE_KINDS[d.kind][0], "actions": MISSED_ACTIONS[d.kind],
    }


def _addressees(reminder: Reminder, plan: Mapping[str, Any], unit_name: str, team: str,
                leader_position: str) -> str:
    """Who the letter is addressed to, by role, as an office would write it."""
    names = []
    for role in reminder.roles:
        if role == "unit":
            names.append(unit_name)
        elif role == "secretariat":
            names.append(plan["secretariat"]["name"])
        elif role == "team":
            names.append("các thành viên Tổ kiểm tra")
        else:  # the plan does not say who is Ông and who is Bà: both, as offices write
            title = leader_position if role == "leader" else "Tổ phó"
            names += [f"Ông/Bà {m['name']}, {title} {team}" for m in plan["team"]
                      if m["role"] == role]
    return "; ".join(dict.fromkeys(names))


def render(reminder: Reminder, plan: Mapping[str, Any], record: Mapping[str, Any],
           today: date) -> Rendered:
    values = context(reminder, plan, record, today)
    name = "missed" if reminder.missed else reminder.deadline.kind
    text_template = environment(False).get_template(f"{name}.txt.j2")
    subject = "".join(text_template.blocks["subject"](text_template.new_context(values)))
    subject = " ".join(subject.split())
    values["subject"] = subject
    text = text_template.render(values)
    html = environment(True).get_template(f"{name}.html.j2").render(values)
    return Rendered(subject=subject, text=text, html=html)
