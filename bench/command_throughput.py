"""Domain command throughput on SQLite, as a ratio to raw committed inserts.

What it measures (all on real SQLite files in a fresh temporary folder):

- baseline: raw `sqlite3` inserts into a table shaped like eventsourcing's
  `stored_events`, one INSERT + COMMIT per row, with the journal mode and
  `synchronous` setting read from the event store's own connection;
- kiemtra commands: `Workflow.notify` then five `Workflow.reschedule` per
  inspection, round-robin over many imported campaigns (4 units each), so each
  command is a real load + lifecycle step + domain checks + save, on streams of
  2-7 events as in real use. Plan imports are setup and are not timed;
- appends: `Application.save` of a new one-event aggregate, i.e. what the
  persistence module alone costs per committed event.

Both persistence modules are measured: the library's `eventsourcing.sqlite` (what
`open_store(Database(path))` gives, with kiemtra's recorder subclass) and the SQLAlchemy
module `eventsourcing_sqlalchemy`. The SQLAlchemy variant goes through the same
`Workflow` / `save_atomically` path: its recorder accepts and ignores the
`attachments=[]` keyword (these commands carry no attachments).

Each round runs every measurement once, in a rotated order; a ratio is taken
within each round (candidate / raw inserts of the same round) and the median over
rounds is printed, with the median rates. Read the ratios, not the rates: the
machine is shared and absolute figures drift. Ratios near 1.0 mean the layer costs
little beyond the fsync of each commit. The baseline is mostly that fsync, so a disk
with slower fsync gives higher ratios for the same Python overhead.

Usage: python bench/command_throughput.py [--n COMMANDS_PER_ROUND] [--rounds R]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from kiemtra.domain.plan import parse_plan_text
from kiemtra.workflow import Database, EventStore, Workflow, template_text

TEMPLATE_CODE = 'code = "KTD-TKT-2026"'
UNITS = ("vp", "kt", "vhxh", "hcc")
STEPS_PER_UNIT = 6  # one notify, then five reschedules
EVENT_TOPIC = "kiemtra:Inspection.Rescheduled"
EVENT_STATE_SIZE = 380  # bytes: about a real Rescheduled event
STORED_EVENTS = (
    "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
    "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
)
Env = dict[str, str]


class Tiny(Aggregate):
    """The smallest aggregate: one Created event per save."""


def library_env(path: Path) -> Env:
    return Database(str(path)).env()


def sqlalchemy_env(path: Path) -> Env:
    return {"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": f"sqlite:///{path}"}


MODULES: dict[str, Callable[[Path], Env]] = {
    "eventsourcing.sqlite": library_env,
    "eventsourcing_sqlalchemy": sqlalchemy_env,
}


def store_pragmas(store: EventStore) -> tuple[str, int]:
    """journal_mode and synchronous as seen on the store's own connection."""
    datastore: Any = store.recorder.datastore  # type: ignore[attr-defined]
    if hasattr(datastore, "engine"):  # SQLAlchemy
        with datastore.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    else:
        with datastore.transaction(commit=False) as c:
            c.execute("PRAGMA journal_mode")
            mode = c.fetchone()[0]
            c.execute("PRAGMA synchronous")
            sync = c.fetchone()[0]
    return str(mode), int(sync)


def raw_inserts(path: Path, n: int, journal_mode: str, synchronous: int) -> float:
    """Rows/s: one INSERT + COMMIT per row, same pragmas as the event store."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={journal_mode}")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute(STORED_EVENTS)
    state = os.urandom(EVENT_STATE_SIZE)
    rows = [(uuid4().hex, 1, EVENT_TOPIC, state) for _ in range(n)]
    start = time.perf_counter()
    for row in rows:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO stored_events VALUES (?, ?, ?, ?)", row)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def commands(env: Env, n: int) -> float:
    """Commands/s: notify + reschedules, round-robin over 4 units of many campaigns."""
    store = EventStore(env=env)
    wf = Workflow(store, "truong-to")
    campaigns = -(-n // (STEPS_PER_UNIT * len(UNITS)))
    codes = [f"BENCH-{i:04d}" for i in range(campaigns)]
    for code in codes:  # setup, not timed
        wf.import_plan(template_text().replace(TEMPLATE_CODE, f'code = "{code}"'), "bench.toml",
                       date(2026, 6, 15))
    calendar = parse_plan_text(template_text()).calendar()
    days = [d for d in (date(2026, 7, 1) + timedelta(i) for i in range(40))
            if calendar.is_working_day(d)]
    wf = Workflow(store, "truong-to")  # a fresh one: loading each campaign's plan is timed
    calls: list[Callable[[], Any]] = []
    for k in range(STEPS_PER_UNIT):  # on working day W[k], move the visit to W[k + 5]
        for code in codes:
            for unit in UNITS:
                if k == 0:
                    calls.append(partial(wf.notify, code, unit, on_site=days[5], day=days[0]))
                else:
                    calls.append(partial(wf.reschedule, code, unit, on_site=days[k + 5],
                                         day=days[k], reason="Trùng lịch họp"))
    calls = calls[:n]
    start = time.perf_counter()
    for call in calls:
        call()
    elapsed = time.perf_counter() - start
    store.close()
    return n / elapsed


def appends(env: Env, n: int) -> float:
    """Events/s: `app.save(Tiny())`, one new one-event aggregate per transaction."""
    app: Application[UUID] = Application(env=env)
    app.save(Tiny())  # warm up (SQLAlchemy sets WAL on its first transaction)
    start = time.perf_counter()
    for _ in range(n):
        app.save(Tiny())
    elapsed = time.perf_counter() - start
    app.close()
    return n / elapsed


def measure(run: Callable[[Env, int], float], make_env: Callable[[Path], Env],
            files: Iterator[Path], n: int) -> float:
    """`run` on a new database file."""
    return run(make_env(next(files)), n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1200, help="commands (and rows) per measurement")
    parser.add_argument("--rounds", type=int, default=7, help="repeats; medians are printed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kiemtra-bench-") as tmp:
        files = (Path(tmp) / f"db{i}.sqlite" for i in itertools.count())
        pragmas = {}
        for name, make_env in MODULES.items():
            store = EventStore(env=make_env(next(files)))
            store.save(Tiny())  # a first write transaction, as in use
            pragmas[name] = store_pragmas(store)
            store.close()
            print(f"{name}: journal_mode={pragmas[name][0]} synchronous={pragmas[name][1]}")
        mode, sync = pragmas["eventsourcing.sqlite"]

        jobs: dict[str, Callable[[], float]] = {
            "raw": lambda: raw_inserts(next(files), args.n, mode, sync)}
        for name, make_env in MODULES.items():
            jobs[f"commands {name}"] = partial(measure, commands, make_env, files, args.n)
            jobs[f"appends {name}"] = partial(measure, appends, make_env, files, args.n)
        rates: dict[str, list[float]] = {key: [] for key in jobs}
        ratios: dict[str, list[float]] = {key: [] for key in jobs}
        keys = list(jobs)
        for r in range(args.rounds):
            order = keys[r % len(keys):] + keys[:r % len(keys)]
            this_round = {key: jobs[key]() for key in order}
            for key, rate in this_round.items():
                rates[key].append(rate)
                ratios[key].append(rate / this_round["raw"])

    med = {key: statistics.median(v) for key, v in rates.items()}
    ratio = {key: statistics.median(v) for key, v in ratios.items()}
    print(f"n={args.n} per measurement, {args.rounds} rounds, medians; ratio = candidate / raw "
          f"inserts of the same round")
    print(f"raw sqlite3 inserts (journal_mode={mode}, synchronous={sync}): {med['raw']:.0f} rows/s")
    for name in MODULES:
        key = f"commands {name}"
        print(f"kiemtra commands ({name}): {med[key]:.0f} commands/s  ratio {ratio[key]:.2f}")
    for name, reference in zip(MODULES, (0.45, 0.09), strict=True):
        key = f"appends {name}"
        print(f"appends ({name}): {med[key]:.0f} events/s  ratio {ratio[key]:.2f}  "
              f"(reference ≈{reference:.2f})")
    print(f"command throughput ratio (eventsourcing.sqlite): "
          f"{ratio['commands eventsourcing.sqlite']:.2f}  target >= 0.30")


if __name__ == "__main__":
    main()
