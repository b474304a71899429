"""The view commands through the installed script: due, summary, campaigns, rebuild, --at."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.conftest import CODE, Result, Run, ok

DUE_KEYS = {"campaign", "unit", "kind", "due", "overdue", "finding"}


def walk(run: Run, tmp_path: Path) -> None:
    (tmp_path / "so-lieu.toml").write_text(
        "[procedures]\nrecords_received = 100\nrecords_resolved = 90\n"
        "records_resolved_on_time = 81\nrecords_online = 40\n", "utf-8")
    ok(run("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    ok(run("report", CODE, "kt", "--date", "10/08/2026", "--metrics", "so-lieu.toml"))
    ok(run("inspect", CODE, "vp", "--surprise", "--date", "10/08/2026"))
    ok(run("minutes", CODE, "vp", "--date", "10/08/2026"))
    ok(run("conclude", CODE, "vp", "--date", "14/08/2026", "--finding", "A", "--finding", "B"))


def test_due_lists_open_deadlines_by_date(imported: Run, tmp_path: Path) -> None:
    walk(imported, tmp_path)
    items = ok(imported("--json", "due", "--as-of", "2026-08-14", "--within", "40")).json()
    assert all(DUE_KEYS <= set(i) for i in items)
    got = [(i["unit"], i["kind"], i["due"], i["finding"], i["overdue"]) for i in items]
    assert got == [
        ("vhxh", "notice", "2026-08-07", None, True),  # 09/08 is a Sunday
        ("kt", "on_site", "2026-08-12", None, True),
        ("hcc", "notice", "2026-08-12", None, True),
        ("vp", "remediation", "2026-09-14", 1, False),  # 13/09 is a Sunday
        ("vp", "remediation", "2026-09-14", 2, False),
    ]
    assert [i["days_left"] for i in items][:2] == [-7, -2]
    window = ok(imported("due", "--json", "--as-of", "2026-08-14", "--within", "7")).json()
    assert [i["due"] for i in window] == ["2026-08-07", "2026-08-12", "2026-08-12"]
    table = ok(imported("due", "--as-of", "14/08/2026", "--all")).out
    assert "Báo cáo khắc phục — tồn tại số 1" in table and "quá 7 ngày" in table


def test_summary_compiles_units_and_figures(imported: Run, tmp_path: Path) -> None:
    walk(imported, tmp_path)
    data = ok(imported("--json", "summary", CODE, "--as-of", "2026-08-20")).json()
    units = {u["unit"]: u for u in data["units"]}
    assert units["kt"]["report"] == "on_time" and units["vp"]["report"] == "none"
    assert units["kt"]["rates"]["on_time_rate"] == 90.0
    assert units["kt"]["rates"]["online_rate"] == 40.0
    assert units["vp"]["findings_total"] == 2 and units["vp"]["findings_open"] == 2
    assert data["totals"]["findings_total"] == 2 and data["totals"]["surprise"] == 1
    assert data["totals"]["figures"]["procedures"]["records_received"] == 100
    text = ok(imported("summary", CODE)).out
    assert "Tỷ lệ hồ sơ giải quyết đúng hạn" in text and "90,0 %" in text
    assert imported("summary", "NOPE").code == 2


def test_campaigns_rebuild_and_time_travel(imported: Run, tmp_path: Path) -> None:
    ok(imported("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "03/08/2026"))
    time.sleep(1.1)
    moment = datetime.now(UTC) + timedelta(hours=7)  # Vietnam's wall clock
    time.sleep(1.1)
    ok(imported("report", CODE, "kt", "--date", "10/08/2026"))
    campaigns = ok(imported("--json", "campaigns")).json()
    assert campaigns[0]["code"] == CODE and campaigns[0]["units"] == 4
    early = ok(imported("--json", "campaigns", "--as-of", "01/08/2026")).json()[0]
    late = ok(imported("--json", "campaigns", "--as-of", "2026-08-20")).json()[0]
    assert (early["overdue"], early["as_of"]) == (0, "2026-08-01")
    assert (late["overdue"], late["as_of"]) == (4, "2026-08-20")  # 3 notices, kt's visit
    refused = imported("campaigns", "--as-of", "31/02/2026")
    assert refused.code == 2 and "31/02/2026" in refused.err
    before = ok(imported("--json", "status", CODE, "--as-of", "2026-08-11")).json()
    rebuilt = ok(imported("--json", "projections", "rebuild")).json()
    assert rebuilt["events"] == 7
    assert ok(imported("--json", "status", CODE, "--as-of", "2026-08-11")).json() == before
    at = moment.strftime("%Y-%m-%d %H:%M:%S")
    then = ok(imported("--json", "status", CODE, "--at", at)).json()
    assert {r["unit"]: r["state"] for r in then}["kt"] == "notified"
    vn = moment.strftime("%d/%m/%Y %H:%M:%S")
    assert ok(imported("--json", "status", "--at", vn)).json() == then
    bad: Result = imported("status", "--at", "hôm qua")
    assert bad.code == 2 and "hôm qua" in bad.err


def test_campaigns_count_overdue_items_as_due_lists_them(run: Run) -> None:
    """One count of "overdue" everywhere: the campaign list's is the number of overdue
    lines of `due --all` (a finding's remediation deadline counts, as due shows it)."""
    ok(run("--db", "demo.db", "demo"))
    seen = set()
    for as_of in ("2026-08-01", "2026-08-20", "2026-09-15", "2026-10-15", "2026-12-31"):
        listed = ok(run("--db", "demo.db", "--json", "due", "--all", "--as-of", as_of)).json()
        counted = ok(run("--db", "demo.db", "--json", "campaigns", "--as-of", as_of)).json()
        overdue = sum(1 for r in listed if r["overdue"])
        assert [c["overdue"] for c in counted] == [overdue], as_of
        seen.add(overdue)
    assert len(seen) > 1  # the dates chosen do tell counts apart
