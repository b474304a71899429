"""An event of the trail described in words, for the tables and the CSV of the trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from kiemtra.domain.errors import format_value


def describe(row: dict[str, Any], lang: str = "vi") -> str:
    """A short sentence of an event's details, for people."""
    d = row["details"]
    vi = lang == "vi"

    def day(key: str, source: dict[str, Any] | None = None) -> str:
        value = (source or d).get(key)
        return format_value(date.fromisoformat(value), lang) if value else "-"

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
        case "Cancelled":
            return f"Lý do: {d['reason']}" if vi else f"Reason: {d['reason']}"
    return ", ".join(f"{k}={v}" for k, v in d.items())


def _files(details: dict[str, Any], lang: str) -> str:
    files = details.get("attachments") or []
    if not files:
        return ""
    names = ", ".join(f"{f['name']} (SHA-256 {f['sha256'][:12]}…)" for f in files)
    return ("; tệp đính kèm: " if lang == "vi" else "; attachments: ") + names
