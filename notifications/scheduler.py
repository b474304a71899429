"""`kiemtra scheduler`: reminders on a schedule, in one process at a time.

APScheduler's BlockingScheduler (timezone Asia/Ho_Chi_Minh) keeps its jobs in
the same database (SQLAlchemy job store), so a machine that was off at 07:30
finds the missed run on start and, within the grace time, runs it once
(`coalesce`). Only one scheduler may hold the schedule: a lease row in the
database, renewed every minute, says who. Even if two ran, the delivery ledger
would keep each reminder to one email.

A stored job names its database by a URL without a password (nothing kiemtra stores
holds one): the scheduler runs its jobs with the database it was started on, password
and all; a tick called otherwise finds the password as libpq does (PGPASSWORD, ~/.pgpass).
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, MetaData, String, Table, select, text

from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.errors import InvalidInput, RuleViolation
from kiemtra.notifications.reminders import OUTBOX, claimant
from kiemtra.workflow import SCHEMA_LOCK, VIETNAM, Database, advisory_lock, open_store

JOBS_TABLE = "scheduler_jobs"
TICK = "kiemtra.notifications.scheduler:scheduled_tick"
# APScheduler stores a job's function by reference; kiemtra 0.1.0 lived at the top level.
LEGACY_TICKS = ("notifications.scheduler:scheduled_tick",)
LEASE_TTL = timedelta(minutes=3)
GRACE = 12 * 3600  # seconds: a run missed by up to 12 hours still happens, once
SERVING: dict[str, Database] = {}
"""The database this process's scheduler runs its jobs on, by the URL its jobs store."""
SPEAKING = {"lang": "vi"}
"""The language of this process's scheduler (`--lang`): its ticks say their lines in it,
and no stored job depends on it."""


def words(vi: str, en: str) -> str:
    return en if SPEAKING["lang"] == "en" else vi

lease_metadata = MetaData()
lease_table = Table(
    "scheduler_lease", lease_metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", String(40), nullable=False),  # ISO, UTC
)


@dataclass
class Lease:
    """Who holds the schedule; expires unless renewed, so a crashed holder frees it."""

    engine: Engine
    holder: str
    name: str = "reminders"

    def acquire(self) -> str | None:
        """Take or renew the lease; None on success, else who holds it. On PostgreSQL
        under the schema lock: two schedulers starting at once take turns, both to make
        the table and to read and write the row."""
        now = datetime.now(UTC)
        with self.engine.connect().execution_options(immediate=True) as conn, conn.begin():
            advisory_lock(conn, SCHEMA_LOCK)
            lease_metadata.create_all(conn, checkfirst=True)
            row = conn.execute(select(lease_table).where(lease_table.c.name == self.name)
                               ).first()
            if row is not None and row.holder != self.holder and \
                    datetime.fromisoformat(row.expires_at) > now:
                until = datetime.fromisoformat(row.expires_at).astimezone(VIETNAM)
                return f"{row.holder}, giữ lịch đến {until:%H:%M:%S}"
            conn.execute(lease_table.delete().where(lease_table.c.name == self.name))
            conn.execute(lease_table.insert().values(
                name=self.name, holder=self.holder,
                expires_at=(now + LEASE_TTL).isoformat()))
        return None

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(lease_table.delete().where(lease_table.c.name == self.name,
                                                    lease_table.c.holder == self.holder))


def check_mail_settings() -> None:
    """KIEMTRA_SMTP_URL, KIEMTRA_SMTP_TIMEOUT and KIEMTRA_MAIL_FROM as each tick reads
    them; InvalidSetting (exit 2) for the first that is bad."""
    from kiemtra.notifications.tick import configured_sender
    from kiemtra.notifications.transports import transport_from_environment

    transport_from_environment(Path(OUTBOX))  # nothing is opened: the settings are read
    configured_sender()


def scheduled_tick(db_url: str, retries_only: bool = False, force: bool = False) -> None:
    """The job APScheduler runs (by reference, so it can be stored in the database)."""
    from kiemtra.notifications.reminders import remind_once

    today = datetime.now(VIETNAM).date()
    if not force and not WorkingCalendar().is_working_day(today):
        print(words(f"{today:%d/%m/%Y}: ngày nghỉ, không gửi nhắc việc.",
                    f"{today:%Y-%m-%d}: a day off, no reminders sent."), flush=True)
        return
    database = SERVING.get(db_url) or Database(db_url)
    report = remind_once(database, as_of=today, claimant=claimant(),
                         retries_only=retries_only)
    unknown = len(report.get("unknown") or ())
    silent = report.get("server_timeout")
    now = datetime.now(VIETNAM)
    sent, before = len(report["sent"]), len(report["already_sent"])
    failed, waiting = len(report["failed"]), len(report["waiting"])
    print(words(f"{now:%d/%m/%Y %H:%M} nhắc việc: đã gửi {sent}, đã gửi trước đó {before}, "
                f"lỗi {failed}, chờ gửi lại {waiting}"
                + (f", không rõ kết quả {unknown}" if unknown else "")
                + (f"; máy chủ thư không trả lời trong {silent:g} giây" if silent else "")
                + ".",
                f"{now:%Y-%m-%d %H:%M} reminders: {sent} sent, {before} sent before, "
                f"{failed} failed, {waiting} waiting to be sent again"
                + (f", {unknown} of unknown outcome" if unknown else "")
                + (f"; the mail server did not answer within {silent:g} seconds"
                   if silent else "") + "."), flush=True)


class ScheduleHeld(RuleViolation):
    rule = "one_scheduler"
    vi = "Đã có bộ lập lịch khác đang chạy ({holder}); chỉ một bộ được giữ lịch."
    en = "Another scheduler is running ({holder}); only one may hold the schedule."


class InvalidTime(InvalidInput):
    rule = "schedule_time"
    vi = "--at “{at}” phải có dạng HH:MM (00:00–23:59)."
    en = "--at '{at}' must be HH:MM (00:00–23:59)."


def run(database: Database, *, at: str = "07:30", retry_minutes: int = 60,
        run_now: bool = False, say: Callable[[str], None] = print, lang: str = "vi") -> None:
    """Run until SIGTERM or Ctrl-C; raises ScheduleHeld if another scheduler runs."""
    SPEAKING["lang"] = lang
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
        raise InvalidTime(at=at)
    check_mail_settings()  # a bad setting is said now (exit 2), not by every tick
    open_store(database).close()  # a new database gets its event tables first
    from apscheduler.events import EVENT_SCHEDULER_START
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    engine = database.engine()
    lease = Lease(engine, claimant())
    holder = lease.acquire()
    if holder is not None:
        raise ScheduleHeld(holder=holder)
    hour, minute = (int(part) for part in at.split(":"))
    daily_id, retry_id = f"tick-{hour:02d}{minute:02d}", f"retry-{retry_minutes}m"
    jobs = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
    _upgrade_stored_jobs(engine, jobs.jobs_t)
    existing = _stored_job_ids(engine)
    _forget_other_schedules(engine, keep={daily_id, retry_id})
    scheduler = BlockingScheduler(
        timezone=VIETNAM,
        jobstores={"default": jobs, "memory": MemoryJobStore()},
        job_defaults={"coalesce": True, "misfire_grace_time": GRACE, "max_instances": 1},
    )
    kwargs: dict[str, Any] = {"db_url": database.without_password()}
    SERVING[kwargs["db_url"]] = database
    if daily_id not in existing:
        scheduler.add_job(TICK, id=daily_id,
                          trigger=CronTrigger(day_of_week="mon-sat", hour=hour, minute=minute,
                                              timezone=VIETNAM), kwargs=kwargs)
    if retry_id not in existing:
        scheduler.add_job(TICK, id=retry_id,
                          trigger=IntervalTrigger(minutes=retry_minutes, timezone=VIETNAM),
                          kwargs=dict(kwargs, retries_only=True))
    scheduler.add_job(_renew, "interval", seconds=60, args=[lease], jobstore="memory",
                      id="lease")
    if run_now:
        scheduler.add_job(scheduled_tick, jobstore="memory", id="now",
                          kwargs=dict(kwargs, force=True))

    stopping: list[int] = []

    def stop(signum: int, _: Any) -> None:
        """SIGTERM: stop now, or — while APScheduler is still starting (making its tables,
        reading its jobs: never interrupted) — as soon as it has started."""
        say(words("Đang dừng bộ lập lịch (stopping)…", "Stopping the scheduler…"))
        if scheduler.running:
            scheduler.shutdown(wait=False)
        else:
            stopping.append(signum)

    def started(_: Any) -> None:
        if stopping:
            scheduler.shutdown(wait=False)

    scheduler.add_listener(started, EVENT_SCHEDULER_START)
    signal.signal(signal.SIGTERM, stop)
    say(words(f"Bộ lập lịch nhắc việc đang chạy: {at} các ngày làm việc, gửi lại mỗi "
              f"{retry_minutes} phút; dừng bằng Ctrl-C (scheduler running).",
              f"The reminder scheduler is running: {at} on working days, retries every "
              f"{retry_minutes} minutes; stop it with Ctrl-C."))
    try:
        scheduler.start()
    except KeyboardInterrupt:
        scheduler.shutdown(wait=False)
    finally:
        lease.release()
        engine.dispose()
    say(words("Đã dừng (stopped).", "Stopped."))


def _renew(lease: Lease) -> None:
    if lease.acquire() is not None:  # someone took over after we stalled: stop sending
        os.kill(os.getpid(), signal.SIGTERM)


def _stored_job_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        from sqlalchemy import inspect

        if not inspect(conn).has_table(JOBS_TABLE):
            return set()
        return {row[0] for row in conn.execute(text(f"SELECT id FROM {JOBS_TABLE}"))}


def _forget_other_schedules(engine: Engine, keep: set[str]) -> None:
    """Jobs of an earlier configuration (another hour, another retry interval) go."""
    stale = _stored_job_ids(engine) - keep
    if stale:
        with engine.begin() as conn:
            for job_id in stale:
                conn.execute(text(f"DELETE FROM {JOBS_TABLE} WHERE id = :id"), {"id": job_id})


def _upgrade_stored_jobs(engine: Engine, jobs_table: Table) -> None:
    """Make the jobs table if it is missing (under the schema lock: APScheduler would make
    it on start, racing another process doing the same on PostgreSQL), and mend the jobs
    an earlier kiemtra stored, in place, nothing else changed:

    - kiemtra 0.1.0 named the tick by its old module path, which no longer imports:
      APScheduler would drop those jobs on start ("Unable to restore job"), losing the
      missed run they stand for;
    - before 0.2 a job kept the database's URL as given, a PostgreSQL password with it:
      the password is taken out (the scheduler runs its jobs with its own database)."""
    import pickle

    with engine.begin() as conn:
        advisory_lock(conn, SCHEMA_LOCK)
        jobs_table.create(conn, checkfirst=True)
        rows = conn.execute(text(f"SELECT id, job_state FROM {JOBS_TABLE}")).all()
        for job_id, state in rows:
            job = pickle.loads(state)
            kwargs = job.get("kwargs") or {}
            url = kwargs.get("db_url")
            bare = Database(url).without_password() if isinstance(url, str) else url
            if job.get("func") not in LEGACY_TICKS and bare == url:
                continue
            if job.get("func") in LEGACY_TICKS:
                job["func"] = TICK
            job["kwargs"] = dict(kwargs, db_url=bare) if "db_url" in kwargs else kwargs
            conn.execute(text(f"UPDATE {JOBS_TABLE} SET job_state = :state WHERE id = :id"),
                         {"state": pickle.dumps(job, pickle.HIGHEST_PROTOCOL), "id": job_id})
