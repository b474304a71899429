"""Report figures: the outline's consistency rules and derived rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiemtra.domain.errors import InvalidMetrics
from kiemtra.domain.metrics import derived_rates, parse_metrics_text
from kiemtra.workflow.demo import metrics_text

EXAMPLE = Path(__file__).parents[3] / "shared" / "examples" / "report-metrics-hcc.toml"


def test_example_figures_and_rates() -> None:
    figures = parse_metrics_text(metrics_text())
    assert figures["procedures"]["records_received"] == 1250
    rates = derived_rates(figures)
    assert rates["on_time_rate"] == round(1165 / 1180 * 100, 1)
    assert rates["online_rate"] == 72.0
    assert rates["task_completion_rate"] == 75.0
    assert rates["feedback_resolution_rate"] == 100.0


@pytest.mark.skipif(not EXAMPLE.exists(), reason="shared/ examples not beside the checkout")
def test_real_example_file_validates() -> None:
    assert parse_metrics_text(EXAMPLE.read_text("utf-8"))


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ("[procedures]\nrecords_received = 10\nrecords_resolved = 11", "records_resolved"),
        ("[procedures]\nrecords_resolved = 5\nrecords_resolved_on_time = 6",
         "records_resolved_on_time"),
        ("[procedures]\nrecords_received = 5\nrecords_online = 6", "records_online"),
        ("[procedures]\nfeedback_received = 1\nfeedback_resolved = 2", "feedback_resolved"),
        ("[direction]\nplan_tasks_total = 3\nplan_tasks_done = 2\nplan_tasks_in_progress = 2",
         "plan_tasks_done + plan_tasks_in_progress"),
        ("[direction]\nassigned_tasks_total = 1\nassigned_tasks_on_time = 1\n"
         "assigned_tasks_done_late = 1", "assigned_tasks_on_time"),
        ("[procedures]\nsatisfaction_percent = 100.5", "procedures.satisfaction_percent"),
        ("[procedures]\nrecords_received = -1", "procedures.records_received"),
        ("[procedures]\nrecords_received = 1.5", "procedures.records_received"),
        ("[procedures]\nrecords_received = true", "procedures.records_received"),
        ("[procedures]\nrecords_received = 100000000000000000000000",
         "procedures.records_received"),
        ("[procedures]\nrecords_recieved = 1", "procedures.records_recieved"),
        ("[finance]\nx = 1", "finance"),
        ("[procedures\n", "TOML"),
    ],
)
def test_violations_name_the_metric(toml: str, field: str) -> None:
    with pytest.raises(InvalidMetrics) as refused:
        parse_metrics_text(toml, "m.toml")
    assert refused.value.exit_code == 2
    assert any(field in p.field for p in refused.value.problems), refused.value.problems


def test_missing_figures_give_no_rate() -> None:
    rates = derived_rates(parse_metrics_text("[procedures]\nrecords_received = 0"))
    assert rates["online_rate"] is None


def test_messages_name_metrics_by_their_label_never_their_id() -> None:
    with pytest.raises(InvalidMetrics) as refused:
        parse_metrics_text("[procedures]\nrecords_received = 10\nrecords_resolved = 12\n"
                           "records_online = 2000000000\n", "m.toml")
    vi, en = refused.value.message("vi"), refused.value.message("en")
    assert "“Số hồ sơ đã giải quyết” (12) lớn hơn “Tổng số hồ sơ TTHC tiếp nhận” (10)" in vi
    assert "'Records resolved' (12) exceeds 'Procedure records received' (10)" in en
    assert "“Số hồ sơ trực tuyến”: phải là số nguyên từ 0 đến 1.000.000.000" in vi
    assert "records_" not in vi + en
    assert vi.count("\n  - ") == en.count("\n  - ") == 2
