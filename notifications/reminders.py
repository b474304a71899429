"""The reminder services the CLI and the scheduler call: one tick with the configured mail,
and the list of reminders that did not go out."""

from __future__ import annotations

import os
import socket
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kiemtra.domain.formats import format_date
from kiemtra.domain.vocabulary import DEADLINE_KINDS_SHORT
from kiemtra.projections.views import Views
from kiemtra.workflow import Database

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
                retries_only: bool = False, now: datetime | None = None,
                at_once: bool = False) -> dict[str, Any]:
    """One tick's report (`TickReport.as_dict`); with no database yet, nothing to send."""
    if not database.exists():
        return {"sent": [], "already_sent": [], "failed": [], "waiting": [], "would_send": [],
                "dry_run": dry_run}
    from kiemtra.notifications.tick import run_tick  # the ledger, the letters, the mail
    from kiemtra.notifications.transports import transport_from_environment

    transport = transport_from_environment(outbox_folder(database))
    return run_tick(database, as_of=as_of, now=now or datetime.now(UTC),
                    transport=transport, claimant=claimant, dry_run=dry_run,
                    retries_only=retries_only, at_once=at_once).as_dict()


def transport_words(transport: str, lang: str) -> str:
    """Where the messages went, in words: the outbox folder ("thư mục thư đi") or the mail
    server (its URL, which never holds a password)."""
    kind, _, where = transport.partition(" ")
    if kind == "outbox":
        return f"thư mục thư đi {where}" if lang == "vi" else f"the outbox folder {where}"
    return f"máy chủ thư {transport}" if lang == "vi" else f"the mail server {transport}"


def report_lines(report: dict[str, Any], lang: str) -> list[str]:
    """A tick's report for people: the counts, then one line per reminder."""
    vi = lang == "vi"
    lines = []
    if report["would_send"] or report.get("dry_run"):
        lines.append("Chạy thử (--dry-run): không gửi, không ghi nhận gì." if vi else
                     "Dry run (--dry-run): nothing is sent or recorded.")
    if "as_of" in report:
        day = format_date(date.fromisoformat(report["as_of"]), lang)
        counts = [len(report[k]) for k in ("sent", "already_sent", "failed", "waiting")]
        via = transport_words(report["transport"], lang)
        lines += [(f"Nhắc việc ngày {day} qua {via}: đã gửi {counts[0]}, đã gửi "
                  f"trước đó {counts[1]}, lỗi {counts[2]}, chờ gửi lại {counts[3]}.") if vi else
                 (f"Reminders for {day} via {via}: sent {counts[0]}, already "
                  f"sent {counts[1]}, failed {counts[2]}, waiting {counts[3]}.")]
    else:
        lines += ["Chưa có dữ liệu; không có gì để nhắc." if vi else "No data; nothing to send."]
    if report["would_send"]:
        n = len(report["would_send"])
        lines.append(f"Sẽ gửi {n} thư:" if vi else f"{n} would go out:")
    for mark, key in (("→", "would_send"), ("✓", "sent"), ("✗", "failed"), ("…", "waiting")):
        for item in report[key]:
            line = f"  {mark} {item.get('subject') or item['key']} → {', '.join(item['to'])}"
            lines.append(line + (f" ({item['error']})" if item.get("error") else ""))
            if key == "waiting" and item.get("retry_after"):
                lines.append(("    lần gửi lại tự động tiếp theo: " if vi else
                              "    next automatic try: ") + _local(item["retry_after"], lang))
    return lines


def _local(moment: str, lang: str) -> str:
    """A stored UTC moment as Vietnam's time: '06/08/2026 08:35' (ISO in English)."""
    from kiemtra.workflow import VIETNAM

    at = datetime.fromisoformat(moment).astimezone(VIETNAM)
    return f"{at:%d/%m/%Y %H:%M}" if lang == "vi" else f"{at:%Y-%m-%d %H:%M}"


def undelivered_lines(rows: list[dict[str, Any]], lang: str) -> list[str]:
    """The reminders that did not go out, one line each."""
    vi = lang == "vi"
    if not rows:
        return ["Không có thư nhắc nào bị lỗi." if vi else "No failed reminders."]
    lines = []
    for r in rows:
        failed = r["state"] == "failed"
        state = (("lỗi, không gửi lại" if failed else "chờ gửi lại") if vi else
                 ("failed for good" if failed else "will be retried"))
        kind = DEADLINE_KINDS_SHORT.get(r["kind"], (r["kind"], r["kind"]))[0]
        due = format_date(date.fromisoformat(r["due"]), lang)
        lines.append(f"{r['campaign']}/{r['unit']} {kind} (hạn {due}): {state}, "
                     f"{r['attempts']} lần — {r['error']}")
    return lines


def undelivered(database: Database) -> list[dict[str, Any]]:
    """Reminders that failed for good, or wait to be retried after a temporary failure."""
    views = Views.for_reading(database)
    return views.undelivered() if views else []
