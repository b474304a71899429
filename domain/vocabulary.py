"""The glossary as people read it: Vietnamese first, English on request.

Codes (state names, step names, event names, JSON keys) stay English; these
are the words printed next to them.
"""

from __future__ import annotations

STATES: dict[str, tuple[str, str]] = {
    "planned": ("Chưa thông báo", "planned"),
    "notified": ("Đã thông báo lịch", "notified"),
    "report_submitted": ("Đã nộp báo cáo", "report submitted"),
    "inspected": ("Đã kiểm tra trực tiếp", "inspected"),
    "minuted": ("Đã ký biên bản", "minutes signed"),
    "concluded": ("Đã có kết luận", "concluded"),
    "remediated": ("Đã khắc phục xong", "remediated"),
    "cancelled": ("Đã hủy", "cancelled"),
}

STEPS: dict[str, tuple[str, str]] = {
    "import": ("Nhập kế hoạch", "plan imported"),
    "plan": ("Lập lịch dự kiến", "planned"),
    "notify": ("Thông báo lịch kiểm tra", "schedule notice"),
    "reschedule": ("Đổi lịch kiểm tra", "reschedule"),
    "report": ("Nộp báo cáo", "report"),
    "inspect": ("Kiểm tra trực tiếp", "on-site inspection"),
    "minutes": ("Ký biên bản kiểm tra", "minutes"),
    "conclude": ("Thông báo kết luận", "conclusion"),
    "remediate": ("Báo cáo khắc phục", "remediation report"),
    "cancel": ("Hủy kiểm tra", "cancel"),
    "document": ("Ban hành văn bản", "document issued"),
    "undo": ("Thu hồi bước", "step retracted"),
    "correct": ("Sửa bước đã ghi", "step corrected"),
    "amend": ("Sửa đổi kế hoạch", "plan amended"),
    "replan": ("Tính lại hạn theo kế hoạch sửa đổi", "deadlines re-derived"),
    "withdraw": ("Bỏ khỏi kế hoạch", "removed from the plan"),
}

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
"""A weekday as a cell or at the start of a line: "Thứ Bảy"."""
WEEKDAYS_IN_TEXT = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
"""A weekday inside a sentence: "làm bù thứ Bảy 10/01/2026" (lower-case "thứ")."""
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_in_text(weekday: int, lang: str = "vi") -> str:
    """The name of a weekday (0 is Monday) inside a sentence."""
    return WEEKDAYS_IN_TEXT[weekday] if lang == "vi" else WEEKDAYS_EN[weekday]


def _pick(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    vi, en = table.get(code, (code, code))
    return vi if lang == "vi" else en


def state_label(state: str, lang: str = "vi") -> str:
    return _pick(STATES, str(state), lang)


def step_label(step: str, lang: str = "vi") -> str:
    return _pick(STEPS, str(step), lang)

ROLES: dict[str, tuple[str, str]] = {
    "leader": ("Tổ trưởng", "team leader"),
    "deputy": ("Tổ phó", "deputy leader"),
    "member": ("Thành viên Tổ kiểm tra", "team member"),
    "secretariat": ("Cơ quan thường trực", "secretariat"),
    "unit": ("Đơn vị được kiểm tra", "inspected unit"),
    "team": ("cả Tổ kiểm tra", "the whole team"),  # a reminder's recipients
}


def role_label(role: str, lang: str = "vi") -> str:
    return _pick(ROLES, str(role), lang)


def period_words(days: int, kind: str, lang: str = "vi") -> str:
    """'5 ngày làm việc', '1 working day', '30 calendar days': a rule's period in words."""
    working = kind == "working"
    if lang == "vi":
        return f"{days} {'ngày làm việc' if working else 'ngày'}"
    return f"{days} {'working' if working else 'calendar'} day{'' if days == 1 else 's'}"


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Vietnamese or the English of a (vi, en) pair."""
    return pair[0] if lang == "vi" else pair[1]


DEADLINE_KINDS: dict[str, tuple[str, str]] = {
    "notice": ("Thông báo lịch kiểm tra", "schedule notice"),
    "report": ("Nộp báo cáo", "unit report"),
    "on_site": ("Kiểm tra trực tiếp", "on-site inspection"),
    "minutes": ("Ký biên bản", "minutes"),
    "conclusion": ("Thông báo kết luận", "conclusion"),
    "remediation": ("Báo cáo khắc phục", "remediation report"),
}
"""What must be done by each kind of deadline (`due`, reminders)."""

DEADLINE_KINDS_SHORT: dict[str, tuple[str, str]] = {
    "notice": ("thông báo lịch", "notice"), "report": ("báo cáo", "report"),
    "on_site": ("lịch kiểm tra", "on-site visit"), "minutes": ("biên bản", "minutes"),
    "conclusion": ("kết luận", "conclusion"), "remediation": ("khắc phục", "remediation"),
}
"""The same, in a word (the list of failed reminders)."""

RESPONSIBLE: dict[str, tuple[str, str]] = {
    "team": ("Tổ kiểm tra", "the inspection team"),
    "leader": ("Tổ trưởng", "team leader"),
}
"""Who acts on a deadline, when it is not a named unit or the secretariat."""

REPORT_STATUS: dict[str, tuple[str, str]] = {
    "on_time": ("đúng hạn", "on time"), "late": ("muộn", "late"),
    "waived": ("được miễn", "waived"), "none": ("không yêu cầu", "not required"),
    "pending": ("chưa nộp", "pending"),
}
"""How a unit's report stands, in the secretariat's summary."""

RATES: dict[str, tuple[str, str]] = {
    "on_time_rate": ("Tỷ lệ hồ sơ giải quyết đúng hạn", "On-time rate"),
    "online_rate": ("Tỷ lệ hồ sơ trực tuyến", "Online rate"),
    "task_completion_rate": ("Tỷ lệ hoàn thành nhiệm vụ", "Task completion"),
    "feedback_resolution_rate": ("Tỷ lệ giải quyết phản ánh, kiến nghị",
                                 "Feedback resolution"),
}
"""The rates derived from the report figures (`metrics.RATES`)."""

HEADINGS: dict[str, tuple[str, str]] = {
    # kiemtra campaigns
    "code": ("Mã", "Code"), "title": ("Tên kế hoạch", "Title"),
    "period": ("Thời gian", "Period"), "concluded": ("Đã kết luận", "Concluded"),
    "findings_open": ("Tồn tại mở", "Open findings"), "overdue": ("Quá hạn", "Overdue"),
    "late_steps": ("Bước muộn", "Late steps"), "closed": ("Hoàn thành", "Closed"),
    # kiemtra status
    "unit": ("Đơn vị", "Unit"), "state": ("Trạng thái", "State"),
    "on_site": ("Ngày kiểm tra", "On-site"), "report_due": ("Hạn báo cáo", "Report due"),
    "report": ("Báo cáo", "Report"), "next_step": ("Bước tiếp theo", "Next step"),
    "due": ("Hạn", "Due"), "note": ("Ghi chú", "Note"),
    # kiemtra due
    "weekday": ("Thứ", "Day"), "left": ("Còn", "Left"), "campaign": ("Kế hoạch", "Campaign"),
    "what": ("Việc phải làm", "What"), "responsible": ("Người chịu trách nhiệm", "Responsible"),
    # kiemtra summary
    "findings": ("Tồn tại", "Findings"), "remediated": ("Đã khắc phục", "Remediated"),
    "open": ("Còn mở", "Open"), "late_fixes": ("Khắc phục muộn", "Late fixes"),
    "on_time_pct": ("Hồ sơ đúng hạn %", "On-time %"),
    "online_pct": ("Hồ sơ trực tuyến %", "Online %"),
    "metric": ("Chỉ tiêu", "Metric"), "value": ("Giá trị", "Value"),
    # kiemtra history, kiemtra audit
    # "STT" is a row's number in its list; an entry's place in the log is its "Vị trí", the
    # word `audit verify` uses (the two differ once the trail is filtered)
    "seq": ("Vị trí", "Position"), "effective": ("Ngày thực hiện", "Effective"),
    "recorded": ("Thời điểm ghi (giờ VN)", "Recorded at (UTC+7)"),
    "actor": ("Người thực hiện", "Actor"), "role": ("Vai trò", "Role"),
    "campaign_unit": ("Kế hoạch/Đơn vị", "Campaign/Unit"), "step": ("Bước", "Step"),
    "details": ("Chi tiết", "Details"), "contents": ("Nội dung", "Details"),
    # kiemtra documents
    "symbol": ("Số, ký hiệu", "Number"), "issued_on": ("Ngày", "Date"),
    "kind": ("Loại văn bản", "Document"), "issued_by": ("Người ban hành", "Issued by"),
    # kiemtra plan show
    "name": ("Họ và tên", "Name"), "unit_name": ("Tên đơn vị", "Unit name"),
    "email": ("Email", "Email"), "deadline": ("Thời hạn", "Deadline"),
    "planned": ("Lịch dự kiến", "Planned"), "stages": ("Khi nhắc", "When"),
    "to": ("Gửi tới", "To"),
    # kiemtra calendar
    "date": ("Ngày", "Date"), "day_type": ("Loại ngày", "Type"),
    "holiday": ("Nội dung", "What"), "source": ("Căn cứ", "Source"),
    # files for a spreadsheet (--format xlsx, audit --format csv)
    "no": ("STT", "No."), "back_dated": ("Ghi lùi ngày", "Back-dated"),
    "attachments": ("Tệp đính kèm (tên, mã SHA-256)", "Attachments (name, SHA-256)"),
    "finding_no": ("Số thứ tự tồn tại", "Finding no."),
    "finding": ("Nội dung tồn tại, hạn chế", "Finding"),
    "remediate_by": ("Hạn khắc phục", "Remediate by"),
    "remediated_on": ("Ngày báo cáo khắc phục", "Remediation reported on"),
}
"""The column headings of the command line's tables."""

TOTALS: dict[str, tuple[str, str]] = {
    "units": ("Số đơn vị được kiểm tra", "Units"),
    "inspected": ("Đã kiểm tra trực tiếp", "Inspected"),
    "surprise": ("Trong đó kiểm tra đột xuất", "Of which surprise inspections"),
    "concluded": ("Đã có kết luận", "Concluded"),
    "reports_on_time": ("Báo cáo đúng hạn", "Reports on time"),
    "reports_late": ("Báo cáo muộn", "Reports late"),
    "reports_waived": ("Được miễn báo cáo", "Reports waived"),
    "findings_total": ("Tồn tại, hạn chế", "Findings"),
    "findings_remediated": ("Đã khắc phục", "Findings remediated"),
    "findings_open": ("Còn phải khắc phục", "Findings open"),
}
"""The summary's totals, one line each (the figures sheet of `summary --format xlsx`)."""
