"""Speed of `audit verify`: events checked per second, against a raw scan of the same table.

The database: the plan template imported under many campaign codes through the
real aggregates and event store (so every event is chained by the recorder as in
production), 200 campaigns per transaction, until it holds about --events events
(each import is 5 events; the plan event is the largest payload kiemtra writes,
~6 KB, so this is a heavy log per event). Setup is not timed.

Timed, in this process, each --runs times, interleaved, medians:
- `verify_database(path)`: every link recomputed, attachments checked (the code
  behind `kiemtra audit verify`);
- the baseline: `for row in conn.execute("SELECT rowid, * FROM stored_events"): pass`
  with the standard library's sqlite3 — reading the log and nothing else.

Target: >= 100,000 events/s. The ratio to the raw scan is printed too, since
absolute speeds drift on the shared 2-core machine.

Usage: python bench/audit_verify.py [--events 200000] [--runs 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from kiemtra.domain.campaign import Campaign
from kiemtra.domain.inspection import Inspection
from kiemtra.domain.plan import parse_plan_text
from kiemtra.domain.rules import latest_notice
from kiemtra.projections.audit.verify import verify_database
from kiemtra.workflow import Database, open_store
from kiemtra.workflow.demo import template_text

DAY = date(2026, 6, 15)


def build(path: Path, events: int) -> int:
    store = open_store(Database(str(path)))
    template = template_text()
    plans = events // 5
    for start in range(0, plans, 200):
        aggregates: list[object] = []
        for i in range(start, min(start + 200, plans)):
            plan = parse_plan_text(template.replace('"KTD-TKT-2026"', f'"BENCH-{i:06d}"'))
            calendar = plan.calendar()
            aggregates.append(Campaign(code=plan.code, plan=plan.source, actor="truong-to",
                                       actor_role="leader", effective_date=DAY))
            aggregates += [
                Inspection(campaign=plan.code, unit=u.code, planned_on_site=u.planned_on_site,
                           notice_due=latest_notice(u.planned_on_site, plan.rules, calendar)
                           if u.planned_on_site else None,
                           actor="truong-to", actor_role="leader", effective_date=DAY)
                for u in plan.units]
        store.save_atomically(*aggregates)
    count = store.event_count()
    store.close()
    return count


def raw_scan(path: Path) -> float:
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    for _ in conn.execute("SELECT rowid, * FROM stored_events"):
        pass
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def verify(path: Path) -> float:
    started = time.perf_counter()
    verify_database(path)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kiemtra.db"
        started = time.perf_counter()
        count = build(path, args.events)
        print(f"built {count:,} chained events in {time.perf_counter() - started:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")
        verify(path)  # warm the page cache, as for the baseline
        raw_scan(path)
        scans, checks = [], []
        for _ in range(args.runs):
            scans.append(raw_scan(path))
            checks.append(verify(path))
        scan, check = statistics.median(scans), statistics.median(checks)
        print(f"raw sqlite3 scan:  {count / scan:12,.0f} rows/s   (median of {args.runs})")
        print(f"audit verify:      {count / check:12,.0f} events/s (median of {args.runs}; "
              f"target >= 100,000)")
        print(f"ratio verify / raw scan: {scan / check:.3f}")


if __name__ == "__main__":
    main()
