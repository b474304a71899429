"""Speed of `audit verify`: events checked per second, against a raw scan of the same table.

The database: the plan template imported under many campaign codes (parsed once; the
same source under each code) through the real aggregates and event store (so every
event is chained by the recorder as in production), 200 campaigns per transaction,
until it holds about --events events
(each import is 5 events; the plan event is the largest payload kiemtra writes,
~6 KB, so this is a heavy log per event). Setup is not timed.

Timed, in this process, each --runs times, interleaved, medians:
- `verify_database(path)`: every link recomputed, attachments checked (the code
  behind `kiemtra audit verify`: a log this long is proven by worker processes, one per
  core, `projections/audit/quick_check.py`; the figure is the whole command's, on all
  the machine's cores, as a reviewer gets it);
- the baseline: `for row in conn.execute("SELECT rowid, * FROM stored_events"): pass`
  with the standard library's sqlite3 — reading the log and nothing else.

Target: >= 100,000 events/s. The ratio to the raw scan is printed too, since
absolute speeds drift on the shared 2-core machine.

With `--postgres SERVER_URL` the same on PostgreSQL: the log built the same way through
kiemtra's `PostgresRecorder` (chained in the events' transaction) in a new database of
that server, dropped after; `verify_database(Database(url))` (one REPEATABLE READ
snapshot, events and links streamed by server-side cursors), against a raw psycopg scan
of the events table: `SELECT * FROM kiemtra_events` through a server-side cursor fetching
as many rows at a time as the verifier's (`log_tables.STREAMED`), in psycopg's default
text format as the verifier reads, every row read and nothing done with it, on a
connection made with the event store's settings. The same scan in binary format is
printed for reference (not the baseline).

Usage: python bench/audit_verify.py [--events 200000] [--runs 5] [--postgres SERVER_URL]
"""

from __future__ import annotations

import argparse
import dataclasses
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


def build(path: Path | str, events: int) -> int:
    store = open_store(Database(str(path)))
    template = parse_plan_text(template_text())  # parsed once: 4 ms a plan, most of a build
    calendar = template.calendar()
    plans = events // 5
    for start in range(0, plans, 200):
        aggregates: list[object] = []
        for i in range(start, min(start + 200, plans)):
            code = f"BENCH-{i:06d}"  # the plan under that code, as parsing it would give
            plan = dataclasses.replace(template, code=code, source=dict(template.source,
                                                                        code=code))
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


def verify(path: Path | Database) -> float:
    started = time.perf_counter()
    verify_database(path)
    return time.perf_counter() - started


def pg_scan(url: str, binary: bool = False) -> float:
    """Seconds to read every row of the events table through a server-side cursor (rows in
    psycopg's default text format, as the verifier reads them, or in binary)."""
    import pgserver

    from kiemtra.workflow.log_tables import STREAMED

    with pgserver.connect(url) as conn, conn.cursor(name="bench_scan", binary=binary) as cursor:
        cursor.itersize = STREAMED
        started = time.perf_counter()
        cursor.execute("SELECT * FROM kiemtra_events")
        for _ in cursor:
            pass
        return time.perf_counter() - started


def main_postgres(server: str, events: int, runs: int) -> None:
    import pgserver

    print(pgserver.describe(server))
    with pgserver.new_database(server) as url:
        started = time.perf_counter()
        count = build(url, events)
        took = time.perf_counter() - started
        with pgserver.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        size = int(row[0]) if row else 0
        print(f"built {count:,} chained events in {took:.1f} s ({size / 1e6:.0f} MB)")
        database = Database(url)
        verify(database)  # warm the server's cache, as for the baseline
        pg_scan(url)
        scans, checks, binary = [], [], []
        for _ in range(runs):
            scans.append(pg_scan(url))
            checks.append(verify(database))
            binary.append(pg_scan(url, binary=True))
    report(count, scans, checks, "raw psycopg scan")
    print(f"(the same scan in binary format, for reference: "
          f"{count / statistics.median(binary):,.0f} rows/s; the text format sends each "
          f"payload hex-encoded, twice its size)")


def report(count: int, scans: list[float], checks: list[float], baseline: str) -> None:
    scan, check = statistics.median(scans), statistics.median(checks)
    runs = len(scans)
    print(f"{baseline + ':':<18} {count / scan:12,.0f} rows/s   (median of {runs}; "
          f"{count / max(scans):,.0f}-{count / min(scans):,.0f})")
    print(f"{'audit verify:':<18} {count / check:12,.0f} events/s (median of {runs}; "
          f"{count / max(checks):,.0f}-{count / min(checks):,.0f}; target >= 100,000)")
    ratios = sorted(s / c for s, c in zip(scans, checks, strict=True))
    print(f"ratio verify / raw scan: {scan / check:.3f} (per run {ratios[0]:.3f}-"
          f"{ratios[-1]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", metavar="SERVER_URL",
                        help="measure on PostgreSQL: a new database on this server")
    args = parser.parse_args()
    if args.postgres:
        main_postgres(args.postgres, args.events, args.runs)
        return
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
        report(count, scans, checks, "raw sqlite3 scan")


if __name__ == "__main__":
    main()
