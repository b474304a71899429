"""What state a delivery is in after each outcome, and what a later run does with it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from kiemtra.domain import ledger
from kiemtra.domain.delivery import Delivery

NOW = datetime(2026, 8, 6, 0, 30, tzinfo=UTC)
TEAM = ["kinhte@x.vn", "truongto@x.vn", "tv.kt@x.vn", "tv.vp@x.vn"]


def claim(recipients: list[str] = TEAM, at: datetime = NOW) -> Delivery:
    return Delivery(key="K/kt/on_site/0/2026-08-12/-1", campaign="K", unit="kt",
                    kind="on_site", finding=None, due=date(2026, 8, 12), offset=-1,
                    recipients=recipients, message_id="<1@x.vn>", subject="Lịch kiểm tra",
                    claimed_at=at, claimant="truong-to@host:1")


def test_refused_recipients_are_failures_of_their_own_and_only_4xx_are_retried() -> None:
    d = claim()
    d.record_sent(NOW, {"tv.kt@x.vn": (550, "5.1.1 no such user"),
                        "tv.vp@x.vn": (450, "4.2.1 busy")})
    assert d.state == ledger.RETRY and d.pending == ["tv.vp@x.vn"]
    assert ledger.retry_to(d.record) == ["tv.vp@x.vn"]
    assert ledger.refused_for_good(d.record) == {"tv.kt@x.vn": "550 5.1.1 no such user"}
    assert ledger.counts_as_failed(d.record) and ledger.needs_attention(d.record)
    assert d.retry_after == NOW + ledger.FIRST_BACKOFF
    assert ledger.partly_sent(d.record)
    later = NOW + timedelta(minutes=10)
    assert ledger.may_retry(d.record, later)
    d.start_attempt(later, "truong-to@host:2")
    assert ledger.next_recipients(d.record) == ["tv.vp@x.vn"]  # the retry goes to it alone
    d.record_sent(later, {})
    assert d.state == ledger.SENT and d.pending == []
    assert d.refused == {"tv.kt@x.vn": "550 5.1.1 no such user"}  # still not delivered
    assert ledger.counts_as_failed(d.record) and ledger.retry_to(d.record) == []


def test_every_recipient_refused() -> None:
    d = claim(["a@x.vn", "b@x.vn"])
    d.record_all_refused(NOW, "every recipient refused", {"a@x.vn": (550, "no"),
                                                          "b@x.vn": (452, "full")})
    assert d.state == ledger.RETRY and d.pending == ["b@x.vn"] and not ledger.partly_sent(
        d.record)
    other = claim(["a@x.vn"])
    other.record_all_refused(NOW, "every recipient refused", {"a@x.vn": (550, "no")})
    assert other.state == ledger.FAILED and not ledger.may_retry(other.record, NOW, at_once=True)


def test_an_unknown_outcome_waits_for_a_later_run_with_the_same_message_id() -> None:
    d = claim()
    d.record_unknown(NOW, "lost after the data", ledger.DISCONNECTED)
    assert d.state == ledger.UNKNOWN and d.reason == ledger.DISCONNECTED
    assert not ledger.may_retry(d.record, NOW + timedelta(minutes=1))  # the scheduler waits
    assert ledger.may_retry(d.record, NOW + timedelta(minutes=1), at_once=True)  # a person
    assert ledger.retry_to(d.record) == TEAM and d.message_id == "<1@x.vn>"
    assert not ledger.counts_as_failed(d.record) and ledger.needs_attention(d.record)


def test_a_claim_is_interrupted_once_its_lease_has_passed() -> None:
    d = claim()
    assert ledger.needs_attention(d.record)
    assert not ledger.interrupted(d.record, NOW + ledger.LEASE / 2)
    assert not ledger.may_retry(d.record, NOW + ledger.LEASE / 2, at_once=True)
    assert ledger.interrupted(d.record, NOW + ledger.LEASE * 2)
    assert ledger.may_retry(d.record, NOW + ledger.LEASE * 2)
    assert ledger.lease_end(d.record) == NOW + ledger.LEASE


def test_a_claim_left_untried_is_not_an_attempt() -> None:
    d = claim()
    d.record_not_tried(NOW, "not tried")
    assert d.state == ledger.RETRY and d.attempts == 0 and d.retry_after == NOW
    assert ledger.may_retry(d.record, NOW)


def test_a_0_1_0_sent_event_reads_as_it_did() -> None:
    """0.1.0's Sent had no retry_to: the recipients it names as refused are refused for
    good (that release never retried them)."""
    record = ledger.new_delivery({
        "key": "k", "campaign": "K", "unit": "kt", "kind": "on_site", "finding": None,
        "due": "2026-09-08", "offset": -1, "recipients": TEAM, "message_id": "<1@x>",
        "subject": "s", "claimed_at": "2026-09-07T00:30:00+00:00"})
    ledger.evolve_delivery(record, "Sent", {"at": "2026-09-07T00:30:01+00:00",
                                            "refused": {"tv.kt@x.vn": "550 unavailable"}})
    assert record["state"] == ledger.SENT and record["pending"] == []
    assert ledger.refused_for_good(record) == {"tv.kt@x.vn": "550 unavailable"}
    ledger.evolve_delivery(
        failed := ledger.new_delivery({**record, "claimed_at": "x"}), "FailedTemporarily",
        {"error": "451 later", "code": 451, "retry_after": "2026-09-07T00:35:00+00:00"})
    assert failed["state"] == ledger.RETRY and failed["reason"] is None
    assert failed["pending"] == TEAM and failed["attempts"] == 1
