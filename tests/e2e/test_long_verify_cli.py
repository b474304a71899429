"""`kiemtra audit verify` on a log long enough to be proven by worker processes (SQLite,
20,000 events or more: `projections/audit/quick_check.py`), through the installed script.

The log is the plan template imported under 4,800 campaign codes (24,000 events, all of
one commune), written through the real aggregates and event store as the benchmark
writes it. The script must say the log is intact, show its progress on a terminal while
the workers check, and, after one payload is edited behind its back, name that position
(the workers decline, and the walk says what is wrong).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from kiemtra.domain.campaign import Campaign
from kiemtra.domain.inspection import Inspection
from kiemtra.domain.plan import parse_plan_text
from kiemtra.domain.rules import latest_notice
from kiemtra.workflow import Database
from kiemtra.workflow.demo import template_text
from kiemtra.workflow.store import open_store
from tests.e2e.conftest import Run
from tests.e2e.test_table_widths import on_a_terminal

DAY = date(2026, 6, 15)
PLANS = 4_800  # 5 events each: above quick_check.PARALLEL_FROM


def long_log(path: Path, plans: int) -> None:
    store = open_store(Database(str(path)))
    template = parse_plan_text(template_text())
    calendar = template.calendar()
    for start in range(0, plans, 400):
        aggregates: list[object] = []
        for i in range(start, min(start + 400, plans)):
            code = f"DAI-{i:05d}"
            plan = dataclasses.replace(template, code=code, source=dict(template.source,
                                                                        code=code))
            aggregates.append(Campaign(code=code, plan=plan.source, actor="truong-to",
                                       actor_role="leader", effective_date=DAY))
            aggregates += [
                Inspection(campaign=code, unit=u.code, planned_on_site=u.planned_on_site,
                           notice_due=latest_notice(u.planned_on_site, plan.rules, calendar)
                           if u.planned_on_site else None,
                           actor="truong-to", actor_role="leader", effective_date=DAY)
                for u in plan.units]
        store.save_atomically(*aggregates)
    store.close()


@pytest.fixture(scope="module")
def long_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "kiemtra.db"
    long_log(path, PLANS)
    return path


def test_a_long_log_is_proven_with_progress_then_an_edit_is_named(
        run: Run, long_db: Path, tmp_path: Path) -> None:
    events = PLANS * 5
    found = run("--db", str(long_db), "--json", "audit", "verify")
    assert found.code == 0, found.err
    assert '"events": 24000' in found.out and '"ok": true' in found.out

    out, seen = on_a_terminal(["--db", str(long_db), "audit", "verify"], tmp_path,
                              {"KIEMTRA_PROGRESS_AFTER": "0", "COLUMNS": "80"})
    assert out.startswith(f"Hồ sơ nguyên vẹn: đã kiểm tra {events} sự kiện"), out
    assert "Đang kiểm tra chuỗi băm" in seen  # the workers' count, shown by the parent

    edited = tmp_path / "edited.db"
    with sqlite3.connect(long_db) as source, sqlite3.connect(edited) as copy:
        source.backup(copy)
    with sqlite3.connect(edited) as conn:
        conn.execute("UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), "
                     "'truong-to', 'truong-tx') AS BLOB) WHERE rowid = 17003")
    refused = run("--db", str(edited), "audit", "verify")
    assert refused.code == 1
    assert "vị trí 17003" in refused.err and "Traceback" not in refused.err
