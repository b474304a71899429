"""The names stored events carry for their class ("topics"): stable, not module paths.

eventsourcing stores `get_topic(type(event))` with every event and finds the class
again with `resolve_topic` when the event is read. By default a topic is the class's
module path, so moving a class would orphan every event already stored — and kiemtra
0.1.0 did store module paths (`domain.inspection:Inspection.NoticeIssued`). Here each
aggregate and event class gets a name of its own, `kiemtra:Inspection.NoticeIssued`, set
as the class's `TOPIC` (the attribute the library reads), and the names 0.1.0 wrote are
registered as aliases of the same classes, so old events load as they always did.

Stored topics are never rewritten: the hash chain covers them, so an old event keeps its
old topic for ever, and a stream may hold both spellings. Whoever reads topics from the
log (the views, the audit trail) asks `kind_of`, which knows every spelling; nothing else
in kiemtra spells a topic.
"""

from __future__ import annotations

from typing import Any

CAMPAIGN, INSPECTION, DELIVERY, REGISTER = "campaign", "inspection", "delivery", "register"

# Every event class each aggregate has stored or stores: (aggregate, stream kind, events).
AGGREGATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Campaign": (CAMPAIGN, ("PlanImported", "DocumentIssued", "DocumentVoided", "PlanAmended")),
    "Inspection": (INSPECTION, (
        "Planned", "NoticeIssued", "Rescheduled", "ReportSubmitted", "Inspected",
        "MinutesSigned", "Concluded", "RemediationReported", "Cancelled", "StepRetracted",
        "Corrected", "Replanned", "Withdrawn")),
    "Delivery": (DELIVERY, (
        "Claimed", "AttemptStarted", "Sent", "FailedTemporarily", "FailedPermanently",
        "OutcomeUnknown")),
    "DocumentSeries": (REGISTER, ("Opened", "NumberTaken")),
}

PREFIX = "kiemtra:"
# Where kiemtra 0.1.0 kept each aggregate: the module part of the topics it stored, and the
# events it had (a class added since has only its stable topic).
LEGACY_MODULES = {"Campaign": "domain.campaign", "Inspection": "domain.inspection",
                  "Delivery": "domain.delivery"}
LEGACY_EVENTS = {"Campaign": ("PlanImported",),
                 "Inspection": AGGREGATES["Inspection"][1][:9],  # Planned … Cancelled
                 "Delivery": AGGREGATES["Delivery"][1][:5]}  # Claimed … FailedPermanently


def topic(aggregate: str, event: str | None = None) -> str:
    """The stable topic of an aggregate class, or of one of its event classes."""
    return f"{PREFIX}{aggregate}" + (f".{event}" if event else "")


def legacy_topic(aggregate: str, event: str | None = None) -> str:
    """The topic kiemtra 0.1.0 stored for the same class."""
    return f"{LEGACY_MODULES[aggregate]}:{aggregate}" + (f".{event}" if event else "")


def _legacy(aggregate: str, event: str | None = None) -> bool:
    """Whether 0.1.0 stored this class (and so a module-path topic of it may be in a log)."""
    return aggregate in LEGACY_MODULES and (event is None or event in LEGACY_EVENTS[aggregate])


def _spellings() -> dict[str, tuple[str, str]]:
    found = {}
    for aggregate, (kind, events) in AGGREGATES.items():
        for event in events:
            found[topic(aggregate, event)] = (kind, event)
            if _legacy(aggregate, event):
                found[legacy_topic(aggregate, event)] = (kind, event)
    return found


STORED: dict[str, tuple[str, str]] = _spellings()
"""Every topic an event of kiemtra's may carry in the log → (stream kind, event name)."""


def kind_of(stored_topic: str) -> tuple[str, str] | None:
    """(stream kind, event name) of a stored topic; None for a topic kiemtra never wrote."""
    return STORED.get(stored_topic)


def of_kinds(*kinds: str) -> list[str]:
    """Every spelling of the topics of these stream kinds (for a query's IN list)."""
    return sorted(t for t, (kind, _) in STORED.items() if kind in kinds)


def of_events(*names: str) -> list[str]:
    """Every spelling of the topics of these event names (for a query's IN list)."""
    return sorted(t for t, (_, name) in STORED.items() if name in names)


def assign(aggregate: type[Any]) -> type[Any]:
    """Give an aggregate class and its event classes their stable topics, and register
    the 0.1.0 topics as aliases. Applied once to each aggregate, where it is defined.

    This is the library's explicit-topic mechanism (`TOPIC` on the aggregate and on each
    event class, each registered), applied from one table instead of spelt out in every
    `@event`; with `TOPIC` set, the library itself refuses to create or trigger an event
    whose topic is not registered. `TOPIC` is set on each event class itself: the library
    reads it with `getattr`, so a class without its own would inherit its base's."""
    from eventsourcing.utils import register_topic  # only where aggregates are defined

    name = aggregate.__name__
    kind, events = AGGREGATES[name]
    aggregate.TOPIC = topic(name)  # declared on the library's Aggregate
    register_topic(topic(name), aggregate)
    if _legacy(name):
        register_topic(legacy_topic(name), aggregate)
    nested = {n: v for n, v in vars(aggregate).items() if isinstance(v, type)}
    unlisted = set(nested) - set(events) - {"Event", "Created"}
    if set(events) - set(nested) or unlisted:
        msg = (f"the event classes of {name} ({sorted(set(nested) - {'Event', 'Created'})}) "
               f"differ from those domain/topics.py names ({sorted(events)})")
        raise TypeError(msg)
    for event_name, cls in nested.items():
        setattr(cls, "TOPIC", topic(name, event_name))  # noqa: B010  (a class of the library's)
        register_topic(topic(name, event_name), cls)
        if event_name in events and _legacy(name, event_name):
            register_topic(legacy_topic(name, event_name), cls)
    return aggregate
