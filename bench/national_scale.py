"""The views at province scale: 100,000 inspections, ~700,000 events, in one SQLite file.

The database: 25,000 campaigns (the plan template under 25,000 codes, 4 units
each, planned visits spread over February-December 2026) taken through their year
up to AS_OF (20/11/2026) by the real aggregates (`Campaign`, `Inspection`) with the
state the aggregates decide with the real lifecycle machine (`domain/lifecycle.py`): notices,
reschedules, reports (on time, late, waived, some with figures), surprise visits,
minutes, conclusions with 0-3 findings, remediation one finding at a time or all
at once, cancellations, and about 3% of inspections that stall part-way (they end
up overdue). Steps are saved day by day in effective-date order, a few hundred
aggregates per transaction, so the log interleaves the inspections as a real year
would: a batch of the projector touches about as many inspections as it has events.
Recording times are the time of the build. The file is cached (see --cache-dir;
--fresh rebuilds it) and each run works on a copy, since the run appends events.

What is measured, each against a baseline of the same run:

1. rebuild: `Views(db).rebuild()` (drop the views, fold the whole log) in a child
   process, in events/s, as a ratio to a raw `sqlite3` scan of the same
   `stored_events` table (`for row in conn.execute("SELECT rowid, * ..."): pass`,
   median of runs before and after). Target >= 0.10;
2. start-up at scale: wall time of the installed `kiemtra --json status CAMPAIGN` and
   `kiemtra --json due --within 7` with `--as-of` AS_OF (views caught up), each vs
   `python -c "import click"`, runs interleaved, medians. Target <= 8x;
3. catch-up: after one real `kiemtra notify` on the large database, the next
   `kiemtra --json status CAMPAIGN` (which applies that event first) vs one with
   nothing new; in-process, `Projector.catch_up()` for 0, 1, 10, 100 and 1000
   new events, and for 1 new event on a log 50x shorter (a 2,000-inspection database
   built the same way). Catch-up should grow with the new events, not with the log;
4. peak memory of the rebuild: the rebuild child's ru_maxrss, read with
   `getrusage(RUSAGE_CHILDREN)` by a small launcher process (see `LAUNCHER`), and the
   child's own VmHWM as a cross-check, next to a child that only imports the same
   modules. A rebuild of a long log starts a helper process on the other core
   (`projections/parts.py`): its peak (ru_maxrss, read by the child) is added to the
   child's VmHWM, as if both peaked at once. Target < 300 MB;
5. the first read after an upgrade that changed the views' layout (the schema mark of
   the views set one version back): `Views(db).fresh()` in a child process, as a ratio
   to the rebuild's time. It should be about one rebuild, not a replay of the whole log
   through the batch projector (137 s, 20x, before it used the rebuild).

Read the ratios; absolute figures drift on the shared 2-core machine.

With `--postgres SERVER_URL`, measurement 3's in-process part alone, on PostgreSQL: two
logs built the same way (batched saves through kiemtra's `PostgresRecorder`, so chained
as in use), each in a new database of that server dropped after, of --inspections
(default 11,500) and a tenth of that, the year taken up to PG_AS_OF (31/07/2026, so that
about 45% of the inspections are still to be notified: enough for 1,000 new notices on
a log of ~50,000 events, which the November log would need ~230,000 events for). The views
are rebuilt (`Views.fresh()`, timed for information) and the server's statistics taken
(ANALYZE: now, rather than by autovacuum during a timing), then `Projector.catch_up()` is
timed after 0, 1, 10, 100 and 1,000 new notices on the long log, 0-100 on the short one
(each k < 100 --runs times, median and spread; 100 and 1,000 once per run), the two logs
in turn k by k, so that both see the same minutes of the shared machine: the time, the
time per new event, the ratio to the read with nothing new, and long / short log for the
same k (1.0 = independent of the log). The views are read through SQLAlchemy there
(`EngineViews`), the events with its text queries.

Usage: python bench/national_scale.py [--inspections 100000] [--runs 7] [--rebuilds 1]
       [--fresh] [--only rebuild] [--postgres SERVER_URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import heapq
import itertools
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.campaign import Campaign
from kiemtra.domain.inspection import Inspection
from kiemtra.domain.lifecycle import Step
from kiemtra.domain.metrics import parse_metrics_text
from kiemtra.domain.plan import Plan, parse_plan_text
from kiemtra.domain.roles import Actor, ActorRole
from kiemtra.domain.rules import Rules, latest_notice
from kiemtra.projections.views import Views
from kiemtra.workflow import (
    AttachmentBlob,
    Database,
    EventStore,
    metrics_text,
    open_store,
    template_text,
)

AS_OF = date(2026, 11, 20)  # the day the database describes (a Friday)
PG_AS_OF = date(2026, 7, 31)  # the day the PostgreSQL logs describe (a Friday)
PG_INSPECTIONS = 11_500  # about 50,000 events as of PG_AS_OF
FIRST_WEEK = date(2026, 2, 2)  # Mondays of the weeks that hold planned visits
LAST_WEEK = date(2026, 12, 14)
UNITS = ("vp", "kt", "vhxh", "hcc")
LEADER, SECRETARIAT = "truong-to", "thuong-truc"
AS_LEADER = Actor(LEADER, ActorRole.LEADER, "Tổ trưởng")
AS_SECRETARIAT = Actor(SECRETARIAT, ActorRole.SECRETARIAT, "Cơ quan thường trực")
CHUNK = 400  # aggregates per transaction while building
SMALL = 2000  # inspections in the short-log database of measurement 3
CACHE_VERSION = "v2"  # bump when the builder changes; the template's hash is in the name
FINDINGS = (
    "Chưa niêm yết công khai đầy đủ thủ tục hành chính tại bộ phận một cửa",
    "Sổ theo dõi văn bản đến chưa cập nhật kịp thời",
    "Một số hồ sơ giải quyết quá hạn chưa có văn bản xin lỗi",
    "Chưa ban hành kế hoạch tuyên truyền cải cách hành chính",
    "Tỷ lệ hồ sơ trực tuyến toàn trình còn thấp",
)
REPORT = AttachmentBlob.of_bytes("bao-cao.pdf", b"%PDF-1.4 bao cao ket qua cai cach hanh chinh\n")
MINUTES = AttachmentBlob.of_bytes("bien-ban.pdf", b"%PDF-1.4 bien ban kiem tra\n")
Action = tuple[date, Step, dict[str, Any]]  # (effective date, step, arguments)


# --- building the database ------------------------------------------------------------


def replaced(text: str, old: str, new: str) -> str:
    if old not in text:
        msg = f"the plan template no longer contains {old!r}: update bench/national_scale.py"
        raise SystemExit(msg)
    return text.replace(old, new)


def plan_variants() -> list[Plan]:
    """The template, parsed once per week of visits: period = 2026, units visited that week."""
    base = replaced(template_text(), "period = { start = 2026-07-01, end = 2026-09-30 }",
                    "period = { start = 2026-01-01, end = 2026-12-31 }")
    calendar = parse_plan_text(base).calendar()
    template_days = ("2026-08-10", "2026-08-12", "2026-08-14", "2026-08-17")
    variants = []
    monday = FIRST_WEEK
    while monday <= LAST_WEEK:
        days = [d for d in (monday + timedelta(i) for i in range(5)) if calendar.is_working_day(d)]
        if days:
            text = base
            for k, old in enumerate(template_days):
                text = replaced(text, f"planned_on_site = {old}",
                                f"planned_on_site = {days[k * len(days) // 4].isoformat()}")
            variants.append(parse_plan_text(text, "bench.toml"))
        monday += timedelta(weeks=1)
    return variants


def with_code(plan: Plan, code: str) -> Plan:
    """The plan under another code: what `parse_plan_text` would give, without parsing."""
    return dataclasses.replace(plan, code=code, source=dict(plan.source, code=code))


def absent(rng: random.Random) -> list[str]:
    """Team members absent from a visit (the leader approves): one in ten visits."""
    return [rng.choice(("tv-vp", "tv-kt", "tv-hcc"))] if rng.random() < 0.1 else []


def visit_and_after(rng: random.Random, ins: Inspection,
                    calendar: WorkingCalendar) -> Iterator[Action]:
    """Minutes, conclusion and remediation after the on-site visit on `ins.on_site`."""
    visit = ins.on_site
    signed = visit if rng.random() < 0.7 else calendar.shift(visit, rng.randint(1, 3))
    yield signed, Step.MINUTES, {"attach": rng.random() < 0.5}
    concluded = calendar.shift(signed, rng.randint(1, 12))  # due 10 working days after the visit
    count = rng.choices((0, 1, 2, 3), weights=(10, 25, 35, 30))[0]
    yield concluded, Step.CONCLUDE, {"findings": rng.sample(FINDINGS, count)}
    if not count:
        return
    day = concluded
    if rng.random() < 0.75:  # one report per finding
        for number in range(1, count + 1):
            day = calendar.next_working_day(day + timedelta(rng.randint(3, 20)))
            yield day, Step.REMEDIATE, {"findings": [number]}
    else:
        day = calendar.next_working_day(day + timedelta(rng.randint(10, 40)))
        yield day, Step.REMEDIATE, {"findings": list(range(1, count + 1))}


def year_of(rng: random.Random, ins: Inspection, calendar: WorkingCalendar) -> Iterator[Action]:
    """One inspection's steps in date order; later dates read the state the earlier set."""
    planned = ins.planned_on_site
    if rng.random() < 0.06:  # a surprise visit on the planned day
        yield planned, Step.INSPECT, {"surprise": True, "absent": absent(rng)}
        yield from visit_and_after(rng, ins, calendar)
        return
    notice = calendar.shift(planned, -rng.randint(5, 14))
    if rng.random() < 0.02:
        yield notice, Step.CANCEL, {}
        return
    yield notice, Step.NOTIFY, {"on_site": planned}
    if rng.random() < 0.20:
        day = calendar.shift(notice, rng.randint(1, 3))
        later = max(planned, day + timedelta(5)) + timedelta(rng.randint(1, 10))
        yield day, Step.RESCHEDULE, {"on_site": calendar.next_working_day(later)}
    if rng.random() < 0.02:
        yield calendar.shift(ins.on_site, -1), Step.CANCEL, {}
        return
    kind = rng.random()
    if kind < 0.05:  # report waived
        yield ins.on_site, Step.INSPECT, {"without_report": "Đơn vị đang kiện toàn nhân sự",
                                          "absent": absent(rng)}
    else:
        if kind < 0.15:  # late: on the day of the visit
            day = ins.on_site
        else:
            day = max(ins.last_date, calendar.shift(ins.report_due, -rng.randint(0, 3)))
        yield day, Step.REPORT, {"metrics": rng.random() < 0.3, "attach": rng.random() < 0.5}
        yield ins.on_site, Step.INSPECT, {"absent": absent(rng)}
    yield from visit_and_after(rng, ins, calendar)


@dataclass
class Live:
    """An inspection being walked through its year."""

    ins: Inspection
    rules: Rules
    calendar: WorkingCalendar  # the week's variant's: one per variant, not per campaign
    actions: Iterator[Action]
    steps_left: int  # a stalled inspection stops early
    next: Action | None = None


class Builder:
    """Creates the aggregates and applies the domain methods as `Workflow` would."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.metrics = parse_metrics_text(metrics_text(), "so-lieu.toml")
        self.touched: dict[Any, Any] = {}
        self.blobs: dict[str, AttachmentBlob] = {}

    def import_plan(self, plan: Plan, calendar: WorkingCalendar, day: date) -> list[Inspection]:
        campaign = Campaign(code=plan.code, plan=plan.source, actor=LEADER, actor_role="leader",
                            effective_date=day)
        inspections = [
            Inspection(campaign=plan.code, unit=unit.code, planned_on_site=unit.planned_on_site,
                       notice_due=latest_notice(unit.planned_on_site, plan.rules, calendar),
                       actor=LEADER, actor_role="leader", effective_date=day)
            for unit in plan.units if unit.planned_on_site
        ]
        for aggregate in (campaign, *inspections):
            self.touched[aggregate.id] = aggregate
        return inspections

    def act(self, ins: Inspection, rules: Rules, calendar: WorkingCalendar, day: date,
            step: Step, args: dict[str, Any]) -> None:
        match step:
            case Step.NOTIFY:
                ins.notify(notice_date=day, on_site=args["on_site"], rules=rules,
                           calendar=calendar, actor=AS_SECRETARIAT)
            case Step.RESCHEDULE:
                ins.reschedule(day=day, on_site=args["on_site"], rules=rules,
                               calendar=calendar, actor=AS_LEADER,
                               reason="Trùng lịch tiếp công dân")
            case Step.REPORT:
                ins.submit_report(day=day, actor=AS_SECRETARIAT,
                                  metrics=self.metrics if args["metrics"] else None,
                                  attachments=self.attach(REPORT, args["attach"]))
            case Step.INSPECT:
                ins.inspect(day=day, surprise=args.get("surprise", False),
                            report_waiver=args.get("without_report"), absent=args["absent"],
                            approved_by=LEADER, leader=LEADER, rules=rules, calendar=calendar,
                            actor=AS_LEADER)
            case Step.MINUTES:
                ins.sign_minutes(day=day, actor=AS_LEADER,
                                 attachments=self.attach(MINUTES, args["attach"]))
            case Step.CONCLUDE:
                ins.conclude(day=day, findings=args["findings"], remediate_by=None,
                             rules=rules, calendar=calendar, actor=AS_LEADER)
            case Step.REMEDIATE:
                ins.report_remediation(day=day, findings=args["findings"], note=None,
                                       actor=Actor(ins.unit, ActorRole.UNIT, ins.unit),
                                       attachments=[])
            case Step.CANCEL:
                ins.cancel(day=day, reason="Đơn vị sáp nhập", actor=AS_LEADER)
        self.touched[ins.id] = ins

    def attach(self, blob: AttachmentBlob, wanted: bool) -> list[dict[str, Any]]:
        if not wanted:
            return []
        self.blobs[blob.sha256] = blob
        return [blob.reference()]

    def flush(self) -> None:
        aggregates = list(self.touched.values())
        for i in range(0, len(aggregates), CHUNK):
            self.store.save_atomically(*aggregates[i:i + CHUNK],
                                       attachments=list(self.blobs.values()))
        self.touched.clear()
        self.blobs.clear()


def campaign_code(number: int) -> str:
    return f"XA{number:05d}-TKT-2026"


def build(path: Path | str, inspections: int, seed: int = 2026, as_of: date = AS_OF) -> int:
    """Write the database at `path` (a file, or a PostgreSQL URL), the year taken up to
    `as_of`; returns the number of events."""
    rng = random.Random(seed)
    variants = plan_variants()
    store = open_store(Database(str(path)))
    builder = Builder(store)
    order = itertools.count()
    # (day, tie-break, what): a campaign import (code, plan variant) or a Live inspection
    heap: list[tuple[date, int, Any]] = []
    for number in range(-(-inspections // len(UNITS))):
        variant = rng.choice(variants)
        first = min(u.planned_on_site for u in variant.units if u.planned_on_site)
        imported = max(date(2026, 1, 5), first - timedelta(rng.randint(25, 50)))
        heap.append((imported, next(order), (campaign_code(number), variant)))
    heapq.heapify(heap)
    today = heap[0][0]
    while heap:
        day, _, what = heapq.heappop(heap)
        if day != today:  # save a day's steps before the next day's
            builder.flush()
            today = day
        if isinstance(what, tuple):
            code, variant = what
            calendar = variant.calendar()
            for ins in builder.import_plan(with_code(variant, code), calendar, day):
                stall = rng.randint(1, 7) if rng.random() < 0.03 else 99
                live = Live(ins, variant.rules, calendar, year_of(rng, ins, calendar), stall)
                schedule(heap, order, live, as_of)
        else:
            live = what
            assert live.next is not None
            _, step, args = live.next
            builder.act(live.ins, live.rules, live.calendar, day, step, args)
            live.steps_left -= 1
            schedule(heap, order, live, as_of)
        if len(builder.touched) >= 5 * CHUNK:
            builder.flush()
    builder.flush()
    events = store.event_count()
    store.close()
    return events


def schedule(heap: list[tuple[date, int, Any]], order: Iterator[int], live: Live,
             as_of: date) -> None:
    """Queue the inspection's next step, unless it stalls, is done, or comes after `as_of`."""
    if live.steps_left <= 0:
        return
    action = next(live.actions, None)
    if action is None or action[0] > as_of:
        return
    live.next = action
    heapq.heappush(heap, (action[0], next(order), live))


def cached_database(cache_dir: Path, inspections: int, fresh: bool) -> tuple[Path, float | None]:
    """The built database (building it if needed) and the build time (None if cached)."""
    inputs = hashlib.sha256((template_text() + metrics_text()).encode()).hexdigest()[:8]
    path = cache_dir / f"kiemtra-bench-national-{CACHE_VERSION}-{inputs}-{inspections}.db"
    if path.exists() and not fresh:
        return path, None
    partial = path.with_suffix(".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    start = time.perf_counter()
    build(partial, inspections)
    elapsed = time.perf_counter() - start
    os.replace(partial, path)
    return path, elapsed


def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


# --- measuring ------------------------------------------------------------------------


def raw_scan(db: Path) -> float:
    """Rows/s of a bare scan of the events table with the standard driver."""
    conn = sqlite3.connect(db)
    start = time.perf_counter()
    rows = 0
    for _ in conn.execute("SELECT rowid, * FROM stored_events"):
        rows += 1
    elapsed = time.perf_counter() - start
    conn.close()
    return rows / elapsed


# Linux carries a process's high-water RSS across exec, so a child forked from this (large)
# bench would report at least the bench's own peak: a small launcher starts the child and
# prints the child's ru_maxrss, read with getrusage(RUSAGE_CHILDREN), after the child's output.
LAUNCHER = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def child(mode: str, db: Path) -> dict[str, Any]:
    """Run this file in a child process (`--child MODE`): what it printed, and its peak RSS."""
    out = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, sys.executable, __file__,
                          "--child", mode, str(db)],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    found: dict[str, Any] = json.loads(out[0])
    found["peak_mb"] = int(out[1]) / 1024
    return found


def run_child(mode: str, db: Path) -> None:
    """In the child: `rebuild` the views, or only `import` what a rebuild imports."""
    from kiemtra.projections.projector import Projector  # noqa: F401  (what rebuild imports)
    from kiemtra.projections.views import Views

    views = Views(Database(str(db)))
    result: dict[str, Any] = {}
    if mode == "rebuild":
        start = time.perf_counter()
        result["events"] = views.rebuild()
        result["seconds"] = time.perf_counter() - start
    elif mode == "upgrade":
        with sqlite3.connect(db) as conn:  # as if an older kiemtra had written the views
            conn.execute("UPDATE view_tracking SET position = position - 1 "
                         "WHERE name = 'schema'")
        start = time.perf_counter()
        views.fresh()
        result["seconds"] = time.perf_counter() - start
    else:
        views.backend()
    status = Path("/proc/self/status")  # VmHWM: this process's own peak, as a cross-check
    hwm = [line.split()[1] for line in status.read_text().splitlines()
           if line.startswith("VmHWM:")] if status.exists() else []
    result["vmhwm_mb"] = int(hwm[0]) / 1024 if hwm else None
    import resource  # the rebuild's helper process, if it started one: its peak

    result["worker_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


def wall(argv: Sequence[str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, out


def medians(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time in ms of each command, runs interleaved, after one warm-up."""
    for argv in commands.values():
        wall(argv)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(wall(argv)[0])
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def planned_later(database: Database, limit: int, as_of: date = AS_OF
                  ) -> list[tuple[str, str, date]]:
    """Inspections still `planned` whose planned visit allows a notice on `as_of`."""
    query = ("SELECT campaign, unit, planned_on_site FROM view_inspections "
             "WHERE state = 'planned' AND planned_on_site >= {mark} "
             "ORDER BY originator_id LIMIT {mark}")
    if database.is_postgres:
        import pgserver

        with pgserver.connect(database.url, autocommit=True) as pg:
            found = pg.execute(query.format(mark="%s"),
                               (as_of + timedelta(5), limit)).fetchall()
        return [(c, u, d) for c, u, d in found]
    conn = sqlite3.connect(database.sqlite_path)
    rows = conn.execute(query.format(mark="?"),
                        ((as_of + timedelta(5)).isoformat(), limit)).fetchall()
    conn.close()
    return [(c, u, date.fromisoformat(d)) for c, u, d in rows]


def varied_campaign(db: Path) -> str:
    """The first campaign whose units are in the most different states at AS_OF."""
    conn = sqlite3.connect(db)
    code: str = conn.execute(
        "SELECT campaign FROM view_inspections GROUP BY campaign_key "
        "ORDER BY COUNT(DISTINCT state) DESC, campaign_key LIMIT 1").fetchone()[0]
    conn.close()
    return code


class CatchUps:
    """`Projector.catch_up()` on the views of `database`, timed after `k` new notices
    (recorded on `as_of` by `Workflow.notify`, untimed) of inspections still planned."""

    def __init__(self, database: Database, needed: int, as_of: date = AS_OF) -> None:
        from kiemtra.projections.views import Views
        from kiemtra.workflow import Workflow

        self.as_of = as_of
        self.projector = Views(database).fresh().projector
        self.wf = Workflow(open_store(database), SECRETARIAT)
        self.todo = planned_later(database, needed, as_of)

    def can(self, k: int) -> bool:
        return k <= len(self.todo)

    def once(self, k: int) -> float:
        """ms of one catch-up after k new notices."""
        notices, self.todo = self.todo[:k], self.todo[k:]
        for campaign, unit, on_site in notices:
            self.wf.notify(campaign, unit, on_site=on_site, day=self.as_of)
        start = time.perf_counter()
        applied = self.projector.catch_up()
        elapsed = (time.perf_counter() - start) * 1000
        assert applied == k, (applied, k)
        return elapsed

    def close(self) -> None:
        self.wf.store.close()


def timed_catch_ups(database: Database, news: Sequence[int], runs: int
                    ) -> dict[int, list[float]]:
    """The times in ms of `Projector.catch_up()` after `k` new notices, for each k in
    `news`: `runs` times each for k < 100, once for more."""
    catch_ups = CatchUps(database, sum(news) * runs)
    result: dict[int, list[float]] = {}
    for k in news:
        rounds = runs if k < 100 else 1
        if not catch_ups.can(k * rounds):
            continue  # a scaled-down database has too few planned inspections left
        result[k] = [catch_ups.once(k) for _ in range(rounds)]
    catch_ups.close()
    return result


def measure_rebuild(db: Path, rebuild_runs: int) -> float:
    """Measurements 1 and 4: the rebuild in a child process, between raw scans; its events/s."""
    events = sqlite3.connect(db).execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    scans = [raw_scan(db) for _ in range(3)]
    rebuilds = []
    for _ in range(rebuild_runs):
        rebuilt = child("rebuild", db)
        rebuilds.append(rebuilt)
        assert rebuilt["events"] == events, (rebuilt["events"], events)
    scans += [raw_scan(db) for _ in range(3)]
    imports = child("import", db)
    scan = statistics.median(scans)
    rate = statistics.median(r["events"] / r["seconds"] for r in rebuilds)
    print(f"1. raw sqlite3 scan of stored_events: {scan:,.0f} rows/s (median of {len(scans)})")
    print(f"   Views.rebuild(): {rate:,.0f} events/s "
          f"({statistics.median(r['seconds'] for r in rebuilds):.1f} s)  "
          f"ratio {rate / scan:.3f}  target >= 0.10")
    own = max(r["vmhwm_mb"] or r["peak_mb"] for r in rebuilds)
    worker = max(r["worker_mb"] for r in rebuilds)
    peak = own + worker
    print(f"4. rebuild peak RSS: {peak:.0f} MB = its process {own:.0f} MB (VmHWM; ru_maxrss "
          f"{max(r['peak_mb'] for r in rebuilds):.0f} MB) + its helper process {worker:.0f} MB "
          f"(ru_maxrss); a child that only imports: {imports['peak_mb']:.0f} MB  "
          f"ratio {peak / imports['peak_mb']:.1f}x  target < 300 MB")
    return rate


def measure(db: Path, small_db: Path, runs: int, rate: float) -> None:
    """Measurements 2, 3 and 5, on views the rebuild left caught up."""
    events = sqlite3.connect(db).execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]

    # 2: start-up at scale
    kiemtra = str(Path(sys.executable).parent / "kiemtra")
    code = varied_campaign(db)
    base = [kiemtra, "--db", str(db), "--json"]
    status = [*base, "status", code, "--as-of", AS_OF.isoformat()]
    due = [*base, "due", "--within", "7", "--as-of", AS_OF.isoformat()]
    click = [sys.executable, "-c", "import click"]
    due_rows = json.loads(wall(due)[1])
    status_rows = json.loads(wall(status)[1])
    start_ms = medians({"status": status, "due": due, "click": click}, runs)

    # 3: catch-up after one real command, through the CLI ...
    todo = iter(planned_later(Database(str(db)), runs))
    new_ms: list[float] = []
    none_ms: list[float] = []
    for _ in range(runs):
        campaign, unit, on_site = next(todo)
        subprocess.run([*base, "--actor", SECRETARIAT, "notify", campaign, unit, "--on-site",
                        on_site.isoformat(), "--date", AS_OF.isoformat()],
                       check=True, capture_output=True)
        new_ms.append(wall(status)[0] * 1000)
        none_ms.append(wall(status)[0] * 1000)
    # ... and in-process, on the large log and on one 50x shorter
    big = {k: statistics.median(t) for k, t in timed_catch_ups(
        Database(str(db)), (0, 1, 10, 100, 1000), runs).items()}
    small = {k: statistics.median(t) for k, t in timed_catch_ups(
        Database(str(small_db)), (0, 1), runs).items()}

    print(f"2. python -c \"import click\": {start_ms['click']:.0f} ms  ({runs} runs, medians)")
    print(f"   kiemtra --json status {code} --as-of {AS_OF}: {start_ms['status']:.0f} ms "
          f"({len(status_rows)} rows)  ratio {start_ms['status'] / start_ms['click']:.1f}x  "
          f"target <= 8x")
    print(f"   kiemtra --json due --within 7 --as-of {AS_OF}: {start_ms['due']:.0f} ms "
          f"({len(due_rows):,} rows, {sum(r['overdue'] for r in due_rows):,} overdue)  "
          f"ratio {start_ms['due'] / start_ms['click']:.1f}x  target <= 8x")
    new, none = statistics.median(new_ms), statistics.median(none_ms)
    print(f"3. kiemtra --json status after 1 new event: {new:.0f} ms, nothing new: {none:.0f} ms"
          f"  ratio {new / none:.2f}")
    print(f"   Projector.catch_up() on {events:,} events: "
          + ", ".join(f"{k} new {ms:.1f} ms" for k, ms in big.items()))
    most = max(big)
    print(f"   per new event ({most} new): {big[most] / most:.3f} ms; in the full rebuild: "
          f"{1000 / rate:.3f} ms")
    small_events = sqlite3.connect(small_db).execute("SELECT COUNT(*) FROM stored_events"
                                                     ).fetchone()[0]
    print(f"   catch_up() 1 new on {small_events:,} events: {small[1]:.1f} ms; "
          f"large / short log {big[1] / small[1]:.2f} (1.0 = independent of the log)")

    # 5: the first read after an upgrade (last: it rebuilds the views of `db`)
    upgrade = child("upgrade", db)["seconds"]
    rebuild = sqlite3.connect(db).execute("SELECT COUNT(*) FROM stored_events"
                                          ).fetchone()[0] / rate
    print(f"5. first read after a layout change: {upgrade:.1f} s, a rebuild {rebuild:.1f} s  "
          f"ratio {upgrade / rebuild:.2f}  (replaying the log batch by batch: about 20)")


def main_postgres(server: str, inspections: int, runs: int) -> None:
    """Measurement 3's catch-up, on two logs of different length on PostgreSQL."""
    import pgserver

    print(pgserver.describe(server))
    news = {"long": (0, 1, 10, 100, 1000), "short": (0, 1, 10, 100)}
    with pgserver.new_database(server) as long, pgserver.new_database(server) as short:
        urls = {"long": long, "short": short}
        sizes = {}
        for name, count in (("long", inspections), ("short", inspections // 10)):
            url = urls[name]
            started = time.perf_counter()
            events = build(url, count, as_of=PG_AS_OF)
            built = time.perf_counter() - started
            started = time.perf_counter()
            Views(Database(url)).fresh()
            rebuilt = time.perf_counter() - started
            with pgserver.connect(url, autocommit=True) as conn:
                conn.execute("ANALYZE")  # now, not by autovacuum in the middle of a timing
            sizes[name] = events
            print(f"{count:,} inspections as of {PG_AS_OF}: {events:,} events, built in "
                  f"{built:.0f} s ({events / built:,.0f} events/s), views rebuilt in "
                  f"{rebuilt:.1f} s ({events / rebuilt:,.0f} events/s)")
        logs = {name: CatchUps(Database(urls[name]), sum(news[name]) * runs, PG_AS_OF)
                for name in urls}
        times: dict[str, dict[int, list[float]]] = {name: {} for name in urls}
        for k in news["long"]:  # the two logs in turn, k by k, so both see the same minutes
            for run in range(runs if k < 100 else 1):
                for name in ("long", "short") if run % 2 == 0 else ("short", "long"):
                    if k in news[name] and logs[name].can(k):
                        times[name].setdefault(k, []).append(logs[name].once(k))
        for log in logs.values():
            log.close()
    big, small = times["long"], times["short"]

    def cell(times: list[float], k: int, none: float) -> str:
        med = statistics.median(times)
        spread = f" ({min(times):.1f}-{max(times):.1f})" if len(times) > 1 else ""
        per = f"{med / k:7.3f} ms/event" if k else " " * 15
        return f"{med:7.1f} ms{spread:<14} {per}  {med / none:6.2f}x"

    print(f"3. Projector.catch_up() after k new notices, ms (median of {runs} for k < 100, "
          f"lowest-highest; one for 100 and 1,000), per new event, ratio to nothing new:")
    heads = [f"{sizes[name]:,} events" for name in ("long", "short")]
    print(f"   {'k':>5}  {heads[0]:<49}    {heads[1]:<49}    long / short")
    none_big, none_small = statistics.median(big[0]), statistics.median(small[0])
    for k in big:
        line = f"   {k:>5}  {cell(big[k], k, none_big)}"
        if k in small:
            line += (f"    {cell(small[k], k, none_small)}    "
                     f"{statistics.median(big[k]) / statistics.median(small[k]):.2f}")
        print(line)
    most, fewer = max(big), sorted(big)[-2]
    added = (statistics.median(big[most]) - statistics.median(big[fewer])) / (most - fewer)
    print(f"   from {fewer} to {most} new: {added:.3f} ms per added event; log 10x longer: "
          f"long / short for 1 new {statistics.median(big[1]) / statistics.median(small[1]):.2f}"
          f" (1.0 = independent of the log)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=None,
                        help=f"scale (4 per campaign): 100,000, or {PG_INSPECTIONS:,} with "
                             "--postgres")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command")
    parser.add_argument("--rebuilds", type=int, default=1, help="timed full rebuilds")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached database")
    parser.add_argument("--only", choices=("rebuild",),
                        help="measure only the rebuild and its memory (1 and 4)")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--postgres", metavar="SERVER_URL",
                        help="measure catch-up on PostgreSQL: new databases on this server")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], Path(args.child[1]))
        return
    if args.postgres:
        main_postgres(args.postgres, args.inspections or PG_INSPECTIONS, args.runs)
        return
    args.inspections = args.inspections or 100_000

    cached, took = cached_database(args.cache_dir, args.inspections, args.fresh)
    with tempfile.TemporaryDirectory(prefix="kiemtra-bench-") as tmp:
        db, small_db = Path(tmp) / "national.db", Path(tmp) / "short.db"
        copy_database(cached, db)
        # Untimed: views of this version's layout, as a rebuild finds them (the cached file
        # may hold views an older layout wrote, which the first read replaces anyway).
        Views(Database(str(db))).fresh()
        events = sqlite3.connect(db).execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        print(f"{args.inspections:,} inspections, {events:,} events "
              f"({events / args.inspections:.2f} per inspection), "
              + (f"built in {took:.0f} s ({events / took:,.0f} events/s)" if took
                 else f"cached {cached}"))
        rate = measure_rebuild(db, args.rebuilds)
        if args.only == "rebuild":
            return
        small_took = time.perf_counter()
        small_events = build(small_db, SMALL)
        print(f"short log: {small_events:,} events in {time.perf_counter() - small_took:.1f} s")
        measure(db, small_db, args.runs, rate)

if __name__ == "__main__":
    main()
