"""An event of the trail described in words, for the tables and the CSV of the trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from kiemtra.domain.errors import format_value
from kiemtra.domain.overrides import override_words


def describe(row: dict[str, Any], lang: str = "vi") -> str:
    """A short sentence of an event's details, for people."""
    d = row["details"]
    vi = lang == "vi"

    def day(key: str, source: dict[str, Any] | None = None) -> str:
        value = (source or d).get(key)
        return format_value(date.fromisoformat(value), lang) if value else "-"

    text = _describe(row, d, vi, day, lang)
    if d.get("override"):
        text += override_words(d["override"], lang)
    if row.get("corrected_by"):
        seqs = ", ".join(f"#{s}" for s in row["corrected_by"])
        text += f" — đã sửa ({seqs})" if vi else f" — corrected ({seqs})"
    if row.get("retracted_by"):
        text += (f" — đã thu hồi (#{row['retracted_by']})" if vi
                 else f" — retracted (#{row['retracted_by']})")
    return text


def _describe(row: dict[str, Any], d: dict[str, Any], vi: bool, day: Any, lang: str) -> str:
    match row["event"]:
        case "PlanImported":
            return (f"Kế hoạch {d['code']}, {d['units']} đơn vị" if vi
                    else f"Plan {d['code']}, {d['units']} units")
        case "Planned":
            return (f"Lịch dự kiến {day('planned_on_site')}" if vi
                    else f"Planned on-site {day('planned_on_site')}")
        case "NoticeIssued":
            return (f"Ngày kiểm tra {day('on_site')}; hạn nộp báo cáo {day('report_due')}" if vi
                    else f"On-site {day('on_site')}; report due {day('report_due')}")
        case "Rescheduled":
            return (f"Đổi ngày kiểm tra {day('previous_on_site')} → {day('on_site')}; "
                    f"hạn báo cáo {day('report_due')}; lý do: {d['reason']}" if vi
                    else f"On-site moved {day('previous_on_site')} → {day('on_site')}; "
                    f"report due {day('report_due')}; reason: {d['reason']}")
        case "ReportSubmitted":
            text = ("Nộp muộn" if d["late"] else "Đúng hạn") if vi else (
                "Late" if d["late"] else "On time")
            return text + _files(d, lang) + (
                ("; có số liệu báo cáo" if vi else "; with report figures") if d["metrics"]
                else "")
        case "Inspected":
            parts = []
            if d["surprise"]:
                parts.append("Kiểm tra đột xuất" if vi else "Surprise inspection")
            if d["report_waiver"]:
                parts.append(f"miễn báo cáo: {d['report_waiver']}" if vi
                             else f"report waived: {d['report_waiver']}")
            if d["absent"]:
                parts.append(("vắng: " if vi else "absent: ") + ", ".join(d["absent"]))
            parts.append(f"hạn kết luận {day('conclusion_due')}" if vi
                         else f"conclusion due {day('conclusion_due')}")
            return "; ".join(parts)
        case "MinutesSigned":
            return ("Biên bản đã ký" if vi else "Minutes signed") + _files(d, lang)
        case "Concluded":
            findings = d["findings"]
            if not findings:
                return "Không có tồn tại, hạn chế" if vi else "No findings"
            head = (f"{len(findings)} tồn tại, hạn khắc phục {day('remediate_by', findings[0])}"
                    if vi else
                    f"{len(findings)} findings, remediate by {day('remediate_by', findings[0])}")
            late = (" (kết luận muộn)" if vi else " (late)") if d["late"] else ""
            items = "; ".join(f"{f['number']}. {f['text']}" for f in findings)
            return f"{head}{late}: {items}"
        case "RemediationReported":
            nums = ", ".join(str(n) for n in d["findings"])
            text = f"Đã khắc phục tồn tại số {nums}" if vi else f"Findings {nums} remediated"
            if d["late_findings"]:
                text += " (muộn)" if vi else " (late)"
            if d["note"]:
                text += f"; {d['note']}"
            return text + _files(d, lang)
        case "DocumentIssued":
            from kiemtra.domain.documents import KINDS, Kind

            info = KINDS[Kind(d["kind"])]
            text = f"{info.vi} số {d['symbol']}" if vi else f"{info.en} {d['symbol']}"
            if d["replaces"]:
                text += (f" (thay thế số {d['replaces']})" if vi
                         else f" (replaces {d['replaces']})")
            return text + _files(d, lang)
        case "StepRetracted":
            from kiemtra.domain.vocabulary import state_label, step_label

            step = step_label(d["retracted_step"], lang)
            which = _entry(row, d["retracted_version"], vi)
            return (f"Thu hồi bước “{step}” ({which}), trở lại trạng "
                    f"thái “{state_label(d['state'], lang)}”; lý do: {d['reason']}" if vi else
                    f"Retracted the step '{step}' ({which}), back to "
                    f"'{state_label(d['state'], lang)}'; reason: {d['reason']}")
        case "Corrected":
            from kiemtra.domain.vocabulary import step_label

            step = step_label(d["corrected_step"], lang)
            what = "; ".join(change_text(c, lang) for c in d["changes"])
            which = _entry(row, d["corrected_version"], vi)
            return (f"Sửa bước “{step}” ({which}): {what}; lý do: "
                    f"{d['reason']}" if vi else f"Corrected the step '{step}' ({which}): "
                    f"{what}; reason: {d['reason']}")
        case "PlanAmended":
            what = "; ".join(amendment_text(c, lang) for c in d["changes"])
            return (f"Sửa đổi kế hoạch (lần {d['plan_version'] - 1}): {what}; lý do: "
                    f"{d['reason']}" if vi else f"Plan amended (amendment "
                    f"{d['plan_version'] - 1}): {what}; reason: {d['reason']}")
        case "Replanned":
            what = "; ".join(change_text(c, lang) for c in d["changes"])
            return (f"Tính lại hạn theo kế hoạch sửa đổi (lần {d['plan_version'] - 1}): "
                    f"{what}" if vi else f"Deadlines derived again under the amended plan "
                    f"(amendment {d['plan_version'] - 1}): {what}")
        case "Withdrawn":
            return (f"Bỏ khỏi kế hoạch (sửa đổi lần {d['plan_version'] - 1}); lý do: "
                    f"{d['reason']}" if vi else f"Removed from the plan (amendment "
                    f"{d['plan_version'] - 1}); reason: {d['reason']}")
        case "DocumentVoided":
            return (f"Văn bản số {d['symbol']} hết hiệu lực; lý do: {d['reason']}" if vi
                    else f"Document {d['symbol']} void; reason: {d['reason']}")
        case "Cancelled":
            return f"Lý do: {d['reason']}" if vi else f"Reason: {d['reason']}"
    return ", ".join(f"{k}={v}" for k, v in d.items())


def _entry(row: dict[str, Any], version: Any, vi: bool) -> str:
    """The entry a correction or retraction changes: its STT in the trail ('#12') when the
    rows read hold it, else the version of the unit's stream ('phiên bản 4')."""
    seq = row.get("target_seq")
    if seq is not None:
        return f"#{seq}"
    return f"phiên bản {version}" if vi else f"version {version}"


CHANGE_WORDS = {
    "effective_date": ("ngày", "date"), "metrics": ("số liệu báo cáo", "report figures"),
    "absent": ("vắng mặt", "absent"), "on_site": ("ngày kiểm tra", "on-site date"),
    "report_due": ("hạn báo cáo", "report due"),
    "conclusion_due": ("hạn kết luận", "conclusion due"),
    "text": ("nội dung", "text"), "remediate_by": ("hạn khắc phục", "remediate by"),
    "report_late": ("báo cáo muộn", "report late"),
    "conclusion_late": ("kết luận muộn", "conclusion late"),
    "planned_on_site": ("ngày kiểm tra dự kiến", "planned on-site date"),
    "notice_due": ("hạn thông báo", "notice due"),
}


def change_text(c: dict[str, Any], lang: str) -> str:
    """'ngày 27/08/2026 → 28/08/2026', 'hạn kết luận … (tính lại)'."""
    field = str(c["field"])
    if field.startswith("finding "):
        _, number, key = field.split(" ")
        label = (f"tồn tại {number}: {CHANGE_WORDS[key][0]}" if lang == "vi"
                 else f"finding {number}: {CHANGE_WORDS[key][1]}")
    else:
        label = CHANGE_WORDS[field][0 if lang == "vi" else 1]
    if field == "metrics":
        text = label
    else:
        text = f"{label} {_value(c['old'], lang)} → {_value(c['new'], lang)}"
    if c.get("derived"):
        text += " (tính lại)" if lang == "vi" else " (derived again)"
    return text


def _value(value: Any, lang: str) -> str:
    if value is None or value == []:
        return "-"
    if isinstance(value, date):
        return format_value(value, lang)
    if isinstance(value, bool):
        return ("có" if value else "không") if lang == "vi" else ("yes" if value else "no")
    if isinstance(value, list):
        return ", ".join(_value(v, lang).strip("“”") for v in value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return format_value(date.fromisoformat(value), lang)
        except ValueError:
            return value
    return f"“{value}”" if isinstance(value, str) else str(value)


def _files(details: dict[str, Any], lang: str) -> str:
    files = details.get("attachments") or []
    if not files:
        return ""
    names = ", ".join(f"{f['name']} (SHA-256 {f['sha256'][:12]}…)" for f in files)
    return ("; tệp đính kèm: " if lang == "vi" else "; attachments: ") + names


SECTION_WORDS = {
    "plan": ("kế hoạch", "plan"), "rules": ("quy tắc", "rule"), "calendar": ("lịch", "calendar"),
    "secretariat": ("cơ quan thường trực", "secretariat"), "team": ("thành viên", "member"),
    "units": ("đơn vị", "unit"), "documents": ("văn bản ([documents])", "documents"),
    "reminders": ("thư nhắc ([reminders])", "reminders"),
}
RULE_WORDS = {
    "notice": ("thông báo trước ngày kiểm tra", "notice before the visit"),
    "report_lead": ("nộp báo cáo trước ngày kiểm tra", "report before the visit"),
    "conclusion_within": ("kết luận trong", "conclusion within"),
    "remediation_within": ("khắc phục trong", "remediation within"),
}
AMEND_FIELDS = {
    "title": ("tên kế hoạch", "title"), "authority": ("cơ quan ban hành", "authority"),
    "place": ("địa danh", "place"), "number": ("số kế hoạch", "number"),
    "issued_on": ("ngày ban hành", "issued on"), "data_from": ("số liệu từ ngày", "data from"),
    "period_start": ("ngày bắt đầu", "period start"), "period_end": ("ngày kết thúc", "period end"),
    "basis": ("căn cứ", "basis"), "contents": ("nội dung", "contents"),
    "extra_days_off": ("ngày nghỉ thêm", "extra days off"),
    "extra_working_days": ("ngày làm bù", "extra working days"),
    "id": ("mã", "id"), "name": ("tên", "name"), "email": ("email", "email"),
    "role": ("vai trò", "role"), "title_member": ("chức vụ", "title"),
    "head": ("thủ trưởng", "head"), "planned_on_site": ("ngày kiểm tra dự kiến",
                                                        "planned on-site date"),
}


def amendment_text(c: dict[str, Any], lang: str) -> str:
    """'thêm đơn vị kt (Phòng Kinh tế)', 'quy tắc report_lead: 5 ngày làm việc → 3 …'."""
    vi = lang == "vi"
    section = SECTION_WORDS[c["section"]][0 if vi else 1]
    item = f" {c['item']}" if c["item"] and c["section"] != "secretariat" else ""
    if c["change"] == "added":
        return (f"thêm {section}{item} ({c['new']})" if vi
                else f"{section}{item} added ({c['new']})")
    if c["change"] == "removed":
        return (f"bỏ {section}{item} ({c['old']})" if vi
                else f"{section}{item} removed ({c['old']})")
    if c["section"] == "rules":
        rule = RULE_WORDS.get(c["item"], (c["item"], c["item"]))[0 if vi else 1]
        return f"{section} {rule}: {_span(c['old'], lang)} → {_span(c['new'], lang)}"
    if c["field"] is None:
        return f"sửa {section}" if vi else f"{section} changed"
    key = "title_member" if c["field"] == "title" and c["section"] == "team" else c["field"]
    label = AMEND_FIELDS.get(key, (key, key))[0 if vi else 1]
    return f"{section}{item}, {label}: {_value(c['old'], lang)} → {_value(c['new'], lang)}"


def _span(period: dict[str, Any], lang: str) -> str:
    from kiemtra.domain.vocabulary import period_words

    return period_words(int(period["days"]), str(period["kind"]), lang)
