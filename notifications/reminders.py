"""The reminder service the CLI and the scheduler call: one tick, with the configured mail."""

from __future__ import annotations

import os
import socket
from datetime import UTC, date, datetime
from pathlib import Path

from kiemtra.notifications.tick import TickReport, run_tick
from kiemtra.notifications.transports import transport_from_environment
from kiemtra.workflow.database import Database

OUTBOX = "kiemtra-outbox"


def claimant(actor: str | None = None) -> str:
    """Who claims reminders and holds the schedule: host and process (and the actor)."""
    where = f"{socket.gethostname()}:{os.getpid()}"
    return f"{actor}@{where}" if actor else where


def outbox_folder(database: Database) -> Path:
    """Beside the SQLite file; in the current folder for a database server."""
    base = Path.cwd() if database.is_postgres else database.sqlite_path.parent
    return (base / OUTBOX).resolve()


def remind_once(database: Database, *, as_of: date, claimant: str, dry_run: bool = False,
                retries_only: bool = False, now: datetime | None = None) -> TickReport:
    transport = transport_from_environment(outbox_folder(database))
    return run_tick(database, as_of=as_of, now=now or datetime.now(UTC),
                    transport=transport, claimant=claimant, dry_run=dry_run,
                    retries_only=retries_only)
