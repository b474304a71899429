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

With `--postgres URL` (a server, e.g. postgresql://postgres@127.0.0.1:5432/postgres)
the same measurements are made on PostgreSQL instead, each on a new database made on
that server for it and dropped after (`kiemtra_bench_…`):

- baseline: psycopg (3) inserting one row per transaction, `pgbench`-style: autocommit
  off, so psycopg sends BEGIN, then the INSERT, then COMMIT, each a round trip, into a
  table made with the library's own DDL for the events table (uuid, bigint version,
  text topic, bytea state of the same size, the bigserial notification id and its
  unique index), on a connection made with the event store's own settings
  (`Database(url).env()`: host, port, user, password, database);
- kiemtra commands: as above, on `Database(url).env()` (what `open_store` opens), i.e.
  kiemtra's `PostgresRecorder`: the library's table lock, and the chain extended in the
  events' transaction;
- appends: as above, on the same recorder, and on the library's own recorder (no
  chain): what the library's write path costs alone.

The baseline's rows carry as many bytes of state as the commands' Rescheduled events
are stored with on this server (measured first, on a database of its own). Within a
round the four are not run one after the other but prepared together (each on its own
new database, the commands' campaigns imported) and run a slice at a time in turn
(--slices, 24: 50 operations each), every slice timed: the server shares the 2 cores
with the client, and with whatever else uses it, so run back to back the four would see
different minutes of the machine (the ratio spread 0.04-0.34 over rounds that way here).

The server's `fsync`, `synchronous_commit` and version are printed. With `fsync=off`
(as CI's throwaway cluster and this machine's server run) a COMMIT waits for no disk,
so the baseline is round trips and the server's CPU alone: the ratio is then the share
of a command's time that is not kiemtra's and the library's Python and their extra
round trips — lower than on a server that flushes each commit, where both sides wait
for the same flush once per transaction. Read it as a lower bound.

Each round runs every measurement once, in a rotated order; a ratio is taken
within each round (candidate / raw inserts of the same round) and the median over
rounds is printed, with the median rates and the spread of the ratio over rounds
(lowest-highest). Read the ratios, not the rates: the machine is shared and absolute
figures drift. Ratios near 1.0 mean the layer costs little beyond the fsync of each
commit. The baseline is mostly that fsync, so a disk with slower fsync gives higher
ratios for the same Python overhead.

Usage: python bench/command_throughput.py [--n COMMANDS_PER_ROUND] [--rounds R]
       [--postgres SERVER_URL [--slices S]]
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
from contextlib import ExitStack
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pgserver
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


BENCH_ORIGIN = "bench"


def save_tiny(app: Application[UUID]) -> None:
    """A new Tiny saved, with the commune kiemtra's recorders chain it under (a stream they
    are told no origin of is refused, since 0.2); other recorders ignore the keyword."""
    tiny = Tiny()
    app.save(tiny, origins={tiny.id: BENCH_ORIGIN})


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


Calls = tuple[list[Callable[[], Any]], Callable[[], None]]
"""What one measurement times, prepared: its operations, and what closes it after."""


def timed(prepared: Calls) -> float:
    """Operations/s of the prepared calls, run one after the other."""
    calls, close = prepared
    start = time.perf_counter()
    for call in calls:
        call()
    elapsed = time.perf_counter() - start
    close()
    return len(calls) / elapsed


def commands(env: Env, n: int) -> float:
    """Commands/s: notify + reschedules, round-robin over 4 units of many campaigns."""
    return timed(command_calls(env, n))


def command_calls(env: Env, n: int) -> Calls:
    """The commands, prepared: the campaigns imported (setup, not timed)."""
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
    return calls[:n], store.close


def appends(env: Env, n: int) -> float:
    """Events/s: `app.save(Tiny())`, one new one-event aggregate per transaction."""
    return timed(append_calls(env, n))


def append_calls(env: Env, n: int) -> Calls:
    app: Application[UUID] = Application(env=env)
    save_tiny(app)  # warm up (SQLAlchemy sets WAL on its first transaction)

    return [partial(save_tiny, app)] * n, app.close


def measure(run: Callable[[Env, int], float], make_env: Callable[[Path], Env],
            files: Iterator[Path], n: int) -> float:
    """`run` on a new database file."""
    return run(make_env(next(files)), n)


# --- PostgreSQL -----------------------------------------------------------------------


def pg_insert_calls(url: str, n: int, size: int) -> Calls:
    """psycopg, autocommit off, one INSERT + COMMIT per row (psycopg sends BEGIN first, as
    pgbench does), into a table made with the library's DDL for the events table, `size`
    bytes of state per row."""
    conn = pgserver.connect(url, autocommit=False)
    conn.execute("CREATE TABLE bench_events (originator_id uuid NOT NULL, "
                 "originator_version bigint NOT NULL, topic text, state bytea, "
                 "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))")
    conn.execute("CREATE UNIQUE INDEX bench_events_notification_id "
                 "ON bench_events (notification_id ASC)")
    conn.commit()
    state = os.urandom(size)
    cur = conn.cursor()
    insert = ("INSERT INTO bench_events (originator_id, originator_version, topic, state) "
              "VALUES (%s, %s, %s, %s)")

    def insert_one(row: tuple[UUID, int, str, bytes]) -> None:
        cur.execute(insert, row)
        conn.commit()

    return [partial(insert_one, (uuid4(), 1, EVENT_TOPIC, state)) for _ in range(n)], conn.close


def interleaved(jobs: dict[str, Calls], slices: int) -> dict[str, float]:
    """Operations/s of each job, all prepared at once and run a slice at a time in turn
    (the first of each turn rotated): every job sees the same minutes of the machine."""
    spent = dict.fromkeys(jobs, 0.0)
    keys = list(jobs)
    for turn in range(slices):
        for key in keys[turn % len(keys):] + keys[:turn % len(keys)]:
            calls = jobs[key][0]
            part = calls[turn * len(calls) // slices:(turn + 1) * len(calls) // slices]
            start = time.perf_counter()
            for call in part:
                call()
            spent[key] += time.perf_counter() - start
    for _, close in jobs.values():
        close()
    return {key: len(jobs[key][0]) / spent[key] for key in jobs}


def pg_round(server: str, n: int, size: int, slices: int) -> dict[str, float]:
    """One round on PostgreSQL: each measurement on a new database, interleaved."""
    with ExitStack() as stack:
        urls = [stack.enter_context(pgserver.new_database(server)) for _ in range(4)]
        envs = [Database(url).env() for url in urls]
        del envs[3]["APPLICATION_RECORDER_TOPIC"]  # the library's own recorder
        return interleaved({"raw": pg_insert_calls(urls[0], n, size),
                            "commands": command_calls(envs[1], n),
                            "appends": append_calls(envs[2], n),
                            "appends, library": append_calls(envs[3], n)}, slices)


def pg_payload(server: str) -> int:
    """The mean stored size of the Rescheduled events that the commands write."""
    with pgserver.new_database(server) as url:
        commands(Database(url).env(), STEPS_PER_UNIT * len(UNITS) * 2)
        with pgserver.connect(url) as conn:
            row = conn.execute("SELECT avg(length(state)) FROM kiemtra_events "
                               "WHERE topic = %s", (EVENT_TOPIC,)).fetchone()
    return round(float(row[0])) if row and row[0] else EVENT_STATE_SIZE


# --- rounds ---------------------------------------------------------------------------


def rounds(jobs: dict[str, Callable[[], float]], count: int
           ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Every job once per round, in an order rotated each round: the rates, and each
    rate's ratio to the same round's "raw"."""
    rates: dict[str, list[float]] = {key: [] for key in jobs}
    ratios: dict[str, list[float]] = {key: [] for key in jobs}
    keys = list(jobs)
    for r in range(count):
        order = keys[r % len(keys):] + keys[:r % len(keys)]
        this_round = {key: jobs[key]() for key in order}
        for key, rate in this_round.items():
            rates[key].append(rate)
            ratios[key].append(rate / this_round["raw"])
    return rates, ratios


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main_postgres(server: str, n: int, count: int, slices: int) -> None:
    server_line = pgserver.describe(server)
    print(server_line)
    if "fsync=off" in server_line:
        print("  so the baseline is round trips and the server's CPU only, and the ratio a "
              "lower bound of what a server that flushes each commit gives")
    size = pg_payload(server)
    print(f"stored Rescheduled payload: {size} bytes (mean): the baseline's rows carry as much")
    rates: dict[str, list[float]] = {}
    for _ in range(count):
        for key, rate in pg_round(server, n, size, slices).items():
            rates.setdefault(key, []).append(rate)
    ratios = {key: [r / raw for r, raw in zip(v, rates["raw"], strict=True)]
              for key, v in rates.items()}
    med = {key: statistics.median(v) for key, v in rates.items()}
    print(f"n={n} per measurement, {count} rounds of {slices} interleaved slices, medians "
          f"(lowest-highest); ratio = candidate / raw inserts of the same round, each on a "
          f"new database")
    print(f"raw psycopg inserts (BEGIN, INSERT, COMMIT): {med['raw']:.0f} rows/s "
          f"({min(rates['raw']):.0f}-{max(rates['raw']):.0f})")
    print(f"kiemtra commands (PostgresRecorder): {med['commands']:.0f} commands/s "
          f"({min(rates['commands']):.0f}-{max(rates['commands']):.0f})  "
          f"ratio {spread(ratios['commands'])}")
    print(f"appends (PostgresRecorder: the table lock, the chain): {med['appends']:.0f} "
          f"events/s  ratio {spread(ratios['appends'])}")
    print(f"appends (the library's recorder: the table lock, no chain): "
          f"{med['appends, library']:.0f} events/s  ratio {spread(ratios['appends, library'])}")
    print("command ratio per round: " + " ".join(f"{r:.2f}" for r in ratios["commands"]))
    print(f"command throughput ratio (PostgreSQL): {statistics.median(ratios['commands']):.2f}"
          f"  target >= 0.30")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1200, help="commands (and rows) per measurement")
    parser.add_argument("--rounds", type=int, default=7, help="repeats; medians are printed")
    parser.add_argument("--postgres", metavar="SERVER_URL",
                        help="measure on PostgreSQL: new databases on this server")
    parser.add_argument("--slices", type=int, default=24,
                        help="with --postgres: turns each round's measurements take")
    args = parser.parse_args()
    if args.postgres:
        main_postgres(args.postgres, args.n, args.rounds, args.slices)
        return

    with tempfile.TemporaryDirectory(prefix="kiemtra-bench-") as tmp:
        files = (Path(tmp) / f"db{i}.sqlite" for i in itertools.count())
        pragmas = {}
        for name, make_env in MODULES.items():
            store = EventStore(env=make_env(next(files)))
            save_tiny(store)  # a first write transaction, as in use
            pragmas[name] = store_pragmas(store)
            store.close()
            print(f"{name}: journal_mode={pragmas[name][0]} synchronous={pragmas[name][1]}")
        mode, sync = pragmas["eventsourcing.sqlite"]

        jobs: dict[str, Callable[[], float]] = {
            "raw": lambda: raw_inserts(next(files), args.n, mode, sync)}
        for name, make_env in MODULES.items():
            jobs[f"commands {name}"] = partial(measure, commands, make_env, files, args.n)
            jobs[f"appends {name}"] = partial(measure, appends, make_env, files, args.n)
        rates, ratios = rounds(jobs, args.rounds)

    med = {key: statistics.median(v) for key, v in rates.items()}
    print(f"n={args.n} per measurement, {args.rounds} rounds, medians (lowest-highest); "
          f"ratio = candidate / raw inserts of the same round")
    print(f"raw sqlite3 inserts (journal_mode={mode}, synchronous={sync}): {med['raw']:.0f} rows/s")
    for name in MODULES:
        key = f"commands {name}"
        print(f"kiemtra commands ({name}): {med[key]:.0f} commands/s  "
              f"ratio {spread(ratios[key])}")
    for name, reference in zip(MODULES, (0.45, 0.09), strict=True):
        key = f"appends {name}"
        print(f"appends ({name}): {med[key]:.0f} events/s  ratio {spread(ratios[key])}  "
              f"(reference ≈{reference:.2f})")
    print(f"command throughput ratio (eventsourcing.sqlite): "
          f"{statistics.median(ratios['commands eventsourcing.sqlite']):.2f}  target >= 0.30")


if __name__ == "__main__":
    main()
