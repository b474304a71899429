"""Stored topics are stable names, and the module paths 0.1.0 stored still resolve."""

from __future__ import annotations

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from kiemtra.domain import topics
from kiemtra.domain.campaign import Campaign
from kiemtra.domain.delivery import Delivery
from kiemtra.domain.documents import DocumentSeries
from kiemtra.domain.inspection import Inspection

AGGREGATES = {"Campaign": Campaign, "Inspection": Inspection, "Delivery": Delivery,
              "DocumentSeries": DocumentSeries}
# What kiemtra 0.1.0 stored: only these may appear in a log under a module path.
RELEASED = {"Campaign": ("PlanImported",),
            "Inspection": ("Planned", "NoticeIssued", "Rescheduled", "ReportSubmitted",
                           "Inspected", "MinutesSigned", "Concluded", "RemediationReported",
                           "Cancelled"),
            "Delivery": ("Claimed", "AttemptStarted", "Sent", "FailedTemporarily",
                         "FailedPermanently")}


def test_every_event_class_has_its_stable_topic_and_its_old_one() -> None:
    for name, (kind, events) in topics.AGGREGATES.items():
        aggregate = AGGREGATES[name]
        assert get_topic(aggregate) == f"kiemtra:{name}"
        if name in RELEASED:
            assert resolve_topic(f"domain.{kind}:{name}") is aggregate
        for event in events:
            cls = getattr(aggregate, event)
            assert get_topic(cls) == f"kiemtra:{name}.{event}"
            assert resolve_topic(f"kiemtra:{name}.{event}") is cls
            assert topics.kind_of(f"kiemtra:{name}.{event}") == (kind, event)
            if event in RELEASED.get(name, ()):
                assert resolve_topic(f"domain.{kind}:{name}.{event}") is cls
                assert topics.kind_of(f"domain.{kind}:{name}.{event}") == (kind, event)
            else:  # a class added since 0.1.0 has no module-path spelling to honour
                assert topics.kind_of(f"domain.{kind}:{name}.{event}") is None


def test_the_table_names_every_event_class_and_nothing_else() -> None:
    for name, (_, events) in topics.AGGREGATES.items():
        nested = {n for n, v in vars(AGGREGATES[name]).items()
                  if isinstance(v, type) and n not in ("Event", "Created")}
        assert nested == set(events), name


def test_a_topic_kiemtra_never_wrote_is_not_a_view_event() -> None:
    assert topics.kind_of("eventsourcing.domain:Aggregate.Created") is None
    assert topics.of_kinds(topics.CAMPAIGN) == [
        "domain.campaign:Campaign.PlanImported", "kiemtra:Campaign.DocumentIssued",
        "kiemtra:Campaign.DocumentVoided", "kiemtra:Campaign.PlanAmended",
        "kiemtra:Campaign.PlanImported"]
    assert topics.of_events("PlanImported") == ["domain.campaign:Campaign.PlanImported",
                                                "kiemtra:Campaign.PlanImported"]


@pytest.mark.parametrize("name", sorted(topics.AGGREGATES))
def test_every_aggregate_is_listed_here(name: str) -> None:
    assert name in AGGREGATES
