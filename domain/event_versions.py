"""Versions of the stored event shape, and the upcasters that read the old ones.

The audit trail must stay readable for years, so an event written by an older
kiemtra is upgraded when it is read (eventsourcing's `class_version` and
`upcast_vN_vN+1`), never rewritten in the log: rewriting would break the chain
of hashes that proves the log unaltered.

Version history of the workflow events (campaign and inspection):
  1 — actor, effective date, step details.
  2 — adds `actor_role`: the actor's role in the plan when they acted
      (leader, deputy, member, secretariat, unit). Version 1 events predate the
      role check; they read as `actor_role = None` ("not recorded").

Fields added to single events without a new version, because an older event reads the
same without them (the method's default applies, nothing to upcast):
  NoticeIssued, Rescheduled, Inspected, Cancelled — `override` (0.2): the leader's
      reason and the date rules set aside (`overrides.py`); absent or None: none.
  Delivery's Sent — `retry_to`, `retry_after`; FailedTemporarily — `reason`, `refused`,
      `retry_to`; FailedPermanently — `reason`, `refused` (0.2, `delivery.py`): absent,
      a whole message's outcome, as 0.1.0 recorded it. OutcomeUnknown is new in 0.2.
A kiemtra older than an event cannot read it (its method does not take the field): the
log is read by the release that wrote it or a later one.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate


class WorkflowEvent(Aggregate.Event):
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("actor_role", None)


class WorkflowCreated(WorkflowEvent, Aggregate.Created):
    pass
