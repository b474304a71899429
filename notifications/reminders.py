"""The reminder services the CLI and the scheduler call: one tick with the configured mail,
and the list of reminders that did not go out."""

from __future__ import annotations

import os
import socket
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kiemtra.domain.formats import format_date
from kiemtra.domain.ledger import (
    CLAIMED,
    FAILED,
    HEADER,
    NOT_TRIED,
    SENT,
    SMTPUTF8,
    TIMEOUT,
    UNKNOWN,
)
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
        return {"sent": [], "already_sent": [], "failed": [], "waiting": [], "unknown": [],
                "would_send": [], "dry_run": dry_run, "server_timeout": None}
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


def _why(item: dict[str, Any], lang: str) -> str:
    """Why a reminder did not (surely) go out, in the reader's language: the server's own
    reply as it came, or kiemtra's words for a cause that is not a reply."""
    vi = lang == "vi"
    reason, error = item.get("reason"), item.get("error") or ""
    unknown = item.get("state") == UNKNOWN or item.get("_list") == "unknown"
    if unknown:
        return ("không rõ kết quả: máy chủ thư không xác nhận sau khi đã nhận hết nội dung "
                "thư (quá thời gian chờ); thư có thể đã đến" if vi else
                "outcome unknown: the mail server did not confirm after receiving the whole "
                "message (no answer in time); it may have been delivered") if reason == TIMEOUT \
            else ("không rõ kết quả: kết nối bị ngắt sau khi đã gửi hết nội dung thư, trước "
                  "khi máy chủ thư xác nhận; thư có thể đã đến" if vi else
                  "outcome unknown: the connection dropped after the whole message was sent, "
                  "before the mail server confirmed it; it may have been delivered")
    if reason == TIMEOUT:
        return "máy chủ thư không trả lời kịp" if vi else "the mail server did not answer in time"
    if reason == CLAIMED:
        return ("đang được một lần chạy khác gửi, hoặc lần chạy đó đã bị dừng" if vi else
                "being sent by another run, or that run was stopped")
    if reason == NOT_TRIED:
        return ("chưa gửi: máy chủ thư đã không trả lời ở thư trước trong cùng lần chạy" if vi
                else "not tried: the mail server did not answer earlier in the same run")
    if reason == SMTPUTF8:
        who = error.partition(": ")[0]
        return (f"máy chủ thư không hỗ trợ SMTPUTF8, cần cho địa chỉ có chữ có dấu trước "
                f"dấu @ ({who})" if vi else
                f"the mail server does not offer SMTPUTF8, which an address with accented "
                f"letters before the @ needs ({who})")
    if reason == HEADER:
        return (f"tiêu đề thư có giá trị không an toàn ({error})" if vi else
                f"a header value is not safe ({error})")
    return error


def _refusal_lines(item: dict[str, Any], lang: str) -> list[str]:
    """One line per recipient the server refused: ✗ for good (5xx), … to be retried."""
    vi = lang == "vi"
    later = set(item.get("retry_to") or ())
    lines = []
    for address, reply in (item.get("refused") or {}).items():
        if address in later:
            lines.append(f"    … {address}: {reply} — " + (
                "bị từ chối tạm thời, sẽ gửi lại riêng cho địa chỉ này" if vi else
                "refused for now, to be retried for this address alone"))
        else:
            lines.append(f"    ✗ {address}: {reply} — " + (
                "bị từ chối, không gửi lại" if vi else "refused, not retried"))
    return lines


def report_lines(report: dict[str, Any], lang: str) -> list[str]:
    """A tick's report for people: the counts, then one line per reminder, and one line
    per recipient the server refused (never under a ✓)."""
    vi = lang == "vi"
    lines = []
    if report["would_send"] or report.get("dry_run"):
        lines.append("Chạy thử (--dry-run): không gửi, không ghi nhận gì." if vi else
                     "Dry run (--dry-run): nothing is sent or recorded.")
    unknown = report.get("unknown") or []
    if "as_of" in report:
        day = format_date(date.fromisoformat(report["as_of"]), lang)
        counts = [len(report[k]) for k in ("sent", "already_sent", "failed", "waiting")]
        via = transport_words(report["transport"], lang)
        more = ((f", không rõ kết quả {len(unknown)}" if vi else
                 f", outcome unknown {len(unknown)}") if unknown else "")
        lines += [(f"Nhắc việc ngày {day} qua {via}: đã gửi {counts[0]}, đã gửi "
                  f"trước đó {counts[1]}, lỗi {counts[2]}, chờ gửi lại {counts[3]}{more}.")
                  if vi else
                 (f"Reminders for {day} via {via}: sent {counts[0]}, already "
                  f"sent {counts[1]}, failed {counts[2]}, waiting {counts[3]}{more}.")]
    else:
        lines += ["Chưa có dữ liệu; không có gì để nhắc." if vi else "No data; nothing to send."]
    if report.get("server_timeout") is not None:
        left = sum(1 for item in report["waiting"] if item.get("reason") == NOT_TRIED)
        seconds = f"{report['server_timeout']:g}"
        lines.append((f"Máy chủ thư không trả lời trong {seconds} giây: lần chạy này không "
                      f"gửi thêm qua máy chủ đó" + (f"; {left} thư còn lại chờ lần chạy sau."
                                                    if left else ".")) if vi else
                     (f"The mail server did not answer within {seconds} second"
                      f"{'' if seconds == '1' else 's'}: this run "
                      f"sends nothing more through it" +
                      ("; the message left waits for the next run." if left == 1 else
                       f"; the {left} messages left wait for the next run." if left else ".")))
    if report["would_send"]:
        n = len(report["would_send"])
        lines.append(f"Sẽ gửi {n} thư:" if vi else f"{n} would go out:")
    for mark, key in (("→", "would_send"), ("✓", "sent"), ("✗", "failed"), ("?", "unknown"),
                      ("…", "waiting")):
        for item in report.get(key) or ():
            what = item.get("subject") or item["key"]
            refused = item.get("refused") or {}
            if key == "sent":  # only the recipients the server took now
                lines.append(f"  ✓ {what} → {', '.join(item.get('sent_to') or item['to'])}")
            elif refused and key != "unknown":  # refused one by one: said below
                lines.append(f"  {mark} {what} → {', '.join(refused)}")
            else:
                why = _why(dict(item, _list=key), lang)
                if item.get("reason") == NOT_TRIED and report.get("server_timeout"):
                    why = ""  # the line about the server says it once
                to = item.get("retry_to") or item["to"]  # a retry goes to those still owed
                lines.append(f"  {mark} {what} → {', '.join(to)}" + (f" ({why})" if why else ""))
            lines += _refusal_lines(item, lang)
            if key in ("waiting", "unknown", "sent") and item.get("retry_after") and (
                    key != "sent" or item.get("retry_to")):
                same = ((" (cùng Message-ID)" if vi else " (same Message-ID)")
                        if key == "unknown" else "")
                lines.append(("    lần gửi lại tự động tiếp theo: " if vi else
                              "    next automatic try: ") + _local(item["retry_after"], lang)
                             + same)
    return lines


def _local(moment: str, lang: str) -> str:
    """A stored UTC moment as Vietnam's time: '06/08/2026 08:35' (ISO in English)."""
    from kiemtra.workflow import VIETNAM

    at = datetime.fromisoformat(moment).astimezone(VIETNAM)
    return f"{at:%d/%m/%Y %H:%M}" if lang == "vi" else f"{at:%Y-%m-%d %H:%M}"


def _standing(r: dict[str, Any], lang: str) -> str:
    """Where a delivery stands, in words (`remind --failed`)."""
    vi = lang == "vi"
    state, later = r["state"], r.get("retry_to") or []
    when = _local(r["retry_after"], lang) if r.get("retry_after") else None
    if state == FAILED:
        return "lỗi, không gửi lại" if vi else "failed for good"
    if state == UNKNOWN:
        return ("không rõ kết quả, sẽ gửi lại cùng Message-ID" if vi else
                "outcome unknown, to be retried with the same Message-ID") + (
            (f" từ {when}" if vi else f" from {when}") if when else "")
    if state == CLAIMED and r.get("interrupted"):
        return ("bị gián đoạn: lần gửi đã dừng trước khi ghi được kết quả, sẽ gửi lại ở lần "
                "chạy sau" if vi else "interrupted: the run sending it stopped before "
                "recording an outcome; the next run retries it")
    if state == CLAIMED:
        return ((f"đang gửi, hoặc lần chạy gửi nó đã bị dừng; nếu vậy, sẽ gửi lại từ {when}")
                if vi else (f"being sent, or the run sending it was stopped; if so, it is "
                            f"retried from {when}"))
    refused = r.get("refused") or {}
    if state == SENT:
        return (f"đã gửi, trừ {len(refused)} người nhận bị từ chối" if vi else
                f"sent, except to {len(refused)} refused recipient"
                + ("s" if len(refused) != 1 else ""))
    if refused and len(later) < len(r["recipients"]):
        return ((f"đã gửi cho người nhận khác, chờ gửi lại cho {len(later)} người nhận"
                 + (f" từ {when}" if when else "")) if vi else
                (f"sent to the others, to be retried for {len(later)} recipient"
                 + ("s" if len(later) != 1 else "") + (f" from {when}" if when else "")))
    return ("chờ gửi lại" + (f" từ {when}" if when else "")) if vi else \
        ("will be retried" + (f" from {when}" if when else ""))


def undelivered_lines(rows: list[dict[str, Any]], lang: str) -> list[str]:
    """The reminders that did not (surely) go out to all their recipients: one line each,
    and one per recipient the server refused."""
    vi = lang == "vi"
    if not rows:
        return ["Không có thư nhắc nào bị lỗi." if vi else "No failed reminders."]
    lines = []
    for r in rows:
        kind = DEADLINE_KINDS_SHORT.get(r["kind"], (r["kind"], r["kind"]))[0 if vi else 1]
        due = format_date(date.fromisoformat(r["due"]), lang)
        attempts = (("chưa thử lần nào" if vi else "not tried yet") if not r["attempts"] else
                    f"{r['attempts']} lần" if vi else
                    f"{r['attempts']} attempt" + ("s" if r["attempts"] != 1 else ""))
        why = "" if r["state"] == CLAIMED or (r["state"] != UNKNOWN and r.get("refused")) \
            else _why(r, lang)
        if r["state"] == UNKNOWN:
            why = why.partition(": ")[2]  # "không rõ kết quả" is said by the state already
        lines.append((f"{r['campaign']}/{r['unit']} {kind} (hạn {due}): " if vi else
                      f"{r['campaign']}/{r['unit']} {kind} (due {due}): ")
                     + f"{_standing(r, lang)}, {attempts}" + (f" — {why}" if why else ""))
        lines += _refusal_lines(r, lang)
    return lines


def undelivered(database: Database) -> list[dict[str, Any]]:
    """Reminders not simply sent to all their recipients (`Views.undelivered`)."""
    views = Views.for_reading(database)
    return views.undelivered(datetime.now(UTC)) if views else []
