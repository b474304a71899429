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
}

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


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
}


def role_label(role: str, lang: str = "vi") -> str:
    return _pick(ROLES, str(role), lang)
