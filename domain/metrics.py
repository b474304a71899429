"""Report figures (số liệu báo cáo theo Đề cương): validation and derived rates.

The metric ids and the consistency rules are those of the secretariat's
report outline (see the example `report-metrics-hcc.toml`). A unit may leave
out a whole section or single metrics it does not track; a rule is checked
whenever its total and at least one of its parts are given.
"""

from __future__ import annotations

from typing import Any

from kiemtra.domain.errors import InvalidMetrics, Problem
from kiemtra.domain.toml_file import load_toml

# section -> metric id -> Vietnamese label
METRICS: dict[str, dict[str, str]] = {
    "direction": {
        "plan_tasks_total": "Tổng số nhiệm vụ trong kế hoạch",
        "plan_tasks_done": "Số nhiệm vụ đã hoàn thành",
        "plan_tasks_in_progress": "Số nhiệm vụ đang thực hiện",
        "assigned_tasks_total": "Nhiệm vụ cấp trên giao: tổng số",
        "assigned_tasks_on_time": "Nhiệm vụ cấp trên giao đã hoàn thành đúng hạn",
        "assigned_tasks_done_late": "Nhiệm vụ cấp trên giao đã hoàn thành nhưng quá hạn",
        "assigned_tasks_overdue_open": "Nhiệm vụ cấp trên giao quá hạn nhưng chưa hoàn thành",
    },
    "procedures": {
        "records_received": "Tổng số hồ sơ TTHC tiếp nhận",
        "records_resolved": "Số hồ sơ đã giải quyết",
        "records_resolved_on_time": "Số hồ sơ đã giải quyết đúng hạn",
        "records_overdue": "Số hồ sơ quá hạn",
        "records_online": "Số hồ sơ trực tuyến",
        "feedback_received": "Tổng số phản ánh, kiến nghị tiếp nhận",
        "feedback_resolved": "Tổng số phản ánh, kiến nghị đã được giải quyết",
        "satisfaction_percent": "Mức độ hài lòng của người dân, doanh nghiệp (%)",
    },
}
PERCENT_METRICS = {"satisfaction_percent"}
MAX_FIGURE = 10**9
"""Above any count a commune's office can have: a larger figure is a typing slip."""
METRICS_LABELS = {m: label for section in METRICS.values() for m, label in section.items()}
METRICS_EN: dict[str, str] = {
    "plan_tasks_total": "Tasks in the plan", "plan_tasks_done": "Tasks completed",
    "plan_tasks_in_progress": "Tasks in progress",
    "assigned_tasks_total": "Tasks assigned from above: total",
    "assigned_tasks_on_time": "Assigned tasks completed on time",
    "assigned_tasks_done_late": "Assigned tasks completed late",
    "assigned_tasks_overdue_open": "Assigned tasks overdue and not completed",
    "records_received": "Procedure records received",
    "records_resolved": "Records resolved", "records_resolved_on_time": "Records resolved on time",
    "records_overdue": "Records overdue", "records_online": "Records submitted online",
    "feedback_received": "Feedback and petitions received",
    "feedback_resolved": "Feedback and petitions resolved",
    "satisfaction_percent": "Satisfaction of citizens and businesses (%)",
}
"""The same metrics' names in English, for `--lang en` (the report outline is Vietnamese)."""

# (parts that must add up to at most the total, total)
AT_MOST: list[tuple[tuple[str, ...], str]] = [
    (("plan_tasks_done", "plan_tasks_in_progress"), "plan_tasks_total"),
    (("assigned_tasks_on_time", "assigned_tasks_done_late", "assigned_tasks_overdue_open"),
     "assigned_tasks_total"),
    (("records_resolved",), "records_received"),
    (("records_resolved_on_time",), "records_resolved"),
    (("records_online",), "records_received"),
    (("feedback_resolved",), "feedback_received"),
]

# derived rate -> (numerator, denominator), in percent
RATES: dict[str, tuple[str, str]] = {
    "on_time_rate": ("records_resolved_on_time", "records_resolved"),
    "online_rate": ("records_online", "records_received"),
    "task_completion_rate": ("plan_tasks_done", "plan_tasks_total"),
    "feedback_resolution_rate": ("feedback_resolved", "feedback_received"),
}


def parse_metrics_text(text: str, source: str = "metrics") -> dict[str, dict[str, int | float]]:
    return validate_metrics(load_toml(text, source, InvalidMetrics), source)


def metric_label(metric: str, lang: str) -> str:
    """A metric as the report outline names it; an id the outline does not know, as
    written."""
    found = METRICS_LABELS.get(metric) if lang == "vi" else METRICS_EN.get(metric)
    return found or metric


def _metric(where: str, metric: str, vi: str, en: str) -> Problem:
    """A problem of one metric, placed by its name, not its id."""
    return Problem(where, vi, en, place=(f"“{metric_label(metric, 'vi')}”",
                                         f"'{metric_label(metric, 'en')}'"))


def validate_metrics(data: dict[str, Any], source: str = "metrics") -> dict[str, dict[str, Any]]:
    """Return the figures by section, or raise `InvalidMetrics` naming each bad metric by
    the outline's name for it."""
    problems: list[Problem] = []
    figures: dict[str, dict[str, int | float]] = {}
    for section, values in data.items():
        if section not in METRICS:
            problems.append(Problem(section, "mục không có trong đề cương báo cáo",
                                    "unknown section of the report outline",
                                    place=(f"mục [{section}]", f"section [{section}]")))
            continue
        if not isinstance(values, dict):
            problems.append(Problem(section, "phải là một bảng TOML", "must be a TOML table",
                                    place=(f"mục {section}", f"section {section}")))
            continue
        for metric, value in values.items():
            where = f"{section}.{metric}"
            if metric not in METRICS[section]:
                problems.append(Problem(
                    where, f"chỉ tiêu “{metric}” không có trong mục [{section}] của đề cương báo "
                    "cáo (xem: kiemtra metrics template)", f"the metric '{metric}' is not in "
                    f"the section [{section}] of the report outline (see: kiemtra metrics "
                    "template)", place=("", "")))
            elif metric in PERCENT_METRICS:
                if isinstance(value, bool) or not isinstance(value, int | float) \
                        or not 0 <= value <= 100:
                    problems.append(_metric(
                        where, metric, f"phải là số từ 0 đến 100, không phải {_shown(value, 'vi')}",
                        f"must be a number from 0 to 100, not {_shown(value, 'en')}"))
                else:
                    figures.setdefault(section, {})[metric] = float(value)
            elif isinstance(value, bool) or not isinstance(value, int) \
                    or not 0 <= value <= MAX_FIGURE:
                problems.append(_metric(
                    where, metric, f"phải là số nguyên từ 0 đến {format_count(MAX_FIGURE)}, "
                    f"không phải {_shown(value, 'vi')}",
                    f"must be a whole number from 0 to {MAX_FIGURE:,}, not {_shown(value, 'en')}"))
            else:
                figures.setdefault(section, {})[metric] = value
    flat = flatten(figures)
    for parts, total in AT_MOST:
        present = [p for p in parts if p in flat]
        if total in flat and present:
            given = sum(flat[p] for p in present)  # a missing part only adds >= 0
            if given > flat[total]:
                names = {lang: " + ".join(f"“{metric_label(p, lang)}”" if lang == "vi" else
                                          f"'{metric_label(p, lang)}'" for p in present)
                         for lang in ("vi", "en")}
                problems.append(Problem(
                    " + ".join(present),
                    f"{names['vi']} ({format_count(given)}) lớn hơn “{metric_label(total, 'vi')}” "
                    f"({format_count(flat[total])})",
                    f"{names['en']} ({given}) {'exceed' if len(present) > 1 else 'exceeds'} "
                    f"'{metric_label(total, 'en')}' ({flat[total]})", place=("", "")))
    if problems:
        raise InvalidMetrics(source, problems)
    return figures


def _shown(value: Any, lang: str) -> str:
    """A value as the file gave it, written for the reader: a number as numbers are
    written in `lang`, a text in quotes, true/false as TOML writes them."""
    from kiemtra.domain.formats import format_number

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value, lang)
    if isinstance(value, str):
        return f"“{value}”" if lang == "vi" else f"'{value}'"
    return "một bảng hoặc danh sách" if lang == "vi" else "a table or a list"


def format_count(value: float) -> str:
    from kiemtra.domain.formats import format_number

    return format_number(value, "vi")


def flatten(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {m: v for section in figures.values() for m, v in section.items()}


def derived_rates(figures: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """Percentages rounded to one decimal; None where a figure is missing or zero."""
    flat = flatten(figures)
    rates: dict[str, float | None] = {}
    for name, (num, den) in RATES.items():
        if num in flat and flat.get(den):
            rates[name] = round(flat[num] / flat[den] * 100, 1)
        else:
            rates[name] = None
    return rates
