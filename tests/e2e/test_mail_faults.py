"""`kiemtra remind` against mail servers that misbehave for real, on 127.0.0.1 (issue 15
item 1): a connection dropped after the message's data, recipients refused for good and
for now, SMTPUTF8 offered or not, a server that never answers, a remind killed mid-send.

Each says what a person reads (in Vietnamese and in English), what the ledger says
(`remind --failed`, `--json`), that no message went twice in one run (the server counts
what it received), that a later run reuses the Message-ID, and that the log still
verifies.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CODE, Result, Run, kiemtra_script, ok
from tests.e2e.test_remind_cli import overdue_report
from tests.smtp_server import SilentServer, SmtpServer

REPORT = f"{CODE}/kt/report/0/2026-08-11/-3"  # due on 06/08: three working days before
ON_SITE = f"{CODE}/kt/on_site/0/2026-08-12/-1"  # due on 11/08, with the report's due-day one
TEAM = ["kinhte@khucthuadu.example", "truongto@khucthuadu.example",
        "photo.to@khucthuadu.example", "tv.vp@khucthuadu.example", "tv.kt@khucthuadu.example",
        "tv.hcc@khucthuadu.example"]
LANGS = ["vi", "en"]


def say(lang: str, vi: str, en: str) -> str:
    return vi if lang == "vi" else en


def remind(run: Run, lang: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return run("--lang", lang, "remind", *args, env=env)


def ledger(run: Run) -> dict[str, dict[str, Any]]:
    """`remind --failed --json`, by reminder key."""
    return {row["key"]: row for row in ok(run("--json", "remind", "--failed")).json()}


def verified(run: Run) -> None:
    assert ok(run("audit", "verify")).code == 0


def message_id(message: Any) -> str:
    return str(message["Message-ID"]).strip()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtputf8() -> Iterator[SmtpServer]:
    server = SmtpServer(smtputf8=True)
    server.start()
    yield server
    server.stop()


# --- a connection dropped after the message's data ------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_connection_dropped_after_the_data_is_an_unknown_outcome(
        imported: Run, smtp: SmtpServer, lang: str) -> None:
    overdue_report(imported)
    env = {"KIEMTRA_SMTP_URL": smtp.url}
    smtp.recorder.mode = "drop"  # the server takes the message, then hangs up unanswered
    first = remind(imported, lang, "--as-of", "06/08/2026", env=env)
    assert first.code == 0, first.err
    assert len(smtp.recorder.received) == 1  # not sent again in the same run
    assert say(lang, "đã gửi 0, đã gửi trước đó 0, lỗi 0, chờ gửi lại 0, không rõ kết quả 1.",
               "sent 0, already sent 0, failed 0, waiting 0, outcome unknown 1.") in first.out
    assert say(lang, "(không rõ kết quả: kết nối bị ngắt sau khi đã gửi hết nội dung thư, "
                     "trước khi máy chủ thư xác nhận; thư có thể đã đến)",
               "(outcome unknown: the connection dropped after the whole message was sent, "
               "before the mail server confirmed it; it may have been delivered)") in first.out
    assert "  ? [KTD-TKT-2026] Nhắc hạn nộp báo cáo" in first.out and "✓" not in first.out
    assert say(lang, "Có thư nhắc không rõ kết quả (có thể đã đến)",
               "Some reminders have an unknown outcome") in first.err
    row = ledger(imported)[REPORT]
    assert (row["state"], row["reason"], row["attempts"]) == ("unknown", "disconnected", 1)
    assert row["message_id"] == message_id(smtp.recorder.received[0])
    for shown in LANGS:
        listed = ok(remind(imported, shown, "--failed")).out
        assert say(shown, "KTD-TKT-2026/kt báo cáo (hạn 11/08/2026): không rõ kết quả, sẽ gửi "
                          "lại cùng Message-ID từ ",
                   "KTD-TKT-2026/kt report (due 2026-08-11): outcome unknown, to be retried "
                   "with the same Message-ID from ") in listed
    smtp.recorder.mode = "ok"
    later = ok(imported("--json", "--lang", lang, "remind", "--as-of", "2026-08-06", env=env))
    assert [s["key"] for s in later.json()["sent"]] == [REPORT]
    first_id, second_id = (message_id(m) for m in smtp.recorder.received)
    assert first_id == second_id == row["message_id"]  # the same message, not a new one
    assert ledger(imported) == {}
    assert ok(remind(imported, lang, "--as-of", "06/08/2026", env=env))
    assert len(smtp.recorder.received) == 2
    verified(imported)


def test_no_reply_after_the_data_is_an_unknown_outcome_and_stops_the_run(
        imported: Run, smtp: SmtpServer) -> None:
    """The server takes the message and never answers: the reply's timeout is an unknown
    outcome, and the run tries nothing else through that server."""
    overdue_report(imported)
    env = {"KIEMTRA_SMTP_URL": smtp.url, "KIEMTRA_SMTP_TIMEOUT": "1"}
    smtp.recorder.mode = "stall"
    report = ok(imported("--json", "remind", "--as-of", "2026-08-11", env=env)).json()
    assert len(smtp.recorder.received) == 1 and report["server_timeout"] == 1
    (unknown,) = report["unknown"]
    (waiting,) = report["waiting"]
    assert unknown["reason"] == "timeout" and waiting["reason"] == "not_tried"
    rows = ledger(imported)
    assert rows[unknown["key"]]["state"] == "unknown"
    assert rows[waiting["key"]]["attempts"] == 0  # claimed, then left untried
    smtp.recorder.mode = "ok"
    later = ok(imported("--json", "remind", "--as-of", "2026-08-11", env=env)).json()
    assert sorted(s["key"] for s in later["sent"]) == sorted([unknown["key"], waiting["key"]])
    ids = [message_id(m) for m in smtp.recorder.received]
    assert len(ids) == 3 and ids[0] == rows[unknown["key"]]["message_id"]
    assert ids.count(ids[0]) == 2  # the unknown one again, under the same Message-ID
    assert rows[waiting["key"]]["message_id"] in ids
    verified(imported)


# --- recipients refused, for good and for now -----------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_refused_recipients_fail_one_by_one_and_only_the_deferred_one_is_retried(
        imported: Run, smtp: SmtpServer, lang: str) -> None:
    overdue_report(imported)
    env = {"KIEMTRA_SMTP_URL": smtp.url}
    smtp.recorder.refuse = {"tv.kt@khucthuadu.example"}  # 550: no such mailbox
    smtp.recorder.defer = {"tv.vp@khucthuadu.example"}  # 450: try later
    first = remind(imported, lang, "--as-of", "11/08/2026", env=env)
    assert first.code == 0, first.err
    assert say(lang, "Có thư nhắc không gửi được; xem: kiemtra remind --failed",
               "Some reminders failed; see: kiemtra remind --failed") in first.err
    ticks = [line for line in first.out.splitlines() if "✓" in line]
    assert len(ticks) == 2 and not any("tv.kt" in t or "tv.vp" in t for t in ticks)
    assert "    ✗ tv.kt@khucthuadu.example: 550 5.1.1 mailbox unavailable — " + say(
        lang, "bị từ chối, không gửi lại", "refused, not retried") in first.out
    assert "    … tv.vp@khucthuadu.example: 450 4.2.1 mailbox busy, try again later — " + say(
        lang, "bị từ chối tạm thời, sẽ gửi lại riêng cho địa chỉ này",
        "refused for now, to be retried for this address alone") in first.out
    on_site = [m for m in smtp.recorder.received if "Lịch kiểm tra" in m["Subject"]]
    assert len(smtp.recorder.received) == 2 and len(on_site) == 1
    assert smtp.recorder.envelopes[-1][1] == [a for a in TEAM if a not in (
        "tv.kt@khucthuadu.example", "tv.vp@khucthuadu.example")]
    row = ledger(imported)[ON_SITE]
    assert row["state"] == "retry" and row["retry_to"] == ["tv.vp@khucthuadu.example"]
    assert set(row["refused"]) == {"tv.kt@khucthuadu.example", "tv.vp@khucthuadu.example"}
    assert row["message_id"] == message_id(on_site[0])
    for shown in LANGS:
        listed = ok(remind(imported, shown, "--failed")).out
        assert say(shown, "KTD-TKT-2026/kt lịch kiểm tra (hạn 12/08/2026): đã gửi cho người "
                          "nhận khác, chờ gửi lại cho 1 người nhận",
                   "KTD-TKT-2026/kt on-site visit (due 2026-08-12): sent to the others, to be "
                   "retried for 1 recipient") in listed
        status = ok(imported("--lang", shown, "status", CODE, "--as-of", "11/08/2026")).out
        assert say(shown, "thư nhắc lỗi", "reminder failed") in status
    assert [r["reminders_failed"] for r in imported("--json", "status", CODE).json()
            if r["unit"] == "kt"] == [1]

    dry = ok(remind(imported, lang, "--as-of", "11/08/2026", "--dry-run", env=env)).out
    assert dry.endswith("12/08/2026 → tv.vp@khucthuadu.example\n")  # the retry's envelope
    smtp.recorder.defer = set()
    later = remind(imported, lang, "--as-of", "11/08/2026", env=env)
    assert later.code == 0
    assert smtp.recorder.envelopes[-1][1] == ["tv.vp@khucthuadu.example"]  # to it alone
    assert message_id(smtp.recorder.received[-1]) == row["message_id"]
    assert "  ✓ [KTD-TKT-2026] Lịch kiểm tra trực tiếp tại Phòng Kinh tế: thứ Tư, 12/08/2026 " \
           "→ tv.vp@khucthuadu.example" in later.out
    again = ok(remind(imported, lang, "--as-of", "11/08/2026", env=env))
    assert say(lang, "đã gửi 0, đã gửi trước đó 2", "sent 0, already sent 2") in again.out
    assert len(smtp.recorder.received) == 3
    row = ledger(imported)[ON_SITE]  # the one refused for good stays listed
    assert row["state"] == "sent" and list(row["refused"]) == ["tv.kt@khucthuadu.example"]
    assert say(lang, "đã gửi, trừ 1 người nhận bị từ chối", "sent, except to 1 refused "
               "recipient") in ok(remind(imported, lang, "--failed")).out
    verified(imported)


# --- addresses with Vietnamese letters -------------------------------------------------


def vietnamese_domain(run: Run, tmp_path: Path) -> None:
    """The unit kt's address is on a domain written with Vietnamese letters (accepted at
    import, as email_validator allows)."""
    template = ok(run("plan", "template")).out
    (tmp_path / "ke-hoach.toml").write_text(
        template.replace("kinhte@khucthuadu.example", "kinhte@khúcthừadụ.vn"), "utf-8")
    ok(run("plan", "import", "ke-hoach.toml"))
    overdue_report(run)


@pytest.mark.parametrize(("offered", "lang"), [(True, "vi"), (False, "en")])
def test_a_vietnamese_domain_goes_by_smtputf8_or_idna(
        run: Run, tmp_path: Path, smtp: SmtpServer, smtputf8: SmtpServer, offered: bool,
        lang: str) -> None:
    vietnamese_domain(run, tmp_path)
    server = smtputf8 if offered else smtp
    env = {"KIEMTRA_SMTP_URL": server.url}
    sent = remind(run, lang, "--as-of", "06/08/2026", env=env)
    assert sent.code == 0, sent.err  # 0.1.0: exit 2, UnicodeEncodeError, claims left behind
    assert say(lang, "đã gửi 1, đã gửi trước đó 0, lỗi 0", "sent 1, already sent 0, failed 0"
               ) in sent.out and "→ kinhte@khúcthừadụ.vn" in sent.out
    (raw,) = server.recorder.raw
    ((_, rcpt),) = server.recorder.envelopes
    if offered:
        assert rcpt == ["kinhte@khúcthừadụ.vn"] and "SMTPUTF8" in server.recorder.mail_options[0]
        assert "<kinhte@khúcthừadụ.vn>".encode() in raw  # RFC 6532: the header as written
    else:
        assert rcpt == ["kinhte@xn--khcthad-71a0500ewba.vn"]
        assert raw.isascii() and b"<kinhte@xn--khcthad-71a0500ewba.vn>" in raw
    for shown in LANGS:
        assert ok(remind(run, shown, "--failed")).out.strip() == say(
            shown, "Không có thư nhắc nào bị lỗi.", "No failed reminders.")
    again = ok(remind(run, lang, "--as-of", "06/08/2026", env=env))
    assert say(lang, "đã gửi 0, đã gửi trước đó 1", "sent 0, already sent 1") in again.out
    assert len(server.recorder.received) == 1
    verified(run)


@pytest.mark.parametrize("lang", LANGS)
def test_a_local_part_that_needs_smtputf8_fails_visibly_without_it(
        imported: Run, smtp: SmtpServer, lang: str) -> None:
    overdue_report(imported)
    env = {"KIEMTRA_SMTP_URL": smtp.url,
           "KIEMTRA_MAIL_FROM": "Tổ kiểm tra <tổkiểmtra@khúcthừadụ.vn>"}
    failed = remind(imported, lang, "--as-of", "06/08/2026", env=env)
    assert failed.code == 0 and smtp.recorder.received == []
    assert say(lang, "(máy chủ thư không hỗ trợ SMTPUTF8, cần cho địa chỉ có chữ có dấu trước "
                     "dấu @ (tổkiểmtra@khúcthừadụ.vn))",
               "(the mail server does not offer SMTPUTF8, which an address with accented "
               "letters before the @ needs (tổkiểmtra@khúcthừadụ.vn))") in failed.out
    assert "  ✗ [KTD-TKT-2026] Nhắc hạn nộp báo cáo" in failed.out
    row = ledger(imported)[REPORT]
    assert (row["state"], row["reason"]) == ("failed", "smtputf8")
    for shown in LANGS:
        assert say(shown, "báo cáo (hạn 11/08/2026): lỗi, không gửi lại, 1 lần — máy chủ thư "
                          "không hỗ trợ SMTPUTF8",
                   "report (due 2026-08-11): failed for good, 1 attempt — the mail server "
                   "does not offer SMTPUTF8") in ok(remind(imported, shown, "--failed")).out
    later = ok(remind(imported, lang, "--as-of", "06/08/2026", env=env))  # no crash, no retry
    assert say(lang, "lỗi 1", "failed 1") in later.out and smtp.recorder.received == []
    verified(imported)


# --- a server that never answers -------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_server_that_never_answers_is_given_up_for_the_run(
        imported: Run, silent: SilentServer, smtp: SmtpServer, lang: str) -> None:
    overdue_report(imported)
    env = {"KIEMTRA_SMTP_URL": silent.url, "KIEMTRA_SMTP_TIMEOUT": "1"}
    began = time.monotonic()
    first = remind(imported, lang, "--as-of", "11/08/2026", env=env)
    assert first.code == 0, first.err
    assert time.monotonic() - began < 20 and len(silent.connections) == 1  # tried once
    assert say(lang, "Máy chủ thư không trả lời trong 1 giây: lần chạy này không gửi thêm "
                     "qua máy chủ đó; 1 thư còn lại chờ lần chạy sau.",
               "The mail server did not answer within 1 second: this run sends nothing more "
               "through it; the message left waits for the next run.") in first.out
    assert say(lang, "chờ gửi lại 2.", "waiting 2.") in first.out
    assert say(lang, "(máy chủ thư không trả lời kịp)", "(the mail server did not answer in "
                                                        "time)") in first.out
    rows = ledger(imported)
    assert {k: (r["state"], r["reason"], r["attempts"]) for k, r in rows.items()} == {
        f"{CODE}/kt/report/0/2026-08-11/+0": ("retry", "timeout", 1),
        ON_SITE: ("retry", "not_tried", 0)}
    for shown in LANGS:
        listed = ok(remind(imported, shown, "--failed")).out
        assert say(shown, "chưa thử lần nào — chưa gửi: máy chủ thư đã không trả lời ở thư "
                          "trước trong cùng lần chạy",
                   "not tried yet — not tried: the mail server did not answer earlier in the "
                   "same run") in listed
    later = ok(imported("--json", "remind", "--as-of", "2026-08-11",
                        env={"KIEMTRA_SMTP_URL": smtp.url}))
    assert len(later.json()["sent"]) == 2 and len(smtp.recorder.received) == 2
    assert sorted(message_id(m) for m in smtp.recorder.received) == sorted(
        r["message_id"] for r in rows.values())
    verified(imported)


@pytest.mark.parametrize("value", ["0", "abc", "301", "-5", "1e3"])
def test_a_bad_timeout_is_refused_before_anything_is_claimed(
        imported: Run, smtp: SmtpServer, value: str) -> None:
    overdue_report(imported)
    env = {"KIEMTRA_SMTP_URL": smtp.url, "KIEMTRA_SMTP_TIMEOUT": value}
    for lang in LANGS:
        refused = remind(imported, lang, "--as-of", "06/08/2026", env=env)
        assert refused.code == 2 and refused.out == ""
        assert refused.err.strip() == say(
            lang, f"Thiết lập KIEMTRA_SMTP_TIMEOUT không hợp lệ: phải là số giây từ 1 đến "
                  f"300, không phải “{value}”.",
            f"The setting KIEMTRA_SMTP_TIMEOUT is invalid: it must be a number of seconds "
            f"from 1 to 300, not '{value}'.")
    assert ledger(imported) == {} and smtp.recorder.received == []
    assert ok(imported("remind", "--as-of", "06/08/2026", env={"KIEMTRA_SMTP_URL": smtp.url}))


def test_the_scheduler_refuses_a_bad_mail_setting_at_start(imported: Run) -> None:
    for name, value in (("KIEMTRA_SMTP_TIMEOUT", "abc"), ("KIEMTRA_MAIL_FROM", "a\nb@x.vn")):
        for lang in LANGS:
            refused = imported("--lang", lang, "scheduler",
                               env={"KIEMTRA_SMTP_URL": "smtp://127.0.0.1:9", name: value})
            assert refused.code == 2 and name in refused.err, refused.err
            assert refused.err.startswith(say(lang, f"Thiết lập {name} không hợp lệ: ",
                                              f"The setting {name} is invalid: "))


# --- KIEMTRA_MAIL_FROM -----------------------------------------------------------------


@pytest.mark.parametrize(("value", "vi", "en"), [
    ("Tổ kiểm tra <tkt@khucthuadu.example>\r\nBcc: x@evil.example",
     "có ký tự điều khiển (U+000D, U+000A), không được có trong tiêu đề thư",
     "it holds control characters (U+000D, U+000A), which a mail header may not"),
    ("=?utf-8?q?T=E1=BB=95=0ABcc=3A_x=40evil.example?= <tkt@khucthuadu.example>",
     "có ký tự điều khiển (U+000A)", "it holds control characters (U+000A)"),
    ("Tổ <tkt@khucthuadu.example>, x@evil.example", "phải là đúng một địa chỉ",
     "it must be exactly one address"),
])
def test_a_sender_with_control_characters_is_refused(
        imported: Run, smtp: SmtpServer, value: str, vi: str, en: str) -> None:
    overdue_report(imported)
    env = {"KIEMTRA_SMTP_URL": smtp.url, "KIEMTRA_MAIL_FROM": value}
    for lang, words in (("vi", vi), ("en", en)):
        for args in (("--as-of", "06/08/2026"), ("--as-of", "06/08/2026", "--dry-run")):
            refused = remind(imported, lang, *args, env=env)
            assert refused.code == 2 and refused.out == ""
            assert refused.err.startswith(say(lang, "Thiết lập KIEMTRA_MAIL_FROM không hợp lệ: ",
                                              "The setting KIEMTRA_MAIL_FROM is invalid: "))
            assert words in refused.err and refused.err.count("\n") == 1
    assert ledger(imported) == {} and smtp.recorder.received == []
    verified(imported)


# --- claims left by a killed remind ------------------------------------------------------


def claimed_events(tmp_path: Path) -> int:
    try:
        with sqlite3.connect(tmp_path / "kiemtra.db") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM stored_events WHERE topic LIKE "
                                    "'%Delivery.Claimed'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_a_remind_killed_mid_send_leaves_claims_that_are_listed_and_kept_for_their_lease(
        imported: Run, tmp_path: Path, silent: SilentServer, smtp: SmtpServer) -> None:
    overdue_report(imported)
    ok(imported("status"))  # the views caught up: the killed run only claims and sends
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
    env.update(KIEMTRA_ACTOR="truong-to", KIEMTRA_SMTP_URL=silent.url,
               KIEMTRA_SMTP_TIMEOUT="60")
    proc = subprocess.Popen([kiemtra_script(), "remind", "--as-of", "11/08/2026"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (silent.connections and claimed_events(tmp_path) == 2):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
    finally:
        proc.kill()  # SIGKILL, mid-send: no outcome is recorded
        proc.communicate(timeout=20)
    rows = ledger(imported)
    assert sorted(rows) == sorted([f"{CODE}/kt/report/0/2026-08-11/+0", ON_SITE])
    assert all(r["state"] == "claimed" and not r["interrupted"] and
               r["claimant"].endswith(f":{proc.pid}") for r in rows.values())
    for lang in LANGS:
        listed = ok(remind(imported, lang, "--failed")).out
        assert listed.count(say(lang, "đang gửi, hoặc lần chạy gửi nó đã bị dừng; nếu vậy, sẽ "
                                      "gửi lại từ ",
                                "being sent, or the run sending it was stopped; if so, it is "
                                "retried from ")) == 2
    within = remind(imported, "vi", "--as-of", "11/08/2026", env={"KIEMTRA_SMTP_URL": smtp.url})
    assert within.code == 0 and smtp.recorder.received == []  # the lease still holds
    assert "chờ gửi lại 2." in within.out
    assert "(đang được một lần chạy khác gửi, hoặc lần chạy đó đã bị dừng)" in within.out
    verified(imported)


@pytest.mark.parametrize("lang", LANGS)
def test_a_claim_whose_lease_has_passed_is_listed_and_retried(
        imported: Run, tmp_path: Path, smtp: SmtpServer, lang: str) -> None:
    """A claim as a remind killed an hour ago left it, recorded through the domain (the
    claim's moment is in the event: the lease is counted from it)."""
    from kiemtra.domain.delivery import Delivery
    from kiemtra.workflow import Database, open_store

    overdue_report(imported)
    store = open_store(Database(str(tmp_path / "kiemtra.db")))
    try:
        store.save_atomically(Delivery(
            key=REPORT, campaign=CODE, unit="kt", kind="report", finding=None,
            due=date(2026, 8, 11), offset=-3, recipients=["kinhte@khucthuadu.example"],
            message_id="<killed.1@khucthuadu.example>", subject="Nhắc hạn nộp báo cáo",
            claimed_at=datetime.now(UTC) - timedelta(hours=1),
            claimant="truong-to@may-da-tat:4242"))
    finally:
        store.close()
    row = ledger(imported)[REPORT]
    assert (row["state"], row["interrupted"], row["claimant"]) == (
        "claimed", True, "truong-to@may-da-tat:4242")
    for shown in LANGS:
        assert say(shown, "KTD-TKT-2026/kt báo cáo (hạn 11/08/2026): bị gián đoạn: lần gửi đã "
                          "dừng trước khi ghi được kết quả, sẽ gửi lại ở lần chạy sau, 1 lần",
                   "KTD-TKT-2026/kt report (due 2026-08-11): interrupted: the run sending it "
                   "stopped before recording an outcome; the next run retries it, 1 attempt"
                   ) in ok(remind(imported, shown, "--failed")).out
    retried = remind(imported, lang, "--as-of", "06/08/2026", env={"KIEMTRA_SMTP_URL": smtp.url})
    assert retried.code == 0
    assert say(lang, "đã gửi 1, đã gửi trước đó 0", "sent 1, already sent 0") in retried.out
    (message,) = smtp.recorder.received
    assert message_id(message) == "<killed.1@khucthuadu.example>"  # the claim's Message-ID
    assert ledger(imported) == {}
    verified(imported)
