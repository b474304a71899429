"""Reminders against a real SMTP server (aiosmtpd on 127.0.0.1) and a real SQLite ledger."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest

from kiemtra.domain.delivery import Delivery
from kiemtra.domain.ledger import delivery_id
from kiemtra.notifications.message import UnsafeHeader, build
from kiemtra.notifications.tick import LEASE, run_tick
from kiemtra.notifications.transports import OutboxTransport, SmtpTransport
from kiemtra.projections.views import Views
from kiemtra.workflow.database import Database
from kiemtra.workflow.services import Workflow
from tests.conftest import CODE
from tests.smtp_server import SmtpServer

D = date
NOW = datetime(2026, 8, 7, 0, 30, tzinfo=UTC)  # 07:30 in Vietnam




@pytest.fixture
def db(db_path: Path, campaign: str) -> Database:
    return Database(str(db_path))


def tick(db: Database, smtp: SmtpServer, as_of: date, now: datetime = NOW, **kw: Any) -> Any:
    return run_tick(db, as_of=as_of, now=now, transport=SmtpTransport(smtp.url),
                    claimant="test", **kw)


def bodies(message: Any) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


def only_kt(wf: Workflow) -> None:
    """Leave only Phòng Kinh tế with deadlines: the other units are cancelled."""
    for unit in ("vp", "vhxh", "hcc"):
        wf.cancel(CODE, unit, reason="Không kiểm tra năm nay", day=D(2026, 7, 1))


def test_report_reminder_content_and_encoding(wf: Workflow, db: Database,
                                              smtp: SmtpServer) -> None:
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    report = tick(db, smtp, D(2026, 8, 6))  # 3 working days before 11/08
    assert [s["kind"] for s in report.sent] == ["report"]
    (message,) = smtp.recorder.received
    assert message["Subject"] == ("[KTD-TKT-2026] Nhắc hạn nộp báo cáo phục vụ kiểm tra: "
                                  "Phòng Kinh tế, hạn 11/08/2026")
    assert message["To"].addresses[0].addr_spec == "kinhte@khucthuadu.example"
    assert message["From"].addresses[0].addr_spec == "vhxh@khucthuadu.example"
    text, html = bodies(message)
    assert "Kính gửi: Phòng Kinh tế." in text
    assert "chậm nhất thứ Ba, ngày 11/08/2026" in text
    assert "gửi Tổ kiểm tra (qua Phòng Văn hóa - Xã hội" in text
    assert "Kế hoạch số …/KH-UBND ngày 15/06/2026 của Ủy ban nhân dân xã Khúc Thừa Dụ" in text
    assert "Trân trọng./." in text and "ngày 06 tháng 8 năm 2026" in text
    # the team's letter to a unit, signed for the team by its leader (ND 30: TM.)
    assert "TM. TỔ KIỂM TRA\nTỔ TRƯỞNG\n\nNguyễn Văn A" in text
    assert "<strong>Kính gửi:</strong> Phòng Kinh tế." in html
    raw = smtp.recorder.received[0].as_bytes()
    assert b"Kinh t" not in raw.split(b"\n\n")[0]  # the subject travels RFC 2047-encoded


def test_each_kind_renders_in_vietnamese(wf: Workflow, db: Database,
                                         smtp: SmtpServer) -> None:
    wf.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True)  # → minutes reminder
    wf.inspect(CODE, "kt", day=D(2026, 8, 12), surprise=True)
    wf.minutes(CODE, "kt", day=D(2026, 8, 12))  # → conclusion reminder
    wf.notify(CODE, "vhxh", on_site=D(2026, 8, 14), day=D(2026, 8, 4))
    wf.report(CODE, "vhxh", day=D(2026, 8, 10))  # → on-site reminder
    tick(db, smtp, D(2026, 8, 13))
    assert sorted(m["Subject"] for m in smtp.recorder.received) == [
        "[KTD-TKT-2026] Lịch kiểm tra trực tiếp tại Phòng Văn hóa - Xã hội: thứ Sáu, 14/08/2026",
        "[KTD-TKT-2026] Quá hạn gửi Thông báo lịch kiểm tra: Trung tâm Phục vụ hành chính "
        "công xã, hạn 12/08/2026",
    ]
    on_site = [m for m in smtp.recorder.received if "Lịch kiểm tra" in m["Subject"]][0]
    assert len(on_site["To"].addresses) == 6  # the unit and the whole team
    smtp.recorder.received.clear()
    # 3 working days before the conclusion due dates: 22/08 for vp, 25/08 for kt (Saturday
    # 22/08/2026 is a working day, so that is Friday 21/08)
    tick(db, smtp, D(2026, 8, 21), now=NOW + timedelta(days=14))
    subjects = [m["Subject"] for m in smtp.recorder.received]
    assert ("[KTD-TKT-2026] Nhắc hoàn thiện biên bản và kết luận kiểm tra: Văn phòng Hội "
            "đồng nhân dân và Ủy ban nhân dân xã, hạn 22/08/2026") in subjects
    assert ("[KTD-TKT-2026] Nhắc ban hành Thông báo kết luận kiểm tra: Phòng Kinh tế, hạn "
            "25/08/2026") in subjects
    assert not any("ban hành Thông báo kết luận kiểm tra: Văn phòng" in s for s in subjects)
    wf.conclude(CODE, "kt", day=D(2026, 8, 20), findings=["Chưa niêm yết <TTHC> & phí"])
    smtp.recorder.received.clear()
    # 30 days after 20/08 is Saturday 19/09, so the deadline is Monday 21/09;
    # 5 working days before it is Monday 14/09
    tick(db, smtp, D(2026, 9, 14), now=NOW + timedelta(days=40))
    remediation = [m for m in smtp.recorder.received if "khắc phục" in m["Subject"]]
    assert remediation[0]["Subject"] == ("[KTD-TKT-2026] Nhắc hạn báo cáo khắc phục tồn tại "
                                         "số 1: Phòng Kinh tế, hạn 21/09/2026")
    text, html = bodies(remediation[0])
    assert "“Chưa niêm yết <TTHC> & phí”" in text
    assert "Chưa niêm yết &lt;TTHC&gt; &amp; phí" in html  # autoescaped
    assert "chậm nhất thứ Hai, ngày 21/09/2026 (còn 7 ngày)" in text


def test_each_reminder_is_delivered_once(wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    first = tick(db, smtp, D(2026, 8, 6))
    second = tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(hours=1))
    third = tick(db, smtp, D(2026, 8, 7), now=NOW + timedelta(days=1))  # same stage still
    assert len(first.sent) == 1 and second.sent == [] and third.sent == []
    assert len(second.already_sent) == 1
    assert len(smtp.recorder.received) == 1
    # the on-due stage is a new reminder, sent once on 11/08
    assert len(tick(db, smtp, D(2026, 8, 11), now=NOW + timedelta(days=4)).sent) == 2  # + on-site


def test_a_met_deadline_is_never_reminded(wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    wf.report(CODE, "kt", day=D(2026, 8, 5))
    report = tick(db, smtp, D(2026, 8, 11))
    assert [s["kind"] for s in report.sent] == ["on_site"]


def test_dry_run_sends_and_records_nothing(wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    events = wf.store.event_count()
    report = tick(db, smtp, D(2026, 8, 6), dry_run=True)
    assert len(report.would_send) == 1 and report.sent == []
    assert smtp.recorder.received == [] and wf.store.event_count() == events


def test_server_down_then_up_delivers_once_with_the_same_message_id(
    wf: Workflow, db: Database, smtp: SmtpServer
) -> None:
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    smtp.stop()
    down = tick(db, smtp, D(2026, 8, 6))
    assert len(down.waiting) == 1 and "Connection" in down.waiting[0]["error"]
    claimed = wf.store.load(delivery_id(down.waiting[0]["key"]))
    smtp.start()
    early = tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(minutes=1))  # backing off
    assert early.sent == [] and smtp.recorder.received == []
    later = tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(minutes=6))
    assert len(later.sent) == 1
    (message,) = smtp.recorder.received
    assert message["Message-ID"].strip() == claimed.message_id
    assert tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(hours=2)).sent == []


def test_4xx_is_retried_and_5xx_fails_for_good(wf: Workflow, db: Database,
                                               smtp: SmtpServer) -> None:
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    smtp.recorder.mode = "busy"
    busy = tick(db, smtp, D(2026, 8, 6))
    assert busy.waiting[0]["error"].startswith("451")
    smtp.recorder.mode = "reject"
    rejected = tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(minutes=10))
    assert rejected.failed[0]["error"].startswith("554")
    smtp.recorder.mode = "ok"
    never = tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(hours=10))
    assert never.sent == [] and len(never.failed) == 1 and smtp.recorder.received == []
    views = Views(db).fresh()
    (undelivered,) = views.undelivered()
    assert undelivered["state"] == "failed" and undelivered["attempts"] == 2
    views.rebuild()
    assert views.undelivered() == [undelivered]
    due = [d for d in views.due(D(2026, 8, 6), 30) if d["kind"] == "report"]
    assert due[0]["reminder_failed"] is True


def test_a_partial_refusal_is_recorded(wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    wf.inspect(CODE, "vp", day=D(2026, 8, 10), surprise=True)
    smtp.recorder.refuse = {"vhxh@khucthuadu.example"}  # the secretariat, for notices
    report = tick(db, smtp, D(2026, 8, 7))
    notices = [s for s in report.sent if s["kind"] == "notice"]
    assert notices and all("vhxh@khucthuadu.example" in s["refused"] for s in notices)
    delivery = wf.store.load(delivery_id(notices[0]["key"]))
    assert delivery.state == "sent" and "550" in delivery.refused["vhxh@khucthuadu.example"]


class Crash(BaseException):
    pass


class CrashingTransport(SmtpTransport):
    def send(self, message: Any) -> dict[str, str]:
        raise Crash  # the process dies after the claim, before anything is sent


def test_a_crash_between_claim_and_send(wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    with pytest.raises(Crash):
        run_tick(db, as_of=D(2026, 8, 6), now=NOW, transport=CrashingTransport(smtp.url),
                 claimant="dead")
    soon = tick(db, smtp, D(2026, 8, 6), now=NOW + LEASE / 2)
    assert soon.sent == [] and len(soon.waiting) == 1  # the claim may still be in flight
    after = tick(db, smtp, D(2026, 8, 6), now=NOW + LEASE * 2)
    assert len(after.sent) == 1 and len(smtp.recorder.received) == 1
    delivery: Delivery = wf.store.load(delivery_id(after.sent[0]["key"]))
    assert delivery.attempts == 2
    assert smtp.recorder.received[0]["Message-ID"].strip() == delivery.message_id


@pytest.mark.parametrize("subject", [
    "Nhắc hạn\r\nBcc: attacker@evil.example",
    "Nhắc hạn\nX-Injected: 1",
    "=?utf-8?q?Nh=E1=BA=AFc=0ABcc=3A_attacker=40evil.example?=",
    "Nhắc hạn\u2028Bcc: attacker@evil.example",
    "Nhắc\x00hạn",
])
def test_header_injection_is_refused(subject: str) -> None:
    with pytest.raises(UnsafeHeader):
        build(sender=("Tổ kiểm tra", "vhxh@khucthuadu.example"),
              to=[("Phòng Kinh tế", "kinhte@khucthuadu.example")], subject=subject,
              text="x", html="<p>x</p>", message_id="<1@x.example>", date=NOW)


@pytest.mark.parametrize("name", ["=?utf-8?q?Ph=C3=B2ng=0ABcc=3A_x=40y.z?=",
                                  "=?utf-8?b?UGjDsm5nCkJjYzogeEB5Lno=?="])
def test_plan_import_refuses_encoded_newlines(wf: Workflow, name: str) -> None:
    from kiemtra.domain.errors import InvalidPlan
    from tests.conftest import plan_text

    text = plan_text(**{'code = "KTD-TKT-2026"': 'code = "OTHER"',
                        'name = "Phòng Kinh tế"': f'name = "{name}"'})
    with pytest.raises(InvalidPlan) as refused:
        wf.import_plan(text, "p.toml", D(2026, 6, 15))
    assert "control characters" in refused.value.message("en")


def test_outbox_files_are_email(wf: Workflow, db: Database, tmp_path: Path) -> None:
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    outbox = tmp_path / "kiemtra-outbox"
    report = run_tick(db, as_of=D(2026, 8, 6), now=NOW, transport=OutboxTransport(outbox),
                      claimant="t")
    (path,) = outbox.glob("*.eml")
    assert path.name == "2026-08-07_KTD-TKT-2026_kt_report_0_2026-08-11_-3.eml"  # sent 07:30
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("[KTD-TKT-2026] Nhắc hạn nộp báo cáo")
    assert message["Message-ID"].strip() == report.sent[0]["message_id"]
    assert "Kính gửi: Phòng Kinh tế." in message.get_body(("plain",)).get_content()


def test_no_reminder_after_its_day_and_a_missed_visit_is_raised_once(
        wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    """The visit of 12/08 passes unrecorded: no "the visit is tomorrow" and no "send your
    report before the visit" after it, but one letter to the leader and the secretariat,
    saying what they can do — not signed by the leader it is addressed to."""
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    late = tick(db, smtp, D(2026, 10, 27), now=NOW + timedelta(days=81))  # 76 days after
    # not the report's last chaser either: "send it before the visit" is past
    assert [(s["kind"], s["stage"]) for s in late.sent] == [("on_site", "missed")]
    (message,) = smtp.recorder.received
    assert message["Subject"] == ("[KTD-TKT-2026] Quá hạn, chưa thực hiện: Kiểm tra trực tiếp "
                                  "— Phòng Kinh tế, hạn 12/08/2026")
    assert sorted(a.addr_spec for a in message["To"].addresses) == [
        "truongto@khucthuadu.example", "vhxh@khucthuadu.example"]
    text, _ = bodies(message)
    assert "đã quá 76 ngày" in text and "kiemtra reschedule" in text
    assert "Kính gửi: Ông/Bà Nguyễn Văn A, Tổ trưởng Tổ kiểm tra; Phòng Văn hóa - Xã hội." in text
    assert "PHẦN MỀM KIEMTRA" in text and "TM. TỔ KIỂM TRA" not in text
    again = tick(db, smtp, D(2026, 10, 28), now=NOW + timedelta(days=82))
    assert again.sent == [] and len(again.already_sent) == 1  # raised once


def test_a_letter_to_the_leader_is_signed_by_the_secretariat(
        wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    only_kt(wf)
    wf.inspect(CODE, "kt", day=D(2026, 8, 12), surprise=True)  # → the minutes, to the leader
    tick(db, smtp, D(2026, 8, 21), now=NOW + timedelta(days=14))
    (message,) = smtp.recorder.received
    text, html = bodies(message)
    assert "Kính gửi: Ông/Bà Nguyễn Văn A, Tổ trưởng Tổ kiểm tra." in text
    assert "PHÒNG VĂN HÓA - XÃ HỘI\n(Cơ quan thường trực Tổ kiểm tra)" in text
    assert "Nguyễn Văn A\n\n---" not in text and "TM." not in html


def test_a_notice_never_sent_is_raised_once_its_planned_visit_has_passed(
        wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    """vp's visit was planned for Monday 10/08 and no notice went out: before that day the
    notice is chased; from that day on, "send the notice now" would be stale."""
    for unit in ("kt", "vhxh", "hcc"):
        wf.cancel(CODE, unit, reason="Không kiểm tra năm nay", day=D(2026, 7, 1))
    chased = tick(db, smtp, D(2026, 8, 7))  # notice due 05/08: the +2 chaser
    assert [(s["kind"], s["stage"]) for s in chased.sent] == [("notice", "overdue")]
    passed = tick(db, smtp, D(2026, 8, 10), now=NOW + timedelta(days=3))
    assert [(s["kind"], s["stage"]) for s in passed.sent] == [("notice", "missed")]
    assert "Quá hạn, chưa thực hiện: Thông báo lịch kiểm tra" in \
        smtp.recorder.received[-1]["Subject"]
    assert tick(db, smtp, D(2026, 8, 20), now=NOW + timedelta(days=13)).sent == []


def test_a_person_asking_retries_at_once_the_scheduler_waits(
        wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    """After an outage, `kiemtra remind` (at_once) does not wait for the back-off."""
    from kiemtra.notifications.reminders import report_lines

    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    smtp.stop()
    down = tick(db, smtp, D(2026, 8, 6))
    lines = report_lines(down.as_dict(), "vi")
    assert any(line.startswith("    lần gửi lại tự động tiếp theo: 07/08/2026 07:35")
               for line in lines), lines
    smtp.start()
    assert tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(minutes=1)).sent == []
    asked = tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(minutes=1), at_once=True)
    assert len(asked.sent) == 1 and len(smtp.recorder.received) == 1


def test_the_outbox_writes_a_vietnamese_domain_idna_encoded(wf: Workflow, db: Database,
                                                            tmp_path: Path) -> None:
    """A plan may hold `kinhte@khúcthừadụ.vn`: the .eml file stays plain ASCII, its domain
    IDNA-encoded (what 0.1.0 crashed on, UnicodeEncodeError)."""
    from tests.conftest import plan_text

    text = plan_text(**{'code = "KTD-TKT-2026"': 'code = "KTD-IDN-2026"',
                        "kinhte@khucthuadu.example": "kinhte@khúcthừadụ.vn"})
    wf.import_plan(text, "p.toml", D(2026, 6, 15))
    for unit in ("vp", "vhxh", "hcc"):
        wf.cancel("KTD-IDN-2026", unit, reason="Không kiểm tra năm nay", day=D(2026, 7, 1))
    wf.notify("KTD-IDN-2026", "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    outbox = tmp_path / "kiemtra-outbox"
    report = run_tick(db, as_of=D(2026, 8, 6), now=NOW, transport=OutboxTransport(outbox),
                      claimant="t")
    (sent,) = [s for s in report.sent if s["campaign"] == "KTD-IDN-2026"]
    assert sent["to"] == ["kinhte@khúcthừadụ.vn"]
    (path,) = outbox.glob("*IDN*.eml")
    raw = path.read_bytes()
    assert raw.isascii() and b"<kinhte@xn--khcthad-71a0500ewba.vn>" in raw


class BrokenTransport(SmtpTransport):
    def send(self, letter: Any) -> dict[str, tuple[int, str]]:
        msg = "a bug while sending"
        raise RuntimeError(msg)


def test_an_unexpected_error_while_sending_is_recorded_on_the_claim(
        wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    """No claim is left behind to be retried into the same crash by every later tick."""
    only_kt(wf)
    wf.notify(CODE, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3))
    report = run_tick(db, as_of=D(2026, 8, 6), now=NOW, transport=BrokenTransport(smtp.url),
                      claimant="t")
    (waiting,) = report.waiting
    assert waiting["error"] == "RuntimeError: a bug while sending"
    assert wf.store.load(delivery_id(waiting["key"])).state == "retry"
    assert len(tick(db, smtp, D(2026, 8, 6), now=NOW + timedelta(minutes=6)).sent) == 1


def test_an_idle_session_the_server_dropped_is_reopened_once(
        wf: Workflow, db: Database, smtp: SmtpServer) -> None:
    """One session serves the whole tick; a server that closed it while idle (before
    MAIL) gets a new one, and the message goes once."""
    from kiemtra.notifications.message import Letter

    transport = SmtpTransport(smtp.url)
    letter = Letter(sender=("Tổ kiểm tra", "vhxh@khucthuadu.example"),
                    to=[("Phòng Kinh tế", "kinhte@khucthuadu.example")], subject="Nhắc",
                    text="x", html="<p>x</p>", message_id="<1@khucthuadu.example>", date=NOW)
    assert transport.send(letter) == {}
    assert transport.session is not None and transport.session.sock is not None
    transport.session.sock.close()  # the connection is gone under the idle session
    assert transport.send(letter) == {}
    transport.close()
    assert len(smtp.recorder.received) == 2


def test_a_scheduled_tick_runs_on_the_database_its_scheduler_was_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored job names its database without the password; the scheduler that runs it
    was given the password and runs the job with it. A tick on its own finds one as libpq
    does (PGPASSWORD, else ~/.pgpass)."""
    from kiemtra.notifications import reminders, scheduler

    given = Database("postgresql://kiemtra:pw%40x@db.example:5433/xa")
    assert given.without_password() == "postgresql://kiemtra@db.example:5433/xa"
    assert Database("postgresql://[::1]/xa").without_password() == "postgresql://[::1]/xa"
    assert Database("kiemtra.db").without_password() == "kiemtra.db"
    used: list[Database] = []
    monkeypatch.setattr(reminders, "remind_once", lambda database, **_: used.append(
        database) or {"sent": [], "already_sent": [], "failed": [], "waiting": []})
    monkeypatch.setitem(scheduler.SERVING, given.without_password(), given)
    scheduler.scheduled_tick(given.without_password(), force=True)
    scheduler.scheduled_tick("postgresql://kiemtra@db.example:5433/other", force=True)
    assert [d.url for d in used] == [given.url, "postgresql://kiemtra@db.example:5433/other"]
    assert given.env()["POSTGRES_PASSWORD"] == "pw@x"
    monkeypatch.setenv("PGPASSWORD", "from-env")
    assert used[1].env()["POSTGRES_PASSWORD"] == "from-env"
    assert given.env()["POSTGRES_PASSWORD"] == "pw@x"
